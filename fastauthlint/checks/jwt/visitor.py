"""The traversal of the JWT family (`JwtVisitor`) and what the rules need besides the call (`Env`).

Per function, the visitor collects the calls that may belong to a JWT library; when the function is
left it resolves them (`model.resolve`), hands each resolved call to the five rule modules and
records the calls whose options, algorithms or leeway are names imported from another module
(imported.py judges those when linking). Module constants and class attributes that configure an
access-token lifetime are judged here as well (FAL505).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import libcst as cst

from fastauthlint.astutil import keyword
from fastauthlint.checks.base import CheckVisitor
from fastauthlint.checks.jwt import (
    jwt_claim_checks_disabled,
    jwt_expiry_not_verified,
    imported,
    jwt_signature_not_verified,
    token_issued_without_expiry,
    jwt_unsafe_algorithms,
)
from fastauthlint.checks.jwt.claims import ClaimUses, claim_uses
from fastauthlint.checks.jwt.durations import Durations
from fastauthlint.checks.jwt.flow import Scope, frame_scope, same_flow
from fastauthlint.checks.jwt.model import INTERESTING, JOSE, PYJWT, REVOKES, Site, identity_claim, resolve
from fastauthlint.checks.jwt.options import MAX_LEEWAY, MAX_LIFETIME
from fastauthlint.context import FileContext
from fastauthlint.project.programs import Held, hold


# Functions whose name or docstring says they return unverified claims (their callers decide
# what to do with them): `decode_unverified`, `peek_claims`, """Read claims without verification""".
_UNVERIFIED_HELPER = re.compile(r"unverified|insecure|unsafe|no_?verif|without_?verif|skip_?verif|peek|"
                                r"unchecked|untrusted", re.I)
_UNVERIFIED_DOC = re.compile(r"unverified|not verif|no verif|without (any |signature |the signature )?"
                             r"(verif|validat|checking)|insecure|for debug|debugging|untrusted", re.I)
# Calls that verify a token or a signature by other means (a JWK's `.verify`, `jws.verify`,
# `verify_token(...)`, google-auth's `verify_oauth2_token`, ...).
_VERIFIES = re.compile(r"^_*verify$|verify.*(token|jwt|sig|claim)|(token|jwt|sig|claim).*verif|^_*validate_(token|jwt)",
                       re.I)


# Calls that revoke (not the ones that check: `is_blacklisted`, `check_revoked`).
_REVOKING_CALL = re.compile(r"^_*(revoke|invalidate|blacklist|blocklist|denylist|add_to_(black|block|deny)_?list|"
                            r"log_?out|sign_?out)", re.I)


class Env:
    """What the rules need besides the call: configuration, the enclosing function, shared and
    cached analyses."""

    def __init__(self, ctx: FileContext, function: Optional[cst.FunctionDef], scope: Scope):
        self.ctx = ctx
        self.function = function
        self.scope = scope
        self.max_leeway = ctx.config.option(MAX_LEEWAY.key)
        self.max_lifetime = ctx.config.option(MAX_LIFETIME.key)
        self._uses: Dict[int, ClaimUses] = {}
        self.sites: List[Site] = []

    @property
    def function_name(self) -> str:
        return self.function.name.value if self.function is not None else ""

    def line(self, node: cst.CSTNode) -> int:
        return self.ctx.span(node).line

    def uses(self, site: Site) -> ClaimUses:
        key = id(site.call)
        if key not in self._uses:
            self._uses[key] = claim_uses(site.scope, site.call, identity_claim)
        return self._uses[key]

    def durations(self, site: Site) -> Durations:
        return Durations(site.scope, site.call, self.ctx.qualify)

    def named_unverified_helper(self) -> bool:
        if _UNVERIFIED_HELPER.search(self.function_name):
            return True
        doc = self.function.get_docstring() if self.function is not None else None
        return bool(doc and _UNVERIFIED_DOC.search(doc))

    def revokes(self) -> bool:
        """Is this function signing a token out or revoking it (where an expired token may be
        decoded on purpose)? Its name, or a call it makes, says so."""
        if REVOKES.search(self.function_name):
            return True
        for call in self.scope.calls:
            func = call.func
            name = func.attr.value if isinstance(func, cst.Attribute) else (
                func.value if isinstance(func, cst.Name) else "")
            if _REVOKING_CALL.search(name):
                return True
        return False

    def verifies_elsewhere(self, site: Site) -> bool:
        """Does this function also verify the token: a decode with the signature checked, or a
        call that verifies a signature or a token by other means?"""
        scope = site.scope
        here = scope.path(site.call)
        for other in self.sites:
            if other is site or other.kind not in ("decode", "jws_verify"):
                continue
            if not other.signature_off()[0] and same_flow(here, scope.path(other.call)):
                return True
        for call in scope.calls:
            if call is site.call or not same_flow(here, scope.path(call)):
                continue
            func = call.func
            name = func.attr.value if isinstance(func, cst.Attribute) else (
                func.value if isinstance(func, cst.Name) else "")
            if _VERIFIES.search(name):
                return True
        return False


# The rule modules, in the order their findings are reported for one call.
RULES = (jwt_expiry_not_verified, jwt_signature_not_verified, jwt_unsafe_algorithms, jwt_claim_checks_disabled,
         token_issued_without_expiry)
_LIBRARY_ROOTS = ("jwt", "jose", "authlib", "fastapi_users")
# A file worth visiting: it may use a JWT library, configure an access-token lifetime, or define
# options or algorithm lists that another module imports. Everything else is skipped unvisited.
RELEVANT = re.compile(r"jwt|jose|access_?token|verify_|require|algorithm|leeway", re.I)


class _Frame:
    __slots__ = ("owner", "calls", "scope")

    def __init__(self, owner: Optional[cst.CSTNode]):
        self.owner = owner
        self.calls: List[cst.Call] = []
        self.scope: Optional[Scope] = None


class JwtVisitor(CheckVisitor):
    def __init__(self, ctx: FileContext):
        super().__init__(ctx)
        self.frames: List[_Frame] = [_Frame(ctx.module)]
        self.refs: List[imported.ImportedRef] = []
        self.idle_lifetimes: List[Tuple[str, Tuple[int, int, int, int], str]] = []
        self.idle_settings: List[Tuple[str, Tuple[int, int, int, int], str]] = []
        self.held: List[Held] = []  # FAL502 on claims a possible script only shows
        self._classes = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.frames.append(_Frame(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._analyse(len(self.frames) - 1)
        self.frames.pop()

    def leave_Module(self, original_node: cst.Module) -> None:
        self._analyse(0)

    # -- configured access-token lifetimes (module constants and class attributes) ------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if len(self.frames) == 1 and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            self._lifetime_setting(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if len(self.frames) == 1 and isinstance(node.target, cst.Name) and node.value is not None:
            self._lifetime_setting(node.target, node.value)

    def _lifetime_setting(self, target: cst.Name, value: cst.BaseExpression) -> None:
        if not token_issued_without_expiry.LIFETIME_NAME.match(target.value):
            return
        scope = frame_scope(self.frames, 0, self.ctx.qualify)
        seconds = token_issued_without_expiry.lifetime_setting(target.value, value, scope, self.ctx.qualify, target)
        limit = self.ctx.config.option(MAX_LIFETIME.key)
        if seconds is not None and seconds > limit:
            # a module constant its own module never reads matters only if another module imports
            # it; a settings attribute, only if some code of the project reads it
            idle = len(re.findall(r"\b%s\b" % re.escape(target.value), self.ctx.source)) == 1
            for rule, message, severity in token_issued_without_expiry.setting_finding(target.value, seconds, limit):
                if idle:
                    sp = self.ctx.span(target)
                    found = (target.value, (sp.line, sp.column, sp.end_line, sp.end_column), message)
                    (self.idle_settings if self._classes else self.idle_lifetimes).append(found)
                else:
                    self.report(rule, target, message, severity=severity)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            if func.attr.value in INTERESTING:
                self.frames[-1].calls.append(node)
        elif isinstance(func, cst.Name):
            # `decode(...)` / `jwt_decode(...)` imported from a JWT library under any name
            q = self.ctx.qualify(func)
            if q is not None and q.split(".")[0] in _LIBRARY_ROOTS:
                self.frames[-1].calls.append(node)

    # ------------------------------------------------------------------------------------
    def _analyse(self, i: int) -> None:
        frame = self.frames[i]
        if not frame.calls:
            return
        sites: List[Site] = []
        for call in frame.calls:
            # Cheap first: a call whose callee names nothing imported from a JWT library and is
            # not a method of a local instance is skipped before any function index is built.
            if not self._may_be_jwt(call):
                continue
            site = resolve(call, frame_scope(self.frames, i, self.ctx.qualify), self.ctx.qualify)
            if site is not None:
                sites.append(site)
        if not sites:
            return
        owner = frame.owner if isinstance(frame.owner, cst.FunctionDef) else None
        env = Env(self.ctx, owner, frame_scope(self.frames, i, self.ctx.qualify))
        env.sites = sites
        for site in sites:
            self._mask_key(site)
            shown = None  # the claims are only shown, in a file that may be a script (programs.py)
            for module in RULES:
                for rule, message, severity in module.check(site, env):
                    if rule == jwt_signature_not_verified.RULE and self.ctx.names.program:
                        if shown is None:
                            shown = jwt_signature_not_verified.only_shown(site, env)
                        if shown:
                            self.held.append(hold(self.ctx.finding(rule, site.call.func, message, severity=severity)))
                            continue
                    self.report(rule, site.call.func, message, severity=severity)
            self._record_imported(site, env)

    def _mask_key(self, site: Site) -> None:
        """A literal that reaches the call's key through a local, a default argument or a module
        constant is a secret: no output prints it, whichever rule shows its line (a FAL502 fix's
        diff shows the lines around the options it changes)."""
        if "key" not in site.api.params:
            return
        for v in site.scope.values(site.arg("key"), site.call):
            if isinstance(v, (cst.SimpleString, cst.ConcatenatedString)) and site.literals(v) != [""]:
                try:
                    self.ctx.mark_secret(v)
                except KeyError:  # a node of another module's tree has no position here
                    continue

    # -- values imported from another module: judged in the linking phase (imported.py) ----------
    def _record_imported(self, site: Site, env: Env) -> None:
        if site.lib not in (PYJWT, JOSE) or not site.api.claims or site.kind not in ("decode", "ctor"):
            return
        roles = [("options", site.arg("options"))]
        if site.kind == "decode":
            roles.append(("algorithms", site.algorithms_arg()))
            if site.lib == PYJWT:
                kw = keyword(site.call, "leeway")
                roles.append(("leeway", kw.value if kw is not None else None))
        for role, expr in roles:
            ref = self._imported_name(site, expr)
            if ref is None:
                continue
            span = self.ctx.span(site.call.func)
            may_off, certain_off = site.signature_off()
            identity = out_of_view = ""
            if role == "options" and site.kind == "decode":
                sink = jwt_signature_not_verified.unverified_sink(site, env, assume_unverified=True)
                identity = jwt_signature_not_verified.sink_text(sink, env) if sink is not None else ""
                other = jwt_signature_not_verified.out_of_view_sink(site, env, assume_unverified=True) \
                    if sink is None else None
                out_of_view = jwt_signature_not_verified.sink_text(other, env) if other is not None else ""
            legacy = site.legacy_verify()
            key_problem, no_algorithms = "", False
            if role == "options" and site.kind == "decode" and site.signature_unknown():
                peek = jwt_unsafe_algorithms.looks_like_peek(site)
                key_problem = (jwt_signature_not_verified.empty_key(site) or "") if peek else ""
                no_algorithms = peek and site.algorithms_arg() is None and not site.has_kwargs_splat() \
                    and not site.has_args_splat() and not (site.lib == PYJWT and jwt_unsafe_algorithms.pyjwk_key(site))
            self.refs.append(imported.ImportedRef(
                role=role, ref=ref, line=span.line, column=span.column, end_line=span.end_line,
                end_column=span.end_column, display=site.display, lib=site.lib, kind=site.kind,
                reads=sorted(env.uses(site).reads), revokes=env.revokes(), identity=identity, out_of_view=out_of_view,
                legacy_off=any(v is False for v in legacy),
                signature="off" if certain_off else ("maybe" if may_off else "on"),
                key_problem=key_problem, no_algorithms=no_algorithms))

    def _imported_name(self, site: Site, expr) -> Optional[str]:
        """The qualified name when `expr` is a name imported from another module, or an attribute
        of one (`settings.JWT_OPTIONS`), not a local and not this module's own constant; else None."""
        head = expr.value if isinstance(expr, cst.Attribute) else expr
        if not isinstance(head, cst.Name) or site.scope.is_local(head.value):
            return None
        scope = site.scope
        while scope.outer is not None:
            scope = scope.outer
            if scope.is_local(head.value):
                return None
        q = self.ctx.qualify(expr)
        if q is None or q.split(".")[0] in _LIBRARY_ROOTS:
            return None
        module = self.ctx.module_name
        if module and q.startswith(module + "."):
            return None
        return q

    def facts(self):
        constants = imported.module_constants_facts(self.ctx.module)
        if not (constants or self.refs or self.idle_lifetimes or self.held or self.idle_settings):
            return None
        return imported.JwtFacts(constants=constants, refs=self.refs, idle_lifetimes=self.idle_lifetimes,
                                 held=self.held, idle_settings=self.idle_settings)

    def _may_be_jwt(self, call: cst.Call) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
            return True  # jwt.PyJWT().decode(...)
        head = func
        while isinstance(head, cst.Attribute):
            head = head.value
        if not isinstance(head, cst.Name):
            return False
        q = self.ctx.qualify(head)
        if q is None:  # a local: perhaps an instance built here (`decoder = jwt.PyJWT()`)
            return isinstance(func, cst.Attribute)
        module = self.ctx.module_name
        return q.split(".")[0] in _LIBRARY_ROOTS or bool(module and q.startswith(module + "."))
