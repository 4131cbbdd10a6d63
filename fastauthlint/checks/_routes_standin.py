"""TEMPORARY stand-in for `fastauthlint.checks.routes.route_table` (branch feat/routes), used by
the ownership check only while that branch is not merged. DELETE THIS FILE AT MERGE.

It reads the ownership facts it needs from the source again (only while it exists) with simple
rules: a handler is a function decorated with `@<x>.get/post/put/patch/delete(...)`; a parameter
holds the current user when its default or Annotated metadata is `Depends(f)` (directly or through
a module-level `Annotated` alias) with `f` named like `get_current_*user*` / `current_user`; a
route is admin-only when such a dependency's name mentions superuser/admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.names import dotted

_METHODS = {"get", "post", "put", "patch", "delete", "api_route", "websocket"}
_USER_DEP = re.compile(r"(^|_)current_?\w*user|^get_\w*user\w*_from_token|(^|_)require\w*user", re.I)
_ADMIN = re.compile(r"superuser|admin", re.I)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: str
    handler_file: str
    file: str
    line: int
    auth: Optional[str]
    public: Optional[str]
    auth_dependencies: Tuple[str, ...]
    user_params: Tuple[str, ...]
    optional_user_params: Tuple[str, ...]
    admin_only: bool


def _dep_name(call: cst.BaseExpression) -> Optional[str]:
    if isinstance(call, cst.Call) and astutil.name_of(call.func) in ("Depends", "Security"):
        target = astutil.argument(call, "dependency", 0)
        if isinstance(target, cst.Call):
            target = target.func
        return dotted(target) if target is not None else None
    return None


def _aliases(module: cst.Module) -> Dict[str, str]:
    out = {}
    for name, value in astutil.module_constants(module).items():
        if isinstance(value, cst.Subscript) and astutil.name_of(value.value) == "Annotated":
            for el in value.slice[1:]:
                if isinstance(el.slice, cst.Index):
                    d = _dep_name(el.slice.value)
                    if d:
                        out[name] = d
        else:
            d = _dep_name(value)
            if d:
                out[name] = d
    return out


def route_table(project) -> List[Route]:
    return project.memo("routes-standin", lambda: _build(project))


def _build(project) -> List[Route]:
    parsed = {}
    aliases: Dict[str, str] = {}
    for path, res in sorted(project.results.items()):
        if res.names is None:
            continue
        try:
            module = cst.parse_module(Path(path).read_text(encoding="utf-8"))
        except Exception:
            continue
        parsed[path] = (res.names.module, module)
        aliases.update(_aliases(module))
    routes: List[Route] = []
    for path, (modname, module) in parsed.items():
        for stmt in module.body:
            if isinstance(stmt, cst.FunctionDef):
                routes.extend(_routes_of(project, stmt, modname, path, aliases))
            elif isinstance(stmt, cst.ClassDef) and any(
                    astutil.name_of(astutil.decorator_call(d)[0]) == "cbv" for d in stmt.decorators):
                # fastapi-utils class-based view: class attributes are dependencies of every method
                cls_users = []
                body = stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else ()
                for item in body:
                    if isinstance(item, cst.SimpleStatementLine):
                        for small in item.body:
                            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                                d = _dep_name(small.value) if small.value is not None else None
                                if d and _USER_DEP.search(d.split(".")[-1]):
                                    cls_users.append((small.target.value, d))
                for item in body:
                    if isinstance(item, cst.FunctionDef):
                        for r in _routes_of(project, item, f"{modname}.{stmt.name.value}", path, aliases):
                            deps = tuple(project.qualify_in(path, d) or d for _, d in cls_users)
                            routes.append(Route(
                                method=r.method, path=r.path, handler=r.handler, handler_file=path, file=path, line=1,
                                auth=r.auth or (deps[0] if deps else None), public=None,
                                auth_dependencies=r.auth_dependencies + deps,
                                user_params=r.user_params + tuple(n for n, _ in cls_users),
                                optional_user_params=r.optional_user_params,
                                admin_only=r.admin_only or any(_ADMIN.search(d.split(".")[-1]) for d in deps)))
    return routes


def _routes_of(project, func: cst.FunctionDef, modname: str, path: str, aliases: Dict[str, str]) -> List[Route]:
    out = []
    for dec in func.decorators:
        callee, call = astutil.decorator_call(dec)
        if call is None or not isinstance(callee, cst.Attribute) or callee.attr.value not in _METHODS:
            continue
        route_path = astutil.literal_str(astutil.argument(call, "path", 0)) or ""
        deps = []
        kw = astutil.keyword(call, "dependencies")
        if kw is not None and isinstance(kw.value, (cst.List, cst.Tuple)):
            for el in kw.value.elements:
                d = _dep_name(el.value)
                if d:
                    deps.append(d)
        users, opt = [], []
        for p in astutil.parameters(func):
            d = None
            if p.default is not None:
                d = _dep_name(p.default)
            ann = p.annotation.annotation if p.annotation is not None else None
            if d is None and isinstance(ann, cst.Subscript) and astutil.name_of(ann.value) == "Annotated":
                for el in ann.slice[1:]:
                    if isinstance(el.slice, cst.Index):
                        d = d or _dep_name(el.slice.value)
            if d is None and isinstance(ann, (cst.Name, cst.Attribute)):
                d = aliases.get(astutil.name_of(ann) or "")
            if d is None and isinstance(p.default, (cst.Name, cst.Attribute)):
                d = aliases.get(astutil.name_of(p.default) or "")
            if d is not None and _USER_DEP.search(d.split(".")[-1]):
                deps.append(d)
                (opt if "optional" in d.lower() else users).append(p.name.value)
        auth_deps = tuple(project.qualify_in(path, d) or d for d in deps if _USER_DEP.search(d.split(".")[-1]))
        out.append(Route(
            method=callee.attr.value.upper(), path=route_path, handler=f"{modname}.{func.name.value}",
            handler_file=path, file=path, line=1, auth=auth_deps[0] if auth_deps else None, public=None,
            auth_dependencies=auth_deps, user_params=tuple(users), optional_user_params=tuple(opt),
            admin_only=any(_ADMIN.search(d.split(".")[-1]) for d in auth_deps)))
    return out
