"""Helpers that derivative rules share, written against ``xp`` like the rules themselves.

Each works on a backend's raw arrays and on ad_core tensors alike, so rules that call them stay
differentiable to every order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ad_core.errors import ShapeError

__all__ = [
    "unbroadcast",
    "broadcast_shapes",
    "normalize_axis",
    "restore_reduced",
    "where_zero",
    "zeros_like",
]


def unbroadcast(xp: Any, g: Any, shape: Sequence[int]) -> Any:
    """Sum a cotangent ``g`` back to ``shape``, undoing the broadcasting of the forward pass."""
    shape = tuple(shape)
    gshape = tuple(g.shape)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1
    )
    if axes:
        g = xp.sum(g, axis=axes, keepdims=True)
    return xp.reshape(g, shape)


def broadcast_shapes(*shapes: Sequence[int], op: str = "broadcast") -> tuple[int, ...]:
    """The shape the standard's broadcasting rules give, or :class:`ShapeError` naming ``op``."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, n in enumerate(s, start=ndim - len(s)):
            if n != 1:
                if out[i] not in (1, n):
                    listed = " and ".join(str(tuple(t)) for t in shapes)
                    raise ShapeError(f"{op}: cannot broadcast shapes {listed} together")
                out[i] = n
    return tuple(out)


def normalize_axis(axis: int | Sequence[int] | None, ndim: int, op: str = "op") -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes; None means every axis."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ShapeError(f"{op}: axis {a} is out of range for an array of {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def restore_reduced(xp: Any, g: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
    """Give a reduction's cotangent back the reduced axes (size 1) so it broadcasts to the input."""
    if keepdims or not axis:
        return g
    for a in axis:
        g = xp.expand_dims(g, axis=a)
    return g


def where_zero(xp: Any, mask: Any, g: Any) -> Any:
    """``g`` where ``mask`` holds, zero elsewhere, in ``g``'s dtype (never promoted)."""
    return xp.where(mask, g, xp.zeros_like(g))


def zeros_like(xp: Any, x: Any) -> Any:
    """Zeros of ``x``'s shape, dtype and device."""
    return xp.zeros_like(x)
