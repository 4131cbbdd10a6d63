"""FAL605 authentication-failure-as-403 (preview; spec §3.3): a missing, malformed, expired or
invalid credential MUST be answered 401; 403 is for a valid credential that may not act.

Reported: a 403 answer (`HTTPException(403)`, `status.HTTP_403_FORBIDDEN`, `HTTPStatus.FORBIDDEN`, a
response class with `status_code=403`, or a name bound to such an exception) raised where the code
says the credential itself failed:

- in the `except` handler of a `try` that decodes or verifies a token (`jwt.decode`, `verify_token`,
  ...), or that catches a token error (`JWTError`, `InvalidTokenError`, `ExpiredSignatureError`);
- under an `if` that tests the credential itself: `if not token`, `if api_key is None`,
  `if x_api_key != settings.API_KEY`, `if not compare_digest(key, expected)`;
- with a message that names an authentication failure ("Could not validate credentials",
  "Invalid token", "Not authenticated", "Invalid API key"), in a function that receives or reads
  a credential.

FastAPI's own schemes (`HTTPBearer`, `APIKeyHeader`, ... with `auto_error` on) answered 403 before
0.122.0: when the project's dependency files fix an older version (pinned_fastapi.py), that is
reported once per project, at the first such scheme, with the version.

Not reported: 403 for permissions, roles, scopes or abilities, an inactive or unverified user, a CSRF
token or a webhook signature (those are not the caller's authentication), test code, and a
dependency that only WebSocket routes apply (judged when linking: an HTTPException there refuses the
handshake, no client reads its status).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import libcst as cst

from fastauthlint.astutil import argument, iter_children, literal_str, literal_value, parameters
from fastauthlint.checks.base import CheckVisitor, ScopeNames, WordGatedCheck
from fastauthlint.checks.http import pinned_fastapi
from fastauthlint.checks.http.constants import status_code
from fastauthlint.context import FileContext
from fastauthlint.findings import Finding, Span

RULE = "FAL605"

_EXCEPTIONS = {"fastapi.HTTPException", "fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException"}
_RESPONSES = {f"{m}.{c}" for m in ("fastapi", "fastapi.responses", "starlette.responses")
              for c in ("Response", "JSONResponse", "PlainTextResponse", "ORJSONResponse", "UJSONResponse")}

# A name that holds the request's credential (not a CSRF token, not a refresh/reset token in a body).
CREDENTIAL = re.compile(r"^_*(token|access_?token|bearer(_token)?|jwt(_token)?|id_token|auth_?token|credentials?|"
                        r"creds|api_?key|x_api_key|apikey|api_key_header|key_header|authorization|"
                        r"auth(orization)?_header|auth|session_?token|service_?token|secret_?key_header)$", re.I)
_NOT_CREDENTIAL = re.compile(r"csrf|xsrf|signature|webhook", re.I)
# Exception types of a failed token check.
_TOKEN_ERROR = re.compile(r"JWT|Jose|InvalidToken|TokenError|ExpiredSignature|Expired|DecodeError|"
                          r"InvalidSignature|BadSignature|SignatureExpired|InvalidKey|InvalidAudience|"
                          r"InvalidIssuer|ImmatureSignature|MissingRequiredClaim|JWSError|JWTClaimsError")
# Errors of a valid token that may not act (`FiefAccessTokenMissingPermission`): authorisation.
_AUTHZ_ERROR = re.compile(r"Permission|Forbidden|Scope|Role|Privilege|NotAllowed|Denied", re.I)
# Calls that decode or verify a token.
_VERIFYING_CALL = re.compile(r"^_*(decode|verify|validate|check|authenticate)_?\w*(token|jwt|credential|api_?key)|"
                             r"^_*(token|jwt)_?\w*(decode|verif|valid)|^decode(_complete)?$|^verify_id_token$|"
                             r"^verify_oauth2_token$|^get_current_user\w*$", re.I)
_JWT_LIBS = ("jwt.", "jose.", "authlib.jose.")
# Words of an authentication failure, and of an authorisation one (which 403 is right for).
AUTHN_WORDS = re.compile(
    r"could ?n[o']t (validate|verify|authenticate)|(invalid|bad|malformed|missing|expired|wrong|incorrect|no) "
    r"(or expired )?(authentication |auth |bearer |access |api[ _-]?|jwt |id )?(token|credential|key|jwt|"
    r"authorization header|auth header|authentication)|not authenticated|unauthenticated|authentication "
    r"(failed|required|error)|(token|jwt|credentials?|api[ _-]?key|signature) (is |has )?(invalid|expired|missing|"
    r"required|not (valid|provided|found))|token (validation|verification) failed|invalid authorization",
    re.I)
AUTHZ_WORDS = re.compile(r"permission|privilege|abilit|not allowed|forbidden resource|admin|role|scope|insufficient|"
                         r"not enough|access denied|inactive|disabled|not verified|unverified|banned|suspended|"
                         r"csrf|xsrf|owner|member|plan|quota|subscription", re.I)
# Functions that check a single-use token from a link (e-mail verification, password reset,
# invitation): that token is not the request's credential, and its failure is not an
# authentication failure of the caller.
_ONE_TIME = re.compile(r"email|reset|invit|confirm|activat|recover|unsubscribe|magic|password|otp|one_?time", re.I)


def _forbidden(ctx: FileContext, call: cst.Call) -> Optional[str]:
    """The detail text ("" when none is written) of a 403 exception or response, else None."""
    q = ctx.qualify(call.func)
    if q in _EXCEPTIONS:
        status, detail = argument(call, "status_code", 0), argument(call, "detail", 1)
    elif q in _RESPONSES:
        status, detail = argument(call, "status_code", 1), argument(call, "content", 0)
    else:
        return None
    if status_code(ctx, status) != 403:
        return None
    text = _text(detail)
    return text


def _text(expr: Optional[cst.BaseExpression]) -> str:
    """The words of a detail: a string, an f-string's literal parts, a dict's string values."""
    if expr is None:
        return ""
    s = literal_str(expr)
    if s is not None:
        return s
    if isinstance(expr, cst.FormattedString):
        return "".join(p.value for p in expr.parts if isinstance(p, cst.FormattedStringText))
    if isinstance(expr, cst.Dict):
        return " ".join(_text(el.value) for el in expr.elements if isinstance(el, cst.DictElement))
    return ""


_STRING_METHODS = frozenset({"startswith", "endswith", "strip", "lstrip", "rstrip", "lower", "upper", "casefold",
                             "split", "rsplit", "partition", "removeprefix", "removesuffix", "isalnum", "isascii",
                             "encode", "get_secret_value", "count", "find", "replace"})


def _names_in(expr: cst.BaseExpression) -> Iterable[str]:
    """The credential-like names an `if` test looks at: `token`, `credentials.credentials`."""
    stack: List[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            yield node.value
        elif isinstance(node, cst.Attribute):
            # `credentials.credentials`, `request.headers` is not a credential; `user.scopes` is not
            if node.attr.value in ("credentials", "token", "api_key"):
                yield node.attr.value
            continue
        elif isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                    and func.attr.value in _STRING_METHODS:
                # `token.startswith("Bearer ")`, `api_key.strip()`: the credential's text; a method of
                # anything else (`Auth.has_admin_role(roles)`) answers its own question
                yield func.value.value
            name = func.attr.value if isinstance(func, cst.Attribute) else (
                func.value if isinstance(func, cst.Name) else "")
            if name in ("compare_digest", "secrets_compare") or _VERIFYING_CALL.search(name):
                stack.extend(a.value for a in node.args)
            continue
        elif isinstance(node, (cst.UnaryOperation, cst.BooleanOperation, cst.Comparison,
                               cst.ComparisonTarget)):
            stack.extend(iter_children(node))


def _credential_test(test: cst.BaseExpression) -> Optional[str]:
    for name in _names_in(test):
        if CREDENTIAL.match(name) and not _NOT_CREDENTIAL.search(name):
            return name
    return None


def _verifying_call(ctx: FileContext, node: cst.CSTNode) -> Optional[str]:
    for sub in _walk_calls(node):
        q = ctx.qualify(sub.func) or ""
        func = sub.func
        name = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
        if q.startswith(_JWT_LIBS) and name.startswith(("decode", "verify")):
            return q
        if _VERIFYING_CALL.search(name) and not _NOT_CREDENTIAL.search(name):
            return name
    return None


def _walk_calls(node: cst.CSTNode) -> Iterable[cst.Call]:
    stack: List[cst.CSTNode] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and n is not node:
            continue
        if isinstance(n, cst.Call):
            yield n
        stack.extend(iter_children(n))


def _handler_names(handler: cst.ExceptHandler) -> List[str]:
    t = handler.type
    if t is None:
        return []
    items = [e.value for e in t.elements] if isinstance(t, cst.Tuple) else [t]
    out = []
    for e in items:
        if isinstance(e, cst.Attribute):
            out.append(e.attr.value)
        elif isinstance(e, cst.Name):
            out.append(e.value)
    return out


class _Function:
    """One function's 403 answers and the reasons to read them as authentication failures."""

    def __init__(self, ctx: FileContext, func: cst.FunctionDef, bound: Dict[str, cst.Call]):
        self.ctx = ctx
        self.func = func
        self.bound = dict(bound)
        self.out: List[Tuple[cst.CSTNode, str]] = []
        self.handles_credential = any(CREDENTIAL.match(p.name.value) and not _NOT_CREDENTIAL.search(p.name.value)
                                      for p in parameters(func)) or _verifying_call(self.ctx, func.body) is not None
        for stmt in _statements(func.body):
            if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0].target, cst.Name) \
                    and isinstance(stmt.value, cst.Call):
                self.bound[stmt.targets[0].target.value] = stmt.value

    def run(self) -> List[Tuple[cst.CSTNode, str]]:
        self._block(self.func.body, ())
        return self.out

    def _block(self, block: cst.BaseSuite, why: Tuple[str, ...]) -> None:
        body = block.body if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
        for stmt in body:
            self._stmt(stmt, why)

    def _stmt(self, stmt: cst.CSTNode, why: Tuple[str, ...]) -> None:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            return  # judged on their own
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Raise) and small.exc is not None:
                    self._answer(small.exc, small, why)
                elif isinstance(small, cst.Return) and isinstance(small.value, cst.Call):
                    self._answer(small.value, small, why)
            return
        if isinstance(stmt, cst.Try):
            verifies = _verifying_call(self.ctx, stmt.body)
            self._block(stmt.body, why)
            for handler in stmt.handlers:
                names = _handler_names(handler)
                errors = [n for n in names if _TOKEN_ERROR.search(n)]
                if any(_AUTHZ_ERROR.search(n) for n in names):
                    reason = None  # the token is valid and may not act
                else:
                    reason = (f"`except {errors[0]}`" if errors else
                              f"the `except` of `{verifies}(...)`" if verifies else None)
                self._block(handler.body, why + ((reason,) if reason else ()))
            for extra in (stmt.orelse, stmt.finalbody):
                if extra is not None:
                    self._block(extra.body, why)
            return
        if isinstance(stmt, cst.If):
            name = _credential_test(stmt.test)
            self._block(stmt.body, why + ((f"a failed check of `{name}`",) if name else ()))
            if stmt.orelse is not None:
                if isinstance(stmt.orelse, cst.If):
                    self._stmt(stmt.orelse, why)
                else:
                    self._block(stmt.orelse.body, why)
            return
        for attr in ("body", "orelse", "finalbody"):
            sub = getattr(stmt, attr, None)
            if isinstance(sub, cst.BaseSuite):
                self._block(sub, why)
            elif sub is not None and hasattr(sub, "body") and isinstance(sub.body, cst.BaseSuite):
                self._block(sub.body, why)

    def _answer(self, exc: cst.BaseExpression, at: cst.CSTNode, why: Tuple[str, ...]) -> None:
        call = exc if isinstance(exc, cst.Call) else (self.bound.get(exc.value) if isinstance(exc, cst.Name) else None)
        if call is None:
            return
        detail = _forbidden(self.ctx, call)
        if detail is None or AUTHZ_WORDS.search(detail):
            return
        if why:
            reason = why[-1]
        elif self.handles_credential and AUTHN_WORDS.search(detail):
            reason = f"the message \"{detail.strip()[:60]}\""
        else:
            return
        self.out.append((exc, reason))


def _statements(block: cst.CSTNode) -> Iterable[cst.BaseSmallStatement]:
    stack: List[cst.CSTNode] = [block]
    while stack:
        n = stack.pop()
        if isinstance(n, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(n, cst.SimpleStatementLine):
            yield from n.body
            continue
        stack.extend(iter_children(n))


def _module_exceptions(module: cst.Module) -> Dict[str, cst.Call]:
    """Module-level names bound to a call (`CREDENTIALS_ERROR = HTTPException(403, ...)`)."""
    out: Dict[str, cst.Call] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 \
                        and isinstance(small.targets[0].target, cst.Name) and isinstance(small.value, cst.Call):
                    out[small.targets[0].target.value] = small.value
    return out


def message(reason: str) -> str:
    return (f"authentication failure answered 403 ({reason}); a missing, malformed, expired or invalid "
            "credential is answered 401 with `WWW-Authenticate`, 403 is for a valid caller who may not act "
            "(spec §3.3)")


_SCHEMES_403 = {f"fastapi.security.{c}" for c in ("HTTPBearer", "HTTPDigest", "APIKeyHeader", "APIKeyQuery",
                                                  "APIKeyCookie", "OpenIdConnect", "OAuth2")}


@dataclass
class BuiltinScheme:
    """A FastAPI security scheme built with `auto_error` on, that answered 403 before 0.122.0."""

    name: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass
class Answer:
    """A 403 answered for a failed credential in a function (`owners`: its qualified name, then its
    class's or enclosing function's)."""

    owners: Tuple[str, ...]
    line: int
    column: int
    end_line: int
    end_column: int
    reason: str


@dataclass
class AuthFailureFacts:
    schemes: List[BuiltinScheme]
    answers: List[Answer]


class AuthFailureVisitor(ScopeNames, CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self._module_bound: Optional[Dict[str, cst.Call]] = None
        self.schemes: List[BuiltinScheme] = []
        self.answers: List[Answer] = []
        self.init_scope(ctx)
        # Functions are read statement by statement only in files that may answer 403 at all.
        self._answers = ctx.mentions(_ANSWERS_403)
        self._schemes = "fastapi.security" in ctx.source

    def _bound(self) -> Dict[str, cst.Call]:
        if self._module_bound is None:
            self._module_bound = _module_exceptions(self.ctx.module)
        return self._module_bound

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.enter_scope(node.name.value)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._schemes:
            return
        q = self.ctx.qualify(node.func)
        if q in _SCHEMES_403 or (q or "").replace(".api_key.", ".").replace(".http.", ".") in _SCHEMES_403:
            auto = argument(node, "auto_error")
            if auto is not None and literal_value(auto, None) is not True:
                return
            span = self.ctx.span(node)
            self.schemes.append(BuiltinScheme(q.rsplit(".", 1)[1], span.line, span.column, span.end_line,
                                              span.end_column))

    def facts(self) -> Optional[AuthFailureFacts]:
        if not self.schemes and not self.answers:
            return None
        return AuthFailureFacts(self.schemes, self.answers)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        owners = self.owners()
        self.leave_scope()
        if not self._answers or _ONE_TIME.search(original_node.name.value):
            return
        for node, reason in _Function(self.ctx, original_node, self._bound()).run():
            span = self.ctx.span(node)
            self.answers.append(Answer(owners, span.line, span.column, span.end_line, span.end_column, reason))


_ANSWERS_403 = re.compile(r"403|FORBIDDEN")
_RELEVANT = re.compile(r"403|FORBIDDEN|fastapi\.security")


class AuthFailureCheck(WordGatedCheck):
    name = "http-authentication-failure"
    rules = (RULE,)
    relevant = _RELEVANT
    visitor_class = AuthFailureVisitor

    def link(self, project) -> Iterable[Finding]:
        from fastauthlint.project.route_table import websocket_only_dependencies  # as the other link steps

        facts = [(path, f) for path, f in project.facts(self.name) if isinstance(f, AuthFailureFacts)]
        for path, f in facts:
            for a in f.answers:
                if any(owner in websocket_only_dependencies(project) for owner in a.owners):
                    continue
                yield Finding(rule=RULE, path=path, span=Span(a.line, a.column, a.end_line, a.end_column),
                              message=message(a.reason))
        first = next(((path, s) for path, f in facts for s in f.schemes), None)
        if first is None:
            return
        found = pinned_fastapi.pinned(str(project.config.root))
        if found is None or found[0] >= pinned_fastapi.FIXED_IN:
            return
        path, scheme = first
        yield Finding(rule=RULE, path=path, span=Span(scheme.line, scheme.column, scheme.end_line, scheme.end_column),
                      message=(f"`{scheme.name}` answers a missing or malformed credential with 403 in the FastAPI "
                               f"the project pins ({found[1]}); FastAPI answers 401 since 0.122.0: upgrade, or "
                               "build it with `auto_error=False` and raise 401 yourself (spec §3.3; reported once "
                               "per project)"))


CHECK = AuthFailureCheck()

__all__: Sequence[str] = ("RULE", "CHECK", "status_code")
