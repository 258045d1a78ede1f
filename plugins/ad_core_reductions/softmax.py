"""logsumexp, softmax and log_softmax: the normalisers of classification, computed stably.

Each forward pass subtracts the maximum before exponentiating, so logits of 1000 in float32 give
finite results; where the maximum is itself infinite it is replaced by 0, so a slice of ``-inf``
gives ``-inf`` (logsumexp) rather than NaN. The slope of logsumexp is softmax, computed from x
like the forward pass (not as exp(x - logsumexp(x)), which goes wrong once the logsumexp rounds:
[1, 1] rather than [1/2, 1/2] at [1e16, 1e16]); softmax's Jacobian is ``diag(s) - s sᵀ``.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import restore_reduced

from ._axes import Axis, Params, one_axis, reduced_axes, shape_of


def logsumexp_signature(x: Any, /, *, axis: Axis = None, keepdims: bool = False) -> Params:
    """logsumexp(x, /, *, axis=None, keepdims=False): log(sum(exp(x))) over ``axis``, stably.

    An empty axis gives ``-inf`` (the log of an empty sum).
    """
    return (x,), {"axis": reduced_axes("logsumexp", x, axis), "keepdims": keepdims}


def softmax_signature(x: Any, /, axis: int = -1) -> Params:
    """softmax(x, /, axis=-1): exp(x) normalised to sum to 1 along ``axis``, stably."""
    return (x,), {"axis": _axis("softmax", x, axis)}


def log_softmax_signature(x: Any, /, axis: int = -1) -> Params:
    """log_softmax(x, /, axis=-1): x - logsumexp(x) along ``axis``, stably."""
    return (x,), {"axis": _axis("log_softmax", x, axis)}


def _axis(op: str, x: Any, axis: int) -> tuple[int, ...]:
    """One axis as a 1-tuple (what the reductions inside take); ``()`` for a 0-d input."""
    if not shape_of(op, x):
        return reduced_axes(op, x, axis)
    return (one_axis(op, x, axis),)


def _finite_max(xp: Any, x: Any, axis: tuple[int, ...]) -> Any:
    """The maximum along ``axis`` (kept), or 0 where it is infinite: the shift that keeps
    every exponent at most 0 without turning ``inf - inf`` into NaN."""
    top = xp.max(x, axis=axis, keepdims=True)
    return xp.where(xp.isfinite(top), top, xp.zeros_like(top))


def _empty(x: Any, axis: tuple[int, ...]) -> bool:
    return any(x.shape[a] == 0 for a in axis)


def _logsumexp(xp: Any, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    if _empty(x, axis):  # the log of an empty sum
        return xp.full_like(xp.sum(x, axis=axis, keepdims=keepdims), -math.inf)
    top = _finite_max(xp, x, axis)
    out = xp.log(xp.sum(xp.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else xp.squeeze(out, axis=axis)


def _softmax(xp: Any, x: Any, axis: tuple[int, ...]) -> Any:
    if _empty(x, axis):
        return xp.exp(x)
    e = xp.exp(x - _finite_max(xp, x, axis))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _log_softmax(xp: Any, x: Any, axis: tuple[int, ...]) -> Any:
    if _empty(x, axis):
        return x
    s = x - _finite_max(xp, x, axis)
    return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))


#  name           forward        vjp: g -> cotangent of x
SOFTMAX = {
    "logsumexp":   (_logsumexp,   lambda xp, g, ans, x, axis, keepdims:
                                      restore_reduced(xp, g, axis, keepdims) * _softmax(xp, x, axis),
                    logsumexp_signature),
    "softmax":     (_softmax,     lambda xp, g, ans, x, axis:
                                      ans * (g - xp.sum(g * ans, axis=axis, keepdims=True)),
                    softmax_signature),
    "log_softmax": (_log_softmax, lambda xp, g, ans, x, axis:
                                      g - xp.exp(ans) * xp.sum(g, axis=axis, keepdims=True),
                    log_softmax_signature),
}  # fmt: skip


#: Forward-mode rules: softmax's Jacobian ``diag(s) - s sᵀ`` is symmetric, so its JVP is its VJP
#: with the tangent for ``g``; log_softmax's is ``I - 1 sᵀ``, logsumexp's the row ``sᵀ``.
#  name           jvp: tangents -> tangent of the result
JVPS = {
    "logsumexp":   lambda xp, tangents, ans, x, axis, keepdims:
                       xp.sum(tangents[0] * _softmax(xp, x, axis), axis=axis, keepdims=keepdims),
    "softmax":     lambda xp, tangents, ans, x, axis:
                       ans * (tangents[0] - xp.sum(tangents[0] * ans, axis=axis, keepdims=True)),
    "log_softmax": lambda xp, tangents, ans, x, axis:
                       tangents[0] - xp.sum(xp.exp(ans) * tangents[0], axis=axis, keepdims=True),
}  # fmt: skip
