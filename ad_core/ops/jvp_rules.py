"""JVP rules built from an op's other rules, for the three kinds of op where that is exact.

A JVP rule is ``jvp(xp, tangents, ans, *inputs, **params) -> tangent of the output``, with
``tangents`` a tuple holding one tangent per input (None for inputs without one; the engine
never calls a rule when all are None). The engine broadcasts the result to the output's shape
and casts it to the output's dtype. An op without a JVP rule still works in forward mode, through
a rule derived from its VJP (:func:`ad_core.autograd.forward.derived_jvp`), at two to three
times the cost; these helpers give most ops an exact rule for free:

- :func:`elementwise_jvp`: an elementwise op's Jacobian is diagonal, hence its own transpose,
  so its VJP rules applied to the tangents give the JVP;
- :func:`linear_jvp`: an op that is linear in all its inputs together (reshape, sum, concat)
  maps tangents the way it maps values;
- :func:`multilinear_jvp`: an op linear in each input separately (matmul, tensordot, outer)
  obeys the product rule: the sum over inputs of the op with that input replaced by its tangent.

>>> from ad_core.ops.jvp_rules import linear_jvp
>>> rule = linear_jvp(lambda xp, x, shape: xp.reshape(x, shape))
>>> import numpy as np
>>> rule(np, (np.arange(4.0),), None, np.zeros(4), shape=(2, 2)).shape
(2, 2)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["elementwise_jvp", "linear_jvp", "multilinear_jvp"]

Rule = Callable[..., Any]


def elementwise_jvp(*vjps: Rule | None) -> Rule:
    """The JVP of an elementwise op from its VJP rules (one per input; None where an input is
    never differentiated, like ``where``'s condition).

    Each VJP multiplies the cotangent by a partial derivative, element by element; fed the
    tangent instead, it gives that input's contribution to the output's tangent (broadcasting
    included), and the contributions add up.
    """

    def jvp(xp: Any, tangents: Sequence[Any], ans: Any, *inputs: Any, **params: Any) -> Any:
        total = None
        for rule, t in zip(vjps, tangents, strict=False):
            if t is None or rule is None:
                continue
            term = rule(xp, t, ans, *inputs, **params)
            total = term if total is None else total + term
        return xp.zeros_like(ans) if total is None else total

    jvp.__doc__ = "Elementwise: the VJP rules applied to the tangents (a diagonal Jacobian)."
    return jvp


def linear_jvp(forward: Rule) -> Rule:
    """The JVP of an op linear in all its array inputs together: ``forward`` on the tangents,
    zeros standing in for inputs without one (reshape, permute_dims, sum, concat, stack)."""

    def jvp(xp: Any, tangents: Sequence[Any], ans: Any, *inputs: Any, **params: Any) -> Any:
        moved = [xp.zeros_like(x) if t is None else t for t, x in zip(tangents, inputs, strict=True)]
        return forward(xp, *moved, **params)

    jvp.__doc__ = "Linear: the forward rule applied to the tangents."
    return jvp


def multilinear_jvp(forward: Rule) -> Rule:
    """The JVP of an op linear in each input separately (matmul, tensordot, vecdot, outer): by the
    product rule, the sum over inputs with a tangent of ``forward`` with that input replaced by it.
    """

    def jvp(xp: Any, tangents: Sequence[Any], ans: Any, *inputs: Any, **params: Any) -> Any:
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            term = forward(xp, *inputs[:i], t, *inputs[i + 1:], **params)
            total = term if total is None else total + term
        return xp.zeros_like(ans) if total is None else total

    jvp.__doc__ = "Multilinear: the product rule over the forward rule."
    return jvp
