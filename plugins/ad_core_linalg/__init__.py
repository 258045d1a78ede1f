"""Linear algebra: matmul, tensordot, vecdot, matrix_transpose, outer, tril, triu.

Every op checks its operands' shapes in its ``signature``, so a mismatch raises
:class:`ShapeError` naming the op and both shapes before the backend sees it. The VJPs are the
familiar ones (``d(A @ B) = dA @ B + A @ dB``, so ``A`` gets ``g @ Bᵀ`` and ``B`` gets ``Aᵀ @ g``);
where an operand's batch dimensions were broadcast, the VJP returns the broadcast cotangent and
the engine sums it back to the operand's shape. Each op is linear in each operand, so its JVP
(forward mode) is the product rule over its own forward rule (``multilinear_jvp``):
``d(A @ B) = dA @ B + A @ dB``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ad_core.extend import (
    DTypeError,
    ShapeError,
    broadcast_shapes,
    hookimpl,
    linear_jvp,
    multilinear_jvp,
)

Params = tuple[tuple[Any, ...], dict[str, Any]]
_SCALARS = (bool, int, float, complex)


def _shape(op: str, x: Any) -> tuple[int, ...] | None:
    """An operand's shape; None for array-likes without one (the backend will judge them)."""
    shape = getattr(x, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(x, _SCALARS):
        raise DTypeError(f"{op}: takes arrays, not a Python {type(x).__name__} ({x!r}); "
                         f"use multiply for a scalar factor")
    return None


# -- matmul ---------------------------------------------------------------------------------------


def _mm(xp: Any, a: Any, b: Any) -> Any:
    """``a @ b``, promoting mixed dtypes as the standard says. The operator is the fast path;
    ``xp.matmul`` is needed only for mixed dtypes (torch's ``@`` does not promote, and the
    wrapper that makes it promote costs more than a small product itself)."""
    return a @ b if a.dtype == b.dtype else xp.matmul(a, b)


def _matmul_signature(x1: Any, x2: Any, /) -> Params:
    """matmul(x1, x2, /): the matrix product ``x1 @ x2``.

    A 1-D first operand is a row vector, a 1-D second operand a column vector (the added
    dimension is removed from the result); operands of more than two dimensions are stacks of
    matrices whose batch dimensions broadcast.
    """
    s1, s2 = _shape("matmul", x1), _shape("matmul", x2)
    if s1 is not None and s2 is not None:
        _check_matmul(s1, s2)
    return (x1, x2), {}


def _check_matmul(s1: tuple[int, ...], s2: tuple[int, ...]) -> None:
    if not s1 or not s2:
        raise ShapeError(f"matmul: cannot multiply shapes {s1} and {s2}: 0-d operands are not "
                         f"allowed (use multiply)")
    inner1, inner2 = s1[-1], s2[-2] if len(s2) > 1 else s2[0]
    if inner1 != inner2:
        raise ShapeError(f"matmul: cannot multiply shapes {s1} and {s2}: {inner1} != {inner2}")
    if len(s1) > 2 or len(s2) > 2:
        try:
            broadcast_shapes(s1[:-2], s2[:-2])
        except ShapeError:
            raise ShapeError(f"matmul: cannot multiply shapes {s1} and {s2}: batch dimensions "
                             f"{s1[:-2]} and {s2[:-2]} do not broadcast") from None


def _matmul_vjp_x1(xp: Any, g: Any, ans: Any, x1: Any, x2: Any) -> Any:
    if x2.ndim == 1:  # (..., n, k) @ (k,) -> (..., n), or (k,) @ (k,) -> (): g ⊗ x2
        return xp.expand_dims(g, axis=-1) * x2
    if x1.ndim > 1:
        return _mm(xp, g, xp.matrix_transpose(x2))
    if x2.ndim == 2:  # (k,) @ (k, m) -> (m,)
        return _mm(xp, x2, g)
    return _mm(xp, xp.expand_dims(g, axis=-2), xp.matrix_transpose(x2))  # (..., 1, k) -> (k,)


def _matmul_vjp_x2(xp: Any, g: Any, ans: Any, x1: Any, x2: Any) -> Any:
    if x1.ndim == 1:
        if x2.ndim == 1:  # (k,) @ (k,) -> ()
            return g * x1
        return xp.expand_dims(x1, axis=-1) * xp.expand_dims(g, axis=-2)  # x1 ⊗ g, (..., k, m)
    if x2.ndim > 1:
        return _mm(xp, xp.matrix_transpose(x1), g)
    if x1.ndim == 2:  # (n, k) @ (k,) -> (n,)
        return _mm(xp, g, x1)
    return _mm(xp, xp.expand_dims(g, axis=-2), x1)  # (..., 1, k), summed to (k,)


# -- tensordot ------------------------------------------------------------------------------------


def _tensordot_signature(x1: Any, x2: Any, /, *,
                         axes: int | tuple[Sequence[int], Sequence[int]] = 2) -> Params:
    """tensordot(x1, x2, /, *, axes=2): sum the products over pairs of axes.

    ``axes=n`` pairs the last ``n`` axes of ``x1`` with the first ``n`` of ``x2``; a pair of
    sequences pairs ``axes[0][i]`` of ``x1`` with ``axes[1][i]`` of ``x2`` (a pair of ints, one
    axis each). The result has the
    remaining axes of ``x1``, then those of ``x2``.
    """
    s1, s2 = _shape("tensordot", x1), _shape("tensordot", x2)
    if s1 is None or s2 is None:
        raise TypeError("tensordot: takes arrays (wrap lists with ad.tensor(...))")
    return (x1, x2), {"axes": _tensordot_axes(s1, s2, axes)}


def _tensordot_axes(s1: tuple[int, ...], s2: tuple[int, ...],
                    axes: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``axes`` as two tuples of non-negative axes, checked against the shapes."""
    where = f"tensordot: cannot contract shapes {s1} and {s2} over axes {axes!r}"
    if isinstance(axes, int):
        if not 0 <= axes <= min(len(s1), len(s2)):
            raise ShapeError(f"{where}: axes must be between 0 and {min(len(s1), len(s2))}")
        pair = (tuple(range(len(s1) - axes, len(s1))), tuple(range(axes)))
    else:
        if len(axes) == 2:  # a pair of single axes, as NumPy takes them: (1, 0) is ([1], [0])
            axes = tuple((a,) if isinstance(a, int) else a for a in axes)
        if len(axes) != 2 or len(axes[0]) != len(axes[1]):
            raise ShapeError(f"{where}: give two sequences of axes of the same length")
        pair = (_axes(where, axes[0], len(s1)), _axes(where, axes[1], len(s2)))
    for a1, a2 in zip(*pair, strict=True):
        if s1[a1] != s2[a2]:
            raise ShapeError(f"{where}: {s1[a1]} != {s2[a2]}")
    return pair


def _axes(where: str, axes: Sequence[int], ndim: int) -> tuple[int, ...]:
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ShapeError(f"{where}: axis {a} is out of range for {ndim} dimensions")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ShapeError(f"{where}: an axis is repeated")
    return tuple(out)


def _undo_order(xp: Any, g: Any, order: list[int]) -> Any:
    """``g``, whose axis ``j`` is the operand's axis ``order[j]``, in the operand's axis order."""
    perm = tuple(order.index(i) for i in range(len(order)))
    return g if perm == tuple(range(len(perm))) else xp.permute_dims(g, perm)


def _tensordot_vjp_x1(xp: Any, g: Any, ans: Any, x1: Any, x2: Any,
                      axes: tuple[tuple[int, ...], tuple[int, ...]]) -> Any:
    """Contract ``g``'s x2-part with x2's free axes; what is left are x1's free then paired axes."""
    a1, a2 = axes
    free1 = [i for i in range(x1.ndim) if i not in a1]
    free2 = tuple(i for i in range(x2.ndim) if i not in a2)
    gx = xp.tensordot(g, x2, axes=(tuple(range(len(free1), g.ndim)), free2))
    return _undo_order(xp, gx, free1 + [i for _, i in sorted(zip(a2, a1, strict=True))])


def _tensordot_vjp_x2(xp: Any, g: Any, ans: Any, x1: Any, x2: Any,
                      axes: tuple[tuple[int, ...], tuple[int, ...]]) -> Any:
    """Contract x1's free axes with ``g``'s x1-part; what is left are x2's paired then free axes."""
    a1, a2 = axes
    free1 = tuple(i for i in range(x1.ndim) if i not in a1)
    free2 = [i for i in range(x2.ndim) if i not in a2]
    gx = xp.tensordot(x1, g, axes=(free1, tuple(range(len(free1)))))
    return _undo_order(xp, gx, [i for _, i in sorted(zip(a1, a2, strict=True))] + free2)


# -- vecdot, matrix_transpose, outer --------------------------------------------------------------


def _vecdot_signature(x1: Any, x2: Any, /, *, axis: int = -1) -> Params:
    """vecdot(x1, x2, /, *, axis=-1): dot products of vectors along ``axis``, which counts in the
    broadcast shape; the other dimensions broadcast."""
    s1, s2 = _shape("vecdot", x1), _shape("vecdot", x2)
    if s1 is None or s2 is None:
        raise TypeError("vecdot: takes arrays (wrap lists with ad.tensor(...))")
    n = max(len(s1), len(s2))
    if not isinstance(axis, int) or not -n <= axis < n:
        raise ShapeError(f"vecdot: axis {axis!r} is out of range for shapes {s1} and {s2}")
    a = axis - n if axis >= 0 else axis  # counted from the end, as both operands see it
    if -a > min(len(s1), len(s2)) or s1[a] != s2[a]:
        size1 = s1[a] if -a <= len(s1) else None
        size2 = s2[a] if -a <= len(s2) else None
        raise ShapeError(f"vecdot: cannot take dot products of shapes {s1} and {s2} along axis "
                         f"{axis}: {size1} != {size2}")
    broadcast_shapes(s1, s2, op="vecdot")
    return (x1, x2), {"axis": a}


def _matrix_transpose_signature(x: Any, /) -> Params:
    """matrix_transpose(x, /): swap the last two axes (transpose every matrix of a stack)."""
    shape = _shape("matrix_transpose", x)
    if shape is not None and len(shape) < 2:
        raise ShapeError(f"matrix_transpose: needs at least 2 dimensions, got shape {shape}")
    return (x,), {}


def _outer_signature(x1: Any, x2: Any, /) -> Params:
    """outer(x1, x2, /): the outer product of two vectors, ``out[i, j] = x1[i] * x2[j]``."""
    s1, s2 = _shape("outer", x1), _shape("outer", x2)
    if (s1 is not None and len(s1) != 1) or (s2 is not None and len(s2) != 1):
        raise ShapeError(f"outer: needs two 1-D arrays, got shapes {s1} and {s2}")
    return (x1, x2), {}


def _vecdot(xp: Any, x1: Any, x2: Any, axis: int) -> Any:
    return xp.vecdot(x1, x2, axis=axis)


def _vecdot_vjp_x1(xp: Any, g: Any, ans: Any, x1: Any, x2: Any, axis: int) -> Any:
    return xp.expand_dims(g, axis=axis) * x2


def _vecdot_vjp_x2(xp: Any, g: Any, ans: Any, x1: Any, x2: Any, axis: int) -> Any:
    return xp.expand_dims(g, axis=axis) * x1


def _tensordot(xp: Any, x1: Any, x2: Any, axes: tuple[tuple[int, ...], tuple[int, ...]]) -> Any:
    return xp.tensordot(x1, x2, axes=axes)


# -- tril, triu: keep the triangle on and below (above) diagonal k; the VJP keeps g's triangle ----


def _triangle_signature(op: str, side: str) -> Any:
    def signature(x: Any, /, *, k: int = 0) -> Params:
        shape = _shape(op, x)
        if shape is not None and len(shape) < 2:
            raise ShapeError(f"{op}: needs at least 2 dimensions, got shape {shape}")
        if not isinstance(k, int) or isinstance(k, bool):
            raise TypeError(f"{op}: k must be an int, got {k!r}")
        return (x,), {"k": k}

    signature.__doc__ = (f"{op}(x, /, *, k=0): the {side} triangle of each matrix of ``x``: the "
                         f"elements on and {side} diagonal ``k`` (0 the main diagonal, k > 0 above "
                         f"it, k < 0 below), zeros elsewhere. The gradient is the same triangle "
                         f"of the cotangent.")
    return signature


TRIANGLES = {
    "tril": (lambda xp, x, k: xp.tril(x, k=k), lambda xp, g, ans, x, k: xp.tril(g, k=k), "below"),
    "triu": (lambda xp, x, k: xp.triu(x, k=k), lambda xp, g, ans, x, k: xp.triu(g, k=k), "above"),
}  # fmt: skip


#  name        forward                                                d/dx1                                       d/dx2                                       signature
LINALG = {
    "matmul":    (lambda xp, x1, x2: _mm(xp, x1, x2),                   _matmul_vjp_x1,                             _matmul_vjp_x2,                             _matmul_signature),
    "tensordot": (_tensordot,                                           _tensordot_vjp_x1,                          _tensordot_vjp_x2,                          _tensordot_signature),
    "vecdot":    (_vecdot,                                              _vecdot_vjp_x1,                             _vecdot_vjp_x2,                             _vecdot_signature),
    "outer":     (lambda xp, x1, x2: xp.expand_dims(x1, axis=-1) * x2,  lambda xp, g, ans, x1, x2: _mm(xp, g, x2),  lambda xp, g, ans, x1, x2: _mm(xp, x1, g),  _outer_signature),
}  # fmt: skip


@hookimpl
def ad_core_register_ops(register: Any) -> None:
    for name, (forward, dx1, dx2, signature) in LINALG.items():
        register(name, forward, [dx1, dx2], jvp=multilinear_jvp(forward), signature=signature)
    transpose = lambda xp, x: xp.matrix_transpose(x)  # noqa: E731
    register("matrix_transpose", transpose, lambda xp, g, ans, x: xp.matrix_transpose(g),
             jvp=linear_jvp(transpose), signature=_matrix_transpose_signature)
    for name, (forward, vjp, side) in TRIANGLES.items():
        register(name, forward, vjp, jvp=linear_jvp(forward),
                 signature=_triangle_signature(name, side))
