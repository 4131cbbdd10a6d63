"""What the link walk knows about one function on one path from a route: a `Binding` (which of
its parameters hold the current user, owner-verified rows, the caller's tenant, a public-rows
filter; whether it runs for administrators only; what `self` is). A function is judged once per
distinct binding; bindings are frozen so they key the memos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Tuple

from fastauthlint.checks.ownership.facts import CallSite, FuncSummary, Origin


@dataclass(frozen=True)
class Binding:
    user: FrozenSet[str] = frozenset()  # parameters holding (something derived from) the current user
    verified: FrozenSet[str] = frozenset()  # parameters holding owner-verified rows or their ids
    admin: bool = False
    has_user: bool = False  # whether this function can see the current user (places findings)
    self_cls: str = ""  # qualified class of `self`
    self_model: str = ""  # model of `self.model` (CRUD-object pattern)
    models: Tuple[Tuple[str, str], ...] = ()  # parameter -> model qualname passed to it
    root: bool = False  # a route's handler: problems are located here whatever it takes
    rows: FrozenSet[str] = frozenset()  # parameters holding a fetched row (not request data)
    public: FrozenSet[str] = frozenset()  # parameters holding a filter restricted to public rows
    tenant: FrozenSet[str] = frozenset()  # parameters holding the caller's tenant (from a service's context)
    self_user: FrozenSet[str] = frozenset()  # class-based views: `self.<attr>` holding the user
    # a route without a user (unprotected or declared public): only rows picked by an identifier the
    # client chose are reported, and `client` names the parameters holding one (the path's)
    anonymous: bool = False
    client: FrozenSet[str] = frozenset()
    # the caller changes the rows this function returns (`row = get_x(db, k); row.name = v`): a
    # query whose rows it returns is a write
    writes: bool = False
    # parameters holding a tenant the client named in the path (`/orgs/{org_id}`) that nothing has
    # checked the caller belongs to (tenant_claims.py)
    claimed: FrozenSet[str] = frozenset()


def arg_map(t: FuncSummary, call: CallSite, bound: bool) -> Dict[str, Origin]:
    """The callee's parameter names -> the origin of the argument a call passes for each."""
    out: Dict[str, Origin] = {}
    positional = [p for p in t.params if p.index >= 0]
    shift = 1 if bound and positional and positional[0].name in ("self", "cls") else 0
    for i, o in enumerate(call.args):
        j = i + shift
        if j < len(positional):
            out[positional[j].name] = o
    names = {p.name for p in t.params}
    for k, o in call.kwargs:
        if k in names:
            out[k] = o
    return out


def infeasible(conds, b: Binding) -> bool:
    """A branch taken only when a parameter is empty, while it holds the current user's id
    (`if owner_id: <filtered> else: <everything>` called with `owner_id=user.id`)."""
    return any(not holds and name in b.user for name, holds in conds)
