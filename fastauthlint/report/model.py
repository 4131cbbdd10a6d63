"""What every output format renders: the findings of a run and its summary (a leaf module that
the formats import, so the package that dispatches to them is not imported back)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from fastauthlint.findings import Finding


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
    # Info findings left out of a text/concise/github listing (rule -> count), without --show-info.
    hidden_info: Dict[str, int] = field(default_factory=dict)

    def hidden_info_line(self) -> Optional[str]:
        """One line that counts the info findings not listed, or None when none was left out."""
        n = sum(self.hidden_info.values())
        if not n:
            return None
        rules = ", ".join(f"{rule} ×{count}" for rule, count in self.hidden_info.items())
        return (f"{n} info finding{'s' if n != 1 else ''} not shown ({rules}): code that is not the application "
                "or reads of public data; --show-info lists them")

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
