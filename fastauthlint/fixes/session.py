"""Fixes across a run: which findings have one (`annotate`), and `--fix`/`--diff` applying them
until the code is stable (`fix_until_stable`).

The sources are read as the run saw them: from disk, or from overlays (standard input, an
editor's unsaved buffer, a file fixed in an earlier round that `--diff` has not written). Each
round fixes every file in memory, then lints again with the fixed contents as overlays, because
one fix can bring out another finding (a decode that verifies its signature again must pin its
algorithms); a few rounds at most, and a round that changes nothing ends it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from fastauthlint.discovery import module_name
from fastauthlint.fileio import write_atomic
from fastauthlint.findings import Finding, FixInfo
from fastauthlint.fixes.apply import decode, encode, fixable, fix_text, parse_context, plan_all
from fastauthlint.fixes.context import FixContext
from fastauthlint.fixes.hints import ProjectHints
from fastauthlint.fixes.memo import FixMemo, key_of, lookup

MAX_ROUNDS = 4


class Sources:
    """Bytes and parsed contexts of the project's files as one run sees them."""

    def __init__(self, root: Path, project_files: Iterable[str], overlays: Optional[Dict[str, bytes]] = None):
        self.root = root
        self.overlays: Dict[str, bytes] = dict(overlays or {})
        self.hints = ProjectHints(project_files, self.text, root.as_posix())

    def data(self, path: str) -> Optional[bytes]:
        if path in self.overlays:
            return self.overlays[path]
        try:
            return Path(path).read_bytes()
        except OSError:
            return None

    def text(self, path: str) -> Optional[str]:
        data = self.data(path)
        decoded = decode(path, data) if data is not None else None
        return decoded[0] if decoded else None

    def context(self, path: str) -> Optional[Tuple[FixContext, str]]:
        """(FixContext, encoding) of a file, or None when it cannot be read, decoded or parsed."""
        data = self.data(path)
        decoded = decode(path, data) if data is not None else None
        if decoded is None:
            return None
        text, encoding = decoded
        mod, is_pkg = module_name(Path(path), self.root)
        ctx = parse_context(path, text, mod, is_pkg, self.hints)
        return (ctx, encoding) if ctx is not None else None


def by_file(findings: Iterable[Finding], absolute: Callable[[Finding], str]) -> Dict[str, List[Finding]]:
    """The fixable findings of each file (absolute path); none of a file that did not parse."""
    out: Dict[str, List[Finding]] = {}
    broken = set()
    for f in findings:
        if f.rule == "FAL000":
            broken.add(absolute(f))
        elif fixable(f.rule):
            out.setdefault(absolute(f), []).append(f)
    return {p: fs for p, fs in out.items() if p not in broken}


def annotate(findings: Sequence[Finding], sources: Sources, absolute: Callable[[Finding], str],
             memo: Optional[FixMemo] = None) -> List[Finding]:
    """`findings` with `fix` set on those a fix resolves (one parse per file that has any, unless
    `memo` remembers the answers)."""
    infos: Dict[int, FixInfo] = {}
    for path, fs in by_file(findings, absolute).items():
        answers = memo.get(path, fs) if memo is not None else None
        if answers is None:
            sources.hints.used = False
            parsed = sources.context(path)
            planned = {id(p.finding): p for p in plan_all(parsed[0], fs)} if parsed is not None else {}
            answers = {key_of(f): ((planned[id(f)].applicability, planned[id(f)].message)
                                   if id(f) in planned else None) for f in fs}
            if memo is not None:
                memo.put(path, answers, sources.hints.used)
        for f in fs:
            info = lookup(answers, f)
            if info is not None:
                infos[id(f)] = info
    if memo is not None:
        memo.save()
    return [f.with_(fix=infos[id(f)]) if id(f) in infos else f for f in findings]


@dataclass
class FixOutcome:
    findings: List[Finding]  # what remains after the last round
    result: object  # the last RunResult
    before: Dict[str, bytes] = field(default_factory=dict)  # path -> content before fixing
    after: Dict[str, bytes] = field(default_factory=dict)  # path -> content after fixing
    applied: int = 0
    by_rule: Dict[str, int] = field(default_factory=dict)


def fix_until_stable(findings: List[Finding], result: object, sources: Sources,
                     absolute: Callable[[Finding], str],
                     relint: Callable[[Dict[str, bytes]], Tuple[List[Finding], object]],
                     allow_unsafe: bool) -> FixOutcome:
    """Apply fixes to `findings` (from `result`), lint again, repeat. `relint(overlays)` lints
    with those contents and returns (findings eligible for fixing and reporting, run result)."""
    out = FixOutcome(findings=findings, result=result)
    for _ in range(MAX_ROUNDS):
        changed = False
        for path, fs in sorted(by_file(out.findings, absolute).items()):
            parsed = sources.context(path)
            if parsed is None:
                continue
            ctx, encoding = parsed
            code, plans = fix_text(ctx, fs, allow_unsafe)
            if code is None:
                continue
            out.before.setdefault(path, sources.data(path) or b"")
            sources.overlays[path] = out.after[path] = encode(code, encoding)
            out.applied += len(plans)
            for p in plans:
                out.by_rule[p.finding.rule] = out.by_rule.get(p.finding.rule, 0) + 1
            changed = True
        if not changed:
            break
        out.findings, out.result = relint(dict(sources.overlays))
    return out


def write_fixed(after: Dict[str, bytes]) -> List[str]:
    """Write the fixed files (atomically, keeping their mode); the paths that failed."""
    failed = []
    for path, data in sorted(after.items()):
        try:
            write_atomic(Path(path).resolve(), data, keep_mode=True)
        except OSError:
            failed.append(path)
    return failed
