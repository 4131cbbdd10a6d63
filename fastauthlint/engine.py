"""Orchestration: discover -> per-file phase (cached, in parallel) -> link -> filter -> sort."""

from __future__ import annotations

import gc
import hashlib
import os
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from fastauthlint.analysis import FileResult, analyze_path, template_root
from fastauthlint.cache import Cache, CacheDamaged, linked_key
from fastauthlint.checks import all_checks
from fastauthlint.config import Config
from fastauthlint.context import is_documentation_path, is_example_path, is_script_path, main_guard_lines
from fastauthlint.discovery import discover, module_name
from fastauthlint.findings import TEST_CODE_SEVERITY, Finding, Span, assign_fingerprints
from fastauthlint.masking import mask_line
from fastauthlint.project import unreached
from fastauthlint.project.model import Project
from fastauthlint.rules import all_rules
from fastauthlint.suppress import UNUSED_SUPPRESSION, apply_suppressions, unused_suppressions
from fastauthlint.walk import prepare as walk_prepare

# Below this many files to analyse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16


@dataclass
class RunOptions:
    paths: Sequence[Path]
    config: Config
    force_exclude: bool = False
    jobs: int = 0  # 0: one per CPU
    use_cache: bool = True
    stdin_path: Optional[Path] = None  # lint this path's content from `stdin_data` instead of disk
    stdin_data: Optional[bytes] = None
    progress: Optional[Callable[[int, int], None]] = None  # (done, total) of files analysed
    # Contents that replace files on disk for this run (absolute POSIX path -> bytes): the
    # editor's unsaved buffers, the fixed files `--diff` shows without writing. Read from the
    # cache when their digest is there; never written to it (the entry is the file on disk's).
    overlays: Dict[str, bytes] = field(default_factory=dict)


@dataclass
class RunResult:
    findings: List[Finding]
    targets: List[str]  # absolute POSIX paths linted
    project: Project
    display: Dict[str, str] = field(default_factory=dict)  # absolute path -> shown path

    def show(self, path: str) -> str:
        return self.display.get(path, path)


def display_path(path: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:  # another drive on Windows
        return Path(path).as_posix()
    return Path(rel).as_posix()


# -- the per-file phase, possibly in worker processes ----------------------------------------

_WORKER_CONFIG: Optional[Config] = None


def _init_worker(config: Config) -> None:
    global _WORKER_CONFIG
    _WORKER_CONFIG = config


def _work(job: Tuple[str, str, str, bool, Optional[bytes], str]) -> FileResult:
    path, rel, module, is_package, data, digest = job
    assert _WORKER_CONFIG is not None
    # No automatic collection while one file is analysed: parsing and walking allocate millions
    # of objects, so the collector runs hundreds of times per file and finds almost nothing (the
    # tree is alive until the file is done). Its cyclic garbage is collected once, after the file
    # (`keep` in the serial loop, `_work_in_pool` in workers; measured: -15% CPU cold, same peak
    # memory).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return analyze_path(Path(path), rel, module, is_package, _WORKER_CONFIG, data=data, digest=digest)
    finally:
        if enabled:
            gc.enable()


def _analyze_all(jobs: List[tuple], config: Config, workers: int,
                 progress: Optional[Callable[[int, int], None]]) -> List[FileResult]:
    """Every job's FileResult, in the order of `jobs` whatever the parallelism."""
    total = len(jobs)
    keep = _results_kept_out_of_gc(total)
    if workers <= 1 or total < PARALLEL_THRESHOLD:
        _init_worker(config)
        out = []
        for i, job in enumerate(jobs, 1):
            out.append(_work(job))
            keep()
            if progress:
                progress(i, total)
        return out
    # Largest files first, in small chunks: the costliest files start early instead of
    # ending the run on one busy worker (simulated from measured per-file costs: within 0.1% of
    # the ideal makespan at 2-16 workers). Ties keep the discovery order; the results are put
    # back in the order of `jobs`.
    order = sorted(range(total), key=lambda i: (-_job_size(jobs[i]), i))
    chunk = max(1, min(4, total // (workers * 8)))
    walk_prepare()  # computed once here, inherited by forked workers
    out_of_order: List[Optional[FileResult]] = [None] * total
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(config,)) as pool:
        results = pool.map(_work_in_pool, [jobs[i] for i in order], chunksize=chunk)
        for n, (i, res) in enumerate(zip(order, results), 1):
            out_of_order[i] = res
            keep()
            if progress:
                progress(n, total)
    return [r for r in out_of_order if r is not None]


def _work_in_pool(job: tuple) -> FileResult:
    res = _work(job)
    # A worker keeps nothing between files, but its full collections scan everything it imported
    # and every tree not yet collected: collect now and freeze the survivors (the same as
    # _results_kept_out_of_gc below does in the parent; measured: -10% CPU in the workers).
    if gc.isenabled():
        gc.collect()
        gc.freeze()
    return res


def _job_size(job: tuple) -> int:
    data = job[4]
    return len(data) if data is not None else 0


def _results_kept_out_of_gc(total: int) -> Callable[[], None]:
    """While results accumulate, keep them out of the garbage collector's full collections.

    Each file's analysis leaves cyclic garbage (its tree, kept alive by closures in the checks
    and in ast.literal_eval) that only a collection frees; those trees reach the oldest
    generation, so full collections run, and each one scans every result kept so far: with one
    process that was ~17% of the per-file phase on 1,500 files, growing with the project. So after
    each result: collect (cheap: everything older is frozen) and freeze what survived — the
    results — so no later collection scans them again. Everything is unfrozen when the run ends
    (`_gc_thaw`, shared with `_gc_paused`). Left alone for a few files, or when the collector is
    disabled."""
    if total < 64 or not gc.isenabled():
        return lambda: None

    def keep() -> None:
        gc.collect()
        gc.freeze()
        _FROZEN[0] = True

    return keep


# -- the run ---------------------------------------------------------------------------------

def run(opts: RunOptions) -> RunResult:
    try:
        return _run(opts)
    finally:
        _gc_thaw()


def _run(opts: RunOptions) -> RunResult:
    config = opts.config
    root = config.root.resolve()
    paths = [p for p in opts.paths if str(p) != "-"]
    found = discover(paths, config, force_exclude=opts.force_exclude)
    targets = [p.as_posix() for p in found.targets]
    project_files = [p.as_posix() for p in found.project]
    stdin_abs = None
    if opts.stdin_path is not None:
        stdin_abs = opts.stdin_path.absolute().as_posix()
        if stdin_abs not in targets:
            targets.append(stdin_abs)
        if stdin_abs not in project_files:
            project_files.append(stdin_abs)

    cache = Cache(root, config.cache_key(), enabled=opts.use_cache)
    with _gc_paused():
        results, jobs = _from_cache(cache, project_files, root, stdin_abs, opts)
    workers = opts.jobs or os.cpu_count() or 1
    for res in _analyze_all(jobs, config, workers, opts.progress):
        results[res.path] = res
        if res.path != stdin_abs and res.path not in opts.overlays:
            cache.put(res)
    cache.prune(set(project_files))

    # The linked findings of every file (the selection comes later: they depend on no option of
    # the run), reused as they are when no file of the project changed.
    key = None
    if stdin_abs is None and not opts.overlays and all(r.digest for r in results.values()):
        extra = [i for c in all_checks() for i in c.link_inputs(root)]
        key = linked_key([(p, r.digest) for p, r in results.items()] + extra)
    linked = cache.linked(key) if key else None
    project = Project(results, config)
    if linked is None:
        try:
            with _gc_paused():
                linked = _link(project)
        except CacheDamaged:
            # A damaged cache file: what came from it is analysed again, and it is rewritten.
            cache.discard()
            cache = Cache(root, config.cache_key(), enabled=opts.use_cache, load=False)
            results = {p: r for p, r in results.items() if isinstance(r.facts, dict)}
            redo = [_job(p, root, *_read(p, stdin_abs, opts)) for p in project_files if p not in results]
            for res in _analyze_all(redo, config, workers, opts.progress):
                results[res.path] = res
            for res in results.values():
                if res.path != stdin_abs and res.path not in opts.overlays:
                    cache.put(res)
            project = Project(results, config)
            with _gc_paused():
                linked = _link(project)
        if key:
            cache.put_linked(key, linked)
    cache.save()

    with _gc_paused():
        target_set = set(targets)
        by_file: Dict[str, List[Finding]] = {t: list(results[t].findings) for t in targets if t in results}
        for f in linked:
            if f.path in target_set:
                by_file.setdefault(f.path, []).append(f)
        unreached.demote(project, by_file)  # findings in code nothing runs are shown as info

        findings = _filter(by_file, results, config)
        cwd = os.getcwd()
        display = {t: display_path(t, cwd) for t in targets}
        if opts.stdin_path is not None and stdin_abs is not None:
            display[stdin_abs] = Path(str(opts.stdin_path)).as_posix()
        findings = _finish(findings, display, {p: r.rel for p, r in results.items()}, config, opts, results)
    return RunResult(findings=findings, targets=targets, project=project, display=display)


# -- cache and link --------------------------------------------------------------------------

@contextmanager
def _gc_paused():
    """No cyclic garbage collection while plain data is decoded and linked: those phases build
    millions of small acyclic objects (freed by reference counting alone), and each collection
    would walk all of them again (measured: more than half of a warm run). On the way out what
    was built is frozen (moved out of the collector's sight, as before a fork) rather than left
    for the next collection to walk once more; `_gc_thaw` at the end of the run gives it back."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if hasattr(gc, "freeze"):
            gc.freeze()
            _FROZEN[0] = True
        if enabled:
            gc.enable()


_FROZEN = [False]


def _gc_thaw() -> None:
    if _FROZEN[0]:
        _FROZEN[0] = False
        gc.unfreeze()


def _read(path: str, stdin_abs: Optional[str], opts: RunOptions) -> Tuple[Optional[bytes], str]:
    if path == stdin_abs:
        data: Optional[bytes] = opts.stdin_data or b""
    elif path in opts.overlays:
        data = opts.overlays[path]
    else:
        try:
            data = Path(path).read_bytes()
        except OSError:
            data = None  # analyze_path reads again and reports why it cannot
    return data, (hashlib.sha256(data).hexdigest() if data is not None else "")


def _job(path: str, root: Path, data: Optional[bytes], digest: str) -> tuple:
    """(path, rel, module, is_package, data, digest): what a worker analyses."""
    mod, is_pkg = module_name(Path(path), root)
    return (path, display_path(path, str(root)), mod, is_pkg, data, digest)


def _from_cache(cache: Cache, project_files: List[str], root: Path, stdin_abs: Optional[str],
                opts: RunOptions) -> Tuple[Dict[str, FileResult], List[tuple]]:
    """The cached results of unchanged files, and the jobs for the others."""
    results: Dict[str, FileResult] = {}
    jobs = []
    for path in project_files:
        data, digest = _read(path, stdin_abs, opts)
        cached = cache.get(path, digest) if data is not None and path != stdin_abs else None
        if cached is not None:
            results[path] = cached
        else:
            jobs.append(_job(path, root, data, digest))
    return results, jobs


def _link(project: Project) -> List[Finding]:
    out: List[Finding] = []
    for check in all_checks():
        out.extend(check.link(project))
    return out


def _filter(by_file: Dict[str, List[Finding]], results: Dict[str, FileResult], config: Config) -> List[Finding]:
    """Selection, per-file-ignores and inline suppressions; then FAL001 for suppressions that
    silenced nothing although their rule ran."""
    enabled = config.enabled_rules()
    rules = all_rules()
    known = set(rules)
    implemented = {r for r, rule in rules.items() if rule.implemented}
    out: List[Finding] = []
    for path in sorted(by_file):
        res = results.get(path)
        rel = res.rel if res else path
        active = set(enabled) - set(config.ignored_for(rel))
        kept = [f for f in by_file[path] if f.rule in active]
        if res is not None and res.suppressions:
            kept = apply_suppressions(kept, res.suppressions)
            if UNUSED_SUPPRESSION in active:
                kept.extend(apply_suppressions(
                    unused_suppressions(path, res.suppressions, active & implemented, known),
                    res.suppressions))
        out.extend(kept)
    return out


def _with_file_masks(f: Finding, masks) -> Finding:
    extra = tuple(m for m in masks if f.span.line <= m[0] <= f.span.end_line and tuple(m) not in f.masks)
    return f.with_(masks=f.masks + tuple(tuple(m) for m in extra)) if extra else f


def _finish(findings: List[Finding], display: Dict[str, str], rel: Dict[str, str], config: Config,
            opts: RunOptions, results: Optional[Dict[str, FileResult]] = None) -> List[Finding]:
    results = results or {}
    rules = all_rules()
    lines_cache: Dict[str, List[str]] = {}

    def source_lines(path: str) -> List[str]:
        if path not in lines_cache:
            if opts.stdin_path is not None and path == opts.stdin_path.absolute().as_posix():
                raw = opts.stdin_data or b""
            elif path in opts.overlays:
                raw = opts.overlays[path]
            else:
                try:
                    raw = Path(path).read_bytes()
                except OSError:
                    raw = b""
            lines_cache[path] = raw.decode("utf-8", "replace").splitlines()
        return lines_cache[path]

    def line_text(f: Finding) -> str:
        lines = source_lines(f.path)
        text = lines[f.line - 1] if 0 < f.line <= len(lines) else ""
        return mask_line(text, f.line, f.masks)

    # A secret literal is masked on every line shown, whichever finding shows it (a suppressed
    # or deselected FAL301 must not leave its value in another rule's code frame).
    file_masks = {p: r.masks for p, r in results.items() if getattr(r, "masks", None)}
    if file_masks:
        findings = [_with_file_masks(f, file_masks.get(f.path, ())) for f in findings]

    findings = _templates_once(findings, results, rel)
    finished = []
    # Fingerprints use the root-relative path: the same on every machine and from any directory.
    for f in assign_fingerprints(findings, line_text, lambda f: rel.get(f.path, f.path)):
        rule = rules.get(f.rule)
        severity = f.severity or (rule.severity if rule else None)
        if _not_application(f, rel.get(f.path, f.path), source_lines):
            severity = TEST_CODE_SEVERITY  # shown, not failing the run
        spec_ref = config.spec_refs.get(f.rule) or (rule.spec_section if rule else None) or None
        finished.append(f.with_(path=display.get(f.path, f.path), severity=severity, spec_ref=spec_ref))
    finished.sort(key=Finding.sort_key)
    return finished


# The secrets family judges development tooling itself: a stand-in password in a script is
# shown as info, a real-looking key there is still a leak.
_OWN_TOOLING_POLICY = frozenset({"FAL301", "FAL302"})


def _not_application(f: Finding, rel_path: str, source_lines: Callable[[str], List[str]]) -> bool:
    """Code that is not the application gets test code's severity: documentation and examples
    written for readers, project templates, standalone scripts, and a module's
    `if __name__ == "__main__":` block."""
    if f.rule == "FAL000":
        return False
    if is_documentation_path(rel_path) or is_example_path(rel_path) or "{{" in rel_path:
        return True  # for readers, or a project generator's template (`{{cookiecutter.name}}/`)
    if f.rule in _OWN_TOOLING_POLICY:
        return False
    if is_script_path(rel_path):
        return True
    first, last = main_guard_lines(source_lines(f.path))
    return first <= f.line <= last


def _templates_once(findings: List[Finding], results: Dict[str, FileResult], rel: Dict[str, str]) -> List[Finding]:
    """Files that do not parse because they are templates (Jinja or cookiecutter markup in a
    `.py` file) are one info finding per template directory, not an error per file."""
    groups: Dict[str, List[Finding]] = {}
    out: List[Finding] = []
    for f in findings:
        res = results.get(f.path)
        if f.rule == "FAL000" and res is not None and res.error == "template":
            groups.setdefault(template_root(rel.get(f.path, f.path)), []).append(f)
        else:
            out.append(f)
    for root, group in groups.items():
        group.sort(key=Finding.sort_key)
        n = len(group)
        where = f"under `{root}/`" if root else "at the project root"
        out.append(group[0].with_(
            span=Span(1, 1, 1, 1), severity=TEST_CODE_SEVERITY,
            message=(f"{n} file{'s' if n > 1 else ''} {where} {'hold' if n > 1 else 'holds'} template markup (Jinja or cookiecutter "
                     "`{{ … }}`, `{% … %}`), not Python: not analysed; lint the generated project instead"),
            extra={"template_files": n}))
    return out
