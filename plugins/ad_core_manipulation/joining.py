"""Joining arrays: concat and stack, variadic ops whose inputs are the arrays of a sequence.

Their VJP is one rule called once per input (``argnum``): the slice of the cotangent that the
input's elements went to, which for concat is a block along the axis and for stack one index.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ad_core.extend import ShapeError

from .shapes import Params, shape_of


def _shapes(op: str, arrays: Sequence[Any]) -> list[tuple[int, ...]] | None:
    """The inputs' shapes, or None when some input is not an array yet (Python data)."""
    if isinstance(arrays, str) or not isinstance(arrays, Sequence) or not arrays:
        raise ShapeError(f"{op}: expects a non-empty list or tuple of arrays, got {arrays!r}")
    shapes = [shape_of(a) for a in arrays]
    return None if any(s is None for s in shapes) else shapes  # type: ignore[return-value]


def concat_signature(arrays: Sequence[Any], /, *, axis: int | None = 0) -> Params:
    """concat(arrays, /, *, axis=0): the arrays joined along an existing axis (flattened first if
    ``axis`` is None); they must agree in shape except along ``axis``."""
    shapes = _shapes("concat", arrays)
    if shapes is not None and axis is not None:
        first = shapes[0]
        ndim = len(first)
        if ndim == 0:
            raise ShapeError("concat: 0-d arrays have no axis to join along; use stack")
        if not -ndim <= axis < ndim:
            raise ShapeError(f"concat: axis {axis} is out of range for arrays of shape {first}")
        axis %= ndim
        for s in shapes[1:]:
            if len(s) != ndim or s[:axis] + s[axis + 1:] != first[:axis] + first[axis + 1:]:
                listed = ", ".join(str(t) for t in shapes)
                raise ShapeError(
                    f"concat: arrays of shapes {listed} must agree in every axis but axis {axis}"
                )
    return tuple(arrays), {"axis": axis}


def stack_signature(arrays: Sequence[Any], /, *, axis: int = 0) -> Params:
    """stack(arrays, /, *, axis=0): the arrays, all of one shape, joined along a new axis."""
    shapes = _shapes("stack", arrays)
    if shapes is not None:
        if any(s != shapes[0] for s in shapes):
            listed = ", ".join(str(t) for t in shapes)
            raise ShapeError(f"stack: arrays of shapes {listed} must all have the same shape")
        ndim = len(shapes[0]) + 1
        if not -ndim <= axis < ndim:
            raise ShapeError(
                f"stack: axis {axis} is out of range for stacking arrays of shape {shapes[0]}"
            )
        axis %= ndim
    return tuple(arrays), {"axis": axis}


def concat_vjp(xp: Any, g: Any, ans: Any, *arrays: Any, argnum: int, axis: int | None) -> Any:
    """The block of the cotangent that input ``argnum`` filled."""
    if axis is None:
        start = sum(math.prod(a.shape) for a in arrays[:argnum])
        x = arrays[argnum]
        return xp.reshape(g[start:start + math.prod(x.shape)], x.shape)
    start = sum(a.shape[axis] for a in arrays[:argnum])
    block = slice(start, start + arrays[argnum].shape[axis])
    return g[(slice(None),) * axis + (block, ...)]


def stack_vjp(xp: Any, g: Any, ans: Any, *arrays: Any, argnum: int, axis: int) -> Any:
    """The cotangent's slice at index ``argnum`` of the new axis."""
    return g[(slice(None),) * axis + (argnum, ...)]


#  name      forward                                               vjp
JOINING = {
    "concat": (lambda xp, *arrays, axis: xp.concat(arrays, axis=axis), concat_vjp),
    "stack":  (lambda xp, *arrays, axis: xp.stack(arrays, axis=axis),  stack_vjp),
}  # fmt: skip

SIGNATURES = {"concat": concat_signature, "stack": stack_signature}
