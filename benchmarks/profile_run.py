#!/usr/bin/env python3
"""Where fastauthlint spends its time on the corpus (in-process, one process).

    .venv/bin/python benchmarks/profile_run.py                    # phase table + per-check costs
    .venv/bin/python benchmarks/profile_run.py --cprofile out.prof  # also a cProfile of a full run
    .venv/bin/python benchmarks/profile_run.py --limit 500        # first 500 files only (quick)

Three measurements, all on the materialised corpus (benchmarks/fetch_corpus.py):

1. phases of a real run (`engine.run`, jobs=1, cold then warm cache): the engine's own functions
   are wrapped with CPU-time timers (time.process_time: far less affected by other jobs than wall
   time; cheap, unlike a tracing profiler, which inflates Python-heavy code such as visitors
   against the native parser); garbage collection time is reported beside them;
2. per-file costs measured separately on every file: libcst parse, `ast.parse` (for scale),
   positions with fastauthlint.positions (what the first `ctx.span()` in a file costs) and with
   libcst's PositionProvider (for scale), an empty traversal with fastauthlint.walk and with
   libcst's visit_batched (for scale), and each check's visitor alone (run by fastauthlint.walk:
   its traversal minus the empty one);
3. a text pre-scan: how many files contain none of the words the checks look for, i.e. how many
   libcst parses a cheap scan could avoid (and what `ast` would cost to still get their names).

Timers wrap functions by name (see PHASES); when the engine is refactored, a phase whose function
no longer exists is reported as missing rather than silently zero.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import functools
import importlib
import io
import os
import pstats
import re
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
# CPU time of this process: far less affected than wall time by what else runs on the machine.
CLOCK = time.process_time
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))

TOTALS = defaultdict(float)
COUNTS = defaultdict(int)
_STACK = []  # nested timers: a phase's time excludes the phases it calls


def timer(name, fn):
    @functools.wraps(fn)
    def wrapped(*a, **kw):
        t0 = CLOCK()
        _STACK.append(0.0)
        try:
            return fn(*a, **kw)
        finally:
            dt = CLOCK() - t0
            inner = _STACK.pop()
            TOTALS[name] += dt - inner
            COUNTS[name] += 1
            if _STACK:
                _STACK[-1] += dt
    wrapped.__wrapped_by_profile__ = True
    return wrapped


# (label, module, attribute path) — what is wrapped. The module attribute is patched where the
# caller looks it up (e.g. `analysis.collect_module_names`, imported by name into analysis).
PHASES = [
    ("discovery", "fastauthlint.engine", "discover"),
    ("read + sha256 + cache lookup", "fastauthlint.engine", "Cache.get"),
    ("decode", "fastauthlint.analysis", "decode_source"),
    ("nesting gate (regex scan)", "fastauthlint.analysis", "_nesting_problem"),
    ("libcst parse", "libcst", "parse_module"),
    ("module names (imports/defs)", "fastauthlint.analysis", "collect_module_names"),
    ("suppression comments", "fastauthlint.analysis", "parse_suppressions"),
    ("batched traversal (all visitors)", "fastauthlint.analysis", "walk_batched"),
    ("positions (fastauthlint.positions)", "fastauthlint.positions", "Positions._compute"),
    # what versions before fastauthlint.walk / fastauthlint.positions used (not called since)
    ("batched traversal (libcst visit_batched)", "libcst.metadata", "MetadataWrapper.visit_batched"),
    ("positions (PositionProvider)", "libcst.metadata", "MetadataWrapper.resolve"),
    ("cache: load", "fastauthlint.cache", "Cache._load"),
    ("cache: encode results", "fastauthlint.cache", "serial.encode"),
    ("cache: write", "fastauthlint.cache", "Cache.save"),
    ("project index", "fastauthlint.engine", "Project.__init__"),
    ("filter + suppressions", "fastauthlint.engine", "_filter"),
    ("finish (fingerprints, sort)", "fastauthlint.engine", "_finish"),
]


def install_timers():
    missing = []
    for label, modname, attr in PHASES:
        mod = importlib.import_module(modname)
        owner = mod
        parts = attr.split(".")
        try:
            for p in parts[:-1]:
                owner = getattr(owner, p)
            fn = getattr(owner, parts[-1])
        except AttributeError:
            missing.append(label)
            continue
        if getattr(fn, "__wrapped_by_profile__", False):
            continue
        setattr(owner, parts[-1], timer(label, fn))
    # link: every check's link() separately
    from fastauthlint.checks import all_checks
    for check in all_checks():
        check.link = timer(f"link: {check.name}", check.link)
    return missing


GC = {"seconds": 0.0, "full": 0, "full_seconds": 0.0}


def _gc_timer(phase, info, _start=[0.0]):
    if phase == "start":
        _start[0] = CLOCK()
    else:
        dt = CLOCK() - _start[0]
        GC["seconds"] += dt
        if info.get("generation") == 2:
            GC["full"] += 1
            GC["full_seconds"] += dt


def run_engine(corpus: Path, use_cache: bool, jobs: int = 1):
    import gc
    from fastauthlint.config import load_config
    from fastauthlint.engine import RunOptions, run
    config = load_config([corpus])
    GC.update(seconds=0.0, full=0, full_seconds=0.0)
    gc.callbacks.append(_gc_timer)
    t0 = CLOCK()
    try:
        res = run(RunOptions(paths=[corpus], config=config, jobs=jobs, use_cache=use_cache))
    finally:
        gc.callbacks.remove(_gc_timer)
    return CLOCK() - t0, res


def phase_table(title: str, wall: float) -> str:
    out = [f"\n{title}: {wall:.2f} s CPU", f"{'phase':40} {'seconds':>9} {'share':>7} {'calls':>7}"]
    accounted = 0.0
    for name, secs in sorted(TOTALS.items(), key=lambda kv: -kv[1]):
        accounted += secs
        out.append(f"{name:40} {secs:9.2f} {100 * secs / wall:6.1f}% {COUNTS[name]:7}")
    out.append(f"{'(other: interpreter, glue, FileResult)':40} {wall - accounted:9.2f} "
               f"{100 * (wall - accounted) / wall:6.1f}%")
    out.append(f"(garbage collection, inside the phases above: {GC['seconds']:.2f} s, "
               f"{100 * GC['seconds'] / wall:.1f}%; {GC['full']} full collections {GC['full_seconds']:.2f} s)")
    return "\n".join(out)


# -- per-file measurements ---------------------------------------------------------------------

PRESCAN_WORDS = (
    # What the planned checks look for (spec families 1-6); keep it generous: a false "relevant"
    # costs one parse, a false "irrelevant" would be a missed finding.
    r"fastapi|starlette|APIRouter|Depends|Security|jwt|jose|token|secret|password|passwd|"
    r"api_?key|private_?key|signing|cookie|CORSMiddleware|HTTPException|compare_digest|"
    r"WWW-Authenticate|Authorization|Bearer|owner|user_id|current_user|select\(|query\(|filter"
)


def per_file(corpus: Path, files, checks_filter=None):
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider
    from fastauthlint.analysis import decode_source
    from fastauthlint.checks import all_checks
    from fastauthlint.config import load_config
    from fastauthlint.context import FileContext, ImportTracker, ScopeCloser
    from fastauthlint.discovery import module_name
    from fastauthlint.project.collect import FactsCollector
    from fastauthlint.project.names import collect_module_names
    from fastauthlint.positions import Positions
    from fastauthlint.walk import walk_batched

    config = load_config([corpus])
    root = config.root.resolve()
    checks = [c for c in all_checks() if not checks_filter or c.name in checks_filter]
    t = defaultdict(float)
    pre = re.compile(PRESCAN_WORDS, re.I)
    n_irrelevant = 0
    parse_irrelevant = 0.0
    ast_irrelevant = 0.0
    parsed = 0
    for path in files:
        data = path.read_bytes()
        text, problem = decode_source(str(path), data)
        if problem is not None:
            continue
        t0 = CLOCK()
        relevant = pre.search(text) is not None
        t["text pre-scan (regex)"] += CLOCK() - t0
        try:
            t0 = CLOCK()
            module = cst.parse_module(text)
            dt_parse = CLOCK() - t0
        except Exception:
            continue
        parsed += 1
        t["libcst parse"] += dt_parse
        t0 = CLOCK()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ast.parse(text)
            except (SyntaxError, ValueError, RecursionError):
                pass
        dt_ast = CLOCK() - t0
        t["ast.parse (for scale)"] += dt_ast
        if not relevant:
            n_irrelevant += 1
            parse_irrelevant += dt_parse
            ast_irrelevant += dt_ast
        mod, is_pkg = module_name(path, root)
        t0 = CLOCK()
        names = collect_module_names(module, mod, is_pkg)
        t["module names"] += CLOCK() - t0

        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        t0 = CLOCK()
        wrapper.resolve(PositionProvider)
        t["positions: libcst PositionProvider (for scale)"] += CLOCK() - t0
        t0 = CLOCK()
        Positions(module).range(module)
        t["positions: fastauthlint.positions (what ctx.span costs)"] += CLOCK() - t0

        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        ctx = FileContext(str(path), path.relative_to(root).as_posix(), text, module, wrapper, names, config)
        t0 = CLOCK()
        wrapper.visit_batched([ImportTracker(ctx), ScopeCloser(ctx)])
        t["traversal, no check: libcst visit_batched (for scale)"] += CLOCK() - t0
        ctx = FileContext(str(path), path.relative_to(root).as_posix(), text, module, wrapper, names, config)
        t0 = CLOCK()
        walk_batched(module, [ImportTracker(ctx), ScopeCloser(ctx)])
        empty = CLOCK() - t0
        t["traversal, no check: fastauthlint.walk (ImportTracker only)"] += empty
        for check in [None, *checks]:  # None: the project model's collector
            wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
            ctx = FileContext(str(path), path.relative_to(root).as_posix(), text, module, wrapper, names, config)
            t0 = CLOCK()
            v = FactsCollector(ctx) if check is None else check.visitor(ctx)
            if v is None:
                continue
            try:
                walk_batched(module, [ImportTracker(ctx), v, ScopeCloser(ctx)])
                v.facts()
            except Exception:
                pass
            label = "project model facts" if check is None else f"check {check.name}"
            t[f"{label} (visitor alone, minus empty traversal)"] += max(0.0, CLOCK() - t0 - empty)
    return t, parsed, n_irrelevant, parse_irrelevant, ast_irrelevant


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=HERE / "corpus")
    ap.add_argument("--limit", type=int, default=0, help="only the first N files of the per-file pass")
    ap.add_argument("--cprofile", type=Path, help="write a cProfile of one cold run here and print its top")
    ap.add_argument("--skip-engine", action="store_true", help="per-file measurements only")
    args = ap.parse_args(argv)
    corpus = args.corpus.resolve()
    os.environ["FASTAUTHLINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="fal-prof-cache-")
    files = sorted(p for p in corpus.rglob("*.py") if not any(part.startswith(".") for part in p.relative_to(corpus).parts))
    if args.limit:
        files = files[: args.limit]
    print(f"corpus: {corpus} ({len(files)} files)")

    if not args.skip_engine:
        missing = install_timers()
        if missing:
            print(f"phases not found in this version (not timed): {', '.join(missing)}")
        wall, res = run_engine(corpus, use_cache=True)
        print(phase_table(f"cold run, 1 process, writing the cache ({len(res.targets)} files, "
                          f"{len(res.findings)} findings)", wall))
        TOTALS.clear(); COUNTS.clear()
        wall, res = run_engine(corpus, use_cache=True)
        print(phase_table("warm run, 1 process (every file from the cache)", wall))
        TOTALS.clear(); COUNTS.clear()

    if args.cprofile:
        os.environ["FASTAUTHLINT_CACHE_DIR"] = tempfile.mkdtemp(prefix="fal-prof-cache-")
        prof = cProfile.Profile()
        prof.enable()
        run_engine(corpus, use_cache=False)
        prof.disable()
        prof.dump_stats(str(args.cprofile))
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(35)
        print(f"\ncProfile (cumulative, top 35; full profile in {args.cprofile}):")
        print(s.getvalue())

    t0 = CLOCK()
    t, parsed, n_irr, parse_irr, ast_irr = per_file(corpus, files)
    wall = CLOCK() - t0
    print(f"\nper-file costs, measured separately on {parsed} parsed files (sum over files):")
    base = t["libcst parse"]
    for name, secs in sorted(t.items(), key=lambda kv: -kv[1]):
        print(f"  {name:62} {secs:8.2f} s  {secs / base:6.2f}× parse  {1000 * secs / max(parsed, 1):7.2f} ms/file")
    print(f"\ntext pre-scan: {n_irr}/{parsed} files ({100 * n_irr / max(parsed, 1):.0f}%) mention none of the "
          f"words checks look for;\n  their libcst parse costs {parse_irr:.2f} s "
          f"({100 * parse_irr / max(base, 1e-9):.0f}% of all parsing); `ast.parse` of the same files "
          f"(to still get their imports and definitions) {ast_irr:.2f} s; the scan itself "
          f"{t['text pre-scan (regex)']:.2f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
