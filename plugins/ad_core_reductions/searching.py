"""Reductions with integer or boolean results: argmax, argmin, count_nonzero, all, any.

They have no derivative (their results are indices, counts and truth values), so they register
no VJP and their results carry no history.
"""

from __future__ import annotations

from typing import Any

from ._axes import Axis, Params, nonempty, one_axis, reduced_axes, shape_of


def _arg_axis(op: str, x: Any, axis: int | None) -> int | None:
    """argmax/argmin take one axis, or None for the index into the flattened array."""
    if axis is None:
        shape = shape_of(op, x)
        nonempty(op, x, tuple(range(len(shape))))
        return None
    if not shape_of(op, x):
        reduced_axes(op, x, axis)  # checks that 0 or -1 was given
        return None
    a = one_axis(op, x, axis)
    nonempty(op, x, (a,))
    return a


def argmax_signature(x: Any, /, *, axis: int | None = None, keepdims: bool = False) -> Params:
    """argmax(x, /, *, axis=None, keepdims=False): index of the first largest element.

    With ``axis=None`` the index is into the flattened array. Not differentiable.
    """
    return (x,), {"axis": _arg_axis("argmax", x, axis), "keepdims": keepdims}


def argmin_signature(x: Any, /, *, axis: int | None = None, keepdims: bool = False) -> Params:
    """argmin(x, /, *, axis=None, keepdims=False): index of the first smallest element.

    With ``axis=None`` the index is into the flattened array. Not differentiable.
    """
    return (x,), {"axis": _arg_axis("argmin", x, axis), "keepdims": keepdims}


def count_nonzero_signature(x: Any, /, *, axis: Axis = None, keepdims: bool = False) -> Params:
    """count_nonzero(x, /, *, axis=None, keepdims=False): how many elements are not zero."""
    return (x,), {"axis": reduced_axes("count_nonzero", x, axis), "keepdims": keepdims}


def all_signature(x: Any, /, *, axis: Axis = None, keepdims: bool = False) -> Params:
    """all(x, /, *, axis=None, keepdims=False): whether every element along ``axis`` is true."""
    return (x,), {"axis": reduced_axes("all", x, axis), "keepdims": keepdims}


def any_signature(x: Any, /, *, axis: Axis = None, keepdims: bool = False) -> Params:
    """any(x, /, *, axis=None, keepdims=False): whether some element along ``axis`` is true."""
    return (x,), {"axis": reduced_axes("any", x, axis), "keepdims": keepdims}


def _count_nonzero(xp: Any, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    if not axis and x.ndim:  # no axis to reduce; torch's wrapper would read () as every axis
        return xp.count_nonzero(xp.expand_dims(x, axis=0), axis=0)
    return xp.count_nonzero(x, axis=axis, keepdims=keepdims)


#  name             forward                                                                 signature                 input domain
SEARCHING = {
    "argmax":        (lambda xp, x, axis, keepdims: xp.argmax(x, axis=axis, keepdims=keepdims),        argmax_signature,         "real"),
    "argmin":        (lambda xp, x, axis, keepdims: xp.argmin(x, axis=axis, keepdims=keepdims),        argmin_signature,         "real"),
    "count_nonzero": (_count_nonzero,                                                                  count_nonzero_signature,  "real"),
    "all":           (lambda xp, x, axis, keepdims: xp.all(x, axis=axis, keepdims=keepdims),           all_signature,            "bool"),
    "any":           (lambda xp, x, axis, keepdims: xp.any(x, axis=axis, keepdims=keepdims),           any_signature,            "bool"),
}  # fmt: skip
