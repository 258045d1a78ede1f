"""The optimizer ``SignSGD``: p ← p − lr · sign(grad).

Only the sign of each gradient element is used (Bernstein et al., 2018), so every parameter moves
by exactly ``lr`` per step whatever the gradient's scale.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import Optimizer


class SignSGD(Optimizer):
    """Sign gradient descent: ``p ← p − lr · sign(grad)`` (``maximize=True``: ascent).

    Hyperparameters: ``lr=1e-3``, ``maximize=False``. No state.
    """

    def __init__(self, params: Any, lr: float = 1e-3, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "maximize": maximize})

    def update(self, p: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp, w = p.backend.xp, p.array
        step = group["lr"] * xp.sign(grad.array)
        p.data = self.wrap(p, w + step if group["maximize"] else w - step)
