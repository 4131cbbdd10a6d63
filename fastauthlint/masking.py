"""Secrets are shown masked in every output: their first few characters and their length."""

from __future__ import annotations

from typing import Iterable, Tuple

MASK = "\u2026"  # …
VISIBLE = 4


def mask_secret(value: str) -> str:
    """`"b7f3…" (32 chars)`: enough to find the value, not enough to use it. Short values show
    fewer characters so that at least three quarters stay hidden."""
    shown = value[: min(VISIBLE, len(value) // 4)]
    return f'"{shown}{MASK}" ({len(value)} chars)'


def mask_line(text: str, line: int, masks: Iterable[Tuple[int, int, int]]) -> str:
    """`text` (source line number `line`) with the masked column ranges replaced: the first
    characters of the literal stay, the rest becomes a mask of the same width."""
    spans = sorted((s, e) for (ln, s, e) in masks if ln == line)
    for start, end in reversed(spans):
        a, b = max(0, start - 1), min(len(text), end - 1)
        if b <= a:
            continue
        literal = text[a:b]
        keep = _prefix_len(literal)
        # Same width as the original, so carets under the line still point at the right place.
        if len(literal) > keep + 1:
            hidden = literal[:keep] + MASK * (len(literal) - keep - 1) + literal[-1]
        else:
            hidden = MASK * len(literal)
        text = text[:a] + hidden + text[b:]
    return text


def _prefix_len(literal: str) -> int:
    """Keep the string prefix and quote (`f"`, `'''`) and a few characters of the value."""
    i = 0
    while i < len(literal) and literal[i].isalpha() and i < 3:
        i += 1
    while i < len(literal) and literal[i] in "'\"":
        i += 1
    value_len = max(0, len(literal) - 2 * i)
    return i + min(VISIBLE, value_len // 4)
