"""Linting an editor's buffer with the facts of its whole project (no pygls here).

A buffer is linted as `fastauthlint - --stdin-filename PATH` would lint it: the project root and
configuration come from the file's `pyproject.toml`, every other file of the project supplies
its facts (from the cache when unchanged), and other open buffers replace their files on disk.
A route protected by an `include_router` in another file is therefore not reported, and a change
to that file in another buffer counts before it is saved. The configured baseline applies, as on
the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from fastauthlint import baseline
from fastauthlint.adopt import AdoptError, baseline_keyer, load_baseline
from fastauthlint.config import Config, load_config
from fastauthlint.engine import RunOptions, run
from fastauthlint.findings import Finding
from fastauthlint.fixes.apply import apply_plans, plan_all
from fastauthlint.fixes.context import SAFE, FixPlan
from fastauthlint.fixes.session import Sources, annotate


def file_path(path: str) -> str:
    """The path as discovery names project files (directories resolved, the file's own name
    kept), so that the buffer replaces its file instead of joining the project twice."""
    p = Path(path).absolute()
    return (p.parent.resolve() / p.name).as_posix()


@dataclass
class Linted:
    path: str
    text: str
    findings: List[Finding]
    config: Config
    sources: Sources
    problems: List[str] = field(default_factory=list)  # e.g. a baseline that cannot be read


class Linter:
    def __init__(self, jobs: int = 0, use_cache: bool = True):
        self.jobs = jobs
        self.use_cache = use_cache

    def lint(self, path: str, text: str, others: Optional[Dict[str, str]] = None) -> Linted:
        """Findings of the buffer `text` of file `path`; `others`: other open buffers by path.
        Raises ConfigError for a bad configuration (the server shows it)."""
        path = file_path(path)
        config = load_config([Path(path)])
        data = text.encode("utf-8")
        overlays = {file_path(p): t.encode("utf-8") for p, t in (others or {}).items()}
        overlays.pop(path, None)
        result = run(RunOptions(paths=[], config=config, jobs=self.jobs, use_cache=self.use_cache,
                                stdin_path=Path(path), stdin_data=data, overlays=overlays))
        findings = [f for f in result.findings if f.path == path]
        sources = Sources(config.root.resolve(), result.project.results.keys(), {**overlays, path: data})
        problems: List[str] = []
        if config.baseline is not None:
            try:
                base = load_baseline(config.baseline)
                findings, _ = baseline.apply(findings, base, baseline_keyer(config, sources, lambda f: f.path))
            except AdoptError as e:
                problems.append(str(e))
        findings = annotate(findings, sources, lambda f: f.path)
        return Linted(path, text, findings, config, sources, problems)

    @staticmethod
    def fixed(linted: Linted, findings: List[Finding], allow_unsafe: bool = True
              ) -> Optional[Tuple[str, List[FixPlan]]]:
        """The buffer with the fixes of `findings` applied, and the plans; None when none applies
        (the buffer changed since it was linted, or the code is not the shape the fix expects)."""
        parsed = linted.sources.context(linted.path)
        if parsed is None:
            return None
        ctx = parsed[0]
        if ctx.text != linted.text:
            return None
        plans = [p for p in plan_all(ctx, findings) if allow_unsafe or p.applicability == SAFE]
        code = apply_plans(ctx, plans) if plans else None
        if code is None or code == linted.text:
            return None
        return code, plans
