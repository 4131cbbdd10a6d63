"""Durations and token lifetimes as the code writes them, for FAL504 (leeway) and FAL505 (lifetime).

    leeway=90                              90 s
    leeway=timedelta(minutes=5)            300 s
    "exp": datetime.now(timezone.utc) + timedelta(days=30)         a 30-day lifetime
    "exp": int(time.time()) + 60 * 60 * 24 * 30                      a 30-day lifetime
    expire = datetime.utcnow() + timedelta(minutes=EXPIRE_MINUTES)   through names and constants

and how messages write a duration (`format_duration`: 90 s, 5 minutes, 24 hours, 30 days).
"""

from __future__ import annotations

from typing import Callable, List, Optional, Set

import libcst as cst

from fastauthlint.astutil import argument, literal_str
from fastauthlint.checks.jwt.flow import Scope
from fastauthlint.checks.jwt.values import MAX_DEPTH, UNKNOWN, DictVal, Value

_UNIT_SECONDS = {"weeks": 604800.0, "days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0,
                 "milliseconds": 0.001, "microseconds": 0.000001}
_TIMEDELTA_POSITIONAL = ("days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks")
_TIMEDELTA = {"datetime.timedelta"}
_NOW = {"datetime.datetime.utcnow", "datetime.datetime.now", "datetime.datetime.today", "datetime.date.today",
        "time.time", "arrow.utcnow", "arrow.now", "pendulum.now", "pendulum.today", "django.utils.timezone.now"}
_WRAPPERS = {"int", "round", "float", "floor", "ceil", "math.floor", "math.ceil"}

Qualify = Callable[[cst.BaseExpression], Optional[str]]


def configured_default(value: cst.BaseExpression, qualify) -> Optional[cst.BaseExpression]:
    """The literal default behind `Field(default=...)`, `int(os.getenv("X", "60"))`,
    `os.environ.get("X", 60)`, `config("X", default=60, cast=int)`: the value the code ships with."""
    for _ in range(3):
        if not isinstance(value, cst.Call):
            return value
        func = value.func
        q = qualify(func) or ""
        name = func.value if isinstance(func, cst.Name) else (func.attr.value if isinstance(func, cst.Attribute) else "")
        if name in ("int", "float") and len(value.args) == 1:
            value = value.args[0].value
        elif q.endswith("Field") or name == "Field":
            value = argument(value, "default", 0)
        elif q in ("os.getenv", "os.environ.get") or name in ("getenv", "config") or \
                (isinstance(func, cst.Attribute) and name == "get" and q.startswith("os.environ")):
            value = argument(value, "default", 1)
        else:
            return value
        if value is None:
            return None
    return value


class Durations:
    def __init__(self, scope: Scope, at: cst.CSTNode, qualify: Qualify):
        self.scope = scope
        self.at = at
        self.qualify = qualify
        self.names_seen: Set[str] = set()  # identifiers followed (they tell what the token is)

    # -- durations -------------------------------------------------------------------------
    def seconds(self, expr: Optional[cst.BaseExpression], depth: int = 0) -> List[float]:
        """Known values, in seconds, of a duration (a number of seconds or a timedelta)."""
        if expr is None or depth > MAX_DEPTH:
            return []
        out: List[float] = []
        for v in self._values(expr, depth):
            out.extend(self._seconds_of(v, depth))
        return out

    def _values(self, expr: cst.BaseExpression, depth: int) -> List[Value]:
        if isinstance(expr, cst.Name):
            self.names_seen.add(expr.value)
        if isinstance(expr, cst.Attribute):
            self.names_seen.add(expr.attr.value)
        return self.scope.values(expr, self.at, depth)

    def _seconds_of(self, v: Value, depth: int) -> List[float]:
        if v is UNKNOWN or isinstance(v, DictVal) or not isinstance(v, cst.BaseExpression):
            return []
        if isinstance(v, cst.Call):
            q = self.qualify(v.func)
            if q in _TIMEDELTA:
                return self._timedelta(v, depth)
            if isinstance(v.func, cst.Attribute) and v.func.attr.value == "total_seconds" and not v.args:
                return self.seconds(v.func.value, depth + 1)
        if isinstance(v, cst.BinaryOperation) and isinstance(v.operator, (cst.Multiply, cst.Add)):
            # timedelta(hours=1) * 24, timedelta(days=1) + timedelta(hours=1), 60 * 60 * 24
            if isinstance(v.operator, cst.Multiply) and self._is_timedelta(v.left, depth) \
                    and self._is_timedelta(v.right, depth):
                return []
            left = self.seconds(v.left, depth + 1)
            right = self.seconds(v.right, depth + 1)
            if isinstance(v.operator, cst.Add):
                return [a + b for a in left for b in right][:8]
            return [a * b for a in left for b in right][:8]
        return self._numbers(v, depth + 1) if isinstance(v, (cst.BooleanOperation, cst.Call)) else \
            [n for n in [self.scope.number(v, self.at)] if n is not None]

    def _numbers(self, expr: cst.BaseExpression, depth: int) -> List[float]:
        """Known numbers an expression may be: through names, both sides of `given or DEFAULT`,
        and the default of a setting read from the environment (`int(os.getenv("TTL", "604800"))`)."""
        out: List[float] = []
        for x in self.scope.values(expr, self.at, depth):
            if depth > MAX_DEPTH or not isinstance(x, cst.BaseExpression):
                continue
            if isinstance(x, cst.BooleanOperation) and isinstance(x.operator, cst.Or):
                out.extend(self._numbers(x.left, depth + 1) + self._numbers(x.right, depth + 1))
                continue
            if isinstance(x, cst.Call):
                shipped = configured_default(x, self.qualify)
                if shipped is None or shipped is x:
                    continue
                x = shipped
            n = self.scope.number(x, self.at)
            if n is None:
                text = literal_str(x)
                try:
                    n = float(text.strip()) if text is not None else None
                except ValueError:
                    n = None
            if n is not None:
                out.append(n)
        return out[:8]

    def _is_timedelta(self, expr: cst.BaseExpression, depth: int) -> bool:
        for v in self._values(expr, depth + 1):
            if isinstance(v, cst.Call) and self.qualify(v.func) in _TIMEDELTA:
                return True
        return False

    def _timedelta(self, call: cst.Call, depth: int) -> List[float]:
        """Possible totals, in seconds, of `timedelta(...)`: an argument may have several known
        values (`days=days` with `days=7` as the parameter's default)."""
        totals = [0.0]
        positional = 0
        for arg in call.args:
            if arg.star:
                return []
            if arg.keyword is not None:
                unit = arg.keyword.value
            elif positional < len(_TIMEDELTA_POSITIONAL):
                unit = _TIMEDELTA_POSITIONAL[positional]
                positional += 1
            else:
                return []
            if unit not in _UNIT_SECONDS:
                return []
            if isinstance(arg.value, cst.Name):
                self.names_seen.add(arg.value.value)
            if isinstance(arg.value, cst.Attribute):
                self.names_seen.add(arg.value.attr.value)
            known = self._numbers(arg.value, depth + 1)
            if not known:
                return []
            totals = [t + n * _UNIT_SECONDS[unit] for t in totals for n in known][:8]
        return totals

    # -- lifetimes -------------------------------------------------------------------------
    def lifetimes(self, exp: cst.BaseExpression, depth: int = 0) -> List[float]:
        """Known lifetimes (seconds from now) of an `exp` value."""
        if depth > MAX_DEPTH:
            return []
        out: List[float] = []
        for v in self._values(exp, depth):
            if isinstance(v, cst.BaseExpression):
                out.extend(self._lifetime_of(v, depth + 1))
        return out

    def _unwrap(self, v: cst.BaseExpression) -> cst.BaseExpression:
        for _ in range(6):
            if isinstance(v, cst.Call):
                name = v.func.value if isinstance(v.func, cst.Name) else self.qualify(v.func)
                if name in _WRAPPERS and len(v.args) >= 1:
                    v = v.args[0].value
                    continue
                if isinstance(v.func, cst.Attribute) and v.func.attr.value == "timestamp" and not v.args:
                    v = v.func.value
                    continue
                q = self.qualify(v.func)
                if q in ("calendar.timegm", "time.mktime") and len(v.args) == 1:
                    inner = v.args[0].value
                    if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) \
                            and inner.func.attr.value in ("utctimetuple", "timetuple"):
                        v = inner.func.value
                        continue
            break
        return v

    def _lifetime_of(self, v: cst.BaseExpression, depth: int) -> List[float]:
        v = self._unwrap(v)
        if isinstance(v, cst.Name):
            return self.lifetimes(v, depth + 1)
        if isinstance(v, cst.BinaryOperation) and isinstance(v.operator, cst.Add):
            if self.is_now(v.left, depth + 1):
                return self.seconds(v.right, depth + 1)
            if self.is_now(v.right, depth + 1):
                return self.seconds(v.left, depth + 1)
        return []

    def is_now(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        if depth > MAX_DEPTH:
            return False
        expr = self._unwrap(expr)
        if isinstance(expr, cst.Name):
            vals = self._values(expr, depth)
            return bool(vals) and all(isinstance(x, cst.BaseExpression) and not isinstance(x, cst.Name)
                                      and self.is_now(x, depth + 1) for x in vals)
        if isinstance(expr, cst.Call):
            if self.qualify(expr.func) in _NOW:
                return True
            # datetime.now(timezone.utc).replace(microsecond=0) and the like
            if isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("replace", "astimezone"):
                return self.is_now(expr.func.value, depth + 1)
        return False


def format_duration(seconds: float) -> str:
    """A duration as people write it: 90 s, 5 minutes, 24 hours, 30 days."""
    s = int(seconds) if float(seconds).is_integer() else seconds
    if not isinstance(s, int):
        return f"{s} s"
    if s >= 2 * 86400 and s % 86400 == 0:
        return f"{s // 86400} days"
    if s >= 2 * 3600 and s % 3600 == 0:
        return f"{s // 3600} hours"
    if s >= 120 and s % 60 == 0:
        return f"{s // 60} minutes"
    return f"{s} s"
