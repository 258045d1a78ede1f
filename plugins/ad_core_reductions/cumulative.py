"""Running products and differences along one axis: cumulative_prod and diff.

``cumulative_prod``'s VJP must stay exact where the input holds zeros, so it never divides by the
input: the derivative of ``out[i] = x[0] ... x[i]`` by ``x[k]`` (k <= i) is the product of the
factors before ``k`` times the product of those from ``k + 1`` to ``i``. The second factor, for
every pair ``(k, i)``, is itself a running product (of a row that holds 1 up to ``k`` and ``x``
after it), so the rule costs ``n`` times the memory of the input along the axis (``n`` its length)
and is built only from registered ops: its own derivatives are exact too.

``diff`` joins ``prepend``, ``x`` and ``append`` with ``concat`` in its signature (so gradients
reach all three through concat's own rule) and differences the result: its VJP is the adjoint of
``n`` first differences applied to the cotangent.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import ShapeError, array_api, linear_jvp

from ._axes import Params, cumulative_params, one_axis, shape_of

# -- cumulative_prod ------------------------------------------------------------------------------


def cumulative_prod_signature(x: Any, /, *, axis: int | None = None, dtype: Any = None,
                              include_initial: bool = False) -> Params:
    """cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False): running products.

    ``axis`` may be omitted only for 1-D input. With ``include_initial`` the result starts with
    the empty product (1) and is one longer along ``axis``. The gradient is exact where ``x``
    holds zeros (it never divides by ``x``); it takes ``n`` times the input's memory, ``n`` the
    length of ``axis``.
    """
    return (x,), cumulative_params("cumulative_prod", x, axis, dtype, include_initial)


def _cumulative_prod(xp: Any, x: Any, axis: int, dtype: Any, include_initial: bool) -> Any:
    return xp.cumulative_prod(x, axis=axis, dtype=dtype, include_initial=include_initial)


def _slopes(xp: Any, x: Any) -> tuple[Any, Any]:
    """For ``x`` with the axis last (length ``n``): ``before[..., k] = x[0] ... x[k-1]`` and
    ``after[..., k, i] = x[k+1] ... x[i]`` where ``i >= k``, 0 where ``i < k``, so that
    ``d out[i] / d x[k] = before[k] * after[k, i]``, with no division."""
    n = x.shape[-1]
    k = xp.reshape(xp.arange(n), (n, 1))
    i = xp.reshape(xp.arange(n), (1, n))
    row = xp.expand_dims(x, axis=-2)  # (..., 1, n): row k of the (n, n) grid holds x[i] for i > k
    row = xp.where(i > k, row, xp.ones_like(row))
    after = xp.cumulative_prod(row, axis=-1)
    after = xp.where(i >= k, after, xp.zeros_like(after))
    before = xp.cumulative_prod(x, axis=-1, include_initial=True)[..., :n]
    return before, after


def _cumulative_prod_vjp(xp: Any, g: Any, ans: Any, x: Any, axis: int, dtype: Any,
                         include_initial: bool) -> Any:
    """``dx[k] = before[k] * Σ_i after[k, i] g[i]``: exact where ``x`` holds zeros."""
    last = x.ndim - 1
    g = xp.moveaxis(g, axis, last)
    if include_initial:  # out[0] is the constant 1; out[i + 1] is the product of x[:i + 1]
        g = g[..., 1:]
    before, after = _slopes(xp, xp.moveaxis(x, axis, last))
    return xp.moveaxis(before * xp.sum(after * xp.expand_dims(g, axis=-2), axis=-1), last, axis)


def _cumulative_prod_jvp(xp: Any, tangents: tuple[Any, ...], ans: Any, x: Any, axis: int,
                         dtype: Any, include_initial: bool) -> Any:
    """``d out[i] = Σ_k before[k] after[k, i] t[k]``: the VJP's slopes, summed against ``t``."""
    last = x.ndim - 1
    before, after = _slopes(xp, xp.moveaxis(x, axis, last))
    t = xp.moveaxis(tangents[0], axis, last)
    out = xp.sum(after * xp.expand_dims(before * t, axis=-1), axis=-2)
    if include_initial:
        first = xp.zeros((*out.shape[:-1], 1), dtype=out.dtype, device=out.device)
        out = xp.concat((first, out), axis=-1)  # the constant out[0] has no tangent
    return xp.moveaxis(out, last, axis)


# -- diff -----------------------------------------------------------------------------------------


def diff_signature(x: Any, /, *, axis: int = -1, n: int = 1, prepend: Any = None,
                   append: Any = None) -> Params:
    """diff(x, /, *, axis=-1, n=1, prepend=None, append=None): the ``n``-th forward difference
    ``out[i] = y[i + 1] - y[i]`` (applied ``n`` times) along ``axis``, where ``y`` is ``x`` with
    ``prepend`` before it and ``append`` after it (arrays of ``x``'s shape except along ``axis``).
    The result is ``n`` shorter than ``y`` along ``axis`` (``n`` at most that length).
    Differentiable in ``x``, ``prepend`` and ``append`` (they are joined to ``x`` by ``concat``,
    which records its own step).
    """
    shape = shape_of("diff", x)
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ShapeError(f"diff: n must be a non-negative int, got {n!r}")
    a = one_axis("diff", x, axis)
    arrays = [x]
    for name, extra in (("prepend", prepend), ("append", append)):
        if extra is None:
            continue
        s = shape_of("diff", extra)
        if len(s) != len(shape) or s[:a] + s[a + 1:] != shape[:a] + shape[a + 1:]:
            raise ShapeError(f"diff: {name} of shape {s} must match x's shape {shape} in every "
                             f"axis but axis {a}")
        arrays.insert(0, extra) if name == "prepend" else arrays.append(extra)
    length = sum(shape_of("diff", y)[a] for y in arrays)
    if n > length:
        raise ShapeError(f"diff: n={n} is larger than the length {length} of axis {a} (shape "
                         f"{shape}, with prepend/append joined)")
    y = x if len(arrays) == 1 else array_api.concat(arrays, axis=a)
    return (y,), {"axis": a, "n": n}


def _along(axis: int, index: slice) -> tuple[Any, ...]:
    return (slice(None),) * axis + (index, ...)


def _diff(xp: Any, y: Any, axis: int, n: int) -> Any:
    for _ in range(n):
        y = y[_along(axis, slice(1, None))] - y[_along(axis, slice(None, -1))]
    return y


def _diff_vjp(xp: Any, g: Any, ans: Any, y: Any, axis: int, n: int) -> Any:
    """The adjoint of one difference is ``[0, g] - [g, 0]`` along ``axis``; applied ``n`` times."""
    for _ in range(n):
        edge = list(g.shape)
        edge[axis] = 1
        zero = xp.zeros(tuple(edge), dtype=g.dtype, device=g.device)
        g = xp.concat((zero, g), axis=axis) - xp.concat((g, zero), axis=axis)
    return g


#  name               forward            vjp                    signature
CUMULATIVE = {
    "cumulative_prod": (_cumulative_prod, _cumulative_prod_vjp, cumulative_prod_signature),
    "diff":            (_diff,            _diff_vjp,            diff_signature),
}  # fmt: skip

#: Forward-mode rules (diff is linear).
JVPS = {"cumulative_prod": _cumulative_prod_jvp, "diff": linear_jvp(_diff)}
