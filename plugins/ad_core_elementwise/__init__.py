"""Elementwise functions: the standard's mathematical functions, selection, and activations.

The rules live in tables, one module per kind, each row a function and its derivative:

- :mod:`.unary` — abs, exp, log, sqrt, the trigonometric and hyperbolic functions and their
  inverses (with NumPy's ``arcsin``/``arccos``/``arctan`` spellings), and the piecewise constant
  or boolean ones (sign, floor, ceil, round, trunc, isnan, isinf, isfinite, signbit), which
  have no derivative and give results without history;
- :mod:`.binary` — atan2, logaddexp, hypot, copysign, maximum, minimum;
- :mod:`.selection` — where and clip;
- :mod:`.activations` — sigmoid, relu, softplus, stable for inputs of any size.

Every rule is written against ``xp``, so the same rule gives first derivatives on a backend's
arrays and higher derivatives on ad_core's tensors. An elementwise op's Jacobian is diagonal, so
its JVP (forward mode) is its VJP rules applied to the tangents: every differentiable op here
registers ``elementwise_jvp`` of its own VJP rules.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import elementwise_jvp, hookimpl
from ad_core_elementwise.activations import ACTIVATIONS
from ad_core_elementwise.binary import BINARY
from ad_core_elementwise.binary import SUMMARY as BINARY_SUMMARY
from ad_core_elementwise.selection import (
    CLIP_VJP,
    WHERE_DOC,
    WHERE_VJP,
    clip,
    clip_signature,
    where,
)
from ad_core_elementwise.unary import ALIASES, NON_DIFFERENTIABLE, SUMMARY, UNARY


def _doc(name: str, summary: str) -> str:
    return f"{name}(x, /), elementwise: {summary}."


@hookimpl
def ad_core_register_ops(register: Any) -> None:
    """Register every table row: unary (and aliases), non-differentiable, binary, activations,
    then where and clip."""
    for name, (forward, dx, domain) in UNARY.items():
        register(name, forward, dx, jvp=elementwise_jvp(dx), elementwise=True, domain=domain,
                 doc=_doc(name, SUMMARY[name]))
    for alias, name in ALIASES.items():
        forward, dx, domain = UNARY[name]
        register(alias, forward, dx, jvp=elementwise_jvp(dx), elementwise=True, domain=domain,
                 doc=_doc(alias, f"{SUMMARY[name]} (the same as {name})"))
    for name, forward in NON_DIFFERENTIABLE.items():
        register(name, forward, elementwise=True, doc=_doc(name, SUMMARY[name]))
    for name, (forward, dx, dy) in BINARY.items():
        register(name, forward, [dx, dy], jvp=elementwise_jvp(dx, dy), elementwise=True,
                 doc=f"{BINARY_SUMMARY[name]}.")
    for name, (forward, signature, dx) in ACTIVATIONS.items():
        register(name, forward, dx, jvp=elementwise_jvp(dx), elementwise=True, signature=signature)
    register("where", where, WHERE_VJP, jvp=elementwise_jvp(*WHERE_VJP), elementwise=True,
             domain=["bool", "real", "real"], doc=WHERE_DOC)
    register("clip", clip, CLIP_VJP, jvp=elementwise_jvp(*CLIP_VJP), elementwise=True,
             signature=clip_signature)
