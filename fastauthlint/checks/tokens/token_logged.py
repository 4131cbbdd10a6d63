"""FAL401 token-logged (spec §7.1): raw tokens, secrets and credentials MUST NOT be written to logs,
standard output or warnings.

Reported where a credential (credentials.py) reaches a log or console sink (sinks.py) in the same
function, through a project helper whose parameter is logged, or as a credential a dependency
defined in another file hands over or a project function returns (link.py). Every secret that
reaches such a sink counts. Test code, and a development script's own console output (a script
that creates an API key prints it to the operator who ran it), get the lower severity.

Not reported: the console output of a script module (project/programs.py: it runs as a program,
serves nothing, and the application does not import it): a `generate_token.py` that prints the
token it minted hands it to the person who ran it, which is its purpose. A script's logger calls
are still reported: logging writes wherever the handlers send it (a file, a collector), and a
script that wanted its operator to see the token would print it.
"""

from __future__ import annotations

from fastauthlint.checks.secrets.sensitive import is_dev_tooling_path

RULE = "FAL401"

# How sinks.py shows the console sinks (standard output, not a log).
CONSOLE_SINKS = frozenset({"`print`", "`sys.stdout.write`", "`sys.stdout.writelines`", "`pprint.pprint`",
                           "`pprint.pp`"})


# A program's own output to its operator (a `print` to a file is shown as "`print` to a file").
SCRIPT_OUTPUT = CONSOLE_SINKS | {"`sys.stderr.write`", "`sys.stderr.writelines`"}


def script_output(rule: str, shown: str) -> bool:
    """A write that is a script's output to whoever runs it, not a log (when the module is a script)."""
    return rule == RULE and shown in SCRIPT_OUTPUT


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
