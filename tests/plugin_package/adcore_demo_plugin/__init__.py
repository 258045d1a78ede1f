"""A third-party ad_core plugin, as an outside author would write it: it knows only
``ad_core.extend`` and adds two ops, ``cube`` and ``scaled_softsign``."""

from __future__ import annotations

from typing import Any

from ad_core.extend import hookimpl


def _softsign_signature(x: Any, /, *, scale: float = 1.0) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """scaled_softsign(x, /, *, scale=1.0): scale * x / (1 + |x|)."""
    return (x,), {"scale": float(scale)}


@hookimpl
def ad_core_register_ops(register: Any) -> None:
    register("cube", lambda xp, x: x * x * x, lambda xp, g, ans, x: 3.0 * x * x * g,
             elementwise=True, doc="cube(x): x³, elementwise.")
    register(
        "scaled_softsign",
        lambda xp, x, scale: scale * x / (1.0 + xp.abs(x)),
        lambda xp, g, ans, x, scale: g * scale / ((1.0 + xp.abs(x)) * (1.0 + xp.abs(x))),
        elementwise=True,
        signature=_softsign_signature,
    )
