"""NumPy fast paths: the scatter-adds behind indexing gradients, and ReLU.

The generic scatter-adds (plugin ``manipulation``) sort the positions and run a segmented scan,
because the standard has no accumulating write. NumPy can sum per position in one pass
(``np.bincount`` with weights, which counts a repeated index once per occurrence). These
overrides use it for the ops ``scatter_add`` and ``index_add`` and for the first-order VJPs of
``getitem`` and ``take``; the generic rules stay the reference they are tested against, and
higher-order derivatives record the generic VJPs (which call these ops).

ReLU's generic rules use ``where``, which on large arrays costs about ten times what NumPy's
``maximum`` and a multiplication by the mask cost; a boolean mask times float32 stays float32 in
NumPy, so the override keeps the dtype discipline.
"""

from __future__ import annotations

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
    """g where x > 0, else 0."""
    return g * (x > 0)


@hookimpl
def ad_core_register_ops(override: Any) -> None:
    override("relu", "numpy", forward=relu, vjp=relu_vjp)
    override("scatter_add", "numpy", forward=scatter_add)
    override("index_add", "numpy", forward=index_add)
    override("getitem", "numpy", vjp=getitem_vjp)
    override("take", "numpy", vjp=[take_vjp, None])
