"""Per-file collection, part four: how the application is wired. Routes (decorators, a decorator
applied by hand, `add_api_route` and Starlette's `add_route`), `include_router` and `mount` edges,
middleware (`add_middleware`, `@app.middleware`), and calls handing names to project functions
(`register_routes(app)`: they bind the function's parameters when the project is linked).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.context import FileContext
from fastauthlint.project.collect_values import Frame, ValueReader
from fastauthlint.project.facts import CallFact, FileFacts, HandlerFact, IncludeFact, MiddlewareFact, RouteFact
from fastauthlint.project.known import HTTP_VERBS, ROUTE_CALLS, ROUTE_DECORATORS
from fastauthlint.project.public import public_marker
from fastauthlint.project.values import UNK, V

# Modules whose functions never receive a project's routers or dependencies: calls into them are
# not recorded (most of a program's calls by name).
_NOT_PROJECT = frozenset({
    "fastapi", "starlette", "typing", "typing_extensions", "logging", "os", "sys", "json", "re", "datetime",
    "pydantic", "sqlalchemy", "sqlmodel", "asyncio", "time", "uuid", "math", "random", "itertools",
    "functools", "collections", "pathlib", "builtins",
})


class RouteRecorder(ValueReader):
    """Records the wiring into the file's facts (the collector's part)."""

    out: FileFacts  # created by the collector

    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        # (RouteFact fields but the position and the marker, the node to place it, the nodes
        # whose lines may carry a public marker): positioned when the facts are handed over
        self._pending_routes: List[Tuple[Dict[str, Any], cst.CSTNode, List[cst.CSTNode]]] = []

    def _record_wiring(self, node: cst.Call) -> None:
        """A call that declares a route, an inclusion, a mount or a middleware."""
        func = node.func
        if isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute) and node.args:
            # `router.post("/register")(register_user)`: a decorator applied by hand
            if func.func.attr.value in ROUTE_DECORATORS and _route_shaped(func, func.func.attr.value):
                self._route_applied(node, func)
        if isinstance(func, cst.Attribute):
            attr = func.attr.value
            if attr in ROUTE_CALLS:
                self._route_call(node, attr)
            elif attr == "include_router":
                self._include(node)
            elif attr == "mount":
                self._mount(node)
            elif attr == "add_middleware" and node.args and node.args[0].keyword is None:
                target = self.val(node.args[0].value)
                kw = tuple((a.keyword.value, self.val(a.value)) for a in node.args[1:] if a.keyword is not None)
                if kw:  # `add_middleware(Auth, exclude_paths=[...])`: the instance it builds, `Auth(app, ...)`
                    target = V("call", a=(target,), kw=kw)
                self.out.middleware.append(MiddlewareFact(self.val(func.value), target))
            elif attr == "add_exception_handler" and len(node.args) >= 2:
                self.out.exception_handlers.append(HandlerFact(self.val(node.args[0].value),
                                                               self.val(node.args[1].value)))

    def _maybe_call_fact(self, call: cst.Call) -> None:
        """A call passing names to a function of the project (`register_routes(app)`)."""
        if not any(isinstance(a.value, (cst.Name, cst.Attribute, cst.List, cst.Tuple)) for a in call.args):
            return
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in (
                "include_router", "mount", "add_api_route", "add_middleware", "get", "post"):
            return
        callee = self._callee_val(call.func, 0)
        # functions called by name (`register_routes(app)`), not methods of objects
        # (`session.add(item)`, most of a program's calls)
        if callee.k not in ("ref", "def", "loc"):
            return
        if callee.k == "ref" and callee.q.split(".")[0] in _NOT_PROJECT:
            return

        def arg(node: cst.BaseExpression) -> V:
            # a literal list too: `make_routes(router, dependencies=[Depends(auth)])`
            return self.val(node) if isinstance(node, (cst.Name, cst.Attribute, cst.List, cst.Tuple)) else UNK

        args = tuple(arg(a.value) for a in call.args if a.keyword is None and not a.star)
        kw = tuple((a.keyword.value, arg(a.value)) for a in call.args if a.keyword is not None)
        self.out.calls.append(CallFact(callee=callee, args=args, kw=kw))

    def _route_decorator(self, dec: cst.Decorator, fn: cst.FunctionDef, qual: str, top: Optional[Frame]) -> None:
        callee, call = astutil.decorator_call(dec)
        if call is None or not isinstance(callee, cst.Attribute):
            return
        attr = callee.attr.value
        if attr == "middleware":  # @app.middleware("http")
            self.out.middleware.append(MiddlewareFact(self.val(callee.value), V("def", q=qual)))
            return
        if attr == "exception_handler" and call.args:  # @app.exception_handler(AuthError)
            self.out.exception_handlers.append(HandlerFact(self.val(call.args[0].value), V("def", q=qual)))
            return
        if attr not in ROUTE_DECORATORS or not _route_shaped(call, attr):
            return
        kind, default_methods = ROUTE_DECORATORS[attr]
        path_node = astutil.argument(call, "path", 0)
        if path_node is None:
            return
        methods = self._methods(call, default_methods, kind)
        lines_nodes = [dec, fn.name]
        self._pending_routes.append(({
            "receiver": self.val(callee.value), "kind": kind, "form": "decorator", "methods": methods,
            "path": self.val(path_node), "dependencies": self._opt_val(astutil.argument(call, "dependencies")),
            "handler": qual, "endpoint": None, "cls": top.qual if top is not None and top.kind == "class" else "",
        }, dec, lines_nodes))

    def _route_applied(self, node: cst.Call, deco: cst.Call) -> None:
        assert isinstance(deco.func, cst.Attribute)
        kind, default_methods = ROUTE_DECORATORS[deco.func.attr.value]
        path_node = astutil.argument(deco, "path", 0)
        if path_node is None:
            return
        top = self._top()
        self._pending_routes.append(({
            "receiver": self.val(deco.func.value), "kind": kind, "form": "decorator-call",
            "methods": self._methods(deco, default_methods, kind), "path": self.val(path_node),
            "dependencies": self._opt_val(astutil.argument(deco, "dependencies")), "handler": "",
            "endpoint": self.val(node.args[0].value),
            "cls": top.qual if top is not None and top.kind == "class" else "",
        }, node, [node]))

    def _methods(self, call: cst.Call, default: Tuple[str, ...], kind: str) -> Tuple[str, ...]:
        if kind == "ws":
            return default
        node = astutil.argument(call, "methods")
        if node is None:
            return default
        value = astutil.literal_value(node, None)
        if isinstance(value, (list, tuple, set)) and value and all(isinstance(m, str) for m in value):
            return tuple(sorted({m.upper() for m in value}, key=_method_order))
        return default

    def _route_call(self, node: cst.Call, attr: str) -> None:
        kind, default_methods = ROUTE_CALLS[attr]
        path_node = astutil.argument(node, "path", 0)
        endpoint = astutil.argument(node, "endpoint", 1)
        if path_node is None or endpoint is None:
            return
        assert isinstance(node.func, cst.Attribute)
        recv = node.func.value
        if isinstance(recv, cst.Call) and isinstance(recv.func, cst.Name) and recv.func.value == "super":
            # `super().add_api_route(path, endpoint, **kwargs)` in a router subclass's override:
            # the pass-through every route of the subclass takes, each recorded where declared
            return
        top = self._top()
        self._pending_routes.append(({
            "receiver": self.val(recv), "kind": kind, "form": attr,
            "methods": self._methods(node, default_methods, kind), "path": self.val(path_node),
            "dependencies": self._opt_val(astutil.argument(node, "dependencies")), "handler": "",
            "endpoint": self.val(endpoint), "cls": top.qual if top is not None and top.kind == "class" else "",
        }, node, [node]))

    def _include(self, node: cst.Call) -> None:
        assert isinstance(node.func, cst.Attribute)
        child = astutil.argument(node, "router", 0)
        if child is None:
            return
        if isinstance(child, cst.Call):
            # `app.include_router(make_routes(APIRouter(), dependencies=[...]))`: the factory's call
            self._maybe_call_fact(child)
        self.out.includes.append(IncludeFact(
            parent=self.val(node.func.value), child=self.val(child),
            prefix=self._opt_val(astutil.argument(node, "prefix")),
            dependencies=self._opt_val(astutil.argument(node, "dependencies")), kind="include"))

    def _mount(self, node: cst.Call) -> None:
        assert isinstance(node.func, cst.Attribute)
        path = astutil.argument(node, "path", 0)
        app = astutil.argument(node, "app", 1)
        if path is None or app is None:
            return
        self.out.includes.append(IncludeFact(parent=self.val(node.func.value), child=self.val(app),
                                             prefix=self.val(path), dependencies=None, kind="mount"))

    def _finish_routes(self) -> None:
        """The routes with their positions and public markers (positions are computed for the
        whole file on first use: only files that declare routes pay for them)."""
        lines = self.ctx.lines
        for info, node, mark_nodes in self._pending_routes:
            span = self.ctx.span(node)
            public = public_marker(lines, [self.ctx.span(n) for n in mark_nodes], span.line)
            self.out.routes.append(RouteFact(
                line=span.line, column=span.column, end_line=span.end_line, end_column=span.end_column,
                public=public, **info))


def _route_shaped(call: cst.Call, attr: str) -> bool:
    """The call could be a route decorator: FastAPI's `get`/`post`/... take the path as their only
    positional argument, so `EVENTS.get(kind, None)(payload)` (a dict's `.get`, then calling what
    it found) is no route."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if attr in HTTP_VERBS and len(positional) > 1:
        return False
    return not (positional and isinstance(positional[0].value, (cst.Integer, cst.Float)))


_ORDER = {m: i for i, m in enumerate(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "WEBSOCKET"))}


def _method_order(m: str) -> Tuple[int, str]:
    return (_ORDER.get(m, 99), m)
