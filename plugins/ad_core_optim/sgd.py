"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay (torch.optim.SGD).

With gradient g of parameter p at step t (``maximize`` negates g first)::

    g ← g + weight_decay · p
    b ← g                                   (first step)
    b ← momentum · b + (1 − dampening) · g  (later steps)
    g ← g + momentum · b   if nesterov, else   g ← b
    p ← p − lr · g

The update runs on the parameter's raw arrays with its backend's namespace (no recording).
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import Optimizer

from ._checks import at_least


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum and L2 weight decay.

    Hyperparameters, names and defaults as torch.optim.SGD: ``lr=1e-3``, ``momentum=0``,
    ``dampening=0``, ``weight_decay=0``, ``nesterov=False``, ``maximize=False``. State per
    parameter: ``momentum_buffer`` (when momentum is used).
    """

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  "maximize": maximize})

    def check_group(self, group: dict[str, Any]) -> None:
        super().check_group(group)
        at_least(self, group, "momentum", 0.0)
        at_least(self, group, "weight_decay", 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"{type(self).__name__}: Nesterov momentum needs momentum > 0 and "
                             f"dampening == 0 (got momentum={group['momentum']}, "
                             f"dampening={group['dampening']})")

    def update(self, p: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp, w, g = p.backend.xp, p.array, grad.array
        momentum, decay = group["momentum"], group["weight_decay"]
        if group["maximize"]:
            g = -g
        if decay != 0:
            g = g + decay * w
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = xp.asarray(g, copy=True)
            else:
                buf = momentum * buf.array + (1.0 - group["dampening"]) * g
            state["momentum_buffer"] = self.wrap(p, buf)
            g = g + momentum * buf if group["nesterov"] else buf
        p.data = self.wrap(p, w - group["lr"] * g)
