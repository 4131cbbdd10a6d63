"""The route table: every route of the project with its full path, its handler and how it is
protected, as the FastAPI graph and the authenticating dependencies decide (memoised per run).
The coverage family reports on it (FAL101, FAL102), the ownership family follows its handlers,
and `fastauthlint routes` prints it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from fastauthlint.context import is_test_path


@dataclass(frozen=True)
class Route:
    method: str  # "GET", ..., "WEBSOCKET"; api_route with several methods gives one Route per method
    path: str  # full path with every router/include prefix
    handler: str  # qualified name "<module>.<func>" or "<module>.<Class>.<method>"
    handler_file: str  # absolute POSIX path of the file defining the handler function
    file: str  # absolute POSIX path of the decorator / add_api_route call
    line: int  # its line
    auth: Optional[str]  # how it is protected (human text), None when it is not
    public: Optional[str]  # reason when public by design, else None
    auth_dependencies: Tuple[str, ...]  # qualified names of the authenticating dependencies that apply
    user_params: Tuple[str, ...]  # handler parameter names whose value is the authenticated user
    optional_user_params: Tuple[str, ...]  # those that may be None (FAL102)
    admin_only: bool  # an applying dependency restricts to superusers/admins
    # -- beyond the contract --
    optional_auth: Optional[str] = None  # authentication that applies but may let anonymous requests in
    column: int = 1
    kind: str = "api"  # "api" | "ws" | "starlette"
    routers: Tuple[str, ...] = ()  # the router, then each router/app it is included into
    orphan: bool = False  # its router is included nowhere in the analysed code


_LINKED_KEY = "routes:linked"


def _siblings(lr):
    return getattr(lr, "_siblings", [])


def _linked(project):
    def compute():
        from fastauthlint.project.link import Linker, TableBuilder

        config = project.config
        linker = Linker(project, config.option("auth-dependencies"))

        def is_test(path: str) -> bool:
            res = project.results.get(path)
            return is_test_path(res.rel if res is not None else path)

        table = TableBuilder(linker, config.option("public-routes"), is_test).build()
        by_site: Dict[Tuple[str, int], list] = {}
        for lr in table:
            by_site.setdefault((lr.file, lr.fact.line), []).append(lr)
        for group in by_site.values():
            for lr in group:
                lr._siblings = group  # type: ignore[attr-defined]
        return table

    return project.memo(_LINKED_KEY, compute)


def _auth_text(lr) -> Optional[str]:
    if lr.status != "protected":
        return None
    req = lr.required
    if not req and lr.enforced_in_handler:
        a = lr.optional[0]
        return f"{a.where}: {a.auth.text} (optional, enforced in the handler)"
    texts = []
    for a in req:
        t = f"{a.where}: {a.auth.text}"
        if t not in texts:
            texts.append(t)
    return "; ".join(texts[:3])


def route_table(project) -> List[Route]:
    """Every route of the project with its full path and how it is protected (memoised)."""

    def compute() -> List[Route]:
        out = []
        for lr in _linked(project):
            applying = lr.applied
            req = lr.required
            user_params = tuple(dict.fromkeys(a.param for a in applying if a.param and a.auth.user))
            optional_params = tuple(dict.fromkeys(a.param for a in applying if a.param and a.auth.user and a.auth.optional))
            optional_text = None
            if lr.optional and lr.status != "protected":
                optional_text = "; ".join(f"{a.where}: {a.auth.text}" for a in lr.optional[:2])
            out.append(Route(
                method=lr.method, path=lr.path, handler=lr.handler, handler_file=lr.handler_file, file=lr.file,
                line=lr.fact.line, auth=_auth_text(lr), public=lr.public,
                auth_dependencies=tuple(dict.fromkeys(a.auth.name for a in applying)),
                user_params=user_params, optional_user_params=optional_params,
                admin_only=any(a.auth.admin for a in req), optional_auth=optional_text, column=lr.fact.column,
                kind=lr.fact.kind, routers=tuple(lr.chain.routers), orphan=lr.chain.orphan,
            ))
        return out

    return project.memo("routes", compute)
