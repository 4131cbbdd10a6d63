"""Per-file collection, part four: what a function does, as plain tags (`FuncFact.actions`), for
the route purposes (purpose.py), the guards that are not a user (guards.py) and the risk of an
unprotected route (data_access.py).

A tag is evidence of one act, read off the function's own code and never off its name or its
route's path: a password checked against a stored hash (`pw-verify`), a password hashed
(`pw-hash`), a token or session issued (`issue`), a value named like a one-time token from the
caller verified or looked up (`check:verify:reset_token`, `check:lookup:code`), an OAuth authorize
redirect or code exchange, a cookie deleted, a body signature verified (`sig:stripe`), rows written
(`writes`), a response built of constants only (`static`), ... The link phase follows the calls
into project functions and services and weighs the tags of all of them together.

Cheap on purpose: the collector runs on every file, so each call is classified by its last name
and a few set lookups; arguments are walked a few nodes deep; no string literal is kept.
"""

from __future__ import annotations

import builtins
import re
from typing import Dict, List, Optional, Set

import libcst as cst

from fastauthlint import astutil
from fastauthlint.project import acts as A
from fastauthlint.project import collect_shapes as S
from fastauthlint.project.acts import PurposeState
from fastauthlint.project.collect_answers import AnswerReader
from fastauthlint.project.collect_values import Frame
from fastauthlint.project.known import ADMIN_ATTRS, holds_credential_key, is_credential_key
from fastauthlint.project.values import V

_BUILTINS = frozenset(dir(builtins))
_PASSWORDS = re.compile(r"passw|pwd", re.I)


class PurposeRecorder(AnswerReader):
    """Notes on each function's frame what it does (the collector's part, see the module doc)."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self._pp_swallowed: Set[int] = set()  # calls in a `try` whose handlers let the request go on
        self._pp_url_consts: Dict[str, str] = {}  # module-level names bound to OAuth URLs
        self._pp_bundled: Set[str] = set()  # module-level names bound to a path next to the code (`Path(__file__).parent`)
        self._pp_build_dirs: Set[str] = set()  # module-level names bound to a front end's build directory
        # calls written on a `def` that are not its body: decorators (`@router.get(..., response_model=X)`)
        self._pp_outside: Set[int] = set()
        # the file speaks of passwords at all (most do not: their assignments need no password walk)
        self._pp_pw_file = ctx.mentions(_PASSWORDS)

    # -- frames ------------------------------------------------------------------------------
    def _pp_enter(self, frame: Frame, node: cst.FunctionDef) -> None:
        pp = frame.pp = PurposeState()  # type: ignore[attr-defined]
        for dec in node.decorators:
            for n in astutil.walk(dec.decorator):
                if isinstance(n, cst.Call):
                    self._pp_outside.add(id(n))
        for p in astutil.parameters(node):
            name = p.name.value
            # a credential handed over by a security scheme (`token = Depends(oauth2_scheme)`)
            # authenticates the caller: that is not a value the caller was sent once
            if A.token_name(name) and not self._injected(p):
                pp.taint[name] = name
            if self._injected(p) and p.annotation is not None and any(
                    re.search(r"settings|config", i, re.I) for i in A.idents(p.annotation.annotation, 6)):
                pp.config_params.add(name)
            if A.SIGNATURE.search(name):
                pp.sig_read = True

    def _pp_actions(self, frame: Frame):
        """(actions, models, xcalls) of a function the walk leaves."""
        pp: Optional[PurposeState] = getattr(frame, "pp", None)
        if pp is None:
            return (), (), ()
        tags = pp.tags
        if pp.compare_sig and (pp.hmac or pp.sig_read) and (frame.raises or frame.raises_auth or "refuses" in tags):
            tags.add("sig:hmac")
        if pp.returns == 0 or pp.static_returns == pp.returns:
            tags.add("static")
        elif pp.static_returns + pp.deferred_returns == pp.returns:
            tags.add("static-calls")
        if pp.redirect:
            tags.add("redirect")
        if pp.refusing_returns == pp.returns:
            # every answer it returns is a 4xx (or it returns nothing): with a body that cannot
            # fall off its end (FuncFact.ends_open), it only refuses (reach.py decides)
            tags.add("refusing-returns")
        elif pp.deferred_returns == pp.returns:
            tags.add("returns-calls")  # `return await service.answer(...)`: what it answers is theirs
        S.answer_tags(frame, pp, tags)
        if "grant-literal" in tags:
            tags.discard("grant-literal")
            if any(n == "code" or n.endswith("_code") for n in list(frame.params) + list(frame.locals)):
                tags.add("oauth-exchange")
        return tuple(sorted(tags)), tuple(dict.fromkeys(pp.models))[:A.MAX_MODELS], tuple(dict.fromkeys(pp.xcalls))[:A.MAX_XCALLS]

    def _pp(self) -> Optional[PurposeState]:
        frame = self._func()
        return getattr(frame, "pp", None) if frame is not None else None

    # -- calls -------------------------------------------------------------------------------
    def _pp_call(self, frame: Frame, node: cst.Call) -> None:
        pp: Optional[PurposeState] = getattr(frame, "pp", None)
        if pp is None or id(node) in self._pp_outside:
            return
        func = node.func
        name = A.bare(A.last_name(func))
        q = self.ctx.qualify(func) if type(func) in (cst.Name, cst.Attribute) else None
        if q is not None and type(func) in (cst.Name, cst.Attribute):
            head = func
            while type(head) is cst.Attribute:
                head = head.value
            if type(head) is cst.Name and self._local_frame(head.value) is not None:
                q = None
        args = [a.value for a in node.args]
        tags = pp.tags
        if type(func) is cst.Attribute and type(func.value) is cst.Name and func.attr.value in A.MUTATORS:
            pp.static_locals.discard(func.value.value)  # `rows.append(...)`: no longer a constant
        if not A.idle_call(A.last_name(func), q, func) and not self.answer_call(pp, node):
            tags.add("busy")
            if type(func) is cst.Name and q is None and func.value not in _BUILTINS \
                    and self.val(func).k not in ("def", "loc"):
                # a function from a star import or nowhere: what it reads is not known
                tags.add("store-read")
        swallowed = id(node) in self._pp_swallowed
        top = q.split(".")[0] if q else ""
        if swallowed and name and sum(t.startswith("swallow:") for t in pp.tags) < 16:
            pp.tags.add(f"swallow:{name}")  # what it calls there proves nothing either (reach.py)

        # passkeys (py_webauthn): the assertion verified is the credential a passkey login checks;
        # its options step hands out a challenge. Registration is neither (it binds a new key), and
        # a verification whose failure the code swallows proves nothing.
        if top == "webauthn" and name in A.PASSKEY_SIGN_IN and not swallowed:
            tags.add(A.PASSKEY_SIGN_IN[name])
        # passwords and tokens
        pw_name, pw_all = _offloaded(name, args)
        pw_args = [a for a in pw_all if A.password_ish(a)]
        if pw_args:
            tags.add("pw-used")  # the password goes somewhere (a verifier this vocabulary may not know)
            if pw_name in ("checkpw", "check_password_hash", "verify_and_update") or (
                    A.PW_VERIFY.search(pw_name) and not A.PW_POLICY.search(pw_name) and (
                        (len(pw_all) >= 2 and any(A.stored_ish(a, frame.params) for a in pw_all))
                        or (len(pw_all) == 1 and type(func) is cst.Attribute and pw_name in ("check_password", "verify_password")))):
                tags.add("pw-verify")
            elif A.PW_HASH.search(pw_name) and not any(A.stored_ish(a, frame.params) for a in pw_args) \
                    and not A.PW_POLICY.search(pw_name):
                tags.add("pw-hash")
        if pw_args or pp.pw_locals:
            kind = S.delegated(frame, pp, func, name, q, node)
            if kind:
                tags.add(f"delegate:{kind}")
        if q in A.ISSUE_Q or A.ISSUE.match(name):
            tags.add("issue")
        if q in A.MINT_Q:
            tags.add("mint")
        if name == "set_cookie":
            key = astutil.argument(node, "key", 0)
            ks = astutil.literal_str(key) if key is not None else None
            max_age = astutil.argument(node, "max_age")
            expires = astutil.argument(node, "expires")
            if any(x is not None and astutil.literal_value(x, None) in (0, "0") for x in (max_age, expires)):
                tags.add("logout")
            elif (is_credential_key(ks) or ks.lower() in ("sid", "jwt")) if ks is not None else holds_credential_key(key):
                tags.add("issue")
        if type(func) is cst.Attribute and A.is_session(func.value) and name in ("clear", "pop", "flush"):
            tags.add("logout")
        if type(func) is cst.Attribute and A.is_session(func.value) and name in ("update", "__setitem__"):
            tags.add("issue")
        if name in A.LOGOUT_CALL:
            tags.add("logout")
        if A.MAIL.search(name) or (top in A.EFFECT_MODULES and A.EFFECT_MODULES[top] == "mail"):
            tags.add("mail")
        if name in ("add_task", "delay", "apply_async", "enqueue", "send_task") and any(
                re.search(r"mail", i, re.I) or A.MAIL.search(A.bare(i)) for a in args for i in A.idents(a, 8)):
            tags.add("mail")

        # a function handed a token this one just issued checks nothing the caller presented
        # (`token = create_token(account_id); claims = decode_token(token)`): reach.py does not
        # count its checks
        if name and any(type(a) is cst.Name and a.value in pp.minted for a in args) and \
                sum(t.startswith("selfcheck:") for t in pp.tags) < 16:
            pp.tags.add(f"selfcheck:{name}")

        # a one-time value this function minted, handed to a notifier or an event queue: it
        # reaches its owner out of band (`notifier.send(channel, destination, token)`,
        # `publish_event(payload={"token": reset_token})`)
        if A.DELIVER_CALL.search(name) and any(_holds_minted(pp, a) for a in args):
            tags.add("delivers-minted")

        # a value named like a one-time token, checked
        tok = self._tainted(pp, args)
        if tok is not None and not swallowed:
            if q in ("jwt.decode", "jose.jwt.decode", "authlib.jose.jwt.decode") or A.VERIFY_CALL.search(name):
                tags.add(f"check:verify:{tok}")
            elif A.LOOKUP_CALL.match(name):
                tags.add(f"check:lookup:{tok}")
            if A.REVOKE_CALL.search(name):
                tags.add("revoke")

        # OAuth / OIDC
        if name in A.OAUTH_START_CALL or A.OAUTH_START_NAME.match(name):
            tags.add("oauth-start")
        if name in A.OAUTH_EXCHANGE_CALL:
            tags.add("oauth-exchange")
        if name in A.IDP_VERIFY_CALL or q in ("google.oauth2.id_token.verify_oauth2_token", "google.oauth2.id_token.verify_token",
                                             "firebase_admin.auth.verify_id_token"):
            if not swallowed:
                tags.add("idp-verify")
        for a in args:
            for ident in A.idents(a, 16):
                kind = self._pp_url_consts.get(ident)
                if kind is None:
                    if A.URL_NAME_START.search(ident):
                        kind = "oauth-start"
                    elif A.URL_NAME_TOKEN.search(ident) and any(i == "code" for b in args for i in A.idents(b, 8)):
                        kind = "oauth-exchange"
                if kind is not None:
                    tags.add(kind)

        _signature_and_document_tags(pp, name, q, args, swallowed)

        # data and effects
        # `checks.update(...)` on a dict the function built is no write
        local_container = type(func) is cst.Attribute and type(func.value) is cst.Name and \
            func.value.value in pp.containers
        if (name in A.WRITE_CALL and not local_container) or (q is not None and q.split(".")[-1] in ("insert", "update", "delete")
                                   and top in ("sqlalchemy", "sqlmodel")):
            tags.add("writes")
        if name in A.CREATE_CALL or (q is not None and q.split(".")[-1] == "insert" and top in ("sqlalchemy", "sqlmodel")):
            tags.add("creates")
        elif name in A.STORE_CALL and (any(
                (type(a) is cst.Name and a.value in pp.constructed) or self._constructor(a) for a in args) or (
                type(func) is cst.Attribute and type(func.value) is cst.Name and func.value.value in pp.constructed)):
            tags.add("creates")
            _note_created(pp, args, self._constructor)
        if name in ("execute", "exec", "executescript", "fetch", "fetchrow") and args:
            s = astutil.literal_str(args[0])
            if s is not None and A.WRITE_SQL.match(s):
                tags.add("writes")
        effect = A.EFFECT_MODULES.get(top) or A.EFFECT_CALL.get(name)
        if effect is not None:
            tags.add(f"effect:{effect}")
        _read_tags(pp, func, name, q, args, local_container, self._file_answer(pp, name, args))
        if name == "set" and any(a.keyword is not None and a.keyword.value in A.EXPIRY_KEYWORDS for a in node.args):
            tags.add("writes")
        if q is not None and A.CAPTCHA_Q.match(q):
            tags.add("draws")
        if A.DECRYPT_CALL.search(name):
            tags.add("decrypt")
        for a in node.args:
            if name == "create_superuser" or (a.keyword is not None and a.keyword.value in ADMIN_ATTRS and A.is_true(a.value)):
                tags.add("grants-admin")
            if a.keyword is not None and a.keyword.value in ("role", "roles", "user_type") and A.admin_literal(a.value):
                tags.add("grants-admin")
            if a.keyword is not None and a.keyword.value in A.PUBLIC_FLAG and A.public_value(a.value):
                tags.add("public-filter")
            if a.keyword is not None and a.keyword.value in A.ACTIVE_FLAG and A.public_value(a.value):
                tags.add("active-filter")
        if name == "is_" and type(func) is cst.Attribute and type(func.value) is cst.Attribute and args \
                and A.public_value(args[0]):  # `Item.is_active.is_(True)`
            flag = func.value.attr.value
            if flag in A.PUBLIC_FLAG:
                tags.add("public-filter")
            elif flag in A.ACTIVE_FLAG:
                tags.add("active-filter")
        if self._asset_read(pp, func, name, args):
            tags.add("asset")
        if name in A.QUERY_CALL:
            self._pp_models(pp, func, [a.value for a in node.args if a.keyword is None], name, frame)
        else:
            self._pp_passed_models(pp, node)

        # calls on services held in locals and attributes, followed when the project is linked
        if type(func) is cst.Attribute and q is None:
            base = func.value
            head = base
            while type(head) is cst.Attribute:
                head = head.value
            if (type(base) is cst.Attribute and type(head) is cst.Name and head.value == "self") or (
                    # `cls._docs(app)` in a classmethod, `self.x()` from a function nested in a method
                    type(base) is cst.Name and base.value in ("cls", "self") and base.value not in frame.params) or (
                    type(base) is cst.Name and base.value != "self" and base.value in frame.locals
                    and frame.locals[base.value].k == "call") or (
                    # `GenreRepository(db).get_all()`: a method of an object built on the spot
                    type(base) is cst.Call and A.camel(base.func)):
                bv = self.val(base)
                if bv.k in ("attr", "loc", "call") and len(pp.xcalls) < A.MAX_XCALLS * 2:
                    pp.xcalls.append(V("attr", a=(bv,), q=func.attr.value))
            elif _service_in_try(frame, base, self._swallowed(frame)) and len(pp.xcalls) < A.MAX_XCALLS * 2:
                pp.xcalls.append(V("attr", a=(self.val(base),), q=func.attr.value))

    # -- other nodes --------------------------------------------------------------------------
    def _pp_assign(self, targets: List[cst.BaseExpression], value: Optional[cst.BaseExpression]) -> None:
        frame = self._func()
        if frame is None:
            if value is not None and len(targets) == 1 and isinstance(targets[0], cst.Name) and self._bundled(None, value) \
                    and astutil.literal_str(value) is None:
                self._pp_bundled.add(targets[0].value)
            if value is not None and len(targets) == 1 and isinstance(targets[0], cst.Name) and self._build_path(None, value):
                self._pp_build_dirs.add(targets[0].value)
            if value is not None and len(targets) == 1 and isinstance(targets[0], cst.Name):
                s = astutil.literal_str(value)
                if s is not None and len(s) < 300:
                    if A.OAUTH_START_URL.search(s):
                        self._pp_url_consts[targets[0].value] = "oauth-start"
                    elif A.OAUTH_TOKEN_URL.search(s):
                        self._pp_url_consts[targets[0].value] = "oauth-exchange"
            return
        pp: Optional[PurposeState] = getattr(frame, "pp", None)
        if pp is None:
            return
        self._shared_store(frame, pp, targets, value is None)
        if value is None:
            return
        S.note_holdings(frame, pp, targets, value, self._pp_pw_file)
        carried = pp.taint.get(value.value) if isinstance(value, cst.Name) else self._tainted(pp, [value])
        static = self._static(pp, value)
        built = self._constructor(value)
        inner = value.expression if isinstance(value, cst.Await) else value
        # a token it issues, or a random value it draws (`secrets.token_urlsafe(32)`)
        minted = isinstance(inner, cst.Call) and (self._issues(inner) or self._random(inner))
        # what the bound name now holds: each set gains it or, rebound to something else, loses it
        marks = ((self._bundled(pp, value), pp.bundled), (minted, pp.minted), (_container(inner), pp.containers),
                 (built, pp.constructed), (bool(self._build_path(pp, value)), pp.build_paths))
        for t in targets:
            if isinstance(t, cst.Name):
                for holds, names in marks:
                    (names.add if holds else names.discard)(t.value)
                pp.built_class[t.value] = A.last_name(inner.func) if built and isinstance(inner, cst.Call) else ""
                if carried is not None:
                    pp.taint[t.value] = carried
                else:
                    pp.taint.pop(t.value, None)
                if static:
                    pp.static_locals.add(t.value)
                else:
                    pp.static_locals.discard(t.value)
            elif isinstance(t, cst.Attribute):
                if t.attr.value in ADMIN_ATTRS and A.is_true(value):
                    pp.tags.add("grants-admin")
                if t.attr.value in ("role", "roles", "user_type", "account_type") and A.admin_literal(value):
                    pp.tags.add("grants-admin")
                if isinstance(t.value, cst.Name) and t.value.value not in ("self", "response", "resp", "res") and \
                        t.value.value not in pp.constructed and t.attr.value not in (  # built here: an answer dressed
                            "status_code", "headers", "media_type", "background"):
                    # a fetched row's field set (saved by a commit elsewhere); on a parameter of a
                    # helper it may be an answer being dressed (`data.message = ...`): reach.py decides
                    pp.tags.add("sets-param-field" if t.value.value in frame.params else "writes")
            elif isinstance(t, cst.Subscript) and A.is_session(t.value):
                pp.tags.add("issue")
            elif isinstance(t, (cst.Tuple, cst.List)):
                for n in astutil.assigned_names(t):
                    pp.static_locals.discard(n)
                    if carried is not None:
                        pp.taint[n] = carried

    def _random(self, node: cst.Call) -> bool:
        return isinstance(node.func, (cst.Name, cst.Attribute)) and self.ctx.qualify(node.func) in A.MINT_Q

    def _issues(self, node: cst.Call) -> bool:
        q = self.ctx.qualify(node.func) if isinstance(node.func, (cst.Name, cst.Attribute)) else None
        return q in A.ISSUE_Q or bool(A.ISSUE.match(A.bare(A.last_name(node.func))))

    def visit_Dict(self, node: cst.Dict) -> None:
        # `{"response_type": "code", "client_id": ..., "state": state}`: an authorization request's query
        pp = self._pp()
        if pp is not None and len(node.elements) <= 24 and _authorize_query(node):
            pp.tags.add("oauth-start")

    def visit_Del(self, node: cst.Del) -> None:
        pp = self._pp()
        if pp is not None and isinstance(node.target, cst.Subscript) and A.is_session(node.target.value):
            pp.tags.add("logout")

    def visit_Comparison(self, node: cst.Comparison) -> None:
        pp = self._pp()
        if pp is None:
            return
        ops = [c.operator for c in node.comparisons]
        left = node.left
        rights = [c.comparator for c in node.comparisons]
        if any(isinstance(o, (cst.Equal, cst.NotEqual)) for o in ops):
            if A.password_ish(left) and any(A.password_ish(r) for r in rights):
                pp.tags.add("pw-verify")  # a plaintext comparison is still the check
            tok = self._tainted(pp, [left, *rights])
            if tok is not None:
                pp.tags.add(f"check:lookup:{tok}")
            if isinstance(left, cst.Attribute) and left.attr.value in A.PUBLIC_FLAG and any(A.public_value(r) for r in rights):
                pp.tags.add("public-filter")
            elif isinstance(left, cst.Attribute) and left.attr.value in A.ACTIVE_FLAG and any(A.public_value(r) for r in rights):
                pp.tags.add("active-filter")

    def visit_Try(self, node: cst.Try) -> None:
        # A verifying call inside a `try` whose `except` lets the request go on proves nothing;
        # one whose handlers refuse or leave (`return Result(success=False)`) still guards the rest.
        if self._func() is None or not node.handlers or all(A.refuses(h.body) or A.leaves(h.body) for h in node.handlers):
            return
        for n in astutil.walk(node.body):
            if isinstance(n, cst.Call):
                self._pp_swallowed.add(id(n))

    def _pp_string(self, s: str) -> None:
        pp = self._pp()
        if pp is not None and len(s) <= 2000:
            _string_tags(pp, s)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self.stack:
            s = astutil.literal_str(node)
            if s is not None:
                self._pp_string(s)

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        if self.stack:
            self._pp_string(node.value)

    # -- returns -----------------------------------------------------------------------------
    def _pp_return(self, frame: Frame, value: Optional[cst.BaseExpression]) -> None:
        pp: Optional[PurposeState] = getattr(frame, "pp", None)
        if pp is None:
            return
        pp.returns += 1
        if value is None or self._static(pp, value):
            pp.static_returns += 1
            if isinstance(value, cst.Call) and A.last_name(value.func) == "RedirectResponse":
                pp.redirect = True
        elif isinstance(value, (cst.Call, cst.Await)) and self._deferred(value):
            pp.deferred_returns += 1
        S.note_answer(self, frame, pp, value)
        if value is not None and A.status_4xx(value):
            pp.tags.add("refuses")
            pp.refusing_returns += 1
        if isinstance(value, cst.Dict):
            for el in value.elements:
                if isinstance(el, cst.DictElement) and astutil.literal_str(el.key) == "keys":
                    pp.tags.add("jwks")


def _string_tags(pp: PurposeState, s: str) -> None:
    """What a string literal of the function says: OAuth URLs, a probe's `SELECT 1`, raw SQL..."""
    low = s.lower()
    if "auth" in low or "code" in low:
        if A.OAUTH_START_URL.search(s):
            pp.tags.add("oauth-start")
        elif A.OAUTH_TOKEN_URL.search(s):
            # the bare grant type is an exchange only beside a code (`{"grant_type":
            # "authorization_code", "code": code}`), not in a discovery document's list
            pp.tags.add("grant-literal" if low.strip() == "authorization_code" else "oauth-exchange")
    if "token" in low or "jwks" in low or "certs" in low:
        if A.IDP_URL.search(s):
            pp.tags.add("idp-verify")
    if "swagger-ui" in low or "redoc" in low:
        pp.tags.add("docs")
    if low.strip().rstrip(";") in ("select 1", "select 1 as ok"):
        pp.tags.add("ping")
    if "signature" in low and len(s) < 80:
        pp.sig_read = True
    if A.WRITE_SQL.match(s):
        pp.tags.add("writes")
        inserted = A.INSERT_SQL.match(s)
        if inserted:
            # `INSERT INTO users (...)`: a row of that table is made, as `db.add(User(...))` says
            pp.tags.add("creates")
            if sum(t.startswith("creates:") for t in pp.tags) < 4:
                pp.tags.add(f"creates:{inserted.group(1)}")
    elif A.READ_SQL.match(s):
        pp.tags.add("store-read")  # a raw query: rows whose model is not named


def _note_created(pp: PurposeState, args, constructor) -> None:
    """Which class a new row is of (`db.add(DataSource(...))`, `user = User(...); db.add(user)`):
    a signup creates an account, not any row."""
    for a in args:
        cls = pp.built_class.get(a.value) if type(a) is cst.Name else (
            A.last_name(a.func) if type(a) is cst.Call and constructor(a) else None)
        if cls and sum(t.startswith("creates:") for t in pp.tags) < 4:
            pp.tags.add(f"creates:{cls}")


def _service_in_try(frame: Frame, base: cst.BaseExpression, swallowed: bool) -> bool:
    """`try: return await service.login(...) except TwoFactorRequired: return ...`: a method of an
    injected service called in a `try` is no verification of the request (the evidence leaves it
    out), but what it does is still the route's deed."""
    return swallowed and type(base) is cst.Name and base.value in frame.params and base.value not in ("self", "cls")


def _container(node: Optional[cst.BaseExpression]) -> bool:
    """A new dict, list or set: `{}`, `[...]`, `dict()`, `defaultdict(list)`, a comprehension."""
    if isinstance(node, (cst.Dict, cst.List, cst.Set, cst.DictComp, cst.ListComp, cst.SetComp)):
        return True
    return isinstance(node, cst.Call) and A.last_name(node.func) in ("dict", "list", "set", "defaultdict",
                                                                    "OrderedDict", "Counter", "deque")


def _signature_and_document_tags(pp: PurposeState, name: str, q: Optional[str], args, swallowed: bool) -> None:
    """Webhook signatures, OAuth2 servers, probes and documents a call shows."""
    # signatures of webhooks, OAuth2 servers
    sig = A.SIG_Q.get(q or "")
    if sig is not None:
        if sig == "hmac":
            pp.compare_sig = True
            if any(A.SIGNATURE.search(i) for a in args for i in A.idents(a, 12)):
                pp.sig_read = True
        elif not swallowed:
            pp.tags.add(f"sig:{sig}")
    elif A.SIG_CALL.match(name) and not swallowed:
        pp.tags.add("sig:verifier")
    if q in A.HMAC_Q or (q or "").startswith("hashlib."):
        pp.hmac = True
    if name in A.OAUTH_SERVER_CALL:
        pp.tags.add("oauth-server")

    # probes, documents
    if name in A.DOCS_CALL:
        pp.tags.add("docs")
    if name in A.JWKS_CALL:
        pp.tags.add("jwks")
    if A.CSRF_CALL.match(name):
        pp.tags.add("csrf")
    if A.PING_CALL.match(name):
        pp.tags.add("ping")
    if q in A.METRICS_Q:
        pp.tags.add("metrics")


def _holds_minted(pp: PurposeState, node: cst.BaseExpression) -> bool:
    """The argument is, or is a dict/list holding, a local minted by this function."""
    if isinstance(node, cst.Name):
        return node.value in pp.minted
    if isinstance(node, cst.Dict):
        return any(isinstance(el, cst.DictElement) and isinstance(el.value, cst.Name) and el.value.value in pp.minted
                   for el in node.elements)
    if isinstance(node, (cst.List, cst.Tuple)):
        return any(isinstance(el.value, cst.Name) and el.value.value in pp.minted for el in node.elements)
    return False


def _authorize_query(node: cst.Dict) -> bool:
    keys = {astutil.literal_str(el.key) for el in node.elements if isinstance(el, cst.DictElement)}
    return "response_type" in keys and len(keys & A.AUTHORIZE_KEYS) >= 2


def _store_read(func: cst.Attribute, name: str) -> bool:
    """`db.execute(...)`, `session.scalars(...)`, `redis.get(key)`, `Item.objects...`: a read of
    stored data (a query's model is recorded apart, when it names one)."""
    if name in A.STORE_READ_CALL:
        return True
    if name not in ("get", "mget", "keys", "scan", "exists"):
        return False
    base = func.value
    while isinstance(base, cst.Call):
        base = base.func
    last = base.attr.value if isinstance(base, cst.Attribute) else base.value if isinstance(base, cst.Name) else ""
    return bool(A.STORE_NAME.search(last))


def _read_tags(pp: PurposeState, func: cst.BaseExpression, name: str, q: Optional[str], args, local_container: bool,
               shipped: bool = False) -> None:
    """Reads of stored data (a database, a cache, the file system) and of the configuration's
    secrets: an answer built after one is not computed by the code alone (data_access.py)."""
    if isinstance(func, cst.Attribute) and not local_container and _store_read(func, name):
        pp.tags.add("store-read")
    if isinstance(func, cst.Attribute) and isinstance(func.value, (cst.Call, cst.Await)) and \
            name not in A.VALUE_METHODS and not (q or "").split(".")[0] in A.PURE_MODULES:
        # `get_oauth_handler("cursor").auto_import()`: a method of what a call returned, which the
        # link phase does not follow; what it reads is not known
        pp.tags.add("store-read")
    if (name in A.FILE_READ_CALL and not shipped) or (q or "").startswith(("os.listdir", "os.scandir", "os.walk", "os.read", "os.open", "shutil.", "glob.")):
        pp.tags.add("store-read")  # the file system: files the app writes, or any a path from the request names
    if name in ("dict", "model_dump", "json", "model_dump_json", "vars", "asdict") and any(
            re.search(r"settings|config|env", i, re.I) for i in A.idents(func if args == [] else args[0], 6)):
        pp.tags.add("secret-read")  # the whole configuration handed out
    if (A.env_like(func) or (q or "").endswith("getenv")) and args and \
            A.SECRETISH.search(astutil.literal_str(args[0]) or "") and not re.search(r"url|uri", astutil.literal_str(args[0]) or "", re.I):
        pp.tags.add("secret-read")


def _offloaded(name: str, args: List[cst.BaseExpression]):
    """`asyncio.to_thread(hasher.verify_password_hash, password, stored)`: the function handed to a
    thread runs with the arguments after it (name and arguments of the call it stands for)."""
    if name in ("to_thread", "run_in_threadpool", "run_sync", "run_async") and args:
        return A.bare(A.last_name(args[0])), args[1:]
    if name == "run_in_executor" and len(args) >= 2:
        return A.bare(A.last_name(args[1])), args[2:]
    return name, args
