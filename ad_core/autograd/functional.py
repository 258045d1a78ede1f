"""Function transforms built on the backward pass: ``grad``, ``value_and_grad``, ``vjp``.

Each calls the function on fresh leaves that require grad, then runs the backward pass asking
only for the cotangents of those leaves, so nothing accumulates into ``.grad``. When an input
already carries history (an outer ``grad`` is differentiating this one), the backward pass is
recorded, which is what makes ``grad(grad(f))`` work.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from ad_core.autograd.backward import run_backward
from ad_core.autograd.creation import tensor
from ad_core.autograd.grad_mode import enable_grad, is_grad_enabled
from ad_core.autograd.tensor import Tensor
from ad_core.errors import GradientError

__all__ = ["grad", "value_and_grad", "vjp"]

#: How many transforms are evaluating their function here; > 0 means an outer transform may
#: differentiate what an inner one returns, so the inner backward pass must be recorded.
_DEPTH: ContextVar[int] = ContextVar("ad_core_transform_depth", default=0)


def _call_traced(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        with enable_grad():
            return f(*args, **kwargs)
    finally:
        _DEPTH.reset(token)


def _argnums(argnums: int | Sequence[int], n: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -n <= a < n:
            raise GradientError(f"argnums {argnums!r} is out of range for a call with {n} arguments")
    return tuple(a % n for a in nums)


def _prepare(x: Any) -> tuple[Tensor, bool]:
    """A tensor to differentiate with respect to, and whether the backward must be recorded."""
    t = x if isinstance(x, Tensor) else tensor(x)
    if t._requires_grad and _DEPTH.get() > 0 and is_grad_enabled():
        return t, True
    return Tensor._make(t._array, t._backend, None, False).requires_grad_(), False


def _zeros_if_none(g: Tensor | None, like: Tensor) -> Tensor:
    if g is not None:
        return g
    return Tensor._make(like._backend.xp.zeros_like(like._array), like._backend, None, False)


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., tuple[Any, Any]]:
    """Return a function computing ``(f(*args), gradient of f)`` with respect to ``argnums``.

    ``f`` must return a one-element tensor (or ``(value, aux)`` when ``has_aux``). The gradient
    is one tensor for an int ``argnums`` and a tuple for a tuple of them.

    >>> import ad_core as ad
    >>> value, g = ad.value_and_grad(lambda x: (x * x).sum())(ad.tensor([1.0, 2.0]))
    >>> value.item(), g.tolist()
    (5.0, [2.0, 4.0])
    """
    single = isinstance(argnums, int)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        nums = _argnums(argnums, len(args))
        call_args = list(args)
        prepared = []
        nested = False
        for a in nums:
            t, outer = _prepare(args[a])
            call_args[a] = t
            prepared.append(t)
            nested = nested or outer
        result = _call_traced(f, *call_args, **kwargs)
        value, aux = result if has_aux else (result, None)
        if not isinstance(value, Tensor):
            raise GradientError(f"grad: the function must return a Tensor, got {type(value).__name__}")
        if value.size != 1:
            raise GradientError(
                f"grad: the function must return a single element, got shape {value.shape}; "
                f"use ad.vjp for non-scalar outputs"
            )
        if not value._requires_grad:
            grads: list[Tensor | None] = [None] * len(prepared)
        else:
            grads = run_backward([value], [None], inputs=prepared, create_graph=nested,
                                 retain_graph=nested)  # type: ignore[assignment]
        out = [_zeros_if_none(g, t) for g, t in zip(grads, prepared, strict=True)]
        g_out = out[0] if single else tuple(out)
        if not nested:
            value = value.detach()
        return ((value, aux), g_out) if has_aux else (value, g_out)

    return wrapper


def grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Return a function computing the gradient of scalar-valued ``f`` w.r.t. ``argnums``.

    >>> import ad_core as ad
    >>> df = ad.grad(lambda x: ad.sin(x).sum())
    >>> round(df(ad.tensor([0.0])).item(), 6)
    1.0
    """
    vg = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_aux:
            (_, aux), g = vg(*args, **kwargs)
            return g, aux
        return vg(*args, **kwargs)[1]

    return wrapper


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Tensor, Callable[[Any], tuple[Tensor, ...]]]:
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)``; ``vjp_fn(u)`` gives uᵀJ per primal.

    ``vjp_fn`` may be called many times (the graph is retained).

    >>> import ad_core as ad
    >>> out, back = ad.vjp(lambda x: x * 3.0, ad.tensor([1.0, 2.0]))
    >>> back(ad.tensor([1.0, 1.0]))[0].tolist()
    [3.0, 3.0]
    """
    prepared = []
    nested = False
    for p in primals:
        t, outer = _prepare(p)
        prepared.append(t)
        nested = nested or outer
    out = _call_traced(f, *prepared)
    if not isinstance(out, Tensor):
        raise GradientError(f"vjp: the function must return a Tensor, got {type(out).__name__}")

    def vjp_fn(cotangent: Any) -> tuple[Tensor, ...]:
        if not out._requires_grad:
            return tuple(_zeros_if_none(None, t) for t in prepared)
        grads = run_backward([out], [cotangent], inputs=prepared, retain_graph=True,
                             create_graph=nested)
        return tuple(_zeros_if_none(g, t) for g, t in zip(grads, prepared, strict=True))  # type: ignore[arg-type]

    return (out if nested else out.detach()), vjp_fn
