"""The traversal of the secrets family (`SecretsVisitor`): it walks a file once, hands each literal
to the rule that judges it (hardcoded_secret.py for FAL301, secret_with_literal_fallback.py for
FAL302, settings.py for the fields of settings classes) and keeps, per literal, the most certain
finding. It tracks what the judgement depends on: class and function nesting, test scaffolding and
development tooling (the lower severity), OpenAPI example data (documentation, not credentials),
module constants used as secrets (judged at the end of the file).

Every message shows the value masked (`masking.mask_secret`) and every finding carries the
literal's column ranges (`masks=`), so no output prints it. Facts hold positions, never values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Set, Tuple

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.base import CheckVisitor
from fastauthlint.checks.jwt.flow import Scope
from fastauthlint.checks.secrets import hardcoded_secret, secret_with_literal_fallback, settings
from fastauthlint.checks.secrets.literals import Hit, default_of, string_of, target_name
from fastauthlint.checks.secrets.sensitive import (
    PLACEHOLDER,
    is_dev_name,
    is_dev_tooling_path,
    is_test_like_path,
    is_test_name,
    names_a_name,
    secret_name_kind,
    token_formats,
)
from fastauthlint.checks.secrets.settings import ClassFact, FieldFact, SecretsFacts, span_tuple
from fastauthlint.checks.secrets.surroundings import (
    field_names,
    local_connection_passwords,
    sentinel_names,
    creates_something,
    generated_identity,
    generated_identity_item,
    guarded_comparisons,
    refused_when_empty,
    refuses,
)
from fastauthlint.findings import TEST_CODE_SEVERITY, Severity
from fastauthlint.masking import mask_secret
from fastauthlint.project.programs import Held

HARDCODED = hardcoded_secret.RULE
FALLBACK = secret_with_literal_fallback.RULE

# Dictionary keys and keyword arguments holding example data for documentation (OpenAPI).
EXAMPLE_KEYS = frozenset({"example", "examples", "json_schema_extra", "schema_extra", "openapi_examples"})


@dataclass
class _Candidate:
    rule: str
    node: cst.CSTNode  # the literal reported and masked
    message: str
    priority: int
    test: bool  # in test code or test scaffolding: the lower severity
    warning: bool = False  # a development default of a credential for another service
    empty_name: Optional[str] = None  # an empty default of this secret (FAL302): kept unless the file refuses it


_ROUTE_VERBS = frozenset({"get", "post", "put", "patch", "delete", "api_route", "route"})


class _Returned:
    """The dicts a route returns, and their values (a mixin of SecretsVisitor)."""

    _returned_dicts: Set[int]
    func_nodes: List[cst.FunctionDef]

    def visit_Return(self, node: cst.Return) -> None:
        # `return {"access_token": "demo-token", ...}`: what a function hands every caller is no
        # secret of the server; a stand-in token there is a mock answer, not a key that is checked
        value = node.value
        if not self.func_nodes or not any(
                isinstance(d.decorator, cst.Call) and isinstance(d.decorator.func, cst.Attribute)
                and d.decorator.func.attr.value in _ROUTE_VERBS for d in self.func_nodes[-1].decorators):
            return  # a route's answer (a helper's or a fixture's dict may be the headers a client sends)
        if isinstance(value, cst.Call):
            value = next((a.value for a in value.args if isinstance(a.value, cst.Dict)), value)
        if isinstance(value, cst.Dict):
            self._returned_dicts.add(id(value))


class SecretsVisitor(_Returned, CheckVisitor):
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
        self._guards: Set[int] = set()  # comparisons whose failure refuses to run (surroundings.py)
        self.empty_held: List[Tuple[str, Held]] = []  # empty signing keys, judged when linking (settings.py)
        self.refused_empty: Set[str] = set()  # names the file refuses to run with empty (`if not SECRET_KEY: raise`)
        # `default_secret = "change-me"; if self.jwt_secret == default_secret: raise`: literals bound to a
        # name (name -> candidate keys), and the names read as an operand of a refusing guard.
        self._named: Dict[str, List[int]] = {}
        self._returned_dicts: Set[int] = set()  # dicts a function returns (or returns a response of)
        self._returned_values: Set[int] = set()  # their values
        self._guard_operands: Set[str] = set()
        self._guard_nodes: List[cst.Comparison] = []
        self._local_defaults: Set[int] = set()  # passwords given to a connection to this machine
        # Per function: does it make a throw-away account, and the password literals it holds.
        self.frames: List[dict] = []
        self.func_nodes: List[cst.FunctionDef] = []  # the functions the walk is in, innermost last
        self._scopes: Dict[int, Scope] = {}  # value scopes, built only when a key is a local name

    # -- bookkeeping ------------------------------------------------------------------------
    def _add(self, rule: str, node: cst.CSTNode, message: str, priority: int, verdict: Optional[str] = None,
             kind: Optional[str] = None, warning: bool = False, empty_name: Optional[str] = None,
             record: bool = False) -> None:
        cur = self.candidates.get(id(node))
        if cur is None or priority > cur.priority:
            # `def seed_mfa_data(): MFASettings(totp_secret="JBSW…")`: a value a development function
            # gives the record it creates (a sample account's password, TOTP secret, API key) is test data
            lower = self._lower(verdict, kind) or (record and kind is not None and self.dev_scopes > 0)
            self.candidates[id(node)] = _Candidate(rule, node, message, priority, lower, warning, empty_name)
            if kind == "password" and self.frames and self.dev_path:
                self.frames[-1]["passwords"].append(id(node))

    def _found(self, rule: str, hit: Optional[Hit], record: bool = False) -> None:
        if hit is not None:
            self._add(rule, hit.node, hit.message, hit.priority, hit.verdict, hit.kind, hit.warning,
                      hit.name if hit.verdict == secret_with_literal_fallback.EMPTY else None, record)

    @property
    def in_test(self) -> bool:
        return self.ctx.is_test or self.test_path or self.test_scopes > 0

    def _lower(self, verdict: Optional[str], kind: Optional[str] = None) -> bool:
        """The lower severity: test code, stand-ins in development tooling (a script's or a
        dev-user command's `"password1234"`; a real-looking key there is still a leak), and the
        passwords of sample users in development functions (`def seed_database`, `create_test_user`)."""
        known = verdict in (PLACEHOLDER, secret_with_literal_fallback.EMPTY)
        return self.in_test or (known and (self.dev_path or self.dev_scopes > 0)) \
            or (kind == "password" and self.dev_scopes > 0)

    def visit_Module(self, node: cst.Module) -> None:
        self.test_path = is_test_like_path(self.ctx.rel)
        self.dev_path = is_dev_tooling_path(self.ctx.rel)
        self.constants = astutil.module_constants(node)
        self.module = node
        self.env_objects = secret_with_literal_fallback.env_objects(self.ctx, self.constants)

    def leave_Module(self, original_node: cst.Module) -> None:
        for name, (mode, what) in self.used_as_secret.items():
            value = self.constants.get(name)
            if id(value) not in self.candidates:
                self._found(HARDCODED, hardcoded_secret.used_constant(name, mode, what, value))
        self._drop_sentinels(original_node)
        reported = {n: self.constants[n] for n, keys in self._named.items()
                    if n in self.constants and any(k in self.candidates for k in keys)}
        for name in field_names(original_node, reported):
            for key in self._named[name]:
                self.candidates.pop(key, None)
        for key in self._local_defaults:
            cand = self.candidates.get(key)
            if cand is not None and cand.rule == HARDCODED and cand.priority < 4:
                del self.candidates[key]  # a known credential format stays reported
        for key in [k for k, c in self.candidates.items() if c.empty_name and c.empty_name.lower() in self.refused_empty]:
            del self.candidates[key]  # `if not self.SECRET_KEY: raise ...`: start-up fails without it after all
        for cf in self.class_facts:
            cf.fields = [f for f in cf.fields if not (f.verdict == secret_with_literal_fallback.EMPTY
                                                      and f.name.lower() in self.refused_empty)]
        for cand in sorted(self.candidates.values(), key=lambda c: span_tuple(self.ctx.span(c.node))):
            masks = self.ctx.mark_secret(cand.node)
            found = self.ctx.finding(cand.rule, cand.node, cand.message, masks=masks, severity=TEST_CODE_SEVERITY
                                     if cand.test else (Severity.WARNING if cand.warning else None))
            if not settings.held_empty(found, cand.empty_name if not cand.test else None, self.empty_held):
                self.findings.append(found)

    def _drop_sentinels(self, module: cst.Module) -> None:
        for name in sentinel_names(module, self._guard_operands, self._guard_nodes,
                                   {n for n, keys in self._named.items() if any(k in self.candidates for k in keys)}):
            for key in self._named[name]:
                self.candidates.pop(key, None)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions += 1
        if is_test_name(node.name.value):
            self.test_scopes += 1
        self.dev_scopes += is_dev_name(node.name.value)
        self.frames.append({"fixture": creates_something(node.name.value), "passwords": []})
        self.func_nodes.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions -= 1
        if is_test_name(original_node.name.value):
            self.test_scopes -= 1
        self.dev_scopes -= is_dev_name(original_node.name.value)
        frame = self.frames.pop()
        self.func_nodes.pop()
        _drop_only_tested(self.candidates, original_node)
        if frame["fixture"]:
            # A development script's function that creates an account (`def _create_user`, or one
            # named `f"qa_{suffix}"`): the password it chooses for it is test data.
            for key in frame["passwords"]:
                if key in self.candidates:
                    self.candidates[key].test = True

    def _identity(self, generated: bool) -> None:
        if generated and self.frames:
            self.frames[-1]["fixture"] = True

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = []
        for arg in node.bases:
            if arg.keyword is None:
                q = self.ctx.qualify(arg.value)
                if q is not None:
                    bases.append(q)
        kind = settings.class_kind(bases, self.ctx.module_name, self.local_settings,
                                   top_level=not self.classes and not self.functions)
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
        self._table_values.update(hardcoded_secret.label_table_values(node))
        if id(node) in self._returned_dicts:
            self._returned_values.update(id(el.value) for el in node.elements if isinstance(el, cst.DictElement))

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = astutil.literal_str(node.key)
        if key is not None:
            self._identity(generated_identity_item(key, node.value))
        if key in EXAMPLE_KEYS:
            self.example_depth += 1
        elif key is not None and not self.example_depth and id(node.value) not in self._table_values:
            hit = hardcoded_secret.named_literal(key, node.value, "dictionary key")
            if hit is not None and hit.verdict == PLACEHOLDER and hit.kind == "token" \
                    and id(node.value) in self._returned_values:
                return
            self._found(HARDCODED, hit, record=True)

    def leave_DictElement(self, original_node: cst.DictElement) -> None:
        if astutil.literal_str(original_node.key) in EXAMPLE_KEYS:
            self.example_depth -= 1

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is None:
            return
        kw = node.keyword.value
        self._identity(generated_identity_item(kw, node.value))
        if kw in EXAMPLE_KEYS:
            self.example_depth += 1
        elif not self.example_depth and id(node.value) not in self._table_values:
            self._found(HARDCODED, hardcoded_secret.keyword_argument(kw, node.value), record=True)
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
    def visit_Assign(self, node: cst.Assign) -> None:
        if self.example_depth:
            return
        for t in node.targets:
            self._identity(generated_identity(t.target, node.value))
            name = target_name(t.target)
            if isinstance(t.target, cst.Subscript) and _session_of(t.target.value):
                continue  # `request.session["token"] = "admin-logged-in"`: a marker in the signed session
            if name in EXAMPLE_KEYS:
                self.example_depth += 1  # `schema_extra = {...}`: balanced in leave_Assign
                return
            if name is not None:
                self._store(name, node.value, t.target)
            elif isinstance(t.target, (cst.Tuple, cst.List)) and isinstance(node.value, (cst.Tuple, cst.List)) \
                    and len(t.target.elements) == len(node.value.elements):
                # `user, password = "admin", "s3cr3t"`: element by element.
                for el, val in zip(t.target.elements, node.value.elements):
                    el_name = target_name(el.value)
                    if el_name is not None:
                        self._store(el_name, val.value, el.value)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        if any(target_name(t.target) in EXAMPLE_KEYS for t in original_node.targets):
            self.example_depth = max(0, self.example_depth - 1)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = target_name(node.target)
        if name is not None and node.value is not None and not self.example_depth:
            self._store(name, node.value, node.target)

    def _store(self, name: str, value: cst.BaseExpression, target: cst.BaseExpression) -> None:
        if isinstance(value, cst.Name) and secret_name_kind(name) and not names_a_name(name):
            # `reset_password_token_secret = SECRET`: the constant is used as a secret.
            self._use_as_secret(value.value, name, f"`{name}`")
        if self._in_class_body() and isinstance(target, cst.Name):
            self._class_field(name, value)
            return
        where = "attribute" if isinstance(target, cst.Attribute) else (
            "key" if isinstance(target, cst.Subscript) else "variable")
        hit = hardcoded_secret.named_literal(name, value, where)
        if hit is not None and isinstance(target, cst.Name):
            self._named.setdefault(name, []).append(id(hit.node))
        self._found(HARDCODED, hit)

    def _class_field(self, name: str, value: cst.BaseExpression) -> None:
        """A field's literal default (or a short list of them: `ROOT_TOKENS: List[str] = ["1234"]`):
        FAL302 in a settings class, FAL301 in another, a fact for the linking step in a class whose
        bases are defined in other files. An empty default is a known key only for a secret that
        signs, and only as a fallback (FAL302)."""
        info = self.classes[-1]
        kind = secret_name_kind(name)
        if kind is None or names_a_name(name) or info["kind"] == "enum":
            return
        lit = default_of(value)
        if lit is not None:
            text = string_of(lit) or ""
            verdict = secret_with_literal_fallback.judge(text, name, kind)
        else:
            listed = hardcoded_secret.listed_secret(name, kind, value)
            if listed is None:
                return
            lit, text, verdict = listed
        if verdict is None or secret_with_literal_fallback.outbound_stand_in(name, text):
            return
        cls = info["name"]
        env_field = info["kind"] in ("settings", "pending") and not name.startswith("_")  # `_x`: never from the env
        if verdict == secret_with_literal_fallback.EMPTY and not env_field:
            return
        warning = secret_with_literal_fallback.is_development_default(name, text, verdict)
        if info["kind"] == "settings" and env_field:
            message = secret_with_literal_fallback.settings_message(name, cls, verdict, mask_secret(text), warning)
            self._add(FALLBACK, lit, message, 3, verdict, kind, warning,
                      name if verdict == secret_with_literal_fallback.EMPTY else None)
        elif info["kind"] == "pending" and env_field:
            info["fields"].append(FieldFact(name, span_tuple(self.ctx.span(lit)), self.ctx.mark_secret(lit),
                                            mask_secret(text), verdict, kind, self._lower(verdict, kind), warning))
        else:
            message = hardcoded_secret.field_message(kind, cls, name, verdict, mask_secret(text))
            self._add(HARDCODED, lit, message, 1, verdict, kind)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self._found(HARDCODED, hardcoded_secret.named_literal(node.name.value, node.default,
                                                                  "default of parameter", default=True))

    def visit_Assert(self, node: cst.Assert) -> None:
        # `assert client.api_key == "test-key"` in a test: an expectation, not a credential check
        # (outside tests, an assert comparing a credential with a literal is one, unless it refuses
        # the literal: `assert SECRET_KEY != "development_secret"`).
        self.asserts += 1
        self._guard(guarded_comparisons(node.test, refusing_when_true=False))
        self.refused_empty.update(n.lower() for n in refused_when_empty(node.test, refusing_when_true=False))

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self.asserts -= 1

    def visit_If(self, node: cst.If) -> None:
        # `if settings.SECRET_KEY == "dev": raise RuntimeError(...)`: a guard against deploying it.
        if refuses(node.body.body):
            self._guard(guarded_comparisons(node.test, refusing_when_true=True))
            self.refused_empty.update(n.lower() for n in refused_when_empty(node.test, refusing_when_true=True))

    def _guard(self, comparisons) -> None:
        for c in comparisons:
            self._guards.add(id(c))
            self._guard_nodes.append(c)
            for operand in [c.left] + [t.comparator for t in c.comparisons]:
                if isinstance(operand, cst.Name):
                    self._guard_operands.add(operand.value)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if (self.asserts and self.in_test) or id(node) in self._guards:
            return
        for hit in hardcoded_secret.comparison(node):
            self._found(HARDCODED, hit)

    # -- calls: signing keys, environment fallbacks -----------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        if _session_of(node.func, "update"):
            # `request.session.update({"token": "admin-logged-in"})`: a constant stored in the signed
            # session is a marker the server reads back; the secret is the session's signing key.
            for arg in node.args:
                if isinstance(arg.value, cst.Dict):
                    self._table_values.update(id(el.value) for el in arg.value.elements
                                              if isinstance(el, cst.DictElement))
                if arg.keyword is not None:
                    self._table_values.add(id(arg.value))
        self._local_defaults.update(local_connection_passwords(node, self.constants))
        q = self.ctx.qualify(node.func)
        if q in hardcoded_secret.KEY_SINKS:
            arg = hardcoded_secret.key_argument(node, q)
            if isinstance(arg, cst.Name):
                if not self._local_key(arg, node, q):
                    self._use_as_secret(arg.value, "key", f"the key of `{q}`")
            elif arg is not None:
                self._found(HARDCODED, hardcoded_secret.literal_key(arg, q))
        elif q in ("secrets.compare_digest", "hmac.compare_digest"):
            for hit in hardcoded_secret.compare_digest(node, q):
                self._found(HARDCODED, hit)
        self._found(FALLBACK, secret_with_literal_fallback.call_fallback(node, q, self.env_objects, self.constants))
        weak = secret_with_literal_fallback.random_fallback(self.ctx, node, q, self.module) if not self.in_test else None
        if weak is not None:
            self.report(FALLBACK, weak[0], weak[1])

    def _scope(self, index: int) -> Scope:
        """The value scope of the function at `index` of the walk's function stack (-1: the module)."""
        owner = self.func_nodes[index] if index >= 0 else self.module
        scope = self._scopes.get(id(owner))
        if scope is None:
            parent = self._scope(index - 1) if index >= 0 else None
            scope = self._scopes[id(owner)] = Scope(owner, parent, self.ctx.qualify)
        return scope

    def _local_key(self, arg: cst.Name, call: cst.Call, q: str) -> bool:
        """A key given through a local name of a function (`key = "…"; jwt.encode(p, key)`, or a
        parameter's default, `def sign(p, key="…")`): the literals that can reach the call are
        reported. True when the name is the function's own (a module constant is judged at the end
        of the file, like any constant used as a key); rebinding it first (`key = settings.KEY`)
        leaves nothing literal to report."""
        if not self.func_nodes:
            return False
        scope = self._scope(len(self.func_nodes) - 1)
        if not (scope.is_local(arg.value) or arg.value in scope.params):
            return False
        for value in scope.values(arg, call):
            if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
                self._found(HARDCODED, hardcoded_secret.literal_key(value, q))
        return True

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._found(FALLBACK, secret_with_literal_fallback.or_fallback(self.ctx, node, self.env_objects,
                                                                       self.constants))

    # -- known credential formats, anywhere -------------------------------------------------
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
        self._found(HARDCODED, hardcoded_secret.formats(node, text, in_example=bool(self.example_depth)))

    def facts(self) -> SecretsFacts:
        return SecretsFacts(classes=self.class_facts, settings=sorted(self.local_settings),
                            refused_empty=sorted(self.refused_empty) if not self.ctx.is_test else [],
                            empty_held=self.empty_held)


def _session_of(expr: cst.BaseExpression, method: str = "") -> bool:
    """`request.session` (with `method`: `request.session.update`): the signed cookie session."""
    if method:
        if not (isinstance(expr, cst.Attribute) and expr.attr.value == method):
            return False
        expr = expr.value
    return isinstance(expr, cst.Attribute) and expr.attr.value == "session" and isinstance(expr.value, (cst.Name, cst.Attribute))


def _drop_only_tested(candidates, func: cst.FunctionDef) -> None:
    """`secret = os.environ.get("JWT_SECRET") or ""` in a function that only tests the value
    (`if secret in UNSAFE: ...`, `len(secret) < 32`, `if not secret:`): a diagnostic that sorts
    the setting, not code that runs with the fallback (FAL302)."""
    fallbacks = {k for k, c in candidates.items() if c.rule == FALLBACK}
    if not fallbacks:
        return
    for stmt in _own_statements(func):
        if not (isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0].target,
                                                                                     cst.Name)):
            continue
        inside = [id(n) for n in astutil.walk(stmt.value) if id(n) in fallbacks]
        if inside and _only_tested(func, stmt.targets[0].target.value, stmt):
            for key in inside:
                del candidates[key]


def _own_statements(func: cst.FunctionDef):
    """The small statements of a function, not of the functions and classes it defines."""
    stack = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.BaseSmallStatement):
            yield node
            continue
        stack.extend(c for c in astutil.children(node) if not isinstance(c, (cst.FunctionDef, cst.ClassDef, cst.Lambda)))


def _only_tested(func: cst.FunctionDef, name: str, assign: cst.Assign) -> bool:
    """Is every read of `name` in the function a test of its value: inside a comparison, or the
    whole test of an `if` (`if not name:`)?"""
    target = id(assign.targets[0].target)
    reads = {id(n) for n in astutil.walk(func.body) if isinstance(n, cst.Name) and n.value == name and id(n) != target}
    if not reads:
        return False
    tested: Set[int] = set()
    for n in astutil.walk(func.body):
        if isinstance(n, cst.Comparison):
            tested.update(id(m) for m in astutil.walk(n))
        elif isinstance(n, cst.If):
            test = n.test.expression if isinstance(n.test, cst.UnaryOperation) else n.test
            if isinstance(test, cst.Name):
                tested.add(id(test))
    return reads <= tested
