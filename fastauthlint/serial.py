"""A JSON codec for the per-file results the cache stores.

Not pickle: a cache file is data that could come from anywhere, and unpickling runs code. Only
dataclasses and enums defined inside the fastauthlint package can be rebuilt from a cache file,
and only by setting their fields (no constructor, no `__post_init__`, no other code of theirs).

Two layers:

- `pack(value, T)` / `unpack(data, T)`: *typed* and positional. The declared type `T` (a
  dataclass's field annotations, read once per class) says what each JSON value is, so nothing is
  tagged: a dataclass is a JSON array of its fields in declaration order (trailing fields equal to
  their defaults left out), a tuple/list/set is an array, `Dict[str, X]` an object, an enum its
  value. A value that does not match its declared type (an annotation that says `List[str]` for
  what is really a tuple) is never coerced: the nearest enclosing dataclass falls back to the
  generic form below, so whatever was stored comes back equal and of the same types.
- `encode(value)` / `decode(data)`: *generic*, for `Any` positions (a check's facts, a
  finding's `extra`): JSON scalars as themselves, lists as arrays, and tagged objects for the rest
  (`{"__d__": "module:Class", "__p__": [...typed fields...]}`, `{"__t__": [...]}` for tuples,
  `{"__s__": [...]}` for sets, `{"__e__": "module:Enum", "v": value}`, `{"__m__": [[k, v], ...]}`
  for dicts whose keys are not plain strings).

Decoding never trusts the data beyond that: a malformed value raises `DecodeError` (or a
TypeError/ValueError/IndexError/KeyError the cache treats the same way: as a miss).
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import typing
from typing import Any, Callable, Dict, List, Tuple

__all__ = ["DecodeError", "encode", "decode", "pack", "unpack", "Raw"]


class DecodeError(ValueError):
    pass


class _Mismatch(TypeError):
    """A value that does not match its declared type (handled by falling back to generic)."""


# A field annotated `Raw` holds JSON-compatible data (lists, dicts with str keys, str, int,
# float, bool, None) that a check packs and unpacks itself: it is stored and read back as is.
Raw = typing.NewType("Raw", object)

_SCALARS = (str, int, float, bool, type(None))


# -- generic (tagged) ------------------------------------------------------------------------

def encode(obj: Any) -> Any:
    t = type(obj)
    if t is str or t is int or t is bool or t is float or obj is None:
        return obj
    if isinstance(obj, enum.Enum):  # before str: Severity is a str enum
        return {"__e__": _name(t), "v": encode(obj.value)}
    if t is list:
        return [encode(x) for x in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        packed = _dataclass_codec(t)[0](obj)
        return packed if type(packed) is dict else {"__d__": _name(t), "__p__": packed}
    if isinstance(obj, tuple):
        return {"__t__": [encode(x) for x in obj]}
    if isinstance(obj, (set, frozenset)):
        return {"__s__" if isinstance(obj, set) else "__fs__": sorted((encode(x) for x in obj), key=repr)}
    if isinstance(obj, dict):
        if all(type(k) is str for k in obj) and not any(k.startswith("__") and k.endswith("__") for k in obj):
            return {k: encode(v) for k, v in obj.items()}
        return {"__m__": [[encode(k), encode(v)] for k, v in obj.items()]}
    raise TypeError(f"cannot cache a {t.__name__}")


def decode(data: Any) -> Any:
    t = type(data)
    if t is list:
        return [decode(x) for x in data]
    if t is not dict:
        return data
    if "__d__" in data:
        cls = _load(data["__d__"])
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise DecodeError(str(data["__d__"]))
        if "__p__" in data:
            return _dataclass_codec(cls)[1](data["__p__"])
        # the per-field form, written for a dataclass whose fields do not match their annotations
        fields = data.get("__f__")
        if type(fields) is not dict:
            raise DecodeError(f"{data['__d__']}: no fields")
        obj = cls.__new__(cls)
        d = obj.__dict__
        for f in dataclasses.fields(cls):
            if f.name in fields:
                d[f.name] = decode(fields[f.name])
        return obj
    if "__e__" in data:
        cls = _load(data["__e__"])
        if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
            raise DecodeError(str(data["__e__"]))
        return cls(decode(data["v"]))
    if "__t__" in data:
        return tuple(decode(x) for x in data["__t__"])
    if "__s__" in data:
        return {_hashable(decode(x)) for x in data["__s__"]}
    if "__fs__" in data:
        return frozenset(_hashable(decode(x)) for x in data["__fs__"])
    if "__m__" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["__m__"]}
    return {k: decode(v) for k, v in data.items()}


def _hashable(x: Any) -> Any:
    if isinstance(x, set):
        return frozenset(x)
    if isinstance(x, list):
        return tuple(_hashable(i) for i in x)
    return x


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


_LOADED: Dict[str, Any] = {}


def _load(name: Any) -> Any:
    name = str(name)
    hit = _LOADED.get(name)
    if hit is not None:
        return hit
    module, _, qual = name.partition(":")
    if not (module == "fastauthlint" or module.startswith("fastauthlint.")):
        raise DecodeError(f"refusing to load {name!r}")
    try:
        obj: Any = importlib.import_module(module)
        for part in qual.split("."):
            if part.startswith("__"):
                raise AttributeError(part)
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise DecodeError(str(e)) from None
    if not isinstance(obj, type):
        raise DecodeError(f"{name!r} is not a class")
    _LOADED[name] = obj
    return obj


# -- typed (positional) ----------------------------------------------------------------------

def pack(value: Any, tp: Any = Any) -> Any:
    """`value` as JSON-compatible data, laid out by its declared type `tp`."""
    return _codec(tp)[0](value)


def unpack(data: Any, tp: Any = Any) -> Any:
    """The inverse of `pack(value, tp)`."""
    return _codec(tp)[1](data)


_CODECS: Dict[Any, Tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}
_DC_CODECS: Dict[type, Tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}


def _ident(x: Any) -> Any:
    return x


def _codec(tp: Any) -> Tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    try:
        hit = _CODECS.get(tp)
    except TypeError:  # an unhashable annotation
        return encode, decode
    if hit is None:
        hit = _CODECS[tp] = _make_codec(tp)
    return hit


def _scalar_codec(types: tuple) -> Tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    if len(types) == 1:
        only = types[0]

        def enc(v: Any) -> Any:
            if type(v) is not only:
                raise _Mismatch
            return v
    else:
        def enc(v: Any) -> Any:
            if type(v) not in types:
                raise _Mismatch
            return v
    return enc, _ident


def _make_codec(tp: Any) -> Tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    if tp is Any or tp is object:
        return encode, decode
    if tp is Raw:
        return _ident, _ident
    if tp in _SCALARS:
        return _scalar_codec((tp,))
    if tp is None:
        return _scalar_codec((type(None),))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        cls = tp

        def enc_enum(v: Any) -> Any:
            if type(v) is not cls:
                raise _Mismatch
            return encode(v.value)

        return enc_enum, lambda d: cls(d)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_codec(tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union:
        if all(a in _SCALARS for a in args):
            return _scalar_codec(tuple(args))
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:  # Optional[X]
            enc_x, dec_x = _codec(rest[0])
            return (lambda v: None if v is None else enc_x(v)), (lambda d: None if d is None else dec_x(d))
        return encode, decode
    if origin in (list, tuple, set, frozenset):
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            args = (args[0],)
            fixed = False
        else:
            fixed = origin is tuple
        if not args or (origin is tuple and args == ((),)):
            return encode, decode
        if fixed:
            codecs = [_codec(a) for a in args]
            n = len(codecs)
            encs = [c[0] for c in codecs]
            decs = [c[1] for c in codecs]

            def enc_fixed(v: Any) -> Any:
                if type(v) is not tuple or len(v) != n:
                    raise _Mismatch
                return [e(x) for e, x in zip(encs, v)]

            def dec_fixed(d: Any) -> Any:
                if len(d) != n:
                    raise DecodeError("tuple of the wrong length")
                return tuple([f(x) for f, x in zip(decs, d)])

            return enc_fixed, dec_fixed
        enc_x, dec_x = _codec(args[0])
        plain = dec_x is _ident
        if origin is list:
            def enc_list(v: Any) -> Any:
                if type(v) is not list:
                    raise _Mismatch
                return [enc_x(x) for x in v]

            return enc_list, ((lambda d: list(d)) if plain else (lambda d: [dec_x(x) for x in d]))
        if origin is tuple:
            def enc_tuple(v: Any) -> Any:
                if type(v) is not tuple:
                    raise _Mismatch
                return [enc_x(x) for x in v]

            return enc_tuple, (tuple if plain else (lambda d: tuple([dec_x(x) for x in d])))
        kind = origin

        def enc_set(v: Any) -> Any:
            if type(v) is not kind:
                raise _Mismatch
            return sorted((enc_x(x) for x in v), key=_sort_key)

        return enc_set, ((lambda d: kind(d)) if plain else (lambda d: kind(dec_x(x) for x in d)))
    if origin is dict:
        if len(args) != 2:
            return encode, decode
        enc_k, dec_k = _codec(args[0])
        enc_v, dec_v = _codec(args[1])
        if args[0] is str:
            plain = dec_v is _ident

            def enc_sdict(v: Any) -> Any:
                if type(v) is not dict:
                    raise _Mismatch
                out = {}
                for k, x in v.items():
                    if type(k) is not str:
                        raise _Mismatch
                    out[k] = enc_v(x)
                return out

            def dec_sdict(d: Any) -> Any:
                if type(d) is not dict:
                    raise DecodeError("expected an object")
                return dict(d) if plain else {k: dec_v(x) for k, x in d.items()}

            return enc_sdict, dec_sdict

        def enc_dict(v: Any) -> Any:
            if type(v) is not dict:
                raise _Mismatch
            return [[enc_k(k), enc_v(x)] for k, x in v.items()]

        return enc_dict, (lambda d: {dec_k(k): dec_v(x) for k, x in d})
    return encode, decode


def _sort_key(x: Any) -> Any:
    return (type(x).__name__, x) if isinstance(x, (str, int, float)) and not isinstance(x, bool) else (
        type(x).__name__, repr(x))


_FACTORY_EMPTY = {list: list, dict: dict, set: set, tuple: tuple, frozenset: frozenset}
_MISSING = dataclasses.MISSING


def _dataclass_codec(cls: type) -> Tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    hit = _DC_CODECS.get(cls)
    if hit is not None:
        return hit
    # Placeholders first: a dataclass may contain itself (V.a: Tuple[V, ...]).
    slots: List[Any] = [None, None]

    def enc(obj: Any) -> Any:
        return slots[0](obj)

    def dec(data: Any) -> Any:
        return slots[1](data)

    _DC_CODECS[cls] = (enc, dec)
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - an annotation that cannot be resolved: every field generic
        hints = {}
    fields = [f for f in dataclasses.fields(cls)]
    names = [f.name for f in fields]
    codecs = [_codec(hints.get(f.name, Any)) for f in fields]
    encs = [c[0] for c in codecs]
    # how a field left out at the end is filled back: ("v", default) or ("f", factory)
    fills: List[Tuple[str, Any]] = []
    for f in fields:
        if f.default is not _MISSING:
            fills.append(("v", f.default))
        elif f.default_factory is not _MISSING and f.default_factory in _FACTORY_EMPTY:  # type: ignore[misc]
            fills.append(("f", f.default_factory))
        else:
            fills.append(("x", None))  # required (or an unusual factory): always written
    n = len(fields)
    name = _name(cls)

    def trailing_default(i: int, v: Any) -> bool:
        kind, d = fills[i]
        if kind == "v":
            return type(v) is type(d) and v == d
        if kind == "f":
            return type(v) is d and not v
        return False

    def enc_real(obj: Any) -> Any:
        if type(obj) is not cls:
            raise _Mismatch
        d = obj.__dict__
        try:
            out = [e(d[k]) for e, k in zip(encs, names)]
        except (_Mismatch, KeyError):
            # a field whose value does not match its annotation: this object in the generic,
            # per-field form
            return {"__d__": name, "__f__": {k: encode(d[k]) for k in names if k in d}}
        i = n
        while i > 0 and trailing_default(i - 1, d[names[i - 1]]):
            i -= 1
        del out[i:]
        return out

    dec_real = _compile_decoder(cls, names, [hints.get(f.name, Any) for f in fields], fills)

    slots[0], slots[1] = enc_real, dec_real
    _DC_CODECS[cls] = (enc_real, dec_real)
    return enc_real, dec_real


def _compile_decoder(cls: type, names: List[str], types: List[Any], fills: List[Tuple[str, Any]]
                     ) -> Callable[[Any], Any]:
    """A decoder for one dataclass, generated from its field list (as dataclasses generates
    `__init__`): each field's declared type becomes one expression (containers as
    comprehensions, nested dataclasses as calls to their own decoders), the fields go straight
    into the instance's `__dict__`, and trailing ones left out by the encoder are filled back from
    their defaults. The generated text holds only this class's field names and indexes and
    names bound to decoders: the data decoded is never part of any code."""
    n = len(names)
    env: Dict[str, Any] = {"_generic": decode, "_new": cls.__new__, "_cls": cls, "_set": object.__setattr__,
                           "_Err": DecodeError, "_msg": f"{_name(cls)}: too many fields"}
    counter = [0]

    def bind(fn: Any) -> str:
        counter[0] += 1
        key = f"_c{counter[0]}"
        env[key] = fn
        return key

    def expr(tp: Any, src: str, depth: int) -> str:
        if depth > 6:
            dec = _codec(tp)[1]
            return src if dec is _ident else f"{bind(dec)}({src})"
        var = f"x{depth}"
        if tp in _SCALARS or tp is Raw:
            return src
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            # through the codec table: a class being compiled (V inside V) is reached through
            # its placeholder, which forwards to the real decoder once it exists
            return f"{bind(_dataclass_codec(tp)[1])}({src})"
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Union and not all(a in _SCALARS for a in args):
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1 and len(args) == 2:
                inner = expr(rest[0], src, depth + 1)
                return src if inner == src else f"(None if {src} is None else {inner})"
        elif origin in (list, tuple, set, frozenset) and args and not (origin is tuple and args == ((),)):
            if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
                base = src if src.isidentifier() else var
                parts = ", ".join(expr(a, f"{base}[{i}]", depth + 1) for i, a in enumerate(args))
                one = "," if len(args) == 1 else ""
                return f"({parts}{one})" if base == src else f"(lambda {var}: ({parts}{one}))({src})"
            inner = expr(args[0], var, depth + 1)
            make = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}[origin]
            env[make] = origin
            if inner == var:
                return f"{make}({src})"
            return f"{make}([{inner} for {var} in {src}])"
        elif origin is dict and len(args) == 2 and args[0] is str:
            inner = expr(args[1], var, depth + 1)
            if inner == var:
                return f"dict({src})"
            return f"{{k{depth}: {inner} for k{depth}, {var} in {src}.items()}}"
        dec = _codec(tp)[1]
        return src if dec is _ident else f"{bind(dec)}({src})"

    values = []
    for i, name in enumerate(names):
        value = expr(types[i], f"data[{i}]", 0)
        kind, default = fills[i]
        if kind == "v":
            env[f"_f{i}"] = default
            value = f"({value} if m > {i} else _f{i})"
        elif kind == "f":
            env[f"_f{i}"] = default
            value = f"({value} if m > {i} else _f{i}())"
        values.append(value)
    if cls.__setattr__ is object.__setattr__ and all(name.isidentifier() for name in names):
        # plain attribute stores: the fastest way to fill an instance (its values stay inline)
        body = [f"    o.{name} = {value}" for name, value in zip(names, values)]
    else:  # frozen: past its __setattr__, in one go
        body = ["    _set(o, '__dict__', {", *(f"        {name!r}: {value}," for name, value in zip(names, values)), "    })"]
    src = "\n".join([
        "def dec(data):",
        "    if type(data) is not list:",
        "        return _generic(data)",  # the generic form, or null for a broken file
        "    m = len(data)",
        f"    if m > {n}:",
        "        raise _Err(_msg)",
        "    o = _new(_cls)",
        *body,
        "    return o",
    ])
    exec(compile(src, f"<serial decoder for {_name(cls)}>", "exec"), env)  # noqa: S102 - our own field names only
    return env["dec"]
