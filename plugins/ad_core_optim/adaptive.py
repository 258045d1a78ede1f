"""RMSprop and Adagrad (torch.optim.RMSprop, torch.optim.Adagrad): per-element step sizes from
running averages of squared gradients.

RMSprop, with gradient g (``maximize`` negates it, ``weight_decay · p`` is added)::

    s ← α s + (1 − α) g²
    a ← √(s − ḡ²) with ḡ ← ḡ + (1 − α)(g − ḡ) if centered, else √s;   a ← a + eps
    b ← momentum · b + g / a,  p ← p − lr · b      if momentum > 0
    p ← p − lr · g / a                              otherwise

Adagrad, at step t::

    s ← s + g²,   p ← p − lr / (1 + (t − 1) · lr_decay) · g / (√s + eps)

The updates run on the parameter's raw arrays with its backend's namespace (no recording).
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import Optimizer

from ._checks import at_least


class RMSprop(Optimizer):
    """RMSprop. Names and defaults as torch.optim.RMSprop: ``lr=1e-2``, ``alpha=0.99``,
    ``eps=1e-8``, ``weight_decay=0``, ``momentum=0``, ``centered=False``, ``maximize=False``.
    State per parameter: ``step``, ``square_avg``, and ``momentum_buffer`` / ``grad_avg``."""

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps,
                                  "weight_decay": weight_decay, "momentum": momentum,
                                  "centered": centered, "maximize": maximize})

    def check_group(self, group: dict[str, Any]) -> None:
        super().check_group(group)
        for key in ("alpha", "eps", "weight_decay", "momentum"):
            at_least(self, group, key, 0.0)

    def update(self, p: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp, w, g = p.backend.xp, p.array, grad.array
        alpha, decay, momentum = group["alpha"], group["weight_decay"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = self.wrap(p, xp.zeros_like(w))
            if momentum > 0:
                state["momentum_buffer"] = self.wrap(p, xp.zeros_like(w))
            if group["centered"]:
                state["grad_avg"] = self.wrap(p, xp.zeros_like(w))
        if group["maximize"]:
            g = -g
        state["step"] += 1
        if decay != 0:
            g = g + decay * w
        s = alpha * state["square_avg"].array + (1.0 - alpha) * (g * g)
        state["square_avg"] = self.wrap(p, s)
        if group["centered"]:
            mean = state["grad_avg"].array
            mean = mean + (1.0 - alpha) * (g - mean)
            state["grad_avg"] = self.wrap(p, mean)
            avg = xp.sqrt(s - mean * mean) + group["eps"]
        else:
            avg = xp.sqrt(s) + group["eps"]
        if momentum > 0:
            buf = momentum * state["momentum_buffer"].array + g / avg
            state["momentum_buffer"] = self.wrap(p, buf)
            p.data = self.wrap(p, w - group["lr"] * buf)
        else:
            p.data = self.wrap(p, w - group["lr"] * (g / avg))


class Adagrad(Optimizer):
    """Adagrad. Names and defaults as torch.optim.Adagrad: ``lr=1e-2``, ``lr_decay=0``,
    ``weight_decay=0``, ``initial_accumulator_value=0``, ``eps=1e-10``, ``maximize=False``.
    State per parameter: ``step``, ``sum``."""

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "eps": eps, "maximize": maximize})

    def check_group(self, group: dict[str, Any]) -> None:
        super().check_group(group)
        for key in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            at_least(self, group, key, 0.0)

    def update(self, p: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp, w, g = p.backend.xp, p.array, grad.array
        if not state:
            state["step"] = 0
            state["sum"] = self.wrap(p, xp.full_like(w, group["initial_accumulator_value"]))
        if group["maximize"]:
            g = -g
        state["step"] = t = state["step"] + 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * w
        clr = group["lr"] / (1.0 + (t - 1) * group["lr_decay"])
        s = state["sum"].array + g * g
        state["sum"] = self.wrap(p, s)
        p.data = self.wrap(p, w - clr * (g / (xp.sqrt(s) + group["eps"])))
