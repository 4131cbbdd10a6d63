"""The nesting gate's token scan: its look-ahead (a speed-up) must change no match."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from fastauthlint.analysis import _SCAN

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tricky_syntax import SNIPPETS  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WITHOUT_LOOKAHEAD = re.compile(_SCAN.pattern[_SCAN.pattern.index("(?:") + 3:-1])

TEXTS = [
    *SNIPPETS.values(),
    "x = a<<b>>c**d//e @ f ~g ^h |i &j %k\n",
    "if not(a)and(b)or(c): lambda:await(x)\n",
    "s = rb'\\'' + Rb\"\\\"\" + f'''{x}\n''' + T\"\"\"t\"\"\" + u'u' # c'o'mment (\n",
    "cannot = band + origin + iffy + lambdas + awaited + nota\n",
    "x = 'unterminated\ny = \"also\n",
    "b'\\x00' br'\\\\' Br'x' bR\"y\" rB'z' fr'{a}' RF'{b}' tr'{c}'\n",
]


def test_lookahead_changes_no_match():
    assert WITHOUT_LOOKAHEAD.pattern.startswith("(?P<s>")
    sources = TEXTS + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "fixtures").rglob("*.py"))]
    for text in sources:
        ours = [(m.span(), m.lastgroup) for m in _SCAN.finditer(text)]
        theirs = [(m.span(), m.lastgroup) for m in WITHOUT_LOOKAHEAD.finditer(text)]
        assert ours == theirs, text[:80]
