"""Baselines through the console script: known findings stay hidden when the code around them
moves, new ones are reported alone, fixed ones leave the file when it is rewritten, and the file
is stable, sorted and free of secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import run_cli, write_files
from fastauthlint.baseline import Baseline, BaselineError, Keyer, apply, build, dumps, load
from fastauthlint.findings import Finding, Span

SECRET = "s3cr3t-Signing-Key-Do-Not-Share-9f8e7d6c"

ROUTES = """\
    import jwt
    from fastapi import APIRouter, HTTPException, Response

    router = APIRouter()
    SIGNING_KEY = "{secret}"


    def login(response: Response, token: str) -> None:
        response.set_cookie("access_token", token)


    def refresh(response: Response, token: str) -> None:
        response.set_cookie("access_token", token)

    @router.get("/check")  # a route: its 401 reaches clients
    def check(token: str) -> dict:
        if not token:
            raise HTTPException(status_code=401, detail="no token")
        return jwt.decode(token, SIGNING_KEY, algorithms=["HS256"])
    """.replace("{secret}", SECRET)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_files(tmp_path / "proj", {
        "pyproject.toml": "[tool.fastauthlint]\nselect = [\"FAL301\", \"FAL601\", \"FAL603\"]\n",
        "app/__init__.py": "",
        "app/routes.py": ROUTES,
    })


def _json(proc) -> dict:
    return json.loads(proc.stdout)


def test_baseline_hides_known_findings_and_survives_edits_above_them(project):
    wrote = run_cli("--write-baseline", "baseline.json", ".", cwd=project)
    assert wrote.returncode == 0, wrote.stderr
    assert b"wrote 4 findings to baseline.json" in wrote.stdout
    doc = json.loads((project / "baseline.json").read_text())
    assert [(e["path"], e["rule"], e["count"]) for e in doc["findings"]] == [
        ("app/routes.py", "FAL301", 1), ("app/routes.py", "FAL601", 1),
        ("app/routes.py", "FAL603", 1), ("app/routes.py", "FAL603", 1)]  # two functions: two contexts

    clean = run_cli("--baseline", "baseline.json", ".", cwd=project)
    assert clean.returncode == 0, clean.stdout
    assert b"No findings in 2 files." in clean.stdout and b"4 known findings hidden by the baseline." in clean.stdout

    routes = project / "app" / "routes.py"
    routes.write_text('"""Routes."""\n# a comment\n\n' + routes.read_text().replace("    if not token:", "    token = token.strip()\n    if not token:"))
    moved = _json(run_cli("--baseline", "baseline.json", "--format", "json", ".", cwd=project))
    assert moved["findings"] == [] and moved["summary"]["hidden_by_baseline"] == 4


def test_a_new_finding_is_reported_alone(project):
    run_cli("--write-baseline", "baseline.json", ".", cwd=project)
    routes = project / "app" / "routes.py"
    # a third copy of a baselined line and a copy of the 401, each in a new function
    routes.write_text(routes.read_text() + '''

def remember(response: Response, token: str) -> None:
    response.set_cookie("access_token", token)

@router.get("/deny")
def deny() -> None:
    raise HTTPException(status_code=401, detail="expired")
''')
    proc = run_cli("--baseline", "baseline.json", "--format", "concise", ".", cwd=project)
    lines = proc.stdout.decode().splitlines()
    assert proc.returncode == 1
    assert [ln.split(": ")[1].split()[0] + "@" + ln.split(":")[1] for ln in lines[:-1]] == ["FAL603@23", "FAL601@27"]
    assert lines[-1] == "baseline: 4 known findings hidden"


def test_identical_findings_in_one_function_are_counted(tmp_path):
    root = write_files(tmp_path / "p", {
        "pyproject.toml": "[tool.fastauthlint]\nselect = [\"FAL603\"]\n",
        "app/__init__.py": "",
        "app/routes.py": """\
            from fastapi import Response


            def login(response: Response, token: str) -> None:
                response.set_cookie("access_token", token)
                response.set_cookie("access_token", token)
            """,
    })
    run_cli("--write-baseline", "b.json", ".", cwd=root)
    entry, = json.loads((root / "b.json").read_text())["findings"]
    assert entry["count"] == 2
    routes = root / "app" / "routes.py"
    routes.write_text(routes.read_text() + '    response.set_cookie("access_token", token)\n')
    doc = _json(run_cli("--baseline", "b.json", "--format", "json", ".", cwd=root))
    assert [f["line"] for f in doc["findings"]] == [7] and doc["summary"]["hidden_by_baseline"] == 2


def test_rewriting_the_baseline_drops_fixed_findings_and_is_stable(project):
    run_cli("--write-baseline", "baseline.json", ".", cwd=project)
    first = (project / "baseline.json").read_bytes()
    run_cli("--write-baseline", "baseline.json", ".", cwd=project)
    assert (project / "baseline.json").read_bytes() == first  # stable: diffs only what changed
    assert SECRET.encode() not in first and SECRET[:8].encode() not in first  # masked, as every output
    doc = json.loads(first)
    assert doc["findings"] == sorted(doc["findings"], key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    assert all(set(e) == {"path", "rule", "fingerprint", "count", "message"} for e in doc["findings"])

    fixed = run_cli("--fix", "--baseline", "baseline.json", ".", cwd=project)  # fixes only new findings
    assert b"Fixed" not in fixed.stdout
    run_cli("--no-baseline", "--fix", ".", cwd=project)  # fix the cookies and the 401
    run_cli("--write-baseline", "baseline.json", ".", cwd=project)
    rules = [e["rule"] for e in json.loads((project / "baseline.json").read_text())["findings"]]
    assert rules == ["FAL301"]


def test_baseline_from_the_configuration_is_relative_to_it(project, tmp_path):
    run_cli("--write-baseline", "known.json", ".", cwd=project)
    (project / "pyproject.toml").write_text((project / "pyproject.toml").read_text() + 'baseline = "known.json"\n')
    other = tmp_path / "elsewhere"
    other.mkdir()
    proc = run_cli("--format", "json", str(project / "app"), cwd=other)
    doc = _json(proc)
    assert proc.returncode == 0 and doc["summary"]["hidden_by_baseline"] == 4
    everything = _json(run_cli("--no-baseline", "--format", "json", ".", cwd=project))
    assert len(everything["findings"]) == 4 and "hidden_by_baseline" not in everything["summary"]


@pytest.mark.parametrize("content, message", [
    (None, b"baseline file not found (create it with `fastauthlint --write-baseline"),
    ("{not json", b"not a fastauthlint baseline: invalid JSON"),
    ('["a"]', b'expected an object with a "findings" list'),
    ('{"findings": [{"path": "a.py", "rule": "FAL101", "fingerprint": "zz"}]}', b"entry 1: \"fingerprint\" must be"),
    ('{"version": 7, "findings": []}', b"baseline format version 7 is not supported"),
])
def test_bad_baseline_is_a_clear_error(project, content, message):
    if content is not None:
        (project / "b.json").write_text(content)
    proc = run_cli("--baseline", "b.json", ".", cwd=project)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert b"Traceback" not in proc.stderr


def test_bad_baseline_configuration_is_a_clear_error(project):
    (project / "pyproject.toml").write_text('[tool.fastauthlint]\nbaseline = ""\n')
    proc = run_cli(".", cwd=project)
    assert proc.returncode == 2 and b"key 'baseline': expected a file name" in proc.stderr


def test_keying_is_by_code_and_context_not_line(tmp_path):
    lines = {"a.py": ["def f():", "    x = token == KEY", "", "def g():", "    x = token == KEY"]}
    keyer = Keyer(rel=lambda f: f.path, lines=lambda f: lines[f.path])
    f1 = Finding("FAL604", "a.py", Span(2, 9, 2, 21), "m")
    f2 = Finding("FAL604", "a.py", Span(5, 9, 5, 21), "m")
    base = build([f1], keyer)
    kept, hidden = apply([f1, f2], base, keyer)
    assert kept == [f2] and hidden == 1  # same line text, another function: new
    again = load_roundtrip(base, tmp_path)
    assert again.counts == base.counts


def load_roundtrip(base: Baseline, tmp_path: Path) -> Baseline:
    p = tmp_path / "b.json"
    p.write_text(dumps(base))
    return load(p)


def test_load_rejects_negative_counts(tmp_path):
    p = tmp_path / "b.json"
    p.write_text(json.dumps({"findings": [{"path": "a", "rule": "FAL101", "fingerprint": "0" * 32, "count": 0}]}))
    with pytest.raises(BaselineError, match="count"):
        load(p)
