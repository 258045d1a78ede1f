"""NumPy fast paths: the scatter-adds behind indexing gradients, and ReLU.

The generic scatter-adds (plugin ``manipulation``) sort the positions and run a segmented scan,
because the standard has no accumulating write. NumPy can sum per position in one pass
(``np.bincount`` with weights, which counts a repeated index once per occurrence). These
overrides use it for the ops ``scatter_add`` and ``index_add`` and for the first-order VJPs of
``getitem`` and ``take``; the generic rules stay the reference they are tested against, and
higher-order derivatives record the generic VJPs (which call these ops).

The VJPs of plugin ``nn``'s convolutions and poolings add each window's share back in place,
one strided ``+=`` per kernel offset (col2im), where the generic rules, which cannot write in
place, build a padded copy per offset; their forward rules stay generic (a stack of strided
slices and one batched matmul is as fast as NumPy gets here).

ReLU's generic rules use ``where``, which on large arrays costs about ten times what NumPy's
``maximum`` and a multiplication by the mask cost; a boolean mask times float32 stays float32 in
NumPy, so the override keeps the dtype discipline.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from ad_core.extend import hookimpl


def add_at(values: Any, key: tuple[Any, ...], shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``values`` added at ``key``, repeats accumulating.

    The key is applied to the flat positions of the output (so slices, None and masks mixed in
    follow NumPy's own indexing), and ``np.bincount`` sums the values per position: one pass, and
    several times faster than ``np.add.at`` when the key selects whole rows.
    """
    size = math.prod(shape)
    positions = np.arange(size).reshape(shape)[key]
    weights = np.broadcast_to(values, positions.shape)
    summed = np.bincount(positions.reshape(-1), weights.reshape(-1), minlength=size)
    return summed.astype(values.dtype, copy=False).reshape(shape)


def scatter_add(xp: Any, values: Any, key: tuple[Any, ...], shape: tuple[int, ...],
                flip: tuple[int, ...] | None = None) -> Any:
    """Zeros of ``shape`` with ``values`` added at ``key``, repeats accumulating."""
    if any(isinstance(k, np.ndarray) and k.dtype != np.bool_ for k in key):
        out = add_at(values, key, shape)
    else:  # no position repeats: plain assignment, the fastest write there is
        out = np.zeros(shape, dtype=values.dtype)
        out[key] = values
    return np.flip(out, axis=flip) if flip else out


def index_add(xp: Any, values: Any, indices: Any, axis: int, size: int) -> Any:
    """Zeros of ``values``' shape with ``size`` along ``axis``, slice i of ``values`` added at
    ``indices[i]``, repeats accumulating."""
    shape = (*values.shape[:axis], size, *values.shape[axis + 1:])
    return add_at(values, (slice(None),) * axis + (indices,), shape)


def getitem_vjp(xp: Any, g: Any, ans: Any, x: Any, key: tuple[Any, ...],
                flip: tuple[int, ...] | None = None) -> Any:
    """``getitem``'s VJP: the cotangent added back where ``x[key]`` read from."""
    return scatter_add(xp, g, key, x.shape, flip)


def take_vjp(xp: Any, g: Any, ans: Any, x: Any, indices: Any, axis: int) -> Any:
    """``take``'s VJP: slices of the cotangent added back at their indices (of any shape)."""
    return add_at(g, (slice(None),) * axis + (indices,), x.shape)


def relu(xp: Any, x: Any) -> Any:
    """max(x, 0) in x's dtype."""
    return np.maximum(x, 0)


def relu_vjp(xp: Any, g: Any, ans: Any, x: Any) -> Any:
    """0 where x <= 0, else g (NaN inputs pass it, as in torch; no inf * 0 where g is infinite)."""
    return np.where(x <= 0, 0.0, g)


# -- convolution and pooling (plugin ``nn``'s ops) ---------------------------------------------


def _offsets(kernel: tuple[int, ...]) -> Any:
    return itertools.product(*(range(k) for k in kernel))


def _key(offset: tuple[int, ...], dilation: tuple[int, ...], stride: tuple[int, ...],
         out: tuple[int, ...], channels: slice = slice(None)) -> tuple[slice, ...]:
    """Where kernel ``offset`` reads in every window of the padded input (N, C, *spatial)."""
    return (slice(None), channels, *(slice(o * d, o * d + s * (m - 1) + 1, s)
                                     for o, d, s, m in zip(offset, dilation, stride, out,
                                                           strict=True)))


def _padded(x: Any, padding: tuple[int, ...], fill: float) -> Any:
    if not any(padding):
        return x
    return np.pad(x, [(0, 0), (0, 0), *((p, p) for p in padding)], constant_values=fill)


def _zeros_padded(shape: tuple[int, ...], padding: tuple[int, ...], dtype: Any) -> Any:
    return np.zeros((*shape[:2], *(m + 2 * p for m, p in zip(shape[2:], padding, strict=True))),
                    dtype=dtype)


def _cropped(padded: Any, padding: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    return padded[(slice(None), slice(None),
                   *(slice(p, p + m) for p, m in zip(padding, shape[2:], strict=True)))]


def _groups(weight: Any, groups: int) -> list[tuple[slice, slice]]:
    """The (input channels, output channels) of each group."""
    per_in, per_out = weight.shape[1], weight.shape[0] // groups
    return [(slice(i * per_in, (i + 1) * per_in), slice(i * per_out, (i + 1) * per_out))
            for i in range(groups)]


def conv_vjp_input(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any = None, *,
                   stride: tuple[int, ...], padding: tuple[int, ...],
                   dilation: tuple[int, ...], groups: int) -> Any:
    """col2im: each window's share ``g · weight`` (one GEMM per group), added in place where it
    was read, one strided add per kernel offset (the generic rule builds a padded copy per
    offset instead)."""
    if x.ndim == weight.ndim - 1:
        return conv_vjp_input(xp, g[None], ans, x[None], weight, stride=stride, padding=padding,
                              dilation=dilation, groups=groups)[0]
    padded = _zeros_padded(x.shape, padding, g.dtype)
    out = g.shape[2:]
    for c_in, c_out in _groups(weight, groups):
        shares = np.tensordot(g[:, c_out], weight[c_out], axes=([1], [0]))  # (N, *out, C', *k)
        for offset in _offsets(weight.shape[2:]):
            padded[_key(offset, dilation, stride, out, c_in)] += np.moveaxis(
                shares[(..., *offset)], -1, 1)
    return _cropped(padded, padding, x.shape)


def conv_vjp_weight(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any = None, *,
                    stride: tuple[int, ...], padding: tuple[int, ...],
                    dilation: tuple[int, ...], groups: int) -> Any:
    """The windows of ``x`` (im2col) against ``g``, one batched matmul, summed over the batch."""
    if x.ndim == weight.ndim - 1:
        g, x = g[None], x[None]
    batch, out = x.shape[0], g.shape[2:]
    x = _padded(x, padding, 0.0)
    cols = np.stack([x[_key(o, dilation, stride, out)] for o in _offsets(weight.shape[2:])],
                    axis=2).reshape(batch, groups, weight[0].size, math.prod(out))
    g = g.reshape(batch, groups, weight.shape[0] // groups, math.prod(out))
    return np.matmul(g, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight.shape)


def conv_vjp_bias(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any = None,
                  **params: Any) -> Any:
    """``g`` summed over every axis but the channels'."""
    channel_axis = g.ndim - weight.ndim + 1
    return g.sum(axis=tuple(a for a in range(g.ndim) if a != channel_axis))


def max_pool2d_vjp(xp: Any, g: Any, ans: Any, x: Any, *, kernel_size: tuple[int, int],
                   stride: tuple[int, int], padding: tuple[int, int],
                   dilation: tuple[int, int]) -> Any:
    """``g`` to each window's first maximum, added in place, one strided add per offset."""
    if x.ndim == 3:
        return max_pool2d_vjp(xp, g[None], ans[None], x[None], kernel_size=kernel_size,
                              stride=stride, padding=padding, dilation=dilation)[0]
    x = _padded(x, padding, -np.inf)
    padded = np.zeros(x.shape, dtype=g.dtype)
    taken = np.zeros(ans.shape, dtype=bool)
    zero = np.zeros((), dtype=g.dtype)
    for offset in _offsets(kernel_size):
        key = _key(offset, dilation, stride, ans.shape[2:])
        hit = (x[key] == ans) & ~taken
        taken |= hit
        padded[key] += np.where(hit, g, zero)
    return _cropped(padded, padding, (*x.shape[:2], *(m - 2 * p for m, p in
                                                      zip(x.shape[2:], padding, strict=True))))


def avg_pool2d_vjp(xp: Any, g: Any, ans: Any, x: Any, *, kernel_size: tuple[int, int],
                   stride: tuple[int, int], padding: tuple[int, int],
                   count_include_pad: bool = True) -> Any:
    """``g`` over the divisor, added in place, one strided add per kernel offset."""
    if x.ndim == 3:
        return avg_pool2d_vjp(xp, g[None], ans, x[None], kernel_size=kernel_size, stride=stride,
                              padding=padding, count_include_pad=count_include_pad)[0]
    out = g.shape[2:]
    if count_include_pad or not any(padding):
        share = g * g.dtype.type(1.0 / math.prod(kernel_size))
    else:  # divide by the number of each window's elements inside x
        inside = _padded(np.ones((1, 1, *x.shape[2:]), dtype=g.dtype), padding, 0.0)
        share = g / sum(inside[_key(o, (1, 1), stride, out)] for o in _offsets(kernel_size))
    padded = _zeros_padded(x.shape, padding, g.dtype)
    for offset in _offsets(kernel_size):
        padded[_key(offset, (1, 1), stride, out)] += share
    return _cropped(padded, padding, x.shape)


CONV_VJP = [conv_vjp_input, conv_vjp_weight, conv_vjp_bias]


@hookimpl
def ad_core_register_ops(override: Any) -> None:
    override("relu", "numpy", forward=relu, vjp=relu_vjp)
    override("scatter_add", "numpy", forward=scatter_add)
    override("index_add", "numpy", forward=index_add)
    override("getitem", "numpy", vjp=getitem_vjp)
    override("take", "numpy", vjp=[take_vjp, None])
    for name in ("conv1d", "conv2d"):
        override(name, "numpy", vjp=CONV_VJP)
    override("max_pool2d", "numpy", vjp=max_pool2d_vjp)
    override("avg_pool2d", "numpy", vjp=avg_pool2d_vjp)
