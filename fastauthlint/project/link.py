"""Linking route facts across files: what each symbolic value (`V`) of routes_facts.py is, which
routers include which, which dependencies authenticate, and the resulting route table.

A small, memoised evaluator turns values into objects (`Obj`): a project function or class, an
instance, a router (identified by the name it is bound to where it is constructed), an external
name, a Depends marker, an Annotated alias, a string. Everything is plain data from the per-file
phase; nothing is parsed here.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from fastauthlint.project import known as K
from fastauthlint.project.collect import (
    ClassFact, FileFacts, FuncFact, ParamFact, RouteFact, V, short_name, strongest,
    v_rejection,
)
from fastauthlint.project.store import LazyFileFacts

CHECK_NAME = "routes"
MAX_ALTERNATIVES = 8
MAX_CHAINS = 32
MAX_EVAL_DEPTH = 40


@dataclass(frozen=True)
class Obj:
    kind: str  # func | class | inst | extinst | ext | router | method | authdep | dep | alias | str | lit | list | param | unk
    path: str = ""
    name: str = ""
    v: Optional[V] = None
    env: Tuple[Tuple[str, Any], ...] = ()
    extra: str = ""
    base: Optional["Obj"] = None
    lit: Any = None

    def label(self) -> str:
        if self.kind in ("func", "class", "inst", "param"):
            return short_name(self.name.replace(".<locals>", "")) if self.kind != "param" else self.extra
        if self.kind in ("ext", "extinst"):
            return self.name
        if self.kind == "method":
            return f"{self.base.label() if self.base else '?'}.{self.extra}"
        if self.kind == "router":
            return self.name
        return self.extra or self.name or self.kind


@dataclass(frozen=True)
class Auth:
    name: str  # qualified name of the authenticating dependency
    text: str  # how, for people
    optional: bool = False
    admin: bool = False
    user: bool = True  # its value is the authenticated principal (not a raw token)


@dataclass(frozen=True)
class Edge:
    child: str
    parent: str
    prefix: Optional[V]
    dependencies: Optional[V]
    kind: str
    path: str  # file of the include_router/mount call


@dataclass
class RouterInfo:
    key: str
    path: str  # file where it is constructed
    ctor: Optional[V]
    is_app: bool
    label: str
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


class Linker:
    def __init__(self, project, auth_dependencies: Sequence[str] = ()):
        self.project = project
        self.files: Dict[str, FileFacts] = {path: LazyFileFacts(packed) for path, packed in project.facts(CHECK_NAME)}
        self.auth_patterns = [p.strip() for p in auth_dependencies if p.strip()]
        self._ev_memo: Dict[Any, List[Obj]] = {}
        self._ev_stack: set = set()
        self._auth_memo: Dict[Any, Optional[Auth]] = {}
        self._auth_stack: set = set()
        self._decode_memo: Dict[Tuple[str, str], bool] = {}
        self._class_memo: Dict[Tuple[str, str], Tuple[bool, bool, bool, bool]] = {}
        self._resolve_memo: Dict[Tuple[str, str], Any] = {}
        self._param_bindings: Optional[Dict[Tuple[str, str, str], List[Tuple[V, str]]]] = None
        self.notes: Dict[Any, str] = {}

    # -- symbols -----------------------------------------------------------------------------
    def module_of(self, path: str) -> str:
        f = self.files.get(path)
        if f is not None:
            return f.module
        names = self.project.names(path)
        return names.module if names else ""

    def qual(self, path: str, name: str) -> str:
        mod = self.module_of(path)
        return f"{mod}.{name}" if mod else name

    def _resolve(self, q: str, near: str):
        key = (q, near)
        if key not in self._resolve_memo:
            self._resolve_memo[key] = self.project.resolve(q, near=near)
        return self._resolve_memo[key]

    def func(self, path: str, qual: str) -> Optional[FuncFact]:
        f = self.files.get(path)
        return f.functions.get(qual) if f else None

    def cls(self, path: str, qual: str) -> Optional[ClassFact]:
        f = self.files.get(path)
        return f.classes.get(qual) if f else None

    # -- evaluation --------------------------------------------------------------------------
    def ev(self, v: Optional[V], path: str, env: Tuple = ()) -> List[Obj]:
        if v is None:
            return []
        key = (v, path, env)
        hit = self._ev_memo.get(key)
        if hit is not None:
            return hit
        if key in self._ev_stack or len(self._ev_stack) > MAX_EVAL_DEPTH:
            return [Obj("unk", extra=v.text())]
        self._ev_stack.add(key)
        try:
            out = self._ev(v, path, env)
        finally:
            self._ev_stack.discard(key)
        seen, uniq = set(), []
        for o in out:
            if o not in seen:
                seen.add(o)
                uniq.append(o)
        uniq = uniq[:MAX_ALTERNATIVES] or [Obj("unk", extra=v.text())]
        self._ev_memo[key] = uniq
        return uniq

    def _ev(self, v: V, path: str, env: Tuple) -> List[Obj]:
        k = v.k
        if k == "ref":
            return self.ev_ref(v.q, path)
        if k == "loc":
            return self.ev_local(path, v.s, v.q, env)
        if k == "def":
            if self.func(path, v.q) is not None:
                return [Obj("func", path, v.q)]
            if self.cls(path, v.q) is not None:
                return [Obj("class", path, v.q)]
            return [Obj("unk", extra=v.q)]
        if k == "attr":
            out = []
            for o in self.ev(v.a[0], path, env):
                out.extend(self.getattr_obj(o, v.q))
            return out
        if k == "call":
            out = []
            for o in self.ev(v.a[0], path, env):
                out.extend(self.call_obj(o, v, path, env))
            return out
        if k == "dep":
            return [Obj("dep", path, v=v, env=env)]
        if k == "ann":
            return [Obj("alias", path, v=v, env=env)]
        if k == "opt":
            return self.ev(v.a[0], path, env)
        if k == "str":
            return [Obj("str", name=v.q)]
        if k == "fmt":
            return [Obj("str", name=self.path_text(v, path, env))]
        if k == "lit":
            return [Obj("lit", lit=v.lit)]
        if k == "list":
            return [Obj("list", path, v=v, env=env)]
        if k == "ifexp":
            tests = self.ev(v.a[0], path, env)
            if len(tests) == 1 and tests[0].kind == "lit":
                return self.ev(v.a[1] if tests[0].lit else v.a[2], path, env)
            return self.ev(v.a[1], path, env) + self.ev(v.a[2], path, env)
        if k == "iter":
            out = []
            for item, ipath, ienv in self.iter_items(v.a[0], path, env):
                if v.q:
                    if item.k == "list" and int(v.q) < len(item.a):
                        out.extend(self.ev(item.a[int(v.q)], ipath, ienv))
                else:
                    out.extend(self.ev(item, ipath, ienv))
            return out
        return [Obj("unk", extra=v.q)]

    def iter_items(self, v: V, path: str, env: Tuple) -> List[Tuple[V, str, Tuple]]:
        """The element values of a list (directly, or through a name bound to one)."""
        out = []
        for o in self.ev(v, path, env):
            if o.kind == "list" and o.v is not None:
                for item in o.v.a:
                    if item.k == "iter":
                        out.extend(self.iter_items(item.a[0], o.path, o.env))
                    else:
                        out.append((item, o.path, o.env))
        return out

    def ev_ref(self, q: str, near: str) -> List[Obj]:
        if self.is_known_external(q):
            return [Obj("ext", name=q)]
        sym = self._resolve(q, near)
        if sym is None:
            return [Obj("ext", name=q)]
        facts = self.files.get(sym.path)
        if facts is None:
            return [Obj("ext", name=q)]
        name = sym.name
        objs: List[Obj]
        attrs = list(sym.attrs)
        if name in facts.functions:
            objs = [Obj("func", sym.path, name)]
        elif name in facts.classes:
            # Class.method / Class.attr
            if attrs and f"{name}.{attrs[0]}" in facts.functions:
                objs = [Obj("func", sym.path, f"{name}.{attrs[0]}")]
                attrs = attrs[1:]
            else:
                objs = [Obj("class", sym.path, name)]
        elif name in facts.assigns:
            objs = self.ev_binding(sym.path, "", name, facts.assigns[name], ())
        else:
            return [Obj("unk", extra=q)]
        for a in attrs:
            nxt = []
            for o in objs:
                nxt.extend(self.getattr_obj(o, a))
            objs = nxt
        return objs

    def is_known_external(self, q: str) -> bool:
        top = q.split(".")[0]
        if top in ("fastapi", "starlette", "typing", "typing_extensions", "pydantic") and not self._project_has(top):
            return True
        return (q in K.ROUTER_CLASSES or q in K.DEPENDS or q in K.SECURITY or K.is_scheme_class(q)
                or q in K.LOGIN_FORMS or q in K.REQUEST_TYPES or q in K.FACTORY_OWNERS
                or K.is_auth_library_class(q) or q in K.CBV_DECORATORS)

    def _project_has(self, top: str) -> bool:
        return self.project.module_path(top) is not None

    def ev_binding(self, path: str, scope: str, name: str, value: V, env: Tuple) -> List[Obj]:
        """A name bound to `value` at module level (scope "") or in function `scope`: routers
        constructed here take their identity from this binding."""
        objs = self.ev(value, path, env)
        out = []
        for o in objs:
            if o.kind == "router" and o.name.startswith("anon:"):
                key = self.qual(path, f"{scope}.<locals>.{name}" if scope else name)
                o = Obj("router", path, key, v=o.v, env=o.env, extra=o.extra, base=o.base)
            out.append(o)
        return out

    def ev_local(self, path: str, scope: str, name: str, env: Tuple) -> List[Obj]:
        for k, val in env:
            if k == name:
                return [Obj("str", name=val)] if isinstance(val, str) else [Obj("lit", lit=val)]
        f = self.func(path, scope)
        if f is None:
            return [Obj("unk", extra=name)]
        for k, val in f.local_values:
            if k == name:
                return self.ev_binding(path, scope, name, val, env)
        params = [p.name for p in f.params]
        if name in params:
            if f.is_method and params and name == params[0]:
                cls_qual = scope.rsplit(".", 1)[0]
                if self.cls(path, cls_qual) is not None:
                    return [Obj("inst", path, cls_qual, extra="self")]
            bound = self.param_bindings().get((path, scope, name))
            if bound:
                out = []
                for argv, apath in bound[:MAX_ALTERNATIVES]:
                    out.extend(self.ev(argv, apath))
                return out
            p = next(p for p in f.params if p.name == name)
            if p.default is not None and p.default.k == "lit":
                return [Obj("lit", lit=p.default.lit)]
            return self.ev_param_type(path, scope, p)
        return [Obj("unk", extra=name)]

    def ev_param_type(self, path: str, scope: str, p: ParamFact) -> List[Obj]:
        """A parameter no caller binds: an instance of its annotated class (`app: FastAPI`,
        `authenticator: Authenticator`)."""
        ann = p.ann
        while ann is not None and ann.k in ("opt", "ann") and ann.a:
            ann = ann.a[0]
        out = []
        if ann is not None and ann.k in ("ref", "attr"):
            for o in self.ev(ann, path):
                if o.kind == "ext" and o.name in K.ROUTER_CLASSES:
                    out.append(Obj("router", path, self.qual(path, f"{scope}.<param>.{p.name}"),
                                   extra="app" if o.name in K.APP_CLASSES else "router"))
                elif o.kind == "ext":
                    out.append(Obj("extinst", name=o.name, extra=path))
                elif o.kind == "class":
                    is_router, is_app, _, _ = self.class_kind(o.path, o.name)
                    if is_router:
                        out.append(Obj("router", path, self.qual(path, f"{scope}.<param>.{p.name}"),
                                       extra="app" if is_app else "router"))
                    else:
                        out.append(Obj("inst", o.path, o.name, extra="param"))
        return out or [Obj("param", path, scope, extra=p.name, v=p.ann)]

    def param_bindings(self) -> Dict[Tuple[str, str, str], List[Tuple[V, str]]]:
        """Function parameters bound to what callers pass (`register_routes(app)`)."""
        if self._param_bindings is None:
            self._param_bindings = {}
            for path, facts in self.files.items():
                for c in facts.calls:
                    for o in self.ev(c.callee, path):
                        if o.kind != "func":
                            continue
                        f = self.func(o.path, o.name)
                        if f is None:
                            continue
                        names = [p.name for p in f.params if not p.star]
                        if f.is_method and names:
                            names = names[1:]
                        for i, a in enumerate(c.args):
                            if i < len(names):
                                self._param_bindings.setdefault((o.path, o.name, names[i]), []).append((a, path))
                        for kname, a in c.kw:
                            if kname in names:
                                self._param_bindings.setdefault((o.path, o.name, kname), []).append((a, path))
        return self._param_bindings

    def getattr_obj(self, o: Obj, attr: str) -> List[Obj]:
        if o.kind == "router":
            if attr == "router":
                return [o]
            if o.extra == "app" and attr in K.APP_URL_DEFAULTS:
                # app.docs_url, app.openapi_url...: the constructor's value, else FastAPI's default
                given = o.v.kwarg(attr) if o.v is not None and o.v.k == "call" else None
                return self.ev(given, o.path, o.env) if given is not None else [Obj("str", name=K.APP_URL_DEFAULTS[attr])]
            return [Obj("unk", extra=f"{o.label()}.{attr}")]
        if o.kind in ("inst", "class"):
            found = self.class_member(o.path, o.name, attr)
            if found is not None:
                kind, fpath, value = found
                if kind == "method":
                    if o.kind == "inst":
                        return [Obj("method", fpath, value, base=o, extra=attr)]
                    return [Obj("func", fpath, value)]
                return self.ev_binding(fpath, "", f"{o.name}.{attr}", value, ())
            if o.kind == "inst":
                # a method inherited from a library class: `class Users(FastAPIUsers[User, UUID])`
                # (a project subclass adding a router) keeps `current_user()` of its base
                for ext in self.external_bases(o.path, o.name):
                    if (ext, attr) in K.LIBRARY_ATTRS:
                        return [Obj("extinst", name=K.LIBRARY_ATTRS[(ext, attr)], extra=o.path)]
                    if self.factory_for(ext, attr) is not None:
                        return [Obj("method", base=Obj("extinst", name=ext, v=o.v, env=o.env, extra=o.path),
                                    extra=attr)]
            return [Obj("unk", extra=f"{o.label()}.{attr}")]
        if o.kind == "extinst":
            if (o.name, attr) in K.LIBRARY_ATTRS:
                return [Obj("extinst", name=K.LIBRARY_ATTRS[(o.name, attr)], extra=o.extra)]
            return [Obj("method", base=o, extra=attr)]
        if o.kind == "ext":
            return [Obj("ext", name=f"{o.name}.{attr}")]
        return [Obj("unk", extra=f"{o.label()}.{attr}")]

    def class_member(self, path: str, qual: str, attr: str, depth: int = 0) -> Optional[Tuple[str, str, Any]]:
        """("method", file, function qualname) or ("attr", file, value V) from the class or its
        project bases."""
        c = self.cls(path, qual)
        if c is None or depth > 10:
            return None
        if f"{qual}.{attr}" in self.files[path].functions:
            return ("method", path, f"{qual}.{attr}")
        for name, ann, value in reversed(c.attrs):
            if name == attr and value is not None:
                return ("attr", path, value)
        for b in c.bases:
            for bo in self.ev(b, path):
                if bo.kind == "class":
                    found = self.class_member(bo.path, bo.name, attr, depth + 1)
                    if found is not None:
                        return found
        return None

    def external_bases(self, path: str, qual: str, depth: int = 0) -> List[str]:
        """Qualified names of the library classes a project class derives from, through its
        project bases."""
        c = self.cls(path, qual)
        if c is None or depth > 10:
            return []
        out: List[str] = []
        for b in c.bases:
            for bo in self.ev(b, path):
                if bo.kind == "ext":
                    out.append(bo.name)
                elif bo.kind == "class":
                    out.extend(self.external_bases(bo.path, bo.name, depth + 1))
        return out

    def call_obj(self, o: Obj, call: V, path: str, env: Tuple) -> List[Obj]:
        if o.kind == "func":
            return self.call_func(o.path, o.name, call, path, env)
        if o.kind == "class":
            is_router, is_app, _, _ = self.class_kind(o.path, o.name)
            if is_router:
                return [Obj("router", path, f"anon:{path}:{call.text()[:80]}", v=call, env=env,
                            extra="app" if is_app else "router", base=o)]
            return [Obj("inst", o.path, o.name, v=call, env=env, extra=path)]
        if o.kind == "ext":
            q = o.name
            if q in K.ROUTER_CLASSES:
                return [Obj("router", path, f"anon:{path}:{call.text()[:80]}", v=call, env=env,
                            extra="app" if q in K.APP_CLASSES else "router")]
            fac = self.factory_for_q(q)
            if fac is not None:
                return [self.factory_obj(fac, call, path, env)]
            return [Obj("extinst", name=q, v=call, env=env, extra=path)]
        if o.kind == "method":
            base = o.base
            if base is not None and base.kind == "extinst":
                fac = self.factory_for(base.name, o.extra)
                if fac is not None:
                    return [self.factory_obj(fac, call, path, env)]
                return [Obj("extinst", name=f"{base.name}.{o.extra}()", v=call, env=env, extra=path)]
            if base is not None and base.kind == "inst":
                return self.call_func(o.path, o.name, call, path, env, bound=True)
        if o.kind == "inst":
            return [Obj("unk", extra=f"{o.label()}()")]
        return [Obj("unk", extra=call.text()[:80])]

    def call_func(self, fpath: str, qual: str, call: V, cpath: str, env: Tuple, bound: bool = False) -> List[Obj]:
        """What a project function returns, with literal arguments of the call bound to its
        parameters (so `authorizer(required=False)` picks the optional branch)."""
        f = self.func(fpath, qual)
        if f is None:
            return [Obj("unk", extra=qual)]
        params = [p for p in f.params if not p.star]
        if (f.is_method or bound) and params and params[0].name in ("self", "cls"):
            params = params[1:]
        new_env: Dict[str, Any] = {}
        for p in params:
            if p.default is not None and p.default.k == "lit":
                new_env[p.name] = p.default.lit
        for i, a in enumerate(call.args):
            if i < len(params):
                lit = self._literal(a, cpath, env)
                if lit is not _NOLIT:
                    new_env[params[i].name] = lit
        for kname, a in call.kw:
            lit = self._literal(a, cpath, env)
            if lit is not _NOLIT:
                new_env[kname] = lit
        fenv = tuple(sorted(new_env.items(), key=lambda kv: kv[0]))
        out = []
        for r in f.returns:
            out.extend(self.ev(r, fpath, fenv))
        if all(o.kind in ("unk", "param") for o in out) and f.returns_ann is not None:
            # `def get_settings() -> Settings: return environments[env]()`: trust the annotation
            typed = [o for o in self.ev_param_type(fpath, qual, ParamFact("<return>", f.returns_ann, None))
                     if o.kind in ("inst", "extinst")]
            if typed:
                return typed
        return out or [Obj("unk", extra=f"{short_name(qual)}()")]

    def _literal(self, v: V, path: str, env: Tuple) -> Any:
        if v.k == "lit":
            return v.lit
        if v.k == "str" and not v.q.startswith("?"):
            return v.q
        if v.k == "loc":
            for k, val in env:
                if k == v.q:
                    return val
        return _NOLIT

    def class_kind(self, path: str, qual: str, depth: int = 0) -> Tuple[bool, bool, bool, bool]:
        """(is router, is app, is security scheme, is login form) through project and external
        bases."""
        key = (path, qual)
        if key in self._class_memo:
            return self._class_memo[key]
        self._class_memo[key] = (False, False, False, False)
        c = self.cls(path, qual)
        res = [False, False, False, False]
        if c is not None and depth < 10:
            for b in c.bases:
                for bo in self.ev(b, path):
                    if bo.kind == "ext":
                        q = bo.name
                        res[0] |= q in K.ROUTER_CLASSES
                        res[1] |= q in K.APP_CLASSES
                        res[2] |= K.is_scheme_class(q) or K.is_auth_library_class(q)
                        res[3] |= q in K.LOGIN_FORMS
                    elif bo.kind == "class":
                        sub = self.class_kind(bo.path, bo.name, depth + 1)
                        for i in range(4):
                            res[i] |= sub[i]
        out = (res[0], res[1], res[2], res[3])
        self._class_memo[key] = out
        return out

    def path_text(self, v: Optional[V], path: str, env: Tuple = ()) -> str:
        """A path value as text; unresolved parts as `{name}`."""
        if v is None:
            return ""
        if v.k == "str":
            return v.q if not v.q.startswith("?") else "{…}"
        if v.k == "fmt":
            return "".join(p.q if p.k == "str" else self.path_text(p, path, env) for p in v.a)
        objs = self.ev(v, path, env)
        if len(objs) == 1 and objs[0].kind == "str":
            return objs[0].name if not objs[0].name.startswith("?") else "{…}"
        text = v.text()
        if v.k == "ref":  # `{settings.API_PREFIX}` rather than the module's full dotted name
            sym = self._resolve(v.q, path)
            text = ".".join((sym.name, *sym.attrs)) if sym is not None else ".".join(v.q.split(".")[-2:])
        return "{" + text + "}"

    # -- factories ---------------------------------------------------------------------------
    @staticmethod
    def factory_for(owner: str, attr: str) -> Optional[K.Factory]:
        return K.FACTORIES.get((owner, attr))

    def factory_for_q(self, q: str) -> Optional[K.Factory]:
        owner, _, attr = q.rpartition(".")
        return K.FACTORIES.get((owner, attr))

    def factory_obj(self, fac: K.Factory, call: Optional[V], path: str, env: Tuple) -> Obj:
        optional = fac.optional
        admin = False
        if call is not None:
            for kname, want in fac.optional_kw:
                a = call.kwarg(kname)
                if a is not None and self._literal(a, path, env) == want:
                    optional = True
            for kname in fac.admin_kw:
                a = call.kwarg(kname)
                if a is not None:
                    lit = self._literal(a, path, env)
                    if lit is True or (a.k == "list" and any(x.q == "?admin" for x in a.a)):
                        admin = True
        return Obj("authdep", path, fac.text, v=call, extra=f"{int(optional)}{int(admin)}")

    # -- authentication ----------------------------------------------------------------------
    def configured(self, qualname: str) -> bool:
        for pat in self.auth_patterns:
            if qualname == pat or qualname.endswith("." + pat):
                return True
            if any(ch in pat for ch in "*?[") and (fnmatch.fnmatchcase(qualname, pat)
                                                  or fnmatch.fnmatchcase(qualname, "*." + pat)):
                return True
        return False

    def obj_qualname(self, o: Obj) -> str:
        if o.kind in ("func", "class", "inst"):
            return self.qual(o.path, o.name)
        if o.kind in ("ext", "extinst"):
            return o.name
        if o.kind == "method" and o.base is not None:
            return f"{self.obj_qualname(o.base)}.{o.extra}"
        return o.name

    def _memo_auth(self, key: Any, compute: Callable[[], Optional[Auth]]) -> Optional[Auth]:
        """`compute()` once per key; None while it is being computed (a dependency cycle)."""
        if key in self._auth_memo:
            return self._auth_memo[key]
        if key in self._auth_stack:
            return None
        self._auth_stack.add(key)
        try:
            res = compute()
        finally:
            self._auth_stack.discard(key)
        self._auth_memo[key] = res
        return res

    def auth_of(self, o: Obj) -> Optional[Auth]:
        return self._memo_auth(o, lambda: self._auth_of(o))

    def _auth_of(self, o: Obj) -> Optional[Auth]:
        qn = self.obj_qualname(o)
        if qn and self.configured(qn):
            return Auth(qn, f"{short_name(qn)} (configured in auth-dependencies)",
                        admin=bool(K.ADMIN_WORDS.search(short_name(qn))))
        if o.kind == "func":
            return self.auth_of_func(o.path, o.name)
        if o.kind == "dep":
            return self.auth_of_dep(o.v, o.path, o.env)
        if o.kind == "class":
            is_router, _, is_scheme, is_form = self.class_kind(o.path, o.name)
            if is_scheme:
                return Auth(qn, f"{short_name(o.name)} (security scheme)", user=False)
            init = f"{o.name}.__init__"
            if self.func(o.path, init) is not None:
                a = self.auth_of_func(o.path, init, bound=True)
                if a is not None:
                    return Auth(qn, f"{short_name(o.name)} → {a.text}", a.optional, a.admin, True)
            return None
        if o.kind == "inst":
            _, _, is_scheme, _ = self.class_kind(o.path, o.name)
            admin_args = self._admin_args(o.v)
            member = self.class_member(o.path, o.name, "__call__")
            if member is not None and member[0] == "method":
                a = self.auth_of_func(member[1], member[2], bound=True)
                if a is not None:
                    return Auth(qn, f"{short_name(o.name)}(…) → {a.text}" if a.text else short_name(o.name),
                                a.optional or self._auto_error_false(o), a.admin or admin_args, True)
            if is_scheme:
                return Auth(qn, f"{short_name(o.name)} (security scheme)", optional=self._auto_error_false(o),
                            admin=admin_args, user=member is not None)
            return None
        if o.kind == "extinst":
            if K.is_scheme_class(o.name):
                return Auth(o.name, f"{short_name(o.name)} (security scheme)",
                            optional=self._auto_error_false(o), user=False)
            if K.is_auth_library_class(o.name):
                return Auth(o.name, short_name(o.name), optional=self._auto_error_false(o),
                            admin=self._admin_args(o.v))
            return None
        if o.kind == "authdep":
            return Auth(o.name, o.name, optional=o.extra[:1] == "1", admin=o.extra[1:2] == "1")
        if o.kind == "method":
            base = o.base
            if base is not None and base.kind == "extinst":
                fac = self.factory_for(base.name, o.extra)
                if fac is not None and not fac.call:
                    return Auth(qn, fac.text, optional=fac.optional)
                if K.is_auth_library_class(base.name) and o.extra in ("optional",):
                    return Auth(qn, f"{short_name(base.name)}.{o.extra}", optional=True)
                return None
            if base is not None and base.kind == "inst" and o.path:
                a = self.auth_of_func(o.path, o.name, bound=True)
                if a is not None:
                    return Auth(qn, a.text, a.optional, a.admin, a.user)
            return None
        if o.kind == "alias":
            return self.auth_of_annotation(o.v, o.path, o.env)
        return None

    def _auto_error_false(self, o: Obj) -> bool:
        if o.v is None or o.v.k != "call":
            return False
        a = o.v.kwarg("auto_error")
        return a is not None and a.k == "lit" and a.lit is False

    @staticmethod
    def _admin_args(call: Optional[V]) -> bool:
        if call is None:
            return False

        def walk(v: V) -> bool:
            if v.k == "str" and v.q == "?admin":
                return True
            return any(walk(x) for x in v.a) or any(walk(x) for _, x in v.kw)
        return walk(call)

    def dep_targets(self, dep: V, path: str, env: Tuple, annotation: Optional[V] = None) -> List[Obj]:
        """What a Depends()/Security() calls: its argument, or the annotated class for `Depends()`."""
        if dep.a:
            return self.ev(dep.a[0], path, env)
        if annotation is not None:
            base = annotation
            while base.k in ("opt", "ann") and base.a:
                base = base.a[0]
            return self.ev(base, path, env)
        return []

    def auth_of_dep(self, dep: Optional[V], path: str, env: Tuple, annotation: Optional[V] = None) -> Optional[Auth]:
        if dep is None or dep.k != "dep":
            return None
        best: Optional[Auth] = None
        for t in self.dep_targets(dep, path, env, annotation):
            a = self.auth_of(t)
            if a is not None and (best is None or (best.optional and not a.optional)):
                best = a
        if best is not None and dep.q == "Security":
            scopes = dep.kwarg("scopes")
            if scopes is not None and self._admin_args(scopes):
                best = Auth(best.name, f"{best.text} with admin scopes", best.optional, True, best.user)
        return best

    def auth_of_annotation(self, ann: Optional[V], path: str, env: Tuple = (), depth: int = 0) -> Optional[Auth]:
        """An annotation carrying a dependency: `Annotated[User, Depends(f)]`, an alias of one
        (imported, re-exported), or `Optional[...]` of those."""
        if ann is None or depth > 8:
            return None
        if ann.k == "opt":
            return self.auth_of_annotation(ann.a[0], path, env, depth + 1) if ann.a else None
        if ann.k == "ann":
            best = None
            base = ann.a[0] if ann.a else None
            for m in ann.a[1:]:
                for mo in ([Obj("dep", path, v=m, env=env)] if m.k == "dep" else self.ev(m, path, env)):
                    a = self.auth_of_dep(mo.v, mo.path, mo.env, base) if mo.kind == "dep" else None
                    if a is not None and (best is None or (best.optional and not a.optional)):
                        best = a
            if best is None and base is not None and base.k in ("ref", "loc", "ann", "opt"):
                best = self.auth_of_annotation(base, path, env, depth + 1)
            return best
        if ann.k in ("ref", "loc", "attr"):
            for o in self.ev(ann, path, env):
                if o.kind == "alias":
                    a = self.auth_of_annotation(o.v, o.path, o.env, depth + 1)
                    if a is not None:
                        return a
        return None

    def param_auth(self, p: ParamFact, path: str) -> Tuple[Optional[Auth], List[str]]:
        """The authentication a parameter brings, and the dependencies it was seen to use."""
        seen: List[Obj] = []
        best: Optional[Auth] = None

        def consider(a: Optional[Auth]):
            nonlocal best
            if a is not None and (best is None or (best.optional and not a.optional)):
                best = a

        d = p.default
        if d is not None:
            if d.k == "dep":
                consider(self.auth_of_dep(d, path, (), p.ann))
                seen.extend(self._dep_labels(d, path, p.ann))
            elif d.k in ("ref", "loc", "attr", "call"):
                for o in self.ev(d, path):
                    if o.kind == "dep":
                        consider(self.auth_of_dep(o.v, o.path, o.env, p.ann))
                        seen.extend(self._dep_labels(o.v, o.path, p.ann))
        if p.ann is not None:
            a = self.auth_of_annotation(p.ann, path)
            consider(a)
            if a is None:
                seen.extend(self._ann_dep_labels(p.ann, path))
        return best, seen

    def _dep_labels(self, dep: Optional[V], path: str, ann: Optional[V]) -> List[Obj]:
        if dep is None or dep.k != "dep":
            return []
        return list(self.dep_targets(dep, path, (), ann))

    def _ann_dep_labels(self, ann: V, path: str, depth: int = 0) -> List[Obj]:
        if depth > 6:
            return []
        if ann.k == "opt" and ann.a:
            return self._ann_dep_labels(ann.a[0], path, depth + 1)
        if ann.k == "ann":
            out = []
            for m in ann.a[1:]:
                if m.k == "dep":
                    out.extend(self._dep_labels(m, path, ann.a[0] if ann.a else None))
            return out
        if ann.k in ("ref", "loc", "attr"):
            out = []
            for o in self.ev(ann, path):
                if o.kind == "alias" and o.v is not None:
                    out.extend(self._ann_dep_labels(o.v, o.path, depth + 1))
            return out
        return []

    def is_login_form_param(self, p: ParamFact, path: str) -> bool:
        cands: List[V] = []
        ann = p.ann
        while ann is not None and ann.k in ("opt", "ann") and ann.a:
            if ann.k == "ann":
                for m in ann.a[1:]:
                    if m.k == "dep" and m.a:
                        cands.append(m.a[0])
            ann = ann.a[0]
        if ann is not None:
            cands.append(ann)
        if p.default is not None and p.default.k == "dep" and p.default.a:
            cands.append(p.default.a[0])
        for c in cands:
            for o in self.ev(c, path):
                if o.kind == "ext" and o.name in K.LOGIN_FORMS:
                    return True
                if o.kind == "class" and self.class_kind(o.path, o.name)[3]:
                    return True
        return False

    def decodes(self, path: str, qual: str, depth: int = 0) -> bool:
        """The function verifies a token, itself or through project functions it calls."""
        key = (path, qual)
        if key in self._decode_memo:
            return self._decode_memo[key]
        self._decode_memo[key] = False
        f = self.func(path, qual)
        res = False
        if f is not None:
            res = f.decodes
            if not res and depth < 6:
                for c in f.calls:
                    for o in self.ev(c, path):
                        target = o
                        if o.kind == "method" and o.path:
                            target = Obj("func", o.path, o.name)
                        if target.kind == "func" and self.decodes(target.path, target.name, depth + 1):
                            res = True
                            break
                        if o.kind == "class":
                            init = f"{o.name}.__init__"
                            if self.func(o.path, init) and self.decodes(o.path, init, depth + 1):
                                res = True
                                break
                    if res:
                        break
        self._decode_memo[key] = res
        return res

    def raises_reject(self, f: FuncFact, path: str) -> int:
        """401 when the function rejects as unauthenticated, 403 when it only forbids, else 0:
        from what it raises or returns, including exceptions bound to names elsewhere
        (`raise credentials_exception`) and project exception classes built with a status."""
        found = f.raises_auth
        if found == 401:
            return found
        for r in f.raised:
            for o in self.ev(r, path):
                if o.kind in ("class", "inst"):
                    c = self.cls(o.path, o.name)
                    if c is not None:
                        found = strongest(found, c.mentions_reject)
                if o.kind in ("inst", "extinst") and o.v is not None:
                    found = strongest(found, v_rejection(o.v))
                if found == 401:
                    return found
        return found

    def auth_of_func(self, path: str, qual: str, bound: bool = False) -> Optional[Auth]:
        return self._memo_auth(("func", path, qual, bound), lambda: self._auth_of_func(path, qual, bound))

    def _auth_of_func(self, path: str, qual: str, bound: bool) -> Optional[Auth]:
        f = self.func(path, qual)
        if f is None:
            return None
        qn = self.qual(path, qual)
        label = short_name(qual.replace(".<locals>", ""))
        if qual.endswith(".__call__") or qual.endswith(".__init__"):
            label = ""
        if self.configured(qn):
            return Auth(qn, f"{label or qn} (configured in auth-dependencies)")
        params = list(f.params)
        if (f.is_method or bound) and params and params[0].name in ("self", "cls"):
            params = params[1:]
        subs: List[Tuple[Optional[ParamFact], Auth]] = []
        for p in params:
            a, _ = self.param_auth(p, path)
            if a is not None:
                subs.append((p, a))
        method = qual.rsplit(".", 1)[-1]
        if f.is_method and method in f.super_calls:
            # `return await super().__call__(request)`: what the base class method does
            base = self.base_method(path, qual.rsplit(".", 1)[0], method)
            if base is not None:
                a = self.auth_of_func(base[0], base[1], bound=True)
                if a is not None:
                    subs.append((None, a))
        body = self.body_auth(f, path, params)
        calls = self.calls_auth(f, path)
        if not subs and body is None and calls is None:
            return None
        required = [a for _, a in subs if not a.optional]
        rejects = f.raises or self.raises_reject(f, path)
        if required:
            optional = False
            via = required[0]
        elif body is not None or calls is not None:
            optional = f.returns_none
            via = None
        else:
            checked = any(p is not None and p.checked for p, a in subs)
            optional = not (checked and rejects) or f.returns_none
            if optional and _promises_a_value(f, {p.name for p, _ in subs if p is not None}):
                # `-> WalletTypeInfo` built by a checker that raises without a key: the optional
                # scheme only lets the function do its own rejecting.
                optional = False
            via = subs[0][1]
        admin = f.admin_check or bool(K.ADMIN_WORDS.search(label)) or any(a.admin for _, a in subs)
        if via is not None:
            text = f"{label} → {via.text}" if label else via.text
        elif body is not None:
            text = f"{label} ({body})" if label else body
        else:
            text = f"{label} → {calls.text}" if label else calls.text
        return Auth(qn, text, optional, admin, True)

    def base_method(self, path: str, cls_qual: str, method: str) -> Optional[Tuple[str, str]]:
        """(file, qualname) of `method` in the nearest project base class of a class."""
        c = self.cls(path, cls_qual)
        if c is None:
            return None
        for b in c.bases:
            for bo in self.ev(b, path):
                if bo.kind == "class":
                    found = self.class_member(bo.path, bo.name, method)
                    if found is not None and found[0] == "method":
                        return found[1], found[2]
        return None

    def body_auth(self, f: FuncFact, path: str, params: Sequence[ParamFact], role: str = "dependency") -> Optional[str]:
        """Evidence in the function itself: it reads a credential (an Authorization/API-key
        header or cookie, `request.user`) and verifies, looks up or rejects it; or it hands the
        request to something and rejects with 401/403.

        `role` says how the function runs: a "dependency" gets its parameters from the request
        (so `authorization: str = Header()` or a `token` query parameter is a credential read), a
        "handler" must verify or reject what it reads, a plain "callee" only counts what it
        reads from a request object (its parameters are whatever its caller passes), and a
        "middleware" must turn requests away."""
        reads = [r for r in f.reads if r != "user"]
        if role == "middleware":
            # Only a middleware that turns requests away is a gate: one that identifies the
            # caller when a token is present and lets the others through protects nothing.
            reject = self.raises_reject(f, path)
            if not reject:
                return None
            if reads:
                return f"reads `{reads[0].split(':', 1)[-1]}` and rejects requests without a valid one"
            if "user" in f.reads:
                return "requires request.user and rejects with 401/403"
            if f.request_to_call:
                return "hands the request to an authenticator and rejects with 401/403"
            return "answers 401" if reject == 401 else None
        creds = reads if role == "callee" else [p.credential for p in params if p.credential] + reads
        # a verifier-named method on an object we cannot see counts only with a credential read here
        decodes = f.decodes or self.decodes(path, f.name) or (bool(creds) and f.verifier_call)
        reject = self.raises_reject(f, path)
        if creds:
            cred = creds[0].split(":", 1)[-1]
            if decodes:
                return f"reads `{cred}` and verifies it"
            # a handler raises for many reasons (404...): a raise counts for a header/cookie it
            # reads on purpose, a query parameter named like a token needs a 401/403
            from_query = creds[0].startswith("query:")
            if reject or (f.raises and (role == "dependency" or not from_query)):
                return f"reads `{cred}` and rejects requests without a valid one"
            if role == "dependency" and f.passes_names and (f.verifier_call or f.calls):
                return f"reads `{cred}` and looks it up"
        if "user" in f.reads and reject:
            return "requires request.user (authentication middleware)"
        if f.request_to_call and reject:
            return "hands the request to an authenticator and rejects with 401/403"
        if f.takes_request and decodes and reject:
            return "verifies the request's credentials or signature and rejects with 401/403"
        if role == "dependency" and reject == 401:
            # a dependency answering 401 is an authentication gate, whatever it reads
            # (a session, request.state set by a middleware, a subject passed in)
            return "rejects unauthenticated requests with 401"
        for pname, meth in f.param_calls:
            p = next((p for p in params if p.name == pname), None)
            if p is None or p.ann is None:
                continue
            for o in self.ev(p.ann, path):
                if o.kind == "ext" and meth in K.BODY_CALL_AUTH.get(o.name, ()):
                    return f"calls {pname}.{meth}()"
        return None

    def calls_auth(self, f: FuncFact, path: str) -> Optional[Auth]:
        """A direct call to a function that authenticates the request itself
        (`user = get_current_user(request)`)."""
        if not f.passes_names:
            return None
        for c in f.calls:
            for o in self.ev(c, path):
                if o.kind == "func" and (o.path, o.name) != (path, f.name):
                    g = self.func(o.path, o.name)
                    if g is None:
                        continue
                    body = self.body_auth(g, o.path, g.params, role="callee")
                    if body is None:
                        # `return await authenticate(token)`: a function that verifies what it is
                        # handed and rejects with 401, called with the credential
                        body = self.body_auth(g, o.path, g.params, role="dependency")
                        if body is not None and not (self.raises_reject(g, o.path) == 401 and (
                                g.decodes or self.decodes(o.path, o.name))):
                            body = None
                    if body is not None and not g.returns_none:
                        return Auth(self.qual(o.path, o.name), f"{short_name(o.name)} ({body})")
        return None

    # -- middleware --------------------------------------------------------------------------
    def middleware_auth(self, target: V, path: str) -> Optional[Auth]:
        """An authenticating middleware: a function (`@app.middleware("http")`) or a class
        (`dispatch` of a BaseHTTPMiddleware, or an ASGI `__call__`) that reads a credential from
        the request and rejects or verifies it, or answers 401; or a known library middleware."""
        for o in self.ev(target, path):
            if o.kind == "ext" and (K.is_auth_library_class(o.name) or o.name in K.AUTH_MIDDLEWARE):
                return Auth(o.name, short_name(o.name))
            funcs: List[Tuple[str, str]] = []
            if o.kind == "func":
                funcs.append((o.path, o.name))
            elif o.kind == "class":
                for meth in ("dispatch", "dispatch_func", "__call__"):
                    found = self.class_member(o.path, o.name, meth)
                    if found is not None and found[0] == "method":
                        funcs.append((found[1], found[2]))
            for fpath, qual in funcs:
                f = self.func(fpath, qual)
                if f is None:
                    continue
                qn = self.qual(fpath, qual)
                if self.configured(qn):
                    return Auth(qn, f"{short_name(qn)} (configured in auth-dependencies)")
                # Only what the middleware does itself: an identity middleware that calls a
                # resolver which rejects bad tokens but lets anonymous requests through (and
                # leaves the decision to the routes) protects nothing by itself.
                body = self.body_auth(f, fpath, f.params, role="middleware")
                if body is not None:
                    label = short_name(qual.replace(".<locals>", "")) if o.kind == "func" else short_name(o.name)
                    return Auth(qn, f"{label} ({body})", user=False)
        return None

    # -- dependencies lists ------------------------------------------------------------------
    def deps_auth(self, deps: Optional[V], path: str, env: Tuple = ()) -> Tuple[List[Auth], List[Obj]]:
        """Authentications in a `dependencies=[...]` value, and what all its entries call."""
        if deps is None:
            return [], []
        auths: List[Auth] = []
        labels: List[Obj] = []
        for item, ipath, ienv in self.iter_items(deps, path, env):
            objs = [Obj("dep", ipath, v=item, env=ienv)] if item.k == "dep" else self.ev(item, ipath, ienv)
            for o in objs:
                if o.kind == "dep":
                    a = self.auth_of_dep(o.v, o.path, o.env)
                    labels.extend(self.dep_targets(o.v, o.path, o.env))
                else:
                    a = self.auth_of(o)
                    labels.append(o)
                if a is not None:
                    auths.append(a)
        return auths, labels

    # -- routers -----------------------------------------------------------------------------
    def ev_each_binding(self, v: V, path: str) -> List[Obj]:
        """Like `ev`, but a parameter of a helper is followed into every call of the helper, not
        only the first few: `def include_scoped(app, router): app.include_router(router, ...)`
        called once per router of the project includes each of them."""
        if v.k == "loc":
            f = self.func(path, v.s)
            if f is not None and not any(k == v.q for k, _ in f.local_values) \
                    and any(p.name == v.q for p in f.params):
                bound = self.param_bindings().get((path, v.s, v.q))
                if bound and len(bound) > MAX_ALTERNATIVES:
                    out: List[Obj] = []
                    for argv, apath in bound:
                        for o in self.ev(argv, apath):
                            if o not in out:
                                out.append(o)
                    return out
        return self.ev(v, path)

    def routers_of(self, v: V, path: str) -> Tuple[List[Obj], bool]:
        """Router objects a receiver/child value denotes; the flag says it is something else
        entirely (a Flask app, a dict) rather than unknown."""
        objs = self.ev_each_binding(v, path)
        routers = [o for o in objs if o.kind == "router"]
        other = any(o.kind in ("inst", "extinst", "func", "class", "str", "lit", "list", "dep", "alias")
                    for o in objs)
        return routers, (not routers and other)

    def router_info(self, o: Obj) -> RouterInfo:
        """Routers are labelled `<module's last part>.<name>` (`items.router`, `main.app`)."""
        label = o.name
        mod = self.module_of(o.path)
        if mod and label.startswith(mod + "."):
            label = f"{mod.rsplit('.', 1)[-1]}.{label[len(mod) + 1:]}"
        label = label.replace(".<locals>", "")
        info = RouterInfo(key=o.name, path=o.path, ctor=o.v, is_app=o.extra == "app", label=label, env=o.env)
        if o.base is not None and o.base.kind == "class":
            info.class_init = self.router_class_init(o.base.path, o.base.name)
        return info

    def router_class_init(self, path: str, qual: str, depth: int = 0) -> Optional[Tuple[V, str]]:
        """What a project APIRouter subclass passes to `super().__init__` (its built-in
        dependencies and prefix): `class UserRouter(APIRouter): def __init__(self, **kw):
        super().__init__(dependencies=[Depends(current_user)], **kw)`."""
        if depth > 8:
            return None
        f = self.func(path, f"{qual}.__init__")
        if f is not None and f.super_init is not None:
            return (f.super_init, path)
        c = self.cls(path, qual)
        if c is None:
            return None
        for b in c.bases:
            for bo in self.ev(b, path):
                if bo.kind == "class":
                    found = self.router_class_init(bo.path, bo.name, depth + 1)
                    if found is not None:
                        return found
        return None


class _NoLit:
    pass


_NOLIT = _NoLit()


# -- public-routes patterns --------------------------------------------------------------------

_METHOD_RX = re.compile(r"^\s*(?:(?P<methods>[A-Za-z*]+(?:\s*[,|]\s*[A-Za-z*]+)*)\s+)?(?P<path>\S+)\s*$")


def parse_public_pattern(p: str) -> Optional[Tuple[Tuple[str, ...], str]]:
    m = _METHOD_RX.match(p)
    if not m:
        return None
    methods = tuple(x.strip().upper() for x in re.split(r"[,|]", m.group("methods"))) if m.group("methods") else ()
    path = m.group("path")
    if not (path.startswith("/") or path.startswith("*")):
        return None
    return methods, path


def _norm(path: str) -> str:
    return path.rstrip("/") if len(path) > 1 else path


def public_match(patterns: Sequence[Tuple[Tuple[str, ...], str, str]], method: str, path: str) -> Optional[str]:
    """The pattern text matching a route (method + full path), else None. `*` matches any
    characters (including '/'), `{name}` in a pattern matches one path segment; a trailing slash
    does not matter."""
    candidates = {_norm(path)}
    # a prefix we could not resolve (`{settings.API_V1_STR}/login`) may be what the pattern omits
    stripped = re.sub(r"^(\{[^}]*[.…][^}]*\})+", "", path)
    if stripped != path and stripped:
        candidates.add(_norm(stripped))
    for methods, pat, text in patterns:
        if methods and "*" not in methods and method not in methods and not (method == "HEAD" and "GET" in methods):
            continue
        rx = _pattern_rx(_norm(pat))
        if any(rx.match(c) for c in candidates):
            return text
    return None


_PAT_CACHE: Dict[str, "re.Pattern[str]"] = {}


def _pattern_rx(pat: str) -> "re.Pattern[str]":
    rx = _PAT_CACHE.get(pat)
    if rx is None:
        out = []
        i = 0
        while i < len(pat):
            ch = pat[i]
            if ch == "*":
                out.append(".*")
            elif ch == "{":
                j = pat.find("}", i)
                if j < 0:
                    out.append(re.escape(ch))
                else:
                    out.append(r"\{[^/]*\}|[^/]+")
                    out[-1] = f"(?:{out[-1]})"
                    i = j
            else:
                out.append(re.escape(ch))
            i += 1
        rx = re.compile("^" + "".join(out) + "/?$")
        _PAT_CACHE[pat] = rx
    return rx


# -- the route table ---------------------------------------------------------------------------

@dataclass
class Applied:
    """One authentication that applies to a route, and where it comes from."""

    auth: Auth
    where: str  # "parameter `user`", "decorator", "router `items`", "include_router in app/main.py", ...
    param: str = ""  # handler parameter carrying it


@dataclass
class LinkedRoute:
    fact: RouteFact
    file: str
    method: str
    path: str
    handler: str
    handler_file: str
    handler_fact: Optional[FuncFact]
    applied: List[Applied]
    public: Optional[str]
    status: str  # "protected" | "public" | "optional" | "optional-unchecked" | "unprotected"
    chain: Chain
    seen: List[Obj]  # what the route's dependencies call, none of which authenticates
    hints: List[str]
    enforced_in_handler: bool = False
    optional_unchecked: bool = False  # an optional user parameter is dereferenced before any check

    @property
    def required(self) -> List[Applied]:
        return [a for a in self.applied if not a.auth.optional]

    @property
    def optional(self) -> List[Applied]:
        return [a for a in self.applied if a.auth.optional]


_USERISH = re.compile(r"(^|_)(user|current_user|me|principal|account|token|claims|payload|identity|auth)($|_)", re.I)


class TableBuilder:
    def __init__(self, linker: Linker, public_patterns: Sequence[str], is_test):
        self.L = linker
        self.patterns = []
        for p in public_patterns:
            parsed = parse_public_pattern(p)
            if parsed is not None:
                self.patterns.append((parsed[0], parsed[1], p))
        self.is_test = is_test
        self.infos: Dict[str, RouterInfo] = {}
        self.incoming: Dict[str, List[Edge]] = {}
        self.middleware: Dict[str, List[Tuple[V, str]]] = {}
        self._chains: Dict[str, List[List[Edge]]] = {}
        self._handler_memo: Dict[Tuple[str, str, str], Any] = {}
        self.skipped: List[Tuple[str, int]] = []  # routes too deeply nested to analyse

    def rel(self, path: str) -> str:
        res = self.L.project.results.get(path)
        return res.rel if res is not None else path

    # -- graph ---------------------------------------------------------------------------
    def _note_router(self, o: Obj) -> None:
        if o.name not in self.infos:
            self.infos[o.name] = self.L.router_info(o)

    def build_graph(self) -> None:
        for path, facts in sorted(self.L.files.items()):
            if self.is_test(path):  # test apps include routers in ways production never does
                continue
            for m in facts.middleware:
                for r in self.L.routers_of(m.receiver, path)[0]:
                    self._note_router(r)
                    self.middleware.setdefault(r.name, []).append((m.target, path))
            for inc in facts.includes:
                parents, _ = self.L.routers_of(inc.parent, path)
                children, _ = self.L.routers_of(inc.child, path)
                for p in parents:
                    self._note_router(p)
                    for c in children:
                        if c.name == p.name:
                            continue
                        self._note_router(c)
                        e = Edge(c.name, p.name, inc.prefix, inc.dependencies, inc.kind, path)
                        lst = self.incoming.setdefault(c.name, [])
                        if e not in lst:
                            lst.append(e)

    def chains(self, key: str) -> List[List[Edge]]:
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
        if info.ctor is None or info.ctor.k != "call":
            return ""
        p = info.ctor.kwarg("prefix")
        if p is None and info.class_init is not None:
            sup = info.class_init[0].kwarg("prefix")
            if sup is not None and sup.k in ("str", "fmt"):
                return self.L.path_text(sup, info.class_init[1])
        return self.L.path_text(p, info.path, info.env)

    def own_deps(self, info: RouterInfo) -> List[Tuple[V, str, Tuple]]:
        out = []
        if info.ctor is not None and info.ctor.k == "call":
            d = info.ctor.kwarg("dependencies")
            if d is not None:
                out.append((d, info.path, info.env))
        if info.class_init is not None:
            d = info.class_init[0].kwarg("dependencies")
            if d is not None and d.k != "loc":  # a `dependencies` parameter passed through is the ctor's
                out.append((d, info.class_init[1], ()))
        return out

    def chain_for(self, fact: RouteFact, file: str, key: str, edges: List[Edge]) -> Chain:
        info = self.infos[key]
        full = self.own_prefix(info) + self.L.path_text(fact.path, file)
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
                full = self.L.path_text(e.prefix, e.path) + full
                apply = False
            else:
                full = self.own_prefix(parent) + self.L.path_text(e.prefix, e.path) + full
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
        middleware: List[Tuple[V, str, str]] = []
        for r in [info] + [self.infos[e.parent] for e in edges]:
            for target, mpath in self.own_middleware(r):
                middleware.append((target, mpath, f"middleware of {'app' if r.is_app else 'router'} `{r.label}`"))
        return Chain(full_path=full or "/", deps=deps, routers=routers, root=cur.key, root_is_app=cur.is_app,
                     orphan=orphan, gaps=gaps, middleware=middleware)

    def own_middleware(self, info: RouterInfo) -> List[Tuple[V, str]]:
        out = list(self.middleware.get(info.key, []))
        if info.ctor is not None and info.ctor.k == "call":
            # FastAPI(middleware=[Middleware(AuthMiddleware, ...)])
            for item, ipath, _ in self.L.iter_items(info.ctor.kwarg("middleware"), info.path, info.env) \
                    if info.ctor.kwarg("middleware") is not None else []:
                if item.k == "call" and item.args:
                    out.append((item.args[0], ipath))
        return out

    # -- handlers ------------------------------------------------------------------------
    def handler_of(self, fact: RouteFact, file: str) -> Tuple[str, str, Optional[FuncFact]]:
        if fact.handler:
            return self.L.qual(file, fact.handler), file, self.L.func(file, fact.handler)
        for o in self.L.ev(fact.endpoint, file):
            if o.kind == "func":
                return self.L.qual(o.path, o.name), o.path, self.L.func(o.path, o.name)
            if o.kind == "method" and o.path:
                return self.L.qual(o.path, o.name), o.path, self.L.func(o.path, o.name)
        text = fact.endpoint.text() if fact.endpoint is not None else "?"
        return text, file, None

    def class_params(self, fact: RouteFact, file: str) -> List[ParamFact]:
        """Class-level dependencies of a class-based view: a class decorated with a call that
        takes the router its methods are registered on (`@cbv(router)`, a project's own
        `@controller(router)`), or with fastapi-utils/fastapi-restful's `cbv`. Its attributes
        whose value or annotation is a dependency, including inherited ones, apply to every
        route of the class."""
        if not fact.cls:
            return []
        c = self.L.cls(file, fact.cls)
        if c is None:
            return []
        is_cbv = False
        for d in c.decorators:
            target = d.callee if d.k == "call" else d
            if any(o.kind == "ext" and o.name in K.CBV_DECORATORS for o in self.L.ev(target, file)):
                is_cbv = True
            elif d.k == "call" and any(o.kind == "router" for a in d.args for o in self.L.ev(a, file)):
                is_cbv = True
        if not is_cbv:
            return []
        out: Dict[str, ParamFact] = {}
        self._collect_class_attrs(file, fact.cls, out, 0)
        return list(out.values())

    def _collect_class_attrs(self, path: str, qual: str, out: Dict[str, ParamFact], depth: int) -> None:
        c = self.L.cls(path, qual)
        if c is None or depth > 10:
            return
        for name, ann, value in c.attrs:
            if name in out:
                continue
            if (value is not None and value.k == "dep") or (ann is not None and ann.k in ("ann", "ref", "opt")):
                out[name] = ParamFact(name=name, ann=ann, default=value)
        for b in c.bases:
            for bo in self.L.ev(b, path):
                if bo.kind == "class":
                    self._collect_class_attrs(bo.path, bo.name, out, depth + 1)

    def handler_analysis(self, fact: RouteFact, file: str, hfile: str, hfact: Optional[FuncFact]):
        key = (file, fact.handler or (fact.endpoint.text() if fact.endpoint else ""), fact.cls)
        if key in self._handler_memo:
            return self._handler_memo[key]
        applied: List[Applied] = []
        seen: List[Obj] = []
        hints: List[str] = []
        login = False
        enforced = False
        params: List[ParamFact] = []
        if hfact is not None:
            params = list(hfact.params)
            if (hfact.is_method or fact.cls) and params and params[0].name in ("self", "cls"):
                params = params[1:]
        class_params = self.class_params(fact, file)
        for p in params + class_params:
            a, labels = self.L.param_auth(p, hfile)
            if a is not None:
                where = f"class attribute `{p.name}`" if p in class_params else f"parameter `{p.name}`"
                applied.append(Applied(a, where, p.name))
                if a.optional and p.rejects_missing:
                    enforced = True
            else:
                seen.extend(labels)
                inside = [o for o in labels if o.kind in ("func", "class", "inst", "method")]
                if inside and len(inside) == len(labels) and _USERISH.search(p.name):
                    hints.append(f"parameter `{p.name}` is named like a user but "
                                 f"{', '.join('`%s`' % o.label() for o in inside[:2])} reads no credential and "
                                 "depends on no authenticating dependency")
            if self.L.is_login_form_param(p, hfile):
                login = True
        if hfact is not None:
            body = self.L.body_auth(hfact, hfile, params, role="handler")
            if body is not None:
                applied.append(Applied(Auth(self.L.qual(hfile, hfact.name), body), "the handler"))
            else:
                ca = self.L.calls_auth(hfact, hfile)
                if ca is not None:
                    applied.append(Applied(ca, "a call in the handler"))
            for d in hfact.decorators:
                if d.k == "call":
                    for o in self.L.ev(d.callee, hfile):
                        if o.kind == "ext" and o.name in K.STARLETTE_REQUIRES:
                            applied.append(Applied(Auth(o.name, f"@requires({', '.join(a.text() for a in d.args)})"),
                                                   "decorator @requires"))
        res = (applied, seen, hints, login, enforced, params)
        self._handler_memo[key] = res
        return res

    # -- build ---------------------------------------------------------------------------
    def build(self) -> List[LinkedRoute]:
        self.build_graph()
        out: List[LinkedRoute] = []
        for file, facts in sorted(self.L.files.items()):
            if not facts.routes or self.is_test(file):
                continue
            for fact in facts.routes:
                try:
                    out.extend(self.build_route(fact, file, facts))
                except RecursionError:  # pathological nesting: skip this route, keep the run going
                    self.skipped.append((file, fact.line))
        return out

    def build_route(self, fact: RouteFact, file: str, facts: FileFacts) -> List[LinkedRoute]:
        out: List[LinkedRoute] = []
        receivers, other = self.L.routers_of(fact.receiver, file)
        if not receivers:
            if other or not facts.uses_fastapi:
                return out
            label = fact.receiver.text()
            o = Obj("router", file, f"?{file}:{label}", extra="unknown")
            self.infos.setdefault(o.name, RouterInfo(o.name, file, None, False, label))
            receivers = [o]
        for r in receivers:
            self._note_router(r)
        hname, hfile, hfact = self.handler_of(fact, file)
        applied_h, seen_h, hints, login, enforced, params = self.handler_analysis(fact, file, hfile, hfact)
        seen_paths = set()
        for r in receivers:
            for edges in self.chains(r.name):
                chain = self.chain_for(fact, file, r.name, edges)
                applied = list(applied_h)
                if fact.kind == "starlette":  # FastAPI dependencies never run for these
                    applied = [a for a in applied_h if not a.param]
                seen = list(seen_h)
                for target, mpath, where in chain.middleware:
                    a = self.L.middleware_auth(target, mpath)
                    if a is not None:
                        applied.append(Applied(a, where))
                if fact.kind != "starlette":
                    for dv, dpath, where, denv in chain.deps:
                        auths, labels = self.L.deps_auth(dv, dpath, denv)
                        for a in auths:
                            applied.append(Applied(a, where))
                        if not auths:
                            seen.extend(labels)
                for method in fact.methods:
                    if (method, chain.full_path) in seen_paths:
                        continue
                    seen_paths.add((method, chain.full_path))
                    out.append(self.classify(fact, file, method, chain, hname, hfile, hfact, applied,
                                             seen, hints, login, enforced))
        return out

    def classify(self, fact, file, method, chain, hname, hfile, hfact, applied, seen, hints, login, enforced) -> LinkedRoute:
        public = None
        if fact.public is not None:
            public = fact.public or "marked `# fastauthlint: public`"
        else:
            matched = public_match(self.patterns, method, chain.full_path)
            if matched is not None:
                public = f"public-routes: {matched}"
            elif login:
                public = "login form (OAuth2PasswordRequestForm)"
        required = [a for a in applied if not a.auth.optional]
        optional = [a for a in applied if a.auth.optional]
        unchecked = False
        if optional and not required and hfact is not None:
            names = {a.param for a in optional if a.param}
            unchecked = any(p.name in names and p.deref_line and not p.checked for p in hfact.params)
        if required or (optional and enforced):
            status = "protected"
        elif optional:
            # Dereferencing the optional user is FAL102's finding; the route then fails for
            # anonymous requests rather than serving them.
            status = "optional-unchecked" if unchecked else "optional"
        else:
            status = "unprotected"
        if public is not None and status != "protected":
            status = "public"
        return LinkedRoute(fact=fact, file=file, method=method, path=chain.full_path, handler=hname,
                           handler_file=hfile, handler_fact=hfact, applied=applied, public=public, status=status,
                           chain=chain, seen=list(dict.fromkeys(seen)), hints=hints, enforced_in_handler=enforced,
                           optional_unchecked=unchecked)


def _promises_a_value(f: FuncFact, optional_params) -> bool:
    """The function's return annotation is a concrete type (not Optional, not `X | None`, not
    Any), it never returns None, and it does not hand back one of its optional credentials as is:
    whatever it returns was obtained some other way, so it rejects the request itself."""
    ann = f.returns_ann
    if ann is None or f.returns_none or ann.k not in ("ref", "loc", "attr", "def"):
        return False
    if ann.q in ("typing.Any", "object", "Any", "typing.Optional", "None"):
        return False
    for r in f.returns:
        if r.k == "loc" and r.q in optional_params:
            return False
    return bool(f.returns)
