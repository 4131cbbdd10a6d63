"""What a route's handler does, with everything it calls: the actions (collect_purpose.py) of the
handler, of the dependencies it takes and of the project functions and methods they call, a few
levels deep. Calls are followed into project functions, methods of module-level service objects,
of objects built in the function or held in its attributes (`self.repo.get`), and of injected
services (`svc: AuthService = Depends(get_auth_service)`, whose class is its annotation or what
the dependency returns).

`Reach.deeds(path, handler)` answers one `Deeds` per handler (memoised): the purposes
(purpose.py) and the risk of an unprotected route (data_access.py) are read from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Set, Tuple

from fastauthlint.project import known as K
from fastauthlint.project.acts import PURE_MODULES, VALUE_METHODS
from fastauthlint.project.evaluate import Evaluator, Obj
from fastauthlint.project.facts import FuncFact, ParamFact
from fastauthlint.project.values import V

MAX_DEPTH = 4  # calls followed from the handler
MAX_FUNCS = 48  # functions looked at per handler

# Parameters that are infrastructure, not a service with project methods: calls on them are
# never followed and never make a handler's data access unknown.
_PLUMBING = frozenset({"db", "session", "conn", "connection", "cursor", "redis", "cache", "request", "response",
                       "background_tasks", "settings", "config", "tx", "transaction", "websocket", "client",
                       "http_client", "logger", "log", "app", "templates", "storage", "bucket", "s3", "uow"})


# a method of a project class that sends mail (the class says mail, the method says send)
_MAIL_METHOD = re.compile(r"^\w*(mail|email)\w*\.(send|queue|enqueue|deliver|dispatch|notify|schedule)\w*$", re.I)
# a project function ending a session or a token (`invalidate_user_session`, `revoke_tokens`)
_END_SESSION = re.compile(r"^_?(invalidate|revoke|end|terminate|destroy|expire|kill)_(\w+_)?(session|sessions|token|tokens)$",
                          re.I)


@dataclass
class Deeds:
    """The actions of a handler and of what it calls, put together."""

    tags: Set[str] = field(default_factory=set)
    # (how: "verify"|"lookup", token-like name, found in a dependency of the handler or below it)
    checks: List[Tuple[str, str, bool]] = field(default_factory=list)
    sigs: List[str] = field(default_factory=list)  # signature verifiers ("stripe", "hmac", ...)
    models: List[Obj] = field(default_factory=list)  # project classes its queries name
    funcs: List[Tuple[str, str, int]] = field(default_factory=list)  # (file, qualname, depth) reached
    refuses: bool = False  # some function on the way raises or answers 4xx
    static: bool = False  # the handler's answer is built of constants (through what it returns)
    opaque: bool = False  # it calls a service nothing here resolves: its data access is unknown
    busy: bool = False  # the handler calls something besides building its answer, logging and refusing
    inputs: Tuple[str, ...] = ()  # the handler's parameters the request fills (query, path, body...)
    # some function on the way calls a library that may read or send data (a database session, a
    # cache, an HTTP client, the file system): only the standard library's computations are not
    foreign: bool = False
    refuses_only: bool = False  # every path through the handler ends in a 4xx (a catch-all 404, a retired route)
    # some function below the handler is a method of a project class: it may answer what an
    # instance gathered while the process runs (a manager's jobs, a supervisor's workers, sessions)
    methods: bool = False

    def has(self, *tags: str) -> bool:
        return any(t in self.tags for t in tags)


def _gathering_methods(reached) -> bool:
    """Is a method reached on an instance nothing on the way builds (a module-level singleton, one
    a dependency hands over)? Such an instance may hold what it gathered while the process runs;
    one built on the way (`Provider(pid).config()`) holds only what its constructor computes."""
    built = {c.q.rsplit(".", 1)[-1] for _, f, _, _, _ in reached for c in f.calls if c.k in ("ref", "loc", "def")}
    return any(depth and f.is_method and "." in f.name and f.name.split(".")[-2] not in built
               for _, f, depth, _, _ in reached)


class Reach:
    def __init__(self, evaluator: Evaluator):
        self.E = evaluator
        self._memo: Dict[Tuple[str, str], Deeds] = {}
        self._static_memo: Dict[Tuple[str, str], bool] = {}
        self._subclasses: Optional[Dict[Tuple[str, str], List[Tuple[str, str]]]] = None

    # -- the public answer ---------------------------------------------------------------------
    def deeds(self, path: str, f: FuncFact) -> Deeds:
        key = (path, f.name)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._deeds(path, f)
        return hit

    def _deeds(self, path: str, handler: FuncFact) -> Deeds:
        d = Deeds()
        d.inputs = tuple(p.name for p in self._own_params(handler) if self.is_input(p, path))
        d.static = self.static(path, handler)
        d.busy = "busy" in handler.actions
        d.refuses_only = refuses_only(self.E, path, handler)
        seen: Set[Tuple[str, str]] = {(path, handler.name)}
        # the instances a method was reached on (`GenreRepository(db).get_all()` reaches
        # `BaseRepository.get_all`): its `self.model` is theirs
        recv: Dict[Tuple[str, str], List[Obj]] = {}
        # (file, function, depth, below a dependency of the handler, its checks count)
        queue: List[Tuple[str, FuncFact, int, bool, bool]] = [(path, handler, 0, False, True)]
        for p in self._own_params(handler):
            for fpath, g in self._dependency_funcs(p, path):
                if (fpath, g.name) not in seen:
                    seen.add((fpath, g.name))
                    queue.append((fpath, g, 1, True, True))
        i = 0
        while i < len(queue) and i < MAX_FUNCS:
            fpath, f, depth, dep, trusted = queue[i]
            i += 1
            d.funcs.append((fpath, f.name, depth))
            self._absorb(d, fpath, f, dep, trusted, depth, recv.get((fpath, f.name), ()))
            if depth >= MAX_DEPTH:
                continue
            # a call inside a `try` whose `except` lets the request go on verifies nothing
            swallowed = {t[8:] for t in f.actions if t.startswith("swallow:")}
            # nor does one handed a token the function itself just issued
            swallowed |= {t[10:] for t in f.actions if t.startswith("selfcheck:")}
            for gpath, g in self.callees(fpath, f, d, recv):
                if (gpath, g.name) not in seen:
                    seen.add((gpath, g.name))
                    short = g.name.rsplit(".", 1)[-1].lstrip("_").lower()
                    queue.append((gpath, g, depth + 1, dep, trusted and short not in swallowed))
        d.methods = _gathering_methods(queue[:i])
        return d

    def _absorb(self, d: Deeds, path: str, f: FuncFact, dep: bool, trusted: bool, depth: int,
                receivers: Sequence[Obj] = ()) -> None:
        for t in f.actions:
            if not trusted and t.startswith(("check:", "sig:", "idp-verify", "oauth-exchange", "pw-verify",
                                             "passkey-verify")):
                continue
            if depth and t in ("static", "static-calls", "redirect", "redirects-only", "reads-params"):
                continue  # the handler's answer, not a helper's
            if t == "sets-param-field":
                # the handler's own parameter is what the request or a dependency handed it (a row);
                # a helper's is whatever its caller passed, a write only with a commit on the way
                if depth:
                    continue
                t = "writes"
            if dep and t in ("writes", "creates", "pw-hash", "revoke"):
                # a dependency's bookkeeping (a session's commit, a rate limiter's counter, the
                # default user an optional-user dependency makes sure exists, an expired session
                # it marks revoked)
                continue
            if t.startswith("check:"):
                _, how, name = t.split(":", 2)
                d.checks.append((how, name, dep))
            elif t.startswith("sig:"):
                d.sigs.append(t[4:])
            d.tags.add(t)
        if f.raises or f.raises_auth or "refuses" in f.actions:
            d.refuses = True
        if depth and _MAIL_METHOD.match(f.name):
            d.tags.add("mail")  # `EmailNotifier.send`, `MailService.queue`: the mail leaves through a project class
        if depth and not dep and _END_SESSION.search(f.name.rsplit(".", 1)[-1]):
            d.tags.add("revoke")  # `invalidate_user_session(...)`: what it writes is the session it ends
        for m in f.models:
            if m.k == "unk" and m.q.startswith("self:"):
                found = [o for r in receivers for o in self._self_models(r, m.q[5:])]
            elif m.k == "pass":
                found = self._passed_model(m, path)
            else:
                found = self.E.ev(m, path)
            for o in found:
                if o.kind == "class" and o not in d.models:
                    d.models.append(o)

    # -- generic queries: the model a repository or helper was handed ----------------------------
    def _self_models(self, r: Obj, attr: str) -> List[Obj]:
        """The model class `self.<attr>` holds on instance `r`: a class attribute of its class or
        a base (`model = Book`), the argument its constructor call or a subclass's
        `super().__init__(session, Genre)` hands to the `__init__` that stores it."""
        out: List[Obj] = []
        path, qual = r.path, r.name
        m = self.E.classes.member(path, qual, attr)
        if m is not None and m[0] == "attr":
            out += [o for o in self.E.ev(m[2], m[1]) if o.kind == "class"]
        if r.kind == "inst" and r.v is not None and r.v.k == "call":
            out += self._bound_arg(path, qual, attr, r.v, r.extra if r.extra in self.E.files else path)
        # a subclass's __init__ handing it to its base's
        c, cpath, cqual, depth = self.E.cls(path, qual), path, qual, 0
        while c is not None and depth < 6:
            init = self.E.func(cpath, f"{cqual}.__init__")
            if init is not None and init.super_init is not None:
                for b in c.bases:
                    for bo in self.E.ev(b, cpath):
                        if bo.kind == "class":
                            out += self._bound_arg(bo.path, bo.name, attr, init.super_init, cpath)
                break
            nxt = None
            for b in c.bases:
                for bo in self.E.ev(b, cpath):
                    if bo.kind == "class" and nxt is None:
                        nxt = bo
            if nxt is None:
                break
            c, cpath, cqual, depth = self.E.cls(nxt.path, nxt.name), nxt.path, nxt.name, depth + 1
        return out

    def _bound_arg(self, path: str, qual: str, attr: str, call: V, cpath: str) -> List[Obj]:
        """The class `call` (building `qual`, or its `super().__init__`) passes to the `__init__`
        parameter stored in `self.<attr>`."""
        m = self.E.classes.member(path, qual, "__init__")
        if m is None or m[0] != "method":
            return []
        init = self.E.func(m[1], m[2])
        if init is None:
            return []
        params = [p.name for p in self._own_params(init)]
        for a, src, _v in init.attr_src:
            if a != attr or not src.startswith("p:") or src[2:] not in params:
                continue
            pname = src[2:]
            arg = call.kwarg(pname)
            if arg is None and params.index(pname) < len(call.args):
                arg = call.args[params.index(pname)]
            if arg is not None:
                return [o for o in self.E.ev(arg, cpath) if o.kind == "class"]
        return []

    def _passed_model(self, m: V, path: str) -> List[Obj]:
        """A model class handed to a project function whose query names the parameter it binds
        (`fetch_or_404(db, Item, item_id)` → `db.get(model, item_id)`)."""
        callee, model = m.a[0], m.a[1]
        for o in self.E.ev(callee, path):
            g = self.E.func(o.path, o.name) if o.kind in ("func", "method") and o.path else None
            if g is None:
                continue
            params = [p.name for p in self._own_params(g)]
            pname = params[int(m.q)] if m.q.isdigit() and int(m.q) < len(params) else m.q
            if V("unk", q="param:" + pname) in g.models:
                return [x for x in self.E.ev(model, path) if x.kind == "class"]
        return []

    # -- calls ---------------------------------------------------------------------------------
    def callees(self, path: str, f: FuncFact, d: Optional[Deeds] = None,
                recv: Optional[Dict[Tuple[str, str], List[Obj]]] = None) -> List[Tuple[str, FuncFact]]:
        """The project functions `f` calls: by name, as methods of objects it builds or holds,
        and as methods of its injected parameters. `recv` gathers the instances methods are
        called on."""
        out: List[Tuple[str, FuncFact]] = []
        mine = recv.get((path, f.name), []) if recv is not None else []
        for c in list(f.calls) + list(f.xcalls):
            n = len(out)
            objs = self.E.ev(c, path)
            if all(o.kind == "unk" for o in objs) and c.k == "attr" and c.a and c.a[0].k == "attr":
                objs = self._self_attr_method(c, path)
            for o in objs:
                self._add_func(o, out)
                if d is not None and o.kind in ("ext", "extinst") and not _pure(o.name):
                    d.foreign = True
            for gpath, g in list(out[n:]):
                if g.is_method and "." in g.name and _abstract(g):
                    # `self.repo.get_all()` on the interface an implementation is injected for
                    cqual, meth = g.name.rsplit(".", 1)
                    out.extend(self._overrides(gpath, cqual, meth))
            if d is not None and c.k == "attr" and c.q.lower() not in VALUE_METHODS and all(o.kind == "unk" for o in objs):
                # `handler.auto_import()` on an object nothing here resolves: what it reads is not
                # known (`meta.get("name")`, `text.strip()` only handle a value)
                d.foreign = True
            if recv is not None and len(out) > n and c.k == "attr" and c.a:
                base = c.a[0]
                holders = mine if base.k == "loc" and base.q == "self" else [
                    o for o in self.E.ev(base, path) if o.kind == "inst"] or self._self_attr_insts(base, path)
                for gpath, g in out[n:]:
                    lst = recv.setdefault((gpath, g.name), [])
                    lst.extend(h for h in holders if h not in lst)
        params = {p.name: p for p in f.params}
        for pname, meth in f.param_calls:
            p = params.get(pname)
            if p is None or pname in ("self", "cls"):
                continue
            found = False
            for o in self.receivers(p, path):
                if o.kind in ("inst", "class"):
                    m = self.E.classes.member(o.path, o.name, meth)
                    if m is not None and m[0] == "method":
                        g = self.E.func(m[1], m[2])
                        if g is not None:
                            out.append((m[1], g))
                            found = True
                            if recv is not None and o.kind == "inst":
                                lst = recv.setdefault((m[1], g.name), [])
                                if o not in lst:
                                    lst.append(o)
                            if _abstract(g):
                                # an interface the dependency picks an implementation of at run time
                                out.extend(self._overrides(o.path, o.name, meth))
                elif o.kind in ("ext", "extinst"):
                    found = True  # a library object (a database session, a client): nothing to follow
                    if d is not None and not _pure(o.name):
                        d.foreign = True
            if not found and d is not None and pname.lower() not in _PLUMBING and self._service_param(p, path):
                d.opaque = True
        return out

    def _overrides(self, path: str, qual: str, meth: str) -> List[Tuple[str, FuncFact]]:
        """The project subclasses' own definitions of an abstract method (a few)."""
        if self._subclasses is None:
            self._subclasses = {}
            for fpath, facts in self.E.files.items():
                for cqual, c in facts.classes.items():
                    for b in c.bases:
                        for bo in self.E.ev(b, fpath):
                            if bo.kind == "class":
                                self._subclasses.setdefault((bo.path, bo.name), []).append((fpath, cqual))
        out: List[Tuple[str, FuncFact]] = []
        todo = list(self._subclasses.get((path, qual), ()))
        seen: Set[Tuple[str, str]] = set()
        while todo and len(out) < 6 and len(seen) < 32:
            sub = todo.pop(0)
            if sub in seen:
                continue
            seen.add(sub)
            g = self.E.func(sub[0], f"{sub[1]}.{meth}")
            if g is not None and not _abstract(g):
                out.append((sub[0], g))
            todo.extend(self._subclasses.get(sub, ()))
        return out

    def _service_param(self, p: ParamFact, path: str) -> bool:
        """A parameter that may hold a service: injected, or annotated with a class nothing here
        resolves. A plain value handed down by the caller (`value.strip()`) reads no rows."""
        if self.dep_targets(p, path):
            return True
        ann = _unwrap(p.ann) if p.ann is not None else None
        if ann is None or ann.k not in ("ref", "attr"):
            return False
        return all(o.kind == "unk" for o in self.E.ev(ann, path))

    def _add_func(self, o: Obj, out: List[Tuple[str, FuncFact]]) -> None:
        if o.kind in ("func", "method") and o.path:
            g = self.E.func(o.path, o.name)
            if g is not None:
                out.append((o.path, g))

    def _self_attr_method(self, x: V, path: str) -> List[Obj]:
        """`self.repo.get(...)` where the class declares `repo: UserRepository` without a value,
        or its `__init__` stores a parameter annotated so."""
        out: List[Obj] = []
        for t in self._self_attr_insts(x.a[0], path):
            m = self.E.classes.member(t.path, t.name, x.q)
            if m is not None and m[0] == "method":
                out.append(Obj("func", m[1], m[2]))
        return out

    def _self_attr_insts(self, base: V, path: str) -> List[Obj]:
        """The instances `self.repo` holds, as its class declares them: an annotated attribute
        (`repo: GenreRepository`), or an `__init__` parameter annotated with a class that it
        stores there (`def __init__(self, repo: GenreRepository): self.repo = repo`)."""
        if base.k != "attr" or not base.a or base.a[0].k != "loc" or base.a[0].q != "self":
            return []
        out: List[Obj] = []
        for o in self.E.ev(base.a[0], path):
            if o.kind != "inst":
                continue
            anns: List[Tuple[V, str]] = []
            found = self.E.classes.annotated(o.path, o.name, base.q)
            if found is not None:
                anns.append((found[1], found[0]))
            m = self.E.classes.member(o.path, o.name, "__init__")
            init = self.E.func(m[1], m[2]) if m is not None and m[0] == "method" else None
            if init is not None:
                params = {p.name: p for p in init.params}
                for a, src, _v in init.attr_src:
                    p = params.get(src[2:]) if a == base.q and src.startswith("p:") else None
                    if p is not None and p.ann is not None:
                        anns.append((p.ann, m[1]))
            for ann, apath in anns:
                for t in self.E.ev(_unwrap(ann), apath):
                    if t.kind == "class" and Obj("inst", t.path, t.name) not in out:
                        out.append(Obj("inst", t.path, t.name))
        return out

    def receivers(self, p: ParamFact, path: str) -> List[Obj]:
        """What an injected parameter holds: its annotated class, or what its dependency returns."""
        out: List[Obj] = []
        ann = _unwrap(p.ann) if p.ann is not None else None
        if ann is not None and ann.k in ("ref", "attr", "loc"):
            for o in self.E.ev(ann, path):
                if o.kind == "class":
                    out.append(Obj("inst", o.path, o.name))
                elif o.kind == "ext":
                    out.append(o)
                elif o.kind == "alias" and o.v is not None and o.v.a:
                    for t in self.E.ev(o.v.a[0], o.path):
                        if t.kind == "class":
                            out.append(Obj("inst", t.path, t.name))
        for target, tpath in self.dep_targets(p, path):
            for o in self.E.ev(V("call", a=(target,)), tpath):
                if o.kind in ("inst", "ext", "extinst"):
                    out.append(o)
        return out

    def dep_targets(self, p: ParamFact, path: str) -> List[Tuple[V, str]]:
        """The callables of the Depends() markers in a parameter's default or annotation."""
        out: List[Tuple[V, str]] = []
        if p.default is not None and p.default.k == "dep" and p.default.a:
            out.append((p.default.a[0], path))
        ann = p.ann
        while ann is not None and ann.k == "opt" and ann.a:
            ann = ann.a[0]
        if ann is not None and ann.k == "ann":
            for m in ann.a[1:]:
                if m.k == "dep" and m.a:
                    out.append((m.a[0], path))
        elif ann is not None and ann.k in ("ref", "attr"):
            for o in self.E.ev(ann, path):
                if o.kind == "alias" and o.v is not None:
                    for m in o.v.a[1:]:
                        if m.k == "dep" and m.a:
                            out.append((m.a[0], o.path))
        return out

    def _dependency_funcs(self, p: ParamFact, path: str) -> List[Tuple[str, FuncFact]]:
        out: List[Tuple[str, FuncFact]] = []
        for target, tpath in self.dep_targets(p, path):
            for o in self.E.ev(target, tpath):
                if o.kind == "func":
                    g = self.E.func(o.path, o.name)
                    if g is not None:
                        out.append((o.path, g))
        return out

    # -- the handler's own answers ---------------------------------------------------------------
    @staticmethod
    def _own_params(f: FuncFact) -> List[ParamFact]:
        params = list(f.params)
        if params and params[0].name in ("self", "cls"):
            params = params[1:]
        return [p for p in params if not p.star]

    def is_input(self, p: ParamFact, path: str) -> bool:
        """A parameter the request fills (query, path, body, header, cookie), as opposed to a
        dependency, the request object itself, the response or background tasks."""
        if p.default is not None and p.default.k == "dep":
            return False
        if self.dep_targets(p, path) or _container_provided(self.E, p, path):
            return False
        ann = _unwrap(p.ann) if p.ann is not None else None
        if ann is not None and ann.k in ("ref", "attr"):
            for o in self.E.ev(ann, path):
                if o.kind == "ext" and (o.name in K.REQUEST_TYPES or o.name.rsplit(".", 1)[-1] in (
                        "Response", "BackgroundTasks", "Request", "WebSocket", "HTTPConnection")):
                    return False
        return True

    def static(self, path: str, f: FuncFact, depth: int = 0) -> bool:
        """The function answers with constants only, itself or through the functions whose
        results it returns (`return await readiness()`)."""
        key = (path, f.name)
        if key in self._static_memo:
            return self._static_memo[key]
        self._static_memo[key] = False
        res = "static" in f.actions
        if not res and "static-calls" in f.actions and depth < 3:
            res = True
            resolved = 0
            for r in f.returns:
                if r.k != "call":
                    continue
                for o in self.E.ev(r.callee, path):
                    g = self.E.func(o.path, o.name) if o.kind in ("func", "method") and o.path else None
                    if g is None or not self.static(o.path, g, depth + 1):
                        res = False
                    else:
                        resolved += 1
            res = res and resolved > 0
        self._static_memo[key] = res
        return res


# Calls of libraries that may do I/O elsewhere but here only wait: a stream pacing its events
_PURE_CALLS = frozenset({"asyncio.sleep", "anyio.sleep", "trio.sleep", "time.sleep", "asyncio.Event", "asyncio.Queue"})


def _pure(qualname: str) -> bool:
    parts = qualname.split(".")
    return parts[0] in PURE_MODULES or ".".join(parts[:2]) in PURE_MODULES or qualname in _PURE_CALLS


def refuses_only(E: Evaluator, path: str, f: FuncFact, depth: int = 0) -> bool:
    """Every path through the function refuses: it cannot fall off its end, and each answer
    it returns is a 4xx or comes from functions that refuse only (`return await
    service.gone()` whose body is `raise HTTPException(410)`)."""
    if f.ends_open or depth > 3:
        return False
    if "refusing-returns" in f.actions:
        return bool(f.raises or f.raises_auth or "refuses" in f.actions)
    if "returns-calls" not in f.actions:
        return False
    calls = [r for r in f.returns if r.k == "call"]
    if not calls:
        return False
    for r in calls:
        targets = [(o.path, E.func(o.path, o.name)) for o in E.ev(r.callee, path)
                   if o.kind in ("func", "method") and o.path]
        if not targets or not all(g is not None and refuses_only(E, gp, g, depth + 1) for gp, g in targets):
            return False
    return True


def _container_provided(E: Evaluator, p: ParamFact, path: str) -> bool:
    """`session: FromDishka[AsyncSession]`: a dependency-injection container provides it, the
    request does not (`Annotated[X, FromComponent()]`)."""
    ann = p.ann
    while ann is not None and ann.k == "opt" and ann.a:
        ann = ann.a[0]
    if ann is None or ann.k != "ann":
        return False
    for m in ann.a[1:]:
        target = m.callee if m.k == "call" else m
        if target is not None and any(o.kind == "ext" and o.name.split(".", 1)[0] == "dishka"
                                      for o in E.ev(target, path)):
            return True
    return False


def _unwrap(ann: Optional[V]) -> Optional[V]:
    while ann is not None and ann.k in ("opt", "ann") and ann.a:
        ann = ann.a[0]
    return ann


def _abstract(f: FuncFact) -> bool:
    """A method with no body of its own: `@abstractmethod`, or one that only raises
    NotImplementedError."""
    if any((d.q or "").rsplit(".", 1)[-1] == "abstractmethod" for d in f.decorators):
        return True
    return len(f.calls) <= 1 and any((r.q or "").rsplit(".", 1)[-1] == "NotImplementedError" or (
        r.k == "call" and r.a and (r.a[0].q or "").rsplit(".", 1)[-1] == "NotImplementedError") for r in f.raised)
