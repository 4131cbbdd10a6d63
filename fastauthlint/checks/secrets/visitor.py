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
from fastauthlint.checks.secrets import hardcoded_secret, secret_with_literal_fallback, settings
from fastauthlint.checks.secrets.literals import Hit, default_of, string_of, target_name
from fastauthlint.checks.secrets.sensitive import (
    PLACEHOLDER,
    SECRET,
    classify_value,
    is_dev_name,
    is_dev_tooling_path,
    is_test_like_path,
    is_test_name,
    names_a_name,
    secret_name_kind,
    token_formats,
)
from fastauthlint.checks.secrets.settings import ClassFact, FieldFact, SecretsFacts, span_tuple
from fastauthlint.findings import TEST_CODE_SEVERITY
from fastauthlint.masking import mask_secret

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
    def _add(self, rule: str, node: cst.CSTNode, message: str, priority: int, verdict: Optional[str] = None) -> None:
        cur = self.candidates.get(id(node))
        if cur is None or priority > cur.priority:
            self.candidates[id(node)] = _Candidate(rule, node, message, priority, self._lower(verdict))

    def _found(self, rule: str, hit: Optional[Hit]) -> None:
        if hit is not None:
            self._add(rule, hit.node, hit.message, hit.priority, hit.verdict)

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
        self.env_objects = secret_with_literal_fallback.env_objects(self.ctx, self.constants)

    def leave_Module(self, original_node: cst.Module) -> None:
        for name, (mode, what) in self.used_as_secret.items():
            value = self.constants.get(name)
            if id(value) not in self.candidates:
                self._found(HARDCODED, hardcoded_secret.used_constant(name, mode, what, value))
        for cand in sorted(self.candidates.values(), key=lambda c: span_tuple(self.ctx.span(c.node))):
            masks = self.ctx.mark_secret(cand.node)
            self.report(cand.rule, cand.node, cand.message, masks=masks,
                        severity=TEST_CODE_SEVERITY if cand.test else None)

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

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = astutil.literal_str(node.key)
        if key in EXAMPLE_KEYS:
            self.example_depth += 1
        elif key is not None and not self.example_depth and id(node.value) not in self._table_values:
            self._found(HARDCODED, hardcoded_secret.named_literal(key, node.value, "dictionary key"))

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
            self._found(HARDCODED, hardcoded_secret.keyword_argument(kw, node.value))
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
            name = target_name(t.target)
            if name in EXAMPLE_KEYS:
                self.example_depth += 1  # `schema_extra = {...}`: balanced in leave_Assign
                return
            if name is not None:
                self._store(name, node.value, t.target)

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
        self._found(HARDCODED, hardcoded_secret.named_literal(name, value, where))

    def _class_field(self, name: str, value: cst.BaseExpression) -> None:
        """A field's literal default: FAL302 in a settings class, FAL301 in another, a fact for
        the linking step in a class whose bases are defined in other files."""
        info = self.classes[-1]
        kind = secret_name_kind(name)
        lit = default_of(value)
        if kind is None or names_a_name(name) or lit is None or info["kind"] == "enum":
            return
        text = string_of(lit)
        verdict = classify_value(text, name, kind)
        if verdict not in (SECRET, PLACEHOLDER):
            return
        cls = info["name"]
        if info["kind"] == "settings" and not name.startswith("_"):  # `_x` is private: never from the env
            message = secret_with_literal_fallback.settings_message(name, cls, verdict, mask_secret(text))
            self._add(FALLBACK, lit, message, 3, verdict)
        elif info["kind"] == "pending" and not name.startswith("_"):
            info["fields"].append(FieldFact(name, span_tuple(self.ctx.span(lit)), self.ctx.mark_secret(lit),
                                            mask_secret(text), verdict, kind, self._lower(verdict)))
        else:
            message = hardcoded_secret.field_message(kind, cls, name, verdict, mask_secret(text))
            self._add(HARDCODED, lit, message, 1, verdict)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self._found(HARDCODED, hardcoded_secret.named_literal(node.name.value, node.default,
                                                                  "default of parameter", default=True))

    def visit_Assert(self, node: cst.Assert) -> None:
        # `assert client.api_key == "test-key"` in a test: an expectation, not a credential check
        # (outside tests, an assert comparing a credential with a literal is one).
        self.asserts += 1

    def leave_Assert(self, original_node: cst.Assert) -> None:
        self.asserts -= 1

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.asserts and self.in_test:
            return
        for hit in hardcoded_secret.comparison(node):
            self._found(HARDCODED, hit)

    # -- calls: signing keys, environment fallbacks -----------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        q = self.ctx.qualify(node.func)
        if q in hardcoded_secret.KEY_SINKS:
            arg = hardcoded_secret.key_argument(node, q)
            if isinstance(arg, cst.Name):
                self._use_as_secret(arg.value, "key", f"the key of `{q}`")
            elif arg is not None:
                self._found(HARDCODED, hardcoded_secret.literal_key(arg, q))
        elif q in ("secrets.compare_digest", "hmac.compare_digest"):
            for hit in hardcoded_secret.compare_digest(node, q):
                self._found(HARDCODED, hit)
        self._found(FALLBACK, secret_with_literal_fallback.call_fallback(node, q, self.env_objects, self.constants))

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
        return SecretsFacts(classes=self.class_facts, settings=sorted(self.local_settings))
