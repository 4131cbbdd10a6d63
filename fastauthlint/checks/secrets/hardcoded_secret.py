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
    classify_value,
    is_marker_placeholder,
    is_public_key,
    is_stand_in,
    is_template,
    names_a_name,
    secret_name_kind,
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
    `= Field("x")`, `= Query("x")`)."""
    kind = secret_name_kind(name)
    if kind is None or names_a_name(name):
        return None
    lit = default_of(value) if default else (value if string_of(value) is not None else None)
    if lit is None:
        return None
    text = string_of(lit)
    verdict = classify_value(text, name, kind)
    if verdict not in (SECRET, PLACEHOLDER):
        return None
    return Hit(lit, f"hardcoded {kind} in {where} `{name}`: {masked_value(verdict, text)}; {FIX}", 1, verdict)


def keyword_argument(kw: str, value: cst.BaseExpression) -> Optional[Hit]:
    """`f(api_key="…")`; a label (`api_key="health-probe"`, `token="mcp-http-session-owner"`: lower-case
    words joined by hyphens, the name of a principal or a purpose) is not a key."""
    text = string_of(value)
    if text is None or not _KEBAB_LABEL.fullmatch(text) or is_stand_in(text):
        return named_literal(kw, value, "keyword argument")
    return None


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
    """`if password == "admin123"`: a credential written into the code. Comparing with a
    placeholder is the opposite, a guard against deploying it (`== "changethis"`)."""
    if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
        return []
    # A placeholder that says it must be replaced is a guard against deploying it, whatever the
    # operator (`if SECRET_KEY == "changethis": raise`, `return key if key != "PLACEHOLDER" else None`);
    # a weak value (`"admin123"`) compared with a credential is the credential.
    out: List[Hit] = []
    left, right = node.left, node.comparisons[0].comparator
    for named, lit in ((left, right), (right, left)):
        name = target_name(named) if isinstance(named, (cst.Name, cst.Attribute, cst.Subscript)) else None
        text = string_of(lit)
        kind = secret_name_kind(name)
        if kind is None or text is None or names_a_name(name) or is_marker_placeholder(text):
            continue
        if kind == "token" and re.fullmatch(r"[A-Za-z]{1,24}", text.strip()):
            continue  # `token == "RequestPolicy"`: a lexer's or a parser's token, not a credential
        verdict = classify_value(text, name, kind)
        if verdict in (SECRET, PLACEHOLDER):
            out.append(Hit(lit, f"{kind} `{name}` compared with the hardcoded value "
                                f"{masked_value(verdict, text)}: a credential written into the code; {FIX}", 1,
                           verdict))
    return out


def compare_digest(node: cst.Call, q: str) -> List[Hit]:
    """`secrets.compare_digest(given, b"swordfish")`: the credential is in the code."""
    pos = astutil.positional(node)
    if len(pos) != 2:
        return []
    out: List[Hit] = []
    for mine, other in ((pos[0].value, pos[1].value), (pos[1].value, pos[0].value)):
        text = string_of(mine)
        if text is None:
            continue
        name = target_name(other) if isinstance(other, (cst.Name, cst.Attribute, cst.Subscript)) else None
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
