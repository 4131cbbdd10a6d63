"""FAL403 credential-in-url (preview; spec §7.1): a token, API key or password MUST NOT travel in
a URL, which proxies, servers and browsers write to their logs.

Reported:

- `APIKeyQuery(...)`: FastAPI's scheme that reads the API key from the query string;
- a parameter named for a credential (`token`, `access_token`, `api_key`, `password`, ...) declared
  with `Query(...)`, or a plain scalar parameter of a route handler (FastAPI reads it from the query
  string) that the route's path does not name;
- `request.query_params["token"]` / `.get("api_key")`;
- a URL built with a credential in its query (`f"{FRONTEND_URL}?token={token}"`, `"...&access_token=" + t`)
  that the application redirects to, logs, assigns to a redirect-named variable, or that points at
  its own frontend (an outbound call to an API that documents an `access_token` parameter is not
  the application's leak).

On a WebSocket handshake browsers cannot set headers, so a query credential there is `info` (in the
handler, or in a dependency only WebSocket routes apply: judged when linking), with the advice to use a one-time ticket or the `Sec-WebSocket-Protocol` header. Links meant to carry a
single-use token — email verification, password reset, invitations, magic links, unsubscribe and
download links — are not reported; nor is test code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple

import libcst as cst

from fastauthlint.astutil import argument, iter_children, literal_str, parameters
from fastauthlint.checks.base import CheckVisitor, ScopeNames, WordGatedCheck
from fastauthlint.context import FileContext
from fastauthlint.findings import Finding, Severity, Span

RULE = "FAL403"

CREDENTIAL = re.compile(r"^_*(token|access_?token|auth_?token|bearer(_?token)?|jwt(_?token)?|id_?token|"
                        r"refresh_?token|session_?token|api_?key|apikey|x_?api_?key|api_?token|password|passwd|"
                        r"client_?secret|secret)$", re.I)
# A query-string key that carries a credential in a URL the code builds.
_URL_KEY = re.compile(r"[?&](token|access_token|auth_token|jwt|id_token|refresh_token|api_key|apikey|api-key|"
                      r"api_token|password|passwd|client_secret|session_token)=$", re.I)
# Links designed to carry a single-use token (the token is the link), and their handlers.
ONE_TIME = re.compile(r"verif|confirm|reset|invit|activat|magic|unsubscribe|download|share|recover|forgot|"
                      r"accept|approve|redeem|one_?time|otp", re.I)
# Handlers that receive a token an external party put in the link (an identity provider's callback).
_RECEIVES_LINK = re.compile(r"signup|sign_up|register|onboard|claim|email|oauth|sso|callback|challenge|webhook|"
                            r"hub", re.I)
# Download and export links carry a short-lived `token` of their own (a signed URL): a generic
# `token` there is the link's, an `api_key` or `password` still is not.
_DOWNLOADISH = re.compile(r"download|export|zip|asset|attachment|media|image|file|thumbnail|stream|preview", re.I)
_SECRET_WORD = re.compile(r"key|token|secret|auth|pass|cred|sig|session|jwt", re.I)
_ROUTE_METHODS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket",
                  "websocket_route", "route"}
_QUERY = {"fastapi.Query", "fastapi.params.Query"}
_NOT_QUERY = {"Depends", "Security", "Header", "Cookie", "Body", "Form", "File", "Path"}
_SCALAR = re.compile(r"^(Optional\[)?(str|SecretStr|Union\[str, *None\]|str *\| *None)\]?$")


def _route(func: cst.FunctionDef, ctx: FileContext) -> Optional[tuple]:
    """(path, is_websocket) when a decorator registers `func` as a route."""
    for dec in func.decorators:
        call = dec.decorator
        if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
            continue
        method = call.func.attr.value
        if method not in _ROUTE_METHODS:
            continue
        path = literal_str(argument(call, "path", 0))
        if path is None:
            continue
        return path, method.startswith("websocket")
    return None


def _websocket(func: cst.FunctionDef) -> bool:
    for p in parameters(func):
        ann = p.annotation.annotation if p.annotation is not None else None
        if isinstance(ann, (cst.Name, cst.Attribute)):
            last = ann.attr.value if isinstance(ann, cst.Attribute) else ann.value
            if last == "WebSocket":
                return True
    return False


def _call_name(expr: Optional[cst.BaseExpression]) -> str:
    if isinstance(expr, cst.Call):
        f = expr.func
        return f.attr.value if isinstance(f, cst.Attribute) else (f.value if isinstance(f, cst.Name) else "")
    return ""


def _annotation_text(module: cst.Module, p: cst.Param) -> str:
    if p.annotation is None:
        return "str"
    return module.code_for_node(p.annotation.annotation).strip()


def _param_default(p: cst.Param) -> Optional[cst.BaseExpression]:
    """The declaring call: the default, or the `Annotated[..., Query()]` metadata."""
    if p.default is not None and isinstance(p.default, cst.Call):
        return p.default
    ann = p.annotation.annotation if p.annotation is not None else None
    if isinstance(ann, cst.Subscript) and isinstance(ann.value, (cst.Name, cst.Attribute)):
        last = ann.value.attr.value if isinstance(ann.value, cst.Attribute) else ann.value.value
        if last == "Annotated":
            for el in ann.slice[1:]:
                if isinstance(el.slice, cst.Index) and isinstance(el.slice.value, cst.Call):
                    return el.slice.value
    return p.default


def _advice(websocket: bool) -> str:
    if websocket:
        return ("browsers cannot set headers on a WebSocket handshake: prefer a short-lived one-time ticket, "
                "or the `Sec-WebSocket-Protocol` header, to a long-lived token in the URL")
    return "accept it in a header (`Authorization`, `X-API-Key`) or a cookie, never in the URL"


# Where a built URL goes that makes a credential in it the application's leak: a redirect, a log
# line, a variable named for a redirect, or a URL of the application's own frontend. An outbound
# call to a third-party API whose documented parameter is `access_token` is not reported.
_REDIRECTS = {"RedirectResponse", "redirect", "HttpResponseRedirect", "TemplateResponse"}
_LOGS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print"}
_REDIRECT_NAME = re.compile(r"redirect|location|callback|return_?to|next_?url", re.I)
_OWN_FRONTEND = re.compile(r"frontend|front_end|client_?url|app_?url|ui_?url|web_?url|webapp|dashboard_?url|"
                           r"redirect|callback|origin|site_?url|public_?url|host_?url", re.I)


@dataclass
class Deferred:
    """A query credential read in a function that is not a route (a dependency): judged when linking,
    where the routes that apply it say whether it serves WebSocket handshakes only."""

    owners: Tuple[str, ...]  # the function's qualified name, then its class's
    line: int
    column: int
    end_line: int
    end_column: int
    what: str


def _message(what: str, ws: bool) -> str:
    return f"{what}: URLs are written to proxy, server and browser logs; {_advice(ws)} (spec §7.1)"


class CredentialInUrlVisitor(ScopeNames, CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self.deferred: List[Deferred] = []
        self.init_scope(ctx)
        self._routes: List[bool] = []
        self._ws: List[bool] = []
        self._one_time: List[bool] = []
        self._receives: List[bool] = []  # a handler of a link or a third party's callback
        # URL-building nodes (f-strings, `+`) inside a redirect or log call or a redirect-named
        # assignment, marked when that call or assignment is visited (before its children).
        self._sink_nodes: set = set()

    def _mark_sinks(self, expr: cst.CSTNode) -> None:
        stack = [expr]
        while stack:
            n = stack.pop()
            if isinstance(n, (cst.FormattedString, cst.BinaryOperation)):
                self._sink_nodes.add(id(n))
            if not isinstance(n, (cst.Lambda, cst.FunctionDef)):
                stack.extend(iter_children(n))

    def visit_Assign(self, node: cst.Assign) -> None:
        names = [t.target for t in node.targets]
        text = " ".join(n.value if isinstance(n, cst.Name) else (n.attr.value if isinstance(n, cst.Attribute) else "")
                        for n in names)
        if _REDIRECT_NAME.search(text):
            self._mark_sinks(node.value)

    def _goes_out(self, node: cst.FormattedString) -> bool:
        if id(node) in self._sink_nodes:
            return True
        first = next((p for p in node.parts if isinstance(p, cst.FormattedStringExpression)), None)
        if first is not None and node.parts and node.parts[0] is first:
            return bool(_OWN_FRONTEND.search(self.ctx.module.code_for_node(first.expression)))
        return False

    def _flag(self, node: cst.CSTNode, what: str) -> None:
        ws = bool(self._ws and self._ws[-1])
        if not ws and self._routes and not any(self._routes):
            s = self.ctx.span(node)
            self.deferred.append(Deferred(self.owners(), s.line, s.column, s.end_line, s.end_column, what))
            return
        self.report(RULE, node, _message(what, ws), severity=Severity.INFO if ws else None)

    def facts(self) -> Optional[List[Deferred]]:
        return self.deferred or None

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.enter_scope(node.name.value)
        route = _route(node, self.ctx)
        self._routes.append(route is not None)
        ws = _websocket(node) or bool(route and route[1]) or bool(self._ws and self._ws[-1])
        path = route[0] if route else ""
        one_time = bool(ONE_TIME.search(node.name.value) or ONE_TIME.search(path)) or \
            bool(self._one_time and self._one_time[-1])
        self._ws.append(ws)
        receives = bool(_RECEIVES_LINK.search(node.name.value) or _RECEIVES_LINK.search(path))
        self._one_time.append(one_time)
        self._receives.append(one_time or receives or bool(self._receives and self._receives[-1]))
        if self._receives[-1]:
            return
        download = bool(_DOWNLOADISH.search(node.name.value) or _DOWNLOADISH.search(path))
        for p in parameters(node):
            name = p.name.value
            decl = _param_default(p)
            alias = literal_str(argument(decl, "alias")) if isinstance(decl, cst.Call) else None
            shown = alias or name
            if not CREDENTIAL.match(shown.replace("-", "_")) or (download and shown == "token"):
                continue
            if isinstance(decl, cst.Call) and self.ctx.qualify(decl.func) in _QUERY:
                self._flag(p.name, f"credential `{shown}` read from the query string")
            elif route is not None and (decl is None or not isinstance(decl, cst.Call)) \
                    and _call_name(decl) not in _NOT_QUERY and "{" + name + "}" not in path \
                    and "{" + name + ":" not in path \
                    and _SCALAR.match(_annotation_text(self.ctx.module, p)) and not route[1]:
                self._flag(p.name, f"credential `{shown}` of a route handler is read from the query string")

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.leave_scope()
        self._routes.pop()
        self._ws.pop()
        self._one_time.pop()
        self._receives.pop()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        callee = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
        if callee in _REDIRECTS or callee in _LOGS:
            for arg in node.args:
                self._mark_sinks(arg.value)
        q = self.ctx.qualify(node.func) or ""
        if q in ("fastapi.security.APIKeyQuery", "fastapi.security.api_key.APIKeyQuery"):
            # the scheme also serves identifiers that are not secrets (`name="oasst_user"`)
            name = literal_str(argument(node, "name", 0))
            if name is None or _SECRET_WORD.search(name):
                self._flag(node, "API key scheme `APIKeyQuery` reads the key from the query string")
            return
        if self._receives and self._receives[-1]:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "get" and isinstance(func.value, cst.Attribute) \
                and func.value.attr.value == "query_params" and node.args:
            key = literal_str(node.args[0].value)
            if key and CREDENTIAL.match(key.replace("-", "_")):
                self._flag(node, f"credential `{key}` read from the query string")

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if self._receives and self._receives[-1]:
            return
        if isinstance(node.value, cst.Attribute) and node.value.attr.value == "query_params" and len(node.slice) == 1 \
                and isinstance(node.slice[0].slice, cst.Index):
            key = literal_str(node.slice[0].slice.value)
            if key and CREDENTIAL.match(key.replace("-", "_")):
                self._flag(node, f"credential `{key}` read from the query string")

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if self._one_time and self._one_time[-1]:
            return
        parts = node.parts
        for i, part in enumerate(parts[:-1]):
            if not isinstance(part, cst.FormattedStringText):
                continue
            m = _URL_KEY.search(part.value)
            nxt = parts[i + 1]
            if m and isinstance(nxt, cst.FormattedStringExpression) and not self._one_time_value(nxt.expression, part) \
                    and self._goes_out(node):
                self._flag(node, f"credential `{m.group(1)}` put into a URL")
                return

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if self._one_time and self._one_time[-1] or not isinstance(node.operator, cst.Add):
            return
        text = literal_str(node.left)
        if text is None and isinstance(node.left, cst.BinaryOperation):
            text = literal_str(node.left.right)
        m = _URL_KEY.search(text or "")
        if m and not self._one_time_value(node.right, None) and id(node) in self._sink_nodes:
            self._flag(node, f"credential `{m.group(1)}` put into a URL")

    def _one_time_value(self, expr: cst.BaseExpression, text: Optional[cst.FormattedStringText]) -> bool:
        code = self.ctx.module.code_for_node(expr)
        return bool(ONE_TIME.search(code) or (text is not None and ONE_TIME.search(text.value)))


_RELEVANT = re.compile(r"query|Query|token|api_?key|password|secret", re.I)


class CredentialInUrlCheck(WordGatedCheck):
    name = "tokens-credential-in-url"
    rules = (RULE,)
    relevant = _RELEVANT
    visitor_class = CredentialInUrlVisitor

    def link(self, project) -> Iterable[Finding]:
        from fastauthlint.project.route_table import websocket_only_dependencies  # as the other link steps

        for path, deferred in project.facts(self.name):
            for d in deferred:
                ws = any(owner in websocket_only_dependencies(project) for owner in d.owners)
                yield Finding(rule=RULE, path=path, span=Span(d.line, d.column, d.end_line, d.end_column),
                              message=_message(d.what, ws), severity=Severity.INFO if ws else None)


CHECK = CredentialInUrlCheck()
