"""Which middleware authenticates the requests of an app, and which paths it lets through.

A middleware protects the routes behind it when it turns away requests without a valid
credential: a function (`@app.middleware("http")`) or a class (`dispatch` of a
BaseHTTPMiddleware, an ASGI `__call__`) that reads a credential and rejects or verifies it, or
answers 401 — itself, or in the object it hands the request to first
(`return await resources.auth.dispatch(request, call_next)`); or a known library middleware.
An identity middleware that lets anonymous requests through protects nothing, and neither does a
CORS check (it refuses preflights from unknown origins, whoever sends them).

The paths such a middleware tests the request's path against, in a list named for letting
requests through (`PUBLIC_ENDPOINTS`, `SKIP_AUTH`), are not protected by it: the Auth carries
them (`exempt`), and the route table leaves them out for the routes they match.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from fastauthlint.project import known as K
from fastauthlint.project.authentication import Auth, Authentication
from fastauthlint.project.evaluate import Obj
from fastauthlint.project.facts import FuncFact
from fastauthlint.project.values import V, short_name


class MiddlewareAuthentication:
    def __init__(self, authentication: Authentication):
        self.auth = authentication
        self.E = authentication.E
        self.evidence = authentication.evidence
        self.refusal = authentication.refusal

    def middleware_auth(self, target: V, path: str) -> Optional[Auth]:
        """The authentication a middleware (the function or class given to the app) brings."""
        for o in self.E.ev(target, path):
            if o.kind in ("ext", "extinst") and (K.is_auth_library_class(o.name) or o.name in K.AUTH_MIDDLEWARE):
                return Auth(o.name, short_name(o.name))
            funcs: List[Tuple[str, str]] = []
            if o.kind == "extinst" and o.name.endswith(".BaseHTTPMiddleware") and o.v is not None \
                    and o.v.kwarg("dispatch") is not None:
                # `add_middleware(BaseHTTPMiddleware, dispatch=check_token)`: the function runs
                o = next((x for x in self.E.ev(o.v.kwarg("dispatch"), o.extra or path) if x.kind == "func"), o)
            if o.kind == "func":
                funcs.append((o.path, o.name))
            elif o.kind in ("class", "inst"):  # an instance: `add_middleware(Auth, exclude_paths=[...])`
                for meth in ("dispatch", "dispatch_func", "__call__"):
                    found = self.E.classes.member(o.path, o.name, meth)
                    if found is not None and found[0] == "method":
                        funcs.append((found[1], found[2]))
            for fpath, qual in funcs:
                f = self.E.func(fpath, qual)
                if f is None:
                    continue
                qn = self.E.qual(fpath, qual)
                if self.auth.configured(qn):
                    return Auth(qn, f"{short_name(qn)} (configured in auth-dependencies)")
                label = short_name(qual.replace(".<locals>", "")) if o.kind == "func" else short_name(o.name)
                own = o if o.kind == "inst" else None
                for g, gpath, via, inst in [(f, fpath, "", own)] + self.delegates(f, fpath):
                    # Only what the middleware does itself: an identity middleware that calls a
                    # resolver which rejects bad tokens but lets anonymous requests through (and
                    # leaves the decision to the routes) protects nothing by itself.
                    body = self.evidence.body_auth(g, gpath, g.params, role="middleware") \
                        or self.answers_failed_verification(g, gpath, inst)
                    if body is not None:
                        exempt, _ = self.refusal.path_entries(g, gpath, inst)
                        text = f"{label} → {via} ({body})" if via else f"{label} ({body})"
                        allow, only = self.path_patterns(g, gpath, inst)
                        if allow or only:
                            return Auth(qn, text, user=False, exempt=exempt, allow_re=allow, only_re=only)
                        return Auth(qn, text, user=False, exempt=exempt)
        return None

    def answers_failed_verification(self, f: FuncFact, path: str, inst: Optional[Obj]) -> Optional[str]:
        """A middleware that hands the request (or its headers) to its helpers, verifies a token
        there (`payload = decode(token, secret, ...)` in `self._authenticate`) and, on the failing
        path, answers with a response of its own instead of calling the app
        (`return self._error_response(request, exc)`): it turns requests away, whatever status
        the response carries."""
        if not self._verifies(f, path):
            return None
        nexts = {p.name for p in f.params[1:] if p.name not in ("request", "scope", "receive", "send")}
        for r in f.returns:
            if r.k != "call" or not r.a or (r.a[0].k == "loc" and r.a[0].q in nexts) \
                    or (r.a[0].k == "attr" and r.a[0].q == "app"):
                continue
            objs = self.E.ev(r, path, inst.env if inst is not None else ())
            if any(o.kind == "extinst" and o.name.endswith("Response") for o in objs):
                return "verifies the request's token and answers a failure itself"
        return None

    def _verifies(self, f: FuncFact, path: str, depth: int = 0) -> bool:
        """The function verifies a token (Evidence.decodes follows its callees), or it or a helper
        it calls (two calls deep) checks one with a verify-named call of a library the project does
        not know (`payload = decode(token, secret)`: the `check:verify:` act)."""
        if depth == 0 and self.evidence.decodes(path, f.name):
            return True
        if any(a.startswith("check:verify:") for a in f.actions):
            return True
        if depth >= 2:
            return False
        for c in f.calls:
            for o in self.E.ev(c, path):
                if o.kind in ("func", "method") and o.path:
                    g = self.E.func(o.path, o.name)
                    if g is not None and g is not f and self._verifies(g, o.path, depth + 1):
                        return True
        return False

    def delegates(self, f: FuncFact, path: str) -> List[Tuple[FuncFact, str, str, Optional[Obj]]]:
        """The functions a middleware hands the request to first, with `call_next`
        (`return await auth.middleware(request, call_next)`), and the instance they run on."""
        params = {p.name for p in f.params}
        out: List[Tuple[FuncFact, str, str, Optional[Obj]]] = []
        for stmt in f.lead[:2]:
            for call in stmt:
                if call.callee is None or not any(a.k == "loc" and a.q in params for a in call.args):
                    continue
                for o in self.E.ev(call.callee, path):
                    if o.kind not in ("func", "method") or not o.path or (o.path, o.name) == (path, f.name):
                        continue
                    g = self.E.func(o.path, o.name)
                    if g is not None:
                        inst = o.base if o.kind == "method" and o.base is not None and o.base.kind == "inst" else None
                        out.append((g, o.path, short_name(o.name.replace(".<locals>", "")), inst))
        return out

    def path_patterns(self, f: FuncFact, path: str, inst: Optional[Obj]) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        """The regular expressions a middleware matches the path against (FuncFact.path_regex):
        those whose match lets the request through, and, when every refusal is inside an `if`
        matching one, the only patterns it guards (other paths pass); unreadable ones are left out
        of the first and make the second empty (it then guards everything)."""
        allow: List[str] = []
        only: List[str] = []
        is_open = any(k == "open" for _, k in f.path_regex)
        for v, kind in f.path_regex:
            if kind == "open":
                continue
            pats = self._regexes(v, path, inst)
            if kind == "allow":
                allow.extend(pats)
            elif is_open:
                if not pats:
                    return tuple(allow), ()
                only.extend(pats)
        return tuple(dict.fromkeys(allow)), tuple(dict.fromkeys(only))

    def _regexes(self, v: V, path: str, inst: Optional[Obj]) -> List[str]:
        on_self = v.k == "attr" and v.a and v.a[0].k == "loc" and v.a[0].q == "self"
        objs = self.E.getattr_obj(inst, v.q) if on_self and inst is not None else self.E.ev(v, path)
        out: List[str] = []
        for o in objs:
            if o.kind == "extinst" and o.name == "re.compile" and o.v is not None and o.v.args:
                objs2 = self.E.ev(o.v.args[0], o.extra or path, o.env)
            else:
                objs2 = [o]
            for x in objs2:
                if x.kind == "str" and not x.name.startswith("?"):
                    try:
                        re.compile(x.name)
                    except re.error:
                        return []
                    out.append(x.name)
                else:
                    return []
        return out
