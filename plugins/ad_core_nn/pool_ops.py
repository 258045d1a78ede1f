"""The ops ``max_pool2d`` and ``avg_pool2d``, with generic rules over the windows of the input.

Like the convolutions (:mod:`.conv_ops`), each pooling is one op on the tape, so that a backend
can run it with its own kernel (torch's ``max_pool2d_with_indices`` and ``avg_pool2d`` and their
backward kernels: plugin ``backends``); the rules here are the reference those kernels are
tested against, written against ``xp`` only (:mod:`.windows`), so they run on every backend and
nest to any order.

- **max**: the running ``maximum`` of the window slices, the input padded with ``-inf`` (so
  padding never wins). The gradient goes to the *first* maximum of each window in row-major
  order, the element torch's kernels pick: a slice takes the cotangent where it equals the
  output and no earlier slice did; the slices' shares are put back where they were read
  (:func:`~.windows.unwindow`). Equal maxima in one window thus do not share it, and an input
  that is the maximum of several windows gets the sum of theirs. Forward mode selects the
  tangent the same way.
- **avg**: the sum of the slices over the window size, padding zeros included (torch's
  ``count_include_pad=True``), or over the number of the window's elements inside the input
  (``count_include_pad=False``: the same window sums of a padded array of ones); linear, so its
  VJP is the adjoint of the windows and its JVP the op itself on the tangent.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import linear_jvp, where_zero
from ad_core_nn.windows import (
    Ints,
    batched,
    crop,
    ints,
    output_size,
    pad,
    spatial_input,
    unwindow,
    window_slices,
)

__all__ = ["AVG_POOL_JVP", "avg_pool_forward", "avg_pool_vjp", "max_pool_forward",
           "max_pool_jvp", "max_pool_vjp", "pool_signature"]


def pool_params(name: str, kernel_size: Any, stride: Any, padding: Any,
                dilation: Any = 1) -> dict[str, Ints]:
    """The pooling parameters as pairs; ``stride`` defaults to ``kernel_size``. A ValueError
    naming ``name`` for values torch refuses (padding over half the kernel)."""
    kernel = ints(kernel_size, 2, "kernel_size", name, 1)
    params = {"kernel_size": kernel,
              "stride": kernel if stride is None else ints(stride, 2, "stride", name, 1),
              "padding": ints(padding, 2, "padding", name, 0),
              "dilation": ints(dilation, 2, "dilation", name, 1)}
    if any(2 * p > k for p, k in zip(params["padding"], kernel, strict=True)):
        raise ValueError(f"{name}: padding {params['padding']} must be at most half the kernel "
                         f"{kernel}")
    return params


def _check(name: str, x: Any, params: dict[str, Ints]) -> None:
    if not hasattr(x, "shape"):
        return
    spatial_input(name, x, 2)
    output_size(name, tuple(x.shape[-2:]), params["kernel_size"], params["stride"],
                params["padding"], params.get("dilation", (1, 1)))


def max_pool_signature(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                       dilation: Any = 1) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1): the maximum of each
    window of x (N, C, H, W) or (C, H, W), as torch.nn.functional.max_pool2d; stride defaults
    to kernel_size, padding (at most half the kernel) never wins. The gradient goes to the first
    maximum of each window (row-major), as in torch."""
    params = pool_params("max_pool2d", kernel_size, stride, padding, dilation)
    _check("max_pool2d", x, params)
    return (x,), params


def avg_pool_signature(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                       count_include_pad: bool = True) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True): the mean of
    each window of x (N, C, H, W) or (C, H, W), as torch.nn.functional.avg_pool2d: stride
    defaults to kernel_size; padding zeros count in the mean unless count_include_pad=False,
    which divides by the number of the window's elements inside the input."""
    params: dict[str, Any] = pool_params("avg_pool2d", kernel_size, stride, padding)
    del params["dilation"]
    _check("avg_pool2d", x, params)
    params["count_include_pad"] = bool(count_include_pad)
    return (x,), params


pool_signature = {"max_pool2d": max_pool_signature, "avg_pool2d": avg_pool_signature}


def _out(x: Any, kernel: Ints, stride: Ints, padding: Ints, dilation: Ints) -> Ints:
    return tuple((m + 2 * p - d * (k - 1) - 1) // s + 1
                 for m, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation,
                                          strict=True))


def _firsts(xp: Any, slices: Any, ans: Any) -> Any:
    """For each window slice in order, where it holds its window's first maximum."""
    taken = None
    for part in slices:
        hit = part == ans
        if taken is None:
            taken = hit
        else:
            hit = xp.logical_and(hit, xp.logical_not(taken))
            taken = xp.logical_or(taken, hit)
        yield hit, part


def max_pool_forward(xp: Any, x: Any, *, kernel_size: Ints, stride: Ints, padding: Ints,
                     dilation: Ints) -> Any:
    """The running maximum of the window slices of ``x`` padded with ``-inf``."""
    if x.ndim == 3:
        return max_pool_forward(xp, *batched(xp, x), kernel_size=kernel_size, stride=stride,
                                padding=padding, dilation=dilation)[0, ...]
    out = _out(x, kernel_size, stride, padding, dilation)
    x = pad(xp, x, [(p, p) for p in padding], -math.inf)
    result = None
    for part in window_slices(x, kernel_size, stride, dilation, out):
        result = part if result is None else xp.maximum(result, part)
    return result


def max_pool_vjp(xp: Any, g: Any, ans: Any, x: Any, *, kernel_size: Ints, stride: Ints,
                 padding: Ints, dilation: Ints) -> Any:
    """``g`` to the first maximum of each window, put back where it was read."""
    if x.ndim == 3:
        g, ans, x = batched(xp, g, ans, x)
        return max_pool_vjp(xp, g, ans, x, kernel_size=kernel_size, stride=stride,
                            padding=padding, dilation=dilation)[0, ...]
    x = pad(xp, x, [(p, p) for p in padding], -math.inf)
    slices = window_slices(x, kernel_size, stride, dilation, tuple(ans.shape[2:]))
    parts = [where_zero(xp, hit, g) for hit, _ in _firsts(xp, slices, ans)]
    return crop(unwindow(xp, parts, tuple(x.shape[2:]), kernel_size, stride, dilation), padding)


def max_pool_jvp(xp: Any, tangents: Any, ans: Any, x: Any, *, kernel_size: Ints,
                 stride: Ints, padding: Ints, dilation: Ints) -> Any:
    """The tangent at the first maximum of each window."""
    (t,) = tangents
    if x.ndim == 3:
        t, ans, x = batched(xp, t, ans, x)
        return max_pool_jvp(xp, (t,), ans, x, kernel_size=kernel_size, stride=stride,
                            padding=padding, dilation=dilation)[0, ...]
    widths, out = [(p, p) for p in padding], tuple(ans.shape[2:])
    slices = window_slices(pad(xp, x, widths, -math.inf), kernel_size, stride, dilation, out)
    moved = window_slices(pad(xp, t, widths), kernel_size, stride, dilation, out)
    total = None
    for (hit, _), part in zip(_firsts(xp, slices, ans), moved, strict=True):
        term = where_zero(xp, hit, part)
        total = term if total is None else total + term
    return total


def _divisor(xp: Any, x: Any, kernel: Ints, stride: Ints, padding: Ints, out: Ints,
             count_include_pad: bool) -> Any:
    """What each window's sum is divided by: the window size, or, with ``count_include_pad``
    False and some padding, the number of its elements inside ``x``, (1, 1, *out)."""
    if count_include_pad or not any(padding):
        return float(math.prod(kernel))
    inside = pad(xp, xp.ones_like(x[(slice(0, 1), slice(0, 1), ...)]), [(p, p) for p in padding])
    total = None
    for part in window_slices(inside, kernel, stride, (1,) * len(kernel), out):
        total = part if total is None else total + part
    return total


def avg_pool_forward(xp: Any, x: Any, *, kernel_size: Ints, stride: Ints, padding: Ints,
                     count_include_pad: bool = True) -> Any:
    """The sum of the window slices of the zero-padded ``x``, over the window size (or the
    count of the window's elements inside ``x``)."""
    if x.ndim == 3:
        return avg_pool_forward(xp, *batched(xp, x), kernel_size=kernel_size, stride=stride,
                                padding=padding, count_include_pad=count_include_pad)[0, ...]
    ones = (1,) * len(kernel_size)
    out = _out(x, kernel_size, stride, padding, ones)
    divisor = _divisor(xp, x, kernel_size, stride, padding, out, count_include_pad)
    x = pad(xp, x, [(p, p) for p in padding])
    total = None
    for part in window_slices(x, kernel_size, stride, ones, out):
        total = part if total is None else total + part
    return total / divisor


def avg_pool_vjp(xp: Any, g: Any, ans: Any, x: Any, *, kernel_size: Ints, stride: Ints,
                 padding: Ints, count_include_pad: bool = True) -> Any:
    """``g`` over the divisor, put back at every position each window read."""
    if x.ndim == 3:
        g, x = batched(xp, g, x)
        return avg_pool_vjp(xp, g, ans, x, kernel_size=kernel_size, stride=stride,
                            padding=padding, count_include_pad=count_include_pad)[0, ...]
    ones = (1,) * len(kernel_size)
    share = g / _divisor(xp, x, kernel_size, stride, padding, tuple(g.shape[2:]),
                         count_include_pad)
    padded = tuple(m + 2 * p for m, p in zip(x.shape[2:], padding, strict=True))
    parts = [share] * math.prod(kernel_size)
    return crop(unwindow(xp, parts, padded, kernel_size, stride, ones), padding)


AVG_POOL_JVP = linear_jvp(avg_pool_forward)
