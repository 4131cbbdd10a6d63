"""Model classes and tables as each file declares them (per file, plain facts): `ClassFact`s with
their fields, foreign keys and relationships, table names and ORM hints, and `TableFact`s for
tables declared outside classes; plus the small expression helpers the ownership facts share
(`ref_of`, `unwrap_annotation`, `status_of`). Which models are owner-scoped is decided at link
time, once inheritance is followed across files (link/registry.py).

Recognised declarations:

- SQLModel `owner_id: uuid.UUID = Field(foreign_key="user.id")` (table models: `table=True` on the
  class or an ancestor), `owner: User = Relationship(...)`;
- SQLAlchemy 1.x `owner_id = Column(Integer, ForeignKey("users.id"))`, `relationship("User")`,
  `@declared_attr` mixin columns; 2.0 `owner_id: Mapped[int] = mapped_column(ForeignKey(...))`;
- Tortoise / peewee `owner = fields.ForeignKeyField("models.User")` (the column is `owner_id`);
- Beanie / ODMantic / ormar documents (`owner: Link[User]`, `owner_id: PydanticObjectId`);
- tables outside classes: `Table("items", metadata, Column("owner_id", ...))`,
  `op.create_table("items", sa.Column("owner_id", ...))` and `CREATE TABLE items (...)` strings.
"""

from __future__ import annotations

import http
import re
from typing import Iterable, List, Optional, Sequence, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership import mongo
from fastauthlint.checks.ownership.facts import ClassFact, FieldFact, TableFact
from fastauthlint.context import FileContext
from fastauthlint.project.names import dotted

_COLUMN_CALLS = {"Column", "mapped_column", "Field", "column_property", "Reference", "Indexed"}
_FK_FIELD_CALLS = {"ForeignKeyField", "OneToOneField"}  # Tortoise/peewee: column is <name>_id
_WRAPPERS = {"Mapped", "Optional", "Link", "BackLink", "List", "list", "ForeignKeyRelation",
             "ForeignKeyNullableRelation", "OneToOneRelation", "OneToOneNullableRelation", "Union",
             "Annotated", "WriteOnlyMapped", "DynamicMapped", "Indexed"}


def _name_tail(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    if isinstance(expr, cst.Call):
        expr = expr.func
    return astutil.name_of(expr)


def ref_of(ctx: FileContext, expr: Optional[cst.BaseExpression]) -> str:
    """Qualified name of a Name/Attribute (or of a string forward reference), else its dotted
    text, else ""."""
    if expr is None:
        return ""
    s = astutil.literal_str(expr)
    if s is not None:
        return qualify_text(ctx, s.strip())
    q = ctx.qualify(expr)
    if q:
        return q
    return dotted(expr) or ""


def qualify_text(ctx: FileContext, text: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][\w.]*", text or ""):
        return ""
    return ctx.names.qualify_dotted(text) or text


def unwrap_annotation(expr: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """`Mapped[Optional["User"]]` -> the `"User"` node; `User | None` -> `User`."""
    for _ in range(8):
        if isinstance(expr, cst.Subscript) and astutil.name_of(expr.value) in _WRAPPERS:
            inner = [e.slice.value for e in expr.slice if isinstance(e.slice, cst.Index)]
            inner = [e for e in inner if not (isinstance(e, cst.Name) and e.value == "None")]
            if not inner:
                return None
            expr = inner[0]
            continue
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.BitOr):
            left, right = expr.left, expr.right
            expr = right if isinstance(left, cst.Name) and left.value == "None" else left
            continue
        break
    return expr


def _fk_in(ctx: FileContext, call: cst.Call) -> str:
    """Target of a `ForeignKey(...)` among the arguments of a Column/mapped_column call, or the
    `foreign_key=` of a SQLModel Field."""
    fk = astutil.keyword(call, "foreign_key")
    if fk is not None:
        s = astutil.literal_str(fk.value)
        return s if s is not None else ref_of(ctx, fk.value)
    for arg in call.args:
        v = arg.value
        if isinstance(v, cst.Call) and _name_tail(v.func) == "ForeignKey" and v.args:
            s = astutil.literal_str(v.args[0].value)
            return s if s is not None else ref_of(ctx, v.args[0].value)
    return ""


_RANDOM_DEFAULT = re.compile(r"uuid4|uuid_?v?7|uuid_generate_v4|gen_random_uuid|random_uuid|token_hex|token_urlsafe|"
                             r"ulid|nanoid|urandom", re.I)


def _random_default(call: cst.Call, tail: str) -> bool:
    """A key drawn at random: `default_factory=uuid.uuid4`, `default=uuid4`, `default=lambda:
    generate_uuid7()` (74 random bits), `server_default=text("gen_random_uuid()")`, Tortoise's
    `UUIDField(pk=True)` (uuid4 by default)."""
    for k in ("default", "default_factory", "server_default", "insert_default"):
        kw = astutil.keyword(call, k)
        if kw is not None:
            value = kw.value.body if isinstance(kw.value, cst.Lambda) else kw.value  # `lambda: new_uuid7()`
            text = dotted(value) or astutil.literal_str(value) or ""
            if isinstance(value, cst.Call):
                text = (dotted(value.func) or "") + " " + " ".join(
                    astutil.literal_str(a.value) or "" for a in value.args)
            return bool(_RANDOM_DEFAULT.search(text))
    return tail == "UUIDField"


def _field_from(ctx: FileContext, name: str, annotation: Optional[cst.BaseExpression],
                value: Optional[cst.BaseExpression]) -> Optional[FieldFact]:
    if name.startswith("__"):
        return None
    fact = FieldFact(name=name, column=name)
    ann = unwrap_annotation(annotation) if annotation is not None else None
    ann_tail = astutil.name_of(annotation.value) if isinstance(annotation, cst.Subscript) else None
    if isinstance(value, cst.Call):
        tail = _name_tail(value.func)
        if tail in _FK_FIELD_CALLS:
            fact.column = f"{name}_id"
            src = astutil.keyword(value, "source_field")
            if src is not None and astutil.literal_str(src.value):
                fact.column = astutil.literal_str(src.value)
            target = astutil.argument(value, "model_name", 0) or astutil.argument(value, "model", 0)
            s = astutil.literal_str(target)
            fact.fk = s if s is not None else ref_of(ctx, target)
            fact.relation = fact.fk
            fact.is_column = True
        elif tail in ("relationship", "Relationship", "relation", "Reference"):
            target = value.args[0].value if value.args and value.args[0].keyword is None else None
            fact.relation = ref_of(ctx, target) if target is not None else ref_of(ctx, ann)
            fact.is_column = tail == "Reference"
            fact.mapped = tail in ("relationship", "Relationship")
        elif tail in ("ReferenceField", "LazyReferenceField", "CachedReferenceField") and value.args:  # mongoengine
            fact.relation = ref_of(ctx, value.args[0].value)
            fact.is_column = True
        elif tail in ("ForeignKey", "OneToOne") and value.args:  # ormar
            fact.relation = ref_of(ctx, value.args[0].value)
            fact.fk = fact.relation
            fact.is_column = True
        elif tail in _COLUMN_CALLS or (tail and tail.endswith("Field")):
            fact.is_column = True
            fact.fk = _fk_in(ctx, value)
            fact.primary = any(astutil.literal_value(astutil.keyword(value, k).value, None) is True
                               for k in ("primary_key", "pk") if astutil.keyword(value, k) is not None)
            fact.random = _random_default(value, tail)
            # Column("owner_id", ...) keeps the attribute name for queries.
        else:
            return fact if annotation is not None else None
    elif value is not None and annotation is None:
        return None
    if ann_tail in ("Link", "BackLink") and ann is not None:
        fact.relation = ref_of(ctx, ann)
    elif ann_tail in ("ForeignKeyRelation", "ForeignKeyNullableRelation", "OneToOneRelation") and ann is not None:
        fact.relation = fact.relation or ref_of(ctx, ann)
    elif ann_tail in ("Mapped", "WriteOnlyMapped") and not fact.relation and isinstance(value, cst.Call) \
            and _name_tail(value.func) == "relationship":
        fact.relation = ref_of(ctx, ann)
    return fact


_MAPPINGS = {"Dict", "dict", "Mapping", "MutableMapping", "DefaultDict", "defaultdict", "OrderedDict"}


def store_value_type(ctx: FileContext, annotation: Optional[cst.BaseExpression]) -> str:
    """`Dict[int, Note]` -> the reference of `Note` (an in-memory store of rows keyed by id)."""
    if isinstance(annotation, cst.Subscript) and astutil.name_of(annotation.value) in _MAPPINGS \
            and len(annotation.slice) == 2 and isinstance(annotation.slice[1].slice, cst.Index):
        inner = unwrap_annotation(annotation.slice[1].slice.value)
        if isinstance(inner, (cst.Name, cst.Attribute, cst.SimpleString)):
            ref = ref_of(ctx, inner)
            return ref if ref.split(".")[-1][:1].isupper() else ""
    return ""


def _class_attr_str(body: Sequence[cst.BaseStatement], names: Iterable[str]) -> Optional[str]:
    wanted = set(names)
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    for t in small.targets:
                        if isinstance(t.target, cst.Name) and t.target.value in wanted:
                            s = astutil.literal_str(small.value)
                            if s is not None:
                                return s
                elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) \
                        and small.target.value in wanted and small.value is not None:
                    s = astutil.literal_str(small.value)
                    if s is not None:
                        return s
    return None


def status_of(expr: Optional[cst.BaseExpression]) -> Optional[int]:
    """An HTTP status written as a number, `status.HTTP_404_NOT_FOUND` or `HTTPStatus.NOT_FOUND`."""
    if expr is None:
        return None
    v = astutil.literal_value(expr, None)
    if isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 599:
        return v
    name = astutil.name_of(expr) or ""
    m = re.match(r"HTTP_(\d{3})(_|$)", name)
    if m:
        return int(m.group(1))
    if isinstance(expr, cst.Attribute) and astutil.name_of(expr.value) in ("HTTPStatus", "status"):
        try:
            return int(http.HTTPStatus[name])
        except KeyError:
            return None
    return None


def class_fact(ctx: FileContext, node: cst.ClassDef, qualname: str) -> ClassFact:
    bases: List[str] = []
    base_args: List[Tuple[str, ...]] = []
    for arg in node.bases:
        v = arg.value
        if isinstance(v, cst.Subscript):
            bases.append(ref_of(ctx, v.value))
            base_args.append(tuple(ref_of(ctx, e.slice.value) for e in v.slice if isinstance(e.slice, cst.Index)))
        else:
            bases.append(ref_of(ctx, v))
            base_args.append(())
    keywords = {}
    for kw in node.keywords:
        if kw.keyword is not None:
            keywords[kw.keyword.value] = dotted(kw.value) or ""
    fact = ClassFact(name=node.name.value, qualname=qualname, bases=tuple(bases),
                     base_args=tuple(base_args), keywords=keywords,
                     decorators=tuple(ref_of(ctx, astutil.decorator_call(d)[0]) for d in node.decorators))
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    vt = store_value_type(ctx, small.annotation.annotation)
                    if vt:
                        fact.stores[small.target.value] = vt
                    inner = unwrap_annotation(small.annotation.annotation)
                    if isinstance(inner, (cst.Name, cst.Attribute)) and small.value is None:
                        fact.attr_types.setdefault(small.target.value, ref_of(ctx, inner))
                    f = _field_from(ctx, small.target.value, small.annotation.annotation, small.value)
                    if f is not None:
                        fact.fields.append(f)
                        if astutil.name_of(small.annotation.annotation.value if isinstance(
                                small.annotation.annotation, cst.Subscript) else None) == "Mapped":
                            fact.orm_hint = True
                    _class_level(ctx, fact, small.target.value, small.value)
                elif isinstance(small, cst.Assign) and len(small.targets) == 1 \
                        and isinstance(small.targets[0].target, cst.Name):
                    name = small.targets[0].target.value
                    f = _field_from(ctx, name, None, small.value)
                    if f is not None:
                        fact.fields.append(f)
                    _class_level(ctx, fact, name, small.value)
        elif isinstance(stmt, cst.FunctionDef):
            decos = {astutil.name_of(astutil.decorator_call(d)[0]) for d in stmt.decorators}
            if decos & {"declared_attr", "declared_attr.directive"}:
                ret = _first_return(stmt)
                if isinstance(ret, cst.Call):
                    f = _field_from(ctx, stmt.name.value, None, ret)
                    if f is not None:
                        fact.fields.append(f)
                        fact.orm_hint = True
            elif stmt.name.value == "__init__":
                _init_facts(ctx, fact, stmt)
            elif stmt.name.value in ("__enter__", "__aenter__"):
                _init_facts(ctx, fact, stmt, types_only=True)  # a unit of work opening its repositories
        elif isinstance(stmt, cst.ClassDef) and stmt.name.value in ("Meta", "Settings", "Config", "ormar_config"):
            inner = stmt.body.body if isinstance(stmt.body, cst.IndentedBlock) else ()
            t = _class_attr_str(inner, ("table", "tablename", "name", "collection", "db_table"))
            if t and stmt.name.value != "Config":
                fact.tablename = fact.tablename or t
                fact.orm_hint = True
    if any(f.is_column and (f.fk or f.relation) for f in fact.fields):
        fact.orm_hint = True
    return fact


def _class_level(ctx: FileContext, fact: ClassFact, name: str, value: Optional[cst.BaseExpression]) -> None:
    if value is None:
        return
    if name == "__tablename__":
        s = astutil.literal_str(value)
        if s:
            fact.tablename = s
        fact.orm_hint = True
    elif name == "__table__" and isinstance(value, cst.Call):
        s = astutil.literal_str(astutil.argument(value, "name", 0))
        if s:
            fact.tablename = s
        fact.orm_hint = True
    elif name == "status_code":
        st = status_of(value)
        if st:
            fact.status_code = st
    elif name == "ormar_config" and isinstance(value, cst.Call):
        s = astutil.literal_str(astutil.argument(value, "tablename"))
        if s:
            fact.tablename = s
        fact.orm_hint = True
    elif isinstance(value, (cst.Name, cst.Attribute)):
        q = ctx.qualify(value)
        if q:
            fact.class_refs[name] = q
    if isinstance(value, cst.Call) and _name_tail(value.func) in ("Column", "mapped_column"):
        fact.orm_hint = True


def _first_return(func: cst.FunctionDef) -> Optional[cst.BaseExpression]:
    body = func.body.body if isinstance(func.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Return):
                    return small.value
    return None


def _param_type(ctx: FileContext, param: cst.Param) -> str:
    """The class a parameter holds: its annotation (unwrapped), or the dependency of a bare
    `Depends()` / `Depends(Cls)` default."""
    ann = param.annotation.annotation if param.annotation is not None else None
    if isinstance(ann, cst.Subscript) and astutil.name_of(ann.value) == "Annotated":
        elems = [e.slice.value for e in ann.slice if isinstance(e.slice, cst.Index)]
        ann = elems[0] if elems else None
    inner = unwrap_annotation(ann) if ann is not None else None
    if isinstance(inner, (cst.Name, cst.Attribute, cst.SimpleString)):
        return ref_of(ctx, inner)
    if isinstance(param.default, cst.Call) and astutil.name_of(param.default.func) in ("Depends", "Security") \
            and param.default.args and isinstance(param.default.args[0].value, (cst.Name, cst.Attribute)):
        return ref_of(ctx, param.default.args[0].value)
    return ""


def _init_facts(ctx: FileContext, fact: ClassFact, func: cst.FunctionDef, types_only: bool = False) -> None:
    plist = astutil.parameters(func)
    params = [p.name.value for p in plist] if not types_only else []
    types = {p.name.value: _param_type(ctx, p) for p in plist}
    body = func.body.body if isinstance(func.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, (cst.Assign, cst.AnnAssign)):
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                for t in targets:
                    if not (isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self"):
                        continue
                    v = small.value
                    if isinstance(v, cst.Name) and v.value in params:
                        fact.init_attrs[t.attr.value] = v.value
                        if types.get(v.value):
                            fact.attr_types[t.attr.value] = types[v.value]
                    elif mongo.collection_literal(v):  # `self.collection = db["notes"]`
                        fact.attr_types[t.attr.value] = mongo.COLLECTION_PREFIX + mongo.collection_literal(v)
                    elif isinstance(v, cst.Call) and isinstance(v.func, (cst.Name, cst.Attribute)):
                        ref = ref_of(ctx, v.func)
                        if ref.split(".")[-1][:1].isupper():
                            fact.attr_types[t.attr.value] = ref
                    if isinstance(small, cst.AnnAssign):
                        vt = store_value_type(ctx, small.annotation.annotation)
                        if vt:
                            fact.stores[t.attr.value] = vt
                        inner = unwrap_annotation(small.annotation.annotation)
                        if isinstance(inner, (cst.Name, cst.Attribute)):
                            fact.attr_types[t.attr.value] = ref_of(ctx, inner)
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) and not types_only:
                call = small.value
                if isinstance(call.func, cst.Attribute) and call.func.attr.value == "__init__":
                    st = status_of(astutil.argument(call, "status_code", 0))
                    if st:
                        fact.status_code = st


# -- tables outside classes --------------------------------------------------------------------

def table_from_call(ctx: FileContext, call: cst.Call) -> Optional[TableFact]:
    """`Table("items", metadata, Column("owner_id", ForeignKey("users.id")))` and alembic's
    `op.create_table("items", sa.Column("owner_id", ...))`."""
    tail = _name_tail(call.func)
    if tail not in ("Table", "create_table") or not call.args:
        return None
    name = astutil.literal_str(call.args[0].value)
    if not name:
        return None
    cols: List[str] = []
    fks: List[Tuple[str, str]] = []
    for arg in call.args[1:]:
        v = arg.value
        if isinstance(v, cst.Call) and _name_tail(v.func) == "Column" and v.args:
            col = astutil.literal_str(v.args[0].value)
            if col:
                cols.append(col)
                fk = _fk_in(ctx, v)
                if fk:
                    fks.append((col, fk.split(".")[0]))
        elif isinstance(v, cst.Call) and _name_tail(v.func) == "ForeignKeyConstraint" and len(v.args) >= 2:
            src = astutil.literal_value(v.args[0].value, None)
            dst = astutil.literal_value(v.args[1].value, None)
            if isinstance(src, list) and isinstance(dst, list) and src and dst and isinstance(dst[0], str):
                for s in src:
                    if isinstance(s, str):
                        fks.append((s, dst[0].split(".")[0]))
    if not cols:
        return None
    return TableFact(name=name, columns=tuple(cols), fks=tuple(fks))


_CREATE_TABLE = re.compile(
    r"create\s+table\s+(?:if\s+not\s+exists\s+)?[`\"\[]?(?:\w+[`\"\]]?\.[`\"\[]?)?(\w+)[`\"\]]?\s*\((.*?)\)\s*(?:;|$)",
    re.I | re.S,
)


def tables_from_sql(text: str) -> List[TableFact]:
    out = []
    if "create" not in text.lower():
        return out
    for m in _CREATE_TABLE.finditer(text):
        name, body = m.group(1), m.group(2)
        cols, fks = [], []
        for part in _split_top(body):
            part = part.strip()
            cm = re.match(r"[`\"\[]?(\w+)[`\"\]]?\s+\w+", part)
            if not cm or cm.group(1).lower() in ("primary", "foreign", "constraint", "unique", "check", "key", "index"):
                fm = re.match(r"(?:constraint\s+\w+\s+)?foreign\s+key\s*\(\s*[`\"]?(\w+)[`\"]?\s*\)\s*references\s+[`\"]?(\w+)",
                              part, re.I)
                if fm:
                    fks.append((fm.group(1), fm.group(2)))
                continue
            cols.append(cm.group(1))
            rm = re.search(r"references\s+[`\"]?(\w+)", part, re.I)
            if rm:
                fks.append((cm.group(1), rm.group(1)))
        if cols:
            out.append(TableFact(name=name, columns=tuple(cols), fks=tuple(fks)))
    return out


def _split_top(body: str) -> List[str]:
    parts, depth, cur = [], 0, []
    for ch in body:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts
