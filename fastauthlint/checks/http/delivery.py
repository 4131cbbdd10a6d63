"""Can a 401 the code builds reach an HTTP client, where a challenge means something? What one
file shows (FAL601; the linking step adds what other files show, see link.py).

Not a 401 a client receives with a missing challenge:

- an exception object built and never raised (`HTTPException(401)` as a statement, a local never
  used again);
- raised inside a WebSocket handler (a WebSocket closes with a code, it gets no HTTP answer);
- returned or raised by a Starlette `AuthenticationBackend.authenticate` (Starlette unpacks its
  result as `(credentials, user)`; an exception there, as in any middleware, becomes a 500), or
  raised in a middleware's `dispatch` (an `HTTPException` raised in middleware never reaches the
  exception handlers);
- raised in a `try` whose first handler that catches it (`except Exception:`, a bare `except:`)
  does not raise it again: it is replaced before it leaves;
- a failed webhook signature (the sender is a machine: it reads no challenge);
- answered by a route that serves pages (templates, HTML, redirects) or a form login that starts a
  cookie session: a browser shows the page, and a challenge would only open its login dialog;
- a server misconfiguration answered 401 (`if not settings.JWT_SECRET: raise HTTPException(401)`):
  that is the server's failure, not the client's credentials.
"""

from __future__ import annotations

import re
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

from fastauthlint.astutil import children, descendants, iter_children, literal_str, name_of, own_nodes, parameters
from fastauthlint.checks.http.cookies import HEADER_WORDS
from fastauthlint.context import FileContext

# Exceptions an `except` clause names that catch an HTTPException.
_BROAD = {"Exception", "BaseException", "HTTPException", "StarletteHTTPException"}
_PAGE_RESPONSES = {"TemplateResponse", "HTMLResponse", "RedirectResponse"}
_WEBSOCKET_TYPES = {"fastapi.WebSocket", "fastapi.websockets.WebSocket", "starlette.websockets.WebSocket"}
# A webhook's signature check: what verifies it, and what says the request is signed.
_SIGNATURE_CHECK = re.compile(r"^new$|compare_digest|construct_event|verify_?(\w*_)?(webhook|signature|sig|hmac)|"
                              r"validate_?(webhook|event|signature)|(webhook|signature)\w*verif", re.I)
_SIGNED = re.compile(r"signature|webhook", re.I)
_MISCONFIGURED = re.compile(r"not (been )?configured|misconfigur|not set up|configuration (error|is missing)|"
                            r"server configuration|environment variable|"
                            r"(authentication|auth|api[ _-]?keys?|sso|oauth\w*|login) (\w+ )?(is )?(not enabled|disabled)",
                            re.I)
_FEATURE_SWITCH = re.compile(r"(enabled|configured)$", re.I)
_CONFIG_BASE = re.compile(r"settings|config|conf$|cfg|env", re.I)


class Parents:
    """Parent links of the meaningful nodes below `root` (built only for functions holding a 401)."""

    def __init__(self, root: cst.CSTNode):
        self._of: Dict[int, cst.CSTNode] = {}
        for node in descendants(root):
            for child in iter_children(node):
                self._of[id(child)] = node

    def get(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self._of.get(id(node))

    def chain(self, node: cst.CSTNode) -> Iterator[Tuple[cst.CSTNode, cst.CSTNode]]:
        """(child, parent) pairs from `node` up to the root."""
        child, parent = node, self.get(node)
        while parent is not None:
            yield child, parent
            child, parent = parent, self.get(parent)


def role(call: cst.Call, parents: Parents) -> Tuple[str, Optional[cst.CSTNode], List[str]]:
    """What the code does with the 401 it builds: ("raise" | "return" | "assign" | "discard" |
    "other", the statement, the names it is assigned to)."""
    parent = parents.get(call)
    if isinstance(parent, cst.Raise) and parent.exc is call:
        return "raise", parent, []
    if isinstance(parent, cst.Return):
        return "return", parent, []
    if isinstance(parent, (cst.Assign, cst.AnnAssign)) and parent.value is call:
        targets = [t.target for t in parent.targets] if isinstance(parent, cst.Assign) else [parent.target]
        names = [t.value for t in targets if isinstance(t, cst.Name)]
        return ("assign" if len(names) == len(targets) else "other"), parent, names
    if isinstance(parent, cst.Expr):
        return "discard", parent, []
    return "other", parent, []


def used_after(func: cst.FunctionDef, names: Sequence[str], assign: cst.CSTNode) -> bool:
    """Is a name the 401 was assigned to read anywhere in the function (raised, returned, passed)?"""
    targets = set()
    if isinstance(assign, cst.Assign):
        targets = {id(t.target) for t in assign.targets}
    elif isinstance(assign, cst.AnnAssign):
        targets = {id(assign.target)}
    return any(isinstance(n, cst.Name) and n.value in names and id(n) not in targets
               for n in descendants(func.body))


def is_websocket_handler(func: cst.FunctionDef, ctx: FileContext) -> bool:
    """A parameter annotated `WebSocket`, or a `@router.websocket(...)` decorator."""
    for p in parameters(func):
        ann = p.annotation.annotation if p.annotation is not None else None
        if ann is not None and (ctx.qualify(ann) in _WEBSOCKET_TYPES or name_of(ann) == "WebSocket"):
            return True
    for dec in func.decorators:
        target = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        if name_of(target) in ("websocket", "websocket_route"):
            return True
    return False


def never_answers(func: cst.FunctionDef, cls_bases: Sequence[str], raised: bool) -> bool:
    """A Starlette `AuthenticationBackend.authenticate` (whatever it returns or raises is no 401
    response), or a middleware's `dispatch` raising (an HTTPException there becomes a 500)."""
    name = func.name.value
    if name == "authenticate" and any(b.endswith("AuthenticationBackend") for b in cls_bases):
        return True
    if not raised:
        return False
    if name == "dispatch" and any(b.endswith("BaseHTTPMiddleware") for b in cls_bases):
        return True
    for dec in func.decorators:
        if isinstance(dec.decorator, cst.Call) and name_of(dec.decorator.func) == "middleware":
            return True
    return False


def replaced(stmt: cst.CSTNode, parents: Parents) -> bool:
    """Is the raise inside a `try` whose first handler that catches an HTTPException does not
    raise it again?"""
    for child, parent in parents.chain(stmt):
        if isinstance(parent, cst.FunctionDef):
            return False
        if isinstance(parent, cst.Try) and child is parent.body:
            for handler in parent.handlers:
                if _catches(handler.type):
                    return not _reraises(handler)
    return False


def _catches(kind: Optional[cst.BaseExpression]) -> bool:
    if kind is None:
        return True
    if isinstance(kind, cst.Tuple):
        return any(_catches(el.value) for el in kind.elements)
    return name_of(kind) in _BROAD


def _reraises(handler: cst.ExceptHandler) -> bool:
    bound = handler.name.name.value if handler.name is not None and isinstance(handler.name.name, cst.Name) else None
    for node in own_nodes(handler.body):
        if isinstance(node, cst.Raise):
            if node.exc is None:
                return True
            if bound and any(isinstance(n, cst.Name) and n.value == bound for n in descendants(node.exc)):
                return True  # `raise e`, `raise HTTPException(e.status_code, ...)`
    return False


def webhook_signature(func: cst.FunctionDef) -> bool:
    """Does the function check a webhook's signature: a signature or webhook it names, a check
    that verifies one (an HMAC, `compare_digest`, `construct_event`, `verify_signature`, an
    `except ...SignatureError`), and a signed body or a signature header (not a JWT's signature)?"""
    words: List[str] = [func.name.value] + [p.name.value for p in parameters(func)]
    checks = signed = False
    for n in own_nodes(func.body):
        if isinstance(n, cst.Name):
            words.append(n.value)
        elif isinstance(n, cst.SimpleString):
            words.append(literal_str(n) or "")
        elif isinstance(n, cst.Call) and _jwt_call(n):
            return False  # a JWT's signature: the caller authenticates with a bearer token
        elif isinstance(n, cst.Call) and _SIGNATURE_CHECK.search(name_of(n.func) or ""):
            checks = True
            signed = signed or name_of(n.func) == "new"  # hmac.new(secret, body, ...)
        elif isinstance(n, cst.ExceptHandler) and n.type is not None and _SIGNED.search(name_of(n.type) or "") \
                and not _JWT_ERROR.search(_dotted(n.type)):
            checks = True
    text = " ".join(words)
    signed = signed or re.search(r"webhook|signature_?header|x[-_]\w*signature|\w+-signature", text, re.I) is not None
    return checks and signed and _SIGNED.search(text) is not None


# A JWT library's errors (`jwt.ExpiredSignatureError`, `jose.JWTError`) and decoding calls.
_JWT_ERROR = re.compile(r"^(jwt|jose|authlib|joserfc)\.|Expired|JWT|JWS|Token", re.I)
_JWT_MODULES = {"jwt", "jose", "jws", "jwk", "jwt_utils", "JsonWebToken"}


def _dotted(expr: cst.BaseExpression) -> str:
    parts = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if isinstance(expr, cst.Name):
        parts.append(expr.value)
    return ".".join(reversed(parts))


def _jwt_call(call: cst.Call) -> bool:
    """`jwt.decode(...)`, `jose.jwt.decode(...)`, `jwt.PyJWKClient(...).get_signing_key_from_jwt(...)`."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in ("decode", "decode_complete"):
        head = func.value
        return name_of(head) in _JWT_MODULES
    return name_of(func) == "get_signing_key_from_jwt"


def serves_pages(func: cst.FunctionDef, what: str) -> bool:
    """A route that renders pages (templates, HTML, redirects), or a form login that starts a
    cookie session."""
    if what in ("HTMLResponse", "RedirectResponse"):
        return True
    for dec in func.decorators:
        if isinstance(dec.decorator, cst.Call):
            for arg in dec.decorator.args:
                if arg.keyword is not None and arg.keyword.value == "response_class" \
                        and name_of(arg.value) in _PAGE_RESPONSES:
                    return True
    form = any(isinstance(p.default, cst.Call) and name_of(p.default.func) == "Form" for p in parameters(func))
    for n in own_nodes(func.body):
        if isinstance(n, cst.Call) and name_of(n.func) in _PAGE_RESPONSES:
            return True
        if form and isinstance(n, cst.Subscript) and isinstance(n.value, cst.Attribute) \
                and n.value.attr.value == "session":
            return True  # request.session["user"] = ... after a form login
    return False




def cookie_session(func: cst.FunctionDef) -> bool:
    """A function whose only credential is a cookie (`request.cookies.get(...)`, a `Cookie()`
    parameter, `APIKeyCookie`) and that reads no `Authorization` or key header: a browser session,
    for which an HTTP authentication challenge means nothing (browsers answer it with a password
    dialog, not the cookie)."""
    cookie = False
    for n in descendants(func):
        if isinstance(n, cst.Attribute) and n.attr.value == "cookies":
            cookie = True
        elif isinstance(n, cst.Call):
            callee = name_of(n.func) or ""
            if callee in ("Cookie", "APIKeyCookie"):
                cookie = True
            elif callee in ("HTTPBearer", "OAuth2PasswordBearer", "HTTPBasic", "APIKeyHeader", "Header"):
                return False
        elif isinstance(n, cst.SimpleString) and HEADER_WORDS.search(literal_str(n) or ""):
            return False
        elif isinstance(n, cst.Attribute) and n.attr.value == "headers":
            return False
    return cookie


def misconfiguration(call: cst.Call, stmt: cst.CSTNode, parents: Parents, func: Optional[cst.FunctionDef],
                     ctx: FileContext) -> bool:
    """A 401 for the server's own missing configuration: its message says so, or the `if` it is
    raised under only tests that a configured value is absent."""
    for arg in call.args:
        text = literal_str(arg.value)
        if text and _MISCONFIGURED.search(text):
            return True
    for i, test in enumerate(_enclosing_tests(stmt, parents)):
        # `if not settings.api_key_enabled: if self.required: raise ...`: an outer branch counts when
        # it tests that a feature is switched off (`if not settings.DEBUG:` around a check does not)
        if (i == 0 or _FEATURE_SWITCH.search(_dotted(_absent_subject(test) or test))) \
                and _absence_of_config(test, func, ctx):
            return True
    return False


def _enclosing_tests(stmt: cst.CSTNode, parents: Parents) -> Iterator[cst.BaseExpression]:
    """The tests of the `if`s whose bodies hold `stmt`, innermost first (up to its function)."""
    for child, parent in parents.chain(stmt):
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef)):
            return
        if isinstance(parent, cst.If) and child is parent.body:
            yield parent.test


def _guarding_test(stmt: cst.CSTNode, parents: Parents) -> Optional[cst.BaseExpression]:
    """The test of the innermost `if` whose body holds `stmt`."""
    for child, parent in parents.chain(stmt):
        if isinstance(parent, (cst.FunctionDef, cst.ClassDef)):
            return None
        if isinstance(parent, cst.If):
            return parent.test if child is parent.body else None
    return None


def _absence_of_config(test: cst.BaseExpression, func: Optional[cst.FunctionDef], ctx: FileContext) -> bool:
    if isinstance(test, cst.BooleanOperation):
        return _absence_of_config(test.left, func, ctx) and _absence_of_config(test.right, func, ctx)
    subject = _absent_subject(test)
    return subject is not None and _configured(subject, func, ctx)


def _absent_subject(test: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """`x` of `not x`, `x is None`, `x == ""`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        if isinstance(target.operator, (cst.Is, cst.Equal)) and (
                (isinstance(target.comparator, cst.Name) and target.comparator.value == "None")
                or literal_str(target.comparator) == ""):
            return test.left
    return None


def _configured(expr: cst.BaseExpression, func: Optional[cst.FunctionDef], ctx: FileContext, depth: int = 0) -> bool:
    """A configured value: a settings/config attribute, an environment lookup, an UPPER_CASE
    constant, or a local assigned from one."""
    if isinstance(expr, cst.Call):
        q = ctx.qualify(expr.func) or ""
        return q in ("os.getenv", "os.environ.get") or name_of(expr.func) == "getenv"
    if isinstance(expr, cst.Subscript):
        return ctx.qualify(expr.value) == "os.environ"
    if isinstance(expr, cst.Attribute):
        base = expr.value
        while isinstance(base, cst.Attribute):
            base = base.value
        return isinstance(base, cst.Name) and _CONFIG_BASE.search(base.value) is not None
    if isinstance(expr, cst.Name):
        if expr.value.isupper() and len(expr.value) > 1:
            return True
        if func is None or depth > 2:
            return False
        values = [a.value for a in own_nodes(func.body) if isinstance(a, cst.Assign)
                  and any(isinstance(t.target, cst.Name) and t.target.value == expr.value for t in a.targets)]
        return bool(values) and all(_configured(v, func, ctx, depth + 1) for v in values)
    return False


def guard_param(stmt: cst.CSTNode, parents: Parents, func: cst.FunctionDef) -> str:
    """`P` when the 401 is raised under `if not P:` / `if P is None:` and P is a parameter given by
    a dependency (`Depends(...)`, `Security(...)`, `Annotated[...]`): whether that branch can run
    is the dependency's to say."""
    test = _guarding_test(stmt, parents)
    subject = _absent_subject(test) if test is not None else None
    if not isinstance(subject, cst.Name):
        return ""
    for p in parameters(func):
        if p.name.value == subject.value and _dependency_param(p):
            return p.name.value
    return ""


def _dependency_param(p: cst.Param) -> bool:
    if isinstance(p.default, cst.Call) and name_of(p.default.func) in ("Depends", "Security"):
        return True
    ann = p.annotation.annotation if p.annotation is not None else None
    return isinstance(ann, cst.Subscript) and name_of(ann.value) == "Annotated"


def state_guard(stmt: cst.CSTNode, parents: Parents, func: cst.FunctionDef) -> str:
    """`attr` when the 401 is raised under a test that an attribute of the request's state is absent
    (`if request.state.user_id is None:`, `if getattr(request.state, "user_id", None) is None:`,
    `if not hasattr(request.state, "user"):`, or a local read from one): whether that can happen
    for a request is for the code that sets it to say (link.py)."""
    test = _guarding_test(stmt, parents)
    subject = _absent_subject(test) if test is not None else None
    if subject is None:
        return ""
    attr = _state_attribute(subject, negated=True)
    if attr or not isinstance(subject, cst.Name):
        return attr
    values = [a.value for a in own_nodes(func.body) if isinstance(a, cst.Assign)
              and any(isinstance(t.target, cst.Name) and t.target.value == subject.value for t in a.targets)]
    attrs = {_state_attribute(v) for v in values}
    return attrs.pop() if len(attrs) == 1 and len(values) == 1 else ""


def _state_attribute(expr: cst.BaseExpression, negated: bool = False) -> str:
    """`attr` of `X.state.attr` and `getattr(X.state, "attr", None)` (and of `hasattr(X.state,
    "attr")` under a `not`)."""
    if isinstance(expr, cst.Attribute) and is_state(expr.value):
        return expr.attr.value
    if isinstance(expr, cst.Call) and name_of(expr.func) in ("getattr", "hasattr") and len(expr.args) >= 2 \
            and is_state(expr.args[0].value) and (name_of(expr.func) == "getattr" or negated):
        return literal_str(expr.args[1].value) or ""
    return ""


def is_state(expr: cst.BaseExpression) -> bool:
    """`request.state`, `self.request.state`: the per-request state Starlette carries."""
    return isinstance(expr, cst.Attribute) and expr.attr.value == "state" and \
        isinstance(expr.value, (cst.Name, cst.Attribute))


def refuses_request(func: cst.FunctionDef, setter: cst.CSTNode) -> bool:
    """Does the function refuse the requests it cannot authenticate before it sets the request's
    state (`setter`)? It raises or answers 401/403, and no other `return` comes first (`if not
    token: return await call_next(request)` lets anonymous requests through: optional)."""
    refuses = False
    middleware = any(p.name.value == "call_next" for p in parameters(func))
    stack: List[cst.CSTNode] = [func.body]
    exempt: set = set()  # ids of `if` bodies taken for exempt paths and methods
    while stack:  # source order
        n = stack.pop()
        if n is setter:
            break
        if isinstance(n, cst.If) and _exempts_request(n.test):
            exempt.add(id(n.body))
        if id(n) in exempt:
            continue  # `if path in PUBLIC_PATHS: return await call_next(request)`: no authentication runs there
        if isinstance(n, cst.Raise):
            refuses = True
        elif isinstance(n, cst.Return) and middleware and not _passes_on(n.value):
            refuses = True  # a middleware answering itself (`return error_response`): the route never runs
        elif isinstance(n, cst.Return):
            if isinstance(n.value, cst.Call) and any(
                    a.keyword is not None and a.keyword.value == "status_code" and _status_number(a.value) in (401, 403)
                    for a in n.value.args):
                refuses = True
            else:
                return False
        stack.extend(reversed([c for c in children(n) if not isinstance(c, (cst.FunctionDef, cst.ClassDef, cst.Lambda))]))
    return refuses or any(isinstance(n, cst.Raise) for n in own_nodes(func.body))


# What an exemption tests: the request's method or path (a preflight, a public prefix), not its credential.
_ROUTING_WORD = re.compile(r"^(method|endpoint)$|path|url|route", re.I)
_CREDENTIAL_WORD = re.compile(r"token|auth|header|cookie|key|credential|session|user|bearer|secret|jwt", re.I)


def _passes_on(value: Optional[cst.BaseExpression]) -> bool:
    """`await call_next(request)`: a middleware handing the request on to the route."""
    if isinstance(value, cst.Await):
        value = value.expression
    return isinstance(value, cst.Call) and name_of(value.func) == "call_next"


def _exempts_request(test: cst.BaseExpression) -> bool:
    """Does an `if` select requests by method or path only (`request.method == "OPTIONS"`, `path in
    self.excluded_paths`, `request.url.path.startswith("/health")`)? Requests it lets through are ones
    no authentication runs for, not ones whose credential is missing."""
    words = [n.value for n in descendants(test) if isinstance(n, cst.Name)]  # not strings: "/auth/login" is a path
    if not any(_ROUTING_WORD.search(w) for w in words):
        return False
    return not any(_CREDENTIAL_WORD.search(w) for w in words)


def _status_number(expr: cst.BaseExpression) -> Optional[int]:
    if isinstance(expr, cst.Integer):
        return int(expr.value)
    m = re.search(r"(40[13])", name_of(expr) or (expr.attr.value if isinstance(expr, cst.Attribute) else ""))
    return int(m.group(1)) if m else None


def looks_like_dependency(func: cst.FunctionDef) -> bool:
    return any(_dependency_param(p) for p in parameters(func))


def never_falsy(func: cst.FunctionDef) -> bool:
    """Does every return of the function give a value that cannot be falsy: a name dereferenced or
    refused-when-missing by a statement that always runs before, a constructed object? A body that
    may end without a return gives None."""
    body = func.body.body if isinstance(func.body, cst.IndentedBlock) else ()
    if not body or not isinstance(body[-1], (cst.SimpleStatementLine,)) or \
            not any(isinstance(s, (cst.Return, cst.Raise)) for s in body[-1].body):
        return False
    sure: Dict[str, int] = {}  # name -> index of the first top-level statement that proves it truthy
    for i, stmt in enumerate(body):
        for node in _evaluated_first(stmt):
            if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
                sure.setdefault(node.value.value, i)
        if isinstance(stmt, cst.If) and _refuses(stmt.body):
            subject = _absent_subject(stmt.test)
            if isinstance(subject, cst.Name):
                sure.setdefault(subject.value, i)
    returns = 0
    for i, stmt in enumerate(body):
        for node in own_nodes(stmt):
            if not isinstance(node, cst.Return):
                continue
            returns += 1
            value = node.value
            if isinstance(value, cst.Await):
                value = value.expression
            if isinstance(value, cst.Name) and sure.get(value.value, len(body)) < i:
                continue
            if isinstance(value, cst.Call) and (name_of(value.func) or "a")[0].isupper():
                continue  # `return User(...)`: an object
            return False
    return returns > 0


def _evaluated_first(stmt: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The parts of a top-level statement that always run: a simple statement, an `if`'s test."""
    if isinstance(stmt, cst.SimpleStatementLine):
        yield from own_nodes(stmt)
    elif isinstance(stmt, cst.If):
        yield from own_nodes(stmt.test)


def _refuses(block: cst.BaseSuite) -> bool:
    return any(isinstance(n, cst.Raise) for n in own_nodes(block))
