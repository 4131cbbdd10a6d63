"""The README's and the spec's rule tables are generated from the rule documents; this test fails
when they drift. Regenerate with: FASTAUTHLINT_UPDATE_DOCS=1 python -m pytest tests/test_docs_sync.py"""

from __future__ import annotations

import os
import re
from pathlib import Path

from fastauthlint.rules import all_rules

REPO = Path(__file__).resolve().parent.parent
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"


def rules_table(link_prefix: str) -> str:
    rows = ["| ID | name | severity | spec | status | what it finds |", "|---|---|---|---|---|---|"]
    for r in all_rules().values():
        rows.append(f"| [{r.id}]({link_prefix}{r.id}.md) | {r.name} | {r.severity.value} | "
                    f"{r.spec_section or '—'} | {r.status} | {r.summary} |")
    return "\n".join(rows)


def _check(path: Path, link_prefix: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert START in text and END in text, f"{path.name} lacks the rules-table markers"
    fresh = re.sub(re.escape(START) + ".*?" + re.escape(END),
                   f"{START}\n{rules_table(link_prefix)}\n{END}", text, flags=re.S)
    if fresh != text and os.environ.get("FASTAUTHLINT_UPDATE_DOCS"):
        path.write_text(fresh, encoding="utf-8")
        return
    assert fresh == text, (f"the rule table in {path.relative_to(REPO)} is out of date; regenerate with "
                           "FASTAUTHLINT_UPDATE_DOCS=1 python -m pytest tests/test_docs_sync.py")


def test_readme_rule_table_is_in_sync():
    _check(REPO / "README.md", "rules/")


def test_spec_rule_table_is_in_sync():
    _check(REPO / "rules" / "README.md", "")


def test_readme_has_exactly_two_setup_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```(?:sh|bash|console)\n(.*?)```", block, flags=re.S)
    lines = [ln for c in commands for ln in c.strip().splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) == 2, lines
    assert "pip install" in lines[0] and "fastauthlint examples/" in lines[0]
    assert "pytest" in lines[1]
    ci = (REPO / ".ci" / "run").read_text()
    assert lines[1].strip() in ci, ".ci/run must run the README's test command"
