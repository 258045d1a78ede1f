"""The standard's functions that return several arrays, or a shape: broadcast_arrays, meshgrid,
unstack, broadcast_shapes.

An op has one output, so these are not ops: each is a plain function that calls registered ops
(``broadcast_to``, ``reshape``, ``getitem``) once per output, so every output records its own
history and gradients flow back through each of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ad_core.autograd.recording import function_for
from ad_core.errors import ShapeError
from ad_core.ops import helpers
from ad_core.ops.registry import get_op

__all__ = ["broadcast_arrays", "broadcast_shapes", "meshgrid", "unstack"]


def _op(name: str) -> Any:
    return function_for(get_op(name))


def _shape(op: str, x: Any) -> tuple[int, ...]:
    shape = getattr(x, "shape", None)
    if shape is None:
        raise TypeError(f"{op}: takes arrays, got {type(x).__name__} (wrap it with ad.tensor(...))")
    return tuple(shape)


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """broadcast_shapes(*shapes): the shape that arrays of ``shapes`` broadcast to (``()`` for
    none); :class:`ShapeError` when they do not broadcast."""
    return helpers.broadcast_shapes(*(tuple(s) for s in shapes), op="broadcast_shapes")


def broadcast_arrays(*arrays: Any) -> list[Any]:
    """broadcast_arrays(*arrays): the arrays broadcast to one shape (each differentiable)."""
    shape = helpers.broadcast_shapes(*(_shape("broadcast_arrays", a) for a in arrays),
                                     op="broadcast_arrays")
    broadcast_to = _op("broadcast_to")
    return [broadcast_to(a, shape) for a in arrays]


def meshgrid(*arrays: Any, indexing: str = "xy") -> list[Any]:
    """meshgrid(*arrays, indexing="xy"): coordinate grids from 1-D arrays.

    With ``indexing="ij"`` output ``i`` varies along axis ``i`` and has shape ``(n0, n1, ...)``;
    with ``"xy"`` (Cartesian) the first two axes are swapped. Each output is differentiable in
    its array.
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    sizes = []
    for a in arrays:
        shape = _shape("meshgrid", a)
        if len(shape) != 1:
            raise ShapeError(f"meshgrid: takes 1-D arrays, got shape {shape}")
        sizes.append(shape[0])
    ndim = len(sizes)
    axes = list(range(ndim))
    if indexing == "xy" and ndim > 1:
        axes[0], axes[1] = 1, 0
    shape = [sizes[axes.index(d)] for d in range(ndim)]
    reshape, broadcast_to = _op("reshape"), _op("broadcast_to")
    out = []
    for a, axis in zip(arrays, axes, strict=True):
        column = [1] * ndim
        column[axis] = shape[axis]
        out.append(broadcast_to(reshape(a, tuple(column)), tuple(shape)))
    return out


def unstack(x: Any, /, *, axis: int = 0) -> tuple[Any, ...]:
    """unstack(x, /, *, axis=0): the slices of ``x`` along ``axis``, a tuple of arrays of one
    dimension fewer (the inverse of ``stack``); each is differentiable."""
    shape = _shape("unstack", x)
    if not -len(shape) <= axis < len(shape):
        raise ShapeError(f"unstack: axis {axis} is out of range for an array of shape {shape}")
    axis %= len(shape)
    getitem = _op("getitem")
    return tuple(getitem(x, (slice(None),) * axis + (i, ...)) for i in range(shape[axis]))
