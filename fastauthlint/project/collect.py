"""The project model's per-file collector: one libcst visitor, run by the analysis for every file
in the single batched traversal, that records what the file says about the FastAPI application
(facts.py): its functions and classes, module-level assignments, routes, inclusions, mounts,
middleware and calls into project functions. The linking phase (evaluate.py and what builds on
it) answers questions about them across files.

The collector is made of four parts, each in its own module: reading expressions as values in
their scope (collect_values.py), how a function's code flows (collect_flow.py), the evidence a
function shows (collect_evidence.py), and the application's wiring (collect_routes.py). This module keeps the frames of functions and classes,
the bindings, and what is handed over: only what the evaluator can use (see `_prune_locals`).
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Optional, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.context import FileContext
from fastauthlint.project import collect_flow as flow
from fastauthlint.project.collect_evidence import EvidenceRecorder
from fastauthlint.project.collect_purpose import PurposeRecorder
from fastauthlint.project.collect_routes import RouteRecorder
from fastauthlint.project.collect_values import Frame
from fastauthlint.project.facts import STATE_PREFIX, ClassFact, FileFacts, FuncFact, ParamFact
from fastauthlint.project.values import UNK, V


class FactsCollector(EvidenceRecorder, RouteRecorder, PurposeRecorder):
    """One file's facts: `facts()` once the traversal is over."""

    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        names = ctx.names
        self.out = FileFacts(
            module=ctx.module_name,
            uses_fastapi=any(v == "fastapi" or v.startswith("fastapi.") for v in names.imports.values())
            or any(s.startswith("fastapi") for s in names.star_imports),
        )
        # where the first dereference of a parameter is, and each function's name: positioned
        # only when the file declares routes (see facts())
        self._deref_nodes: Dict[Tuple[str, str], cst.CSTNode] = {}
        self._func_nodes: Dict[str, cst.CSTNode] = {}

    # -- functions -------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qual = self._qual_for(self.ctx.def_key(node))  # `name@1` when a later `def name` shadows it
        top = self._top()
        frame = Frame("func", qual, node)
        # the declaration is read in the enclosing scope: the frame is not entered yet
        frame.param_facts = [self._param_fact(frame, p) for p in astutil.parameters(node)]
        frame.derived = {p.name for p in frame.param_facts}
        frame.path_names = {p.name for p in frame.param_facts if p.name in flow.PATH_PARAMS}
        frame.returns_ann = self.val(node.returns.annotation) if node.returns is not None else None
        frame.decorator_vals = tuple(self.val(dec.decorator) for dec in node.decorators)
        frame.is_method = top is not None and top.kind == "class"
        # routes declared by decorators
        for dec in node.decorators:
            self._route_decorator(dec, node, qual, top)
        if top is not None:
            if top.kind == "func":
                top.locals[node.name.value] = V("def", q=qual)
            else:
                top.methods.append(node.name.value)
        self.stack.append(frame)
        self._pp_enter(frame, node)
        self._func_nodes[qual] = node

    def _lead(self, node: cst.FunctionDef) -> tuple:
        """The calls of the function's leading statements, as values (see FuncFact.lead)."""
        stmts: list = []
        body = node.body
        # nothing to hand on: a function with no parameters that is not a closure
        if not node.params.params and not node.params.kwonly_params and not self.stack[:-1]:
            return ()
        if isinstance(body, cst.IndentedBlock):
            flow.lead_statements(body.body, stmts)
        return tuple(tuple(_slim(self.val(c)) for c in calls[:6]) for calls in stmts)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        lead = self._lead(original_node)
        frame = self.stack.pop()
        params = []
        for pf in frame.param_facts:
            st = frame.params.get(pf.name, {})
            params.append(ParamFact(name=pf.name, ann=pf.ann, default=pf.default, star=pf.star,
                                    credential=pf.credential, required=pf.required,
                                    checked=bool(st.get("checked")), rejects_missing=bool(st.get("rejects")), passed=bool(st.get("passed")),
                                    deref_line=0,
                                    deref_text=st.get("deref_text", "")))
            if st.get("deref") is not None:
                self._deref_nodes[(frame.qual, pf.name)] = st["deref"]
        actions, models, xcalls = self._pp_actions(frame)
        fact = FuncFact(
            name=frame.qual, line=0, params=tuple(params), returns_ann=frame.returns_ann,
            decorators=frame.decorator_vals, is_method=frame.is_method,
            decodes=frame.decodes, verifier_call=frame.verifier_call, reads=tuple(dict.fromkeys(frame.reads)),
            raises=frame.raises, raises_auth=frame.raises_auth, raised=tuple(frame.raised[:16]),
            returns_none=frame.returns_none, returns=tuple(_slim(r) for r in frame.returns[:16] if _worth_keeping(r)),
            calls=tuple(dict.fromkeys(frame.calls))[:64], passes_names=frame.passes_names,
            admin_check=frame.admin_check, param_calls=tuple(dict.fromkeys(frame.param_calls)),
            local_values=tuple((k, _slim(v)) for k, v in frame.locals.items() if _worth_keeping(v)),
            request_to_call=frame.request_to_call, takes_request=bool(frame.request_params),
            super_init=frame.super_init, super_calls=tuple(dict.fromkeys(frame.super_calls)),
            actions=actions, models=models, xcalls=xcalls,
            ends_open=flow.ends_open(original_node), lead=lead,
            cred_fed=tuple(dict.fromkeys(frame.cred_fed))[:32],
            none_guards=tuple(dict.fromkeys(frame.none_guards)),
            attr_src=tuple(dict.fromkeys((a, s, _slim(v) if v is not None else None) for a, s, v in frame.attr_src))[:32],
            env_gate=frame.env_gate, env_gated=tuple(dict.fromkeys(frame.env_gated)),
            path_lists=tuple(_slim(v) for v in frame.path_lists),
            cond_returns=tuple(dict.fromkeys(frame.cond_returns)),
            path_regex=tuple((_slim(v), k) for v, k in frame.path_regex) + (
                ((V("str", q="open"), "open"),) if frame.regex_gates and flow.regex_open(original_node, frame.regex_gates)
                else ()),
        )
        self.out.functions[frame.qual] = fact

    # -- classes ---------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qual = self._qual_for(node.name.value)
        frame = Frame("class", qual, node)
        frame.bases = tuple(self._callee_val(b.value, 0) for b in node.bases if b.keyword is None)
        frame.decorators = tuple(self.val(d.decorator) for d in node.decorators)
        top = self._top()
        if top is not None and top.kind == "func":
            top.locals[node.name.value] = V("def", q=qual)
        self.stack.append(frame)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        frame = self.stack.pop()
        self.out.classes[frame.qual] = ClassFact(
            name=frame.qual, bases=frame.bases, decorators=frame.decorators, attrs=tuple(frame.attrs),
            methods=tuple(frame.methods), mentions_reject=frame.mentions_reject)

    # -- bindings --------------------------------------------------------------------------
    def _bind(self, target: cst.BaseExpression, value: V, annotation: Optional[V] = None) -> None:
        top = self._top()
        if isinstance(target, cst.Name):
            name = target.value
            if top is None:
                if value.k != "unk" or annotation is not None:
                    self.out.assigns[name] = value
            elif top.kind == "func":
                top.locals[name] = value
            else:
                top.attrs.append((name, annotation, value if value.k != "unk" or annotation is None else None))
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Attribute) \
                and target.value.attr.value == "state" and value.k in ("loc", "ref", "call"):
            # `app.state.auth = self` (in an __init__ handed the app), `app.state.db = Database()`:
            # what `request.app.state.auth` holds (evaluate.state_value)
            self.out.assigns[f"{STATE_PREFIX}{target.attr.value}"] = value
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
            # `self.router = APIRouter(...)` in a method: an attribute of the class
            # `self.current_user = current_user_dependency` of an `__init__` parameter: what each
            # construction passes (evaluate.getattr_obj)
            param = (value.k == "loc" and top is not None and top.kind == "func" and top.qual.endswith(".__init__")
                     and any(p.name == value.q for p in top.param_facts))
            for f in reversed(self.stack):
                if f.kind == "class":
                    if value.k in ("call", "ref", "dep", "list", "dict") or param:
                        f.attrs.append((target.attr.value, annotation, value))
                    break

    def visit_Assign(self, node: cst.Assign) -> None:
        self._pp_assign([t.target for t in node.targets], node.value)
        value = self.val(node.value)
        for t in node.targets:
            if isinstance(t.target, cst.Subscript):
                self._stores.add(id(t.target))
            self._bind(t.target, value)
        if isinstance(node.value, cst.Call):
            self._maybe_call_fact(node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._pp_assign([node.target], None)  # only what it changes: the value is not a new binding

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._pp_assign([node.target], node.value)
        ann = self.val(node.annotation.annotation)
        value = self.val(node.value) if node.value is not None else UNK
        if isinstance(node.target, cst.Name) and node.value is None and (self._top() is None or self._top().kind != "class"):
            return
        self._bind(node.target, value, ann)
        if isinstance(node.value, cst.Call):
            self._maybe_call_fact(node.value)

    def visit_TypeAlias(self, node) -> None:  # `type CurrentUser = Annotated[...]` (3.12)
        self._bind(node.name, self.val(node.value))

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, cst.Call):
            self._maybe_call_fact(node.value)

    # -- calls and returns -----------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        self._record_wiring(node)
        frame = self._func()
        if frame is not None:
            self._call_evidence(frame, node)
            self._pp_call(frame, node)
            func = node.func
            if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call)
                    and isinstance(func.value.func, cst.Name) and func.value.func.value == "super"):
                frame.super_calls.append(func.attr.value)
                if func.attr.value == "__init__":
                    frame.super_init = self.val(node)

    def visit_Return(self, node: cst.Return) -> None:
        frame = self._func()
        if frame is not None:
            self._pp_return(frame, node.value)
        if frame is None or not self._return_evidence(frame, node.value):
            return
        value = self.val(node.value)
        frame.returns.append(value)
        if len(frame.cond_returns) < 8 and _worth_keeping(value):
            params = {p.name for p in frame.param_facts}
            for test, positive in [(t, not e) for t, e in zip(frame.tests, frame.in_else)] + [
                    (t, False) for tests in frame.passed for t in tests]:
                name, truthy = _param_test(test)
                if name in params:
                    frame.cond_returns.append((_slim(value), name, truthy == positive))
        if isinstance(node.value, cst.Call):
            self._maybe_call_fact(node.value)

    # -- output ----------------------------------------------------------------------------
    def facts(self) -> FileFacts:
        """The file's facts, once the traversal is over."""
        if self._pending_routes:
            self._finish_routes()
            # deref lines and function lines are only needed (and only computed) where routes live
            for (fq, pname), node in self._deref_nodes.items():
                f = self.out.functions.get(fq)
                if f is None:
                    continue
                line = self.ctx.span(node).line
                params = tuple(p if p.name != pname else _with(p, deref_line=line) for p in f.params)
                self.out.functions[fq] = _with(f, params=params)
            for fq, node in self._func_nodes.items():
                f = self.out.functions.get(fq)
                if f is not None:
                    self.out.functions[fq] = _with(f, line=self.ctx.span(node.name).line)
        _prune_locals(self.out)
        return self.out


# -- what is handed over ---------------------------------------------------------------------

def _slim(v: V, depth: int = 0) -> V:
    """A kept value without the parts the evaluator never reads: arguments that are neither names,
    paths, literals, dependencies nor lists of those are dropped (query and formatting
    expressions passed to constructors are most of a local value's size)."""
    k = v.k
    if k == "call":
        if depth > 2:
            return V("call", a=(v.a[0],))
        callee = _slim(v.a[0], depth + 1) if v.a[0].k == "call" else v.a[0]
        return V("call", a=(callee,) + tuple(_slim_arg(a, depth) for a in v.args),
                 kw=tuple((n, _slim_arg(x, depth)) for n, x in v.kw))
    if k == "ifexp":
        return V("ifexp", a=tuple(_slim(x, depth + 1) for x in v.a))
    if k in ("list", "dict"):
        return V(k, a=tuple(_slim_arg(x, depth) for x in v.a))
    return v


def _slim_arg(v: V, depth: int) -> V:
    if v.k in ("ref", "loc", "def", "str", "fmt", "lit", "dep", "ann", "opt", "iter"):
        return v
    if v.k == "attr" and _worth_keeping(v):
        return v
    if v.k in ("call", "list", "dict", "ifexp"):
        return _slim(v, depth + 1)
    return UNK


def _worth_keeping(v: V) -> bool:
    """Local and returned values the evaluator can use: names, dependencies, aliases, routers and
    other objects built by calling a name, path strings. Query chains
    (`session.exec(select(X)).all()`) and other computed values are dropped: they are most of a
    project's code and never denote a router or a dependency."""
    k = v.k
    if k in ("def", "ref", "loc", "dep", "ann", "opt"):
        return True
    if k == "attr":
        return v.a[0].k in ("ref", "loc", "attr") and _worth_keeping(v.a[0])
    if k == "call":
        callee = v.a[0]
        # `Policy(perms)()`: the instance's `__call__` result (a factory's inner function)
        return callee.k in ("ref", "loc", "def") or (callee.k in ("attr", "call") and _worth_keeping(callee))
    if k == "ifexp":
        return _worth_keeping(v.a[1]) or _worth_keeping(v.a[2])
    if k in ("list", "dict"):
        return any(_worth_keeping(x) for x in v.a)
    if k in ("str", "fmt"):
        return not (k == "str" and v.q.startswith("?"))
    return k == "iter"


def _loc_refs(values, into: set) -> None:
    """(function, name) of every local name the values mention."""
    stack = [v for v in values if v is not None]
    while stack:
        v = stack.pop()
        if v.k == "loc":
            into.add((v.s, v.q))
        stack.extend(v.a)
        stack.extend(x for _, x in v.kw)


def _prune_locals(out: "FileFacts") -> None:
    """Keep a function's local values only when something kept mentions them (a route's router,
    an inclusion, a returned value, a raised exception, a nested function's dependency...):
    the rest is most of the facts' size and the evaluator never asks for it."""
    needed: set = set()
    roots: list = []
    for r in out.routes:
        roots += [r.receiver, r.path, r.dependencies, r.endpoint]
    for i in out.includes:
        roots += [i.parent, i.child, i.prefix, i.dependencies]
    for m in out.middleware:
        roots += [m.receiver, m.target]
    for c in out.calls:
        roots += [c.callee, *c.args, *(x for _, x in c.kw)]
    roots += list(out.assigns.values())
    for c in out.classes.values():
        roots += [*c.bases, *c.decorators, *(x for _, a, b in c.attrs for x in (a, b))]
    for f in out.functions.values():
        roots += [f.returns_ann, f.super_init, *f.returns, *f.raised, *f.decorators, *f.calls, *f.xcalls, *f.cred_fed]
        roots += [v for calls in f.lead for v in calls] + list(f.path_lists) + [v for v, _ in f.path_regex]
        roots += [x for p in f.params for x in (p.ann, p.default)]
    _loc_refs(roots, needed)
    done: set = set()
    while True:
        more = []
        for f in out.functions.values():
            for name, v in f.local_values:
                key = (f.name, name)
                if key in needed and key not in done:
                    done.add(key)
                    more.append(v)
        if not more:
            break
        _loc_refs(more, needed)
    for q, f in list(out.functions.items()):
        kept = tuple((n, v) for n, v in f.local_values if (f.name, n) in needed or v.k == "def")
        if len(kept) != len(f.local_values):
            out.functions[q] = _with(f, local_values=kept)


def _param_test(test: cst.BaseExpression) -> Tuple[str, bool]:
    """`if name:` -> (name, True), `if not name:` -> (name, False); ("", True) for other tests."""
    truthy = True
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, truthy = test.expression, not truthy
    return (test.value, truthy) if isinstance(test, cst.Name) else ("", True)


def _with(obj, **changes):
    return dataclasses.replace(obj, **changes)
