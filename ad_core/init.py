"""Parameter initializers registered by plugins (``ad_core_register_initializers``):
``ad.init.<name>``."""

from __future__ import annotations

from typing import Any

from ad_core.nn.registry import INITIALIZERS


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return INITIALIZERS.get(name)


def __dir__() -> list[str]:
    return INITIALIZERS.names()
