"""The built-in initializers, registered through ``ad_core_register_initializers``.

Each fills a parameter in place (``p.data = ...``, so the parameter keeps its identity, dtype,
backend and device) and returns it, with torch.nn.init's names, arguments and formulas. Random
ones draw from :mod:`ad_core.random`: ``seed=`` (an int or an ``ad.random.Generator``) gives
the same values on every backend, and without it they use the process-wide generator
(``ad.random.seed(n)``).

Careful initialisation is one of the lecture's remedies for vanishing and exploding gradients:
xavier (Glorot) keeps the variance of activations and gradients constant through a linear or
tanh layer, kaiming (He) does so for ReLU layers by doubling it, and orthogonal matrices keep
every singular value at 1.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import Parameter, ShapeError, array_api, hookimpl, random

Seed = Any  # an int, an ad_core.random.Generator, or None

#: calculate_gain's table: nonlinearities whose gain does not depend on a parameter.
GAINS = {
    "linear": 1.0, "identity": 1.0, "sigmoid": 1.0,
    "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0,
    "conv_transpose1d": 1.0, "conv_transpose2d": 1.0, "conv_transpose3d": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}  # fmt: skip


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which to scale a layer's weights for ``nonlinearity`` (torch's table).

    ``leaky_relu`` takes its negative slope as ``param`` (default 0.01):
    ``sqrt(2 / (1 + slope²))``.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, int | float):
            raise ValueError(f"calculate_gain: negative slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1.0 + slope * slope))
    if nonlinearity not in GAINS:
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; known: "
                         f"{', '.join([*GAINS, 'leaky_relu'])}")
    return GAINS[nonlinearity]


def calculate_fans(tensor: Any) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight: (in, out) for a (out, in) matrix, times the receptive
    field (the product of the remaining axes) for convolution kernels (out, in, *kernel)."""
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ShapeError(f"fan-in and fan-out need a tensor of at least 2 dimensions, got "
                         f"shape {shape}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Any, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Parameter, values: Any) -> Parameter:
    tensor.data = values
    return tensor


# -- the initializers -----------------------------------------------------------------------------


def uniform_(tensor: Parameter, a: float = 0.0, b: float = 1.0, *, seed: Seed = None) -> Parameter:
    """Fill ``tensor`` with samples of the uniform distribution on [a, b)."""
    return _fill(tensor, random.generator(seed).uniform(tensor.shape, a, b, like=tensor))


def normal_(tensor: Parameter, mean: float = 0.0, std: float = 1.0, *, seed: Seed = None) -> Parameter:
    """Fill ``tensor`` with samples of the normal distribution N(mean, std²)."""
    return _fill(tensor, random.generator(seed).normal(tensor.shape, mean, std, like=tensor))


def constant_(tensor: Parameter, val: float) -> Parameter:
    """Fill ``tensor`` with ``val``."""
    return _fill(tensor, array_api.full_like(tensor, val))


def zeros_(tensor: Parameter) -> Parameter:
    """Fill ``tensor`` with zeros."""
    return _fill(tensor, array_api.zeros_like(tensor))


def ones_(tensor: Parameter) -> Parameter:
    """Fill ``tensor`` with ones."""
    return _fill(tensor, array_api.ones_like(tensor))


def xavier_uniform_(tensor: Parameter, gain: float = 1.0, *, seed: Seed = None) -> Parameter:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fans(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, seed=seed)


def xavier_normal_(tensor: Parameter, gain: float = 1.0, *, seed: Seed = None) -> Parameter:
    """Glorot normal: N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), seed=seed)


def kaiming_uniform_(tensor: Parameter, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", *, seed: Seed = None) -> Parameter:
    """He uniform: U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a).

    ``mode="fan_in"`` keeps the variance of activations in the forward pass, ``"fan_out"``
    that of gradients in the backward pass. ``Linear``'s default is ``a=sqrt(5)``.
    """
    fan = _fan(tensor, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan) if fan else 0.0
    return uniform_(tensor, -bound, bound, seed=seed)


def kaiming_normal_(tensor: Parameter, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", *, seed: Seed = None) -> Parameter:
    """He normal: N(0, std²) with std = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)."""
    fan = _fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0
    return normal_(tensor, 0.0, std, seed=seed)


def orthogonal_(tensor: Parameter, gain: float = 1.0, *, seed: Seed = None) -> Parameter:
    """A (semi-)orthogonal matrix times ``gain``: orthonormal rows or columns, whichever are
    fewer. Tensors of more than 2 dimensions are treated as (shape[0], rest) matrices.

    Drawn on the host as the Q of a QR decomposition of a normal matrix, as torch does, and
    identical on every backend.
    """
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ShapeError(f"orthogonal_: needs a tensor of at least 2 dimensions, got shape {shape}")
    rows, cols = shape[0], math.prod(shape[1:])
    q = random.generator(seed).orthogonal(rows, cols, like=tensor)
    return _fill(tensor, array_api.reshape(q * gain, shape))


INITIALIZERS = (
    uniform_, normal_, constant_, zeros_, ones_,
    xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_, orthogonal_,
    calculate_gain, calculate_fans,
)  # fmt: skip


@hookimpl
def ad_core_register_initializers(register: Any) -> None:
    """Every initializer under its function name: ``ad.init.xavier_uniform_`` and so on."""
    for fn in INITIALIZERS:
        register(fn.__name__, fn)
