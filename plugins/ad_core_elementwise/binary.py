"""Binary elementwise functions of the Array API standard and their derivatives.

Inputs broadcast against each other and either may be a Python scalar; the engine sums each
cotangent back to its input's shape, so the rules below are the partial derivatives as written
on paper. ``maximum`` and ``minimum`` split the cotangent equally between the inputs where they
tie, as torch does, so that ``maximum(x, x)`` has derivative 1 like ``x`` itself.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import where_zero


def _share(xp: Any, g: Any, wins: Any, ties: Any) -> Any:
    """``g`` where this input is the one chosen, half of ``g`` where both are, zero elsewhere."""
    return xp.where(wins, g, where_zero(xp, ties, 0.5 * g))


def _sigmoid_of(xp: Any, a: Any, b: Any) -> Any:
    """sigmoid(a - b) = exp(a) / (exp(a) + exp(b)), logaddexp's slope in ``a``, from the difference
    alone: exp(a - logaddexp(a, b)) loses it once ``a`` is large (a + log 2 rounds to a, giving
    1 rather than 1/2 at a == b). The exponent is never positive, and ``where`` picks between two
    finite branches, so the rule's own derivatives are right too (1/4 at a == b)."""
    d = a - b
    ahead = d >= 0
    e = xp.exp(xp.where(ahead, -d, d))  # exp(-|d|), in (0, 1]
    return xp.where(ahead, 1.0 / (1.0 + e), e / (1.0 + e))


#  name         forward                                   d/dx (first input)                                   d/dy (second input)
BINARY = {
    "atan2":     (lambda xp, y, x: xp.atan2(y, x),       lambda xp, g, ans, y, x: g * x / (x * x + y * y),    lambda xp, g, ans, y, x: -g * y / (x * x + y * y)),
    "logaddexp": (lambda xp, x, y: xp.logaddexp(x, y),   lambda xp, g, ans, x, y: g * _sigmoid_of(xp, x, y),  lambda xp, g, ans, x, y: g * _sigmoid_of(xp, y, x)),
    "hypot":     (lambda xp, x, y: xp.hypot(x, y),       lambda xp, g, ans, x, y: g * x / ans,                lambda xp, g, ans, x, y: g * y / ans),
    "copysign":  (lambda xp, x, y: xp.copysign(x, y),    lambda xp, g, ans, x, y: g * xp.sign(x) * xp.sign(ans),
                                                                                                               lambda xp, g, ans, x, y: xp.zeros_like(g)),
    "maximum":   (lambda xp, x, y: xp.maximum(x, y),     lambda xp, g, ans, x, y: _share(xp, g, x > y, x == y),
                                                                                                               lambda xp, g, ans, x, y: _share(xp, g, y > x, x == y)),
    "minimum":   (lambda xp, x, y: xp.minimum(x, y),     lambda xp, g, ans, x, y: _share(xp, g, x < y, x == y),
                                                                                                               lambda xp, g, ans, x, y: _share(xp, g, y < x, x == y)),
}  # fmt: skip

SUMMARY = {
    "atan2":     "atan2(y, x, /): the angle of the point (x, y), in (-pi, pi]; "
                 "derivatives x/(x**2 + y**2) in y and -y/(x**2 + y**2) in x",
    "logaddexp": "logaddexp(x1, x2, /): log(exp(x1) + exp(x2)) without overflow; "
                 "derivatives sigmoid(x1 - x2) and sigmoid(x2 - x1)",
    "hypot":     "hypot(x1, x2, /): sqrt(x1**2 + x2**2) without overflow; "
                 "derivatives x1/ans and x2/ans",
    "copysign":  "copysign(x1, x2, /): |x1| with the sign of x2; derivative sign(x1) sign(ans) "
                 "in x1, zero in x2 (the sign is piecewise constant)",
    "maximum":   "maximum(x1, x2, /): the larger of x1 and x2; the gradient goes to the larger "
                 "input, split equally at ties (as torch does)",
    "minimum":   "minimum(x1, x2, /): the smaller of x1 and x2; the gradient goes to the smaller "
                 "input, split equally at ties (as torch does)",
}  # fmt: skip
