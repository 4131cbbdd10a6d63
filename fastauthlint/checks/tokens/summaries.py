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

from fastauthlint.checks.tokens import token_logged
from fastauthlint.checks.tokens.facts import FunctionFacts
from fastauthlint.checks.tokens.handlers import catching
from fastauthlint.checks.tokens.taint import KIND_ORDER

# A sink a parameter reaches: (rule, how the sink is shown, the file, the sink's span or None, the
# exception whose message carries it when it leaves the function uncaught, or "", whether it was
# reported there already).
Reach = Tuple[str, str, str, Optional[Tuple[int, int, int, int]], str, bool]


def through(reach: Reach, handlers, rel: str) -> Optional[Reach]:
    """What a sink reached in a callee becomes past the `except` clauses around the call: an
    exception's message logged by one (FAL401), dropped by one (nothing), or still on its way."""
    rule, sink, path, span, raised, _ = reach
    if not raised:
        return reach
    h = catching(raised, handlers)
    if h is None:
        return reach
    _, logged, echoed = h
    if logged:
        where = f" in {rel}" if rel else ""
        return (token_logged.RULE, f"{sink}{where}, which the `except` around the call writes to {logged}", "",
                None, "", False)
    return (rule, sink, path, span, "", False) if echoed else None


class Summaries:
    def __init__(self, project, check_name: str):
        self.project = project
        self.funcs: Dict[str, Tuple[str, FunctionFacts]] = {}  # qualified name -> (path, facts)
        self.schemes: Dict[str, Set[str]] = {}
        self.aliases: Dict[str, Dict[str, str]] = {}
        self.instances: Dict[str, Dict[str, str]] = {}
        self.holders: Dict[str, Dict[str, str]] = {}
        for path, facts in project.facts(check_name):
            names = project.names(path)
            module = names.module if names else ""
            self.schemes[path] = set(facts.schemes)
            self.aliases[path] = dict(facts.aliases)
            self.instances[path] = dict(facts.instances)
            self.holders[path] = dict(facts.holders)
            for f in facts.functions:
                self.funcs[f"{module}.{f.name}" if module else f.name] = (path, f)
        self._issuer: Dict[str, Optional[str]] = {}
        self.reaches = self._reaching_sinks()
        self.logged_exceptions = self._logged_exceptions(project, check_name)

    def _logged_exceptions(self, project, check_name: str) -> Dict[str, str]:
        """The exceptions an application's exception handler writes to a log (its exception
        parameter reaches a log sink): class name -> how that log is described."""
        out: Dict[str, str] = {}
        for path, facts in project.facts(check_name):
            for exc, handler in getattr(facts, "exception_handlers", ()):
                entry = self.lookup(handler, path)
                if entry is None:
                    continue
                hpath, f = entry
                names = project.names(hpath)
                qual = f"{names.module}.{f.name}" if names and names.module else f.name
                idx = next((i for i, p in enumerate(f.params) if p in ("exc", "exception", "error", "err", "e", "ex")),
                           1 if len(f.params) > 1 else -1)
                where = f" in {self.rel(hpath)}" if self.rel(hpath) else ""
                logged = [sink for rule, sink, _, _, _, _ in self.reaches.get((qual, idx), ())
                          if rule == token_logged.RULE]
                if logged:
                    out[exc] = f"the exception handler `{f.name}`{where} writes to {logged[0]}"
                elif not any(fl.label == "param" and fl.ref == str(idx) for fl in f.flows):
                    out.setdefault(exc, "")  # answered without its message: dropped
        return out

    def logged_exception(self, raised: str) -> Optional[str]:
        """What the application's exception handler does with an exception leaving a route
        uncaught: how it logs it, "" when it drops its message, None when unknown (no handler,
        or one that hands the message on)."""
        for name in (raised, "Exception"):
            if name in self.logged_exceptions:
                return self.logged_exceptions[name]
        return None

    def rel(self, path: str) -> str:
        result = self.project.results.get(path) if path else None
        return result.rel if result is not None else ""

    def lookup(self, qual: str, near: str) -> Optional[Tuple[str, FunctionFacts]]:
        entry = self.lookup_call(qual, near)
        return (entry[0], entry[1]) if entry is not None else None

    def lookup_call(self, qual: str, near: str) -> Optional[Tuple[str, FunctionFacts, int]]:
        """(path, facts, how many parameters the call binds before its first argument): a function
        or a method called through its class (0; 1 for a classmethod), a method called through a
        module-level instance (`invites.issue(...)`: 1, for `self`)."""
        if "()." in qual:  # a method called through an instance of a project class (a parameter's type)
            cls, _, method = qual.partition("().")
            csym = self.project.resolve(cls, near=near)
            entry = self.funcs.get(f"{csym.qualname}.{method}") if csym is not None and not csym.attrs else None
            # a staticmethod called through an instance binds nothing before its first argument
            return (entry[0], entry[1], 1 if entry[1].receiver else 0) if entry is not None else None
        if qual in self.funcs:
            path, f = self.funcs[qual]
            return path, f, 1 if f.receiver == "cls" else 0
        sym = self.project.resolve(qual, near=near)
        if sym is None:
            return None
        if not sym.attrs:
            entry = self.funcs.get(sym.qualname)
            return (entry[0], entry[1], 0) if entry is not None else None
        if len(sym.attrs) == 2:  # `Class.method` imported as a module's attribute path
            entry = self.funcs.get(sym.qualname)
            if entry is not None:
                return entry[0], entry[1], 1 if entry[1].receiver == "cls" else 0
        cls = self.instances.get(sym.path, {}).get(sym.name)
        if cls is None or len(sym.attrs) != 1:
            return None
        csym = self.project.resolve(cls, near=sym.path)
        if csym is None or csym.attrs:
            return None
        entry = self.funcs.get(f"{csym.qualname}.{sym.attrs[0]}")
        if entry is None:
            return None
        return entry[0], entry[1], 1 if entry[1].receiver else 0

    def holder(self, qual: str, near: str) -> Optional[str]:
        """A secret field of the object or class `qual` names (`app.config.settings`, whose class
        declares `SECRET_KEY: str`), or None."""
        sym = self.project.resolve(qual, near=near)
        if sym is None or sym.attrs:
            return None
        field = self.holders.get(sym.path, {}).get(sym.name)
        if field is not None:
            return field
        cls = self.instances.get(sym.path, {}).get(sym.name)
        if cls is not None:
            csym = self.project.resolve(cls, near=sym.path)
            if csym is not None and not csym.attrs:
                return self.holders.get(csym.path, {}).get(csym.name)
        return None

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
        entry = self.lookup_call(callee, near)
        if entry is None:
            return None
        cpath, cf, shift = entry
        idx = _param_index(cf, arg, shift)
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
                    reaches.setdefault((qual, int(fl.ref)), []).append((fl.rule, fl.sink, path, fl.span, fl.raised,
                                                                         fl.local))
        for _ in range(6):  # helpers calling helpers, a few levels deep
            changed = False
            for qual, (path, f) in self.funcs.items():
                for c in f.calls:
                    if c.param < 0 or (qual, c.param) in reaches:
                        continue
                    target = self.target_key(c.callee, path, c.arg)
                    if target is not None and target in reaches:
                        passed = [r for r in (through(r, c.handlers, self.rel(r[2])) for r in reaches[target]) if r]
                        if passed:
                            reaches[(qual, c.param)] = passed
                            changed = True
            if not changed:
                break
        return reaches


def _param_index(f: FunctionFacts, arg: str, shift: int = 0) -> Optional[int]:
    """The parameter an argument binds: a position (after `shift` bound ones; beyond the named
    positional parameters, `*args`) or a keyword (one not named, `**kwargs`)."""
    if arg.endswith("*") and arg[:-1].isdigit():
        # At that position or later (after a `*args` of the call): the callee's `*args`, where a
        # trailing argument lands unless the unpacked sequence is too short to fill the named
        # parameters before it (`note(*context, token)` for `def note(event, *details)`).
        return f.star if f.star >= 0 else None
    if arg.isdigit():
        i = int(arg) + shift
        if f.star >= 0 and i >= f.star:
            return f.star
        last = f.kwstar if f.kwstar >= 0 else len(f.params)
        return i if i < last else None
    if arg in f.params and f.params.index(arg) not in (f.star, f.kwstar):
        return f.params.index(arg)
    return f.kwstar if f.kwstar >= 0 else None
