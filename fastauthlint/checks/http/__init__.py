"""The HTTP-contract family (spec §4.7, §7.3–§7.5): FAL601–FAL604, one module per rule:

    FAL601 unauthorized-without-www-authenticate  unauthorized_without_www_authenticate.py
    FAL602 cors-wildcard-with-credentials         cors_wildcard_with_credentials.py
    FAL603 insecure-auth-cookie                   insecure_auth_cookie.py
    FAL604 non-constant-time-compare              non_constant_time_compare.py
    FAL605 authentication-failure-as-403          authentication_failure_as_403.py (preview, own traversal)

visitor.py hands each call and comparison to the rule that judges it; constants.py reads the module
constants some arguments are given through. FAL601 is decided in two steps: what one file shows
about where a 401 goes (delivery.py), then what the project shows (link.py, from the facts in
facts.py); schemes.py names the scheme its challenge should carry (the FAL601 fix writes the same).
"""

from __future__ import annotations

from typing import Iterable

from fastauthlint.checks.base import Check
from fastauthlint.checks.http import (
    authentication_failure_as_403,
    cors_wildcard_with_credentials,
    insecure_auth_cookie,
    non_constant_time_compare,
    unauthorized_without_www_authenticate,
)
from fastauthlint.checks.http.visitor import HttpVisitor
from fastauthlint.context import FileContext


class HttpCheck(Check):
    name = "http"
    rules = (unauthorized_without_www_authenticate.RULE, cors_wildcard_with_credentials.RULE,
             insecure_auth_cookie.RULE, non_constant_time_compare.RULE)

    def visitor(self, ctx: FileContext) -> HttpVisitor:
        return HttpVisitor(ctx)

    def link(self, project) -> Iterable:
        from fastauthlint.checks.http import link  # the linking machinery, loaded when linking runs

        return link.link(project, self.name)


CHECK = HttpCheck()
MORE_CHECKS = (authentication_failure_as_403.CHECK,)
