"""The standard's searching and set functions that return several arrays: nonzero,
unique_all, unique_counts, unique_inverse.

An op has one output, so these are not ops: each is a plain function built from registered ops
(``unique_values``, ``sort``, ``argsort``, ``searchsorted``, ``take``, ``getitem``). Their results
are indices, counts and distinct values, none of them differentiable.

The counts, first indices and inverse indices come from searching the distinct values in the
sorted elements, so NaNs (which compare unequal to everything, themselves included) are not
supported: their counts and indices are unspecified.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ad_core.array_api.creation import ones_like
from ad_core.autograd.recording import function_for
from ad_core.dtypes import bool as bool_dtype
from ad_core.dtypes import int64, uint8
from ad_core.errors import ShapeError
from ad_core.ops.registry import get_op

__all__ = ["nonzero", "unique_all", "unique_counts", "unique_inverse"]


class UniqueAllResult(NamedTuple):
    values: Any
    indices: Any
    inverse_indices: Any
    counts: Any


class UniqueCountsResult(NamedTuple):
    values: Any
    counts: Any


class UniqueInverseResult(NamedTuple):
    values: Any
    inverse_indices: Any


def _op(name: str) -> Any:
    return function_for(get_op(name))


def _shape(op: str, x: Any) -> tuple[int, ...]:
    shape = getattr(x, "shape", None)
    if shape is None:
        raise TypeError(f"{op}: takes an array, got {type(x).__name__} (wrap it with ad.tensor(...))")
    return tuple(shape)


def nonzero(x: Any, /) -> tuple[Any, ...]:
    """nonzero(x, /): the indices of the elements of ``x`` that are not zero (true), one int64
    array per axis, in row-major order. ``x`` needs at least one dimension."""
    shape = _shape("nonzero", x)
    if not shape:
        raise ShapeError("nonzero: needs an array with at least one dimension, got shape ()")
    mask = x if x.dtype == bool_dtype else _op("not_equal")(x, 0)
    # the coordinate along axis d of every element: a running count of ones along d, less one
    counter = ones_like(x, dtype=int64)
    cumulative_sum = _op("cumulative_sum")
    return tuple(cumulative_sum(counter, axis=d)[mask] - 1 for d in range(len(shape)))


def _flat(op: str, x: Any) -> tuple[Any, bool]:
    """``x`` as a 1-D array, booleans as uint8 (sort and search take real numbers); and whether
    ``x`` was boolean."""
    _shape(op, x)
    flat = _op("reshape")(x, (-1,))
    if x.dtype == bool_dtype:
        return _op("astype")(flat, uint8), True
    return flat, False


def _unique(op: str, x: Any) -> tuple[Any, ...]:
    """(distinct values as shown, distinct values as searched, the flat elements, where each
    value's run starts and ends in the sorted elements)."""
    flat, boolean = _flat(op, x)
    values = _op("unique_values")(flat)
    ordered = _op("sort")(flat)
    searchsorted = _op("searchsorted")
    starts = searchsorted(ordered, values, side="left")
    ends = searchsorted(ordered, values, side="right")
    shown = _op("astype")(values, bool_dtype) if boolean else values
    return shown, values, flat, starts, ends


def unique_counts(x: Any, /) -> UniqueCountsResult:
    """unique_counts(x, /): the distinct elements of ``x`` (sorted) and how often each occurs."""
    shown, _, _, starts, ends = _unique("unique_counts", x)
    return UniqueCountsResult(shown, ends - starts)


def unique_inverse(x: Any, /) -> UniqueInverseResult:
    """unique_inverse(x, /): the distinct elements of ``x`` (sorted) and, for each element of
    ``x``, the index of its value among them (an array of ``x``'s shape)."""
    shown, values, flat, _, _ = _unique("unique_inverse", x)
    inverse = _op("reshape")(_op("searchsorted")(values, flat), tuple(x.shape))
    return UniqueInverseResult(shown, inverse)


def unique_all(x: Any, /) -> UniqueAllResult:
    """unique_all(x, /): the distinct elements of ``x`` (sorted), the flat index of each one's
    first occurrence, the inverse indices (``x``'s shape) and the counts."""
    shown, values, flat, starts, ends = _unique("unique_all", x)
    order = _op("argsort")(flat, stable=True)
    indices = _op("take")(order, starts, axis=0)
    inverse = _op("reshape")(_op("searchsorted")(values, flat), tuple(x.shape))
    return UniqueAllResult(shown, indices, inverse, ends - starts)
