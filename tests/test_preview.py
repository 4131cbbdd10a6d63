"""Preview rules (status `preview`): off by default, on with `--preview` / `preview = true`, or when
selected by their full ID; a prefix or `ALL` reaches them only in preview mode. Driven through the
console script, as users run it."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli, write_files
from fastauthlint.rules import all_rules

APP = {
    "app.py": '''
        import jwt
        from fastapi import Depends, FastAPI, HTTPException
        from fastapi.security import OAuth2PasswordBearer

        scheme = OAuth2PasswordBearer(tokenUrl="login")


        def get_current_user(token: str = Depends(scheme)):
            try:
                return jwt.decode(token, KEY, algorithms=["HS256"])
            except jwt.InvalidTokenError:
                raise HTTPException(status_code=403, detail="Could not validate credentials")


        app = FastAPI()


        @app.get("/me")
        def me(user=Depends(get_current_user)):
            # a 401 a client receives, without a challenge: FAL601 (not a preview rule)
            raise HTTPException(status_code=401, detail="no")
    ''',
}

PREVIEW = sorted(r.id for r in all_rules().values() if r.preview)


def _rules(tmp_path, *args, pyproject=None):
    files = dict(APP)
    if pyproject is not None:
        files["pyproject.toml"] = pyproject
    write_files(tmp_path, files)
    proc = run_cli("--no-cache", "--format", "json", *args, ".", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    return {f["rule"] for f in json.loads(proc.stdout)["findings"]}


def test_the_new_rules_are_preview():
    assert {"FAL103", "FAL303", "FAL403", "FAL506", "FAL507", "FAL508", "FAL605"} <= set(PREVIEW)


def test_preview_rules_are_off_by_default(tmp_path):
    found = _rules(tmp_path)
    assert "FAL601" in found and "FAL605" not in found


def test_preview_flag_turns_them_on(tmp_path):
    assert {"FAL601", "FAL605"} <= _rules(tmp_path, "--preview")


@pytest.mark.parametrize("option", ["--select", "--extend-select"])
def test_selecting_a_preview_rule_by_its_id_turns_it_on(tmp_path, option):
    found = _rules(tmp_path, option, "FAL605")
    assert "FAL605" in found
    assert ("FAL601" in found) == (option == "--extend-select")


@pytest.mark.parametrize("selector", ["FAL6", "FAL60", "ALL"])
def test_a_prefix_reaches_preview_rules_only_in_preview_mode(tmp_path, selector):
    assert "FAL605" not in _rules(tmp_path / "a", "--select", selector)
    assert "FAL605" in _rules(tmp_path / "b", "--select", selector, "--preview")


def test_ignore_wins_over_preview(tmp_path):
    assert "FAL605" not in _rules(tmp_path, "--preview", "--ignore", "FAL605")


def test_preview_in_the_configuration(tmp_path):
    found = _rules(tmp_path, pyproject="[tool.fastauthlint]\npreview = true\n")
    assert "FAL605" in found
    found = _rules(tmp_path / "sel", pyproject='[tool.fastauthlint]\nextend-select = ["FAL605"]\n')
    assert "FAL605" in found


def test_preview_must_be_a_boolean(tmp_path):
    write_files(tmp_path, {**APP, "pyproject.toml": '[tool.fastauthlint]\npreview = "yes"\n'})
    proc = run_cli("--no-cache", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert b"preview" in proc.stderr and b"true or false" in proc.stderr


def test_rules_lists_the_status(tmp_path):
    proc = run_cli("rules", "--format", "json", cwd=tmp_path)
    status = {r["id"]: r["status"] for r in json.loads(proc.stdout)}
    assert all(status[r] == "preview" for r in PREVIEW)
    assert status["FAL101"] == "implemented"
    text = run_cli("rules", cwd=tmp_path).stdout
    assert b"preview" in text and b"--preview" in text


@pytest.mark.parametrize("rule_id", PREVIEW)
def test_rule_prints_a_preview_rule_and_its_module(tmp_path, rule_id):
    proc = run_cli("rule", rule_id, cwd=tmp_path)
    assert proc.returncode == 0
    assert b"**Status:** preview" in proc.stdout
    assert b"Implemented in `fastauthlint.checks." in proc.stdout


def test_sarif_describes_a_preview_rule_with_its_cwe(tmp_path):
    write_files(tmp_path, APP)
    proc = run_cli("--no-cache", "--format", "sarif", "--preview", ".", cwd=tmp_path)
    rules = {r["id"]: r for r in json.loads(proc.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    assert "FAL605" in rules
    assert "external/cwe/cwe-287" in " ".join(rules["FAL605"]["properties"]["tags"])
    assert rules["FAL605"]["help"]["text"]


SCHEMES = '''
    from fastapi import Depends, FastAPI
    from fastapi.security import APIKeyHeader, HTTPBearer

    app = FastAPI()
    bearer = HTTPBearer()
    key = APIKeyHeader(name="X-API-Key")
    optional = HTTPBearer(auto_error=False)
'''


@pytest.mark.parametrize("pins, reported", [
    ({"requirements.txt": "fastapi==0.110.0\n"}, True),
    ({"pyproject.toml": '[tool.poetry.dependencies]\nfastapi = "^0.109.0"\n'}, True),
    ({"uv.lock": '[[package]]\nname = "fastapi"\nversion = "0.121.3"\n'}, True),
    ({"requirements.txt": "fastapi==0.122.0\n"}, False),
    ({"requirements.txt": "fastapi>=0.100\n"}, False),  # an open range says nothing of what is installed
    ({}, False),
])
def test_builtin_schemes_answering_403_are_reported_once_with_the_pinned_version(tmp_path, pins, reported):
    write_files(tmp_path, {"app.py": SCHEMES, **pins})
    proc = run_cli("--no-cache", "--format", "json", "--select", "FAL605", ".", cwd=tmp_path)
    found = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "FAL605"]
    if not reported:
        assert found == []
        return
    assert len(found) == 1
    assert found[0]["line"] == 6 and "HTTPBearer" in found[0]["message"] and "0.122.0" in found[0]["message"]


def test_expected_issuer_in_the_configuration_asks_every_decode_for_it(tmp_path):
    decode = '''
        import jwt


        def current_user(token: str):
            return jwt.decode(token, KEY, algorithms=["HS256"])["sub"]


        def checked(token: str):
            return jwt.decode(token, KEY, algorithms=["HS256"], issuer=ISSUER, audience=AUD)["sub"]
    '''
    write_files(tmp_path, {"app.py": decode, "pyproject.toml": '[tool.fastauthlint]\npreview = true\n'
                                                               'expected-issuer = "https://auth.example.com"\n'})
    proc = run_cli("--no-cache", "--format", "json", "--select", "FAL506", ".", cwd=tmp_path)
    found = [(f["line"], f["message"]) for f in json.loads(proc.stdout)["findings"]]
    assert len(found) == 1 and found[0][0] == 6 and "`issuer=`" in found[0][1] and "`audience=`" not in found[0][1]
