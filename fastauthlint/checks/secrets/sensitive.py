"""What looks like a secret: names (`SECRET_KEY`, `client_secret`, `access_token`), values
(`"changethis"` vs `"bearer"` vs `"/auth/token"`) and well-known token formats (JWTs, PEM private
keys, provider API keys). Shared by the secrets (FAL301/FAL302) and token-handling (FAL401/FAL402)
checks; pure functions over strings, no libcst.

The judgement is deliberately two-sided: bandit's B105-B107 and ruff's S105-S107 flag any string
next to a word like "token" (`token_type = "bearer"`, `TOKEN_URL = "/auth/token"`); here the *head
noun* of the name must be a secret (`ACCESS_TOKEN_EXPIRE_MINUTES` is minutes, `password_reset_url`
is a URL) and the value must be something that can be used as a secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Dict, List, Optional, Tuple

from fastauthlint.context import is_documentation_path

# -- names ---------------------------------------------------------------------------------------

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


_WORDS: Dict[str, Tuple[str, ...]] = {}  # split_words's answers (names recur across checks)


def split_words(name: str) -> List[str]:
    """`SECRET_KEY` -> [secret, key]; `tokenUrl` -> [token, url]; `X-API-Key` -> [x, api, key];
    `APIKeyHeader` -> [api, key, header]. Digits are dropped (`password2` -> [password])."""
    found = _WORDS.get(name) if type(name) is str else None
    if found is None:
        found = tuple(_split_words(name))
        if type(name) is str:
            if len(_WORDS) > 100_000:
                _WORDS.clear()
            _WORDS[name] = found
    return list(found)  # a new list: callers may change theirs


def _split_words(name: str) -> List[str]:
    words: List[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", name):
        for w in _CAMEL.findall(chunk):
            if not w.isdigit():
                words.append(w.lower())
    return words


PASSWORD_NOUNS = frozenset({"password", "passwd", "pwd", "pass", "passphrase", "pw", "passcode", "passwords"})
TOKEN_NOUNS = frozenset({"token", "tokens", "jwt", "authorization"})
SECRET_NOUNS = frozenset({"secret", "secrets", "credential", "credentials", "creds", "apikey", "privatekey",
                          "secretkey", "accesskey", "signingkey"})
# `<qualifier>_key` is a secret only for these qualifiers: `CACHE_KEY`, `PRIMARY_KEY`,
# `PUBLIC_KEY`, `SESSION_KEY` (a session's name in a store) are not.
KEY_QUALIFIERS = frozenset({
    "secret", "private", "api", "apikey", "signing", "sign", "encryption", "encrypt", "decryption",
    "decrypt", "jwt", "hmac", "master", "auth", "app", "client", "fernet", "aes", "crypt",
    "crypto", "cipher", "license", "service", "webhook", "admin", "root", "ssh", "rsa", "ecdsa",
    "ed25519", "gpg", "pgp", "account", "developer", "consumer", "subscription", "shared",
    "symmetric", "hs256", "jwe", "jws", "bot", "integration",
})
# Compound single words (`apikey`, `accesstoken`): their ending decides.
_COMPOUND_ENDINGS = (("password", "password"), ("passwd", "password"), ("passphrase", "password"),
                     ("token", "token"), ("secret", "secret"), ("apikey", "secret"),
                     ("privatekey", "secret"), ("secretkey", "secret"), ("accesskey", "secret"),
                     ("signingkey", "secret"))
# A leading word that makes the name about something other than the secret itself: a message
# (`INVALID_TOKEN`), a flag (`is_token_valid`, `use_password`), a derived value (`hashed_password`),
# a count (`max_tokens`), a pagination or NLP token (`next_token`, `eos_token`), a public key.
_NOT_THE_SECRET = frozenset({
    "invalid", "wrong", "bad", "incorrect", "missing", "expired", "unknown", "no", "empty", "malformed",
    "revoked", "hashed", "hash", "encrypted", "masked", "redacted", "max", "min", "num", "number", "total",
    "n", "count", "page", "next", "prev", "previous", "pagination", "continuation", "cursor", "sync",
    "bos", "eos", "pad", "unk", "sep", "mask", "cls", "start", "end", "stop", "special", "prompt",
    "completion", "input", "output", "reasoning", "public", "pub", "is", "has", "use", "uses",
    "require", "requires", "required", "enable", "enabled", "allow", "allowed", "show", "with", "needs",
    "should", "can", "verify", "check", "validate", "forgot", "err", "error",
    # a flag that says something must or did happen (`must_change_password`, `force_reset_password`)
    "must", "need", "force", "forced", "was", "did", "will",
    # a verb: the name of an action or a tool (`list_credentials`, `get_token` as a dict key), not a value
    "list", "get", "fetch", "create", "delete", "remove", "update", "set", "save", "load", "rotate", "revoke",
    "generate", "parse", "handle", "lookup", "find", "search", "send", "add", "edit", "manage", "upload",
    "download", "store", "request",
    # a policy about the secret (`RATE_LIMIT_REFRESH_TOKEN = "30/minute"`), not the secret
    "rate", "throttle", "quota",
    # a cancellation token (asyncio, .NET style), a decoded token (its claims), a stand-in value
    "cancel", "cancellation", "decoded", "placeholder", "sentinel", "dummy", "fake", "mock", "example", "sample",
})

# ... and words that say so wherever they stand (`REGISTER_INVALID_PASSWORD`, `user_hashed_password`).
_NOT_THE_SECRET_ANYWHERE = frozenset({
    "invalid", "wrong", "bad", "incorrect", "missing", "expired", "unknown", "malformed", "revoked", "hashed",
    "hash", "encrypted", "masked", "redacted", "max", "min", "num", "total", "public", "pub", "page", "next",
    "prev", "pagination", "continuation", "cursor", "push", "device", "fcm", "apns", "expo", "notification",
    # a language model's special tokens: `DEFAULT_PAD_TOKEN = "[PAD]"`, `eod_token="<eod>"`
    "bos", "eos", "eod", "eot", "pad", "unk", "sep", "cls", "mask", "special", "avg", "prompt", "completion",
    # flags about credentials (`CORS_ALLOW_CREDENTIALS`, `ATHENA_OPTIONAL_CREDENTIALS`), decoded claims
    "allow", "allowed", "enable", "enabled", "disable", "disabled", "optional", "decoded", "cancel", "cancellation",
    "must",  # `user_must_change_password`: a flag
    "placeholder", "sentinel",
    # lists of passwords nobody may choose
    "common", "weak", "banned", "forbidden", "blocked", "blacklist", "blacklisted", "blocklist", "denylist",
    "disallowed", "leaked", "breached", "compromised",
})

# A plural `tokens` is a count (`kept_tokens`, `cached_tokens`), a lexer's or a language model's
# tokens, unless a word before it says whose credentials they are (`access_tokens`, `api_tokens`).
_CREDENTIAL_TOKEN_QUALIFIERS = frozenset({
    "access", "refresh", "id", "auth", "authentication", "authorization", "api", "bearer", "session", "oauth",
    "oauth2", "jwt", "user", "users", "service", "bot", "personal", "app", "client", "provider", "providers", "idp",
    "github", "gitlab", "slack", "discord", "telegram", "reset", "verification", "verify", "invite", "invitation",
    "magic", "login", "csrf", "xsrf", "otp", "mfa", "security", "secret", "sso", "pat", "org", "organization",
    "team", "workspace", "integration", "webhook", "connection", "account", "stored", "saved", "issued", "active",
    "valid", "credential", "admin", "root", "master", "trusted", "static", "internal", "system", "worker",
})
# `pass` as a password (`smtp_pass`, `DB_PASS`) or a pass of an algorithm, a status or a ticket
# (`eviction_pass`, `APPLY_PATCH_PASS`, `first_pass`, `boarding_pass`).
_NOT_A_PASSWORD_PASS = frozenset({
    "first", "second", "third", "fourth", "last", "final", "next", "single", "multi", "one", "two", "each", "full",
    "main", "extra", "patch", "apply", "install", "test", "tests", "build", "check", "lint", "compile", "render",
    "forward", "backward", "sweep", "mark", "gc", "boarding", "hall", "day", "season", "bus", "free", "by", "fast",
    "slow", "quick", "cheap", "late", "early", "tax", "type", "lex", "parse", "eval", "run", "step", "stage",
    "initial", "final",
})


def _a_pass_of_something(words: List[str]) -> bool:
    """`eviction_pass`, `APPLY_PATCH_PASS`: `pass` after a word that makes it a pass, not a password."""
    q = words[-2]
    return q in _NOT_A_PASSWORD_PASS or q.endswith(("ion", "ing", "ment", "ward"))

# Trailing words that name a representation of the same value.
_REPRESENTATION = frozenset({"bytes", "str", "string", "value", "val", "raw", "text", "b", "bin", "utf8", "plain",
                             "plaintext", "b64", "base64", "hex", "literal"})


# Common misspellings of the secret nouns (`secrete`, `passowrd`, `tokn`): bandit and ruff test them.
_MISSPELLED = {
    "secrete": "secret", "secert": "secret", "sercet": "secret", "secrt": "secret", "scret": "secret",
    "passowrd": "password", "pasword": "password", "passwrd": "password", "passwod": "password",
    "pssword": "password", "passord": "password", "paswd": "passwd", "pswd": "passwd", "passw": "passwd",
    "tokn": "token", "toekn": "token", "tocken": "token", "tokem": "token",
}
# A secret noun written as two words (`pass_word`, `passWord`).
_SPLIT_NOUNS = {("pass", "word"): "password", ("pass", "wd"): "passwd", ("pass", "phrase"): "passphrase",
                ("pass", "code"): "passcode"}
# Words after which the head noun comes before (`password_for_email`, `token_of_user`).
_PREPOSITIONS = frozenset({"for", "of"})


def _name_words(name: str) -> List[str]:
    """The words of a name as secret_name_kind reads them: misspellings corrected, nouns written as two
    words joined, the head before a preposition kept, trailing representation words dropped."""
    words = [_MISSPELLED.get(w, w) for w in split_words(name)]
    joined: List[str] = []
    for w in words:
        merged = _SPLIT_NOUNS.get((joined[-1], w)) if joined else None
        if merged:
            joined[-1] = merged
        else:
            joined.append(w)
    words = joined
    for i, w in enumerate(words):
        if w in _PREPOSITIONS and 0 < i < len(words) - 1:
            words = words[:i]  # `my_secret_password_for_email`: a password
            break
    while len(words) > 1 and words[-1] in _REPRESENTATION:
        words = words[:-1]  # `correct_password_bytes`, `secret_value`, `api_key_str`
    return words


_NAME_KINDS: Dict[str, Optional[str]] = {}  # secret_name_kind's answers (a pure function of the name)


def secret_name_kind(name: Optional[str]) -> Optional[str]:
    """secret_name_kind_of, memoised: the checks ask about the same identifiers many times."""
    if type(name) is not str:
        return secret_name_kind_of(name)
    try:
        return _NAME_KINDS[name]
    except KeyError:
        pass
    if len(_NAME_KINDS) > 100_000:
        _NAME_KINDS.clear()
    kind = _NAME_KINDS[name] = secret_name_kind_of(name)
    return kind


def secret_name_kind_of(name: Optional[str]) -> Optional[str]:
    """"password", "token" or "secret" when `name` names a secret value itself (its head noun
    is one), else None: `SECRET_KEY` secret, `db_password` password, `access_token` token;
    `token_type`, `TOKEN_URL`, `SECRET_KEY_ENV`, `ACCESS_TOKEN_EXPIRE_MINUTES`,
    `password_hash`, `hashed_password`, `PUBLIC_KEY`, `max_tokens` are not. Names in any case and
    common misspellings count (`PassWord`, `aPiKeY`, `secrete`)."""
    if not name or any(c.isspace() for c in name):
        return None  # `"code id_token"` is a phrase (an OAuth response type), not a name
    words = _name_words(name)
    if not words:
        return None
    kind = _kind_of_words(words)
    if kind is None and len(words) > 1 and re.fullmatch(r"[A-Za-z]+", name) and not name.islower() \
            and not name.isupper() and not (set(words) & (_NOT_THE_SECRET | _NOT_THE_SECRET_ANYWHERE)):
        # Odd case (`aPiKeY`, `PassWord`) splits into pieces that are no words: the whole name is one.
        kind = _kind_of_words([_MISSPELLED.get(name.lower(), name.lower())])
    return kind


def _kind_of_words(words: List[str]) -> Optional[str]:
    if len(words) > 1 and (words[0] in _NOT_THE_SECRET or set(words[:-1]) & _NOT_THE_SECRET_ANYWHERE):
        return None
    head = words[-1]
    if head == "pass" and len(words) > 1 and _a_pass_of_something(words):
        return None
    if head in PASSWORD_NOUNS:
        return "password"
    if head == "tokens" and (len(words) == 1 or words[-2] not in _CREDENTIAL_TOKEN_QUALIFIERS):
        return None
    if head in TOKEN_NOUNS:
        return "token"
    if head in SECRET_NOUNS:
        return "secret"
    if head in ("key", "keys") and len(words) > 1 and words[-2] in KEY_QUALIFIERS:
        return "secret"
    if head in ("key", "keys") and len(words) > 2 and words[-2] == "access" and set(words[:-2]) & KEY_QUALIFIERS:
        # An access key alone is the public half of a key pair (S3's and MinIO's access key ID beside
        # a `secret_key`), or a lookup key (`FrontendAccess.access_key`); `secret_access_key` is secret.
        return "secret"
    if len(words) == 1:
        for ending, kind in _COMPOUND_ENDINGS:
            if head.endswith(ending) and head != ending:
                return kind
    return None


# Words before `token` that make it a public identifier (`url_token`: a profile's slug, shown in URLs).
_PUBLIC_ID_QUALIFIERS = frozenset({"url", "uri", "slug", "profile", "handle", "permalink"})


def names_public_identifier(name: Optional[str]) -> bool:
    """`url_token`, `slug_token`: the token of a URL, a public identifier, not a credential (judged
    by its value where it is a literal: a slug is public, a random string is still a secret)."""
    if not name:
        return False
    words = _name_words(name)
    return len(words) > 1 and words[-1] in ("token", "tokens") and words[-2] in _PUBLIC_ID_QUALIFIERS


# What a secret is for (`secret_role`): a key the application signs or verifies with (a literal lets
# anyone forge what it signs), or a credential it presents to another service (a database password,
# an object-store key: a development default there lets nobody forge anything).
_SIGNING_WORDS = frozenset({
    "jwt", "jws", "jwe", "signing", "sign", "signature", "session", "sessions", "hmac", "webhook", "webhooks", "csrf",
    "xsrf", "cookie", "cookies", "download", "hs256", "nextauth", "django", "flask", "starlette", "middleware",
    "itsdangerous", "verify", "verification", "reset", "invite", "magic",
})
_SERVICE_WORDS = frozenset({
    "db", "database", "postgres", "postgresql", "pg", "psql", "mysql", "mariadb", "mongo", "mongodb", "redis",
    "rabbitmq", "rabbit", "amqp", "broker", "celery", "kafka", "elastic", "elasticsearch", "opensearch", "minio",
    "s3", "aws", "gcs", "gcp", "azure", "storage", "bucket", "blob", "smtp", "mail", "email", "imap", "sendgrid",
    "mailgun", "ses", "twilio", "openai", "anthropic", "llm", "gemini", "mistral", "cohere", "huggingface", "hf",
    "stripe", "paypal", "github", "gitlab", "bitbucket", "google", "facebook", "twitter", "slack", "discord",
    "telegram", "sentry", "posthog", "ldap", "ftp", "sftp", "ssh", "proxy", "pgadmin", "influx", "influxdb",
    "clickhouse", "neo4j", "qdrant", "pinecone", "weaviate", "firebase", "client", "vault", "registry", "docker",
    "gateway", "provider", "upstream", "remote", "external", "oauth", "sso", "oidc",
})
SIGNING = "signing"
OUTBOUND = "outbound"


def secret_role(name: Optional[str]) -> Optional[str]:
    """SIGNING for a secret the application signs or verifies with (`JWT_SECRET`, `SECRET_KEY`,
    `SESSION_SECRET`, `WEBHOOK_SECRET`, `S3_FILES_DOWNLOAD_SECRET`), OUTBOUND for a credential it
    presents to another service (`POSTGRES_PASSWORD`, `MINIO_SECRET_KEY`, `GITHUB_CLIENT_SECRET`),
    None when the name does not say (`API_KEY`, `ROOT_TOKEN`, `ADMIN_PASSWORD`)."""
    kind = secret_name_kind(name)
    if kind is None or name is None:
        return None
    # (With the parts that carry digits, which split_words drops: `S3_SECRET_ACCESS_KEY`.)
    words = set(_name_words(name)) | {c.lower() for c in re.split(r"[^A-Za-z0-9]+", name) if c}
    if kind == "secret" and words & _SIGNING_WORDS:
        return SIGNING
    if words & _SERVICE_WORDS:
        return OUTBOUND  # `AUTH_DISCORD_CLIENT_SECRET` too: presented to Discord
    if kind == "secret" and not words & {"api", "apikey", "access", "private", "credential", "credentials", "creds",
                                         "license", "account", "consumer", "subscription", "developer", "bot",
                                         "encryption", "encrypt", "fernet", "aes", "cipher", "crypto"}:
        return SIGNING  # `SECRET_KEY`, `AUTH_SECRET`, `POLAR_SECRET`: the application's own key
    return None


def says_it_signs(name: Optional[str]) -> bool:
    """A secret whose name says what it signs or verifies (`JWT_SECRET`, `SESSION_SECRET_KEY`,
    `auth_secret`, `WEBHOOK_SECRET`), not only that it is the application's (`SECRET_KEY`)."""
    return secret_role(name) == SIGNING and bool(set(_name_words(name or "")) & (_SIGNING_WORDS | {"auth"}))


_CHAR_CLASS = ((str.isupper, "A"), (str.islower, "a"), (str.isdigit, "0"))


def looks_random(value: str) -> bool:
    """A generated value (hex, base64, a random password) rather than one a person typed as a default
    (`"postgres"`, `"minioadmin"`, `"StrongPassword123!"`): its characters change class often."""
    v = value.strip()
    if len(v) < 12:
        return False
    classes = [next((k for test, k in _CHAR_CLASS if test(c)), "-") for c in v]
    changes = sum(1 for a, b in zip(classes, classes[1:]) if a != b)
    return changes / (len(v) - 1) >= 0.3


def names_a_name(name: Optional[str]) -> bool:
    """Names whose value is the *name* of a secret, not the secret: `SECRET_KEY_ENV`,
    `TOKEN_HEADER`, `PASSWORD_FIELD`, `api_key_name`, `token_cookie`."""
    if not name:
        return False
    words = split_words(name)
    return bool(words) and words[-1] in {"env", "var", "variable", "name", "field", "header", "cookie",
                                         "param", "parameter", "key_name", "attr", "attribute", "alias",
                                         "column", "label", "setting"}


# -- values --------------------------------------------------------------------------------------

# Token and grant *types*: labels, never credentials.
TYPE_LABELS = frozenset({
    "bearer", "basic", "digest", "refresh_token", "access_token", "id_token", "authorization_code",
    "client_credentials", "implicit", "jwt", "mac", "hs256", "rs256", "es256", "token", "code",
    "api_key", "apikey", "header", "query", "cookie", "password", "refresh", "access",
})
# Not values at all: masks, "no value" words, template syntax a generator substitutes.
# Values that say they are not valid credentials (a test's rejected token): `"invalid"`,
# `"bad-token"`, `"not-a-valid-jwt"`.
_INVALID_RX = re.compile(r"(invalid|garbage|bogus|wrong|bad|expired|malformed|broken|junk|nope|"
                         r"not[-_ ]?an?[-_ ]?(valid[-_ ]?|real[-_ ]?)?)([-_ ]?(token|key|secret|password|jwt|"
                         r"credentials?|value|one))?", re.I)
# A language model's special tokens: `[PAD]`, `</s>`, `<|endoftext|>`, `<eod>`.
_SPECIAL_TOKEN_RX = re.compile(r"<\|[\w.-]{1,24}\|>|\[[A-Z_]{2,12}\]|</?[a-z_]{1,8}>")
_NON_VALUES = frozenset({"redacted", "[redacted]", "<redacted>", "(redacted)", "hidden", "masked", "none",
                         "null", "nil", "undefined", "true", "false", "n/a", "na", "-", "unset", "not set",
                         "<hidden>", "[hidden]", "[filtered]", "filtered", "omitted", "<omitted>",
                         # "no key needed" conventions of local OpenAI-compatible servers (vLLM, llama.cpp)
                         "empty", "unused", "not-needed", "not_needed", "notneeded", "no-key", "nokey",
                         "sk-no-key-required", "not-used", "ignored"})
_MASK_CHARS = frozenset("*xX\u2022.#-_?\u2026 ")
# Words that say a value was taken out (`"<redacted otp secret>"`, `"elided"`, `"[removed]"`).
_MASK_WORDS = frozenset({"redacted", "masked", "elided", "omitted", "censored", "obfuscated", "scrubbed", "removed",
                         "hidden", "filtered"})
# Placeholders: strings that hold the place of a secret and, left in the code, become the
# production secret (full-stack-fastapi-template's "changethis" shipped to real deployments).
# Reported, with a message of their own.
_PLACEHOLDER_WORDS = frozenset({
    "changethis", "changeme", "change", "secret", "secretkey", "mysecret", "mysecretkey", "supersecret",
    "supersecretkey", "topsecret", "yoursecret", "yoursecretkey", "password", "pass", "admin", "test",
    "testing", "dev", "development", "default", "example", "sample", "dummy", "fake", "foo", "bar",
    "foobar", "abc", "abc123", "123", "1234", "12345", "123456", "12345678", "123456789", "qwerty",
    "letmein", "replaceme", "todo", "fixme", "tbd", "insecure", "notsecret", "notasecret", "key",
    "token", "mytoken", "apikey", "myapikey", "yourapikey", "yourtoken", "placeholder", "xxx", "local",
    "debug", "unsafe", "hunter2", "root", "toor", "guest", "demo", "string", "fillmein", "fillme", "placeholder",
})
# Placeholders that say, in so many words, that they must be replaced: compared with the
# configured value, they are a guard against deploying them (`if key != "PLACEHOLDER"`), not a
# credential check.
_MARKER_PLACEHOLDER_RX = re.compile(
    r"placeholder|change[\W_]*(this|me|it)|fill[\W_]*(me|this|it)|replace[\W_]*(me|this|it)|^(todo|fixme|tbd|xxx+)$"
    r"|^<[^<>]+>$|^\[[^\[\]]+\]$|^(your|enter|insert|put|set)[\W_]", re.I)
# A word for a credential followed by a few digits (`password1234`, `admin123`).
_WORD_DIGITS_RX = re.compile(r"^(password|passwd|pass|admin|secret|test|user|demo|guest|root|qwerty|letmein|welcome|"
                             r"default|dev|changeme|token|key)[\W_]?\d{1,8}$", re.I)
# Lower-case words ending in the kind of secret they stand for: a value that describes itself
# (`"openapi-client-secret"`, `"llm-token"`), a stand-in rather than a key.
# Words that say a value is a stand-in (`"sk-FAKE-OPENAI-API-KEY"`, `"dummy-token"`).
_STAND_IN_WORDS = frozenset({"fake", "dummy", "placeholder", "example", "sample", "mock", "stub", "fixme", "todo"})
_SELF_DESCRIBED_RX = re.compile(r"^[a-z]+([-_][a-z]+)*[-_](secret|key|token|password|passwd|pass|apikey|pwd)$")
_PLACEHOLDER_RX = re.compile(
    r"^(<[^<>]*(secret|key|token|passw|pwd|pass|api|credential)[^<>]*>|\[[^\[\]]*(secret|key|token|passw|pwd|api)[^\[\]]*\])$"  # <your-secret>, [API_KEY]
    r"|change[\W_]*(this|me|it)"  # change-this-in-production
    r"|^(please|must|todo|fixme)[\W_]*(change|replace|set)"
    r"|^(your|my|the|some|a|super|top|very)[\W_]+.{0,20}(secret|key|token|password|passwd)"  # your-secret-key
    r"|^(dev|devel|development|test|testing|local|debug|insecure|unsafe|dummy|fake|example|sample|default|demo)"
    r"[\W_]+.{0,30}(secret|key|token|password|passwd|pass)"  # dev-secret-key, test_password
    r"|^(secret|super[\W_]*secret|top[\W_]*secret)[\W_]*(key|token|value|secret|password|[0-9]*)$",
    re.I,
)
# The same, written without separators (`DummyKey`, `ChangeMe`, `YourApiKey`).
_PLACEHOLDER_NORM_RX = re.compile(
    r"(dummy|fake|changeme|changethis|your|my|example|sample|placeholder|insecure|dev|test|default|demo|mock)"
    r"(api)?(secret|key|token|password|pass|value)\d*")
# A regular expression (`r"[!#$%&'*+.^_`|~A-Za-z0-9-]+"`, `r"^\\d{6}$"`).
_REGEX_RX = re.compile(r"\[[^\]]+\][+*?{]|\\[dswbDSWB]|\(\?[:P<=!]|^\^.+\$$")
# A media type (`"application/octet-stream"`), a PEM armour line without a body (what a scanner looks
# for), a local host (`api_key = "localhost"`: the convention for "no key, a local server").
_MIME_RX = re.compile(r"^(application|text|image|audio|video|multipart|message|font|model)/[a-z0-9.+-]+"
                      r"(\s*;\s*[a-z-]+=[\w.-]+)*$", re.I)
_PEM_ARMOUR_RX = re.compile(r"^-----(BEGIN|END) [A-Z0-9 ]+-----\s*$")
_LOCAL_HOST_RX = re.compile(r"^(localhost|127\.0\.0\.1|0\.0\.0\.0|::1|\[::1\]|host\.docker\.internal)(:\d{1,5})?$", re.I)
# A slug: lower-case words and short numbers joined by hyphens (`"jane-doe-42"`).
_SLUG_RX = re.compile(r"[a-z]+(?:[-_.](?:[a-z]+|\d{1,4}))*")
# A relative module (`".types"`, `"..api.secrets"`): lazy-import tables.
_REL_MODULE_RX = re.compile(r"^\.{1,3}[A-Za-z_][\w.]*$")
# A prefix (`"secret-"`, `"sk_"`, `"token:"`): what identifiers start with, not a value.
_PREFIX_RX = re.compile(r"^[a-z][a-z0-9]*([-_.][a-z0-9]+)*[-_:./]$")
# A sentinel label (`"__pending_bot_token__"`).
_SENTINEL_RX = re.compile(r"^_{1,2}[a-z][a-z0-9_]*[a-z0-9]_{1,2}$")
# A log or output marker (`">>>>> Applied Patch"`, `"*** Tests Passed"`).
_MARKER_PREFIX_RX = re.compile(r"^[^\w\s]{2,}\s")
# Keys made to be public (PostHog project keys, Stripe publishable keys, Mapbox public tokens).
_PUBLIC_KEY_RX = re.compile(r"^(phc_|pk_live_|pk_test_|pk\.eyJ)")
_FORMAT_RX = re.compile(r"\{[A-Za-z_0-9.\[\]!:]*\}|%\([A-Za-z_]\w*\)[sdr]|%[sdrif]\b|\$\{[^}]*\}|\{\{[^}]*\}\}")
_URL_RX = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_PATH_RX = re.compile(r"^(\.{0,2}/|~/|[A-Za-z]:\\)[^\s]*$")
_FILE_EXT_RX = re.compile(r"\.(pem|key|crt|cer|der|p12|pfx|jks|json|txt|env|ya?ml|toml|ini|cfg|conf|pub|asc|gpg)$", re.I)
_HEADER_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "www-authenticate"})
_UPPER_IDENT = re.compile(r"^[A-Z][A-Z0-9]*(_+[A-Z0-9]+)+$")  # `TRACECAT__API_URL` too
_SECRET_WORDS = PASSWORD_NOUNS | TOKEN_NOUNS | SECRET_NOUNS | {"key", "keys", "api"}

_DUMMY_PREFIXED = re.compile(r"^(xox[abposr]-|xapp-|(sk|pk|rk)_(live|test)_|gh[pousr]_|github_pat_|glpat-|AKIA|ASIA|AIza|"
                            r"hf_|npm_|SG\.|sk-(proj-|ant-)?)", re.I)

_MESSAGE_WORDS = frozenset({
    "invalid", "incorrect", "wrong", "required", "must", "expired", "missing", "enter", "please", "your", "is",
    "are", "not", "failed", "error", "cannot", "can", "should", "too", "short", "match", "matches", "does",
    "doesn", "provided", "characters", "least", "has", "have", "been", "was", "no", "bad", "unknown",
    "malformed", "revoked", "unauthorized", "forbidden", "denied", "could", "unable", "new", "confirm",
    "forgot", "reset", "change", "show", "hide", "login", "sign", "log", "for", "the", "of", "to", "with",
    "during", "after", "before", "when", "once", "only", "store", "stored", "securely", "generated", "here",
})

SECRET = "secret"
PLACEHOLDER = "placeholder"
A_NAME = "name"  # the value is the name of a secret (an env var, a field): a secret only if used as one


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


def classify_value(value: str, name: Optional[str] = None, kind: Optional[str] = None) -> Optional[str]:
    """SECRET, PLACEHOLDER, A_NAME or None (not a secret) for a string literal found where a
    secret goes (under a secret-like `name` of `kind`, or as a signing key)."""
    v = value.strip()
    if not v:
        return None
    low = v.lower()
    if low in _NON_VALUES or set(v) <= _MASK_CHARS or _INVALID_RX.fullmatch(v) or _SPECIAL_TOKEN_RX.fullmatch(v):
        return None
    if _FORMAT_RX.search(v):  # a format string or a template a generator substitutes
        return None
    if set(split_words(low)) & _MASK_WORDS and (len(v) <= 24 or v[0] in "<[(*"):
        return None  # `"<redacted otp secret>"`, `"elided"`
    if _REGEX_RX.search(v) or _REL_MODULE_RX.match(v) or _PREFIX_RX.match(v) or _PUBLIC_KEY_RX.match(v):
        return None
    if _SENTINEL_RX.match(v):
        return A_NAME
    if _MIME_RX.match(v) or _PEM_ARMOUR_RX.match(v) or _LOCAL_HOST_RX.match(v):
        return None  # `"application/json"` under an Authorization key, a PEM header alone, "localhost" for "no key"
    if name is not None and names_public_identifier(name) and _SLUG_RX.fullmatch(v):
        return None  # `url_token = "jane-doe-42"`: a profile's slug
    if _RATE_RX.fullmatch(v):
        return None  # `"30/minute"`: a rate limit
    if _URL_RX.match(v):
        return None  # credentials inside URLs are found by token_formats()
    if _PATH_RX.match(v) or (_FILE_EXT_RX.search(v) and " " not in v):
        return None
    m = re.match(r"^(bearer|basic|token|jwt|digest|apikey|api-key)\s+(\S+)$", v, re.I)
    if m:  # an Authorization header's value: judge the credential after the scheme
        cred = m.group(2)
        if re.fullmatch(r"[a-z]{1,12}|[a-z]+[-_][a-z]+", cred):
            return None  # `Bearer garbage`, `Bearer invalid-token`: a test's rejected token
        return classify_value(cred, None, kind)
    if _DUMMY_PREFIXED.match(v) and not _random_enough(v):
        return None  # `xoxb-valid`, `sk_test_123`, `ghp_xxxx`: the shape of a key, not a key
    words = split_words(v)
    if any(c.isspace() for c in v):
        # Prose: an error message, a label or a description (`"Incorrect email or password"`),
        # not a passphrase (`"correct horse battery staple"`, `"super secret jwt secret"`).
        if v[-1] in ".!?:" or len(words) >= 6 or set(words) & _MESSAGE_WORDS or _MARKER_PREFIX_RX.match(v) \
                or re.search(r"\s[-–—]\s", v):  # `"Generated during creation - store securely"`
            return None
        if v[0].isupper() and set(words) & _SECRET_WORDS and not is_stand_in(v):
            return None  # a title (`"Elastic Api Key"`, `"GitHub personal access token"`), not a passphrase
    if low in _HEADER_NAMES or re.match(r"^x-[A-Za-z0-9-]+$", v, re.I):
        return None
    if name is not None:
        nv, nn = _norm(v), _norm(name)
        if nv == nn and v[0].isupper() and v[1:].islower() and name.islower():
            return A_NAME  # `"password": "Password"`: the label a form or a translation shows for the field
        if nv == nn and name.islower() and kind in ("password", "secret") and nv in _PLACEHOLDER_WORDS:
            return PLACEHOLDER  # `password = "password"`: a variable, not a table of names (`PASSWORD = "password"`)
        if nv == nn:
            return A_NAME
        name_words = split_words(name)
        if len(words) >= 2 and name_words[-len(words):] == words and not re.search(r"\d", v):
            return A_NAME
        if re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", v) and words[-len(name_words):] == name_words \
                and not is_stand_in(v):
            # `access_token = "polar_access_token"`: a label that names its kind; not when the words
            # before it say it is a stand-in (`SECRET_KEY = "dev_secret_key"`, as `"dev-secret-key"`)
            return A_NAME
        if re.fullmatch(r"[a-z]+(_[a-z]+)+", v) and set(words) & set(name_words) \
                and any(w.endswith("ed") and w not in name_words for w in words):
            return A_NAME  # `REASON_PASSWORD = "password_changed"`: a reason or a status code, an event of it
        if _KEY_PATH_RX.fullmatch(v) and split_words(re.split(r"[/.:]", v)[-1])[-len(name_words):] == name_words:
            return A_NAME  # `"accessToken": "cursorAuth/accessToken"`: the key it is stored under in a store
        if len(name_words) >= 2 and re.fullmatch(r"[a-z0-9]+([-_][a-z0-9]+)+", v) \
                and words[-len(name_words):] == name_words and len(words) <= len(name_words) + 2:
            return PLACEHOLDER  # `SECRET_KEY = "e2e-secret-key"`: a value that names its setting, a stand-in
    if _UPPER_IDENT.match(v) and set(words) & _SECRET_WORDS:
        return A_NAME  # `"JWT_SECRET"`: an environment variable's name
    if low == "password" and kind == "password":
        return PLACEHOLDER
    if low in TYPE_LABELS:
        return None
    if is_stand_in(v) or _SELF_DESCRIBED_RX.match(v):
        return PLACEHOLDER
    if _permission_name(v, name):
        return A_NAME  # `"password.reset_any"`, `"users.token.revoke"`: a permission or a scope's name
    if len(v) <= 3:
        return None  # `"0"`, `"url"`: too short to be anybody's credential
    if _UPPER_IDENT.match(v) and all(re.fullmatch(r"[A-Z]+[0-9]{0,2}", part) for part in v.split("_") if part):
        return A_NAME  # `"TRACECAT_AWS_EXTERNAL_ID"`: an environment variable's or a setting's name
    if re.fullmatch(r"[A-Z]{2,10}", v):
        return None  # a sentinel (`password = "LDAP"` marks users who sign in elsewhere)
    return SECRET


# A key in a store or a settings tree: identifiers joined by `/`, `.` or `:` (`"cursorAuth/accessToken"`).
_KEY_PATH_RX = re.compile(r"[A-Za-z_][A-Za-z0-9_]*([/.:][A-Za-z_][A-Za-z0-9_]*)*[/.:][A-Za-z_]+")
_RATE_RX = re.compile(r"\d+\s*(/|per)\s*(\d+\s*)?(s|sec|second|m|min|minute|h|hour|d|day|week|month|year)s?", re.I)

_PERMISSION_RX = re.compile(r"[a-z]+(?:_[a-z]+)*(?:[.:][a-z]+(?:_[a-z]+)*)+")


def _permission_name(v: str, name: Optional[str]) -> bool:
    """A dotted or colon-separated chain of distinct lowercase words that names the secret's kind
    or repeats the variable's own words (`RESET_ANY_PASSWORD = "password.reset_any"`,
    `"api_keys:write"`): a permission or a scope, which no one would pick as a secret. `"admin:admin"`
    (repeated parts) and anything with digits or capitals stay candidates."""
    if not _PERMISSION_RX.fullmatch(v):
        return False
    parts = re.split(r"[.:]", v)
    if len(set(parts)) < len(parts):
        return False
    words = set(split_words(v))
    return bool(words & _SECRET_WORDS) or (name is not None and len(words & set(split_words(name))) >= 1)


# -- token formats ---------------------------------------------------------------------------------

_B64URL = r"[A-Za-z0-9_-]"
_JWT_RX = re.compile(rf"\beyJ{_B64URL}{{8,}}\.eyJ{_B64URL}{{4,}}\.{_B64URL}{{16,}}")
_PEM_PRIVATE_RX = re.compile(
    r"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----\s*"
    r"((?:[A-Za-z0-9+/=]{16,}\s*|[A-Za-z-]+: [^\n]*\n\s*){2,})"
)
_PROVIDERS: Tuple[Tuple[str, "re.Pattern[str]"], ...] = (
    ("AWS access key ID", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b")),
    ("GitHub fine-grained token", re.compile(r"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b")),
    ("GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20}\b")),
    ("Slack token", re.compile(r"\bxox[abposr]-(?:\d+-)+[A-Za-z0-9-]{10,}")),
    ("Slack webhook URL", re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}")),
    ("Stripe live key", re.compile(r"\b(?:sk|rk)_live_[0-9A-Za-z]{20,}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("OpenAI API key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"
                                  r"|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|\bsk-[A-Za-z0-9]{48}\b")),
    ("Anthropic API key", re.compile(r"\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}")),
    ("SendGrid API key", re.compile(r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b")),
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z]{34}\b")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("PyPI token", re.compile(r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}")),
    ("Twilio API key", re.compile(r"\bSK[0-9a-f]{32}\b")),
)
_URL_CREDS_RX = re.compile(r"\b([a-z][a-z0-9+.\-]*)://([^\s:/@]+):([^\s/@]+)@([^\s/:?#]+)", re.I)
# Values published in documentation as examples (AWS's, jwt.io's): not anybody's secret.
_KNOWN_EXAMPLES = ("EXAMPLE", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]", "host.docker.internal"})


def _random_enough(s: str) -> bool:
    """Fakes like `ghp_xxxxxxxx…`, `AKIA0000000000000000` or `sk_live_123456789…` are not keys."""
    body = re.sub(r"^[a-z]+[_-]+", "", s, flags=re.I)
    return len(set(body)) >= 8 and not re.search(r"(.)\1{5,}", body) and "0123456789" not in body \
        and "abcdefgh" not in body.lower()


def _jwt_header_ok(token: str) -> bool:
    head = token.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4))
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "alg" in data and str(data.get("alg", "")).lower() != "none"


def token_formats(text: str) -> List[Tuple[str, str]]:
    """(what, the matched secret) for every well-known credential format in `text`."""
    out: List[Tuple[str, str]] = []
    if len(text) < 16:
        return out
    if "eyJ" in text:
        for m in _JWT_RX.finditer(text):
            tok = m.group(0)
            if _jwt_header_ok(tok) and not any(e in tok for e in _KNOWN_EXAMPLES) and _random_enough(tok.rsplit(".", 1)[1]):
                out.append(("JSON Web Token", tok))
    if "PRIVATE KEY" in text:
        for m in _PEM_PRIVATE_RX.finditer(text):
            body = re.sub(r"\s+", "", m.group(2))
            if _random_enough(body):
                out.append(("PEM private key", m.group(0)))
    for what, rx in _PROVIDERS:
        for m in rx.finditer(text):
            tok = m.group(0)
            if not any(e in tok for e in _KNOWN_EXAMPLES) and _random_enough(tok):
                out.append((what, tok))
    if "://" in text and "@" in text:
        for m in _URL_CREDS_RX.finditer(text):
            password, host = m.group(3), m.group(4).lower()
            if host in _LOCAL_HOSTS or "." not in host:
                continue  # a local or docker-compose service: a development default
            if classify_value(password, "password", "password") not in (SECRET,):
                continue
            out.append((f"password in a {m.group(1).lower()} URL", password))
    return out


def is_stand_in(value: str) -> bool:
    """A placeholder, a weak default or a fake (`"changethis"`, `"admin123"`, `"your-api-key"`,
    `"sk-FAKE-KEY"`): reported, with the placeholder message."""
    v = value.strip()
    n = _norm(v)
    return bool(n in _PLACEHOLDER_WORDS or _PLACEHOLDER_RX.search(v) or _PLACEHOLDER_NORM_RX.fullmatch(n)
                or _MARKER_PLACEHOLDER_RX.search(v) or _WORD_DIGITS_RX.match(v)
                or set(split_words(v)) & _STAND_IN_WORDS)


def is_marker_placeholder(value: str) -> bool:
    """A placeholder that says it must be replaced (`"PLACEHOLDER"`, `"changethis"`, `"fillmein"`,
    `"<your-key>"`), as opposed to a weak but usable value (`"admin"`, `"password"`)."""
    v = value.strip()
    return bool(v) and bool(_MARKER_PLACEHOLDER_RX.search(v) or _norm(v) in ("changethis", "changeme", "fillmein",
                                                                                "replaceme", "placeholder"))


def is_template(value: str) -> bool:
    """A format string or a template a generator fills in (`"{{cookiecutter.secret_key}}"`)."""
    return bool(_FORMAT_RX.search(value))


def is_public_key(value: str) -> bool:
    """A public key or certificate: safe to hard-code (an RS256 verifier's key)."""
    return bool(re.search(r"-----BEGIN (RSA |EC )?(PUBLIC KEY|CERTIFICATE)-----|^ssh-(rsa|ed25519|dss) ", value))


_TEST_NAME = re.compile(r"^(Test|test_|Fake|Mock|Dummy|Stub)")
_TEST_LIKE_PATH = re.compile(r"(^|/)(seeds?|seeders?|seeding|seed_\w+|fixtures|factories|mocks?|fakes?|stubs?|"
                             r"sample_data|demo_data|harness(es)?|test_?harness|test_?support|test_?utils?|"
                             r"test_?helpers|test_?data)(/|\.py$|_\w*\.py$)|(^|/)\w+_seeders?\.py$", re.I)


def is_test_name(name: str) -> bool:
    """A class or function that is test scaffolding (`TestAppSettings`, `test_login`,
    `FakeMailer`) even outside tests/: its values get the lower severity test code gets."""
    return bool(_TEST_NAME.match(name))


def is_test_like_path(rel_path: str) -> bool:
    """Development data and test support outside tests/ (seed scripts, seeders, fixtures,
    factories, mocks, a test harness: `scripts/seeds_load.py`, `database/seeders/mfa_seeder.py`,
    `app/fixtures/users.py`, `harness/capture_vectors.py`) and documentation code (`docs/`,
    `docs_src/`): not deployed, so the lower severity of test code."""
    return bool(_TEST_LIKE_PATH.search(rel_path)) or is_documentation_path(rel_path)


_DEV_TOOLING_PATH = re.compile(r"(^|/)(scripts?|bin|benchmarks?|bench|devtools?|hack)/|(^|/)[\w.-]+[-_]benchmarks?/", re.I)
_DEV_WORDS = frozenset({"dev", "devel", "development", "seed", "seeds", "seeding", "demo", "sample", "fixture",
                        "fixtures", "test", "testing", "e2e", "qa", "smoke"})


def is_dev_tooling_path(rel_path: str) -> bool:
    """Development tooling that is not deployed with the application: scripts, benchmarks
    (`scripts/openapi/generate.py`, `packages/app-benchmark/runner.py`). Stand-in values there get
    the lower severity of test code; a real key there is still a leak."""
    return bool(_DEV_TOOLING_PATH.search(rel_path))


def is_dev_name(name: str) -> bool:
    """A function made for development or test data (`create_dev_user`, `seed_demo_org`,
    `create_test_user`)."""
    return bool(set(split_words(name)) & _DEV_WORDS)
