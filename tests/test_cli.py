"""The command line through the installed console script: exit codes, formats, options, stdin."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from conftest import TESTS, run_cli

SARIF_SCHEMA = json.loads((TESTS / "data" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A small project with two findings that need no rule family: an unparseable file (FAL000)
    and a suppression naming a rule that does not exist (FAL001)."""
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.fastauthlint]\nspec-refs = { FAL000 = \"ACME-AUTH-9.1\" }\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "broken.py").write_text("from fastapi import APIRouter\nrouter = APIRouter(\n")
    (root / "app" / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()  # noqa: FAL1O1\n")
    (root / "app" / "clean.py").write_text("VALUE = 1\n")
    return root


def test_version_and_help():
    out = run_cli("--version")
    assert out.returncode == 0 and re.search(rb"fastauthlint, version \d+\.\d+", out.stdout)
    out = run_cli("--help")
    assert out.returncode == 0 and b"fastauthlint rule FAL501" in out.stdout


def test_exit_codes(project):
    assert run_cli("app/clean.py", cwd=project).returncode == 0
    assert run_cli("app", cwd=project).returncode == 1
    assert run_cli("--exit-zero", "app", cwd=project).returncode == 0
    assert run_cli("--format", "nope", "app", cwd=project).returncode == 2
    missing = run_cli("does/not/exist", cwd=project)
    assert missing.returncode == 2 and b"no such file or directory" in missing.stderr
    bad_select = run_cli("--select", "FAL9", "app", cwd=project)
    assert bad_select.returncode == 2 and b"unknown rule or prefix 'FAL9'" in bad_select.stderr
    for proc in (missing, bad_select):
        assert b"Traceback" not in proc.stderr


def test_default_command_and_explicit_lint(project):
    a = run_cli("--format", "concise", "app", cwd=project)
    b = run_cli("lint", "--format", "concise", "app", cwd=project)
    assert a.stdout == b.stdout and a.stdout


def test_text_format(project):
    out = run_cli("app", cwd=project).stdout.decode()
    assert "app/broken.py:2:19: FAL000 unparseable-file [error] (spec ACME-AUTH-9.1)" in out
    assert "  syntax error: '(' was never closed" in out
    assert "2 | router = APIRouter(" in out and "^ FAL000" in out
    assert "app/main.py:3:18: FAL001 unused-suppression [warning]" in out
    assert out.rstrip().endswith("Found 2 findings (1 error, 1 warning) in 2 of 4 files.")
    assert "\x1b[" not in out  # NO_COLOR / not a terminal: plain text
    clean = run_cli("app/clean.py", cwd=project).stdout.decode()
    assert clean.strip() == "No findings in 1 file."


def test_color_when_forced(project):
    out = run_cli("app", cwd=project, env={"FORCE_COLOR": "1", "NO_COLOR": ""}).stdout.decode()
    assert "\x1b[" in out


def test_concise_format(project):
    out = run_cli("--format", "concise", "app", cwd=project).stdout.decode().splitlines()
    assert out == [
        "app/broken.py:2:19: FAL000 [error] syntax error: '(' was never closed",
        "app/main.py:3:18: FAL001 [warning] suppression names unknown rule FAL1O1",
    ]


def test_json_format(project):
    doc = json.loads(run_cli("--format", "json", "app", cwd=project).stdout)
    assert doc["version"]
    assert doc["summary"]["findings"] == 2 and doc["summary"]["files_checked"] == 4
    first = doc["findings"][0]
    assert set(first) == {"rule", "name", "severity", "path", "line", "column", "end_line", "end_column",
                          "message", "spec_ref", "fingerprint", "fix"}
    assert first["fix"] is None  # a syntax error has no fix
    assert (first["rule"], first["path"], first["line"], first["column"]) == ("FAL000", "app/broken.py", 2, 19)
    assert first["spec_ref"] == "ACME-AUTH-9.1"
    assert re.fullmatch(r"[0-9a-f]{32}", first["fingerprint"])


def test_fingerprints_survive_line_shifts_and_working_directory(project):
    before = json.loads(run_cli("--format", "json", "app", cwd=project).stdout)["findings"]
    main = project / "app" / "main.py"
    main.write_text("# a new first line\n" + main.read_text())
    after = json.loads(run_cli("--format", "json", "proj/app", cwd=project.parent).stdout)["findings"]
    fp = {f["rule"]: f["fingerprint"] for f in before}
    assert {f["rule"]: f["fingerprint"] for f in after} == fp
    assert [f["line"] for f in after if f["rule"] == "FAL001"] == [4]


def test_sarif_format_is_valid_and_complete(project):
    doc = json.loads(run_cli("--format", "sarif", "app", cwd=project).stdout)
    jsonschema.validate(doc, SARIF_SCHEMA)
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
        assert float(r["properties"]["security-severity"]) >= 0
        assert "security" in r["properties"]["tags"]
    fal101 = rules[ids.index("FAL101")]
    assert "external/cwe/cwe-306" in fal101["properties"]["tags"]
    results = run["results"]
    assert len(results) == 2
    for res in results:
        assert ids[res["ruleIndex"]] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert res["partialFingerprints"]
        assert res["level"] in ("error", "warning", "note")
        assert res["message"]["text"]


def test_github_format(project):
    out = run_cli("--format", "github", "app", cwd=project).stdout.decode().splitlines()
    assert out[0] == ("::error file=app/broken.py,line=2,col=19,endLine=2,endColumn=19,"
                      "title=FAL000 unparseable-file::syntax error: '(' was never closed")
    assert out[1].startswith("::warning file=app/main.py,line=3,col=18,")


def test_output_file(project, tmp_path):
    target = tmp_path / "report.json"
    proc = run_cli("--format", "json", "--output", str(target), "app", cwd=project)
    assert proc.returncode == 1 and proc.stdout == b""
    assert json.loads(target.read_text())["summary"]["findings"] == 2


def test_select_and_ignore(project):
    out = run_cli("--format", "concise", "--select", "FAL0", "--ignore", "FAL001", "app", cwd=project)
    assert [line.split()[1] for line in out.stdout.decode().splitlines()] == ["FAL000"]


def test_stdin_with_filename(project):
    src = b"from fastapi import FastAPI\napp = FastAPI(\n"
    proc = run_cli("--format", "concise", "-", "--stdin-filename", "app/main.py", cwd=project, input=src)
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith("app/main.py:2:14: FAL000 [error]")
    # the file on disk is not what was linted
    assert b"FAL001" not in proc.stdout


def test_jobs_do_not_change_the_output(tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'many'\n")
    for i in range(40):
        body = f"x{i} = (\n" if i % 3 == 0 else f"y = {i}  # noqa: FAL9{i:02d}\n"
        (root / f"m{i:02d}.py").write_text(body)
    serial = run_cli("--format", "json", "--no-cache", "--jobs", "1", ".", cwd=root).stdout
    parallel = run_cli("--format", "json", "--no-cache", "--jobs", "4", ".", cwd=root).stdout
    cached = run_cli("--format", "json", "--jobs", "4", ".", cwd=root).stdout
    cached2 = run_cli("--format", "json", "--jobs", "4", ".", cwd=root).stdout
    assert serial == parallel == cached == cached2
    assert json.loads(serial)["summary"]["findings"] == 40


@pytest.mark.parametrize("app", ["routes_include_chain", "ownership_multitenant", "tokens_precision"])
def test_jobs_do_not_change_the_findings_of_a_real_app(tmp_path, app):
    # Cross-file findings (routes, ownership, token flow) are linked from facts gathered by
    # several workers: the order in which workers finish must never show in the output.
    # These apps have at least engine.PARALLEL_THRESHOLD files, so --jobs 2/4 use the pool.
    root = tmp_path / app
    shutil.copytree(TESTS / "fixtures" / "apps" / app, root)
    env = {"FASTAUTHLINT_CACHE_DIR": str(tmp_path / "cache")}
    runs = [run_cli("--format", "json", "--no-cache", "--jobs", str(j), ".", cwd=root).stdout for j in (1, 2, 4)]
    runs += [run_cli("--format", "json", "--jobs", str(j), ".", cwd=root, env=env).stdout for j in (4, 2, 1)]
    assert all(r == runs[0] for r in runs)
    assert json.loads(runs[0])["summary"]["findings"] > 3


def test_rules_and_rule_commands():
    listing = run_cli("rules").stdout.decode()
    assert "FAL101" in listing and "route-missing-auth" in listing
    rules = json.loads(run_cli("rules", "--format", "json").stdout)
    assert {r["id"] for r in rules} >= {"FAL000", "FAL101", "FAL501"}
    doc = run_cli("rule", "fal000")
    assert doc.returncode == 0 and doc.stdout.decode().startswith("# FAL000 unparseable-file")
    unknown = run_cli("rule", "FAL999")
    assert unknown.returncode == 2 and b"unknown rule" in unknown.stderr


def test_lint_a_directory_named_like_a_subcommand(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bad.py").write_text("x = (\n")
    proc = run_cli("lint", "--format", "concise", "rules", cwd=tmp_path)
    assert proc.returncode == 1 and b"rules/bad.py" in proc.stdout
    proc = run_cli("--format", "concise", "./rules", cwd=tmp_path)
    assert proc.returncode == 1 and b"rules/bad.py" in proc.stdout


def test_fail_on_threshold(tmp_path):
    """A literal password in test code is an info finding: shown, not failing, unless asked."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_login.py").write_text(
        'import jwt\n\nTEST_SECRET_KEY = "test-signing-key-0123456789abcdef"\n\n'
        'def test_login():\n    jwt.encode({"sub": "1", "exp": 1}, TEST_SECRET_KEY, algorithm="HS256")\n')
    out = run_cli("--format", "concise", ".", cwd=tmp_path)
    assert out.returncode == 0, out.stdout
    # not listed, counted in one line
    assert out.stdout.decode().splitlines() == [
        "1 info finding not shown (FAL301 ×1): code that is not the application or reads of public data; "
        "--show-info lists them"]
    listed = run_cli("--format", "concise", "--show-info", ".", cwd=tmp_path)
    assert listed.returncode == 0 and b"[info]" in listed.stdout
    assert b"[error]" not in listed.stdout and b"[warning]" not in listed.stdout
    failing = run_cli("--fail-on", "info", "--format", "concise", ".", cwd=tmp_path)
    assert failing.returncode == 1 and b"tests/test_login.py:3:" in failing.stdout  # listed when it fails the run
    (tmp_path / "pyproject.toml").write_text("[tool.fastauthlint]\nfail-on = 'info'\n")
    assert run_cli(".", cwd=tmp_path).returncode == 1
    (tmp_path / "pyproject.toml").write_text("[tool.fastauthlint]\nfail-on = 'never'\n")
    bad = run_cli(".", cwd=tmp_path)
    assert bad.returncode == 2 and b"'fail-on'" in bad.stderr


def _two_file_app(root: Path, protected: bool) -> None:
    (root / "app").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.fastauthlint]\nextend-exclude = ['legacy']\n")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "deps.py").write_text(
        "from fastapi import Depends, HTTPException\n"
        "from fastapi.security import OAuth2PasswordBearer\n\n"
        "oauth2 = OAuth2PasswordBearer(tokenUrl='token')\n\n"
        "def current_user(token: str = Depends(oauth2)):\n"
        "    return lookup(token)\n")
    deps = "[Depends(current_user)]" if protected else "[]"
    (root / "app" / "main.py").write_text(
        "from fastapi import Depends, FastAPI\n\nfrom app import items\nfrom app.deps import current_user\n\n"
        f"app = FastAPI()\napp.include_router(items.router, dependencies={deps})\n")
    (root / "app" / "items.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/items')\ndef list_items(limit: int = 10):\n    return load_items(limit)\n")


def test_pre_commit_subset_sees_protection_in_other_files_and_follows_their_changes(tmp_path):
    """pre-commit passes only changed files: facts still come from the whole project (the
    protection lives in main.py), findings only for the files passed, and a change in another
    file is not hidden by the cache."""
    _two_file_app(tmp_path, protected=True)
    ok = run_cli("--force-exclude", "--format", "concise", "app/items.py", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout
    _two_file_app(tmp_path, protected=False)  # main.py changes; items.py does not
    bad = run_cli("--force-exclude", "--format", "concise", "app/items.py", cwd=tmp_path)
    assert bad.returncode == 1
    lines = bad.stdout.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("app/items.py:6:1: FAL101")
    # findings in files not passed are not reported
    assert run_cli("--force-exclude", "app/deps.py", cwd=tmp_path).returncode == 0
    # an excluded file passed by pre-commit is skipped with --force-exclude
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_text("x = (\n")
    assert run_cli("--force-exclude", "legacy/old.py", cwd=tmp_path).returncode == 0
    assert run_cli("legacy/old.py", cwd=tmp_path).returncode == 1


def test_documentation_code_findings_are_info(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    for where in ("docs_src/tutorial", "app"):
        (tmp_path / where).mkdir(parents=True)
        (tmp_path / where / "main.py").write_text(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/items')\ndef items(limit: int = 10):\n"
            "    return load_items(limit)\n")  # reads something (a route answering only its query is info)
    out = run_cli("--format", "concise", "--show-info", ".", cwd=tmp_path).stdout.decode().splitlines()
    assert out == [
        "app/main.py:6:1: FAL101 [error] " + out[0].split("[error] ", 1)[1],
        "docs_src/tutorial/main.py:6:1: FAL101 [info] " + out[1].split("[info] ", 1)[1],
    ]
    default = run_cli("--format", "text", ".", cwd=tmp_path).stdout.decode()
    assert "app/main.py:6:1: FAL101" in default and "docs_src/tutorial/main.py" not in default
    assert "1 info finding not shown (FAL101 ×1)" in default
    github = run_cli("--format", "github", ".", cwd=tmp_path).stdout.decode().splitlines()
    assert github[0].startswith("::error file=app/main.py,") and github[1].startswith("1 info finding not shown")
    records = json.loads(run_cli("--format", "json", ".", cwd=tmp_path).stdout)["findings"]
    assert [f["severity"] for f in records] == ["error", "info"]  # json keeps everything
    sarif = json.loads(run_cli("--format", "sarif", ".", cwd=tmp_path).stdout)
    assert sorted(r["level"] for r in sarif["runs"][0]["results"]) == ["error", "note"]
