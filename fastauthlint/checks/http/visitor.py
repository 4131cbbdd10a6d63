"""The traversal of the HTTP-contract family (`HttpVisitor`): each call and comparison is handed to
the rule that judges it. FAL602–FAL604 are local to one file; FAL601's 401s are judged here as far
as the file shows (delivery.py) and recorded for the linking step with what the rest of the project
needs to know about this file (facts.py). Test code is not judged (it is not what the service
answers with, and nobody measures the timing of its comparisons), but its references to the
project's functions count.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import libcst as cst

from fastauthlint.astutil import descendants, literal_str, name_of, parameters
from fastauthlint.checks.base import CheckVisitor
from fastauthlint.checks.http import (
    cookies,
    cors_wildcard_with_credentials,
    delivery,
    dropped,
    fields,
    insecure_auth_cookie,
    misdirected,
    non_constant_time_compare,
    schemes,
    unauthorized_without_www_authenticate as fal601,
)
from fastauthlint.checks.http.constants import ModuleConstants
from fastauthlint.checks.http.facts import HttpFacts, Unauthorized
from fastauthlint.checks.secrets.sensitive import is_test_like_path, is_test_name
from fastauthlint.context import FileContext
from fastauthlint.findings import TEST_CODE_SEVERITY

_MAX_CHAIN = 4  # parts of a dotted reference kept (`khoj.database.adapters.retrieve_user`)
# Words that name a credential a client sends in a request header: `Authorization`, a bearer token,
# an API-key header (`X-API-Key`, `api-key`, a `Header()` parameter named for a key or token),
# FastAPI's header schemes. Not an `api_key` setting: that is what the application sends elsewhere.
_HEADER_CREDENTIAL = re.compile(r"authorization|bearer|api-key|x-[a-z-]*(token|key|auth)|APIKey(Header|Query)|"
                                r"HTTPBasic|OAuth2|OpenIdConnect|(token|key|auth)\w*\s*:[^=\n]*=\s*Header\(",
                                re.I)
# A cookie read as the request's credential (setting one is not reading it).
_READS_COOKIE = re.compile(r"\.cookies\b|\bCookie\(")


@dataclass
class _Frame:
    node: cst.FunctionDef
    qual: str
    cls_bases: Tuple[str, ...]  # bases of the class it is a method of
    websocket: bool
    top: str  # the top-level function it is (in), "" inside a class or a decorated function
    pending: List[Tuple[cst.Call, str]] = field(default_factory=list)


class _Comparisons:
    """FAL604, judged in the same walk: the comparisons of secrets (a mixin of HttpVisitor, whose
    frames and scopes it reads)."""

    # -- comparisons: FAL604 ------------------------------------------------------------------
    @property
    def _in_dunder_eq(self) -> bool:
        return bool(self._frames) and self._frames[-1].node.name.value in ("__eq__", "__ne__")

    def visit_Assert(self, node: cst.Assert) -> None:
        self._in_assert += 1

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self._in_assert -= 1

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if not self.ctx.is_test:
            self._owner_gated.update(id(c) for c in non_constant_time_compare.owner_gated(self.ctx, node))

    def visit_Comparison(self, node: cst.Comparison) -> None:
        # Tests compare tokens to check behaviour; nobody measures their timing.
        if self._in_assert or self.ctx.is_test or id(node) in self._owner_gated:
            return
        func = self._frames[-1].node if self._frames else None
        for message in non_constant_time_compare.check(self.ctx, node, self._in_dunder_eq, func, self._query > 0):
            self.report(non_constant_time_compare.RULE, node, message,
                        severity=TEST_CODE_SEVERITY if self._scaffolding() else None)

    def _scaffolding(self) -> bool:
        """Test support outside tests/: a `Mock*`/`Fake*`/`Stub*` class or function, a `mocks/` or
        `fixtures/` module (a mock DAO a test installs with `dependency_overrides`): not what serves."""
        return is_test_like_path(self.ctx.rel) or any(
            is_test_name(qual.rsplit(".", 1)[-1]) for kind, qual, _ in self._scopes)


class _Provenance:
    """What FAL601's linking step asks of the file beyond its 401s (a mixin of HttpVisitor): where
    each function's credential comes from (cookies.py), and which module-level `Annotated` alias
    a use of a function is in."""

    def _credential_flow(self, frame: _Frame) -> None:
        """FAL601's cookie provenance (cookies.py): the function's own credential, and what its calls
        hand on."""
        text = self._file_text
        verdict = cookies.own_verdict(frame.node, self._assignment, self._module_defs, text)
        if verdict:
            self._verdicts[frame.qual] = verdict
        known = cookies.provenance(frame.node, self._assignment, text)
        for callee, site in cookies.call_sites(frame.qual, frame.node.body, known, text):
            self._sites.setdefault(callee, []).append(site)

    def _alias_of(self, targets, value) -> str:
        """The name a module-level `Annotated[...]` alias binds: a type, which does nothing until a
        parameter is annotated with it."""
        if self._frames or self._scopes or len(targets) != 1 or not isinstance(targets[0], cst.Name):
            return ""
        if isinstance(value, cst.Subscript) and name_of(value.value) == "Annotated":
            return targets[0].value
        return ""

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self._alias = ""

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self._alias = ""


class HttpVisitor(_Comparisons, _Provenance, CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self.constants = ModuleConstants(ctx)
        self._in_assert = 0
        self._file_text = cookies.FileText(ctx.source)
        self._owner_gated: set = set()  # comparisons that run only for an owner (FAL604)
        self._scopes: List[Tuple[str, str, Tuple[str, ...]]] = []  # (kind, qual, class bases)
        self._frames: List[_Frame] = []
        self._websocket = 0
        self._module_pending: List[Tuple[cst.Call, str]] = []
        self._found: List[Unauthorized] = []
        self._helper_calls: Dict[int, List[cst.FunctionDef]] = {}  # index in _found -> its frames, no scheme seen
        self._file_schemes: set = set()
        self._refs: Dict[str, Dict[str, None]] = {}
        self._local_refs: Dict[str, Dict[str, None]] = {}
        self._not_refs: set = set()  # ids of Name nodes that define rather than use
        self._handlers: List[str] = []
        self._dropping: List[Tuple[Tuple[int, int, int, int], str]] = []  # handlers dropping headers (dropped.py)
        self._answering: List[str] = []
        self._never_falsy: List[str] = []
        self._guarantees: Dict[str, Tuple[Tuple[str, ...], str]] = {}
        self._local_calls: Dict[str, List[Tuple[cst.Call, Optional[cst.FunctionDef], str]]] = {}
        self._field_helpers: List[Tuple[Unauthorized, cst.FunctionDef, str]] = []  # resolved in leave_Module
        self._state_setters: Dict[str, bool] = {}
        self._exception_handlers: set = set()  # names of this file's functions registered as exception handlers
        self._cors: List[Tuple[Tuple[int, int, int, int], str, str]] = []
        self._ambient = False  # cookies, a cookie session or HTTP Basic: credentials a browser sends by itself
        self._query = 0  # depth of query-builder calls (`.where(...)`) the traversal is inside
        self._dev_branches = 0  # depth of `if` branches only a development environment takes (FAL603)
        self._module_defs: Dict[str, cst.FunctionDef] = {}
        self._alias = ""  # the module-level `Annotated[...]` alias being read (its uses refer to it)
        self._verdicts: Dict[str, str] = {}  # function -> cookies.COOKIE / HEADER (its own credential)
        self._sites: Dict[str, List[cookies.Site]] = {}  # callee's last name -> calls with arguments

    def visit_Module(self, node: cst.Module) -> None:
        self._module_defs = {s.name.value: s for s in node.body if isinstance(s, cst.FunctionDef)}

    def _report(self, rule: str, node: cst.CSTNode, message: Optional[str]) -> None:
        if message is not None:
            self.report(rule, node, message)

    # -- calls: FAL601, FAL602, FAL603 --------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if name_of(node.func) in non_constant_time_compare.QUERY_CALLS:
            self._query += 1
        if self.ctx.is_test:
            return  # test code builds responses and cookies to exercise the app; it is not served
        if type(node.func) is cst.Name and node.func.value in self.ctx.names.defined:
            frame = self._frames[-1] if self._frames else None
            self._local_calls.setdefault(node.func.value, []).append(
                (node, frame.node if frame else None, frame.qual if frame else ""))
        q = self.ctx.qualify(node.func)
        if q in fal601.CALLS:
            if fal601.without_challenge(self.ctx, self.constants, node, q):
                short = q.rsplit(".", 1)[1]
                (self._frames[-1].pending if self._frames else self._module_pending).append((node, short))
        elif cors_wildcard_with_credentials.is_middleware_call(node, q):
            if cors_wildcard_with_credentials.adds_cors(self.ctx, node, q):
                found = cors_wildcard_with_credentials.check(self.constants, node)
                if found is not None:
                    # judged when linking: does it run (a helper nothing calls adds no middleware),
                    # and does the browser attach a credential by itself anywhere in the project?
                    self._cors.append((_span(self.ctx, node), found, self._frames[0].top if self._frames else ""))
        elif insecure_auth_cookie.is_set_cookie(node):
            found = insecure_auth_cookie.check(self.ctx, self.constants, node)
            if found is not None and self._dev_branches:
                found = insecure_auth_cookie.in_development(found)
            if found is not None:
                self.report(insecure_auth_cookie.RULE, node, found[0], severity=found[1])
        else:
            name = name_of(node.func)
            if name in cors_wildcard_with_credentials.AMBIENT_CALLS and not self._websocket:
                self._ambient = True  # (a WebSocket's cookie: CORS does not govern WebSockets)
            if name in schemes.SCHEME_CLASSES:
                self._file_schemes.add(schemes.SCHEME_CLASSES[name])
            elif name == "add_exception_handler" and len(node.args) >= 2:
                handler = next((a.value for a in node.args if a.keyword is not None and a.keyword.value == "handler"),
                               node.args[1].value)
                self._exception_handlers.add(_handler_name(handler))
                if self._for_401(node.args[0].value):
                    self._handler(handler)
                    self._dropping_handler(self._module_defs.get(handler.value) if isinstance(handler, cst.Name) else None)

    # `if settings.ENV == "development": response.set_cookie(..., secure=False)` (FAL603)
    def visit_If_body(self, node: cst.If) -> None:
        if insecure_auth_cookie.development_test(node.test):
            self._dev_branches += 1

    def leave_If_body(self, node: cst.If) -> None:
        if insecure_auth_cookie.development_test(node.test):
            self._dev_branches -= 1

    def visit_If_orelse(self, node: cst.If) -> None:
        if isinstance(node.orelse, cst.Else) and insecure_auth_cookie.development_test(node.test, negated=True):
            self._dev_branches += 1

    def leave_If_orelse(self, node: cst.If) -> None:
        if isinstance(node.orelse, cst.Else) and insecure_auth_cookie.development_test(node.test, negated=True):
            self._dev_branches -= 1

    def leave_Call(self, original_node: cst.Call) -> None:
        if name_of(original_node.func) in non_constant_time_compare.QUERY_CALLS:
            self._query -= 1

    def _for_401(self, expr: cst.BaseExpression) -> bool:
        """An exception handler's key that catches 401s: the status, or the HTTPException class."""
        return fal601.status_code(self.ctx, expr) == 401 or name_of(expr) in ("HTTPException", "StarletteHTTPException")

    def _dropping_handler(self, func: Optional[cst.FunctionDef]) -> None:
        call = None if self.ctx.is_test or func is None else dropped.dropping_response(func)
        self._dropping.extend([(_span(self.ctx, call), name_of(call.func) or "Response")] if call is not None else [])

    def _handler(self, expr: cst.BaseExpression) -> None:
        q = self.ctx.qualify(expr)
        if q is not None:
            self._handlers.append(q)

    # -- scopes --------------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._not_refs.add(id(node.name))
        bases = tuple(self.ctx.qualify(b.value) or name_of(b.value) or "" for b in node.bases)
        for b in node.bases:
            word = schemes.SCHEME_CLASSES.get(name_of(b.value) or "")
            if word and not self.ctx.is_test:
                self._file_schemes.add(word)
        self._scopes.append(("class", self._qual(node.name.value), bases))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scopes.pop()

    def _qual(self, name: str) -> str:
        if not self._scopes:
            return name
        kind, qual, _ = self._scopes[-1]
        return f"{qual}.<locals>.{name}" if kind == "func" else f"{qual}.{name}"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._not_refs.add(id(node.name))
        qual = self._qual(node.name.value)
        in_class = bool(self._scopes) and self._scopes[-1][0] == "class"
        bases = self._scopes[-1][2] if in_class else ()
        if any(kind == "class" for kind, _, _ in self._scopes) or (node.decorators and not (
                self._frames and all(_copies_metadata(d) for d in node.decorators))):
            # A decorator may register it (a route, a handler); `@wraps(func)` only copies metadata:
            # a decorator's wrapper runs when the decorator is applied, as its own function does.
            top = ""
        elif self._frames:
            top = self._frames[0].top
        else:
            top = node.name.value
        websocket = delivery.is_websocket_handler(node, self.ctx)
        self._websocket += websocket
        self._frames.append(_Frame(node, qual, bases, websocket, top))
        self._scopes.append(("func", qual, ()))
        for dec in node.decorators:
            d = dec.decorator
            if isinstance(d, cst.Call) and name_of(d.func) == "exception_handler" and d.args:
                self._exception_handlers.add(node.name.value)
                if self._for_401(d.args[0].value):
                    self._handlers.append(self.ctx.qualify(node.name) or node.name.value)
                    self._dropping_handler(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self._frames[-1]
        if not self.ctx.is_test:
            self._credential_flow(frame)
            if frame.pending:
                self._analyse(frame)
            if not self._scopes[:-1] or self._scopes[-2][0] == "class":
                self._summarise(frame)
        self._websocket -= frame.websocket
        self._frames.pop()
        self._scopes.pop()

    # -- references to the project's functions (is a function holding a 401 ever called?) -----
    def _referrer(self) -> str:
        if self._websocket:
            return "ws"
        if not self._frames and self._alias:
            return self._alias  # `CurrentUser = Annotated[User, Depends(get_user)]` runs where it is used
        return self._frames[-1].top or "*" if self._frames else "*"

    def visit_Name(self, node: cst.Name) -> None:
        value = node.value
        if id(node) in self._not_refs:
            return
        if value in self.ctx.names.defined:
            self._local_refs.setdefault(value, {})[self._referrer()] = None
        elif value in self.ctx.names.imports:
            self._refs.setdefault(value, {})[self._referrer()] = None
        elif any(value in scope for scope in self.ctx.local_imports):
            # Imported inside a function: recorded by the name it qualifies to ("=" marks it), since
            # the linking step knows only the module-level imports.
            q = self.ctx.qualify(node)
            if q:
                self._refs.setdefault("=" + q, {})[self._referrer()] = None

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if not self._ambient and not self.ctx.is_test and not self._websocket \
                and cors_wildcard_with_credentials.ambient_attribute(node):
            self._ambient = True
        parts = [node.attr.value]
        head: cst.BaseExpression = node.value
        while isinstance(head, cst.Attribute) and len(parts) < _MAX_CHAIN:
            parts.append(head.attr.value)
            head = head.value
        if not isinstance(head, cst.Name):
            return
        if head.value in self.ctx.names.imports:
            self._refs.setdefault(".".join([head.value, *reversed(parts)]), {})[self._referrer()] = None
        elif any(head.value in s for s in self.ctx.local_imports):
            q = self.ctx.qualify(head)
            if q:
                self._refs.setdefault("=" + ".".join([q, *reversed(parts)]), {})[self._referrer()] = None

    def visit_Import(self, node: cst.Import) -> None:
        self._not_imports(node.names)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if not isinstance(node.names, cst.ImportStar):
            self._not_imports(node.names)

    def _not_imports(self, aliases) -> None:
        """Importing a name is not using it."""
        for alias in aliases:
            for n in descendants(alias):
                if isinstance(n, cst.Name):
                    self._not_refs.add(id(n))

    def visit_Assign(self, node: cst.Assign) -> None:
        self._alias = self._alias_of([t.target for t in node.targets], node.value)
        for t in node.targets:
            if isinstance(t.target, cst.Name):
                self._not_refs.add(id(t.target))
            elif isinstance(t.target, cst.Attribute) and delivery.is_state(t.target.value) and self._frames \
                    and not self.ctx.is_test:
                # `request.state.user_id = user.id`: set by a function that refuses the requests it
                # cannot authenticate, or by one that lets them through (`= None`, an optional user)
                refusing = not (isinstance(node.value, cst.Name) and node.value.value == "None") \
                    and delivery.refuses_request(self._frames[-1].node, node)
                attr = t.target.attr.value
                self._state_setters[attr] = self._state_setters.get(attr, True) and refusing

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._alias = self._alias_of([node.target], node.value)
        if isinstance(node.target, cst.Name):
            self._not_refs.add(id(node.target))

    # -- FAL601: what the file shows ----------------------------------------------------------
    def _analyse(self, frame: _Frame) -> None:
        func = frame.node
        parents = delivery.Parents(func)
        webhook: Optional[bool] = None
        for call, what in frame.pending:
            kind, stmt, names = delivery.role(call, parents)
            if kind == "discard" or (kind == "assign" and not delivery.used_after(func, names, stmt)):
                continue  # built, never raised
            if self._websocket:
                continue  # a WebSocket closes with a code: no HTTP answer
            exception = what == "HTTPException"
            if delivery.never_answers(func, frame.cls_bases, exception):
                continue
            if kind == "raise" and delivery.replaced(stmt, parents):
                continue
            if webhook is None:
                webhook = delivery.webhook_signature(func)
            if webhook or delivery.serves_pages(func, what) or delivery.cookie_session(func) or \
                    delivery.misconfiguration(call, stmt, parents, func, self.ctx):
                continue
            guard = delivery.guard_param(stmt, parents, func) if kind == "raise" else ""
            state = delivery.state_guard(stmt, parents, func) if kind == "raise" else ""
            field = fields.guarded_field(stmt, parents, func) if kind == "raise" and not guard else None
            client_auth = schemes.authenticates_client(func)
            found = {"Basic"} if client_auth else \
                schemes.function_schemes([f.node for f in reversed(self._frames)], self._assignment)
            if not found:
                # the credential is checked by helpers of this file (`if not _authorized(request)`)
                self._helper_calls[len(self._found)] = [f.node for f in self._frames]
            u = Unauthorized(
                span=_span(self.ctx, call), what=what, raised=exception,
                scheme=schemes.single(found) or "", schemes=tuple(sorted(found)) if len(found) > 1 else (),
                scheme_from=schemes.FUNCTION if found else "", holder=frame.top, func=frame.qual, guard=guard, state=state,
                client_auth=client_auth)
            u.misdirected = misdirected.kind(stmt, parents, func)
            if field is not None:
                u.missing_field = field[1]
                if fields.dependency_param(func, field[0]):
                    u.field_sources = ((frame.qual, field[0]),)
                elif frame.top == frame.qual:
                    self._field_helpers.append((u, func, field[0]))  # a helper: its callers say
            self._found.append(u)

    def _assignment(self, name: str) -> Optional[cst.BaseExpression]:
        value = self.constants.value(cst.Name(name))
        return None if isinstance(value, cst.Name) and value.value == name else value

    def _summarise(self, frame: _Frame) -> None:
        """What other files may ask of a top-level function or method: does this dependency never
        return a falsy value; does this exception handler answer with a challenge or a page?"""
        func = frame.node
        if delivery.looks_like_dependency(func):
            if delivery.never_falsy(func):
                self._never_falsy.append(frame.qual)
            checked, passed = fields.guarantees(func)
            if checked or passed:
                self._guarantees[frame.qual] = (checked, passed)
        if len(parameters(func)) == 2 and not self._scopes[:-1]:
            for n in descendants(func.body):
                if (type(n) is cst.SimpleString and (literal_str(n) or "").lower() == "www-authenticate") or \
                        (type(n) is cst.Call and name_of(n.func) in ("TemplateResponse", "HTMLResponse")):
                    self._answering.append(frame.qual)
                    break

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self.ctx.is_test:
            for callee, site in cookies.call_sites("", original_node, {}, self._file_text):
                self._sites.setdefault(callee, []).append(site)
        for u, func, param in self._field_helpers:
            u.field_sources = fields.caller_sources(self._local_calls.get(func.name.value, []), func, param) or ()
        if self._module_pending and not self.ctx.is_test:
            self._analyse_module(original_node)
        if self._helper_calls:
            self._helper_schemes(original_node)
        for u in self._found:
            if u.scheme_from != schemes.FUNCTION and self._file_schemes:
                u.file_scheme = schemes.single(self._file_schemes) or ""
                u.file_schemes = tuple(sorted(self._file_schemes)) if len(self._file_schemes) > 1 else ()
        if self._exception_handlers:
            # Raised inside an exception handler: Starlette does not handle it again, the server
            # error middleware answers 500.
            self._found = [u for u in self._found
                           if not (u.raised and u.func and u.func.rsplit(".", 1)[-1] in self._exception_handlers)]

    def _helper_schemes(self, module: cst.Module) -> None:
        """The scheme of a 401 whose function names none, from the module-level functions of the
        file it calls, two calls deep (`_request_is_authorized` → `_basic_auth_is_valid`)."""
        defs = {stmt.name.value: stmt for stmt in module.body if isinstance(stmt, cst.FunctionDef)}
        for index, frames in self._helper_calls.items():
            todo, seen, found = list(frames), {id(f) for f in frames}, set()
            for depth in range(2):
                nxt = []
                for func in todo:
                    for n in descendants(func.body):
                        g = defs.get(n.func.value) if isinstance(n, cst.Call) and isinstance(n.func, cst.Name) \
                            and _hands_credential(n) else None
                        if g is not None and id(g) not in seen:
                            seen.add(id(g))
                            nxt.append(g)
                            found |= schemes.function_schemes([g], self._assignment)
                todo = nxt
            if found:
                u = self._found[index]
                u.scheme = schemes.single(found) or ""
                u.schemes = tuple(sorted(found)) if len(found) > 1 else ()
                u.scheme_from = schemes.FUNCTION

    def _analyse_module(self, module: cst.Module) -> None:
        """401s built at module or class level: a shared exception (`CREDENTIALS_ERROR =
        HTTPException(401, ...)`) is raised wherever its name is; one built and dropped is not."""
        roles: Dict[int, Tuple[str, str]] = {}
        bodies = [module.body]
        for stmt in module.body:
            if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                bodies.append(stmt.body.body)
        for i, body in enumerate(bodies):
            for stmt in body:
                if not isinstance(stmt, cst.SimpleStatementLine):
                    continue
                for small in stmt.body:
                    if isinstance(small, cst.Expr):
                        roles[id(small.value)] = ("discard", "")
                    elif isinstance(small, cst.Assign) and len(small.targets) == 1 \
                            and isinstance(small.targets[0].target, cst.Name):
                        roles[id(small.value)] = ("assign", small.targets[0].target.value if i == 0 else "")
        for call, what in self._module_pending:
            kind, holder = roles.get(id(call), ("other", ""))
            if kind == "discard":
                continue
            self._found.append(Unauthorized(span=_span(self.ctx, call), what=what, raised=what == "HTTPException",
                                            holder=holder))

    def facts(self) -> Optional[HttpFacts]:
        schemes_used = tuple(sorted(self._file_schemes))
        # A credential a client sends in a header (by the words that name one, anywhere in the file):
        # a project with none anywhere authenticates by cookie only
        header = not self.ctx.is_test and bool(_HEADER_CREDENTIAL.search(self.ctx.source))
        if not (self._found or schemes_used or self._refs or self._local_refs or self._handlers or self._dropping
                or self._never_falsy or self._guarantees or self._state_setters or self._cors or self._ambient
                or header or self._verdicts or self._sites):
            return None
        return HttpFacts(unauthorized=self._found, schemes=schemes_used,
                         refs={k: tuple(v) for k, v in self._refs.items()},
                         local_refs={k: tuple(v) for k, v in self._local_refs.items()},
                         handlers=tuple(self._handlers), answering=tuple(self._answering), dropping=self._dropping,
                         never_falsy=tuple(self._never_falsy), guarantees=dict(self._guarantees),
                         state_setters=dict(self._state_setters),
                         cors=list(self._cors), ambient=self._ambient, header_credential=header,
                         reads_cookie=not self.ctx.is_test and bool(_READS_COOKIE.search(self.ctx.source)),
                         verdicts=self._verdicts, sites=self._sites)


_CREDENTIAL_ARG = re.compile(r"^(request|req|websocket|headers|authorization|credentials?|token|api_key|auth_header)$")


def _hands_credential(call: cst.Call) -> bool:
    """A helper handed the request or the credential (`_authorized(request)`), not any helper."""
    return any(isinstance(a.value, cst.Name) and _CREDENTIAL_ARG.match(a.value.value) for a in call.args)


def _copies_metadata(dec: cst.Decorator) -> bool:
    """`@wraps(func)`, `@functools.wraps(func)`: copies a function's name and docstring onto another."""
    d = dec.decorator
    return isinstance(d, cst.Call) and name_of(d.func) == "wraps"


def _handler_name(expr: cst.BaseExpression) -> str:
    """The function an exception handler names: `handler`, `self.handler`, `Handlers.handler`."""
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return expr.value if isinstance(expr, cst.Name) else ""


def _span(ctx: FileContext, node: cst.CSTNode) -> Tuple[int, int, int, int]:
    s = ctx.span(node)
    return (s.line, s.column, s.end_line, s.end_column)
