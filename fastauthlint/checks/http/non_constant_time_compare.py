"""FAL604 non-constant-time-compare (spec §7.5): secrets, tokens and API keys MUST be compared in
constant time (`hmac.compare_digest`).

Reported: `==`/`!=` between a value named like a secret (`api_key`, `client_secret`,
`headers["x-api-key"]`; not `token_type`, `secret_name`, `prompt_tokens`) and another secret or a
stored or configured value (an UPPER_CASE constant, a settings/config attribute, an environment
lookup), when one side can come from the request — a parameter, `request.headers[...]`, a value
derived from one — and the other is a secret the server holds (configuration, a stored token or
hash, a computed signature): only then does the time it takes tell a caller how much of a guess
was right.

Not reported: two values the server holds (`signature != cached_signature` when neither comes from
the request: a cache key, a fingerprint of configuration or file metadata, a check that a
configured secret changed); a comparison whose oracle is gone — the row was looked up by the very
value it is compared with (`row = db.query(T).filter_by(token=t).first(); row.token != t`), or
the token was verified by a signature check first (`jwt.decode(token, ...)` then `token ==
stored`); comparisons with literals (presence checks and sentinels; a hardcoded secret is FAL301's
finding), with sentinels (`PENDING_TOKEN`) or a user's own confirmation (`password ==
confirm_password`); ORM column expressions (`Invitation.token == token`, `models.Worker.api_key ==
key`, anything inside `.where(...)`/`.filter(...)`: the database compares); `__eq__`/`__ne__`.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set

import libcst as cst

from fastauthlint.astutil import descendants, literal_str, literal_value, name_of, parameters
from fastauthlint.context import FileContext

RULE = "FAL604"

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
USER_CHOICE = re.compile(r"confirm|repeat|again|retype|verify_|new_|old_|current_password|"
                         r"(^|_)re_?(password|passwd|pwd)$|(password|passwd|pwd)_?2$", re.I)
# An identity an owner check compares (`lock.owner_id != owner_id`).
# Not a name the caller may simply send (`x_webhook_user != settings.webhook_user` is a login).
_IDENTITY = re.compile(r"(^|_)(owner(_?id)?|(user|account|member|holder)_?id|uid)$", re.I)
# Calls whose arguments build a database query: a comparison inside is an SQL expression.
QUERY_CALLS = frozenset({"where", "filter", "filter_by", "having", "join", "outerjoin", "and_", "or_", "not_",
                         "case", "select", "exclude", "get_or_none", "first_or_none", "find", "find_one",
                         "find_many", "update", "delete", "count"})
# A call that checks a token's signature (`jwt.decode(token, ...)`, `verify_token(token)`).
_VERIFIES = re.compile(r"(^|_)(decode|verify|validate)(_|$)|^(decode|verify)\w*(token|jwt)", re.I)
_CONFIG_BASE = re.compile(r"settings|config|conf$|cfg|env", re.I)
# Parameters that hand in what the server holds: a configuration, a stored or cached value, the
# database session or cache a value is loaded from.
_HELD_PARAM = re.compile(r"settings|config|conf$|cfg|^(stored|cached|saved|previous|prev|old|persisted)_|"
                         r"^(db|session|db_session|cache|redis|store|storage|repo|repository)$", re.I)
_REQUEST_NAMES = {"request", "req", "websocket", "ws"}
# Calls that hash or encode their argument: the result carries where the argument came from.
_DERIVES = re.compile(r"hash|digest|hmac|encode|encrypt|sign(?!ature)|b64|hexlify", re.I)
_STRING_METHODS = {"strip", "lstrip", "rstrip", "lower", "upper", "encode", "decode", "removeprefix",
                   "removesuffix", "split", "partition", "replace", "get", "getlist", "pop"}
_NOT_LITERAL = object()

# Where an operand's value comes from.
REQUEST, PARAM, HELD, NEUTRAL = "request", "param", "held", "neutral"


class Context:
    """The function a comparison is in: its parameters and local assignments (read on demand)."""

    def __init__(self, ctx: FileContext, func: Optional[cst.FunctionDef]):
        self.ctx = ctx
        self.func = func
        self.params: Set[str] = set()
        self.not_strings: Set[str] = set()  # parameters annotated with a type that is not a string
        for p in parameters(func) if func is not None else ():
            self.params.add(p.name.value)
            if p.annotation is not None and not _string_type(p.annotation.annotation):
                self.not_strings.add(p.name.value)
        self._assigns: Optional[Dict[str, List[cst.BaseExpression]]] = None
        self._calls: List[cst.Call] = []
        self._order: Dict[int, int] = {}  # id(node) -> position in the body, in source order

    def assigned(self, name: str) -> List[cst.BaseExpression]:
        if self._assigns is None:
            self._assigns = {}
            if self.func is not None:
                for i, n in enumerate(descendants(self.func.body)):
                    self._order[id(n)] = i
                    if isinstance(n, cst.Assign):
                        for t in n.targets:
                            if isinstance(t.target, cst.Name):
                                self._assigns.setdefault(t.target.value, []).append(n.value)
                    elif isinstance(n, cst.AnnAssign) and isinstance(n.target, cst.Name) and n.value is not None:
                        self._assigns.setdefault(n.target.value, []).append(n.value)
                    elif isinstance(n, cst.Call):
                        self._calls.append(n)
        return self._assigns.get(name, [])

    def calls(self) -> List[cst.Call]:
        self.assigned("")
        return self._calls

    def before(self, a: cst.CSTNode, b: cst.CSTNode) -> bool:
        self.assigned("")
        return self._order.get(id(a), 1 << 30) < self._order.get(id(b), -1)


def check(ctx: FileContext, node: cst.Comparison, in_eq_method: bool, func: Optional[cst.FunctionDef] = None,
          in_query: bool = False) -> List[str]:
    """The finding's messages for a comparison (one per `==`/`!=` pair that compares a secret)."""
    if in_eq_method or in_query:
        return []  # object equality, or an SQL expression the database evaluates
    out: List[str] = []
    env: Optional[Context] = None
    left = node.left
    for target in node.comparisons:
        if isinstance(target.operator, (cst.Equal, cst.NotEqual)):
            secret = _compared_secret(ctx, left, target.comparator)
            if secret is not None:
                env = env or Context(ctx, func)
                if _timing_oracle(env, left, target.comparator, node):
                    out.append(f"`{secret}` is compared with `==`/`!=`, which returns as soon as a character "
                               "differs and leaks how much of a guess was right; use "
                               "`hmac.compare_digest(a, b)` (spec §7.5)")
        left = target.comparator
    return out


def owner_gated(ctx: FileContext, node: cst.BooleanOperation) -> List[cst.Comparison]:
    """Comparisons that run only once an owner check passed: `lock.owner_id != owner_id or
    lock.lock_token != token` (and `owner_id == uid and token == t`) compares the token only for
    the owner, who holds it already; timing it tells nobody else anything."""
    op = type(node.operator)
    operands: List[cst.BaseExpression] = []
    stack: List[cst.BaseExpression] = [node]
    while stack:  # the operands of a chain of one operator, in order
        e = stack.pop()
        if isinstance(e, cst.BooleanOperation) and type(e.operator) is op:
            stack += [e.right, e.left]
        else:
            operands.append(e)
    wanted = cst.NotEqual if op is cst.Or else cst.Equal
    out: List[cst.Comparison] = []
    gated = False
    for e in operands:
        if gated and isinstance(e, cst.Comparison):
            out.append(e)
        if isinstance(e, cst.Comparison) and len(e.comparisons) == 1 \
                and isinstance(e.comparisons[0].operator, wanted) \
                and any(_IDENTITY.search(name_of(x) or "") for x in (e.left, e.comparisons[0].comparator)) \
                and not any(_expected_value(ctx, x) for x in (e.left, e.comparisons[0].comparator)):
            gated = True  # (an identity compared with a configured one is a login's user name)
    return out


def _secret_operand(expr: cst.BaseExpression) -> Optional[str]:
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "get" \
            and expr.args and expr.args[0].keyword is None:
        # `headers.get("x-api-key")`, `request.query_params.get("token")`: a part of the request
        # read by name (a stored dict's `.get("refresh_token")` is not judged by its key).
        key = literal_str(expr.args[0].value)
        return key if key and _secret_key(key) and _request_part(expr.func.value) else None
    if isinstance(expr, cst.Subscript):  # headers["x-api-key"], secrets["token"]
        sl = expr.slice[0].slice if len(expr.slice) == 1 else None
        key = literal_str(sl.value) if isinstance(sl, cst.Index) else None
        if key and _secret_key(key):
            return key
        return None
    name = name_of(expr)
    if name and SECRET_NAME.search(name) and not NOT_SECRET_NAME.search(name):
        return name
    return None


_REQUEST_PARTS = re.compile(r"^(request|req|headers|cookies|query_params|query|params|form|form_data|body|"
                            r"json|args|environ|meta)$", re.I)


def _request_part(expr: cst.BaseExpression) -> bool:
    """Does a name in the chain (`request.headers`, `headers`, `req.cookies`) say it is the request's?"""
    while isinstance(expr, (cst.Attribute, cst.Call, cst.Subscript)):
        if isinstance(expr, cst.Attribute) and _REQUEST_PARTS.match(expr.attr.value):
            return True
        expr = expr.func if isinstance(expr, cst.Call) else expr.value
    return isinstance(expr, cst.Name) and _REQUEST_PARTS.match(expr.value) is not None


def _secret_key(key: str) -> bool:
    """A mapping key naming a secret; header names spell words with hyphens (`x-api-key`)."""
    word = key.replace("-", "_")
    return SECRET_NAME.search(word) is not None and NOT_SECRET_NAME.search(word) is None


def _expected_value(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    """A stored or configured value: an UPPER_CASE constant, a settings/config attribute, an
    environment lookup."""
    if isinstance(expr, cst.Call):
        q = ctx.qualify(expr.func)
        return q in ("os.getenv", "os.environ.get")
    if isinstance(expr, cst.Subscript):
        q = ctx.qualify(expr.value)
        return q == "os.environ"
    name = name_of(expr)
    if name and name.isupper() and len(name) > 1:
        return True
    if isinstance(expr, cst.Attribute):
        base = expr.value
        while isinstance(base, cst.Attribute):
            base = base.value
        return isinstance(base, cst.Name) and _CONFIG_BASE.search(base.value) is not None
    return False


def _compared_secret(ctx: FileContext, a: cst.BaseExpression, b: cst.BaseExpression) -> Optional[str]:
    """The secret's name when `a == b` compares a secret-named value with another secret or a
    stored or configured value (not a literal, a sentinel, a user's confirmation, a column)."""
    if is_column(a) or is_column(b):
        return None  # an ORM filter (`Invitation.token == token`) run by the database
    for x, y in ((a, b), (b, a)):
        secret = _secret_operand(x)
        if secret is None:
            continue
        if USER_CHOICE.search(secret) or SENTINEL.search(secret):
            return None
        if literal_value(y, _NOT_LITERAL) is not _NOT_LITERAL:
            # None/""/flags are presence checks; a string literal is a sentinel (`token == "*"`)
            # or a hardcoded secret, which is FAL301's finding, not a timing question.
            return None
        other_secret = _secret_operand(y)
        other_name = name_of(y) or ""
        if SENTINEL.search(other_name) or (other_secret and USER_CHOICE.search(other_secret)):
            return None  # `token == PENDING_TOKEN`, `password == confirm_password`
        if other_secret is not None or _expected_value(ctx, y):
            return secret
    return None


def _timing_oracle(env: Context, a: cst.BaseExpression, b: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """Can a caller time this comparison to learn the secret: one side from the request (or a
    parameter fed from it), the other held by the server, and no lookup or signature check by
    the same value before it?"""
    if _same_record(env, a, b):
        return False  # `form.password != form.re_password`: two values of what the same request sent
    oa, ob = origins(env, a), origins(env, b)
    for request_side, held_side, ro, ho in ((a, b, oa, ob), (b, a, ob, oa)):
        if not (ro & {REQUEST, PARAM}) or not (ho & {HELD, PARAM}):
            continue
        if _looked_up_by(env, held_side, request_side) or _verified_first(env, request_side, at):
            return False
        return True
    return False


def _same_record(env: Context, a: cst.BaseExpression, b: cst.BaseExpression) -> bool:
    """Two fields of one parameter (`form.password`, `form.re_password`): both the caller's."""
    if not (isinstance(a, cst.Attribute) and isinstance(b, cst.Attribute)):
        return False
    return isinstance(a.value, cst.Name) and isinstance(b.value, cst.Name) and a.value.value == b.value.value \
        and a.value.value in env.params and a.value.value not in ("self", "cls")


def origins(env: Context, expr: cst.BaseExpression, depth: int = 0) -> Set[str]:
    """Where a value may come from: the request, a parameter (perhaps fed from it), the server
    (configuration, storage, a computation), or nowhere that matters (a tuple of values, a column)."""
    if depth > 4:
        return {HELD}
    if isinstance(expr, cst.Await):
        return origins(env, expr.expression, depth + 1)
    if isinstance(expr, (cst.Tuple, cst.List, cst.Set, cst.Dict)):
        return {NEUTRAL}  # a fingerprint of several values, not a secret string
    if isinstance(expr, cst.Name):
        name = expr.value
        if name in env.params:
            if name in env.not_strings:
                return {NEUTRAL}  # `expected: FileSignature`: an object, not a secret string
            if _HELD_PARAM.search(name):
                return {HELD}  # `old_config`, `stored_hash`: what the server kept, handed in
            return {REQUEST} if name in _REQUEST_NAMES else {PARAM}
        values = env.assigned(name)
        if values:
            out: Set[str] = set()
            for v in values:
                out |= origins(env, v, depth + 1)
            return out
        return {HELD}  # a module constant, an import, a global
    if isinstance(expr, (cst.Attribute, cst.Subscript)):
        if _expected_value(env.ctx, expr):
            return {HELD}
        base = expr.value
        if isinstance(base, cst.Name) and base.value in ("self", "cls"):
            return {HELD}
        inner = origins(env, base, depth + 1)
        # `body.token`, `request.headers["x"]`: part of what was received; a row's attribute is held
        return inner - {NEUTRAL} or {HELD}
    if isinstance(expr, cst.Call):
        func = expr.func
        if _expected_value(env.ctx, expr):
            return {HELD}
        if isinstance(func, cst.Attribute) and func.attr.value in _STRING_METHODS and not _row_lookup(expr):
            inner = origins(env, func.value, depth + 1)
            if inner & {REQUEST, PARAM}:
                return inner  # `authorization.split(" ")[1]`, `request.headers.get("x-api-key")`
        if _DERIVES.search(name_of(func) or ""):
            # `hash_password(form.password)`: a hash of what the request sent is the request's
            out = {HELD}
            for arg in expr.args:
                out |= origins(env, arg.value, depth + 1) & {REQUEST, PARAM}
            return out
        return {HELD}  # `hmac.new(...).hexdigest()`, `await redis.get(key)`: computed or loaded here
    if isinstance(expr, cst.BinaryOperation):
        return origins(env, expr.left, depth + 1) | origins(env, expr.right, depth + 1)
    return {HELD}


def _row_lookup(call: cst.Call) -> bool:
    """`db.get(User, user_id)`, `session.get(models.Key, pk)`: a row the server loads by its key,
    not a value read out of what the request sent (`headers.get("x-api-key")`)."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value != "get" or not call.args:
        return False
    first = call.args[0].value
    return call.args[0].keyword is None and isinstance(first, (cst.Name, cst.Attribute)) and \
        (name_of(first) or "")[:1].isupper() and not (name_of(first) or "").isupper()


def _string_type(ann: cst.BaseExpression) -> bool:
    """Can a value of this annotation hold a secret string? Not `int`, `datetime`, `UUID`, nor a
    class named as a file signature, stat result or fingerprint (`FileSignature | None`)."""
    for n in descendants(ann):
        name = name_of(n) if isinstance(n, (cst.Name, cst.Attribute)) else None
        if name in _NUMBERS_AND_TIMES or (name and name[:1].isupper() and _NOT_A_STRING.search(name)):
            return False
    return True


_NUMBERS_AND_TIMES = {"int", "float", "bool", "complex", "datetime", "date", "UUID", "Decimal"}
_NOT_A_STRING = re.compile(r"signature$|stat(_result)?$|fingerprint$|digest_?info$", re.I)


def _looked_up_by(env: Context, held: cst.BaseExpression, value: cst.BaseExpression) -> bool:
    """`row = db.query(T).filter_by(token=t).first(); row.token != t`: the row was found by the
    very value it is compared with (the comparison only echoes the lookup)."""
    base = held
    while isinstance(base, (cst.Attribute, cst.Subscript)):
        base = base.value
    if not isinstance(base, cst.Name) or base.value in env.params:
        return False
    code = _code(value)
    for assigned in env.assigned(base.value):
        for n in descendants(assigned):
            if isinstance(n, cst.Arg) and _code(n.value) == code:
                return True
            if isinstance(n, cst.Comparison) and any(_code(x) == code for x in
                                                      [n.left] + [c.comparator for c in n.comparisons]):
                return True
    return False


def _verified_first(env: Context, value: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """Was the request's value checked by a signature verification (`jwt.decode(token, ...)`,
    `verify_token(token)`) before the comparison? Then a guessed variant fails there, and the
    comparison leaks nothing."""
    if not isinstance(value, cst.Name) or env.func is None:
        return False
    for call in env.calls():
        if not call.args or not _VERIFIES.search(name_of(call.func) or ""):
            continue
        first = call.args[0].value
        if isinstance(first, cst.Name) and first.value == value.value and env.before(call, at):
            return True
    return False


def is_column(expr: cst.BaseExpression) -> bool:
    """`Model.token`, `models.DbWorker.api_key`: an attribute of a class (a capitalised, not
    all-capitals name before the last part), as ORM columns are written."""
    if not isinstance(expr, cst.Attribute) or expr.attr.value.isupper():
        return False  # `Config.API_KEY`: a configuration class's constant, not a column
    base = expr.value
    while isinstance(base, cst.Attribute):
        if base.attr.value[:1].isupper() and not base.attr.value.isupper():
            return True
        base = base.value
    return isinstance(base, cst.Name) and base.value[:1].isupper() and not base.value.isupper()


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)
