"""Output formats. Each reporter turns a Report into text; none of them prints a raw secret
(findings carry masked messages, and source shown in code frames is masked by range)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from fastauthlint.findings import Finding

FORMATS = ("text", "concise", "json", "sarif", "github")
STATISTICS_FORMATS = ("text", "json")


@dataclass
class Report:
    findings: List[Finding]
    files_checked: int
    source_lines: Callable[[str], List[str]]  # shown path -> its lines (for code frames)
    # Adoption (fastauthlint.adopt): None when no baseline is in use; fixes applied by --fix;
    # whether unsafe fixes are applicable in this run (--unsafe-fixes).
    hidden_by_baseline: Optional[int] = None
    fixed: int = 0
    unsafe_fixes: bool = False

    def fix_applicable(self, f: Finding) -> bool:
        """Would `--fix` (with this run's `--unsafe-fixes`) resolve the finding?"""
        return f.fix is not None and (f.fix.applicability == "safe" or self.unsafe_fixes)

    def summary(self) -> Dict[str, object]:
        by_rule: Dict[str, int] = {}
        by_severity: Dict[str, int] = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
            sev = f.severity.value if f.severity else "error"
            by_severity[sev] = by_severity.get(sev, 0) + 1
        out: Dict[str, object] = {
            "files_checked": self.files_checked,
            "files_with_findings": len({f.path for f in self.findings}),
            "findings": len(self.findings),
            "by_severity": by_severity,
            "by_rule": dict(sorted(by_rule.items())),
            "fixable": sum(1 for f in self.findings if self.fix_applicable(f)),
            "fixable_with_unsafe_fixes": sum(1 for f in self.findings if f.fix and not self.fix_applicable(f)),
        }
        if self.fixed:
            out["fixed"] = self.fixed
        if self.hidden_by_baseline is not None:
            out["hidden_by_baseline"] = self.hidden_by_baseline
        return out


def render(fmt: str, report: Report, color: bool = False) -> str:
    if fmt == "text":
        from fastauthlint.report.text import render_text

        return render_text(report, color=color)
    if fmt == "concise":
        from fastauthlint.report.concise import render_concise

        return render_concise(report)
    if fmt == "json":
        from fastauthlint.report.json_report import render_json

        return render_json(report)
    if fmt == "sarif":
        from fastauthlint.report.sarif import render_sarif

        return render_sarif(report)
    if fmt == "github":
        from fastauthlint.report.github import render_github

        return render_github(report)
    raise ValueError(fmt)


def render_statistics(fmt: str, report: Report) -> str:
    from fastauthlint.report import statistics

    return statistics.render_statistics(fmt, report)
