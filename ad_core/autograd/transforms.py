"""Jacobians, Hessians and Hessian-vector products, built from ``vjp`` and ``jvp``.

- ``jacobian(f, argnums, mode="reverse")`` (jacrev): one VJP per element of the output, each
  seeded with a basis cotangent, gives one *row* of the Jacobian; cheap when outputs are few.
- ``jacobian(f, argnums, mode="forward")`` (jacfwd): one JVP per element of the inputs, each
  along a basis tangent, gives one *column*; cheap when inputs are few.
- ``hessian(f, argnums)``: forward over reverse, ``jacobian(jacobian(f, mode="reverse"),
  mode="forward")``: n JVPs of the gradient for n inputs.
- ``hvp(f, primals, tangents)``: one JVP of the gradient (forward over reverse); the Hessian is
  never formed, and the cost is a small multiple of one gradient.

A block of the Jacobian has shape ``out.shape + in.shape`` (as in ``torch.func`` and JAX). With
pytrees, the result has the output's structure, and each of its leaves the structure of the
differentiated argument (a tuple of those for a tuple ``argnums``). Blocks are assembled with
ad_core's own ops (``stack``, ``reshape``), so the transforms nest: ``hessian`` is two of them,
and ``jacobian`` of ``hessian`` would give third derivatives.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from ad_core.autograd.forward import as_argument, jvp
from ad_core.autograd.functional import (
    _argnums,
    _surrounding_mode,
    finish_aux,
    grad,
    split_aux,
    vjp,
)
from ad_core.autograd.pytree import TreeDef, flatten, unflatten
from ad_core.autograd.recording import function_for
from ad_core.autograd.tensor import Tensor
from ad_core.errors import GradientError
from ad_core.ops.registry import get_op

__all__ = ["jacobian", "hessian", "hvp"]


def _op(name: str) -> Callable[..., Tensor]:
    return function_for(get_op(name))


def _basis(like: Tensor, j: int) -> Tensor:
    """The j-th unit tensor of ``like``'s shape, dtype, backend and device."""
    backend = like._backend
    xp = backend.xp
    flat = xp.zeros((like.size,), dtype=like._array.dtype, device=backend.device_of(like._array))
    flat[j] = 1
    return Tensor._make(xp.reshape(flat, like.shape), backend, None, False)


def _zeros(like: Tensor, shape: tuple[int, ...]) -> Tensor:
    backend = like._backend
    array = backend.xp.zeros(shape, dtype=like._array.dtype, device=backend.device_of(like._array))
    return Tensor._make(array, backend, None, False)


def _differentiated(f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                    nums: tuple[int, ...]) -> Callable[..., Any]:
    """``f`` as a function of the arguments in ``nums`` alone, the others held fixed."""

    def g(*xs: Any) -> Any:
        call = list(args)
        for i, x in zip(nums, xs, strict=True):
            call[i] = x
        return f(*call, **kwargs)

    return g


def _jacrev(g: Callable[..., Any], xs: list[Any]) -> tuple[Any, TreeDef, list[list[Any]]]:
    """Rows by VJPs: returns the output, its structure, and blocks[k][leaf] for output leaf k and
    input leaf (all differentiated arguments' leaves in order)."""
    out, back = vjp(g, *xs)
    o_leaves, o_tree = flatten(out)
    in_leaves = flatten(tuple(as_argument(x) for x in xs))[0]
    blocks: list[list[Any]] = []
    for k, o in enumerate(o_leaves):
        rows: list[list[Tensor]] = [[] for _ in in_leaves]
        for j in range(o.size if o.dtype.is_floating else 0):  # no rows for an integer output
            seed = [_zeros(leaf, leaf.shape) for leaf in o_leaves]
            seed[k] = _basis(o, j)
            grads = flatten(back(unflatten(o_tree, seed)))[0]
            for i, gi in enumerate(grads):
                if gi is not None:
                    rows[i].append(gi)
        blocks.append([_assemble_rows(o, x, r) for x, r in zip(in_leaves, rows, strict=True)])
    return out, o_tree, blocks


def _assemble_rows(o: Tensor, x: Any, rows: list[Tensor]) -> Any:
    if not isinstance(x, Tensor) or not x.dtype.is_floating or not o.dtype.is_floating:
        return None  # (an integer or boolean output has no derivative, as it has no tangent)
    shape = (*o.shape, *x.shape)
    if not rows or x.size == 0:
        return _zeros(x, shape)
    return _op("reshape")(_op("stack")(rows, axis=0), shape)


def _jacfwd(g: Callable[..., Any], xs: list[Any]) -> tuple[Any, TreeDef, list[list[Any]]]:
    """Columns by JVPs: the same result as :func:`_jacrev`."""
    args = tuple(as_argument(x) for x in xs)
    in_leaves, in_tree = flatten(args)
    none = [None] * len(in_leaves)
    out = None
    columns: list[list[Any]] = []
    for i, x in enumerate(in_leaves):
        cols: list[Any] = []
        if isinstance(x, Tensor) and x.dtype.is_floating:
            for j in range(x.size):
                tangent = list(none)
                tangent[i] = _basis(x, j)
                out, t_out = jvp(g, args, unflatten(in_tree, tangent))
                cols.append(flatten(t_out)[0])
        columns.append(cols)
    if out is None:  # nothing to differentiate, or only empty inputs: evaluate once
        out = g(*args)
    o_leaves, o_tree = flatten(out)
    blocks = []
    for k, o in enumerate(o_leaves):
        if not isinstance(o, Tensor):
            raise GradientError(f"jacobian: the function must return tensors, got {type(o).__name__}")
        row = []
        for x, cols in zip(in_leaves, columns, strict=True):
            if not isinstance(x, Tensor) or not x.dtype.is_floating or not o.dtype.is_floating:
                row.append(None)
            elif not cols or o.size == 0:
                row.append(_zeros(o, (*o.shape, *x.shape)))
            else:
                stacked = _op("stack")([c[k] for c in cols], axis=o.ndim)
                row.append(_op("reshape")(stacked, (*o.shape, *x.shape)))
        blocks.append(row)
    return out, o_tree, blocks


def jacobian(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, mode: str = "reverse",
    has_aux: bool = False,
) -> Callable[..., Any]:
    """Return a function computing the Jacobian of ``f`` with respect to ``argnums``.

    ``mode="reverse"`` builds it row by row with VJPs (one per output element), ``"forward"``
    column by column with JVPs (one per input element); both give the same numbers. Each block
    has shape ``out.shape + in.shape``. With ``has_aux``, ``f`` returns ``(out, aux)`` and the
    function returns ``(jacobian, aux)``.

    >>> import ad_core as ad
    >>> J = ad.jacobian(lambda x: x * x, mode="forward")(ad.tensor([1.0, 2.0]))
    >>> J.tolist()
    [[2.0, 0.0], [0.0, 4.0]]
    """
    if mode not in ("reverse", "forward"):
        raise ValueError(f"jacobian: mode must be 'reverse' or 'forward', got {mode!r}")
    single = isinstance(argnums, int)

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        how = _surrounding_mode()  # how to hand back aux: with history only for an outer transform
        aux: list[Any] = []

        def main(*call: Any, **kw: Any) -> Any:
            result = f(*call, **kw)
            if has_aux:
                result, extra = split_aux(result, "jacobian")
                aux[:] = [extra]
            return result

        g = _differentiated(main, args, kwargs, nums)
        xs = [args[i] for i in nums]
        _, o_tree, blocks = (_jacrev if mode == "reverse" else _jacfwd)(g, xs)
        trees = [flatten(as_argument(x))[1] for x in xs]
        per_output = []
        for row in blocks:
            parts = []
            for tree in trees:
                parts.append(unflatten(tree, row[:tree.leaves]))
                row = row[tree.leaves:]
            per_output.append(parts[0] if single else tuple(parts))
        jac = unflatten(o_tree, per_output)
        return (jac, finish_aux(aux[0], how) if aux else None) if has_aux else jac

    return wrapper


def hessian(f: Callable[..., Any], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """Return a function computing the Hessian of scalar-valued ``f``: forward over reverse.

    For one tensor argument of shape ``s`` the Hessian has shape ``s + s``; for a tuple
    ``argnums`` (or pytree arguments) it is nested blocks, ``H[i][j]`` holding ∂²f/∂xᵢ∂xⱼ.

    >>> import ad_core as ad
    >>> H = ad.hessian(lambda x: (x ** 3.0).sum())(ad.tensor([1.0, 2.0]))
    >>> H.tolist()
    [[6.0, 0.0], [0.0, 12.0]]
    """
    return jacobian(jacobian(f, argnums, mode="reverse"), argnums, mode="forward")


def hvp(f: Callable[..., Any], primals: tuple[Any, ...] | list[Any],
        tangents: tuple[Any, ...] | list[Any]) -> tuple[Any, ...]:
    """The Hessian of scalar-valued ``f`` at ``primals`` times ``tangents``, without forming it.

    Forward over reverse: one JVP of the gradient, ``jvp(grad(f, argnums=all), primals,
    tangents)``, costing a small multiple of one gradient whatever the number of inputs. The
    result has ``tangents``' structure: one entry per argument of ``f``.

    >>> import ad_core as ad
    >>> (hv,) = ad.hvp(lambda x: (x ** 3.0).sum(), (ad.tensor([1.0, 2.0]),), (ad.tensor([1.0, 1.0]),))
    >>> hv.tolist()
    [6.0, 12.0]
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("hvp: primals and tangents must be tuples, one entry per argument of f")
    every = tuple(range(len(primals)))
    return jvp(grad(f, argnums=every), tuple(primals), tuple(tangents))[1]
