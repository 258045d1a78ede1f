"""Sorting and searching: sort, argsort, take_along_axis, searchsorted, unique_values, isin.

``sort`` and ``take_along_axis`` move elements without changing them (sort along the
permutation that sorts its input: linear wherever that permutation stays the same), so their
VJPs write the cotangent back where each element came from:

=====================================  ============================================================
``take_along_axis(x, indices, axis)``  VJP: ``g`` added at ``indices`` along ``axis`` (repeats add)
``sort(x, axis)``                      VJP: the same, with ``indices = argsort(x, axis)``
=====================================  ============================================================

The write-back goes through ``index_add`` on the flattened input (each output element's flat
position in ``x`` computed with ``arange`` and the indices), so derivatives of every order flow
through it and the NumPy and torch kernels of ``index_add`` serve the fast path. The JVPs read
the tangent at the same positions as the forward rule reads the values.

argsort, searchsorted, unique_values and isin return indices, truth values or a set of values
whose size depends on the data: they register no VJP and their results carry no history.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import DTypeError, ShapeError

from .shapes import Params, Shape, one_axis, shape_of


def _kind(x: Any) -> str:
    """The dtype kind of a tensor ("real floating", "signed integer", ...), "" if unknown."""
    return getattr(getattr(x, "dtype", None), "kind", "")


def _real(op: str, x: Any) -> None:
    """A DTypeError naming ``op`` for an input that is not real (boolean or complex)."""
    kind = _kind(x)
    if kind in ("bool", "complex floating"):
        raise DTypeError(f"{op}: needs a real-valued array, got {x.dtype.name}")


def _sort_axis(op: str, x: Any, axis: int) -> int:
    """``axis`` of ``x`` made non-negative; ShapeError for a 0-d array or an axis out of range."""
    _real(op, x)
    shape = shape_of(x)
    if shape is None:
        return axis
    if not shape:
        raise ShapeError(f"{op}: needs an array with at least one dimension, got shape ()")
    return one_axis(op, axis, len(shape))


# -- take_along_axis and its scatter-add adjoint ---------------------------------------------------


def flat_positions(xp: Any, indices: Any, shape: Shape, axis: int, out_shape: Shape) -> Any:
    """For each element of ``take_along_axis(x, indices, axis)`` (of ``out_shape``), its position
    in the flattened ``x`` of ``shape``, as a 1-D array; negative indices count from the end."""
    size = shape[axis]
    positions = xp.where(indices < 0, indices + size, indices) * math.prod(shape[axis + 1:])
    ndim = len(shape)
    stride = 1
    for d in range(ndim - 1, -1, -1):
        if d != axis and shape[d] > 1:  # an axis of size 1 is broadcast: coordinate 0
            along = (1,) * d + (shape[d],) + (1,) * (ndim - d - 1)
            coord = xp.arange(shape[d], dtype=indices.dtype, device=indices.device)
            positions = positions + xp.reshape(coord, along) * stride
        stride *= shape[d]
    return xp.reshape(xp.broadcast_to(positions, out_shape), (-1,))


def add_along_axis(xp: Any, g: Any, indices: Any, shape: Shape, axis: int) -> Any:
    """Zeros of ``shape`` with each element of ``g`` added where ``take_along_axis`` read it:
    the adjoint of ``take_along_axis(·, indices, axis)``."""
    positions = flat_positions(xp, indices, shape, axis, tuple(g.shape))
    flat = xp.index_add(xp.reshape(g, (-1,)), positions, axis=0, size=math.prod(shape))
    return xp.reshape(flat, shape)


def take_along_axis_vjp(xp: Any, g: Any, ans: Any, x: Any, indices: Any, axis: int) -> Any:
    """Add each element of ``g`` back at the index it was read from; repeated indices add up."""
    return add_along_axis(xp, g, indices, tuple(x.shape), axis)


def take_along_axis_signature(x: Any, indices: Any, /, *, axis: int = -1) -> Params:
    """take_along_axis(x, indices, /, *, axis=-1): ``out[..., j, ...] = x[..., indices[..., j,
    ...], ...]`` along ``axis``; ``indices`` has ``x``'s number of dimensions and broadcasts with
    it on the other axes. Differentiable in ``x``: indices that repeat add up their gradients."""
    if _kind(indices) and not _kind(indices).endswith("integer"):
        raise DTypeError(f"take_along_axis: indices must be integers, got {indices.dtype.name}")
    shape = shape_of(x)
    index_shape = shape_of(indices)
    if shape is None:
        return (x, indices), {"axis": axis}
    if not shape:
        raise ShapeError("take_along_axis: needs an array with at least one dimension, got "
                         "shape ()")
    axis = one_axis("take_along_axis", axis, len(shape))
    if index_shape is not None:
        if len(index_shape) != len(shape):
            raise ShapeError(f"take_along_axis: indices of shape {index_shape} for an array of "
                             f"shape {shape}; both need the same number of dimensions")
        for d, (n, m) in enumerate(zip(shape, index_shape, strict=True)):
            if d != axis and n != m and 1 not in (n, m):
                raise ShapeError(f"take_along_axis: indices of shape {index_shape} do not "
                                 f"broadcast with an array of shape {shape} outside axis {axis}")
    return (x, indices), {"axis": axis}


# -- sort and argsort ---------------------------------------------------------------------------


def sort_vjp(xp: Any, g: Any, ans: Any, x: Any, axis: int, descending: bool,
             stable: bool) -> Any:
    """Write each element of ``g`` back at the place its value held in ``x``."""
    order = xp.argsort(x, axis=axis, descending=descending, stable=True)
    return add_along_axis(xp, g, order, tuple(x.shape), axis)


def sort_jvp(xp: Any, tangents: list[Any], ans: Any, x: Any, axis: int, descending: bool,
             stable: bool) -> Any:
    """The tangent moved as the values are: read at ``argsort(x)``."""
    order = xp.argsort(x, axis=axis, descending=descending, stable=True)
    return xp.take_along_axis(tangents[0], order, axis=axis)


def sort_signature(x: Any, /, *, axis: int = -1, descending: bool = False,
                   stable: bool = True) -> Params:
    """sort(x, /, *, axis=-1, descending=False, stable=True): ``x`` sorted along ``axis``.

    Differentiable: the gradient goes back through the sorting permutation (where values tie,
    each tied place gets the gradient of one of the sorted places they fill).
    """
    return (x,), {"axis": _sort_axis("sort", x, axis), "descending": bool(descending),
                  "stable": bool(stable)}


def argsort_signature(x: Any, /, *, axis: int = -1, descending: bool = False,
                      stable: bool = True) -> Params:
    """argsort(x, /, *, axis=-1, descending=False, stable=True): the indices that sort ``x``
    along ``axis`` (``take_along_axis(x, argsort(x))`` is ``sort(x)``). Not differentiable."""
    return (x,), {"axis": _sort_axis("argsort", x, axis), "descending": bool(descending),
                  "stable": bool(stable)}


# -- searching and sets -------------------------------------------------------------------------


def searchsorted_signature(x1: Any, x2: Any, /, *, side: str = "left",
                           sorter: Any = None) -> Params:
    """searchsorted(x1, x2, /, *, side="left", sorter=None): for each element of ``x2``, the
    index at which inserting it keeps the 1-D ``x1`` sorted (before equal elements for
    ``side="left"``, after them for ``"right"``); ``sorter``, when given, holds the indices that
    sort ``x1``. Not differentiable."""
    _real("searchsorted", x1)
    _real("searchsorted", x2)
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    shape = shape_of(x1)
    if shape is not None and len(shape) != 1:
        raise ShapeError(f"searchsorted: x1 must be 1-D, got shape {shape}")
    if sorter is not None:
        sorter = getattr(sorter, "array", sorter)  # an ad_core tensor: its backend array
        sorter_shape = shape_of(sorter)
        if shape is not None and sorter_shape is not None and sorter_shape != shape:
            raise ShapeError(f"searchsorted: sorter of shape {sorter_shape} for x1 of shape "
                             f"{shape}; expected the same shape")
    return (x1, x2), {"side": side, "sorter": sorter}


def unique_values_signature(x: Any, /) -> Params:
    """unique_values(x, /): the distinct elements of ``x``, as a 1-D array (sorted on NumPy,
    torch and array-api-strict; the standard leaves the order open). Not differentiable."""
    return (x,), {}


def isin_signature(x1: Any, x2: Any, /, *, invert: bool = False) -> Params:
    """isin(x1, x2, /, *, invert=False): whether each element of ``x1`` occurs in ``x2`` (or,
    with ``invert=True``, does not), as a boolean array of ``x1``'s shape; either may be a Python
    scalar. Not differentiable."""
    _real("isin", x1)
    _real("isin", x2)
    return (x1, x2), {"invert": bool(invert)}


def _isin(xp: Any, x1: Any, x2: Any, invert: bool) -> Any:
    """Look each element of ``x1`` up in the sorted elements of ``x2`` (either may be a Python
    scalar, taken as a 0-d array of the other's dtype)."""
    if isinstance(x1, int | float):
        x1 = xp.asarray(x1, dtype=x2.dtype, device=x2.device)
    if isinstance(x2, int | float):
        x2 = xp.asarray(x2, dtype=x1.dtype, device=x1.device)
    values = xp.sort(xp.reshape(x2, (-1,)))
    if values.shape[0] == 0:
        found = xp.zeros(x1.shape, dtype=xp.bool, device=x1.device)
    else:
        where = xp.searchsorted(values, xp.astype(xp.reshape(x1, (-1,)), values.dtype))
        nearest = xp.take(values, xp.clip(where, max=values.shape[0] - 1))
        found = xp.reshape(nearest == xp.reshape(x1, (-1,)), x1.shape)
    return xp.logical_not(found) if invert else found


def _take_along_axis(xp: Any, x: Any, indices: Any, axis: int) -> Any:
    return xp.take_along_axis(x, indices, axis=axis)


def _take_along_axis_jvp(xp: Any, tangents: list[Any], ans: Any, x: Any, indices: Any,
                         axis: int) -> Any:
    return xp.take_along_axis(tangents[0], indices, axis=axis)


def _sort(xp: Any, x: Any, axis: int, descending: bool, stable: bool) -> Any:
    return xp.sort(x, axis=axis, descending=descending, stable=stable)


def _argsort(xp: Any, x: Any, axis: int, descending: bool, stable: bool) -> Any:
    return xp.argsort(x, axis=axis, descending=descending, stable=stable)


def _searchsorted(xp: Any, x1: Any, x2: Any, side: str, sorter: Any) -> Any:
    return xp.searchsorted(x1, x2, side=side, sorter=sorter)


#  name               forward            VJPs (None: no derivative)    JVP                    signature                  input domain
SORTING = {
    "take_along_axis": (_take_along_axis, [take_along_axis_vjp, None], _take_along_axis_jvp, take_along_axis_signature, ("real", "index")),
    "sort":            (_sort,            [sort_vjp],                  sort_jvp,              sort_signature,            "real"),
    "argsort":         (_argsort,         None,                        None,                  argsort_signature,         "real"),
    "searchsorted":    (_searchsorted,    None,                        None,                  searchsorted_signature,    "real"),
    "unique_values":   (lambda xp, x: xp.unique_values(x),
                                          None,                        None,                  unique_values_signature,   "real"),
    "isin":            (_isin,            None,                        None,                  isin_signature,            "real"),
}  # fmt: skip
