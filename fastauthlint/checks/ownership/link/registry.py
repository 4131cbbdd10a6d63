"""The model registry of the link phase: every class of the project with the fields it inherits
across files, which of them are persisted models (an ORM or ODM base, `table=True`, columns or a
table name), and which of those are owner-scoped.

A column is an owner column when its name is one of `owner-fields` (or a relationship `owner`
whose `owner_id` is), unless it is a foreign key to a table that is clearly not a principal
(a user, account, member or tenant table): `owner_id = Column(ForeignKey("service.id"))` names
the owning *service*, not a user. Tables declared outside classes (`Table(...)`, `CREATE TABLE`)
answer for raw SQL.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Set, Tuple

from fastauthlint.checks.ownership.facts import ClassFact, FieldFact, TableFact
from fastauthlint.checks.ownership.mongo import COLLECTION_CLASS
from fastauthlint.checks.ownership.schema_files import schema_tables
from fastauthlint.checks.ownership.summary.known import EXTERNAL_ROOTS

# Bases whose subclasses are persisted models whatever they declare.
ORM_ROOTS = (
    "tortoise.models.Model", "tortoise.Model", "beanie.Document", "beanie.odm.documents.Document",
    "odmantic.Model", "odmantic.model.Model", "ormar.Model", "piccolo.table.Table",
    "mongoengine.Document", "mongoengine.document.Document", "peewee.Model", "pynamodb.models.Model",
    "sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta",
    "flask_sqlalchemy.model.Model", "django.db.models.Model",
)
SQLMODEL_ROOT = "sqlmodel.SQLModel"

# A foreign key to one of these is an ownership link (users, accounts, tenants).
PRINCIPAL_RE = re.compile(
    r"user|account|member|person|people|owner|author|profile|customer|client|tenant|org|team|group|"
    r"workspace|compan|employee|staff|principal|identit|creator|login",
    re.I,
)


_AUDIT_PEER = re.compile(r"^(updated|modified|deleted|changed|last_modified|last_updated)_by(_user)?(_id)?$")
_CREATED_BY = re.compile(r"^created_by(_user)?(_id)?$")
_AUTHORED = re.compile(r"^(author|creator|created_by)(_user)?_id$")
# persons that are catalogue entries when their model holds no credential (`authors` of books)
_CATALOGUE_PERSON = re.compile(r"author|creator|person|people|writer|artist", re.I)
# A table linking users to a row as its members (`PodMember(pod_id, user_id)`, `EventAttendee`)
_MEMBERSHIP = re.compile(r"member|participant|attendee|collaborator|subscri|enrol|roster|invitee|guest", re.I)
_CREDENTIAL_FIELD = re.compile(r"password|passwd|email|username|login|hashed|secret|token|auth", re.I)


def _fk_tables(fk: str) -> Set[str]:
    """The table or class a foreign key names, lower-cased: `"users.id"` -> users, `User.id` or
    `app.models.User.id` -> user."""
    if not fk:
        return set()
    parts = fk.lower().split(".")
    return {parts[0], parts[-2] if len(parts) >= 2 else parts[0]}


@dataclass
class Model:
    qualname: str
    name: str
    path: str
    tablename: str
    owner_columns: Tuple[str, ...]  # column names ("owner_id")
    owner_relations: Tuple[str, ...] = ()  # relationship names standing for them ("owner")
    fields: Dict[str, FieldFact] = field(default_factory=dict)
    # a user model (the class the current user is loaded as): each row belongs to the user it is,
    # so changing one picked by the client is an ownership question (`PUT /users/{user_id}`)
    self_owned: bool = False
    # owned by authorship only (`created_by_id`, `author_id`): the author's rows only where the
    # project scopes rows by that column (the walk decides, link/walk.py)
    authored: bool = False

    @property
    def owned(self) -> bool:
        return bool(self.owner_columns)

    @property
    def random_ids(self) -> bool:
        """Rows keyed by random values (uuid4): an id cannot be guessed, only learnt."""
        return any(f.primary and f.random for f in self.fields.values())

    def owned_for(self, op: str) -> bool:
        """Whether a query doing `op` on this model must be scoped to the current user: rows with
        an owner column always; a user model's own rows when they are changed (reading another
        user's public profile is not a leak by itself)."""
        return self.owned or (self.self_owned and op in ("update", "delete"))


class ModelRegistry:
    """Every class of the project, with the fields it inherits, and the owner-scoped ones among
    them. Built once per run from the facts (`project.memo`)."""

    def __init__(self, project, facts: Dict[str, object], owner_fields: Sequence[str]):
        self.project = project
        self.owner_fields = tuple(owner_fields)
        self.classes: Dict[str, Tuple[str, ClassFact]] = {}  # qualname -> (path, fact)
        self.by_name: Dict[str, List[str]] = {}
        self.tables: Dict[str, TableFact] = {}
        declared: List[TableFact] = []
        self._random_refs = [(path, ref, key) for path, f in facts.items() for ref, key in getattr(f, "random_keys", ())]
        self._random_keys: Optional[Set[Tuple[str, str]]] = None  # see random_keys()
        for path, f in facts.items():
            for c in f.classes:
                self.classes[c.qualname] = (path, c)
                self.by_name.setdefault(c.name, []).append(c.qualname)
            declared += f.tables
        root = getattr(getattr(project, "config", None), "root", None)
        if root is not None:
            # schema.sql, migrations/*.sql: read once per run, though the ownership link and the
            # route table's risk view (risk_kinds.py) each build a registry
            memo = getattr(project, "memo", None)
            declared += memo("schema-tables", lambda: schema_tables(Path(root))) if memo else schema_tables(Path(root))
        # `notes = db.get_collection("notes")`: a module-level name for a Mongo collection
        self.collections: Dict[str, str] = {
            f"{f.module}.{i.name}" if f.module else i.name: i.literal
            for f in facts.values() for i in f.instances if i.cls == COLLECTION_CLASS}
        for t in declared:
            if t.kind == "mongo":
                continue
            prev = self.tables.get(t.name.lower())
            if prev is None or len(t.columns) > len(prev.columns):
                self.tables[t.name.lower()] = t
        for t in declared:  # a collection's owner keys, wherever its documents are written or filtered
            if t.kind != "mongo":
                continue
            name = self.collection_name(t.name)
            prev = self.tables.get(name.lower())
            if prev is None or prev.kind == "mongo":
                cols = tuple(dict.fromkeys((prev.columns if prev else ()) + t.columns))
                self.tables[name.lower()] = TableFact(name=name, columns=cols, kind="mongo")
        self._models: Dict[str, Optional[Model]] = {}
        self._chain: Dict[str, List[Tuple[str, ClassFact]]] = {}
        self.principal_models: Set[str] = set()  # qualnames of user models (annotations of users)
        self._by_table: Optional[Dict[str, Model]] = None
        self._owner_columns_anywhere: Optional[Set[str]] = None  # see owner_columns_anywhere
        self._user_links: Optional[Set[str]] = None  # see user_links_anywhere
        self._shared: Optional[Set[str]] = None
        # (model, column) the project compares with (or sets from) the current user's id
        self.user_columns: Set[Tuple[str, str]] = set()

    # -- classes ----------------------------------------------------------------------------
    def find_class(self, ref: str, near: Optional[str] = None) -> Optional[Tuple[str, ClassFact]]:
        if not ref:
            return None
        if ref in self.classes:
            return self.classes[ref]
        sym = self.project.resolve(ref, near=near)
        if sym is not None and not sym.attrs:
            hit = self.classes.get(f"{sym.module}.{sym.name}" if sym.module else sym.name)
            if hit is not None:
                return hit
        if "." in ref and ref.split(".")[0] in EXTERNAL_ROOTS:
            return None  # `pydantic.BaseModel` is not the project's own `BaseModel` ORM base
        # A forward reference by bare class name ("User", "models.User" in Tortoise).
        tail = ref.split(".")[-1]
        cands = self.by_name.get(tail, [])
        if len(cands) == 1:
            return self.classes[cands[0]]
        if cands and near is not None:
            best = max(cands, key=lambda q: len(os.path.commonprefix([self.classes[q][0], near])))
            return self.classes[best]
        return None

    def chain(self, qualname: str) -> List[Tuple[str, ClassFact]]:
        """The class and its project ancestors, most derived first (depth-first, no repeats)."""
        if qualname in self._chain:
            return self._chain[qualname]
        out: List[Tuple[str, ClassFact]] = []
        seen: Set[str] = set()

        def visit(q: str, depth: int) -> None:
            if q in seen or depth > 15 or q not in self.classes:
                return
            seen.add(q)
            path, c = self.classes[q]
            out.append((path, c))
            for b in c.bases:
                hit = self.find_class(b, near=path) if b not in self.classes else self.classes[b]
                if hit is not None:
                    visit(hit[1].qualname, depth + 1)

        visit(qualname, 0)
        self._chain[qualname] = out
        return out

    def external_bases(self, qualname: str) -> Set[str]:
        out: Set[str] = set()
        for path, c in self.chain(qualname):
            for b in c.bases:
                if self.find_class(b, near=path) is None:
                    out.add(b)
        return out

    def is_table_model(self, qualname: str) -> bool:
        chain = self.chain(qualname)
        if not chain:
            return False
        ext = self.external_bases(qualname)
        if any(b == SQLMODEL_ROOT or b.endswith(".SQLModel") or b == "SQLModel" for b in ext):
            return any(c.keywords.get("table") == "True" for _, c in chain)
        if any(c.keywords.get("table") == "True" for _, c in chain):
            return True
        if any(b in ORM_ROOTS or b.endswith(("declarative_base", ".Document", ".DeclarativeBase"))
               for b in ext):
            return True
        return any(c.orm_hint for _, c in chain)

    # -- models -----------------------------------------------------------------------------
    def forget_models(self) -> None:
        """Drop the models built so far (built again when asked): whether a foreign key names a
        principal depends on `principal_models`, learnt from the routes after some were built."""
        self._models.clear()
        self._shared = None
        self._owner_columns_anywhere = None
        self._user_links = None

    def user_links_anywhere(self) -> Set[str]:
        """Columns some model declares as a foreign key (or relationship) to the user or tenant
        table, whatever their name (`creator_id`, `manager_id`): comparing one with the current
        user and refusing on mismatch checks who manages the row, even where the model is not
        owner-scoped (a group its creator administers)."""
        if self._user_links is None:
            found: Set[str] = set()
            for q, (path, c) in list(self.classes.items()):
                for f in c.fields:
                    if (f.fk or f.relation) and not f.primary and self._principal_link(f, path):
                        found.add(f.column if f.fk else f"{f.name}_id")
            self._user_links = found
        return self._user_links

    def owner_columns_anywhere(self) -> Set[str]:
        """Every owner column of some model of the project, `owner-fields` included: the columns a
        comparison with the current user may be an ownership check on (`instructor_id`, the key of a
        relationship to the user)."""
        if self._owner_columns_anywhere is None:
            found = set(self.owner_fields)
            for q in list(self.classes):
                m = self.model(q)
                if m is not None:
                    found.update(m.owner_columns)
            self._owner_columns_anywhere = found
        return self._owner_columns_anywhere

    def model(self, ref: str, near: Optional[str] = None) -> Optional[Model]:
        hit = self.find_class(ref, near)
        if hit is None:
            return None
        q = hit[1].qualname
        if q not in self._models:
            self._models[q] = self._build(q)
        return self._models[q]

    def _build(self, qualname: str) -> Optional[Model]:
        if not self.is_table_model(qualname):
            return None
        chain = self.chain(qualname)
        path, cls = chain[0]
        fields: Dict[str, FieldFact] = {}
        tablename = ""
        for _, c in reversed(chain):
            for f in c.fields:
                fields[f.name] = f
            if c.tablename:
                tablename = c.tablename
        made = random_keys(self)
        for name, f in list(fields.items()):  # `Message(id=str(uuid4()))` in the code that makes rows
            if f.primary and not f.random and any((c.qualname, name) in made for _, c in chain):
                fields[name] = replace(f, random=True)
        if not tablename:
            tablename = cls.name.lower()
        owner_cols: List[str] = []
        owner_rels: List[str] = []
        # the audit trio (`created_by_id` beside `updated_by_id`/`deleted_by_id`) records who
        # touched shared rows, not whose they are
        audit = any(_AUDIT_PEER.match(g.column or g.name) for g in fields.values())
        for f in fields.values():
            col = f.column
            if audit and _CREATED_BY.match(col):
                continue
            if not (f.fk or f.relation) and _AUTHORED.match(col) and not any(
                    g.relation and f"{g.name}_id" == col for g in fields.values()) \
                    and (qualname, col) not in self.user_columns:
                # `author_id = Column(Integer)`: a number, not a link to an account, unless the
                # project compares it with the current user's id or sets it from it
                continue
            if f.primary and not (f.fk or f.relation) and sum(1 for g in fields.values() if g.primary) == 1:
                # the model's own key named like an owner column (`Account.user_id`); in a composite
                # key (`UserRole(user_id, role_id)`) each column refers to another table
                continue
            if f.random and not (f.fk or f.relation):
                continue  # drawn at random (`default_factory=uuid4`): the row's own key
            if col in self.owner_fields and self._principal_link(f, path):
                owner_cols.append(col)
                if f.name != col:
                    owner_rels.append(f.name)
            elif f.relation and f"{f.name}_id" in self.owner_fields and self._principal_link(f, path):
                key = self._relation_key(f, fields, tablename, cls.name, path) if f.mapped else f"{f.name}_id"
                if key is None:
                    continue  # the key is on the other table (a reverse one-to-one), or unclear
                owner_rels.append(f.name)
                if key not in owner_cols:
                    owner_cols.append(key)
        # `created_by_id`, `author_id`: who wrote the row (the walk asks the project whether it
        # scopes rows by it)
        authored = bool(owner_cols) and all(_AUTHORED.match(c) for c in owner_cols)
        return Model(qualname=qualname, name=cls.name, path=path, tablename=tablename,
                     owner_columns=tuple(dict.fromkeys(owner_cols)), owner_relations=tuple(owner_rels),
                     fields=fields, self_owned=qualname in self.principal_models and not owner_cols,
                     authored=authored)

    def _relation_key(self, f: FieldFact, fields: Dict[str, FieldFact], tablename: str, cls_name: str,
                      near: str) -> Optional[str]:
        """The owner column a `relationship()` to a user stands for: `<name>_id` when the model has it
        (or nothing says otherwise); the one other column that is a foreign key to the related table
        (`user = relationship("User")` keyed by `instructor_id = ForeignKey("users.id")`); None when the
        related model holds the key to this one (`User.employee_id`: the reverse side of a one-to-one
        names no owner here) or several columns could be the key."""
        default = f"{f.name}_id"
        if any((g.column or g.name) == default for g in fields.values()):
            return default
        hit = self.find_class(f.relation, near)
        if hit is None:
            return default
        target = hit[1]
        names = {(target.tablename or target.name).lower(), target.name.lower()}
        local = [g.column or g.name for g in fields.values() if g is not f and _fk_tables(g.fk) & names]
        if len(local) == 1:
            return local[0]
        if local:
            return None
        own = {tablename.lower(), cls_name.lower()}
        if any(_fk_tables(g.fk) & own for _, c in self.chain(target.qualname) for g in c.fields):
            return None
        return default

    def _principal_link(self, f: FieldFact, near: str) -> bool:
        target = f.fk or f.relation
        if not target:
            return True
        return self.is_principal(target, near)

    def is_principal(self, target: str, near: Optional[str] = None) -> bool:
        """Whether a foreign-key/relationship target is a user, account or tenant table."""
        t = target.strip()
        if not t:
            return True
        parts = t.split(".")
        if len(parts) == 2 and parts[0] != "models" and parts[1][:1].islower():
            name = parts[0]  # "user.id": a table and its column
            # the table of the class the current user is loaded as (`ForeignKey("students.id")`)
            if any(self.classes[q][1].tablename.lower() == name.lower() for q in self.principal_models
                   if q in self.classes and self.classes[q][1].tablename):
                return True
        else:
            name = parts[-1]
            hit = self.find_class(t, near)
            if hit is None and len(parts) > 2:
                hit = self.find_class(".".join(parts[:-1]), near)  # ForeignKey(User.id)
            if hit is not None:
                if hit[1].qualname in self.principal_models:
                    return True
                name = hit[1].name
        if self._catalogue_person(name, t, near):
            return False
        if name.lower() in {m.split(".")[-1].lower() for m in self.principal_models}:
            return True
        return PRINCIPAL_RE.search(name) is not None

    def _catalogue_person(self, name: str, target: str, near: Optional[str]) -> bool:
        """A person-named table of the project that is no account (`authors` with a name and a
        bio, no credential nor link to a user): a catalogue entry, not whoever owns the row."""
        if not _CATALOGUE_PERSON.search(name) or re.search(r"user|account|member|owner", name, re.I):
            return False
        hit = self.find_class(target, near)
        if hit is None:
            cands = [q for q, (_, c) in self.classes.items() if (c.tablename or "").lower() == name.lower()]
            if len(cands) != 1:
                return False
            hit = self.classes[cands[0]]
        if hit[1].qualname in self.principal_models:
            return False
        fields = [f for _, c in self.chain(hit[1].qualname) for f in c.fields]
        if not fields:
            return False
        return not any(_CREDENTIAL_FIELD.search(f.name) or f.column in self.owner_fields
                       or (f.fk or f.relation) and re.search(r"user|account", f.fk or f.relation, re.I)
                       for f in fields)

    def store_model(self, value_type: str, near: str, name: str = "", row_keys: Sequence[str] = ()) -> Optional[Model]:
        """The rows of an in-memory store: its value class (a model, a pydantic class, a dataclass)
        with an owner field, or the keys of its literal rows."""
        if value_type:
            m = self.model(value_type, near)
            if m is not None:
                return m
            hit = self.find_class(value_type, near)
            if hit is None:
                return None
            fields: Dict[str, FieldFact] = {}
            for _, c in reversed(self.chain(hit[1].qualname)):
                for f in c.fields:
                    fields[f.name] = f
            # a field drawn at random (`user_id: UUID = Field(default_factory=uuid4)`) is the row's
            # own key, not a reference to its owner
            cols = tuple(f.column for f in fields.values() if f.column in self.owner_fields
                         and not f.primary and not (f.random and not f.fk) and self._principal_link(f, near))
            return Model(qualname=hit[1].qualname, name=hit[1].name, path=hit[0], tablename="", owner_columns=cols,
                         fields=fields)
        cols = tuple(k for k in row_keys if k in self.owner_fields)
        return Model(qualname=f"store:{name}", name=name.split(".")[-1], path=near, tablename="", owner_columns=cols)

    def unlinked_authored(self) -> bool:
        """Whether some class has an author-like column without a foreign key (`author_id =
        Column(Integer)`): evidence decides whether it names a user."""
        return any(not (f.fk or f.relation) and _AUTHORED.match(f.column or f.name)
                   for _, c in self.classes.values() for f in c.fields)

    def shared_by_members(self, m: Model) -> bool:
        """Rows a membership table links users to (`PodMember(pod_id -> pods, user_id -> users)`,
        `EventAttendee`): the row's owner column names its host, and the row is meant to be seen by
        others (joining it, browsing it); reading one by id is a membership question, not an
        owner's, while changing one is still the host's alone."""
        if self._shared is None:
            self._shared = set()
            for q in sorted(self.classes):
                j = self.model(q)
                if j is None or not j.owned or not (_MEMBERSHIP.search(j.name) or _MEMBERSHIP.search(j.tablename)):
                    continue
                for f in j.fields.values():
                    target = f.fk or f.relation
                    if not target or f.column in j.owner_columns or f.name in j.owner_relations:
                        continue
                    t = self._target_model(target, j.path)
                    if t is not None and t.qualname != j.qualname and t.owned:
                        self._shared.add(t.qualname)
        return m.qualname in self._shared

    @staticmethod
    def is_membership(m: Model) -> bool:
        """A table linking users to something as its members (`Membership(org_id, user_id)`):
        its rows are the roster, which the other members see."""
        return bool(_MEMBERSHIP.search(m.name) or _MEMBERSHIP.search(m.tablename))

    def _target_model(self, target: str, near: str) -> Optional[Model]:
        parts = target.strip().split(".")
        if len(parts) == 2 and parts[0] != "models" and parts[1][:1].islower():
            return self.by_table(parts[0])  # "pods.id": a table and its column
        return self.model(target, near) or (self.model(".".join(parts[:-1]), near) if len(parts) > 1 else None)

    def collection_name(self, key: str) -> str:
        """`@app.db.notes` (a module-level name bound to a collection) -> "notes"; a literal name
        as it is; an unknown `@name` stays as it is (no table has that name)."""
        return self.collections.get(key[1:], key) if key.startswith("@") else key

    def by_table(self, table: str) -> Optional[Model]:
        if self._by_table is None:
            self._by_table = {}
            for q in sorted(self.classes):
                m = self.model(q)
                if m is not None:
                    self._by_table.setdefault(m.tablename.lower(), m)
        return self._by_table.get(table.lower())

    def table_model(self, table: str) -> Model:
        m = self.by_table(table)
        if m is not None:
            return m
        name, cols = self.table_owner_columns(table)
        return Model(qualname=f"table:{table}", name=name, path="", tablename=table, owner_columns=cols)

    def table_owner_columns(self, table: str) -> Tuple[str, Tuple[str, ...]]:
        """(display name, owner columns) of a table used in raw SQL."""
        m = self.by_table(table)
        if m is not None:
            return m.name, m.owner_columns
        t = self.tables.get(table.lower())
        if t is None:
            return table, ()
        fks = dict(t.fks)
        cols = tuple(c for c in t.columns if c in self.owner_fields
                     and (c not in fks or self.is_principal(fks[c])))
        return t.name, cols


def random_keys(reg: ModelRegistry) -> Set[Tuple[str, str]]:
    """(model, key) of rows the code builds with a key drawn at random (`Message(id=str(uuid4()))`)."""
    if reg._random_keys is None:
        reg._random_keys = set()
        for path, ref, key in reg._random_refs:
            hit = reg.find_class(ref, near=path)
            if hit is not None:
                reg._random_keys.add((hit[1].qualname, key))
    return reg._random_keys
