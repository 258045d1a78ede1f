"""PyTorch fast paths: ``index_put_`` and ``index_add_`` for the scatter-adds behind indexing
gradients, and torch's own ReLU kernels.

The generic scatter-adds (plugin ``manipulation``) sort the positions and run a segmented scan,
because the standard has no accumulating write. PyTorch has two, ``Tensor.index_put_(...,
accumulate=True)`` and ``Tensor.index_add_``, which add once per occurrence of a repeated index,
on CPU and CUDA alike. These overrides use them for the ops ``scatter_add`` and ``index_add``
and for the first-order VJPs of ``getitem`` and ``take``; the generic rules stay the reference
they are tested against. ReLU's generic rules use ``where``; torch's ``relu`` and
``threshold_backward`` kernels do the same work several times faster. Plugin ``nn``'s ``erf``
(two Chebyshev series picked by ``where``) becomes ``torch.special.erf``, and its
``linear`` becomes ``torch.nn.functional.linear`` (one fused addmm). torch is imported when a
kernel first runs, so loading this plugin never imports it.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import hookimpl


def scatter_add(xp: Any, values: Any, key: tuple[Any, ...], shape: tuple[int, ...],
                flip: tuple[int, ...] | None = None) -> Any:
    """Zeros of ``shape`` with ``values`` added at ``key``, repeats accumulating.

    A key of index tensors only goes to ``index_put_(accumulate=True)``. A key that mixes them
    with slices or new axes is applied to the flat positions of the output instead (torch's own
    indexing handles the mix), and the values are added at those positions.
    """
    import torch

    out = torch.zeros(shape, dtype=values.dtype, device=values.device)
    if any(isinstance(k, torch.Tensor) and k.dtype != torch.bool for k in key):
        if all(isinstance(k, torch.Tensor) for k in key):
            out.index_put_(key, values, accumulate=True)
        else:
            size = math.prod(shape)
            positions = torch.arange(size, device=values.device).reshape(shape)[key]
            weights = values.broadcast_to(positions.shape).reshape(-1)
            out.view(-1).index_add_(0, positions.reshape(-1), weights)
    else:  # no position repeats: plain assignment
        out[key] = values
    return torch.flip(out, flip) if flip else out


def index_add(xp: Any, values: Any, indices: Any, axis: int, size: int) -> Any:
    """Zeros of ``values``' shape with ``size`` along ``axis``, slice i of ``values`` added at
    ``indices[i]``, repeats accumulating."""
    import torch

    shape = list(values.shape)
    shape[axis] = size
    out = torch.zeros(shape, dtype=values.dtype, device=values.device)
    indices = torch.where(indices < 0, indices + size, indices).to(torch.int64)
    return out.index_add_(axis, indices, values)


def getitem_vjp(xp: Any, g: Any, ans: Any, x: Any, key: tuple[Any, ...],
                flip: tuple[int, ...] | None = None) -> Any:
    """``getitem``'s VJP: the cotangent added back where ``x[key]`` read from."""
    return scatter_add(xp, g, key, tuple(x.shape), flip)


def take_vjp(xp: Any, g: Any, ans: Any, x: Any, indices: Any, axis: int) -> Any:
    """``take``'s VJP: slices of the cotangent added back at their indices (of any shape)."""
    count = indices.numel()
    g = g.reshape((*x.shape[:axis], count, *x.shape[axis + 1:]))
    return index_add(xp, g, indices.reshape(count), axis, x.shape[axis])


def relu(xp: Any, x: Any) -> Any:
    """max(x, 0), torch's kernel."""
    import torch

    return torch.relu(x)


def relu_vjp(xp: Any, g: Any, ans: Any, x: Any) -> Any:
    """g where x > 0, else 0: the kernel torch's own autograd uses."""
    import torch

    return torch.ops.aten.threshold_backward(g, x, 0)


def erf(xp: Any, x: Any) -> Any:
    """The error function, torch's kernel (plugin ``nn``'s generic rule is the reference)."""
    import torch

    return torch.special.erf(x)


def linear(xp: Any, x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight.T + bias`` as one fused kernel (addmm), torch's own ``linear``."""
    import torch

    return torch.nn.functional.linear(x, weight, bias)


@hookimpl
def ad_core_register_ops(override: Any) -> None:
    override("relu", "torch", forward=relu, vjp=relu_vjp)
    override("scatter_add", "torch", forward=scatter_add)
    override("index_add", "torch", forward=index_add)
    override("getitem", "torch", vjp=getitem_vjp)
    override("take", "torch", vjp=[take_vjp, None])
    override("erf", "torch", forward=erf)
    override("linear", "torch", forward=linear)
