"""FAL508 privilege-by-default-claim (preview; spec §2.1): an authorisation claim missing from a
token MUST grant nothing.

Reported: a role, scope, permission, group or admin flag read from token claims with a default
that grants — `claims.get("role", "admin")`, `payload.get("is_superuser", True)`,
`claims.get("scope") or ALL_SCOPES`, `getattr(token_data, "role", Role.ADMIN)`. The claims are a
decode's result in the same function (`jwt.decode`, `verify_token(...)`, `decode_access_token(...)`)
or a value whose name says it holds claims (`payload`, `claims`, `token_data`, `decoded`,
`userinfo`, `id_token`). Defaults that grant nothing (`"viewer"`, `"user"`, `[]`, `None`, `False`,
`"read"`) are fine, and so is a default that is a project setting rather than a privilege.
"""

from __future__ import annotations

import re
from typing import Optional, Set

import libcst as cst

from fastauthlint.astutil import literal_str, literal_value
from fastauthlint.checks.base import CheckVisitor, WordGatedCheck
from fastauthlint.context import FileContext

RULE = "FAL508"

# Claims that decide what the caller may do (judged by the last segment of a namespaced claim).
AUTHZ_CLAIM = re.compile(r"^(roles?|user_?roles?|realm_?roles?|is_?admin|admin|is_?super_?user|super_?user|"
                         r"is_?staff|staff|scopes?|scp|permissions?|perms|groups?|privileges?|access_?level|"
                         r"authorities|rights|is_?owner|is_?root|can_\w+|user_?type|account_?type|tier|"
                         r"entitlements?|capabilities|acl)$", re.I)
# A default that grants: a privileged role, everything, or true for a flag.
_GRANTING = re.compile(r"^(admin|administrator|super_?admin|super_?user|superuser|root|owner|staff|sudo|god|"
                       r"all|\*|full|full_?access|manage|write|read_?write|rw|system|service)$|admin", re.I)
_GRANTING_NAME = re.compile(r"(^|_)(ALL|ADMIN|ADMINISTRATOR|SUPER_?ADMIN|SUPER_?USER|SUPERUSER|ROOT|OWNER|FULL|"
                            r"EVERY\w*|WILDCARD|SYSTEM)(_|$)|^(all|admin|superuser|super_admin|root|owner)$",
                            re.I)
# Names that hold a token's claims; a value assigned from a decode or verify call is claims too.
CLAIMS_NAME = re.compile(r"^_*(payload|jwt_payload|token_payload|claims|token_claims|jwt_claims|id_claims|"
                         r"decoded(_\w+)?|decoded_token|token_data|jwt_data|token_info|tokeninfo|id_token|"
                         r"user_?info|id_info|idinfo|verified_claims|access_token_data)$", re.I)
_DECODING = re.compile(r"^_*(decode|verify|validate|parse)\w*(token|jwt|claims)?$|(token|jwt).*(decode|verif)",
                       re.I)


def _claim_name(node: Optional[cst.BaseExpression]) -> Optional[str]:
    key = literal_str(node) if node is not None else None
    if key is None:
        return None
    last = re.split(r"[/:#.]", key.rstrip("/"))[-1]
    return key if AUTHZ_CLAIM.match(last) else None


def granting(node: cst.BaseExpression, claim: str) -> Optional[str]:
    """How `node`, a default for `claim`, grants (for the message), or None."""
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        for el in node.elements:
            g = granting(el.value, claim)
            if g:
                return g
        return None
    value = literal_value(node, None)
    if value is True:
        flag = re.split(r"[/:#.]", claim)[-1]
        return "True" if re.match(r"^(is_|can_|admin|staff|super)", flag, re.I) else None
    if isinstance(value, str):
        return repr(value) if value and _GRANTING.search(value.strip()) else None
    if isinstance(node, (cst.Name, cst.Attribute)):
        last = node.attr.value if isinstance(node, cst.Attribute) else node.value
        return last if _GRANTING_NAME.search(last) else None
    return None


class PrivilegeDefaultVisitor(CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self._claims: list = [set()]  # per function: locals assigned from a decode

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._claims.append(set())

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._claims.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if isinstance(value, cst.Await):
            value = value.expression
        if isinstance(value, cst.Call):
            func = value.func
            name = func.attr.value if isinstance(func, cst.Attribute) else (
                func.value if isinstance(func, cst.Name) else "")
            if _DECODING.search(name):
                for t in node.targets:
                    if isinstance(t.target, cst.Name):
                        self._claims[-1].add(t.target.value)

    def _is_claims(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Call):  # `jwt.decode(...).get("role", "admin")`
            func = expr.func
            name = func.attr.value if isinstance(func, cst.Attribute) else (
                func.value if isinstance(func, cst.Name) else "")
            return bool(_DECODING.search(name))
        name = expr.attr.value if isinstance(expr, cst.Attribute) else (
            expr.value if isinstance(expr, cst.Name) else None)
        if name is None:
            return False
        known: Set[str] = set().union(*self._claims)
        return name in known or bool(CLAIMS_NAME.match(name))

    def _read(self, node: cst.BaseExpression) -> Optional[str]:
        """The authorisation claim `node` reads from claims (`claims.get("role")`,
        `claims["role"]`, `getattr(token_data, "role")`), else None."""
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "get" and node.args \
                    and self._is_claims(func.value):
                return _claim_name(node.args[0].value)
            if isinstance(func, cst.Name) and func.value == "getattr" and len(node.args) >= 2 \
                    and self._is_claims(node.args[0].value):
                return _claim_name(node.args[1].value)
        return None

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        default_pos = 2 if isinstance(func, cst.Name) and func.value == "getattr" else 1
        if len(node.args) <= default_pos or node.args[default_pos].keyword is not None:
            return
        claim = self._read(node)
        if claim is None:
            return
        how = granting(node.args[default_pos].value, claim)
        if how:
            self.report(RULE, node, _message(claim, how))

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        if not isinstance(node.operator, cst.Or):
            return
        left = node.left
        claim = self._read(left) if isinstance(left, cst.Call) and len(left.args) == 1 else None
        if claim is None and isinstance(left, cst.Subscript) and self._is_claims(left.value) \
                and len(left.slice) == 1 and isinstance(left.slice[0].slice, cst.Index):
            claim = _claim_name(left.slice[0].slice.value)
        if claim is None:
            return
        how = granting(node.right, claim)
        if how:
            self.report(RULE, node, _message(claim, how))


def _message(claim: str, how: str) -> str:
    return (f"a token without the `{claim}` claim is given {how}: a missing authorisation claim must grant "
            "nothing (default to no role, no scopes, `False`), or the token must be refused (spec §2.1)")


_RELEVANT = re.compile(r"role|scope|perm|admin|super|staff|group|privilege|level|authorit|rights|tier|can_", re.I)


class PrivilegeDefaultCheck(WordGatedCheck):
    name = "jwt-privilege-default"
    rules = (RULE,)
    relevant = _RELEVANT
    visitor_class = PrivilegeDefaultVisitor


CHECK = PrivilegeDefaultCheck()
