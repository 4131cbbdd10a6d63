"""What the project issues and what it accepts: the facts FAL506 and FAL507 judge when linking.

Per file, for every JWT library call (`model.resolve`, the same resolution the family's visitor
uses) the visitor records plain facts:

- `Issue`: a token the code signs — which claims its payload sets (`aud`, `iss`, and the claims that
  tell kinds of token apart: `type`, `typ`, `token_type`, `scope`, `purpose`, ...) with their literal
  values, the function that makes it (`create_refresh_token`) and the key it is signed with;
- `Accept`: a verified decode — whether it asks for `audience=`/`issuer=` (or turns those checks
  off, which FAL504 reports), which claims the function reads from the result, whether it returns
  the claims to its caller, whether they decide who the caller is (a decode that reads only `exp` to
  blacklist a token does not), the key, the function;
- per function, the names it calls and whether it reads a kind claim at all (a caller of a decode
  helper that checks `payload["type"]` itself).

The key is named by the last segment of its expression (`settings.SECRET_KEY` and an imported
`SECRET_KEY` are the same key); a key the code computes is not named, and such sites are not judged.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set

import libcst as cst

from fastauthlint.astutil import keyword, literal_str
from fastauthlint.checks.base import CheckVisitor
from fastauthlint.checks.jwt.claims import claim_uses
from fastauthlint.checks.jwt.flow import Scope, frame_scope
from fastauthlint.checks.jwt.model import AUTHLIB, INTERESTING, REVOKES, Site, identity_claim, resolve
from fastauthlint.checks.jwt.values import ABSENT, UNKNOWN, DictVal, key_values
from fastauthlint.context import FileContext

# Claims that tell kinds of token apart.
KIND_CLAIMS = ("type", "typ", "token_type", "tokentype", "token_use", "purpose", "kind", "scope", "use",
               "token_kind", "tt", "t", "aud")
_KIND_ATTRS = frozenset(k for k in KIND_CLAIMS if k not in ("t", "tt", "use", "aud"))
# Kinds told by the function that makes a token, by the start of a segment of its name
# (`create_refresh_token`, `generateInviteToken`): a word inside another (`ws` in `news`, `api` in
# `rapid`) tells nothing.
_KIND_WORDS = (("refresh", "refresh"), ("reset", "password-reset"), ("recover", "password-reset"),
               ("verification", "verification"), ("confirm", "verification"), ("activat", "verification"),
               ("invit", "invitation"), ("magic", "magic-link"), ("unsubscribe", "unsubscribe"),
               ("download", "download"), ("share", "share"), ("access", "access"), ("session", "access"),
               ("login", "access"), ("api", "api"), ("service", "service"), ("ws", "websocket"),
               ("websocket", "websocket"), ("state", "state"), ("csrf", "csrf"), ("oauth", "oauth-state"))
# `verify` is the verb of every decoder (`verify_token`, `verify_jwt`): it names the e-mail
# verification kind only beside what is verified (`verify_email_token`, `create_verify_account_token`)
_VERIFIED_THINGS = ("email", "mail", "account", "signup", "registration", "phone")
_SEGMENT = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


@dataclass
class Issue:
    line: int
    function: str
    key: str  # "" when the key is not a name
    claims: Dict[str, List[str]] = field(default_factory=dict)  # claim -> literal values ("?" when unknown)
    source: str = ""  # what a module constant naming the key is bound to (`mail_token_key`), "" when unknown


@dataclass
class Accept:
    line: int
    column: int
    end_line: int
    end_column: int
    display: str
    function: str
    key: str
    audience: str  # given | off | missing
    issuer: str  # given | off | missing
    reads: List[str] = field(default_factory=list)
    returns: bool = False  # the claims go back to the caller
    decides: bool = True  # the claims decide who the caller is (not only `exp` read to blacklist it)
    source: str = ""  # as Issue.source


@dataclass
class IssuedFacts:
    issues: List[Issue] = field(default_factory=list)
    accepts: List[Accept] = field(default_factory=list)
    # function -> (names it calls, reads a kind claim)
    functions: Dict[str, List[str]] = field(default_factory=dict)
    kind_readers: List[str] = field(default_factory=list)


def key_name(expr: Optional[cst.BaseExpression]) -> str:
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Call):  # settings.secret_key.get_secret_value(), str(SECRET)
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("get_secret_value", "encode", "decode"):
            return key_name(func.value)
        if isinstance(func, cst.Name) and func.value in ("str", "bytes") and expr.args:
            return key_name(expr.args[0].value)
    return ""


def key_source(site: Site) -> str:
    """What a key named by a constant of this module is bound to: two services may each call their
    key `SECRET_KEY` (`SECRET_KEY = settings.secret_key` here, `SECRET_KEY = settings.mail_token_key`
    there) and sign different kinds with different keys. "" when it is not known here."""
    expr = site.arg("key")
    if not isinstance(expr, cst.Name):
        return ""
    bound = [v for v in site.scope.values(expr, site.call) if isinstance(v, cst.BaseExpression)]
    if len(bound) != 1 or bound[0] is expr:
        return ""
    v = bound[0]
    if isinstance(v, cst.FormattedString):
        parts = [p for p in v.parts if isinstance(p, cst.FormattedStringExpression)]
        if len(parts) != 1 or any(isinstance(p, cst.FormattedStringText) and p.value.strip() for p in v.parts):
            return ""
        v = parts[0].expression
    if isinstance(v, cst.Subscript) and len(v.slice) == 1 and isinstance(v.slice[0].slice, cst.Index):
        return (literal_str(v.slice[0].slice.value) or "").lower()  # os.environ["MAIL_TOKEN_KEY"]
    if isinstance(v, cst.Call) and v.args and isinstance(v.func, (cst.Name, cst.Attribute)) and \
            key_name(v.func) in ("getenv", "get", "config"):
        return (literal_str(v.args[0].value) or "").lower()  # os.getenv("MAIL_TOKEN_KEY")
    return key_name(v).lower() if isinstance(v, (cst.Attribute, cst.Call)) else ""


def kind_from_name(function: str) -> str:
    segments = [m.group(0).lower() for m in _SEGMENT.finditer(function.rsplit(".", 1)[-1])]
    for word, kind in _KIND_WORDS:
        if any(s.startswith(word) for s in segments):
            return kind
    if any(s.startswith("verif") for s in segments) and any(s in _VERIFIED_THINGS for s in segments):
        return "verification"
    return ""




class _Frame:
    __slots__ = ("owner", "calls", "scope", "called", "reads_kind")

    def __init__(self, owner: Optional[cst.CSTNode]):
        self.owner = owner
        self.calls: List[cst.Call] = []
        self.scope: Optional[Scope] = None
        self.called: Set[str] = set()
        self.reads_kind = False


class IssuedVisitor(CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self.frames: List[_Frame] = [_Frame(ctx.module)]
        self.out = IssuedFacts()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.frames.append(_Frame(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self.frames[-1]
        self._analyse(len(self.frames) - 1)
        name = original_node.name.value
        self.out.functions.setdefault(name, [])
        self.out.functions[name] = sorted(set(self.out.functions[name]) | frame.called)
        if frame.reads_kind:
            self.out.kind_readers.append(name)
        self.frames.pop()

    def leave_Module(self, original_node: cst.Module) -> None:
        self._analyse(0)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        frame = self.frames[-1]
        name = func.attr.value if isinstance(func, cst.Attribute) else (func.value if isinstance(func, cst.Name) else "")
        if name:
            frame.called.add(name)
        if isinstance(func, cst.Attribute) and name in INTERESTING:
            frame.calls.append(node)
        elif isinstance(func, cst.Name):
            q = self.ctx.qualify(func)
            if q is not None and q.split(".")[0] in ("jwt", "jose", "authlib"):
                frame.calls.append(node)
        if name in ("get", "pop") and node.args and literal_str(node.args[0].value) in KIND_CLAIMS:
            frame.reads_kind = True

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index) \
                and literal_str(node.slice[0].slice.value) in KIND_CLAIMS:
            self.frames[-1].reads_kind = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value in _KIND_ATTRS:
            self.frames[-1].reads_kind = True

    def _analyse(self, i: int) -> None:
        frame = self.frames[i]
        if not frame.calls:
            return
        owner = frame.owner if isinstance(frame.owner, cst.FunctionDef) else None
        function = owner.name.value if owner is not None else ""
        for call in frame.calls:
            site = resolve(call, frame_scope(self.frames, i, self.ctx.qualify), self.ctx.qualify)
            if site is None or not site.api.claims:
                continue
            if site.kind == "encode":
                self.out.issues.append(self._issue(site, function))
            elif site.kind == "decode" and not site.signature_off()[0]:
                accept = self._accept(site, function)
                if accept is not None:
                    self.out.accepts.append(accept)

    def _issue(self, site: Site, function: str) -> Issue:
        payload = site.arg("payload") if "payload" in site.api.params else site.arg("claims")
        claims: Dict[str, List[str]] = {}
        dicts = site.scope.values(payload, site.call) if payload is not None else []
        for claim in ("iss", "aud") + KIND_CLAIMS:
            vals = [v for v in key_values(dicts, claim) if v is not ABSENT and v is not UNKNOWN]
            if not vals:
                continue
            lits: List[str] = []
            for v in vals:
                got = [] if isinstance(v, DictVal) else site.scope.literals(v, site.call)
                strings = [x for x in got if isinstance(x, str) and x]
                lits.extend(strings if strings else ["?"])
            claims[claim] = sorted(set(lits))
        return Issue(line=self.ctx.span(site.call).line, function=function, key=key_name(site.arg("key")),
                     claims=claims, source=key_source(site))

    def _accept(self, site: Site, function: str) -> Optional[Accept]:
        if site.has_kwargs_splat():
            return None  # audience/issuer may come through **kwargs
        span = self.ctx.span(site.call.func)
        uses = claim_uses(site.scope, site.call, identity_claim)
        return Accept(line=span.line, column=span.column, end_line=span.end_line, end_column=span.end_column,
                      display=site.display, function=function, key=key_name(site.arg("key")),
                      audience=self._checked(site, "aud", "audience"), issuer=self._checked(site, "iss", "issuer"),
                      reads=sorted(uses.reads), returns=any(s.kind == "return" for s in uses.sinks),
                      decides=bool(uses.sinks) and not REVOKES.search(function), source=key_source(site))

    @staticmethod
    def _checked(site: Site, claim: str, arg: str) -> str:
        if site.lib == AUTHLIB:
            options = site.arg("claims_options")
            if options is None:
                return "missing"
            vals = key_values(site.scope.values(options, site.call), claim)
            return "missing" if vals and all(v is ABSENT for v in vals) else "given"
        if keyword(site.call, arg) is not None:
            return "given"
        if site.flag_may_be_false(f"verify_{claim}"):
            return "off"  # FAL504's business
        if UNKNOWN in site.flag(f"verify_{claim}"):
            return "off"
        return "missing"

    def facts(self) -> Optional[IssuedFacts]:
        if not self.out.issues and not self.out.accepts and not self.out.kind_readers:
            return None  # (a file of kind readers only: they may be the callers of a decode helper)
        return self.out
