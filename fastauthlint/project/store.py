"""Compact storage of the project-model facts of one file (facts.py), in worker results and the cache.

The facts of every file are cached and read back whenever the project is linked, so decoding
them is part of every pre-commit run that changed a file. The facts are mostly small symbolic
expressions (`V`), hundreds per file; they are packed positionally by their declared types
(serial.pack: a dataclass is a JSON array of its fields, no field names, no type tags) and kept
packed until the evaluator asks:

- the *head* (routes, inclusions, calls, middleware: read for every file) is unpacked on first
  use of any of them;
- functions, classes and module assignments are unpacked one by one, when the evaluator looks that
  name up (it looks into a small part of them: the dependencies and routers it resolves).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List

from fastauthlint import serial
from fastauthlint.project.facts import (
    CallFact, ClassFact, FileFacts, FuncFact, HandlerFact, IncludeFact, MiddlewareFact, RouteFact,
)
from fastauthlint.project.values import V
from fastauthlint.serial import Raw

# The key of these facts in FileResult.facts and in the cache. They were the routes check's facts
# before they became the project model's: the name stays so that the cache format does not change.
FACTS_KEY = "routes"

_HEAD = (List[RouteFact], List[IncludeFact], List[CallFact], List[MiddlewareFact], List[HandlerFact])
_HEAD_NAMES = ("routes", "includes", "calls", "middleware", "exception_handlers")


@dataclass
class RoutesFacts:
    """What the cache stores for one file (JSON-compatible data inside, see serial.Raw). The cache
    tags it by module and name (`fastauthlint.project.store:RoutesFacts`): both are kept."""

    module: str
    uses_fastapi: bool
    head: Raw  # [routes, includes, calls, middleware, exception handlers], each a list of packed facts; [] if all are empty
    functions: Raw  # {qualname in the file: packed FuncFact}
    classes: Raw  # {qualname in the file: packed ClassFact}
    assigns: Raw  # {name: packed V}


def pack(facts: FileFacts) -> RoutesFacts:
    head = [serial.pack(getattr(facts, name), tp) for name, tp in zip(_HEAD_NAMES, _HEAD)]
    if not any(head):
        head = []  # most files: nothing to unpack
    return RoutesFacts(
        module=facts.module, uses_fastapi=facts.uses_fastapi, head=head,
        functions={k: serial.pack(f, FuncFact) for k, f in facts.functions.items()},
        classes={k: serial.pack(c, ClassFact) for k, c in facts.classes.items()},
        assigns={k: serial.pack(v, V) for k, v in facts.assigns.items()},
    )


class LazyMap(Mapping):
    """A read-only dict whose values are unpacked on first access."""

    __slots__ = ("_raw", "_unpack", "_done")

    def __init__(self, raw: Dict[str, Any], unpack: Callable[[Any], Any]):
        self._raw = raw
        self._unpack = unpack
        self._done: Dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        try:
            return self._done[key]
        except KeyError:
            pass
        value = self._done[key] = self._unpack(self._raw[key])
        return value

    def get(self, key: str, default: Any = None) -> Any:
        if key in self._raw:
            return self[key]
        return default

    def __contains__(self, key: object) -> bool:
        return key in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


def _unpacker(tp: Any) -> Callable[[Any], Any]:
    return lambda d: serial.unpack(d, tp)


_UNPACK_FUNC = _unpacker(FuncFact)
_UNPACK_CLASS = _unpacker(ClassFact)
_UNPACK_V = _unpacker(V)


class LazyFileFacts(FileFacts):
    """A file's facts unpacked on first use: the head when routes/inclusions/calls/middleware/
    exception handlers are read, each function, class or assignment when it is looked up."""

    def __init__(self, packed: RoutesFacts):  # noqa: D107 - FileFacts' fields are filled lazily
        self.module = packed.module
        self.uses_fastapi = packed.uses_fastapi
        self.functions = LazyMap(packed.functions, _UNPACK_FUNC)  # type: ignore[assignment]
        self.classes = LazyMap(packed.classes, _UNPACK_CLASS)  # type: ignore[assignment]
        self.assigns = LazyMap(packed.assigns, _UNPACK_V)  # type: ignore[assignment]
        self._head = packed.head

    def __getattr__(self, name: str) -> Any:
        head = self.__dict__.get("_head")
        if head is None or name not in _HEAD_NAMES:
            raise AttributeError(name)
        for attr, part, tp in zip(_HEAD_NAMES, head or [[]] * len(_HEAD), _HEAD):
            setattr(self, attr, serial.unpack(part, tp) if head else [])
        return self.__dict__[name]
