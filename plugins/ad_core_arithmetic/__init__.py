"""Arithmetic: the ops behind Python's operators (``+ - * / ** //  %``, comparisons, bitwise).

Each op is a forward rule and, for the differentiable ones, one VJP rule per input. The engine
sums each cotangent back to its input's shape (undoing broadcasting) and casts it to the input's
dtype, so the rules below are the derivatives as written on paper.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import hookimpl

#  name         forward                              d/dx                                   d/dy
BINARY = {
    "add":      (lambda xp, x, y: x + y,            lambda xp, g, ans, x, y: g,              lambda xp, g, ans, x, y: g),
    "subtract": (lambda xp, x, y: x - y,            lambda xp, g, ans, x, y: g,              lambda xp, g, ans, x, y: -g),
    "multiply": (lambda xp, x, y: x * y,            lambda xp, g, ans, x, y: g * y,          lambda xp, g, ans, x, y: g * x),
    "divide":   (lambda xp, x, y: x / y,            lambda xp, g, ans, x, y: g / y,          lambda xp, g, ans, x, y: -g * ans / y),
    "pow":      (lambda xp, x, y: x ** y,           lambda xp, g, ans, x, y: g * y * x ** (y - 1),
                                                                                             lambda xp, g, ans, x, y: g * ans * _log_or_zero(xp, x)),
}  # fmt: skip

UNARY = {
    "negative": (lambda xp, x: -x,                  lambda xp, g, ans, x: -g),
    "positive": (lambda xp, x: +x,                  lambda xp, g, ans, x: g),
}  # fmt: skip

#: Ops whose results are integers or booleans: no derivative, no history.
NON_DIFFERENTIABLE = {
    "floor_divide":  lambda xp, x, y: x // y,
    "remainder":     lambda xp, x, y: x % y,
    "equal":         lambda xp, x, y: x == y,
    "not_equal":     lambda xp, x, y: x != y,
    "less":          lambda xp, x, y: x < y,
    "less_equal":    lambda xp, x, y: x <= y,
    "greater":       lambda xp, x, y: x > y,
    "greater_equal": lambda xp, x, y: x >= y,
    "bitwise_and":   lambda xp, x, y: x & y,
    "bitwise_or":    lambda xp, x, y: x | y,
    "bitwise_xor":   lambda xp, x, y: x ^ y,
    "logical_and":   lambda xp, x, y: xp.logical_and(x, y),
    "logical_or":    lambda xp, x, y: xp.logical_or(x, y),
    "logical_xor":   lambda xp, x, y: xp.logical_xor(x, y),
}  # fmt: skip

NON_DIFFERENTIABLE_UNARY = {
    "bitwise_invert": lambda xp, x: ~x,
    "logical_not":    lambda xp, x: xp.logical_not(x),
}  # fmt: skip


def _log_or_zero(xp: Any, x: Any) -> Any:
    """log(x) where x > 0, else 0: d(x**y)/dy is x**y log x, and 0**y has no slope in y."""
    if isinstance(x, int | float):
        import math

        return math.log(x) if x > 0 else 0.0
    positive = x > 0
    safe = xp.where(positive, x, xp.ones_like(x))
    return xp.where(positive, xp.log(safe), xp.zeros_like(x))


def _astype(xp: Any, x: Any, dtype: Any, copy: bool = True) -> Any:
    return xp.astype(x, dtype, copy=copy)


def _astype_signature(x: Any, dtype: Any, /, *, copy: bool = True) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """astype(x, dtype, /, *, copy=True): ``x`` cast to ``dtype``; gradients are cast back."""
    return (x,), {"dtype": dtype, "copy": copy}


@hookimpl
def ad_core_register_ops(register: Any) -> None:
    for name, (forward, dx, dy) in BINARY.items():
        register(name, forward, [dx, dy], elementwise=True)
    for name, (forward, dx) in UNARY.items():
        register(name, forward, dx, elementwise=True)
    for name, forward in NON_DIFFERENTIABLE.items():
        register(name, forward, elementwise=True)
    for name, forward in NON_DIFFERENTIABLE_UNARY.items():
        register(name, forward, elementwise=True)
    register("astype", _astype, lambda xp, g, ans, x, dtype, copy=True: g,
             signature=_astype_signature)
