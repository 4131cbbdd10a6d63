"""What the project model knows about code outside the project: FastAPI's own classes and
markers, the security schemes, token verifiers, the authentication factories of well-known
libraries, and the words that name credentials, admins and rejections. Names are matched as
qualified names (`fastapi.security.HTTPBearer`), never as what a project happens to call its
variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

# -- FastAPI's building blocks ---------------------------------------------------------------

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
# decorator attribute -> (kind, default methods)
ROUTE_DECORATORS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    **{v: ("api", (v.upper(),)) for v in HTTP_VERBS},
    "api_route": ("api", ("GET",)),
    "websocket": ("ws", ("WEBSOCKET",)),
    # Starlette-level routes: FastAPI dependencies never run for them.
    "route": ("starlette", ("GET",)),
    "websocket_route": ("starlette", ("WEBSOCKET",)),
}
# call attribute -> (kind, default methods)
ROUTE_CALLS: Dict[str, Tuple[str, Tuple[str, ...]]] = {
    "add_api_route": ("api", ("GET",)),
    "add_api_websocket_route": ("ws", ("WEBSOCKET",)),
    "add_route": ("starlette", ("GET",)),
    "add_websocket_route": ("starlette", ("WEBSOCKET",)),
}

APP_CLASSES = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI"})
ROUTER_CLASSES = APP_CLASSES | frozenset({
    "fastapi.APIRouter", "fastapi.routing.APIRouter",
    # APIRouter subclasses shipped by libraries
    "fastapi_utils.inferring_router.InferringRouter", "fastapi_restful.inferring_router.InferringRouter",
    "fastapi_utils.routers.InferringRouter",
})
# FastAPI's own URL attributes and their defaults (`app.swagger_ui_oauth2_redirect_url` in a route path)
APP_URL_DEFAULTS = {
    "docs_url": "/docs", "redoc_url": "/redoc", "openapi_url": "/openapi.json",
    "swagger_ui_oauth2_redirect_url": "/docs/oauth2-redirect", "root_path": "",
}
CBV_DECORATORS = frozenset({"fastapi_utils.cbv.cbv", "fastapi_restful.cbv.cbv", "fastapi_utils.cbv", "fastapi_restful.cbv"})

DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends", "fastapi.param_functions.Depends"})
SECURITY = frozenset({"fastapi.Security", "fastapi.params.Security", "fastapi.param_functions.Security"})
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
UNION = frozenset({"typing.Union", "typing_extensions.Union"})
HEADER_PARAMS = frozenset({"fastapi.Header", "fastapi.params.Header", "fastapi.param_functions.Header"})
COOKIE_PARAMS = frozenset({"fastapi.Cookie", "fastapi.params.Cookie", "fastapi.param_functions.Cookie"})
QUERY_PARAMS = frozenset({"fastapi.Query", "fastapi.params.Query", "fastapi.param_functions.Query"})
REQUEST_TYPES = frozenset({
    "fastapi.Request", "fastapi.requests.Request", "starlette.requests.Request",
    "fastapi.WebSocket", "fastapi.websockets.WebSocket", "starlette.websockets.WebSocket",
    "starlette.requests.HTTPConnection", "fastapi.requests.HTTPConnection",
})
HTTP_EXCEPTIONS = frozenset({
    "fastapi.HTTPException", "fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException",
    "fastapi.WebSocketException", "fastapi.exceptions.WebSocketException",
    "starlette.exceptions.WebSocketException",
})
STARLETTE_REQUIRES = frozenset({"starlette.authentication.requires"})

# The OAuth2 password form: a route taking it is the login, public by design.
LOGIN_FORMS = frozenset({
    "fastapi.security.OAuth2PasswordRequestForm", "fastapi.security.OAuth2PasswordRequestFormStrict",
    "fastapi.security.oauth2.OAuth2PasswordRequestForm", "fastapi.security.oauth2.OAuth2PasswordRequestFormStrict",
})

# Security schemes: FastAPI's own (every class of fastapi.security except the forms and the
# credential/scopes value types) and libraries whose dependencies are SecurityBase subclasses.
_SCHEME_NAMES = frozenset({
    "OAuth2PasswordBearer", "OAuth2AuthorizationCodeBearer", "OAuth2", "HTTPBearer", "HTTPBasic",
    "HTTPDigest", "HTTPBase", "APIKeyHeader", "APIKeyCookie", "APIKeyQuery", "APIKeyBase",
    "OpenIdConnect", "SecurityBase",
})
_SCHEME_MODULES = ("fastapi.security", "fastapi.openapi.models")
# Libraries whose exported classes are (or build) authenticating dependencies.
_AUTH_LIBRARY_CLASSES = {
    # fastapi-azure-auth: SingleTenantAzureAuthorizationCodeBearer, MultiTenant..., B2C...
    "fastapi_azure_auth": None,
    # fastapi-cloudauth: Auth0, Cognito, FirebaseCurrentUser, ...CurrentUser
    "fastapi_cloudauth": None,
    "fastapi_login.LoginManager": None,
    "fastapi_login.fastapi_login.LoginManager": None,
    "fastapi_auth0.Auth0": None,
    "fastapi_auth0.auth.Auth0": None,
    "fastapi_keycloak_middleware": None,
}


# Middleware of libraries that reject unauthenticated requests before any route runs.
AUTH_MIDDLEWARE = frozenset({
    "fastapi_keycloak_middleware.KeycloakMiddleware", "starlette_oauth2_api.AuthenticateMiddleware",
    "fastapi_auth_middleware.AuthMiddleware", "asgi_auth_github.GitHubAuth",
})


def is_scheme_class(q: Optional[str]) -> bool:
    if not q:
        return False
    mod, _, name = q.rpartition(".")
    if name in _SCHEME_NAMES and (mod in _SCHEME_MODULES or mod.startswith("fastapi.security.")):
        return True
    return False


def is_auth_library_class(q: Optional[str]) -> bool:
    """Instances of these classes are authenticating dependencies (`Depends(manager)`)."""
    if not q:
        return False
    if q in _AUTH_LIBRARY_CLASSES:
        return True
    top = q.split(".")[0]
    return top in _AUTH_LIBRARY_CLASSES and "." in q and q.rsplit(".", 1)[1][:1].isupper()


@dataclass(frozen=True)
class Factory:
    """A method of a library object (or a library function) whose result authenticates."""

    text: str
    optional_kw: Tuple[Tuple[str, object], ...] = ()  # keyword=value that makes it optional
    admin_kw: Tuple[str, ...] = ()  # keyword whose truthy/admin-ish value restricts to admins
    call: bool = True  # used called (`current_user()`) or as the attribute itself (`require_user`)
    optional: bool = False  # optional whatever the arguments


# (class or module qualified name, attribute) -> Factory
FACTORIES: Dict[Tuple[str, str], Factory] = {
    ("fastapi_users.FastAPIUsers", "current_user"): Factory(
        "fastapi-users current_user()", optional_kw=(("optional", True),), admin_kw=("superuser",)),
    ("fastapi_users.fastapi_users.FastAPIUsers", "current_user"): Factory(
        "fastapi-users current_user()", optional_kw=(("optional", True),), admin_kw=("superuser",)),
    ("fastapi_users.authentication.Authenticator", "current_user"): Factory(
        "fastapi-users current_user()", optional_kw=(("optional", True),), admin_kw=("superuser",)),
    ("fastapi_users.authentication.authenticator.Authenticator", "current_user"): Factory(
        "fastapi-users current_user()", optional_kw=(("optional", True),), admin_kw=("superuser",)),
    ("fastapi_users.authentication.Authenticator", "current_user_token"): Factory(
        "fastapi-users current_user_token()", optional_kw=(("optional", True),), admin_kw=("superuser",)),
    ("fief_client.fastapi.FiefAuth", "current_user"): Factory(
        "Fief current_user()", optional_kw=(("optional", True),)),
    ("fief_client.fastapi.FiefAuth", "authenticated"): Factory(
        "Fief authenticated()", optional_kw=(("optional", True),)),
    ("fief_client.integrations.fastapi.FiefAuth", "current_user"): Factory(
        "Fief current_user()", optional_kw=(("optional", True),)),
    ("fief_client.integrations.fastapi.FiefAuth", "authenticated"): Factory(
        "Fief authenticated()", optional_kw=(("optional", True),)),
    ("fastapi_keycloak.FastAPIKeycloak", "get_current_user"): Factory(
        "Keycloak get_current_user()", admin_kw=("required_roles",)),
    ("fastapi_login.LoginManager", "optional"): Factory("fastapi-login optional", call=False, optional=True),
    ("authx.AuthX", "access_token_required"): Factory("AuthX access_token_required", call=False),
    ("authx.AuthX", "fresh_token_required"): Factory("AuthX fresh_token_required", call=False),
    ("authx.AuthX", "refresh_token_required"): Factory("AuthX refresh_token_required", call=False),
    ("authx.AuthX", "get_current_subject"): Factory("AuthX get_current_subject", call=False),
    ("authx.AuthX", "token_required"): Factory("AuthX token_required()", optional_kw=(("optional", True),)),
    ("propelauth_fastapi.FastAPIAuth", "require_user"): Factory("PropelAuth require_user", call=False),
    ("propelauth_fastapi.FastAPIAuth", "optional_user"): Factory("PropelAuth optional_user", call=False, optional=True),
    ("supertokens_python.recipe.session.framework.fastapi", "verify_session"): Factory(
        "SuperTokens verify_session()", optional_kw=(("session_required", False),)),
    ("fastapi_auth0.Auth0", "get_user"): Factory("Auth0 get_user", call=False),
    ("fastapi_auth0.auth.Auth0", "get_user"): Factory("Auth0 get_user", call=False),
}

FACTORY_OWNERS = frozenset(owner for owner, _ in FACTORIES)

# (class qualified name, attribute) -> the library class of that attribute's value, for the
# objects a project reaches through a library instance or a subclass of one
# (`self.authenticator.current_user_token()` in a FastAPIUsers subclass).
LIBRARY_ATTRS: Dict[Tuple[str, str], str] = {
    ("fastapi_users.FastAPIUsers", "authenticator"): "fastapi_users.authentication.Authenticator",
    ("fastapi_users.fastapi_users.FastAPIUsers", "authenticator"): "fastapi_users.authentication.Authenticator",
}

# fastapi-jwt-auth style: the handler takes `Authorize: AuthJWT = Depends()` and calls one of these.
BODY_CALL_AUTH: Dict[str, Tuple[str, ...]] = {
    "fastapi_jwt_auth.AuthJWT": ("jwt_required", "fresh_jwt_required", "jwt_refresh_token_required"),
    "async_fastapi_jwt_auth.AuthJWT": ("jwt_required", "fresh_jwt_required", "jwt_refresh_token_required"),
    "fastapi_another_jwt_auth.AuthJWT": ("jwt_required", "fresh_jwt_required", "jwt_refresh_token_required"),
}

# -- token verification ----------------------------------------------------------------------

VERIFIERS = frozenset({
    "jwt.decode", "jwt.decode_complete", "jwt.api_jwt.decode", "jwt.PyJWT.decode", "jwt.api_jws.decode",
    "jwt.PyJWS.decode", "jose.jwt.decode", "jose.jws.verify", "jose.jwe.decrypt",
    "authlib.jose.jwt.decode", "authlib.jose.JsonWebToken.decode", "joserfc.jwt.decode",
    "python_jwt.verify_jwt", "jwcrypto.jwt.JWT", "firebase_admin.auth.verify_id_token",
    "firebase_admin.auth.verify_session_cookie", "google.oauth2.id_token.verify_oauth2_token",
    "google.oauth2.id_token.verify_token", "google.oauth2.id_token.verify_firebase_token",
    "itsdangerous.URLSafeTimedSerializer", "itsdangerous.URLSafeSerializer",
    "itsdangerous.TimestampSigner", "itsdangerous.Signer", "paseto.parse", "pyseto.decode",
    "clerk_backend_api.Clerk", "jwt.JWT", "jwt.jwk_from_dict", "hmac.compare_digest",
    "secrets.compare_digest", "slack_sdk.signature.SignatureVerifier", "stripe.Webhook.construct_event",
    "svix.webhooks.Webhook", "github_webhook.Webhook",
})
# Method names that verify or look up a credential when called on an object we cannot see into
# (`jwt_service.verify(token)`, `auth.verify_id_token(token)`): evidence only together with a
# credential the same function read.
VERIFIER_METHODS = frozenset({
    "decode", "verify", "verify_token", "decode_token", "validate_token", "verify_id_token",
    "verify_jwt", "decode_jwt", "validate", "authenticate", "verify_access_token",
    "decode_access_token", "introspect", "get_user_by_token", "verify_session", "loads",
    "is_valid_request", "verify_signature", "validate_signature", "is_valid_signature", "check_signature",
    "construct_event",
})

# -- words -----------------------------------------------------------------------------------

_CRED_EXACT = re.compile(
    r"^(x_)?(api_?key|apikey|access_?token|auth_?token|token|jwt|authorization|auth|bearer|"
    r"session(_?id|_?token)?|sid|id_?token|credentials?|secret|key|x_?token|auth_?key|"
    r"refresh_?token|session_?cookie|(\w+_)?signature(_\w+)?)$")
_CRED_SUBSTR = re.compile(r"token|session|auth|jwt|api[-_]?key|apikey|bearer|credential|sid\b|signature")


# Not credentials although named like one: CORS response headers (`Access-Control-Allow-Credentials`)
# and CSRF tokens (anyone can get one; they prove where a request comes from, not who sends it).
_NOT_CREDENTIAL = re.compile(r"^access_control_|csrf|xsrf")


def is_credential_name(name: str) -> bool:
    """A parameter/header/cookie name that carries a credential (`authorization`, `x_api_key`,
    `access_token`, `session`): exact shapes, so `page_token` or `author` do not qualify."""
    n = name.lower().replace("-", "_").strip("_")
    return bool(_CRED_EXACT.match(n)) and not _NOT_CREDENTIAL.search(n)


def is_credential_key(name: str) -> bool:
    """A header or cookie key read from the request (`Authorization`, `X-API-Key`,
    `access_token_cookie`, `fastapiusersauth`)."""
    n = name.lower()
    if n in ("author", "authority") or _NOT_CREDENTIAL.search(n.replace("-", "_")):
        return False
    return n == "authorization" or bool(_CRED_SUBSTR.search(n))


# A constant holding the name of the auth cookie or header (`settings.COOKIE_KEY`,
# `cls._token_name`, `AUTH_HEADER`): the name says what the key is for.
KEY_HOLDER = re.compile(r"^_*(auth|session|access|jwt|login|token|api_?key)_?(cookie|header)(_?(key|name))?$"
                         r"|^_*(cookie|header)_?(key|name)$|^_*(token|session|auth|api_?key|jwt)_?(cookie|header)?_?(key|name)$",
                         re.I)


def holds_credential_key(node) -> bool:
    """`settings.COOKIE_KEY`, `cls._token_name`: a name or attribute holding an auth key's name."""
    held = getattr(getattr(node, "attr", None), "value", None) or (
        node.value if type(node).__name__ == "Name" else None)
    return isinstance(held, str) and bool(KEY_HOLDER.match(held))


# A subject standing for "no one signed in" (`Anonymous`, `AnonymousUser`, Starlette's
# `UnauthenticatedUser`, a guest), or a flag letting such requests in (`allow_anonymous`).
ANONYMOUS = re.compile(r"^_?(allow_?)?(anonymous|anon)(_?(user|subject|principal|identity|access))?$|"
                       r"^(unauthenticated|guest)_?(user|subject|principal)?$", re.I)

ADMIN_WORDS = re.compile(r"admin|superuser|super_user|staff|\broot\b|sudo|superadmin", re.I)
ADMIN_ATTRS = frozenset({"is_superuser", "is_admin", "is_staff", "superuser", "admin", "is_root",
                         "is_super_admin", "is_superadmin"})

# Exception class names that say "not authenticated" (401) or "not allowed" (403) when raised.
UNAUTHENTICATED_NAMES = re.compile(
    r"unauthori[sz]ed|unauthenticated|notauthenticated|authenticationerror|authenticationfailed|"
    r"authentication_?exception|auth_?error|invalidcredentials|credentials_?exception|"
    r"invalid_?token|tokenexpired|expiredtoken|notauthorized|invalidauth|loginrequired|login_required", re.I)
FORBIDDEN_NAMES = re.compile(r"permissiondenied|forbidden|accessdenied|notpermitted|insufficient", re.I)


def strongest(a: int, b: int) -> int:
    """Of two rejection statuses, the one that says more about authentication (401 > 403 > 0)."""
    return 401 if 401 in (a, b) else max(a, b)


def rejection_by_name(name: str) -> int:
    """401 or 403 for an exception named for it (`InvalidCredentials`, `PermissionDenied`), else 0."""
    if UNAUTHENTICATED_NAMES.search(name):
        return 401
    if FORBIDDEN_NAMES.search(name):
        return 403
    return 0
