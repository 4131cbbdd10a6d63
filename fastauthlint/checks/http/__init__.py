"""The HTTP-contract family (spec §4.7, §7.3–§7.5): FAL601–FAL604, each local to one file, one
module per rule:

    FAL601 unauthorized-without-www-authenticate  unauthorized_without_www_authenticate.py
    FAL602 cors-wildcard-with-credentials         cors_wildcard_with_credentials.py
    FAL603 insecure-auth-cookie                   insecure_auth_cookie.py
    FAL604 non-constant-time-compare              non_constant_time_compare.py

visitor.py hands each call and comparison to the rule that judges it; constants.py reads the module
constants some arguments are given through.
"""

from __future__ import annotations

from fastauthlint.checks.base import Check
from fastauthlint.checks.http import (
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


CHECK = HttpCheck()
