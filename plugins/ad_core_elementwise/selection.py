"""Selecting elements: ``where`` and ``clip``. The cotangent goes wherever the value came from.

``where(condition, x1, x2)`` routes the cotangent to ``x1`` where the condition holds and to
``x2`` elsewhere; the boolean condition is never differentiated. ``clip(x, min, max)`` passes it
to ``x`` inside the range (bounds included, as torch does) and to an array bound where that bound
is the value.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import DTypeError, where_zero

_SCALARS = (bool, int, float, complex)


def where(xp: Any, condition: Any, x1: Any, x2: Any) -> Any:
    """``x1`` where ``condition`` holds, else ``x2``; two Python scalars become an array first,
    since the standard wants one of ``x1``, ``x2`` to be an array. A condition that is not
    boolean is refused (NumPy would read it as truth values; the standard and torch do not)."""
    if not xp.isdtype(condition.dtype, "bool"):
        raise DTypeError(f"where: the condition must be a boolean tensor, got dtype "
                         f"{condition.dtype}; compare first (x > 0) or use astype")
    if isinstance(x1, _SCALARS) and isinstance(x2, _SCALARS):
        x1 = xp.asarray(x1, device=condition.device)
    return xp.where(condition, x1, x2)


#  input       cotangent
WHERE_VJP = [
    None,                                                                   # condition: a mask
    lambda xp, g, ans, c, x1, x2: where_zero(xp, c, g),                     # x1: where c holds
    lambda xp, g, ans, c, x1, x2: xp.where(c, xp.zeros_like(g), g),         # x2: elsewhere
]  # fmt: skip


WHERE_DOC = """where(condition, x1, x2, /): ``x1`` where ``condition`` holds, else ``x2``.

``x1`` and ``x2`` may be arrays or Python scalars; all three broadcast together. The gradient
flows to ``x1`` where the condition holds and to ``x2`` elsewhere; the condition gets none.
"""


def clip(xp: Any, x: Any, lo: Any, hi: Any) -> Any:
    """``x`` clamped to ``[lo, hi]``; a bound that is None is not applied."""
    return xp.clip(x, min=lo, max=hi)


def clip_signature(
    x: Any, /, min: Any = None, max: Any = None  # noqa: A002 - the standard's parameter names
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """clip(x, /, min=None, max=None): ``x`` clamped to the range [min, max].

    ``min`` and ``max`` may be Python scalars, arrays that broadcast to ``x``, or None (no bound).
    The gradient flows to ``x`` where min <= x <= max, to ``min`` where x < min and to ``max``
    where x > max (with torch's convention that ``max`` wins when min > max).
    """
    return (x, min, max), {}


def _both(xp: Any, a: Any, b: Any) -> Any:
    """``a and b`` for masks that may be missing (None: no condition)."""
    if a is None:
        return b
    if b is None:
        return a
    return xp.logical_and(a, b)


def _either(xp: Any, a: Any, b: Any) -> Any:
    """``a or b`` for masks that may be missing (None: never)."""
    if a is None:
        return b
    if b is None:
        return a
    return xp.logical_or(a, b)


def _keep(xp: Any, mask: Any, g: Any) -> Any:
    return g if mask is None else where_zero(xp, mask, g)


def _clip_dx(xp: Any, g: Any, ans: Any, x: Any, lo: Any, hi: Any) -> Any:
    """x is the value where lo <= x <= hi."""
    inside = _both(xp, None if lo is None else x >= lo, None if hi is None else x <= hi)
    return _keep(xp, inside, g)


def _clip_dmin(xp: Any, g: Any, ans: Any, x: Any, lo: Any, hi: Any) -> Any:
    """min is the value where x < min (and min < max, else max is)."""
    return where_zero(xp, _both(xp, x < lo, None if hi is None else lo < hi), g)


def _clip_dmax(xp: Any, g: Any, ans: Any, x: Any, lo: Any, hi: Any) -> Any:
    """max is the value where x > max, and everywhere when max < min."""
    return where_zero(xp, _either(xp, x > hi, None if lo is None else hi < lo), g)


CLIP_VJP = [_clip_dx, _clip_dmin, _clip_dmax]
