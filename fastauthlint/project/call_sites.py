"""Questions about the calls of project functions the evaluator answers (a mixin of Evaluator):
which factory builds a new router at every call, and what each call of a function binds its
parameters to, so that a route a generator declares is judged per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from fastauthlint.project.values import V


@dataclass(frozen=True)
class Bound:
    """A parameter bound to the value a call site passes (written in file `path`)."""

    v: V
    path: str


class SiteQuestions:
    def _built_per_call(self, o) -> bool:
        """A router a function builds in a local and returns, without declaring routes on it,
        including anything into it or handing it to another function: each call of the function
        gives a router of its own (else the routes declared inside make them one router)."""
        mod = self.module_of(o.path)
        local = o.name[len(mod) + 1:] if mod and o.name.startswith(mod + ".") else o.name
        scope, sep, name = local.partition(".<locals>.")
        if not sep or "." in name or not o.v or o.v.k != "call":
            return False
        return (scope, name) not in self._wired_locals(o.path)

    def _wired_locals(self, path: str) -> set:
        """(function, name) of the locals of a file that routes, inclusions, middleware or calls
        into project functions use (as receiver, parent, child or argument)."""
        memo = self.__dict__.setdefault("_wired_memo", {})
        if path in memo:
            return memo[path]
        out: set = set()
        facts = self.files.get(path)
        if facts is not None:
            vals: list = [r.receiver for r in facts.routes]
            vals += [x for i in facts.includes for x in (i.parent, i.child)]
            vals += [m.receiver for m in facts.middleware]
            vals += [x for c in facts.calls for x in (*c.args, *(a for _, a in c.kw))]
            stack = [v for v in vals if v is not None]
            while stack:
                v = stack.pop()
                if v.k == "loc":
                    out.add((v.s, v.q))
                stack.extend(v.a)
        memo[path] = out
        return out

    def call_sites(self, fpath: str, qual: str) -> List[Tuple]:
        """One environment per call of a project function: each parameter bound to what that
        call passes (a literal, else the argument's value as `Bound`), so that a route a
        generator declares is judged with the router and dependencies of each call together."""
        memo = self.__dict__.setdefault("_sites_memo", None)
        if memo is None:
            memo = self._sites_memo = {}
            for path, facts in self.files.items():
                for c in facts.calls:
                    for o in self.ev(c.callee, path):
                        f = self.func(o.path, o.name) if o.kind == "func" else None
                        if f is None:
                            continue
                        names = [p.name for p in f.params if not p.star]
                        if f.is_method and names:
                            names = names[1:]
                        bound: Dict[str, Any] = {}
                        pairs = list(zip(names, c.args)) + [(k, a) for k, a in c.kw if k in names]
                        for pname, a in pairs:
                            if a.k == "unk":
                                continue
                            lit = a.lit if a.k == "lit" else (a.q if a.k == "str" and not a.q.startswith("?") else a)
                            bound[pname] = Bound(a, path) if lit is a else lit
                        site = tuple(sorted(bound.items(), key=lambda kv: kv[0]))
                        lst = memo.setdefault((o.path, o.name), [])
                        if site not in lst:
                            lst.append(site)
        return memo.get((fpath, qual), [])

    def _init_arg(self, path: str, init: str, param: str, call: V) -> Optional[V]:
        """The argument a constructor call passes for `param` of the class's `__init__`."""
        f = self.func(path, init)
        if f is None:
            return None
        given = call.kwarg(param)
        if given is None:
            names = [p.name for p in f.params if not p.star][1:]
            if param in names and names.index(param) < len(call.args):
                given = call.args[names.index(param)]
        return given if given is not None and given.k != "unk" else None
