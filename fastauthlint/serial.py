"""A JSON codec for the per-file results the cache stores.

Not pickle: a cache file is data that could come from anywhere, and unpickling runs code. Only
dataclasses and enums defined inside the fastauthlint package can be rebuilt from a cache file.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
from typing import Any


class DecodeError(ValueError):
    pass


def encode(obj: Any) -> Any:
    if isinstance(obj, enum.Enum):  # before str: Severity is a str enum
        return {"__e__": _name(type(obj)), "v": obj.value}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {"__d__": _name(type(obj))}
        for f in dataclasses.fields(obj):
            out[f.name] = encode(getattr(obj, f.name))
        return out
    if isinstance(obj, list):
        return [encode(x) for x in obj]
    if isinstance(obj, tuple):
        return {"__t__": [encode(x) for x in obj]}
    if isinstance(obj, (set, frozenset)):
        return {"__s__": sorted((encode(x) for x in obj), key=repr)}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj) and not any(k.startswith("__") and k.endswith("__") for k in obj):
            return {k: encode(v) for k, v in obj.items()}
        return {"__m__": [[encode(k), encode(v)] for k, v in obj.items()]}
    raise TypeError(f"cannot cache a {type(obj).__name__}")


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return [decode(x) for x in data]
    if not isinstance(data, dict):
        return data
    if "__d__" in data:
        cls = _load(data["__d__"])
        if not dataclasses.is_dataclass(cls):
            raise DecodeError(data["__d__"])
        kwargs = {f.name: decode(data[f.name]) for f in dataclasses.fields(cls) if f.name in data}
        obj = cls.__new__(cls)
        for k, v in kwargs.items():  # bypasses __init__/__post_init__ and frozen-ness alike
            object.__setattr__(obj, k, v)
        return obj
    if "__e__" in data:
        cls = _load(data["__e__"])
        if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
            raise DecodeError(data["__e__"])
        return cls(data["v"])
    if "__t__" in data:
        return tuple(decode(x) for x in data["__t__"])
    if "__s__" in data:
        return {decode(x) for x in data["__s__"]}
    if "__m__" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["__m__"]}
    return {k: decode(v) for k, v in data.items()}


def _hashable(x: Any) -> Any:
    return frozenset(x) if isinstance(x, set) else x


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _load(name: str) -> Any:
    module, _, qual = str(name).partition(":")
    if not (module == "fastauthlint" or module.startswith("fastauthlint.")):
        raise DecodeError(f"refusing to load {name!r}")
    try:
        obj: Any = importlib.import_module(module)
        for part in qual.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise DecodeError(str(e)) from None
    return obj
