"""Where a decoded token's claims go, for FAL501/FAL502: `claim_uses` follows the value of a decode
call through its function (which claims are read from it, whether it is returned, spread into an
object, stored, passed to a validating or a user-lookup helper) and says which of those uses let
the claims decide who the user is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Set

import libcst as cst

from fastauthlint.astutil import literal_str, name_of
from fastauthlint.checks.jwt.flow import Scope, is_prefix, subscript_key

@dataclass
class Sink:
    kind: str  # return | read | splat | store
    node: cst.CSTNode
    detail: str  # e.g. the claim read: "sub"


@dataclass
class ClaimUses:
    sinks: List[Sink] = field(default_factory=list)
    validated: bool = False  # `.validate()` (Authlib) or passed to a validating/verifying helper
    reads: Set[str] = field(default_factory=set)  # every claim read by a literal key

    def deciding(self, include_return: bool = True) -> List[Sink]:
        return [s for s in self.sinks if include_return or s.kind != "return"]


_MODEL_BUILDERS = {"model_validate", "parse_obj", "from_dict", "from_claims", "from_payload", "from_token",
                   "construct", "model_construct", "validate_python"}
# Helpers that turn claims into a user: `get_user_from_payload(claims)`, `authenticate(claims)`.
_LOOKUP = re.compile(r"user|account|member|principal|identity|profile|owner|customer|person|employee|"
                     r"authenticat|login|session", re.I)
_IDENTITY_ATTRS = {"sub", "user_id", "userid", "uid", "id", "email", "username", "user", "subject", "login"}


def claim_uses(scope: Scope, start: cst.CSTNode, identity_key) -> ClaimUses:
    """Follow the value of `start` (a decode call) through the function: what it is returned as,
    which claims are read from it, what it is spread into or stored in. Only reads of claims for
    which `identity_key(name)` holds (sub, email, roles, user_id, ...) are uses that decide who
    the user is; reading iss/kid/exp to choose a key or see the expiry is not."""
    uses = ClaimUses()
    work: List[cst.CSTNode] = [start]
    tracked: Set[str] = set()
    steps = 0
    while work and steps < 200:
        steps += 1
        cur = work.pop()
        while True:
            parent = scope.parent(cur)
            if parent is None:
                break
            if isinstance(parent, cst.Subscript) and parent.value is cur:
                key = subscript_key(parent)
                if key is not None:
                    uses.reads.add(key)
                    if identity_key(key) and not _in_assert(scope, parent) and not _only_logged(scope, parent):
                        uses.sinks.append(Sink("read", parent, key))
                    break
                cur = parent  # claims[SOME_NAME]: a derived value
                continue
            if isinstance(parent, cst.Attribute) and parent.value is cur:
                attr = parent.attr.value
                grand = scope.parent(parent)
                is_call = isinstance(grand, cst.Call) and grand.func is parent
                if attr.startswith("validate") and is_call:
                    uses.validated = True
                    break
                if attr in ("get", "pop", "setdefault") and is_call and grand.args:
                    key = literal_str(grand.args[0].value)
                    if key is not None:
                        uses.reads.add(key)
                        if identity_key(key) and not _in_assert(scope, grand) and not _only_logged(scope, grand):
                            uses.sinks.append(Sink("read", grand, key))
                        break
                    cur = grand
                    continue
                if attr in ("copy", "items", "values", "to_dict", "dict", "model_dump") and is_call:
                    cur = grand
                    continue
                if not is_call and attr in _IDENTITY_ATTRS:
                    uses.sinks.append(Sink("read", parent, attr))
                break
            if isinstance(parent, (cst.Return, cst.Yield)):
                uses.sinks.append(Sink("return", parent, ""))
                break
            if isinstance(parent, cst.Arg):
                call = scope.parent(parent)
                if not isinstance(call, cst.Call):
                    break
                callee = name_of(call.func) or ""
                low = callee.lower()
                if "valid" in low or "verify" in low:
                    uses.validated = True
                    break
                if parent.star == "**":
                    uses.sinks.append(Sink("splat", parent, callee))
                    break
                if _LOOKUP.search(callee):
                    uses.sinks.append(Sink("lookup", call, callee))
                    break
                if callee in _MODEL_BUILDERS:
                    cur = call
                    continue
                break
            if isinstance(parent, (cst.DictElement, cst.Element, cst.StarredDictElement, cst.StarredElement,
                                   cst.Dict, cst.List, cst.Tuple, cst.Set, cst.IfExp, cst.BooleanOperation,
                                   cst.Await, cst.Index, cst.SubscriptElement)):
                cur = parent
                continue
            if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.NamedExpr)) and parent.value is cur:
                targets = ([t.target for t in parent.targets] if isinstance(parent, cst.Assign)
                           else [parent.target])
                for t in targets:
                    if isinstance(t, cst.Name):
                        if t.value not in tracked:
                            tracked.add(t.value)
                            work.extend(_loads_after(scope, t.value, parent))
                    elif isinstance(t, (cst.Attribute, cst.Subscript)):
                        uses.sinks.append(Sink("store", parent, _text(t)))
                if isinstance(parent, cst.NamedExpr):
                    cur = parent
                    continue
                break
            break
    return uses


def _in_assert(scope: Scope, node: cst.CSTNode) -> bool:
    """Is `node` part of an `assert` (a sanity check, not a decision)?"""
    cur: Optional[cst.CSTNode] = node
    while cur is not None and not isinstance(cur, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
        if isinstance(cur, cst.Assert):
            return True
        cur = scope.parent(cur)
    return False


_LOG_CALLS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "print", "echo",
              "secho", "add_breadcrumb", "set_tag", "set_attribute"}


def _only_logged(scope: Scope, node: cst.CSTNode) -> bool:
    """Is the value of `node` only written to a log (`logger.info("user %s", claims["sub"])`,
    `print(f"{claims['email']}")`)?"""
    cur = node
    for _ in range(8):
        parent = scope.parent(cur)
        if isinstance(parent, (cst.FormattedStringExpression, cst.FormattedString, cst.ConcatenatedString,
                               cst.BinaryOperation, cst.Arg, cst.DictElement, cst.Dict, cst.Element, cst.Tuple)):
            cur = parent
            continue
        if isinstance(parent, cst.Call) and cur is not parent.func:
            return name_of(parent.func) in _LOG_CALLS
        return False
    return False


def _loads_after(scope: Scope, name: str, assign: cst.CSTNode) -> List[cst.Name]:
    """Reads of `name` after `assign` and before it is certainly rebound."""
    at = scope.index(assign)
    rebinds = [w.index for w in scope.writes.get(name, ())
               if w.index > at and w.kind in ("assign", "unknown") and is_prefix(w.path, scope.path(assign))]
    end = min(rebinds) if rebinds else 1 << 30
    return [n for n in scope.loads(name) if at < scope.index(n) < end]


def _text(node: cst.CSTNode) -> str:
    try:
        return cst.Module([]).code_for_node(node)
    except Exception:  # pragma: no cover - defensive
        return ""
