"""Check second derivatives against finite differences of the gradient, in float64.

For a random cotangent u (fixed seed) the first-order pullback ``G(x, u) = Jᵀu`` is itself a
function of the inputs and of u; :func:`~ad_core.testing.gradcheck` then compares *its* reverse-
mode derivatives (second derivatives of ``f``, recorded by running the VJP rules on ad_core's own
namespace) with central finite differences of ``G``. Differentiating with respect to u as well
checks that the recorded pullback is linear in u and equal to J, which is what forward mode's
derived JVP rule relies on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ad_core.autograd.creation import tensor
from ad_core.autograd.functional import vjp
from ad_core.autograd.grad_mode import no_grad
from ad_core.autograd.recording import function_for
from ad_core.autograd.tensor import Tensor
from ad_core.ops.registry import get_op
from ad_core.testing.gradcheck import GradcheckError, differentiable_inputs, gradcheck

__all__ = ["gradgradcheck"]


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    seed: int = 0,
    check_cotangent: bool = True,
    raise_exception: bool = True,
) -> bool:
    """Whether ``f``'s second derivatives match finite differences of its gradient.

    ``f`` returns one tensor. Floating inputs are promoted to float64 on their backend; others
    pass through. With ``check_cotangent`` the derivative with respect to the cotangent u is
    checked too.

    >>> import ad_core as ad
    >>> from ad_core.testing import gradgradcheck
    >>> gradgradcheck(lambda x: ad.sin(x) * x, [ad.tensor([0.5, -1.0, 2.0])])
    True
    """
    args, wrt, _ = differentiable_inputs(f, inputs, "gradgradcheck")
    with no_grad():
        out = f(*args)
    if not isinstance(out, Tensor):
        raise GradcheckError(f"gradgradcheck: the function must return a Tensor, got "
                             f"{type(out).__name__}")
    rng = np.random.default_rng(seed + 1)
    u = tensor(rng.standard_normal(out.shape), backend=out.backend.name, device=out.device,
               dtype=out.dtype)
    concat, reshape = function_for(get_op("concat")), function_for(get_op("reshape"))

    def pullback(*xs: Any) -> Tensor:
        """Jᵀu, every input's part flattened and joined: one tensor for gradcheck."""
        call = list(args)
        for i, x in zip(wrt, xs[:len(wrt)], strict=True):
            call[i] = x
        cot = xs[len(wrt)] if check_cotangent else u

        def restricted(*ys: Any) -> Any:
            inner = list(call)
            for i, y in zip(wrt, ys, strict=True):
                inner[i] = y
            return f(*inner)

        _, back = vjp(restricted, *(call[i] for i in wrt))
        return concat([reshape(g, (-1,)) for g in back(cot)], axis=0)

    checked = [args[i] for i in wrt] + ([u] if check_cotangent else [])
    try:
        return gradcheck(pullback, checked, eps=eps, atol=atol, rtol=rtol, seed=seed,
                         raise_exception=raise_exception)
    except GradcheckError as err:
        raise GradcheckError(f"gradgradcheck (second derivatives; the inputs are f's floating "
                             f"inputs{' then the cotangent u' if check_cotangent else ''}): "
                             f"{err}") from None
