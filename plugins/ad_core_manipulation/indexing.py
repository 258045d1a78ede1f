"""Indexing: ``x[key]`` (the op ``getitem``), ``take``, and the two scatter-adds that are their
adjoints.

Reading elements is linear, so its VJP writes the cotangent back where the elements came from,
adding where one element was read several times (an index array with repeats). Each write-back
is an op of its own, so that derivatives of any order flow through it:

====================================  ==========================================================
``getitem(x, key)``  = ``x[key]``     VJP: ``scatter_add(g, key, x.shape)``
``scatter_add(values, key, shape)``   VJP: ``g[key]``
``take(x, indices, axis=a)``          VJP: ``index_add(g, indices, axis=a, size=x.shape[a])``
``index_add(values, indices, ...)``   VJP: ``take(g, indices, axis=a)``
====================================  ==========================================================

The generic scatter-adds use standard functions only: a fresh array of zeros written with
``__setitem__`` where no position repeats (basic keys, boolean masks), and otherwise a segmented
sum over the sorted positions. The NumPy and PyTorch backends override them with their fused
kernels (``np.add.at``, ``index_add_``); the rules here stay the reference.

Keys are normalised once, in the signature, into what every backend accepts: ad_core tensors
and Python lists become the backend's arrays, a slice with a negative step becomes a positive one
on the input flipped along that axis (PyTorch has no negative steps), and a key of basic entries
gets the trailing ellipsis the standard asks for. What a key may mix beyond that (integer arrays
with slices, boolean masks that are not the whole key) is up to the backend: NumPy and PyTorch
accept NumPy's rules, array-api-strict only what the standard specifies.
"""

from __future__ import annotations

import math
import operator
from typing import Any

from ad_core.extend import Backend, DTypeError, ShapeError, where_zero

from .shapes import Params, one_axis, shape_of

#: Types of the entries a key may hold besides arrays.
_ENTRIES = (int, slice, type(None), type(Ellipsis))


def is_tensor(a: Any) -> bool:
    """Whether ``a`` is an ad_core tensor (it knows its backend); raw backend arrays do not."""
    return isinstance(getattr(a, "backend", None), Backend)


# -- keys -----------------------------------------------------------------------------------------


def lean_key(key: Any) -> tuple[Any, ...] | None:
    """A key of ints, slices with positive steps, None and Ellipsis, as a tuple that ends in (or
    holds) an ellipsis; None for any other key. This is the common case, kept short."""
    parts = key if type(key) is tuple else (key,)
    for k in parts:
        kind = type(k)
        if kind is slice:
            if k.step is not None and k.step < 0:
                return None
        elif kind is not int and k is not None and k is not Ellipsis:
            return None
    return parts if Ellipsis in parts else (*parts, Ellipsis)


def check_width(op: str, key: tuple[Any, ...], shape: tuple[int, ...] | None) -> None:
    """A ShapeError naming ``op`` when a lean ``key`` indexes more axes than ``shape`` has (None:
    a scalar operand, unchecked)."""
    if shape is None:
        return
    width = sum(1 for k in key if k is not None and k is not Ellipsis)
    if width > len(shape):
        raise ShapeError(f"{op}: {width} indices for an array of shape {tuple(shape)} "
                         f"({len(shape)} axes)")


def key_params(op: str, like: Any, shape: tuple[int, ...], key: Any) -> dict[str, Any]:
    """Params for a key with arrays or negative steps: ``key`` with raw backend arrays in it,
    plus ``flip``, the input axes to reverse first, when some slice steps backwards."""
    if not is_tensor(like):
        raise TypeError(f"{op}: needs an ad_core tensor to index, got {type(like).__name__}")
    backend = like.backend
    parts = key if type(key) is tuple else (key,)
    entries: list[Any] = []
    widths: list[int] = []  # input axes each entry consumes (an ellipsis: none counted yet)
    has_arrays = False
    for k in parts:
        if type(k) in _ENTRIES or type(k) is bool:
            entries.append(k)
            widths.append(1 if type(k) in (int, slice) else 0)
            continue
        if getattr(k, "ndim", 0) == 0 and not isinstance(k, list | tuple):
            try:  # a NumPy integer, a 0-d integer tensor: a plain int
                entries.append(operator.index(k))
                widths.append(1)
                continue
            except TypeError:
                pass
        k = _index_array(op, backend, like, k)
        kind = backend.dtype_of(k).kind
        if kind not in ("bool", "signed integer", "unsigned integer"):
            raise TypeError(f"{op}: index arrays must hold integers or booleans, not {kind}")
        entries.append(k)
        widths.append(k.ndim if kind == "bool" else 1)
        has_arrays = True
    if sum(widths) > len(shape):
        raise ShapeError(f"{op}: {sum(widths)} indices for an array of shape {tuple(shape)} "
                         f"({len(shape)} axes)")
    params: dict[str, Any] = {}
    if any(type(k) is slice and k.step is not None and k.step < 0 for k in entries):
        params["flip"] = _unflip(op, entries, widths, shape)
    if not has_arrays and not any(k is Ellipsis for k in entries):
        entries.append(Ellipsis)
    params["key"] = tuple(entries)
    return params


def _index_array(op: str, backend: Backend, like: Any, k: Any) -> Any:
    """An index entry that is an array (a tensor, a list, another library's array) as a raw
    array of ``backend``."""
    if is_tensor(k):
        if k.backend is not backend:
            raise TypeError(
                f"{op}: the index lives on backend {k.backend.name!r}, the indexed tensor on "
                f"{backend.name!r}; move one with .to(backend=...)"
            )
        return k.array
    if backend.owns(k):
        return k
    if isinstance(k, list | tuple) and len(k) == 0:
        return backend.asarray(k, dtype="int64", device=like.device)
    return backend.asarray(k, device=like.device)


def _unflip(op: str, entries: list[Any], widths: list[int],
            shape: tuple[int, ...]) -> tuple[int, ...]:
    """Rewrite, in place, each slice with a negative step as the positive slice that picks the
    same elements from the input flipped along its axis; return the axes to flip."""
    rest = len(shape) - sum(widths)  # axes the ellipsis stands for
    if rest < 0:
        raise IndexError(f"{op}: {sum(widths)} indices for an array of shape {shape}")
    flip = []
    axis = 0
    for i, (k, width) in enumerate(zip(entries, widths, strict=True)):
        if k is Ellipsis:
            axis += rest
            continue
        if type(k) is slice and k.step is not None and k.step < 0:
            n = shape[axis]
            start, stop, step = k.indices(n)
            # element start + j*step of x is element (n-1-start) - j*step of flip(x)
            entries[i] = slice(n - 1 - start, n - 1 - stop, -step)
            flip.append(axis)
        axis += width
    return tuple(flip)


def _has_index_arrays(xp: Any, key: tuple[Any, ...]) -> bool:
    """Whether ``key`` holds an integer array (so positions may repeat) or mixes a boolean array
    with new axes (which ``__setitem__`` does not take everywhere)."""
    arrays = [k for k in key if not isinstance(k, _ENTRIES)]
    if not arrays:
        return False
    return any(k is None for k in key) or not all(
        type(k) is bool or xp.isdtype(k.dtype, "bool") for k in arrays
    )


# -- the generic scatter-adds ---------------------------------------------------------------------


def segment_sum(xp: Any, index: Any, values: Any, size: int) -> Any:
    """``out[j] = sum of values[i] over i with index[i] == j``, for j < ``size``, along axis 0.

    Standard functions only: sort the rows by index, run a segmented inclusive scan (Hillis and
    Steele: log2(n) rounds, each adding the row ``step`` places back where it has the same index,
    so sums are pairwise and exact for repeats of one value), then read each index's total from
    the last row of its run.
    """
    count = index.shape[0]
    rest = tuple(values.shape[1:])
    if count == 0:
        return xp.zeros((size, *rest), dtype=values.dtype, device=values.device)
    index = xp.where(index < 0, index + size, index)
    order = xp.argsort(index, stable=True)
    index = xp.take(index, order)
    values = xp.take(values, order, axis=0)
    column = (1,) * len(rest)
    step = 1
    while step < count:
        same = xp.reshape(index[step:] == index[:-step], (count - step, *column))
        values = xp.concat(
            [values[:step, ...], values[step:, ...] + where_zero(xp, same, values[:-step, ...])],
            axis=0,
        )
        step *= 2
    slots = xp.arange(size, dtype=index.dtype, device=values.device)
    first = xp.searchsorted(index, slots, side="left")
    after = xp.searchsorted(index, slots, side="right")
    totals = xp.take(values, xp.clip(after - 1, min=0), axis=0)
    return where_zero(xp, xp.reshape(after > first, (size, *column)), totals)


def scatter_add(xp: Any, values: Any, key: tuple[Any, ...], shape: tuple[int, ...],
                flip: tuple[int, ...] | None = None) -> Any:
    """Zeros of ``shape`` with ``values`` added at ``key``: the adjoint of ``x[key]``."""
    if _has_index_arrays(xp, key):
        size = math.prod(shape)
        positions = xp.reshape(xp.arange(size, device=values.device), shape)[key]
        if tuple(values.shape) != tuple(positions.shape):
            values = xp.broadcast_to(values, positions.shape)
        flat = segment_sum(xp, xp.reshape(positions, (-1,)), xp.reshape(values, (-1,)), size)
        out = xp.reshape(flat, shape)
    else:  # no position repeats: write the values into fresh zeros
        out = xp.zeros(shape, dtype=values.dtype, device=values.device)
        if any(k is None for k in key):  # not every backend writes through new axes
            bare = tuple(k for k in key if k is not None)
            values = xp.reshape(xp.broadcast_to(values, out[key].shape), out[bare].shape)
            key = bare
        # a lone mask goes bare: array-api-strict converts a tuple key holding an array to NumPy,
        # which fails off its CPU device
        out[key[0] if len(key) == 1 else key] = values
    return xp.flip(out, axis=flip) if flip else out


def index_add(xp: Any, values: Any, indices: Any, axis: int, size: int) -> Any:
    """Zeros with ``values``' shape but ``size`` along ``axis``, with ``values[..., i, ...]``
    added at index ``indices[i]`` of that axis: the adjoint of ``take``."""
    if axis == 0:
        return segment_sum(xp, indices, values, size)
    summed = segment_sum(xp, indices, xp.moveaxis(values, axis, 0), size)
    return xp.moveaxis(summed, 0, axis)


# -- forward rules and VJPs -----------------------------------------------------------------------


def getitem(xp: Any, x: Any, key: tuple[Any, ...], flip: tuple[int, ...] | None = None) -> Any:
    """``x[key]``, on ``x`` flipped first where the key's slices stepped backwards."""
    return (xp.flip(x, axis=flip) if flip else x)[key]


def getitem_vjp(xp: Any, g: Any, ans: Any, x: Any, key: tuple[Any, ...],
                flip: tuple[int, ...] | None = None) -> Any:
    """Write ``g`` back where ``x[key]`` read from."""
    out = xp.scatter_add(g, key=key, shape=tuple(x.shape))
    return xp.flip(out, axis=flip) if flip else out


def take(xp: Any, x: Any, indices: Any, axis: int) -> Any:
    """``xp.take``, also for indices of any number of dimensions (as NumPy's take)."""
    if indices.ndim == 1:
        return xp.take(x, indices, axis=axis)
    flat = xp.take(x, xp.reshape(indices, (-1,)), axis=axis)
    return xp.reshape(flat, (*x.shape[:axis], *indices.shape, *x.shape[axis + 1:]))


def take_vjp(xp: Any, g: Any, ans: Any, x: Any, indices: Any, axis: int) -> Any:
    """Add each slice of ``g`` back at its index along ``axis``; repeated indices add up."""
    size = x.shape[axis]
    if indices.ndim != 1:
        count = math.prod(indices.shape)
        g = xp.reshape(g, (*x.shape[:axis], count, *x.shape[axis + 1:]))
        indices = xp.reshape(indices, (count,))
    return xp.index_add(g, indices, axis=axis, size=size)


# -- signatures ---------------------------------------------------------------------------------


def getitem_signature(x: Any, key: Any, /) -> Params:
    """getitem(x, key): ``x[key]``, the op behind ``Tensor.__getitem__``.

    Keys: ints, slices (any step), None, Ellipsis, tuples of these, integer index arrays (ad_core
    tensors or lists; repeated indices receive the sum of their gradients) and boolean masks.
    How index arrays may mix with the rest is the backend's rule: NumPy and torch follow NumPy,
    array-api-strict the standard (``take`` selects along one axis on every backend).
    """
    key_tuple = lean_key(key)
    if key_tuple is not None:
        check_width("getitem", key_tuple, shape_of(x))
        return (x,), {"key": key_tuple}
    return (x,), key_params("getitem", x, shape_of(x) or (), key)


def scatter_add_signature(values: Any, /, key: Any, shape: tuple[int, ...]) -> Params:
    """scatter_add(values, /, key, shape): zeros of ``shape`` with ``values`` added at ``key``,
    positions named more than once receiving the sum; the adjoint of ``x[key]`` for ``x`` of
    ``shape``, so its gradient is ``g[key]``."""
    shape = tuple(shape)
    key_tuple = lean_key(key)
    if key_tuple is not None:
        check_width("scatter_add", key_tuple, shape)
        return (values,), {"key": key_tuple, "shape": shape}
    return (values,), {**key_params("scatter_add", values, shape, key), "shape": shape}


def take_signature(x: Any, indices: Any, /, *, axis: int | None = None) -> Params:
    """take(x, indices, /, *, axis=None): the slices of ``x`` at ``indices`` along ``axis`` (which
    may be omitted for a 1-D ``x``). Indices may repeat: their gradients add up."""
    shape = shape_of(x)
    if shape is not None:
        if axis is None:
            if len(shape) != 1:
                raise ShapeError(f"take: axis is needed for an array of shape {shape}")
            axis = 0
        axis = one_axis("take", axis, len(shape))
    elif axis is None:
        axis = 0
    return (x, indices), {"axis": axis}


def index_add_signature(values: Any, indices: Any, /, *, axis: int, size: int) -> Params:
    """index_add(values, indices, /, *, axis, size): zeros shaped like ``values`` but of length
    ``size`` along ``axis``, with slice i of ``values`` added at index ``indices[i]``; repeated
    indices add up. The adjoint of ``take``, so its gradient is ``take(g, indices, axis=axis)``."""
    shape = shape_of(values)
    index_shape = shape_of(indices)
    if getattr(getattr(indices, "dtype", None), "kind", "").endswith("floating"):
        raise DTypeError(f"index_add: indices must be integers, got {indices.dtype.name}")
    if shape is not None:
        axis = one_axis("index_add", axis, len(shape))
        if index_shape is not None and index_shape != (shape[axis],):
            raise ShapeError(
                f"index_add: indices of shape {index_shape} for values of shape {shape} along "
                f"axis {axis}; expected shape ({shape[axis]},)"
            )
    return (values, indices), {"axis": axis, "size": size}


#  name           forward       VJPs (one per input; None: indices get no gradient)        signature
INDEXING = {
    "getitem":     (getitem,     [getitem_vjp],                                              getitem_signature),
    "scatter_add": (scatter_add, [lambda xp, g, ans, values, key, shape, flip=None:
                                  getitem(xp, g, key, flip)],                                scatter_add_signature),
    "take":        (take,        [take_vjp, None],                                           take_signature),
    "index_add":   (index_add,   [lambda xp, g, ans, values, indices, axis, size:
                                  xp.take(g, indices, axis=axis), None],                     index_add_signature),
}  # fmt: skip

#: Ops with an index input, for samplers: ("real", "index").
INDEXED = ("take", "index_add")

#: Forward-mode rules: each op is linear in its values and moves tangents as it moves values; the
#: scatter-adds go through ``xp`` so that the NumPy and torch kernels serve the fast path.
#  name           jvp: tangents -> tangent of the result
JVPS = {
    "getitem":     lambda xp, tangents, ans, x, key, flip=None: getitem(xp, tangents[0], key, flip),
    "scatter_add": lambda xp, tangents, ans, values, key, shape, flip=None:
                       _flipped(xp, xp.scatter_add(tangents[0], key=key, shape=shape), flip),
    "take":        lambda xp, tangents, ans, x, indices, axis: take(xp, tangents[0], indices, axis),
    "index_add":   lambda xp, tangents, ans, values, indices, axis, size:
                       xp.index_add(tangents[0], indices, axis=axis, size=size),
}  # fmt: skip


def _flipped(xp: Any, x: Any, flip: tuple[int, ...] | None) -> Any:
    return xp.flip(x, axis=flip) if flip else x
