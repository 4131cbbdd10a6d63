"""What is a credential, for FAL401/FAL402 (the sources of the taint analysis):

- by name: a name whose head noun is a secret (`token`, `access_token`, `settings.SECRET_KEY`,
  `form_data.password`), not `token_type`, `user_id` or `ACCESS_TOKEN_EXPIRE_MINUTES`
  (`sensitive.secret_name_kind`); a configuration object's secret is a "config" secret;
- by where it is read: the `Authorization` (or API key) header and auth cookies of a request;
- by call: tokens returned by `jwt.encode`, by `secrets.token_*` and by functions named to issue or
  obtain one (`create_access_token`, `get_api_key`; `issuing_call_kind`);
- by parameter: parameters fed by a security scheme (`Depends(oauth2_scheme)`, `Security(...)`, an
  `Annotated[str, Depends(...)]` alias) when the scheme is an instance of a FastAPI security class,
  and parameters typed `HTTPAuthorizationCredentials`, `HTTPBasicCredentials`,
  `OAuth2PasswordRequestForm`;
- and what is not one, whatever it is called: identifiers (`credential_id`), values a pydantic
  `SecretStr` masks, and names a function shows are something else (`token == "-"`, `int(token)`,
  the key a secret is looked up under).

`Credentials` holds what one file says (its security schemes, dependency aliases and SecretStr
fields); the rest are pure functions. Which project functions return credentials across files is
the linking step's question (`summaries.py`).
"""

from __future__ import annotations

import re
from typing import Dict, Iterator, List, Optional, Set

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.sensitive import names_a_name, names_public_identifier, secret_name_kind, split_words
from fastauthlint.checks.tokens.taint import EMPTY, HEADERS_DESC, FunctionState, Taint, sources, src
from fastauthlint.project.names import dotted

SECURITY_CLASSES = frozenset({
    "OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "OAuth2", "OpenIdConnect", "HTTPBearer",
    "HTTPBasic", "HTTPDigest", "HTTPBase", "APIKeyHeader", "APIKeyQuery", "APIKeyCookie",
})
SECURITY_MODULES = ("fastapi.security", "fastapi.openapi", "starlette")
CREDENTIAL_TYPES = frozenset({"HTTPAuthorizationCredentials", "HTTPBasicCredentials", "OAuth2PasswordRequestForm",
                              "OAuth2PasswordRequestFormStrict"})
JWT_ENCODERS = frozenset({"jwt.encode", "jwt.api_jwt.encode", "jwt.api_jws.encode", "jose.jwt.encode",
                          "jose.jws.sign", "authlib.jose.jwt.encode", "jwt.PyJWT.encode"})
ISSUE_VERBS = frozenset({"create", "generate", "issue", "make", "mint", "encode", "sign", "new", "build",
                         "refresh", "rotate", "gen", "grant", "regenerate", "renew", "reissue", "recreate"})
OBTAIN_VERBS = frozenset({"get", "fetch", "obtain", "request", "read", "load", "authorize", "exchange",
                          "extract", "parse", "retrieve", "acquire"})
_LOOKUP_WORDS = frozenset({"by", "with", "of", "in", "on", "is", "has"})

# Modules whose functions are never project functions: no summaries to look up.
FOREIGN_ROOTS = frozenset({
    "os", "sys", "re", "json", "logging", "typing", "datetime", "time", "uuid", "hashlib", "hmac", "base64",
    "secrets", "fastapi", "starlette", "pydantic", "pydantic_settings", "sqlalchemy", "sqlmodel", "jwt", "jose",
    "passlib", "bcrypt", "httpx", "requests", "aiohttp", "structlog", "loguru", "warnings", "asyncio",
    "collections", "functools", "itertools", "pathlib", "urllib", "math", "random", "copy", "contextlib",
    "dataclasses", "enum", "abc", "inspect", "traceback", "pytest", "unittest", "redis", "boto3", "authlib",
    "itsdangerous", "click", "typer", "rich", "pprint", "textwrap", "email", "smtplib", "celery", "jinja2",
    "builtins", "io", "subprocess", "shutil", "tempfile", "string", "operator", "decimal", "sentry_sdk",
})

# A project function that returns tokens has one of these words in its name.
ISSUER_WORDS = frozenset({"token", "tokens", "jwt", "secret", "key", "password", "credential", "credentials",
                          "auth", "authenticate", "login", "signin", "sign", "session", "bearer", "access",
                          "refresh", "issue", "mint", "encode", "cookie", "api", "apikey", "otp", "magic",
                          "link", "reset", "verify", "verification", "invite", "invitation", "pat"})
# The words of a function's name that show it makes a credential (a token-named value, an encode or
# mint); `login`, `auth`, `access` alone may name a username or a lookup (`get_by_login(login)`), so
# whether such a function mints a token is the linking step's question (what it returns).
MINT_EVIDENCE = frozenset({"token", "tokens", "jwt", "secret", "key", "apikey", "credential", "credentials",
                           "password", "bearer", "otp", "pat", "cookie", "session", "issue", "mint", "encode"})
MASKING_TYPES = frozenset({"SecretStr", "SecretBytes", "Secret"})

# -- by name ------------------------------------------------------------------------------------

def name_source(name: str, shown: str, incoming: bool = False, config: bool = False) -> Taint:
    """A value known by its name. `config`: a configuration value (`settings.SECRET_KEY`, a module
    constant `JWT_SECRET`), which no response may carry, not even the one issuing a token."""
    kind = secret_name_kind(name)
    if kind is None or names_public_identifier(name):
        return EMPTY  # `url_token`: a profile's slug, shown in URLs
    if kind == "token":
        return src("credential" if incoming else ("config" if config else "token"), f"the token `{shown}`")
    if kind == "secret" and config:
        return src("config", f"the secret `{shown}`")
    return src(kind, f"the {kind} `{shown}`")


_CONFIG_OBJECT = re.compile(r"(^|_)(settings|config|conf|cfg|env|environ|secrets|vault|options|app_config)$", re.I)


def is_config_base(node: cst.BaseExpression) -> bool:
    """`settings`, `app.config`, `get_settings()`: where configuration secrets are read from."""
    if isinstance(node, cst.Call):
        node = node.func
    name = astutil.name_of(node)
    return bool(name and _CONFIG_OBJECT.search(name))


def of_kind(own: Taint, base: Taint) -> Taint:
    """A part of a tainted object named like a secret (`credentials.credentials`,
    `tok.get("secret")` of a token just issued): named by the part, of the object's kind, unless
    the part says more (`credentials.password`)."""
    base_srcs = sources(base)
    if not base_srcs:
        return own
    own_src = sources(own)[0]
    kind = "password" if own_src[1] == "password" else base_srcs[0][1]
    word = {"issued": "token", "config": "secret"}.get(kind, kind)
    shown = own_src[2].split("`", 1)[1] if "`" in own_src[2] else ""
    return src(kind, f"the {word} `{shown}" if shown else own_src[2])


def shown_name(node: cst.CSTNode) -> str:
    text = dotted(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    if text is None and isinstance(node, cst.Subscript) and len(node.slice) == 1 \
            and isinstance(node.slice[0].slice, cst.Index):
        key = astutil.literal_str(node.slice[0].slice.value)
        base = dotted(node.value) if isinstance(node.value, (cst.Name, cst.Attribute)) else "…"
        if key is not None and len(key) <= 40:
            text = f'{base}["{key}"]'
    return text or "…"


def request_item(container: cst.BaseExpression, key: str) -> Taint:
    """`request.headers["Authorization"]`, `request.cookies.get("access_token")`."""
    if not isinstance(container, cst.Attribute):
        return EMPTY
    low = key.lower()
    if container.attr.value == "headers" and (
            low in ("authorization", "proxy-authorization", "cookie") or secret_name_kind(key)):
        return src("credential", f"the `{key}` header")
    if container.attr.value == "cookies" and (secret_name_kind(key) or low in ("session", "sessionid", "sid")
                                              or any(w in low for w in ("auth", "session", "jwt"))):
        return src("credential", f"the `{key}` cookie")
    return EMPTY


# -- by call -------------------------------------------------------------------------------------

def issuing_call_kind(name: Optional[str]) -> Optional[str]:
    """"issued" for `create_access_token`, "token" for `get_api_key`; None for `verify_token`,
    `get_password_hash`, `get_user_by_token`."""
    if not name:
        return None
    words = split_words(name)
    # What is made or obtained is named after the verb (`create_access_token` -> access_token).
    if len(words) < 2 or secret_name_kind("_".join(words[1:])) is None or set(words) & _LOOKUP_WORDS:
        return None
    if words[0] in ISSUE_VERBS:
        return "issued"
    if words[0] in OBTAIN_VERBS:
        return "token"
    return None


def issued_kind_word(name: str) -> str:
    """The kind of secret an issuing call's name says it returns (`create_api_key` -> secret)."""
    return secret_name_kind("_".join(split_words(name)[1:])) or "token"


# -- by parameter and dependency ------------------------------------------------------------------

_PUSH_WORDS = frozenset({"push", "notification", "notifications", "notify", "device", "devices", "fcm", "apns", "expo"})
_CREDENTIAL_HINTS = frozenset({"scheme", "oauth", "oauth2", "bearer", "security", "auth", "token", "key", "api",
                               "apikey", "credential", "credentials", "creds", "basic", "http", "jwt", "header",
                               "cookie", "secret", "password", "authorization", "sso", "oidc", "openid"})


def is_push_code(func: cst.FunctionDef) -> bool:
    """Push-notification code (`send_push`, `notify_devices`): a bare `token` there is a device's
    address, not a credential."""
    return bool(set(split_words(func.name.value)) & _PUSH_WORDS)


def may_be_credential(ref: Optional[str]) -> bool:
    """Whether a dependency defined elsewhere may be a security scheme or return a credential,
    judged by its name (`reusable_oauth2`, `TokenDep`, `api_key_header`; not `get_db`,
    `CurrentUser`): only then is a sink's position worth recording for the linking step."""
    if not ref:
        return False
    return bool(set(split_words(ref.split(".")[-1])) & _CREDENTIAL_HINTS)


def annotated_dependency(node: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """`Annotated[str, Depends(x)]` -> x (also Security(x))."""
    if not isinstance(node, cst.Subscript) or astutil.name_of(node.value) != "Annotated":
        return None
    for el in node.slice[1:]:
        inner = el.slice.value if isinstance(el.slice, cst.Index) else None
        if isinstance(inner, cst.Call) and astutil.name_of(inner.func) in ("Depends", "Security"):
            return astutil.argument(inner, "dependency", 0)
    return None


_REQUEST_PARTS = frozenset({"Header", "Cookie", "Query"})


def from_request(p: cst.Param) -> bool:
    """`x_api_key: str = Header(...)`, `Annotated[str, Cookie()]`: a value the client sent, also in a
    dependency (which hands the handler the credential it read)."""
    if isinstance(p.default, cst.Call) and astutil.name_of(p.default.func) in _REQUEST_PARTS:
        return True
    ann = p.annotation.annotation if p.annotation is not None else None
    if isinstance(ann, cst.Subscript) and astutil.name_of(ann.value) == "Annotated":
        return any(isinstance(el.slice, cst.Index) and isinstance(el.slice.value, cst.Call)
                   and astutil.name_of(el.slice.value.func) in _REQUEST_PARTS for el in ann.slice[1:])
    return False


def annotation_types(node: Optional[cst.BaseExpression]) -> Iterator[str]:
    """Type names in an annotation: `Optional[X]`, `X | None`, `Annotated[X, ...]`."""
    if node is None:
        return
    if isinstance(node, (cst.Name, cst.Attribute)):
        yield astutil.name_of(node) or ""
    elif isinstance(node, cst.Subscript):
        for el in node.slice:
            if isinstance(el.slice, cst.Index):
                yield from annotation_types(el.slice.value)
                if astutil.name_of(node.value) == "Annotated":
                    break
    elif isinstance(node, cst.BinaryOperation):
        yield from annotation_types(node.left)
        yield from annotation_types(node.right)
    elif isinstance(node, cst.SimpleString):
        s = astutil.literal_str(node)
        if s:
            yield s.split("[")[0].split(".")[-1].strip()


_STRINGISH = frozenset({"str", "bytes", "Optional", "Union", "None", "Any", "Annotated", "list", "List", "Sequence",
                        "tuple", "Tuple", "Literal", "bytearray", ""})


def stringish(ann: Optional[cst.BaseExpression]) -> bool:
    """No annotation, or one that can hold the raw string (`str`, `str | None`, `Annotated[str, …]`);
    not an object (`api_key: APIKey`) nor a masking wrapper (`password: SecretStr`)."""
    return all(t in _STRINGISH for t in annotation_types(ann))


def masked_fields_of(cls: cst.ClassDef) -> Set[str]:
    """Fields a class declares with a masking type: `token: SecretStr`, `api_key: SecretStr | None`."""
    out: Set[str] = set()
    for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) \
                        and set(annotation_types(small.annotation.annotation)) & MASKING_TYPES:
                    out.add(small.target.value)
    return out


# -- what is not a credential, whatever it is called ------------------------------------------------

# Names that say they hold an identifier, a label or a count, not the credential itself.
_IDENTIFIER_NOUNS = frozenset({"id", "ids", "uuid", "uid", "pk", "name", "names", "count", "status", "path",
                               "url", "uri", "index", "idx", "number", "num", "version", "slug", "label"})
_CREDENTIAL_IDS = frozenset({"session", "sid", "csrf", "xsrf", "nonce"})


def names_an_identifier(name: str) -> bool:
    """`item_id`, `txn_id`, `secret_name`: not `session_id` (a session id is a bearer credential)."""
    words = split_words(name)
    return bool(words) and words[-1] in _IDENTIFIER_NOUNS and not set(words) & _CREDENTIAL_IDS \
        and secret_name_kind(name) is None


_SHORT_LITERAL = re.compile(r"[^\w\s]{1,3}|\w{1,2}")
_LEXICAL_METHODS = frozenset({"isdigit", "isnumeric", "isdecimal", "isidentifier"})
# A secret store's lookup by name: `vault.get_secret(name)`, `ssm.get_parameter(path)`,
# `secrets.get(key_name)`, `settings.get(key)`, `os.getenv(var)`. Its argument is the name a
# secret is stored under. Only these: a token passed to any other call (`get_user_info(token)`,
# `token_store.get(token)`, `cache.get(session_token)`) is what the call consumes, the credential.
_LOOKUP_METHOD = re.compile(r"^(get|fetch|read|load|lookup|retrieve|resolve)_(secret|secrets|parameter|param|"
                            r"parameters|setting|settings|config|env|variable|var)(_value|_values|_string|"
                            r"_by_name|_by_key|_by_path)?$")
_STORE_NAME = re.compile(r"(^|_)(secrets|vault|keyring|ssm|secret_manager|secrets_manager|env|environ|"
                         r"config|settings)$", re.I)
_STORE_METHODS = frozenset({"get", "pop", "getenv", "get_or_default", "__getitem__"})


def _literal_strings(node: cst.BaseExpression) -> Optional[List[str]]:
    """A string literal, or a tuple/list/set of them."""
    s = astutil.literal_str(node)
    if s is not None:
        return [s]
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)) and node.elements:
        out = [astutil.literal_str(el.value) for el in node.elements]
        return None if any(x is None for x in out) else out  # type: ignore[return-value]
    return None


def shown_not_secret(calls: List[cst.Call], comparisons: List[cst.Comparison], ctx, func_name: str = "") -> Set[str]:
    """Names a function shows are no credentials: compared with punctuation or a character or two
    (`token == "-"`, `tok in ("(", ")")`), parsed as numbers (`int(token)`, `token.isdigit()`),
    searched for an operator by a parser (`def parse_leaf(token): token.find("=")`), or the key a
    secret is looked up under (`vault.get_secret(totp_secret_key)`)."""
    out: Set[str] = set()
    parser = bool(split_words(func_name)[:1] and split_words(func_name)[0] in _PARSER_VERBS)
    for c in comparisons:
        if not all(isinstance(t.operator, (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)) for t in c.comparisons):
            continue
        operands = [c.left] + [t.comparator for t in c.comparisons]
        names = [o.value for o in operands if isinstance(o, cst.Name)]
        lits = [_literal_strings(o) for o in operands if not isinstance(o, cst.Name)]
        if names and lits and all(ls and all(_SHORT_LITERAL.fullmatch(x) for x in ls) for ls in lits):
            out.update(names)
    for call in calls:
        func = call.func
        pos = [a.value for a in call.args if a.keyword is None and not a.star]
        if isinstance(func, cst.Name) and func.value in ("int", "float") and len(pos) == 1 \
                and isinstance(pos[0], cst.Name) and not _may_be_numeric_secret(pos[0].value):
            out.add(pos[0].value)
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                and func.attr.value in _LEXICAL_METHODS and not _may_be_numeric_secret(func.value.value):
            out.add(func.value.value)
        if parser and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                and func.attr.value in _SEARCH_METHODS and len(pos) >= 1 \
                and (astutil.literal_str(pos[0]) or ".") not in _TOKEN_SEPARATORS:
            out.add(func.value.value)  # `token.find("=")` in a parser: a term of an expression
        if not pos or not isinstance(pos[0], cst.Name):
            continue
        if ctx.qualify(func) in ("os.getenv", "os.environ.get") or isinstance(func, cst.Attribute) and (
                _LOOKUP_METHOD.match(func.attr.value)
                or (func.attr.value in _STORE_METHODS and _STORE_NAME.search(astutil.name_of(func.value) or ""))):
            out.add(pos[0].value)
    return out


_PARSER_VERBS = frozenset({"parse", "lex", "tokenize", "scan"})
_SEARCH_METHODS = frozenset({"find", "rfind", "index", "rindex", "partition", "rpartition"})
# What a credential is split on (a JWT's dots, a scheme's space, Basic's colon): searching a token
# for one of these says nothing against it.
_TOKEN_SEPARATORS = frozenset({".", " ", ":", "", "$", "_", "-"})


_ONE_TIME_WORDS = frozenset({"otp", "totp", "hotp", "mfa", "2fa", "pin", "sms", "verification", "verify", "code"})


def _may_be_numeric_secret(name: str) -> bool:
    """A password, a PIN or a one-time code may well be all digits (`int(passcode)`,
    `otp_token.isdigit()`): parsing it as a number says nothing against it."""
    return secret_name_kind(name) == "password" or bool(set(split_words(name)) & _ONE_TIME_WORDS)


# -- what a branch or a statement shows --------------------------------------------------------------

def falsy_names(test: cst.BaseExpression):
    """(names empty where `test` holds, names empty where it does not): `not token`,
    `token is None`, `token == ""` and `len(token) == 0` make `token` empty in the branch; a bare
    `token` makes it empty in the `else`. Only conditions that hold together (`and`)."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        left, right = falsy_names(test.left), falsy_names(test.right)
        return left[0] + right[0], []
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression
        if isinstance(inner, cst.Name):
            return [inner.value], []
        return [], []
    if isinstance(test, cst.Name):
        return [], [test.value]
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        op, right = test.comparisons[0].operator, test.comparisons[0].comparator
        left = test.left
        if isinstance(left, cst.Call) and astutil.name_of(left.func) == "len" and len(left.args) == 1 \
                and astutil.literal_value(right, None) == 0 and isinstance(op, cst.Equal):
            left, right = left.args[0].value, cst.SimpleString('""')
        empty = (isinstance(right, cst.Name) and right.value == "None") or astutil.literal_str(right) == "" \
            or astutil.literal_value(right, 1) in (b"",)
        if isinstance(left, cst.Name) and empty and isinstance(op, (cst.Is, cst.Equal)):
            return [left.value], []
    return [], []


_AUTH_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})


def removed_header(node: cst.CSTNode, state: FunctionState) -> None:
    """`del headers["Authorization"]`, `headers.pop("cookie", None)`: a copy of the request's headers
    without its credentials (when every credential header is taken out, the copy is clean)."""
    name = key = None
    if isinstance(node, cst.Del) and isinstance(node.target, cst.Subscript) \
            and isinstance(node.target.value, cst.Name) and len(node.target.slice) == 1 \
            and isinstance(node.target.slice[0].slice, cst.Index):
        name, key = node.target.value.value, astutil.literal_str(node.target.slice[0].slice.value)
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "pop" \
            and isinstance(node.func.value, cst.Name) and node.args:
        name, key = node.func.value.value, astutil.literal_str(node.args[0].value)
    if name is None or key is None or key.lower() not in _AUTH_HEADERS or name not in state.env:
        return
    removed = state.removed_headers.setdefault(name, set())
    removed.add(key.lower())
    if {"authorization", "cookie"} <= removed:
        state.env[name] = frozenset(lab for lab in state.env[name] if lab[0] != "src" or lab[2] != HEADERS_DESC)


_ACCOUNT_WORDS = frozenset({"user", "users", "account", "member", "customer", "owner", "email", "username",
                            "subject", "sub", "login", "principal", "tenant_user"})
_CALLER_WORDS = frozenset({"current", "me", "caller", "principal", "admin", "user", "auth", "authenticated",
                           "requester", "actor", "session"})
# A dependency that hands the route a component, not the caller (`auth_service: AuthService`,
# `session_repo`): a login route built on an `auth_service` has no authenticated caller.
_COMPONENT_WORDS = frozenset({"service", "services", "svc", "repo", "repository", "manager", "client", "handler",
                              "provider", "factory", "store", "dao", "facade", "usecase", "controller", "gateway",
                              "adapter", "helper", "backend", "engine", "db", "database", "maker"})


def other_accounts(params: List[cst.Param], comparisons: List[cst.Comparison]) -> Set[str]:
    """A route's parameters that name an account (`user_id`, `email` from the path, query or body),
    when the route also has an authenticated caller (a `Depends()` parameter named like a user) and
    does not compare them with it: a token minted for one of them is handed to someone else."""
    callers = set()
    accounts = set()
    for p in params:
        words = set(split_words(p.name.value))
        fed = isinstance(p.default, cst.Call) and astutil.name_of(p.default.func) in ("Depends", "Security") \
            or (p.annotation is not None and annotated_dependency(p.annotation.annotation) is not None)
        ann = p.annotation.annotation if p.annotation is not None else None
        if fed and (words | set(split_words(astutil.name_of(ann) or "" if ann is not None else ""))) & _COMPONENT_WORDS:
            continue
        if fed and words & _CALLER_WORDS:
            callers.add(p.name.value)
        elif not fed and words & _ACCOUNT_WORDS and stringish_or_id(p):
            accounts.add(p.name.value)
    if not callers:
        return set()
    for c in comparisons:  # `if user_id != current_user.id: raise`: the caller's own account
        names = {n.value for n in astutil.walk(c) if isinstance(n, cst.Name)}
        if names & callers:
            accounts -= names
    return accounts


def stringish_or_id(p: cst.Param) -> bool:
    """A scalar parameter (an id, an e-mail), not a body model."""
    return all(t in _STRINGISH or t in ("int", "UUID", "EmailStr") for t in annotation_types(
        p.annotation.annotation if p.annotation is not None else None))


REQUEST_TYPES = frozenset({"Request", "WebSocket", "HTTPConnection"})


def annotated_inner(ann: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """`Annotated[Settings, Depends(get_settings)]` -> `Settings`."""
    if isinstance(ann, cst.Subscript) and astutil.name_of(ann.value) == "Annotated" and ann.slice \
            and isinstance(ann.slice[0].slice, cst.Index):
        return ann.slice[0].slice.value
    return ann


def secret_field_of(cls: cst.ClassDef) -> Optional[str]:
    """The first field a class declares under a secret's name and not masked (`SECRET_KEY: str`,
    `api_key = os.getenv("API_KEY")`; not `SECRET_KEY: SecretStr`, not `token_type: str`)."""
    for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            target, ann = None, None
            if isinstance(small, cst.AnnAssign):
                target, ann = small.target, small.annotation.annotation
            elif isinstance(small, cst.Assign) and len(small.targets) == 1:
                target = small.targets[0].target
            if isinstance(target, cst.Name) and secret_name_kind(target.value) and not names_a_name(target.value) \
                    and not set(annotation_types(ann)) & MASKING_TYPES and (ann is None or stringish(ann)):
                return target.value
    return None


# -- what one file says ---------------------------------------------------------------------------

class Credentials:
    """What one file says about credentials before any function is read: its security schemes
    (top-level names bound to FastAPI security objects, and classes deriving from them), its
    `Annotated[..., Depends(scheme)]` aliases, and its SecretStr fields (whose values print
    masked); also, while the traversal is inside a class, the attributes that hold a SecretStr."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.schemes: Dict[str, str] = {}  # top-level name -> security class
        self.local_security: Set[str] = set()  # classes of this file deriving from a security class
        self.aliases: Dict[str, str] = {}
        # Classes of this file with fields annotated SecretStr, and module constants made of them
        # (`settings = Settings()`): `settings.jwt_secret` prints masked.
        self.masked_fields: Dict[str, Set[str]] = {}
        self.typed_globals: Dict[str, str] = {}
        # Module-level objects (`invites = Invites()` -> qualified class) and the top-level names
        # holding secrets in plain fields (-> one of those fields): see TokenFacts.
        self.instances: Dict[str, str] = {}
        self.holders: Dict[str, str] = {}
        # Per class being traversed: attributes holding a SecretStr (`x: SecretStr`, `self.x = x`
        # from a parameter annotated SecretStr).
        self.class_masked: List[Set[str]] = []

    def read_module(self, node: cst.Module, constants: Dict[str, cst.BaseExpression]) -> None:
        for stmt in node.body:  # `class HTTPBearer403(HTTPBearer)`: a security class too
            if isinstance(stmt, cst.ClassDef) and any(self.security_class(b.value) for b in stmt.bases):
                self.local_security.add(stmt.name.value)
            if isinstance(stmt, cst.ClassDef) and masked_fields_of(stmt):
                self.masked_fields[stmt.name.value] = masked_fields_of(stmt)
            if isinstance(stmt, cst.ClassDef):
                field = secret_field_of(stmt)
                if field:
                    self.holders[stmt.name.value] = field
        for name, value in constants.items():  # `settings = Settings()`
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) \
                    and value.func.value in self.masked_fields:
                self.typed_globals[name] = value.func.value
            if isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute)):
                cls = astutil.name_of(value.func) or ""
                q = self.ctx.qualify(value.func)
                if cls[:1].isupper() and q is not None and q.split(".")[0] not in FOREIGN_ROOTS:
                    self.instances[name] = q
                if isinstance(value.func, cst.Name) and cls in self.holders:
                    self.holders[name] = self.holders[cls]
        for name, value in constants.items():
            if isinstance(value, cst.Call) and self.security_class(value.func):
                self.schemes[name] = astutil.name_of(value.func) or ""
            target = self.alias_target(value)
            if target is None and isinstance(value, (cst.Name, cst.Attribute)):
                # `AuthToken = TokenDep`: an alias of an alias (perhaps imported).
                q = self.ctx.qualify(value)
                if q is not None and q.split(".")[0] not in FOREIGN_ROOTS and may_be_credential(q):
                    target = q
            if target is not None:
                self.aliases[name] = target

    def security_class(self, func: cst.BaseExpression) -> bool:
        if isinstance(func, cst.Name) and func.value in self.local_security:
            return True
        q = self.ctx.qualify(func)
        return q is not None and q.split(".")[-1] in SECURITY_CLASSES and q.startswith(SECURITY_MODULES)

    def alias_target(self, value: cst.BaseExpression) -> Optional[str]:
        """`Annotated[str, Depends(oauth2_scheme)]` -> "scheme:<name>" for a scheme defined here,
        else the qualified name of what Depends() is given."""
        dep = annotated_dependency(value)
        if dep is None:
            return None
        return self.dependency_ref(dep)

    def dependency_ref(self, dep: cst.BaseExpression) -> Optional[str]:
        if isinstance(dep, cst.Name) and dep.value in self.schemes:
            return f"scheme:{dep.value}"
        if isinstance(dep, cst.Call) and self.security_class(dep.func):  # Depends(HTTPBearer())
            return "scheme:"
        if isinstance(dep, (cst.Name, cst.Attribute)):
            return self.ctx.qualify(dep)
        return None

    def enter_class(self, node: cst.ClassDef) -> None:
        self.class_masked.append(masked_fields_of(node))

    def leave_class(self) -> None:
        self.class_masked.pop()

    def masks(self, state: FunctionState, params: List[cst.Param], calls: List[cst.Call]) -> None:
        """What the function shows is masked: names it calls `.get_secret_value()` on, its class's
        SecretStr attributes, parameters annotated SecretStr or with a class that has such fields."""
        state.masked = {d for d in (dotted(c.func.value) for c in calls if isinstance(c.func, cst.Attribute)
                                    and c.func.attr.value == "get_secret_value") if d}
        if self.class_masked:
            state.masked_attrs = self.class_masked[-1]
        state.masking_params = {p.name.value for p in params if p.annotation is not None
                                and set(annotation_types(p.annotation.annotation)) & MASKING_TYPES}
        state.typed = {p.name.value: t for p in params if p.annotation is not None
                       for t in annotation_types(p.annotation.annotation) if t in self.masked_fields}

    def services(self, params: List[cst.Param]) -> Dict[str, str]:
        """Parameters annotated with a project class (`svc: InviteService = Depends(...)`,
        `Annotated[InviteService, Depends()]`) -> the class's qualified name."""
        out: Dict[str, str] = {}
        for p in params:
            inner = annotated_inner(p.annotation.annotation) if p.annotation is not None else None
            if not isinstance(inner, (cst.Name, cst.Attribute)):
                continue
            q = self.ctx.qualify(inner)
            if q and q.split(".")[0] not in FOREIGN_ROOTS and q.split(".")[-1][:1].isupper():
                out[p.name.value] = q
        return out

    def param_taint(self, i: int, p: cst.Param, state: FunctionState) -> Taint:
        name = p.name.value
        ann = p.annotation.annotation if p.annotation is not None else None
        # Security-scheme-fed: Depends(scheme) / Security(scheme), in the default or Annotated[].
        dep = None
        if isinstance(p.default, cst.Call) and astutil.name_of(p.default.func) in ("Depends", "Security"):
            dep = astutil.argument(p.default, "dependency", 0)
        elif ann is not None:
            dep = annotated_dependency(ann)
        ref = self.dependency_ref(dep) if dep is not None else None
        if ref is None and isinstance(ann, (cst.Name, cst.Attribute)):
            key = ann.value if isinstance(ann, cst.Name) else None
            if key is not None and key in self.aliases:
                ref = self.aliases[key]
            elif dep is None:
                q = self.ctx.qualify(ann)
                if q is not None and not q.split(".")[0] in FOREIGN_ROOTS:
                    ref = q  # perhaps an alias defined in another project file
        if ref is not None and ref.startswith("scheme:"):
            scheme = ref[len("scheme:"):] or "a security scheme"
            return src("credential", f"the credential `{name}` (from `{scheme}`)")
        for t in annotation_types(ann):
            if t in CREDENTIAL_TYPES:
                kind = "credential" if t == "HTTPAuthorizationCredentials" else "password"
                return src(kind, f"the credentials `{name}` (`{t}`)")
        if name in state.not_secret:
            # `def array_index(token): if token == "-": ... int(token)`: neither a credential nor
            # a way for its callers' credentials to reach a sink.
            return EMPTY
        sent = from_request(p)
        own = name_source(name, name, incoming=state.is_route or sent) \
            if stringish(ann) and not (state.device_tokens and name in ("token", "tokens")) else EMPTY
        if own and sent and secret_name_kind(name) == "secret":
            own = src("credential", f"the key `{name}` sent by the client")  # `x_api_key: str = Header(...)`
        if own:
            # Also the parameter: an exception its callers catch may carry it to their logs.
            return own | frozenset({("param", i, name)}) if state.facts is not None else own
        holder = self._settings_param(name, ann)
        if holder:
            return holder
        if state.facts is not None:
            if ref is not None:
                state.facts.deps[str(i)] = ref
            return frozenset({("param", i, name)})
        return EMPTY

    def _settings_param(self, name: str, ann: Optional[cst.BaseExpression]) -> Taint:
        """`settings: Settings = Depends(get_settings)`: the configuration object, whose class may
        declare secrets in plain fields (here, or in another file: the linking step's "obj")."""
        ann = annotated_inner(ann)
        if not isinstance(ann, (cst.Name, cst.Attribute)) or not is_config_base(cst.Name(name)):
            return EMPTY
        cls = astutil.name_of(ann) or ""
        if isinstance(ann, cst.Name) and cls in self.holders:
            return src("config", f"`{name}` (its `{self.holders[cls]}` among its fields)")
        q = self.ctx.qualify(ann)
        if q is not None and q.split(".")[0] not in FOREIGN_ROOTS:
            return frozenset({("obj", q, "")})
        return EMPTY

    def masked_field(self, node: cst.Attribute, state: FunctionState) -> bool:
        """`self.api_key` of a class declaring `api_key: SecretStr`, `creds.token` of a parameter
        `creds: Credentials`, `settings.jwt_secret` of `settings = Settings()`."""
        if not isinstance(node.value, cst.Name):
            return False
        base, attr = node.value.value, node.attr.value
        if base in ("self", "cls"):
            return attr in state.masked_attrs
        cls = state.typed.get(base) or (self.typed_globals.get(base) if base not in state.env else None)
        return cls is not None and attr in self.masked_fields[cls]

    def note_masked_attr(self, small: cst.Assign, state: FunctionState) -> None:
        """`self.token = token` (a parameter annotated SecretStr), `self.key = SecretStr(...)`."""
        if not self.class_masked:
            return
        v = small.value
        masking = (isinstance(v, cst.Name) and v.value in state.masking_params) or (
            isinstance(v, cst.Call) and astutil.name_of(v.func) in MASKING_TYPES)
        if not masking:
            return
        for t in small.targets:
            if isinstance(t.target, cst.Attribute) and isinstance(t.target.value, cst.Name) \
                    and t.target.value.value in ("self", "cls"):
                self.class_masked[-1].add(t.target.attr.value)


# Picks from an alphabet that make a one-time code or a key (`"".join(secrets.choice(ALPHABET) for _
# in range(6))`); `random`'s picks name a secret only where it is stored under a secret's name.
_SECURE_PICKS = frozenset({"secrets.choice", "secrets.SystemRandom.choice", "secrets.SystemRandom.choices"})
_ANY_PICKS = _SECURE_PICKS | {"random.choice", "random.choices", "random.sample", "random.SystemRandom.choice"}


def random_code(node: cst.Call, ctx, secure_only: bool = True) -> Optional[str]:
    """The picking function when `node` joins random picks into a string (`"".join(secrets.choice(
    digits) for _ in range(6))`, `"".join(random.choices(alphabet, k=8))`), else None."""
    func = node.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "join" and len(node.args) == 1):
        return None
    arg = node.args[0].value
    pick = arg.elt if isinstance(arg, (cst.GeneratorExp, cst.ListComp)) else arg
    if not isinstance(pick, cst.Call):
        return None
    q = ctx.qualify(pick.func) or ""
    if isinstance(pick.func, cst.Attribute) and isinstance(pick.func.value, cst.Call):
        q = f"{ctx.qualify(pick.func.value.func) or ''}.{pick.func.attr.value}"  # `secrets.SystemRandom().choice`
    return q if q in (_SECURE_PICKS if secure_only else _ANY_PICKS) else None


# Classes that are namespaces of labels (an enum of permissions, error codes, audit events): their
# members name a right or a condition (`Permission.RESET_ANY_PASSWORD = "password.reset_any"`,
# `ErrorCode.UNAUTHORIZED_API_KEY`), never hold a credential.
_LABEL_NAMESPACES = frozenset({
    "permission", "permissions", "perm", "perms", "scope", "scopes", "role", "roles", "right", "rights", "privilege",
    "privileges", "capability", "capabilities", "action", "actions", "operation", "operations", "code", "codes",
    "error", "errors", "event", "events", "type", "types", "kind", "kinds", "status", "reason", "reasons", "message",
    "messages", "msg", "msgs", "field", "fields", "column", "columns", "label", "labels", "feature", "features",
    "flag", "flags", "topic", "topics", "channel", "channels", "claim", "claims", "audit",
})


def label_member(node: cst.Attribute) -> bool:
    """`Permission.RESET_ANY_PASSWORD`, `ErrorCode.UNAUTHORIZED_API_KEY`: an upper-case member of a
    class named as a namespace of labels."""
    owner = node.value.attr.value if isinstance(node.value, cst.Attribute) else (
        node.value.value if isinstance(node.value, cst.Name) else "")
    if not owner[:1].isupper() or owner.isupper() or not node.attr.value.isupper():
        return False
    words = split_words(owner)
    return bool(words) and words[-1] in _LABEL_NAMESPACES


def browser_secret(node: cst.Attribute) -> bool:
    """`payment_intent.client_secret`: what a payment provider issues for the paying browser to
    confirm with (Stripe.js needs it), not a secret of the server."""
    return node.attr.value == "client_secret" and "intent" in split_words(shown_name(node.value))
