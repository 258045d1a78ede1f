"""The op ``swish(x, beta=1.0) = x · sigmoid(βx)`` and its torch kernel.

With s = sigmoid(βx) and y = x·s, the derivative is::

    dy/dx = s + βx·s(1 − s) = s + β·y·(1 − s)

The VJP multiplies the cotangent by it, the JVP the tangent. Both rules use only Python
operators and ``xp.sigmoid`` (a registered op), so one rule serves every backend and every
order of derivative. β is a parameter (a plain float), not an input: it is not differentiated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def swish_signature(x: Any, /, *, beta: float = 1.0) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """swish(x, /, *, beta=1.0): x · sigmoid(beta · x), elementwise (SiLU when beta = 1)."""
    if isinstance(beta, bool) or not isinstance(beta, int | float):
        raise TypeError(f"swish: beta must be a number, got {beta!r}")
    return (x,), {"beta": float(beta)}


def _slope(xp: Any, ans: Any, x: Any, beta: float) -> Any:
    """dy/dx = s + β·y·(1 − s), s = sigmoid(βx)."""
    s = xp.sigmoid(beta * x)
    return s + beta * ans * (1.0 - s)


def swish(xp: Any, x: Any, *, beta: float) -> Any:
    """The forward rule: x · sigmoid(βx)."""
    return x * xp.sigmoid(beta * x)


def swish_vjp(xp: Any, g: Any, ans: Any, x: Any, *, beta: float) -> Any:
    """The VJP rule: g · dy/dx."""
    return g * _slope(xp, ans, x, beta)


def swish_jvp(xp: Any, tangents: Sequence[Any], ans: Any, x: Any, *, beta: float) -> Any:
    """The JVP rule, by hand: dy/dx · t (the Jacobian is diagonal)."""
    return _slope(xp, ans, x, beta) * tangents[0]


def swish_torch(xp: Any, x: Any, *, beta: float) -> Any:
    """torch's own kernels: ``silu`` for β = 1, else one fused expression ``x * sigmoid(βx)``.

    Registered as an override for the ``torch`` backend only; torch is imported when the kernel
    first runs, so loading the plugin never imports it.
    """
    import torch

    if beta == 1.0:
        return torch.nn.functional.silu(x)
    return x * torch.sigmoid(beta * x)
