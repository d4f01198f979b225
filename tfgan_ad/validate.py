"""Checks of settings (config fields, detector arguments) that name the setting and the
value, so a bad one fails where it is set, not deep inside a traced function."""

from __future__ import annotations

import math
import numbers


def whole_number(name: str, value, minimum: int = 0) -> None:
    """``value`` is an int (numpy's too; not a bool or a float such as 1.5) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def real_number(name: str, value, low: float, high: float, low_open: bool = False,
                high_open: bool = False) -> None:
    """``value`` is a finite real number in the interval from ``low`` to ``high`` (open at
    either end when asked; NaN is in no interval)."""
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    ok = (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and math.isfinite(value)
          and (value > low if low_open else value >= low)
          and (value < high if high_open else value <= high))
    if not ok:
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
