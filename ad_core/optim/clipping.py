"""Gradient clipping, the lecture's remedy for exploding gradients (as torch.nn.utils').

``clip_grad_norm_`` rescales all gradients together so that their joint norm is at most
``max_norm`` (the direction of the step is kept, its length bounded); ``clip_grad_value_`` clamps
each element. Both change ``.grad`` of the parameters, between ``backward()`` and ``step()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import ad_core.array_api as xp
from ad_core.autograd.creation import tensor
from ad_core.autograd.grad_mode import no_grad
from ad_core.autograd.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _params(parameters: Tensor | Iterable[Tensor], fn: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: parameters must be tensors, but item {i} is a {type(p).__name__}")
    return params


def _norm(g: Tensor, p: float) -> Tensor:
    """The ``p``-norm of every element of ``g`` (a 0-d tensor in ``g``'s dtype)."""
    if p == 2.0:
        return xp.sqrt(xp.sum(g * g))
    a = xp.abs(g)
    if g.size == 0:
        return xp.sum(a)  # 0: an empty gradient adds nothing
    if p == math.inf:
        return xp.max(a)
    if p == -math.inf:
        return xp.min(a)
    return xp.sum(a**p) ** (1.0 / p)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients of ``parameters`` together so that their total norm is at most
    ``max_norm``; return the total norm before clipping (a 0-d tensor).

    The total norm is the ``norm_type``-norm of all gradient elements as one vector (``inf``:
    the largest magnitude). Each gradient is multiplied by ``min(1, max_norm / (norm + 1e-6))``,
    as torch does. With ``error_if_nonfinite=True`` a NaN or infinite norm raises RuntimeError
    instead of spreading NaN into every gradient.

    >>> import ad_core as ad
    >>> w = ad.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()                  # grad = [6, 8], norm 10
    >>> round(ad.optim.clip_grad_norm_([w], max_norm=1.0).item(), 4)
    10.0
    >>> [round(v, 4) for v in w.grad.tolist()]
    [0.6, 0.8]
    """
    params = _params(parameters, "clip_grad_norm_")
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not norm_type > 0 and norm_type != -math.inf:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or ±inf, got {norm_type}")
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return tensor(0.0)
    with no_grad():
        norms = [_norm(g, norm_type) for g in grads]
        dtype = norms[0].dtype
        norms = [n if n.dtype == dtype else xp.astype(n, dtype) for n in norms]
        if norm_type == math.inf:
            total = xp.max(xp.stack(norms))
        elif norm_type == -math.inf:
            total = xp.min(xp.stack(norms))
        elif norm_type == 2.0:
            total = xp.sqrt(xp.sum(xp.stack(norms) ** 2.0))
        else:
            total = xp.sum(xp.stack(norms) ** norm_type) ** (1.0 / norm_type)
        if error_if_nonfinite and not bool(xp.isfinite(total)):
            raise RuntimeError(
                f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                f"non-finite ({total.item()}), so it cannot be clipped; set "
                f"error_if_nonfinite=False to scale the gradients by it anyway"
            )
        scale = xp.clip(max_norm / (total + 1e-6), max=1.0)
        for p in params:
            g = p.grad
            if g is not None:
                p.grad = g * (scale if scale.dtype == g.dtype else xp.astype(scale, g.dtype))
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element of ``parameters`` into ``[-clip_value, clip_value]``.

    >>> import ad_core as ad
    >>> w = ad.tensor([3.0, -0.5], requires_grad=True)
    >>> (w * w).sum().backward()                  # grad = [6, -1]
    >>> ad.optim.clip_grad_value_([w], 2.0)
    >>> w.grad.tolist()
    [2.0, -1.0]
    """
    params = _params(parameters, "clip_grad_value_")
    value = float(clip_value)
    if not value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value!r}")
    with no_grad():
        for p in params:
            if p.grad is not None:
                p.grad = xp.clip(p.grad, min=-value, max=value)
