"""FAL301 hardcoded-secret (spec §6.1): secrets MUST come from the environment or a secret store,
never from literals in the code.

Reported: a string literal that is a secret — the key given to a JWT/signing library
(`jwt.encode(payload, "my-key")`, also a module constant passed there), a literal assigned to,
defaulted for or compared with a name whose head noun is a secret (`SECRET_KEY = "…"`,
`def f(api_key="…")`, `{"client_secret": "…"}`, `self.password = "…"`, dataclass and model fields,
`if password == "admin123"`, `secrets.compare_digest(given, b"…")`), and a well-known credential
format anywhere (JWTs, PEM private keys, provider keys, passwords inside URLs). A placeholder
(`"changethis"`) is reported too, with a message of its own: left in the code, it becomes the
production secret. Each function returns what it finds (`Hit`) for the visitor to collect.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.literals import FIX, Hit, default_of, masked_value, shown_value, string_of, \
    target_name
from fastauthlint.checks.secrets.sensitive import (
    A_NAME,
    PLACEHOLDER,
    SECRET,
    SIGNING,
    classify_value,
    is_marker_placeholder,
    is_public_key,
    is_stand_in,
    is_template,
    names_a_name,
    secret_name_kind,
    secret_role,
    split_words,
    token_formats,
)
from fastauthlint.masking import mask_secret

RULE = "FAL301"

# (parameter name, position) of the key argument of signing/verifying APIs.
KEY_SINKS: Dict[str, Tuple[str, int]] = {
    "jwt.encode": ("key", 1),
    "jwt.decode": ("key", 1),
    "jwt.api_jwt.encode": ("key", 1),
    "jwt.api_jwt.decode": ("key", 1),
    "jwt.api_jws.encode": ("key", 1),
    "jwt.api_jws.decode": ("key", 1),
    "jose.jwt.encode": ("key", 1),
    "jose.jwt.decode": ("key", 1),
    "jose.jws.sign": ("key", 1),
    "jose.jws.verify": ("key", 1),
    "authlib.jose.jwt.encode": ("key", 2),
    "authlib.jose.jwt.decode": ("key", 1),
    "itsdangerous.URLSafeTimedSerializer": ("secret_key", 0),
    "itsdangerous.URLSafeSerializer": ("secret_key", 0),
    "itsdangerous.Serializer": ("secret_key", 0),
    "itsdangerous.TimedSerializer": ("secret_key", 0),
    "itsdangerous.Signer": ("secret_key", 0),
    "itsdangerous.TimestampSigner": ("secret_key", 0),
    "itsdangerous.url_safe.URLSafeTimedSerializer": ("secret_key", 0),
    "hmac.new": ("key", 0),
    "hmac.digest": ("key", 0),
    "cryptography.fernet.Fernet": ("key", 0),
    "jwcrypto.jwk.JWK.from_password": ("password", 0),
}
_LOGIN_KEYS = frozenset({"user", "username", "user_name", "login", "email", "name", "account", "uid"})
# A label passed as a keyword argument (`api_key="health-probe"`, `token="mcp-http-session-owner"`):
# lower-case words joined by hyphens, the name of a principal or a purpose, not a key.
_KEBAB_LABEL = re.compile(r"[a-z]{2,}(-[a-z]{2,}){1,4}")


def named_literal(name: str, value: cst.BaseExpression, where: str, default: bool = False) -> Optional[Hit]:
    """A secret literal stored under a secret-like name (`default`: the literal may be wrapped,
    `= Field("x")`, `= Query("x")`), or one of a list of them (`ROOT_TOKENS = ["1234"]`)."""
    kind = secret_name_kind(name)
    if kind is None or names_a_name(name):
        return None
    lit = default_of(value) if default else (value if string_of(value) is not None else None)
    if lit is None:
        return _listed(name, kind, value, where)
    text = string_of(lit)
    verdict = classify_value(text, name, kind)
    if verdict not in (SECRET, PLACEHOLDER):
        return None
    if kind == "password" and _PASSWORD_HASH.match(text):
        # The hash is not the secret, and the environment is the wrong home for it; what it pins is
        # one password, known to the developers, for every account given it.
        return Hit(lit, f"password hash hardcoded in {where} `{name}` ({mask_secret(text)}): every account "
                        f"given it shares one password the developers know; give each account its own "
                        f"(generated, or set on first login)", 1, verdict, kind, warning=True)
    return Hit(lit, f"hardcoded {kind} in {where} `{name}`: {masked_value(verdict, text)}; {FIX}", 1, verdict,
               kind)


# Password hash formats (bcrypt, argon2, PBKDF2 as passlib and Django write it, crypt's SHA-512).
_PASSWORD_HASH = re.compile(r"^(\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}|\$argon2(id|i|d)\$\S+|"
                            r"\$pbkdf2(-sha\d+)?\$\S+|pbkdf2_sha\d+\$\d+\$\S+|\$[56]\$\S+)$")


def _listed(name: str, kind: str, value: cst.BaseExpression, where: str) -> Optional[Hit]:
    """The first secret of a list, tuple or set of literals stored under a plural secret's name
    (`ROOT_TOKENS = ["1234"]`, `API_KEYS = ("k-9f…",)`)."""
    if where == "dictionary key" and split_words(name)[-1] not in _PLURAL_SECRETS:
        # `{"JWT_SECRET_KEY": ["change-me", ...]}`: a setting's name mapped to several values of it, a
        # table of candidates (the defaults the application refuses), not the one secret it uses.
        return None
    hit = listed_secret(name, kind, value)
    if hit is None:
        return None
    lit, text, verdict = hit
    return Hit(lit, f"hardcoded {kind} in a list in {where} `{name}`: {masked_value(verdict, text)}; {FIX}", 1,
               verdict, kind)


def listed_secret(name: str, kind: str, value: Optional[cst.BaseExpression]
                  ) -> Optional[Tuple[cst.BaseExpression, str, str]]:
    """(literal, text, verdict) of the first secret among the literals of a short list display (a
    long one is a table: a blocklist of common passwords, test vectors)."""
    if isinstance(value, cst.Call) and astutil.name_of(value.func) in ("Field", "field"):
        value = astutil.argument(value, "default", 0)
    if not isinstance(value, (cst.List, cst.Tuple, cst.Set)) or len(value.elements) > 5 \
            or set(split_words(name)) & _REFUSED_LISTS:
        return None
    texts = [string_of(el.value) for el in value.elements]
    if not texts or any(t is None for t in texts):
        return None  # `["author", lambda x: x["url_token"]]`: a row of a table, not credentials
    for el, text in zip(value.elements, texts):
        verdict = classify_value(text, name, kind)
        if verdict in (SECRET, PLACEHOLDER):
            return el.value, text, verdict
    return None


_PLURAL_SECRETS = frozenset({"tokens", "secrets", "keys", "passwords", "credentials", "creds", "apikeys"})
# Lists of values the application refuses (`_INSECURE_REDIS_PASSWORDS`, `KNOWN_DEFAULT_SECRETS`).
_REFUSED_LISTS = frozenset({"insecure", "known", "default", "defaults", "placeholder", "placeholders", "example",
                            "examples", "sample", "samples", "rejected", "reserved", "unsafe", "trivial", "dummy",
                            "fake", "test"})


# An upper-case word passed for one call (`api_key="TEST"`, `token="NONE"`): a probe or a mode;
# these words are credentials (`password="ADMIN"`) or placeholders of one whatever their case.
_PROBE_WORD = re.compile(r"[A-Z]{2,12}")
_CREDENTIAL_WORDS = frozenset({"secret", "password", "pass", "passwd", "admin", "root", "token", "key", "apikey",
                               "letmein", "qwerty", "guest", "toor", "default", "master", "superuser"})


def keyword_argument(kw: str, value: cst.BaseExpression) -> Optional[Hit]:
    """`f(api_key="…")`; a label (`api_key="health-probe"`, `token="mcp-http-session-owner"`: lower-case
    words joined by hyphens, the name of a principal or a purpose) or an upper-case probe word
    (`api_key="TEST"`) is not a key, unless it is given as a signing secret
    (`SessionMiddleware(secret_key="TEST")` signs with it)."""
    text = string_of(value)
    if text is not None and _KEBAB_LABEL.fullmatch(text) and not is_stand_in(text):
        return None
    if text is not None and _PROBE_WORD.fullmatch(text) and text.lower() not in _CREDENTIAL_WORDS \
            and not is_marker_placeholder(text) and secret_role(kw) != SIGNING:
        return None
    return named_literal(kw, value, "keyword argument")


def label_table_values(node: cst.Dict) -> Set[int]:
    """The values (by id) of a table of labels: the same value under several keys (`{"email":
    "textbox", "password": "textbox"}`, `{"pass": "password", "passwd": "password"}`, a lazy-import
    map) is a mapping of names, not credentials; `{"user": "admin", "password": "admin"}` is a
    login."""
    seen: Dict[str, List[Tuple[Optional[str], cst.BaseExpression]]] = {}
    for el in node.elements:
        if isinstance(el, cst.DictElement):
            text = astutil.literal_str(el.value)
            if text is not None:
                seen.setdefault(text, []).append((astutil.literal_str(el.key), el.value))
    out: Set[int] = set()
    for entries in seen.values():
        if len(entries) > 1 and not any(k is not None and k.lower() in _LOGIN_KEYS for k, _ in entries):
            out.update(id(v) for _, v in entries)
    return out


def field_message(kind: str, cls: str, name: str, verdict: str, shown: str) -> str:
    """A field's literal default outside settings classes (`shown`: the masked value)."""
    return f"hardcoded {kind} as the default of field `{cls}.{name}`: {shown_value(verdict, shown)}; {FIX}"


def comparison(node: cst.Comparison) -> List[Hit]:
    """`if password == "admin123"`, `password == safe == "s3cr3t"`: a credential written into the
    code. Comparing with a placeholder is the opposite, a guard against deploying it
    (`== "changethis"`; the visitor also knows the guards that refuse to run, `assert key != "dev"`)."""
    out: List[Hit] = []
    operands = [node.left] + [t.comparator for t in node.comparisons]
    if len(operands) > 2 and all(isinstance(t.operator, cst.Equal) for t in node.comparisons):
        # `password == safe == "s3cr3t"`: every operand equals the literal.
        lits = [o for o in operands if string_of(o) is not None]
        for lit in lits[:1]:
            for named in operands:
                if string_of(named) is None:
                    out.extend(_compared(named, lit))
        return out
    for left, target in zip(operands, node.comparisons):
        if isinstance(target.operator, (cst.Equal, cst.NotEqual)):
            out.extend(_compared(left, target.comparator))
    return out


def _compared(left: cst.BaseExpression, right: cst.BaseExpression) -> List[Hit]:
    # A placeholder that says it must be replaced is a guard against deploying it, whatever the
    # operator (`if SECRET_KEY == "changethis": raise`, `return key if key != "PLACEHOLDER" else None`);
    # a weak value (`"admin123"`) compared with a credential is the credential.
    out: List[Hit] = []
    for named, lit in ((left, right), (right, left)):
        named = _unwrap_default(named)
        name = target_name(named) if isinstance(named, (cst.Name, cst.Attribute, cst.Subscript)) else None
        text = string_of(lit)
        kind = secret_name_kind(name)
        if kind is None or text is None or names_a_name(name) or is_marker_placeholder(text):
            continue
        if kind == "token" and re.fullmatch(r"[A-Za-z]{1,24}", text.strip()):
            continue  # `token == "RequestPolicy"`: a lexer's or a parser's token, not a credential
        if _model_column(named):
            continue  # `User.password == "facebook"` in a query: rows holding a marker, not a login
        verdict = classify_value(text, name, kind)
        if verdict in (SECRET, PLACEHOLDER):
            out.append(Hit(lit, f"{kind} `{name}` compared with the hardcoded value "
                                f"{masked_value(verdict, text)}: a credential written into the code; {FIX}", 1,
                           verdict, kind))
    return out


def _unwrap_default(node: cst.BaseExpression) -> cst.BaseExpression:
    """`user.password_hash or ""`: the value compared is the name's."""
    while isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
        node = node.left
    return node


def _model_column(node: cst.BaseExpression) -> bool:
    """`User.password`, `models.User.password`: a mapped class's column (a class name: capitalised,
    not a constant), compared in a query the database evaluates."""
    if not isinstance(node, cst.Attribute):
        return False
    owner = astutil.name_of(node.value) or ""
    return owner[:1].isupper() and not owner.isupper()


_HASH_WORDS = frozenset({"hash", "hashed", "digest", "hashes"})
# What a password hash looks like (bcrypt, argon2, scrypt, pbkdf2, crypt; a hex or base64 digest).
_HASH_FORMAT = re.compile(r"^\$(2[abxy]?|argon2(id|i|d)?|scrypt|pbkdf2[\w-]*|[156])\$|^[0-9a-f]{32,128}$|"
                          r"^[A-Za-z0-9+/]{40,}={0,2}$")


def _names_a_hash(name: Optional[str]) -> bool:
    return bool(name) and bool(set(split_words(name)) & _HASH_WORDS)


def compare_digest(node: cst.Call, q: str) -> List[Hit]:
    """`secrets.compare_digest(given, b"swordfish")`: the credential is in the code. A stored hash
    compared with a literal that is no hash (`compare_digest(user.password_hash or "", "!oauth")`)
    looks for a marker (accounts that have no password), not a credential."""
    pos = astutil.positional(node)
    if len(pos) != 2:
        return []
    out: List[Hit] = []
    for mine, other in ((pos[0].value, pos[1].value), (pos[1].value, pos[0].value)):
        text = string_of(mine)
        if text is None:
            continue
        other = _unwrap_default(other)
        name = target_name(other) if isinstance(other, (cst.Name, cst.Attribute, cst.Subscript)) else None
        if _names_a_hash(name) and not _HASH_FORMAT.search(text):
            continue
        verdict = classify_value(text, name, secret_name_kind(name))
        if verdict in (SECRET, PLACEHOLDER):
            out.append(Hit(mine, f"credential compared by `{q}` with the hardcoded value "
                                 f"{masked_value(verdict, text)}; {FIX}", 1, verdict))
    return out


def key_argument(node: cst.Call, q: str) -> Optional[cst.BaseExpression]:
    """The key given to a signing or verifying API (`q` in KEY_SINKS)."""
    pname, pos = KEY_SINKS[q]
    return astutil.argument(node, pname, pos)


def literal_key(arg: cst.BaseExpression, q: str) -> Optional[Hit]:
    """A literal key given to `q` (public keys and templates are not secrets)."""
    text = string_of(arg)
    if text is None or not text.strip() or is_public_key(text) or is_template(text):
        return None
    verdict = PLACEHOLDER if classify_value(text) == PLACEHOLDER else SECRET
    return Hit(arg, f"hardcoded key passed to `{q}`: {masked_value(verdict, text)}; {FIX}", 2, verdict)


def used_constant(name: str, mode: str, what: str, value: Optional[cst.BaseExpression]) -> Optional[Hit]:
    """A module constant passed where a secret goes (mode "key": a signing key; else the
    secret-like keyword it is passed as, `what` saying where)."""
    text = string_of(value)
    if text is None:
        return None
    if mode == "key":
        if not text.strip() or is_public_key(text) or is_template(text):
            return None
        verdict = PLACEHOLDER if classify_value(text) == PLACEHOLDER else SECRET
    else:
        # `SECRET = "SECRET"` reads like a name, but it is passed as a secret: it is one.
        verdict = classify_value(text, None, secret_name_kind(mode))
        if verdict == A_NAME:
            verdict = SECRET
        if verdict not in (SECRET, PLACEHOLDER):
            return None
    return Hit(value, f"hardcoded secret in `{name}`, used as {what}: {masked_value(verdict, text)}; {FIX}", 2,
               verdict)


def formats(node: cst.CSTNode, text: Optional[str], in_example: bool) -> Optional[Hit]:
    """A well-known credential format in a string (`in_example`: OpenAPI example data, where a
    JWT shows a token's shape; keys stay keys)."""
    if not text or len(text) < 16:
        return None
    found = token_formats(text)
    if in_example:
        found = [f for f in found if f[0] != "JSON Web Token"]
    if found:
        what, secret = found[0]
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        return Hit(node, f"{what} in the code: {mask_secret(secret)}{more}; revoke it and {FIX}", 4)
    return None
