"""Regression losses, elementwise then reduced: mean squared error, mean absolute error, Huber.

With d = input − target::

    mse(d)   = d²
    l1(d)    = |d|
    huber(d) = d²/2                  where |d| < delta
               delta · (|d| − delta/2) elsewhere   (quadratic near 0, linear in the tails)
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import Tensor
from ad_core.extend import array_api as xp

from ._common import as_tensor, check_reduction, float_target, reduce, same_shape


def mse(input: Any, target: Any, *, reduction: str = "mean") -> Tensor:
    """Mean squared error (torch.nn.functional.mse_loss): ``(input − target)²``, reduced.

    >>> import ad_core as ad
    >>> ad.losses.mse(ad.tensor([1.0, 3.0]), ad.tensor([1.0, 1.0])).item()
    2.0
    """
    check_reduction("mse", reduction)
    input, target = as_tensor(input), as_tensor(target)
    target = float_target(input, target)
    same_shape("mse", input, target)
    d = input - target
    return reduce(d * d, reduction)


def l1(input: Any, target: Any, *, reduction: str = "mean") -> Tensor:
    """Mean absolute error (torch.nn.functional.l1_loss): ``|input − target|``, reduced."""
    check_reduction("l1", reduction)
    input, target = as_tensor(input), as_tensor(target)
    target = float_target(input, target)
    same_shape("l1", input, target)
    return reduce(xp.abs(input - target), reduction)


def huber(input: Any, target: Any, *, delta: float = 1.0, reduction: str = "mean") -> Tensor:
    """Huber loss (torch.nn.functional.huber_loss): squared error for |d| < ``delta``, linear
    beyond, so outliers pull with a bounded force ``delta``."""
    check_reduction("huber", reduction)
    if not (isinstance(delta, int | float) and delta > 0):
        raise ValueError(f"huber: delta must be a number > 0, got {delta!r}")
    input, target = as_tensor(input), as_tensor(target)
    target = float_target(input, target)
    same_shape("huber", input, target)
    d = input - target
    a = xp.abs(d)
    return reduce(xp.where(a < delta, 0.5 * (d * d), delta * (a - 0.5 * delta)), reduction)
