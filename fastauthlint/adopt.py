"""Adopting fastauthlint on an existing codebase, between the run and the report: the baseline
(`--baseline`, `--write-baseline`), fixes (`--fix`, `--diff`, `--unsafe-fixes`) and which findings
have one (for the text and JSON reports and `--statistics`).

    run ─▶ baseline (hide known findings) ─▶ fix until stable (lint again after each round)
        ─▶ mark what is fixable ─▶ report
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import click

from fastauthlint import baseline
from fastauthlint.config import Config
from fastauthlint.findings import Finding


class AdoptError(Exception):
    """A usage or file problem of these options: exit code 2 with this message."""


@dataclass
class AdoptOptions:
    baseline: Optional[Path] = None
    write_baseline: Optional[Path] = None
    no_baseline: bool = False
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    statistics: bool = False


def options(command: Callable) -> Callable:
    """The click options of this module, gathered into `adopt: AdoptOptions`."""
    decorators = [
        click.option("--baseline", "baseline", type=click.Path(path_type=Path, dir_okay=False),
                     help="Report only findings not recorded in this baseline file (default: `baseline` "
                          "in the configuration)."),
        click.option("--write-baseline", type=click.Path(path_type=Path, dir_okay=False),
                     help="Record the current findings in this baseline file and exit 0."),
        click.option("--no-baseline", is_flag=True, help="Ignore the configured baseline: report every finding."),
        click.option("--fix", is_flag=True, help="Apply the safe fixes, then report what remains."),
        click.option("--unsafe-fixes", is_flag=True,
                     help="Also apply fixes that change behaviour beyond the finding (e.g. start-up fails "
                          "without a secret that had a literal fallback)."),
        click.option("--diff", is_flag=True,
                     help="Print the fixes as a unified diff and write nothing; exit 1 when there is "
                          "something to fix."),
        click.option("--statistics", is_flag=True, help="Count the findings per rule instead of listing them."),
    ]

    def wrapped(**kw):
        keys = [f.name for f in dataclasses.fields(AdoptOptions)]
        kw["adopt"] = AdoptOptions(**{k: kw.pop(k) for k in keys})
        return command(**kw)

    wrapped.__name__, wrapped.__doc__ = command.__name__, command.__doc__
    for decorate in reversed(decorators):
        wrapped = decorate(wrapped)
    return wrapped


@dataclass
class Adopted:
    findings: List[Finding]
    result: object  # the RunResult the findings come from (the last one after fixing)
    hidden: Optional[int] = None  # findings the baseline hid; None without a baseline
    fixed: int = 0
    output: Optional[str] = None  # replaces the report (--diff, --write-baseline)
    exit_code: Optional[int] = None  # decided here instead of by the findings
    notes: List[str] = field(default_factory=list)  # for standard error


def adopt(opts: AdoptOptions, config: Config, run_options, result, fmt: str) -> Adopted:
    from fastauthlint.engine import run
    from fastauthlint.fixes.memo import FixMemo
    from fastauthlint.fixes.session import Sources, annotate, fix_until_stable

    _check_combinations(opts, run_options)
    stdin_abs = run_options.stdin_path.absolute().as_posix() if run_options.stdin_path is not None else None
    overlays = {stdin_abs: run_options.stdin_data or b""} if stdin_abs else {}
    sources = Sources(config.root.resolve(), result.project.results.keys(), overlays)
    absolute = _absolute(result)
    keyer = baseline_keyer(config, sources, absolute)

    if opts.write_baseline is not None:
        base = baseline.build(result.findings, keyer)
        _baseline_call(baseline.write, opts.write_baseline, base)
        n = base.total
        return Adopted(findings=[], result=result, exit_code=0,
                       output=f"fastauthlint: wrote {n} finding{'s' if n != 1 else ''} to {opts.write_baseline}\n")

    path = opts.baseline or (None if opts.no_baseline else config.baseline)
    base = load_baseline(path) if path is not None else None

    def eligible(res) -> Tuple[List[Finding], Optional[int]]:
        if base is None:
            return list(res.findings), None
        return baseline.apply(res.findings, base, keyer)

    findings, hidden = eligible(result)
    out = Adopted(findings=findings, result=result, hidden=hidden)
    if opts.fix or opts.diff:
        def relint(current: Dict[str, bytes]):
            stdin_data = current.pop(stdin_abs, run_options.stdin_data) if stdin_abs else None
            res = run(dataclasses.replace(run_options, overlays=current, stdin_data=stdin_data, progress=None))
            nonlocal hidden
            kept, hidden = eligible(res)
            return kept, res

        fixed = fix_until_stable(findings, result, sources, absolute, relint, opts.unsafe_fixes)
        if opts.diff:
            return _diff_outcome(fixed, result, out)
        failed = _write(fixed.after, stdin_abs)
        if failed:
            raise AdoptError(f"cannot write the fixed file{'s' if len(failed) > 1 else ''} "
                             f"{', '.join(failed)}")
        out = Adopted(findings=fixed.findings, result=fixed.result, hidden=hidden, fixed=fixed.applied)
        if fixed.applied and fmt != "text":
            out.notes.append(f"fastauthlint: fixed {fixed.applied} finding{'s' if fixed.applied != 1 else ''} "
                             f"in {len(fixed.after)} file{'s' if len(fixed.after) != 1 else ''}")
    if fmt in ("text", "json") or opts.statistics:
        final = out.result.project.results
        memo = FixMemo(config.root, config.cache_key(), {p: r.digest for p, r in final.items() if r.digest},
                       enabled=run_options.use_cache and not sources.overlays)
        out.findings = annotate(out.findings, sources, _absolute(out.result), memo)
    return out


def _check_combinations(opts: AdoptOptions, run_options) -> None:
    if opts.write_baseline is not None and (opts.fix or opts.diff or opts.statistics):
        raise AdoptError("--write-baseline records findings; it does not go with --fix, --diff or --statistics")
    if opts.diff and opts.statistics:
        raise AdoptError("--diff prints the fixes; it does not go with --statistics")
    if opts.baseline is not None and opts.no_baseline:
        raise AdoptError("--baseline and --no-baseline contradict each other")
    if opts.unsafe_fixes and not (opts.fix or opts.diff):
        raise AdoptError("--unsafe-fixes goes with --fix or --diff")
    if run_options.stdin_path is not None and opts.fix and not opts.diff:
        raise AdoptError("--fix does not write standard input; use --diff (or the language server)")
    if run_options.stdin_path is not None and opts.write_baseline is not None:
        raise AdoptError("--write-baseline needs files, not standard input")


def baseline_keyer(config: Config, sources, absolute: Callable[[Finding], str]) -> baseline.Keyer:
    """Baseline keys with root-relative paths and the source lines this run sees."""
    from fastauthlint.engine import display_path

    root = str(config.root.resolve())
    return baseline.Keyer(rel=lambda f: display_path(absolute(f), root),
                          lines=lambda f: (sources.text(absolute(f)) or "").splitlines())


def load_baseline(path: Path) -> baseline.Baseline:
    return _baseline_call(baseline.load, path)


def _baseline_call(fn, *args):
    try:
        return fn(*args)
    except baseline.BaselineError as e:
        raise AdoptError(str(e)) from None


def _absolute(result) -> Callable[[Finding], str]:
    inverse = {shown: path for path, shown in result.display.items()}
    return lambda f: inverse.get(f.path, f.path)


def _write(after: Dict[str, bytes], stdin_abs: Optional[str]) -> List[str]:
    from fastauthlint.fixes.session import write_fixed

    return write_fixed({p: d for p, d in after.items() if p != stdin_abs})


def _diff_outcome(fixed, first, out: Adopted) -> Adopted:
    from fastauthlint.fixes.apply import decode
    from fastauthlint.fixes.diff import masks_by_file, unified_diff

    before_masks, after_masks = masks_by_file(first), masks_by_file(fixed.result)
    parts = []
    for path in sorted(fixed.after):
        old = decode(path, fixed.before[path])
        new = decode(path, fixed.after[path])
        shown = first.display.get(path, path)
        parts.append(unified_diff(shown, old[0] if old else "", new[0] if new else "",
                                  before_masks.get(path, ()), after_masks.get(path, ())))
    n, files = fixed.applied, len(fixed.after)
    note = (f"fastauthlint: would fix {n} finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}"
            if n else "fastauthlint: nothing to fix")
    return Adopted(findings=out.findings, result=first, hidden=out.hidden, output="".join(parts),
                   exit_code=1 if fixed.after else 0, notes=[note])
