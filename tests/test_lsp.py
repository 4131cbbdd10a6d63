"""The language server, driven over stdio by a test client as an editor would: initialize, open a
file with a planted bug in a multi-file workspace, receive the diagnostic, ask for the quick fix,
apply it and see the diagnostic go, shut down and exit cleanly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the language server needs the `lsp` extra (pygls)")

from conftest import console_script, write_files  # noqa: E402
from fastauthlint.lsp.edits import line_edits, noqa_edit, public_edit  # noqa: E402
from lsp_client import LspClient, apply_text_edits  # noqa: E402

ITEMS = '''\
from fastapi import APIRouter, Response

router = APIRouter()


@router.get("/items")
def list_items(response: Response, token: str) -> list:
    _ = "😀"; response.set_cookie("access_token", token)
    return []
'''


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return write_files(tmp_path / "ws", {
        "pyproject.toml": "[tool.fastauthlint]\n",
        "app/__init__.py": "",
        "app/deps.py": """\
            from fastapi import Depends
            from fastapi.security import OAuth2PasswordBearer

            oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


            def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
                return token
            """,
        # /items is protected here, by the include in another file
        "app/main.py": """\
            from fastapi import Depends, FastAPI

            from app import health, items
            from app.deps import get_current_user

            app = FastAPI()
            app.include_router(items.router, dependencies=[Depends(get_current_user)])
            app.include_router(health.router)
            """,
        "app/items.py": ITEMS,
        "app/health.py": """\
            from fastapi import APIRouter

            router = APIRouter()


            # not a bare probe (it takes input), so nothing makes it public but a declaration
            @router.get("/health")
            def health(verbose: bool = False) -> dict:
                return {"ok": True, "verbose": verbose}
            """,
    })


@pytest.fixture
def client(workspace: Path):
    env = dict(os.environ)
    c = LspClient([console_script(), "server"], cwd=str(workspace), env=env)
    c.request("initialize", {
        "processId": os.getpid(), "rootUri": workspace.as_uri(),
        "capabilities": {"general": {"positionEncodings": ["utf-16"]},
                         "textDocument": {"codeAction": {"codeActionLiteralSupport": {
                             "codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}}}}},
        "workspaceFolders": [{"uri": workspace.as_uri(), "name": "ws"}],
    })
    c.notify("initialized", {})
    yield c
    if c.proc.poll() is None:
        c.proc.kill()


def _open(client: LspClient, path: Path, version: int = 1) -> dict:
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": path.as_uri(), "languageId": "python", "version": version, "text": path.read_text()}})
    return client.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] == path.as_uri())


def _actions(client: LspClient, path: Path, diag: dict) -> list:
    return client.request("textDocument/codeAction", {
        "textDocument": {"uri": path.as_uri()}, "range": diag["range"],
        "context": {"diagnostics": [diag], "only": ["quickfix"]}})


def _change(client: LspClient, path: Path, text: str, version: int) -> dict:
    client.notify("textDocument/didChange", {"textDocument": {"uri": path.as_uri(), "version": version},
                                            "contentChanges": [{"text": text}]})
    return client.wait_for("textDocument/publishDiagnostics",
                           lambda p: p["uri"] == path.as_uri() and p.get("version") == version)


def test_diagnostic_quick_fix_and_clean_exit(client, workspace):
    items = workspace / "app" / "items.py"
    published = _open(client, items)
    diags = published["diagnostics"]
    # the route is protected by the include_router in app/main.py: only the cookie is reported
    assert [d["code"] for d in diags] == ["FAL603"], diags
    diag = diags[0]
    assert diag["source"] == "fastauthlint" and diag["severity"] == 2
    assert diag["codeDescription"]["href"].endswith("/rules/FAL603.md")
    # UTF-16 columns: the call starts at code point 13, after an emoji that counts twice
    assert diag["range"]["start"] == {"line": 7, "character": 14}
    assert diag["data"]["fix"]["applicability"] == "safe"

    actions = _actions(client, items, diag)
    titles = [a["title"] for a in actions]
    assert titles == ['fastauthlint: add `httponly=True, secure=True, samesite="lax"`',
                      "fastauthlint: suppress with `# noqa: FAL603`"]
    fix = actions[0]
    assert fix["kind"] == "quickfix" and fix["isPreferred"] is True
    change, = fix["edit"]["documentChanges"]
    assert change["textDocument"] == {"uri": items.as_uri(), "version": 1}
    fixed = apply_text_edits(items.read_text(), change["edits"])
    assert 'response.set_cookie("access_token", token, httponly=True, secure=True, samesite="lax")' in fixed
    assert _change(client, items, fixed, 2)["diagnostics"] == []
    assert items.read_text() == ITEMS  # the server never writes: the editor applies edits

    assert client.request("shutdown", None) is None
    client.notify("exit", None)
    assert client.proc.wait(timeout=10) == 0


def test_suppress_and_declare_public(client, workspace):
    health = workspace / "app" / "health.py"
    diag, = [d for d in _open(client, health)["diagnostics"] if d["code"] == "FAL101"]
    actions = {a["title"]: a for a in _actions(client, health, diag)}
    public = actions["fastauthlint: declare this route public (`# fastauthlint: public`)"]
    text = apply_text_edits(health.read_text(), public["edit"]["documentChanges"][0]["edits"])
    assert '@router.get("/health")  # fastauthlint: public\n' in text
    assert _change(client, health, text, 2)["diagnostics"] == []

    items = workspace / "app" / "items.py"
    diag, = _open(client, items)["diagnostics"]
    noqa = next(a for a in _actions(client, items, diag) if "noqa" in a["title"])
    text = apply_text_edits(items.read_text(), noqa["edit"]["documentChanges"][0]["edits"])
    assert 'token)  # noqa: FAL603\n' in text
    assert _change(client, items, text, 2)["diagnostics"] == []


def test_a_change_in_another_open_buffer_counts_before_it_is_saved(client, workspace):
    items = workspace / "app" / "items.py"
    main = workspace / "app" / "main.py"
    _open(client, items)
    _open(client, main)
    unprotected = main.read_text().replace(", dependencies=[Depends(get_current_user)]", "")
    client.notify("textDocument/didChange", {"textDocument": {"uri": main.as_uri(), "version": 2},
                                            "contentChanges": [{"text": unprotected}]})
    client.wait_for("textDocument/publishDiagnostics", lambda p: p["uri"] == main.as_uri() and p.get("version") == 2)
    client.notify("textDocument/didSave", {"textDocument": {"uri": main.as_uri()}})
    codes = client.wait_for("textDocument/publishDiagnostics",
                            lambda p: p["uri"] == items.as_uri() and "FAL101" in {d["code"] for d in p["diagnostics"]})
    assert sorted(d["code"] for d in codes["diagnostics"]) == ["FAL101", "FAL603"]


def test_server_without_pygls_says_how_to_install_it(tmp_path):
    import subprocess

    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "pygls.py").write_text("raise ImportError('pygls is not installed', name='pygls')\n")
    env = dict(os.environ, PYTHONPATH=str(blocker))
    proc = subprocess.run([sys.executable, "-m", "fastauthlint", "server"], env=env, capture_output=True, timeout=60)
    assert proc.returncode == 2
    assert b"pip install 'fastauthlint[lsp]'" in proc.stderr and b"Traceback" not in proc.stderr


# -- the edits, directly ---------------------------------------------------------------------------

def test_line_edits_are_small():
    old = "import os\n\nx = a == b\ny = 1\n"
    new = "import hmac\nimport os\n\nx = hmac.compare_digest(a, b)\ny = 1\n"
    edits = line_edits(old, new)
    assert [(e.line, e.end_line, e.text) for e in edits] == [
        (0, 0, "import hmac\n"), (2, 3, "x = hmac.compare_digest(a, b)\n")]


def test_noqa_edit_avoids_strings_and_extends_an_existing_noqa():
    text = 'x = f("""a\nb""", token == KEY)\n'
    e = noqa_edit(text, "FAL604", 0, 1)
    assert (e.line, e.text) == (1, "  # noqa: FAL604")
    e = noqa_edit("y = token == KEY  # noqa: E501\n", "FAL604", 0, 0)
    assert (e.column, e.text) == (len("y = token == KEY  # noqa: E501"), ", FAL604")
    assert noqa_edit("y = token == KEY  # noqa: FAL604\n", "FAL604", 0, 0) is None


def test_public_edit_goes_above_a_line_with_a_comment():
    e = public_edit('@app.get("/x")  # the docs\ndef x(): ...\n', 0)
    assert (e.line, e.column, e.text) == (0, 0, "# fastauthlint: public\n")
