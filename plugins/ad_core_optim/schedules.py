"""Learning-rate schedules: StepLR, ExponentialLR, CosineAnnealingLR (torch.optim.lr_scheduler's
names, arguments and update rules) and LinearWarmup.

StepLR, ExponentialLR and CosineAnnealingLR use torch's recursive forms (each step rescales the
group's current rate), so they give torch's numbers step for step. At step t, from base rate η₀:

- StepLR:            η₀ · γ^⌊t / step_size⌋
- ExponentialLR:     η₀ · γ^t
- CosineAnnealingLR: η_min + (η₀ − η_min)(1 + cos(π t / T_max)) / 2
- LinearWarmup:      η₀ · (f + (1 − f) · min(t, warmup_steps) / warmup_steps), then constant,
                     or handing over to another schedule (``then=``) after warm-up.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import LRScheduler


def _positive_int(cls: str, name: str, value: Any) -> None:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        raise ValueError(f"{cls}: {name} must be an int >= 1, got {value!r}")


def _number(cls: str, name: str, value: Any, low: float = 0.0) -> None:
    if not (isinstance(value, int | float) and not isinstance(value, bool) and value >= low):
        raise ValueError(f"{cls}: {name} must be a number >= {low:g}, got {value!r}")


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps (torch's StepLR)."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _positive_int("StepLR", "step_size", step_size)
        _number("StepLR", "gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lrs
        return [lr * self.gamma for lr in lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every step (torch's ExponentialLR)."""

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        _number("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        return lrs if self._is_initial else [lr * self.gamma for lr in lrs]


class CosineAnnealingLR(LRScheduler):
    """Anneal from the base rate to ``eta_min`` along half a cosine over ``T_max`` steps, then
    back up (torch's CosineAnnealingLR, without restarts)."""

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0,  # noqa: N803 - torch's name
                 last_epoch: int = -1) -> None:
        _positive_int("CosineAnnealingLR", "T_max", T_max)
        _number("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t, period, low = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return [group["lr"] for group in groups]
        if self._step_count == 1 and t > 0:  # resumed: closed form
            return [low + (base - low) * (1 + math.cos(t * math.pi / period)) / 2
                    for base in self.base_lrs]
        if (t - 1 - period) % (2 * period) == 0:  # the bottom of the cosine: climb again
            return [group["lr"] + (base - low) * (1 - math.cos(math.pi / period)) / 2
                    for base, group in zip(self.base_lrs, groups, strict=True)]
        ratio = (1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
        return [ratio * (group["lr"] - low) + low for group in groups]


class LinearWarmup(LRScheduler):
    """Raise the learning rate linearly from ``start_factor`` × base to the base rate over
    ``warmup_steps`` steps, then keep it, or let ``then`` take over.

    ``then`` is another schedule built on the same optimizer (``CosineAnnealingLR(opt,
    T_max=...)``); after the warm-up, this schedule's ``step()`` steps it, so that its step 0 is
    the end of the warm-up (as torch's ``SequentialLR([LinearLR(...), then], [warmup_steps])``).
    Call only the warm-up's ``step()``.
    """

    def __init__(self, optimizer: Any, warmup_steps: int, start_factor: float = 1.0 / 3,
                 then: LRScheduler | None = None, last_epoch: int = -1) -> None:
        _positive_int("LinearWarmup", "warmup_steps", warmup_steps)
        if not (isinstance(start_factor, int | float) and 0.0 <= start_factor <= 1.0):
            raise ValueError(f"LinearWarmup: start_factor must be in [0, 1], got {start_factor!r}")
        if then is not None:
            if not isinstance(then, LRScheduler):
                raise TypeError(f"LinearWarmup: then must be a schedule, got {type(then).__name__}")
            if then.optimizer is not optimizer:
                raise ValueError("LinearWarmup: then must schedule the same optimizer")
        self.warmup_steps = warmup_steps
        self.start_factor = start_factor
        self.then = then
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        done = min(self.last_epoch, self.warmup_steps) / self.warmup_steps
        factor = self.start_factor + (1.0 - self.start_factor) * done
        return [base * factor for base in self.base_lrs]

    def step(self) -> None:
        if self.then is None or self.last_epoch < self.warmup_steps:
            super().step()
            return
        self._step_count += 1
        self.last_epoch += 1
        self.then.step()
        self._last_lr = self.then.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in super().state_dict().items() if k != "then"}
        state["then"] = None if self.then is None else self.then.state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        then = state.pop("then", None)
        if (then is None) != (self.then is None):
            raise ValueError("LinearWarmup.load_state_dict: the saved schedule and this one "
                             "differ in whether a schedule follows the warm-up (then=)")
        super().load_state_dict(state)
        if self.then is not None:
            self.then.load_state_dict(then)
