"""Plain-data facts the ownership check extracts from each file (never CST nodes: they are cached
as JSON and cross process boundaries).

The vocabulary:

- An `Origin` says where a value comes from inside one function: a parameter (`current_user.id`
  is `Origin("param", "current_user", ("id",))`), a project-level name (`Origin("global",
  "app.models.Item")`), the result of one of the function's query sites (`"site"`) or calls
  (`"call"`), a literal, the user a middleware stored on the request (`"request_user"`), or
  something unknown, or server-side request state (`"request_state"`: `request.state.user_id`,
  `getattr(request.state, "tenant_id", None)`, a ContextVar's `.get()`; whose it is depends on the
  route's authentication, decided at link time). Locals are resolved to the origin of what was assigned to them.
- A `QuerySite` is one ORM or SQL query with the model(s) or table(s) it reads or writes, the
  columns it filters and the origin of each filter value.
- A `CallSite` is a call that may enter another project function (a crud/service/repository
  helper), with the origin of each argument.
- An `OwnerCheck` is a comparison of a fetched object's owner column with some value (`if
  item.owner_id != current_user.id: raise ...`), or a call to a predicate that may be one.
- A `FuncSummary` holds all of those for one function; `ClassFact`, `InstanceFact`, `AliasFact`
  and `TableFact` describe models, module-level helper objects (`item = CRUDItem(Item)`),
  `Annotated[..., Depends(...)]` aliases and tables declared outside classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

from fastauthlint import serial
from fastauthlint.findings import Span
from fastauthlint.serial import Raw


@dataclass(frozen=True)
class Origin:
    kind: str  # param | global | site | call | dict | literal | request_user | request_state | unknown
    name: str = ""
    attrs: Tuple[str, ...] = ()

    def attr(self, *names: str) -> "Origin":
        if self.kind in ("literal", "unknown"):
            return self
        if self.kind == "global":
            return Origin("global", ".".join((self.name, *names)), ())
        return Origin(self.kind, self.name, self.attrs + tuple(names))

    @property
    def root(self) -> Tuple[str, str]:
        return (self.kind, self.name)


UNKNOWN = Origin("unknown")
LITERAL = Origin("literal")
# the key the database assigned to a row this function has just inserted (`cursor.lastrowid`,
# `INSERT ... RETURNING id`): chosen by the server, never by the client; a literal elsewhere
INSERTED = Origin("literal", "<inserted>")


@dataclass
class Denial:
    """How an ownership failure is answered: `raise HTTPException(status_code=403)`."""

    span: Span
    status: Optional[int]  # None when it cannot be told (a custom exception, `return None`)
    text: str  # e.g. "HTTPException(status_code=403)"
    exception: str = ""  # qualified name of a raised project exception class, to look up its status
    # a refusal by `return`: what the function hands back, for a caller that refuses on it (""
    # when raised): "none" (`return`, `return None`/`False`), "value" (`return error(...)`),
    # "pair" (`return None, error(...)`: a tuple holding the refusal next to an empty row)
    returns: str = ""


@dataclass
class OwnerCheck:
    """`kind`:
    - "deny": the branch taken on an owner mismatch ends the request (`if item.owner_id !=
      user.id: raise ...`);
    - "guard": code runs only on an owner match (`if note.author_id == user.id: <writes>`);
    - "filter": a comprehension or loop keeps only matching rows (`[i for i in items if
      i.owner_id == user.id]`);
    - "returns": the function returns the comparison (an ownership predicate);
    - "pred_deny" / "pred_guard": the test is a call (`if not can_edit(item, user): raise ...`),
      decided at link time from the callee's "returns" checks;
    - "identity" / "identity_guard": a value or row compared with the user itself (`if user_id !=
      current_user.id: raise ...`): afterwards it stands for the current user;
    - "member": `if x not in <ids of a row>: raise ...`: x belongs to that row;
    - "exists": `if not row: raise ...`: the request goes on only when the query (or helper call)
      found something;
    - "refused": `if err: return err` / `if err is not None: raise ...` of a helper call's result:
      the request goes on only when the helper handed back no refusal.
    """

    idx: int
    kind: str
    subject: Origin  # the object whose owner is compared (pred_*: unused)
    column: str  # owner attribute path as written: "owner_id", "owner.id"
    value: Origin  # what it is compared with
    order: int
    denial: Optional[Denial] = None
    call: int = -1  # pred_*: index of the CallSite of the predicate


@dataclass
class QuerySite:
    idx: int
    span: Span
    text: str  # the query as written, whitespace collapsed and shortened
    kind: str  # "orm" | "raw"
    models: Tuple[Origin, ...] = ()  # model references (global class names, self.model, params)
    tables: Tuple[str, ...] = ()  # raw SQL: table names read or written
    op: str = "read"  # read | update | delete
    filters: List[Tuple[str, Origin]] = field(default_factory=list)  # (column path, value origin)
    keys: List[Origin] = field(default_factory=list)  # identity arguments: session.get(M, <key>)
    admin: Tuple[int, ...] = ()  # admin conditions (FuncSummary.admin_conds) it is reached under
    guards: Tuple[int, ...] = ()  # enclosing "guard" owner checks
    order: int = 0
    # raw SQL: columns compared in WHERE/ON with the placeholder bound to each
    placeholders: List[Tuple[str, str]] = field(default_factory=list)
    alt_call: int = -1  # `crud.item.get(...)`: the same expression read as a helper call
    conds: Tuple[Tuple[str, bool], ...] = ()  # enclosing tests of a parameter's truthiness: (name, holds)
    sql_ref: str = ""  # raw SQL held in a constant of another module (resolved at link)
    params: List[Tuple[str, Origin]] = field(default_factory=list)  # raw SQL parameters by name / "#<n>"
    # an existence test only (`exists(select(...))`, `select(...).exists()`): no row leaves the
    # database; the query it conditions is judged on its own
    probe: bool = False


@dataclass
class CallSite:
    idx: int
    span: Span
    callee: Origin  # global dotted name, or a method on a parameter/local (param x attrs (method,))
    text: str  # dotted text of the callee as written
    args: Tuple[Origin, ...] = ()
    kwargs: Tuple[Tuple[str, Origin], ...] = ()
    star: bool = False
    passthrough: Optional[Origin] = None  # a query result given to it (`session.exec(stmt)`)
    admin: Tuple[int, ...] = ()
    guards: Tuple[int, ...] = ()
    order: int = 0
    alt_site: int = -1  # `crud.item.get(...)`: the same expression read as a model query
    conds: Tuple[Tuple[str, bool], ...] = ()
    writes: bool = False  # the row it returns is changed here (`row = get_x(db, k); row.name = v`)
    probe: bool = False  # what it returns is only tested for a conflict (`if existing: raise ...`)
    # `f(*args, **kwargs)`, `f(**filters)`: ("*" or "**", origin of what is unpacked)
    spread: Tuple[Tuple[str, Origin], ...] = ()


@dataclass
class ParamFact:
    name: str
    index: int  # position among positional parameters; -1 for keyword-only and *args, -2 for **kwargs
    annotation: str = ""  # qualified name of the (unwrapped) annotation, when it is a name
    depends: Optional[Origin] = None  # Depends(x)/Security(x): what x is
    depends_call: Optional[Origin] = None  # Depends(factory(Cls)): the first argument Cls
    alias: str = ""  # qualified name of the annotation when it may be an Annotated alias
    default_ref: str = ""  # qualified name of a default that may be a module-level Depends(...)
    span: Optional[Span] = None  # of the Depends(...) call, where a dependency problem is shown
    # `Annotated[T, make_dep(Model)]` / `= make_dep(Model)`: a project function that builds the
    # `Depends(...)` (what FastAPI calls is what it returns)
    factory: Optional[Origin] = None


@dataclass
class FuncSummary:
    qualname: str  # "<module>.<func>" or "<module>.<Class>.<method>"
    params: List[ParamFact] = field(default_factory=list)
    sites: List[QuerySite] = field(default_factory=list)
    calls: List[CallSite] = field(default_factory=list)
    checks: List[OwnerCheck] = field(default_factory=list)
    returns: List[Origin] = field(default_factory=list)
    self_name: str = ""  # first parameter of a method ("self"/"cls"), "" for plain functions
    # dict/list literals built in the function (`filters = {"user_id": user.id}`,
    # `conditions = [Item.owner_id == uid]`): their entries as (key or column, value origin)
    dicts: List[List[Tuple[str, Origin]]] = field(default_factory=list)
    admin_conds: List[Origin] = field(default_factory=list)  # whose admin flag each condition tests
    route_deps: List[CallSite] = field(default_factory=list)  # decorator dependencies=[Depends(x)]
    # it returns a SQL predicate (`or_(Model.dept_id == ..., ...)`, `Model.user_id == uid`,
    # `true()`): a condition some caller adds to a query
    predicate: bool = False
    # request state it sets: (`request.state.<attr>` as the attr, a ContextVar as "ctx:<qualified
    # name>", whether the value is copied straight from client input)
    state_sets: List[Tuple[str, bool]] = field(default_factory=list)
    # it compares a value the request carries (a parameter, a header) with a configured one
    # (`if api_key != settings.INTERNAL_API_KEY`, `compare_digest(key, os.environ["KEY"])`,
    # `key in settings.SERVICE_KEYS`): a shared secret, when nothing else identifies a caller
    key_compare: bool = False
    # attributes set on a value it holds (`order.user_id = user_id`): (the value, attribute, what)
    attr_sets: List[Tuple[Origin, str, Origin]] = field(default_factory=list)
    star_args: str = ""  # the name of its `*args` parameter


@dataclass
class FieldFact:
    name: str  # attribute name on the class
    column: str  # column name in queries (Tortoise FK `owner` -> `owner_id`)
    fk: str = ""  # foreign key target as written: "user.id", "models.User", or a qualified name
    relation: str = ""  # relationship()/Relationship()/Link[...] target model reference
    is_column: bool = False  # Column(...)/mapped_column(...)/Field(...)/fields.X(...)
    primary: bool = False  # the model's own key (`primary_key=True`, `pk=True`): never an owner reference
    random: bool = False  # a key the database or the model draws at random (`default_factory=uuid.uuid4`)
    # an ORM `relationship()`: its foreign key may live on the other table (the reverse side of a
    # one-to-one or one-to-many), so it names no owner column of its own
    mapped: bool = False


@dataclass
class ClassFact:
    name: str
    qualname: str
    bases: Tuple[str, ...] = ()  # qualified names (or dotted text) of the bases
    base_args: Tuple[Tuple[str, ...], ...] = ()  # per base: type arguments of a subscripted base
    keywords: Dict[str, str] = field(default_factory=dict)  # class keywords: table=True
    fields: List[FieldFact] = field(default_factory=list)
    tablename: str = ""  # __tablename__, Meta.table, Settings.name, __table__ name
    orm_hint: bool = False  # declares columns, __tablename__, Meta/Settings of an ORM
    class_refs: Dict[str, str] = field(default_factory=dict)  # class attr -> qualified name (model = Item)
    init_attrs: Dict[str, str] = field(default_factory=dict)  # self.<attr> = <param> in __init__
    # the class of an attribute: `repo: ItemRepository` in the body, `self.repo = ItemRepository(...)`,
    # or `self.repo = repo` for an `__init__(self, repo: ItemRepository)` parameter
    attr_types: Dict[str, str] = field(default_factory=dict)
    status_code: Optional[int] = None  # an exception class answering with this status
    decorators: Tuple[str, ...] = ()
    # in-memory stores held in attributes (`self.notes_by_id: Dict[int, Note] = {}`): attr -> value class
    stores: Dict[str, str] = field(default_factory=dict)


@dataclass
class InstanceFact:
    """`item = CRUDItem(Item)` / `items_repo = Repository(model=Item)` at module level."""

    name: str
    cls: str  # qualified class reference
    args: Tuple[str, ...] = ()  # qualified references of positional arguments ("" when not a name)
    kwargs: Tuple[Tuple[str, str], ...] = ()
    literal: str = ""  # a first string argument: `items = Table("items", metadata, ...)`


@dataclass
class AliasFact:
    """`CurrentUser = Annotated[User, Depends(get_current_user)]` or `X = Depends(f)`."""

    name: str
    depends: str  # qualified name of the dependency
    annotation: str = ""


@dataclass
class TableFact:
    """A table declared outside a model class: `Table("items", metadata, Column("owner_id",
    ...))`, `op.create_table(...)`, `CREATE TABLE items (...)`."""

    name: str
    columns: Tuple[str, ...] = ()
    fks: Tuple[Tuple[str, str], ...] = ()  # (column, target table)
    kind: str = ""  # "mongo": a collection's owner keys, seen where documents are written or filtered


@dataclass
class StoreFact:
    """A module-level in-memory store keyed by id: `NOTES: Dict[int, Note] = {}` (its value class),
    or a dict literal of rows `fake_db = {1: {"id": 1, "owner_id": 7, ...}}` (the keys of a row)."""

    name: str
    value_type: str = ""  # qualified reference of the value class
    row_keys: Tuple[str, ...] = ()  # keys of the literal rows


@dataclass
class SqlConstant:
    """A module-level string constant holding SQL (`INVOICE_BY_ID = "SELECT ... WHERE id = :id"`),
    parsed: its text is not kept."""

    name: str
    op: str
    tables: Tuple[str, ...]
    comparisons: Tuple[Tuple[str, str], ...]  # (column, placeholder key)


@dataclass
class OwnershipFacts:
    module: str
    functions: List[FuncSummary] = field(default_factory=list)
    classes: List[ClassFact] = field(default_factory=list)
    instances: List[InstanceFact] = field(default_factory=list)
    aliases: List[AliasFact] = field(default_factory=list)
    tables: List[TableFact] = field(default_factory=list)
    sql: List[SqlConstant] = field(default_factory=list)
    stores: List[StoreFact] = field(default_factory=list)
    # request state set by the file's functions: (key as in FuncSummary.state_sets, function
    # qualname, from client input)
    state_sets: List[Tuple[str, str, bool]] = field(default_factory=list)
    # rows built with a key drawn at random (`Message(id=str(uuid4()), ...)`): (class reference, key)
    random_keys: List[Tuple[str, str]] = field(default_factory=list)


@dataclass
class StoredOwnership:
    """What a file's ownership facts are once extracted: the same as OwnershipFacts, with each
    function summary kept packed (serial.pack) next to its qualified name. They are most of the
    facts (thousands per project) and the linker reads only those it reaches from a route, so a
    summary is unpacked when the linker first asks for it (`summary`)."""

    module: str
    functions: Raw  # [[qualname, packed FuncSummary], ...] in source order
    classes: List[ClassFact] = field(default_factory=list)
    instances: List[InstanceFact] = field(default_factory=list)
    aliases: List[AliasFact] = field(default_factory=list)
    tables: List[TableFact] = field(default_factory=list)
    sql: List[SqlConstant] = field(default_factory=list)
    stores: List[StoreFact] = field(default_factory=list)
    state_sets: List[Tuple[str, str, bool]] = field(default_factory=list)
    random_keys: List[Tuple[str, str]] = field(default_factory=list)

    def qualnames(self) -> Iterator[Tuple[int, str]]:
        """(index, qualname) of every function summary, in source order."""
        for i, entry in enumerate(self.functions):
            yield i, entry[0]

    def summary(self, index: int) -> FuncSummary:
        return unpack_summary(self.functions[index][1])


def store(facts: OwnershipFacts) -> StoredOwnership:
    return StoredOwnership(
        module=facts.module, functions=[[fs.qualname, serial.pack(fs, FuncSummary)] for fs in facts.functions],
        classes=facts.classes, instances=facts.instances, aliases=facts.aliases, tables=facts.tables, sql=facts.sql,
        stores=facts.stores, state_sets=facts.state_sets, random_keys=facts.random_keys)


def unpack_summary(packed: Any) -> FuncSummary:
    return serial.unpack(packed, FuncSummary)
