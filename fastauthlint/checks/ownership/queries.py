"""Per-function summaries: the query sites of a function, the calls it makes with the origin of
each argument, the ownership checks it performs and what it returns.

One `FunctionWalker` reads one function body (a small subtree walk, run from the batched
visitor's `leave_FunctionDef`; nested functions are summarised on their own). It follows values
through local variables in statement order, so that

    statement = select(Item)
    if not current_user.is_superuser:
        statement = statement.where(Item.owner_id == current_user.id)
    items = (await session.execute(statement)).scalars().all()

is one query site on `Item` filtered on `owner_id` with `current_user.id`, and `items` is its result.
Which parameters hold the current user is only known at link time (from the route table), so a
filter value is recorded by origin (`param current_user .id`), never judged here.
"""

from __future__ import annotations

import re
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.ownership.facts import (
    LITERAL, UNKNOWN, CallSite, Denial, FuncSummary, Origin, OwnerCheck, ParamFact, QuerySite,
)
from fastauthlint.checks.ownership.models import ref_of, status_of, unwrap_annotation
from fastauthlint.checks.ownership.spans import FunctionLocator
from fastauthlint.checks.ownership.sql import parse_sql, placeholder_key
from fastauthlint.context import FileContext
from fastauthlint.findings import Span
from fastauthlint.project.names import dotted

SELECT_FUNCS = {
    "sqlalchemy.select", "sqlalchemy.future.select", "sqlalchemy.sql.select", "sqlalchemy.sql.expression.select",
    "sqlmodel.select", "sqlmodel.sql.expression.select", "sqlalchemy.orm.Query",
}
UPDATE_FUNCS = {"sqlalchemy.update", "sqlalchemy.sql.update", "sqlalchemy.sql.expression.update", "sqlmodel.update",
                "sqlalchemy.dialects.postgresql.update"}
DELETE_FUNCS = {"sqlalchemy.delete", "sqlalchemy.sql.delete", "sqlalchemy.sql.expression.delete", "sqlmodel.delete"}
# Methods that, called on a model class, query it (Tortoise, Beanie, ODMantic-less ORMs, ormar,
# peewee, Piccolo, active-record helpers): `Item.get(id=...)`, `Item.filter(owner=user)`.
MODEL_METHODS = {
    "get", "get_or_none", "get_or_404", "first_or_404", "filter", "filter_by", "all", "first", "exclude",
    "find", "find_one", "find_many", "find_all", "select", "get_by_id", "get_by", "delete", "update",
    "count", "exists", "raw", "aggregate", "get_multi", "get_all", "objects", "where", "one",
    "one_or_none", "fetch", "search", "list", "get_many", "delete_many", "update_many",
    "find_one_and_update", "find_one_and_delete", "select_for_update", "in_bulk", "db_delete", "get_joined",
    "get_multi_joined", "get_multi_by_cursor", "update_multi", "delete_multi",
}
# Methods that refine a query already built (its filters are the query's filters).
FILTER_METHODS = {"where", "filter", "filter_by", "having", "join", "outerjoin", "join_from",
                  "select_from", "exclude", "find", "find_one", "get", "get_or_none", "first_or_none",
                  "find_many", "one_or_none", "get_one", "bindparams", "params", "update", "delete",
                  "values", "find_all", "exists", "count", "filter_and", "where_in"}
UPDATE_METHODS = {"update", "values", "save", "set", "inc", "update_from_dict", "upsert", "replace",
                  "modify", "find_one_and_update"}
DELETE_METHODS = {"delete", "remove", "delete_many", "find_one_and_delete", "db_delete", "delete_multi"}
SESSION_QUERY = {"query"}
SESSION_GET = {"get", "get_one"}
ODMANTIC_METHODS = {"find", "find_one", "count"}
RAW_FUNCS = {"text", "execute", "exec_driver_sql", "fetch", "fetch_all", "fetch_one", "fetchrow", "fetchval",
             "fetch_val", "iterate", "executemany", "execute_many", "mogrify", "fetchall", "fetchone",
             "fetch_row", "fetch_many", "execute_query", "run_query", "query_raw", "execute_raw", "raw"}
CONVERSIONS = {"str", "int", "UUID", "uuid.UUID", "ObjectId", "bson.ObjectId", "PydanticObjectId",
               "beanie.PydanticObjectId", "bson.objectid.ObjectId", "uuid.UUID"}
DEPENDS = {"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.params.Security",
           "Depends", "Security"}
REQUEST_TYPES = {"fastapi.Request", "starlette.requests.Request", "fastapi.requests.Request",
                 "fastapi.WebSocket", "starlette.websockets.WebSocket", "Request"}
HTTP_EXCEPTIONS = {"fastapi.HTTPException", "starlette.exceptions.HTTPException", "fastapi.exceptions.HTTPException",
                   "HTTPException"}
RESPONSES = {"JSONResponse", "Response", "PlainTextResponse", "ORJSONResponse", "UJSONResponse", "HTMLResponse"}
# Calls into these packages never reach project code: not worth recording as call sites.
EXTERNAL_ROOTS = {
    "sqlalchemy", "sqlmodel", "fastapi", "starlette", "pydantic", "typing", "logging", "datetime", "os", "json",
    "uuid", "re", "tortoise", "beanie", "odmantic", "asyncio", "time", "math", "random", "secrets", "hashlib",
    "hmac", "base64", "jwt", "jose", "passlib", "bcrypt", "httpx", "requests", "collections", "itertools",
    "functools", "contextlib", "decimal", "enum", "pathlib", "shutil", "subprocess", "sys", "traceback",
    "warnings", "copy", "dataclasses", "string", "urllib", "email", "html", "io", "csv", "inspect", "operator",
    "structlog", "loguru", "sentry_sdk", "celery", "redis", "boto3", "botocore", "aiohttp", "numpy", "pandas",
    "alembic", "databases", "asyncpg", "psycopg2", "psycopg", "motor", "pymongo", "bson", "ormar", "peewee",
    "piccolo", "mongoengine", "fastapi_users", "fastapi_pagination", "slowapi", "orjson", "ujson", "yaml",
    "zoneinfo", "pytz", "dateutil", "arrow", "pendulum", "tenacity", "anyio", "aiofiles", "jinja2", "markdown",
}
_ADMIN_NAME = re.compile(r"superuser|admin|is_staff|is_root|sudo|staff_only", re.I)
_ADMIN_LITERAL = re.compile(r"^(super_?user|super_?admin|admin|administrator|root|staff|sysadmin|owner_admin)$|admin",
                            re.I)
_RAISER = re.compile(r"^_?(abort|raise|throw|deny|forbid|reject|fail|not_found|forbidden|unauthori[sz]ed)", re.I)
_MODEL_ATTRS = {"model", "_model", "model_class", "_model_class", "model_cls", "__model__", "entity", "_entity",
                "document", "document_class", "table"}
_VISIBILITY_WORD = re.compile(r"public|publish|shared|visible", re.I)
_IDENTITY_ATTRS = {"id", "pk", "uuid", "username", "email", "sub", "user_id", "_id"}
_MODEL_PARAM = re.compile(r"^(cls|klass|entity|table|model\w*|\w*_model|\w*_cls|\w*_class)$")
_NOT_FOUND_NAME = re.compile(r"not_?found|does_?not_?exist|no_?such|missing", re.I)
_FORBIDDEN_NAME = re.compile(r"forbidden|permission|not_?allowed|access_?denied|not_?owner|not_?authori[sz]ed",
                             re.I)


def _strip_comments(text: str) -> str:
    out = []
    for line in text.split("\n"):
        quote = None
        for k, ch in enumerate(line):
            if quote is not None:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == "#":
                line = line[:k]
                break
        out.append(line)
    return "\n".join(out)


_OPAQUE_STRING = re.compile(r"""(?P<q>['"])(?P<body>[^'"\s]{16,})(?P=q)""")


def _collapse(text: str, limit: int = 90) -> str:
    """The query as shown in messages: one line, no comments, shortened; long opaque string
    literals (what a token or key looks like) are elided, since messages and cached facts must
    never carry a secret."""
    if "#" in text:
        text = _strip_comments(text)
    text = _OPAQUE_STRING.sub(lambda m: f"{m.group('q')}…{m.group('q')}", text)
    text = " ".join(text.split())
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    text = re.sub(r"\s*\.\s*", ".", text) if "\"" not in text and "'" not in text else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _terminates(block: Optional[cst.BaseSuite]) -> bool:
    if block is None:
        return False
    stmts = block.body if isinstance(block, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    for stmt in stmts:
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else (
            [stmt] if isinstance(stmt, cst.BaseSmallStatement) else [])
        for small in smalls:
            if isinstance(small, (cst.Raise, cst.Return, cst.Continue, cst.Break)):
                return True
            # `raise_not_found()` / `abort(404)`: helpers that raise
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Call, cst.Await)):
                call = small.value.expression if isinstance(small.value, cst.Await) else small.value
                if isinstance(call, cst.Call) and _RAISER.match(astutil.name_of(call.func) or ""):
                    return True
    return False


def _block_statements(block: Optional[cst.BaseSuite]) -> Sequence:
    if isinstance(block, cst.IndentedBlock):
        return block.body
    if isinstance(block, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=block.body)]
    return ()


class _Sink:
    """Collects the filters of a condition that is not (yet) part of a query."""

    def __init__(self):
        self.filters: List[Tuple[str, Origin]] = []
        self.keys: List[Origin] = []


class FunctionWalker:
    def __init__(self, ctx: FileContext, func: cst.FunctionDef, qualname: str, owner_fields: Sequence[str],
                 constants: Dict[str, str], in_class: bool, loc: FunctionLocator):
        self.ctx = ctx
        self.loc = loc
        self.func = func
        self.owner_fields = set(owner_fields)
        self.constants = constants
        self.summary = FuncSummary(qualname=qualname)
        self.env: Dict[str, Origin] = {}
        self.strings: Dict[str, str] = {}
        self.exceptions: Dict[str, Denial] = {}
        self.params: Set[str] = set()
        self.request_params: Set[str] = set()
        self.order = 0
        self.admin: Tuple[int, ...] = ()
        self.guards: Tuple[int, ...] = ()
        self.conds: Tuple[Tuple[str, bool], ...] = ()  # `if owner_id:` / `else:` of a parameter
        self.loop_subjects: List[Origin] = []
        self._collect: Optional[List[Origin]] = None
        self._call_of_node: Dict[int, int] = {}
        self._site_nodes: Dict[int, int] = {}
        self.admin_conds: List[Origin] = []
        self.in_class = in_class
        self._pre: Optional[Tuple[cst.Call, cst.BaseExpression, Origin]] = None
        self._last: Origin = UNKNOWN  # origin of the last expression _filters_from evaluated
        self.bool_exprs: Dict[str, cst.BaseExpression] = {}  # `is_owner = item.owner_id == user.id`
        self._test_node = None  # the condition whose refusal branch is being located
        self._test_span_cache = None

    # -- entry -----------------------------------------------------------------------------
    def run(self) -> FuncSummary:
        self._params()
        if self.in_class and self.summary.params and self.summary.params[0].index == 0:
            decos = {astutil.name_of(astutil.decorator_call(d)[0]) for d in self.func.decorators}
            if "staticmethod" not in decos:
                self.summary.self_name = self.summary.params[0].name
        self._route_deps()
        self.block(_block_statements(self.func.body))
        self.summary.admin_conds = self.admin_conds
        return self.summary

    def _params(self) -> None:
        p = self.func.params
        positional = list(p.posonly_params) + list(p.params)
        ordered = [(x, i) for i, x in enumerate(positional)]
        if isinstance(p.star_arg, cst.Param):
            ordered.append((p.star_arg, -1))
        ordered += [(x, -1) for x in p.kwonly_params]
        if p.star_kwarg is not None:
            ordered.append((p.star_kwarg, -1))
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
            elif ann is not None:
                inner = unwrap_annotation(ann)
                fact.annotation = ref_of(self.ctx, inner) if isinstance(inner, (cst.Name, cst.Attribute, cst.SimpleString)) else ""
                if isinstance(ann, (cst.Name, cst.Attribute)):
                    fact.alias = fact.annotation
            if isinstance(param.default, cst.Call) and self._is_depends(param.default):
                dep_call = param.default
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

    def _is_depends(self, call: cst.Call) -> bool:
        q = self.ctx.qualify(call.func) or dotted(call.func) or ""
        return q in DEPENDS or q.endswith((".Depends", ".Security"))

    # -- statements -------------------------------------------------------------------------
    def block(self, stmts: Sequence) -> None:
        saved_admin, saved_conds = self.admin, self.conds
        stmts = list(stmts)
        for i, stmt in enumerate(stmts):
            self.stmt(stmt, stmts[i + 1:])
        self.admin, self.conds = saved_admin, saved_conds

    def stmt(self, stmt, following: Sequence) -> None:
        self.order += 1
        self.loc.statement(stmt if isinstance(stmt, cst.SimpleStatementLine) else None)
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.small(small)
        elif isinstance(stmt, cst.If):
            self.if_stmt(stmt, following)
        elif isinstance(stmt, cst.For):
            it = self.eval(stmt.iter)
            self.bind(stmt.target, it)
            self.loop_subjects.append(it)
            self.block(_block_statements(stmt.body))
            self.loop_subjects.pop()
            if stmt.orelse is not None:
                self.block(_block_statements(stmt.orelse.body))
        elif isinstance(stmt, cst.While):
            self.eval(stmt.test)
            self.block(_block_statements(stmt.body))
            if stmt.orelse is not None:
                self.block(_block_statements(stmt.orelse.body))
        elif isinstance(stmt, cst.With):
            for item in stmt.items:
                o = self.eval(item.item)
                if item.asname is not None:
                    self.bind(item.asname.name, o)
            self.block(_block_statements(stmt.body))
        elif isinstance(stmt, (cst.Try, getattr(cst, "TryStar", cst.Try))):
            self.block(_block_statements(stmt.body))
            for h in stmt.handlers:
                if h.name is not None:
                    self.bind(h.name.name, UNKNOWN)
                self.block(_block_statements(h.body))
            if stmt.orelse is not None:
                self.block(_block_statements(stmt.orelse.body))
            if stmt.finalbody is not None:
                self.block(_block_statements(stmt.finalbody.body))
        elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            return
        elif type(stmt).__name__ == "Match":
            self.eval(stmt.subject)
            for case in stmt.cases:
                self.block(_block_statements(case.body))

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
                    if isinstance(value, (cst.Comparison, cst.BooleanOperation, cst.UnaryOperation)):
                        self.bool_exprs[t.target.value] = value
                    else:
                        self.bool_exprs.pop(t.target.value, None)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                o = self.eval(small.value)
                self._remember_literals(small.target, small.value)
                self.bind(small.target, o)
        elif isinstance(small, cst.AugAssign):
            self.eval(small.value)
            if isinstance(small.target, cst.Name) and small.target.value in self.strings:
                s = astutil.literal_str(small.value)
                if s is not None:
                    self.strings[small.target.value] += s
        elif isinstance(small, cst.Return):
            if small.value is not None:
                self._collect = []
                o = self.eval(small.value)
                collected = self._collect
                self._collect = None
                for subj, col, val, mismatch in self.owner_comparisons(small.value):
                    if not mismatch:
                        self._add_check("returns", subj, col, val, None, small.value)
                outs = [o] + [c for c in collected if c.kind in ("site", "call", "param")]
                for x in outs:
                    if x.kind not in ("unknown", "literal") and x not in self.summary.returns:
                        self.summary.returns.append(x)
        elif isinstance(small, cst.Raise):
            if small.exc is not None:
                self.eval(small.exc)
        elif isinstance(small, cst.Assert):
            self.eval(small.test)
            for subj, col, val, mismatch in self.owner_comparisons(small.test):
                if not mismatch:
                    self._add_check("deny", subj, col, val, None, small.test)
            for subj, col, val, mismatch in self.identity_comparisons(small.test):
                if not mismatch:
                    self._add_check("identity", subj, col, val, None, small.test)

    def _remember_literals(self, target, value) -> None:
        if not isinstance(target, cst.Name):
            return
        s = astutil.literal_str(value)
        if s is not None:
            self.strings[target.value] = s
        elif target.value in self.strings:
            del self.strings[target.value]
        if isinstance(value, cst.Call):
            d = self._exception_denial(value)
            if d is not None:
                self.exceptions[target.value] = d

    def bind(self, target, origin: Origin) -> None:
        if isinstance(target, cst.Name):
            self.env[target.value] = origin
        elif isinstance(target, cst.Subscript):
            # filters["user_id"] = current_user.id
            base = self._peek(target.value)
            if base.kind == "dict" and not base.attrs:
                key = None
                for el in target.slice:
                    if isinstance(el.slice, cst.Index):
                        key = astutil.literal_str(el.slice.value)
                self.summary.dicts[int(base.name)].append((key or "*", origin))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                # `item, = ...` / `for a, b in rows`: elements derive from the same rows
                self.bind(el.value, origin if origin.kind in ("site", "call", "param") else UNKNOWN)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, origin)

    # -- if statements: admin branches, ownership checks, predicates ------------------------
    def if_stmt(self, node: cst.If, following: Sequence) -> None:
        test = node.test
        self.eval(test)
        self._test_node = test
        self._test_span_cache = None
        body_term = _terminates(node.body)
        orelse = node.orelse
        admin = self.admin_polarity(test)
        if admin is not None:
            pol, cond = admin
            cid = len(self.admin_conds)
            self.admin_conds.append(cond)
            saved = self.admin
            if pol:
                self.admin = saved + (cid,)
                self.block(_block_statements(node.body))
                self.admin = saved
                self._orelse(orelse, following)
            else:
                self.block(_block_statements(node.body))
                self.admin = saved + (cid,)
                self._orelse(orelse, following)
                self.admin = saved
                if body_term:
                    self.admin = saved + (cid,)  # the rest of this block runs for admins only
            return
        comps = self.owner_comparisons(test)
        guard_ids: List[int] = []
        for subj, col, val, mismatch in comps:
            if mismatch and body_term:
                self._add_check("deny", subj, col, val, self._denial_in(node.body), test)
            elif mismatch and self.loop_subjects:
                pass
            elif not mismatch:
                denial = None
                if orelse is not None and isinstance(orelse, cst.Else) and _terminates(orelse.body):
                    denial = self._denial_in(orelse.body)
                elif following:
                    denial = self._denial_stmt(following[0])
                guard_ids.append(self._add_check("guard", subj, col, val, denial, test))
        # `for x in rows: if x.owner_id != me: continue` keeps only the user's rows
        if comps and self.loop_subjects and body_term:
            for subj, col, val, mismatch in comps:
                if mismatch:
                    self._add_check("filter", self.loop_subjects[-1], col, val, None, test)
        # `if question_id not in {q.id for q in collection.questions}: raise ...`
        if body_term:
            for subj, val in self._membership(test):
                self._add_check("member", subj, "", val, None, test)
        # `if user_id != current_user.id: raise ...` / `if user == current_user:` (decided at link)
        for subj, col, val, mismatch in self.identity_comparisons(test):
            if mismatch and body_term:
                self._add_check("identity", subj, col, val, None, test)
            elif not mismatch:
                guard_ids.append(self._add_check("identity_guard", subj, col, val, None, test))
        if not comps:
            for call_idx, negated in self._predicate_calls(test):
                if negated and body_term:
                    self._add_pred("pred_deny", call_idx, self._denial_in(node.body), test)
                elif not negated:
                    denial = None
                    if orelse is not None and isinstance(orelse, cst.Else) and _terminates(orelse.body):
                        denial = self._denial_in(orelse.body)
                    elif following:
                        denial = self._denial_stmt(following[0])
                    guard_ids.append(self._add_pred("pred_guard", call_idx, denial, test))
        saved_guards, saved_conds = self.guards, self.conds
        truth = self._param_truth(test)
        self.guards = saved_guards + tuple(guard_ids)
        if truth is not None:
            self.conds = saved_conds + (truth,)
        before = self.env.get(truth[0]) if truth is not None else None
        self.block(_block_statements(node.body))
        if truth is not None and not truth[1] and self.env.get(truth[0]) != before:
            # `if filters is None: filters = {}`: a default, the caller's value still flows on
            self.env[truth[0]] = self._new_dict([("*", before or Origin("param", truth[0])),
                                                 ("*", self.env.get(truth[0], UNKNOWN))])
        self.guards = saved_guards
        if truth is not None:
            self.conds = saved_conds + ((truth[0], not truth[1]),)
        self._orelse(orelse, following)
        self.conds = saved_conds
        if truth is not None and body_term and orelse is None:
            # `if owner_id: return <filtered>` then the rest runs only when it is empty
            self.conds = saved_conds + ((truth[0], not truth[1]),)

    def _param_truth(self, test) -> Optional[Tuple[str, bool]]:
        """`if owner_id:` -> ("owner_id", True); `if owner_id is None:` -> ("owner_id", False)."""
        negated = False
        while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            negated = not negated
            test = test.expression
        if isinstance(test, cst.Name) and test.value in self.params and test.value not in self.env:
            return test.value, not negated
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name) \
                and test.left.value in self.params and test.left.value not in self.env:
            comp = test.comparisons[0]
            if isinstance(comp.comparator, cst.Name) and comp.comparator.value == "None":
                if isinstance(comp.operator, (cst.Is, cst.Equal)):
                    return test.left.value, negated
                if isinstance(comp.operator, (cst.IsNot, cst.NotEqual)):
                    return test.left.value, not negated
        return None

    def _orelse(self, orelse, following) -> None:
        if orelse is None:
            return
        if isinstance(orelse, cst.If):
            self.order += 1
            self.if_stmt(orelse, following)
        else:
            self.block(_block_statements(orelse.body))

    def _add_check(self, kind: str, subj: Origin, col: str, val: Origin, denial: Optional[Denial], node) -> int:
        idx = len(self.summary.checks)
        self.summary.checks.append(OwnerCheck(idx=idx, kind=kind, subject=subj, column=col, value=val,
                                              order=self.order, denial=denial))
        return idx

    def _add_pred(self, kind: str, call_idx: int, denial: Optional[Denial], node) -> int:
        idx = len(self.summary.checks)
        self.summary.checks.append(OwnerCheck(idx=idx, kind=kind, subject=UNKNOWN, column="", value=UNKNOWN,
                                              order=self.order, denial=denial, call=call_idx))
        return idx

    def _predicate_calls(self, test) -> List[Tuple[int, bool]]:
        """Calls in a condition with whether the body runs when the call is false:
        `if not item or not can_access(item, user): raise` -> [(can_access, True)]."""
        out: List[Tuple[int, bool]] = []

        seen: Set[str] = set()

        def visit(e, negated: bool) -> None:
            if isinstance(e, cst.Name) and e.value in self.bool_exprs and e.value not in seen:
                seen.add(e.value)
                visit(self.bool_exprs[e.value], negated)
                return
            if isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not):
                visit(e.expression, not negated)
            elif isinstance(e, cst.BooleanOperation):
                visit(e.left, negated)
                visit(e.right, negated)
            elif isinstance(e, cst.Await):
                visit(e.expression, negated)
            elif isinstance(e, cst.Call) and id(e) in self._call_of_node:
                out.append((self._call_of_node[id(e)], negated))

        visit(test, False)
        return out

    # admin tests ---------------------------------------------------------------------------
    def admin_polarity(self, test) -> Optional[Tuple[bool, Origin]]:
        """(True, whose) when the test holds only for admins (`current_user.is_superuser`,
        `user.role == "admin"`, `crud.user.is_superuser(user)`), (False, whose) for its negation;
        None when the test is not purely about being an admin."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self.admin_polarity(test.expression)
            return (not inner[0], inner[1]) if inner else None
        if isinstance(test, cst.BooleanOperation):
            a, b = self.admin_polarity(test.left), self.admin_polarity(test.right)
            if a and b and a[0] == b[0]:
                return a
            return None
        if isinstance(test, cst.Await):
            return self.admin_polarity(test.expression)
        if isinstance(test, (cst.Name, cst.Attribute)):
            name = astutil.name_of(test) or ""
            if _ADMIN_NAME.search(name) and not name.lower().startswith(("can_", "allow")):
                return True, self._owner_of(test)
            return None
        if isinstance(test, cst.Call):
            name = astutil.name_of(test.func) or ""
            lits = [astutil.literal_str(a.value) for a in test.args]
            if _ADMIN_NAME.search(name) or any(s and _ADMIN_LITERAL.search(s) for s in lits) \
                    or any(self._admin_ref(a.value) for a in test.args):
                args = [a.value for a in test.args]
                who = self._owner_of(test.func.value) if isinstance(test.func, cst.Attribute) else UNKNOWN
                for a in args:
                    o = self._peek(a)
                    if o.kind in ("param", "request_user"):
                        who = o
                        break
                return True, who
            return None
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            comp = test.comparisons[0]
            op = comp.operator
            left, right = test.left, comp.comparator
            admin_side = None
            if self._admin_ref(right) or (astutil.literal_str(right) and _ADMIN_LITERAL.search(astutil.literal_str(right))):
                admin_side, other = right, left
            elif self._admin_ref(left) or (astutil.literal_str(left) and _ADMIN_LITERAL.search(astutil.literal_str(left))):
                admin_side, other = left, right
            elif isinstance(right, (cst.Tuple, cst.List, cst.Set)) and right.elements and all(
                    self._admin_ref(e.value) or (astutil.literal_str(e.value) and _ADMIN_LITERAL.search(
                        astutil.literal_str(e.value))) for e in right.elements):
                admin_side, other = right, left
            elif isinstance(left, (cst.Name, cst.Attribute)) and isinstance(right, cst.Name) \
                    and right.value in ("True", "False") and _ADMIN_NAME.search(astutil.name_of(left) or ""):
                pol = (right.value == "True") == isinstance(op, (cst.Equal, cst.Is))
                return pol, self._owner_of(left)
            if admin_side is None:
                return None
            positive = isinstance(op, (cst.Equal, cst.In, cst.Is))
            negative = isinstance(op, (cst.NotEqual, cst.NotIn, cst.IsNot))
            if not (positive or negative):
                return None
            return positive, self._owner_of(other)
        return None

    def _admin_ref(self, expr) -> bool:
        """`Role.ADMIN`, `UserRole.SUPERUSER`: an enum member naming an admin role."""
        return isinstance(expr, cst.Attribute) and bool(_ADMIN_LITERAL.search(expr.attr.value))

    def _owner_of(self, expr) -> Origin:
        """Whose attribute an admin flag is: `current_user.is_superuser` -> current_user."""
        while isinstance(expr, (cst.Attribute, cst.Subscript, cst.Call)):
            if isinstance(expr, cst.Call):
                expr = expr.func
                continue
            expr = expr.value
        return self._peek(expr) if isinstance(expr, cst.Name) else UNKNOWN

    def _peek(self, expr) -> Origin:
        """Origin of a simple name/attribute without recording anything."""
        if isinstance(expr, cst.Name):
            if expr.value in self.env:
                return self.env[expr.value]
            if expr.value in self.params:
                return Origin("param", expr.value)
            return UNKNOWN
        if isinstance(expr, cst.Attribute):
            base = self._peek(expr.value)
            return self._request_user(base.attr(expr.attr.value))
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("str", "int", "UUID") \
                and expr.args:
            return self._peek(expr.args[0].value)
        return UNKNOWN

    # ownership comparisons -----------------------------------------------------------------
    def _comparisons(self, test) -> Iterator[Tuple[cst.Comparison, bool]]:
        """Every single comparison a condition is made of, through `not`, `and`/`or` and local
        booleans (`is_owner = item.owner_id == user.id; if not is_owner:`), with whether it
        stands under an odd number of negations."""
        seen: Set[str] = set()
        todo = [(test, False)]
        while todo:
            e, negated = todo.pop()
            if isinstance(e, cst.Name) and e.value in self.bool_exprs and e.value not in seen:
                seen.add(e.value)
                todo.append((self.bool_exprs[e.value], negated))
            elif isinstance(e, cst.UnaryOperation) and isinstance(e.operator, cst.Not):
                todo.append((e.expression, not negated))
            elif isinstance(e, cst.BooleanOperation):
                todo.append((e.right, negated))
                todo.append((e.left, negated))
            elif isinstance(e, cst.Comparison) and len(e.comparisons) == 1:
                yield e, negated

    @staticmethod
    def _mismatch(op, negated: bool, membership: bool) -> Optional[bool]:
        """Whether a comparison holds on a mismatch (`!=`, `not ==`), None for other operators."""
        equal, unequal = (cst.Equal, cst.Is), (cst.NotEqual, cst.IsNot)
        if membership:
            equal, unequal = equal + (cst.In,), unequal + (cst.NotIn,)
        if isinstance(op, equal):
            return negated
        if isinstance(op, unequal):
            return not negated
        return None

    def owner_comparisons(self, test) -> List[Tuple[Origin, str, Origin, bool]]:
        """(subject, owner column path, compared value, True when the test holds on a mismatch)
        for every comparison of an owner attribute in a condition."""
        out: List[Tuple[Origin, str, Origin, bool]] = []
        for e, negated in self._comparisons(test):
            comp = e.comparisons[0]
            mismatch = self._mismatch(comp.operator, negated, membership=True)
            if mismatch is None:
                continue
            for a, b in ((e.left, comp.comparator), (comp.comparator, e.left)):
                owner = self._owner_attr(a)
                if owner is None:
                    continue
                subj, col = owner
                val = self._peek_value(b)
                if val.kind in ("literal",) or (isinstance(b, cst.Name) and b.value == "None"):
                    continue
                out.append((subj, col, val, mismatch))
        return out

    def _membership(self, test) -> List[Tuple[Origin, Origin]]:
        """(value, collection) of `value not in collection` tests whose body refuses."""
        out: List[Tuple[Origin, Origin]] = []
        for e, negated in self._comparisons(test):
            op = e.comparisons[0].operator
            if (isinstance(op, cst.NotIn) and not negated) or (isinstance(op, cst.In) and negated):
                subj, coll = self._peek(e.left), self._peek(e.comparisons[0].comparator)
                if subj.kind in ("param", "site", "call") and coll.kind in ("site", "call", "param"):
                    out.append((subj, coll))
        return out

    def identity_comparisons(self, test) -> List[Tuple[Origin, str, Origin, bool]]:
        """Comparisons of a value or a row's identity with something else: `user_id !=
        current_user.id`, `user == current_user`, `db_user.id != current_user["id"]`. Which side
        is the current user is decided at link time."""
        out: List[Tuple[Origin, str, Origin, bool]] = []

        def side(e) -> Optional[Tuple[Origin, str]]:
            if isinstance(e, cst.Call) and len(e.args) == 1 and astutil.name_of(e.func) in ("str", "int", "UUID"):
                e = e.args[0].value
            attr = ""
            if isinstance(e, cst.Attribute) and isinstance(e.value, cst.Name) and e.attr.value in _IDENTITY_ATTRS:
                attr, e = e.attr.value, e.value
            elif isinstance(e, cst.Subscript) and isinstance(e.value, cst.Name) and len(e.slice) == 1 \
                    and isinstance(e.slice[0].slice, cst.Index) \
                    and astutil.literal_str(e.slice[0].slice.value) in _IDENTITY_ATTRS:
                attr, e = astutil.literal_str(e.slice[0].slice.value) or "", e.value
            if isinstance(e, cst.Name) and self._is_local(e.value):
                o = self._peek(e)
                if o.kind in ("param", "site", "call") and not o.attrs:
                    return o, attr
            return None

        for e, negated in self._comparisons(test):
            right = e.comparisons[0].comparator
            mismatch = self._mismatch(e.comparisons[0].operator, negated, membership=False)
            if mismatch is None:
                continue
            for a, b in ((e.left, right), (right, e.left)):
                if self._owner_attr(a) is not None:
                    continue
                sd = side(a)
                if sd is None:
                    continue
                val = self._peek_value(b)
                if val.kind in ("literal", "unknown", "global"):
                    continue
                out.append((sd[0], sd[1], val, mismatch))
        return out

    def _peek_value(self, expr) -> Origin:
        if isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float, cst.ConcatenatedString)):
            return LITERAL
        if isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"):
            return LITERAL
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)) and expr.elements:
            return self._peek_value(expr.elements[0].value)
        o = self._peek(expr)
        if o.kind == "unknown" and isinstance(expr, (cst.Name, cst.Attribute)):
            q = self.ctx.qualify(expr)
            if q:
                return Origin("global", q)
        return o

    def _owner_attr(self, expr) -> Optional[Tuple[Origin, str]]:
        """`item.owner_id`, `item.owner.id`, `str(item.user_id)`, `item.project.owner_id` ->
        (origin of item, "owner_id" / "owner.id" / ...), when an attribute on the way is an owner
        column or a relationship standing for one."""
        if isinstance(expr, cst.Call) and len(expr.args) == 1 and astutil.name_of(expr.func) in ("str", "int", "UUID"):
            expr = expr.args[0].value
        attrs: List[str] = []
        e = expr
        while isinstance(e, cst.Attribute):
            attrs.append(e.attr.value)
            e = e.value
        if isinstance(e, cst.Name) and not attrs and self._is_local(e.value):
            # a variable holding an owner value: `owner_id = item.owner_id`, or a helper's
            # `owner_id` parameter (`check_owner(current_user, item.owner_id)`)
            base = self._peek(e)
            if base.kind in ("site", "call") and base.attrs and (
                    base.attrs[-1] in self.owner_fields or f"{base.attrs[-1]}_id" in self.owner_fields):
                return Origin(base.kind, base.name), ".".join(base.attrs)
            if base.kind == "param" and not base.attrs and e.value in self.owner_fields:
                return base, ""
            return None
        if not isinstance(e, cst.Name) or not attrs:
            return None
        attrs.reverse()
        if not any(a in self.owner_fields or f"{a}_id" in self.owner_fields for a in attrs):
            return None
        base = self._peek(e)
        if base.kind in ("unknown", "literal", "global"):
            if e.value not in self.env and e.value not in self.params:
                return None
        return base, ".".join(attrs)

    # denials -----------------------------------------------------------------------------
    @property
    def _test_span(self) -> Optional[Span]:
        """Where the condition of the refusal being located is: the refusal is searched after it."""
        if self._test_span_cache is None and self._test_node is not None:
            self._test_span_cache = self.loc.span(self._test_node)
        return self._test_span_cache

    def _denial_in(self, block) -> Optional[Denial]:
        for stmt in _block_statements(block):
            d = self._denial_stmt(stmt)
            if d is not None:
                return d
        return None

    def _denial_stmt(self, stmt) -> Optional[Denial]:
        smalls = stmt.body if isinstance(stmt, cst.SimpleStatementLine) else ()
        for small in smalls:
            if isinstance(small, cst.Raise) and small.exc is not None:
                exc = small.exc
                if isinstance(exc, cst.Name) and exc.value in self.exceptions:
                    d = self.exceptions[exc.value]
                    return Denial(span=self.loc.span(small, after=self._test_span), status=d.status, text=d.text, exception=d.exception)
                if isinstance(exc, cst.Call):
                    d = self._exception_denial(exc)
                    if d is not None:
                        return Denial(span=self.loc.span(small, after=self._test_span), status=d.status, text=d.text, exception=d.exception)
                q = self.ctx.qualify(exc) if isinstance(exc, (cst.Name, cst.Attribute)) else None
                name = astutil.name_of(exc) or ""
                return Denial(span=self.loc.span(small, after=self._test_span), status=self._status_by_name(name), text=f"raise {name}",
                              exception=q or "")
            if isinstance(small, cst.Expr) and isinstance(small.value, (cst.Call, cst.Await)):
                call = small.value.expression if isinstance(small.value, cst.Await) else small.value
                name = astutil.name_of(call.func) if isinstance(call, cst.Call) else ""
                if name and _RAISER.match(name):
                    st = status_of(call.args[0].value) if call.args else None
                    return Denial(span=self.loc.span(small, after=self._test_span), status=st or self._status_by_name(name),
                                  text=f"{name}(...)")
            if isinstance(small, cst.Return):
                v = small.value
                if isinstance(v, cst.Call) and (astutil.name_of(v.func) or "") in RESPONSES:
                    st = status_of(astutil.argument(v, "status_code"))
                    return Denial(span=self.loc.span(small, after=self._test_span), status=st,
                                  text=f"{astutil.name_of(v.func)}(status_code={st})")
                return Denial(span=self.loc.span(small, after=self._test_span), status=None, text="return")
        return None

    def _exception_denial(self, call: cst.Call) -> Optional[Denial]:
        q = self.ctx.qualify(call.func) or dotted(call.func) or ""
        name = astutil.name_of(call.func) or ""
        if q in HTTP_EXCEPTIONS or name == "HTTPException":
            st = status_of(astutil.argument(call, "status_code", 0))
            return Denial(span=Span(0, 0, 0, 0), status=st, text=f"HTTPException(status_code={st if st else '?'})")
        if name and name[:1].isupper() and (name.endswith(("Error", "Exception")) or _FORBIDDEN_NAME.search(name)
                                           or _NOT_FOUND_NAME.search(name)):
            st = status_of(astutil.argument(call, "status_code")) or self._status_by_name(name)
            return Denial(span=Span(0, 0, 0, 0), status=st, text=f"{name}(...)", exception=q if "." in q else "")
        return None

    @staticmethod
    def _status_by_name(name: str) -> Optional[int]:
        if _NOT_FOUND_NAME.search(name):
            return 404
        if _FORBIDDEN_NAME.search(name):
            return 403
        return None

    # -- expressions ------------------------------------------------------------------------
    def eval(self, e) -> Origin:
        if isinstance(e, cst.Name):
            v = e.value
            if v in self.env:
                o = self.env[v]
            elif v in self.params:
                o = Origin("param", v)
            elif v in ("True", "False", "None"):
                return Origin("literal", v) if v == "True" else LITERAL
            else:
                q = self.ctx.qualify(e)
                return Origin("global", q) if q else UNKNOWN
            if self._collect is not None:
                self._collect.append(o)
            return o
        if isinstance(e, cst.Attribute):
            root = e
            while isinstance(root, cst.Attribute):
                root = root.value
            if isinstance(root, cst.Name) and root.value not in self.env and root.value not in self.params:
                q = self.ctx.qualify(e)
                if q:
                    return Origin("global", q)
                return UNKNOWN
            base = self.eval(e.value)
            return self._request_user(base.attr(e.attr.value))
        if isinstance(e, cst.Await):
            return self.eval(e.expression)
        if isinstance(e, cst.Call):
            o = self.call(e)
            if self._collect is not None and o.kind in ("site", "call"):
                self._collect.append(o)
            return o
        if isinstance(e, cst.Subscript):
            base = self.eval(e.value)
            key = None
            for el in e.slice:
                if isinstance(el.slice, cst.Index):
                    self.eval(el.slice.value)
                    key = astutil.literal_str(el.slice.value)
            return base.attr(f"[{key}]" if key else "[]")
        if isinstance(e, (cst.SimpleString, cst.ConcatenatedString)):
            text = astutil.literal_str(e) or ""
            # only visibility words are kept: `status == "published"` (never other string values)
            return Origin("literal", text.lower()) if _VISIBILITY_WORD.search(text) and len(text) < 20 else LITERAL
        if isinstance(e, (cst.Integer, cst.Float, cst.Imaginary)):
            return LITERAL
        if isinstance(e, cst.FormattedString):
            for part in e.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    self.eval(part.expression)
            return UNKNOWN
        if isinstance(e, cst.IfExp):
            self.eval(e.test)
            a = self.eval(e.body)
            b = self.eval(e.orelse)
            return a if a.kind not in ("unknown", "literal") else b
        if isinstance(e, (cst.List, cst.Tuple, cst.Set)):
            entries: List[Tuple[str, Origin]] = []
            found = UNKNOWN
            for el in e.elements:
                v = el.value
                if isinstance(v, (cst.Comparison, cst.Call)) and not isinstance(el, cst.StarredElement):
                    sink = _Sink()
                    self._last = UNKNOWN
                    self._filters_from(v, sink)
                    if sink.filters:
                        entries.extend(sink.filters)
                        continue
                    o = self._last
                else:
                    o = self.eval(v)
                if found.kind == "unknown" and o.kind in ("site", "call"):
                    found = o
                entries.append(("*", o))
            if found.kind != "unknown":
                return found
            return self._new_dict(entries)
        if isinstance(e, cst.Dict):
            entries = []
            for el in e.elements:
                if isinstance(el, cst.DictElement):
                    self.eval(el.key)
                    entries.append((astutil.literal_str(el.key) or "*", self.eval(el.value)))
                else:
                    entries.append(("**", self.eval(el.value)))
            return self._new_dict(entries)
        if isinstance(e, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            return self.comprehension(e)
        if isinstance(e, cst.NamedExpr):
            o = self.eval(e.value)
            self.bind(e.target, o)
            return o
        if isinstance(e, cst.StarredElement):
            return self.eval(e.value)
        if isinstance(e, cst.Lambda):
            return UNKNOWN
        if isinstance(e, (cst.BinaryOperation, cst.BooleanOperation)):
            a = self.eval(e.left)
            b = self.eval(e.right)
            if isinstance(e, cst.BooleanOperation):
                return a if a.kind in ("site", "call") else (b if b.kind in ("site", "call") else UNKNOWN)
            return UNKNOWN
        if isinstance(e, cst.UnaryOperation):
            self.eval(e.expression)
            return UNKNOWN
        if isinstance(e, cst.Comparison):
            # `cond = Item.owner_id == user.id` (used later in .where(cond)): keep what it compares
            sink = _Sink()
            self._filters_from(e, sink)
            return self._new_dict(sink.filters) if sink.filters else UNKNOWN
        for child in e.children:
            if isinstance(child, cst.BaseExpression):
                self.eval(child)
        return UNKNOWN

    def _new_dict(self, entries: List[Tuple[str, Origin]]) -> Origin:
        self.summary.dicts.append(list(entries))
        return Origin("dict", str(len(self.summary.dicts) - 1))

    def _request_user(self, o: Origin) -> Origin:
        """`request.state.user` / `request.user`: the user an authentication middleware set."""
        if o.kind == "param" and o.name in self.request_params:
            if o.attrs[:2] == ("state", "user"):
                return Origin("request_user", "", o.attrs[2:])
            if o.attrs[:1] == ("user",):
                return Origin("request_user", "", o.attrs[1:])
        return o

    def comprehension(self, e) -> Origin:
        saved = dict(self.env)
        result = UNKNOWN
        comp = e.for_in
        while comp is not None:
            it = self.eval(comp.iter)
            if result.kind == "unknown":
                result = it
            self.bind(comp.target, it)
            for cond in comp.ifs:
                self.eval(cond.test)
                for subj, col, val, mismatch in self.owner_comparisons(cond.test):
                    if not mismatch and subj == it:
                        self._add_check("filter", it, col, val, None, cond.test)
            comp = comp.inner_for_in
        if isinstance(e, cst.DictComp):
            self.eval(e.key)
            self.eval(e.value)
        else:
            self.eval(e.elt)
        self.env = saved
        return result if result.kind in ("site", "call") else UNKNOWN

    # -- calls ------------------------------------------------------------------------------
    def _is_local(self, name: str) -> bool:
        return name in self.env or name in self.params

    def call(self, node: cst.Call) -> Origin:
        func = node.func
        method: Optional[str] = None
        recv: Optional[Origin] = None
        gq: Optional[str] = None  # qualified name of the callee when it is a project-level name
        root = func
        while isinstance(root, cst.Attribute):
            root = root.value
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if isinstance(root, cst.Name) and not self._is_local(root.value):
                gq = self.ctx.qualify(func)
                if gq is None and isinstance(func.value, (cst.Name, cst.Attribute)):
                    pass
            if gq is None:
                recv = self.eval(func.value)
        elif isinstance(func, cst.Name):
            if not self._is_local(func.value):
                gq = self.ctx.qualify(func)
        else:
            recv = self.eval(func)

        bare = func.value if isinstance(func, cst.Name) else None
        if method in ("items", "keys", "values") and recv is not None and recv.kind == "param" and not node.args:
            return recv
        # conversions keep the value: str(current_user.id)
        if (gq in CONVERSIONS or bare in ("str", "int")) and node.args:
            o = self.eval(node.args[0].value)
            for a in node.args[1:]:
                self.eval(a.value)
            return o

        if bare == "dict" and not self._is_local("dict"):
            return self._new_dict([(a.keyword.value if a.keyword is not None else "**", self.eval(a.value))
                                   for a in node.args])

        # raw SQL
        raw = self._raw_sql(node, method or (bare or (gq.split(".")[-1] if gq else "")), recv, gq)
        if raw is not None:
            return raw

        # SQLAlchemy / SQLModel statements
        if gq in SELECT_FUNCS or gq in UPDATE_FUNCS or gq in DELETE_FUNCS:
            op = "update" if gq in UPDATE_FUNCS else ("delete" if gq in DELETE_FUNCS else "read")
            if op == "read" and node.args and all(isinstance(a.value, cst.Call) and astutil.name_of(a.value.func) == "count"
                                                  for a in node.args):
                op = "count"
            models = []
            for a in node.args:
                models += self.model_refs(a.value)
                self._filters_from(a.value, None)  # side effects of nested queries
            return Origin("site", str(self._new_site(node, "orm", models, op=op)))

        args_nodes = list(node.args)
        # conditions.append(Item.owner_id == uid) / filters.update(user_id=uid)
        if recv is not None and recv.kind == "dict" and not recv.attrs and method in (
                "append", "extend", "update", "setdefault", "add", "insert"):
            entries = self.summary.dicts[int(recv.name)]
            for a in args_nodes:
                if a.keyword is not None:
                    entries.append((a.keyword.value, self.eval(a.value)))
                    continue
                sink = _Sink()
                self._last = UNKNOWN
                self._filters_from(a.value, sink)
                if sink.filters:
                    entries.extend(sink.filters)
                else:
                    entries.append(("*", self._last))
            return UNKNOWN
        # chained refinements of a query already built: select(Item).where(...), qs.filter(...)
        refining = method in FILTER_METHODS or method in UPDATE_METHODS or method in DELETE_METHODS
        site_recv = recv
        if recv is not None and recv.kind == "call" and not recv.attrs and refining:
            # `bookmarks.select().where(...)`: the call may be a query on a Core table (link decides)
            alt = self.summary.calls[int(recv.name)].alt_site
            if alt >= 0:
                site_recv = Origin("site", str(alt))
        if site_recv is not None and site_recv.kind == "site" and not site_recv.attrs:
            sidx = int(site_recv.name)
            site = self.summary.sites[sidx]
            if refining:
                if method in ("select_from", "join", "outerjoin", "join_from") and not site.models:
                    for a in args_nodes:
                        site.models = tuple(site.models) + tuple(self.model_refs(a.value))
                self._filters_from_args(args_nodes, site)
                if method in ("where", "filter", "filter_by", "find", "find_one", "get", "exclude", "get_or_none"):
                    site.text = _collapse(self.loc.locator.code(node) or "")
                if method in DELETE_METHODS:
                    site.op = "delete"
                elif method in UPDATE_METHODS and site.op == "read" and method != "values":
                    site.op = "update"
                elif method == "count" and site.op == "read":
                    site.op = "count"
                if method == "get" and args_nodes and args_nodes[0].keyword is None:
                    site.keys.append(self.eval(args_nodes[0].value))
                if method in ("bindparams", "params"):
                    self._bind_placeholders(site, args_nodes)
                return recv
            for a in args_nodes:
                self.eval(a.value)
            return recv
        # session.query(Model)
        if method in SESSION_QUERY and recv is not None and args_nodes:
            models = []
            for a in args_nodes:
                models += self.model_refs(a.value)
            if models:
                return Origin("site", str(self._new_site(node, "orm", models)))

        # session.get(Model, id) / engine.find(Model, Model.owner == ...)
        pos = astutil.positional(node)
        engine_like = recv is not None or (gq is not None and gq.split(".")[-2:-1] != [] and
                                           gq.split(".")[-2][:1].islower())
        if method in SESSION_GET | ODMANTIC_METHODS and engine_like and len(pos) >= 1:
            first = pos[0].value
            if isinstance(first, (cst.Name, cst.Attribute)):
                m = self._peek_model(first)
                if m is not None and (method in ODMANTIC_METHODS or len(pos) >= 2):
                    sidx = self._new_site(node, "orm", [m])
                    site = self.summary.sites[sidx]
                    if method in SESSION_GET:
                        site.keys.append(self.eval(pos[1].value))
                        for a in args_nodes[2:]:
                            self.eval(a.value)
                    else:
                        self._filters_from_args(args_nodes[1:], site)
                    return Origin("site", str(sidx))

        # session.delete(obj) / session.merge(obj) on a fetched row
        if method in ("delete", "remove") and recv is not None and len(args_nodes) == 1:
            o = self.eval(args_nodes[0].value)
            if o.kind == "site" and not o.attrs:
                self.summary.sites[int(o.name)].op = "delete"
                return UNKNOWN
            self._pre = (node, args_nodes[0].value, o)  # `repo.delete(doc_id)`: maybe a helper

        # Model.get(...), Model.filter(...), Model.objects.filter(...), Model.query.filter(...)
        site_alt = -1
        if gq and method in MODEL_METHODS and gq.split(".")[0] not in EXTERNAL_ROOTS:
            model_ref = gq[: -len(method) - 1]
            for suffix in (".objects", ".query"):
                if model_ref.endswith(suffix):
                    model_ref = model_ref[: -len(suffix)]
            site_alt = self._model_method_site(node, method, Origin("global", model_ref), pos, args_nodes)
            # `crud.item.get(...)`: a lower-case name may be a helper object, not a model class;
            # both readings are kept and link time decides.
            if model_ref.split(".")[-1][:1].isupper():
                return Origin("site", str(site_alt))
        # self.model.find_one(...) / cls.model.get(...) / model.filter(...) in generic repositories
        if method in MODEL_METHODS and recv is not None and recv.kind == "param" and (
                (recv.name == self.summary.self_name and len(recv.attrs) == 1 and recv.attrs[0] in _MODEL_ATTRS)
                or (not recv.attrs and _MODEL_PARAM.search(recv.name) and recv.name != self.summary.self_name)):
            return Origin("site", str(self._model_method_site(node, method, recv, pos, args_nodes)))

        # anything else: a possible call into project code
        arg_origins: List[Origin] = []
        kw_origins: List[Tuple[str, Origin]] = []
        star = False
        passthrough: Optional[Origin] = recv if recv is not None and recv.kind in ("site", "call") else None
        pre = self._pre if self._pre is not None and self._pre[0] is node else None
        for a in args_nodes:
            if site_alt >= 0:
                o = self._peek_value(a.value) if not isinstance(a.value, cst.Call) else UNKNOWN
            elif pre is not None and a.value is pre[1]:
                o = pre[2]
            else:
                o = self.eval(a.value)
            if a.star:
                star = True
                continue
            if a.keyword is not None:
                kw_origins.append((a.keyword.value, o))
            else:
                arg_origins.append(o)
            if passthrough is None and o.kind == "site" and not o.attrs:
                passthrough = o
        callee: Optional[Origin] = None
        if gq is not None:
            if gq.split(".")[0] not in EXTERNAL_ROOTS and gq not in ("print", "len", "isinstance"):
                callee = Origin("global", gq)
        elif recv is not None and method and recv.kind in ("param", "call") and (
                recv.kind == "call" or recv.name == self.summary.self_name or self._param_may_be_project(recv.name)):
            callee = recv.attr(method)
        if callee is None:
            if recv is not None and recv.kind in ("call",):
                return recv if passthrough is None else passthrough
            return passthrough or (recv if recv is not None and recv.kind == "site" else UNKNOWN)
        idx = len(self.summary.calls)
        self.summary.calls.append(CallSite(
            idx=idx, span=self.loc.span(node), callee=callee, text=dotted(func) or (method or ""),
            args=tuple(arg_origins), kwargs=tuple(kw_origins), star=star, passthrough=passthrough,
            admin=self.admin, guards=self.guards, order=self.order, conds=self.conds))
        if site_alt >= 0:
            self.summary.calls[-1].alt_site = site_alt
            self.summary.sites[site_alt].alt_call = idx
        self._call_of_node[id(node)] = idx
        return Origin("call", str(idx))

    def _model_method_site(self, node: cst.Call, method: str, model: Origin, pos, args_nodes) -> int:
        sidx = self._new_site(node, "orm", [model])
        site = self.summary.sites[sidx]
        if method in DELETE_METHODS:
            site.op = "delete"
        elif method in UPDATE_METHODS:
            site.op = "update"
        elif method == "count":
            site.op = "count"
        if method in ("get", "get_or_none", "get_by_id", "get_or_404", "find_one") and pos \
                and pos[0].keyword is None and not isinstance(pos[0].value, (cst.Comparison, cst.Dict)):
            site.keys.append(self._peek_value(pos[0].value))
        self._filters_from_args(args_nodes, site)
        return sidx

    def _param_may_be_project(self, name: str) -> bool:
        for p in self.summary.params:
            if p.name == name:
                return bool(p.annotation or p.depends or p.alias)
        return False

    def _peek_model(self, expr) -> Optional[Origin]:
        """A model reference in `session.get(<ref>, id)`: a class name, `self.model`, a param."""
        o = self._peek(expr)
        if o.kind == "param":
            return o if (_MODEL_PARAM.search(o.name) and not o.attrs) or (
                o.name == self.summary.self_name and len(o.attrs) == 1 and o.attrs[0] in _MODEL_ATTRS) else None
        if o.kind == "unknown" and isinstance(expr, (cst.Name, cst.Attribute)):
            root = expr
            while isinstance(root, cst.Attribute):
                root = root.value
            if isinstance(root, cst.Name) and self._is_local(root.value):
                return None
            q = self.ctx.qualify(expr)
            if q and q.split(".")[-1][:1].isupper():
                return Origin("global", q)
        return None

    def model_refs(self, expr) -> List[Origin]:
        """Model references in select()/query() arguments: `Item`, `Item.id`, `func.count(Item.id)`,
        `col(Item.owner_id)`, `self.model`."""
        out: List[Origin] = []
        if isinstance(expr, (cst.Name, cst.Attribute)):
            o = self._peek(expr)
            if o.kind == "param":
                out.append(Origin("param", o.name, o.attrs))
            elif o.kind == "unknown":
                q = self.ctx.qualify(expr)
                if q and q.split(".")[0] not in EXTERNAL_ROOTS:
                    parts = q.split(".")
                    if ".c." in q:  # items.c.owner_id: a Core table
                        out.append(Origin("global", q[: q.index(".c.")]))
                    else:
                        # `Item.owner_id` -> `Item`: keep up to the last capitalised part
                        for i in range(len(parts) - 1, -1, -1):
                            if parts[i][:1].isupper():
                                out.append(Origin("global", ".".join(parts[: i + 1])))
                                break
                        else:
                            out.append(Origin("global", q))  # a Core `items = Table(...)`
        elif isinstance(expr, cst.Call):
            for a in expr.args:
                out += self.model_refs(a.value)
        return out

    def _new_site(self, node: cst.Call, kind: str, models, op: str = "read", tables=()) -> int:
        idx = len(self.summary.sites)
        text = _collapse(self.loc.locator.code(node) or "")
        self.summary.sites.append(QuerySite(
            idx=idx, span=self.loc.span(node), text=text, kind=kind, models=tuple(models), tables=tuple(tables),
            op=op, admin=self.admin, guards=self.guards, order=self.order, conds=self.conds))
        self._site_nodes[id(node)] = idx
        return idx

    # filters --------------------------------------------------------------------------------
    def _filters_from_args(self, args: Sequence[cst.Arg], site) -> None:
        for a in args:
            if a.star:
                # .filter_by(**filters) / .where(*conditions): a dict or list built earlier
                site.filters.append((a.star, self.eval(a.value)))
                continue
            if a.keyword is not None:
                col = a.keyword.value
                for lookup in ("__in", "__exact", "__iexact", "__eq"):
                    if col.endswith(lookup):
                        col = col[: -len(lookup)]
                col = col.replace("__", ".")
                o = self.eval(a.value)
                site.filters.append((col, o))
                if col in ("id", "pk", "_id"):
                    site.keys.append(o)
            else:
                self._filters_from(a.value, site)

    def _filters_from(self, expr, site) -> None:
        """Comparisons in a where/filter argument: `Item.owner_id == user.id`, `and_(...)`,
        `Item.owner_id.in_(...)`, `{"owner_id": user.id}`, `col(Item.owner_id) == uid`."""
        if isinstance(expr, cst.Comparison):
            left = expr.left
            for n, comp in enumerate(expr.comparisons):
                right = comp.comparator
                lcol, rcol = self._column(left), self._column(right)
                if n == 0 and lcol is None:
                    left_origin = self.eval(left)
                if lcol is not None and rcol is None:
                    o = self.eval(right)
                    if site is not None:
                        site.filters.append((lcol, o))
                        if lcol.split(".")[-1] in ("id", "pk", "_id"):
                            site.keys.append(o)
                elif rcol is not None and lcol is None:
                    o = left_origin if n == 0 else self.eval(left)
                    if site is not None:
                        site.filters.append((rcol, o))
                        if rcol.split(".")[-1] in ("id", "pk", "_id"):
                            site.keys.append(o)
                else:
                    self.eval(right)
                left = right
            return
        if isinstance(expr, (cst.BooleanOperation, cst.BinaryOperation)):
            self._filters_from(expr.left, site)
            self._filters_from(expr.right, site)
            return
        if isinstance(expr, cst.UnaryOperation):
            self._filters_from(expr.expression, site)
            return
        if isinstance(expr, cst.Dict):
            for el in expr.elements:
                if isinstance(el, cst.DictElement):
                    key = astutil.literal_str(el.key)
                    if key is None:
                        self.eval(el.key)
                    o = self.eval(el.value)
                    if site is not None:
                        site.filters.append((key or "*", o))
                        if key in ("_id", "id") or key is None:
                            site.keys.append(o)
            return
        if isinstance(expr, cst.Call):
            name = astutil.name_of(expr.func) or ""
            if name in ("in_", "is_", "contains", "any", "has", "__eq__", "like", "ilike") and isinstance(expr.func, cst.Attribute):
                col = self._column(expr.func.value)
                if col is not None:
                    for a in expr.args:
                        o = self.eval(a.value)
                        if site is not None:
                            site.filters.append((col, o))
                    if name in ("any", "has"):
                        for a in expr.args:
                            self._filters_from(a.value, site)
                    return
            if name in ("and_", "or_", "not_", "And", "Or", "Q", "Eq", "In", "dict"):
                if name in ("Eq", "In") and len(expr.args) == 2:
                    col = self._column(expr.args[0].value)
                    if col is not None:
                        o = self.eval(expr.args[1].value)
                        if site is not None:
                            site.filters.append((col, o))
                        return
                for a in expr.args:
                    if a.keyword is not None and site is not None:
                        site.filters.append((a.keyword.value.replace("__", "."), self.eval(a.value)))
                    else:
                        self._filters_from(a.value, site)
                return
        self._last = self.eval(expr)
        if site is not None and isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript)) \
                and self._last.kind in ("dict", "param", "site", "call"):
            # .where(condition) / .find(filter_criteria): built elsewhere, judged by its origin
            site.filters.append(("*", self._last))

    def _column(self, expr) -> Optional[str]:
        """`Item.owner_id` -> "owner_id", `Item.owner.id` -> "owner.id", `col(Item.owner_id)`,
        `self.model.owner_id`, `items.c.owner_id`; None for anything that is not a column."""
        if isinstance(expr, cst.Call) and len(expr.args) == 1 and astutil.name_of(expr.func) in (
                "col", "cast", "func.lower", "lower", "str", "coalesce"):
            expr = expr.args[0].value
        elif isinstance(expr, cst.Call) and len(expr.args) == 2:
            # `typing.cast(Any, Item.owner_id)` (for the type checker), `sa.cast(Item.owner_id, UUID)`
            q = self.ctx.qualify(expr.func) or ""
            if q == "typing.cast":
                expr = expr.args[1].value
            elif q.startswith("sqlalchemy") and q.rsplit(".", 1)[-1] in ("cast", "type_coerce"):
                expr = expr.args[0].value
        if not isinstance(expr, cst.Attribute):
            return None
        attrs: List[str] = []
        e = expr
        while isinstance(e, cst.Attribute):
            attrs.append(e.attr.value)
            e = e.value
        attrs.reverse()
        if not isinstance(e, cst.Name):
            return None
        if attrs[0] == "c" and len(attrs) > 1:
            attrs = attrs[1:]
        if (e.value == self.summary.self_name and e.value) or (e.value in self.params and attrs and attrs[0] == "model"):
            # self.model.owner_id is a column; self.user.id is a value
            if not attrs or attrs[0] not in _MODEL_ATTRS or len(attrs) < 2:
                return None
            return ".".join(attrs[1:])
        if self._is_local(e.value):
            o = self._peek(e)
            if o.kind == "param" and not o.attrs and _MODEL_PARAM.search(o.name):
                return ".".join(attrs)  # a model class given as a parameter
            return None
        # A class attribute: Item.owner_id (capitalised class, or a table object)
        q = self.ctx.qualify(e)
        if q is None:
            return None
        if q.split(".")[0] in EXTERNAL_ROOTS:
            return None
        # Item.owner.id -> "owner.id"; Item.owner_id -> "owner_id"
        return ".".join(attrs)

    # raw SQL --------------------------------------------------------------------------------
    def _sql_text(self, expr) -> Tuple[Optional[str], List[Origin]]:
        """The SQL of a literal, f-string, module constant or local string; f-string
        expressions become placeholders `__fx<n>__` bound to their origins."""
        if expr is None:
            return None, []
        s = astutil.literal_str(expr)
        if s is not None:
            return s, []
        if isinstance(expr, cst.FormattedString):
            parts, origins = [], []
            for p in expr.parts:
                if isinstance(p, cst.FormattedStringText):
                    parts.append(p.value)
                else:
                    parts.append(f"__fx{len(origins)}__")
                    origins.append(self.eval(p.expression))
            return "".join(parts), origins
        if isinstance(expr, cst.Name):
            if expr.value in self.strings:
                return self.strings[expr.value], []
            if not self._is_local(expr.value) and expr.value in self.constants:
                return self.constants[expr.value], []
        if isinstance(expr, cst.Call) and astutil.name_of(expr.func) == "text" and expr.args:
            return self._sql_text(expr.args[0].value)
        return None, []

    def _raw_sql(self, node: cst.Call, name: str, recv: Optional[Origin], gq: Optional[str]) -> Optional[Origin]:
        """`text("SELECT ... WHERE owner_id = :uid")`, `conn.fetch("... $1", user.id)`,
        `session.execute(stmt, {"uid": ...})` where `stmt` is such a text() statement."""
        if name not in RAW_FUNCS or not node.args:
            return None
        first = astutil.argument(node, "query", 0) or astutil.argument(node, "statement") \
            or astutil.argument(node, "sql")
        if first is None:
            return None
        rest = [a for a in node.args if a.value is not first]
        sql, fx = self._sql_text(first)
        if sql is None and isinstance(first, (cst.Name, cst.Attribute)) and self._peek(first).kind == "unknown":
            q = self.ctx.qualify(first)
            if q and q.split(".")[0] not in EXTERNAL_ROOTS and name != "raw":
                # SQL held in a constant of another module: parsed there, bound at link time
                sidx = self._new_site(node, "raw", [])
                self.summary.sites[sidx].sql_ref = q
                self._bind_placeholders(self.summary.sites[sidx], rest)
                return Origin("site", str(sidx))
        if sql is None:
            if isinstance(first, (cst.Name, cst.Attribute, cst.Call)):
                o = self.eval(first)
                if o.kind == "site" and not o.attrs and self.summary.sites[int(o.name)].kind == "raw":
                    self._bind_placeholders(self.summary.sites[int(o.name)], rest)
                    return o
                self._pre = (node, first, o)
            return None
        stmt = parse_sql(sql)
        if stmt is None:
            return None
        sidx = self._new_site(node, "raw", [], op=stmt.op, tables=stmt.tables)
        site = self.summary.sites[sidx]
        positional = 0
        ph_keys: Dict[str, str] = {}
        for ph in stmt.placeholders:
            k = placeholder_key(ph)
            if k == "":
                k = f"#{positional}"
                positional += 1
            ph_keys.setdefault(ph, k)
        keyed: List[Tuple[str, str]] = []
        for col, ph in stmt.comparisons:
            k = placeholder_key(ph)
            keyed.append((col, k if k else ph_keys.get(ph, "#0")))
        site.placeholders = keyed
        for i, o in enumerate(fx):
            for col, k in keyed:
                if k == f"__fx{i}__":
                    site.filters.append((col, o))
        self._bind_placeholders(site, rest)
        return Origin("site", str(sidx))

    def _bind_placeholders(self, site: QuerySite, args: Sequence[cst.Arg]) -> None:
        """Parameters of a raw statement: `{"uid": user.id}`, `uid=user.id`, `(user.id,)`,
        positional `$1`."""
        by_key: Dict[str, Origin] = {}
        pos = 0
        for a in args:
            v = a.value
            if a.keyword is not None:
                if a.keyword.value in ("values", "params", "parameters", "args"):
                    self._bind_container(v, by_key)
                else:
                    by_key[a.keyword.value] = self.eval(v)
                continue
            if isinstance(v, (cst.Dict, cst.Tuple, cst.List)):
                self._bind_container(v, by_key)
                continue
            by_key[f"#{pos}"] = self.eval(v)
            pos += 1
        for col, k in site.placeholders:
            if k in by_key:
                site.filters.append((col, by_key[k]))
        if site.sql_ref:
            site.params.extend(by_key.items())

    def _bind_container(self, v, by_key: Dict[str, Origin]) -> None:
        if isinstance(v, cst.Dict):
            for el in v.elements:
                if isinstance(el, cst.DictElement):
                    k = astutil.literal_str(el.key)
                    o = self.eval(el.value)
                    if k:
                        by_key[k] = o
        elif isinstance(v, (cst.Tuple, cst.List)):
            for i, el in enumerate(v.elements):
                by_key[f"#{i}"] = self.eval(el.value)
        else:
            self.eval(v)
