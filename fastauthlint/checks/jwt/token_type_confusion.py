"""FAL507 token-type-confusion (preview; spec §2.2): when one key signs several kinds of token
(access, refresh, password reset, email verification, invitation), a decode that authenticates
requests MUST check the kind it got, or a refresh or reset token is accepted as an access token.

Judged when linking (the facts are issued.py's). Kinds are told apart by a claim the payload sets
(`type`, `typ`, `token_type`, `scope`, `purpose`, `aud`, ...) or, when none is set, by the function
that makes them (`create_refresh_token`, `generate_password_reset_token`). A key with two kinds or
more is confusable; a verified decode with that key, in a function that is not itself for another
kind (a generic or an access-token decode), is reported unless the kind is checked: the claim is read
from the result, `audience=` is passed when `aud` tells the kinds apart, the function reads a kind
claim itself, or a caller of it does (a decode helper returning claims to `get_current_user`).
"""

from __future__ import annotations

from typing import Dict, Iterator, Optional, Set, Tuple

from fastauthlint.checks.jwt.audience_or_issuer_not_verified import relative
from fastauthlint.checks.jwt.issued import KIND_CLAIMS, kind_from_name
from fastauthlint.checks.jwt.model import REVOKES
from fastauthlint.context import is_test_path
from fastauthlint.findings import Finding, Span
from fastauthlint.project.store import FACTS_KEY, LazyFileFacts

RULE = "FAL507"


def _kind(issue) -> Tuple[str, str]:
    """(kind, the claim that tells it, "" when the function's name does)."""
    for claim in KIND_CLAIMS:
        values = [v for v in issue.claims.get(claim, []) if v != "?"]
        if values:
            return values[0], claim
    return kind_from_name(issue.function), ""


def link(project, facts) -> Iterator[Finding]:
    # key -> kind -> (where, what the key's constant is bound to)
    kinds: Dict[str, Dict[Tuple[str, str], Tuple[str, int]]] = {}
    telling: Dict[str, Set[str]] = {}  # key -> claims that tell its kinds apart
    for path, f in facts:
        for issue in f.issues:
            if not issue.key:
                continue
            kind, claim = _kind(issue)
            if not kind:
                continue
            kinds.setdefault(issue.key, {}).setdefault((kind, issue.source), (relative(project, path), issue.line))
            if claim:
                telling.setdefault(issue.key, set()).add(claim)
    if not any(len({k for k, _ in v}) >= 2 for v in kinds.values()):
        return
    readers: Set[str] = set()
    jwt_callers: Dict[str, Set[str]] = {}
    for _, f in facts:
        readers.update(f.kind_readers)
        for function, called in f.functions.items():
            for name in called:
                jwt_callers.setdefault(name, set()).add(function)
    for path, f in facts:
        for accept in f.accepts:
            if not accept.decides:
                continue  # claims read only to revoke or inspect the token
            found = _signed_with(kinds.get(accept.key, {}), accept.source)
            if len(found) < 2:
                continue
            if kind_from_name(accept.function) not in ("", "access"):
                continue  # a decode for refresh, reset or verification tokens
            claims = telling.get(accept.key, set())
            if any(c in accept.reads for c in KIND_CLAIMS):
                continue
            if accept.audience == "given" and "aud" in claims:
                continue
            if accept.function in f.kind_readers:
                continue
            unchecked = ""
            if accept.returns:
                callers = _callers(project, jwt_callers)
                unchecked = _unchecked_caller(accept.function, callers, _checking(readers, callers))
                if unchecked is None:
                    continue  # every caller checks the kind, or hands the claims to a helper that does
            listed = ", ".join(f"{k} ({w[0]}:{w[1]})" for k, w in sorted(found.items())[:4])
            how = f"the `{sorted(claims)[0]}` claim" if claims else "a `type` claim set when each kind is issued"
            yield Finding(rule=RULE, path=path, span=Span(accept.line, accept.column, accept.end_line, accept.end_column),
                          message=(f"`{accept.display}` accepts every kind of token signed with `{accept.key}` — "
                                   f"{listed} — without checking which kind it got"
                                   + (f" (its caller `{unchecked}` does not either)" if unchecked else "")
                                   + f": check {how}, or sign each kind with its own key (spec §2.2)"))


def _signed_with(kinds: Dict[Tuple[str, str], Tuple[str, int]], source: str) -> Dict[str, Tuple[str, int]]:
    """The kinds signed with the key a decode uses: a constant of the same name bound to another
    setting (`SECRET_KEY = settings.mail_token_key` in another service) is another key."""
    out: Dict[str, Tuple[str, int]] = {}
    for (kind, issued_source), where in sorted(kinds.items()):
        if not source or not issued_source or source == issued_source:
            out.setdefault(kind, where)
    return out


def _callers(project, jwt_callers: Dict[str, Set[str]]) -> Dict[str, Set[str]]:
    """Callee name -> caller names over every function of the project outside tests (the JWT facts
    keep only the files that decode, issue or read a kind: a caller elsewhere is found here).
    Decoded only when a decode is not excused otherwise."""
    def compute() -> Dict[str, Set[str]]:
        out: Dict[str, Set[str]] = {k: set(v) for k, v in jwt_callers.items()}
        for path, packed in project.facts(FACTS_KEY):
            res = project.results.get(path)
            if res is not None and is_test_path(res.rel):
                continue  # tests decode tokens of every kind on purpose
            for qual, fact in LazyFileFacts(packed).functions.items():
                caller = qual.rsplit(".", 1)[-1]
                for v in fact.calls:
                    name = _last_name(v)
                    if name:
                        out.setdefault(name, set()).add(caller)
        return out
    return project.memo("jwt-kind-callers", compute)


def _last_name(v) -> str:
    if v is None or v.k not in ("ref", "loc", "attr") or not isinstance(v.q, str):
        return ""
    return v.q.rsplit(".", 1)[-1]


def _checking(readers: Set[str], callers: Dict[str, Set[str]]) -> Set[str]:
    """The kind readers, and the functions that hand a token's claims to one
    (`verify_token_type(payload, "access")` after a generic decode)."""
    return readers | {caller for reader in readers for caller in callers.get(reader, ())}


def _unchecked_caller(function: str, callers: Dict[str, Set[str]], checking: Set[str],
                      depth: int = 0) -> Optional[str]:
    """A caller of a decode helper that uses the claims without checking the kind ("" when the
    helper has no caller to vouch for it); None when every caller (or, for one that only passes the
    claims on, every caller of that, two levels up) checks it, or is itself for another kind of token
    (`refresh_access_token`) or revokes it (`logout`)."""
    found = callers.get(function, set())
    if not found:
        return "" if depth == 0 else function
    for caller in sorted(found):
        if caller in checking or kind_from_name(caller) not in ("", "access") or REVOKES.search(caller):
            continue
        if depth >= 1:
            return caller
        deeper = _unchecked_caller(caller, callers, checking, depth + 1)
        if deeper is not None:
            return deeper or caller
    return None
