"""The vocabulary of what a function does (collect_purpose.py): which callee names, qualified names,
literals and identifiers are evidence of which act. Matched on the last part of a callee's name
(leading underscores dropped) or on its qualified name, never on the name of the function that
calls it.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set

import libcst as cst

from fastauthlint import astutil
from fastauthlint.project.known import ADMIN_WORDS
from fastauthlint.project.values import V

# -- names ---------------------------------------------------------------------------------------

# A value named like a secret the caller holds once: a reset/verification/invitation/share token,
# a one-time code, a signature. Weak names (`code`, `key`, `state`) need a purpose around them.
TOKEN_NAME = re.compile(
    r"^(?:\w+_)?(token|otp|nonce|secret|signature|ticket|jti|passcode)$"
    r"|^(?:invite|invitation|verification|verify|confirm|confirmation|activation|reset|login|auth|otp|magic"
    r"|access|share|sharing|download|one_?time|recovery|backup|mfa|totp|sms|email|license|licence|unlock)_(code|key)$"
    r"|^(code|key|state|pin|oauth_verifier|oauth_token|uidb64)$")
WEAK_TOKEN_NAMES = frozenset({"code", "key", "state", "pin", "oauth_verifier", "oauth_token", "uidb64"})
NOT_TOKEN = re.compile(r"^(page|next|prev|previous|continuation|cursor|pagination|csrf|xsrf|sync|push|device|fcm"
                        r"|apns|notification|firebase|expo|captcha|recaptcha|turnstile|hcaptcha)_token$|^token_type$")
PASSWORD = re.compile(r"(^|_)(password|passwd|pwd|passphrase)(_hash|_hashed|_digest)?$|^hashed_(password|pwd)$")
STORED = re.compile(r"hash|digest")
SIGNATURE = re.compile(r"signature|(^|[_-])sig($|[_-])|hmac", re.I)
SECRETISH = re.compile(r"secret|password|passwd|token|key|salt|private|credential|dsn|url|uri|conn|auth|cookie", re.I)

# Callee names (the last part, leading underscores dropped).
PW_VERIFY = re.compile(r"^(checkpw|check_password_hash|verify_and_update)$|(verify|check|match|authenticat|correct|compare)"
                        r"\w*pass|pass\w*(verif|check|match|authenticat|correct)|^(verify|check)$")
PASSKEY_SIGN_IN = {"verify_authentication_response": "passkey-verify",
                   "generate_authentication_options": "passkey-options"}
PW_POLICY = re.compile(r"strength|policy|complex|rule|requirement|length|breach|pwned|history")
PW_HASH = re.compile(r"^(hashpw|make_password|hash|hashed|set_password)$|hash\w*pass|pass\w*hash|encrypt_?pass")
ISSUE = re.compile(r"^(create|issue|generate|gen|mint|make|sign|encode|new|build|refresh|rotate)_?(new_)?"
                    r"((access|refresh|auth|jwt|login|session|user|id|bearer|api|pair)_)*(token|tokens|jwt|token_pair)$"
                    r"|^(encode_jwt|create_jwt|generate_jwt|login_user|create_login_session|create_user_session"
                    r"|create_session_token|start_session|issue_session)$")
ISSUE_Q = ("jwt.encode", "jose.jwt.encode", "authlib.jose.jwt.encode", "authlib.jose.JsonWebToken.encode",
            "python_jwt.generate_jwt", "jwt.api_jwt.encode", "joserfc.jwt.encode", "paseto.create", "pyseto.encode")
METRICS_Q = frozenset({"prometheus_client.generate_latest", "prometheus_client.make_asgi_app",
                       "prometheus_client.make_wsgi_app", "prometheus_client.exposition.generate_latest"})
MINT_Q = ("secrets.token_urlsafe", "secrets.token_hex", "secrets.token_bytes", "secrets.randbelow", "secrets.choice",
           "os.urandom", "random.randint", "random.choices", "random.choice", "random.sample", "random.randrange",
           "pyotp.random_base32")
MAIL = re.compile(r"(send|queue|enqueue|dispatch|deliver|schedule)\w*(mail|email|link|otp|sms)|^(sendmail|send_message"
                   r"|send_mail|send_email)$|(mail|email)\w*send|^send_(verification|reset|activation|magic|invite|otp)")
# Sign-in and sign-up delegated to an identity provider or another service: the method of its
# client handed the request's password (fastapi-keycloak `user_login`, python-keycloak `token`,
# Cognito `initiate_auth`/`sign_up`, Supabase `sign_in_with_password`, Firebase `create_user`)...
DELEGATE_LOGIN_CALL = re.compile(r"^(user_login|login|log_in|sign_in|signin|sign_in_with_password|authenticate"
                                 r"|initiate_auth|admin_initiate_auth|token|get_token|password_grant|login_with_password"
                                 r"|sign_in_with_email_and_password)$")
DELEGATE_SIGNUP_CALL = re.compile(r"^(create_user|sign_up|signup|register|register_user|create_account|admin_create_user"
                                  r"|create_user_with_email_and_password)$")
# ... or an HTTP request carrying it to a login, token or registration URL
HTTP_SEND_CALL = frozenset({"post", "put", "patch", "request", "send", "fetch", "urlopen", "Request", "build_request"})
DELEGATE_LOGIN_URL = re.compile(r"(^|/)(login|log-in|signin|sign-in|sign_in|token|authenticate|sessions?)(/?$|/?\?)"
                                r"|openid-connect/token|signInWithPassword|grant_type=password", re.I)
DELEGATE_SIGNUP_URL = re.compile(r"(^|/)(register|registration|user-registration|signup|sign-up|sign_up)(/?$|/?\?)"
                                 r"|accounts:signUp", re.I)
DELEGATE_URL_NAME = re.compile(r"(^|_)(login|signin|token|signup|register|registration)_?(url|uri|endpoint)$", re.I)
HTTP_MODULES = frozenset({"httpx", "requests", "aiohttp", "urllib", "urllib3"})

# A call answering whether something exists (`email_exists(email)`, `has_account(...)`)
EXISTENCE_CALL = re.compile(r"^(has_\w+|\w*_?exists?|is_(taken|available|registered|used|free)|\w+_(taken|available))$")

# A call handing a value on to a channel that is not the response (a notifier, an event queue):
# a one-time token minted here and handed to it reaches its owner out of band.
DELIVER_CALL = re.compile(r"^(send|notify|deliver|dispatch|publish|emit|enqueue|queue|push)(_\w+)?$|_(send|notify|deliver"
                          r"|publish|emit|enqueue)$|^(publish|emit)_\w*event")
VERIFY_CALL = re.compile(r"^(decode|verify|validate|check|confirm|loads|unsign|parse|consume|redeem|use)(_\w+)?$"
                          r"|_(verify|decode|check|validate|confirm|consume|redeem)$|^(decode|verify)\w*token")
LOOKUP_CALL = re.compile(r"^(get|getdel|get_and_delete|pop|hget|first|filter|filter_by|where|find|find_one|find_first"
                          r"|find_unique|find_by\w*|fetch|fetch_one|fetch_by\w*|fetchrow|fetchval|get_or_none|get_by\w*|select|exists|scalar"
                          r"|scalars|one|one_or_none|execute|exec|query|lookup|load|read\w*|retrieve\w*|aget)$")
OAUTH_START_CALL = frozenset({
    "authorize_redirect", "create_authorization_url", "authorization_url", "get_authorization_url",
    "get_authorize_url", "authorize_url", "build_authorization_url", "get_authorization_uri", "prepare_request_uri",
    "get_redirect_url", "create_authorize_url", "get_login_url", "get_auth_url", "generate_auth_url",
    "get_login_redirect",  # fastapi-sso
})
OAUTH_EXCHANGE_CALL = frozenset({
    "authorize_access_token", "fetch_token", "fetch_access_token", "exchange_code", "exchange_code_for_token",
    "exchange_code_for_tokens", "get_access_token_from_code", "parse_request_body_response", "authorize_access_token_async",
    "get_token_from_code", "exchange_authorization_code", "request_access_token",
    "verify_and_process",  # fastapi-sso: exchanges the callback's code and reads the user's OpenID
})
# Drawing an image or an audio challenge: PIL, the `captcha` package, multicolorcaptcha, claptcha
CAPTCHA_Q = re.compile(r"^(PIL\.(Image\.new|ImageDraw\.Draw|ImageFont\.truetype)|captcha\.(image|audio)\.\w+"
                       r"|multicolorcaptcha\.\w+|claptcha\.\w+)")
# Reads of stored data by a call's name (a database, a document store, a cache); `.get` only on
# a receiver named like a store (`redis.get(key)`, not `meta.get("name")`)
STORE_READ_CALL = frozenset({
    "execute", "exec", "scalars", "scalar", "scalar_one", "scalar_one_or_none", "fetch", "fetchall", "fetchone",
    "fetchrow", "fetchval", "fetch_all", "fetch_one", "fetchmany", "find", "find_one", "find_many", "aggregate", "query",
    "filter_by", "get_or_none", "get_multi", "get_all", "select_from", "hget", "hgetall", "hmget", "mget", "smembers",
    "lrange", "zrange", "zrevrange", "scan_iter", "xread", "get_item", "read_sql", "objects", "raw",
})
STORE_NAME = re.compile(r"(^|_)(db|session|redis|cache|conn|connection|cursor|collection|table|store|storage|bucket"
                        r"|pool|repo|repository|dao|client|kv|mongo|es)$", re.I)
FILE_READ_CALL = frozenset({"open", "read_bytes", "read_text", "listdir", "scandir", "iterdir", "glob", "rglob",
                            "walk", "fileresponse", "send_file", "aiofiles"})
# A directory a front end's build or the static files ship in (`frontend/dist`, `static`, `ui/build`)
BUILD_DIR = re.compile(r"(^|[/\\])(build|dist|static|public|www|webroot|spa|ui|frontend|client|web|out|assets)"
                       r"($|[/\\])", re.I)
# Calls answering a file's contents (a path as their first argument)
FILE_ANSWER_CALL = frozenset({"fileresponse", "send_file", "send_from_directory"})
# `redis.set(key, value, ex=300)`: a key stored with an expiry is a write
EXPIRY_KEYWORDS = frozenset({"ex", "px", "exat", "pxat", "expire", "expires", "ttl", "timeout", "nx"})
# `handler.build_auth_url(redirect_uri, state)`, `make_login_url(...)`: a project's own builder
OAUTH_START_NAME = re.compile(r"^(build|get|create|generate|make)_([a-z]+_)?(auth|authorize|authorization|login)"
                              r"_(url|uri|redirect)$")
# The query an authorization request carries (RFC 6749 §4.1.1): a mapping with these keys builds one
AUTHORIZE_KEYS = frozenset({"client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge"})
IDP_VERIFY_CALL = frozenset({"verify_oauth2_token", "verify_id_token", "verify_firebase_token", "verify_token_info",
                              "verify_google_token", "verify_apple_token", "parse_id_token", "validate_id_token"})
OAUTH_START_URL = re.compile(r"/o/oauth2/(v\d/)?auth\b|/oauth2?/(v\d(\.\d)?/)?authori[sz]e|/login/oauth/authorize"
                              r"|/dialog/oauth|/oauth/authenticate|/oauth2/auth\b|/authorize\?|response_type=code", re.I)
OAUTH_TOKEN_URL = re.compile(r"https?://\S*(/oauth2?/(v\d(\.\d)?/)?(access_)?token|/login/oauth/access_token"
                              r"|oauth2\.googleapis\.com/token|/oauth/access_token|/token\b)|^authorization_code$", re.I)
IDP_URL = re.compile(r"tokeninfo|debug_token|/oauth2/v\d/certs|/\.well-known/jwks|/protocol/openid-connect/userinfo", re.I)
URL_NAME_START = re.compile(r"authori[sz](e|ation)_?(ur[li]|endpoint)|^auth_?ur[li]$|oauth_?ur[li]", re.I)
URL_NAME_TOKEN = re.compile(r"(^|_)(token_?(ur[li]|endpoint)|access_token_?ur[li])$", re.I)
SIG_Q = {
    "stripe.Webhook.construct_event": "stripe", "stripe.WebhookSignature.verify_header": "stripe",
    "svix.webhooks.Webhook": "svix", "svix.Webhook": "svix", "standardwebhooks.Webhook": "standard webhooks",
    "standardwebhooks.webhooks.Webhook": "standard webhooks", "slack_sdk.signature.SignatureVerifier": "slack",
    "slack_sdk.signature.verifier.SignatureVerifier": "slack", "twilio.request_validator.RequestValidator": "twilio",
    "github_webhook.Webhook": "github", "nacl.signing.VerifyKey": "ed25519", "hmac.compare_digest": "hmac",
    "secrets.compare_digest": "hmac",
}
SIG_CALL = re.compile(r"^(construct_event|construct_webhook_event|verify_signature|validate_signature|is_valid_signature"
                       r"|check_signature|verify_webhook\w*|verify_header|is_valid_request|validate_webhook\w*|verify_hmac"
                       r"|verify_request_signature|check_hmac|verify_payload)$")
HMAC_Q = ("hmac.new", "hmac.digest", "hmac.HMAC")
OAUTH_SERVER_CALL = frozenset({"create_token_response", "create_endpoint_response", "create_revocation_response",
                                "create_introspect_response", "create_introspection_response", "authenticate_client"})
DOCS_CALL = frozenset({"get_swagger_ui_html", "get_redoc_html", "get_swagger_ui_oauth2_redirect_html", "get_openapi",
                        "openapi", "get_scalar_api_reference", "get_rapidoc_html", "get_elements_html"})
JWKS_CALL = frozenset({"export_public", "public_key", "public_bytes", "get_jwks", "jwks", "export_to_pem",
                        "get_public_key", "public_jwk", "as_public"})
CSRF_CALL = re.compile(r"^(generate_csrf(_tokens?)?|get_csrf_token|generate_csrf_token|csrf_token|new_csrf_token)$")
PING_CALL = re.compile(r"^(ping|healthcheck|health_check|is_healthy|is_(running|alive|up|ready|connected)"
                       r"|check_(db|database|redis|connection|health)\w*)$")
LOGOUT_CALL = frozenset({"delete_cookie", "logout_user", "unset_jwt_cookies", "unset_access_cookies",
                          "unset_refresh_cookies", "clear_session"})
REVOKE_CALL = re.compile(r"revoke|blacklist|blocklist|denylist|invalidate|logout")
DECRYPT_CALL = re.compile(r"^decrypt|decrypt$")
# Writes: over-reporting a write only keeps a finding an error, so the net is wide.
WRITE_CALL = frozenset({
    "add", "add_all", "delete", "merge", "commit", "flush", "save", "asave", "insert", "insert_one", "insert_many",
    "update_one", "update_many", "replace_one", "delete_one", "delete_many", "bulk_create", "bulk_update",
    "bulk_save_objects", "create", "acreate", "update", "aupdate", "adelete", "upsert", "remove", "get_or_create",
    "update_or_create", "aget_or_create", "aupdate_or_create", "setex", "hset", "hdel", "incr", "incrby", "decr",
    "lpush", "rpush", "sadd", "srem", "zadd", "publish", "expire", "getdel", "get_and_delete", "put_object",
    "upload_file", "upload_fileobj", "execute_many", "executemany", "persist", "destroy", "create_all", "drop_all",
})
# A new row: created by name, or a model built here and handed to add/save (an update adds a row
# it fetched, and builds none).
CREATE_CALL = frozenset({"create", "acreate", "insert", "insert_one", "insert_many", "bulk_create", "get_or_create",
                          "aget_or_create", "create_user", "create_superuser", "create_account"})
STORE_CALL = frozenset({"add", "add_all", "save", "asave", "persist", "merge"})
WRITE_SQL = re.compile(r"^\s*(insert\s+into|update\s+\S+\s+set|delete\s+from|upsert|truncate|drop\s+table"
                        r"|alter\s+table|merge\s+into)\b", re.I)
INSERT_SQL = re.compile(r"^\s*insert\s+(?:or\s+\w+\s+)?into\s+[`\"\[]?(?:\w+[`\"\]]?\.[`\"\[]?)?(\w+)", re.I)
READ_SQL = re.compile(r"^\s*(select\s+\S[\s\S]*\sfrom\s|with\s+\w+\s+as\s*\()", re.I)
# Outbound calls, mail, processes, task queues: an unprotected route doing them is never harmless.
EFFECT_MODULES = {
    "httpx": "http", "requests": "http", "aiohttp": "http", "urllib": "http", "urllib3": "http", "http": "http",
    "pycurl": "http", "smtplib": "mail", "aiosmtplib": "mail", "fastapi_mail": "mail", "sendgrid": "mail",
    "resend": "mail", "postmarker": "mail", "subprocess": "exec", "shutil": "exec", "boto3": "http",
    "openai": "http", "anthropic": "http", "celery": "task",
}
EFFECT_CALL = {"delay": "task", "apply_async": "task", "send_task": "task", "add_task": "task", "enqueue": "task",
                "system": "exec", "popen": "exec", "urlopen": "http", "sendmail": "mail"}
QUERY_CALL = frozenset({"query", "select", "get", "filter", "filter_by", "where", "exec", "execute", "scalars",
                         "scalar", "find", "find_one", "find_all", "get_or_none", "get_one", "aget", "afirst", "objects",
                         "all", "first", "one", "count", "paginate", "fetch", "fetch_all", "select_from", "join",
                         "get_multi", "get_all", "list", "aggregate", "search"})
PUBLIC_FLAG = frozenset({"is_public", "public", "published", "is_published", "visibility", "privacy", "privacy_level",
                          "is_visible", "visible", "is_listed", "listed", "is_shared", "shared"})
# A catalogue row's "shown to customers" switch: filtering on it keeps a catalogue read public; an
# owner's rows filtered on it are still the owner's (so not "public-filter").
ACTIVE_FLAG = frozenset({"is_active", "active", "is_enabled", "enabled", "is_available", "available"})
PUBLIC_VALUE = re.compile(r"^(public|published|visible|listed|shared|true|1)$", re.I)
STATIC_RESPONSES = frozenset({"JSONResponse", "Response", "PlainTextResponse", "HTMLResponse", "ORJSONResponse",
                               "UJSONResponse", "RedirectResponse", "FileResponse"})
CONFIG_GETTERS = frozenset({"getenv", "get_config", "get_setting", "config", "get"})
TIME_MODULES = ("datetime", "time", "platform", "socket")
REQUEST_SOURCES = frozenset({"query_params", "cookies", "headers", "path_params", "form", "json", "body"})

MAX_MODELS = 16
MAX_XCALLS = 48
WALK = 40  # nodes of one argument looked at


# Calls that only build an answer or refuse one: a handler making no other call does nothing else.
IDLE_CALLS = frozenset(n.lower() for n in {
    "str", "int", "float", "bool", "len", "dict", "list", "tuple", "set", "sorted", "min", "max", "isinstance",
    "getattr", "hasattr", "range", "enumerate", "zip", "format", "join", "lower", "upper", "strip", "replace",
    "split", "isoformat", "strftime", "timestamp", "now", "utcnow", "today", "time", "getenv", "url_for",
    "TemplateResponse", "Depends", "Security", "Query", "Path", "Body", "Header", "Cookie", "Form", "File",
    "debug", "info", "warning", "warn", "error", "exception", "critical", "print", "keys", "values", "items",
})
_IDLE_MODULES = ("logging", "datetime", "time", "fastapi", "starlette", "typing", "pydantic", "platform")


MUTATORS = frozenset({"append", "extend", "update", "insert", "add", "pop", "setdefault", "remove", "clear",
                      "__setitem__", "appendleft", "discard", "popitem"})


def idle_call(name: str, q, func: cst.BaseExpression) -> bool:
    """Only builds an answer, logs or refuses (`HTTPException(...)`, `JSONResponse(...)`,
    `logger.info(...)`, `str(...)`): no work of its own."""
    if name.lower() in IDLE_CALLS or name in STATIC_RESPONSES:
        return True
    if q is not None and q.split(".")[0] in _IDLE_MODULES:
        return True
    if name[:1].isupper() and (name.endswith(("Exception", "Error", "Response")) or name in ("Request",)):
        return True
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("logger", "log"):
        return True
    return isinstance(func, cst.Attribute) and name == "get" and env_like(func)


def token_name(name: str) -> bool:
    """A value named like a secret the caller was handed once (see TOKEN_NAME)."""
    n = name.lower()
    return bool(TOKEN_NAME.match(n)) and not NOT_TOKEN.match(n)


def bare(name: str) -> str:
    return name.lstrip("_").lower()


def last_name(func: cst.BaseExpression) -> str:
    if type(func) is cst.Name:
        return func.value
    if type(func) is cst.Attribute:
        return func.attr.value
    if type(func) is cst.Call:
        return last_name(func.func)
    if type(func) is cst.Subscript:
        return last_name(func.value)
    return ""


def value_parts(node: cst.CSTNode):
    """What a value is built of, for `idents` and the taint questions (collect_answers.py):
    an attribute's or subscript's base, a call's callee and arguments, operands, f-string parts,
    tuple and list elements (a subscript's index is read as a key, not walked)."""
    if type(node) in (cst.Attribute, cst.Subscript):
        yield node.value
    elif type(node) is cst.Call:
        yield node.func
        yield from (a.value for a in node.args)
    elif type(node) in (cst.Await, cst.UnaryOperation):
        yield node.expression
    elif type(node) is cst.BinaryOperation:
        yield from (node.left, node.right)
    elif type(node) is cst.FormattedString:
        yield from (p.expression for p in node.parts if type(p) is cst.FormattedStringExpression)
    elif type(node) in (cst.Tuple, cst.List):
        yield from (el.value for el in node.elements)


def idents(node: cst.CSTNode, limit: int = WALK):
    """The identifiers an expression is made of: names, attribute names, string keys of
    subscripts and of `.get("...")` calls (a request's `token` field, `data["password"]`)."""
    for cur in astutil.bounded_walk(node, value_parts, limit):
        if type(cur) is cst.Name:
            yield cur.value
        elif type(cur) is cst.Attribute:
            yield cur.attr.value
        elif type(cur) is cst.Subscript:
            for e in cur.slice:
                if type(e.slice) is cst.Index:
                    s = astutil.literal_str(e.slice.value)
                    if s is not None and len(s) <= 60:
                        yield s
        elif type(cur) is cst.Call:
            if type(cur.func) is cst.Attribute and cur.func.attr.value in ("get", "getlist", "pop") and cur.args:
                s = astutil.literal_str(cur.args[0].value)
                if s is not None and len(s) <= 60:
                    yield s


def password_ish(node: cst.CSTNode) -> bool:
    return any(PASSWORD.search(i.lower()) for i in idents(node, 12))


def stored_ish(node: cst.CSTNode, params) -> bool:
    """A stored password hash: `user.hashed_password`, `password_hash`, or the password field of
    a row the function holds (`user.password`, not the request body's `body.password`)."""
    if isinstance(node, cst.Attribute) and PASSWORD.search(node.attr.value.lower()) and \
            isinstance(node.value, cst.Name) and node.value.value not in params:
        return True
    return any(STORED.search(i.lower()) for i in idents(node, 12))


def status_4xx(node: cst.CSTNode) -> bool:
    """A 4xx status among a call's arguments (`status_code=400`, `status.HTTP_404_NOT_FOUND`)."""
    for n in astutil.walk(node) if type(node) is cst.Call else ():
        if type(n) is cst.Integer and n.value.startswith("4") and len(n.value) == 3:
            return True
        if type(n) in (cst.Name, cst.Attribute):
            name = astutil.name_of(n) or ""
            if name.startswith("HTTP_4") or name in ("BAD_REQUEST", "NOT_FOUND", "UNAUTHORIZED", "FORBIDDEN", "GONE"):
                return True
    return False


def refuses(body: cst.CSTNode) -> bool:
    """A block that ends the request with an error: it raises, aborts, or returns a 4xx response."""
    for n in astutil.walk(body):
        if type(n) is cst.Raise:
            return True
        if type(n) is cst.Return and n.value is not None and status_4xx(n.value):
            return True
        if type(n) is cst.Call and last_name(n.func) in ("abort", "raise_for_status"):
            return True
    return False


def leaves(body: cst.BaseSuite) -> bool:
    """A block whose last statement returns or raises: the function does not go on after it."""
    stmts = getattr(body, "body", ())
    if not stmts:
        return False
    last = stmts[-1]
    small = getattr(last, "body", ())
    return isinstance(last, cst.SimpleStatementLine) and bool(small) and isinstance(small[-1], (cst.Return, cst.Raise))


class PurposeState:
    """What the walk has seen of one function so far (kept on its Frame as `frame.pp`)."""

    __slots__ = ("tags", "models", "xcalls", "taint", "static_locals", "returns", "static_returns",
                 "deferred_returns", "refusing_returns", "hmac", "sig_read", "compare_sig", "redirect", "constructed", "config_params",
                 "minted", "containers", "bundled", "built_class", "pw_locals", "redirect_returns",
                 "exist_locals", "existence_returns", "build_paths")

    def __init__(self) -> None:
        self.tags: Set[str] = set()
        self.models: List[V] = []
        self.xcalls: List[V] = []
        self.taint: Dict[str, str] = {}  # local or parameter -> the token-like name it carries
        self.static_locals: Set[str] = set()
        self.returns = 0
        self.static_returns = 0
        self.deferred_returns = 0
        self.refusing_returns = 0  # returns of a 4xx answer (`return JSONResponse(status_code=404)`)
        self.hmac = False  # computes an HMAC (hmac.new/digest)
        self.sig_read = False  # reads a signature (header, parameter)
        self.compare_sig = False  # compare_digest called
        self.redirect = False
        self.constructed: Set[str] = set()  # locals bound to a new instance of a class (`user = User(...)`)
        self.config_params: Set[str] = set()  # injected settings (`settings: Settings = Depends(get_settings)`)
        self.containers: Set[str] = set()  # locals bound to a new dict, list or set (`checks = {}`)
        self.minted: Set[str] = set()  # locals bound to a token this function issues (`token = create_token(...)`)
        self.bundled: Set[str] = set()  # locals holding a path of a file shipped with the code (`here / "icon.png"`)
        self.built_class: Dict[str, str] = {}  # constructed local -> its class's name (`user = User(...)`: "User")
        self.redirect_returns = 0  # returns of a redirect to a URL the request does not choose
        self.exist_locals: Set[str] = set()  # locals holding whether something exists (`taken = row is not None`)
        self.existence_returns = 0  # returns of whether something exists (`{"available": user is None}`)
        self.pw_locals: Set[str] = set()  # locals holding a password (`data = {"password": form.password}`)
        self.build_paths: Set[str] = set()  # locals holding a path under the front end's build (`BUILD / full_path`)



def subscript_key(node: cst.Subscript) -> Optional[str]:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return astutil.literal_str(node.slice[0].slice.value)
    return None


def env_like(func: cst.BaseExpression) -> bool:
    """`os.environ.get("X")`, `settings.get("X")`, `config.get("X")`."""
    if not isinstance(func, cst.Attribute):
        return False
    base = func.value
    return isinstance(base, (cst.Name, cst.Attribute)) and (astutil.name_of(base) or "").lower() in (
        "environ", "settings", "config", "conf", "env")


def is_session(node: cst.BaseExpression) -> bool:
    """`request.session` (Starlette's SessionMiddleware)."""
    return isinstance(node, cst.Attribute) and node.attr.value == "session" and isinstance(node.value, cst.Name) and \
        node.value.value in ("request", "req", "websocket", "conn")


def camel(node: cst.BaseExpression) -> bool:
    name = astutil.name_of(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    return bool(name) and name[:1].isupper() and not name.isupper() and name not in (
        "Depends", "HTTPException", "JSONResponse", "Response")


def is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


# Staff roles besides the administrator's: an account created with one of them can act on
# everyone's data (`role="operator"` on a public sign-up)
STAFF_ROLE = re.compile(r"^(operator|moderator|superadmin|owner_admin|support_admin|sysadmin)$", re.I)


def admin_literal(node: cst.BaseExpression) -> bool:
    s = astutil.literal_str(node)
    if s is not None:
        return bool(ADMIN_WORDS.search(s)) or bool(STAFF_ROLE.match(s))
    name = astutil.name_of(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    return bool(name) and bool(ADMIN_WORDS.search(name)) and name.isupper()


def public_value(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name) and node.value == "True":
        return True
    if isinstance(node, cst.Integer):
        return node.value == "1"
    s = astutil.literal_str(node)
    if s is not None:
        return bool(PUBLIC_VALUE.match(s))
    if isinstance(node, cst.Attribute):
        return bool(PUBLIC_VALUE.match(node.attr.value))
    return False


# Libraries whose calls compute and read nothing stored: parsing, dates, text, the code's own
# modules (`importlib.import_module` of a provider package), building answers.
PURE_MODULES = frozenset({
    "json", "datetime", "time", "re", "math", "typing", "enum", "collections", "itertools", "functools", "uuid",
    "string", "base64", "decimal", "fractions", "statistics", "textwrap", "operator", "copy", "zoneinfo", "calendar",
    "dataclasses", "importlib", "pkgutil", "inspect", "platform", "logging", "pydantic", "fastapi", "starlette",
    "typing_extensions", "abc", "random", "secrets", "hashlib", "hmac", "html", "urllib.parse", "builtins",
})


# Methods of plain values (dicts, lists, strings, dates): calling one reads nothing stored.
VALUE_METHODS = IDLE_CALLS | MUTATORS | frozenset({
    "get", "copy", "sort", "startswith", "endswith", "encode", "decode", "count", "index", "isoformat", "replace",
    "rstrip", "lstrip", "title", "capitalize", "isdigit", "isalpha", "partition", "rsplit", "splitlines", "zfill",
    "total_seconds", "model_dump", "dict", "model_copy", "hex", "center", "astimezone", "date", "hexdigest", "digest",
    "group", "groups", "match", "fullmatch", "search", "sub", "findall",
})
