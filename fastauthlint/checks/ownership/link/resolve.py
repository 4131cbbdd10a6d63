"""Name and call resolution for the ownership link: which project function a recorded call or a
FastAPI dependency enters, with the class and model its `self` stands for.

Names are resolved by the project model (`Project.resolve`: imports, re-exports, star imports);
this module adds only what the ownership facts know beyond names: methods found along a class's
project ancestors, module-level helper objects (`item = CRUDItem(Item)`) and the model they work
on, attributes typed by a class (`self.repo: ItemRepository`), `Annotated[..., Depends(...)]`
aliases, and which dependencies provide the current user.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

from fastauthlint.checks.ownership.facts import FuncSummary, InstanceFact, Origin, ParamFact
from fastauthlint.checks.ownership.link.binding import Binding
from fastauthlint.checks.ownership.link.index import OwnershipIndex
from fastauthlint.checks.ownership.link.words import USER_PROVIDER_NAME
from fastauthlint.checks.ownership.summary.known import MODEL_ATTRS


class CallResolver:
    def __init__(self, project, index: OwnershipIndex):
        self.project = project
        self.index = index
        self.funcs = index.funcs
        self.instances = index.instances
        self.aliases = index.aliases
        self.alias_types = index.alias_types
        self.models = index.models
        # qualified names of the dependencies that provide the current user (from the route table)
        self.user_providers: Set[str] = set()
        # (name, near) -> answer: the walk asks the same few names thousands of times
        self._resolve_cache: Dict[Tuple[str, str], Optional[str]] = {}
        self._dep_params_memo: Dict[str, Set[str]] = {}
        self._subclasses: Optional[Dict[str, List[str]]] = None

    def resolve_name(self, qualname: str, near: str) -> Optional[str]:
        """The qualified name of the definition a dotted name refers to, as "<module>.<name>[.<attrs>]":
        the name itself when the facts define it, else what the project model resolves it to."""
        key = (qualname, near)
        if key in self._resolve_cache:
            return self._resolve_cache[key]
        out = None
        if qualname in self.funcs or qualname in self.models.classes or qualname in self.instances:
            out = qualname
        else:
            sym = self.project.resolve(qualname, near=near)
            if sym is not None:
                out = sym.qualname
        self._resolve_cache[key] = out
        return out

    def function(self, qualname: str) -> Optional[Tuple[str, FuncSummary]]:
        return self.funcs.get(qualname)

    def method(self, cls_qual: str, name: str) -> Optional[Tuple[str, FuncSummary]]:
        for _, c in self.models.chain(cls_qual):
            hit = self.funcs.get(f"{c.qualname}.{name}")
            if hit is not None:
                return hit
        return None

    def concrete(self, cls_qual: str, name: str) -> Tuple[Optional[Tuple[str, FuncSummary]], str]:
        """The method a call on an object typed as `cls_qual` runs, and its class: when the class
        only declares it (an interface, `IOrderRepo(ABC)` whose method does nothing), the
        project's implementation of it in a subclass (`OrderMongodbRepo(IOrderRepo)`, handed in
        by a dependency), the first one that does something."""
        m = self.method(cls_qual, name)
        if m is not None and (m[1].sites or m[1].calls or m[1].returns or m[1].checks):
            return m, cls_qual
        for sub in self.subclasses(cls_qual):
            hit = self.funcs.get(f"{sub}.{name}")
            if hit is not None and (hit[1].sites or hit[1].calls):
                return hit, sub
        return m, cls_qual

    def subclasses(self, cls_qual: str) -> List[str]:
        """The project's classes deriving from `cls_qual`, in name order (memoised once)."""
        if self._subclasses is None:
            self._subclasses = {}
            for q in sorted(self.models.classes):
                for _, c in self.models.chain(q)[1:]:
                    self._subclasses.setdefault(c.qualname, []).append(q)
        return self._subclasses.get(cls_qual, [])

    def instance_model(self, path: str, inst: InstanceFact, cls_qual: str) -> str:
        """`CRUDItem(Item)` / `CRUDBase[Item, ...](Item)` / `Repo(model=Item)`: the model the
        helper object works on."""
        for ref in list(inst.args) + [v for k, v in inst.kwargs if k in ("model", "model_class", "entity")]:
            if ref:
                m = self.models.model(ref, near=path)
                if m is not None:
                    return m.qualname
        return self.class_model(cls_qual)

    def class_model(self, cls_qual: str) -> str:
        """`class CRUDItem(CRUDBase[Item, ...])` or `model = Item` in the class body."""
        for path, c in self.models.chain(cls_qual):
            for attr in sorted(MODEL_ATTRS):
                if attr in c.class_refs:
                    m = self.models.model(c.class_refs[attr], near=path)
                    if m is not None:
                        return m.qualname
            for args in c.base_args:
                for ref in args:
                    m = self.models.model(ref, near=path)
                    if m is not None:
                        return m.qualname
        return ""

    def resolve_call(self, path: str, fs: FuncSummary, b: Binding, callee: Origin
                     ) -> Optional[Tuple[str, FuncSummary, str, str, bool]]:
        """(path, summary, self class, self model, is bound method) of the project function a
        call enters, or None."""
        if callee.kind == "global":
            target = self.resolve_name(callee.name, path)
            if target is None:
                return None
            hit = self.function(target)
            if hit is not None:
                p, t = hit
                parent = target.rsplit(".", 1)[0]
                if parent in self.models.classes:  # Class.method(...) on the class itself
                    return p, t, parent, self.class_model(parent), self._takes_self(t)
                return p, t, "", "", False
            parent, _, meth = target.rpartition(".")
            if parent in self.instances:
                ipath, inst = self.instances[parent]
                cls = self.models.find_class(inst.cls, near=ipath)
                if cls is None:
                    return None
                m = self.method(cls[1].qualname, meth)
                if m is None:
                    return None
                return m[0], m[1], cls[1].qualname, self.instance_model(ipath, inst, cls[1].qualname), True
            if parent in self.models.classes:
                m = self.method(parent, meth)
                if m is not None:
                    return m[0], m[1], parent, self.class_model(parent), self._takes_self(m[1])
            return None
        if callee.kind == "param" and callee.attrs:
            meth = callee.attrs[-1]
            if callee.name == fs.self_name and fs.self_name and len(callee.attrs) == 1 and b.self_cls:
                m = self.method(b.self_cls, meth)
                if m is not None:
                    return m[0], m[1], b.self_cls, b.self_model, True
                return None
            if callee.name == fs.self_name and fs.self_name and len(callee.attrs) == 2 and b.self_cls:
                # self._repository.get(...): the attribute's class
                for cpath, c in self.models.chain(b.self_cls):
                    ref = c.attr_types.get(callee.attrs[0])
                    if not ref:
                        continue
                    cls = self.models.find_class(ref, near=cpath)
                    if cls is not None and not self.models.is_table_model(cls[1].qualname):
                        m, impl = self.concrete(cls[1].qualname, meth)
                        if m is not None:
                            return m[0], m[1], impl, self.class_model(impl), True
                    break
                return None
            if len(callee.attrs) > 2:
                return None
            param = next((p for p in fs.params if p.name == callee.name), None)
            if param is None:
                return None
            refs = [(param.depends_call.name if param.depends_call else "", path),
                    (param.depends.name if param.depends else "", path), (param.annotation, path)]
            for cand in (param.alias, param.default_ref):
                target = self.resolve_name(cand, path) if cand else None
                if target in self.aliases:
                    refs.append((self.aliases[target][1], self.aliases[target][0]))
                if target in self.alias_types:
                    refs.append((self.alias_types[target][1], self.alias_types[target][0]))
            for ref, near in refs:
                if not ref:
                    continue
                cls = self.models.find_class(ref, near=near)
                if cls is not None and len(callee.attrs) == 2:
                    # `uow.invoices.get(...)`: a repository the unit of work holds
                    cls = self._held_class(cls[1].qualname, callee.attrs[0])
                if cls is not None and not self.models.is_table_model(cls[1].qualname):
                    m, impl = self.concrete(cls[1].qualname, meth)
                    if m is not None:
                        return m[0], m[1], impl, self.class_model(impl), True
            return None
        if callee.kind == "call" and len(callee.attrs) == 1:
            inner = fs.calls[int(callee.name)]
            if inner.callee.kind == "global":
                target = self.resolve_name(inner.callee.name, path)
                if target and target in self.models.classes and not self.models.is_table_model(target):
                    m = self.method(target, callee.attrs[0])
                    if m is not None:
                        model = ""
                        for o in inner.args:
                            if o.kind == "global":
                                mm = self.models.model(o.name, near=path)
                                if mm is not None:
                                    model = mm.qualname
                                    break
                        return m[0], m[1], target, model or self.class_model(target), True
        return None

    def _held_class(self, qualname: str, attr: str):
        """The class of an object another one holds in an attribute (`self.invoices =
        InvoiceRepository(self.session)` in `__init__` or `__aenter__`)."""
        for cpath, c in self.models.chain(qualname):
            ref = c.attr_types.get(attr)
            if ref:
                return self.models.find_class(ref, near=cpath)
        return None

    @staticmethod
    def _takes_self(t: FuncSummary) -> bool:
        return bool(t.params) and t.params[0].name in ("self", "cls") and t.params[0].index == 0

    def dependency_ref(self, path: str, param: ParamFact) -> str:
        """The dependency a parameter is given by: `Depends(x)` / `Security(x)`, or the
        dependency of the alias it is annotated with or defaults to; "" when none."""
        if param.depends is not None:
            return param.depends.name
        for cand in (param.alias, param.default_ref):
            if not cand:
                continue
            target = self.resolve_name(cand, path)
            if target in self.aliases:
                apath, dep = self.aliases[target]
                return self.resolve_name(dep, apath) or dep
        return ""

    def dependency_target(self, path: str, param: ParamFact) -> Optional[Tuple[str, FuncSummary, str, str]]:
        """(path, summary, class, model) of the project function (or class `__init__`) FastAPI
        calls for a dependency parameter; None for the current user's providers."""
        ref = self.dependency_ref(path, param)
        if not ref:
            return None
        target = self.resolve_name(ref, path) or ref
        if target in self.user_providers:
            return None
        hit = self.function(target)
        if hit is not None:
            return hit[0], hit[1], "", ""
        if target in self.models.classes and not self.models.is_table_model(target):
            init = self.method(target, "__init__")
            if init is not None:
                return init[0], init[1], target, self.class_model(target)
        return None

    def is_user_dependency(self, path: str, param: ParamFact) -> bool:
        refs = []
        if param.depends is not None:
            refs.append(param.depends.name)
        for cand in (param.alias, param.default_ref):
            if cand:
                target = self.resolve_name(cand, path)
                if target in self.aliases:
                    apath, dep = self.aliases[target]
                    refs.append(self.resolve_name(dep, apath) or dep)
        for r in refs:
            t = self.resolve_name(r, path) or r
            if t in self.user_providers or USER_PROVIDER_NAME.search(t.split(".")[-1]):
                return True
        return False

    def scope_dependency(self, path: str, param: ParamFact) -> bool:
        """A data-scope dependency: what FastAPI calls for the parameter reads the current user and
        returns a SQL condition built for them (`Depends(DataScope(Model))` whose `__call__` returns
        `or_(Model.dept_id == user.dept_id, Model.user_id == user.id)`, or a factory building such a
        `Depends`). Added to a query, it restricts the rows to the caller's department, tenant or
        own ones. A predicate built from request data (a client's filter) reads no user."""
        cands: List[str] = []
        ref = self.dependency_ref(path, param)
        if ref:
            cands.append(self.resolve_name(ref, path) or ref)
        if param.factory is not None:
            fq = self.resolve_name(param.factory.name, path) or param.factory.name
            f = self.function(fq)
            if f is not None:
                cands += self.funcs.nested(fq)  # the closure it wraps in Depends(...)
                for call in f[1].calls:  # `Depends(Scope(model))`: the class it instantiates
                    if call.callee.kind == "global":
                        cands.append(self.resolve_name(call.callee.name, f[0]) or call.callee.name)
        for c in cands:
            hit = self.function(c)
            if hit is None and c in self.models.classes and not self.models.is_table_model(c):
                hit = self.method(c, "__call__")
            if hit is None or not hit[1].predicate:
                continue
            dpath, d = hit
            if any(self.is_user_dependency(dpath, p) for p in d.params):
                return True
            for call in d.calls:  # `RequestContext.get_current_user()`
                name = call.callee.name if call.callee.kind == "global" else ".".join(call.callee.attrs)
                t = self.resolve_name(name, dpath) or name if call.callee.kind == "global" else name
                if t in self.user_providers or USER_PROVIDER_NAME.search(t.split(".")[-1]):
                    return True
        return False

    def dependency_params(self, qualname: str) -> Set[str]:
        """A dependency's parameter names; for a closure made by a dependency factory, those of
        every closure of that factory (which one it returns depends on its arguments)."""
        cached = self._dep_params_memo.get(qualname)
        if cached is not None:
            return cached
        own = qualname.replace(".<locals>", "")  # the route table names closures as Python does
        quals = [own]
        parent = own.rpartition(".")[0]
        if parent and parent in self.funcs:
            quals += self.funcs.nested(parent)
        out: Set[str] = set()
        for q in quals:
            hit = self.function(q)
            if hit is not None:
                out |= {p.name for p in hit[1].params}
        self._dep_params_memo[qualname] = out
        return out

    def handler(self, r) -> Optional[Tuple[str, FuncSummary]]:
        hit = self.funcs.get(r.handler)
        if hit is not None:
            return hit
        names = self.project.names(r.handler_file)
        if names is not None:
            facts = self.index.facts.get(r.handler_file)
            if facts is not None:
                local = r.handler[len(names.module) + 1:] if names.module and r.handler.startswith(names.module + ".") \
                    else r.handler.split(".")[-1]
                for i, qualname in facts.qualnames():
                    if qualname.endswith("." + local) or qualname == local:
                        return r.handler_file, self.funcs.summary(r.handler_file, facts, i)
        return None
