"""Activation functions: sigmoid, relu and softplus, written to stay finite for any input.

None is in the standard, so each forward rule is built from standard functions, and each
derivative rule from standard functions too (the raw backend namespace has no ``sigmoid``):
sigmoid's derivative is ``ans * (1 - ans)``, softplus's is the sigmoid ``1 - exp(-beta * ans)``
(and 1 above its threshold, where softplus is ``x`` itself).
No exponential of a large positive number is ever formed, so float32 inputs of +-1000 give
finite values and gradients and no overflow warnings.
"""

from __future__ import annotations

from typing import Any


def sigmoid(xp: Any, x: Any) -> Any:
    """sigmoid(x, /): the logistic function 1 / (1 + exp(-x)), stable for large |x|.

    Derivative: sigmoid(x) * (1 - sigmoid(x)).
    """
    e = xp.exp(-xp.abs(x))  # in (0, 1]: never overflows
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(xp: Any, x: Any) -> Any:
    """relu(x, /): max(x, 0). Derivative 0 where x <= 0 and 1 elsewhere, NaN included (as torch
    has it: its kernel zeroes the cotangent where x <= 0)."""
    return xp.maximum(x, xp.zeros_like(x))


def softplus(xp: Any, x: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``log(1 + exp(beta x)) / beta`` as max(z, 0) + log1p(exp(-|z|)), z = beta x; linear above
    the threshold, like torch."""
    z = beta * x
    smooth = (xp.maximum(z, xp.zeros_like(z)) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
    return xp.where(z > threshold, x, smooth)


def softplus_signature(
    x: Any, /, beta: float = 1.0, threshold: float = 20.0
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """softplus(x, /, beta=1.0, threshold=20.0): log(1 + exp(beta * x)) / beta, computed stably.

    A smooth relu; ``beta`` sharpens it, and where ``beta * x > threshold`` it is ``x`` itself
    (the parameters of ``torch.nn.functional.softplus``). Derivative: sigmoid(beta * x).
    """
    return (x,), {"beta": beta, "threshold": threshold}


def _softplus_vjp(xp: Any, g: Any, ans: Any, x: Any, beta: float = 1.0,
                  threshold: float = 20.0) -> Any:
    """sigmoid(beta x), which is 1 - exp(-beta ans); 1 above the threshold, where it is x."""
    return xp.where(beta * x > threshold, g, -g * xp.expm1(-beta * ans))


#  name        forward    signature            d/dx
ACTIVATIONS = {
    "sigmoid":  (sigmoid,  None,                lambda xp, g, ans, x: g * ans * (1.0 - ans)),
    "relu":     (relu,     None,                lambda xp, g, ans, x: xp.where(x <= 0, xp.zeros_like(g), g)),
    "softplus": (softplus, softplus_signature,  _softplus_vjp),
}  # fmt: skip
