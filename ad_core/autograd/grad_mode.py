"""Whether ops record the graph: ``no_grad`` and ``enable_grad``.

The flag lives in a ContextVar, so switching it off in one thread or asyncio task leaves the
others recording.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled", "GRAD_ENABLED"]

GRAD_ENABLED: ContextVar[bool] = ContextVar("ad_core_grad_enabled", default=True)

F = TypeVar("F", bound=Callable[..., Any])


def is_grad_enabled() -> bool:
    """True when ops record the graph here."""
    return GRAD_ENABLED.get()


class set_grad_enabled:
    """Turn recording on or off inside a ``with`` block (or as a decorator)."""

    __slots__ = ("mode", "_tokens")

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._tokens: list[Any] = []

    def __enter__(self) -> None:
        self._tokens.append(GRAD_ENABLED.set(self.mode))

    def __exit__(self, *exc: object) -> None:
        GRAD_ENABLED.reset(self._tokens.pop())

    def __call__(self, fn: F) -> F:
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


@contextmanager
def _mode(mode: bool) -> Iterator[None]:
    token = GRAD_ENABLED.set(mode)
    try:
        yield
    finally:
        GRAD_ENABLED.reset(token)


def no_grad() -> set_grad_enabled:
    """Stop recording: results have no history (for evaluation and parameter updates).

    >>> import ad_core as ad
    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> with ad.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """
    return set_grad_enabled(False)


def enable_grad() -> set_grad_enabled:
    """Record again inside a ``no_grad`` block."""
    return set_grad_enabled(True)
