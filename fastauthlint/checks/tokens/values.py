"""What a value holds, for FAL401/FAL402: the taint of an expression and what a name holds once
bound (`Values`).

Propagation: assignment, attribute and item access (except claims and labels: `.sub`,
`["token_type"]`, `.scheme`), f-strings, `%`, `.format`, `+`, `str()`, string methods (`.split`,
`.replace`…), containers. Not through `len()`, hashing, comparisons, short slices (`token[:6]`) or
functions named like masks (`mask_token`), nor through unknown calls (`jwt.decode(token)` gives
claims). A name bound to a value whose origin is out of sight (a library call, a global) is taken
at its name's word; one built here from what is known is what it is.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.sensitive import names_a_name, secret_name_kind, split_words
from fastauthlint.checks.tokens.credentials import (
    FOREIGN_ROOTS,
    ISSUE_VERBS,
    ISSUER_WORDS,
    MINT_EVIDENCE,
    JWT_ENCODERS,
    browser_secret,
    is_config_base,
    issued_kind_word,
    issuing_call_kind,
    label_member,
    name_source,
    names_an_identifier,
    of_kind,
    random_code,
    request_item,
    shown_name,
)
from fastauthlint.checks.tokens import jwt_parts
from fastauthlint.checks.tokens.facts import FunctionFacts
from fastauthlint.checks.tokens.copies import filtered_copy, without_credential_headers
from fastauthlint.checks.tokens.taint import COOKIES_DESC, EMPTY, HEADERS_DESC, FunctionState, Taint, sources, src
from fastauthlint.project.names import dotted

# Attribute and key names that never carry the credential itself, even of a tainted object.
SAFE_NAMES = frozenset({
    "sub", "id", "user_id", "uid", "email", "username", "user_name", "login", "name", "scheme", "type",
    "token_type", "exp", "iat", "nbf", "iss", "aud", "jti", "scope", "scopes", "expires_in", "expires_at",
    "expires", "expiry", "role", "roles", "status", "kid", "alg", "typ", "is_active", "is_superuser",
    "grant_type", "client_id", "full_name", "permissions", "groups", "tenant_id", "org_id", "owner_id",
    "status_code", "detail", "message", "created_at", "updated_at", "lifetime", "token_version",
})
# Methods through which a string stays the same secret (`auth.split(" ")[1]`, `token.strip()`).
TRANSFORMS = frozenset({
    "strip", "lstrip", "rstrip", "split", "rsplit", "partition", "rpartition", "replace", "removeprefix",
    "removesuffix", "lower", "upper", "encode", "decode", "format", "format_map", "join", "title", "casefold",
    "splitlines", "ljust", "rjust", "zfill", "center", "expandtabs", "swapcase", "translate", "get", "pop",
    "copy", "items", "values", "model_dump", "dict", "json", "model_dump_json", "get_secret_value",
    "as_string", "hex", "to_string", "tostring",
})
PROPAGATING_CALLS = frozenset({"str", "repr", "format", "bytes", "bytearray", "dict", "list", "tuple", "set",
                               "sorted", "reversed", "ascii", "vars", "json.dumps", "base64.b64encode",
                               "base64.urlsafe_b64encode", "base64.b64decode", "base64.urlsafe_b64decode",
                               "urllib.parse.quote", "urllib.parse.quote_plus", "urllib.parse.urlencode",
                               "pprint.pformat", "textwrap.shorten", "typing.cast", "orjson.dumps",
                               "jsonable_encoder", "fastapi.encoders.jsonable_encoder", "str.join"})
SANITIZER_RX = re.compile(r"(^|_)(mask|masked|redact|redacted|obfuscate|truncate|censor|anonymi[sz]e|hash|hashed|"
                          r"digest|fingerprint|sha\d*|md5|blake2[bs]?|hmac|len|count|preview|hint|last4|"
                          r"scrub|sanitize|sanitized|hide|hidden)(_|$)", re.I)
# A function named for the part of a value it returns (`_safe_token_prefix(auth)`, `key_suffix(k)`),
# not one that adds or removes a prefix (`strip_prefix(header)` returns the token).
_PART_RX = re.compile(r"^(?!_*(add|with|strip|remove|drop|without|ensure|prepend|append|trim)_)\w*(^|_)(prefix|suffix)$",
                      re.I)
LOGGER_BINDERS = frozenset({"bind", "new", "opt"})
_REQUEST_NAMES = frozenset({"request", "req", "websocket", "ws", "http_request", "starlette_request"})
KNOWN_MODULE_NAMES = frozenset({"jwt", "jose.jwt", "authlib.jose.jwt", "secrets", "jose", "authlib.jose"})
# Attribute and key names through which a tainted object's value passes (`secret.value`,
# `resp["data"]`); any other non-secret name is a field of its own (`.total_bytes`, `["app"]`).
_CARRIERS = frozenset({
    "value", "val", "raw", "data", "plaintext", "plain", "text", "content", "string", "str", "body", "result",
    "results", "key", "secret", "access", "refresh", "bearer", "headers", "header", "cookies", "cookie", "env",
    "environ", "params", "args", "kwargs", "config", "settings", "options", "extra", "extras", "auth", "signature",
    "encoded", "decrypted", "json", "form", "query_params", "values", "items", "__dict__", "dict", "attrs",
    "attributes", "fields", "metadata", "info", "details", "response", "output", "message",
})
REQUEST_STATE_DESC = "the request object's state (its scope, with the `Authorization` and `Cookie` headers)"
# A CapWords name (PEP 8) is a class: `RefreshToken`, `models.APIKey` are a table or a schema,
# never the secret itself (an instance's fields are what hold one).
_CLASS_NAME = re.compile(r"^_?[A-Z][A-Z0-9]*[a-z][A-Za-z0-9]*$")
# Loop targets that say nothing of the element (`for t in tokens`, `for item in secrets`).
_GENERIC_ELEMENTS = frozenset({
    "item", "items", "entry", "value", "val", "obj", "part", "parts", "chunk", "piece", "seg", "segment", "line",
    "row", "data", "key", "cred", "tok", "sec", "each", "elem", "element", "record", "rec", "arg", "word", "field",
    "one", "thing", "candidate", "option", "raw",
})
# Methods returning a part of the value they are called on (`name.partition(".")`, `parts.copy()`).
_PART_METHODS = frozenset({"keys", "group", "groups", "groupdict", "removeprefix", "removesuffix", "__getitem__"})
# Calls returning stored records or collections, not a raw secret (`service.search_secrets(...)`).
_RECORD_VERBS = frozenset({"search", "list", "find", "query", "filter", "select", "count", "all", "iter",
                           "scan", "paginate", "browse"})


class Values:
    """The taint of expressions and the binding of names, in one function's `FunctionState`."""

    def __init__(self, ctx, credentials):
        self.ctx = ctx
        self.credentials = credentials
        self._unmasking = 0  # inside `x.get_secret_value()`: the wrapped value
        # Top-level functions of this file returning a tuple: which elements are clean whatever
        # they are given (`return key, key[:8]` -> [False, True]).
        self._tuple_returns: Dict[str, List[bool]] = {}
        # The summaries of this file's functions read so far (`f`, `Class.method`): a helper defined
        # above its caller that returns what it is given (`headers = self._prepare(request.headers)`)
        # passes that on.
        self.local_facts: Dict[str, FunctionFacts] = {}

    def read_module(self, module: cst.Module) -> None:
        for stmt in module.body:
            if isinstance(stmt, cst.FunctionDef) and isinstance(stmt.body, cst.IndentedBlock):
                parts = _tuple_return(stmt.body.body)
                if parts is not None:
                    self._tuple_returns[stmt.name.value] = parts

    def tuple_parts(self, node: Optional[cst.BaseExpression], n: int) -> Optional[List[bool]]:
        """Which elements of what a call to a function of this file returns are clean, when it
        returns a tuple of `n` (its return statements at the top of its body say so)."""
        if isinstance(node, cst.Await):
            node = node.expression
        if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Name):
            return None
        parts = self._tuple_returns.get(node.func.value)
        return parts if parts is not None and len(parts) == n and any(parts) else None

    # -- taint of an expression ---------------------------------------------------------------------
    def taint(self, node: Optional[cst.CSTNode], state: FunctionState) -> Taint:
        if node is None:
            return EMPTY
        if type(node) is cst.Name:
            if node.value in state.masked and not self._unmasking:
                return EMPTY  # a SecretStr: printed as "**********"
            if node.value in state.env:
                return state.env[node.value]
            q = self.ctx.qualify(node)
            if q is not None and (q == node.value or q in KNOWN_MODULE_NAMES):
                return EMPTY  # a module (`jwt`, `secrets`), not a variable
            if node.value in state.not_secret:
                return EMPTY
            return _value_named(node.value, node.value, config=node.value.isupper()) or self._holder(node, q, state)
        if type(node) is cst.Attribute:
            attr = node.attr.value
            if self.ctx.qualify(node) in KNOWN_MODULE_NAMES or browser_secret(node):
                return EMPTY
            if attr in SAFE_NAMES or "type" in split_words(attr) or names_a_name(attr) or label_member(node):
                return EMPTY
            if not self._unmasking and (dotted(node) in state.masked or self.credentials.masked_field(node, state)):
                return EMPTY  # a SecretStr attribute
            if (whole := _whole_request(attr, node.value, state)):
                return whole  # `dict(request.headers)`, `websocket.__dict__`: every header and cookie
            base = self.taint(node.value, state)
            incoming = state.is_route and type(node.value) is cst.Name and node.value.value in state.params
            if type(node.value) is cst.Name and node.value.value in state.fresh and secret_name_kind(attr):
                # `webhook = Webhook(); … webhook.secret`: minted with the object made here.
                return src("issued", f"the {secret_name_kind(attr)} of the new `{node.value.value}`")
            own = _value_named(attr, shown_name(node), incoming=incoming, config=is_config_base(node.value))
            if own:
                return of_kind(own, base)
            # A string has no data attributes: a field of a tainted object is the secret only when
            # it carries the object's value (`.value`, `.raw`), not `.total_bytes` or `.organization_id`.
            return base if attr.lower() in _CARRIERS else EMPTY
        if type(node) is cst.Subscript:
            return self._subscript(node, state)
        if type(node) is cst.Call:
            return self._call(node, state)
        if type(node) is cst.Await:
            return self.taint(node.expression, state)
        if type(node) is cst.FormattedString:
            out: Taint = EMPTY
            for part in node.parts:
                if type(part) is cst.FormattedStringExpression:
                    out |= self.taint(part.expression, state)
            return out
        if type(node) is cst.ConcatenatedString:
            return self.taint(node.left, state) | self.taint(node.right, state)
        if type(node) is cst.BinaryOperation:
            if type(node.operator) in (cst.Add, cst.Modulo):
                return self.taint(node.left, state) | self.taint(node.right, state)
            return EMPTY
        if type(node) is cst.BooleanOperation:
            return self.taint(node.left, state) | self.taint(node.right, state)
        if type(node) is cst.IfExp:
            short = jwt_parts.whole_only_when_short(node, state)  # a JWT is never that short
            return self.taint(node.body, state) | (EMPTY if short else self.taint(node.orelse, state))
        if type(node) in (cst.List, cst.Tuple, cst.Set):
            out = EMPTY
            for el in node.elements:
                out |= self.taint(el.value, state)
            return out
        if type(node) is cst.Dict:
            out = EMPTY
            for el in node.elements:
                if type(el) is cst.DictElement:
                    key = astutil.literal_str(el.key)
                    if key is not None and (key in SAFE_NAMES or "type" in split_words(key)):
                        continue
                    out |= self.taint(el.value, state)
                else:
                    out |= self.taint(el.value, state)
            return out
        if type(node) in (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp):
            return self._comprehension(node, state)
        if type(node) is cst.NamedExpr:
            value = self.taint(node.value, state)
            self.bind(node.target, value, state, node.value)
            return value
        if type(node) is cst.StarredElement:
            return self.taint(node.value, state)
        return EMPTY

    def _comprehension(self, node, state: FunctionState) -> Taint:
        """What a comprehension builds: its element, with each target bound to what it iterates
        (`[s.name for s in secrets]` is names; `{k: v for k, v in secrets.items()}` is secrets)."""
        saved: Dict[str, Optional[Taint]] = {}
        fresh = set(state.fresh)
        f = node.for_in
        while f is not None:
            for n in astutil.assigned_names(f.target):
                saved.setdefault(n, state.env.get(n))
            self.loop_bind(f.target, f.iter, state)
            f = f.inner_for_in
        out = self.taint(node.value if isinstance(node, cst.DictComp) else node.elt, state)
        out = filtered_copy(node, out)
        for n, old in saved.items():
            if old is None:
                state.env.pop(n, None)
            else:
                state.env[n] = old
        state.fresh = fresh
        return out

    def _unmasked(self, node: cst.BaseExpression, state: FunctionState) -> Taint:
        self._unmasking += 1
        try:
            return self.taint(node, state)
        finally:
            self._unmasking -= 1

    def _subscript(self, node: cst.Subscript, state: FunctionState) -> Taint:
        if len(node.slice) != 1:
            return self.taint(node.value, state)
        idx = node.slice[0].slice
        if isinstance(idx, cst.Slice):
            if _masked_slice(idx):
                return EMPTY
            return _sliced(node, idx, self.taint(node.value, state), state)
        key = astutil.literal_str(idx.value) if isinstance(idx, cst.Index) else None
        if key is not None:
            header = request_item(node.value, key)
            if header:
                return header
            incoming = state.is_route and isinstance(node.value, cst.Name) and node.value.value in state.params
            if isinstance(node.value, cst.Name) and node.value.value in state.fresh and secret_name_kind(key):
                # `config, uri = await mfa.setup(user); config["secret"]`: minted with the record made here.
                return src("issued", f"the {secret_name_kind(key)} of the new `{node.value.value}`")
            own = name_source(key, shown_name(node), incoming=incoming, config=is_config_base(node.value))
            if own:
                return of_kind(own, self.taint(node.value, state))
            # `auth_token["app"]`, `secrets["SMTP_PORT"]`: the value under a key that is not a secret's.
            return self.taint(node.value, state) if key.lower() in _CARRIERS else EMPTY
        if isinstance(idx, cst.Index):
            return _one_header(self.taint(node.value, state), idx.value)
        return self.taint(node.value, state)

    def _call(self, node: cst.Call, state: FunctionState) -> Taint:
        func = node.func
        q = self.ctx.qualify(func)
        name = astutil.name_of(func)
        if q in JWT_ENCODERS:
            return src("issued", f"the token issued by `{q}`") | self._minted_for(node, state)
        if q is not None and (q.startswith("secrets.token_") or q in RANDOM_SECRETS):
            return src("issued", f"the secret generated by `{q}`")
        pick = random_code(node, self.ctx)
        if pick:
            return src("issued", f"the code generated with `{pick}`")
        if name == "vars" and q is None and len(node.args) == 1:
            return _whole_request("__dict__", node.args[0].value, state)  # `vars(request)`
        if isinstance(func, cst.Attribute) and func.attr.value == "get_secret_value":
            # What a SecretStr wraps, revealed.
            base = self._unmasked(func.value, state)
            return base if sources(base) else src("secret", f"the secret value of `{shown_name(func.value)}`")
        # request.headers.get("Authorization"), request.cookies.get("token")
        if isinstance(func, cst.Attribute) and func.attr.value == "get" \
                and astutil.literal_str(astutil.argument(node, "key", 0)) is None \
                and astutil.argument(node, "key", 0) is not None:
            # `request.headers.get(self.role_header)`: one header, a credential if its name says so.
            return _one_header(self.taint(func.value, state), astutil.argument(node, "key", 0))
        if isinstance(func, cst.Attribute) and func.attr.value == "get":
            key = astutil.literal_str(astutil.argument(node, "key", 0))
            if key is not None:
                header = request_item(func.value, key)
                if header:
                    return header
                incoming = state.is_route and isinstance(func.value, cst.Name) and func.value.value in state.params
                default = astutil.literal_value(astutil.argument(node, "default", 1), None)
                if isinstance(default, (bool, int, float)) or (isinstance(default, str) and default.lower() in (
                        "true", "false", "yes", "no", "on", "off", "0", "1")):
                    return EMPTY  # `os.environ.get("ALLOW_CREDENTIALS", "false")`: a flag
                own = name_source(key, f'{shown_name(func.value)}.get("{key}")', incoming=incoming,
                                  config=is_config_base(func.value))
                if own:
                    return of_kind(own, self.taint(func.value, state))
                if key.lower() not in _CARRIERS:
                    return EMPTY  # `secrets.get("SMTP_PORT")`, `client_kwargs.get("scope")`
        if name is not None and (SANITIZER_RX.search(name) or _PART_RX.search(name)) \
                or q in ("hash", "id", "type", "bool", "int", "float", "isinstance", "callable"):
            return EMPTY
        if q is None and isinstance(func, cst.Name) and func.value in ("len", "hash", "bool", "int", "float", "id",
                                                                       "type", "isinstance", "callable", "hasattr"):
            return EMPTY
        if q is not None and q.split(".")[0] in ("hashlib", "hmac", "bcrypt", "passlib"):
            return EMPTY
        args = EMPTY
        for a in node.args:
            args |= self.taint(a.value, state)
        if (q is None and isinstance(func, cst.Name) and func.value in PROPAGATING_CALLS) or q in PROPAGATING_CALLS:
            return args
        if isinstance(func, cst.Attribute):
            if func.attr.value == "replace":
                return self._replaced(node, state)
            if func.attr.value in TRANSFORMS:
                return self.taint(func.value, state) | (args if func.attr.value in ("join", "format",
                                                                                   "format_map") else EMPTY)
            if func.attr.value in LOGGER_BINDERS:
                # `logger.bind(token=…)`: the bound logger writes its keyword arguments with every line.
                return _union(self.taint(a.value, state) for a in node.args if a.keyword is not None or a.star == "**")
        passed = _passed_through(self, node, q, state)
        if passed:
            return passed
        kind = issuing_call_kind(name)
        if kind is not None:
            how = "issued by" if kind == "issued" else "returned by"
            return src(kind, f"the {issued_kind_word(name)} {how} `{name}()`") | (
                self._minted_for(node, state) if kind == "issued" else EMPTY)
        q = q or service_method(func, state)
        if q is not None and q.split(".")[0] not in FOREIGN_ROOTS and state.facts is not None \
                and set(split_words(q.split(".")[-1])) & (ISSUER_WORDS | ISSUE_VERBS):
            # Perhaps a project function that issues tokens (`login_user()` returning a JWT,
            # `api_keys.generate()`, `invites.issue(...)`): the linking step knows. Minted for
            # another account only when its name says it makes a credential (not `generate_report`).
            named = set(split_words("_".join(q.split(".")[-2:]))) & ISSUER_WORDS
            deferred = "" if named & MINT_EVIDENCE else q  # `get_by_login(login)`: does it return a token?
            return frozenset({("ret", q, "")}) | (self._minted_for(node, state, deferred) if named else EMPTY)
        return EMPTY

    def _minted_for(self, node: cst.Call, state: FunctionState, deferred: str = "") -> Taint:
        """("other", the parameter, callee) when a token is minted for an account a route's request
        names (`create_access_token(sub=user_id)` beside an authenticated caller): FAL402 even in the
        response that issues it; the callee is named when only linking knows it returns a token."""
        if not state.accounts:
            return EMPTY
        for a in node.args:
            for n in astutil.walk(a.value):
                if isinstance(n, cst.Name) and n.value in state.accounts:
                    return frozenset({("other", n.value, deferred)})
        return EMPTY

    def _holder(self, node: cst.Name, q: Optional[str], state: FunctionState) -> Taint:
        """A module-level object whose class declares secrets in plain fields (`settings =
        Settings()` with `SECRET_KEY: str`), used whole: its secrets go wherever it goes. One
        imported from another project file is the linking step's question ("obj")."""
        field = self.credentials.holders.get(node.value)
        if field is not None and node.value in self.credentials.instances:
            return src("config", f"`{node.value}` (its `{field}` among its fields)")
        if q is not None and q != node.value and q.split(".")[0] not in FOREIGN_ROOTS and state.facts is not None \
                and is_config_base(node):
            return frozenset({("obj", q, "")})
        return EMPTY

    def _replaced(self, node: cst.Call, state: FunctionState) -> Taint:
        """`url.replace(password, "****")` takes the secret out; `template.replace("{pw}", password)`
        puts it in."""
        recv = self.taint(node.func.value, state)  # type: ignore[attr-defined]
        pos = [a.value for a in node.args if a.keyword is None and not a.star]
        if len(pos) < 2:
            return recv
        pattern, replacement = self.taint(pos[0], state), self.taint(pos[1], state)
        if sources(pattern) and not sources(replacement):
            removed = {lab[1] for lab in sources(pattern)}
            return frozenset(lab for lab in recv if not (lab[0] == "src" and lab[1] in removed))
        return recv | replacement

    # -- what a name holds once bound -------------------------------------------------------------
    def bind(self, target: cst.BaseExpression, value: Taint, state: FunctionState,
             value_node: Optional[cst.BaseExpression] = None) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            if value_node is not None and _is_creation(value_node):
                state.fresh.add(name)  # an object made here (`api_key = APIKey(...)`), not a raw secret
                if names_an_identifier(name):
                    value = EMPTY  # `credential_id = await vault.create_credential(...)`
            else:
                state.fresh.discard(name)
                value = self._as_named(name, value, value_node, state)
            state.env[name] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = [el.value for el in target.elements]
            if isinstance(value_node, (cst.Tuple, cst.List)) and len(value_node.elements) == len(elements) \
                    and not any(isinstance(e, cst.StarredElement) for e in value_node.elements):
                # `a, b = token, user_id`: element by element.
                for inner, el in zip(elements, value_node.elements):
                    self.bind(inner, self.taint(el.value, state), state, el.value)
                return
            parts = self.tuple_parts(value_node, len(elements))
            if parts is not None:
                # `raw, prefix = new_key()` where the helper returns `k, k[:8]`: element by element.
                for inner, clean in zip(elements, parts):
                    self.bind(inner, EMPTY if clean else value, state, None if clean else value_node)
                return
            if _is_creation(value_node) and not any(lab[0] in ("src", "ret") for lab in value):
                # `config, qr, uri = await mfa.setup(user)`: the parts of something made here; one
                # named like a secret is the new secret (`secret, uri = enroll(user)`).
                for inner in elements:
                    if isinstance(inner, cst.Name):
                        kind = secret_name_kind(inner.value)
                        state.fresh.add(inner.value)
                        state.env[inner.value] = src("issued", f"the new {kind} `{inner.value}`") \
                            if kind and not names_an_identifier(inner.value) else EMPTY
                    else:
                        self.bind(inner, EMPTY, state, None)
                return
            named = [e for e in elements if isinstance(e, cst.Name) and secret_name_kind(e.value)]
            for inner in elements:
                if isinstance(inner, cst.Name) and (inner.value in SAFE_NAMES or inner.value == "_"
                                                    or "type" in split_words(inner.value)):
                    state.env[inner.value] = EMPTY
                elif named and isinstance(inner, cst.Name) and all(inner is not n for n in named) \
                        and _is_call(value_node):
                    # `ctx, new_refresh_token = rotate_refresh_token(...)`: the secret is the part
                    # named like one, not the context returned beside it.
                    state.env[inner.value] = EMPTY
                    state.fresh.discard(inner.value)
                elif isinstance(inner, cst.Name) and value_node is not None:
                    # `access_token, refresh_token = await idp.exchange_code(code)`: each part of
                    # an opaque result is taken at its name's word, like a single name.
                    state.fresh.discard(inner.value)
                    state.env[inner.value] = self._as_named(inner.value, value, value_node, state)
                else:
                    self.bind(inner, value, state, None)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, value, state, None)
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) \
                and any(lab[0] in ("src", "param") for lab in value):
            # `filtered[key] = value`: the mapping now holds it (what it held stays).
            name = target.value.value
            state.env[name] = state.env.get(name, EMPTY) | value

    def _as_named(self, name: str, value: Taint, value_node: Optional[cst.BaseExpression],
                  state: FunctionState) -> Taint:
        """What a name bound to `value_node` holds, when its name says more than the value."""
        if value_node is None:
            return value
        if (names_an_identifier(name) or names_a_part(name)) and _is_call(value_node):
            # `item_id = await vault.create_credential(...)`, `txn_id = secrets.token_urlsafe()`,
            # `prefix = key_prefix(key)`: what the call returns is named by what it is stored under.
            return EMPTY
        if not sources(value) and secret_name_kind(name) and _mints(value_node, self.ctx):
            # `api_key = str(uuid.uuid4())`, `secret = os.urandom(32).hex()`: a secret made here.
            return src("issued", f"the {secret_name_kind(name)} `{name}` generated here")
        if not sources(value) and name not in state.not_secret and _origin_hidden(value_node, state, self.ctx):
            # A value whose origin is out of sight (a call into a library, a global) stored under
            # a secret's name is taken at its name's word; one built here from what is known
            # (`token = node.children[0]`, `total = sum(counts)`) is what it is.
            return value | name_source(name, name)
        return value

    def loop_bind(self, target: cst.BaseExpression, iter_node: cst.BaseExpression, state: FunctionState,
                  filtered: bool = False) -> None:
        """The target of `for target in iter_node` (a statement or a comprehension; `filtered`: a
        loop whose body leaves the credential headers out)."""
        value = self.taint(iter_node, state)
        if filtered:
            value = without_credential_headers(value)
        if isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2 and _is_items_call(iter_node):
            # `for name, secret in secrets.items()`: the keys are names.
            key, val = target.elements[0].value, target.elements[1].value
            if isinstance(key, cst.Name):
                state.env[key.value] = EMPTY
            else:
                self.bind(key, EMPTY, state)
            self.bind(val, value, state)
            return
        if isinstance(target, cst.Name) and value and secret_name_kind(target.value) is None \
                and target.value.lower() not in _GENERIC_ELEMENTS and len(target.value) > 2:
            # `for provider in self.provider_tokens`, `for secret_name in secrets`: the element is
            # what its name says (a dictionary's keys, a record), not the credential.
            value = EMPTY
        self.bind(target, value, state)


def _origin_hidden(node: cst.BaseExpression, state: FunctionState, ctx) -> bool:
    """Whether where a value comes from is out of sight: a library call, a global, an attribute
    of `self`; not a part of a local or a parameter, not something built here."""
    if isinstance(node, cst.Await):
        node = node.expression
    if _clean_by_construction(node) or _named_otherwise(node):
        return False
    if _reads_input(node):
        return True  # `request.headers.get("x-amzn-oidc-data")`: what the client sent
    if isinstance(node, cst.Name):
        return node.value not in state.env or node.value in ("self", "cls")
    if isinstance(node, (cst.Attribute, cst.Subscript)):
        root: cst.BaseExpression = node
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        return not (isinstance(root, cst.Name) and root.value in state.env and root.value not in ("self", "cls"))
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and (func.attr.value in TRANSFORMS or func.attr.value in _PART_METHODS):
            return _origin_hidden(func.value, state, ctx)  # `parts = header.split()`: a part of a known value
        q = ctx.qualify(func)
        bare = func.value if isinstance(func, cst.Name) and q is None else None
        if bare in PROPAGATING_CALLS or q in PROPAGATING_CALLS or (q or "").startswith("builtins."):
            return any(_origin_hidden(a.value, state, ctx) for a in node.args)  # `set()`, `list(known)`
        words = split_words(astutil.name_of(func) or "")
        return not (words and words[0] in _RECORD_VERBS)  # `service.search_secrets(...)`: records
    return False  # built here (containers, strings, operations): their parts' taint is known


def _passed_through(values: "Values", node: cst.Call, q: Optional[str], state: FunctionState) -> Taint:
    """What a call to a helper of this file hands back of its arguments: the secrets of those
    bound to the parameters it returns (a filtered copy of the request's headers)."""
    func = node.func
    facts, shift = None, 0
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls") \
            and state.owner:
        facts, shift = values.local_facts.get(f"{state.owner}.{func.attr.value}"), 1
    elif isinstance(func, cst.Name) and q is not None and q == f"{values.ctx.module_name}.{func.value}":
        facts = values.local_facts.get(func.value)
    if facts is None or not facts.returns_params:
        return EMPTY
    out: Taint = EMPTY
    for i, a in enumerate(node.args):
        if a.star:
            continue
        idx = facts.params.index(a.keyword.value) if a.keyword is not None and a.keyword.value in facts.params \
            else (i + shift if a.keyword is None else -1)
        if idx in facts.returns_params:
            out |= frozenset(lab for lab in values.taint(a.value, state) if lab[0] == "src")
    return out


# Random values that become a secret when stored as one (`api_key = uuid4().hex`); a `request_id`
# made so is an identifier.
_RANDOM_VALUES = frozenset({"uuid.uuid4", "uuid.uuid1", "os.urandom", "secrets.randbits", "random.getrandbits"})
RANDOM_SECRETS = frozenset({"pyotp.random_base32", "pyotp.random_hex", "secrets.token_bytes", "secrets.token_hex",
                            "secrets.token_urlsafe"})
_PART_WORDS = frozenset({"prefix", "suffix", "hint", "preview", "last4", "first4", "fingerprint", "masked", "mask",
                         "redacted", "hash", "hashed", "digest", "head", "tail"})


_CREDENTIAL_HEADER_WORDS = frozenset({"auth", "authorization", "token", "key", "secret", "cookie", "session",
                                      "password", "credential", "credentials", "api", "apikey", "jwt", "bearer"})


def _one_header(mapping: Taint, key: cst.BaseExpression) -> Taint:
    """The value of the request's headers (or cookies) under a name not written here
    (`request.headers.get(self.role_header)`): a credential when the name's name says so
    (`settings.API_KEY_HEADER`), else one header like any other."""
    words = set(split_words(astutil.name_of(key) or "")) if isinstance(key, (cst.Name, cst.Attribute)) else set()
    if not isinstance(key, (cst.Name, cst.Attribute)) or words & _CREDENTIAL_HEADER_WORDS:
        return mapping
    name = astutil.name_of(key) or ""
    if name.isupper() and len(name) > 1:
        return EMPTY  # `resource.get(UNREADABLE_FIELDS)`: a field named by a constant, not the credential
    return frozenset(lab for lab in mapping if lab[0] != "src" or lab[2] not in (HEADERS_DESC, COOKIES_DESC))


def _union(taints) -> Taint:
    out: Taint = EMPTY
    for t in taints:
        out |= t
    return out


def _value_named(name: str, shown: str, incoming: bool = False, config: bool = False) -> Taint:
    """`credentials.name_source` for a variable or an attribute; a CapWords one is a class
    (`RefreshToken`, `tables.APIKey`: a table or a schema), never the secret itself."""
    return EMPTY if _CLASS_NAME.match(name) else name_source(name, shown, incoming=incoming, config=config)


def _whole_request(attr: str, obj: cst.BaseExpression, state: FunctionState) -> Taint:
    """What a request's part holds when it is logged whole: `dict(request.headers)` every header,
    `Authorization` and the cookies among them; `websocket.__dict__` (`vars(request)`) the
    connection's scope, every header of the handshake in it."""
    if attr not in ("headers", "cookies", "__dict__") or not _is_request(obj, state):
        return EMPTY
    return src("credential", {"headers": HEADERS_DESC, "cookies": COOKIES_DESC}.get(attr, REQUEST_STATE_DESC))


def _is_request(node: cst.BaseExpression, state: FunctionState) -> bool:
    """`request`, `websocket`, a parameter annotated `Request`: an incoming request."""
    name = astutil.name_of(node)
    return name is not None and (name in state.requests or name.lower() in _REQUEST_NAMES)


def _tuple_return(body) -> Optional[List[bool]]:
    """The elements (clean or not) of the tuple a function's top-level return statements give."""
    out: Optional[List[bool]] = None
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Return) and isinstance(small.value, cst.Tuple):
                clean = [_clean_by_construction(el.value) for el in small.value.elements]
                out = clean if out is None or len(out) != len(clean) else [a and b for a, b in zip(out, clean)]
    return out


def names_a_part(name: str) -> bool:
    """`prefix`, `key_prefix`, `token_hint`: a part shown to identify a secret, not the secret."""
    return bool(set(split_words(name)) & _PART_WORDS)


def _mints(node: Optional[cst.BaseExpression], ctx) -> bool:
    """`uuid.uuid4()`, `str(uuid4())`, `uuid4().hex`, `os.urandom(32).hex()`, `secrets.token_hex()`."""
    while node is not None:
        if isinstance(node, cst.Await):
            node = node.expression
        elif isinstance(node, cst.Attribute) and node.attr.value in ("hex", "urn", "bytes"):
            node = node.value
        elif isinstance(node, cst.Call):
            q = ctx.qualify(node.func)
            if q in _RANDOM_VALUES or q in RANDOM_SECRETS or (q or "").startswith("secrets.token_") \
                    or random_code(node, ctx, secure_only=False):
                return True
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("hex", "decode"):
                node = node.func.value
            elif astutil.name_of(node.func) in ("str", "bytes") and node.args:
                node = node.args[0].value
            else:
                return False
        else:
            return False
    return False


_CREATE_VERBS = frozenset({"create", "insert", "add", "new", "save", "build", "make", "register", "upsert", "enroll",
                           "setup", "provision", "generate", "issue", "mint", "regenerate", "rotate", "reset"})


def _is_creation(node: cst.BaseExpression) -> bool:
    """`Webhook()`, `await repository.create(webhook)`, `await totp.enroll(user)`: an object
    made here (its secrets are new, its name is not its content)."""
    if isinstance(node, cst.Await):
        node = node.expression
    if not isinstance(node, cst.Call):
        return False
    name = astutil.name_of(node.func) or ""
    words = split_words(name)
    return (name[:1].isupper() and not name.isupper()) or bool(words and words[0] in _CREATE_VERBS) \
        or name == "get_or_create"


_GENERIC_NAMES = frozenset({"value", "val", "data", "raw", "result", "results", "body", "payload_value", "get",
                            "text", "json"})


def _named_otherwise(node: cst.BaseExpression) -> bool:
    """`token = chunk.choices[0].delta.content`, `token = claims["sub"]`: the value says what it is
    (content, a subject), whatever it is stored under; `.value`, `["data"]` say nothing."""
    if isinstance(node, cst.Await):
        node = node.expression
    name = None
    if isinstance(node, cst.Attribute):
        name = node.attr.value
    elif isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        name = astutil.literal_str(node.slice[0].slice.value)
    return bool(name) and secret_name_kind(name) is None and name not in _GENERIC_NAMES


_INPUT_ATTRS = frozenset({"headers", "cookies", "query_params", "path_params", "environ", "form", "args", "GET",
                          "POST", "META"})


def _reads_input(node: cst.BaseExpression) -> bool:
    """A read from a request's headers, cookies or parameters, or from the environment
    (`request.headers.get("x-amzn-oidc-data")`, `websocket.cookies["sid"]`, `os.environ[...]`)."""
    while True:
        if isinstance(node, cst.Call):
            node = node.func
        if isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Attribute):
            if node.attr.value in _INPUT_ATTRS:
                return True
            node = node.value
        else:
            return False


def _is_call(node: Optional[cst.BaseExpression]) -> bool:
    if isinstance(node, cst.Await):
        node = node.expression
    return isinstance(node, cst.Call)


def _is_items_call(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "items"


def _masked_slice(sl: cst.Slice) -> bool:
    """`token[:6]`, `token[-4:]`: a few characters, shown to identify a token, not to use it."""
    def num(n):
        v = astutil.literal_value(n, None) if n is not None else None
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    lower, upper = num(sl.lower), num(sl.upper)
    if (sl.lower is None or lower == 0) and upper is not None and 0 < upper <= 12:
        return True
    if sl.upper is None and lower is not None and -12 <= lower < 0:
        return True
    return False


_TOKEN_KINDS = frozenset({"credential", "token", "issued"})


def _sliced(node: cst.Subscript, idx: cst.Slice, whole: Taint, state: FunctionState) -> Taint:
    """What a slice of a value holds. `token[:20]`: the start of a token (all of a JWT's header, a
    fifth of a random key's length at most) identifies it without letting anyone use it; a
    password's first 20 characters may be all of it: those stay. A longer preview of a JWT is no
    working credential either, but it shows the claims (jwt_parts.py)."""
    if _token_prefix_slice(idx):
        return frozenset(lab for lab in whole if not (lab[0] == "src" and lab[1] in _TOKEN_KINDS))
    preview = jwt_parts.prefix(node, idx, state, whole)
    if preview is not None:
        return frozenset(lab for lab in whole if not (lab[0] == "src" and lab[1] in _TOKEN_KINDS)) | preview
    return whole


def _token_prefix_slice(sl: cst.Slice) -> bool:
    """`token[:20]`, `token[0:16]`: at most 20 characters from the start."""
    lower = astutil.literal_value(sl.lower, None) if sl.lower is not None else 0
    upper = astutil.literal_value(sl.upper, None) if sl.upper is not None else None
    return lower == 0 and isinstance(upper, int) and not isinstance(upper, bool) and 0 < upper <= 20 \
        and sl.step is None


# Calls whose result is a number, a boolean or a digest, whatever they are given.
_NUMERIC_CALLS = frozenset({"len", "bool", "int", "float", "hexdigest", "sum", "round", "abs", "divmod", "ceil",
                            "floor", "isinstance", "callable", "hasattr"})
_NUMERIC_METHODS = frozenset({"hexdigest", "digest", "count", "index", "find", "rfind", "startswith", "endswith",
                              "isdigit", "isnumeric", "isdecimal", "isalpha", "isalnum", "isascii", "isidentifier",
                              "bit_length", "total_seconds", "timestamp"})


def _clean_by_construction(node: cst.CSTNode) -> bool:
    """Values that cannot be a raw secret whatever their name: literals, numbers, comparisons,
    masked slices, lengths and hashes, and strings built only from those."""
    if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Comparison)):
        return True
    if isinstance(node, cst.Name) and node.value in ("None", "True", "False"):
        return True
    if isinstance(node, cst.UnaryOperation):
        return True
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
        return _masked_slice(node.slice[0].slice)
    if isinstance(node, cst.Call):
        name = astutil.name_of(node.func)
        if name is not None and (SANITIZER_RX.search(name) or name in _NUMERIC_CALLS):
            return True
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in _NUMERIC_METHODS:
            return True
        return False
    if isinstance(node, cst.BinaryOperation):
        return _clean_by_construction(node.left) and _clean_by_construction(node.right)
    if isinstance(node, cst.ConcatenatedString):
        return _clean_by_construction(node.left) and _clean_by_construction(node.right)
    if isinstance(node, cst.FormattedString):
        return all(isinstance(p, cst.FormattedStringText) or _clean_by_construction(p.expression) for p in node.parts)
    return False


def service_method(func: cst.BaseExpression, state: FunctionState) -> Optional[str]:
    """`svc.create_invite` for a parameter `svc: InviteService`: "app.svc.InviteService().create_invite"
    (a method called through an instance; Summaries.lookup_call binds `self`)."""
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in state.services:
        return f"{state.services[func.value.value]}().{func.attr.value}"
    return None
