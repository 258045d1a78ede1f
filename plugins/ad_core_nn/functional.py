"""The two ops the layers need that the standard lacks: ``erf`` (for exact GELU) and ``linear``.

``erf`` is two Chebyshev series of our own, fitted and measured by ``tools/fit_erf.py`` (run by
hand; its docstring explains the method): for |x| <= 1, erf(x) = x + x·R(x²) with R a 12-term
series in 2x² − 1; for 1 < |x| <= 6, erf(x) = 1 − erfc(x) with erfc(x) = exp(−x²)/x · F(1/|x|),
F a 25-term series in 12/(5|x|) − 7/5; beyond 6 the tail, evaluated at 6, rounds to exactly 1.
Both ranges are evaluated on the whole array, each on inputs clipped into it, and ``where``
picks per element, so nothing overflows and the rule uses standard functions only; it runs on
every backend (the torch backend replaces it by ``torch.special.erf``). Measured against a
50-digit reference on a dense grid of [0, 7] and around the range ends: within 1 ulp in float64
(relative error at most 2.2e-16, absolute at most 1.1e-16), and within 1.2 float32 ulp for
float32 inputs, which stay float32. Its derivative is 2/sqrt(pi) exp(-x²).

``linear(x, weight, bias)`` is ``x @ weight.T + bias``, the affine map of ``Linear``, as one op:
one node on the tape instead of three (transpose, matmul, add), which is most of the cost of a
small layer. Its rules read as the matrix calculus they are.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import ShapeError

# Fitted by tools/fit_erf.py (rerun it to reproduce them and to measure their accuracy).
#: |x| <= 1: erf(x) = x + x·Σ c_k T_k(2x² − 1)
ERF_SMALL = (
    -0.024523060617345903, -0.14226120510371365, 0.010035582187599796, -0.0005768764699767485,
    2.741993125219606e-05, -1.1043175507344507e-06, 3.8488755420345036e-08, -1.1808582533875466e-09,
    3.2334215826050907e-11, -7.991015947004549e-13, 1.7990725113961456e-14, -3.718635487818693e-16,
)
#: 1 < |x| <= 6: erfc(x) = exp(−x²)/x · Σ c_k T_k(12/(5x) − 7/5)
ERFC_TAIL = (
    0.49471361578208073, -0.06627963187965226, -0.0022764645742360114, 0.001717245128146866,
    -0.00032014496358247316, 2.6743225983670515e-05, 3.968695744344053e-06, -2.2059099609177132e-06,
    5.18822760986672e-07, -6.999918836906682e-08, -9.071270087834272e-10, 3.81951552192842e-09,
    -1.3416438565181666e-09, 2.947892218032652e-10, -3.786760799975439e-11, -2.167147256147601e-12,
    3.1122292821541805e-12, -1.1363842124992395e-12, 2.7739855277970216e-13, -4.45906676376279e-14,
    1.0733133056291638e-15, 2.4789530202320656e-15, -1.1596680074384575e-15, 3.456896098695936e-16,
    -7.485760390998475e-17,
)

TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _chebyshev(s: Any, coefficients: tuple[float, ...]) -> Any:
    """c_0 + c_1 T_1(s) + c_2 T_2(s) + ..., by Clenshaw's recurrence b_k = c_k + 2s b_(k+1) - b_(k+2)."""
    two_s = s + s
    b1, b2 = coefficients[-1], 0.0
    for c in coefficients[-2:0:-1]:
        b1, b2 = c + two_s * b1 - b2, b1
    return coefficients[0] + s * b1 - b2


def erf(xp: Any, x: Any) -> Any:
    """erf(x, /): the error function 2/sqrt(pi) ∫₀ˣ exp(-t²) dt, accurate to float64 rounding.

    Within 1 ulp of the truth in float64 (tools/fit_erf.py measures it). Derivative:
    2/sqrt(pi) exp(-x²).
    """
    a = xp.abs(x)
    c = xp.clip(x, -1.0, 1.0)                                # |x| <= 1; NaN stays NaN, lands here
    small = c + c * _chebyshev(2.0 * (c * c) - 1.0, ERF_SMALL)
    t = xp.clip(a, 1.0, 6.0)                                 # 1 < |x|; at 6, 1 - erfc rounds to 1
    tail = 1.0 - xp.exp(-(t * t)) / t * _chebyshev(2.4 / t - 1.4, ERFC_TAIL)
    return xp.where(a > 1.0, xp.where(x < 0.0, -tail, tail), small)


def erf_vjp(xp: Any, g: Any, ans: Any, x: Any) -> Any:
    """d erf / dx = 2/sqrt(pi) exp(-x²)."""
    return g * (TWO_OVER_SQRT_PI * xp.exp(-(x * x)))


def erf_jvp(xp: Any, tangents: tuple[Any, ...], ans: Any, x: Any) -> Any:
    """d erf = 2/sqrt(pi) exp(-x²) t: elementwise, so the VJP's slope times the tangent."""
    return erf_vjp(xp, tangents[0], ans, x)


# -- linear --------------------------------------------------------------------------------------


def linear_signature(x: Any, weight: Any, bias: Any = None, /) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """linear(x, weight, bias=None, /): ``x @ weight.T + bias``, the affine map of a layer.

    ``x`` has shape (..., in), ``weight`` (out, in) and ``bias`` (out,) or None (torch.nn.functional
    .linear's convention); the result has shape (..., out). One op, so one node on the tape.
    """
    if not all(hasattr(a, "shape") for a in (x, weight)):
        return (x, weight, bias), {}  # Python data: made into tensors (and checked) by the op
    x_shape, w_shape = tuple(x.shape), tuple(weight.shape)
    if len(w_shape) != 2:
        raise ShapeError(f"linear: weight must be 2-D (out, in), got shape {w_shape}")
    if not x_shape or x_shape[-1] != w_shape[1]:
        raise ShapeError(f"linear: input of shape {x_shape} does not end in weight's "
                         f"in-dimension {w_shape[1]} (weight shape {w_shape})")
    if bias is not None and hasattr(bias, "shape") and tuple(bias.shape) != (w_shape[0],):
        raise ShapeError(f"linear: bias must have shape ({w_shape[0]},), got {tuple(bias.shape)}")
    return (x, weight, bias), {}


def linear_forward(xp: Any, x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight.T (+ bias)``."""
    out = xp.matmul(x, xp.matrix_transpose(weight))
    return out if bias is None else out + bias


def _rows(xp: Any, a: Any) -> Any:
    """``a`` as a matrix of rows: every leading axis folded into one."""
    return xp.reshape(a, (-1, a.shape[-1]))


#  input    cotangent: g has the output's shape (..., out)
LINEAR_VJP = [
    lambda xp, g, ans, x, weight, bias=None: xp.matmul(g, weight),                                       # x
    lambda xp, g, ans, x, weight, bias=None: xp.matmul(xp.matrix_transpose(_rows(xp, g)), _rows(xp, x)),  # weight
    lambda xp, g, ans, x, weight, bias=None: g,                       # bias: the engine sums over leading axes
]  # fmt: skip


def linear_jvp(xp: Any, tangents: tuple[Any, ...], ans: Any, x: Any, weight: Any,
               bias: Any = None) -> Any:
    """d(x Wᵀ + b) = dx Wᵀ + x dWᵀ + db (the product rule; terms without a tangent dropped)."""
    dx, dw = tangents[0], tangents[1]
    db = tangents[2] if len(tangents) > 2 else None
    out = None
    if dx is not None:
        out = xp.matmul(dx, xp.matrix_transpose(weight))
    if dw is not None:
        term = xp.matmul(x, xp.matrix_transpose(dw))
        out = term if out is None else out + term
    if db is not None:
        out = db if out is None else out + db  # the engine broadcasts db to the output's shape
    return xp.zeros_like(ans) if out is None else out
