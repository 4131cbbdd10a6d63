"""The ownership check's per-file visitor (one batched traversal): model classes (models.py),
tables declared outside classes (`Table(...)`, `op.create_table(...)`, `CREATE TABLE` strings),
one summary per function (handed to summary/walker.py when the function is left), and module-level
bindings: SQL held in constants, helper objects (`item = CRUDItem(Item)`) and `Annotated[...,
Depends(...)]` aliases. Its facts are stored packed (facts.store) for the link phase.
"""

from __future__ import annotations

import re
from typing import List

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.base import CheckVisitor
from fastauthlint.checks.ownership import mongo
from fastauthlint.checks.ownership.facts import (AliasFact, InstanceFact, OwnershipFacts, SqlConstant, StoreFact, TableFact,
                                               store)
from fastauthlint.checks.ownership.models import class_fact, ref_of, store_value_type, table_from_call, tables_from_sql
from fastauthlint.checks.ownership.spans import FunctionLocator, SourceLocator
from fastauthlint.checks.ownership.sql import parse_sql
from fastauthlint.checks.ownership.summary.known import DEPENDS
from fastauthlint.checks.ownership.summary.walker import FunctionWalker
from fastauthlint.context import FileContext

RANDOM_KEY_ARGS = {"id", "pk", "_id", "uuid", "key"}
_RANDOM_CALL = re.compile(r"\b(uuid4|uuid7|token_hex|token_urlsafe|nanoid|ulid)\s*\(")
_EMPTY = cst.Module([])


def _row_keys(value: cst.Dict) -> tuple:
    """The keys of the rows of a dict literal of rows keyed by id: `{1: {"id": 1, "owner_id": 7}}`
    (every value a dict with string keys; the first row's keys)."""
    rows = [el.value for el in value.elements if isinstance(el, cst.DictElement)]
    if not rows or not all(isinstance(r, cst.Dict) for r in rows):
        return ()
    keys = tuple(k for k in (astutil.literal_str(el.key) for el in rows[0].elements
                             if isinstance(el, cst.DictElement)) if k)
    return keys if len(keys) >= 2 else ()


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
        self._documents: dict = {}  # name -> the document literal last bound to it (Mongo inserts)

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
        # the project model's key: `name@1` for a definition a later `def name` shadows
        self.scope.append(self.ctx.def_key(node))
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
        walker = FunctionWalker(self.ctx, original_node, self._qual(self.ctx.def_key(original_node)), self.owner_fields,
                                self.constants, in_class, FunctionLocator(self.locator, start))
        summary = walker.run()
        for key, client in summary.state_sets:
            self.out.state_sets.append((key, summary.qualname, client))
        if summary.state_sets or summary.sites or summary.calls or summary.checks or summary.route_deps or any(
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
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) and isinstance(node.value, cst.Dict):
            self._documents[node.targets[0].target.value] = node.value  # `doc = {...}; insert_one(doc)`
        if self.scope or len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        self._module_binding(node.targets[0].target.value, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self.scope or node.value is None or not isinstance(node.target, cst.Name):
            return
        vt = store_value_type(self.ctx, node.annotation.annotation)
        if vt:
            self.out.stores.append(StoreFact(name=node.target.value, value_type=vt))
            return
        self._module_binding(node.target.value, node.value)

    def _module_binding(self, name: str, value: cst.BaseExpression) -> None:
        coll = mongo.collection_literal(value)
        if coll:  # `notes = db.get_collection("notes")`
            self.out.instances.append(InstanceFact(name=name, cls=mongo.COLLECTION_CLASS, literal=coll))
            return
        text = astutil.literal_str(value)
        if text is not None:
            stmt = parse_sql(text)
            if stmt is not None:
                self.out.sql.append(SqlConstant(name=name, op=stmt.op, tables=stmt.tables, comparisons=tuple(stmt.comparisons)))
            return
        if isinstance(value, cst.Dict):
            keys = _row_keys(value)
            if keys:
                self.out.stores.append(StoreFact(name=name, row_keys=keys))
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
        func = node.func
        if isinstance(func, cst.Attribute) and (func.attr.value in mongo.READ or func.attr.value in mongo.INSERT):
            keys = mongo.owner_keys_of_call(node, func.attr.value, self.owner_fields, self._documents)
            coll = mongo.collection_key(func.value, self.ctx.qualify, lambda n: False) if keys else None
            if coll and coll.startswith("self:"):  # the enclosing class's attribute
                held = self.out.classes[-1].attr_types.get(coll[5:], "") if self.out.classes and "class" in self.kinds else ""
                coll = held[len(mongo.COLLECTION_PREFIX):] if held.startswith(mongo.COLLECTION_PREFIX) else None
            if coll:  # documents written or filtered with an owner key: an owner-scoped collection
                self.out.tables.append(TableFact(name=coll, columns=keys, kind="mongo"))
        name = astutil.name_of(node.func)
        if name and name[:1].isupper():
            for a in node.args:  # `Message(id=str(uuid4()), ...)`: a key drawn when the row is made
                if a.keyword is not None and a.keyword.value in RANDOM_KEY_ARGS \
                        and _RANDOM_CALL.search(_EMPTY.code_for_node(a.value)):
                    ref = ref_of(self.ctx, node.func)
                    if ref:
                        self.out.random_keys.append((ref, a.keyword.value))
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
        if not (o.functions or o.classes or o.instances or o.aliases or o.tables or o.sql or o.stores
                or o.state_sets or o.random_keys):
            return None
        return store(o)
