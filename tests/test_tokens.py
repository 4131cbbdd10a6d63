"""FAL401 token-logged and FAL402 token-in-error-or-response: what the annotated fixture apps do
not show on their own (issuer names, flows across several files, the cache, severities)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import lint, write_files as write
from fastauthlint import serial
from fastauthlint.checks.tokens.credentials import issuing_call_kind
from fastauthlint.config import parse_table
from fastauthlint.engine import RunOptions, run
from fastauthlint.findings import Severity



def token_findings(tmp_path, files: dict):
    write(tmp_path, files)
    return sorted((Path(f.path).resolve().relative_to(tmp_path.resolve()).as_posix(), f.line, f.rule)
                  for f in lint([tmp_path], config={}) if f.rule in ("FAL401", "FAL402"))


@pytest.mark.parametrize("name,kind", [
    ("create_access_token", "issued"), ("generate_password_reset_token", "issued"), ("issue_jwt", "issued"),
    ("create_api_key", "issued"), ("get_api_key", "token"), ("fetch_token", "token"),
    ("authorize_access_token", "token"),
    ("verify_token", None), ("decode_token", None), ("get_password_hash", None), ("get_user_by_token", None),
    ("get_current_user", None), ("create_user", None), ("fetch_page_tokens", None), ("token", None),
])
def test_issuing_call_names(name, kind):
    assert issuing_call_kind(name) == kind


HELPERS = {
    "app/__init__.py": "",
    "app/util/__init__.py": "",
    "app/util/logs.py": """
        import logging

        _log = logging.getLogger("app")

        def write(line):
            _log.warning(line)

        def trace(event, data):
            write(f"{event}: {data}")

        def count(n):
            _log.info("count %d", n)
    """,
    "app/api.py": """
        from fastapi import Depends, Request
        from app.util import logs
        from app.util.logs import trace

        def handler(request: Request):
            auth = request.headers.get("Authorization")
            trace("auth", auth)
            logs.trace("auth", auth)
            logs.count(len(auth))
            trace("path", request.url.path)
    """,
}


def test_a_helper_chain_across_files_is_followed(tmp_path):
    assert token_findings(tmp_path, HELPERS) == [("app/api.py", 8, "FAL401"), ("app/api.py", 9, "FAL401")]


def test_cross_file_results_survive_the_cache(tmp_path):
    """Facts are plain data: the linking step gives the same answer from cached facts."""
    write(tmp_path, HELPERS)
    cfg = parse_table({}, root=tmp_path.resolve())
    first = run(RunOptions(paths=[tmp_path], config=cfg, jobs=1, use_cache=True))
    for res in first.project.results.values():
        assert serial.decode(serial.encode(res)).facts.keys() == res.facts.keys()
    second = run(RunOptions(paths=[tmp_path], config=cfg, jobs=1, use_cache=True))
    assert [(f.path, f.line, f.rule) for f in first.findings] == [(f.path, f.line, f.rule) for f in second.findings]
    assert len(second.findings) == 2


def test_schemes_aliases_and_credential_dependencies_defined_elsewhere(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/security.py": """
            from typing import Annotated
            from fastapi import Depends, Header
            from fastapi.security import OAuth2PasswordBearer

            reusable_oauth2 = OAuth2PasswordBearer(tokenUrl="/login")
            TokenDep = Annotated[str, Depends(reusable_oauth2)]

            def api_key_from_header(x_api_key: str = Header()) -> str:
                return x_api_key

            def session_from_header(authorization: str = Header()) -> str:
                return authorization.split(" ")[1]
        """,
        "app/deps.py": """
            from app.security import TokenDep, reusable_oauth2
            AuthToken = TokenDep
        """,
        "app/routes.py": """
            import logging
            from fastapi import APIRouter, Depends
            from app.deps import AuthToken
            from app import security

            router = APIRouter()
            log = logging.getLogger(__name__)

            @router.get("/a")
            def a(cred: AuthToken):
                log.info("a %s", cred)

            @router.get("/b")
            def b(cred: str = Depends(security.reusable_oauth2)):
                return {"echo": cred}

            @router.get("/c")
            def c(k: str = Depends(security.session_from_header)):
                log.info("c %s", k)

            @router.get("/d")
            def d(db: str = Depends(security.get_db)):
                log.info("d %s", db)
        """,
    }
    assert token_findings(tmp_path, files) == [
        ("app/routes.py", 12, "FAL401"), ("app/routes.py", 16, "FAL402"), ("app/routes.py", 20, "FAL401"),
    ]


def test_a_project_function_that_returns_a_token_is_an_issuer(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/sessions.py": """
            import jwt

            def _sign(claims):
                return jwt.encode(claims, KEY, algorithm="HS256")

            def open_session(user_id):
                return _sign({"sub": user_id})

            def session_count():
                return 3
        """,
        "app/main.py": """
            import logging
            from app.sessions import open_session, session_count

            def login(user_id):
                s = open_session(user_id)
                logging.info("session %s", s)
                logging.info("sessions %s", session_count())
                return s
        """,
    }
    assert token_findings(tmp_path, files) == [("app/main.py", 7, "FAL401")]


def test_test_code_gets_the_lower_severity(tmp_path):
    write(tmp_path, {
        "tests/test_login.py": "def test_login(client):\n    token = client.login()\n    print(token)\n",
        "app/cli.py": "def show(token):\n    print(token)\n",
    })
    sev = {f.path.split("/")[-1]: f.severity for f in lint([tmp_path], config={}) if f.rule == "FAL401"}
    assert sev == {"test_login.py": Severity.INFO, "cli.py": Severity.ERROR}


def test_messages_name_the_source_and_the_sink_never_a_value(tmp_path):
    write(tmp_path, {"app/deps.py": """
        import logging
        from fastapi import Depends
        from fastapi.security import HTTPBearer, HTTPAuthorizationCredentials

        bearer = HTTPBearer()

        def user(creds: HTTPAuthorizationCredentials = Depends(bearer)):
            logging.getLogger("x").info("creds %s", creds.credentials)
    """})
    (f,) = [f for f in lint([tmp_path], config={}) if f.rule == "FAL401"]
    assert "`creds.credentials`" in f.message and "`logging.getLogger(\"x\").info`" not in f.message
    assert "logs" in f.message and f.line == 9
