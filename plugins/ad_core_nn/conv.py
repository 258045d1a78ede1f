"""Convolution and pooling: Conv1d, Conv2d, MaxPool2d, AvgPool2d, and their functional forms.

Everything here is composed from Array API operations that ad_core differentiates, so the layers
run, and give gradients of any order, on every backend without a kernel of their own:

- padding is a concatenation of constant blocks (zeros, or ``-inf`` for max pooling);
- the windows are gathered, channels-last, with one strided slice per kernel offset (``k``
  slices in 1-d, ``k1*k2`` in 2-d), stacked on a new last axis: ``(N, *out, C, K)``;
- a convolution is then one ``linear`` op (``columns @ weight.T + bias``, a fused GEMM on torch)
  of the windows reshaped to ``(N, *out, C*K)`` with the weight reshaped to ``(out, C*K)``, and
  a permutation back to ``(N, out, *out)``; max and average pooling reduce the ``K`` axis with
  ``max`` (the gradient goes to the maximum; ties share it, as in ``ad.max``) and ``mean``.

Constructors, parameter names, shapes and default initialisation follow torch.nn: ``weight`` is
``(out_channels, in_channels, *kernel_size)`` and, like ``bias``, is drawn from
uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = in_channels * prod(kernel_size)``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from ad_core.extend import Module, Parameter, ShapeError, array_api, random
from ad_core_nn.linear import check_dtype, check_features

__all__ = ["AvgPool2d", "Conv1d", "Conv2d", "MaxPool2d", "avg_pool2d", "conv1d", "conv2d",
           "max_pool2d"]


def _tuple(value: int | tuple[int, ...], n: int, what: str, layer: str, low: int) -> tuple[int, ...]:
    """``value`` as ``n`` ints, each at least ``low`` (a ValueError naming the layer otherwise)."""
    values = tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value),) * n
    if len(values) != n or any(v < low for v in values):
        raise ValueError(f"{layer}: {what} must be {n} int(s) >= {low}, got {value!r}")
    return values


def _pad(x: Any, padding: tuple[int, ...], fill: float) -> Any:
    """``x`` (N, *spatial, C) with ``padding[i]`` entries of ``fill`` on both sides of spatial
    axis i."""
    for i, p in enumerate(padding):
        if p == 0:
            continue
        axis = 1 + i
        edge = x[(slice(None),) * axis + (slice(0, 1),)]
        shape = tuple(p if a == axis else s for a, s in enumerate(x.shape))
        block = array_api.broadcast_to(array_api.full_like(edge, fill), shape)
        x = array_api.concat([block, x, block], axis=axis)
    return x


def _output_size(name: str, spatial: tuple[int, ...], kernel: tuple[int, ...],
                 stride: tuple[int, ...], padding: tuple[int, ...],
                 dilation: tuple[int, ...]) -> tuple[int, ...]:
    sizes = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                  for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True))
    if any(size < 1 for size in sizes):
        raise ShapeError(f"{name}: input of spatial size {spatial} (padding {padding}) is smaller "
                         f"than the kernel {kernel} with dilation {dilation}")
    return sizes


def _windows(x: Any, name: str, kernel: tuple[int, ...], stride: tuple[int, ...],
             padding: tuple[int, ...], dilation: tuple[int, ...], fill: float) -> Any:
    """The windows of ``x`` (N, C, *spatial) as one array (N, *out, C, prod(kernel)).

    ``x`` is made channels-last once, so that every strided slice is already (N, *out, C) and
    stacking them last gives the im2col layout without moving the (larger) windows again."""
    n = len(kernel)
    out = _output_size(name, tuple(x.shape[2:]), kernel, stride, padding, dilation)
    x = _pad(array_api.permute_dims(x, (0, *range(2, 2 + n), 1)), padding, fill)
    slices = []
    for offset in itertools.product(*(range(k) for k in kernel)):
        index = tuple(slice(o * d, o * d + s * (m - 1) + 1, s)
                      for o, d, s, m in zip(offset, dilation, stride, out, strict=True))
        slices.append(x[(slice(None), *index)])
    return array_api.stack(slices, axis=-1)


def _batched(name: str, x: Any, spatial_dims: int) -> tuple[Any, bool]:
    """``x`` with a batch axis (added when the input is unbatched), and whether it was added."""
    if x.ndim == spatial_dims + 1:
        return array_api.expand_dims(x, axis=0), True
    if x.ndim != spatial_dims + 2:
        raise ShapeError(f"{name}: expected a {spatial_dims + 2}-d input (N, C, *spatial) or a "
                         f"{spatial_dims + 1}-d one (C, *spatial), got shape {tuple(x.shape)}")
    return x, False


def _conv(name: str, x: Any, weight: Any, bias: Any, stride: Any, padding: Any,
          dilation: Any) -> Any:
    n = weight.ndim - 2
    kernel = tuple(weight.shape[2:])
    stride = _tuple(stride, n, "stride", name, 1)
    padding = _tuple(padding, n, "padding", name, 0)
    dilation = _tuple(dilation, n, "dilation", name, 1)
    x, added = _batched(name, x, n)
    if x.shape[1] != weight.shape[1]:
        check_features(name, x, weight.shape[1], 1, "channels")
    windows = _windows(x, name, kernel, stride, padding, dilation, 0.0)  # (N, *out, C, K)
    columns = array_api.reshape(windows, (*windows.shape[:-2], -1))
    y = array_api.linear(columns, array_api.reshape(weight, (weight.shape[0], -1)), bias)
    y = array_api.permute_dims(y, (0, n + 1, *range(1, n + 1)))  # (N, C_out, *out)
    return y[0] if added else y


def conv1d(x: Any, weight: Any, bias: Any = None, stride: int = 1, padding: int = 0,
           dilation: int = 1) -> Any:
    """The 1-d cross-correlation of ``x`` (N, C_in, L) or (C_in, L) with ``weight``
    (C_out, C_in, k), plus ``bias`` (C_out,): torch.nn.functional.conv1d without groups."""
    return _conv("conv1d", x, weight, bias, stride, padding, dilation)


def conv2d(x: Any, weight: Any, bias: Any = None, stride: int | tuple[int, int] = 1,
           padding: int | tuple[int, int] = 0, dilation: int | tuple[int, int] = 1) -> Any:
    """The 2-d cross-correlation of ``x`` (N, C_in, H, W) or (C_in, H, W) with ``weight``
    (C_out, C_in, kh, kw), plus ``bias`` (C_out,): torch.nn.functional.conv2d without groups."""
    return _conv("conv2d", x, weight, bias, stride, padding, dilation)


def _pool(name: str, x: Any, kernel_size: Any, stride: Any, padding: Any, fill: float) -> Any:
    kernel = _tuple(kernel_size, 2, "kernel_size", name, 1)
    stride = kernel if stride is None else _tuple(stride, 2, "stride", name, 1)
    padding = _tuple(padding, 2, "padding", name, 0)
    if any(2 * p > k for p, k in zip(padding, kernel, strict=True)):
        raise ValueError(f"{name}: padding {padding} must be at most half the kernel {kernel}")
    x, added = _batched(name, x, 2)
    return _windows(x, name, kernel, stride, padding, (1, 1), fill), added


def _channels_first(y: Any, added: bool) -> Any:
    """A pooled (N, H, W, C) array back to (N, C, H, W), or (C, H, W) for an unbatched input."""
    y = array_api.permute_dims(y, (0, 3, 1, 2))
    return y[0] if added else y


def max_pool2d(x: Any, kernel_size: int | tuple[int, int], stride: Any = None,
               padding: int | tuple[int, int] = 0) -> Any:
    """The maximum of each window (padding never wins: it is ``-inf``); the gradient goes to
    the maximum, and equal maxima share it as in ``ad.max`` (torch gives it all to one)."""
    windows, added = _pool("max_pool2d", x, kernel_size, stride, padding, -math.inf)
    return _channels_first(array_api.max(windows, axis=-1), added)


def avg_pool2d(x: Any, kernel_size: int | tuple[int, int], stride: Any = None,
               padding: int | tuple[int, int] = 0) -> Any:
    """The mean of each window, padding zeros included (torch's ``count_include_pad=True``)."""
    windows, added = _pool("avg_pool2d", x, kernel_size, stride, padding, 0.0)
    return _channels_first(array_api.mean(windows, axis=-1), added)


class _ConvNd(Module):
    """The shared constructor of Conv1d and Conv2d (torch's arguments and initialisation)."""

    spatial_dims = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, bias: bool = True, *,
                 dtype: Any = "float32") -> None:
        super().__init__()
        name, n = type(self).__name__, self.spatial_dims
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _tuple(kernel_size, n, "kernel_size", name, 1)
        self.stride = _tuple(stride, n, "stride", name, 1)
        self.padding = _tuple(padding, n, "padding", name, 0)
        self.dilation = _tuple(dilation, n, "dilation", name, 1)
        fan_in = self.in_channels * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(random.uniform(shape, -bound, bound, dtype=dtype))
        if bias:
            self.bias = Parameter(random.uniform((self.out_channels,), -bound, bound, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Any:
        name = f"{type(self).__name__}(in_channels={self.in_channels})"
        if x.ndim in (self.spatial_dims + 1, self.spatial_dims + 2):
            check_features(name, x, self.in_channels, -self.spatial_dims - 1, "channels")
        if x.dtype != self.weight.dtype:
            check_dtype(type(self).__name__, x, self.weight)
        return _conv(name, x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        n = self.spatial_dims
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv1d(_ConvNd):
    """A 1-d convolution over (N, C_in, L) or (C_in, L) inputs, as torch.nn.Conv1d (no groups).

    >>> import ad_core as ad
    >>> conv = ad.nn.Conv1d(2, 4, kernel_size=3, padding=1)
    >>> conv.weight.shape, conv(ad.array_api.zeros((5, 2, 7), dtype=ad.float32)).shape
    ((4, 2, 3), (5, 4, 7))
    """

    spatial_dims = 1


class Conv2d(_ConvNd):
    """A 2-d convolution over (N, C_in, H, W) or (C_in, H, W) inputs, as torch.nn.Conv2d (no
    groups). An input with the wrong number of channels raises a ShapeError naming both.

    >>> import ad_core as ad
    >>> conv = ad.nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
    >>> conv.weight.shape, conv(ad.array_api.zeros((2, 3, 9, 9), dtype=ad.float32)).shape
    ((8, 3, 3, 3), (2, 8, 5, 5))
    """

    spatial_dims = 2


class _Pool2d(Module):
    def __init__(self, kernel_size: int | tuple[int, int], stride: Any = None,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size", name, 1)
        self.stride = self.kernel_size if stride is None else _tuple(stride, 2, "stride", name, 1)
        self.padding = _tuple(padding, 2, "padding", name, 0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ValueError(f"{name}: padding {self.padding} must be at most half the kernel "
                             f"{self.kernel_size}")

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The maximum over each (kernel_size) window, as torch.nn.MaxPool2d; ``stride`` defaults
    to ``kernel_size``.

    >>> import ad_core as ad
    >>> ad.nn.MaxPool2d(2)(ad.array_api.zeros((1, 3, 8, 6))).shape
    (1, 3, 4, 3)
    """

    def forward(self, x: Any) -> Any:
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """The mean over each (kernel_size) window, as torch.nn.AvgPool2d (padding counts as zeros).

    >>> import ad_core as ad
    >>> ad.nn.AvgPool2d(3, stride=1, padding=1)(ad.array_api.zeros((1, 2, 5, 5))).shape
    (1, 2, 5, 5)
    """

    def forward(self, x: Any) -> Any:
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding)
