"""Per-file collection, part three: the evidence a function's own code shows about authentication.

What the linking phase weighs (authentication.py, evidence.py) is recorded here while the walk is
inside a function: the credentials it reads (an Authorization/API-key header or cookie, a token
query parameter, `request.user`), the token verifiers it calls, what it raises or returns with a
401/403 status, which of its parameters it tests for None before using them (and whether a
missing one is refused), admin checks, and whether it hands the request to another call. Exception
classes record a 401/403 status mentioned in their body.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.context import FileContext
from fastauthlint.project import collect_flow as flow
from fastauthlint.project.collect_flow import FlowRecorder, expr_walk, mentions_status, refuses
from fastauthlint.project.collect_values import Frame
from fastauthlint.project.facts import ParamFact
from fastauthlint.project.names import dotted
from fastauthlint.project.known import (
    ADMIN_ATTRS, ADMIN_WORDS, ANONYMOUS, COOKIE_PARAMS, HEADER_PARAMS, QUERY_PARAMS, REQUEST_TYPES, VERIFIER_METHODS,
    VERIFIERS, holds_credential_key, is_credential_key, is_credential_name, rejection_by_name, strongest,
)
from fastauthlint.project.values import V, v_rejection


def _guard_names(expr: cst.BaseExpression, out: set) -> None:
    """Names tested for None/truthiness by a condition: `x`, `not x`, `x is None`,
    `x is not None`, `x == None`, `a and b`, `isinstance(x, T)`, `bool(x)`."""
    if isinstance(expr, cst.Name):
        out.add(expr.value)
    elif isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        _guard_names(expr.expression, out)
    elif isinstance(expr, cst.BooleanOperation):
        _guard_names(expr.left, out)
        _guard_names(expr.right, out)
    elif isinstance(expr, cst.Comparison):
        if isinstance(expr.left, cst.Name) and any(
                isinstance(c.comparator, cst.Name) and c.comparator.value == "None" for c in expr.comparisons):
            out.add(expr.left.value)
        for c in expr.comparisons:
            if isinstance(c.comparator, cst.Name) and isinstance(expr.left, cst.Name) and expr.left.value == "None":
                out.add(c.comparator.value)
    elif isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("isinstance", "bool"):
        if expr.args and isinstance(expr.args[0].value, cst.Name):
            out.add(expr.args[0].value.value)


def _missing_test(expr: cst.BaseExpression) -> Tuple[Optional[str], bool]:
    """(name, True) when `expr` holds for a missing value of `name` (`not x`, `x is None`,
    `x == None`), (name, False) when it holds for a present one (`x`, `x is not None`)."""
    if isinstance(expr, cst.Name):
        return expr.value, False
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Not):
        name, missing = _missing_test(expr.expression)
        return name, not missing
    if isinstance(expr, cst.Comparison) and len(expr.comparisons) == 1 and isinstance(expr.left, cst.Name):
        c = expr.comparisons[0]
        if isinstance(c.comparator, cst.Name) and c.comparator.value == "None":
            if isinstance(c.operator, (cst.Is, cst.Equal)):
                return expr.left.value, True
            if isinstance(c.operator, (cst.IsNot, cst.NotEqual)):
                return expr.left.value, False
    return None, False


_CSRF = re.compile(r"csrf|xsrf", re.I)
# Callees that run the function they are handed at once and hand back its result (or raise its
# exception): a thread pool's offloaders. Not `add_task`/`create_task`: those run it later.
_RUNNERS = frozenset({"to_thread", "run_in_threadpool", "run_sync", "run_in_executor", "run_in_thread",
                      "run_blocking", "run_sync_in_worker_thread"})


def _offloads(func: cst.BaseExpression) -> bool:
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in _RUNNERS


def _runs_callable(func: cst.BaseExpression) -> bool:
    """`asyncio.to_thread(...)`, `loop.run_in_executor(None, ...)`, or a project function called
    by its bare name (`run_settings_db(resolve, token)`): a runner of the callable it is handed."""
    if isinstance(func, cst.Attribute):
        return func.attr.value in _RUNNERS
    return isinstance(func, cst.Name) and (func.value in _RUNNERS or func.value[:1].islower())


def _handed_functions(frame: Frame, node: cst.Call, fed: bool, val) -> None:
    """Functions a call hands over to run now. `await run_in_threadpool(do_work, message)`: the
    function is called here. `await asyncio.to_thread(verify_session, token)`, a project runner
    `run_db(resolve_user, token)`: handed the credential, it runs with it and its refusal is the
    request's."""
    func = node.func
    if _offloads(func):
        for a in node.args[:2]:
            if a.keyword is None and not a.star and isinstance(a.value, (cst.Name, cst.Attribute)):
                frame.calls.append(val(a.value))
    if fed and _runs_callable(func):
        for a in node.args:
            if a.keyword is None and not a.star and isinstance(a.value, (cst.Name, cst.Attribute)) \
                    and flow.head_name(a.value) not in frame.derived:
                frame.cred_fed.append(val(a.value))


def _csrf_call(node: cst.Call) -> bool:
    """A call that checks a CSRF token (`csrf_protect.validate_csrf(request)`,
    `compare_digest(csrf_cookie, csrf_form)`): anyone can get one, it authenticates no one."""
    if _CSRF.search(dotted(node.func) or ""):
        return True
    return any(isinstance(n, cst.Name) and _CSRF.search(n.value) for a in node.args for n in expr_walk(a.value, 12))


def _query_params(base: cst.BaseExpression, frame: Frame) -> bool:
    """`websocket.query_params` / `request.query_params` of the function's own connection."""
    return isinstance(base, cst.Attribute) and base.attr.value == "query_params" and \
        isinstance(base.value, cst.Name) and base.value.value in frame.request_params


# WebSocket close codes that refuse the caller: 1008 (policy violation) and the application
# range 4000-4999 (`4001`, `4401`, `4403`: unauthorised, forbidden)
_POLICY_CLOSE = re.compile(r"^(1008|4\d\d\d)$|WS_1008|POLICY_VIOLATION|UNAUTHORI[SZ]ED|FORBIDDEN", re.I)


def _policy_close(node: cst.Call) -> bool:
    code = astutil.argument(node, "code", 0)
    if isinstance(code, cst.Integer):
        return bool(_POLICY_CLOSE.match(code.value))
    name = astutil.name_of(code) if isinstance(code, (cst.Name, cst.Attribute)) else None
    return bool(name) and bool(_POLICY_CLOSE.search(name))


def _header_key(node: cst.BaseExpression) -> Optional[str]:
    """A header/cookie name literal, str or bytes (`b"authorization"` in ASGI middleware), or the
    name of a constant that holds the auth cookie's or header's name (read as `session`)."""
    s = astutil.literal_str(node)
    if s is not None:
        return s
    if holds_credential_key(node):
        return "session"
    if isinstance(node, cst.SimpleString):
        try:
            value = node.evaluated_value
        except Exception:
            return None
        if isinstance(value, bytes):
            return value.decode("latin-1")
    return None


def _is_str_annotation(ann: cst.BaseExpression) -> bool:
    """`str`, `Optional[str]`, `str | None`."""
    if isinstance(ann, cst.Name):
        return ann.value == "str"
    if isinstance(ann, cst.BinaryOperation) and isinstance(ann.operator, cst.BitOr):
        return any(isinstance(x, cst.Name) and x.value == "str" for x in (ann.left, ann.right)) and any(
            isinstance(x, cst.Name) and x.value == "None" for x in (ann.left, ann.right))
    if isinstance(ann, cst.Subscript) and isinstance(ann.value, cst.Name) and ann.value.value == "Optional":
        return len(ann.slice) == 1 and isinstance(ann.slice[0].slice, cst.Index) and _is_str_annotation(
            ann.slice[0].slice.value)
    return False


def _required_marker(call: cst.Call) -> bool:
    """`Header(...)` / `Header()` (no default) are required; `Header(None)` is not."""
    default = astutil.argument(call, "default", 0)
    if default is None:
        return True
    return isinstance(default, cst.Ellipsis)


# -- what a function shows -------------------------------------------------------------------

class EvidenceRecorder(FlowRecorder):
    """Notes on the innermost function's frame what its code shows (the collector's part)."""

    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self._if_frames: List[Optional[Frame]] = []
        self._stores: set = set()  # ids of subscripts assigned to (not reads)

    def _param_fact(self, frame: Frame, p: cst.Param) -> ParamFact:
        """A parameter as declared, with the credential it reads itself; noted in `frame` so that
        the guards and dereferences of it in the body are followed."""
        pname = p.name.value
        ann = self.val(p.annotation.annotation) if p.annotation is not None else None
        default = self.val(p.default) if p.default is not None else None
        cred = self._param_credential(pname, p)
        required = p.default is None or (isinstance(p.default, cst.Call) and _required_marker(p.default))
        frame.params[pname] = {"checked": False}
        if p.annotation is not None:
            aq = self.ctx.qualify(p.annotation.annotation) if isinstance(
                p.annotation.annotation, (cst.Name, cst.Attribute)) else None
            if aq in REQUEST_TYPES:
                frame.request_params.add(pname)
        elif pname in ("request", "websocket"):
            frame.request_params.add(pname)
        return ParamFact(name=pname, ann=ann, default=default, star=bool(p.star) and p.star != "",
                         credential=cred, required=required)

    def _param_credential(self, pname: str, p: cst.Param) -> str:
        """The credential a parameter reads itself: `authorization: str = Header()`,
        `Annotated[str, Cookie()]`, `token: str` (query), `x_api_key = Header(alias=...)`."""
        calls: List[cst.Call] = []
        if isinstance(p.default, cst.Call):
            calls.append(p.default)
        ann = p.annotation.annotation if p.annotation is not None else None
        if isinstance(ann, cst.Subscript):
            for e in ann.slice:
                if isinstance(e.slice, cst.Index) and isinstance(e.slice.value, cst.Call):
                    calls.append(e.slice.value)
        for c in calls:
            q = self.ctx.qualify(c.func) if isinstance(c.func, (cst.Name, cst.Attribute)) else None
            kind = ("header" if q in HEADER_PARAMS else "cookie" if q in COOKIE_PARAMS
                    else "query" if q in QUERY_PARAMS else None)
            if kind is None:
                continue
            alias = astutil.literal_str(astutil.argument(c, "alias"))
            key = alias if alias is not None else pname
            if (kind == "query" and is_credential_name(key)) or (kind != "query" and (
                    is_credential_name(key) or is_credential_key(key))):
                return f"{kind}:{key.lower()}"
            return ""
        no_default = p.default is None or (isinstance(p.default, cst.Name) and p.default.value == "None")
        if no_default and is_credential_name(pname) and (ann is None or _is_str_annotation(ann)):
            return f"query:{pname.lower()}"
        return ""

    def _call_evidence(self, frame: Frame, node: cst.Call) -> None:
        """A call in the function: what it calls (followed across the project), a token verifier, a
        credential read from the request's headers or cookies, a method of a parameter, the
        request or another local handed on."""
        func = node.func
        q = self.ctx.qualify(func) if isinstance(func, (cst.Name, cst.Attribute)) else None
        if q is not None:
            head = func
            while isinstance(head, cst.Attribute):
                head = head.value
            if isinstance(head, cst.Name) and self._local_frame(head.value) is not None:
                q = None
        self._asgi_refusal(frame, node)
        callee: Optional[V] = None
        if q is not None:
            if (q in VERIFIERS or any(q.startswith(v + ".") for v in VERIFIERS)) and not _csrf_call(node):
                gate = self._env_gated(frame)
                if gate:
                    frame.env_gate = frame.env_gate or gate
                    frame.env_gated.append(("", "decode"))
                elif not self._swallowed(frame):
                    frame.decodes = True
            callee = V("ref", q=q)
            frame.calls.append(callee)
        elif isinstance(func, cst.Name):
            v = self.val(func)
            if v.k in ("def", "loc"):
                callee = v
                frame.calls.append(v)
        if q is None and isinstance(func, cst.Attribute):
            attr = func.attr.value
            base = func.value
            # request.headers.get("Authorization") / request.cookies.get("session")
            if attr == "get" and isinstance(base, cst.Attribute) and base.attr.value in ("headers", "cookies"):
                key = _header_key(node.args[0].value) if node.args else None
                if key is not None and is_credential_key(key):
                    frame.reads.append(f"{'header' if base.attr.value == 'headers' else 'cookie'}:{key.lower()}")
            elif attr == "get" and _query_params(base, frame) and node.args:
                # `websocket.query_params.get("token")`: browsers cannot set headers on a WebSocket
                key = astutil.literal_str(node.args[0].value)
                if key is not None and is_credential_name(key):
                    frame.reads.append(f"query:{key.lower()}")
            elif isinstance(base, cst.Name) and base.value == "self":
                callee = V("attr", a=(V("loc", q="self", s=frame.qual),), q=attr)
                frame.calls.append(callee)
            elif isinstance(base, cst.Name) and base.value in frame.params:
                gate = self._env_gated(frame)
                if gate:  # `if get_config("ENV") == "PROD": Authorize.jwt_required()`
                    frame.env_gate = frame.env_gate or gate
                    frame.env_gated.append((base.value, attr))
                elif not self._swallowed(frame):  # `try: Authorize.jwt_required() except: pass` verifies nothing
                    frame.param_calls.append((base.value, attr))
            elif _on_app_state(func):
                # `request.app.state.auth.authenticate(request)`: a method of what the project
                # stored on the app (evaluate.state_value)
                callee = self.val(func)
                frame.calls.append(callee)
            if attr in VERIFIER_METHODS:
                frame.verifier_call = True
            if attr == "close" and isinstance(base, cst.Name) and base.value in frame.request_params \
                    and _policy_close(node):
                # `await websocket.close(code=1008)`: a WebSocket's 401, closed before any work
                frame.raises_auth = strongest(frame.raises_auth, 401)
            filled = flow.appended_attr(node)
            if filled is not None and frame.is_method:
                # `for route in self.exclude_routes: self.patterns.append(...)`
                for it in frame.fors:
                    for src in flow.mentions(it, set(frame.params)):
                        frame.attr_src.append((filled, src, None))
        # `call_next(request)` in a middleware hands the request on, it authenticates nothing;
        # neither does a CSRF check
        fed = False
        on_state = callee is not None and callee.k == "attr" and _on_app_state(func)
        for a in node.args:
            if isinstance(a.value, cst.Name):
                st = frame.params.get(a.value.value)
                if st is not None:
                    st["passed"] = True
                if a.value.value in frame.request_params \
                        and not (isinstance(func, cst.Name) and func.value in frame.params) and not _csrf_call(node):
                    frame.request_to_call = True
                    # the request carries the credential: an object the project stored on the app
                    # is handed it (`return await request.app.state.auth.authenticate(request)`)
                    fed = fed or on_state
                if a.value.value in frame.params or a.value.value in frame.locals:
                    frame.passes_names = True
            if flow.head_name(a.value) in frame.derived:
                fed = True
        if fed and callee is not None:
            frame.cred_fed.append(callee)
        _handed_functions(frame, node, fed, self.val)

    def _asgi_refusal(self, frame: Frame, node: cst.Call) -> None:
        """A pure ASGI app (`__call__(self, scope, receive, send)`) answers without raising:
        `await send({"type": "http.response.start", "status": 401})`, or a response object
        called with the ASGI triple (`await JSONResponse(..., status_code=401)(scope, receive, send)`,
        `response = PlainTextResponse(status_code=403); await response(scope, receive, send)`)."""
        if "send" not in frame.params or "scope" not in frame.params:
            return
        func = node.func
        if isinstance(func, cst.Name) and func.value == "send" and node.args:
            msg = node.args[0].value
            if isinstance(msg, cst.Dict):
                for el in msg.elements:
                    if isinstance(el, cst.DictElement) and isinstance(el.key, cst.SimpleString) \
                            and el.key.evaluated_value == "status":
                        frame.raises_auth = strongest(frame.raises_auth, mentions_status(el.value))
            return
        if not any(isinstance(a.value, cst.Name) and a.value.value == "send" for a in node.args):
            return
        if isinstance(func, cst.Call):
            frame.raises_auth = strongest(frame.raises_auth, mentions_status(func))
        elif isinstance(func, cst.Name):
            bound = frame.locals.get(func.value)
            if bound is not None and bound.k == "call":
                frame.raises_auth = strongest(frame.raises_auth, v_rejection(bound))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        frame = self._func()
        if frame is None:
            return
        base = node.value
        # `response.headers["Access-Control-Allow-Credentials"] = "true"` writes, it reads nothing
        if isinstance(base, cst.Attribute) and base.attr.value in ("headers", "cookies") and node.slice \
                and id(node) not in self._stores:
            el = node.slice[0].slice
            key = _header_key(el.value) if isinstance(el, cst.Index) else None
            if key is not None and is_credential_key(key):
                frame.reads.append(f"{'header' if base.attr.value == 'headers' else 'cookie'}:{key.lower()}")
        if isinstance(base, cst.Name):
            self._deref(frame, base.value, node)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        frame = self._func()
        if frame is None:
            return
        base = node.value
        if isinstance(base, cst.Name):
            # `request.user`, and the authenticated-user test of Starlette's user API on a user
            # taken from anywhere (`user = current_user.get(); if not user.is_authenticated: ...`)
            if (base.value in frame.request_params and node.attr.value == "user") or \
                    (node.attr.value == "is_authenticated" and "user" not in frame.reads):
                frame.reads.append("user")
            self._deref(frame, base.value, node)

    def _deref(self, frame: Frame, name: str, node: cst.CSTNode) -> None:
        st = frame.params.get(name)
        if st is None or st.get("checked") or "deref" in st:
            return
        if name in frame.locals:  # rebound before use
            return
        st["deref"] = node
        if isinstance(node, cst.Attribute):
            st["deref_text"] = f"{name}.{node.attr.value}"
        else:
            st["deref_text"] = f"{name}[…]"

    def _guard(self, test: cst.BaseExpression) -> None:
        frame = self._func()
        if frame is None:
            return
        names: set = set()
        _guard_names(test, names)
        for n in names:
            st = frame.params.get(n)
            if st is not None and "deref" not in st:
                st["checked"] = True
        # admin checks: `if not user.is_superuser`, `if "admin" not in user.roles`
        for n in expr_walk(test):
            if isinstance(n, cst.Attribute) and n.attr.value in ADMIN_ATTRS:
                frame.admin_check = True
                break
            if isinstance(n, (cst.SimpleString,)):
                s = astutil.literal_str(n)
                if s and len(s) <= 40 and ADMIN_WORDS.search(s):
                    frame.admin_check = True
                    break

    def visit_If(self, node: cst.If) -> None:
        # `if user is None: raise ...` / `if user: ... else: raise ...`: a missing user is refused
        name, missing = _missing_test(node.test)
        frame = self._func()
        if frame is not None:
            self._note_regex_gate(frame, node)
        if frame is not None and name in frame.params:
            on_missing = node.body if missing else (node.orelse.body if isinstance(node.orelse, cst.Else) else None)
            if on_missing is not None and refuses(on_missing):
                frame.params[name]["rejects"] = True
        self._guard(node.test)
        top = self._top()
        if top is not None and top.kind == "func":
            self._note_path_test(top, node.test)
            top.tests.append(node.test)
            top.in_else.append(False)
            top.gates.append(flow.env_gate(node.test, top.env_locals))
            self._if_frames.append(top)
        else:
            self._if_frames.append(None)

    def visit_If_orelse(self, node: cst.If) -> None:
        frame = self._if_frames[-1] if self._if_frames else None
        if frame is not None and frame.in_else:
            frame.in_else[-1] = True

    def leave_If(self, original_node: cst.If) -> None:
        frame = self._if_frames.pop() if self._if_frames else None
        if frame is not None and frame.tests:
            frame.tests.pop()
            frame.in_else.pop()
            frame.gates.pop()
            if frame.passed and original_node.orelse is None and flow.block_terminates(original_node.body):
                frame.passed[-1].append(original_node.test)

    def _config_toggle(self, frame: Frame) -> bool:
        """The innermost `if` around a statement tests only the deployment's configuration
        (`if not settings.AUTH_ENABLED:`, `if not auth_required():`), nothing of the request:
        no parameter, no local variable of the function."""
        if not frame.tests:
            return False
        # the innermost test decides: `if not header: if not require_key: return None` returns
        # None only with the switch off, whatever the outer tests read
        for test in frame.tests[-1:]:
            nodes = list(astutil.walk(test))
            # `.attr` and `keyword=` names are not variables
            skip = {id(n.attr) for n in nodes if isinstance(n, cst.Attribute)}
            skip |= {id(n.keyword) for n in nodes if isinstance(n, cst.Arg) and n.keyword is not None}
            for n in nodes:
                if id(n) in skip:
                    continue
                if isinstance(n, cst.Name):
                    if n.value in ("True", "False", "None"):
                        continue
                    if n.value in frame.locals and _setting_local(frame, n.value):
                        continue
                    if n.value in frame.params or n.value in frame.locals or self.ctx.qualify(n) is None:
                        return False
                elif isinstance(n, (cst.Lambda, cst.NamedExpr, cst.Await)):
                    return False
        return True

    def visit_Assert(self, node: cst.Assert) -> None:
        # `assert user` is a check but not a refusal: `python -O` removes it
        self._guard(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._guard(node.test)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        frame = self._func()
        if frame is None:
            return
        names: set = set()
        _guard_names(node.left, names)
        for n in names:
            st = frame.params.get(n)
            if st is not None and "deref" not in st:
                st["checked"] = True

    def visit_Raise(self, node: cst.Raise) -> None:
        frame = self._func()
        if frame is None or node.exc is None:
            if frame is not None:
                frame.raises = True
            return
        frame.raises = True
        exc = node.exc
        frame.raises_auth = strongest(frame.raises_auth, mentions_status(exc))
        target = exc.func if isinstance(exc, cst.Call) else exc
        if isinstance(target, (cst.Name, cst.Attribute)):
            frame.raises_auth = strongest(frame.raises_auth, rejection_by_name(astutil.name_of(target) or ""))
            v = self.val(target)
            if v.k == "loc":
                bound = frame.locals.get(v.q)
                if bound is not None and bound.k == "call":
                    frame.raises_auth = strongest(frame.raises_auth, v_rejection(bound))
            frame.raised.append(v)

    def _return_evidence(self, frame: Frame, value: Optional[cst.BaseExpression]) -> bool:
        """Note what a `return` shows (a 401/403 response, a None for anonymous requests); False
        when it returns nothing (`return`, `return None`)."""
        self._note_path_test(frame, value)
        if value is None or (isinstance(value, cst.Name) and value.value == "None"):
            # `if not settings.AUTH_ENABLED: return None` switches authentication off for the
            # whole deployment; it does not let an anonymous request through an enabled one
            if self._config_toggle(frame):
                pp = getattr(frame, "pp", None)
                if pp is not None:
                    pp.tags.add("auth-switch")  # `fastauthlint routes` notes the switch
            else:
                guard = self._instance_guard(frame)
                if guard is not None:
                    frame.none_guards.append(guard)
                elif _path_exempt(frame):
                    # `if request.url.path in settings.NO_CHECK_PATHS: return`: None only for the
                    # listed paths (authentication.py reads the list)
                    if ("", "path") not in frame.none_guards:
                        frame.none_guards.append(("", "path"))
                else:
                    frame.returns_none = True
            return False
        if isinstance(value, cst.Call):
            # `return JSONResponse(status_code=401, ...)`
            frame.raises_auth = strongest(frame.raises_auth, mentions_status(value))
        anon = value.func if isinstance(value, cst.Call) else value
        if ANONYMOUS.match(astutil.name_of(anon) or "") and not self._config_toggle(frame):
            # `return AnonymousUser()`: anonymous requests pass, as with `return None`; unless
            # only instances admitting them do (`if Anonymous in self.allowed: return ...`)
            guard = self._instance_guard(frame)
            if guard is not None:
                frame.none_guards.append((guard[0], "anon"))
            else:
                frame.returns_none = True
        return True

    def visit_Yield(self, node: cst.Yield) -> None:
        frame = self._func()
        if frame is None or node.value is None or isinstance(node.value, cst.From):
            return
        if isinstance(node.value, cst.Name) and node.value.value == "None":
            frame.returns_none = True
            return
        frame.returns.append(self.val(node.value))

    def visit_Integer(self, node: cst.Integer) -> None:
        # an exception class built with a status (`status_code = 401`, `super().__init__(403)`)
        if node.value in ("401", "403"):
            for f in self.stack:
                if f.kind == "class":
                    f.mentions_reject = strongest(f.mentions_reject, int(node.value))


def _on_app_state(func: cst.BaseExpression) -> bool:
    """`request.app.state.auth.authenticate`: a method of an object stored on the app's state."""
    return isinstance(func, cst.Attribute) and isinstance(func.value, cst.Attribute) \
        and isinstance(func.value.value, cst.Attribute) and func.value.value.attr.value == "state"


def _setting_local(frame: Frame, name: str) -> bool:
    """`require_key = await api_key_required(db)`: a local computed from nothing of the
    request (no argument, or only the database handle or settings the function was given)
    holds a deployment-wide setting, stored in a settings row rather than the environment."""
    v = frame.locals.get(name)
    if v is None or v.k != "call" or not v.a or v.a[0].k not in ("ref", "def", "attr"):
        return False
    for a in v.a[1:]:
        if a.k == "lit":
            continue
        if a.k != "loc" or a.q in frame.request_params or not re.search(
                r"(^|_)(db|session|conn|connection|settings|config|cfg)$", a.q):
            return False
    return not v.kw
    self._guard(node.test)


def _path_exempt(frame: Frame) -> bool:
    """The innermost `if` around a return tests the request's path against an allow-list."""
    if not frame.tests or frame.in_else[-1] or not frame.path_lists:
        return False
    test = frame.tests[-1]
    return test is not None and flow.mentions_path(test, frame.path_names) and bool(
        flow.exempt_lists(test, lambda n: n in frame.params or n in frame.locals))
