"""The literals the secrets rules judge, and how a judged literal is shown: a str or bytes literal's
text (`string_of`), a field's or parameter's literal default (`default_of`), the name a value is
stored under (`target_name`), what a rule found (`Hit`), and the masked value in a message
(`masking.mask_secret`: no output prints the secret)."""

from __future__ import annotations

from typing import NamedTuple, Optional

import libcst as cst

from fastauthlint import astutil
from fastauthlint.checks.secrets.sensitive import PLACEHOLDER
from fastauthlint.masking import mask_secret

# Calls whose `default` (keyword or first argument) is a field's or parameter's default.
DEFAULT_WRAPPERS = frozenset({"Field", "field", "Query", "Header", "Cookie", "Form", "Body", "Path", "Param",
                              "SecretStr", "SecretBytes", "Secret"})


class Hit(NamedTuple):
    """A literal a rule reports: where, what it says, how sure it is (of several rules judging the
    same literal, the highest priority wins) and the value's verdict (sensitive.SECRET or
    PLACEHOLDER; None for a known credential format)."""

    node: cst.CSTNode
    message: str
    priority: int
    verdict: Optional[str] = None


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


def default_of(value: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
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


def target_name(target: cst.BaseExpression) -> Optional[str]:
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


# -- how values are shown -------------------------------------------------------------------------

FIX = "load it from the environment or a secret store"
_PLACEHOLDER_NOTE = "a placeholder (like the template default \"changethis\") that ends up in production"


def shown_value(verdict: str, shown: str) -> str:
    """The masked value, and why a placeholder is no better than any other literal."""
    return f"{shown}, {_PLACEHOLDER_NOTE}" if verdict == PLACEHOLDER else shown


def masked_value(verdict: str, value: str) -> str:
    return shown_value(verdict, mask_secret(value))
