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
``linear`` becomes ``torch.nn.functional.linear`` (one fused addmm). Its convolutions and
poolings (``conv1d``, ``conv2d``, ``max_pool2d``, ``avg_pool2d``) run torch's kernels forward
and backward (``convolution_backward``, ``max_pool2d_with_indices_backward``,
``avg_pool2d_backward``): what torch's own autograd runs; the max pooling keeps the indices of
the maxima its forward found for its VJP while the output lives. torch is imported when a kernel
first runs, so loading this plugin never imports it.
"""

from __future__ import annotations

import math
import weakref
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


# -- convolution and pooling (plugin ``nn``'s ops) ---------------------------------------------


def conv(xp: Any, x: Any, weight: Any, bias: Any = None, *, stride: tuple[int, ...],
         padding: tuple[int, ...], dilation: tuple[int, ...], groups: int) -> Any:
    """``conv1d`` / ``conv2d``: torch's convolution (batched or not)."""
    import torch

    fn = torch.nn.functional.conv2d if weight.ndim == 4 else torch.nn.functional.conv1d
    return fn(x, weight, bias, stride, padding, dilation, groups)


def _conv_backward(g: Any, x: Any, weight: Any, params: dict[str, Any], which: int) -> Any:
    """Input (``which`` 0) or weight (1) cotangent from ``convolution_backward``, the kernel
    torch's own autograd runs (an unbatched input runs as a batch of one)."""
    import torch

    unbatched = x.ndim == weight.ndim - 1
    if unbatched:
        g, x = g.unsqueeze(0), x.unsqueeze(0)
    mask = [which == 0, which == 1, False]
    grads = torch.ops.aten.convolution_backward(
        g, x, weight, None, params["stride"], params["padding"], params["dilation"], False,
        [0] * (weight.ndim - 2), params["groups"], mask)
    out = grads[which]
    return out[0] if unbatched and which == 0 else out


CONV_VJP = [
    lambda xp, g, ans, x, weight, bias=None, **p: _conv_backward(g, x, weight, p, 0),
    lambda xp, g, ans, x, weight, bias=None, **p: _conv_backward(g, x, weight, p, 1),
    lambda xp, g, ans, x, weight, bias=None, **p: g.sum([a for a in range(g.ndim)
                                                         if a != g.ndim - weight.ndim + 1]),
]


#: The argmax indices of the live outputs of :func:`max_pool2d`, by ``id`` of the output, with a
#: weak reference to it: its VJP reuses them (as torch's autograd does) instead of running the
#: pooling again. An entry leaves when its output is freed.
POOL_INDICES: dict[int, tuple[Any, Any]] = {}


def max_pool2d(xp: Any, x: Any, *, kernel_size: tuple[int, int], stride: tuple[int, int],
               padding: tuple[int, int], dilation: tuple[int, int]) -> Any:
    """``max_pool2d``: torch's kernel, which also gives the index of each window's (first)
    maximum; those are kept for the VJP while the output lives."""
    import torch

    out, indices = torch.ops.aten.max_pool2d_with_indices(x, kernel_size, stride, padding,
                                                          dilation, False)
    key = id(out)
    POOL_INDICES[key] = (weakref.ref(out, lambda _, key=key: POOL_INDICES.pop(key, None)),
                         indices)
    return out


def max_pool2d_vjp(xp: Any, g: Any, ans: Any, x: Any, *, kernel_size: tuple[int, int],
                   stride: tuple[int, int], padding: tuple[int, int],
                   dilation: tuple[int, int]) -> Any:
    """The cotangent to each window's first maximum: torch's backward kernel, with the indices
    the forward kept (or computed again for an output this kernel did not make)."""
    import torch

    aten = torch.ops.aten
    entry = POOL_INDICES.get(id(ans))
    if entry is not None and entry[0]() is ans:
        indices = entry[1]
    else:
        _, indices = aten.max_pool2d_with_indices(x, kernel_size, stride, padding, dilation,
                                                  False)
    return aten.max_pool2d_with_indices_backward(g, x, kernel_size, stride, padding, dilation,
                                                 False, indices)


def avg_pool2d(xp: Any, x: Any, *, kernel_size: tuple[int, int], stride: tuple[int, int],
               padding: tuple[int, int], count_include_pad: bool = True) -> Any:
    """``avg_pool2d``: torch's kernel."""
    import torch

    return torch.nn.functional.avg_pool2d(x, kernel_size, stride, padding, False,
                                          count_include_pad)


def avg_pool2d_vjp(xp: Any, g: Any, ans: Any, x: Any, *, kernel_size: tuple[int, int],
                   stride: tuple[int, int], padding: tuple[int, int],
                   count_include_pad: bool = True) -> Any:
    """The cotangent spread evenly over each window: torch's backward kernel."""
    import torch

    return torch.ops.aten.avg_pool2d_backward(g, x, kernel_size, stride, padding, False,
                                              count_include_pad, None)


@hookimpl
def ad_core_register_ops(override: Any) -> None:
    override("relu", "torch", forward=relu, vjp=relu_vjp)
    override("scatter_add", "torch", forward=scatter_add)
    override("index_add", "torch", forward=index_add)
    override("getitem", "torch", vjp=getitem_vjp)
    override("take", "torch", vjp=[take_vjp, None])
    override("erf", "torch", forward=erf)
    override("linear", "torch", forward=linear)
    for name in ("conv1d", "conv2d"):
        override(name, "torch", forward=conv, vjp=CONV_VJP)
    override("max_pool2d", "torch", forward=max_pool2d, vjp=max_pool2d_vjp)
    override("avg_pool2d", "torch", forward=avg_pool2d, vjp=avg_pool2d_vjp)
