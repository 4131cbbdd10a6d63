"""`FunctionWalker`: one function body read into a `FuncSummary` (its query sites, the calls it
makes with the origin of each argument, the ownership checks it performs, what it returns).

It is run from the batched visitor's `leave_FunctionDef` on that function's subtree (nested
functions are summarised on their own), and follows values through local variables in statement
order, so that

    statement = select(Item)
    if not current_user.is_superuser:
        statement = statement.where(Item.owner_id == current_user.id)
    items = (await session.execute(statement)).scalars().all()

is one query site on `Item` filtered on `owner_id` with `current_user.id`, and `items` is its result.
Which parameters hold the current user is only known at link time (from the route table), so a
filter value is recorded by origin (`param current_user .id`), never judged here.

The walker is the statements and the signature; each other question is a mixin of its own, all
sharing `WalkState`: origins (where a value comes from), calls (what a call is, and recording
calls into project code), queries / filters / raw_sql (recognising ORM, ODM and SQL queries and
what they filter on), branches (admin branches, truthiness of parameters), owner_checks
(comparisons of an owner column or identity with a value), denials (how a refusal is answered).
Mixins rather than helper objects: these questions recurse into each other on every expression
(a filter value is an origin, an origin may be a query, a query's argument a call) over the same
state, so separate objects would each need the others and all of the state.
"""

from __future__ import annotations

from typing import Sequence

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership.facts import UNKNOWN, CallSite, FuncSummary, Origin, ParamFact
from fastauthlint.checks.ownership.models import ref_of, unwrap_annotation
from fastauthlint.checks.ownership.summary.branches import Branches
from fastauthlint.checks.ownership.summary.calls import CallRecognition
from fastauthlint.checks.ownership.summary.denials import DenialRecognition
from fastauthlint.checks.ownership.summary.filters import FilterRecognition
from fastauthlint.checks.ownership.summary.known import DEPENDS, EXTERNAL_ROOTS, PREDICATE_CALLS, REQUEST_TYPES
from fastauthlint.checks.ownership.summary.origins import OriginTracking
from fastauthlint.checks.ownership.summary.owner_checks import OwnerCheckRecognition
from fastauthlint.checks.ownership.summary.queries import QueryRecognition
from fastauthlint.checks.ownership.summary.raw_sql import RawSqlRecognition
from fastauthlint.checks.ownership.summary.syntax import block_statements
from fastauthlint.project.known import BODY_CALL_AUTH
from fastauthlint.project.names import dotted

# FastAPI's parameter sources that read the request as the client sent it
CLIENT_SOURCES = {"Header", "Query", "Cookie", "Path", "Body", "Form"}


class FunctionWalker(Branches, OwnerCheckRecognition, DenialRecognition, CallRecognition, QueryRecognition,
                     RawSqlRecognition, FilterRecognition, OriginTracking):
    # -- entry: the signature ------------------------------------------------------------------
    def run(self) -> FuncSummary:
        self._params()
        if self.in_class and self.summary.params and self.summary.params[0].index == 0:
            decos = {astutil.name_of(astutil.decorator_call(d)[0]) for d in self.func.decorators}
            if "staticmethod" not in decos:
                self.summary.self_name = self.summary.params[0].name
        self._route_deps()
        self.block(block_statements(self.func.body))
        self.settle_probes()
        for site in self.summary.sites:
            if site.kind == "store" and site.models and site.models[0] in self.stores_written:
                site.kind = "memo"  # a cache of rows this function fetched itself, not a store of rows
        self.summary.admin_conds = self.admin_conds
        return self.summary

    def _params(self) -> None:
        p = self.func.params
        positional = list(p.posonly_params) + list(p.params)
        ordered = [(x, i) for i, x in enumerate(positional)]
        if isinstance(p.star_arg, cst.Param):
            ordered.append((p.star_arg, -1))
            self.summary.star_args = p.star_arg.name.value
        ordered += [(x, -1) for x in p.kwonly_params]
        if isinstance(p.star_kwarg, cst.Param):
            ordered.append((p.star_kwarg, -2))  # `**kwargs`: the keywords no other parameter takes
        for param, index in ordered:
            name = param.name.value
            self.params.add(name)
            fact = ParamFact(name=name, index=index)
            ann = param.annotation.annotation if param.annotation is not None else None
            dep_call = None
            if isinstance(ann, cst.Subscript) and astutil.name_of(ann.value) == "Annotated":
                elems = [e.slice.value for e in ann.slice if isinstance(e.slice, cst.Index)]
                if elems:
                    fact.annotation = ref_of(self.ctx, unwrap_annotation(elems[0]))
                for meta in elems[1:]:
                    if isinstance(meta, cst.Call) and self._is_depends(meta):
                        dep_call = meta
                    elif isinstance(meta, cst.Call):
                        self._factory(fact, meta)
            elif ann is not None:
                inner = unwrap_annotation(ann)
                fact.annotation = ref_of(self.ctx, inner) if isinstance(inner, (cst.Name, cst.Attribute, cst.SimpleString)) else ""
                if isinstance(ann, (cst.Name, cst.Attribute)):
                    fact.alias = fact.annotation
            if isinstance(param.default, cst.Call) and self._is_depends(param.default):
                dep_call = param.default
            elif isinstance(param.default, cst.Call):
                self._factory(fact, param.default)
                if astutil.name_of(param.default.func) in CLIENT_SOURCES:
                    self.client_params.add(name)
            elif isinstance(param.default, (cst.Name, cst.Attribute)):
                fact.default_ref = self.ctx.qualify(param.default) or ""
            if dep_call is not None:
                target = astutil.argument(dep_call, "dependency", 0)
                if isinstance(target, cst.Call):
                    fact.depends = Origin("global", ref_of(self.ctx, target.func)) if ref_of(self.ctx, target.func) else None
                    first = target.args[0].value if target.args else None
                    if isinstance(first, (cst.Name, cst.Attribute)):
                        fact.depends_call = Origin("global", ref_of(self.ctx, first))
                elif isinstance(target, (cst.Name, cst.Attribute)):
                    fact.depends = Origin("global", ref_of(self.ctx, target))
                elif target is None and fact.annotation:  # Depends() with the annotation as dependency
                    fact.depends = Origin("global", fact.annotation)
                fact.span = self.loc.span(dep_call)
            if fact.annotation in REQUEST_TYPES or (name == "request" and not fact.annotation):
                self.request_params.add(name)
            if fact.annotation in BODY_CALL_AUTH:
                self.jwt_params.add(name)
            self.summary.params.append(fact)

    def _route_deps(self) -> None:
        """`@router.get(..., dependencies=[Depends(check_owner)])`: dependencies FastAPI runs
        before the handler."""
        for dec in self.func.decorators:
            _, call = astutil.decorator_call(dec)
            if call is None:
                continue
            deps = astutil.keyword(call, "dependencies")
            if deps is None or not isinstance(deps.value, (cst.List, cst.Tuple)):
                continue
            for el in deps.value.elements:
                v = el.value
                if isinstance(v, cst.Call) and self._is_depends(v):
                    target = astutil.argument(v, "dependency", 0)
                    if isinstance(target, (cst.Name, cst.Attribute)) and ref_of(self.ctx, target):
                        self.summary.route_deps.append(CallSite(
                            idx=-1, span=self.loc.decorator_span(v), callee=Origin("global", ref_of(self.ctx, target)),
                            text=dotted(target) or ""))

    def _factory(self, fact: ParamFact, call: cst.Call) -> None:
        q = self.ctx.qualify(call.func) if isinstance(call.func, (cst.Name, cst.Attribute)) else None
        if q and q.split(".")[0] not in EXTERNAL_ROOTS:
            fact.factory = Origin("global", q)

    def is_predicate(self, expr) -> bool:
        """A SQL condition: a comparison with a column, `or_(...)`/`and_(...)`/`true()`,
        `Model.col.in_(...)`, or a name bound to one."""
        if isinstance(expr, cst.Comparison):
            return any(isinstance(x, cst.Attribute) or isinstance(x, cst.Call)
                       for x in [expr.left] + [c.comparator for c in expr.comparisons])
        if isinstance(expr, cst.Call):
            return (astutil.name_of(expr.func) or "") in PREDICATE_CALLS
        if isinstance(expr, cst.Name):
            return expr.value in self.predicates
        return False

    def _is_depends(self, call: cst.Call) -> bool:
        q = self.ctx.qualify(call.func) or dotted(call.func) or ""
        return q in DEPENDS or q.endswith((".Depends", ".Security"))

    # -- statements ---------------------------------------------------------------------------
    def block(self, stmts: Sequence) -> None:
        saved_admin, saved_conds = self.admin, self.conds
        stmts = list(stmts)
        for i, stmt in enumerate(stmts):
            self.stmt(stmt, stmts[i + 1:])
        self.admin, self.conds = saved_admin, saved_conds

    def stmt(self, stmt, following: Sequence) -> None:
        self.order += 1
        self.loc.statement(stmt if isinstance(stmt, (cst.SimpleStatementLine, cst.If)) else None)
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.small(small)
        elif isinstance(stmt, cst.If):
            self.if_stmt(stmt, following)
        elif isinstance(stmt, cst.For):
            it = self.eval(stmt.iter)
            self.bind(stmt.target, it)
            self.loop_subjects.append(it)
            self.block(block_statements(stmt.body))
            self.loop_subjects.pop()
            if stmt.orelse is not None:
                self.block(block_statements(stmt.orelse.body))
        elif isinstance(stmt, cst.While):
            self.eval(stmt.test)
            self.block(block_statements(stmt.body))
            if stmt.orelse is not None:
                self.block(block_statements(stmt.orelse.body))
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                o = self.eval(item.item)
                if item.asname is not None:
                    self.bind(item.asname.name, o)
            self.block(block_statements(stmt.body))
        elif isinstance(stmt, (cst.Try, getattr(cst, "TryStar", cst.Try))):
            self.block(block_statements(stmt.body))
            for h in stmt.handlers:
                if h.name is not None:
                    self.bind(h.name.name, UNKNOWN)
                self.block(block_statements(h.body))
            if stmt.orelse is not None:
                self.block(block_statements(stmt.orelse.body))
            if stmt.finalbody is not None:
                self.block(block_statements(stmt.finalbody.body))
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            return
        elif type(stmt).__name__ == "Match":
            self.eval(stmt.subject)
            for case in stmt.cases:
                self.block(block_statements(case.body))

    def small(self, small) -> None:
        if isinstance(small, cst.Expr):
            self.eval(small.value)
        elif isinstance(small, cst.Assign):
            value = small.value
            o = self.eval(value)
            for t in small.targets:
                self._remember_literals(t.target, value)
                self.bind(t.target, o)
                if isinstance(t.target, cst.Name):
                    if self.is_predicate(value):
                        self.predicates.add(t.target.value)
                    else:
                        self.predicates.discard(t.target.value)
                if isinstance(t.target, cst.Name):
                    if isinstance(value, (cst.Comparison, cst.BooleanOperation, cst.UnaryOperation)):
                        self.bool_exprs[t.target.value] = value
                    else:
                        self.bool_exprs.pop(t.target.value, None)
                    # `is_admin = user.has_permission("admin:all")`, then `if is_admin:`
                    admin = self.admin_polarity(value) if isinstance(value, (
                        cst.Call, cst.Await, cst.BooleanOperation, cst.Comparison, cst.Attribute)) else None
                    if admin is not None and admin[0]:
                        self.admin_locals[t.target.value] = admin[1]
                    else:
                        self.admin_locals.pop(t.target.value, None)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                o = self.eval(small.value)
                self._remember_literals(small.target, small.value)
                self.bind(small.target, o)
        elif isinstance(small, cst.AugAssign):
            self.eval(small.value)
            if isinstance(small.target, cst.Attribute):
                self.row_written(self.peek(small.target.value))
            if isinstance(small.target, cst.Name) and small.target.value in self.strings:
                s = astutil.literal_str(small.value)
                if s is not None:
                    self.strings[small.target.value] += s
        elif isinstance(small, cst.Return):
            if small.value is not None and self.is_predicate(small.value):
                self.summary.predicate = True
            if small.value is not None:
                self._collect = []
                o = self.eval(small.value)
                collected = self._collect
                self._collect = None
                for subj, col, val, mismatch in self.owner_comparisons(small.value):
                    if not mismatch:
                        self.add_check("returns", subj, col, val, None, small.value)
                outs = [o] + [c for c in collected if c.kind in ("site", "call", "param")]
                for x in outs:
                    if x.kind not in ("unknown", "literal") and x not in self.summary.returns:
                        self.summary.returns.append(x)
        elif isinstance(small, cst.Del):
            t = small.target
            if isinstance(t, cst.Subscript) and len(t.slice) == 1 and isinstance(t.slice[0].slice, cst.Index):
                base = self.eval(t.value)
                key = self.eval(t.slice[0].slice.value)
                if self.store_ref(base):
                    self.store_site(t, base, key, "delete")  # `del NOTES[note_id]`
        elif isinstance(small, cst.Raise):
            if small.exc is not None:
                self.eval(small.exc)
        elif isinstance(small, cst.Assert):
            self.eval(small.test)
            for subj, col, val, mismatch in self.owner_comparisons(small.test):
                if not mismatch:
                    self.add_check("deny", subj, col, val, None, small.test)
            for subj, col, val, mismatch in self.identity_comparisons(small.test):
                if not mismatch:
                    self.add_check("identity", subj, col, val, None, small.test)

    def _remember_literals(self, target, value) -> None:
        if not isinstance(target, cst.Name):
            return
        s = astutil.literal_str(value)
        if s is not None:
            self.strings[target.value] = s
        elif target.value in self.strings:
            del self.strings[target.value]
        if isinstance(value, cst.Call):
            d = self.exception_denial(value)
            if d is not None:
                self.exceptions[target.value] = d
