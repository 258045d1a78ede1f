"""Learning-rate schedules registered by plugins (``ad_core_register_schedulers``):
``ad.optim.lr_scheduler.<Name>`` (StepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, or a
third party's), all subclasses of :class:`LRScheduler`."""

from __future__ import annotations

from typing import Any

from ad_core.nn.registry import SCHEDULERS
from ad_core.optim.scheduler import LRScheduler

__all__ = ["LRScheduler"]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return SCHEDULERS.get(name)


def __dir__() -> list[str]:
    return sorted({*__all__, *SCHEDULERS.names()})
