"""Layers with weights that map features: Linear and Embedding; and Flatten, which reshapes.

Constructors, parameter names, shapes and default initialisations are torch.nn's, so a state
dict moves between the two libraries unchanged. Parameters are float32 on every backend unless
``dtype=`` says otherwise (torch's default), and drawn from :mod:`ad_core.random`, so one seed
gives one model everywhere.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import DTypeError, Module, Parameter, ShapeError, array_api, random


def check_features(layer: str, x: Any, expected: int, axis: int, what: str = "features") -> None:
    """A :class:`ShapeError` naming the layer and both sizes when ``x.shape[axis]`` is wrong."""
    shape = tuple(x.shape)
    if not shape or not -len(shape) <= axis < len(shape):
        raise ShapeError(f"{layer}: input of shape {shape} has no axis {axis} to hold its "
                         f"{what}")
    if shape[axis] != expected:
        raise ShapeError(f"{layer}: input has {shape[axis]} {what} (shape {shape}, axis {axis})")


def check_dtype(layer: str, x: Any, weight: Any) -> None:
    """A :class:`DTypeError` when the input's dtype is not the layer's (no silent promotion)."""
    if x.dtype != weight.dtype:
        raise DTypeError(f"{layer}: input is {getattr(x.dtype, 'name', x.dtype)} but the layer's "
                         f"parameters are {weight.dtype.name}; cast the input (x.astype(ad."
                         f"{weight.dtype.name})) or the model (model.to(dtype=...))")


def _uniform(shape: tuple[int, ...], bound: float, dtype: Any) -> Parameter:
    return Parameter(random.uniform(shape, -bound, bound, dtype=dtype))


class Linear(Module):
    """The affine map ``y = x @ weight.T + bias``, applied to the last axis of ``x``.

    ``weight`` has shape (out_features, in_features) and ``bias`` (out_features,), both drawn
    from uniform(-1/sqrt(in_features), 1/sqrt(in_features)) as in torch (for the weight this is
    ``kaiming_uniform_`` with ``a=sqrt(5)``). An input whose last axis is not ``in_features``
    raises a ShapeError naming the layer and both sizes.

    >>> import ad_core as ad
    >>> layer = ad.nn.Linear(3, 2)
    >>> layer.weight.shape, layer.bias.shape
    ((2, 3), (2,))
    >>> layer(ad.tensor([[1.0, 2.0, 3.0]], dtype=ad.float32)).shape
    (1, 2)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype: Any = "float32") -> None:
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        self.weight = _uniform((self.out_features, self.in_features), bound, dtype)
        if bias:
            self.bias = _uniform((self.out_features,), bound, dtype)
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Any:
        weight = self.weight
        if x.shape[-1:] != (self.in_features,):
            check_features(f"Linear(in_features={self.in_features})", x, self.in_features, -1)
        if x.dtype != weight.dtype:
            check_dtype("Linear", x, weight)
        return array_api.linear(x, weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Embedding(Module):
    """A lookup table: integer indices of any shape to rows of ``weight`` (num_embeddings, dim).

    ``weight`` starts standard normal, as in torch. With ``padding_idx``, that row starts at zero
    and never receives a gradient (it stays whatever it is). Indices must be integers in
    ``[0, num_embeddings)``; the output has the indices' shape plus ``embedding_dim``.

    >>> import ad_core as ad
    >>> emb = ad.nn.Embedding(10, 3, padding_idx=0)
    >>> emb(ad.tensor([[0, 4], [9, 9]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 *, dtype: Any = "float32") -> None:
        super().__init__()
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} is out of range for "
                                 f"{self.num_embeddings} embeddings")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        weight = random.normal((self.num_embeddings, self.embedding_dim), dtype=dtype)
        if padding_idx is not None:  # made on the backend in force, like the weight
            rows = array_api.reshape(array_api.arange(self.num_embeddings) == padding_idx, (-1, 1))
            weight = array_api.where(rows, 0.0, weight)
        self.weight = Parameter(weight)

    def forward(self, indices: Any) -> Any:
        if indices.dtype.kind not in ("signed integer", "unsigned integer"):
            raise DTypeError(f"Embedding: indices must be integers, got {indices.dtype.name}")
        if indices.size:
            low, high = int(array_api.min(indices)), int(array_api.max(indices))
            if low < 0 or high >= self.num_embeddings:
                bad = low if low < 0 else high
                raise IndexError(f"Embedding(num_embeddings={self.num_embeddings}): index "
                                 f"{bad} is out of range")
        if indices.dtype != array_api.int64:  # torch's kernels index with int64 (or int32) only
            indices = array_api.astype(indices, array_api.int64)
        out = array_api.take(self.weight, indices, axis=0)
        if self.padding_idx is not None:  # the padding row is read, but never trained
            padding = array_api.expand_dims(indices == self.padding_idx, axis=-1)
            out = array_api.where(padding, out.detach(), out)
        return out

    def extra_repr(self) -> str:
        pad = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class Flatten(Module):
    """Merges the axes ``start_dim`` to ``end_dim`` into one (by default all but the batch axis).

    >>> import ad_core as ad
    >>> ad.nn.Flatten()(ad.array_api.zeros((2, 3, 4))).shape
    (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Any) -> Any:
        shape = tuple(x.shape)
        n = len(shape)
        start = self.start_dim + n if self.start_dim < 0 else self.start_dim
        end = self.end_dim + n if self.end_dim < 0 else self.end_dim
        if n == 0:
            return array_api.reshape(x, (1,))
        if not 0 <= start <= end < n:
            raise ShapeError(f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim}): "
                             f"does not fit an input of shape {shape}")
        merged = math.prod(shape[start:end + 1])
        return array_api.reshape(x, (*shape[:start], merged, *shape[end + 1:]))

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
