"""Copies of a mapping that leave a credential out: a comprehension that filters the credential
headers (`{k: v for k, v in request.headers.items() if k.lower() != "authorization"}`) or replaces
the value under a credential's key (`{k: (v if k != "key" else "***") for k, v in params.items()}`)
holds no credential (FAL401, FAL402)."""

from __future__ import annotations

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.sensitive import split_words
from fastauthlint.checks.tokens.taint import COOKIES_DESC, EMPTY, HEADERS_DESC, Taint


def filtered_copy(node, out: Taint) -> Taint:
    """What a comprehension that builds `out` holds once its filter or mask is applied."""
    if _filters_credentials(node.for_in):
        # `{k: v for k, v in request.headers.items() if k.lower() not in ("authorization", "cookie")}`
        return without_credential_headers(out)
    if isinstance(node, cst.DictComp) and _masks_credential_key(node):
        return EMPTY  # `{k: (v if k != "key" else "***") for k, v in params.items()}`
    return out


_FILTER_WORDS = frozenset({"sensitive", "secret", "secrets", "redact", "redacted", "excluded", "exclude", "hidden",
                           "private", "blocked", "deny", "denied", "skip", "safe", "allowed", "credential",
                           "credentials", "auth"})


def _filters_credentials(for_in) -> bool:
    """A comprehension whose conditions name the credential headers (a literal `"authorization"`,
    a set named `SENSITIVE_HEADERS`, `SAFE_HEADERS`)."""
    while for_in is not None:
        for cond in for_in.ifs:
            if names_credential_headers(cond.test):
                return True
        for_in = for_in.inner_for_in
    return False


_CREDENTIAL_KEY_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "pwd", "authorization",
                                   "auth", "cookie", "credential", "credentials", "signature", "jwt", "bearer"})


def _masks_credential_key(node: cst.DictComp) -> bool:
    """`{k: (v if k != "key" else "***") for k, v in params.items()}`: a copy whose value under a
    credential's key (a literal naming one) is replaced by something that does not read the value,
    or that leaves that key out (`... for k, v in params.items() if k != "api_key"`)."""
    if not isinstance(node.key, cst.Name) or not isinstance(node.value, cst.IfExp):
        return False
    key, value, test = node.key.value, node.value, node.value.test
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.left, cst.Name) and test.left.value == key):
        return False
    op = test.comparisons[0].operator
    right = test.comparisons[0].comparator
    literals = [el.value for el in right.elements] if isinstance(right, (cst.Tuple, cst.List, cst.Set)) else [right]
    texts = [astutil.literal_str(x) for x in literals]
    if not texts or any(t is None for t in texts) or \
            not any(set(split_words(t)) & _CREDENTIAL_KEY_WORDS for t in texts if t):
        return False
    # the branch taken for the credential's key: the body of `k == "key"`/`k in (...)`, else the orelse
    masked = value.body if isinstance(op, (cst.Equal, cst.In)) else value.orelse if isinstance(
        op, (cst.NotEqual, cst.NotIn)) else None
    names = {n.value for n in astutil.walk(node.for_in.target) if isinstance(n, cst.Name)} - {key}
    return masked is not None and not any(isinstance(n, cst.Name) and n.value in names for n in astutil.walk(masked))


def names_credential_headers(test: cst.BaseExpression) -> bool:
    """A condition that names the credential headers (`k.lower() not in ("authorization", …)`,
    `key in SENSITIVE_HEADERS`)."""
    for n in astutil.walk(test):
        text = astutil.literal_str(n)
        if text is not None and text.lower() in ("authorization", "cookie", "set-cookie"):
            return True
        if isinstance(n, (cst.Name, cst.Attribute)) and set(split_words(astutil.name_of(n) or "")) & _FILTER_WORDS:
            return True
    return False


def without_credential_headers(value: Taint) -> Taint:
    """What a copy that leaves the credential headers out holds (of a parameter too: the filter
    says it is a header mapping)."""
    return frozenset(lab for lab in value if lab[0] != "param"
                     and (lab[0] != "src" or lab[2] not in (HEADERS_DESC, COOKIES_DESC)))
