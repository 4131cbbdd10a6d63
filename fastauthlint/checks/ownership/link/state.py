"""What the ownership link shares between its questions, declared once: the project's ownership
facts by name (`index`), call resolution (`resolver`), the model registry, the options, and the
memos of the judgement (one entry per function and binding).

The judgement is split by question (values: what a value is under a binding; verification:
which rows a function verified as the user's; scoping: whether a query site is restricted) into
mixins of `walk.OwnershipWalk`, all on this state. Mixins rather than helper objects: the
questions recurse into each other (a row is verified when the query that fetched it is scoped; a
query is scoped when it filters on a verified row; a helper's result is scoped when its query
is, under the binding its call gives it), and their memos are filled in the order the walk asks,
which separate objects holding one another would only hide.

Where the entry points one question calls on another are defined:
- values: `canonical`, `is_user`, `identity_roots`, `is_tenant_context`, `public_origin`,
  `keys_of`, `same_root`, `is_admin`
- verification: `valid_checks`, `verified_map`, `is_verified`, `node_verified`, `guarded`, `returned`
- scoping: `site_scoped`, `site_models`, `use_site`, `complete`
- walk: `analyze`, `call_binding`, `dependency_binding`
"""

from __future__ import annotations

from typing import Dict, List, Set, Tuple

from fastauthlint.checks.ownership.facts import OwnerCheck, QuerySite
from fastauthlint.checks.ownership.link.binding import Binding
from fastauthlint.checks.ownership.link.caller_state import CallerState
from fastauthlint.checks.ownership.link.index import OwnershipIndex
from fastauthlint.checks.ownership.link.resolve import CallResolver


class LinkState:
    def __init__(self, project):
        self.project = project
        cfg = project.config
        self.owner_fields = tuple(cfg.option("owner-fields"))
        self.tenant_fields = frozenset(cfg.option("tenant-fields"))
        self.index = OwnershipIndex(project, self.owner_fields)
        self.models = self.index.models
        self.resolver = CallResolver(project, self.index)
        self.caller_state = CallerState(self.resolver, self.index)  # request state naming the caller
        # (function qualname, binding) -> answer. The verified and identity entries are created
        # empty before they are computed, so a question met again while computing it (recursion)
        # sees what is known so far
        self._checks_memo: Dict[Tuple[str, Binding], List[OwnerCheck]] = {}
        self._verified_memo: Dict[Tuple[str, Binding], Dict[Tuple[str, str], int]] = {}
        self._identity_memo: Dict[Tuple[str, Binding], Set[Tuple[str, str]]] = {}
        self._reshape_memo: Dict[str, bool] = {}  # helpers that only reshape a row
        self._completed: Dict[Tuple[str, str, int], QuerySite] = {}  # raw SQL completed from constants
