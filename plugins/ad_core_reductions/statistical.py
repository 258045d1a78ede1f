"""The standard's statistical functions: sum, mean, prod, max, min, var, std, cumulative_sum.

A reduction's VJP gives the cotangent back the axes the forward pass removed
(:func:`restore_reduced`), then spreads it over the input: evenly for ``sum`` and ``mean``, by the
product of the other factors for ``prod``, onto the extreme elements for ``max`` and ``min``, and
along the deviations from the mean for ``var`` and ``std``.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import linear_jvp, restore_reduced

from ._axes import (
    Axis,
    Params,
    count,
    cumulative_params,
    nonempty,
    reduced_axes,
)

# -- signatures: the user's call -> (inputs, params) ----------------------------------------------


def sum_signature(x: Any, /, *, axis: Axis = None, dtype: Any = None,
                  keepdims: bool = False) -> Params:
    """sum(x, /, *, axis=None, dtype=None, keepdims=False): the sum over ``axis`` (all if None).

    An empty axis sums to 0, and its gradient is empty.
    """
    return (x,), {"axis": reduced_axes("sum", x, axis), "dtype": dtype, "keepdims": keepdims}


def prod_signature(x: Any, /, *, axis: Axis = None, dtype: Any = None,
                   keepdims: bool = False) -> Params:
    """prod(x, /, *, axis=None, dtype=None, keepdims=False): the product over ``axis``.

    The gradient is the product of the other factors, exact when the input holds zeros (one or
    several), and so are second derivatives.
    """
    return (x,), {"axis": reduced_axes("prod", x, axis), "dtype": dtype, "keepdims": keepdims}


def mean_signature(x: Any, /, *, axis: Axis = None, keepdims: bool = False) -> Params:
    """mean(x, /, *, axis=None, keepdims=False): the arithmetic mean over ``axis``."""
    return (x,), {"axis": reduced_axes("mean", x, axis), "keepdims": keepdims}


def max_signature(x: Any, /, *, axis: Axis = None, keepdims: bool = False) -> Params:
    """max(x, /, *, axis=None, keepdims=False): the largest element over ``axis``.

    The gradient is split evenly among tied maxima (like ``torch.amax``).
    """
    axes = reduced_axes("max", x, axis)
    nonempty("max", x, axes)
    return (x,), {"axis": axes, "keepdims": keepdims}


def min_signature(x: Any, /, *, axis: Axis = None, keepdims: bool = False) -> Params:
    """min(x, /, *, axis=None, keepdims=False): the smallest element over ``axis``.

    The gradient is split evenly among tied minima (like ``torch.amin``).
    """
    axes = reduced_axes("min", x, axis)
    nonempty("min", x, axes)
    return (x,), {"axis": axes, "keepdims": keepdims}


def var_signature(x: Any, /, *, axis: Axis = None, correction: int | float = 0.0,
                  keepdims: bool = False) -> Params:
    """var(x, /, *, axis=None, correction=0.0, keepdims=False): the variance over ``axis``.

    The sum of squared deviations is divided by ``N - correction`` (1 gives the sample variance).
    """
    return (x,), {"axis": reduced_axes("var", x, axis), "correction": correction,
                  "keepdims": keepdims}


def std_signature(x: Any, /, *, axis: Axis = None, correction: int | float = 0.0,
                  keepdims: bool = False) -> Params:
    """std(x, /, *, axis=None, correction=0.0, keepdims=False): the standard deviation.

    Where the deviation is zero (a constant slice) std is not differentiable; its gradient there is
    taken as 0, like torch's, so a constant input gives zeros rather than NaN.
    """
    return (x,), {"axis": reduced_axes("std", x, axis), "correction": correction,
                  "keepdims": keepdims}


def cumulative_sum_signature(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                             include_initial: bool = False) -> Params:
    """cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False): running sums.

    ``axis`` may be omitted only for 1-D input. With ``include_initial`` the result starts with
    the empty sum (0) and is one longer along ``axis``.
    """
    return (x,), cumulative_params("cumulative_sum", x, axis, dtype, include_initial)


# -- forward rules --------------------------------------------------------------------------------


def _sum(xp: Any, x: Any, axis: tuple[int, ...], dtype: Any, keepdims: bool) -> Any:
    return xp.sum(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _prod(xp: Any, x: Any, axis: tuple[int, ...], dtype: Any, keepdims: bool) -> Any:
    return xp.prod(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _mean(xp: Any, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    return xp.mean(x, axis=axis, keepdims=keepdims)


def _max(xp: Any, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    return xp.max(x, axis=axis, keepdims=keepdims)


def _min(xp: Any, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    return xp.min(x, axis=axis, keepdims=keepdims)


def _var(xp: Any, x: Any, axis: tuple[int, ...], correction: float, keepdims: bool) -> Any:
    return xp.var(x, axis=axis, correction=correction, keepdims=keepdims)


def _std(xp: Any, x: Any, axis: tuple[int, ...], correction: float, keepdims: bool) -> Any:
    # sqrt(var) rather than xp.std: torch's std refuses a fractional correction, its var does not
    return xp.sqrt(xp.var(x, axis=axis, correction=correction, keepdims=keepdims))


def _cumulative_sum(xp: Any, x: Any, axis: int, dtype: Any, include_initial: bool) -> Any:
    return xp.cumulative_sum(x, axis=axis, dtype=dtype, include_initial=include_initial)


# -- VJP rules ------------------------------------------------------------------------------------


def spread(xp: Any, g: Any, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    """The reduction's cotangent ``g`` copied to every element of ``x`` it summarises."""
    if axis != tuple(range(len(axis))):  # broadcasting itself restores leading axes (a full sum)
        g = restore_reduced(xp, g, axis, keepdims)
    return xp.broadcast_to(g, tuple(x.shape))


def _sum_vjp(xp: Any, g: Any, ans: Any, x: Any, axis: tuple[int, ...], dtype: Any,
             keepdims: bool) -> Any:
    return spread(xp, g, x, axis, keepdims)


def _mean_vjp(xp: Any, g: Any, ans: Any, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    n = count(x.shape, axis)
    return spread(xp, g * (1.0 / n if n else 0.0), x, axis, keepdims)  # n == 0: x is empty


def _prod_vjp(xp: Any, g: Any, ans: Any, x: Any, axis: tuple[int, ...], dtype: Any,
              keepdims: bool) -> Any:
    """d prod / dx_i = the product of the other factors, computed without dividing by zero.

    With ``p`` the product of the non-zero factors, ``k`` the number of zeros in the slice and
    ``z`` the sum of the zero factors (0, but with slope 1 in each of them):
    a non-zero x_i gets ``p / x_i`` times 1, ``z`` or 0 for k = 0, 1, more; a zero x_i gets ``p``
    times 1, ``z - x_i`` or 0 for k = 1, 2, more. Every factor has the right value and the right
    slope, so the second derivatives are exact too, whatever the zeros.
    """
    return restore_reduced(xp, g, axis, keepdims) * _prod_slope(xp, x, axis)


def _prod_slope(xp: Any, x: Any, axis: tuple[int, ...]) -> Any:
    """∂ prod / ∂x_i for every i, of x's shape: the product of the other factors (see above)."""
    zero = x == 0
    safe = xp.where(zero, xp.ones_like(x), x)
    p = xp.prod(safe, axis=axis, keepdims=True)
    k = xp.sum(xp.astype(zero, x.dtype), axis=axis, keepdims=True)
    z = xp.sum(xp.where(zero, x, xp.zeros_like(x)), axis=axis, keepdims=True)
    one, nil = xp.ones_like(z), xp.zeros_like(z)
    others_nonzero = xp.where(k == 0, one, xp.where(k == 1, z, nil))
    others_of_zero = xp.where(k == 1, one, xp.where(k == 2, z - x, xp.zeros_like(x)))
    return xp.where(zero, p * others_of_zero, p / safe * others_nonzero)


def _extremum_vjp(xp: Any, g: Any, ans: Any, x: Any, axis: tuple[int, ...],
                  keepdims: bool) -> Any:
    """The cotangent goes to the elements equal to the extremum, shared evenly among ties."""
    hit = xp.astype(x == restore_reduced(xp, ans, axis, keepdims), x.dtype)
    share = hit / xp.sum(hit, axis=axis, keepdims=True)
    return restore_reduced(xp, g, axis, keepdims) * share


def _variance_scale(x: Any, axis: tuple[int, ...], correction: float) -> float:
    """d var / d(x - mean) = 2 (x - mean) / (N - correction); NaN where var itself is undefined."""
    dof = count(x.shape, axis) - correction
    return 2.0 / dof if dof > 0 else float("nan")


def _var_vjp(xp: Any, g: Any, ans: Any, x: Any, axis: tuple[int, ...], correction: float,
             keepdims: bool) -> Any:
    deviation = x - xp.mean(x, axis=axis, keepdims=True)
    return restore_reduced(xp, g, axis, keepdims) * deviation * _variance_scale(x, axis, correction)


def _std_vjp(xp: Any, g: Any, ans: Any, x: Any, axis: tuple[int, ...], correction: float,
             keepdims: bool) -> Any:
    """d std = d var / (2 std); at std == 0 the slope is taken as 0 (a subgradient), not 0/0."""
    flat = ans == 0
    g_var = xp.where(flat, xp.zeros_like(g), g / (2.0 * xp.where(flat, xp.ones_like(ans), ans)))
    return _var_vjp(xp, g_var, ans, x, axis, correction, keepdims)


def _cumulative_sum_vjp(xp: Any, g: Any, ans: Any, x: Any, axis: int, dtype: Any,
                        include_initial: bool) -> Any:
    """x_j feeds every running sum from position j on: the reversed running sum of ``g``."""
    if include_initial:  # out[k] sums x[:k], so x_j feeds out[j + 1:]
        every = slice(None)
        g = g[(every,) * axis + (slice(1, None),) + (every,) * (g.ndim - axis - 1)]
    return xp.flip(xp.cumulative_sum(xp.flip(g, axis=axis), axis=axis), axis=axis)


#  name              forward            vjp                   signature
STATISTICAL = {
    "sum":            (_sum,            _sum_vjp,             sum_signature),
    "prod":           (_prod,           _prod_vjp,            prod_signature),
    "mean":           (_mean,           _mean_vjp,            mean_signature),
    "max":            (_max,            _extremum_vjp,        max_signature),
    "min":            (_min,            _extremum_vjp,        min_signature),
    "var":            (_var,            _var_vjp,             var_signature),
    "std":            (_std,            _std_vjp,             std_signature),
    "cumulative_sum": (_cumulative_sum, _cumulative_sum_vjp,  cumulative_sum_signature),
}  # fmt: skip


# -- JVPs (forward mode): the tangent of the result from the tangent ``t`` of x --------------------


def _extremum_jvp(xp: Any, tangents: tuple[Any, ...], ans: Any, x: Any, axis: tuple[int, ...],
                  keepdims: bool) -> Any:
    """The tangents of the extreme elements, averaged over ties (the VJP's transpose)."""
    hit = xp.astype(x == restore_reduced(xp, ans, axis, keepdims), x.dtype)
    share = hit / xp.sum(hit, axis=axis, keepdims=True)
    return xp.sum(tangents[0] * share, axis=axis, keepdims=keepdims)


def _var_jvp(xp: Any, tangents: tuple[Any, ...], ans: Any, x: Any, axis: tuple[int, ...],
             correction: float, keepdims: bool) -> Any:
    """d var = 2 Σ (x - mean) t / (N - correction)."""
    deviation = x - xp.mean(x, axis=axis, keepdims=True)
    scale = _variance_scale(x, axis, correction)
    return xp.sum(deviation * tangents[0], axis=axis, keepdims=keepdims) * scale


def _std_jvp(xp: Any, tangents: tuple[Any, ...], ans: Any, x: Any, axis: tuple[int, ...],
             correction: float, keepdims: bool) -> Any:
    """d std = d var / (2 std), taken as 0 where std == 0 (as the VJP does)."""
    d_var = _var_jvp(xp, tangents, ans, x, axis, correction, keepdims)
    flat = ans == 0
    return xp.where(flat, xp.zeros_like(ans), d_var / (2.0 * xp.where(flat, xp.ones_like(ans), ans)))


def _prod_jvp(xp: Any, tangents: tuple[Any, ...], ans: Any, x: Any, axis: tuple[int, ...],
              dtype: Any, keepdims: bool) -> Any:
    """d prod = Σ_i (product of the other factors) t_i: the VJP's slope, summed against t."""
    return xp.sum(_prod_slope(xp, x, axis) * tangents[0], axis=axis, keepdims=keepdims)


#: Forward-mode rules, one per differentiable reduction.
#  name              jvp
JVPS = {
    "prod":           _prod_jvp,
    "sum":            linear_jvp(_sum),
    "mean":           linear_jvp(_mean),
    "cumulative_sum": linear_jvp(_cumulative_sum),
    "max":            _extremum_jvp,
    "min":            _extremum_jvp,
    "var":            _var_jvp,
    "std":            _std_jvp,
}  # fmt: skip
