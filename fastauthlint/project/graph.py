"""The FastAPI object graph: apps and routers, the include_router and mount edges between them,
their middleware, and every chain by which a route is served — its full path with each prefix,
the dependencies that apply along the chain, and the middleware in front of it.

A router is identified by the name it is bound to where it is constructed (`app.api.items.router`,
or `<function>.<locals>.router` for one a factory builds); a helper's parameter standing for a
router is followed into every call of the helper. Test code is left out of the graph: test apps
include routers in ways production never does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from fastauthlint.project.evaluate import MAX_ALTERNATIVES, Evaluator, Obj
from fastauthlint.project.facts import RouteFact
from fastauthlint.project.values import V

MAX_CHAINS = 32  # inclusion chains followed per router


@dataclass(frozen=True)
class Edge:
    """`parent.include_router(child, prefix=..., dependencies=...)` or `parent.mount(prefix, child)`."""

    child: str  # router keys
    parent: str
    prefix: Optional[V]
    dependencies: Optional[V]
    kind: str  # "include" | "mount"
    path: str  # file of the include_router/mount call


@dataclass
class RouterInfo:
    """An app or router: where and how it is constructed."""

    key: str
    path: str  # file where it is constructed
    ctor: Optional[V]  # the constructor call (its prefix, dependencies, middleware)
    is_app: bool
    label: str  # for people: `items.router`
    env: Tuple = ()  # the factory's arguments when it is built inside a function
    class_init: Optional[Tuple[V, str]] = None  # a router subclass's `super().__init__(...)` call


@dataclass
class Chain:
    """One way a route is served: its full path, every dependency that applies, and how it got
    there."""

    full_path: str
    deps: List[Tuple[V, str, str, Tuple]]  # (dependencies V, file to resolve it in, where it comes from, env)
    routers: List[str]
    root: str
    root_is_app: bool
    orphan: bool  # the route's router is included nowhere
    gaps: List[str]  # inclusion steps without dependencies (for messages)
    middleware: List[Tuple[V, str, str]] = field(default_factory=list)  # (target, file, where)
    unserved: bool = False  # ends at a router no app serves, and every inclusion of the project was followed


class RouterGraph:
    """The routers of the project and the edges between them, built once per run (`build`);
    chains are computed per router on demand."""

    def __init__(self, evaluator: Evaluator, is_test: Callable[[str], bool]):
        self.E = evaluator
        self.is_test = is_test
        self.infos: Dict[str, RouterInfo] = {}
        self.incoming: Dict[str, List[Edge]] = {}
        self.middleware: Dict[str, List[Tuple[V, str]]] = {}
        self._chains: Dict[str, List[List[Edge]]] = {}
        # Inclusions the analysis could not follow (`app.include_router(load(name))`, a receiver of
        # unknown type): a router that looks included nowhere may be included there
        self.unresolved_includes = False
        self.unknown_parent: set = set()  # routers included into something unknown
        self.has_app = False  # an app includes or mounts something (else the app may be outside the code)
        # Middleware added to a helper's parameter that no call binds (`def mount_auth(app: FastAPI):
        # app.add_middleware(Auth)`, the helper kept in a list and called in a loop): (target, file)
        self.unbound_middleware: List[Tuple[V, str]] = []
        self._real_apps: Optional[List[Obj]] = None

    def rel(self, path: str) -> str:
        res = self.E.project.results.get(path)
        return res.rel if res is not None else path

    # -- routers -----------------------------------------------------------------------------
    def ev_each_binding(self, v: V, path: str) -> List[Obj]:
        """Like `ev`, but a parameter of a helper is followed into every call of the helper, not
        only the first few: `def include_scoped(app, router): app.include_router(router, ...)`
        called once per router of the project includes each of them."""
        if v.k == "loc":
            f = self.E.func(path, v.s)
            if f is not None and not any(k == v.q for k, _ in f.local_values) \
                    and any(p.name == v.q for p in f.params):
                bound = self.E.param_bindings().get((path, v.s, v.q))
                if bound and len(bound) > MAX_ALTERNATIVES:
                    out: List[Obj] = []
                    for argv, apath in bound:
                        for o in self.E.ev(argv, apath):
                            if o not in out:
                                out.append(o)
                    return out
        return self.E.ev(v, path)

    def _built_by_uncalled_factory(self, info: RouterInfo) -> bool:
        """A router a function builds (`def make_admin_router(current_user): router = APIRouter()`)
        that no code of the project calls: it exists only in the application that calls the
        factory, with the dependencies that application passes (a library's router)."""
        scope, sep, _ = info.key.partition(".<locals>.")
        if not sep or info.ctor is None:
            return False
        mod = self.E.module_of(info.path)
        local = scope[len(mod) + 1:] if mod and scope.startswith(mod + ".") else scope
        if "." in local or self.E.func(info.path, local) is None:
            return False
        return not self._referenced(info.path, local)

    def _referenced(self, path: str, name: str) -> bool:
        """Whether code of the project outside tests calls top-level function `name` of file `path`
        (in a list, a loop, anywhere). A re-export in a package's `__init__` is no call, and a test
        that builds the router to exercise it serves nothing."""
        memo = self.__dict__.setdefault("_called_memo", None)
        if memo is None:
            memo = self._called_memo = set()
            project = self.E.project
            for fpath, facts in self.E.files.items():
                if self.is_test(fpath):
                    continue
                callees = [v for f in facts.functions.values() for v in f.calls] + [c.callee for c in facts.calls]
                for v in callees:
                    if not isinstance(v.q, str) or not v.q:
                        continue
                    if v.k == "ref":
                        sym = project.resolve(v.q, near=fpath)
                        if sym is not None and not sym.attrs:
                            memo.add((sym.path, sym.name))
                    elif v.k == "loc":
                        memo.add((fpath, v.q))
        return (path, name) in memo

    def _unbound_app_param(self, v: V, path: str, routers: List[Obj]) -> bool:
        """A middleware's receiver is a parameter of a function the project uses but no call of it
        binds (kept in a list and called in a loop, `for mount in self._mounts: mount(app)`): it
        stands for no app of its own (only the annotation's placeholder)."""
        if v.k != "loc" or "." in v.s or any(".<param>." not in r.name or r.extra != "app" for r in routers):
            return False
        f = self.E.func(path, v.s)
        if f is None or any(k == v.q for k, _ in f.local_values) or not any(p.name == v.q for p in f.params):
            return False
        return not self.E.param_bindings().get((path, v.s, v.q)) and self._used(path, v.s)

    def _used(self, path: str, name: str) -> bool:
        """Whether production code of another module imports top-level function `name` of `path`,
        or any code calls it."""
        memo = self.__dict__.setdefault("_imported_memo", None)
        if memo is None:
            memo = self._imported_memo = set()
            project = self.E.project
            for fpath, res in project.results.items():
                if res.names is None or self.is_test(fpath):
                    continue
                for q in res.names.imports.values():
                    sym = project.resolve(q, near=fpath)
                    if sym is not None and not sym.attrs and sym.path != fpath:
                        memo.add((sym.path, sym.name))
        return (path, name) in memo or self._referenced(path, name)

    def _nearest_apps(self, path: str) -> List[str]:
        """The apps of production code closest to a file (the longest shared directory; with several
        apps, none when they share only the project root): the application a helper's middleware is
        meant for."""
        if self._real_apps is None:
            apps: Dict[str, Obj] = {}
            for fpath, facts in sorted(self.E.files.items()):
                mod = self.E.module_of(fpath)
                if self.is_test(fpath) or not mod:
                    continue
                for name, v in facts.assigns.items():
                    if v.k == "call" and name.isidentifier():
                        for o in self.E.ev_ref(f"{mod}.{name}", fpath):
                            if o.kind == "router" and o.extra == "app" and ".<param>." not in o.name:
                                apps.setdefault(o.name, o)
            self._real_apps = list(apps.values())
        parts = path.split("/")[:-1]

        def shared(o: Obj) -> int:
            n = 0
            for a, b in zip(parts, o.path.split("/")[:-1]):
                if a != b:
                    break
                n += 1
            return n
        if len(self._real_apps) <= 1:
            return [o.name for o in self._real_apps]
        best = max(shared(o) for o in self._real_apps)
        root = len(self.E.project.config.root.as_posix().split("/"))
        return [o.name for o in self._real_apps if shared(o) == best and best > root]

    def routers_of(self, v: V, path: str) -> Tuple[List[Obj], bool]:
        """Router objects a receiver/child value denotes; the flag says it is something else
        entirely (a Flask app, a dict) rather than unknown."""
        objs = self.ev_each_binding(v, path)
        routers = [o for o in objs if o.kind == "router"]
        other = any(o.kind in ("inst", "extinst", "func", "class", "str", "lit", "list", "dict", "dep", "alias")
                    for o in objs)
        return routers, (not routers and other)

    def router_info(self, o: Obj) -> RouterInfo:
        """Routers are labelled `<module's last part>.<name>` (`items.router`, `main.app`)."""
        label = o.name
        mod = self.E.module_of(o.path)
        if not (mod and label.startswith(mod + ".")):
            # a router a factory built for the call site binding it: named in the caller's module
            parts = label.split(".")
            mod = next((m for m in (".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1))
                        if self.E.project.module_path(m) is not None), mod)
        if mod and label.startswith(mod + "."):
            label = f"{mod.rsplit('.', 1)[-1]}.{label[len(mod) + 1:]}"
        label = label.replace(".<locals>", "")
        info = RouterInfo(key=o.name, path=o.path, ctor=o.v, is_app=o.extra == "app", label=label, env=o.env)
        if o.base is not None and o.base.kind == "class":
            info.class_init = self.E.classes.router_init(o.base.path, o.base.name)
        return info

    # -- edges --------------------------------------------------------------------------------
    def note_router(self, o: Obj) -> None:
        """Record a router met as a receiver, a parent or a child."""
        if o.name not in self.infos:
            self.infos[o.name] = self.router_info(o)

    def build(self) -> None:
        """Every inclusion, mount and middleware of production code."""
        for path, facts in sorted(self.E.files.items()):
            if self.is_test(path):  # test apps include routers in ways production never does
                continue
            for m in facts.middleware:
                routers = self.routers_of(m.receiver, path)[0]
                if self._unbound_app_param(m.receiver, path, routers):
                    self.unbound_middleware.append((m.target, path))
                    continue
                for r in routers:
                    self.note_router(r)
                    self.middleware.setdefault(r.name, []).append((m.target, path))
            for inc in facts.includes:
                parents, p_other = self.routers_of(inc.parent, path)
                children, c_other = self.routers_of(inc.child, path)
                if not children and not c_other and (inc.kind == "include" or parents):
                    self.unresolved_includes = True
                if not parents and not p_other:
                    self.unknown_parent.update(c.name for c in children)
                for p in parents:
                    self.note_router(p)
                    self.has_app = self.has_app or self.infos[p.name].is_app
                    for c in children:
                        if c.name == p.name:
                            continue
                        self.note_router(c)
                        e = Edge(c.name, p.name, inc.prefix, inc.dependencies, inc.kind, path)
                        lst = self.incoming.setdefault(c.name, [])
                        if e not in lst:
                            lst.append(e)

    def chains(self, key: str) -> List[List[Edge]]:
        """Every way up from a router to a root (an app, or a router included nowhere), as the
        edges taken; [[]] for a root itself. At most MAX_CHAINS; an inclusion cycle is cut."""
        if key in self._chains:
            return self._chains[key]
        results: List[List[Edge]] = []

        def walk(k: str, edges: List[Edge], seen: frozenset) -> None:
            if len(results) >= MAX_CHAINS:
                return
            inc = [e for e in self.incoming.get(k, []) if e.parent not in seen]
            if not inc:
                results.append(list(edges))
                return
            for e in inc:
                walk(e.parent, edges + [e], seen | {e.parent})

        walk(key, [], frozenset({key}))
        self._chains[key] = results
        return results

    def own_prefix(self, info: RouterInfo) -> str:
        """The router's own `prefix=` (or its class's `super().__init__(prefix=...)`)."""
        if info.ctor is None or info.ctor.k != "call":
            return ""
        p = info.ctor.kwarg("prefix")
        if p is None and info.class_init is not None:
            sup = info.class_init[0].kwarg("prefix")
            if sup is not None and sup.k in ("str", "fmt"):
                return self.E.path_text(sup, info.class_init[1])
        return self.E.path_text(p, info.path, info.env)

    def own_deps(self, info: RouterInfo) -> List[Tuple[V, str, Tuple]]:
        """The router's own `dependencies=` values (its constructor's, its class's)."""
        out = []
        if info.ctor is not None and info.ctor.k == "call":
            d = info.ctor.kwarg("dependencies")
            if d is not None:
                out.append((self.default_deps(d, info.path, info.env) or d, info.path, info.env))
        if info.class_init is not None:
            d = info.class_init[0].kwarg("dependencies")
            if d is not None and d.k != "loc":  # a `dependencies` parameter passed through is the ctor's
                out.append((d, info.class_init[1], ()))
        return out

    def default_deps(self, d: V, path: str, env: Tuple) -> Optional[V]:
        """The default of the constructor's or factory's `dependencies` parameter the router is
        built with when nothing passes one: `def __init__(self, dependencies=[Depends(auth)]):
        self.router = APIRouter(dependencies=dependencies)` with every subclass and every
        instantiation leaving it out. None when a call (or a subclass's `super().__init__`) may
        pass its own list: then the parameter stands for what they pass."""
        if d.k != "loc" or any(k == d.q for k, _ in env):
            return None
        f = self.E.func(path, d.s)
        if f is None or any(k == d.q for k, _ in f.local_values):
            return None
        names = [p.name for p in f.params if not p.star]
        if f.is_method and names:
            names = names[1:]
        p = next((p for p in f.params if p.name == d.q and not p.star), None)
        if p is None or p.default is None or p.default.k != "list" or d.q not in names:
            return None
        if self.E.param_bindings().get((path, d.s, d.q)) or self._passed_elsewhere(path, d.s, d.q, names.index(d.q)):
            return None
        return p.default

    def _passed_elsewhere(self, path: str, scope: str, name: str, index: int) -> bool:
        """A constructor's parameter some instantiation of its class (or of a subclass), or a
        subclass's `super().__init__`, may pass: by keyword, by position, or through `**`."""
        if not scope.endswith(".__init__"):
            return False
        cls = scope[: -len(".__init__")]

        def passes(call_args, kw) -> bool:
            return len(call_args) > index or any(k == name or k.startswith("*") for k, _ in kw)

        for fpath, facts in self.E.files.items():
            for c in facts.calls:
                if passes(c.args, c.kw) and any(o.kind == "class" and self._derives(o.path, o.name, path, cls)
                                                for o in self.E.ev(c.callee, fpath)):
                    return True
            for qual, g in facts.functions.items():
                if g.super_init is not None and qual.endswith(".__init__") and passes(g.super_init.args, g.super_init.kw) \
                        and self._derives(fpath, qual[: -len(".__init__")], path, cls, strict=True):
                    return True
        return False

    def _derives(self, path: str, qual: str, base_path: str, base: str, strict: bool = False, depth: int = 0) -> bool:
        if (path, qual) == (base_path, base) and not strict:
            return True
        c = self.E.cls(path, qual)
        if c is None or depth > 10:
            return False
        return any(bo.kind == "class" and self._derives(bo.path, bo.name, base_path, base, False, depth + 1)
                   for b in c.bases for bo in self.E.ev(b, path))

    def chain_for(self, fact: RouteFact, file: str, key: str, edges: List[Edge]) -> Chain:
        """A route served through one chain: prefixes from the innermost out, the decorator's,
        routers' and include_router dependencies (none from past a mount: a mounted app runs
        its own), and the middleware of every router and app on the way."""
        info = self.infos[key]
        full = self.own_prefix(info) + self.E.path_text(fact.path, file)
        deps: List[Tuple[V, str, str, Tuple]] = []
        if fact.dependencies is not None:
            deps.append((fact.dependencies, file, "the decorator's dependencies", ()))
        for dv, dpath, denv in self.own_deps(info):
            deps.append((dv, dpath, f"{'app' if info.is_app else 'router'} `{info.label}`", denv))
        apply = True
        gaps: List[str] = []
        routers = [info.label]
        cur = info
        for e in edges:
            parent = self.infos[e.parent]
            where = f"{self.rel(e.path)}"
            if e.kind == "mount":
                full = self.E.path_text(e.prefix, e.path) + full
                apply = False
            else:
                full = self.own_prefix(parent) + self.E.path_text(e.prefix, e.path) + full
                if apply:
                    if e.dependencies is not None:
                        deps.append((e.dependencies, e.path, f"include_router of `{cur.label}` in {where}", ()))
                    else:
                        gaps.append(f"`{cur.label}` is included into `{parent.label}` in {where} without dependencies")
                    for dv, dpath, denv in self.own_deps(parent):
                        deps.append((dv, dpath, f"{'app' if parent.is_app else 'router'} `{parent.label}`", denv))
            routers.append(parent.label)
            cur = parent
        orphan = not edges and not info.is_app
        unserved = (not cur.is_app and info.ctor is not None and not self.unresolved_includes
                    and not any(r in self.unknown_parent for r in [info.key] + [e.parent for e in edges])
                    and self.has_app) or (orphan and self._built_by_uncalled_factory(info))
        middleware: List[Tuple[V, str, str]] = []
        for r in [info] + [self.infos[e.parent] for e in edges]:
            for target, mpath in self.own_middleware(r):
                middleware.append((target, mpath, f"middleware of {'app' if r.is_app else 'router'} `{r.label}`"))
        return Chain(full_path=full or "/", deps=deps, routers=routers, root=cur.key, root_is_app=cur.is_app,
                     orphan=orphan, unserved=unserved, gaps=gaps, middleware=middleware)

    def own_middleware(self, info: RouterInfo) -> List[Tuple[V, str]]:
        """Middleware added to the router or app, or given to its constructor."""
        out = list(self.middleware.get(info.key, []))
        if info.is_app and self.unbound_middleware:
            out.extend((t, mpath) for t, mpath in self.unbound_middleware if info.key in self._nearest_apps(mpath))
        if info.ctor is not None and info.ctor.k == "call":
            # FastAPI(middleware=[Middleware(AuthMiddleware, ...)])
            for item, ipath, _ in self.E.iter_items(info.ctor.kwarg("middleware"), info.path, info.env) \
                    if info.ctor.kwarg("middleware") is not None else []:
                if item.k == "call" and item.args:
                    out.append((V("call", a=(item.args[0],), kw=item.kw) if item.kw else item.args[0], ipath))
        return out
