"""The plain-data facts one file contributes to the project model: its functions and classes (as
far as they may serve as dependencies, routers or handlers), its routes, include_router/mount
edges, middleware and the calls that hand objects to project functions. Frozen dataclasses of
`V` values, never CST nodes: they cross process boundaries and are cached (store.py packs them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from fastauthlint.project.values import V


# Key prefix, in FileFacts.assigns, of what a file stores on an app's state (`app.state.auth = self`)
STATE_PREFIX = "<state>."


@dataclass(frozen=True)
class ParamFact:
    name: str
    ann: Optional[V]
    default: Optional[V]
    star: bool = False
    credential: str = ""  # "header:authorization", "cookie:session", "query:token" when the parameter reads one
    required: bool = True  # no default / `...`
    checked: bool = False  # appears in a None/truthiness guard (if/assert/and/or/ternary)
    rejects_missing: bool = False  # `if p is None: raise ...`, `if not p: return 401`
    deref_line: int = 0  # first `p.x` / `p[...]` before any guard (0: none)
    deref_text: str = ""
    passed: bool = False  # handed to a call (`use_case.execute(viewer=p)`): the function uses it


@dataclass(frozen=True)
class FuncFact:
    name: str  # qualname inside the module ("f", "C.m", "f.<locals>.g")
    line: int
    params: Tuple[ParamFact, ...]
    returns_ann: Optional[V]
    decorators: Tuple[V, ...]
    is_method: bool
    decodes: bool  # calls a known token verifier
    verifier_call: bool  # calls a verifier-named method on an object we cannot see
    reads: Tuple[str, ...]  # credentials read from the request: "header:authorization", "cookie:…", "user"
    raises: bool
    raises_auth: int  # raises/returns a 401 or (only) a 403; 0 if neither
    raised: Tuple[V, ...]  # what is raised by name (`raise credentials_exception`)
    returns_none: bool
    returns: Tuple[V, ...]
    calls: Tuple[V, ...]  # callees (qualified or local), for transitive evidence
    passes_names: bool  # passes a local name/parameter to some call
    admin_check: bool
    param_calls: Tuple[Tuple[str, str], ...]  # `p.method(...)` on parameter p
    local_values: Tuple[Tuple[str, V], ...]
    request_to_call: bool  # hands a Request parameter to another call
    takes_request: bool = False  # has a Request/WebSocket parameter
    super_init: Optional[V] = None  # `super().__init__(...)` in an __init__ (router subclasses' defaults)
    super_calls: Tuple[str, ...] = ()  # methods called on `super()`
    # what the function does, for route purposes, guards and risk (collect_purpose.py)
    actions: Tuple[str, ...] = ()  # "pw-verify", "issue", "check:lookup:reset_token", "writes", ...
    models: Tuple[V, ...] = ()  # the model classes its queries name
    xcalls: Tuple[V, ...] = ()  # methods called on objects held in locals and attributes (`self.repo.get`)
    # -- how the function ends and what it does first (whether it refuses a missing credential) --
    ends_open: bool = False  # the end of the body is reachable: it may return None implicitly
    # calls of the leading statements, one tuple per statement, in order: what runs before anything
    # else (a `try` whose handlers all raise and a `with` are entered; an `if` or a loop ends it)
    lead: Tuple[Tuple[V, ...], ...] = ()
    cred_fed: Tuple[V, ...] = ()  # callees handed a parameter or a value read from one (`verify(token)`)
    # `return None` only under a test of an instance attribute: (attribute, "truthy"|"falsy"), the
    # attribute's state that reaches it (`if not self.auto_error: return None` -> falsy)
    none_guards: Tuple[Tuple[str, str], ...] = ()
    # instance attributes this method sets: (attribute, source); source "p:<parameter>",
    # "a:<attribute>", "lit" (value = the literal), "value" (a list/dict display), "unknown"
    attr_src: Tuple[Tuple[str, str, Optional[V]], ...] = ()
    # verification that runs only when the deployment's environment says so
    # (`if get_config("ENV", "DEV") == "PROD": Authorize.jwt_required()`): the condition, and the
    # `p.method()` calls / "decode" it guards (kept out of param_calls and decodes)
    env_gate: str = ""
    env_gated: Tuple[Tuple[str, str], ...] = ()
    # collections the request's path is tested against, named for letting requests through
    # (`if path in self.PUBLIC_ENDPOINTS`, `any(path.startswith(p) for p in SKIP_AUTH)`)
    path_lists: Tuple[V, ...] = ()
    # returned values reached only when a parameter is truthy (True) or falsy (False):
    # `if public: return APIRouter(prefix=p)` -> (that value, "public", True)
    cond_returns: Tuple[Tuple[V, str, bool], ...] = ()
    # patterns the request's path is matched against: (pattern, "allow") for an `if` letting the
    # request through, (pattern, "deny") for one refusing inside; "open" last when every refusal
    # is inside a "deny" one (paths matching no pattern pass)
    path_regex: Tuple[Tuple[V, str], ...] = ()


@dataclass(frozen=True)
class ClassFact:
    name: str
    bases: Tuple[V, ...]
    decorators: Tuple[V, ...]
    attrs: Tuple[Tuple[str, Optional[V], Optional[V]], ...]  # (name, annotation, value)
    methods: Tuple[str, ...]
    mentions_reject: int  # a 401/403 status appears in its body (exception classes); 0 if not


@dataclass(frozen=True)
class RouteFact:
    receiver: V  # the router/app expression
    kind: str  # "api" | "ws" | "starlette"
    form: str  # "decorator" | "add_api_route" | ...
    methods: Tuple[str, ...]
    path: V
    dependencies: Optional[V]
    handler: str  # qualname in this file of the decorated function ("" for add_api_route)
    endpoint: Optional[V]  # add_api_route's endpoint
    line: int
    column: int
    end_line: int
    end_column: int
    public: Optional[str]  # inline `# fastauthlint: public [reason]` (reason may be "")
    cls: str = ""  # enclosing class qualname (class-based views)


@dataclass(frozen=True)
class IncludeFact:
    parent: V
    child: V
    prefix: Optional[V]
    dependencies: Optional[V]
    kind: str  # "include" | "mount"
    line: int = 0


@dataclass(frozen=True)
class MiddlewareFact:
    """`app.add_middleware(AuthMiddleware, ...)` or `@app.middleware("http")` on a function."""

    receiver: V
    target: V  # the middleware class, or the decorated function
    line: int = 0


@dataclass(frozen=True)
class CallFact:
    """A call passing names to a function (`register_routes(app)`): lets the evaluator bind the
    function's parameters to what the caller passes."""

    callee: V
    args: Tuple[V, ...]
    kw: Tuple[Tuple[str, V], ...]


@dataclass(frozen=True)
class HandlerFact:
    """An exception handler registered on an app: the exception class and the handler function."""

    exc: V
    handler: V


@dataclass
class FileFacts:
    """Everything one file says (in memory; store.py packs it for the cache)."""

    module: str
    uses_fastapi: bool
    functions: Dict[str, FuncFact] = field(default_factory=dict)
    classes: Dict[str, ClassFact] = field(default_factory=dict)
    assigns: Dict[str, V] = field(default_factory=dict)
    routes: List[RouteFact] = field(default_factory=list)
    includes: List[IncludeFact] = field(default_factory=list)
    calls: List[CallFact] = field(default_factory=list)
    middleware: List[MiddlewareFact] = field(default_factory=list)
    # `@app.exception_handler(AuthError)` / `app.add_exception_handler(AuthError, handler)`
    exception_handlers: List["HandlerFact"] = field(default_factory=list)
