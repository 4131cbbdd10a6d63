"""The routes family: authentication coverage of every route.

- FAL101 route-missing-auth (route_missing_auth.py): a route anonymous requests can reach.
- FAL102 optional-auth-not-enforced (optional_auth_not_enforced.py): a handler that uses the user
  of an optional authentication without checking that there is one.
- FAL103 identity-from-client-header (identity_from_client_header.py, preview, a traversal of its
  own): the user taken from a header any client can send.

Both are judged on the project model's route table (fastauthlint.project.route_table), which
knows every route's full path, the dependencies that apply along each inclusion chain, and which
of them authenticate. This package holds what is the family's own: its options, and how each
rule words its findings. (`fastauthlint routes` prints the same table.)
"""

from __future__ import annotations

from typing import Iterable, List, Optional

from fastauthlint.checks.base import Check
from fastauthlint.checks.routes import identity_from_client_header, optional_auth_not_enforced, route_missing_auth
from fastauthlint.checks.routes.optional_auth_not_enforced import FAL102
from fastauthlint.checks.routes.route_missing_auth import FAL101
from fastauthlint.findings import Finding
from fastauthlint.options import Option
from fastauthlint.project.public import parse_public_pattern


def _check_patterns(value) -> Optional[str]:
    for p in value:
        if parse_public_pattern(p) is None:
            return f"'{p}' is not a route pattern: write a path ('/health', '/auth/*') optionally after methods ('GET /health', 'GET,HEAD /docs')"
    return None


def _check_names(value) -> Optional[str]:
    for p in value:
        if not p.strip() or " " in p.strip():
            return f"'{p}' is not a dotted name (e.g. 'app.api.deps.get_current_user' or 'get_current_user')"
    return None


class RoutesCheck(Check):
    name = "routes"
    rules = (FAL101, FAL102)
    # Read by the project model when it builds the route table (config.option(key)).
    options = (
        Option("auth-dependencies", "list[str]", [],
               "Dependencies that authenticate although the check cannot see it (e.g. they live in an "
               "installed package): qualified names, a dotted suffix, or glob patterns.",
               rules=(FAL101, FAL102), check=_check_names),
        Option("public-routes", "list[str]", [],
               "Routes that are public by design: 'METHOD /path' or '/path', matched against the full "
               "path with every prefix; '*' matches anything, '{param}' one segment.",
               rules=(FAL101,), check=_check_patterns),
        Option("infer-public", "bool", True,
               "Routes whose handler shows what they are for (login, signup, password reset, OAuth, logout, "
               "health, docs...) are public without being declared; false reports them until they are declared.",
               rules=(FAL101,)),
    )

    def visitor(self, ctx):
        # only files that mention an admin panel library have something to report per file
        if ctx.is_test or not ctx.mentions(route_missing_auth.ADMIN_WORDS):
            return None
        return route_missing_auth.AdminPanelVisitor(ctx)

    def link(self, project) -> Iterable[Finding]:
        # The linking machinery is loaded when linking runs: a warm run that reuses the linked
        # findings of the cache never needs it.
        from fastauthlint.project.route_table import linked_routes

        linked = linked_routes(project)
        out: List[Finding] = route_missing_auth.findings(linked)
        out.extend(optional_auth_not_enforced.findings(linked))
        return out


CHECK = RoutesCheck()
MORE_CHECKS = (identity_from_client_header.CHECK,)

__all__ = ["CHECK", "RoutesCheck"]
