"""Normalization layers (LayerNorm, BatchNorm1d, BatchNorm2d) and Dropout.

Normalization is one of the lecture's remedies for vanishing gradients: it keeps every layer's
input at zero mean and unit variance, where activations have slope. Dropout is the standard
regulariser; like BatchNorm1d it behaves differently in training and evaluation mode.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import Module, Parameter, ShapeError, array_api, random
from ad_core_nn.linear import check_dtype, check_features


def _constant(shape: tuple[int, ...], value: float, dtype: Any) -> Any:
    return array_api.full(shape, value, dtype=dtype)


class LayerNorm(Module):
    """Normalises each sample over its last axes: ``(x - mean) / sqrt(var + eps) * weight + bias``.

    ``normalized_shape`` is the shape of those trailing axes (an int for one axis); mean and the
    biased variance are taken over them, per sample, in training and evaluation alike.
    ``weight`` (ones) and ``bias`` (zeros) have that shape; ``elementwise_affine=False`` or
    ``bias=False`` leaves them out.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *,
                 dtype: Any = "float32") -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape = tuple(int(n) for n in shape)
        self.eps = float(eps)
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(_constant(self.normalized_shape, 1.0, dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(_constant(self.normalized_shape, 0.0, dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Any:
        k = len(self.normalized_shape)
        if tuple(x.shape[-k:]) != self.normalized_shape or len(x.shape) < k:
            raise ShapeError(f"LayerNorm(normalized_shape={self.normalized_shape}): input of "
                             f"shape {tuple(x.shape)} does not end in {self.normalized_shape}")
        if self.weight is not None:
            check_dtype("LayerNorm", x, self.weight)
        axes = tuple(range(-k, 0))
        centered = x - array_api.mean(x, axis=axes, keepdims=True)
        variance = array_api.mean(centered * centered, axis=axes, keepdims=True)
        y = centered / array_api.sqrt(variance + self.eps)
        if self.weight is not None:
            y = y * self.weight
        if self.bias is not None:
            y = y + self.bias
        return y

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class BatchNorm1d(Module):
    """Normalises each feature over the batch: input (N, C) or (N, C, L), C = ``num_features``.

    In training mode each feature is normalised by the batch's mean and biased variance, and the
    buffers ``running_mean`` and ``running_var`` move towards them by ``momentum``
    (``running = (1 - momentum) running + momentum batch``, the variance unbiased; with
    ``momentum=None`` a cumulative average), while ``num_batches_tracked`` counts the steps. In
    evaluation mode the running statistics are used instead. ``track_running_stats=False``
    keeps no buffers and always uses the batch; ``affine=False`` leaves out ``weight`` (ones)
    and ``bias`` (zeros), ``bias=False`` the bias only. All as torch.nn.BatchNorm1d.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, *, bias: bool = True,
                 dtype: Any = "float32") -> None:
        super().__init__()
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        c = (self.num_features,)
        if affine:
            self.weight = Parameter(_constant(c, 1.0, dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(_constant(c, 0.0, dtype))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _constant(c, 0.0, dtype))
            self.register_buffer("running_var", _constant(c, 1.0, dtype))
            self.register_buffer("num_batches_tracked", array_api.zeros((), dtype="int64"))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, x: Any) -> Any:
        name = f"BatchNorm1d(num_features={self.num_features})"
        if len(x.shape) not in (2, 3):
            raise ShapeError(f"{name}: expects input of shape (N, C) or (N, C, L), got "
                             f"{tuple(x.shape)}")
        check_features(name, x, self.num_features, 1)
        reference = self.weight if self.weight is not None else self.running_mean
        if reference is not None:
            check_dtype(type(self).__name__, x, reference)
        axes = (0,) if len(x.shape) == 2 else (0, 2)
        shape = (-1,) if len(x.shape) == 2 else (-1, 1)  # per-feature values, broadcastable
        use_batch = self.training or self.running_mean is None
        if use_batch:
            count = x.shape[0] * (x.shape[2] if len(x.shape) == 3 else 1)
            if count < 2 and self.training:
                raise ShapeError(f"{name}: needs more than one value per feature in training "
                                 f"mode, got input of shape {tuple(x.shape)}")
            mean = array_api.mean(x, axis=axes, keepdims=True)
            centered = x - mean
            variance = array_api.mean(centered * centered, axis=axes, keepdims=True)
            if self.training and self.running_mean is not None:
                self._track(array_api.reshape(mean, (-1,)), array_api.reshape(variance, (-1,)),
                            count)
        else:
            centered = x - array_api.reshape(self.running_mean, shape)
            variance = array_api.reshape(self.running_var, shape)
        y = centered / array_api.sqrt(variance + self.eps)
        if self.weight is not None:
            y = y * array_api.reshape(self.weight, shape)
        if self.bias is not None:
            y = y + array_api.reshape(self.bias, shape)
        return y

    def _track(self, mean: Any, variance: Any, count: int) -> None:
        """Move the running statistics towards this batch's (no gradient flows here)."""
        self.num_batches_tracked.data = self.num_batches_tracked + 1
        if self.momentum is None:
            factor = 1.0 / int(self.num_batches_tracked)
        else:
            factor = float(self.momentum)
        unbiased = variance.detach() * (count / (count - 1))
        self.running_mean.data = (1.0 - factor) * self.running_mean + factor * mean.detach()
        self.running_var.data = (1.0 - factor) * self.running_var + factor * unbiased

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm2d(BatchNorm1d):
    """Normalises each channel of (N, C, H, W) feature maps over the batch and both spatial
    axes, C = ``num_features``: the arguments, parameters, buffers and modes of BatchNorm1d,
    as torch.nn.BatchNorm2d.

    The maps are viewed as (N, C, H·W), which BatchNorm1d normalises over N and H·W per
    channel: the same statistics, so no second implementation to keep in step.

    >>> import ad_core as ad
    >>> bn = ad.nn.BatchNorm2d(4)
    >>> bn.running_mean.shape, bn(ad.array_api.ones((2, 4, 3, 3), dtype=ad.float32)).shape
    ((4,), (2, 4, 3, 3))
    """

    def forward(self, x: Any) -> Any:
        name = f"BatchNorm2d(num_features={self.num_features})"
        if len(x.shape) != 4:
            raise ShapeError(f"{name}: expects input of shape (N, C, H, W), got {tuple(x.shape)}")
        check_features(name, x, self.num_features, 1)
        n, c, h, w = x.shape
        y = super().forward(array_api.reshape(x, (n, c, h * w)))
        return array_api.reshape(y, (n, c, h, w))


class Dropout(Module):
    """Zeroes each element with probability ``p`` in training mode, and scales the rest by
    1 / (1 - p) so that the expected value is unchanged ("inverted" dropout); the identity in
    evaluation mode.

    The mask comes from :mod:`ad_core.random`'s process-wide generator: ``ad.random.seed(n)``
    makes it reproducible, and the same on every backend.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = float(p)

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        keep = random.bernoulli(1.0 - self.p, tuple(x.shape), like=x)
        return x * (keep * (1.0 / (1.0 - self.p)))

    def extra_repr(self) -> str:
        return f"p={self.p}"
