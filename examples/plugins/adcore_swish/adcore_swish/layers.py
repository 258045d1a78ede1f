"""The layer ``Swish`` and the loss ``smooth_l1`` (module form ``SmoothL1Loss``)."""

from __future__ import annotations

from typing import Any

from ad_core.extend import Module, ShapeError, Tensor, array_api

REDUCTIONS = ("mean", "sum", "none")


class Swish(Module):
    """x · sigmoid(beta · x), elementwise: the op ``swish`` as a layer (SiLU when beta = 1)."""

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = float(beta)

    def forward(self, x: Any) -> Any:
        return array_api.swish(x, beta=self.beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"


def smooth_l1(input: Any, target: Any, *, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1 loss (torch.nn.functional.smooth_l1_loss), with d = input − target::

        0.5 · d² / beta    where |d| < beta
        |d| − 0.5 · beta   elsewhere

    reduced by ``reduction`` ('mean', 'sum' or 'none'). ``beta = 0`` is the L1 loss. Composed
    from ops, so its gradient comes from theirs.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"smooth_l1: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")
    if isinstance(beta, bool) or not isinstance(beta, int | float) or beta < 0:
        raise ValueError(f"smooth_l1: beta must be a number >= 0, got {beta!r}")
    input = input if isinstance(input, Tensor) else array_api.asarray(input)
    target = target if isinstance(target, Tensor) else array_api.asarray(target)
    if input.shape != target.shape:
        raise ShapeError(f"smooth_l1: input has shape {input.shape} but target has shape "
                         f"{target.shape}; they must match")
    d = input - target
    a = array_api.abs(d)
    if beta == 0:
        loss = a
    else:
        loss = array_api.where(a < beta, (0.5 / beta) * (d * d), a - 0.5 * beta)
    if reduction == "mean":
        return array_api.mean(loss)
    if reduction == "sum":
        return array_api.sum(loss)
    return loss
