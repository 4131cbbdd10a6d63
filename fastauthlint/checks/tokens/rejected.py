"""A token logged in the branch that rejects it: it matched no record, its record has expired or
was used already, or the account it was for is gone. What is logged there no longer works.

The function shows it: a name bound to a lookup by the token (`rec = await repo.get(token)`,
`result = await db.execute(select(T).where(T.token == token))` then `rec = result.scalar_one()`,
and what is read from such a record: `expires_at = rec.expires_at`, `user = get_user(rec.user_id)`)
is tested for the rejection:

- `if not rec:` / `if rec is None:` (or the `else` of `if rec:`);
- `if now > rec.expires_at:` / `if rec.expires_at < now:` (a name or attribute about expiry);
- `if rec.used:` / `if rec.is_expired:` / `if rec.revoked:` (the record says it is spent), and
  `if not rec.is_valid:`.

Only tokens (an incoming credential, a token, one issued here): a password in the branch where it
was refused may be a typo of the right one, and stays reported.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, List, Set, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.sensitive import split_words
from fastauthlint.checks.tokens.taint import FunctionState, Taint

KIND = "rejected"
_TOKEN_KINDS = frozenset({"credential", "token", "issued"})
_EXPIRY_WORDS = frozenset({"exp", "expires", "expiry", "expiration", "expire", "expired", "expiring", "valid",
                           "until", "deadline"})
_SPENT_WORDS = frozenset({"used", "expired", "revoked", "consumed", "redeemed", "invalidated", "spent"})
# `is_valid` speaks of the token's record; `is_active` of the account: an inactive user's token still
# verifies, and works again once the account is reactivated
_VALID_WORDS = frozenset({"valid"})


def _tokens_in(taint: Taint) -> bool:
    return any(lab[0] == "src" and lab[1] in _TOKEN_KINDS for lab in taint)


def _names(node: cst.CSTNode) -> List[str]:
    out: List[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is cst.Name:
            out.append(n.value)
        elif type(n) in (cst.Lambda, cst.FunctionDef):
            continue
        stack.extend(astutil.children(n))
    return out


def note_lookup(target: cst.BaseExpression, value: cst.BaseExpression, state: FunctionState) -> None:
    """`rec = <a lookup by the token, or what is read from such a record>`: remember which tokens."""
    if type(target) is not cst.Name:
        return
    found: Set[str] = set()
    for n in _names(value):
        if n in state.lookups:
            found |= state.lookups[n]
        elif _tokens_in(state.env.get(n, frozenset())):
            found.add(n)
    found.discard(target.value)
    if found:
        state.lookups[target.value] = frozenset(found)
    else:
        state.lookups.pop(target.value, None)


def rejected_by(test: cst.BaseExpression, state: FunctionState) -> Tuple[FrozenSet[str], FrozenSet[str]]:
    """(tokens rejected in the body, tokens rejected in the `else`) of `if test:`."""
    if not state.lookups:
        return frozenset(), frozenset()
    negated = False
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, negated = test.expression, not negated
    if isinstance(test, cst.Name) and test.value in state.lookups:
        found = state.lookups[test.value]  # `if rec:` accepts it, `if not rec:` rejects it
        return (found, frozenset()) if negated else (frozenset(), found)
    if isinstance(test, cst.Attribute):
        root = _root(test)
        words = set(split_words(test.attr.value))
        if root in state.lookups:
            if words & _SPENT_WORDS and not words & _VALID_WORDS:
                found = state.lookups[root]
                return (frozenset(), found) if negated else (found, frozenset())
            if words & _VALID_WORDS and not words & _SPENT_WORDS:
                found = state.lookups[root]
                return (found, frozenset()) if negated else (frozenset(), found)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and not negated:
        op, right = test.comparisons[0].operator, test.comparisons[0].comparator
        if isinstance(op, (cst.Is, cst.Equal)) and isinstance(right, cst.Name) and right.value == "None" \
                and isinstance(test.left, cst.Name) and test.left.value in state.lookups:
            return state.lookups[test.left.value], frozenset()
        if isinstance(op, (cst.GreaterThan, cst.GreaterThanEqual)):
            expiry = right  # `now > rec.expires_at`
        elif isinstance(op, (cst.LessThan, cst.LessThanEqual)):
            expiry = test.left  # `rec.expires_at < now`
        else:
            return frozenset(), frozenset()
        if isinstance(expiry, (cst.Name, cst.Attribute)):
            word = expiry.value if isinstance(expiry, cst.Name) else expiry.attr.value
            root = _root(expiry)
            if root in state.lookups and set(split_words(word)) & _EXPIRY_WORDS:
                return state.lookups[root], frozenset()
    return frozenset(), frozenset()


def _root(node: cst.BaseExpression) -> str:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else ""


def reject(names: FrozenSet[str], state: FunctionState) -> Dict[str, Taint]:
    """Mark the tokens as rejected for a branch; returns what to restore after it."""
    saved: Dict[str, Taint] = {}
    for n in names:
        taint = state.env.get(n)
        if taint is None or not _tokens_in(taint):
            continue
        saved[n] = taint
        state.env[n] = frozenset(("src", KIND, f"{lab[2]}, which was just rejected,")
                                 if lab[0] == "src" and lab[1] in _TOKEN_KINDS else lab for lab in taint)
    return saved


def restore(saved: Dict[str, Taint], state: FunctionState) -> None:
    for n, taint in saved.items():
        current = state.env.get(n)
        if current is not None and any(lab[0] == "src" and lab[1] == KIND for lab in current):
            state.env[n] = taint


NOTE = ("; it was rejected in this branch (no record matched, or it expired or was used) and no longer works; "
        "a hash would still tell attempts apart")
