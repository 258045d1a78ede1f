"""Hyperparameter checks the optimizers share: each raises ValueError naming the optimizer."""

from __future__ import annotations

import math
from typing import Any


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and not math.isnan(x)


def at_least(opt: Any, group: dict[str, Any], key: str, low: float) -> None:
    """``group[key]`` must be a number >= ``low``."""
    value = group[key]
    opt.require(group, key, _number(value) and value >= low, f"must be a number >= {low:g}")


def beta(opt: Any, group: dict[str, Any], key: str, value: Any, index: int | None = None) -> None:
    """A decay rate must lie in [0, 1)."""
    ok = _number(value) and 0.0 <= value < 1.0
    where = f"{key}[{index}]" if index is not None else key
    if not ok:
        raise ValueError(f"{type(opt).__name__}: invalid {where} {value!r}: must be in [0, 1)")
