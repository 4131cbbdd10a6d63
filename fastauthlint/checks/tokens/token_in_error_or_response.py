"""FAL402 token-in-error-or-response (spec §7.2): raw tokens and secrets MUST NOT be placed in error
messages or responses, other than the response that issues a token.

Reported where a credential (credentials.py) reaches an error or a response (sinks.py): an
`HTTPException`'s detail or headers, the message of a raised exception, a response class's content,
headers or URL, a response header assigned, what a route returns; directly, through a project helper
whose parameter reaches one, or as a credential another file's dependency or project function
supplies (link.py). An error carries no secret of any kind; a response carries no credential,
password or configuration secret, and the response that issues a token (`{"access_token": token,
"token_type": "bearer"}` is the point of a login route) may carry it but still no password or
configuration secret.
"""

from __future__ import annotations

from typing import List, Set

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.tokens.taint import Label

RULE = "FAL402"

RESPONSE_KINDS = frozenset({"credential", "password", "secret", "config"})  # never echoed in a response
ISSUING_RESPONSE_KINDS = frozenset({"password", "config"})  # not even beside a newly issued token


def response_sources(srcs: List[Label], issuing: bool) -> List[Label]:
    """What a response must not carry of `srcs`; the response that issues a token (`issuing`, or a
    token minted here among them) carries one."""
    if issuing or any(s[1] == "issued" for s in srcs):
        return [s for s in srcs if s[1] in ISSUING_RESPONSE_KINDS]
    return [s for s in srcs if s[1] in RESPONSE_KINDS]


def token_response_shape(node: cst.BaseExpression) -> bool:
    """`{"access_token": ..., "token_type": "bearer"}` or `Token(access_token=...)`: the response of
    a route that issues tokens."""
    keys: Set[str] = set()
    if isinstance(node, cst.Dict):
        keys = {k for k, _, _ in astutil.dict_items(node) if k}
    elif isinstance(node, cst.Call):
        keys = {a.keyword.value for a in node.args if a.keyword is not None}
    return "access_token" in keys or "token_type" in keys or "refresh_token" in keys


def message(desc: str, sink: str) -> str:
    return (f"{desc} is placed in {sink}: raw tokens and secrets must not be returned to clients in errors "
            f"or responses")


def passed_message(desc: str, callee: str, param: str, sink: str, where: str) -> str:
    """A secret passed to a project helper whose parameter reaches an error (`where`: " in path")."""
    return (f"{desc} is passed to `{callee}()`, whose parameter `{param}` is placed in {sink}{where}: raw "
            f"tokens and secrets must not reach logs, errors or responses")
