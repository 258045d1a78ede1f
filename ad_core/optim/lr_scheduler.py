"""Learning-rate schedules registered by plugins (``ad_core_register_schedulers``):
``ad.optim.lr_scheduler.<Name>``."""

from __future__ import annotations

from typing import Any

from ad_core.nn.registry import SCHEDULERS


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return SCHEDULERS.get(name)


def __dir__() -> list[str]:
    return SCHEDULERS.names()
