"""`--statistics`: how many findings of each rule, most frequent first (ruff's layout), for the
first look at a large codebase."""

from __future__ import annotations

import json
from typing import Dict, List

from fastauthlint.report.model import Report
from fastauthlint.rules import get_rule


def rows(report: Report) -> List[Dict[str, object]]:
    counts: Dict[str, int] = {}
    fixable: Dict[str, int] = {}
    for f in report.findings:
        counts[f.rule] = counts.get(f.rule, 0) + 1
        if report.fix_applicable(f):
            fixable[f.rule] = fixable.get(f.rule, 0) + 1
    out = []
    for rule_id, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = get_rule(rule_id)
        out.append({"code": rule_id, "name": rule.name if rule else rule_id, "count": n,
                    "fixable": fixable.get(rule_id, 0)})
    return out


def render_statistics(fmt: str, report: Report) -> str:
    table = rows(report)
    if fmt == "json":
        return json.dumps(table, indent=2) + "\n"
    width = max((len(str(r["count"])) for r in table), default=1)
    # `[*]` all fixable, `[-]` some fixable, blank none
    lines = []
    for r in table:
        mark = "[*]" if r["fixable"] == r["count"] else ("[-]" if r["fixable"] else "   ")
        lines.append(f"{r['count']:>{width}}\t{r['code']}\t{mark} {r['name']}")
    from fastauthlint.report.text import adoption_lines

    lines.extend(adoption_lines(report))
    if not table:
        lines.insert(0, "No findings.")
    return "\n".join(lines) + "\n"
