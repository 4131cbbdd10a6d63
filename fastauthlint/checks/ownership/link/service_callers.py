"""Routes another service calls with a shared secret (spec §5 scopes rows to an end user; these
routes have none).

`get_internal_service(api_key: str = Header())` compares the key with one configured secret
(`settings.INTERNAL_API_KEY`) and loads no one: whoever holds the key is a trusted service that
acts for the user it names (`GET /credits/balance?user_id=7`). A `user_id` from the request is the
design there, not a client choosing whose rows to read, so FAL201 leaves such a route alone.

Decided from evidence, never names: every authenticating dependency of the route compares a value
the request carries with a configured one (`FuncSummary.key_compare`), verifies no token, queries
nothing (itself nor the project code it calls) and takes no user dependency; and the handler has
no user of its own. A personal API key looked up in a table names its owner (a user), a route
that also takes the signed-in user has one: both stay judged.
"""

from __future__ import annotations

from typing import Dict, Optional

from fastauthlint.checks.ownership.facts import FuncSummary
from fastauthlint.project.known import BODY_CALL_AUTH, VERIFIERS

_KEY_COMPARES = frozenset(("hmac.compare_digest", "secrets.compare_digest"))


class ServiceRoutes:
    def __init__(self, walk):
        self.walk = walk
        self._memo: Dict[str, bool] = {}
        self._evidence = None

    def only_service_key(self, r, path: str, fs: FuncSummary, b) -> bool:
        """The route's only authentication is a shared secret: no user is in scope."""
        if r.optional_user_params or b.self_user or not r.auth_dependencies:
            return False
        resolver = self.walk.resolver
        for p in fs.params:  # `_: str = Depends(get_internal_service)` is what the key check returns
            if p.name in r.user_params or p.name in b.user:
                ref = resolver.dependency_ref(path, p)
                if not ref or not self.service_key(resolver.resolve_name(ref, path) or ref):
                    return False
        if (set(r.user_params) | set(b.user)) - {p.name for p in fs.params}:
            return False
        if any(p.annotation in BODY_CALL_AUTH for p in fs.params):
            return False
        return all(self.service_key(d) for d in r.auth_dependencies)

    def service_key(self, qualname: str, depth: int = 0) -> bool:
        if qualname in self._memo:
            return self._memo[qualname]
        self._memo[qualname] = False  # re-entrancy
        hit = self.walk.resolver.function(qualname.replace(".<locals>", ""))
        ok = hit is not None and self._judge(hit[0], hit[1], depth)
        self._memo[qualname] = ok
        return ok

    def _judge(self, path: str, d: FuncSummary, depth: int) -> bool:
        resolver = self.walk.resolver
        if not d.key_compare or d.sites or depth > 3:
            return False
        for p in d.params:
            if resolver.is_user_dependency(path, p):
                return False
            ref = resolver.dependency_ref(path, p)
            target = resolver.resolve_name(ref, path) or ref if ref else ""
            if target and resolver.function(target) is not None and not self._queryless(target):
                return False
        if not self.walk._queryless(path, d, 0):
            return False
        return not self._decodes(path, d.qualname)

    def _queryless(self, qualname: str) -> bool:
        hit = self.walk.resolver.function(qualname)
        return hit is not None and self.walk._queryless(hit[0], hit[1], 0)

    def _decodes(self, path: str, qualname: str) -> bool:
        """It verifies a token (itself or through the project code it calls): the token's
        subject is a user. A constant-time comparison is the key check itself, not a token."""
        if self._evidence is None:
            from fastauthlint.project.evaluate import Evaluator
            from fastauthlint.project.evidence import Evidence
            self._evidence = Evidence(Evaluator(self.walk.project))
        ev = self._evidence
        module = self._module(path)
        local = qualname[len(module) + 1:] if module and qualname.startswith(module + ".") else qualname
        f = ev.E.func(path, local)
        if f is None:
            return True  # nothing known: not evidence of a shared secret
        if f.verifier_call:
            return True
        for c in f.calls:
            if c.k == "ref" and c.q in VERIFIERS and c.q not in _KEY_COMPARES:
                return True
            for o in ev.E.ev(c, path):
                if o.kind == "func" and ev.decodes(o.path, o.name):
                    return True
        return False

    def _module(self, path: str) -> Optional[str]:
        names = self.walk.project.names(path)
        return names.module if names is not None else None
