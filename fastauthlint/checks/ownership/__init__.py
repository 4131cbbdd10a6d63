"""Ownership enforcement (spec §5): FAL201 owned-query-without-owner-filter and FAL202
ownership-denial-inconsistent.

Per file (one batched traversal, visitor.py): model classes and tables (models.py), one summary
per function (summary/: query sites, calls with argument origins, ownership checks, admin
branches, refusals), module-level helper objects, SQL constants and `Annotated[...,
Depends(...)]` aliases. At link time (link/) the route table says which handlers are
authenticated and which parameter holds the current user, and the summaries are walked from each
handler into the dependencies and helpers it calls; owned_query_without_owner_filter.py (FAL201)
and ownership_denial_inconsistent.py (FAL202) decide and word the findings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, List, Optional, Tuple

from fastauthlint.checks.base import Check, CheckVisitor
from fastauthlint.checks.ownership.visitor import OwnershipVisitor
from fastauthlint.context import FileContext
from fastauthlint.findings import Finding
from fastauthlint.options import Option
from fastauthlint.project.data_access import provide_model_kinds

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

    def link_inputs(self, root: Path) -> List[Tuple[str, str]]:
        from fastauthlint.checks.ownership.schema_files import schema_digests
        return schema_digests(root)

    def link(self, project) -> Iterable[Finding]:
        return list(project.memo("ownership-link", lambda: self._link(project)))

    @staticmethod
    def _link(project) -> List[Finding]:
        # Imported here: the link code runs once, in the main process; the per-file workers never
        # need it.
        from fastauthlint.checks.ownership.link.walk import OwnershipWalk, internal_errors
        from fastauthlint.checks.ownership.owned_query_without_owner_filter import UnscopedQueries
        from fastauthlint.checks.ownership.ownership_denial_inconsistent import InconsistentDenials
        from fastauthlint.project.route_table import route_table

        walk = OwnershipWalk(project)
        denials = InconsistentDenials(walk)
        walk.observers.append(denials.visit)  # FAL202 looks at every function the walk enters
        unscoped = UnscopedQueries(walk)
        unscoped.run(route_table(project))
        # FAL201, then FAL202, each in (path, line, column) order, then one internal error per file
        return unscoped.findings() + denials.findings() + internal_errors(walk)


def _risk_kinds(project, base, owner_fields):
    # loaded when the route table first asks: the per-file workers never need the registry
    from fastauthlint.checks.ownership.risk_kinds import provide
    return provide(project, base, owner_fields)


# FAL101's risk of an unprotected route reads which models are owner- or tenant-scoped from here
provide_model_kinds(_risk_kinds)

CHECK = OwnershipCheck()

__all__ = ["CHECK", "OwnershipCheck"]
