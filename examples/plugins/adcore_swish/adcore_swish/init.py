"""The initializer ``swish_uniform_``: He-style uniform, with the gain of a swish layer.

A layer y = W x with i.i.d. inputs of second moment m keeps the scale of its activations when
Var(W) = 1 / (fan_in · m). For x = swish(z), z ~ N(0, 1), m = E[swish(z)²], so the gain is
1 / sqrt(m) (for ReLU m = 1/2, the gain sqrt(2) of kaiming). U(−b, b) has variance b²/3, hence
b = gain · sqrt(3 / fan_in).
"""

from __future__ import annotations

import functools
import math
from typing import Any

from ad_core.extend import Parameter, ShapeError, random


@functools.lru_cache(maxsize=32)
def swish_gain(beta: float = 1.0) -> float:
    """1 / sqrt(E[swish(z)²]) for z ~ N(0, 1), by Simpson's rule on [−12, 12]."""
    n, lo, hi = 2400, -12.0, 12.0
    h = (hi - lo) / n
    total = 0.0
    for k in range(n + 1):
        z = lo + k * h
        y = z / (1.0 + math.exp(-beta * z))
        weight = 1 if k in (0, n) else (4 if k % 2 else 2)
        total += weight * y * y * math.exp(-0.5 * z * z)
    return 1.0 / math.sqrt(total * h / 3.0 / math.sqrt(2.0 * math.pi))


def swish_uniform_(tensor: Parameter, beta: float = 1.0, *, seed: Any = None) -> Parameter:
    """Fill ``tensor`` (out, in, *kernel) in place with U(−b, b), b = swish_gain(beta) ·
    sqrt(3 / fan_in). ``seed`` (an int or an ``ad.random.Generator``) gives the same values on
    every backend; without it the process-wide generator is used."""
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ShapeError(f"swish_uniform_: needs a weight of at least 2 dimensions, got shape "
                         f"{shape}")
    fan_in = shape[1] * math.prod(shape[2:])
    bound = swish_gain(float(beta)) * math.sqrt(3.0 / fan_in)
    tensor.data = random.generator(seed).uniform(shape, -bound, bound, like=tensor)
    return tensor
