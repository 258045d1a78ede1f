"""Optimizers registered by plugins (``ad_core_register_optimizers``): ``ad.optim.<Name>``.

Learning-rate schedules are in :mod:`ad_core.optim.lr_scheduler`.
"""

from __future__ import annotations

from typing import Any

from ad_core.nn.registry import OPTIMIZERS

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return OPTIMIZERS.get(name)


def __dir__() -> list[str]:
    return sorted({*__all__, *OPTIMIZERS.names(), "lr_scheduler"})
