"""FAL401 token-logged and FAL402 token-in-error-or-response: where raw credentials go.

A small taint analysis per function (statements in order; no CST kept after the file):

Sources
    parameters fed by a security scheme (`Depends(oauth2_scheme)`, `Security(...)`, an
    `Annotated[str, Depends(...)]` alias) when the scheme is an instance of a FastAPI security class,
    here or in another project file; parameters typed `HTTPAuthorizationCredentials`,
    `HTTPBasicCredentials`, `OAuth2PasswordRequestForm`; the `Authorization` (or API key) header and
    auth cookies read from the request; tokens returned by `jwt.encode`, by `secrets.token_*` and by
    token-issuing functions (`create_access_token`, or any project function found to return one);
    and names whose head noun is a secret (`token`, `access_token`, `settings.SECRET_KEY`,
    `form_data.password`), not `token_type`, `user_id` or `ACCESS_TOKEN_EXPIRE_MINUTES`.
Propagation
    assignment, attribute and item access (except claims and labels: `.sub`, `["token_type"]`,
    `.scheme`), f-strings, `%`, `.format`, `+`, `str()`, string methods (`.split`, `.replace`…),
    containers. Not through `len()`, hashing, comparisons, short slices (`token[:6]`) or functions
    named like masks (`mask_token`), nor through unknown calls (`jwt.decode(token)` gives claims).
Sinks
    FAL401: stdlib logging (module functions and logger objects, whatever their name, `extra=`),
    structlog/loguru keyword arguments, `print`, `sys.stdout/stderr.write`, `warnings.warn`,
    `pprint`, `click.echo`, `rich.print`.
    FAL402: `HTTPException(detail=..., headers=...)`, the message of a raised exception, response
    classes' content and headers, `response.headers[...] = ...`, and what a route returns, except a
    newly issued token in the response that issues it (`{"access_token": token, "token_type":
    "bearer"}` is the point of a login route).

Across functions and files (facts + link): a helper whose parameter reaches a sink (summaries are
propagated through helpers calling helpers), a parameter fed by a security scheme defined or
aliased in another file, and a value returned by a project function that issues tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Set, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.sensitive import (
    is_dev_tooling_path,
    is_test_like_path,
    is_test_name,
    names_a_name,
    secret_name_kind,
    split_words,
)
from fastauthlint.checks.base import Check, CheckVisitor
from fastauthlint.findings import TEST_CODE_SEVERITY, Finding, Span
from fastauthlint.project.names import dotted

LOGGED = "FAL401"
ECHOED = "FAL402"

SECURITY_CLASSES = frozenset({
    "OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "OAuth2", "OpenIdConnect", "HTTPBearer",
    "HTTPBasic", "HTTPDigest", "HTTPBase", "APIKeyHeader", "APIKeyQuery", "APIKeyCookie",
})
SECURITY_MODULES = ("fastapi.security", "fastapi.openapi", "starlette")
CREDENTIAL_TYPES = frozenset({"HTTPAuthorizationCredentials", "HTTPBasicCredentials", "OAuth2PasswordRequestForm",
                              "OAuth2PasswordRequestFormStrict"})
JWT_ENCODERS = frozenset({"jwt.encode", "jwt.api_jwt.encode", "jwt.api_jws.encode", "jose.jwt.encode",
                          "jose.jws.sign", "authlib.jose.jwt.encode", "jwt.PyJWT.encode"})
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log",
                         "msg", "trace", "success"})
LOGGER_FACTORIES = frozenset({"logging.getLogger", "logging.LoggerAdapter", "structlog.get_logger",
                              "structlog.getLogger", "structlog.stdlib.get_logger", "structlog.wrap_logger",
                              "loguru.logger.bind", "logging.root"})
LOGGER_OBJECTS = frozenset({"logging", "loguru.logger", "logging.root", "structlog"})
_LOGGER_NAME = re.compile(r"^_*(log|logger|logr|\w+_logger|\w+_log|audit_log|\w+logger)$", re.I)
# (`click.echo`/`typer.echo` are a command-line tool's interface, not its logs: a CLI that shows
# the operator a generated password is doing its job.)
PRINT_SINKS = frozenset({"sys.stdout.write", "sys.stderr.write", "sys.stdout.writelines", "sys.stderr.writelines",
                         "pprint.pprint", "pprint.pp", "warnings.warn", "sys.__stdout__.write", "sys.__stderr__.write"})
_CONSOLE_SINKS = frozenset({"`print`", "`sys.stdout.write`", "`sys.stdout.writelines`", "`pprint.pprint`",
                            "`pprint.pp`"})
NOT_LOGGED_KWARGS = frozenset({"exc_info", "stack_info", "stacklevel", "level", "file", "flush", "sep", "end",
                               "category", "err", "nl", "color", "fg", "bg"})
HTTP_EXCEPTIONS = frozenset({"fastapi.HTTPException", "fastapi.exceptions.HTTPException",
                             "starlette.exceptions.HTTPException", "fastapi.WebSocketException",
                             "starlette.exceptions.WebSocketException", "fastapi.exceptions.WebSocketException"})
RESPONSE_MODULES = ("fastapi.responses.", "starlette.responses.", "fastapi.Response")
ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "options", "head", "api_route", "route",
                           "websocket", "trace"})
# Attribute and key names that never carry the credential itself, even of a tainted object.
SAFE_NAMES = frozenset({
    "sub", "id", "user_id", "uid", "email", "username", "user_name", "login", "name", "scheme", "type",
    "token_type", "exp", "iat", "nbf", "iss", "aud", "jti", "scope", "scopes", "expires_in", "expires_at",
    "expires", "expiry", "role", "roles", "status", "kid", "alg", "typ", "is_active", "is_superuser",
    "grant_type", "client_id", "full_name", "permissions", "groups", "tenant_id", "org_id", "owner_id",
    "status_code", "detail", "message", "created_at", "updated_at", "lifetime", "token_version",
})
# Methods through which a string stays the same secret (`auth.split(" ")[1]`, `token.strip()`).
TRANSFORMS = frozenset({
    "strip", "lstrip", "rstrip", "split", "rsplit", "partition", "rpartition", "replace", "removeprefix",
    "removesuffix", "lower", "upper", "encode", "decode", "format", "format_map", "join", "title", "casefold",
    "splitlines", "ljust", "rjust", "zfill", "center", "expandtabs", "swapcase", "translate", "get", "pop",
    "copy", "items", "values", "model_dump", "dict", "json", "model_dump_json", "get_secret_value",
    "as_string", "hex", "to_string", "tostring",
})
PROPAGATING_CALLS = frozenset({"str", "repr", "format", "bytes", "bytearray", "dict", "list", "tuple", "set",
                               "sorted", "reversed", "ascii", "vars", "json.dumps", "base64.b64encode",
                               "base64.urlsafe_b64encode", "base64.b64decode", "base64.urlsafe_b64decode",
                               "urllib.parse.quote", "urllib.parse.quote_plus", "urllib.parse.urlencode",
                               "pprint.pformat", "textwrap.shorten", "typing.cast", "orjson.dumps",
                               "jsonable_encoder", "fastapi.encoders.jsonable_encoder", "str.join"})
SANITIZER_RX = re.compile(r"(^|_)(mask|masked|redact|redacted|obfuscate|truncate|censor|anonymi[sz]e|hash|hashed|"
                          r"digest|fingerprint|sha\d*|md5|blake2[bs]?|hmac|len|count|preview|hint|last4|"
                          r"scrub|sanitize|sanitized|hide|hidden)(_|$)", re.I)
ISSUE_VERBS = frozenset({"create", "generate", "issue", "make", "mint", "encode", "sign", "new", "build",
                         "refresh", "rotate", "gen", "grant", "regenerate", "renew", "reissue", "recreate"})
OBTAIN_VERBS = frozenset({"get", "fetch", "obtain", "request", "read", "load", "authorize", "exchange",
                          "extract", "parse", "retrieve", "acquire"})
_LOOKUP_WORDS = frozenset({"by", "with", "of", "in", "on", "is", "has"})
# Modules whose functions are never project functions: no summaries to look up.
_FOREIGN_ROOTS = frozenset({
    "os", "sys", "re", "json", "logging", "typing", "datetime", "time", "uuid", "hashlib", "hmac", "base64",
    "secrets", "fastapi", "starlette", "pydantic", "pydantic_settings", "sqlalchemy", "sqlmodel", "jwt", "jose",
    "passlib", "bcrypt", "httpx", "requests", "aiohttp", "structlog", "loguru", "warnings", "asyncio",
    "collections", "functools", "itertools", "pathlib", "urllib", "math", "random", "copy", "contextlib",
    "dataclasses", "enum", "abc", "inspect", "traceback", "pytest", "unittest", "redis", "boto3", "authlib",
    "itsdangerous", "click", "typer", "rich", "pprint", "textwrap", "email", "smtplib", "celery", "jinja2",
    "builtins", "io", "subprocess", "shutil", "tempfile", "string", "operator", "decimal", "sentry_sdk",
})
# A project function that returns tokens has one of these words in its name.
_ISSUER_WORDS = frozenset({"token", "tokens", "jwt", "secret", "key", "password", "credential", "credentials",
                           "auth", "authenticate", "login", "signin", "sign", "session", "bearer", "access",
                           "refresh", "issue", "mint", "encode", "cookie", "api", "apikey", "otp", "magic",
                           "link", "reset", "verify", "verification", "invite", "invitation", "pat"})
KNOWN_MODULE_NAMES = frozenset({"jwt", "jose.jwt", "authlib.jose.jwt", "secrets", "jose", "authlib.jose"})

# -- labels ------------------------------------------------------------------------------------
# ("src", kind, description): a secret of `kind` (credential: an incoming token; password; secret:
#   configuration secrets; token: a token of unknown origin; issued: a token minted here).
# ("param", index, name): the value of a parameter (for helper summaries).
# ("ret", qualname, ""): the result of a call to a project function (is it a token issuer?).
Label = Tuple[str, object, str]
Taint = FrozenSet[Label]
EMPTY: Taint = frozenset()

RESPONSE_KINDS = frozenset({"credential", "password", "secret", "config"})  # never echoed in a response
ISSUING_RESPONSE_KINDS = frozenset({"password", "config"})  # not even beside a newly issued token


def _src(kind: str, desc: str) -> Taint:
    return frozenset({("src", kind, desc)})


def _sources(t: Taint) -> List[Label]:
    return sorted((lab for lab in t if lab[0] == "src"), key=lambda lab: (_KIND_ORDER.get(lab[1], 9), lab[2]))


_KIND_ORDER = {"credential": 0, "password": 1, "config": 2, "secret": 3, "issued": 4, "token": 5}
_KIND_WORD = {"password": "password", "secret": "secret", "token": "token"}


def _name_source(name: str, shown: str, incoming: bool = False, config: bool = False) -> Taint:
    """A value known by its name. `config`: a configuration value (`settings.SECRET_KEY`, a module
    constant `JWT_SECRET`), which no response may carry, not even the one issuing a token."""
    kind = secret_name_kind(name)
    if kind is None:
        return EMPTY
    if kind == "token":
        return _src("credential" if incoming else ("config" if config else "token"), f"the token `{shown}`")
    if kind == "secret" and config:
        return _src("config", f"the secret `{shown}`")
    return _src(kind, f"the {kind} `{shown}`")


_CONFIG_OBJECT = re.compile(r"(^|_)(settings|config|conf|cfg|env|environ|secrets|vault|options|app_config)$", re.I)


def _is_config_base(node: cst.BaseExpression) -> bool:
    """`settings`, `app.config`, `get_settings()`: where configuration secrets are read from."""
    if isinstance(node, cst.Call):
        node = node.func
    name = astutil.name_of(node)
    return bool(name and _CONFIG_OBJECT.search(name))


def _of_kind(own: Taint, base: Taint) -> Taint:
    """A part of a tainted object named like a secret (`credentials.credentials`,
    `tok.get("secret")` of a token just issued): named by the part, of the object's kind, unless
    the part says more (`credentials.password`)."""
    base_srcs = _sources(base)
    if not base_srcs:
        return own
    own_src = _sources(own)[0]
    kind = "password" if own_src[1] == "password" else base_srcs[0][1]
    word = {"issued": "token", "config": "secret"}.get(kind, kind)
    shown = own_src[2].split("`", 1)[1] if "`" in own_src[2] else ""
    return _src(kind, f"the {word} `{shown}" if shown else own_src[2])


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


def _shown(node: cst.CSTNode) -> str:
    text = dotted(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    if text is None and isinstance(node, cst.Subscript) and len(node.slice) == 1 \
            and isinstance(node.slice[0].slice, cst.Index):
        key = astutil.literal_str(node.slice[0].slice.value)
        base = dotted(node.value) if isinstance(node.value, (cst.Name, cst.Attribute)) else "…"
        if key is not None and len(key) <= 40:
            text = f'{base}["{key}"]'
    return text or "…"


# -- facts ---------------------------------------------------------------------------------------

@dataclass
class Flow:
    """A parameter or a project call's result reaching a sink in this function."""

    label: str  # "param" or "ret"
    ref: str  # the parameter's index, or the callee's qualified name
    rule: str
    sink: str  # how the sink is shown (`logger.info`)
    # Where the sink is, when a finding may be reported there (a parameter fed by a dependency
    # defined elsewhere, a call's result); None for a plain parameter, which only summarises the
    # function for its callers (positions cost a second parse: computed only when needed).
    span: Optional[Tuple[int, int, int, int]]
    response: bool  # a response sink (an issued token is fine there)
    test: bool  # reported with the lower severity (test code, a development script's console output)


@dataclass
class CallFlow:
    """A call to a project function passing a tainted value (`desc`) or a parameter (`param`)."""

    callee: str
    arg: str  # position ("0") or keyword name
    span: Optional[Tuple[int, int, int, int]]  # where a tainted value is passed (None for a parameter)
    desc: str = ""  # the local source, when tainted here
    param: int = -1  # the caller's parameter index, when it passes one of its parameters
    test: bool = False


@dataclass
class FunctionFacts:
    name: str
    params: List[str]
    deps: Dict[str, str] = field(default_factory=dict)  # param index -> qualname of a Depends()/alias
    flows: List[Flow] = field(default_factory=list)
    calls: List[CallFlow] = field(default_factory=list)
    returns: List[str] = field(default_factory=list)  # kinds of secrets it returns
    returns_calls: List[str] = field(default_factory=list)  # project calls whose results it returns
    returns_params: List[int] = field(default_factory=list)


@dataclass
class TokenFacts:
    schemes: List[str] = field(default_factory=list)  # top-level names bound to security scheme objects
    aliases: Dict[str, str] = field(default_factory=dict)  # `TokenDep = Annotated[..., Depends(x)]` -> x
    functions: List[FunctionFacts] = field(default_factory=list)


def _span(s: Span) -> Tuple[int, int, int, int]:
    return (s.line, s.column, s.end_line, s.end_column)


# -- the per-file analysis -------------------------------------------------------------------------

class _Scope:
    """The taint state of one function while its statements are read in order."""

    def __init__(self, func: Optional[cst.FunctionDef], is_route: bool, facts: Optional[FunctionFacts]):
        self.func = func
        self.is_route = is_route
        self.facts = facts
        self.env: Dict[str, Taint] = {}
        self.params: Set[str] = set()  # a route's parameters hold what the client sent
        self.fresh: Set[str] = set()  # names bound to objects created here (`Webhook()`, `repo.create(...)`)
        # In push-notification code a bare `token` is a device's address, not a credential.
        self.device_tokens = func is not None and bool(set(split_words(func.name.value)) & _PUSH_WORDS)
        self.reported: Set[Tuple[int, str]] = set()
        # Names the function itself shows are not credentials, whatever they are called: a
        # lexer's token (`token == "-"`, `int(token)`), the name a secret is looked up under
        # (`vault.get_secret(totp_secret_key)`).
        self.not_secret: Set[str] = set()
        # Names and attributes holding a masking wrapper (`x.get_secret_value()` is called: `x`
        # is a SecretStr, whose str() is "**********").
        self.masked: Set[str] = set()
        self.masked_attrs: Set[str] = set()  # `self.<attr>` holding a SecretStr in this class
        self.masking_params: Set[str] = set()  # parameters annotated SecretStr
        self.typed: Dict[str, str] = {}  # parameters annotated with a class of `masked_fields`


class TokensVisitor(CheckVisitor):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.constants: Dict[str, cst.BaseExpression] = {}
        self.schemes: Dict[str, str] = {}  # top-level name -> security class
        self.local_security: Set[str] = set()  # classes of this file deriving from a security class
        self.aliases: Dict[str, str] = {}
        self.loggers: Set[str] = set()  # names (and `self.x` attributes) bound to loggers
        self.function_facts: List[FunctionFacts] = []
        self.depth = 0  # function nesting
        self.class_depth = 0
        # Calls collected during the traversal, by the statement (or compound statement's
        # header) that holds them: walking a libcst subtree's `children` costs more than the
        # traversal itself.
        self.owners: List[cst.CSTNode] = []
        self.calls_by_owner: Dict[int, List[cst.Call]] = {}
        self.lambdas = 0
        self.test_scopes = 0  # inside `class TestX` / `def test_x` / `class FakeX` outside tests/
        # Per function being traversed: its calls and comparisons (what it shows about its names).
        self.func_calls: List[List[cst.Call]] = []
        self.func_comparisons: List[List[cst.Comparison]] = []
        # Per class being traversed: attributes holding a SecretStr (`x: SecretStr`, `self.x = x`
        # from a parameter annotated SecretStr).
        self.class_masked: List[Set[str]] = []
        self._unmasking = 0  # inside `x.get_secret_value()`: the wrapped value
        # Classes of this file with fields annotated SecretStr, and module constants made of them
        # (`settings = Settings()`): `settings.jwt_secret` prints masked.
        self.masked_fields: Dict[str, Set[str]] = {}
        self.typed_globals: Dict[str, str] = {}

    # -- file-level knowledge ---------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self.constants = astutil.module_constants(node)
        for stmt in node.body:  # `class HTTPBearer403(HTTPBearer)`: a security class too
            if isinstance(stmt, cst.ClassDef) and any(self._security_class(b.value) for b in stmt.bases):
                self.local_security.add(stmt.name.value)
            if isinstance(stmt, cst.ClassDef) and _masked_fields(stmt):
                self.masked_fields[stmt.name.value] = _masked_fields(stmt)
        for name, value in self.constants.items():  # `settings = Settings()`
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) \
                    and value.func.value in self.masked_fields:
                self.typed_globals[name] = value.func.value
        for name, value in self.constants.items():
            if isinstance(value, cst.Call):
                if self._security_class(value.func):
                    self.schemes[name] = astutil.name_of(value.func) or ""
                if self._is_logger_expr(value):
                    self.loggers.add(name)
            target = self._alias_target(value)
            if target is None and isinstance(value, (cst.Name, cst.Attribute)):
                # `AuthToken = TokenDep`: an alias of an alias (perhaps imported).
                q = self.ctx.qualify(value)
                if q is not None and q.split(".")[0] not in _FOREIGN_ROOTS and _may_be_credential(q):
                    target = q
            if target is not None:
                self.aliases[name] = target

    def _security_class(self, func: cst.BaseExpression) -> bool:
        if isinstance(func, cst.Name) and func.value in self.local_security:
            return True
        q = self.ctx.qualify(func)
        return q is not None and q.split(".")[-1] in SECURITY_CLASSES and q.startswith(SECURITY_MODULES)

    def _is_logger_expr(self, value: cst.BaseExpression) -> bool:
        if isinstance(value, cst.Call):
            q = self.ctx.qualify(value.func)
            if q in LOGGER_FACTORIES or astutil.name_of(value.func) in ("getLogger", "get_logger", "get_task_logger"):
                return True
            if isinstance(value.func, cst.Attribute) and value.func.attr.value in ("bind", "opt", "patch", "new",
                                                                                   "getChild", "new_logger"):
                return self._is_logger(value.func.value)
            return False
        q = self.ctx.qualify(value) if isinstance(value, (cst.Name, cst.Attribute)) else None
        return q in LOGGER_OBJECTS

    def _alias_target(self, value: cst.BaseExpression) -> Optional[str]:
        """`Annotated[str, Depends(oauth2_scheme)]` -> "scheme:<name>" for a scheme defined here,
        else the qualified name of what Depends() is given."""
        dep = _annotated_dependency(value)
        if dep is None:
            return None
        return self._dependency_ref(dep)

    def _dependency_ref(self, dep: cst.BaseExpression) -> Optional[str]:
        if isinstance(dep, cst.Name) and dep.value in self.schemes:
            return f"scheme:{dep.value}"
        if isinstance(dep, cst.Call) and self._security_class(dep.func):  # Depends(HTTPBearer())
            return "scheme:"
        if isinstance(dep, (cst.Name, cst.Attribute)):
            return self.ctx.qualify(dep)
        return None

    def visit_Assign(self, node: cst.Assign) -> None:
        self.owners.append(node)
        # `self.log = logging.getLogger(...)` anywhere: `self.log.info(...)` is a logger call.
        if self._is_logger_expr(node.value):
            for t in node.targets:
                if isinstance(t.target, (cst.Name, cst.Attribute)):
                    self.loggers.add(dotted(t.target) or "")

    # (libcst finds visitor methods by their __name__: no aliases.)
    def visit_Expr(self, node: cst.Expr) -> None:
        self.owners.append(node)

    def leave_Expr(self, original_node: cst.Expr) -> None:
        self.owners.pop()

    def visit_Return(self, node: cst.Return) -> None:
        self.owners.append(node)

    def leave_Return(self, original_node: cst.Return) -> None:
        self.owners.pop()

    def visit_Raise(self, node: cst.Raise) -> None:
        self.owners.append(node)

    def leave_Raise(self, original_node: cst.Raise) -> None:
        self.owners.pop()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.owners.append(node)

    def leave_AugAssign(self, original_node: cst.AugAssign) -> None:
        self.owners.pop()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.owners.append(node)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self.owners.pop()

    def visit_If(self, node: cst.If) -> None:
        self.owners.append(node)

    def leave_If(self, original_node: cst.If) -> None:
        self.owners.pop()

    def visit_For(self, node: cst.For) -> None:
        self.owners.append(node)

    def leave_For(self, original_node: cst.For) -> None:
        self.owners.pop()

    def visit_While(self, node: cst.While) -> None:
        self.owners.append(node)

    def leave_While(self, original_node: cst.While) -> None:
        self.owners.pop()

    def visit_With(self, node: cst.With) -> None:
        self.owners.append(node)

    def leave_With(self, original_node: cst.With) -> None:
        self.owners.pop()

    def visit_Match(self, node: cst.Match) -> None:
        self.owners.append(node)

    def leave_Match(self, original_node: cst.Match) -> None:
        self.owners.pop()


    def leave_Assign(self, original_node: cst.Assign) -> None:
        self.owners.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.lambdas += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.lambdas -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if self.owners and not self.lambdas:
            self.calls_by_owner.setdefault(id(self.owners[-1]), []).append(node)
        if self.func_calls:
            self.func_calls[-1].append(node)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.func_comparisons:
            self.func_comparisons[-1].append(node)

    def _calls(self, owner: cst.CSTNode) -> List[cst.Call]:
        return self.calls_by_owner.get(id(owner), [])

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.class_depth += 1
        self.test_scopes += is_test_name(node.name.value)
        self.class_masked.append(_masked_fields(node))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.class_depth -= 1
        self.test_scopes -= is_test_name(original_node.name.value)
        self.class_masked.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1
        self.test_scopes += is_test_name(node.name.value)
        self.func_calls.append([])
        self.func_comparisons.append([])

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        top = self.depth == 1 and self.class_depth == 0
        self.depth -= 1
        self._analyse_function(original_node, top)
        self.test_scopes -= is_test_name(original_node.name.value)
        calls, comparisons = self.func_calls.pop(), self.func_comparisons.pop()
        if self.func_calls:  # a nested function's calls are its enclosing function's too
            self.func_calls[-1].extend(calls)
            self.func_comparisons[-1].extend(comparisons)

    @property
    def in_test(self) -> bool:
        return self.ctx.is_test or self.test_scopes > 0 or is_test_like_path(self.ctx.rel)

    def leave_Module(self, original_node: cst.Module) -> None:
        # Module-level code; its calls to helpers are kept like a function's.
        scope = _Scope(None, False, FunctionFacts("<module>", []))
        self._block(original_node.body, scope)
        if scope.facts.calls or scope.facts.flows:
            self.function_facts.append(scope.facts)

    def facts(self) -> TokenFacts:
        return TokenFacts(schemes=sorted(self.schemes), aliases=dict(self.aliases), functions=self.function_facts)

    # -- functions ----------------------------------------------------------------------------
    def _is_route(self, func: cst.FunctionDef) -> bool:
        for dec in func.decorators:
            callee, call = astutil.decorator_call(dec)
            if call is not None and isinstance(callee, cst.Attribute) and callee.attr.value in ROUTE_METHODS:
                return True
        return False

    def _analyse_function(self, func: cst.FunctionDef, top: bool) -> None:
        is_route = self._is_route(func)
        params = astutil.parameters(func)
        facts = FunctionFacts(func.name.value, [p.name.value for p in params]) if top else None
        scope = _Scope(func, is_route, facts)
        scope.params = {p.name.value for p in params}
        calls = self.func_calls[-1] if self.func_calls else []
        scope.not_secret = _shown_not_secret(calls, self.func_comparisons[-1] if self.func_comparisons else [],
                                             self.ctx)
        scope.masked = {d for d in (dotted(c.func.value) for c in calls if isinstance(c.func, cst.Attribute)
                                    and c.func.attr.value == "get_secret_value") if d}
        if self.class_masked:
            scope.masked_attrs = self.class_masked[-1]
        scope.masking_params = {p.name.value for p in params if p.annotation is not None
                                and set(_annotation_types(p.annotation.annotation)) & MASKING_TYPES}
        scope.typed = {p.name.value: t for p in params if p.annotation is not None
                       for t in _annotation_types(p.annotation.annotation) if t in self.masked_fields}
        for i, p in enumerate(params):
            scope.env[p.name.value] = self._param_taint(i, p, scope)
        self._block(func.body.body if isinstance(func.body, cst.IndentedBlock) else [func.body], scope)
        if facts is not None and (facts.flows or facts.calls or facts.returns or facts.returns_calls
                                  or facts.deps or facts.returns_params):
            facts.flows.sort(key=lambda f: (f.span or (0, 0, 0, 0), f.label, f.ref))
            self.function_facts.append(facts)

    def _param_taint(self, i: int, p: cst.Param, scope: _Scope) -> Taint:
        name = p.name.value
        ann = p.annotation.annotation if p.annotation is not None else None
        # Security-scheme-fed: Depends(scheme) / Security(scheme), in the default or Annotated[].
        dep = None
        if isinstance(p.default, cst.Call) and astutil.name_of(p.default.func) in ("Depends", "Security"):
            dep = astutil.argument(p.default, "dependency", 0)
        elif ann is not None:
            dep = _annotated_dependency(ann)
        ref = self._dependency_ref(dep) if dep is not None else None
        if ref is None and isinstance(ann, (cst.Name, cst.Attribute)):
            key = ann.value if isinstance(ann, cst.Name) else None
            if key is not None and key in self.aliases:
                ref = self.aliases[key]
            elif dep is None:
                q = self.ctx.qualify(ann)
                if q is not None and not q.split(".")[0] in _FOREIGN_ROOTS:
                    ref = q  # perhaps an alias defined in another project file
        if ref is not None and ref.startswith("scheme:"):
            scheme = ref[len("scheme:"):] or "a security scheme"
            return _src("credential", f"the credential `{name}` (from `{scheme}`)")
        for t in _annotation_types(ann):
            if t in CREDENTIAL_TYPES:
                kind = "credential" if t == "HTTPAuthorizationCredentials" else "password"
                return _src(kind, f"the credentials `{name}` (`{t}`)")
        if name in scope.not_secret:
            # `def array_index(token): if token == "-": ... int(token)`: neither a credential nor
            # a way for its callers' credentials to reach a sink.
            return EMPTY
        own = _name_source(name, name, incoming=scope.is_route) \
            if _stringish(ann) and not (scope.device_tokens and name in ("token", "tokens")) else EMPTY
        if own:
            return own
        if scope.facts is not None:
            if ref is not None:
                scope.facts.deps[str(i)] = ref
            return frozenset({("param", i, name)})
        return EMPTY

    # -- statements, in order -------------------------------------------------------------------
    def _block(self, body, scope: _Scope) -> None:
        for stmt in body:
            self._statement(stmt, scope)

    def _statement(self, stmt: cst.CSTNode, scope: _Scope) -> None:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            return  # analysed on their own
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self._small(small, scope)
            return
        if isinstance(stmt, cst.If):
            self._sinks(stmt, scope)
            self._block(stmt.body.body, scope)
            orelse = stmt.orelse
            if isinstance(orelse, cst.If):
                self._statement(orelse, scope)
            elif orelse is not None:
                self._block(orelse.body.body, scope)
            return
        if isinstance(stmt, (cst.For,)):
            self._sinks(stmt, scope)
            self._loop_bind(stmt.target, stmt.iter, scope)  # the iterable says what it holds
            self._block(stmt.body.body, scope)
            if stmt.orelse is not None:
                self._block(stmt.orelse.body.body, scope)
            return
        if isinstance(stmt, cst.While):
            self._sinks(stmt, scope)
            self._block(stmt.body.body, scope)
            return
        if isinstance(stmt, cst.With):
            self._sinks(stmt, scope)
            for item in stmt.items:
                if item.asname is not None:
                    self._bind(item.asname.name, self.taint(item.item, scope), scope, item.item)
            self._block(stmt.body.body, scope)
            return
        if isinstance(stmt, cst.Try) or type(stmt).__name__ == "TryStar":
            self._block(stmt.body.body, scope)
            for h in stmt.handlers:
                self._block(h.body.body, scope)
            if stmt.orelse is not None:
                self._block(stmt.orelse.body.body, scope)
            if stmt.finalbody is not None:
                self._block(stmt.finalbody.body.body, scope)
            return
        if type(stmt).__name__ == "Match":
            self._sinks(stmt, scope)
            for case in stmt.cases:
                self._block(case.body.body, scope)
            return
        body = getattr(stmt, "body", None)
        if isinstance(body, cst.IndentedBlock):
            self._block(body.body, scope)

    def _small(self, small: cst.BaseSmallStatement, scope: _Scope) -> None:
        if isinstance(small, cst.Assign):
            self._sinks(small, scope)
            value = self.taint(small.value, scope)
            self._note_masked_attr(small, scope)
            for t in small.targets:
                self._header_sink(t.target, small.value, value, scope)
                self._bind(t.target, value, scope, small.value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self._sinks(small, scope)
                self._bind(small.target, self.taint(small.value, scope), scope, small.value)
        elif isinstance(small, cst.AugAssign):
            self._sinks(small, scope)
            if isinstance(small.target, cst.Name):
                name = small.target.value
                scope.env[name] = scope.env.get(name, EMPTY) | self.taint(small.value, scope)
        elif isinstance(small, cst.Expr):
            self._sinks(small, scope)
        elif isinstance(small, cst.Return):
            if small.value is not None:
                self._sinks(small, scope)
                self._returned(small.value, scope)
        elif isinstance(small, cst.Raise):
            if small.exc is not None:
                self._sinks(small, scope, raised=small.exc)

    def _note_masked_attr(self, small: cst.Assign, scope: _Scope) -> None:
        """`self.token = token` (a parameter annotated SecretStr), `self.key = SecretStr(...)`."""
        if not self.class_masked:
            return
        v = small.value
        masking = (isinstance(v, cst.Name) and v.value in scope.masking_params) or (
            isinstance(v, cst.Call) and astutil.name_of(v.func) in MASKING_TYPES)
        if not masking:
            return
        for t in small.targets:
            if isinstance(t.target, cst.Attribute) and isinstance(t.target.value, cst.Name) \
                    and t.target.value.value in ("self", "cls"):
                self.class_masked[-1].add(t.target.attr.value)

    def _bind(self, target: cst.BaseExpression, value: Taint, scope: _Scope,
              value_node: Optional[cst.BaseExpression] = None) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            if value_node is not None and _is_creation(value_node):
                scope.fresh.add(name)  # an object made here (`api_key = APIKey(...)`), not a raw secret
                if _names_an_identifier(name):
                    value = EMPTY  # `credential_id = await vault.create_credential(...)`
            else:
                scope.fresh.discard(name)
                value = self._as_named(name, value, value_node, scope)
            scope.env[name] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = [el.value for el in target.elements]
            if isinstance(value_node, (cst.Tuple, cst.List)) and len(value_node.elements) == len(elements) \
                    and not any(isinstance(e, cst.StarredElement) for e in value_node.elements):
                # `a, b = token, user_id`: element by element.
                for inner, el in zip(elements, value_node.elements):
                    self._bind(inner, self.taint(el.value, scope), scope, el.value)
                return
            named = [e for e in elements if isinstance(e, cst.Name) and secret_name_kind(e.value)]
            for inner in elements:
                if isinstance(inner, cst.Name) and (inner.value in SAFE_NAMES or inner.value == "_"
                                                    or "type" in split_words(inner.value)):
                    scope.env[inner.value] = EMPTY
                elif named and isinstance(inner, cst.Name) and all(inner is not n for n in named) \
                        and _is_call(value_node):
                    # `ctx, new_refresh_token = rotate_refresh_token(...)`: the secret is the part
                    # named like one, not the context returned beside it.
                    scope.env[inner.value] = EMPTY
                    scope.fresh.discard(inner.value)
                elif isinstance(inner, cst.Name) and value_node is not None:
                    # `access_token, refresh_token = await idp.exchange_code(code)`: each part of
                    # an opaque result is taken at its name's word, like a single name.
                    scope.fresh.discard(inner.value)
                    scope.env[inner.value] = self._as_named(inner.value, value, value_node, scope)
                else:
                    self._bind(inner, value, scope, None)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value, value, scope, None)

    def _as_named(self, name: str, value: Taint, value_node: Optional[cst.BaseExpression], scope: _Scope) -> Taint:
        """What a name bound to `value_node` holds, when its name says more than the value."""
        if value_node is None:
            return value
        if _names_an_identifier(name) and _is_call(value_node):
            # `item_id = await vault.create_credential(...)`, `txn_id = secrets.token_urlsafe()`:
            # what the call returns is named by what it is stored under.
            return EMPTY
        if not _sources(value) and name not in scope.not_secret and self._origin_hidden(value_node, scope):
            # A value whose origin is out of sight (a call into a library, a global) stored under
            # a secret's name is taken at its name's word; one built here from what is known
            # (`token = node.children[0]`, `total = sum(counts)`) is what it is.
            return value | _name_source(name, name)
        return value

    def _loop_bind(self, target: cst.BaseExpression, iter_node: cst.BaseExpression, scope: _Scope) -> None:
        """The target of `for target in iter_node` (a statement or a comprehension)."""
        value = self.taint(iter_node, scope)
        if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2 and _is_items_call(iter_node):
            # `for name, secret in secrets.items()`: the keys are names.
            key, val = target.elements[0].value, target.elements[1].value
            if isinstance(key, cst.Name):
                scope.env[key.value] = EMPTY
            else:
                self._bind(key, EMPTY, scope)
            self._bind(val, value, scope)
            return
        if isinstance(target, cst.Name) and value and secret_name_kind(target.value) is None \
                and target.value.lower() not in _GENERIC_ELEMENTS and len(target.value) > 2:
            # `for provider in self.provider_tokens`, `for secret_name in secrets`: the element is
            # what its name says (a dictionary's keys, a record), not the credential.
            value = EMPTY
        self._bind(target, value, scope)

    def _origin_hidden(self, node: cst.BaseExpression, scope: _Scope) -> bool:
        """Whether where a value comes from is out of sight: a library call, a global, an attribute
        of `self`; not a part of a local or a parameter, not something built here."""
        if isinstance(node, cst.Await):
            node = node.expression
        if _clean_by_construction(node) or _named_otherwise(node):
            return False
        if _reads_input(node):
            return True  # `request.headers.get("x-amzn-oidc-data")`: what the client sent
        if isinstance(node, cst.Name):
            return node.value not in scope.env or node.value in ("self", "cls")
        if isinstance(node, (cst.Attribute, cst.Subscript)):
            root: cst.BaseExpression = node
            while isinstance(root, (cst.Attribute, cst.Subscript)):
                root = root.value
            return not (isinstance(root, cst.Name) and root.value in scope.env and root.value not in ("self", "cls"))
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and (func.attr.value in TRANSFORMS or func.attr.value in _PART_METHODS):
                return self._origin_hidden(func.value, scope)  # `parts = header.split()`: a part of a known value
            q = self.ctx.qualify(func)
            bare = func.value if isinstance(func, cst.Name) and q is None else None
            if bare in PROPAGATING_CALLS or q in PROPAGATING_CALLS or (q or "").startswith("builtins."):
                return any(self._origin_hidden(a.value, scope) for a in node.args)  # `set()`, `list(known)`
            words = split_words(astutil.name_of(func) or "")
            return not (words and words[0] in _RECORD_VERBS)  # `service.search_secrets(...)`: records
        return False  # built here (containers, strings, operations): their parts' taint is known

    # -- taint of an expression ---------------------------------------------------------------------
    def taint(self, node: Optional[cst.CSTNode], scope: _Scope) -> Taint:
        if node is None:
            return EMPTY
        if isinstance(node, cst.Name):
            if node.value in scope.masked and not self._unmasking:
                return EMPTY  # a SecretStr: printed as "**********"
            if node.value in scope.env:
                return scope.env[node.value]
            q = self.ctx.qualify(node)
            if q is not None and (q == node.value or q in KNOWN_MODULE_NAMES):
                return EMPTY  # a module (`jwt`, `secrets`), not a variable
            if node.value in scope.not_secret:
                return EMPTY
            return _name_source(node.value, node.value, config=node.value.isupper())
        if isinstance(node, cst.Attribute):
            attr = node.attr.value
            if self.ctx.qualify(node) in KNOWN_MODULE_NAMES:
                return EMPTY
            if attr in SAFE_NAMES or "type" in split_words(attr) or names_a_name(attr):
                return EMPTY
            if not self._unmasking and (dotted(node) in scope.masked or self._masked_field(node, scope)):
                return EMPTY  # a SecretStr attribute
            base = self.taint(node.value, scope)
            incoming = scope.is_route and isinstance(node.value, cst.Name) and node.value.value in scope.params
            if isinstance(node.value, cst.Name) and node.value.value in scope.fresh and secret_name_kind(attr):
                # `webhook = Webhook(); … webhook.secret`: minted with the object made here.
                return _src("issued", f"the {secret_name_kind(attr)} of the new `{node.value.value}`")
            own = _name_source(attr, _shown(node), incoming=incoming, config=_is_config_base(node.value))
            if own:
                return _of_kind(own, base)
            # A string has no data attributes: a field of a tainted object is the secret only when
            # it carries the object's value (`.value`, `.raw`), not `.total_bytes` or `.organization_id`.
            return base if attr.lower() in _CARRIERS else EMPTY
        if isinstance(node, cst.Subscript):
            return self._subscript(node, scope)
        if isinstance(node, cst.Call):
            return self._call(node, scope)
        if isinstance(node, cst.Await):
            return self.taint(node.expression, scope)
        if isinstance(node, cst.FormattedString):
            out: Taint = EMPTY
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    out |= self.taint(part.expression, scope)
            return out
        if isinstance(node, cst.ConcatenatedString):
            return self.taint(node.left, scope) | self.taint(node.right, scope)
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, (cst.Add, cst.Modulo)):
                return self.taint(node.left, scope) | self.taint(node.right, scope)
            return EMPTY
        if isinstance(node, cst.BooleanOperation):
            return self.taint(node.left, scope) | self.taint(node.right, scope)
        if isinstance(node, cst.IfExp):
            return self.taint(node.body, scope) | self.taint(node.orelse, scope)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            out = EMPTY
            for el in node.elements:
                out |= self.taint(el.value, scope)
            return out
        if isinstance(node, cst.Dict):
            out = EMPTY
            for el in node.elements:
                if isinstance(el, cst.DictElement):
                    key = astutil.literal_str(el.key)
                    if key is not None and (key in SAFE_NAMES or "type" in split_words(key)):
                        continue
                    out |= self.taint(el.value, scope)
                else:
                    out |= self.taint(el.value, scope)
            return out
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self._comprehension(node, scope)
        if isinstance(node, cst.NamedExpr):
            value = self.taint(node.value, scope)
            self._bind(node.target, value, scope, node.value)
            return value
        if isinstance(node, cst.StarredElement):
            return self.taint(node.value, scope)
        return EMPTY

    def _comprehension(self, node, scope: _Scope) -> Taint:
        """What a comprehension builds: its element, with each target bound to what it iterates
        (`[s.name for s in secrets]` is names; `{k: v for k, v in secrets.items()}` is secrets)."""
        saved: Dict[str, Optional[Taint]] = {}
        fresh = set(scope.fresh)
        f = node.for_in
        while f is not None:
            for n in astutil.assigned_names(f.target):
                saved.setdefault(n, scope.env.get(n))
            self._loop_bind(f.target, f.iter, scope)
            f = f.inner_for_in
        out = self.taint(node.value if isinstance(node, cst.DictComp) else node.elt, scope)
        for n, old in saved.items():
            if old is None:
                scope.env.pop(n, None)
            else:
                scope.env[n] = old
        scope.fresh = fresh
        return out

    def _masked_field(self, node: cst.Attribute, scope: _Scope) -> bool:
        """`self.api_key` of a class declaring `api_key: SecretStr`, `creds.token` of a parameter
        `creds: Credentials`, `settings.jwt_secret` of `settings = Settings()`."""
        if not isinstance(node.value, cst.Name):
            return False
        base, attr = node.value.value, node.attr.value
        if base in ("self", "cls"):
            return attr in scope.masked_attrs
        cls = scope.typed.get(base) or (self.typed_globals.get(base) if base not in scope.env else None)
        return cls is not None and attr in self.masked_fields[cls]

    def _unmasked(self, node: cst.BaseExpression, scope: _Scope) -> Taint:
        self._unmasking += 1
        try:
            return self.taint(node, scope)
        finally:
            self._unmasking -= 1

    def _subscript(self, node: cst.Subscript, scope: _Scope) -> Taint:
        if len(node.slice) != 1:
            return self.taint(node.value, scope)
        idx = node.slice[0].slice
        if isinstance(idx, cst.Slice):
            return EMPTY if _masked_slice(idx) else self.taint(node.value, scope)
        key = astutil.literal_str(idx.value) if isinstance(idx, cst.Index) else None
        if key is not None:
            header = self._request_item(node.value, key)
            if header:
                return header
            incoming = scope.is_route and isinstance(node.value, cst.Name) and node.value.value in scope.params
            own = _name_source(key, _shown(node), incoming=incoming, config=_is_config_base(node.value))
            if own:
                return _of_kind(own, self.taint(node.value, scope))
            # `auth_token["app"]`, `secrets["SMTP_PORT"]`: the value under a key that is not a secret's.
            return self.taint(node.value, scope) if key.lower() in _CARRIERS else EMPTY
        return self.taint(node.value, scope)

    def _request_item(self, container: cst.BaseExpression, key: str) -> Taint:
        """`request.headers["Authorization"]`, `request.cookies.get("access_token")`."""
        if not isinstance(container, cst.Attribute):
            return EMPTY
        low = key.lower()
        if container.attr.value == "headers" and (
                low in ("authorization", "proxy-authorization", "cookie") or secret_name_kind(key)):
            return _src("credential", f"the `{key}` header")
        if container.attr.value == "cookies" and (secret_name_kind(key) or low in ("session", "sessionid", "sid")
                                                  or any(w in low for w in ("auth", "session", "jwt"))):
            return _src("credential", f"the `{key}` cookie")
        return EMPTY

    def _call(self, node: cst.Call, scope: _Scope) -> Taint:
        func = node.func
        q = self.ctx.qualify(func)
        name = astutil.name_of(func)
        if q in JWT_ENCODERS:
            return _src("issued", f"the token issued by `{q}`")
        if q is not None and q.startswith("secrets.token_"):
            return _src("issued", f"the secret generated by `{q}`")
        if isinstance(func, cst.Attribute) and func.attr.value == "get_secret_value":
            # What a SecretStr wraps, revealed.
            base = self._unmasked(func.value, scope)
            return base if _sources(base) else _src("secret", f"the secret value of `{_shown(func.value)}`")
        # request.headers.get("Authorization"), request.cookies.get("token")
        if isinstance(func, cst.Attribute) and func.attr.value == "get":
            key = astutil.literal_str(astutil.argument(node, "key", 0))
            if key is not None:
                header = self._request_item(func.value, key)
                if header:
                    return header
                incoming = scope.is_route and isinstance(func.value, cst.Name) and func.value.value in scope.params
                default = astutil.literal_value(astutil.argument(node, "default", 1), None)
                if isinstance(default, (bool, int, float)) or (isinstance(default, str) and default.lower() in (
                        "true", "false", "yes", "no", "on", "off", "0", "1")):
                    return EMPTY  # `os.environ.get("ALLOW_CREDENTIALS", "false")`: a flag
                own = _name_source(key, f'{_shown(func.value)}.get("{key}")', incoming=incoming,
                                   config=_is_config_base(func.value))
                if own:
                    return _of_kind(own, self.taint(func.value, scope))
                if key.lower() not in _CARRIERS:
                    return EMPTY  # `secrets.get("SMTP_PORT")`, `client_kwargs.get("scope")`
        if name is not None and SANITIZER_RX.search(name) or q in ("hash", "id", "type", "bool", "int", "float",
                                                                   "isinstance", "callable"):
            return EMPTY
        if q is None and isinstance(func, cst.Name) and func.value in ("len", "hash", "bool", "int", "float", "id",
                                                                       "type", "isinstance", "callable", "hasattr"):
            return EMPTY
        if q is not None and q.split(".")[0] in ("hashlib", "hmac", "bcrypt", "passlib"):
            return EMPTY
        args = EMPTY
        for a in node.args:
            args |= self.taint(a.value, scope)
        if (q is None and isinstance(func, cst.Name) and func.value in PROPAGATING_CALLS) or q in PROPAGATING_CALLS:
            return args
        if isinstance(func, cst.Attribute):
            if func.attr.value in TRANSFORMS:
                return self.taint(func.value, scope) | (args if func.attr.value in ("join", "format",
                                                                                   "format_map") else EMPTY)
        kind = issuing_call_kind(name)
        if kind is not None:
            how = "issued by" if kind == "issued" else "returned by"
            return _src(kind, f"the {issued_kind_word(name)} {how} `{name}()`")
        if q is not None and q.split(".")[0] not in _FOREIGN_ROOTS and scope.facts is not None \
                and set(split_words(q.split(".")[-1])) & _ISSUER_WORDS:
            # Perhaps a project function that issues tokens (`login_user()` returning a JWT):
            # the linking step knows.
            return frozenset({("ret", q, "")})
        return EMPTY

    # -- sinks ----------------------------------------------------------------------------------
    def _sinks(self, owner: cst.CSTNode, scope: _Scope, raised: Optional[cst.CSTNode] = None) -> None:
        for call in self._calls(owner):
            self._check_call(call, scope, call is raised)

    def _check_call(self, call: cst.Call, scope: _Scope, raised: bool) -> None:
        sink = self._log_sink(call)
        if sink is not None:
            shown, exprs = sink
            self._sink(LOGGED, call, shown, exprs, scope, response=False)
            return
        q = self.ctx.qualify(call.func)
        name = astutil.name_of(call.func)
        if q in HTTP_EXCEPTIONS or (q is None and name == "HTTPException"):
            exprs = [e for e in (astutil.argument(call, "detail", 1), astutil.argument(call, "headers", 2),
                                 astutil.argument(call, "reason", 1)) if e is not None]
            self._sink(ECHOED, call, f"`{name}` detail", exprs, scope, response=False)
            return
        if q is not None and (q.startswith(RESPONSE_MODULES) and (name or "").endswith("Response")):
            content = astutil.argument(call, "content", 0)
            exprs = [e for e in (content, astutil.argument(call, "headers", 2), astutil.argument(call, "url", 0))
                     if e is not None]
            issuing = content is not None and _token_response_shape(content)
            self._sink(ECHOED, call, f"a `{name}`", exprs, scope, response=True, issuing=issuing)
            return
        if raised and name is not None and (name.endswith(("Error", "Exception")) or q in ("Exception",)):
            exprs = [a.value for a in call.args]
            self._sink(ECHOED, call, f"the message of `{name}`", exprs, scope, response=False)
            return
        self._helper_call(call, q, scope)

    def _log_sink(self, call: cst.Call) -> Optional[Tuple[str, List[cst.BaseExpression]]]:
        func = call.func
        q = self.ctx.qualify(func)
        logged = [a.value for a in call.args
                  if a.keyword is None or a.keyword.value not in NOT_LOGGED_KWARGS]
        if isinstance(func, cst.Name) and func.value == "print" and q is None \
                and "print" not in self.ctx.names.defined:
            return "`print`", logged
        if q in PRINT_SINKS:
            return f"`{q}`", logged
        if isinstance(func, cst.Attribute) and func.attr.value in LOG_METHODS and self._is_logger(func.value):
            return f"`{dotted(func) or func.attr.value}`", logged
        return None

    def _is_logger(self, node: cst.BaseExpression) -> bool:
        q = self.ctx.qualify(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if q in LOGGER_OBJECTS or (q is not None and q.startswith("loguru.logger")):
            return True
        text = dotted(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if text is not None and (text in self.loggers or
                                 (text.startswith(("self.", "cls.")) and text in self.loggers)):
            return True
        if isinstance(node, (cst.Name, cst.Attribute)):
            last = astutil.name_of(node) or ""
            return bool(_LOGGER_NAME.match(last))
        if isinstance(node, cst.Call):
            return self._is_logger_expr(node)
        return False

    def _sink(self, rule: str, call: cst.Call, shown: str, exprs: List[cst.BaseExpression], scope: _Scope,
              response: bool, issuing: bool = False) -> None:
        taint: Taint = EMPTY
        for e in exprs:
            taint |= self.taint(e, scope)
        srcs = _sources(taint)
        if response:
            # What a response must not carry; the response that issues a token carries one.
            if issuing or any(s[1] == "issued" for s in srcs):
                srcs = [s for s in srcs if s[1] in ISSUING_RESPONSE_KINDS]
            else:
                srcs = [s for s in srcs if s[1] in RESPONSE_KINDS]
        if srcs:
            self._report_sink(rule, call, shown, srcs, scope)
            return
        if scope.facts is not None:
            for lab in sorted((lab for lab in taint if lab[0] in ("param", "ret")), key=str):
                self._flow(scope, lab, rule, shown, call, response)

    def _flow(self, scope: _Scope, lab: Label, rule: str, shown: str, node: cst.CSTNode, response: bool) -> None:
        needs_span = lab[0] == "ret" or _may_be_credential(scope.facts.deps.get(str(lab[1])))
        span = _span(self.ctx.span(node)) if needs_span else None
        scope.facts.flows.append(Flow(lab[0], str(lab[1]), rule, shown, span, response, self._lower(shown)))

    def _report_sink(self, rule: str, node: cst.CSTNode, shown: str, srcs: List[Label], scope: _Scope) -> None:
        key = (id(node), rule)
        if key in scope.reported:
            return
        scope.reported.add(key)
        desc = srcs[0][2]
        more = f" (and {len(srcs) - 1} more)" if len(srcs) > 1 else ""
        if rule == LOGGED:
            msg = (f"{desc}{more} is written to {shown}: raw tokens and secrets must not reach logs or "
                   f"output; log the user id or a hash instead")
        else:
            msg = (f"{desc}{more} is placed in {shown}: raw tokens and secrets must not be returned to "
                   f"clients in errors or responses")
        self.report(rule, node, msg, severity=TEST_CODE_SEVERITY if self._lower(shown) else None)

    def _lower(self, shown: str) -> bool:
        """The lower severity: test code, and a development script's own output (a script that
        creates an API key prints it to the operator who ran it)."""
        return self.in_test or (shown in _CONSOLE_SINKS and is_dev_tooling_path(self.ctx.rel))

    def _header_sink(self, target: cst.BaseExpression, value_node: cst.BaseExpression, value: Taint,
                     scope: _Scope) -> None:
        """`response.headers["X-Token"] = token`."""
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute) \
                and target.value.attr.value == "headers" and "resp" in (astutil.name_of(target.value.value) or "").lower():
            srcs = [s for s in _sources(value) if s[1] in RESPONSE_KINDS]
            if srcs:
                self._report_sink(ECHOED, target, "a response header", srcs, scope)

    def _returned(self, value: cst.BaseExpression, scope: _Scope) -> None:
        taint = self._returned_taint(value, scope)
        if scope.facts is not None:
            for lab in taint:
                if lab[0] == "src" and lab[1] not in scope.facts.returns:
                    scope.facts.returns.append(lab[1])
                elif lab[0] == "ret" and lab[1] not in scope.facts.returns_calls:
                    scope.facts.returns_calls.append(str(lab[1]))
                elif lab[0] == "param" and lab[1] not in scope.facts.returns_params:
                    scope.facts.returns_params.append(int(lab[1]))
        if not scope.is_route:
            return
        srcs = _sources(taint)
        issuing = any(s[1] == "issued" for s in srcs) or _token_response_shape(value)
        keep = ISSUING_RESPONSE_KINDS if issuing else RESPONSE_KINDS
        srcs = [s for s in srcs if s[1] in keep]
        if srcs:
            self._report_sink(ECHOED, value, "the route's response", srcs, scope)
        elif scope.facts is not None and not issuing:
            for lab in sorted((lab for lab in taint if lab[0] == "param"), key=str):
                if _may_be_credential(scope.facts.deps.get(str(lab[1]))):
                    self._flow(scope, lab, ECHOED, "the route's response", value, True)

    def _returned_taint(self, value: cst.BaseExpression, scope: _Scope) -> Taint:
        """What a return statement hands out: also the arguments of a model or response being
        constructed (`return Token(access_token=token)`)."""
        if isinstance(value, cst.Call):
            name = astutil.name_of(value.func) or ""
            if name[:1].isupper():
                out: Taint = EMPTY
                for a in value.args:
                    if a.keyword is not None and (a.keyword.value in SAFE_NAMES
                                                  or "type" in split_words(a.keyword.value)):
                        continue
                    out |= self.taint(a.value, scope)
                return out | self.taint(value, scope)
        return self.taint(value, scope)

    # -- helpers: calls to project functions ----------------------------------------------------
    def _helper_call(self, call: cst.Call, q: Optional[str], scope: _Scope) -> None:
        if q is None or q.split(".")[0] in _FOREIGN_ROOTS:
            return
        for i, a in enumerate(call.args):
            if a.star:
                break
            key = a.keyword.value if a.keyword is not None else str(i)
            t = self.taint(a.value, scope)
            srcs = _sources(t)
            if srcs:
                span = _span(self.ctx.span(a.value))
                self._pending_call(scope, CallFlow(q, key, span, desc=srcs[0][2], test=self.in_test))
            elif scope.facts is not None:
                for lab in t:
                    if lab[0] == "param":
                        self._pending_call(scope, CallFlow(q, key, None, param=int(lab[1]),
                                                           test=self.in_test))

    def _pending_call(self, scope: _Scope, flow: CallFlow) -> None:
        if scope.facts is not None:
            scope.facts.calls.append(flow)


_PUSH_WORDS = frozenset({"push", "notification", "notifications", "notify", "device", "devices", "fcm", "apns", "expo"})
_CREDENTIAL_HINTS = frozenset({"scheme", "oauth", "oauth2", "bearer", "security", "auth", "token", "key", "api",
                               "apikey", "credential", "credentials", "creds", "basic", "http", "jwt", "header",
                               "cookie", "secret", "password", "authorization", "sso", "oidc", "openid"})


def _may_be_credential(ref: Optional[str]) -> bool:
    """Whether a dependency defined elsewhere may be a security scheme or return a credential,
    judged by its name (`reusable_oauth2`, `TokenDep`, `api_key_header`; not `get_db`,
    `CurrentUser`): only then is a sink's position worth recording for the linking step."""
    if not ref:
        return False
    return bool(set(split_words(ref.split(".")[-1])) & _CREDENTIAL_HINTS)


def _annotated_dependency(node: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """`Annotated[str, Depends(x)]` -> x (also Security(x))."""
    if not isinstance(node, cst.Subscript) or astutil.name_of(node.value) != "Annotated":
        return None
    for el in node.slice[1:]:
        inner = el.slice.value if isinstance(el.slice, cst.Index) else None
        if isinstance(inner, cst.Call) and astutil.name_of(inner.func) in ("Depends", "Security"):
            return astutil.argument(inner, "dependency", 0)
    return None


def _annotation_types(node: Optional[cst.BaseExpression]) -> Iterator[str]:
    """Type names in an annotation: `Optional[X]`, `X | None`, `Annotated[X, ...]`."""
    if node is None:
        return
    if isinstance(node, (cst.Name, cst.Attribute)):
        yield astutil.name_of(node) or ""
    elif isinstance(node, cst.Subscript):
        for el in node.slice:
            if isinstance(el.slice, cst.Index):
                yield from _annotation_types(el.slice.value)
                if astutil.name_of(node.value) == "Annotated":
                    break
    elif isinstance(node, cst.BinaryOperation):
        yield from _annotation_types(node.left)
        yield from _annotation_types(node.right)
    elif isinstance(node, cst.SimpleString):
        s = astutil.literal_str(node)
        if s:
            yield s.split("[")[0].split(".")[-1].strip()


_STRINGISH = frozenset({"str", "bytes", "Optional", "Union", "None", "Any", "Annotated", "list", "List", "Sequence",
                        "tuple", "Tuple", "Literal", "bytearray", ""})


def _stringish(ann: Optional[cst.BaseExpression]) -> bool:
    """No annotation, or one that can hold the raw string (`str`, `str | None`, `Annotated[str, …]`);
    not an object (`api_key: APIKey`) nor a masking wrapper (`password: SecretStr`)."""
    return all(t in _STRINGISH for t in _annotation_types(ann))


_CREATE_VERBS = frozenset({"create", "insert", "add", "new", "save", "build", "make", "register", "upsert", "enroll",
                           "setup", "provision", "generate", "issue", "mint", "regenerate", "rotate", "reset"})


def _is_creation(node: cst.BaseExpression) -> bool:
    """`Webhook()`, `await repository.create(webhook)`, `await totp.enroll(user)`: an object
    made here (its secrets are new, its name is not its content)."""
    if isinstance(node, cst.Await):
        node = node.expression
    if not isinstance(node, cst.Call):
        return False
    name = astutil.name_of(node.func) or ""
    words = split_words(name)
    return (name[:1].isupper() and not name.isupper()) or bool(words and words[0] in _CREATE_VERBS) \
        or name == "get_or_create"


_GENERIC_NAMES = frozenset({"value", "val", "data", "raw", "result", "results", "body", "payload_value", "get",
                            "text", "json"})


def _named_otherwise(node: cst.BaseExpression) -> bool:
    """`token = chunk.choices[0].delta.content`, `token = claims["sub"]`: the value says what it is
    (content, a subject), whatever it is stored under; `.value`, `["data"]` say nothing."""
    if isinstance(node, cst.Await):
        node = node.expression
    name = None
    if isinstance(node, cst.Attribute):
        name = node.attr.value
    elif isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        name = astutil.literal_str(node.slice[0].slice.value)
    return bool(name) and secret_name_kind(name) is None and name not in _GENERIC_NAMES


MASKING_TYPES = frozenset({"SecretStr", "SecretBytes", "Secret"})


def _masked_fields(cls: cst.ClassDef) -> Set[str]:
    """Fields a class declares with a masking type: `token: SecretStr`, `api_key: SecretStr | None`."""
    out: Set[str] = set()
    for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) \
                        and set(_annotation_types(small.annotation.annotation)) & MASKING_TYPES:
                    out.add(small.target.value)
    return out
# Attribute and key names through which a tainted object's value passes (`secret.value`,
# `resp["data"]`); any other non-secret name is a field of its own (`.total_bytes`, `["app"]`).
_CARRIERS = frozenset({
    "value", "val", "raw", "data", "plaintext", "plain", "text", "content", "string", "str", "body", "result",
    "results", "key", "secret", "access", "refresh", "bearer", "headers", "header", "cookies", "cookie", "env",
    "environ", "params", "args", "kwargs", "config", "settings", "options", "extra", "extras", "auth", "signature",
    "encoded", "decrypted", "json", "form", "query_params", "values", "items", "__dict__", "dict", "attrs",
    "attributes", "fields", "metadata", "info", "details", "response", "output", "message",
})
# Loop targets that say nothing of the element (`for t in tokens`, `for item in secrets`).
_GENERIC_ELEMENTS = frozenset({
    "item", "items", "entry", "value", "val", "obj", "part", "parts", "chunk", "piece", "seg", "segment", "line",
    "row", "data", "key", "cred", "tok", "sec", "each", "elem", "element", "record", "rec", "arg", "word", "field",
    "one", "thing", "candidate", "option", "raw",
})
# Methods returning a part of the value they are called on (`name.partition(".")`, `parts.copy()`).
_PART_METHODS = frozenset({"keys", "group", "groups", "groupdict", "removeprefix", "removesuffix", "__getitem__"})
# Calls returning stored records or collections, not a raw secret (`service.search_secrets(...)`).
_RECORD_VERBS = frozenset({"search", "list", "find", "query", "filter", "select", "count", "all", "iter",
                           "scan", "paginate", "browse"})
# Names that say they hold an identifier, a label or a count, not the credential itself.
_IDENTIFIER_NOUNS = frozenset({"id", "ids", "uuid", "uid", "pk", "name", "names", "count", "status", "path",
                               "url", "uri", "index", "idx", "number", "num", "version", "slug", "label"})
_CREDENTIAL_IDS = frozenset({"session", "sid", "csrf", "xsrf", "nonce"})


def _names_an_identifier(name: str) -> bool:
    """`item_id`, `txn_id`, `secret_name`: not `session_id` (a session id is a bearer credential)."""
    words = split_words(name)
    return bool(words) and words[-1] in _IDENTIFIER_NOUNS and not set(words) & _CREDENTIAL_IDS \
        and secret_name_kind(name) is None


_INPUT_ATTRS = frozenset({"headers", "cookies", "query_params", "path_params", "environ", "form", "args", "GET",
                          "POST", "META"})


def _reads_input(node: cst.BaseExpression) -> bool:
    """A read from a request's headers, cookies or parameters, or from the environment
    (`request.headers.get("x-amzn-oidc-data")`, `websocket.cookies["sid"]`, `os.environ[...]`)."""
    while True:
        if isinstance(node, cst.Call):
            node = node.func
        if isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Attribute):
            if node.attr.value in _INPUT_ATTRS:
                return True
            node = node.value
        else:
            return False


def _is_call(node: Optional[cst.BaseExpression]) -> bool:
    if isinstance(node, cst.Await):
        node = node.expression
    return isinstance(node, cst.Call)


def _is_items_call(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "items"



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


def _shown_not_secret(calls: List[cst.Call], comparisons: List[cst.Comparison], ctx) -> Set[str]:
    """Names a function shows are no credentials: compared with punctuation or a character or two
    (`token == "-"`, `tok in ("(", ")")`), parsed as numbers (`int(token)`, `token.isdigit()`), or
    the key a secret is looked up under (`vault.get_secret(totp_secret_key)`)."""
    out: Set[str] = set()
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
        if not pos or not isinstance(pos[0], cst.Name):
            continue
        if ctx.qualify(func) in ("os.getenv", "os.environ.get") or isinstance(func, cst.Attribute) and (
                _LOOKUP_METHOD.match(func.attr.value)
                or (func.attr.value in _STORE_METHODS and _STORE_NAME.search(astutil.name_of(func.value) or ""))):
            out.add(pos[0].value)
    return out


_ONE_TIME_WORDS = frozenset({"otp", "totp", "hotp", "mfa", "2fa", "pin", "sms", "verification", "verify", "code"})


def _may_be_numeric_secret(name: str) -> bool:
    """A password, a PIN or a one-time code may well be all digits (`int(passcode)`,
    `otp_token.isdigit()`): parsing it as a number says nothing against it."""
    return secret_name_kind(name) == "password" or bool(set(split_words(name)) & _ONE_TIME_WORDS)


def _masked_slice(sl: cst.Slice) -> bool:
    """`token[:6]`, `token[-4:]`: a few characters, shown to identify a token, not to use it."""
    def num(n):
        v = astutil.literal_value(n, None) if n is not None else None
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    lower, upper = num(sl.lower), num(sl.upper)
    if (sl.lower is None or lower == 0) and upper is not None and 0 < upper <= 12:
        return True
    if sl.upper is None and lower is not None and -12 <= lower < 0:
        return True
    return False


# Calls whose result is a number, a boolean or a digest, whatever they are given.
_NUMERIC_CALLS = frozenset({"len", "bool", "int", "float", "hexdigest", "sum", "round", "abs", "divmod", "ceil",
                            "floor", "isinstance", "callable", "hasattr"})
_NUMERIC_METHODS = frozenset({"hexdigest", "digest", "count", "index", "find", "rfind", "startswith", "endswith",
                              "isdigit", "isnumeric", "isdecimal", "isalpha", "isalnum", "isascii", "isidentifier",
                              "bit_length", "total_seconds", "timestamp"})


def _clean_by_construction(node: cst.CSTNode) -> bool:
    """Values that cannot be a raw secret whatever their name: literals, numbers, comparisons,
    masked slices, lengths and hashes, and strings built only from those."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Comparison)):
        return True
    if isinstance(node, cst.Name) and node.value in ("None", "True", "False"):
        return True
    if isinstance(node, cst.UnaryOperation):
        return True
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
        return _masked_slice(node.slice[0].slice)
    if isinstance(node, cst.Call):
        name = astutil.name_of(node.func)
        if name is not None and (SANITIZER_RX.search(name) or name in _NUMERIC_CALLS):
            return True
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _NUMERIC_METHODS:
            return True
        return False
    if isinstance(node, cst.BinaryOperation):
        return _clean_by_construction(node.left) and _clean_by_construction(node.right)
    if isinstance(node, cst.ConcatenatedString):
        return _clean_by_construction(node.left) and _clean_by_construction(node.right)
    if isinstance(node, cst.FormattedString):
        return all(isinstance(p, cst.FormattedStringText) or _clean_by_construction(p.expression) for p in node.parts)
    return False


def _token_response_shape(node: cst.BaseExpression) -> bool:
    """`{"access_token": ..., "token_type": "bearer"}` or `Token(access_token=...)`: the response of
    a route that issues tokens."""
    keys: Set[str] = set()
    if isinstance(node, cst.Dict):
        keys = {k for k, _, _ in astutil.dict_items(node) if k}
    elif isinstance(node, cst.Call):
        keys = {a.keyword.value for a in node.args if a.keyword is not None}
    return "access_token" in keys or "token_type" in keys or "refresh_token" in keys


class TokensCheck(Check):
    name = "tokens"
    rules = (LOGGED, ECHOED)

    def visitor(self, ctx):
        return TokensVisitor(ctx)

    def link(self, project) -> Iterable[Finding]:
        return _link(project, self.name)


# -- linking -----------------------------------------------------------------------------------------

def _link(project, check_name: str) -> List[Finding]:
    funcs: Dict[str, Tuple[str, FunctionFacts]] = {}
    schemes: Dict[str, Set[str]] = {}
    aliases: Dict[str, Dict[str, str]] = {}
    for path, facts in project.facts(check_name):
        names = project.names(path)
        module = names.module if names else ""
        schemes[path] = set(facts.schemes)
        aliases[path] = dict(facts.aliases)
        for f in facts.functions:
            funcs[f"{module}.{f.name}" if module else f.name] = (path, f)

    def lookup(qual: str, near: str) -> Optional[Tuple[str, FunctionFacts]]:
        if qual in funcs:
            return funcs[qual]
        sym = project.resolve(qual, near=near)
        if sym is None or sym.attrs:
            return None
        return funcs.get(sym.qualname)

    memo_issuer: Dict[str, Optional[str]] = {}

    def returns_secret(qual: str, near: str, depth: int = 0) -> Optional[str]:
        """The kind of secret a project function returns ("issued", "credential", …), or None."""
        entry = lookup(qual, near)
        if entry is None or depth > 12:
            return None
        path, f = entry
        key = f"{path}:{f.name}"
        if key in memo_issuer:
            return memo_issuer[key]
        memo_issuer[key] = None
        kind = None
        for k in sorted(f.returns, key=lambda k: _KIND_ORDER.get(k, 9)):
            kind = k
            break
        if kind is None:
            for c in f.returns_calls:
                kind = returns_secret(c, path, depth + 1)
                if kind:
                    break
        if kind is None:
            for i in f.returns_params:
                if param_is_credential(path, f, i, depth + 1):
                    kind = "credential"
                    break
        memo_issuer[key] = kind
        return kind

    def dep_is_credential(ref: str, near: str, depth: int) -> bool:
        if depth > 12:
            return False
        if ref.startswith("scheme:"):
            return True
        sym = project.resolve(ref, near=near)
        if sym is None or sym.attrs:
            return False
        if sym.name in schemes.get(sym.path, ()):
            return True
        alias = aliases.get(sym.path, {}).get(sym.name)
        if alias is not None:
            return dep_is_credential(alias, sym.path, depth + 1)
        kind = returns_secret(sym.qualname, sym.path, depth + 1)
        return kind in ("credential", "token")

    def param_is_credential(path: str, f: FunctionFacts, i: int, depth: int = 0) -> bool:
        ref = f.deps.get(str(i))
        return ref is not None and dep_is_credential(ref, path, depth)

    def target_key(callee: str, near: str, arg: str) -> Optional[Tuple[str, int]]:
        entry = lookup(callee, near)
        if entry is None:
            return None
        cpath, cf = entry
        idx = _param_index(cf, arg)
        if idx is None:
            return None
        names = project.names(cpath)
        module = names.module if names else ""
        return (f"{module}.{cf.name}" if module else cf.name, idx)

    # Which parameters of which functions reach a sink (through helpers calling helpers too).
    reaches: Dict[Tuple[str, int], List[Tuple[str, str, str, Tuple[int, int, int, int]]]] = {}
    for qual, (path, f) in funcs.items():
        for fl in f.flows:
            if fl.label == "param" and not fl.response:
                reaches.setdefault((qual, int(fl.ref)), []).append((fl.rule, fl.sink, path, fl.span))
    for _ in range(6):  # helpers calling helpers, a few levels deep
        changed = False
        for qual, (path, f) in funcs.items():
            for c in f.calls:
                if c.param < 0 or (qual, c.param) in reaches:
                    continue
                target = target_key(c.callee, path, c.arg)
                if target is not None and target in reaches:
                    reaches[(qual, c.param)] = reaches[target]
                    changed = True
        if not changed:
            break

    out: Dict[Tuple[str, Tuple[int, int, int, int], str], Finding] = {}

    def emit(rule: str, path: str, span, message: str, test: bool) -> None:
        key = (path, tuple(span), rule)
        if key in out:
            return
        sev = TEST_CODE_SEVERITY if test else None
        out[key] = Finding(rule=rule, path=path, span=Span(*span), message=message, severity=sev)

    for path, f in funcs.values():
        # a. a secret passed to a helper that logs (or raises) its parameter
        for c in f.calls:
            if not c.desc:
                continue
            tk = target_key(c.callee, path, c.arg)
            for rule, sink, spath, _ in reaches.get(tk, []) if tk else []:
                pname = funcs[tk[0]][1].params[tk[1]] if tk[0] in funcs else c.arg
                if _NAME_DESC.match(c.desc) and _param_names_otherwise(pname):
                    # Known only by its name (`collected.secrets`), received as `secret_exprs`: the
                    # helper says what it is given.
                    break
                where = f" in {project.results[spath].rel}" if spath in project.results else ""
                verb = "written to" if rule == LOGGED else "placed in"
                emit(rule, path, c.span, f"{c.desc} is passed to `{c.callee.split('.')[-1]}()`, whose parameter "
                                         f"`{pname}` is {verb} {sink}{where}: raw tokens and secrets must not "
                                         f"reach logs, errors or responses", c.test)
                break
        # b. parameters fed by a security scheme defined elsewhere; c. results of token issuers
        for fl in f.flows:
            desc = None
            if fl.label == "param":
                i = int(fl.ref)
                if param_is_credential(path, f, i):
                    desc = f"the credential `{f.params[i]}` (from `{f.deps[str(i)].split('.')[-1]}`)"
            elif fl.label == "ret":
                kind = returns_secret(fl.ref, path)
                if kind and not (fl.response and kind not in RESPONSE_KINDS):
                    word = "token issued by" if kind == "issued" else f"{_KIND_WORD.get(kind, 'credential')} returned by"
                    desc = f"the {word} `{fl.ref.split('.')[-1]}()`"
            if desc is None or fl.span is None:
                continue
            if fl.rule == LOGGED:
                msg = (f"{desc} is written to {fl.sink}: raw tokens and secrets must not reach logs or output; "
                       f"log the user id or a hash instead")
            else:
                msg = (f"{desc} is placed in {fl.sink}: raw tokens and secrets must not be returned to clients "
                       f"in errors or responses")
            emit(fl.rule, path, fl.span, msg, fl.test)
    return list(out.values())


# How a value known only by its name is described (`_name_source`).
_NAME_DESC = re.compile(r"^the (token|secret|password) `")
_REFERENCE_NOUNS = frozenset({"expr", "exprs", "expression", "expressions", "ref", "refs", "reference", "references",
                              "pattern", "patterns", "template", "templates", "spec", "specs", "keys"})


def _param_names_otherwise(pname: str) -> bool:
    """A parameter whose name says it holds names or references, not credentials (`secret_exprs`,
    `secret_names`, `credential_id`)."""
    words = split_words(pname)
    return bool(words) and secret_name_kind(pname) is None and (
        words[-1] in _REFERENCE_NOUNS or _names_an_identifier(pname) or names_a_name(pname))


def _param_index(f: FunctionFacts, arg: str) -> Optional[int]:
    if arg.isdigit():
        i = int(arg)
        return i if i < len(f.params) else None
    return f.params.index(arg) if arg in f.params else None


CHECK = TokensCheck()
