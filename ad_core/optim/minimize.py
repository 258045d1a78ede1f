"""`minimize`: full-batch gradient descent with the lecture's stopping rule, as one call.

The lecture's algorithm: start at x₀ and repeat x_{t+1} = x_t − η ∇f(x_t) until the objective
stops changing, |f(x_{t+1}) − f(x_t)| < tolerance, or a step budget runs out. ``minimize`` runs
exactly that (``method="gd"``), or the same loop with any registered optimizer in place of the
plain step (``method="Adam"``), and says why it stopped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ad_core.autograd.creation import tensor
from ad_core.autograd.grad_mode import no_grad
from ad_core.autograd.tensor import Tensor
from ad_core.nn.registry import OPTIMIZERS

__all__ = ["MinimizeResult", "minimize"]

#: Why ``minimize`` stopped.
REASONS = {
    "tolerance": "the objective changed by less than the tolerance in one step (converged)",
    "max_steps": "the step budget ran out before the objective settled",
    "non-finite": "the objective became NaN or infinite (the learning rate is likely too large)",
}


@dataclass
class MinimizeResult:
    """What :func:`minimize` found and why it stopped."""

    #: The last iterate (no history, on the backend and device of ``x0``).
    x: Tensor
    #: f(x) at the last iterate, as a Python float.
    fun: float
    #: How many updates were made.
    steps: int
    #: True when it stopped because the objective settled (``reason == "tolerance"``).
    converged: bool
    #: ``"tolerance"``, ``"max_steps"`` or ``"non-finite"`` (see :data:`REASONS`).
    reason: str
    #: f at every iterate, x₀ first: the loss curve.
    history: list[float] = field(default_factory=list, repr=False)

    @property
    def message(self) -> str:
        """The reason in words."""
        return REASONS[self.reason]


def minimize(
    f: Callable[[Tensor], Tensor],
    x0: Any,
    *,
    method: str = "gd",
    lr: float = 0.1,
    tolerance: float = 1e-8,
    max_steps: int = 1000,
    **options: Any,
) -> MinimizeResult:
    """Minimise the scalar function ``f`` from ``x0`` by full-batch gradient steps.

    ``method="gd"`` is plain gradient descent, x ← x − lr·∇f(x); any other name is a registered
    optimizer (``"SGD"``, ``"Adam"``, a plugin's; case does not matter) built with ``lr`` and
    ``options`` (``momentum=0.9``, ``betas=...``). It stops when |f(x_{t+1}) − f(x_t)| <
    ``tolerance``, when f becomes NaN or infinite, or after ``max_steps`` updates, whichever
    comes first; each step costs one evaluation of f and one backward pass.

    >>> import ad_core as ad
    >>> res = ad.optim.minimize(lambda x: ((x - 3.0) ** 2).sum(), [0.0], lr=0.25)
    >>> res.reason, res.converged, round(res.x.item(), 3)
    ('tolerance', True, 3.0)
    """
    if not (isinstance(max_steps, int) and max_steps >= 0):
        raise ValueError(f"minimize: max_steps must be an int >= 0, got {max_steps!r}")
    if not tolerance >= 0:
        raise ValueError(f"minimize: tolerance must be >= 0, got {tolerance!r}")
    x = _start(x0)
    step = _stepper(method, x, lr, options)
    history: list[float] = []
    previous: float | None = None
    t = 0
    while True:
        x.grad = None
        value = f(x)
        if not isinstance(value, Tensor) or value.size != 1:
            got = f"a tensor of shape {value.shape}" if isinstance(value, Tensor) else type(value).__name__
            raise TypeError(f"minimize: f must return a one-element tensor, got {got}")
        current = float(value.item())
        history.append(current)
        if not math.isfinite(current):
            reason = "non-finite"
        elif previous is not None and abs(current - previous) < tolerance:
            reason = "tolerance"
        elif t == max_steps:
            reason = "max_steps"
        else:
            value.backward()
            step()
            previous = current
            t += 1
            continue
        break
    return MinimizeResult(x.detach(), current, t, reason == "tolerance", reason, history)


def _start(x0: Any) -> Tensor:
    """A fresh floating leaf holding ``x0``'s values, on ``x0``'s backend (or the one in force)."""
    x = tensor(x0)
    if not x.dtype.is_floating:
        x = tensor(x, dtype="float64")
    return x.requires_grad_()  # updates replace x's array, so x0's own array is never written


def _stepper(method: str, x: Tensor, lr: float, options: dict[str, Any]) -> Callable[[], None]:
    """The update of one step: the plain gradient step, or a registered optimizer's."""
    if method.lower() == "gd":
        if options:
            raise TypeError(f"minimize: method 'gd' takes no options, got {sorted(options)}; "
                            f"name an optimizer (method='SGD', momentum=...) for more")
        if not lr > 0:
            raise ValueError(f"minimize: lr must be > 0, got {lr!r}")

        def gd() -> None:
            with no_grad():
                x.data = x - lr * x.grad

        return gd
    names = {n.lower(): n for n in OPTIMIZERS.names()}
    optimizer = OPTIMIZERS.get(names.get(method.lower(), method))([x], lr=lr, **options)
    return optimizer.step
