"""Per-file collection, part five: reading the values a function handles, for collect_purpose.py:
whether its answer is built of constants only (a probe's, a root page's), which token-like value
from the caller an expression carries, whether an expression builds a new instance of a class.
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from fastauthlint import astutil
from fastauthlint.project import acts as A
from fastauthlint.project.acts import PurposeState
from fastauthlint.project.collect_values import ValueReader


class AnswerReader(ValueReader):
    """The value questions of the purpose recorder (a mixin of the collector)."""

    def _tainted(self, pp: PurposeState, args: List[cst.BaseExpression]) -> Optional[str]:
        """The token-like name one of the arguments carries: a tainted local or parameter, a
        field of a parameter or local (`body.reset_token`), a key read from the request or from a
        local dict (`request.cookies.get("refresh_token")`, `data["token"]`). A module's setting
        (`settings.API_TOKEN`) is not the caller's."""
        for a in args:
            stack = [a]
            n = 0
            while stack and n < A.WALK:
                cur = stack.pop()
                n += 1
                if isinstance(cur, cst.Name):
                    t = pp.taint.get(cur.value)
                    if t is not None:
                        return t
                elif isinstance(cur, cst.Attribute):
                    if A.token_name(cur.attr.value) and self._caller_value(cur.value):
                        return cur.attr.value.lower()
                    stack.append(cur.value)
                elif isinstance(cur, cst.Subscript):
                    key = A.subscript_key(cur)
                    if key is not None and A.token_name(key) and self._caller_value(cur.value):
                        return key.lower()
                    stack.append(cur.value)
                elif isinstance(cur, cst.Call):
                    f = cur.func
                    if isinstance(f, cst.Attribute) and f.attr.value in ("get", "getlist", "pop") and cur.args:
                        key = astutil.literal_str(cur.args[0].value)
                        if key is not None and A.token_name(key) and self._caller_value(f.value):
                            return key.lower()
                    stack.append(f)
                    stack.extend(x.value for x in cur.args)
                elif isinstance(cur, (cst.Await, cst.UnaryOperation)):
                    stack.append(cur.expression)
                elif isinstance(cur, cst.BinaryOperation):
                    stack.extend((cur.left, cur.right))
                elif isinstance(cur, cst.FormattedString):
                    stack.extend(p.expression for p in cur.parts if isinstance(p, cst.FormattedStringExpression))
                elif isinstance(cur, (cst.Tuple, cst.List)):
                    stack.extend(el.value for el in cur.elements)
        return None

    def _constructor(self, node: cst.BaseExpression) -> bool:
        """`User(email=..., hashed_password=...)`: a class of the project or a library, called."""
        if isinstance(node, cst.Await):
            node = node.expression
        if not isinstance(node, cst.Call) or not isinstance(node.func, (cst.Name, cst.Attribute)) or not A.camel(node.func):
            return False
        return self.ctx.qualify(node.func) is not None or (
            isinstance(node.func, cst.Name) and self._local_frame(node.func.value) is None)

    def _caller_value(self, node: cst.BaseExpression) -> bool:
        """The expression is rooted in a parameter or local of the function (not `self`, not a
        module-level name)."""
        while isinstance(node, (cst.Attribute, cst.Subscript, cst.Call)):
            node = node.value if not isinstance(node, cst.Call) else node.func
        return isinstance(node, cst.Name) and node.value != "self" and self._local_frame(node.value) is not None

    @staticmethod
    def _deferred(value: cst.BaseExpression) -> bool:
        """`return await get_status()`: a plain call of a function, judged when linked."""
        if isinstance(value, cst.Await):
            value = value.expression
        return isinstance(value, cst.Call) and isinstance(value.func, (cst.Name, cst.Attribute)) and all(
            isinstance(a.value, (cst.Name, cst.SimpleString, cst.Integer)) for a in value.args[:4])

    def _static(self, pp: PurposeState, node: cst.BaseExpression, depth: int = 0) -> bool:
        """Built of constants only: literals, module constants, configuration values whose names
        are not secrets, timestamps, responses of those (a health probe's or a root page's body)."""
        if depth > 8:
            return False
        d = depth + 1
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float, cst.Imaginary)):
            return True
        if isinstance(node, cst.FormattedString):
            return all(self._static(pp, p.expression, d) for p in node.parts if isinstance(p, cst.FormattedStringExpression))
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None") or node.value in pp.static_locals:
                return True
            frame = self._local_frame(node.value)
            return frame is None and node.value.isupper() and self.ctx.qualify(node) is not None
        if isinstance(node, cst.Attribute):
            head = node
            while isinstance(head, cst.Attribute):
                if A.SECRETISH.search(head.attr.value):
                    return False
                head = head.value
            if isinstance(head, cst.Name) and head.value in pp.static_locals:
                return True
            return isinstance(head, cst.Name) and self._configuration(pp, head)
        if isinstance(node, (cst.Dict,)):
            return all(isinstance(el, cst.DictElement) and self._static(pp, el.key, d) and self._static(pp, el.value, d)
                       for el in node.elements)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return all(isinstance(el, cst.Element) and self._static(pp, el.value, d) for el in node.elements)
        if isinstance(node, cst.IfExp):
            return self._static(pp, node.body, d) and self._static(pp, node.orelse, d)
        if isinstance(node, cst.Await):
            return self._static(pp, node.expression, d)
        if isinstance(node, cst.BinaryOperation):
            return self._static(pp, node.left, d) and self._static(pp, node.right, d)
        if isinstance(node, cst.Subscript):
            return self._static(pp, node.value, d)
        if isinstance(node, cst.Call):
            return self._static_call(pp, node, d)
        return False

    def _configuration(self, pp: PurposeState, head: cst.Name) -> bool:
        """The name holds the deployment's configuration, not the request's data: a module-level
        or imported name (`settings`), a local of the app factory a handler closes over
        (`resolved_settings`), an injected settings object (`settings: Settings = Depends(...)`)."""
        frame = self._local_frame(head.value)
        if frame is None:
            return self.ctx.qualify(head) is not None
        return frame is not self._func() or head.value in pp.config_params

    def _static_helper(self, func: cst.BaseExpression) -> bool:
        """A function of this file, defined above, that answers constants (`_base_fields()`)."""
        if not isinstance(func, cst.Name) or self._local_frame(func.value) is not None:
            return False
        f = self.out.functions.get(func.value)  # type: ignore[attr-defined]  (the collector's output)
        return f is not None and "static" in f.actions and "busy" not in f.actions

    def answer_call(self, pp: PurposeState, node: cst.Call) -> bool:
        """A call that only builds an answer of constants (not work of the handler's own)."""
        name = A.last_name(node.func)
        if self._static_helper(node.func):
            return True
        if (name in ("jsonable_encoder",) or (isinstance(node.func, (cst.Name, cst.Attribute)) and A.camel(node.func))
                or name in A.CONFIG_GETTERS):
            return self._static_call(pp, node, 0)
        return False

    def _static_call(self, pp: PurposeState, node: cst.Call, d: int) -> bool:
        name = A.last_name(node.func)
        if self._static_helper(node.func) and not node.args:
            return True
        q = self.ctx.qualify(node.func) if isinstance(node.func, (cst.Name, cst.Attribute)) else None
        if name == "TemplateResponse":
            # a page from a fixed template whose context is only the request
            for a in node.args:
                v = a.value
                if isinstance(v, cst.Name) and v.value == "request":
                    continue
                if isinstance(v, cst.Dict) and all(isinstance(el, cst.DictElement) and (
                        self._static(pp, el.value, d) or (isinstance(el.value, cst.Name) and el.value.value == "request"))
                        for el in v.elements):
                    continue
                if not self._static(pp, v, d):
                    return False
            return True
        if name in A.CONFIG_GETTERS and node.args:
            first = astutil.literal_str(node.args[0].value)
            if first is not None and not A.SECRETISH.search(first) and (name != "get" or A.env_like(node.func)):
                return True
        if q is not None and q.split(".")[0] in A.TIME_MODULES:
            return True
        if isinstance(node.func, cst.Attribute) and name in ("isoformat", "strftime", "timestamp", "lower", "upper",
                                                              "strip", "lstrip", "rstrip", "title", "capitalize"):
            return self._static(pp, node.func.value, d)
        if name in A.STATIC_RESPONSES or name == "jsonable_encoder" or (
                isinstance(node.func, cst.Name) and name in ("dict", "str", "int", "bool")) or (
                isinstance(node.func, (cst.Name, cst.Attribute)) and name[:1].isupper() and q is not None):
            return all(self._static(pp, a.value, d) for a in node.args)
        return False


