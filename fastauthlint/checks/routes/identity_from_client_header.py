"""FAL103 identity-from-client-header (preview; spec §2.1): the current user, their e-mail, groups or
role MUST come from a verified credential, not from a request header any client can send.

Reported: a read of an identity header — `X-Forwarded-User`, `X-Forwarded-Email`, `X-Forwarded-Groups`,
`X-User-Id`, `X-Remote-User`, `X-Auth-Request-Email`, `X-Goog-Authenticated-User-Email`, ... —
through `request.headers.get(...)`, `request.headers[...]` or a `Header()` parameter, in a function
that does not verify the sender: no shared secret or signature compared (`compare_digest`, a
`verify_*` call, a JWT decode), no check of the client address against trusted proxies, no
authenticating dependency among its parameters. A header read in the `except` handler of a failed
credential check is a fallback and is reported even then. Test code is not judged.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

import libcst as cst

from fastauthlint.astutil import argument, iter_children, literal_str, parameters
from fastauthlint.checks.base import CheckVisitor, WordGatedCheck
from fastauthlint.context import FileContext

RULE = "FAL103"

IDENTITY_HEADER = re.compile(
    r"^(x-(forwarded|remote|auth-request|authenticated|auth|original)-(user(name)?|email|groups|"
    r"preferred-username|login|user-?id|roles?)|x-user(-?id|-?name|-email|-roles?|-groups|-login)?|"
    r"x-(roles?|groups|e?mail|is-admin|admin|user-is-admin)|remote-user|x-consumer-(username|id|custom-id)|"
    r"x-goog-authenticated-user-(email|id)|x-ms-client-principal(-name|-id)?|x-amzn-oidc-identity|"
    r"cf-access-authenticated-user-email|x-webauth-user|x-authenticated-userid)$", re.I)
_FASTAPI_HEADER = {"fastapi.Header", "fastapi.params.Header"}
# Calls that verify the sender or a credential.
_VERIFYING = re.compile(r"compare_digest|^_*verify|verify_?(signature|token|jwt|hmac|request|proxy|secret)|"
                        r"^_*(decode|validate)_?\w*(token|jwt|signature|assertion)|^decode$|check_?(signature|secret|"
                        r"token|proxy|api_?key)|authenticate|ip_?address|ip_network", re.I)
# Names of a shared secret or a trusted network the code compares with.
_TRUST_NAME = re.compile(r"secret|signature|proxy_?token|internal_?token|shared_?key|api_?key|trusted|allowed_?(ips|hosts"
                         r"|proxies)|whitelist|allowlist|hmac", re.I)
# A dependency parameter that authenticates the request (the header then only narrows who acts).
_AUTH_DEPENDENCY = re.compile(r"auth|verify|api_?key|token|current_?user|signature|internal|secret|require", re.I)


def header_name(text: str) -> str:
    return text.strip().lower().replace("_", "-")


class _Reads:
    """Header reads and verification evidence in one function (nested functions are their own).
    A plain walk over `iter_children`: a libcst visitor would rebuild the function's tree."""

    def __init__(self, ctx: FileContext, root: cst.FunctionDef):
        self.ctx = ctx
        self.reads: List[Tuple[cst.CSTNode, str, bool]] = []  # node, header, in a fallback
        self.verifies = False
        self.comparisons: List[cst.Comparison] = []
        self._in_except = False  # the flag of the node being looked at (a read in an `except`)
        stack: List[Tuple[cst.CSTNode, bool]] = [(root.body, False)]
        while stack:
            node, in_except = stack.pop()
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            self._in_except = in_except
            if isinstance(node, cst.Call):
                self._call(node)
            elif isinstance(node, cst.Subscript):
                self._subscript(node)
            elif isinstance(node, cst.Comparison):
                self.comparisons.append(node)
            inner = in_except or isinstance(node, cst.ExceptHandler)
            stack.extend((child, inner) for child in iter_children(node))

    def _call(self, node: cst.Call) -> None:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
        q = self.ctx.qualify(func) or ""
        if _VERIFYING.search(name) or q.startswith(("jwt.", "jose.", "hmac.", "ipaddress.")):
            self.verifies = True
        if name == "get" and isinstance(func, cst.Attribute) and _is_headers(func.value) and node.args:
            self._read(node, literal_str(node.args[0].value))

    def _subscript(self, node: cst.Subscript) -> None:
        if _is_headers(node.value) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            self._read(node, literal_str(node.slice[0].slice.value))

    def compares_with_trust(self) -> bool:
        """A comparison with a secret, a signature or a trusted network (read only when needed)."""
        for node in self.comparisons:
            code = self.ctx.module.code_for_node(node)
            if _TRUST_NAME.search(code) or "client.host" in code:
                return True
        return False

    def _read(self, node: cst.CSTNode, key: Optional[str]) -> None:
        if key and IDENTITY_HEADER.match(header_name(key)):
            self.reads.append((node, key, self._in_except))


def _is_headers(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Attribute) and expr.attr.value == "headers"


def _header_params(ctx: FileContext, func: cst.FunctionDef) -> List[Tuple[cst.CSTNode, str]]:
    out = []
    for p in parameters(func):
        decl = p.default
        ann = p.annotation.annotation if p.annotation is not None else None
        if isinstance(ann, cst.Subscript) and isinstance(ann.value, (cst.Name, cst.Attribute)):
            for el in ann.slice[1:]:
                if isinstance(el.slice, cst.Index) and isinstance(el.slice.value, cst.Call):
                    decl = el.slice.value
        if not isinstance(decl, cst.Call) or ctx.qualify(decl.func) not in _FASTAPI_HEADER:
            continue
        alias = literal_str(argument(decl, "alias"))
        name = alias or p.name.value
        if IDENTITY_HEADER.match(header_name(name)):
            out.append((p.name, name if alias else name.replace("_", "-")))
    return out


def _authenticating_dependency(ctx: FileContext, func: cst.FunctionDef) -> bool:
    for p in parameters(func):
        decl = p.default
        ann = p.annotation.annotation if p.annotation is not None else None
        texts = [ctx.module.code_for_node(x) for x in (decl, ann) if x is not None]
        for text in texts:
            m = re.search(r"(Depends|Security)\(\s*([\w.]+)", text)
            if m and _AUTH_DEPENDENCY.search(m.group(2)):
                return True
    for dec in func.decorators:  # `@router.get(..., dependencies=[Depends(verify_proxy)])`
        text = ctx.module.code_for_node(dec.decorator)
        for m in re.finditer(r"(Depends|Security)\(\s*([\w.]+)", text):
            if _AUTH_DEPENDENCY.search(m.group(2)):
                return True
    return False


def message(header: str, fallback: bool) -> str:
    if fallback:
        return (f"identity taken from the client-controlled header `{header}` when the credential check fails: "
                "any client can send it; refuse the request instead (spec §2.1)")
    return (f"identity taken from the client-controlled header `{header}` without verifying the sender: any "
            "client that reaches the service can send it; verify the proxy (a shared secret compared with "
            "`hmac.compare_digest`, a signed assertion, a trusted-proxy address check) or derive the user from a "
            "verified token (spec §2.1)")


class IdentityHeaderVisitor(CheckVisitor):
    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        reads = _Reads(self.ctx, original_node)
        params = _header_params(self.ctx, original_node)
        if not reads.reads and not params:
            return
        trusted = reads.verifies or reads.compares_with_trust() or _authenticating_dependency(self.ctx, original_node)
        for node, header in params:
            if not trusted:
                self.report(RULE, node, message(header, False))
        for node, header, fallback in reads.reads:
            if fallback or not trusted:
                self.report(RULE, node, message(header, fallback))


_RELEVANT = re.compile(r"x[-_](forwarded[-_](user|email|groups|preferred|login)|user|e?mail|roles?|groups|consumer|goog|"
                       r"ms[-_]client|amzn|webauth|admin|is[-_]admin|remote|auth|authenticated|original)|remote[-_]user|"
                       r"cf[-_]access", re.I)


class IdentityHeaderCheck(WordGatedCheck):
    name = "routes-identity-header"
    rules = (RULE,)
    relevant = _RELEVANT
    visitor_class = IdentityHeaderVisitor


CHECK = IdentityHeaderCheck()
