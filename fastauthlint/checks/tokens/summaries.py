"""What the project's functions do with credentials, for FAL401/FAL402, from every file's facts
(`Summaries`, built once per linking step):

- which functions return a credential, and of what kind (`create_access_token()` an issued token, a
  dependency returning the bearer token a credential), through helpers returning helpers' results
  and parameters fed by security schemes;
- which dependencies hand a handler a credential (a security scheme, an alias of one, perhaps in
  another file, or a function that returns one);
- which parameters of which functions reach a sink, through helpers calling helpers.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

from fastauthlint.checks.tokens.facts import FunctionFacts
from fastauthlint.checks.tokens.taint import KIND_ORDER

# A sink a parameter reaches: (rule, how the sink is shown, the file, the sink's span or None).
Reach = Tuple[str, str, str, Optional[Tuple[int, int, int, int]]]


class Summaries:
    def __init__(self, project, check_name: str):
        self.project = project
        self.funcs: Dict[str, Tuple[str, FunctionFacts]] = {}  # qualified name -> (path, facts)
        self.schemes: Dict[str, Set[str]] = {}
        self.aliases: Dict[str, Dict[str, str]] = {}
        for path, facts in project.facts(check_name):
            names = project.names(path)
            module = names.module if names else ""
            self.schemes[path] = set(facts.schemes)
            self.aliases[path] = dict(facts.aliases)
            for f in facts.functions:
                self.funcs[f"{module}.{f.name}" if module else f.name] = (path, f)
        self._issuer: Dict[str, Optional[str]] = {}
        self.reaches = self._reaching_sinks()

    def lookup(self, qual: str, near: str) -> Optional[Tuple[str, FunctionFacts]]:
        if qual in self.funcs:
            return self.funcs[qual]
        sym = self.project.resolve(qual, near=near)
        if sym is None or sym.attrs:
            return None
        return self.funcs.get(sym.qualname)

    def returns_secret(self, qual: str, near: str, depth: int = 0) -> Optional[str]:
        """The kind of secret a project function returns ("issued", "credential", …), or None."""
        entry = self.lookup(qual, near)
        if entry is None or depth > 12:
            return None
        path, f = entry
        key = f"{path}:{f.name}"
        if key in self._issuer:
            return self._issuer[key]
        self._issuer[key] = None  # a cycle of helpers returning each other's results returns nothing
        kind = None
        for k in sorted(f.returns, key=lambda k: KIND_ORDER.get(k, 9)):
            kind = k
            break
        if kind is None:
            for c in f.returns_calls:
                kind = self.returns_secret(c, path, depth + 1)
                if kind:
                    break
        if kind is None:
            for i in f.returns_params:
                if self.param_is_credential(path, f, i, depth + 1):
                    kind = "credential"
                    break
        self._issuer[key] = kind
        return kind

    def dep_is_credential(self, ref: str, near: str, depth: int) -> bool:
        """Does the dependency `ref` (a `Depends()` target or an alias) hand over a credential?"""
        if depth > 12:
            return False
        if ref.startswith("scheme:"):
            return True
        sym = self.project.resolve(ref, near=near)
        if sym is None or sym.attrs:
            return False
        if sym.name in self.schemes.get(sym.path, ()):
            return True
        alias = self.aliases.get(sym.path, {}).get(sym.name)
        if alias is not None:
            return self.dep_is_credential(alias, sym.path, depth + 1)
        kind = self.returns_secret(sym.qualname, sym.path, depth + 1)
        return kind in ("credential", "token")

    def param_is_credential(self, path: str, f: FunctionFacts, i: int, depth: int = 0) -> bool:
        ref = f.deps.get(str(i))
        return ref is not None and self.dep_is_credential(ref, path, depth)

    def target_key(self, callee: str, near: str, arg: str) -> Optional[Tuple[str, int]]:
        """(the callee's qualified name, the index of the parameter `arg` binds), when known."""
        entry = self.lookup(callee, near)
        if entry is None:
            return None
        cpath, cf = entry
        idx = _param_index(cf, arg)
        if idx is None:
            return None
        names = self.project.names(cpath)
        module = names.module if names else ""
        return (f"{module}.{cf.name}" if module else cf.name, idx)

    def _reaching_sinks(self) -> Dict[Tuple[str, int], List[Reach]]:
        """Which parameters of which functions reach a sink (through helpers calling helpers too)."""
        reaches: Dict[Tuple[str, int], List[Reach]] = {}
        for qual, (path, f) in self.funcs.items():
            for fl in f.flows:
                if fl.label == "param" and not fl.response:
                    reaches.setdefault((qual, int(fl.ref)), []).append((fl.rule, fl.sink, path, fl.span))
        for _ in range(6):  # helpers calling helpers, a few levels deep
            changed = False
            for qual, (path, f) in self.funcs.items():
                for c in f.calls:
                    if c.param < 0 or (qual, c.param) in reaches:
                        continue
                    target = self.target_key(c.callee, path, c.arg)
                    if target is not None and target in reaches:
                        reaches[(qual, c.param)] = reaches[target]
                        changed = True
            if not changed:
                break
        return reaches


def _param_index(f: FunctionFacts, arg: str) -> Optional[int]:
    if arg.isdigit():
        i = int(arg)
        return i if i < len(f.params) else None
    return f.params.index(arg) if arg in f.params else None
