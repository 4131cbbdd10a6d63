"""Ownership enforcement (spec §5): FAL201 owned-query-without-owner-filter and FAL202
ownership-denial-inconsistent.

Per file (one batched traversal): model classes and tables (ownership_models), one summary per
function (ownership_queries: query sites, calls with argument origins, ownership checks, admin
branches), module-level helper objects and `Annotated[..., Depends(...)]` aliases. At link time
(ownership_link) the route table says which handlers are authenticated and which parameter holds
the current user, and the summaries are walked from each handler into the helpers it calls.
"""

from __future__ import annotations

from typing import Iterable, List, Optional

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.base import Check, CheckVisitor
from fastauthlint.checks.ownership.facts import AliasFact, InstanceFact, OwnershipFacts, SqlConstant, store
from fastauthlint.checks.ownership.models import class_fact, ref_of, table_from_call, tables_from_sql
from fastauthlint.checks.ownership.summary.known import DEPENDS
from fastauthlint.checks.ownership.summary.walker import FunctionWalker
from fastauthlint.checks.ownership.spans import FunctionLocator, SourceLocator
from fastauthlint.checks.ownership.sql import parse_sql, placeholder_key
from fastauthlint.options import Option
from fastauthlint.context import FileContext
from fastauthlint.findings import Finding

DEFAULT_OWNER_FIELDS = ("owner_id", "user_id", "created_by_id", "author_id")
# Columns naming the tenant a row belongs to. In a multi-tenant schema `user_id` often records who
# acted (the author of a comment, the member of an organization), and rows are scoped by tenant.
DEFAULT_TENANT_FIELDS = ("organization_id", "organisation_id", "org_id", "workspace_id", "tenant_id", "team_id")


def _check_fields(value) -> Optional[str]:
    if not value:
        return "must name at least one column"
    return _check_columns(value)


def _check_columns(value) -> Optional[str]:
    for v in value:
        if not v.isidentifier():
            return f"'{v}' is not a column name"
    return None


def _check_status(value) -> Optional[str]:
    return None if value in (403, 404) else "must be 404 or 403"


class OwnershipVisitor(CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self.out = OwnershipFacts(module=ctx.module_name)
        self.scope: List[str] = []  # enclosing class/function names
        self.kinds: List[str] = []
        # Checks on a fetched row are recorded for owner and tenant columns alike (`if
        # row.workspace_id != self.workspace_id: raise`); the linker tells them apart.
        self.owner_fields = tuple(ctx.config.option("owner-fields")) + tuple(ctx.config.option("tenant-fields"))
        self._constants = None
        self.locator = SourceLocator(ctx)
        self._def_seen: dict = {}  # function name -> how many `def name` were entered (source order)
        self._def_index: List[int] = []

    # -- structure --------------------------------------------------------------------------
    def _qual(self, name: str) -> str:
        parts = [self.ctx.module_name] if self.ctx.module_name else []
        return ".".join(parts + self.scope + [name])

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if "func" not in self.kinds:
            self.out.classes.append(class_fact(self.ctx, node, self._qual(node.name.value)))
        self.scope.append(node.name.value)
        self.kinds.append("class")

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scope.pop()
        self.kinds.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.append(node.name.value)
        self.kinds.append("func")
        n = self._def_seen.get(node.name.value, 0)
        self._def_seen[node.name.value] = n + 1
        self._def_index.append(n)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scope.pop()
        self.kinds.pop()
        in_class = bool(self.kinds) and self.kinds[-1] == "class"
        # Function-local imports are still known here (the scope closer runs after every check).
        start = self.locator.def_offset(original_node.name.value, self._def_index.pop())
        walker = FunctionWalker(self.ctx, original_node, self._qual(original_node.name.value), self.owner_fields,
                                self.constants, in_class, FunctionLocator(self.locator, start))
        summary = walker.run()
        if summary.sites or summary.calls or summary.checks or summary.route_deps or any(
                p.depends or p.alias or p.default_ref or p.annotation for p in summary.params):
            self.out.functions.append(summary)

    @property
    def constants(self):
        if self._constants is None:
            self._constants = {}
            for name, value in astutil.module_constants(self.ctx.module).items():
                s = astutil.literal_str(value)
                if s is not None:
                    self._constants[name] = s
        return self._constants

    # -- module level: helper objects, dependency aliases ------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if self.scope or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        self._module_binding(node.targets[0].target.value, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self.scope or node.value is None or not isinstance(node.target, cst.Name):
            return
        self._module_binding(node.target.value, node.value)

    def _module_binding(self, name: str, value: cst.BaseExpression) -> None:
        text = astutil.literal_str(value)
        if text is not None:
            stmt = parse_sql(text)
            if stmt is not None:
                comps = []
                positional = 0
                keys = {}
                for ph in stmt.placeholders:
                    k = placeholder_key(ph)
                    if not k:
                        k = f"#{positional}"
                        positional += 1
                    keys.setdefault(ph, k)
                for col, ph in stmt.comparisons:
                    comps.append((col, placeholder_key(ph) or keys.get(ph, "#0")))
                self.out.sql.append(SqlConstant(name=name, op=stmt.op, tables=stmt.tables, comparisons=tuple(comps)))
            return
        if isinstance(value, cst.Subscript) and astutil.name_of(value.value) == "Annotated":
            elems = [e.slice.value for e in value.slice if isinstance(e.slice, cst.Index)]
            for meta in elems[1:]:
                dep = self._depends_target(meta)
                if dep:
                    self.out.aliases.append(AliasFact(name=name, depends=dep, annotation=ref_of(self.ctx, elems[0])))
                    return
            return
        if isinstance(value, cst.Call):
            dep = self._depends_target(value)
            if dep:
                self.out.aliases.append(AliasFact(name=name, depends=dep))
                return
            func = value.func
            type_args: tuple = ()
            if isinstance(func, cst.Subscript):
                type_args = tuple(ref_of(self.ctx, e.slice.value) for e in func.slice if isinstance(e.slice, cst.Index))
                func = func.value
            if not isinstance(func, (cst.Name, cst.Attribute)):
                return
            cls = ref_of(self.ctx, func)
            if not cls or not cls.split(".")[-1][:1].isupper():
                return
            args = tuple(ref_of(self.ctx, a.value) if isinstance(a.value, (cst.Name, cst.Attribute)) else ""
                         for a in value.args if a.keyword is None and not a.star)
            kwargs = tuple((a.keyword.value, ref_of(self.ctx, a.value)) for a in value.args
                           if a.keyword is not None and isinstance(a.value, (cst.Name, cst.Attribute)))
            literal = astutil.literal_str(value.args[0].value) if value.args else None
            self.out.instances.append(InstanceFact(name=name, cls=cls, args=args + type_args, kwargs=kwargs,
                                                   literal=literal or ""))

    def _depends_target(self, node: cst.BaseExpression) -> str:
        if not isinstance(node, cst.Call):
            return ""
        q = self.ctx.qualify(node.func) or ""
        if q not in DEPENDS and not q.endswith((".Depends", ".Security")):
            return ""
        target = astutil.argument(node, "dependency", 0)
        if isinstance(target, cst.Call):
            target = target.func
        return ref_of(self.ctx, target) if isinstance(target, (cst.Name, cst.Attribute)) else ""

    # -- tables declared outside model classes ------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        name = astutil.name_of(node.func)
        if name in ("Table", "create_table"):
            t = table_from_call(self.ctx, node)
            if t is not None:
                self.out.tables.append(t)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if "create" in node.value[:400].lower() or "CREATE" in node.value:
            s = astutil.literal_str(node)
            if s:
                self.out.tables.extend(tables_from_sql(s))

    def facts(self):
        o = self.out
        if not (o.functions or o.classes or o.instances or o.aliases or o.tables or o.sql):
            return None
        return store(o)


class OwnershipCheck(Check):
    name = "ownership"
    rules = ("FAL201", "FAL202")
    options = (
        Option("owner-fields", "list[str]", list(DEFAULT_OWNER_FIELDS),
               "Columns that make a model owner-scoped (add organization_id, tenant_id, ... when rows belong "
               "to a tenant).", rules=("FAL201", "FAL202"), check=_check_fields),
        Option("tenant-fields", "list[str]", list(DEFAULT_TENANT_FIELDS),
               "Tenant columns: a query filtered on one with the caller's tenant (from the current user, or "
               "the service's own context such as `self.workspace_id`) is scoped. [] turns this off.",
               rules=("FAL201",), check=_check_columns),
        Option("ownership-denial-status", "int", 404,
               "How \"exists but is not yours\" is answered: 404 (default) or 403.", rules=("FAL202",),
               check=_check_status),
    )

    def visitor(self, ctx: FileContext) -> Optional[CheckVisitor]:
        if ctx.is_test:
            return None
        return OwnershipVisitor(ctx)

    def link(self, project) -> Iterable[Finding]:
        linker = project.memo("ownership-link", lambda: self._run(project))
        return list(linker.findings())

    @staticmethod
    def _run(project):
        from fastauthlint.checks.ownership.link import Linker
        from fastauthlint.project.route_table import route_table  # the route table is a linking result

        linker = Linker(project)
        linker.run(route_table(project))
        return linker


CHECK = OwnershipCheck()
