"""Convolution and pooling layers: Conv1d, Conv2d, MaxPool2d, AvgPool2d, and the ops they call.

Each layer is a thin module around one registered op (``conv1d``, ``conv2d``, ``max_pool2d``,
``avg_pool2d``; registered by this plugin through ``ad_core_register_ops``, so they are also
``ad.conv2d`` and so on). An op is one node on the tape, and a backend may replace its rules by a
fused kernel: on torch the layers run ``torch.nn.functional.conv2d`` and its backward kernels.
The generic rules, which every other backend runs and which are the reference the kernels are
tested against, are written against the Array API (:mod:`.conv_ops`, :mod:`.pool_ops`,
:mod:`.windows`): the windows of the input are strided slices, a convolution is one matmul per
group with them (im2col), its input-gradient a transposed convolution (the op itself, on the
cotangent spread out by the stride, with the kernel flipped), and the pooling gradients put each
window's share back where it was read. They nest to any order and give forward mode.

Constructors, parameter names, shapes and default initialisation follow torch.nn: ``weight`` is
``(out_channels, in_channels // groups, *kernel_size)`` and, like ``bias``, is drawn from
uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = in_channels // groups *
prod(kernel_size)``. ``groups`` splits the channels into independent convolutions (``groups ==
in_channels`` is a depthwise convolution).
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import Module, Parameter, array_api, random
from ad_core_nn.conv_ops import CONV_VJP, conv_forward, conv_jvp, conv_signature
from ad_core_nn.linear import check_dtype, check_features
from ad_core_nn.pool_ops import (
    AVG_POOL_JVP,
    avg_pool_forward,
    avg_pool_signature,
    avg_pool_vjp,
    max_pool_forward,
    max_pool_jvp,
    max_pool_signature,
    max_pool_vjp,
    pool_params,
)
from ad_core_nn.windows import ints

__all__ = ["AvgPool2d", "Conv1d", "Conv2d", "MaxPool2d", "avg_pool2d", "conv1d", "conv2d",
           "max_pool2d", "register_conv_ops"]


def register_conv_ops(register: Any) -> None:
    """Register ``conv1d``, ``conv2d``, ``max_pool2d`` and ``avg_pool2d`` (called from the
    plugin's ``ad_core_register_ops``)."""
    for n in (1, 2):
        signature = conv_signature(n)
        register(f"conv{n}d", conv_forward, CONV_VJP, jvp=conv_jvp, signature=signature,
                 doc=signature.__doc__)
    register("max_pool2d", max_pool_forward, max_pool_vjp, jvp=max_pool_jvp,
             signature=max_pool_signature, doc=max_pool_signature.__doc__)
    register("avg_pool2d", avg_pool_forward, avg_pool_vjp, jvp=AVG_POOL_JVP,
             signature=avg_pool_signature, doc=avg_pool_signature.__doc__)


def conv1d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """The op ``conv1d`` (``ad.conv1d``): torch.nn.functional.conv1d."""
    return array_api.conv1d(x, weight, bias, stride, padding, dilation, groups)


def conv2d(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Any:
    """The op ``conv2d`` (``ad.conv2d``): torch.nn.functional.conv2d."""
    return array_api.conv2d(x, weight, bias, stride, padding, dilation, groups)


def max_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1) -> Any:
    """The op ``max_pool2d`` (``ad.max_pool2d``): torch.nn.functional.max_pool2d."""
    return array_api.max_pool2d(x, kernel_size, stride, padding, dilation)


def avg_pool2d(x: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
               count_include_pad: bool = True) -> Any:
    """The op ``avg_pool2d`` (``ad.avg_pool2d``): torch.nn.functional.avg_pool2d."""
    return array_api.avg_pool2d(x, kernel_size, stride, padding, count_include_pad)


class _ConvNd(Module):
    """The shared constructor of Conv1d and Conv2d (torch's arguments and initialisation)."""

    spatial_dims = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True, *,
                 dtype: Any = "float32") -> None:
        super().__init__()
        name, n = type(self).__name__, self.spatial_dims
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = ints(kernel_size, n, "kernel_size", name, 1)
        self.stride = ints(stride, n, "stride", name, 1)
        self.padding = ints(padding, n, "padding", name, 0)
        self.dilation = ints(dilation, n, "dilation", name, 1)
        self.groups = ints(groups, 1, "groups", name, 1)[0]
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{name}: groups={self.groups} must divide in_channels "
                             f"({self.in_channels}) and out_channels ({self.out_channels})")
        self._op = f"conv{n}d"
        fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight = Parameter(random.uniform(shape, -bound, bound, dtype=dtype))
        if bias:
            self.bias = Parameter(random.uniform((self.out_channels,), -bound, bound, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Any:
        if x.ndim in (self.spatial_dims + 1, self.spatial_dims + 2):
            name = f"{type(self).__name__}(in_channels={self.in_channels})"
            check_features(name, x, self.in_channels, -self.spatial_dims - 1, "channels")
        if x.dtype != self.weight.dtype:
            check_dtype(type(self).__name__, x, self.weight)
        return getattr(array_api, self._op)(x, self.weight, self.bias, self.stride, self.padding,
                                            self.dilation, self.groups)

    def extra_repr(self) -> str:
        n = self.spatial_dims
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * n:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv1d(_ConvNd):
    """A 1-d convolution over (N, C_in, L) or (C_in, L) inputs, as torch.nn.Conv1d: the op
    ``conv1d``.

    >>> import ad_core as ad
    >>> conv = ad.nn.Conv1d(2, 4, kernel_size=3, padding=1)
    >>> conv.weight.shape, conv(ad.array_api.zeros((5, 2, 7), dtype=ad.float32)).shape
    ((4, 2, 3), (5, 4, 7))
    """

    spatial_dims = 1


class Conv2d(_ConvNd):
    """A 2-d convolution over (N, C_in, H, W) or (C_in, H, W) inputs, as torch.nn.Conv2d: the
    op ``conv2d``. An input with the wrong number of channels raises a ShapeError naming both.

    >>> import ad_core as ad
    >>> conv = ad.nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
    >>> conv.weight.shape, conv(ad.array_api.zeros((2, 3, 9, 9), dtype=ad.float32)).shape
    ((8, 3, 3, 3), (2, 8, 5, 5))
    >>> ad.nn.Conv2d(4, 8, 3, groups=2).weight.shape     # two groups of 2 -> 4 channels
    (8, 2, 3, 3)
    """

    spatial_dims = 2


class _Pool2d(Module):
    def __init__(self, kernel_size: int | tuple[int, int], stride: Any = None,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        params = pool_params(type(self).__name__, kernel_size, stride, padding)
        self.kernel_size, self.stride = params["kernel_size"], params["stride"]
        self.padding = params["padding"]

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The maximum over each (kernel_size) window, as torch.nn.MaxPool2d: the op
    ``max_pool2d``; ``stride`` defaults to ``kernel_size``, ``dilation`` spaces the window's
    elements, and the gradient goes to the first maximum of each window, as in torch.

    >>> import ad_core as ad
    >>> ad.nn.MaxPool2d(2)(ad.array_api.zeros((1, 3, 8, 6))).shape
    (1, 3, 4, 3)
    """

    def __init__(self, kernel_size: int | tuple[int, int], stride: Any = None,
                 padding: int | tuple[int, int] = 0, dilation: int | tuple[int, int] = 1) -> None:
        super().__init__(kernel_size, stride, padding)
        self.dilation = ints(dilation, 2, "dilation", type(self).__name__, 1)

    def forward(self, x: Any) -> Any:
        return array_api.max_pool2d(x, self.kernel_size, self.stride, self.padding,
                                    self.dilation)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.dilation == (1, 1) else f"{text}, dilation={self.dilation}"


class AvgPool2d(_Pool2d):
    """The mean over each (kernel_size) window, as torch.nn.AvgPool2d: the op ``avg_pool2d``.
    Padding zeros count in the mean unless ``count_include_pad=False``.

    >>> import ad_core as ad
    >>> ad.nn.AvgPool2d(3, stride=1, padding=1)(ad.array_api.zeros((1, 2, 5, 5))).shape
    (1, 2, 5, 5)
    """

    def __init__(self, kernel_size: int | tuple[int, int], stride: Any = None,
                 padding: int | tuple[int, int] = 0, count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x: Any) -> Any:
        return array_api.avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                                    self.count_include_pad)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.count_include_pad else f"{text}, count_include_pad=False"
