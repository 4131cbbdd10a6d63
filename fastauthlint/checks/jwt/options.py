"""The JWT family's options (`max-jwt-leeway`, `max-access-token-lifetime`), read by the visitor and
by the linking step."""

from __future__ import annotations

from typing import Optional

from fastauthlint.options import Option


def _non_negative(value: int) -> Optional[str]:
    return None if value >= 0 else "must be 0 or more (seconds)"


def _positive(value: int) -> Optional[str]:
    return None if value > 0 else "must be more than 0 (seconds)"


MAX_LEEWAY = Option(
    key="max-jwt-leeway", kind="int", default=60,
    help="Largest clock-skew leeway, in seconds, a JWT decode may allow (FAL504).",
    rules=("FAL504",), check=_non_negative)
MAX_LIFETIME = Option(
    key="max-access-token-lifetime", kind="int", default=24 * 3600,
    help="Longest lifetime, in seconds, of an access token the code issues with a literal expiry (FAL505).",
    rules=("FAL505",), check=_positive)
