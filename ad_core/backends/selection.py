"""The backend in force: a process default plus a context-local override.

The override lives in a :class:`contextvars.ContextVar`, so ``with ad.backend("torch"):`` in one
thread or asyncio task never leaks into another; threads started elsewhere see the process
default set by :func:`set_backend`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ad_core.backends.backend import Backend
from ad_core.backends.registry import load_backend

__all__ = ["set_backend", "backend", "get_backend", "get_device", "current", "using"]

_DEFAULT_NAME = "numpy"
_default: tuple[str, Any] = (_DEFAULT_NAME, None)
_override: ContextVar[tuple[Backend, Any] | None] = ContextVar("ad_core_backend", default=None)


def _resolve(name: str | Backend, device: Any) -> tuple[Backend, Any]:
    be = name if isinstance(name, Backend) else load_backend(name)
    return be, be.device(device)


def set_backend(name: str, device: Any = None) -> None:
    """Make ``name`` (on ``device``) the process-wide default backend.

    >>> import ad_core as ad
    >>> ad.set_backend("numpy")
    >>> ad.get_backend().name
    'numpy'
    """
    global _default
    be, dev = _resolve(name, device)
    _default = (be.name, dev)


@contextmanager
def backend(name: str, device: Any = None) -> Iterator[Backend]:
    """Use ``name`` (on ``device``) inside a ``with`` block, in this thread or task only.

    >>> import ad_core as ad
    >>> with ad.backend("numpy"):
    ...     ad.tensor([1.0, 2.0]).backend.name
    'numpy'
    """
    choice = _resolve(name, device)
    token = _override.set(choice)
    try:
        yield choice[0]
    finally:
        _override.reset(token)


@contextmanager
def using(backend: Backend, device: Any) -> Iterator[None]:
    """Put a loaded backend and a native device in force (no lookups; for the engine)."""
    token = _override.set((backend, device))
    try:
        yield
    finally:
        _override.reset(token)


def current() -> tuple[Backend, Any]:
    """The (backend, device) pair in force here."""
    choice = _override.get()
    if choice is not None:
        return choice
    name, device = _default
    be = load_backend(name)
    return be, (device if device is not None else be.default_device)


def get_backend() -> Backend:
    """The backend in force here: the innermost ``with ad.backend(...)``, else the default."""
    return current()[0]


def get_device() -> Any:
    """The device in force here, as the backend's native device object."""
    return current()[1]
