"""Arithmetic: the ops behind Python's operators (``+ - * / ** //  %``, comparisons, bitwise).

Each op is a forward rule and, for the differentiable ones, one VJP rule per input. The engine
sums each cotangent back to its input's shape (undoing broadcasting) and casts it to the input's
dtype, so the rules below are the derivatives as written on paper. Every one of these ops is
elementwise, so its JVP (forward mode) is its VJP rules applied to the tangents
(:func:`~ad_core.extend.elementwise_jvp`); ``astype`` maps tangents as it maps values.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import DTypeError, array_api, elementwise_jvp, hookimpl, linear_jvp

#  name         forward                              d/dx                                   d/dy
BINARY = {
    "add":      (lambda xp, x, y: x + y,            lambda xp, g, ans, x, y: g,              lambda xp, g, ans, x, y: g),
    "subtract": (lambda xp, x, y: x - y,            lambda xp, g, ans, x, y: g,              lambda xp, g, ans, x, y: -g),
    "multiply": (lambda xp, x, y: x * y,            lambda xp, g, ans, x, y: g * y,          lambda xp, g, ans, x, y: g * x),
    "divide":   (lambda xp, x, y: x / y,            lambda xp, g, ans, x, y: g / y,          lambda xp, g, ans, x, y: -g * ans / y),
    "pow":      (lambda xp, x, y: x ** y,           lambda xp, g, ans, x, y: g * y * x ** (_one_where_zero(xp, y) - 1),
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
    "bitwise_left_shift":  lambda xp, x, y: x << y,
    "bitwise_right_shift": lambda xp, x, y: x >> y,
    "nextafter":     lambda xp, x, y: xp.nextafter(x, y),
    "logical_and":   lambda xp, x, y: xp.logical_and(x, y),
    "logical_or":    lambda xp, x, y: xp.logical_or(x, y),
    "logical_xor":   lambda xp, x, y: xp.logical_xor(x, y),
}  # fmt: skip

NON_DIFFERENTIABLE_UNARY = {
    "bitwise_invert": lambda xp, x: ~x,
    "logical_not":    lambda xp, x: xp.logical_not(x),
}  # fmt: skip


DOCS = {
    "add": "add(x1, x2, /): x1 + x2, elementwise with broadcasting.",
    "subtract": "subtract(x1, x2, /): x1 - x2, elementwise with broadcasting.",
    "multiply": "multiply(x1, x2, /): x1 * x2, elementwise with broadcasting.",
    "divide": "divide(x1, x2, /): x1 / x2 (true division), elementwise with broadcasting.",
    "pow": "pow(x1, x2, /): x1 ** x2; d/dx1 is x2 x1**(x2 - 1), 0 where x2 == 0 (x1**0 is 1 "
           "even at x1 = 0), and d/dx2 is x1**x2 log(x1), taken as 0 where x1 <= 0.",
    "negative": "negative(x, /): -x.",
    "positive": "positive(x, /): +x (a copy of the values).",
    "floor_divide": "floor_divide(x1, x2, /): x1 // x2 (no derivative).",
    "remainder": "remainder(x1, x2, /): x1 % x2 with the sign of x2 (no derivative).",
    "equal": "equal(x1, x2, /): x1 == x2, a boolean tensor without history.",
    "not_equal": "not_equal(x1, x2, /): x1 != x2, a boolean tensor without history.",
    "less": "less(x1, x2, /): x1 < x2, a boolean tensor without history.",
    "less_equal": "less_equal(x1, x2, /): x1 <= x2, a boolean tensor without history.",
    "greater": "greater(x1, x2, /): x1 > x2, a boolean tensor without history.",
    "greater_equal": "greater_equal(x1, x2, /): x1 >= x2, a boolean tensor without history.",
    "bitwise_and": "bitwise_and(x1, x2, /): x1 & x2 for integer and boolean tensors.",
    "bitwise_or": "bitwise_or(x1, x2, /): x1 | x2 for integer and boolean tensors.",
    "bitwise_xor": "bitwise_xor(x1, x2, /): x1 ^ x2 for integer and boolean tensors.",
    "bitwise_left_shift": "bitwise_left_shift(x1, x2, /): x1 << x2 for integer tensors (x2 >= 0).",
    "bitwise_right_shift": "bitwise_right_shift(x1, x2, /): x1 >> x2 (arithmetic shift) for "
                           "integer tensors (x2 >= 0).",
    "nextafter": "nextafter(x1, x2, /): the next representable float after x1 towards x2 "
                 "(no derivative).",
    "bitwise_invert": "bitwise_invert(x, /): ~x for integer and boolean tensors.",
    "logical_and": "logical_and(x1, x2, /): elementwise AND of truth values.",
    "logical_or": "logical_or(x1, x2, /): elementwise OR of truth values.",
    "logical_xor": "logical_xor(x1, x2, /): elementwise XOR of truth values.",
    "logical_not": "logical_not(x, /): elementwise NOT of truth values.",
}


def _one_where_zero(xp: Any, y: Any) -> Any:
    """``y`` with its zeros replaced by 1, for the exponent of d(x**y)/dx = y x**(y - 1).

    Where y == 0, x**y is the constant 1 and its slope is 0 for every x; the factor ``y`` makes
    it 0, and the exponent 0 (rather than -1) keeps ``x**(y - 1)`` finite at x = 0, so the slope
    is 0 there too rather than 0 * inf = NaN, and so are its own derivatives (torch and JAX agree).
    """
    if isinstance(y, int | float):
        return y if y != 0 else 1
    return xp.where(y == 0, xp.ones_like(y), y)


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


def _dtype_signature(op: str, kind: str, python: type) -> Any:
    """A binary elementwise op's signature that refuses operands outside the dtype ``kind``
    before the backend sees them (NumPy would give ``nextafter`` of integers a float result)."""

    def signature(x1: Any, x2: Any, /) -> tuple[tuple[Any, ...], dict[str, Any]]:
        for x in (x1, x2):
            dtype = getattr(x, "dtype", None)
            if isinstance(x, list | tuple):
                continue  # Python data: its dtype is known once it is a tensor
            ok = (isinstance(x, python) and not isinstance(x, bool) if dtype is None
                  else array_api.isdtype(dtype, kind))
            if not ok:
                what = dtype if dtype is not None else type(x).__name__
                raise DTypeError(f"{op}: takes {kind} operands, got {what}")
        return (x1, x2), {}

    signature.__doc__ = DOCS[op]
    return signature


#: Non-differentiable ops defined only for one kind of dtype: (kind, the Python scalar type).
DTYPE_KINDS = {
    "bitwise_left_shift":  ("integral", int),
    "bitwise_right_shift": ("integral", int),
    "nextafter":           ("real floating", float),
}  # fmt: skip


@hookimpl
def ad_core_register_ops(register: Any) -> None:
    for name, (forward, dx, dy) in BINARY.items():
        register(name, forward, [dx, dy], jvp=elementwise_jvp(dx, dy), elementwise=True,
                 domain=("positive", "real") if name == "pow" else "real", doc=DOCS[name])
    for name, (forward, dx) in UNARY.items():
        register(name, forward, dx, jvp=elementwise_jvp(dx), elementwise=True, doc=DOCS[name])
    for name, forward in {**NON_DIFFERENTIABLE, **NON_DIFFERENTIABLE_UNARY}.items():
        signature = _dtype_signature(name, *DTYPE_KINDS[name]) if name in DTYPE_KINDS else None
        register(name, forward, elementwise=True, doc=DOCS[name], signature=signature)
    register("astype", _astype, lambda xp, g, ans, x, dtype, copy=True: g,
             jvp=linear_jvp(_astype), signature=_astype_signature)
