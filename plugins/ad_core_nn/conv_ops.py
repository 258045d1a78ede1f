"""The ops ``conv1d`` and ``conv2d``: cross-correlation as registered ops, with generic rules.

A convolution is one op on the tape, so that a backend can run it with its own fused kernel
(torch's ``convolution`` and ``convolution_backward``: plugin ``backends``); the rules here are
the reference those kernels are tested against, and they serve every other backend. They are
written for any number of spatial axes, against ``xp`` only, so they run on array-api-strict,
and on ad_core's differentiable namespace for derivatives of any order and forward mode.

With ``x`` (N, C, *spatial), ``weight`` (O, C/G, *k) and G ``groups`` (channels and outputs
split into G independent convolutions, as in torch):

- **forward**: ``x`` zero-padded, its windows gathered (one strided slice per kernel offset,
  stacked: ``(N, C, K, *out)``, the im2col matrix), and one batched ``matmul`` per group of the
  weight, reshaped to (G, O/G, C/G·K), with those columns;
- **input**: the adjoint of a strided correlation is a correlation with stride 1 of the
  cotangent spread out by the stride (zeros inserted between its elements) and padded by the
  kernel's reach, with the weight flipped and its in/out axes swapped within each group (a
  "transposed convolution"): so it is the conv op itself, and a backend's kernel serves it too;
- **weight**: the windows of ``x`` against the cotangent, summed over the batch: ``g @ cols.T``;
- **bias**: the cotangent summed over every axis but the channels';
- **JVP**: a convolution is bilinear in (input, weight), so the tangent is
  ``conv(dx, w) + conv(x, dw) + db``.

An unbatched input (C, *spatial) runs as a batch of one. ``signature`` normalises the
parameters to tuples and checks the shapes, naming the op, before any backend sees them.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import ShapeError
from ad_core_nn.windows import (
    Ints,
    batched,
    ints,
    output_size,
    pad,
    spatial_input,
    spread,
    window_slices,
)

__all__ = ["CONV_VJP", "conv_forward", "conv_jvp", "conv_signature"]

SPATIAL = {1: "L", 2: "H, W"}
KERNEL = {1: "k", 2: "kh, kw"}


def conv_signature(n: int) -> Any:
    """The signature function of ``conv{n}d``: torch.nn.functional's arguments, checked."""
    name = f"conv{n}d"

    def signature(x: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0,
                  dilation: Any = 1, groups: int = 1) -> tuple[tuple[Any, ...], dict[str, Any]]:
        params = {"stride": ints(stride, n, "stride", name, 1),
                  "padding": ints(padding, n, "padding", name, 0),
                  "dilation": ints(dilation, n, "dilation", name, 1),
                  "groups": ints(groups, 1, "groups", name, 1)[0]}
        if all(hasattr(a, "shape") for a in (x, weight)):
            check_shapes(name, n, x, weight, bias, **params)
        return (x, weight, bias), params

    signature.__doc__ = (
        f"{name}(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1): the {n}-d "
        f"cross-correlation of x (N, C_in, {SPATIAL[n]}) or (C_in, {SPATIAL[n]}) with weight "
        f"(C_out, C_in / groups, {KERNEL[n]}), plus bias (C_out,), as torch.nn.functional."
        f"{name}. stride, padding and dilation are an int or {n} ints; padding adds zeros on "
        f"both sides. One op on the tape: a backend may run it with a fused kernel.")
    return signature


def check_shapes(name: str, n: int, x: Any, weight: Any, bias: Any, *, stride: Ints,
                 padding: Ints, dilation: Ints, groups: int) -> None:
    """A ShapeError naming the op and the shapes, for inputs that do not make a convolution."""
    w_shape, x_shape = tuple(weight.shape), tuple(x.shape)
    if len(w_shape) != n + 2:
        raise ShapeError(f"{name}: weight must be {n + 2}-d (C_out, C_in / groups, "
                         f"{KERNEL[n]}), got shape {w_shape}")
    spatial_input(name, x, n)
    channels, out_channels = x_shape[-n - 1], w_shape[0]
    if channels % groups or out_channels % groups:
        raise ShapeError(f"{name}: groups={groups} must divide the input's {channels} channels "
                         f"and the weight's {out_channels} output channels (input shape "
                         f"{x_shape}, weight shape {w_shape})")
    if channels != w_shape[1] * groups:
        raise ShapeError(f"{name}: input of shape {x_shape} has {channels} channels, but weight "
                         f"of shape {w_shape} with groups={groups} expects "
                         f"{w_shape[1] * groups}")
    if bias is not None and hasattr(bias, "shape") and tuple(bias.shape) != (out_channels,):
        raise ShapeError(f"{name}: bias must have shape ({out_channels},) for weight of shape "
                         f"{w_shape}, got {tuple(bias.shape)}")
    output_size(name, x_shape[-n:], w_shape[2:], stride, padding, dilation)


def columns(xp: Any, x: Any, kernel: Ints, stride: Ints, padding: Ints, dilation: Ints,
            out: Ints, groups: int) -> Any:
    """The windows of ``x`` (N, C, *spatial) as (N, G, C/G·K, L): one column per output
    position (L of them), holding the window's values channel by channel."""
    x = pad(xp, x, [(p, p) for p in padding])
    cols = xp.stack(list(window_slices(x, kernel, stride, dilation, out)), axis=2)
    rows = x.shape[1] // groups * math.prod(kernel)  # explicit sizes: an empty batch is fine
    return xp.reshape(cols, (x.shape[0], groups, rows, math.prod(out)))


def conv_forward(xp: Any, x: Any, weight: Any, bias: Any = None, *, stride: Ints,
                 padding: Ints, dilation: Ints, groups: int) -> Any:
    """Windows of ``x`` (im2col) times the weight, one matmul per group, plus the bias."""
    if x.ndim == weight.ndim - 1:
        return conv_forward(xp, *batched(xp, x), weight, bias, stride=stride, padding=padding,
                            dilation=dilation, groups=groups)[0, ...]
    n, out_channels, kernel = weight.ndim - 2, weight.shape[0], tuple(weight.shape[2:])
    out = tuple((m + 2 * p - d * (k - 1) - 1) // s + 1
                for m, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation,
                                         strict=True))
    cols = columns(xp, x, kernel, stride, padding, dilation, out, groups)
    rows = weight.shape[1] * math.prod(kernel)
    y = xp.matmul(xp.reshape(weight, (groups, out_channels // groups, rows)), cols)
    y = xp.reshape(y, (x.shape[0], out_channels, *out))
    return y if bias is None else y + xp.reshape(bias, (out_channels,) + (1,) * n)


def transposed(xp: Any, weight: Any, groups: int) -> Any:
    """The weight of the transposed convolution: in and out channels swapped within each group,
    and the kernel flipped along every spatial axis."""
    n, (out_channels, per_group), kernel = weight.ndim - 2, weight.shape[:2], weight.shape[2:]
    if groups == 1:
        w = xp.permute_dims(weight, (1, 0, *range(2, 2 + n)))
    else:
        w = xp.reshape(weight, (groups, out_channels // groups, per_group, *kernel))
        w = xp.permute_dims(w, (0, 2, 1, *range(3, 3 + n)))
        w = xp.reshape(w, (groups * per_group, out_channels // groups, *kernel))
    return xp.flip(w, axis=tuple(range(2, 2 + n)))


def conv_vjp_input(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any = None, *,
                   stride: Ints, padding: Ints, dilation: Ints, groups: int) -> Any:
    """The transposed convolution of ``g``: spread by the stride, padded by the kernel's reach
    (less the forward padding; the remainder the stride skipped goes at the end), correlated
    with the flipped, transposed weight by the conv op itself."""
    if x.ndim == weight.ndim - 1:
        g, x = batched(xp, g, x)
        return conv_vjp_input(xp, g, ans, x, weight, bias, stride=stride, padding=padding,
                              dilation=dilation, groups=groups)[0, ...]
    n, widths = weight.ndim - 2, []
    for m, k, s, p, d in zip(x.shape[2:], weight.shape[2:], stride, padding, dilation,
                             strict=True):
        reach = d * (k - 1)
        skipped = (m + 2 * p - reach - 1) % s
        widths.append((reach - p, reach - p + skipped))
    spread_g = pad(xp, spread(xp, g, stride), widths)
    conv = getattr(xp, f"conv{n}d")
    return conv(spread_g, transposed(xp, weight, groups), None, stride=(1,) * n,
                padding=(0,) * n, dilation=dilation, groups=groups)


def conv_vjp_weight(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any = None, *,
                    stride: Ints, padding: Ints, dilation: Ints, groups: int) -> Any:
    """Each group's cotangent times its windows of ``x``, summed over the batch."""
    if x.ndim == weight.ndim - 1:
        g, x = batched(xp, g, x)
    out_channels, out = weight.shape[0], tuple(g.shape[2:])
    cols = columns(xp, x, tuple(weight.shape[2:]), stride, padding, dilation, out, groups)
    g = xp.reshape(g, (g.shape[0], groups, out_channels // groups, math.prod(out)))
    return xp.reshape(xp.sum(xp.matmul(g, xp.matrix_transpose(cols)), axis=0), weight.shape)


def conv_vjp_bias(xp: Any, g: Any, ans: Any, x: Any, weight: Any, bias: Any = None,
                  **params: Any) -> Any:
    """The cotangent summed over every axis but the channels'."""
    channel_axis = g.ndim - weight.ndim + 1
    return xp.sum(g, axis=tuple(a for a in range(g.ndim) if a != channel_axis))


#  input     cotangent (g has the output's shape)
CONV_VJP = [
    conv_vjp_input,    # x: the transposed convolution of g
    conv_vjp_weight,   # weight: g against the windows of x
    conv_vjp_bias,     # bias: g summed over batch and space
]  # fmt: skip


def conv_jvp(xp: Any, tangents: Any, ans: Any, x: Any, weight: Any, bias: Any = None,
             **params: Any) -> Any:
    """Bilinear in (x, weight), affine in bias: ``conv(dx, w) + conv(x, dw) + db``."""
    tx, tw, tb = (*tangents, None, None)[:3]
    conv = getattr(xp, f"conv{weight.ndim - 2}d")
    total = None
    if tx is not None:
        total = conv(tx, weight, None, **params)
    if tw is not None:
        term = conv(x, tw, None, **params)
        total = term if total is None else total + term
    if tb is not None:
        term = xp.reshape(tb, (weight.shape[0],) + (1,) * (weight.ndim - 2))
        total = term if total is None else total + term
    return total

