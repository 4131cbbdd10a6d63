"""Handler parameters a dependency-injection container provides instead of FastAPI: dishka's
`FromDishka[X]` (`Annotated[X, FromComponent()]`), with `@inject` or a `DishkaRoute` router.

Such a parameter authenticates the route when what provides X does: a provider method
(`@provide(scope=Scope.REQUEST) def user(self, request: Request) -> User`) judged as a
dependency would be; or, for a request-scoped service, when the handler calls a method of it
that reads the request's credential and verifies or refuses it (`session.subject()` decoding the
session cookie), followed through the methods it calls on itself. A provider that only names the
caller (a visitor id) and a service method reading a preference cookie authenticate nothing.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

from fastauthlint.project.authentication import Auth, Authentication
from fastauthlint.project.evaluate import Obj
from fastauthlint.project.facts import FuncFact, ParamFact
from fastauthlint.project.values import V, short_name


def _is_dishka(name: str, last: str) -> bool:
    return name.split(".", 1)[0] == "dishka" and name.rsplit(".", 1)[-1] == last


class Injection:
    def __init__(self, authentication: Authentication):
        self.auth = authentication
        self.E = authentication.E
        self.evidence = authentication.evidence
        self._providers: Optional[Dict[Tuple[str, str], List[Tuple[str, str, bool]]]] = None

    def injected(self, p: ParamFact, path: str) -> Optional[V]:
        """The type X of a parameter the container provides, else None."""
        ann = p.ann
        if ann is None or ann.k != "ann" or len(ann.a) < 2:
            return None
        for m in ann.a[1:]:
            target = m.callee if m.k == "call" else m
            if target is not None and any(o.kind == "ext" and _is_dishka(o.name, "FromComponent")
                                          for o in self.E.ev(target, path)):
                return ann.a[0]
        return None

    def providers(self) -> Dict[Tuple[str, str], List[Tuple[str, str, bool]]]:
        """(file, class) provided -> [(file, function, is method)] of `@provide` functions."""
        if self._providers is None:
            self._providers = {}
            for path, facts in self.E.files.items():
                for qual, f in facts.functions.items():
                    if not f.decorators or f.returns_ann is None:
                        continue
                    if not any(self._is_provide(d, path) for d in f.decorators):
                        continue
                    for o in self.E.ev(f.returns_ann, path):
                        if o.kind == "class":
                            self._providers.setdefault((o.path, o.name), []).append((path, qual, f.is_method))
        return self._providers

    def _is_provide(self, d: V, path: str) -> bool:
        target = d.callee if d.k == "call" else d
        return target is not None and any(o.kind == "ext" and _is_dishka(o.name, "provide")
                                          for o in self.E.ev(target, path))

    def param_auth(self, p: ParamFact, path: str, hfact: Optional[FuncFact]) -> Optional[Auth]:
        x = self.injected(p, path)
        if x is None:
            return None
        for o in self.E.ev(x, path):
            if o.kind != "class":
                continue
            for fpath, qual, bound in self.providers().get((o.path, o.name), []):
                a = self.auth.auth_of_func(fpath, qual, bound=bound)
                if a is not None:
                    return Auth(a.name, f"provided by {short_name(qual)} → {a.text}", a.optional, a.admin, a.user)
            if hfact is None:
                continue
            for pname, meth in hfact.param_calls:
                if pname != p.name:
                    continue
                member = self.E.classes.member(o.path, o.name, meth)
                if member is None or member[0] != "method":
                    continue
                text = self.method_refuses(member[1], member[2])
                if text is not None:
                    return Auth(self.E.qual(member[1], member[2]),
                                f"{p.name}.{meth}() of the injected {short_name(o.name)} {text}", user=False)
        return None

    def method_refuses(self, path: str, qual: str) -> Optional[str]:
        """The method, with the methods it calls on its own instance, reads the request's
        credential (or a cookie/header of the request it holds) and verifies it or refuses with
        401 without one."""
        cls = qual.rsplit(".", 1)[0]
        todo, seen = [qual], set()  # type: List[str], Set[str]
        reads: List[str] = []
        decodes = rejects = False
        while todo and len(seen) < 8:
            q = todo.pop()
            if q in seen:
                continue
            seen.add(q)
            f = self.E.func(path, q)
            if f is None:
                continue
            reads.extend(r.split(":", 1)[-1] for r in f.reads if r != "user")
            reads.extend(x.a[0].q for x in f.xcalls if x.k == "attr" and x.q == "get" and x.a
                         and x.a[0].k == "attr" and x.a[0].q in ("cookies", "headers"))
            decodes = decodes or f.decodes or f.verifier_call or self.evidence.decodes(path, q)
            rejects = rejects or self.evidence.raises_reject(f, path) == 401
            for c in f.calls:
                if c.k == "attr" and c.a and c.a[0].k == "loc" and c.a[0].q == "self":
                    if f"{cls}.{c.q}" in self.E.files[path].functions:
                        todo.append(f"{cls}.{c.q}")
        if decodes and (reads or rejects):
            return f"reads {'`%s`' % reads[0] if reads else 'a credential'} and verifies it"
        if reads and rejects:
            return f"reads `{reads[0]}` and rejects requests without a valid one"
        return None
