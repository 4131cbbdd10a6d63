"""The secrets & configuration family (spec §6.1–§6.2): FAL301 hardcoded-secret and FAL302
secret-with-literal-fallback.

    hardcoded_secret.py              FAL301: which literals are secrets written into the code
    secret_with_literal_fallback.py  FAL302: secrets read from the environment with a literal fallback
    settings.py                      settings classes (BaseSettings, across files) and their facts
    visitor.py                       the traversal that hands each literal to the rule judging it
    literals.py                      reading literals, showing them masked
    sensitive.py                     what looks like a secret (names, values, token formats); shared
                                     with the token-handling family
"""

from __future__ import annotations

from typing import Iterable

from fastauthlint.checks.base import Check
from fastauthlint.checks.secrets import settings
from fastauthlint.checks.secrets.hardcoded_secret import RULE as HARDCODED
from fastauthlint.checks.secrets.secret_with_literal_fallback import RULE as FALLBACK
from fastauthlint.checks.secrets.visitor import SecretsVisitor
from fastauthlint.findings import Finding


class SecretsCheck(Check):
    name = "secrets"
    rules = (HARDCODED, FALLBACK)

    def visitor(self, ctx):
        return SecretsVisitor(ctx)

    def link(self, project) -> Iterable[Finding]:
        return settings.link(project, self.name)


CHECK = SecretsCheck()
