"""Family 6, the HTTP contract: 401 without WWW-Authenticate (FAL601), CORS wildcard with
credentials (FAL602), auth cookies without Secure/HttpOnly (FAL603), secrets compared with `==`
(FAL604). All four are local to one file: each looks at one call or one comparison. Test code is
not judged: it is not what the service answers with."""

from __future__ import annotations

import re
from typing import Dict, Optional

import libcst as cst

from fastauthlint.astutil import argument, literal_str, literal_value, module_constants, name_of
from fastauthlint.checks.base import Check, CheckVisitor
from fastauthlint.context import FileContext

FASTAPI_STARLETTE = ("fastapi", "starlette")

HTTP_EXCEPTIONS = {
    "fastapi.HTTPException", "fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException",
}
_RESPONSE_CLASSES = ("Response", "JSONResponse", "PlainTextResponse", "HTMLResponse", "ORJSONResponse",
                     "UJSONResponse", "RedirectResponse")
RESPONSES = {f"{m}.{c}" for m in ("fastapi", "fastapi.responses", "starlette.responses") for c in _RESPONSE_CLASSES}
CORS_MIDDLEWARE = {"fastapi.middleware.cors.CORSMiddleware", "starlette.middleware.cors.CORSMiddleware"}
MIDDLEWARE_WRAPPERS = {"starlette.middleware.Middleware", "fastapi.middleware.Middleware"}
_HTTPSTATUS = {"UNAUTHORIZED": 401}
_NOT_LITERAL = object()

# Cookie names that carry a credential. CSRF tokens are excluded: they must be readable by scripts.
AUTH_COOKIE = re.compile(r"token|session|auth|jwt|sid\b|^sid|access|refresh|credential|remember|login", re.I)
NOT_AUTH_COOKIE = re.compile(r"csrf|xsrf|consent|theme|lang|locale|^(is|has)_|_(expired|authorized|present)$",
                             re.I)  # flags such as `is_authorized` say nothing a forger can use

# FAL604: operands that hold a secret (by the name's last word: `session_api_key`, `offline_token`,
# `client_secret`), and names that only contain such a word (`token_type`, `prompt_tokens`,
# `token_manager`, `secret_name`).
SECRET_NAME = re.compile(r"(api_?key|apikey|secret|token|passw(or)?d|passwd|signature|sig|hmac|digest|"
                         r"webhook_key|access_key|auth_key|credentials?)$|secret", re.I)
NOT_SECRET_NAME = re.compile(r"(type|_url|_uri|url$|uri$|_name$|_id$|_ids$|length|_len$|count|header|expire|"
                             r"expiry|_at$|scheme|prefix|_field|format|_hint|_policy|_ttl|_age|kind|status|"
                             r"manager|store|service|_path|_file|_env)", re.I)
SENTINEL = re.compile(r"pending|placeholder|default|dummy|empty|unset|missing|sentinel|none|null|redacted|masked",
                      re.I)
USER_CHOICE = re.compile(r"confirm|repeat|again|retype|verify_|new_|old_|current_password", re.I)


def _status_code(ctx: FileContext, expr: Optional[cst.BaseExpression]) -> Optional[int]:
    """401 from `401`, `status.HTTP_401_UNAUTHORIZED`, `HTTP_401_UNAUTHORIZED`, `HTTPStatus.UNAUTHORIZED`."""
    if expr is None:
        return None
    value = literal_value(expr, None)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    q = ctx.qualify(expr)
    if q is None:
        return None
    m = re.match(r"^(?:fastapi|starlette)\.status\.HTTP_(\d{3})_", q)
    if m:
        return int(m.group(1))
    if q.startswith("http.HTTPStatus."):
        return _HTTPSTATUS.get(q.rsplit(".", 1)[1])
    return None


class HttpVisitor(CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self._constants: Optional[Dict[str, cst.BaseExpression]] = None
        self._in_assert = 0
        self._func_stack: list = []

    def _constant(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        """A module-level constant's value for a bare name (`ORIGINS`), else the expression."""
        if isinstance(expr, cst.Name):
            if self._constants is None:
                self._constants = module_constants(self.ctx.module)
            return self._constants.get(expr.value, expr)
        return expr

    # -- calls: FAL601, FAL602, FAL603 --------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.is_test:
            return  # test code builds responses and cookies to exercise the app; it is not served
        q = self.ctx.qualify(node.func)
        if q in HTTP_EXCEPTIONS:
            self._unauthorized(node, argument(node, "status_code", 0), argument(node, "headers", 2), q)
        elif q in RESPONSES:
            self._unauthorized(node, argument(node, "status_code", 1), argument(node, "headers", 2), q)
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "add_middleware":
            target = argument(node, "middleware_class", 0)
            if target is not None and self.ctx.qualify(target) in CORS_MIDDLEWARE:
                self._cors(node)
        elif q in MIDDLEWARE_WRAPPERS or q in CORS_MIDDLEWARE:
            first = argument(node, "cls", 0)
            if q in CORS_MIDDLEWARE or (first is not None and self.ctx.qualify(first) in CORS_MIDDLEWARE):
                self._cors(node)
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "set_cookie":
            self._cookie(node)

    def _unauthorized(self, node: cst.Call, status: Optional[cst.BaseExpression],
                      headers: Optional[cst.BaseExpression], what: str) -> None:
        if _status_code(self.ctx, status) != 401:
            return
        if any(arg.star == "**" for arg in node.args):
            return  # headers may come through **kwargs we cannot see
        if headers is not None:
            headers = self._constant(headers)
            if not isinstance(headers, cst.Dict):
                return  # built elsewhere: not ours to guess
            keys = []
            for el in headers.elements:
                if not isinstance(el, cst.DictElement):
                    return  # `{**base, ...}`
                key = literal_str(el.key)
                if key is None:
                    return
                keys.append(key.lower())
            if "www-authenticate" in keys:
                return
        short = what.rsplit(".", 1)[1]
        self.report("FAL601", node,
                    f"{short} answers 401 without a `WWW-Authenticate` header; add "
                    "`headers={\"WWW-Authenticate\": \"Bearer\"}` (RFC 6750 §3, spec §4.7)")

    def _truthy_constant(self, expr: Optional[cst.BaseExpression]) -> Optional[bool]:
        if expr is None:
            return None
        value = literal_value(self._constant(expr), None)
        return value if isinstance(value, bool) else None

    def _cors(self, node: cst.Call) -> None:
        if self._truthy_constant(argument(node, "allow_credentials")) is not True:
            return
        origins = argument(node, "allow_origins")
        wildcard = None
        if origins is not None:
            value = literal_value(self._constant(origins), None)
            if isinstance(value, (list, tuple, set)) and "*" in value:
                wildcard = 'allow_origins=["*"]'
        regex = argument(node, "allow_origin_regex")
        if regex is not None:
            pattern = literal_str(self._constant(regex))
            if pattern is not None and pattern.strip("^$") in (".*", ".+", "https?://.*", "https?://.+", "(.*)"):
                wildcard = f"allow_origin_regex={pattern!r}"
        if wildcard:
            self.report("FAL602", node,
                        f"CORSMiddleware with {wildcard} and allow_credentials=True lets any website make "
                        "credentialed requests (Starlette echoes the caller's origin); list the frontend's "
                        "origins explicitly (spec §7.3)")

    def _cookie(self, node: cst.Call) -> None:
        key = argument(node, "key", 0)
        value = argument(node, "value", 1)
        name = literal_str(self._constant(key)) if key is not None else None
        if name is not None:
            if not AUTH_COOKIE.search(name) or NOT_AUTH_COOKIE.search(name):
                return
            label = f"'{name}'"
        else:
            shown = name_of(value) if value is not None else None
            if not shown or not AUTH_COOKIE.search(shown) or NOT_AUTH_COOKIE.search(shown):
                return
            label = f"holding `{shown}`"
        missing = []
        for attr, position, flag in (("secure", 6, "Secure"), ("httponly", 7, "HttpOnly")):
            arg = argument(node, attr, position)
            if arg is None or self._truthy_constant(arg) is False:
                missing.append(flag)
        samesite = argument(node, "samesite", 8)
        if samesite is not None:
            s = literal_value(self._constant(samesite), "unknown")
            if s is None or (isinstance(s, str) and s.lower() == "none"):
                missing.append("SameSite=Lax or Strict")
        if any(arg.star == "**" for arg in node.args) or not missing:
            return
        self.report("FAL603", node,
                    f"auth cookie {label} is set without {', '.join(missing)}; a token cookie must be "
                    "`secure=True, httponly=True` and SameSite Lax or Strict (spec §7.4)")

    # -- comparisons: FAL604 ------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._func_stack.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._func_stack.pop()

    @property
    def _in_dunder_eq(self) -> bool:
        return bool(self._func_stack) and self._func_stack[-1] in ("__eq__", "__ne__")

    def visit_Assert(self, node: cst.Assert) -> None:
        self._in_assert += 1

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self._in_assert -= 1

    def visit_Comparison(self, node: cst.Comparison) -> None:
        # Tests compare tokens to check behaviour; nobody measures their timing.
        if self._in_assert or self.ctx.is_test:
            return
        left = node.left
        for target in node.comparisons:
            if isinstance(target.operator, (cst.Equal, cst.NotEqual)):
                self._compare(node, left, target.comparator)
            left = target.comparator

    def _secret_operand(self, expr: cst.BaseExpression) -> Optional[str]:
        if isinstance(expr, cst.Subscript):  # headers["x-api-key"], secrets["token"]
            sl = expr.slice[0].slice if len(expr.slice) == 1 else None
            key = literal_str(sl.value) if isinstance(sl, cst.Index) else None
            if key and SECRET_NAME.search(key) and not NOT_SECRET_NAME.search(key):
                return key
            return None
        name = name_of(expr)
        if name and SECRET_NAME.search(name) and not NOT_SECRET_NAME.search(name):
            return name
        return None

    def _expected_value(self, expr: cst.BaseExpression) -> bool:
        """A stored or configured value: an UPPER_CASE constant, a settings/config attribute, an
        environment lookup."""
        if isinstance(expr, cst.Call):
            q = self.ctx.qualify(expr.func)
            return q in ("os.getenv", "os.environ.get")
        if isinstance(expr, cst.Subscript):
            q = self.ctx.qualify(expr.value)
            return q == "os.environ"
        name = name_of(expr)
        if name and name.isupper() and len(name) > 1:
            return True
        if isinstance(expr, cst.Attribute):
            base = expr.value
            while isinstance(base, cst.Attribute):
                base = base.value
            return isinstance(base, cst.Name) and re.search(r"settings|config|conf$|cfg|env", base.value, re.I) is not None
        return False

    def _compare(self, node: cst.Comparison, a: cst.BaseExpression, b: cst.BaseExpression) -> None:
        if self._in_dunder_eq or _is_column(a) or _is_column(b):
            return  # object equality, or an ORM filter (`Invitation.token == token`) run by the database
        for x, y in ((a, b), (b, a)):
            secret = self._secret_operand(x)
            if secret is None:
                continue
            if USER_CHOICE.search(secret) or SENTINEL.search(secret):
                return
            if literal_value(y, _NOT_LITERAL) is not _NOT_LITERAL:
                # None/""/flags are presence checks; a string literal is a sentinel (`token == "*"`)
                # or a hardcoded secret, which is FAL301's finding, not a timing question.
                return
            other_secret = self._secret_operand(y)
            other_name = name_of(y) or ""
            if SENTINEL.search(other_name) or (other_secret and USER_CHOICE.search(other_secret)):
                return  # `token == PENDING_TOKEN`, `password == confirm_password`
            if other_secret is not None or self._expected_value(y):
                self.report("FAL604", node,
                            f"`{secret}` is compared with `==`/`!=`, which returns as soon as a character "
                            "differs and leaks how much of a guess was right; use "
                            "`hmac.compare_digest(a, b)` (spec §7.5)")
                return


def _is_column(expr: cst.BaseExpression) -> bool:
    """`Model.column`: an attribute of a class (capitalised name), as in SQLAlchemy filters."""
    return (isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name)
            and expr.value.value[:1].isupper() and not expr.value.value.isupper())


class HttpCheck(Check):
    name = "http"
    rules = ("FAL601", "FAL602", "FAL603", "FAL604")

    def visitor(self, ctx: FileContext) -> HttpVisitor:
        return HttpVisitor(ctx)


CHECK = HttpCheck()
