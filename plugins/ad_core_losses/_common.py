"""What every loss shares: tensors in, the reduction checked and applied, shapes compared."""

from __future__ import annotations

from typing import Any

from ad_core.extend import ShapeError, Tensor
from ad_core.extend import array_api as xp

REDUCTIONS = ("mean", "sum", "none")


def as_tensor(x: Any) -> Tensor:
    """``x`` itself if it is a tensor (keeping its history), else a tensor of its values."""
    return x if isinstance(x, Tensor) else xp.asarray(x)


def check_reduction(loss: str, reduction: Any) -> None:
    """Refuse a reduction other than mean, sum or none, naming the loss."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{loss}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def reduce(loss: Tensor, reduction: str) -> Tensor:
    """The elementwise ``loss`` averaged, summed, or as it is."""
    if reduction == "mean":
        return xp.mean(loss)
    if reduction == "sum":
        return xp.sum(loss)
    return loss


def same_shape(loss: str, input: Tensor, target: Tensor) -> None:
    """Elementwise losses want the target in the input's shape: broadcasting (N, 1) against (N,)
    would silently compare every prediction with every target."""
    if input.shape != target.shape:
        raise ShapeError(f"{loss}: input has shape {input.shape} but target has shape "
                         f"{target.shape}; they must match (reshape one of them)")


def float_target(input: Tensor, target: Tensor) -> Tensor:
    """Integer or boolean targets (labels read as integers) in the input's floating dtype: the
    standard does not mix integers with floats (array-api-strict refuses), and NumPy would
    promote a float32 loss to float64."""
    if target.dtype.is_floating or not input.dtype.is_floating:
        return target
    return xp.astype(target, input.dtype)


def is_integer(t: Tensor) -> bool:
    """Whether ``t`` holds integers (class indices)."""
    return t.dtype.kind in ("signed integer", "unsigned integer")


def check_class_indices(loss: str, target: Tensor, classes: int, ignore_index: int) -> bool:
    """Refuse class indices outside [0, ``classes``) other than ``ignore_index``; return whether
    any target equals ``ignore_index``.

    Reads the data (a device sync on a GPU), as an out-of-range index would otherwise select a
    logit of another sample without any error.
    """
    if target.size == 0:
        return False
    raw, a = target.backend.xp, target.array
    if 0 <= int(raw.min(a)) and int(raw.max(a)) < classes:
        return 0 <= ignore_index < classes and bool(raw.any(a == ignore_index))
    outside = raw.logical_or(a < 0, a >= classes)
    if bool(raw.any(raw.logical_and(outside, a != ignore_index))):
        raise ValueError(f"{loss}: target holds class indices outside [0, {classes}) (other than "
                         f"ignore_index={ignore_index})")
    return True
