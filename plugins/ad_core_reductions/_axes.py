"""What every reduction's ``signature`` shares: refusing Python scalars and normalising ``axis``.

A reduction's rules receive ``axis`` as a sorted tuple of non-negative axes (``()`` for a 0-d
input), so the VJP can give the cotangent back exactly the axes the forward pass removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ad_core.extend import DTypeError, ShapeError, normalize_axis

#: What a user may pass as ``axis``.
Axis = int | Sequence[int] | None
#: What a ``signature`` returns: the op's inputs and its keyword parameters.
Params = tuple[tuple[Any, ...], dict[str, Any]]

_SCALARS = (bool, int, float, complex)


def shape_of(op: str, x: Any) -> tuple[int, ...]:
    """``x``'s shape (an array's, or a nested list's); a bare Python number is refused."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(x, _SCALARS):
        raise DTypeError(
            f"{op}: takes an array, not a Python {type(x).__name__} ({x!r}); "
            f"wrap it with ad.tensor(...)"
        )
    dims = []
    while isinstance(x, list | tuple):
        dims.append(len(x))
        if not x:
            break
        x = x[0]
    return tuple(dims)


def reduced_axes(op: str, x: Any, axis: Axis) -> tuple[int, ...]:
    """``axis`` as the rules want it: sorted, non-negative, every axis for None, ``()`` for 0-d."""
    ndim = len(shape_of(op, x))
    if ndim == 0:
        normalize_axis(axis, 0, op)  # only None, 0, -1 and () name the axes of a 0-d array
        return ()
    return normalize_axis(axis, ndim, op)


def one_axis(op: str, x: Any, axis: int) -> int:
    """A single axis of an array of at least one dimension, as a non-negative int."""
    shape = shape_of(op, x)
    if not shape:
        raise ShapeError(f"{op}: needs an array of at least one dimension, got shape ()")
    if not isinstance(axis, int):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    return normalize_axis(axis, len(shape), op)[0]


def nonempty(op: str, x: Any, axes: tuple[int, ...]) -> None:
    """Refuse to reduce over an empty axis where the result would be undefined (max, argmin)."""
    shape = shape_of(op, x)
    if any(shape[a] == 0 for a in axes):
        raise ShapeError(
            f"{op}: cannot reduce shape {shape} over axes {axes}: an empty axis has no {op}"
        )


def count(shape: Sequence[int], axes: tuple[int, ...]) -> int:
    """How many elements each reduced value summarises."""
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def cumulative_params(op: str, x: Any, axis: int | None, dtype: Any,
                      include_initial: bool) -> dict[str, Any]:
    """The params of a cumulative op (``cumulative_sum``, ``cumulative_prod``): ``axis`` checked
    and made non-negative; it may be omitted only for 1-D input, as the standard says."""
    shape = shape_of(op, x)
    if axis is None:
        if len(shape) != 1:
            raise ShapeError(f"{op}: axis is required for an input of shape {shape}; only 1-D "
                             f"input may omit it")
        axis = 0
    return {"axis": one_axis(op, x, axis), "dtype": dtype, "include_initial": include_initial}
