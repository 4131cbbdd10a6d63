"""The tokens family's per-file facts for the linking step: plain, picklable data (never CST nodes),
with positions only where a finding may be reported from them (positions cost a second parse)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from fastauthlint.findings import Span
from fastauthlint.project.programs import Held


@dataclass
class Flow:
    """A parameter or a project call's result reaching a sink in this function."""

    label: str  # "param", "ret", "obj" or "raise" (a secret of this function in a raised message)
    ref: str  # the parameter's index, the callee's qualified name, or how the secret is described
    rule: str
    sink: str  # how the sink is shown (`logger.info`)
    # Where the sink is, when a finding may be reported there (a parameter fed by a dependency
    # defined elsewhere, a call's result); None for a plain parameter, which only summarises the
    # function for its callers (positions cost a second parse: computed only when needed).
    span: Optional[Tuple[int, int, int, int]]
    response: bool  # a response sink (an issued token is fine there)
    test: bool  # reported with the lower severity (test code, a development script's console output)
    raised: str = ""  # the exception whose message it is, when raised here and not caught here
    local: bool = False  # reported at the sink already (what the parameter's name says it holds)
    # A route's response holding what a project function returned, called with an account the
    # request names: reported when that function returns a token it minted (the parameter).
    minted_for: str = ""


# What the `except` clauses around a call do with an exception (innermost first): the names they
# catch ("*" for a bare `except:`), the log they write it to ("" if none), whether it goes on.
Handler = Tuple[Tuple[str, ...], str, bool]


@dataclass
class CallFlow:
    """A call to a project function passing a tainted value (`desc`) or a parameter (`param`)."""

    callee: str
    arg: str  # position ("0") or keyword name
    span: Optional[Tuple[int, int, int, int]]  # where a tainted value is passed (None for a parameter)
    desc: str = ""  # the local source, when tainted here
    param: int = -1  # the caller's parameter index, when it passes one of its parameters
    test: bool = False
    ret: str = ""  # the project function whose result is passed, when it may issue a token
    handlers: Tuple[Handler, ...] = ()  # the `except` clauses around the call


@dataclass
class FunctionFacts:
    name: str  # `f`, or `Class.method` for a method of a top-level class
    params: List[str]
    deps: Dict[str, str] = field(default_factory=dict)  # param index -> qualname of a Depends()/alias
    flows: List[Flow] = field(default_factory=list)
    calls: List[CallFlow] = field(default_factory=list)
    returns: List[str] = field(default_factory=list)  # kinds of secrets it returns
    returns_calls: List[str] = field(default_factory=list)  # project calls whose results it returns
    returns_params: List[int] = field(default_factory=list)
    star: int = -1  # the index of `*args` among the parameters
    kwstar: int = -1  # the index of `**kwargs`
    receiver: str = ""  # "self" or "cls": a method whose first parameter a call through an instance binds


@dataclass
class TokenFacts:
    schemes: List[str] = field(default_factory=list)  # top-level names bound to security scheme objects
    aliases: Dict[str, str] = field(default_factory=dict)  # `TokenDep = Annotated[..., Depends(x)]` -> x
    functions: List[FunctionFacts] = field(default_factory=list)
    # Module-level objects: `invites = Invites()` -> the class's qualified name (methods called on them)
    instances: Dict[str, str] = field(default_factory=dict)
    # Top-level names holding secrets in plain fields -> one such field: classes declaring them
    # (`SECRET_KEY: str`) and module-level instances of those (`settings = Settings()`); a route
    # returning one whole hands its secrets out.
    holders: Dict[str, str] = field(default_factory=dict)
    # The application's exception handlers: (the exception's class name, the handler's qualified
    # name), from `@app.exception_handler(E)` and `app.add_exception_handler(E, handler)`.
    exception_handlers: List[Tuple[str, str]] = field(default_factory=list)
    # FAL401 findings on a possible script's console output (programs.py), reported when linking
    # unless the application imports the file.
    held: List[Held] = field(default_factory=list)


def span_tuple(s: Span) -> Tuple[int, int, int, int]:
    return (s.line, s.column, s.end_line, s.end_column)
