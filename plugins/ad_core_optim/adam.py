"""Adam and AdamW (torch.optim.Adam, torch.optim.AdamW): moment estimates with bias correction.

With gradient g at step t (``maximize`` negates it; Adam's weight decay adds
``weight_decay · p`` to g, AdamW's multiplies p by ``1 − lr · weight_decay`` instead)::

    m ← m + (1 − β₁)(g − m)            v ← β₂ v + (1 − β₂) g²
    v̂ ← max(v̂, v) if amsgrad, else v
    p ← p − lr / (1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + eps)

The update runs on the parameter's raw arrays with its backend's namespace (no recording).
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import Optimizer

from ._checks import at_least, beta


class Adam(Optimizer):
    """Adam. Hyperparameters, names and defaults as torch.optim.Adam: ``lr=1e-3``,
    ``betas=(0.9, 0.999)``, ``eps=1e-8``, ``weight_decay=0`` (L2, added to the gradient),
    ``amsgrad=False``, ``maximize=False``. State per parameter: ``step``, ``exp_avg``,
    ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``."""

    #: AdamW decouples the weight decay from the gradient.
    decoupled_weight_decay = False

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad,
                                  "maximize": maximize})

    def check_group(self, group: dict[str, Any]) -> None:
        super().check_group(group)
        at_least(self, group, "eps", 0.0)
        at_least(self, group, "weight_decay", 0.0)
        betas = group["betas"]
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), got "
                             f"{betas!r}")
        for i, b in enumerate(betas):
            beta(self, group, "betas", b, i)

    def update(self, p: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
        xp, w, g = p.backend.xp, p.array, grad.array
        lr, decay, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            for name in ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ()):
                state[name] = self.wrap(p, xp.zeros_like(w))
        if group["maximize"]:
            g = -g
        state["step"] = t = state["step"] + 1
        if decay != 0:
            if self.decoupled_weight_decay:
                w = w * (1.0 - lr * decay)
            else:
                g = g + decay * w
        m = state["exp_avg"].array
        m = m + (1.0 - beta1) * (g - m)
        v = beta2 * state["exp_avg_sq"].array + (1.0 - beta2) * (g * g)
        state["exp_avg"], state["exp_avg_sq"] = self.wrap(p, m), self.wrap(p, v)
        if group["amsgrad"]:
            v = xp.maximum(state["max_exp_avg_sq"].array, v)
            state["max_exp_avg_sq"] = self.wrap(p, v)
        step_size = lr / (1.0 - beta1**t)
        denom = xp.sqrt(v) / (1.0 - beta2**t) ** 0.5 + eps
        p.data = self.wrap(p, w - step_size * (m / denom))


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay (p ← p · (1 − lr · weight_decay) before the
    step). Names and defaults as torch.optim.AdamW: as Adam's but ``weight_decay=1e-2``."""

    decoupled_weight_decay = True

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
