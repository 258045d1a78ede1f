"""Loss functions registered by plugins (``ad_core_register_losses``): ``ad.losses.<name>``."""

from __future__ import annotations

from typing import Any

from ad_core.nn.registry import LOSSES


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return LOSSES.get(name)


def __dir__() -> list[str]:
    return LOSSES.names()
