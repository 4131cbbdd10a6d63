"""The abstract values the JWT rules reason with: a CST expression (a literal or any other
expression), `DictVal` (a dict built in the code: literal keys mapped to their possible values), or
`UNKNOWN` (a value that cannot be seen); `ABSENT` marks a key that may be missing. Nothing is
guessed: the rules report only what the known values prove.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Union

import libcst as cst


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return self.name


UNKNOWN = _Marker("UNKNOWN")  # a value that cannot be seen
ABSENT = _Marker("ABSENT")  # "this key may be missing" inside a DictVal

MAX_ALTERNATIVES = 8
MAX_DEPTH = 12


@dataclass
class DictVal:
    """A dict built in the code: literal keys -> possible values (CST expressions, DictVal,
    UNKNOWN, or ABSENT when the key may be missing). `open` means keys that cannot be seen may be
    present too (a `**splat` of something unknown, a non-literal key, an escaping call)."""

    keys: Dict[str, List[object]] = field(default_factory=dict)
    open: bool = False

    def copy(self) -> "DictVal":
        return DictVal({k: list(v) for k, v in self.keys.items()}, self.open)

    def set(self, key: str, value: object, maybe: bool) -> None:
        if maybe:
            self.keys.setdefault(key, [ABSENT] if not self.open else [ABSENT, UNKNOWN]).append(value)
        else:
            self.keys[key] = [value]

    def remove(self, key: str, maybe: bool) -> None:
        if maybe:
            self.keys.setdefault(key, []).append(ABSENT)
        else:
            self.keys[key] = [ABSENT]

    def make_open(self) -> None:
        """Unknown code may have changed any key: every known key may now hold anything too."""
        self.open = True
        for vals in self.keys.values():
            if UNKNOWN not in vals:
                vals.append(UNKNOWN)

    def merge(self, other: object, maybe: bool = False) -> "DictVal":
        """`{**self, **other}` (`other` wins); with maybe=True the update may not happen."""
        out = self.copy()
        if isinstance(other, DictVal):
            for k, vals in other.keys.items():
                if ABSENT in vals or maybe:
                    keep = out.keys.get(k, [ABSENT] if not out.open else [ABSENT, UNKNOWN])
                    out.keys[k] = _dedupe(keep + [v for v in vals if v is not ABSENT])
                else:
                    out.keys[k] = list(vals)
            if other.open:
                out.make_open()
        else:
            out.make_open()
        return out


Value = Union[cst.BaseExpression, DictVal, _Marker]


def _dedupe(vals: List[object]) -> List[object]:
    out: List[object] = []
    for v in vals:
        if not any(v is o for o in out):
            out.append(v)
    return out[: MAX_ALTERNATIVES * 2]


def key_values(dicts: Sequence[Value], key: str) -> List[object]:
    """Possible values of `key` across the possible dicts (ABSENT when it may be missing,
    UNKNOWN when a dict cannot be seen)."""
    out: List[object] = []
    for d in dicts:
        if isinstance(d, DictVal):
            if key in d.keys:
                out.extend(d.keys[key])
            else:
                out.append(UNKNOWN if d.open else ABSENT)
        elif isinstance(d, cst.Name) and d.value == "None":
            out.append(ABSENT)
        else:
            out.append(UNKNOWN)
    return out


def merge_all(base: Value, others: List[Value], maybe: bool = False) -> Value:
    if not isinstance(base, DictVal):
        return base
    if len(others) == 1:
        return base.merge(others[0], maybe)
    # Several possible dicts merged in: every key any of them sets may be set.
    out = base.copy()
    for o in others:
        out = out.merge(o, maybe=True)
    return out


def copy_value(v: Value) -> Value:
    return v.copy() if isinstance(v, DictVal) else v


def limit(vals: List[Value]) -> List[Value]:
    if len(vals) > MAX_ALTERNATIVES:
        return vals[:MAX_ALTERNATIVES] + [UNKNOWN]
    return vals
