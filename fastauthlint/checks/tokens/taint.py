"""The taint domain of FAL401/FAL402: what a value may hold (a set of labels), and the state of one
function while its statements are read in order (`FunctionState`).

A label is one of
    ("src", kind, description)  a secret of `kind`: "credential" (an incoming token), "password",
                                "config" (a configuration secret: no response may carry it, not even
                                the one issuing a token), "secret", "token" (a token of unknown
                                origin) or "issued" (a token minted here); `description` is how
                                messages name it ("the token `access_token`");
    ("param", index, name)      the value of a parameter (for the function's summary);
    ("ret", qualname, "")       the result of a call to a project function (whether it issues
                                tokens is known to the linking step).
"""

from __future__ import annotations

from typing import Dict, FrozenSet, List, Optional, Set, Tuple

from fastauthlint.checks.tokens.facts import FunctionFacts

Label = Tuple[str, object, str]
Taint = FrozenSet[Label]
EMPTY: Taint = frozenset()
# A name known to be empty in a branch (`if not token:`): no secret, and told apart from a name the
# branch rebinds.
EMPTIED: Taint = frozenset({("empty", "", "")})
# How the request's header and cookie mappings are named (a copy without `Authorization` and
# `Cookie` is clean again).
HEADERS_DESC = "the request's headers (`Authorization` and the cookies among them)"
COOKIES_DESC = "the request's cookies"


def src(kind: str, desc: str) -> Taint:
    return frozenset({("src", kind, desc)})


def sources(t: Taint) -> List[Label]:
    """The secrets a value may hold, the most serious first (how messages choose what to name)."""
    return sorted((lab for lab in t if lab[0] == "src"), key=lambda lab: (KIND_ORDER.get(lab[1], 9), lab[2]))


KIND_ORDER = {"credential": 0, "password": 1, "config": 2, "secret": 3, "issued": 4, "token": 5}
KIND_WORD = {"password": "password", "secret": "secret", "token": "token"}


class FunctionState:
    """The taint state of one function (or of the module's top level) while its statements are read
    in order."""

    def __init__(self, is_route: bool, facts: Optional[FunctionFacts], in_test: bool,
                 device_tokens: bool = False):
        self.is_route = is_route
        self.facts = facts  # its summary for the linking step (top-level functions only)
        # Test code or test scaffolding: its findings get the lower severity.
        self.in_test = in_test
        self.env: Dict[str, Taint] = {}
        self.params: Set[str] = set()  # a route's parameters hold what the client sent
        self.fresh: Set[str] = set()  # names bound to objects created here (`Webhook()`, `repo.create(...)`)
        # In push-notification code a bare `token` is a device's address, not a credential.
        self.device_tokens = device_tokens
        self.reported: Set[Tuple[int, str]] = set()
        # Names the function itself shows are not credentials, whatever they are called: a
        # lexer's token (`token == "-"`, `int(token)`), the name a secret is looked up under
        # (`vault.get_secret(totp_secret_key)`).
        self.not_secret: Set[str] = set()
        self.jwts: Set[str] = set()  # names it hands to a JWT library's reader (jwt_parts.py)
        # names bound to a lookup by a token, or read from such a record -> those tokens (rejected.py)
        self.lookups: Dict[str, FrozenSet[str]] = {}
        # Names and attributes holding a masking wrapper (`x.get_secret_value()` is called: `x`
        # is a SecretStr, whose str() is "**********").
        self.masked: Set[str] = set()
        self.masked_attrs: Set[str] = set()  # `self.<attr>` holding a SecretStr in this class
        self.masking_params: Set[str] = set()  # parameters annotated SecretStr
        self.typed: Dict[str, str] = {}  # parameters annotated with a class of `masked_fields`
        self.requests: Set[str] = set()  # parameters annotated `Request`/`WebSocket`
        # Parameters annotated with a project class (`svc: InviteService = Depends(...)`): their
        # methods are project functions (`svc.create_invite(...)`).
        self.services: Dict[str, str] = {}
        self.owner: Optional[str] = None  # the top-level class of a method
        # A route's parameters naming an account (`user_id` in the path) when the route also has an
        # authenticated caller: a token minted for one of them is for someone else.
        self.accounts: Set[str] = set()
        # Per enclosing `try` being read: what each handler does with what it catches (sinks.py).
        self.catchers: List[list] = []
        self.removed_headers: Dict[str, Set[str]] = {}  # names of header copies -> credential headers taken out
