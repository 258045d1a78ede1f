"""Reductions: sum, mean, prod, max, min, var, std, cumulative_sum, cumulative_prod, diff,
logsumexp, softmax, log_softmax, and the non-differentiable argmax, argmin, count_nonzero, all, any.

Signatures follow the Array API standard (``sum(x, /, *, axis=None, dtype=None,
keepdims=False)``); each op's ``signature`` turns ``axis`` into a sorted tuple of non-negative axes
before the rules see it, and refuses Python scalars, which have no axes to reduce.

- :mod:`.statistical`: the standard's statistical functions and their VJPs.
- :mod:`.softmax`: logsumexp, softmax, log_softmax, stable at large logits.
- :mod:`.cumulative`: cumulative_prod (exact gradient at zeros) and diff.
- :mod:`.searching`: argmax, argmin, count_nonzero, all, any (no derivative).

Each module's ``JVPS`` table holds the forward-mode rules, one per differentiable reduction.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import hookimpl

from . import cumulative, softmax, statistical
from .searching import SEARCHING


@hookimpl
def ad_core_register_ops(register: Any) -> None:
    for table, jvps in ((statistical.STATISTICAL, statistical.JVPS), (softmax.SOFTMAX, softmax.JVPS),
                        (cumulative.CUMULATIVE, cumulative.JVPS)):
        for name, (forward, vjp, signature) in table.items():
            register(name, forward, vjp, jvp=jvps.get(name), signature=signature)
    for name, (forward, signature, domain) in SEARCHING.items():
        register(name, forward, signature=signature, domain=domain)
