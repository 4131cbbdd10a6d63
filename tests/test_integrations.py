"""Repository files other tools read: the pre-commit hook and the problem matchers, checked
against the console script's real `concise` output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
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


# -- pre-commit, run by pre-commit itself ---------------------------------------------------------

def _git(root: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                   env={**__import__("os").environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def test_pre_commit_runs_the_hook_and_fails_on_a_planted_bug(tmp_path):
    """pre-commit itself runs the hook as `.pre-commit-hooks.yaml` defines it (entry, file types,
    serial), with the installed fastauthlint (`language: system`: installing the hook's own
    environment from the repository is pip's business and takes a minute)."""
    import os
    import shutil
    import subprocess
    import sys

    pytest.importorskip("pre_commit", reason="pre-commit is not installed")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    hook = next(h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text()) if h["id"] == "fastauthlint")
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.fastauthlint]\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "session.py").write_text(
        "from fastapi import Response\n\n\ndef login(response: Response, token: str) -> None:\n"
        "    response.set_cookie(\"access_token\", token)\n")
    (root / "README.md").write_text("not python: pre-commit does not pass it\n")
    local = dict(hook, language="system", entry=hook["entry"])
    local.pop("minimum_pre_commit_version", None)
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pc-home"), "NO_COLOR": "1",
           "FASTAUTHLINT_CACHE_DIR": str(tmp_path / "cache"),
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    cmd = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"]
    failed = subprocess.run(cmd, cwd=root, env=env, capture_output=True, timeout=120)
    out = failed.stdout.decode()
    assert failed.returncode == 1, out + failed.stderr.decode()
    assert "fastauthlint" in out and "Failed" in out
    assert "app/session.py:5:5: FAL603" in out
    subprocess.run([sys.executable, "-m", "fastauthlint", "--fix", "--exit-zero", "app"], cwd=root, env=env,
                   capture_output=True, timeout=120)
    _git(root, "add", "-A")
    passed = subprocess.run(cmd, cwd=root, env=env, capture_output=True, timeout=120)
    assert passed.returncode == 0, passed.stdout.decode()


# -- the GitHub Action ----------------------------------------------------------------------------

def _action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text())


def test_action_definition():
    action = _action()
    assert set(action["inputs"]) >= {"paths", "version", "sarif-file", "args"}
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    for step in steps[1:]:
        assert step["shell"] == "bash"
        # inputs reach scripts through env only: nothing a pull request writes becomes shell
        assert "${{" not in step["run"], step["name"]


def _script(name: str) -> str:
    return next(s["run"] for s in _action()["runs"]["steps"] if s.get("name") == name)


def test_action_install_step_picks_the_package(tmp_path):
    import os
    import subprocess

    fake = tmp_path / "bin"
    fake.mkdir()
    # a `python` that makes a venv whose pip only says what it would install
    (fake / "python").write_text('#!/usr/bin/env bash\nmkdir -p "$3/bin"\n'
                                 'printf \'#!/usr/bin/env bash\\necho "pip $*"\\n\' > "$3/bin/pip"\n'
                                 'chmod +x "$3/bin/pip"\n')
    (fake / "python").chmod(0o755)
    for version, spec in (("action", "/actions/fastauthlint"), ("latest", "fastauthlint"),
                          ("0.2.0", "fastauthlint==0.2.0")):
        env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "RUNNER_TEMP": str(tmp_path),
               "FASTAUTHLINT_VERSION": version, "FASTAUTHLINT_ACTION_PATH": "/actions/fastauthlint"}
        proc = subprocess.run(["bash", "-c", _script("Install fastauthlint")], env=env, capture_output=True, timeout=30)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.decode().split()[-1] == spec


def test_action_run_step_annotates_and_writes_sarif(tmp_path):
    import os
    import subprocess
    import sys

    venv_bin = tmp_path / "fastauthlint-venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "fastauthlint").symlink_to(Path(sys.executable).parent / "fastauthlint")
    root = tmp_path / "repo"
    (root / "src" / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.fastauthlint]\n")
    (root / "src" / "app" / "session.py").write_text(
        "from fastapi import Response\n\n\ndef login(response: Response, token: str) -> None:\n"
        "    response.set_cookie(\"access_token\", token)\n")
    env = {**os.environ, "RUNNER_TEMP": str(tmp_path), "INPUT_PATHS": "src", "INPUT_ARGS": "--fail-on warning",
           "INPUT_SARIF_FILE": "results.sarif", "NO_COLOR": "1", "FASTAUTHLINT_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(["bash", "-c", _script("Run fastauthlint")], cwd=root, env=env, capture_output=True,
                          timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.decode().startswith("::warning file=src/app/session.py,line=5,col=5,")
    sarif = json.loads((root / "results.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["FAL603"]
    env.update(INPUT_ARGS="", INPUT_SARIF_FILE="")
    (root / "src" / "app" / "session.py").write_text("VALUE = 1\n")
    clean = subprocess.run(["bash", "-c", _script("Run fastauthlint")], cwd=root, env=env, capture_output=True,
                           timeout=120)
    assert clean.returncode == 0 and clean.stdout == b"", clean.stderr


def test_readme_shows_the_action_in_five_lines():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("### GitHub Action", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    lines = [ln for ln in block.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert len(lines) == 5, lines
    steps = yaml.safe_load(block)
    uses = next(s for s in steps if "fastauthlint" in s.get("uses", ""))
    assert set(uses.get("with", {})) <= set(_action()["inputs"])
