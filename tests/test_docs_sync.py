"""The README's and the spec's rule tables are generated from the rule documents; this test fails
when they drift. Regenerate with: FASTAUTHLINT_UPDATE_DOCS=1 python -m pytest tests/test_docs_sync.py"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from fastauthlint.config import declared_options
from fastauthlint.rules import all_rules

REPO = Path(__file__).resolve().parent.parent
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"


def rules_table(link_prefix: str) -> str:
    rows = ["| ID | name | severity | spec | status | what it finds |", "|---|---|---|---|---|---|"]
    for r in all_rules().values():
        rows.append(f"| [{r.id}]({link_prefix}{r.id}.md) | {r.name} | {r.severity.value} | "
                    f"{r.spec_section or '—'} | {r.status} | {r.summary} |")
    return "\n".join(rows)


def options_table() -> str:
    rows = ["| key | type | default | rules | meaning |", "|---|---|---|---|---|"]
    for key, opt in sorted(declared_options().items()):
        default = json.dumps(opt.default)
        rows.append(f"| `{key}` | {opt.kind} | `{default}` | {', '.join(opt.rules)} | {opt.help} |")
    return "\n".join(rows)


def _replace(text: str, start: str, end: str, body: str) -> str:
    assert start in text and end in text, f"markers {start} … {end} are missing"
    return re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: f"{start}\n{body}\n{end}", text, flags=re.S)


def _check(path: Path, link_prefix: str, options: bool = False) -> None:
    text = path.read_text(encoding="utf-8")
    fresh = _replace(text, START, END, rules_table(link_prefix))
    if options:
        fresh = _replace(fresh, "<!-- options-table:start -->", "<!-- options-table:end -->", options_table())
    if fresh != text and os.environ.get("FASTAUTHLINT_UPDATE_DOCS"):
        path.write_text(fresh, encoding="utf-8")
        return
    assert fresh == text, (f"the rule table in {path.relative_to(REPO)} is out of date; regenerate with "
                           "FASTAUTHLINT_UPDATE_DOCS=1 python -m pytest tests/test_docs_sync.py")


def test_readme_rule_table_is_in_sync():
    _check(REPO / "README.md", "rules/", options=True)


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


def test_readme_configuration_examples_are_valid(tmp_path):
    """Every [tool.fastauthlint] snippet in the README is accepted as written."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    from fastauthlint.config import parse_table

    text = (REPO / "README.md").read_text(encoding="utf-8")
    # (other TOML in the README: an editor's configuration)
    snippets = [s for s in re.findall(r"```toml\n(.*?)```", text, flags=re.S) if "[tool.fastauthlint]" in s]
    assert snippets
    for snippet in snippets:
        table = tomllib.loads(snippet)["tool"]["fastauthlint"]
        parse_table(table, root=tmp_path)
