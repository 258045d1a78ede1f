"""Activation layers: each wraps one elementwise function (or softmax along an axis).

The lecture's first remedy for vanishing gradients is a better activation: ReLU and its
relatives keep a slope of 1 where they are active, where the sigmoid's never exceeds 1/4.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import Module, array_api

SQRT_HALF = math.sqrt(0.5)
SQRT_TWO_OVER_PI = math.sqrt(2.0 / math.pi)


class ReLU(Module):
    """max(x, 0), elementwise; its gradient is 1 where x > 0 and 0 elsewhere (as torch)."""

    def forward(self, x: Any) -> Any:
        return array_api.relu(x)


class LeakyReLU(Module):
    """x where x > 0, else ``negative_slope * x``: a ReLU whose inactive side still learns."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Any:
        return array_api.where(x > 0.0, x, x * self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x: Any) -> Any:
        return array_api.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise, stable for large |x|."""

    def forward(self, x: Any) -> Any:
        return array_api.sigmoid(x)


class GELU(Module):
    """x Φ(x), Φ the standard normal CDF: ``0.5 x (1 + erf(x / sqrt(2)))``.

    ``approximate="tanh"`` uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x³)))`` instead, as
    torch does. The exact form uses the ``erf`` op this plugin registers.
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> Any:
        if self.approximate == "tanh":
            inner = SQRT_TWO_OVER_PI * (x + 0.044715 * (x * x * x))
            return 0.5 * x * (1.0 + array_api.tanh(inner))
        return 0.5 * x * (1.0 + array_api.erf(x * SQRT_HALF))

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, a smooth ReLU; ``x`` itself where ``beta x > threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = float(beta)
        self.threshold = float(threshold)

    def forward(self, x: Any) -> Any:
        return array_api.softplus(x, beta=self.beta, threshold=self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """exp(x) normalised to sum to 1 along ``dim`` (default: the last axis), computed stably."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Any:
        return array_api.softmax(x, axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim`` (default: the last axis), as ``x - logsumexp(x)``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Any:
        return array_api.log_softmax(x, axis=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
