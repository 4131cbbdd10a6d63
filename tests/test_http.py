"""The HTTP-contract rules beyond their annotated fixture apps: the scheme FAL601 names (and records
for its fix), where a 401 can reach a client across files, and the severities FAL603 gives."""

from __future__ import annotations

import os

import pytest

from conftest import APPS, lint, write_files
from fastauthlint.findings import Severity


def _findings(root, rule):
    cwd = os.getcwd()
    os.chdir(root)
    try:
        return sorted((f for f in lint([root.__class__(".")]) if f.rule == rule), key=lambda f: (f.path, f.line))
    finally:
        os.chdir(cwd)


def test_fal601_names_the_scheme_in_use():
    found = {(f.path, f.line): f for f in _findings(APPS / "http_delivery", "FAL601")}
    expected = {
        ("app/api/accounts.py", 38): ("Basic", "function"),  # HTTPBasicCredentials
        ("app/core/keys.py", 16): ("APIKey", "function"),  # an API key it checks: FastAPI's word
        ("app/api/accounts.py", 31): ("Bearer", "dependency"),  # optional_user -> HTTPBearer()
        ("app/api/webhooks.py", 43): ("Bearer", "dependency"),  # current_user -> HTTPBearer()
        ("app/core/security.py", 10): ("Bearer", "file"),  # a module constant: the file's scheme
    }
    for key, (scheme, source) in expected.items():
        f = found[key]
        assert f.extra == {"scheme": scheme, "scheme_from": source}, (key, f.extra)
        assert f'"WWW-Authenticate": "{scheme}"' in f.message


def test_fal601_ambiguous_scheme_is_listed_not_guessed(tmp_path):
    root = write_files(tmp_path / "p", {
        "app/__init__.py": "",
        "app/main.py": """
            from fastapi import Depends, FastAPI, HTTPException
            from fastapi.security import HTTPBasic, HTTPBearer

            app = FastAPI()
            basic = HTTPBasic()
            bearer = HTTPBearer()


            @app.get("/x")
            def x(flag: bool):
                if flag:
                    raise HTTPException(status_code=401)
                return {}
            """,
    })
    (f,) = _findings(root, "FAL601")
    assert f.extra == {"scheme": "", "scheme_from": "file"}
    assert "(Basic or Bearer)" in f.message


def test_fal601_default_is_bearer_and_a_handler_that_adds_the_challenge_covers_raised_401s(tmp_path):
    files = {
        "app/__init__.py": "",
        "app/main.py": """
            from fastapi import FastAPI, HTTPException
            from fastapi.responses import JSONResponse

            app = FastAPI()


            @app.get("/x")
            def x(flag: bool):
                if flag:
                    raise HTTPException(status_code=401)
                return JSONResponse(status_code=401, content={})
            """,
    }
    root = write_files(tmp_path / "p", files)
    found = _findings(root, "FAL601")
    assert [(f.line, f.extra["scheme"], f.extra["scheme_from"]) for f in found] == [
        (11, "Bearer", "default"), (12, "Bearer", "default")]
    files["app/errors.py"] = """
        from fastapi.responses import JSONResponse

        from app.main import app


        @app.exception_handler(401)
        async def unauthorized(request, exc):
            return JSONResponse({"detail": exc.detail}, 401, {"WWW-Authenticate": "Bearer"})
        """
    root = write_files(tmp_path / "q", files)
    assert [f.line for f in _findings(root, "FAL601")] == [12]  # the returned response only


def test_fal601_helpers_only_websocket_handlers_call_are_not_reported_across_files(tmp_path):
    helper = """
        from fastapi import HTTPException


        def require_key(key):
            if key is None:
                raise HTTPException(status_code=401, detail="Missing key")
            return key
        """
    ws = """
        from fastapi import FastAPI, WebSocket

        from app import keys

        app = FastAPI()


        @app.websocket("/ws")
        async def ws(websocket: WebSocket):
            keys.require_key(websocket.headers.get("x-key"))
        """
    root = write_files(tmp_path / "a", {"app/__init__.py": "", "app/keys.py": helper, "app/main.py": ws})
    assert _findings(root, "FAL601") == []
    http = ws + """

        @app.get("/http")
        def http(key: str):
            return keys.require_key(key)
        """
    root = write_files(tmp_path / "b", {"app/__init__.py": "", "app/keys.py": helper, "app/main.py": http})
    assert [(f.path, f.line) for f in _findings(root, "FAL601")] == [("app/keys.py", 7)]


def test_fal601_a_function_called_only_by_dead_code_does_not_run(tmp_path):
    root = write_files(tmp_path / "p", {
        "app/__init__.py": "",
        "app/auth.py": """
            from fastapi import HTTPException


            def check(token):
                if not token:
                    raise HTTPException(status_code=401)


            def unused_wrapper(token):
                check(token)
            """,
    })
    assert _findings(root, "FAL601") == []


def test_fal603_samesite_none_refresh_cookie_is_info_session_cookie_a_warning():
    found = {f.line: f for f in _findings(APPS / "http_contract", "FAL603")}
    assert found[31].severity == Severity.INFO and "refresh-token cookie" in found[31].message
    assert found[18].severity == Severity.WARNING and "CSRF" in found[18].message


def test_fal601_a_jwt_librarys_dependency_answers_for_bearer(tmp_path):
    """`Authorize: AuthJWT = Depends()` (a JWT library's class) or a function that decodes a JWT
    answers for Bearer, even where the project's only security class is an API-key header."""
    root = write_files(tmp_path / "p", {
        "app/__init__.py": "",
        "app/keys.py": """
            from fastapi import HTTPException, Security
            from fastapi.security import APIKeyHeader

            api_key_header = APIKeyHeader(name="X-API-Key")


            def validate_api_key(api_key: str = Security(api_key_header)) -> str:
                if api_key != "":
                    raise HTTPException(status_code=401)
                return api_key
            """,
        "app/main.py": """
            from fastapi import Depends, FastAPI, HTTPException
            from fastapi_jwt_auth import AuthJWT

            from app.keys import validate_api_key

            app = FastAPI()


            @app.get("/me")
            def me(Authorize: AuthJWT = Depends()):
                try:
                    Authorize.jwt_required()
                except Exception:
                    raise HTTPException(status_code=401, detail="Invalid token")
                return {"sub": Authorize.get_jwt_subject()}


            @app.get("/other")
            def other(flag: bool):
                if flag:
                    raise HTTPException(status_code=401)
                return {}


            @app.get("/key")
            def key(k: str = Depends(validate_api_key)):
                return {}
            """,
    })
    found = {(f.path, f.line): f.extra for f in _findings(root, "FAL601")}
    assert found == {
        ("app/main.py", 15): {"scheme": "Bearer", "scheme_from": "function"},
        ("app/main.py", 22): {"scheme": "APIKey", "scheme_from": "project"},  # no evidence nearer
        ("app/keys.py", 10): {"scheme": "APIKey", "scheme_from": "function"},
    }, found


def test_fal601_a_dependency_imported_inside_a_function_runs(tmp_path):
    """A 401 in a dependency that an app factory imports inside a function (`def create_app():
    from app.auth import require_user`) reaches clients; one nothing imports does not."""
    root = write_files(tmp_path / "p", {
        "app/__init__.py": "",
        "app/auth.py": """
            from fastapi import HTTPException
            from fastapi.security import HTTPBasicCredentials


            def require_user(credentials: HTTPBasicCredentials):
                raise HTTPException(status_code=401, detail="Unauthorized")


            def unused(credentials: HTTPBasicCredentials):
                raise HTTPException(status_code=401, detail="Unauthorized")
            """,
        "app/main.py": """
            from fastapi import Depends, FastAPI


            def create_app() -> FastAPI:
                from app.auth import require_user

                app = FastAPI(dependencies=[Depends(require_user)])
                return app


            app = create_app()
            """,
    })
    assert [(f.path, f.line, f.extra["scheme"]) for f in _findings(root, "FAL601")] == [("app/auth.py", 7, "Basic")]


def test_fal601_scheme_from_the_helpers_that_check_the_credential(tmp_path):
    """A handler that refuses when a helper of its file says no names the helper's scheme
    (`_authorized(request)` → `_basic_ok(request)` reads a `Basic` header); a cookie-only
    session dependency gets no FAL601: a browser session has no challenge to name."""
    root = write_files(tmp_path / "p", {
        "app/__init__.py": "",
        "app/main.py": """
            import base64
            import hmac
            import os

            from fastapi import Depends, FastAPI, HTTPException, Request

            app = FastAPI()


            def _basic_ok(request: Request) -> bool:
                header = request.headers.get("Authorization") or ""
                if not header.lower().startswith("basic "):
                    return False
                login, _, password = base64.b64decode(header[6:]).decode().partition(":")
                return hmac.compare_digest(password, os.environ["EXCHANGE_PASSWORD"])


            def _authorized(request: Request) -> bool:
                return _basic_ok(request)


            def session_user(request: Request) -> str:
                sid = request.cookies.get("sid")
                if not sid:
                    raise HTTPException(status_code=401, detail="Sign in")
                return sid


            @app.get("/exchange")
            def exchange(request: Request) -> dict:
                if not _authorized(request):
                    raise HTTPException(status_code=401, detail="Unauthorized")
                return {"ok": True}


            @app.get("/me")
            def me(sid: str = Depends(session_user)) -> dict:
                return {"sid": sid}
            """,
    })
    assert [(f.path, f.line, f.extra["scheme"]) for f in _findings(root, "FAL601")] == [("app/main.py", 33, "Basic")]


def test_fal601_an_oauth2_client_authentication_is_challenged_with_basic():
    """RFC 6749 §5.2: a token endpoint that authenticates its client by `client_secret` answers a
    failed client authentication with the client's scheme (Basic), not the access tokens' Bearer."""
    found = {f.line: f for f in _findings(APPS / "http_unreached", "FAL601") if f.path == "app/main.py"}
    assert found[60].extra == {"scheme": "Basic", "scheme_from": "function"}
    assert "invalid_client" in found[60].message and "invalid_grant" in found[60].message
    assert "invalid_client" not in found[67].message  # a login form: no OAuth2 client


@pytest.mark.parametrize("header, reported", [
    ("", False),  # cookies only: the 401 answers a browser session
    # a header credential the same helper is handed: not a cookie only
    ('def by_key(x_api_key: str = Header(None)):\n    return verify(x_api_key)\n', True),
    ('def by_bearer(authorization: str = Header(None)):\n    return verify(authorization)\n', True),
    # a header credential elsewhere: the helper is still handed nothing but the cookie
    ('def by_bearer(authorization: str = Header(None)):\n    return authorization\n', False),
    ('STORAGE = {"api_key": "from-env"}  # an outbound key is no header of this API\n', False),
])
def test_a_project_authenticated_by_cookie_only_needs_no_challenge(tmp_path, header, reported):
    root = write_files(tmp_path / "p", {
        "pyproject.toml": '[tool.fastauthlint]\nselect = ["FAL601"]\n',
        "app/__init__.py": "",
        "app/session.py": """\
            from fastapi import Depends, FastAPI, HTTPException, Request


            def verify(session: str) -> str:
                if not session.startswith("s:"):
                    raise HTTPException(status_code=401, detail="not signed in")
                return session[2:]


            def current_user(request: Request):
                return verify(request.cookies.get("session", ""))


            app = FastAPI()


            @app.get("/me")
            def me(user: str = Depends(current_user)):
                return {"user": user}
            """,
        "app/other.py": "from fastapi import Header\n\nfrom app.session import verify\n\n\n" + header,
    })
    assert bool([f for f in lint([root]) if f.rule == "FAL601"]) is reported
