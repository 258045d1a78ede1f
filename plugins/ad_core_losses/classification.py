"""Classification losses: cross-entropy from logits, negative log-likelihood, and binary
cross-entropy from logits, with torch.nn.functional's arguments and conventions.

Shapes (as torch): the input is (N, C), (C,) for one sample, or (N, C, d₁, ...) for a class score
per position (segmentation); class-index targets have the input's shape without the class axis
C (axis 1, or 0 for one sample). Cross-entropy from class indices runs the fused op
``softmax_cross_entropy`` (see :mod:`.fused`); class probabilities (a target of the input's
shape) go through ``log_softmax``.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import DTypeError, ShapeError, Tensor
from ad_core.extend import array_api as xp

from ._common import (
    as_tensor,
    check_class_indices,
    check_reduction,
    float_target,
    is_integer,
    reduce,
    same_shape,
)


def _class_axis(loss: str, input: Tensor) -> int:
    if input.ndim == 0:
        raise ShapeError(f"{loss}: input must have a class axis, got a 0-d tensor")
    return 1 if input.ndim >= 2 else 0


def _as_rows(loss: str, input: Tensor, target: Tensor) -> tuple[Tensor, Tensor, tuple[int, ...]]:
    """``input`` as (M, C) rows and ``target`` as (M,) class indices, plus the target's shape
    (what ``reduction="none"`` gives back)."""
    axis = _class_axis(loss, input)
    expected = input.shape[:axis] + input.shape[axis + 1:]
    if not is_integer(target):
        raise DTypeError(
            f"{loss}: class-index targets must be integers, got {target.dtype.name}; for class "
            f"probabilities give the target the input's shape {input.shape}"
        )
    if target.shape != expected:
        raise ShapeError(f"{loss}: input of shape {input.shape} needs a target of shape "
                         f"{expected} (one class index per sample), got {target.shape}")
    if target.dtype != xp.int64:  # as int64, as torch wants them: flat positions i·C + tᵢ
        target = xp.astype(target, xp.int64)  # would overflow 8-bit targets (uint8 masks)
    c = input.shape[axis]
    if input.ndim == 1:
        return xp.reshape(input, (1, c)), xp.reshape(target, (1,)), expected
    if input.ndim == 2:
        return input, target, expected
    order = (0, *range(2, input.ndim), 1)  # the class axis last
    rows = xp.reshape(xp.permute_dims(input, order), (-1, c))
    return rows, xp.reshape(target, (-1,)), expected


def _check_weight(loss: str, weight: Any, classes: int) -> Tensor | None:
    if weight is None:
        return None
    weight = as_tensor(weight)
    if weight.shape != (classes,):
        raise ShapeError(f"{loss}: weight must have shape ({classes},), one per class, got "
                         f"{weight.shape}")
    return weight


def cross_entropy(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits ``input`` and ``target`` (torch.nn.functional.cross_entropy).

    ``target`` holds class indices (integers, the input's shape without the class axis) or
    class probabilities (floats, the input's shape). ``weight`` (C,) rescales each class;
    targets equal to ``ignore_index`` contribute nothing (indices only); ``label_smoothing``
    ε mixes the target with the uniform distribution, (1 − ε)·target + ε/C. The mean of an
    index target is weighted, Σ lossᵢ / Σ weight[targetᵢ], as torch's. Stable for logits of any
    size: log-sum-exp is taken after subtracting the row maximum.

    >>> import ad_core as ad
    >>> logits = ad.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 2.0]], requires_grad=True)
    >>> loss = ad.losses.cross_entropy(logits, ad.tensor([0, 2]))
    >>> round(loss.item(), 4)
    0.2395
    >>> loss.backward()                     # (softmax − one-hot) / N
    >>> [round(v, 4) for v in logits.grad.tolist()[0]]
    [-0.1065, 0.0533, 0.0533]
    """
    check_reduction("cross_entropy", reduction)
    if not (isinstance(label_smoothing, int | float) and 0.0 <= label_smoothing <= 1.0):
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing!r}")
    input, target = as_tensor(input), as_tensor(target)
    axis = _class_axis("cross_entropy", input)
    weight = _check_weight("cross_entropy", weight, input.shape[axis])
    if target.shape == input.shape and target.dtype.is_floating:
        return _cross_entropy_probs(input, target, weight, axis, reduction, label_smoothing)
    rows, labels, shape = _as_rows("cross_entropy", input, target)
    out = xp.softmax_cross_entropy(rows, labels, weight, ignore_index=ignore_index,
                                   label_smoothing=label_smoothing, reduction=reduction)
    return xp.reshape(out, shape) if reduction == "none" and out.shape != shape else out


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, axis: int,
                         reduction: str, smoothing: float) -> Tensor:
    """−Σ_c w_c p_c log softmax(x)_c per sample; the mean divides by the number of samples."""
    classes = input.shape[axis]
    if smoothing:
        target = target * (1.0 - smoothing) + smoothing / classes
    terms = target * xp.log_softmax(input, axis=axis)
    if weight is not None:
        terms = terms * xp.reshape(weight, (classes,) + (1,) * (input.ndim - axis - 1))
    return reduce(-xp.sum(terms, axis=axis), reduction)


def nll(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
        reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices under log-probabilities ``input``
    (torch.nn.functional.nll_loss): −weight[tᵢ] · input[i, tᵢ], mean weighted as torch's.

    Shapes, ``weight`` and ``ignore_index`` as in :func:`cross_entropy`; ``nll(log_softmax(x))``
    is ``cross_entropy(x)``.
    """
    check_reduction("nll", reduction)
    input, target = as_tensor(input), as_tensor(target)
    rows, labels, shape = _as_rows("nll", input, target)
    n, c = rows.shape
    weight = _check_weight("nll", weight, c)
    keep = None
    if check_class_indices("nll", labels, c, ignore_index):
        keep = labels != ignore_index
        labels = xp.where(keep, labels, xp.zeros_like(labels))
        weights = xp.astype(keep, rows.dtype)
        if weight is not None:
            weights = xp.take(weight, labels) * weights
    else:
        weights = None if weight is None else xp.take(weight, labels)
    flat = xp.arange(n, dtype=labels.dtype, device=rows.device) * c + labels
    loss = -xp.take(xp.reshape(rows, (n * c,)), flat)
    if weights is not None:
        loss = loss * weights
    if keep is not None:  # ignored samples get a zero gradient, also when the mean divides by
        loss = xp.where(keep, loss, xp.zeros_like(loss))  # Σω = 0 (a 0/1 factor: 0·∞ = NaN)
    if reduction == "none":
        return xp.reshape(loss, shape)
    if reduction == "sum" or weights is None:
        return reduce(loss, reduction)
    return xp.sum(loss) / xp.sum(weights)


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None, *,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Binary cross-entropy between logits ``input`` and targets in [0, 1]
    (torch.nn.functional.binary_cross_entropy_with_logits), stable for logits of any size::

        loss = (1 − y) · x + (1 + (pos_weight − 1) · y) · softplus(−x)

    which is −[pos_weight · y · log σ(x) + (1 − y) · log(1 − σ(x))] without computing σ.
    ``weight`` rescales each element (broadcast to the input's shape); ``pos_weight`` (one per
    class, broadcast along the last axis) weighs the positive examples.
    """
    check_reduction("binary_cross_entropy_with_logits", reduction)
    input, target = as_tensor(input), as_tensor(target)
    target = float_target(input, target)
    same_shape("binary_cross_entropy_with_logits", input, target)
    if pos_weight is None:
        scale: Any = 1.0
    else:
        scale = 1.0 + (as_tensor(pos_weight) - 1.0) * target
    loss = (1.0 - target) * input + scale * xp.softplus(-input)
    if weight is not None:
        loss = loss * as_tensor(weight)
        if loss.shape != input.shape:
            raise ShapeError(f"binary_cross_entropy_with_logits: weight of shape "
                             f"{as_tensor(weight).shape} does not broadcast to the input's "
                             f"shape {input.shape}")
    return reduce(loss, reduction)
