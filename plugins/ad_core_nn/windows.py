"""Sliding windows over the spatial axes, written against ``xp`` only: what the generic rules of
the convolution and pooling ops (:mod:`.conv_ops`, :mod:`.pool_ops`) are made of.

Arrays are channels-first, ``(N, C, *spatial)`` with one or two spatial axes. The window at
output position ``o`` along an axis starts at ``o*stride`` of the padded input and takes every
``dilation``-th element ``kernel`` times. Gathering the windows is one strided slice per kernel
offset (:func:`window_slices`); its adjoint, which puts a value back at every input position a
window read, pads each slice back to its place: zero insertion between its elements for the
stride (:func:`spread`), zero blocks around it for the offset (:func:`pad`), and a sum over the
offsets (:func:`unwindow`). Every step is a standard operation (slicing, ``stack``,
``reshape``, ``concat``), so these helpers also run on ad_core's differentiable namespace, where
they record a graph and give derivatives of any order.

The signature helpers below normalise the ops' parameters (ints or tuples) to tuples, and raise
a :class:`ShapeError` naming the op and the shapes when the input cannot be windowed.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterator, Sequence
from typing import Any

from ad_core.extend import ShapeError

Ints = tuple[int, ...]


# -- parameters ----------------------------------------------------------------------------------


def ints(value: int | Sequence[int], n: int, what: str, name: str, low: int) -> Ints:
    """``value`` as ``n`` ints, each at least ``low``; a ValueError naming ``name`` otherwise."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    try:
        values = tuple(operator.index(v) for v in items if not isinstance(v, bool))
    except TypeError:
        values = ()
    if len(values) != n or any(v < low for v in values):
        raise ValueError(f"{name}: {what} must be an int or {n} ints, each >= {low}; got {value!r}")
    return values


def spatial_input(name: str, x: Any, n: int) -> None:
    """A ShapeError unless ``x`` is ``(N, C, *spatial)`` or ``(C, *spatial)`` with ``n`` spatial
    axes, none of them empty."""
    shape = tuple(x.shape)
    if len(shape) not in (n + 1, n + 2):
        raise ShapeError(f"{name}: expected a {n + 2}-d input (N, C, *spatial) or a {n + 1}-d one "
                         f"(C, *spatial), got shape {shape}")
    if 0 in shape[-n:]:
        raise ShapeError(f"{name}: input of shape {shape} has an empty spatial axis")


def output_size(name: str, spatial: Ints, kernel: Ints, stride: Ints, padding: Ints,
                dilation: Ints) -> Ints:
    """The number of windows along each spatial axis; a ShapeError when one has none."""
    sizes = tuple((m + 2 * p - d * (k - 1) - 1) // s + 1
                  for m, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True))
    if any(size < 1 for size in sizes):
        raise ShapeError(f"{name}: input of spatial size {spatial} (padding {padding}) is smaller "
                         f"than the kernel {kernel} with dilation {dilation}")
    return sizes


# -- windows -------------------------------------------------------------------------------------


def _at(axis: int, index: Any) -> tuple[Any, ...]:
    """The key that applies ``index`` to ``axis`` and keeps every axis before it whole."""
    return (slice(None),) * axis + (index, ...)


def blank(xp: Any, x: Any, axis: int, size: int, fill: float = 0.0) -> Any:
    """``fill`` in the shape of ``x`` with ``size`` along ``axis``, on ``x``'s backend and device
    and in its dtype (``x`` must not be empty along ``axis``)."""
    edge = x[_at(axis, slice(0, 1))]
    shape = tuple(size if a == axis else s for a, s in enumerate(x.shape))
    block = xp.zeros_like(edge) if fill == 0.0 else xp.full_like(edge, fill)
    return xp.broadcast_to(block, shape)


def pad(xp: Any, x: Any, widths: Sequence[tuple[int, int]], fill: float = 0.0) -> Any:
    """``x`` with ``(before, after)`` elements of ``fill`` added on spatial axis i (axis 2 + i);
    a negative width removes elements instead (the blocks are added first, so a crop may reach
    into the other end's block: the result is always that stretch of ``x`` extended by
    ``fill``)."""
    for i, (before, after) in enumerate(widths):
        axis = 2 + i
        blocks = [blank(xp, x, axis, before, fill)] if before > 0 else []
        blocks.append(x)
        if after > 0:
            blocks.append(blank(xp, x, axis, after, fill))
        if len(blocks) > 1:
            x = xp.concat(blocks, axis=axis)
        if before < 0 or after < 0:
            x = x[_at(axis, slice(max(-before, 0), x.shape[axis] - max(-after, 0)))]
    return x


def window_slices(x: Any, kernel: Ints, stride: Ints, dilation: Ints, out: Ints) -> Iterator[Any]:
    """For each kernel offset (row-major), the (N, C, *out) slice of the padded ``x`` that the
    offset reads in every window."""
    for offset in itertools.product(*(range(k) for k in kernel)):
        key = tuple(slice(o * d, o * d + s * (m - 1) + 1, s)
                    for o, d, s, m in zip(offset, dilation, stride, out, strict=True))
        yield x[(slice(None), slice(None), *key)]


def spread(xp: Any, x: Any, stride: Ints) -> Any:
    """``x`` with ``stride - 1`` zeros inserted between neighbours along each spatial axis: the
    adjoint of a strided slice, up to its offset."""
    for i, s in enumerate(stride):
        if s == 1:
            continue
        axis = 2 + i
        m = x.shape[axis]
        gaps = xp.stack([x] + [xp.zeros_like(x)] * (s - 1), axis=axis + 1)
        shape = (*x.shape[:axis], m * s, *x.shape[axis + 1:])
        x = xp.reshape(gaps, shape)[_at(axis, slice(0, (m - 1) * s + 1))]
    return x


def unwindow(xp: Any, parts: Sequence[Any], padded: Ints, kernel: Ints, stride: Ints,
             dilation: Ints) -> Any:
    """The adjoint of :func:`window_slices`: ``parts[k]`` (one per kernel offset) added back at
    the positions of the padded input (spatial size ``padded``) that offset read."""
    total = None
    offsets = itertools.product(*(range(k) for k in kernel))
    for part, offset in zip(parts, offsets, strict=True):
        widths = []
        for o, d, s, m, size in zip(offset, dilation, stride, part.shape[2:], padded, strict=True):
            span = s * (m - 1) + 1
            widths.append((o * d, size - o * d - span))
        placed = pad(xp, spread(xp, part, stride), widths)
        total = placed if total is None else total + placed
    return total


def crop(x: Any, padding: Ints) -> Any:
    """``x`` without ``padding[i]`` elements at both ends of spatial axis i."""
    if not any(padding):
        return x
    key = tuple(slice(p, x.shape[2 + i] - p) for i, p in enumerate(padding))
    return x[(slice(None), slice(None), *key)]


def batched(xp: Any, *arrays: Any) -> tuple[Any, ...]:
    """The arrays with a leading batch axis of 1 (for a rule given an unbatched input)."""
    return tuple(xp.expand_dims(a, axis=0) for a in arrays)
