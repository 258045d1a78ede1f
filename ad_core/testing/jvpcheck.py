"""Check forward mode against central finite differences and against reverse mode, in float64.

For random tangents v (fixed seed), ``ad.jvp`` gives J·v in one forward pass. Two independent
checks:

1. finite differences along v: (f(x + εv) − f(x − εv)) / 2ε, one pair of evaluations;
2. reverse mode, through the identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩ for a random cotangent u: forward and
   reverse mode share no code beyond the op's forward rule (unless the op has no JVP rule, in
   which case forward mode derives one from the VJP and the check still catches a wrong
   derivation).

A failure names the output, the worst element or both inner products.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ad_core.autograd.creation import tensor
from ad_core.autograd.forward import jvp
from ad_core.autograd.functional import vjp
from ad_core.autograd.grad_mode import no_grad
from ad_core.autograd.pytree import flatten
from ad_core.autograd.tensor import Tensor
from ad_core.dtypes import float64
from ad_core.testing.gradcheck import GradcheckError, differentiable_inputs, worst_mismatch

__all__ = ["jvpcheck"]


def _leaves(out: Any) -> list[Tensor]:
    leaves = flatten(out)[0]
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise GradcheckError(f"jvpcheck: the function must return tensors, got "
                                 f"{type(leaf).__name__}")
    return leaves


def _like(x: Tensor, values: np.ndarray) -> Tensor:
    return tensor(values, backend=x.backend.name, device=x.device, dtype=float64)


def jvpcheck(
    f: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Whether ``f``'s forward-mode derivatives match finite differences and reverse mode.

    Floating inputs are promoted to float64 on their own backend and device and get a random
    tangent; other inputs (indices, masks) pass through. ``f`` returns a tensor or a pytree of
    tensors.

    >>> import ad_core as ad
    >>> from ad_core.testing import jvpcheck
    >>> jvpcheck(lambda x, y: ad.tanh(x) * y, [ad.tensor([0.5, -1.0]), ad.tensor([2.0, 3.0])])
    True
    """
    args, wrt, restricted = differentiable_inputs(f, inputs, "jvpcheck")
    rng = np.random.default_rng(seed)
    v = [rng.standard_normal(args[i].shape) for i in wrt]
    primals = tuple(args[i] for i in wrt)
    out, t_out = jvp(restricted, primals, tuple(_like(p, vi) for p, vi in zip(primals, v, strict=True)))
    analytic = [t.numpy().astype(np.float64) for t in _leaves(t_out)]

    with no_grad():
        ahead = restricted(*(_like(p, p.numpy() + eps * vi) for p, vi in zip(primals, v, strict=True)))
        behind = restricted(*(_like(p, p.numpy() - eps * vi) for p, vi in zip(primals, v, strict=True)))
    numeric = [(a.numpy().astype(np.float64) - b.numpy().astype(np.float64)) / (2 * eps)
               for a, b in zip(_leaves(ahead), _leaves(behind), strict=True)]
    for k, (got, want) in enumerate(zip(analytic, numeric, strict=True)):
        worst = worst_mismatch(got, want, atol, rtol)
        if worst is not None:
            if not raise_exception:
                return False
            raise GradcheckError(
                f"jvpcheck: output {k} (shape {want.shape}): worst element "
                f"{worst}: forward mode gives {got[worst]!r}, finite "
                f"differences give {want[worst]!r} (atol={atol}, rtol={rtol}, eps={eps})"
            )

    outputs = _leaves(out)
    u = [rng.standard_normal(o.shape) for o in outputs]
    _, back = vjp(restricted, *primals)
    cotangent = [tensor(ui, backend=o.backend.name, device=o.device, dtype=o.dtype)
                 for ui, o in zip(u, outputs, strict=True)]
    grads = back(cotangent[0] if len(outputs) == 1 and isinstance(out, Tensor)
                 else _rebuild(out, cotangent))
    reverse = sum(float(np.sum(g.numpy().astype(np.float64) * vi))
                  for g, vi in zip(grads, v, strict=True))
    forward = sum(float(np.sum(ui * a)) for ui, a in zip(u, analytic, strict=True))
    scale = sum(float(np.sum(np.abs(ui * a))) for ui, a in zip(u, analytic, strict=True))
    if abs(forward - reverse) > atol + rtol * max(scale, abs(reverse)):
        if not raise_exception:
            return False
        raise GradcheckError(
            f"jvpcheck: forward and reverse mode disagree: ⟨u, J v⟩ = {forward!r} by forward "
            f"mode, ⟨Jᵀu, v⟩ = {reverse!r} by reverse mode (atol={atol}, rtol={rtol})"
        )
    return True


def _rebuild(out: Any, leaves: list[Tensor]) -> Any:
    from ad_core.autograd.pytree import unflatten

    return unflatten(flatten(out)[1], leaves)
