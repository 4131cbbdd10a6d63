"""FAL301 hardcoded-secret and FAL302 secret-with-literal-fallback.

FAL301 reports a string literal that is a secret: the key given to a JWT/signing library
(`jwt.encode(payload, "my-key")`), a literal assigned to, defaulted for or compared with a name
whose head noun is a secret (`SECRET_KEY = "…"`, `def f(api_key="…")`, `{"client_secret": "…"}`,
`self.password = "…"`, dataclass and model fields), and a well-known credential format anywhere
(JWTs, PEM private keys, provider keys, passwords inside URLs).

FAL302 reports a secret read from the environment with a literal fallback: `os.getenv("JWT_SECRET",
"dev")`, `os.environ.get(...)`, `os.getenv(...) or "dev"`, starlette/decouple/environs `config(...,
default="…")`, `getattr(settings, "SECRET_KEY", "…")`, and fields of a pydantic `BaseSettings`
class whose default is a literal secret (the class may derive from BaseSettings through project
classes in other files: the linking step follows the bases).

Every message shows the value masked (`masking.mask_secret`) and every finding carries the
literal's column ranges (`masks=`), so no output prints it. Facts hold positions, never values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Set, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.sensitive import (
    A_NAME,
    is_dev_name,
    is_dev_tooling_path,
    is_test_like_path,
    is_test_name,
    PLACEHOLDER,
    SECRET,
    classify_value,
    is_marker_placeholder,
    is_public_key,
    is_stand_in,
    is_template,
    names_a_name,
    secret_name_kind,
    token_formats,
)
from fastauthlint.checks.base import Check, CheckVisitor
from fastauthlint.findings import TEST_CODE_SEVERITY, Finding, Severity, Span
from fastauthlint.masking import mask_secret
from fastauthlint.project.names import dotted

HARDCODED = "FAL301"
FALLBACK = "FAL302"

# (parameter name, position) of the key argument of signing/verifying APIs.
KEY_SINKS: Dict[str, Tuple[str, int]] = {
    "jwt.encode": ("key", 1),
    "jwt.decode": ("key", 1),
    "jwt.api_jwt.encode": ("key", 1),
    "jwt.api_jwt.decode": ("key", 1),
    "jwt.api_jws.encode": ("key", 1),
    "jwt.api_jws.decode": ("key", 1),
    "jose.jwt.encode": ("key", 1),
    "jose.jwt.decode": ("key", 1),
    "jose.jws.sign": ("key", 1),
    "jose.jws.verify": ("key", 1),
    "authlib.jose.jwt.encode": ("key", 2),
    "authlib.jose.jwt.decode": ("key", 1),
    "itsdangerous.URLSafeTimedSerializer": ("secret_key", 0),
    "itsdangerous.URLSafeSerializer": ("secret_key", 0),
    "itsdangerous.Serializer": ("secret_key", 0),
    "itsdangerous.TimedSerializer": ("secret_key", 0),
    "itsdangerous.Signer": ("secret_key", 0),
    "itsdangerous.TimestampSigner": ("secret_key", 0),
    "itsdangerous.url_safe.URLSafeTimedSerializer": ("secret_key", 0),
    "hmac.new": ("key", 0),
    "hmac.digest": ("key", 0),
    "cryptography.fernet.Fernet": ("key", 0),
    "jwcrypto.jwk.JWK.from_password": ("password", 0),
}
SETTINGS_BASES = frozenset({"pydantic.BaseSettings", "pydantic_settings.BaseSettings",
                            "pydantic_settings.main.BaseSettings", "pydantic.env_settings.BaseSettings"})
# Calls whose `default` (keyword or first argument) is a field's or parameter's default.
DEFAULT_WRAPPERS = frozenset({"Field", "field", "Query", "Header", "Cookie", "Form", "Body", "Path", "Param",
                              "SecretStr", "SecretBytes", "Secret"})
_LOGIN_KEYS = frozenset({"user", "username", "user_name", "login", "email", "name", "account", "uid"})
# A label passed as a keyword argument (`api_key="health-probe"`, `token="mcp-http-session-owner"`):
# lower-case words joined by hyphens, the name of a principal or a purpose, not a key.
_KEBAB_LABEL = re.compile(r"[a-z]{2,}(-[a-z]{2,}){1,4}")
# Dictionary keys and keyword arguments holding example data for documentation (OpenAPI).
EXAMPLE_KEYS = frozenset({"example", "examples", "json_schema_extra", "schema_extra", "openapi_examples"})

ENV_GETTERS = {  # qualified name -> position of the default argument
    "os.getenv": 1, "os.environ.get": 1, "os.environ.setdefault": 1, "os.getenvb": 1,
    "os.environb.get": 1, "decouple.config": 1,
}
_CONFIG_LIKE = re.compile(r"(^|[._])(env|environ|environment|config|conf|cfg|settings|secrets|vault|options)$", re.I)
ENV_FACTORIES = {"starlette.config.Config": 2, "decouple.AutoConfig": 1, "decouple.Config": 1,
                 "environs.Env": 1}


def string_of(node: Optional[cst.CSTNode]) -> Optional[str]:
    """A str literal's value, or a bytes literal's as latin-1 text (keys are often bytes)."""
    s = astutil.literal_str(node)
    if s is not None:
        return s
    if isinstance(node, cst.SimpleString):
        try:
            v = node.evaluated_value
        except Exception:
            return None
        if isinstance(v, bytes):
            return v.decode("latin-1")
    if isinstance(node, cst.ConcatenatedString):
        left, right = string_of(node.left), string_of(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _default_of(value: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """The literal default of `= "x"`, `= Field("x")`, `= Field(default="x")`, `= Query("x")`."""
    if value is None:
        return None
    if string_of(value) is not None:
        return value
    if isinstance(value, cst.Call) and astutil.name_of(value.func) in DEFAULT_WRAPPERS:
        d = astutil.argument(value, "default", 0)
        if d is not None and string_of(d) is not None:
            return d
    return None


def _target_name(target: cst.BaseExpression) -> Optional[str]:
    """The name a value is stored under: `x`, `self.x`, `cfg["x"]`."""
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        idx = target.slice[0].slice
        if isinstance(idx, cst.Index):
            return astutil.literal_str(idx.value)
    return None


# -- facts (plain data, cached; positions only, never values) ------------------------------------

@dataclass
class FieldFact:
    name: str
    span: Tuple[int, int, int, int]
    masks: Tuple[Tuple[int, int, int], ...]
    shown: str  # the masked value (mask_secret): safe to store
    verdict: str  # SECRET or PLACEHOLDER
    kind: str  # password / token / secret
    is_test: bool


@dataclass
class ClassFact:
    """A class whose kind (settings or not) depends on bases defined in other project files."""

    name: str
    bases: List[str]  # qualified names of its bases
    fields: List[FieldFact] = field(default_factory=list)


@dataclass
class SecretsFacts:
    classes: List[ClassFact] = field(default_factory=list)  # every top-level class with its bases
    settings: List[str] = field(default_factory=list)  # top-level classes known to be BaseSettings


# -- messages -----------------------------------------------------------------------------------

_FIX = "load it from the environment or a secret store"
_PLACEHOLDER_NOTE = "a placeholder (like the template default \"changethis\") that ends up in production"


def _value(verdict: str, shown: str) -> str:
    """The masked value, and why a placeholder is no better than any other literal."""
    return f"{shown}, {_PLACEHOLDER_NOTE}" if verdict == PLACEHOLDER else shown


def _what(verdict: str, value: str) -> str:
    return _value(verdict, mask_secret(value))


@dataclass
class _Candidate:
    rule: str
    node: cst.CSTNode  # the literal reported and masked
    message: str
    priority: int
    test: bool  # in test code or test scaffolding: the lower severity


class SecretsVisitor(CheckVisitor):
    def __init__(self, ctx):
        super().__init__(ctx)
        self.candidates: Dict[int, _Candidate] = {}
        self.constants: Dict[str, cst.BaseExpression] = {}
        self.env_objects: Dict[str, int] = {}  # local name of a Config()/Env() object -> default pos
        self.classes: List[dict] = []  # stack: {"name", "kind", "bases"}
        self.functions = 0
        self.example_depth = 0
        self.used_as_secret: Dict[str, Tuple[str, str]] = {}  # constant name -> (mode, what)
        self.local_settings: Set[str] = set()
        self.class_facts: List[ClassFact] = []
        self.test_scopes = 0  # inside `class TestX` / `def test_x` / `class FakeX` outside tests/
        self.test_path = False  # seeds, fixtures, factories, mocks (is_test_like_path)
        self.dev_path = False  # scripts, benchmarks (is_dev_tooling_path)
        self.dev_scopes = 0  # inside `def create_dev_user` / `def seed_demo_data`
        self._concatenated: Set[int] = set()  # parts of a concatenation already judged whole
        self._table_values: Set[int] = set()  # values repeated under several keys of a dict literal
        self.asserts = 0  # inside an assert statement

    # -- bookkeeping ------------------------------------------------------------------------
    @staticmethod
    def _severity(rule: str) -> Severity:
        """Test code's (see findings.TEST_CODE_SEVERITY)."""
        return TEST_CODE_SEVERITY

    def _add(self, rule: str, node: cst.CSTNode, message: str, priority: int, verdict: Optional[str] = None) -> None:
        cur = self.candidates.get(id(node))
        if cur is None or priority > cur.priority:
            self.candidates[id(node)] = _Candidate(rule, node, message, priority, self._lower(verdict))

    @property
    def in_test(self) -> bool:
        return self.ctx.is_test or self.test_path or self.test_scopes > 0

    def _lower(self, verdict: Optional[str]) -> bool:
        """The lower severity: test code, and stand-ins in development tooling (a script's or a
        dev-user command's `"password1234"`; a real-looking key there is still a leak)."""
        return self.in_test or (verdict == PLACEHOLDER and (self.dev_path or self.dev_scopes > 0))

    def visit_Module(self, node: cst.Module) -> None:
        self.test_path = is_test_like_path(self.ctx.rel)
        self.dev_path = is_dev_tooling_path(self.ctx.rel)
        self.constants = astutil.module_constants(node)
        for name, value in self.constants.items():
            if isinstance(value, cst.Call):
                q = self.ctx.qualify(value.func)
                if q in ENV_FACTORIES:
                    self.env_objects[name] = ENV_FACTORIES[q]

    def leave_Module(self, original_node: cst.Module) -> None:
        for name, (mode, what) in self.used_as_secret.items():
            value = self.constants.get(name)
            text = string_of(value)
            if text is None or id(value) in self.candidates:
                continue
            if mode == "key":
                if not text.strip() or is_public_key(text) or is_template(text):
                    continue
                verdict = PLACEHOLDER if classify_value(text) == PLACEHOLDER else SECRET
            else:
                # `SECRET = "SECRET"` reads like a name, but it is passed as a secret: it is one.
                verdict = classify_value(text, None, secret_name_kind(mode))
                if verdict == A_NAME:
                    verdict = SECRET
                if verdict not in (SECRET, PLACEHOLDER):
                    continue
            self._add(HARDCODED, value, f"hardcoded secret in `{name}`, used as {what}: "
                                        f"{_what(verdict, text)}; {_FIX}", 2, verdict)
        for cand in sorted(self.candidates.values(), key=lambda c: _span_tuple(self.ctx.span(c.node))):
            masks = self.ctx.mark_secret(cand.node)
            self.report(cand.rule, cand.node, cand.message, masks=masks,
                        severity=self._severity(cand.rule) if cand.test else None)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions += 1
        if is_test_name(node.name.value):
            self.test_scopes += 1
        self.dev_scopes += is_dev_name(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions -= 1
        if is_test_name(original_node.name.value):
            self.test_scopes -= 1
        self.dev_scopes -= is_dev_name(original_node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = []
        for arg in node.bases:
            if arg.keyword is None:
                q = self.ctx.qualify(arg.value)
                if q is not None:
                    bases.append(q)
        kind = "plain"
        if any(b.startswith("enum.") for b in bases):
            kind = "enum"  # members are labels: `access_token = "polar_access_token"`
        elif any(b in SETTINGS_BASES for b in bases):
            kind = "settings"
        elif any(b.startswith(f"{self.ctx.module_name}.") and b.split(".")[-1] in self.local_settings
                 for b in bases):
            kind = "settings"
        elif any(not b.startswith(("pydantic", "sqlmodel", "sqlalchemy", "typing", "enum", "abc",
                                   "dataclasses", "fastapi", "starlette", "builtins"))
                 for b in bases) and not self.classes and not self.functions:
            kind = "pending"  # a project base class: the linking step decides
        self.classes.append({"name": node.name.value, "kind": kind, "bases": bases, "fields": []})
        if is_test_name(node.name.value):
            self.test_scopes += 1
        if kind == "settings" and not self.classes[:-1] and not self.functions:
            self.local_settings.add(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        info = self.classes.pop()
        if is_test_name(original_node.name.value):
            self.test_scopes -= 1
        if not self.classes and not self.functions:
            self.class_facts.append(ClassFact(info["name"], info["bases"], info["fields"]))

    def _in_class_body(self) -> bool:
        return bool(self.classes) and self.functions == 0

    # -- example data is documentation ------------------------------------------------------
    def visit_Dict(self, node: cst.Dict) -> None:
        # A table of labels: the same value under several keys (`{"email": "textbox", "password":
        # "textbox"}`, `{"pass": "password", "passwd": "password"}`, a lazy-import map) is a
        # mapping of names, not credentials; `{"user": "admin", "password": "admin"}` is a login.
        seen: Dict[str, List[Tuple[Optional[str], cst.BaseExpression]]] = {}
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                text = astutil.literal_str(el.value)
                if text is not None:
                    seen.setdefault(text, []).append((astutil.literal_str(el.key), el.value))
        for entries in seen.values():
            if len(entries) > 1 and not any(k is not None and k.lower() in _LOGIN_KEYS for k, _ in entries):
                self._table_values.update(id(v) for _, v in entries)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = astutil.literal_str(node.key)
        if key in EXAMPLE_KEYS:
            self.example_depth += 1
        elif key is not None and not self.example_depth and id(node.value) not in self._table_values:
            self._named_literal(key, node.value, "dictionary key")

    def leave_DictElement(self, original_node: cst.DictElement) -> None:
        if astutil.literal_str(original_node.key) in EXAMPLE_KEYS:
            self.example_depth -= 1

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is None:
            return
        kw = node.keyword.value
        if kw in EXAMPLE_KEYS:
            self.example_depth += 1
        elif not self.example_depth:
            text = string_of(node.value)
            if text is None or not _KEBAB_LABEL.fullmatch(text) or is_stand_in(text):
                self._named_literal(kw, node.value, "keyword argument")
            if isinstance(node.value, cst.Name) and secret_name_kind(kw):
                self._use_as_secret(node.value.value, kw, f"the `{kw}=` argument")

    def leave_Arg(self, original_node: cst.Arg) -> None:
        if original_node.keyword is not None and original_node.keyword.value in EXAMPLE_KEYS:
            self.example_depth -= 1

    def _use_as_secret(self, name: str, mode: str, what: str) -> None:
        """A module constant passed where a secret goes (mode "key": a signing key; else the
        secret-like keyword it is passed as); judged in leave_Module."""
        if name in self.constants and (name not in self.used_as_secret or mode == "key"):
            self.used_as_secret[name] = (mode, what)

    # -- names bound to literals ------------------------------------------------------------
    def _named_literal(self, name: str, value: cst.BaseExpression, where: str,
                       default: bool = False) -> Optional[str]:
        """FAL301 for a secret literal stored under a secret-like name; returns the verdict."""
        kind = secret_name_kind(name)
        if kind is None or names_a_name(name):
            return None
        lit = _default_of(value) if default else (value if string_of(value) is not None else None)
        if lit is None:
            return None
        text = string_of(lit)
        verdict = classify_value(text, name, kind)
        if verdict not in (SECRET, PLACEHOLDER):
            return verdict
        self._add(HARDCODED, lit, f"hardcoded {kind} in {where} `{name}`: {_what(verdict, text)}; {_FIX}", 1, verdict)
        return verdict

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.example_depth:
            return
        for t in node.targets:
            name = _target_name(t.target)
            if name in EXAMPLE_KEYS:
                self.example_depth += 1  # `schema_extra = {...}`: balanced in leave_Assign
                return
            if name is not None:
                self._store(name, node.value, t.target)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        if any(_target_name(t.target) in EXAMPLE_KEYS for t in original_node.targets):
            self.example_depth = max(0, self.example_depth - 1)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = _target_name(node.target)
        if name is not None and node.value is not None and not self.example_depth:
            self._store(name, node.value, node.target)

    def _store(self, name: str, value: cst.BaseExpression, target: cst.BaseExpression) -> None:
        if isinstance(value, cst.Name) and secret_name_kind(name) and not names_a_name(name):
            # `reset_password_token_secret = SECRET`: the constant is used as a secret.
            self._use_as_secret(value.value, name, f"`{name}`")
        if self._in_class_body() and isinstance(target, cst.Name):
            self._class_field(name, value)
            return
        self._named_literal(name, value, "attribute" if isinstance(target, cst.Attribute) else
                            ("key" if isinstance(target, cst.Subscript) else "variable"))

    def _class_field(self, name: str, value: cst.BaseExpression) -> None:
        info = self.classes[-1]
        kind = secret_name_kind(name)
        lit = _default_of(value)
        if kind is None or names_a_name(name) or lit is None or info["kind"] == "enum":
            return
        text = string_of(lit)
        verdict = classify_value(text, name, kind)
        if verdict not in (SECRET, PLACEHOLDER):
            return
        cls = info["name"]
        if info["kind"] == "settings" and not name.startswith("_"):  # `_x` is private: never from the env
            self._add(FALLBACK, lit, _settings_message(name, cls, verdict, mask_secret(text)), 3, verdict)
        elif info["kind"] == "pending" and not name.startswith("_"):
            info["fields"].append(FieldFact(name, _span_tuple(self.ctx.span(lit)), self.ctx.mark_secret(lit),
                                            mask_secret(text), verdict, kind, self._lower(verdict)))
        else:
            self._add(HARDCODED, lit, f"hardcoded {kind} as the default of field `{cls}.{name}`: "
                                      f"{_what(verdict, text)}; {_FIX}", 1, verdict)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self._named_literal(node.name.value, node.default, "default of parameter", default=True)

    def visit_Assert(self, node: cst.Assert) -> None:
        # `assert client.api_key == "test-key"` in a test: an expectation, not a credential check
        # (outside tests, an assert comparing a credential with a literal is one).
        self.asserts += 1

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self.asserts -= 1

    def visit_Comparison(self, node: cst.Comparison) -> None:
        # `if password == "admin123"`: a credential written into the code. Comparing with a
        # placeholder is the opposite, a guard against deploying it (`== "changethis"`).
        if len(node.comparisons) != 1 or not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)) \
                or (self.asserts and self.in_test):
            return
        # A placeholder that says it must be replaced is a guard against deploying it, whatever the
        # operator (`if SECRET_KEY == "changethis": raise`, `return key if key != "PLACEHOLDER" else None`);
        # a weak value (`"admin123"`) compared with a credential is the credential.
        left, right = node.left, node.comparisons[0].comparator
        for named, lit in ((left, right), (right, left)):
            name = _target_name(named) if isinstance(named, (cst.Name, cst.Attribute, cst.Subscript)) else None
            text = string_of(lit)
            kind = secret_name_kind(name)
            if kind is None or text is None or names_a_name(name) or is_marker_placeholder(text):
                continue
            if kind == "token" and re.fullmatch(r"[A-Za-z]{1,24}", text.strip()):
                continue  # `token == "RequestPolicy"`: a lexer's or a parser's token, not a credential
            verdict = classify_value(text, name, kind)
            if verdict in (SECRET, PLACEHOLDER):
                self._add(HARDCODED, lit, f"{kind} `{name}` compared with the hardcoded value "
                                          f"{_what(verdict, text)}: a credential written into the code; {_FIX}", 1,
                          verdict)

    # -- calls: signing keys, environment fallbacks -----------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        q = self.ctx.qualify(node.func)
        if q in KEY_SINKS:
            self._key_sink(node, q)
        elif q in ("secrets.compare_digest", "hmac.compare_digest"):
            self._compare_digest(node, q)
        self._env_fallback(node, q)

    def _compare_digest(self, node: cst.Call, q: str) -> None:
        """`secrets.compare_digest(given, b"swordfish")`: the credential is in the code."""
        pos = astutil.positional(node)
        if len(pos) != 2:
            return
        for mine, other in ((pos[0].value, pos[1].value), (pos[1].value, pos[0].value)):
            text = string_of(mine)
            if text is None:
                continue
            name = _target_name(other) if isinstance(other, (cst.Name, cst.Attribute, cst.Subscript)) else None
            verdict = classify_value(text, name, secret_name_kind(name))
            if verdict in (SECRET, PLACEHOLDER):
                self._add(HARDCODED, mine, f"credential compared by `{q}` with the hardcoded value "
                                           f"{_what(verdict, text)}; {_FIX}", 1, verdict)

    def _key_sink(self, node: cst.Call, q: str) -> None:
        pname, pos = KEY_SINKS[q]
        arg = astutil.argument(node, pname, pos)
        if arg is None:
            return
        text = string_of(arg)
        if text is not None:
            if not text.strip() or is_public_key(text) or is_template(text):
                return
            verdict = PLACEHOLDER if classify_value(text) == PLACEHOLDER else SECRET
            self._add(HARDCODED, arg, f"hardcoded key passed to `{q}`: {_what(verdict, text)}; {_FIX}", 2, verdict)
        elif isinstance(arg, cst.Name):
            self._use_as_secret(arg.value, "key", f"the key of `{q}`")

    def _env_fallback(self, node: cst.Call, q: Optional[str]) -> None:
        name_arg: Optional[cst.BaseExpression] = None
        default: Optional[cst.BaseExpression] = None
        if q in ENV_GETTERS:
            name_arg, default = astutil.argument(node, "key", 0), astutil.argument(node, "default", ENV_GETTERS[q])
        elif isinstance(node.func, cst.Name) and node.func.value in self.env_objects:
            name_arg = astutil.argument(node, "key", 0)
            default = astutil.argument(node, "default", self.env_objects[node.func.value])
        elif (isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Name)
              and node.func.value.value in self.env_objects and node.func.attr.value in ("str", "__call__")):
            name_arg, default = astutil.argument(node, "name", 0), astutil.argument(node, "default", 1)
        elif astutil.name_of(node.func) in ("config", "env") and astutil.keyword(node, "default") is not None:
            # `config("JWT_SECRET", default="…")` with a Config/Env object imported from elsewhere.
            name_arg, default = astutil.argument(node, "key", 0), astutil.keyword(node, "default").value
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" \
                and _CONFIG_LIKE.search(dotted(node.func.value) or ""):
            # `settings.get("SECRET_KEY", "dev")`, `app.config.get(...)`: a configuration lookup
            # (not any dict: `response.json().get("password", "")` is data).
            name_arg, default = astutil.argument(node, "key", 0), astutil.argument(node, "default", 1)
        elif isinstance(node.func, cst.Name) and node.func.value == "getattr" and q is None \
                and _CONFIG_LIKE.search(dotted(astutil.argument(node, "object", 0) or cst.Name("_")) or ""):
            name_arg, default = astutil.argument(node, "name", 1), astutil.argument(node, "default", 2)
        if name_arg is None or default is None:
            return
        self._fallback(name_arg, default)

    def _fallback(self, name_arg: cst.BaseExpression, default: cst.BaseExpression) -> None:
        env_name = astutil.literal_str(name_arg)
        if env_name is None and isinstance(name_arg, cst.Name):
            env_name = astutil.literal_str(self.constants.get(name_arg.value))
        kind = secret_name_kind(env_name)
        text = string_of(default)
        if kind is None or text is None:
            return
        verdict = classify_value(text, env_name, kind)
        if verdict not in (SECRET, PLACEHOLDER):
            return
        self._add(FALLBACK, default, f"`{env_name}` falls back to a literal when it is not set: "
                                     f"{_what(verdict, text)}; the application then runs with a known secret; "
                                     f"require it (`os.environ[\"{env_name}\"]`) so that start-up fails without it", 3,
                  verdict)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        # `os.getenv("JWT_SECRET") or "dev"`
        if not isinstance(node.operator, cst.Or) or not isinstance(node.left, cst.Call):
            return
        q = self.ctx.qualify(node.left.func)
        left = node.left
        is_env = q in ENV_GETTERS or (isinstance(left.func, cst.Name) and left.func.value in self.env_objects) \
            or (q is not None and q.startswith("os.environ"))
        if is_env:
            self._fallback(astutil.argument(left, "key", 0) or cst.Name("_"), node.right)

    # -- known credential formats, anywhere -------------------------------------------------
    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) not in self._concatenated:
            self._formats(node, string_of(node))

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        # A key split over implicitly concatenated lines ("-----BEGIN PRIVATE KEY-----\n" "MIG…").
        text = string_of(node)
        if text is not None and token_formats(text):
            self._formats(node, text)
            self._concatenated.update(id(n) for n in astutil.walk(node))

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        text = "".join(p.value for p in node.parts if isinstance(p, cst.FormattedStringText))
        self._formats(node, text)

    def _formats(self, node: cst.CSTNode, text: Optional[str]) -> None:
        if not text or len(text) < 16:
            return
        found = token_formats(text)
        if self.example_depth:
            # OpenAPI examples show a token's shape (`"access_token": "eyJ…"`); keys stay keys.
            found = [f for f in found if f[0] != "JSON Web Token"]
        if found:
            what, secret = found[0]
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            self._add(HARDCODED, node, f"{what} in the code: {mask_secret(secret)}{more}; revoke it and "
                                       f"{_FIX}", 4)

    def facts(self) -> SecretsFacts:
        return SecretsFacts(classes=self.class_facts, settings=sorted(self.local_settings))


def _span_tuple(s: Span) -> Tuple[int, int, int, int]:
    return (s.line, s.column, s.end_line, s.end_column)


def _settings_message(name: str, cls: str, verdict: str, shown: str) -> str:
    return (f"settings field `{cls}.{name}` defaults to the literal {_value(verdict, shown)}, so the "
            f"application runs with a known secret when the environment does not set it; declare the field "
            f"without a default so that start-up fails")


class SecretsCheck(Check):
    name = "secrets"
    rules = (HARDCODED, FALLBACK)

    def visitor(self, ctx):
        return SecretsVisitor(ctx)

    def link(self, project) -> Iterable[Finding]:
        # Classes deriving from project classes: is BaseSettings among their ancestors?
        by_qual: Dict[str, Tuple[str, ClassFact]] = {}
        settings: Set[str] = set()
        for path, facts in project.facts(self.name):
            names = project.names(path)
            module = names.module if names else ""
            for cf in facts.classes:
                by_qual[f"{module}.{cf.name}" if module else cf.name] = (path, cf)
            for s in facts.settings:
                settings.add(f"{module}.{s}" if module else s)

        memo: Dict[str, bool] = {}

        def is_settings(qual: str, near: str, depth: int = 0) -> bool:
            if qual in SETTINGS_BASES or qual in settings:
                return True
            if depth > 15:
                return False
            if qual in memo:
                return memo[qual]
            memo[qual] = False
            target = qual
            if qual not in by_qual:
                sym = project.resolve(qual, near=near)
                target = sym.qualname if sym is not None else qual
            if target in settings:
                memo[qual] = True
                return True
            entry = by_qual.get(target)
            if entry is None:
                return False
            path, cf = entry
            memo[qual] = any(is_settings(b, path, depth + 1) for b in cf.bases)
            return memo[qual]

        out: List[Finding] = []
        for path, facts in project.facts(self.name):
            for cf in facts.classes:
                if not cf.fields:
                    continue
                settings_cls = any(is_settings(b, path) for b in cf.bases)
                for f in cf.fields:
                    rule = FALLBACK if settings_cls else HARDCODED
                    if settings_cls:
                        msg = _settings_message(f.name, cf.name, f.verdict, f.shown)
                    else:
                        msg = (f"hardcoded {f.kind} as the default of field `{cf.name}.{f.name}`: "
                               f"{_value(f.verdict, f.shown)}; {_FIX}")
                    sev = TEST_CODE_SEVERITY if f.is_test else None
                    out.append(Finding(rule=rule, path=path, span=Span(*f.span), message=msg,
                                       severity=sev, masks=tuple(tuple(m) for m in f.masks)))
        return out


CHECK = SecretsCheck()
