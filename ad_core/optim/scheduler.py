"""`LRScheduler`: the base class of learning-rate schedules, as torch.optim.lr_scheduler's.

A schedule changes ``group["lr"]`` of every parameter group of an optimizer each time its
``step()`` is called (once per epoch, or per batch, as the training loop decides). It remembers
each group's starting rate as ``group["initial_lr"]`` (``base_lrs``) and counts steps in
``last_epoch`` (0 right after construction, which already applied the rate of step 0).

Subclasses implement :meth:`LRScheduler.get_lr`: the rates for the current ``last_epoch``,
usually from ``base_lrs`` (closed form) or from the groups' current rates (torch's recursive
form, which lets several schedules act on one optimizer). During the step the constructor makes,
``self._is_initial`` is True.

>>> import ad_core as ad
>>> class Halving(ad.optim.LRScheduler):
...     def get_lr(self):
...         return [base * 0.5 ** self.last_epoch for base in self.base_lrs]
>>> w = ad.tensor([1.0], requires_grad=True)
>>> opt = ad.optim.SGD([w], lr=1.0)
>>> sched = Halving(opt)
>>> sched.step(); sched.step()
>>> sched.get_last_lr()
[0.25]
"""

from __future__ import annotations

from typing import Any

from ad_core.optim.optimizer import Optimizer

__all__ = ["LRScheduler"]


class LRScheduler:
    """Base class of learning-rate schedules over an :class:`~ad_core.optim.Optimizer`."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an ad_core Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: resuming at last_epoch={last_epoch}, "
                                   f"but param_groups[{i}] has no 'initial_lr'; load the "
                                   f"optimizer's state_dict first")
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._last_lr: list[float] = []
        self._is_initial = True  # get_lr() may tell the step made by the constructor apart
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of each group at step ``self.last_epoch``."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def step(self) -> None:
        """Advance one step and set every group's learning rate."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as plain data."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (the optimizer's own state is separate)."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict, got "
                            f"{type(state_dict).__name__}")
        self.__dict__.update(state_dict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self.get_last_lr()})"
