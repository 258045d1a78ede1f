"""Which backends exist, which can load here, and loading them on first use.

Backend plugins register a :class:`BackendSpec` (cheap: nothing is imported); the library behind
it is imported only when a user first selects the backend or hands ad_core one of its arrays.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ad_core.backends.backend import Backend
from ad_core.errors import BackendError, PluginError, UnknownBackendError

__all__ = [
    "BackendSpec",
    "add_backend_spec",
    "available_backends",
    "registered_backends",
    "load_backend",
    "backend_of_array",
    "set_plugin_loader",
    "remove_backends_of",
]


@dataclass(frozen=True)
class BackendSpec:
    """A registered backend, not yet loaded.

    ``load`` builds the :class:`Backend`; ``available`` says (cheaply) whether it can load here;
    ``array_module`` is the top-level module name of the library's array type, which lets
    ad_core recognise a foreign array without importing every library.
    """

    name: str
    load: Callable[[], Backend]
    available: Callable[[], bool]
    array_module: str
    plugin: str
    unavailable_reason: Callable[[], str] | None = None


_SPECS: dict[str, BackendSpec] = {}
_LOADED: dict[str, Backend] = {}
_BY_MODULE: dict[str, str] = {}
_loader: Callable[[], None] = lambda: None  # noqa: E731 - replaced by the plugin manager
_LOAD_LOCK = threading.RLock()


def set_plugin_loader(loader: Callable[[], None]) -> None:
    """Called once by the plugin layer: ``loader()`` makes sure plugins have registered."""
    global _loader
    _loader = loader


def add_backend_spec(spec: BackendSpec) -> None:
    """Record a backend plugin's registration; a second plugin using the same name is an error."""
    old = _SPECS.get(spec.name)
    if old is not None:
        raise PluginError(
            f"backend {spec.name!r} is registered by both plugin {old.plugin!r} "
            f"and plugin {spec.plugin!r}"
        )
    _SPECS[spec.name] = spec
    _BY_MODULE.setdefault(spec.array_module, spec.name)


def registered_backends() -> dict[str, BackendSpec]:
    """Every registered backend, importable here or not."""
    _loader()
    return dict(_SPECS)


def available_backends() -> list[str]:
    """Names of the backends that can be used on this machine, in registration order."""
    _loader()
    names = []
    for name, spec in _SPECS.items():
        try:
            ok = name in _LOADED or spec.available()
        except Exception:
            ok = False
        if ok:
            names.append(name)
    return names


def load_backend(name: str) -> Backend:
    """The loaded :class:`Backend` called ``name``, importing its library on first use."""
    backend = _LOADED.get(name)
    if backend is not None:
        return backend
    _loader()
    with _LOAD_LOCK:  # one Backend object per name, even when threads first use it together
        backend = _LOADED.get(name)
        return backend if backend is not None else _load(name)


def _load(name: str) -> Backend:
    spec = _SPECS.get(name)
    if spec is None:
        raise UnknownBackendError(
            f"unknown backend {name!r}; available here: {', '.join(available_backends()) or 'none'}"
            f" (registered: {', '.join(_SPECS) or 'none'})"
        )
    try:
        backend = spec.load()
    except Exception as exc:
        reason = ""
        if spec.unavailable_reason is not None:
            try:
                reason = f" ({spec.unavailable_reason()})"
            except Exception:
                reason = ""
        raise BackendError(
            f"backend {name!r} (plugin {spec.plugin!r}) cannot be loaded here{reason}: {exc}; "
            f"available here: {', '.join(available_backends()) or 'none'}"
        ) from exc
    _LOADED[name] = backend
    return backend


def backend_of_array(array: Any) -> Backend | None:
    """The backend whose library made ``array``, or None for objects no backend claims."""
    for backend in _LOADED.values():
        if backend.owns(array):
            return backend
    module = type(array).__module__.partition(".")[0]
    _loader()
    name = _BY_MODULE.get(module)
    if name is None:
        return None
    backend = load_backend(name)
    return backend if backend.owns(array) else None


def remove_backends_of(plugin: str) -> None:
    """Forget the backends a plugin registered (used when a plugin is unregistered)."""
    for name in [n for n, s in _SPECS.items() if s.plugin == plugin]:
        del _SPECS[name]
        _LOADED.pop(name, None)
        for module, owner in list(_BY_MODULE.items()):
            if owner == name:
                del _BY_MODULE[module]
