"""What every output format renders: the findings of a run and its summary (a leaf module that
the formats import, so the package that dispatches to them is not imported back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List

from fastauthlint.findings import Finding


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
