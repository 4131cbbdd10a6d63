"""Repository files other tools read: the pre-commit hook and the problem matchers, checked
against the console script's real `concise` output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from conftest import run_cli

REPO = Path(__file__).resolve().parent.parent


def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "fastauthlint")
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "pyi"]
    assert hook["require_serial"] is True
    assert hook["entry"].split()[0] == "fastauthlint" and "--force-exclude" in hook["entry"].split()


def _matchers():
    gh = json.loads((REPO / ".github" / "fastauthlint-problem-matcher.json").read_text())["problemMatcher"]
    vscode = json.loads((REPO / ".vscode" / "tasks.json").read_text())["tasks"][0]["problemMatcher"]
    return gh, vscode


def _parse(pattern: dict, line: str, default_severity: str = ""):
    m = re.match(pattern["regexp"], line)  # these JS regexes use only syntax Python shares
    if not m:
        return None
    sev = m.group(pattern["severity"]) if "severity" in pattern else default_severity
    return (m.group(pattern["file"]), int(m.group(pattern["line"])), int(m.group(pattern["column"])),
            m.group(pattern["code"]), sev, m.group(pattern["message"]))


def test_problem_matchers_parse_concise_output(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a b.py").write_text("x = (\n")  # a space in the path
    (tmp_path / "pkg" / "c.py").write_text("y = 1  # noqa: FAL9X9\n")
    proc = run_cli("--format", "concise", ".", cwd=tmp_path)
    lines = proc.stdout.decode().splitlines()
    expected = [
        ("pkg/a b.py", 1, 5, "FAL000", "error", "syntax error: '(' was never closed"),
        ("pkg/c.py", 1, 8, "FAL001", "warning", "suppression names unknown rule FAL9X9"),
    ]
    gh, vscode = _matchers()
    assert len(lines) == len(expected)
    for line, want in zip(lines, expected):
        # GitHub: exactly one of the matchers takes each line
        got = [p for p in (_parse(m["pattern"][0], line, m.get("severity", "error")) for m in gh) if p]
        assert got == [want]
        assert _parse(vscode["pattern"], line) == want
    info_line = "app/x.py:3:1: FAL301 [info] literal secret in test code"
    got = [p for p in (_parse(m["pattern"][0], info_line, m.get("severity", "error")) for m in gh) if p]
    assert got == [("app/x.py", 3, 1, "FAL301", "warning", "literal secret in test code")]
    assert _parse(vscode["pattern"], info_line)[4] == "info"
