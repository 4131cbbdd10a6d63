#!/usr/bin/env python3
"""Measure the read-only walker prototype (fastwalk.py) against libcst's visit_batched.

    .venv/bin/python benchmarks/prototypes/measure_fastwalk.py [--limit N] [--corpus DIR]

1. Equivalence: a recording visitor with visit_/leave_ methods for every non-trivia node class
   sees the same events (kind, node identity), in the same order, with both traversals.
2. Speed on the corpus, same parsed modules, three visitor sets: the engine's own
   (ImportTracker + ScopeCloser), + every registered check's visitor (whatever this checkout
   has), and + 6 synthetic check-like visitors (Call/FunctionDef/Assign/ClassDef/Import/...).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fastwalk import _TRIVIA, walk_batched  # noqa: E402

HERE = Path(__file__).resolve().parent.parent
# CPU time of this process: far less affected than wall time by what else runs on the machine.
CLOCK = time.process_time


def node_classes():
    out = []
    for name in dir(cst):
        obj = getattr(cst, name)
        if isinstance(obj, type) and issubclass(obj, cst.CSTNode) and not name.startswith("Base") \
                and obj is not cst.CSTNode and not issubclass(obj, _TRIVIA):
            out.append(obj)
    return out


def _named(name, fn):
    fn.__name__ = fn.__qualname__ = name  # libcst collects visitor methods by __name__
    return fn


def recorder_class():
    ns = {}
    for cls in node_classes():
        n = cls.__name__
        ns[f"visit_{n}"] = _named(f"visit_{n}", (lambda n: lambda self, node: self.events.append(("v", n, id(node))))(n))
        ns[f"leave_{n}"] = _named(f"leave_{n}", (lambda n: lambda self, node: self.events.append(("l", n, id(node))))(n))

    def __init__(self):
        cst.BatchableCSTVisitor.__init__(self)
        self.events = []
    ns["__init__"] = __init__
    return type("Recorder", (cst.BatchableCSTVisitor,), ns)


class _Syn(cst.BatchableCSTVisitor):
    def __init__(self):
        super().__init__()
        self.n = 0


def synthetic_visitors():
    """Six visitors shaped like checks: each looks at a few common node types."""
    def mk(names):
        ns = {}
        for m in names:
            ns[m] = _named(m, lambda self, node: setattr(self, "n", self.n + 1))
        return type("Syn_" + "_".join(n.split("_")[1] for n in names[:2]), (_Syn,), ns)
    sets = [
        ["visit_Call", "visit_FunctionDef", "leave_FunctionDef", "visit_Decorator"],
        ["visit_Call", "visit_Attribute"],
        ["visit_Assign", "visit_AnnAssign", "visit_ClassDef", "leave_ClassDef"],
        ["visit_Call", "visit_Return", "visit_Raise"],
        ["visit_Call", "visit_Comparison", "visit_FunctionDef", "leave_FunctionDef"],
        ["visit_Import", "visit_ImportFrom", "visit_Call", "visit_Dict"],
    ]
    return [mk(s)() for s in sets]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=HERE / "corpus")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--skip-equivalence", action="store_true")
    args = ap.parse_args(argv)
    sys.setrecursionlimit(10000)
    from fastauthlint.analysis import decode_source
    from fastauthlint.checks import all_checks
    from fastauthlint.config import load_config
    from fastauthlint.context import FileContext, ImportTracker, ScopeCloser
    from fastauthlint.discovery import module_name
    from fastauthlint.names import collect_module_names

    corpus = args.corpus.resolve()
    config = load_config([corpus])
    root = config.root.resolve()
    files = sorted(p for p in corpus.rglob("*.py"))
    if args.limit:
        files = files[: args.limit]
    Recorder = recorder_class()
    mismatched = 0
    checked = 0
    t = {k: 0.0 for k in ("lib-engine", "fast-engine", "lib-checks", "fast-checks", "lib-syn", "fast-syn",
                           "parse")}
    checks = all_checks()
    for path in files:
        text, problem = decode_source(str(path), path.read_bytes())
        if problem:
            continue
        try:
            t0 = CLOCK()
            module = cst.parse_module(text)
            t["parse"] += CLOCK() - t0
        except Exception:
            continue
        checked += 1
        if not args.skip_equivalence:
            a, b = Recorder(), Recorder()
            MetadataWrapper(module, unsafe_skip_copy=True).visit_batched([a])
            walk_batched(module, [b])
            if a.events != b.events:
                mismatched += 1
                if mismatched <= 3:
                    for i, (x, y) in enumerate(zip(a.events, b.events)):
                        if x != y:
                            print(f"MISMATCH {path}: event {i}: libcst {x[:2]} vs fastwalk {y[:2]}")
                            break
                    else:
                        print(f"MISMATCH {path}: {len(a.events)} vs {len(b.events)} events")
        mod, is_pkg = module_name(path, root)
        rel = path.relative_to(root).as_posix()
        for label, extra in (("engine", lambda ctx: []),
                             ("checks", lambda ctx: [v for v in (c.visitor(ctx) for c in checks) if v is not None]),
                             ("syn", lambda ctx: synthetic_visitors())):
            for impl in ("lib", "fast"):
                names = collect_module_names(module, mod, is_pkg)
                wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
                ctx = FileContext(str(path), rel, text, module, wrapper, names, config)
                vs = [ImportTracker(ctx), *extra(ctx), ScopeCloser(ctx)]
                t0 = CLOCK()
                try:
                    if impl == "lib":
                        wrapper.visit_batched(vs)
                    else:
                        walk_batched(module, vs)
                except RecursionError:
                    pass
                t[f"{impl}-{label}"] += CLOCK() - t0
    print(f"{checked} files; traversal event mismatches: {mismatched}"
          + (" (equivalence not checked)" if args.skip_equivalence else ""))
    print(f"checks in this checkout: {', '.join(c.name for c in checks) or '(none)'}")
    p = t["parse"]
    print(f"libcst parse: {p:.2f} s")
    for label, what in (("engine", "ImportTracker+ScopeCloser"), ("checks", "+ registered checks"),
                        ("syn", "+ 6 synthetic check-like visitors")):
        lib, fast = t[f"lib-{label}"], t[f"fast-{label}"]
        print(f"{what:36} libcst visit_batched {lib:7.2f} s ({lib / p:.2f}× parse)   "
              f"fastwalk {fast:7.2f} s ({fast / p:.2f}× parse)   speed-up {lib / max(fast, 1e-9):.1f}×")
    return 0 if mismatched == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
