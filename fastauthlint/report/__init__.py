"""Output formats. Each reporter turns a Report into text; none of them prints a raw secret
(findings carry masked messages, and source shown in code frames is masked by range)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List

from fastauthlint.findings import Finding

FORMATS = ("text", "concise", "json", "sarif", "github")


@dataclass
class Report:
    findings: List[Finding]
    files_checked: int
    source_lines: Callable[[str], List[str]]  # shown path -> its lines (for code frames)

    def summary(self) -> Dict[str, object]:
        by_rule: Dict[str, int] = {}
        by_severity: Dict[str, int] = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
            sev = f.severity.value if f.severity else "error"
            by_severity[sev] = by_severity.get(sev, 0) + 1
        return {
            "files_checked": self.files_checked,
            "files_with_findings": len({f.path for f in self.findings}),
            "findings": len(self.findings),
            "by_severity": by_severity,
            "by_rule": dict(sorted(by_rule.items())),
        }


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
