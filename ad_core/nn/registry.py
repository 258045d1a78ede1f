"""Registries of the front ends: layers, losses, optimizers, initializers, LR schedules.

Each is filled by one hook (``ad_core_register_layers`` and so on) through a ``register(name,
obj, **meta)`` callback, validated here in one place: names are identifiers, unique across
plugins (a clash is an error naming both plugins), and objects are callable. The public
namespaces ``ad.nn``, ``ad.losses``, ``ad.optim``, ``ad.init`` and
``ad.optim.lr_scheduler`` look names up here, so a third party's entries appear there exactly
like the built-in ones.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ad_core.errors import PluginError

__all__ = ["Entry", "Registry", "LAYERS", "LOSSES", "OPTIMIZERS", "INITIALIZERS", "SCHEDULERS",
           "REGISTRIES", "set_plugin_loader"]

_loader: Callable[[], None] = lambda: None  # noqa: E731 - replaced by the plugin manager


def set_plugin_loader(loader: Callable[[], None]) -> None:
    """Called once by the plugin layer so that lookups can trigger plugin loading."""
    global _loader
    _loader = loader


class UnknownNameError(PluginError, AttributeError):
    """A layer, loss, optimizer, initializer or schedule name that no plugin registers."""


@dataclass
class Entry:
    """One registered object, the plugin it came from, and what else it declared."""

    name: str
    obj: Any
    plugin: str
    meta: dict[str, Any] = field(default_factory=dict)


class Registry:
    """Named objects of one kind, registered by plugins through one hook."""

    def __init__(self, kind: str, hook: str) -> None:
        self.kind = kind
        self.hook = hook
        self.entries: dict[str, Entry] = {}

    def add(self, name: str, obj: Any, plugin: str, **meta: Any) -> None:
        """Validate and store one registration; a taken name is an error naming both plugins."""
        if not isinstance(name, str) or not name.isidentifier():
            raise PluginError(f"plugin {plugin!r}: {self.kind} name {name!r} is not an identifier")
        if not callable(obj):
            raise PluginError(f"plugin {plugin!r}: {self.kind} {name!r} must be callable, got {obj!r}")
        old = self.entries.get(name)
        if old is not None:
            raise PluginError(f"{self.kind} {name!r} is registered by both plugin {old.plugin!r} "
                              f"and plugin {plugin!r}")
        self.entries[name] = Entry(name, obj, plugin, dict(meta))

    def get(self, name: str) -> Any:
        """The object registered as ``name``; an error listing close names when there is none."""
        entry = self.entries.get(name)
        if entry is None:
            _loader()
            entry = self.entries.get(name)
        if entry is None:
            close = difflib.get_close_matches(name, self.entries, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UnknownNameError(f"no plugin registers a {self.kind} called {name!r}{hint} "
                                   f"(`python -m ad_core info` lists what is registered)")
        return entry.obj

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        _loader()
        return sorted(self.entries)

    def remove_plugin(self, plugin: str) -> None:
        """Forget what ``plugin`` registered."""
        for name in [n for n, e in self.entries.items() if e.plugin == plugin]:
            del self.entries[name]


LAYERS = Registry("layer", "ad_core_register_layers")
LOSSES = Registry("loss", "ad_core_register_losses")
OPTIMIZERS = Registry("optimizer", "ad_core_register_optimizers")
INITIALIZERS = Registry("initializer", "ad_core_register_initializers")
SCHEDULERS = Registry("LR schedule", "ad_core_register_schedulers")

#: Every front-end registry, by the kind the plugin report lists it under.
REGISTRIES: dict[str, Registry] = {
    "layers": LAYERS,
    "losses": LOSSES,
    "optimizers": OPTIMIZERS,
    "initializers": INITIALIZERS,
    "schedulers": SCHEDULERS,
}
