"""The route table (the contract other checks build on), its facts and the `routes` command."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from conftest import APPS, lint, run_cli, write_files as write
from fastauthlint.project.public import parse_public_pattern, public_match
from fastauthlint.project.route_table import Route, route_table
from fastauthlint.config import load_config, parse_table
from fastauthlint.engine import RunOptions, run


def table(root: Path, config=None):
    cfg = parse_table(config, root=root.resolve()) if config is not None else load_config([root])
    project = run(RunOptions(paths=[root], config=cfg, jobs=1, use_cache=False)).project
    return project, route_table(project)


def by(routes, method, path) -> Route:
    found = [r for r in routes if r.method == method and r.path == path]
    assert len(found) == 1, f"{method} {path}: {[(r.method, r.path) for r in routes]}"
    return found[0]



# -- the table ---------------------------------------------------------------------------------

def test_route_fields_across_files():
    root = APPS / "routes_layered"
    project, routes = table(root)
    r = by(routes, "GET", "/api/v1/items/{id}")
    items = (root / "app/api/routes/items.py").resolve().as_posix()
    assert r.handler == "app.api.routes.items.read_item"
    assert r.file == items and r.handler_file == items
    assert r.line == 13
    assert r.auth and "get_current_user" in r.auth
    assert r.public is None
    assert "app.api.deps.get_current_user" in r.auth_dependencies
    assert r.user_params == ("current_user",)
    assert r.optional_user_params == ()
    assert r.admin_only is False
    # the prefix comes from Settings.API_V1_STR in another file, through include_router in main.py
    assert by(routes, "GET", "/api/v1/users/").admin_only is True
    assert by(routes, "POST", "/api/v1/login/access-token").public == "login form (OAuth2PasswordRequestForm)"
    assert by(routes, "GET", "/api/v1/utils/health-check/").public.startswith("public-routes:")
    unprotected = by(routes, "POST", "/api/v1/users/signup")
    assert unprotected.auth is None and unprotected.public is None
    # memoised: other checks share the same list
    assert route_table(project) is routes


def test_one_route_per_method_and_handlers_elsewhere():
    _, routes = table(APPS / "routes_forms")
    assert {r.method for r in routes if r.path == "/shop/carts/{cart_id}"} == {"GET", "PUT"}
    coupons = by(routes, "GET", "/live/coupons")
    assert coupons.handler == "shop.views.handlers.list_coupons"
    assert coupons.handler_file.endswith("shop/views/handlers.py")
    assert coupons.file.endswith("shop/views/live.py")
    assert by(routes, "WEBSOCKET", "/live/orders").auth
    assert by(routes, "GET", "/ping").handler == "shop.main.create_app.<locals>.ping"


def test_handlers_sharing_a_name_keep_their_own_body():
    """Two `def get_notes` in one module: each route keeps its own handler, and the ownership
    findings of each body name its own route."""
    root = APPS / "routes_same_name_handlers"
    _, routes = table(root)
    assert by(routes, "GET", "/notes/").handler == "board.notes.get_notes@1"
    assert by(routes, "GET", "/notes/{note_id}").handler == "board.notes.get_notes"
    assert not [r for r in routes if "action" in r.path and r.method == "GET"]  # `HANDLERS.get(...)(...)`
    found = {f.line: f.message for f in lint([root]) if f.rule == "FAL201"}
    assert "GET /notes/{note_id}:" in found[24] and "GET /notes/{note_id}/body " in found[29]


def test_optional_users_and_admin_restrictions():
    _, routes = table(APPS / "routes_optional_auth")
    drafts = by(routes, "GET", "/posts/drafts")
    assert drafts.auth is None and drafts.optional_auth
    assert drafts.user_params == ("user",) and drafts.optional_user_params == ("user",)
    required_again = by(routes, "DELETE", "/posts/{post_id}")
    assert required_again.auth and required_again.optional_user_params == ()
    enforced = by(routes, "POST", "/posts/")
    assert enforced.auth and "enforced in the handler" in enforced.auth

    _, routes = table(APPS / "routes_dependency_kinds")
    assert by(routes, "DELETE", "/admin-only").admin_only
    assert by(routes, "POST", "/admin-instance").admin_only
    assert not by(routes, "GET", "/header").admin_only
    assert by(routes, "GET", "/sso").auth_dependencies == ("corp_sso.require_employee",)

    _, routes = table(APPS / "routes_cbv_and_libraries")
    assert by(routes, "GET", "/fu/admin").admin_only
    assert not by(routes, "GET", "/fu/me").admin_only
    assert by(routes, "GET", "/cbv/items").user_params == ("user",)


def test_routers_and_orphans():
    _, routes = table(APPS / "routes_include_chain")
    daily = [r for r in routes if r.handler.endswith("daily_report")]
    assert {(r.path, bool(r.auth)) for r in daily} == {("/api/v1/reports/daily", True), ("/public/reports/daily", False)}
    legacy = by(routes, "GET", "/legacy/export")
    assert legacy.orphan and legacy.routers == ("legacy.router",)
    assert by(routes, "GET", "/admin/settings").routers == ("admin_app.admin", "main.app")


def test_messages_say_what_was_checked():
    root = APPS / "routes_include_chain"
    cwd = os.getcwd()
    os.chdir(root)
    try:
        findings = {f.line: f.message for f in lint([Path(".")]) if f.rule == "FAL101" and f.path.endswith("legacy.py")}
    finally:
        os.chdir(cwd)
    (message,) = findings.values()
    # no app includes the legacy router (and every inclusion of the project was followed): info
    assert message.startswith("GET /legacy/export would be reachable without authentication once served")
    assert "not served by any app found" in message


def test_tests_are_not_routes(tmp_path):
    write(tmp_path, {
        "pyproject.toml": "[project]\nname='x'\n",
        "app/main.py": """
            from fastapi import FastAPI
            app = FastAPI()
        """,
        "tests/test_api.py": """
            from fastapi import FastAPI
            test_app = FastAPI()

            @test_app.get("/boom")
            def boom():
                return 1
        """,
    })
    _, routes = table(tmp_path)
    assert routes == []


def test_not_fastapi(tmp_path):
    """A Flask app's `@app.get` is not a FastAPI route."""
    write(tmp_path, {
        "pyproject.toml": "[project]\nname='x'\n",
        "web.py": """
            from flask import Flask
            app = Flask(__name__)

            @app.get("/")
            def index():
                return "hi"
        """,
    })
    _, routes = table(tmp_path)
    assert routes == []


# -- public-routes patterns --------------------------------------------------------------------

@pytest.mark.parametrize("pattern,method,path,expected", [
    ("GET /health", "GET", "/health", True),
    ("GET /health", "POST", "/health", False),
    ("GET /health", "GET", "/health/", True),
    ("/auth/*", "POST", "/auth/login", True),
    ("/auth/*", "POST", "/api/auth/login", False),
    ("GET,HEAD /docs/{page}", "HEAD", "/docs/{name}", True),
    ("GET /items/{id}", "GET", "/items/42", True),
    ("GET /items/{id}", "GET", "/items/42/parts", False),
    ("* /status", "DELETE", "/status", True),
])
def test_public_patterns(pattern, method, path, expected):
    methods, pat = parse_public_pattern(pattern)
    assert (public_match([(methods, pat, pattern)], method, path) is not None) is expected


def test_bad_public_pattern_is_a_config_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.fastauthlint]\npublic-routes = ["health"]\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    res = run_cli("routes", ".", cwd=tmp_path)
    assert res.returncode == 2
    assert b"public-routes" in res.stderr and b"Traceback" not in res.stderr


# -- facts ------------------------------------------------------------------------------------

def test_facts_round_trip_and_keep_no_secret(tmp_path):
    from fastauthlint.analysis import analyze_source
    from fastauthlint.cache import Cache
    from fastauthlint.project.store import FACTS_KEY, LazyFileFacts
    from fastauthlint.config import Config
    from fastauthlint.serial import decode, encode

    source = textwrap.dedent('''
        from fastapi import APIRouter, Depends
        from app.deps import get_current_user

        SECRET_KEY = "s3cr3t-Value-that-must-not-leak"
        router = APIRouter(prefix="/items", dependencies=[Depends(get_current_user)])

        def make(key=SECRET_KEY, other="another-s3cret-literal"):
            return helper(key, "third-s3cret-literal")

        @router.get("/{id}")
        def read(id: int, user=Depends(get_current_user)):
            return {"token": "fourth-s3cret-literal"}
    ''')
    res = analyze_source("/p/app/items.py", "app/items.py", "d", source, "app.items", False, Config(root=tmp_path))
    blob = json.dumps(encode(res))
    assert "s3cr3t" not in blob and "s3cret" not in blob
    back = decode(json.loads(blob))
    facts = LazyFileFacts(back.facts[FACTS_KEY])
    (route,) = facts.routes
    assert route.methods == ("GET",) and route.path.q == "/{id}" and route.line == 11
    assert facts.assigns["router"].kwarg("prefix").q == "/items"
    assert [p.name for p in facts.functions["read"].params] == ["id", "user"]
    assert Cache  # the cache stores exactly this encoding


# -- the command --------------------------------------------------------------------------------

def test_routes_command_shows_optional_and_unknown_routes():
    """Optional chains are `optional (...)`, not protected; routes whose dependencies come from a
    module of the project missing from the analysed code are `unknown`."""
    res = run_cli("routes", "--no-cache", ".", cwd=APPS / "routes_optional_chains")
    assert res.returncode == 0, res.stderr
    out = res.stdout.decode()
    assert "optional (parameter `db`: get_db_session" in out
    assert "4 protected, 0 public, 4 optional, 0 unprotected" in out  # the Role.GUEST gate protects
    res = run_cli("routes", "--no-cache", ".", cwd=APPS / "routes_missing_modules")
    out = res.stdout.decode()
    assert "unknown (depends on `app.api.deps`" in out and "3 unknown, 2 unprotected" in out


def test_routes_command_table_and_json():
    root = APPS / "routes_layered"
    res = run_cli("routes", "--no-cache", ".", cwd=root)
    assert res.returncode == 0, res.stderr
    out = res.stdout.decode()
    assert "/api/v1/items/{id}" in out and "UNPROTECTED" in out
    assert "public (login form (OAuth2PasswordRequestForm))" in out
    assert "app/api/routes/items.py:13" in out

    res = run_cli("routes", "--no-cache", "--format", "json", "app/api/routes/items.py", cwd=root)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert all(set(d) == {"method", "path", "handler", "file", "line", "auth", "public", "purpose", "guard",
                          "severity", "risk", "optional", "unknown"} for d in data)
    assert {d["file"] for d in data} == {"app/api/routes/items.py"}
    row = next(d for d in data if d["path"] == "/api/v1/items/stats/public")
    assert row == {"method": "GET", "path": "/api/v1/items/stats/public",
                   "handler": "app.api.routes.items.item_stats", "file": "app/api/routes/items.py",
                   "line": 18, "auth": None, "public": None, "purpose": None, "guard": None, "severity": "info",
                   "risk": "it answers static information (constants and settings that are not secrets)",
                   "optional": None, "unknown": None}


def test_routes_command_paths_relative_to_cwd():
    res = run_cli("routes", "--no-cache", "--format", "json", "tests/fixtures/apps/routes_public",
                  cwd=Path(__file__).resolve().parent.parent)
    assert res.returncode == 0, res.stderr
    files = {d["file"] for d in json.loads(res.stdout)}
    assert files == {"tests/fixtures/apps/routes_public/web/auth.py", "tests/fixtures/apps/routes_public/web/misc.py"}


# -- auth-dependencies ---------------------------------------------------------------------------

_EXTERNAL_AUTH_APP = {
    "pyproject.toml": "[project]\nname='x'\n",
    "app.py": """
        from fastapi import Depends, FastAPI
        from acme_auth.fastapi import require_user, require_admin

        app = FastAPI()

        @app.get("/a")
        def a(user=Depends(require_user)):
            return user

        @app.get("/b", dependencies=[Depends(require_admin)])
        def b():
            return 1
    """,
}


@pytest.mark.parametrize("entries,protected", [
    ([], set()),
    (["acme_auth.fastapi.require_user"], {"/a"}),
    (["require_admin"], {"/b"}),  # a dotted suffix
    (["acme_auth.*"], {"/a", "/b"}),  # a glob
    (["fastapi.require_user"], {"/a"}),
    (["user"], set()),  # a suffix is whole names, not any ending
])
def test_auth_dependencies_option(tmp_path, entries, protected):
    write(tmp_path, _EXTERNAL_AUTH_APP)
    _, routes = table(tmp_path, config={"auth-dependencies": entries})
    assert {r.path for r in routes if r.auth} == protected


def test_bad_auth_dependency_is_a_config_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.fastauthlint]\nauth-dependencies = ["get current user"]\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    res = run_cli(".", cwd=tmp_path)
    assert res.returncode == 2
    assert b"auth-dependencies" in res.stderr


def test_unresolved_prefix_still_matches_public_pattern(tmp_path):
    write(tmp_path, {
        "pyproject.toml": "[project]\nname='x'\n",
        "app.py": """
            from fastapi import APIRouter, FastAPI
            from somewhere import settings

            router = APIRouter()

            @router.post("/auth/login")
            def login():
                return 1

            app = FastAPI()
            app.include_router(router, prefix=settings.API_PREFIX)
        """,
    })
    _, routes = table(tmp_path, config={"public-routes": ["POST /auth/*"]})
    (r,) = routes
    assert r.path == "{settings.API_PREFIX}/auth/login"
    assert r.public == "public-routes: POST /auth/*"


def test_import_cycles_resolve_quickly(tmp_path):
    """Packages that re-export each other's names (star imports, `from .x import y` both ways)
    used to send name resolution into exponential time."""
    import time

    files = {"pyproject.toml": "[project]\nname='x'\n", "pkg/__init__.py": ""}
    n = 14
    for i in range(n):
        files[f"pkg/m{i}.py"] = "\n".join([
            f"from pkg.m{(i + 1) % n} import *",
            f"from pkg.m{(i + 2) % n} import *",
            f"from pkg.m{(i + 3) % n} import helper_{(i + 3) % n}",
            f"def helper_{i}():\n    return 1",
        ]) + "\n"
    files["pkg/app.py"] = """
        from fastapi import Depends, FastAPI
        from pkg.m0 import missing_name, helper_5

        app = FastAPI()

        @app.get("/x")
        def x(a=Depends(missing_name), b=Depends(helper_5)):
            return 1
    """
    write(tmp_path, files)
    start = time.monotonic()
    _, routes = table(tmp_path)
    assert time.monotonic() - start < 10
    assert [r.path for r in routes] == ["/x"] and routes[0].auth is None


def test_strict_mode_reports_the_purposes_of_routes_that_do_nothing_or_delegate():
    """`infer-public = false` reports the constant answers, the delegated sign-ins, the browser
    return pages and the container-injected probe like every other purpose."""
    root = APPS / "routes_purpose10"
    found = {(f.path.replace(os.sep, "/").split("routes_purpose10/")[-1], f.line): f.message
             for f in lint([root], config={"infer-public": False}) if f.rule == "FAL101"}
    assert "looks like a constant answer route" in found[("relay/pages.py", 53)]
    assert "looks like a constant answer route" in found[("relay/pages.py", 59)]
    assert "looks like a login (delegated) route" in found[("relay/idp.py", 27)]
    assert "looks like a signup (delegated) route" in found[("relay/bff.py", 25)]
    assert "looks like a redirect route" in found[("relay/pages.py", 16)]
    assert "looks like a health route" in found[("relay/pages.py", 46)]


def test_strict_mode_reports_routes_public_by_purpose(tmp_path):
    """`infer-public = false`: routes public by purpose are reported again, saying what they look
    like; routes guarded by a capability or a signature stay protected."""
    cfg = tmp_path / "strict.toml"
    cfg.write_text("[tool.fastauthlint]\ninfer-public = false\n")
    root = APPS / "routes_purpose"
    res = run_cli("--no-cache", "--format", "json", "--exit-zero", "--config", str(cfg), ".", cwd=root)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    found = {(d["path"].replace(os.sep, "/"), d["line"]): d["message"] for d in data["findings"]
             if d["rule"] == "FAL101"}
    login = found[("bookshelf/routers/auth.py", 52)]
    assert "looks like a login route" in login and "infer-public = false" in login
    assert "looks like an oauth callback route" in found[("bookshelf/routers/oauth.py", 43)]
    assert ("bookshelf/routers/webhooks.py", 21) not in found  # signature: protected, not public
    assert ("bookshelf/routers/shelves.py", 14) not in found  # capability
    res = run_cli("routes", "--no-cache", ".", cwd=root)
    out = res.stdout.decode()
    assert "public (login)" in out and "public (oauth callback)" in out
    assert "capability (`share_token`" in out and "signature (Stripe webhook signature)" in out


def test_sign_in_lookalikes_say_what_is_wrong_with_the_act():
    """A signup that makes every account staff and a login that checks no credential are reported
    for their act, not with a request for an authenticating dependency."""
    root = APPS / "routes_purpose11"
    found = {(f.path.replace(os.sep, "/").split("routes_purpose11/")[-1], f.line): f.message
             for f in lint([root]) if f.rule == "FAL101"}
    for line in (43, 52):
        assert "looks like a signup, but the account it creates is given an administrator or staff role" in \
            found[("beacon/accounts.py", line)]
        assert "Add an authenticating dependency" not in found[("beacon/accounts.py", line)]
    assert "without checking a password or any other credential" in found[("beacon/accounts.py", 71)]
    assert "it guards only" in found[("beacon/ops.py", 40)]
