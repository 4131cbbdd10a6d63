"""Name resolution from a file's imports, and across files in the linking phase."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from fastauthlint.analysis import analyze_path
from fastauthlint.config import Config
from fastauthlint.discovery import module_name
from fastauthlint.project.names import collect_module_names, resolve_relative
from fastauthlint.project.model import Project


def qualify(source: str, expr: str, module: str = "app.api.routes", is_package: bool = False):
    names = collect_module_names(cst.parse_module(source), module, is_package)
    return names.qualify(cst.parse_expression(expr))


@pytest.mark.parametrize("source, expr, expected", [
    ("import jwt\n", "jwt.decode", "jwt.decode"),
    ("import jwt as pyjwt\n", "pyjwt.decode", "jwt.decode"),
    ("from jose import jwt\n", "jwt.decode", "jose.jwt.decode"),
    ("from jwt import decode\n", "decode", "jwt.decode"),
    ("from jwt import decode as d\n", "d", "jwt.decode"),
    ("import jose.jwt\n", "jose.jwt.decode", "jose.jwt.decode"),
    ("import os.path\n", "os.path.join", "os.path.join"),
    ("from .deps import CurrentUser\n", "CurrentUser", "app.api.deps.CurrentUser"),
    ("from ..core import security\n", "security.verify", "app.core.security.verify"),
    ("from . import deps\n", "deps.get_db", "app.api.deps.get_db"),
    ("def get_user(): ...\n", "get_user", "app.api.routes.get_user"),
    ("x = 1\n", "jwt.decode", None),  # a name nobody imported is not the library
    ("try:\n    import jwt\nexcept ImportError:\n    jwt = None\n", "jwt.decode", "jwt.decode"),
    ("if TYPE_CHECKING:\n    from app.models import User\n", "User", "app.models.User"),
])
def test_qualify(source, expr, expected):
    assert qualify(source, expr) == expected


def test_relative_imports_from_a_package_init():
    assert qualify("from .deps import x\n", "x", module="app.api", is_package=True) == "app.api.deps.x"
    assert resolve_relative("app.api", True, 2, "core") == "app.core"
    assert resolve_relative("app.api.routes", False, 1, "") == "app.api"


def test_local_variable_named_like_a_library_is_not_the_library():
    assert qualify("def f(jwt):\n    return jwt.decode()\n", "jwt.decode") is None


def test_module_names_are_root_relative(tmp_path):
    assert module_name(tmp_path / "backend/app/api/deps.py", tmp_path) == ("backend.app.api.deps", False)
    assert module_name(tmp_path / "app/__init__.py", tmp_path) == ("app", True)


def _project(tmp_path: Path, files: dict) -> Project:
    results = {}
    cfg = Config(root=tmp_path)
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        mod, pkg = module_name(p, tmp_path)
        res = analyze_path(p, rel, mod, pkg, cfg)
        results[p.as_posix()] = res
    return Project(results, cfg)


def test_resolve_follows_reexports_star_imports_and_submodules(tmp_path):
    proj = _project(tmp_path, {
        "backend/app/__init__.py": "",
        "backend/app/api/__init__.py": "from .deps import *\n",
        "backend/app/api/deps.py": "from app.core.security import get_current_user as gcu\nCurrentUser = 1\n",
        "backend/app/core/__init__.py": "",
        "backend/app/core/security.py": "def get_current_user():\n    pass\n",
        "backend/app/api/routes/items.py": "from app.api import CurrentUser\nfrom app import api\n",
    })
    sec = (tmp_path / "backend/app/core/security.py").as_posix()
    deps = (tmp_path / "backend/app/api/deps.py").as_posix()
    items = (tmp_path / "backend/app/api/routes/items.py").as_posix()
    # absolute import by dotted suffix of the root-relative module name
    assert proj.resolve("app.api.deps.gcu", near=items).path == sec
    assert proj.resolve("app.api.deps.gcu", near=items).name == "get_current_user"
    # re-export through a package's star import
    assert proj.resolve("app.api.CurrentUser", near=items).path == deps
    # a submodule reached through its package, then an attribute of it
    assert proj.resolve("app.api.deps.CurrentUser.attr", near=items).attrs == ("attr",)
    assert proj.qualify_in(items, "CurrentUser") == "app.api.CurrentUser"
    assert proj.resolve("fastapi.Depends", near=items) is None


def test_resolve_prefers_the_module_nearest_the_importer(tmp_path):
    proj = _project(tmp_path, {
        "one/app/deps.py": "def dep(): ...\n",
        "one/app/main.py": "from app.deps import dep\n",
        "two/app/deps.py": "def dep(): ...\n",
        "two/app/main.py": "from app.deps import dep\n",
    })
    for side in ("one", "two"):
        main = (tmp_path / f"{side}/app/main.py").as_posix()
        assert proj.resolve("app.deps.dep", near=main).path == (tmp_path / f"{side}/app/deps.py").as_posix()


def test_resolution_survives_import_cycles(tmp_path):
    proj = _project(tmp_path, {
        "a.py": "from b import x\n",
        "b.py": "from a import x\n",
    })
    assert proj.resolve("a.x") is None


def test_cached_results_round_trip_exactly(tmp_path):
    """What the cache stores decodes to equal objects, enums (a str subclass) included."""
    from fastauthlint import serial
    from fastauthlint.findings import Finding, Severity, Span

    f = Finding("FAL301", "/x.py", Span(1, 2, 1, 9), "m", severity=Severity.INFO, masks=((1, 2, 9),))
    back = serial.decode(serial.encode(f))
    assert back == f and isinstance(back.severity, Severity)
    with pytest.raises(serial.DecodeError):
        serial.decode({"__d__": "os:system"})
