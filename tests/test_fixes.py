"""Autofix: golden cases (tests/fixtures/fixes/<case>/input -> expected), idempotence, `--diff`
writing nothing, unsafe fixes only on request, files that do not parse left alone, secrets masked
in diffs.

A case's `input/` is a small project; `expected/` holds every file `--fix` changes, as it must
read afterwards (files not there must stay byte for byte); `args` holds extra options.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Dict, List

import pytest
from click.testing import CliRunner

from conftest import FIXTURES, run_cli, write_files
from fastauthlint.cli import cli

CASES_DIR = FIXTURES / "fixes"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "input").is_dir())


def _invoke(root: Path, *args: str, monkeypatch) -> "object":
    monkeypatch.chdir(root)
    return CliRunner().invoke(cli, ["lint", "--no-cache", *args, "."], catch_exceptions=False)


def _snapshot(root: Path) -> Dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _copy(case: str, tmp_path: Path) -> Path:
    root = tmp_path / case
    shutil.copytree(CASES_DIR / case / "input", root)
    return root


def _args(case: str) -> List[str]:
    f = CASES_DIR / case / "args"
    return f.read_text().split() if f.exists() else []


@pytest.mark.parametrize("case", CASES)
def test_fix_golden(case, tmp_path, monkeypatch):
    root = _copy(case, tmp_path)
    before = _snapshot(root)
    first = _invoke(root, "--fix", *_args(case), monkeypatch=monkeypatch)
    assert first.exit_code in (0, 1), first.output
    expected_dir = CASES_DIR / case / "expected"
    expected = {p.relative_to(expected_dir).as_posix(): p.read_bytes() for p in expected_dir.rglob("*") if p.is_file()}
    after = _snapshot(root)
    for rel, data in after.items():
        want = expected.get(rel, before[rel])
        assert data == want, f"{case}: {rel} after --fix differs from the golden file\n{data.decode()}"
    assert "Fixed" in first.output
    # a second --fix changes nothing and says there is nothing left to fix
    second = _invoke(root, "--fix", *_args(case), monkeypatch=monkeypatch)
    assert _snapshot(root) == after
    assert "Fixed" not in second.output and "fixable with `fastauthlint --fix`" not in second.output


@pytest.mark.parametrize("case", CASES)
def test_diff_writes_nothing_and_shows_the_golden_change(case, tmp_path, monkeypatch):
    root = _copy(case, tmp_path)
    before = _snapshot(root)
    out = _invoke(root, "--diff", *_args(case), monkeypatch=monkeypatch)
    assert out.exit_code == 1, out.output
    assert _snapshot(root) == before
    changed = sorted(p.relative_to(CASES_DIR / case / "expected").as_posix()
                     for p in (CASES_DIR / case / "expected").rglob("*.py"))
    assert [ln[len("+++ b/"):] for ln in out.stdout.splitlines() if ln.startswith("+++ ")] == changed


def test_unsafe_fixes_need_the_option(tmp_path, monkeypatch):
    root = _copy("fallback", tmp_path)
    before = _snapshot(root)
    out = _invoke(root, "--fix", monkeypatch=monkeypatch)
    assert _snapshot(root) == before
    assert out.exit_code == 1
    assert "3 findings fixable with `fastauthlint --fix --unsafe-fixes`" in out.output
    assert "help: require `JWT_SECRET` (`os.environ[...]`): start-up fails when it is not set (unsafe fix" in out.output
    diff = _invoke(root, "--diff", monkeypatch=monkeypatch)
    assert diff.exit_code == 0 and "--- a/" not in diff.output and "nothing to fix" in diff.output


def test_diff_masks_the_secret_it_removes(tmp_path, monkeypatch):
    root = _copy("fallback", tmp_path)
    out = _invoke(root, "--diff", "--unsafe-fixes", monkeypatch=monkeypatch)
    for secret in ("dev-secret-change-me-0123456789", "change-me-session-secret-42", "please-change-this-secret-key"):
        assert secret not in out.output
        assert secret[:8] not in out.output
    assert '-JWT_SECRET = os.getenv("JWT_SECRET", "dev-' in out.stdout
    assert '+JWT_SECRET = os.environ["JWT_SECRET"]' in out.stdout


def test_a_file_that_does_not_parse_is_never_touched(tmp_path, monkeypatch):
    root = write_files(tmp_path / "p", {
        "pyproject.toml": "[tool.fastauthlint]\n",
        "app/__init__.py": "",
        "app/ok.py": """\
            from fastapi import Response


            def login(response: Response, token: str) -> None:
                response.set_cookie("access_token", token)
            """,
        "app/broken.py": """\
            from fastapi import Response


            def login(response: Response, token: str) -> None:
                response.set_cookie("access_token", token)

            def oops(:
            """,
    })
    broken = (root / "app" / "broken.py").read_bytes()
    out = _invoke(root, "--fix", monkeypatch=monkeypatch)
    assert (root / "app" / "broken.py").read_bytes() == broken
    assert b"httponly=True" in (root / "app" / "ok.py").read_bytes()
    assert out.exit_code == 1 and "FAL000" in out.output  # what remains decides the exit status


def test_fix_lints_again_and_fixes_what_the_first_round_brings_out(tmp_path, monkeypatch):
    """With the signature unchecked, FAL504 says nothing about `verify_aud` (FAL502 speaks for the
    decode). Once the first round turns the signature check back on (pinning the algorithm the
    encoder uses), the second run of the rules reports `verify_aud: False` and the second round
    removes it; nothing is left for another `--fix`."""
    root = write_files(tmp_path / "p", {
        "pyproject.toml": "[tool.fastauthlint]\n",
        "app/__init__.py": "",
        "app/auth.py": """\
            import os

            import jwt

            SECRET_KEY = os.environ["SECRET_KEY"]


            def issue(sub: str) -> str:
                return jwt.encode({"sub": sub, "exp": 1, "aud": "notes"}, SECRET_KEY, algorithm="HS512")


            def user_id(token: str) -> str:
                claims = jwt.decode(token, SECRET_KEY, audience="notes",
                                    options={"verify_signature": False, "verify_aud": False})
                return claims["sub"]
            """,
    })
    out = _invoke(root, "--fix", "--select", "FAL5", monkeypatch=monkeypatch)
    text = (root / "app" / "auth.py").read_text()
    assert 'claims = jwt.decode(token, SECRET_KEY, algorithms=["HS512"], audience="notes")\n' in text, text
    assert "Fixed 2 findings." in out.output and out.exit_code == 0, out.output


def test_fix_and_diff_through_the_console_script(tmp_path):
    root = _copy("cookies", tmp_path)
    before = _snapshot(root)
    diff = run_cli("--diff", ".", cwd=root)
    assert diff.returncode == 1 and diff.stdout.startswith(b"--- a/app/session.py\n+++ b/app/session.py\n")
    assert b"would fix 2 findings in 1 file" in diff.stderr
    assert _snapshot(root) == before
    fixed = run_cli("--fix", "--format", "json", ".", cwd=root)
    assert b"fixed 2 findings in 1 file" in fixed.stderr
    import json

    doc = json.loads(fixed.stdout)
    assert doc["summary"]["fixed"] == 2
    assert [f["rule"] for f in doc["findings"]] == ["FAL603"]  # secure=False on purpose: no fix
    assert doc["findings"][0]["fix"] is None
    assert fixed.returncode == 1
    assert (root / "app" / "session.py").read_bytes() == (CASES_DIR / "cookies" / "expected" / "app" /
                                                           "session.py").read_bytes()


def test_fix_marks_in_text_and_json(tmp_path, monkeypatch):
    root = _copy("compare", tmp_path)
    monkeypatch.chdir(root)
    out = CliRunner().invoke(cli, ["lint", "--no-cache", "."])
    assert "app/webhooks.py:12:8: FAL604 [*] non-constant-time-compare" in out.output
    assert "help: compare with `not hmac.compare_digest(a, b)`" in out.output
    assert "app/webhooks.py:22:12: FAL604 non-constant-time-compare" in out.output  # unsafe: no [*]
    assert "[*] 3 fixable with `fastauthlint --fix` (1 more with `--unsafe-fixes`)." in out.output
    import json

    doc = json.loads(CliRunner().invoke(cli, ["lint", "--no-cache", "--format", "json", "."]).stdout)
    fixes = {(f["path"], f["line"]): f["fix"] for f in doc["findings"]}
    assert fixes[("app/webhooks.py", 12)] == {"applicability": "safe",
                                              "message": "compare with `not hmac.compare_digest(a, b)`"}
    assert fixes[("app/webhooks.py", 22)]["applicability"] == "unsafe"
    assert doc["summary"]["fixable"] == 3 and doc["summary"]["fixable_with_unsafe_fixes"] == 1


def test_fix_usage_errors(tmp_path, monkeypatch):
    root = _copy("cookies", tmp_path)
    monkeypatch.chdir(root)
    for args, message in (
        (["--unsafe-fixes"], "--unsafe-fixes goes with --fix or --diff"),
        (["--diff", "--statistics"], "--diff prints the fixes"),
    ):
        out = CliRunner().invoke(cli, ["lint", *args, "."])
        assert out.exit_code == 2 and message in out.output
    stdin = CliRunner().invoke(cli, ["lint", "--fix", "-", "--stdin-filename", "app/session.py"], input="x = 1\n")
    assert stdin.exit_code == 2 and "--fix does not write standard input" in stdin.output


def test_diff_of_standard_input(tmp_path, monkeypatch):
    root = _copy("cookies", tmp_path)
    monkeypatch.chdir(root)
    source = (root / "app" / "session.py").read_text()
    out = CliRunner().invoke(cli, ["lint", "--diff", "-", "--stdin-filename", "app/session.py"], input=source)
    assert out.exit_code == 1
    assert "+    response.set_cookie(\"access_token\", token, httponly=True, secure=True, samesite=\"lax\")" in out.stdout
    assert (root / "app" / "session.py").read_text() == source


def test_options_shared_with_another_decode_are_an_unsafe_fix(tmp_path, monkeypatch):
    """A logout decodes with the same options on purpose (an expired token may be revoked):
    removing `verify_exp` from the shared dict would change it too, so that fix is unsafe."""
    root = write_files(tmp_path / "p", {
        "pyproject.toml": "[tool.fastauthlint]\nselect = [\"FAL501\"]\n",
        "app/__init__.py": "",
        "app/auth.py": """\
            import os

            import jwt

            SECRET_KEY = os.environ["SECRET_KEY"]
            OPTIONS = {"verify_exp": False}


            def user_id(token: str) -> str:
                return jwt.decode(token, SECRET_KEY, algorithms=["HS256"], options=OPTIONS)["sub"]


            def logout(token: str) -> None:
                claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"], options=OPTIONS)
                revoke_token(claims["jti"])
            """,
    })
    out = _invoke(root, monkeypatch=monkeypatch)
    assert "help: remove `verify_exp: False`; the options are shared with 1 other use in this file " \
           "(unsafe fix: --unsafe-fixes)" in out.output, out.output
    before = _snapshot(root)
    _invoke(root, "--fix", monkeypatch=monkeypatch)
    assert _snapshot(root) == before


def test_no_compare_digest_in_a_query(tmp_path, monkeypatch):
    """An ORM filter is compared by the database: `hmac.compare_digest` there would break the
    query. The rule no longer reports it, and nothing is changed."""
    root = write_files(tmp_path / "p", {
        "pyproject.toml": "[tool.fastauthlint]\nselect = [\"FAL604\"]\n",
        "app/__init__.py": "",
        "app/workers.py": """\
            import sqlmodel

            from app import models


            def worker_query(api_key: str):
                return sqlmodel.select(models.DbWorker).where(models.DbWorker.api_key == api_key)
            """,
    })
    before = _snapshot(root)
    out = _invoke(root, "--fix", "--unsafe-fixes", monkeypatch=monkeypatch)
    assert "FAL604" not in out.output  # the database compares: neither reported nor fixed
    assert _snapshot(root) == before and "Fixed" not in out.output
