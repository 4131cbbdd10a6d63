"""The HTTP-contract family's per-file facts for the linking step (plain, picklable data): the 401s
whose delivery depends on other files (is the function around them ever called, and from where?
does the dependency a guard tests ever return nothing?), and what the rest of the project needs to
answer that."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Tuple


@dataclass
class Unauthorized:
    """A 401 built without a `WWW-Authenticate` header that may reach a client."""

    span: Tuple[int, int, int, int]
    what: str  # the class called: `HTTPException`, `JSONResponse`, ...
    raised: bool  # an exception (a project-wide exception handler may add the header), not a response
    scheme: str = ""  # the scheme the closest evidence names ("" when it is ambiguous or absent)
    schemes: Tuple[str, ...] = ()  # the schemes of an ambiguous answer
    scheme_from: str = ""  # schemes.FUNCTION when the function's own words or dependencies name it
    # The file's answer, used when the function's dependencies (followed when linking) name none.
    file_scheme: str = ""
    file_schemes: Tuple[str, ...] = ()
    # The top-level function (or module constant) holding the 401, whose callers decide whether it
    # runs ("" when something registers it: a decorator, a class).
    holder: str = ""
    func: str = ""  # qualname of the function around the 401
    guard: str = ""  # `if not user: raise ...` on this parameter of `func` (a dependency's value)
    state: str = ""  # `if request.state.user_id is None: raise ...` on this attribute of the request's state
    # An OAuth2 client authenticated by its secret (a token, revocation or introspection endpoint):
    # RFC 6749 §5.2 challenges with the client's scheme, Basic, not the access tokens' Bearer.
    client_auth: bool = False
    # `if not current_user.get("id"): raise ...`: the field tested, and (function, parameter) pairs
    # whose dependency must guarantee it (the function's own, or those of its callers in the file).
    missing_field: str = ""
    field_sources: Tuple[Tuple[str, str], ...] = ()
    # The status is the fault (misdirected.py): a wrong password re-entered by an authenticated
    # caller, a credential sent as a body field ("" when neither).
    misdirected: str = ""


@dataclass
class HttpFacts:
    unauthorized: List[Unauthorized] = field(default_factory=list)
    schemes: Tuple[str, ...] = ()  # scheme words of the security classes the file uses
    # Who refers to what: names bound by an import and dotted chains through them
    # (`adapters.retrieve_user`), and this module's own top-level names -> the referrers: the
    # top-level function each use is in, "*" for code that runs (module level, a decorated
    # function, a class), "ws" for a WebSocket handler. A name imported inside a function is kept
    # qualified, marked with a leading "=" (`=app.keys.require_key`).
    refs: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    local_refs: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    # Exception handlers registered here for 401s: (the handler, qualified or a top-level name of
    # this file); and this file's handlers that answer with a challenge or a page.
    handlers: Tuple[str, ...] = ()
    answering: Tuple[str, ...] = ()
    # Exception handlers for HTTPException that rebuild the answer without its headers: (the response
    # they build, its class) (dropped.py).
    dropping: List[Tuple[Tuple[int, int, int, int], str]] = field(default_factory=list)
    # Dependencies (qualnames in this file) whose every return is a value that cannot be falsy.
    never_falsy: Tuple[str, ...] = ()
    # Dependencies (qualnames) -> (fields they refuse missing on what they return, the parameter
    # they return unchanged or "").
    guarantees: Dict[str, Tuple[Tuple[str, ...], str]] = field(default_factory=dict)
    # Attributes of the request's state this file sets (`request.state.user_id = user.id`) -> whether
    # every function setting it refuses the requests it cannot authenticate (raises, answers 401/403).
    state_setters: Dict[str, bool] = field(default_factory=dict)
    # FAL602 findings (span, message, the top-level function holding it or ""): reported when the
    # code runs (a CORS helper nothing calls adds no middleware).
    cors: List[Tuple[Tuple[int, int, int, int], str, str]] = field(default_factory=list)
    # Does the file set or read cookies, use a cookie session or HTTP Basic (credentials a browser
    # attaches to a cross-site request by itself)?
    ambient: bool = False
    # Does the file (outside tests) name a credential sent in a header (`Authorization`, bearer, an API
    # key header, a header scheme)? None anywhere, and cookies read: the project authenticates by cookie.
    header_credential: bool = False
    reads_cookie: bool = False  # reads a cookie (`request.cookies`, a `Cookie()` parameter) outside tests
    # FAL601's cookie provenance (cookies.py): function -> its own credential (`c` a cookie only, `h` a
    # header named); callee's last name -> (caller, ((argument slot, where the argument comes from), ...)).
    verdicts: Dict[str, str] = field(default_factory=dict)
    sites: Dict[str, List[Tuple[str, Tuple[Tuple[str, str], ...]]]] = field(default_factory=dict)
