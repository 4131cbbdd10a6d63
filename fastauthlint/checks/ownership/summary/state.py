"""What a `FunctionWalker` knows part-way through one function body, declared once.

The walker answers several questions about the same statements (where each value comes from,
which calls are queries, which are calls into project code, which conditions check ownership or
admin rights, how a refusal is answered); each question is a mixin in its own module, and all of
them read and extend this state. The base class holds no behaviour beyond that.

Where the entry points one concern calls on another are defined:
- origins: `eval`, `peek`, `peek_value`, `bind`, `new_dict`, `request_user`, `row_written`
- calls: `call`; queries: `new_site`, `model_refs`, `model_method_site`
- filters: `filters_from`, `filters_from_args`, `extend_dict`; raw_sql: `raw_sql`, `bind_placeholders`
- branches: `if_stmt`, `admin_polarity`; owner_checks: `add_check`, `owner_comparisons`,
  `identity_comparisons`; denials: `denial_in`, `denial_stmt`, `exception_denial`
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Set, Tuple

import libcst as cst

from fastauthlint.checks.ownership.facts import UNKNOWN, Denial, FuncSummary, Origin
from fastauthlint.checks.ownership.spans import FunctionLocator
from fastauthlint.context import FileContext


class WalkState:
    def __init__(self, ctx: FileContext, func: cst.FunctionDef, qualname: str, owner_fields: Sequence[str],
                 constants: Dict[str, str], in_class: bool, loc: FunctionLocator):
        self.ctx = ctx
        self.loc = loc
        self.func = func
        self.owner_fields = set(owner_fields)  # owner and tenant columns: checks on either are recorded
        self.constants = constants  # the module's string constants (SQL held in a constant)
        self.in_class = in_class
        self.summary = FuncSummary(qualname=qualname)  # what the walk produces
        # -- values ----------------------------------------------------------------------------
        self.env: Dict[str, Origin] = {}  # local name -> origin of what was last assigned to it
        self.params: Set[str] = set()
        self.request_params: Set[str] = set()  # parameters holding the Request (request.state.user)
        self.jwt_params: Set[str] = set()  # `Authorize: AuthJWT = Depends()`: its subject is the caller
        self.client_params: Set[str] = set()  # parameters FastAPI fills from the request (`Header()`, `Query()`)
        self.cursor_rows: Dict[str, Origin] = {}  # `cursor.execute(sql)`: what `cursor.fetchone()` returns
        self.strings: Dict[str, str] = {}  # locals holding a string literal (SQL built in steps)
        self.exceptions: Dict[str, Denial] = {}  # locals holding an exception raised later
        self.stores_written: Set[Origin] = set()  # in-memory stores this function fills (memos)
        self.bool_exprs: Dict[str, cst.BaseExpression] = {}  # `is_owner = item.owner_id == user.id`
        self.admin_locals: Dict[str, Origin] = {}  # `is_admin = user.has_permission("admin:all")`: whose flag
        self.predicates: Set[str] = set()
        self._probe_names: List[Tuple[str, Origin]] = []  # (name, site) tested only for a conflict  # locals holding a SQL condition (`scope = or_(...)`)
        # -- where the walk is -------------------------------------------------------------------
        self.order = 0  # statement counter: checks and queries are compared by it at link time
        self.admin: Tuple[int, ...] = ()  # admin conditions (summary.admin_conds) the code runs under
        self.guards: Tuple[int, ...] = ()  # enclosing owner-match "guard" checks
        self.conds: Tuple[Tuple[str, bool], ...] = ()  # `if owner_id:` / `else:` of a parameter
        self.loop_subjects: List[Origin] = []  # rows iterated by the enclosing `for` loops
        self.admin_conds: List[Origin] = []
        # -- scratch shared between the concerns -------------------------------------------------
        self._collect: Optional[List[Origin]] = None  # origins met while evaluating a `return` value
        self._call_of_node: Dict[int, int] = {}  # id(call node) -> CallSite index (predicate calls)
        # a call argument already evaluated by a recogniser that declined the call (`repo.delete(x)`,
        # `db.execute(stmt)`): reused when the call is recorded, so it is not evaluated twice
        self._pre: Optional[Tuple[cst.Call, cst.BaseExpression, Origin]] = None
        self._last: Origin = UNKNOWN  # origin of the last expression filters_from evaluated
        self._test_node = None  # the condition whose refusal branch is being located
        self._test_span_cache = None

    def is_local(self, name: str) -> bool:
        return name in self.env or name in self.params
