"""Check reverse mode against central finite differences in float64.

For a random cotangent u (fixed seed), reverse mode gives uᵀJ for every input in one backward
pass; finite differences give the same numbers one element at a time,
(uᵀf(x + εeᵢ) − uᵀf(x − εeᵢ)) / 2ε. A failure names the input, the worst element, both values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ad_core.autograd.creation import tensor
from ad_core.autograd.functional import vjp
from ad_core.autograd.grad_mode import no_grad
from ad_core.autograd.tensor import Tensor
from ad_core.dtypes import float64
from ad_core.errors import ADCoreError

__all__ = ["gradcheck", "GradcheckError", "numerical_vjp"]


class GradcheckError(ADCoreError, AssertionError):
    """Reverse mode and finite differences disagree."""


def _inputs(inputs: Any) -> list[Any]:
    return list(inputs) if isinstance(inputs, list | tuple) else [inputs]


def _as64(x: Any) -> Any:
    if isinstance(x, Tensor) and x.dtype.is_floating:
        return tensor(x.numpy().astype(np.float64), backend=x.backend.name, device=x.device,
                      dtype=float64)
    return x


def differentiable_inputs(
    f: Callable[..., Any], inputs: Any, check: str
) -> tuple[list[Any], list[int], Callable[..., Any]]:
    """The inputs as float64 where floating, the positions of those, and ``f`` of those alone.

    Shared by every checker: floating tensors are promoted to float64 on their own backend and
    device; other inputs (integer indices, masks) are passed through unchanged.
    """
    args = [_as64(x) for x in _inputs(inputs)]
    wrt = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.dtype.is_floating]
    if not wrt:
        raise GradcheckError(f"{check}: no floating-point tensor among the inputs")

    def restricted(*xs: Any) -> Any:
        call = list(args)
        for i, x in zip(wrt, xs, strict=True):
            call[i] = x
        return f(*call)

    return args, wrt, restricted


def _output(f: Callable[..., Any], args: Sequence[Any]) -> np.ndarray:
    out = f(*args)
    if not isinstance(out, Tensor):
        raise GradcheckError(f"gradcheck: the function must return a Tensor, got {type(out).__name__}")
    return out.numpy().astype(np.float64)


def numerical_vjp(f: Callable[..., Any], args: Sequence[Any], u: np.ndarray, index: int,
                  eps: float) -> np.ndarray:
    """uᵀ ∂f/∂args[index] by central differences, one element at a time."""
    x = args[index]
    base = x.numpy().astype(np.float64)
    grad = np.zeros_like(base)
    flat = grad.reshape(-1)
    for j in range(base.size):
        values = []
        for step in (eps, -eps):
            moved = base.copy().reshape(-1)
            moved[j] += step
            t = tensor(moved.reshape(base.shape), backend=x.backend.name, device=x.device,
                       dtype=float64)
            call = list(args)
            call[index] = t
            with no_grad():
                values.append(float(np.sum(u * _output(f, call))))
        flat[j] = (values[0] - values[1]) / (2 * eps)
    return grad


def worst_mismatch(got: np.ndarray, want: np.ndarray, atol: float,
                   rtol: float) -> tuple[int, ...] | None:
    """The index of the element where ``got`` is furthest outside ``atol + rtol·|want|``, or None
    when every element is within it. A NaN or infinity on either side is a mismatch: a derivative
    checked at a point where it is not finite has not been checked at all."""
    with np.errstate(invalid="ignore"):
        err = np.abs(got - want) - (atol + rtol * np.abs(want))
    err = np.where(np.isfinite(got) & np.isfinite(want), err, np.inf)
    if not err.size or np.max(err) <= 0:
        return None
    return tuple(int(w) for w in np.unravel_index(int(np.argmax(err)), err.shape))


def gradcheck(
    f: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Whether ``f``'s reverse-mode derivatives match central finite differences.

    Floating inputs are promoted to float64 on their own backend and device; other inputs (integer
    indices, masks) are passed through unchanged. ``f`` must return one tensor.

    >>> import ad_core as ad
    >>> from ad_core.testing import gradcheck
    >>> gradcheck(lambda x: ad.tanh(x) * x, [ad.tensor([0.5, -1.0, 2.0])])
    True
    """
    args, wrt, restricted = differentiable_inputs(f, inputs, "gradcheck")
    out, back = vjp(restricted, *[args[i] for i in wrt])
    rng = np.random.default_rng(seed)
    u = rng.standard_normal(out.shape)
    cotangent = tensor(u, backend=out.backend.name, device=out.device, dtype=out.dtype)
    analytic = [g.numpy().astype(np.float64) for g in back(cotangent)]
    for position, index in enumerate(wrt):
        numeric = numerical_vjp(f, args, u, index, eps)
        got = analytic[position]
        if got.shape != numeric.shape:
            raise GradcheckError(
                f"gradcheck: input {index}: gradient has shape {got.shape}, input has {numeric.shape}"
            )
        worst = worst_mismatch(got, numeric, atol, rtol)
        if worst is not None:
            if raise_exception:
                raise GradcheckError(
                    f"gradcheck: input {index} (shape {numeric.shape}, backend "
                    f"{args[index].backend.name!r}): worst element {worst}: "
                    f"reverse mode gives {got[worst]!r}, finite differences give {numeric[worst]!r} "
                    f"(atol={atol}, rtol={rtol}, eps={eps})"
                )
            return False
    return True
