"""What a value of the facts is, across modules: an evaluator of `V` (values.py) into objects.

`Evaluator.ev(v, path)` turns a symbolic value written in file `path` into the objects (`Obj`) it
may denote: a project function or class, an instance of one, a router (identified by the name it
is bound to where it is constructed), a library name or instance, a Depends marker, an Annotated
alias, a string, a list. Names are followed through imports (Project.resolve), module and local
bindings, parameters (to what callers pass, else their annotated type), attributes, calls of
project functions (what they return, with literal arguments bound) and of well-known library
factories. Memoised and cycle-safe; everything comes from the per-file facts, nothing is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from fastauthlint.project import known as K
from fastauthlint.project.call_sites import Bound, SiteQuestions
from fastauthlint.project.classes import ClassQuestions
from fastauthlint.project.facts import STATE_PREFIX, ClassFact, FileFacts, FuncFact, ParamFact
from fastauthlint.project.store import FACTS_KEY, LazyFileFacts
from fastauthlint.project.values import V, short_name

# Top-level names taken as the library's without looking into the project
_LIBRARY_TOPS = frozenset({"fastapi", "starlette", "typing", "typing_extensions", "pydantic"})
MAX_ALTERNATIVES = 8  # objects a value may denote, kept per evaluation
# ... unless they are all routers: `for router in routers: app.include_router(router)` over a list
# of seventeen routers includes every one of them, not the first eight
MAX_ROUTERS = 64
MAX_EVAL_DEPTH = 40  # evaluations in progress at once


@dataclass(frozen=True)
class Obj:
    """An object a value may denote.

    kind     meaning                                  fields
    func     a project function                       path, name (its qualname in the file)
    class    a project class                          path, name
    inst     an instance of a project class           path, name; v, env (the call building it),
                                                      extra (its file, or "self", "param")
    router   an app or a router                       path, name (its key), v, env (the constructor
                                                      call), extra "app"|"router"|"unknown", base
                                                      (the project class of a subclass)
    ext      a name outside the project               name
    extinst  a library object (instance, result)      name; v, env; extra (the file)
    method   a method of an instance                  base (the instance), extra (the method);
                                                      path, name (the function, in the project)
    authdep  a library factory's result that          path, name (how, for people), v (the call),
             authenticates                            extra "<optional><admin>" as 0/1
    dep      a Depends()/Security() marker            path, v, env
    alias    an Annotated[...] value                  path, v, env
    str      a string                                 name
    lit      a literal                                lit
    list     a list/tuple/set display                 path, v, env
    dict     a dict display                           path, v, env
    param    a parameter nothing binds                path, name (the function), extra (the
                                                      parameter), v (its annotation)
    unk      anything else                            extra (text for messages)
    """

    kind: str
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


class FactIndex:
    """Every file's facts (unpacked as they are looked at) and where a name's facts are."""

    def __init__(self, project):
        self.project = project
        self.files: Dict[str, FileFacts] = {path: LazyFileFacts(packed) for path, packed in project.facts(FACTS_KEY)}
        self._resolve_memo: Dict[Tuple[str, str], Any] = {}

    def module_of(self, path: str) -> str:
        f = self.files.get(path)
        if f is not None:
            return f.module
        names = self.project.names(path)
        return names.module if names else ""

    def qual(self, path: str, name: str) -> str:
        """The qualified name of `name` defined in file `path`."""
        mod = self.module_of(path)
        return f"{mod}.{name}" if mod else name

    def resolve(self, q: str, near: str):
        """Project.resolve, memoised: the symbol defining a qualified name written in file `near`."""
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


class Evaluator(FactIndex, SiteQuestions):
    """What values denote, over every file's facts (one per run: its memos are shared by every
    question asked of it)."""

    def __init__(self, project):
        super().__init__(project)
        self.classes = ClassQuestions(self)  # they evaluate the classes' bases with this evaluator
        self._ev_memo: Dict[Any, List[Obj]] = {}
        self._ev_stack: set = set()
        self._param_bindings: Optional[Dict[Tuple[str, str, str], List[Tuple[V, str]]]] = None
        self._state: Optional[Dict[str, List[Tuple[V, str]]]] = None

    # -- evaluation --------------------------------------------------------------------------
    def ev(self, v: Optional[V], path: str, env: Tuple = ()) -> List[Obj]:
        """The objects `v`, written in file `path`, may denote (at most MAX_ALTERNATIVES; "unk" when
        nothing is known, none for no value); `env` binds a called function's parameters to the
        literals its caller passed. A value met again while it is evaluated is "unk" there."""
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
        if len(uniq) > MAX_ALTERNATIVES and not all(o.kind == "router" for o in uniq[:MAX_ROUTERS]):
            uniq = uniq[:MAX_ALTERNATIVES]
        uniq = uniq[:MAX_ROUTERS] or [Obj("unk", extra=v.text())]
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
                # a factory's closure keeps the literals its factory was called with
                # (`require_role("admin")`): they may decide what it admits
                return [Obj("func", path, v.q, env=env)]
            if self.cls(path, v.q) is not None:
                return [Obj("class", path, v.q)]
            return [Obj("unk", extra=v.q)]
        if k == "attr":
            if v.a[0].k == "attr" and v.a[0].q == "state":
                held = self.state_value(v.q)
                if held:
                    return held
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
        if k in ("list", "dict"):
            return [Obj(k, path, v=v, env=env)]
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
        if v.k == "fmt":
            # `route_dependencies + config.dependencies`: the lists added together
            for part in v.a:
                if part.k != "str":
                    out.extend(self.iter_items(part, path, env))
            return out
        for o in self.ev(v, path, env):
            if o.kind == "list" and o.v is not None:
                for item in o.v.a:
                    if item.k == "iter":
                        out.extend(self.iter_items(item.a[0], o.path, o.env))
                    else:
                        out.append((item, o.path, o.env))
        return out

    def ev_ref(self, q: str, near: str) -> List[Obj]:
        """A qualified name: a library name, or what the project module defining it binds (then
        the attributes after it)."""
        if self.is_known_external(q):
            return [Obj("ext", name=q)]
        sym = self.resolve(q, near)
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
        """Names taken as the library's without looking into the project (unless the project has
        a package of that name itself)."""
        top = q.split(".")[0]
        if top in _LIBRARY_TOPS and not self._project_has(top) and not self._in_shadowing_dir(q):
            return True
        return (q in K.ROUTER_CLASSES or q in K.DEPENDS or q in K.SECURITY or K.is_scheme_class(q)
                or q in K.LOGIN_FORMS or q in K.REQUEST_TYPES or q in K.FACTORY_OWNERS
                or K.is_auth_library_class(q) or q in K.CBV_DECORATORS)

    def _project_has(self, top: str) -> bool:
        return self.project.module_path(top) is not None

    def _in_shadowing_dir(self, q: str) -> bool:
        """`fastapi.app.shared.oauth2.get_user`: a module of the project under a directory named
        like a library (a monorepo's `fastapi/` backend folder, no `__init__.py`), not the library."""
        mods = self.__dict__.get("_shadowing")
        if mods is None:
            mods = self.__dict__["_shadowing"] = {
                f.module for f in self.files.values() if f.module.split(".")[0] in _LIBRARY_TOPS}
        parts = q.split(".")
        return any(".".join(parts[:i]) in mods for i in range(2, len(parts) + 1))

    def ev_binding(self, path: str, scope: str, name: str, value: V, env: Tuple) -> List[Obj]:
        """A name bound to `value` at module level (scope "") or in function `scope`: routers
        constructed here take their identity from this binding."""
        objs = self.ev(value, path, env)
        out = []
        for o in objs:
            if o.kind == "router" and (o.name.startswith("anon:") or (
                    value.k == "call" and self._built_per_call(o))):
                # `router = create_router("/x", public=True)`: a factory that only constructs its
                # router makes a new one at every call, with that call's arguments (o.env)
                key = self.qual(path, f"{scope}.<locals>.{name}" if scope else name)
                o = Obj("router", o.path, key, v=o.v, env=o.env, extra=o.extra, base=o.base)
            out.append(o)
        return out

    def ev_local(self, path: str, scope: str, name: str, env: Tuple) -> List[Obj]:
        """A name local to function `scope`: a literal its caller bound, a local value, `self`, a
        parameter (what callers pass, its default literal, or its annotated type)."""
        for k, val in env:
            if k == name:
                if isinstance(val, Bound):  # what one call site passes (`call_sites`)
                    return self.ev(val.v, val.path)
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
                    is_router, is_app, _, _ = self.classes.kind(o.path, o.name)
                    if is_router:
                        out.append(Obj("router", path, self.qual(path, f"{scope}.<param>.{p.name}"),
                                       extra="app" if is_app else "router"))
                    else:
                        out.append(Obj("inst", o.path, o.name, extra="param"))
        return out or [Obj("param", path, scope, extra=p.name, v=p.ann)]

    def state_value(self, attr: str) -> List[Obj]:
        """What the project stores on an app's state under `attr` (`app.state.auth = self` in the
        `__init__` of the object that installs itself): `request.app.state.auth` reads it back."""
        if self._state is None:
            self._state = {}
            for path, facts in self.files.items():
                for name, val in facts.assigns.items():
                    if name.startswith(STATE_PREFIX):
                        self._state.setdefault(name[len(STATE_PREFIX):], []).append((val, path))
        out: List[Obj] = []
        for val, path in self._state.get(attr, ())[:MAX_ALTERNATIVES]:
            out.extend(self.ev(val, path))
        return out

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
                        # an argument the call fact could not read (`APIRouter(prefix=...)`) binds
                        # nothing: the parameter keeps its annotated type
                        for i, a in enumerate(c.args):
                            if i < len(names) and a.k != "unk":
                                self._param_bindings.setdefault((o.path, o.name, names[i]), []).append((a, path))
                        for kname, a in c.kw:
                            if kname in names and a.k != "unk":
                                self._param_bindings.setdefault((o.path, o.name, kname), []).append((a, path))
        return self._param_bindings

    def getattr_obj(self, o: Obj, attr: str) -> List[Obj]:
        """`o.attr`: a member of a project class (through its bases), an attribute or method of a
        library object, an app's URL settings."""
        if o.kind == "router":
            if attr == "router":
                return [o]
            if o.extra == "app" and attr in K.APP_URL_DEFAULTS:
                # app.docs_url, app.openapi_url...: the constructor's value, else FastAPI's default
                given = o.v.kwarg(attr) if o.v is not None and o.v.k == "call" else None
                return self.ev(given, o.path, o.env) if given is not None else [Obj("str", name=K.APP_URL_DEFAULTS[attr])]
            return [Obj("unk", extra=f"{o.label()}.{attr}")]
        if o.kind in ("inst", "class"):
            if o.path in self.files and f"{o.name}.{attr}" in self.files[o.path].classes:
                return [Obj("class", o.path, f"{o.name}.{attr}")]  # a nested class (`Outer.Inner(...)`)
            found = self.classes.member(o.path, o.name, attr)
            if (o.kind == "inst" and o.v is not None and o.v.k == "call" and o.extra not in ("self", "param")
                    and (found is None or found[0] != "method")):
                # `Policy(public=True).public`: what the constructor was given, not the default
                given = o.v.kwarg(attr)
                if given is None and found is not None and found[2].k == "loc" and found[2].s.endswith(".__init__"):
                    # `self.attr = param` in `__init__`: what this construction passes for param
                    given = self._init_arg(found[1], found[2].s, found[2].q, o.v)
                if given is not None:
                    return self.ev(given, o.extra, o.env)
            if found is not None:
                kind, fpath, value = found
                if kind == "method":
                    if o.kind == "inst":
                        return [Obj("method", fpath, value, base=o, extra=attr)]
                    return [Obj("func", fpath, value)]
                return self.ev_binding(fpath, "", f"{o.name}.{attr}", value, ())
            declared = self.classes.annotated(o.path, o.name, attr) if o.kind == "inst" else None
            if declared is not None:
                # `auth: AuthGate` declared on a dataclass: an instance of the declared class
                typed = [x for x in self.ev_param_type(declared[0], "", ParamFact(attr, declared[1], None))
                         if x.kind in ("inst", "extinst", "router")]
                if typed:
                    return typed
            if o.kind == "inst":
                # a method inherited from a library class: `class Users(FastAPIUsers[User, UUID])`
                # (a project subclass adding a router) keeps `current_user()` of its base
                for ext in self.classes.external_bases(o.path, o.name):
                    if (ext, attr) in K.LIBRARY_ATTRS:
                        return [Obj("extinst", name=K.LIBRARY_ATTRS[(ext, attr)], extra=o.path)]
                    if factory_for(ext, attr) is not None:
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

    def call_obj(self, o: Obj, call: V, path: str, env: Tuple) -> List[Obj]:
        """What calling `o` gives: a project function's results, an instance or a router of a
        class, a library factory's result, a library object."""
        if o.kind == "func":
            return self.call_func(o.path, o.name, call, path, env)
        if o.kind == "class":
            is_router, is_app, _, _ = self.classes.kind(o.path, o.name)
            if is_router:
                return [Obj("router", path, f"anon:{path}:{call.text()[:80]}", v=call, env=env,
                            extra="app" if is_app else "router", base=o)]
            return [Obj("inst", o.path, o.name, v=call, env=env, extra=path)]
        if o.kind == "ext":
            q = o.name
            if q in K.ROUTER_CLASSES:
                return [Obj("router", path, f"anon:{path}:{call.text()[:80]}", v=call, env=env,
                            extra="app" if q in K.APP_CLASSES else "router")]
            fac = factory_for_q(q)
            if fac is not None:
                return [factory_obj(fac, call, path, env)]
            return [Obj("extinst", name=q, v=call, env=env, extra=path)]
        if o.kind == "method":
            base = o.base
            if base is not None and base.kind == "extinst":
                fac = factory_for(base.name, o.extra)
                if fac is not None:
                    return [factory_obj(fac, call, path, env)]
                return [Obj("extinst", name=f"{base.name}.{o.extra}()", v=call, env=env, extra=path)]
            if base is not None and base.kind == "inst":
                return self.call_func(o.path, o.name, call, path, env, bound=True)
        if o.kind == "inst":
            return _call_instance(self, o, call, path, env)
        return [Obj("unk", extra=call.text()[:80])]

    def call_func(self, fpath: str, qual: str, call: V, cpath: str, env: Tuple, bound: bool = False,
                  admin: bool = False) -> List[Obj]:
        """What a project function returns, with literal arguments of the call bound to its
        parameters (so `authorizer(required=False)` picks the optional branch); `admin`: the
        instance it is a method of was built for administrators."""
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
                lit = literal(a, env)
                if lit is not _NOLIT:
                    new_env[params[i].name] = lit
        for kname, a in call.kw:
            lit = literal(a, env)
            if lit is not _NOLIT:
                new_env[kname] = lit
        if admin or any(admin_arg(a) for a in list(call.args) + [a for _, a in call.kw]):
            new_env[ADMIN_ARG] = True  # `require_role("admin")`: what its closure admits (no identifier)
        fenv = tuple(sorted(new_env.items(), key=lambda kv: kv[0]))
        out = []
        for r in f.returns:
            if any(cv == r and pname in new_env and bool(new_env[pname]) != truthy
                   for cv, pname, truthy in f.cond_returns):
                continue  # `if public: return ...` with this call's `public=False`
            out.extend(self.ev(r, fpath, fenv))
        if all(o.kind in ("unk", "param") for o in out) and f.returns_ann is not None:
            # `def get_settings() -> Settings: return environments[env]()`: trust the annotation
            typed = [o for o in self.ev_param_type(fpath, qual, ParamFact("<return>", f.returns_ann, None))
                     if o.kind in ("inst", "extinst")]
            if typed:
                return typed
        return out or [Obj("unk", extra=f"{short_name(qual)}()")]

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
            sym = self.resolve(v.q, path)
            text = ".".join((sym.name, *sym.attrs)) if sym is not None else ".".join(v.q.split(".")[-2:])
        return "{" + text + "}"



def _call_instance(E: "Evaluator", o: Obj, call: V, path: str, env: Tuple) -> List[Obj]:
    """`Policy(perms)()`: calling an instance runs its `__call__` now, and what that returns (an
    inner function, typically) is what a Depends() around the call hands FastAPI."""
    member = E.classes.member(o.path, o.name, "__call__")
    if member is None or member[0] != "method":
        return [Obj("unk", extra=f"{o.label()}()")]
    made_admin = ADMIN_ARG in dict(o.env) or (o.v is not None and o.v.k == "call" and any(
        admin_arg(a) for a in list(o.v.args) + [a for _, a in o.v.kw]))
    return E.call_func(member[1], member[2], call, path, env, bound=True, admin=made_admin)


class _NoLit:
    pass


_NOLIT = _NoLit()


# The key of a call's environment saying it was given an administrator's role or scope.
ADMIN_ARG = "<admin>"


def admin_arg(a: V) -> bool:
    """An argument naming an administrator role: `"admin"`, or a constant or enum member named
    so (`UserRole.ADMIN`, `Roles.SUPERUSER`)."""
    if a.k == "str":
        return a.q == "?admin"
    if a.k == "list":  # `require_permissions(["admin:access"])`: every role or permission listed is an admin's
        return bool(a.a) and all(admin_arg(x) for x in a.a)
    return a.k in ("ref", "attr") and bool(K.ADMIN_WORDS.search(a.q.split(".")[-1]))


def literal(v: V, env: Tuple) -> Any:
    """The literal a value is (a number, bool, None, a path string), also through the literal
    arguments a call bound (`env`); _NOLIT when it is none."""
    if v.k == "lit":
        return v.lit
    if v.k == "str" and not v.q.startswith("?"):
        return v.q
    if v.k == "loc":
        for k, val in env:
            if k == v.q:
                return val if not isinstance(val, Bound) else _NOLIT
    return _NOLIT


# -- library factories -------------------------------------------------------------------------

def factory_for(owner: str, attr: str) -> Optional[K.Factory]:
    """The authentication factory `attr` of a library class or module (`FastAPIUsers.current_user`)."""
    return K.FACTORIES.get((owner, attr))


def factory_for_q(q: str) -> Optional[K.Factory]:
    owner, _, attr = q.rpartition(".")
    return K.FACTORIES.get((owner, attr))


def factory_obj(fac: K.Factory, call: Optional[V], path: str, env: Tuple) -> Obj:
    """What a factory's call returns: an authenticating dependency, optional or admin-only as its
    literal arguments say (`current_user(optional=True)`, `current_user(superuser=True)`)."""
    optional = fac.optional
    admin = False
    if call is not None:
        for kname, want in fac.optional_kw:
            a = call.kwarg(kname)
            if a is not None and literal(a, env) == want:
                optional = True
        for kname in fac.admin_kw:
            a = call.kwarg(kname)
            if a is not None:
                lit = literal(a, env)
                if lit is True or (a.k == "list" and any(x.q == "?admin" for x in a.a)):
                    admin = True
    return Obj("authdep", path, fac.text, v=call, extra=f"{int(optional)}{int(admin)}")
