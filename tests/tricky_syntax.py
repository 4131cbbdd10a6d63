"""Source snippets covering (nearly) every libcst node class and the layouts that make code
generation and traversal order subtle. Shared by test_walk.py and test_positions.py; parsed with
libcst only (never imported or run, several need a newer Python than the one running the tests)."""

from __future__ import annotations

SNIPPETS = {
    "decorators": '''\
import functools

@app.get("/items/{id}", dependencies=[Depends(auth)])  # trailing comment
@functools.lru_cache(maxsize=None)
@(lambda f: f)
@x[0].y
async def read(id: int, *, q: str | None = None, **kw) -> dict[str, int]:
    """Doc."""
    return {"id": id}


# comment before a decorated class

@dataclass(frozen=True)
class Model(Base, metaclass=Meta):
    field: int = 0

    @property
    def value(self): return self.field
''',
    "match": '''\
match command.split():
    case [action]:
        pass
    case [action, obj, *rest] if obj:
        pass
    case {"x": 1, "y": y, **others}:
        pass
    case Point(x=0, y=0) | Point(1, 2) as p:
        pass
    case (1 | 2 | 3) as n:
        pass
    case -1 | 1.5 | 2j | "s" | b"b" | None | True | False:
        pass
    case str() | bytes():
        pass
    case (1, 2):
        pass
    case a, b:
        pass
    case _:
        pass
''',
    "fstrings": '''\
name = "x"; width = 10
a = f"{name!r:>{width}} {name=} {width:#x} {{literal}} {f'{name}'}"
b = f"""multi
line {name
} text"""
c = rf"raw {name}\\d" f"concat {name}" "plain"
d = f"{x:{'>' if a else '<'}{width}}"
e = f"{ name  = }"
''',
    "tstrings": '''\
greeting = t"hello {name!r:>{width}} {value=}"
template = t"""multi
{line}"""
''',
    "lambdas_and_comprehensions": '''\
f = lambda: 0
g = lambda x, /, y=1, *args, z, **kw: (x, y, args, z, kw)
h = lambda *, k=lambda: 1: k
squares = [x * x for x in range(10) if x % 2 if x > 2]
pairs = {k: v for k, v in items for _ in range(2)}
unique = {y async for y in agen() if await y}
gen = (a for b in c for a in b)
nested = [[i for i in row] for row in grid]
''',
    "except_forms": '''\
try:
    pass
except A, B:
    pass
except (C, D) as e:
    raise E from e
except:
    raise
else:
    pass
finally:
    pass
try:
    pass
except* ValueError as eg:
    pass
except* (TypeError, KeyError):
    pass
''',
    "type_params": '''\
def first[T](xs: list[T]) -> T:
    return xs[0]
def many[T: (int, str), *Ts, **P](*args: *Ts) -> None: ...
class Box[T = int, U: str = "s"]:
    pass
type Pair[A] = tuple[A, A]
type Alias = int | None
''',
    "async": '''\
async def main():
    async with session() as s, lock:
        async for item in s.stream():
            await item
    result = await asyncio.gather(*(fetch(u) for u in urls))
    return [await x async for x in aiter()]
''',
    "walrus_and_stars": '''\
if (n := len(items)) > 10 and (m := n // 2):
    print(f"{n=}", *items, sep="", **options)
first, *middle, last = values
*a, = b
[x, *y] = z
print(*args, *more, key=1, **kw1, **kw2)
merged = {**a, "k": 1, **b}
s = {*a, *b}
t = *a, *b
def f(a, b=2, /, c=3, *, d, e=5, **f): pass
while (line := read()):
    break
else:
    pass
''',
    "statements": '''\
from __future__ import annotations
import os.path as p, sys
from . import sibling
from ..parent.mod import (a as b,
                          c,)
from x import *
global g
x: int = 1; y = 2;
x += 1; x -= 1; x *= 2; x /= 2; x //= 2; x %= 2; x **= 2; x @= m
x >>= 1; x <<= 1; x &= 1; x |= 1; x ^= 1
del x, y[0], z.a
assert x, "message"
def outer():
    nonlocal_value = 1
    def inner():
        nonlocal nonlocal_value
        yield nonlocal_value
        yield from range(3)
        return
    return inner
for i in range(3):
    continue
else:
    pass
with open("f") as f, open("g") as g:
    pass
with (
    open("a") as a,
    open("b") as b,
):
    pass
if a: pass
elif b: pass
else: pass
class Empty: ...
''',
    "expressions": '''\
v = not a and b or c
w = a if b else c
cmp = a < b <= c != d is not e in f not in g is h == i >= j > k
ops = -a + +b - ~c * d / e // f % g ** h @ i << j >> k & l | m ^ n
sl = x[1:2, ::3, ...][:, None][a:b:c]
calls = f(a)(b)(c)[d].e.f(g=h)
nums = 0x1F + 0o17 + 0b101 + 1_000 + 1.5e-3 + 3j
s = "a" "b" 'c' u"f" """g""" \'\'\'h\'\'\'
by = b"d" rb"e" Rb'f'
t = (1,)
empty = (), [], {}
paren = ((a))
y = yield
''',
    "newer_syntax": (
        "lazy import heavy.module as hm\n"
        "lazy from pkg import thing\n"
        "merged = {**d for d in dicts}\n"
        "flat = [*xs for xs in lists]\n"
    ),
    "layout": (
        "# leading comment\n\n\n"
        "x = (1 +   # inside\n"
        "     2)\n"
        "y = [\n"
        "    1,\n"
        "    # a comment line inside brackets\n"
        "    2,\n"
        "]\n"
        "z = 1 + \\\n"
        "    2\n"
        "def f():\n"
        "\tif x:\n"
        "\t\treturn 1  # tab indents\n"
        "\n"
        "    # dedented comment in a body\n"
        "\treturn 2\n"
        "class C:\n"
        "    pass\n"
        "    # trailing comment in a block\n"
        "# footer comment\n"
    ),
    "crlf": "import jwt\r\nx = jwt.decode(\r\n    token,\r\n    key)\r\ndef f():\r\n    return '''a\r\nb'''\r\n",
    "cr_only": "x = 1\ry = '''a\rb'''\r",
    "no_trailing_newline": "def f():\n    return jwt.decode(t, k)",
    "only_comments": "# just\n# comments\n",
    "empty": "",
    "unicode": 'naïve = "héllo"; 名前 = f"{naïve}✓"\nclé = {"ключ": "值"}\n',
    "semicolons_and_suites": "if x: a = 1; b = 2\nwhile y: pass\nfor i in j: k(i); continue\nclass K: x = 1\n",
}
