"""FAL401 token-logged (spec §7.1): raw tokens, secrets and credentials MUST NOT be written to logs,
standard output or warnings.

Reported where a credential (credentials.py) reaches a log or console sink (sinks.py) in the same
function, through a project helper whose parameter is logged, or as a credential a dependency
defined in another file hands over or a project function returns (link.py). Every secret that
reaches such a sink counts. Test code, and a development script's own console output (a script
that creates an API key prints it to the operator who ran it), get the lower severity.
"""

from __future__ import annotations

from fastauthlint.checks.secrets.sensitive import is_dev_tooling_path

RULE = "FAL401"

# How sinks.py shows the console sinks (standard output, not a log).
CONSOLE_SINKS = frozenset({"`print`", "`sys.stdout.write`", "`sys.stdout.writelines`", "`pprint.pprint`",
                           "`pprint.pp`"})


def dev_console(shown: str, rel_path: str) -> bool:
    """A development script's own console output (the lower severity)."""
    return shown in CONSOLE_SINKS and is_dev_tooling_path(rel_path)


def message(desc: str, sink: str) -> str:
    return (f"{desc} is written to {sink}: raw tokens and secrets must not reach logs or output; log the "
            f"user id or a hash instead")


def passed_message(desc: str, callee: str, param: str, sink: str, where: str) -> str:
    """A secret passed to a project helper whose parameter is logged (`where`: " in path")."""
    return (f"{desc} is passed to `{callee}()`, whose parameter `{param}` is written to {sink}{where}: raw "
            f"tokens and secrets must not reach logs, errors or responses")
