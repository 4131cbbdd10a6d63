"""The tokens family's per-file facts for the linking step: plain, picklable data (never CST nodes),
with positions only where a finding may be reported from them (positions cost a second parse)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from fastauthlint.findings import Span


@dataclass
class Flow:
    """A parameter or a project call's result reaching a sink in this function."""

    label: str  # "param" or "ret"
    ref: str  # the parameter's index, or the callee's qualified name
    rule: str
    sink: str  # how the sink is shown (`logger.info`)
    # Where the sink is, when a finding may be reported there (a parameter fed by a dependency
    # defined elsewhere, a call's result); None for a plain parameter, which only summarises the
    # function for its callers (positions cost a second parse: computed only when needed).
    span: Optional[Tuple[int, int, int, int]]
    response: bool  # a response sink (an issued token is fine there)
    test: bool  # reported with the lower severity (test code, a development script's console output)


@dataclass
class CallFlow:
    """A call to a project function passing a tainted value (`desc`) or a parameter (`param`)."""

    callee: str
    arg: str  # position ("0") or keyword name
    span: Optional[Tuple[int, int, int, int]]  # where a tainted value is passed (None for a parameter)
    desc: str = ""  # the local source, when tainted here
    param: int = -1  # the caller's parameter index, when it passes one of its parameters
    test: bool = False


@dataclass
class FunctionFacts:
    name: str
    params: List[str]
    deps: Dict[str, str] = field(default_factory=dict)  # param index -> qualname of a Depends()/alias
    flows: List[Flow] = field(default_factory=list)
    calls: List[CallFlow] = field(default_factory=list)
    returns: List[str] = field(default_factory=list)  # kinds of secrets it returns
    returns_calls: List[str] = field(default_factory=list)  # project calls whose results it returns
    returns_params: List[int] = field(default_factory=list)


@dataclass
class TokenFacts:
    schemes: List[str] = field(default_factory=list)  # top-level names bound to security scheme objects
    aliases: Dict[str, str] = field(default_factory=dict)  # `TokenDep = Annotated[..., Depends(x)]` -> x
    functions: List[FunctionFacts] = field(default_factory=list)


def span_tuple(s: Span) -> Tuple[int, int, int, int]:
    return (s.line, s.column, s.end_line, s.end_column)
