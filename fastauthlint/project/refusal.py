"""Whether code refuses a request that brings no valid credential, where that refusal is not in
the dependency or handler itself:

- in a helper the code hands the credential to before doing anything else (`client =
  api_auth(api_key, db)` as a handler's first statement, `return verify_key(key, db)` in a
  dependency): the helper returns a principal on every path that does not raise 401/403;
- in the state of the instance a route depends on: a scheme whose `return None` is reached only
  with `auto_error` off, a dependency that returns None only for the paths of an exclusion list
  its constructor was given (`LoginRequired(skip=[...])`), judged per instance from what the
  call site passes;
- in the allow-list a middleware (or the object it delegates to) tests the request's path
  against: the paths it lets through.

authentication.py asks these questions; evidence.py supplies what each function's code shows.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Set, Tuple

from fastauthlint.project import known as K
from fastauthlint.project.evaluate import _NOLIT, Evaluator, Obj, literal
from fastauthlint.project.evidence import Evidence
from fastauthlint.project.facts import FuncFact, ParamFact
from fastauthlint.project.values import V, short_name

# (truthiness "truthy"/"falsy"/"unknown", the "METHODS path" entries a list holds, entries unread)
State = Tuple[str, Tuple[str, ...], bool]
_UNKNOWN: State = ("unknown", (), True)


class Refusal:
    def __init__(self, evaluator: Evaluator, evidence: Evidence):
        self.E = evaluator
        self.evidence = evidence
        self._helper_memo: Dict[Tuple[str, str], int] = {}

    # -- helpers the credential is handed to ---------------------------------------------------
    def callees(self, v: V, path: str) -> List[Tuple[str, str, str]]:
        """(kind, file, function) a call's callee may run: "func" for a function or method,
        "class" for a constructor (its `__init__`), "ext" for code outside the project."""
        out: List[Tuple[str, str, str]] = []
        for o in self.E.ev(v, path):
            if o.kind == "func" or (o.kind == "method" and o.path):
                out.append(("func", o.path, o.name))
            elif o.kind == "inst":
                member = self.E.classes.member(o.path, o.name, "__call__")
                if member is not None and member[0] == "method":
                    out.append(("func", member[1], member[2]))
            elif o.kind == "class":
                out.append(("class", o.path, f"{o.name}.__init__"))
            else:
                out.append(("ext", "", o.label()))
        return out

    def helper(self, path: str, qual: str) -> int:
        """401/403 when the function refuses what it is handed: every path through it returns a
        value (never None, nor the end of its body) or raises that status; a function handing
        back only its own argument checks presence, not validity. 0 otherwise."""
        key = (path, qual)
        if key not in self._helper_memo:
            self._helper_memo[key] = 0
            f = self.E.func(path, qual)
            status = 0
            if f is not None and not f.returns_none and not f.ends_open:
                params = {p.name for p in f.params}
                echo = bool(f.returns) and all(r.k == "loc" and r.q in params for r in f.returns)
                if not echo:
                    status = self.evidence.raises_reject(f, path)
            self._helper_memo[key] = status
        return self._helper_memo[key]

    def calls_refuser(self, f: FuncFact, path: str) -> Optional[str]:
        """A dependency that calls a project function answering 401 (`enforce(policy)` raising
        unless the request context holds a user): what is called decides, as when the dependency
        raises the 401 itself."""
        fed = set(f.cred_fed)
        for c in f.calls:
            if c in fed:
                continue  # handed the credential: whether it verifies it is handed_on's question
            for o in self.E.ev(c, path):
                if o.kind == "method" and o.path:
                    o = Obj("func", o.path, o.name)
                if o.kind != "func" or (o.path, o.name) == (path, f.name):
                    continue
                g = self.E.func(o.path, o.name)
                if g is not None and self.evidence.raises_reject(g, o.path) == 401:
                    return f"calls {short_name(o.name.replace('.<locals>', ''))}, which rejects with 401"
        return None

    # -- decorators wrapping a handler ---------------------------------------------------------
    def wrapper_refusal(self, dec: V, path: str) -> Optional[str]:
        """A handler decorator (`@login_required`, `@require_permission("x")`, a functools.wraps
        wrapper) whose wrapper refuses before calling the handler: the function it returns
        (directly, or through the decorator a factory returns) answers 401, or reads a credential
        or the request and rejects. One that only logs or times refuses nothing. None if not."""
        frontier = [o for o in self.E.ev(dec, path) if o.kind in ("func", "inst")]
        seen: Set[Tuple[str, str]] = set()
        for depth in range(3):
            nxt: List[Obj] = []
            for o in frontier:
                if o.kind == "inst":
                    member = self.E.classes.member(o.path, o.name, "__call__")
                    if member is None or member[0] != "method":
                        continue
                    o = Obj("func", member[1], member[2])
                f = self.E.func(o.path, o.name)
                if f is None or (o.path, o.name) in seen:
                    continue
                seen.add((o.path, o.name))
                if ".<locals>." in o.name:
                    # a wrapper: runs per request, in place of the handler
                    if self.evidence.raises_reject(f, o.path) == 401:
                        return "its wrapper rejects with 401"
                    body = self.evidence.body_auth(f, o.path, f.params, role="middleware")
                    if body is not None:
                        return f"its wrapper {body}"
                for r in f.returns:
                    nxt.extend(x for x in self.E.ev(r, o.path) if x.kind == "func")
            frontier = nxt
        return None

    def credential_params(self, params: Sequence[ParamFact], path: str) -> List[ParamFact]:
        """Parameters that read a credential from the request themselves: `Header(alias=
        "X-API-Key")`, a `token` query parameter, a credential-named parameter whose default is a
        header/cookie/query marker bound elsewhere (`api_key: str = worker_utils.api_key_header`)."""
        out = []
        for p in params:
            if p.credential:
                out.append(p)
            elif K.is_credential_name(p.name) and p.default is not None and p.default.k in ("ref", "attr"):
                if any(o.kind == "extinst" and (o.name in K.HEADER_PARAMS or o.name in K.COOKIE_PARAMS
                                                or o.name in K.QUERY_PARAMS) for o in self.E.ev(p.default, path)):
                    out.append(p)
        return out

    def handed_on(self, f: FuncFact, path: str, qual: str, params: List[ParamFact]) -> Optional[str]:
        """The function's first action hands a credential it received (an optional one, or a
        header/cookie/query parameter) to a helper that refuses it unless it finds who sent it
        (`return api_auth(api_key, db)`)."""
        creds = {(qual, p.name) for p in params}
        found = self.first_refusal(f, path, creds) if creds else None
        if found is None:
            return None
        helper, cred, status = found
        return f"hands `{cred}` to {helper}, which answers {status} unless it finds who sent it"

    def _checks(self, path: str, qual: str) -> bool:
        """A project function that raises: a validation step, not work on the request's data."""
        f = self.E.func(path, qual)
        return f is not None and f.raises

    def first_refusal(self, f: FuncFact, path: str, creds: Set[Tuple[str, str]],
                      depth: int = 0) -> Optional[Tuple[str, str, int]]:
        """(helper, credential, status) when the function's leading statements hand a credential
        (`creds`: (function, name) of the parameters holding one) to a refusing helper before
        they call project code that is not a check; a nested function the leading statements
        call is followed (`store()` defined in the handler)."""
        if depth > 3:
            return None
        for stmt in f.lead:
            stop = False
            for call in stmt:
                callee = call.callee
                if callee is None:
                    continue
                fed = [a.q for a in list(call.args) + [x for _, x in call.kw]
                       if a.k == "loc" and (a.s, a.q) in creds]
                for kind, cpath, qual in self.callees(callee, path):
                    if kind == "ext":
                        continue  # reading the body, parsing: library code
                    if kind == "func" and fed:
                        status = self.helper(cpath, qual)
                        if status:
                            return short_name(qual.replace(".<locals>", "")), fed[0], status
                    if kind == "func" and callee.k == "def":
                        g = self.E.func(cpath, qual)
                        found = self.first_refusal(g, cpath, creds, depth + 1) if g is not None else None
                        if found is not None:
                            return found
                    if not (kind == "func" and self._checks(cpath, qual)):
                        stop = True
            if stop:
                return None
        return None

    def rejects_through(self, f: FuncFact, path: str, depth: int = 0) -> bool:
        """The function raises, itself or in the project code it calls (a checker it builds and
        calls: `check = KeyChecker(key); return await check(request)`)."""
        if f.raises:
            return True
        if depth >= 2:
            return False
        for c in f.calls:
            for kind, cpath, qual in self.callees(c, path):
                g = self.E.func(cpath, qual) if kind != "ext" else None
                if g is not None and self.rejects_through(g, cpath, depth + 1):
                    return True
        # `return await users.validate_token(token)` on an injected service
        # (`users: Annotated[UserService, Depends()]`): the method of the parameter's class
        for pname, meth in f.param_calls:
            for cpath, qual in self.param_methods(f, path, pname, meth):
                g = self.E.func(cpath, qual)
                if g is not None and self.rejects_through(g, cpath, depth + 1):
                    return True
        return False

    def param_methods(self, f: FuncFact, path: str, pname: str, meth: str) -> List[Tuple[str, str]]:
        """The project methods `pname.meth(...)` runs: `meth` of the parameter's annotated class,
        through an `Annotated[Service, Depends()]` alias."""
        p = next((p for p in f.params if p.name == pname), None)
        if p is None or p.ann is None:
            return []
        out: List[Tuple[str, str]] = []
        frontier = self.E.ev(p.ann, path)
        for _ in range(3):
            nxt: List[Obj] = []
            for o in frontier:
                if o.kind == "alias" and o.v is not None and o.v.a:
                    nxt.extend(self.E.ev(o.v.a[0], o.path, o.env))
                elif o.kind == "class":
                    found = self.E.classes.member(o.path, o.name, meth)
                    if found is not None and found[0] == "method":
                        out.append((found[1], found[2]))
            frontier = nxt
        return out

    def admits_anonymous(self, v: V, path: str) -> bool:
        """The dependency is built with an argument admitting anonymous requests: a subject class
        named for them (`Authenticator(allowed_subjects={User, Anonymous})`) or a flag
        (`allow_anonymous=True`); also through the name it is bound to."""
        if v.k == "ref":
            sym = self.E.resolve(v.q, path)
            facts = self.E.files.get(sym.path) if sym is not None and not sym.attrs else None
            bound = facts.assigns.get(sym.name) if facts is not None else None
            if bound is None:
                return False
            v = bound
        if v.k != "call":
            return False
        for name, x in v.kw:
            if K.ANONYMOUS.search(name) and x.k == "lit" and x.lit is True:
                return True
        stack = list(v.args) + [x for _, x in v.kw]
        while stack:
            x = stack.pop()
            if x.k in ("ref", "attr", "loc") and K.ANONYMOUS.match(short_name(x.q)) and not _role_member(x):
                return True
            if x.k in ("list", "dict", "call"):
                stack.extend(x.a)
        return False

    # -- the instance a route depends on ---------------------------------------------------------
    def resolve(self, inst: Obj, guards: Tuple[Tuple[str, str], ...]) -> Optional[Tuple[str, ...]]:
        """For an instance whose `__call__` returns None only in some states of its attributes
        (`guards`): None when some guard may hold for this instance (it may let anonymous
        requests in), else the "METHODS path" entries of the lists that guard the None (empty:
        it never returns None)."""
        exempt: List[str] = []
        for attr, want in guards:
            if want == "anon":  # `if Anonymous in self.allowed_subjects: return AnonymousUser()`
                if self.attr_admits_anonymous(inst, attr) is not False:
                    return None
                continue
            state, entries, unread = self.attr_state(inst, attr)
            if state == "unknown" or want == state == "falsy":
                return None
            if want == "truthy" and state == "truthy":
                if not entries and unread:
                    return None
                exempt.extend(entries)
        return tuple(dict.fromkeys(exempt))

    def attr_state(self, inst: Obj, attr: str, depth: int = 0) -> State:
        """What an instance attribute holds, from what its class's methods set it from and what
        this instance's constructor call passes."""
        if depth > 6:
            return _UNKNOWN
        srcs = self._attr_sources(inst.path, inst.name, attr)
        if not srcs:
            return _UNKNOWN
        states: List[State] = []
        for src, v in srcs:
            if src.startswith("p:"):
                states.append(self._arg_state(inst, src[2:]))
            elif src.startswith("a:"):
                states.append(self.attr_state(inst, src[2:], depth + 1) if src[2:] != attr else _UNKNOWN)
            elif src in ("lit", "value") and v is not None:
                states.append(self.value_state(v, inst.path, ()))
            else:
                states.append(_UNKNOWN)
        return _combine(states)

    def attr_admits_anonymous(self, inst: Obj, attr: str) -> Optional[bool]:
        """Whether the instance attribute holds an anonymous subject (`{User, Anonymous}`);
        None when what it holds cannot be told."""
        found: Optional[bool] = False
        for src, v in self._attr_sources(inst.path, inst.name, attr):
            given: Optional[V] = v
            if src.startswith("p:"):
                arg = self._arg(inst, src[2:])
                given = arg[0] if arg is not None else None
            if given is None or given.k not in ("list", "dict", "lit"):
                return None
            if self.admits_anonymous(V("call", a=(V("unk"), given)), inst.path):
                found = True
        return found

    def _attr_sources(self, path: str, qual: str, attr: str, depth: int = 0) -> List[Tuple[str, Optional[V]]]:
        c = self.E.cls(path, qual)
        if c is None or depth > 8:
            return []
        out: List[Tuple[str, Optional[V]]] = []
        for m in c.methods:
            f = self.E.func(path, f"{qual}.{m}")
            if f is not None:
                out.extend((src, v) for a, src, v in f.attr_src if a == attr)
        for b in c.bases:
            for bo in self.E.ev(b, path):
                if bo.kind == "class":
                    out.extend(self._attr_sources(bo.path, bo.name, attr, depth + 1))
        return out

    def _arg_state(self, inst: Obj, param: str) -> State:
        """The constructor argument `param` of this instance: what the call passes, else the
        parameter's default."""
        found = self._arg(inst, param)
        return self.value_state(*found) if found is not None else _UNKNOWN

    def _arg(self, inst: Obj, param: str) -> Optional[Tuple[V, str, Tuple]]:
        """(value, file, literal bindings) the instance's constructor call passes for `param`,
        else its default; None when that cannot be told (`*args`, no such parameter)."""
        member = self.E.classes.member(inst.path, inst.name, "__init__")
        init = self.E.func(member[1], member[2]) if member is not None and member[0] == "method" else None
        if init is None:
            return None
        params = [p for p in init.params if not p.star][1:]
        call = inst.v if inst.v is not None and inst.v.k == "call" else None
        if call is not None:
            given = call.kwarg(param)
            if given is None:
                for i, p in enumerate(params):
                    if p.name == param and i < len(call.args):
                        given = call.args[i]
            if given is not None:
                return given, inst.extra or inst.path, inst.env
            if any(a.k == "iter" for a in call.args):
                return None
        p = next((p for p in params if p.name == param), None)
        if p is None or p.default is None:
            return None
        return p.default, member[1], ()

    def value_state(self, v: V, path: str, env: Tuple) -> State:
        lit = literal(v, env)
        if lit is not _NOLIT:
            if isinstance(lit, str) and lit.startswith("?"):
                return ("truthy", (), True)
            return ("truthy" if lit else "falsy", (), False)
        objs = self.E.ev(v, path, env)
        states = [self._obj_state(o) for o in objs]
        return _combine(states) if states else _UNKNOWN

    def _obj_state(self, o: Obj) -> State:
        if o.kind == "lit":
            return ("truthy" if o.lit else "falsy", (), False)
        if o.kind in ("list", "dict") and o.v is not None:
            entries, unread = self.entries(o)
            return ("truthy" if o.v.a else "falsy", entries, unread)
        return _UNKNOWN

    def entries(self, o: Obj) -> Tuple[Tuple[str, ...], bool]:
        """The "METHODS path" entries of a list or dict of paths (`{"/health": None, "/items":
        ["GET"]}`, `["/docs", "/openapi.json"]`), and whether some entries could not be read."""
        v = o.v
        if v is None:
            return (), True
        out: List[str] = []
        unread = False
        pairs = [(v.a[i], v.a[i + 1]) for i in range(0, len(v.a) - 1, 2)] if o.kind == "dict" else [(x, None) for x in v.a]
        for key, val in pairs:
            text = self.E.path_text(key, o.path, o.env) if key.k in ("str", "fmt", "ref", "attr", "loc") else ""
            if key.k == "dict" or not text.startswith(("/", "{")) or text == "{…}":
                unread = True
                continue
            methods = ""
            if val is not None and val.k == "list" and val.a:
                names = [x.q.upper() for x in val.a if x.k == "str" and not x.q.startswith("?")]
                if len(names) != len(val.a):
                    unread = True
                    continue
                methods = ",".join(names) + " "
            out.append(methods + text)
        return tuple(out), unread

    def path_entries(self, f: FuncFact, path: str, inst: Optional[Obj] = None,
                     depth: int = 0) -> Tuple[Tuple[str, ...], bool]:
        """The allow-list entries a function tests the request's path against, also in the
        methods of its own class it calls (`self.is_public(path, method)`); `self.` is the
        instance the function runs on when it is known (a subclass may set another list)."""
        out: List[str] = []
        unread = False
        for v in f.path_lists:
            on_self = v.k == "attr" and v.a and v.a[0].k == "loc" and v.a[0].q == "self"
            objs = self.E.getattr_obj(inst, v.q) if on_self and inst is not None else self.E.ev(v, path)
            for o in objs:
                if o.kind in ("list", "dict"):
                    e, u = self.entries(o)
                    out.extend(e)
                    unread = unread or u
                elif o.kind == "str" and o.name.startswith("/"):
                    out.append(o.name)
                elif o.kind not in ("func", "method"):  # a method named `is_public` is followed below
                    unread = True
        if depth < 2:
            for c in f.calls:
                if c.k == "attr" and c.a and c.a[0].k == "loc" and c.a[0].q == "self":
                    objs = self.E.getattr_obj(inst, c.q) if inst is not None else self.E.ev(c, path)
                    for o in objs:
                        g = self.E.func(o.path, o.name) if o.kind in ("func", "method") and o.path else None
                        if g is not None and g.path_lists:
                            e, u = self.path_entries(g, o.path, inst, depth + 1)
                            out.extend(e)
                            unread = unread or u
        return tuple(dict.fromkeys(out)), unread


def _combine(states: List[State]) -> State:
    if any(s[0] == "unknown" for s in states):
        return _UNKNOWN
    entries = tuple(dict.fromkeys(e for s in states for e in s[1]))
    unread = any(s[2] for s in states if s[0] == "truthy")
    if any(s[0] == "truthy" for s in states):
        return ("truthy", entries, unread)
    return ("falsy", (), False)


_ROLE_CLASS = re.compile(r"role|group|tier|level", re.I)


def _role_member(v: V) -> bool:
    """`Role.GUEST`, `UserRole.guest`: a role accounts hold (an enum member), not the anonymous
    subject (`Anonymous`, `allow_anonymous=True`)."""
    if v.k == "attr" and v.a:
        owner = short_name(v.a[0].q) if isinstance(v.a[0].q, str) else ""
    else:
        parts = v.q.split(".") if isinstance(v.q, str) else []
        owner = parts[-2] if len(parts) > 1 else ""
    return bool(owner) and bool(_ROLE_CLASS.search(owner))
