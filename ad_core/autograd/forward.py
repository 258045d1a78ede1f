"""Forward mode: ``ad.jvp`` pushes tangents forward alongside the computation, with no tape.

How it works
------------
``jvp(f, primals, tangents)`` opens a *level* (a number, unique to this call), wraps each primal
in a :class:`~ad_core.autograd.tensor.DualTensor` carrying its tangent for that level, and calls
``f``. Every op that meets a dual argument (:func:`apply_dual`) computes its primal result as
usual, then the tangent of the result from the tangents of its inputs:

- with the op's own JVP rule, ``jvp(xp, tangents, ans, *inputs, **params)`` (``tangents`` a
  tuple, None for inputs without one), when it registered one;
- otherwise with a rule derived from its **VJP** (below), so that every op works in forward
  mode, a third-party plugin's included.

A JVP rule runs like a VJP rule: on the backend's raw arrays with its rule namespace when nothing
around needs a graph (the fast path: the tangent costs what the rule's arithmetic costs), and on
tensors with ad_core's differentiable namespace when an input or tangent requires grad or carries
the tangent of an outer ``jvp``. In the second case the tangent has history of its own, which is
what makes forward mode compose: ``grad`` of ``jvp`` differentiates the recorded tangent, and
``jvp`` of ``jvp`` nests levels (an inner level's dual wraps an outer level's; an op strips the
highest live level, recurses for the rest, and so mixed derivatives come out right). A node
recorded under forward mode remembers its tangent-carrying inputs and output (``node.duals``), so
a recorded backward pass run inside a ``jvp`` pushes the tangents through the VJP rules as well:
``jvp`` of ``grad`` is the Hessian-vector product (forward-over-reverse).

To reverse mode a dual tensor *is* its primal: same array, same node, same ``requires_grad``.
Gradients of a leaf reach the plain leaf underneath (:func:`~ad_core.autograd.tensor.base`).

The derived JVP ("double VJP")
------------------------------
A VJP rule is linear in its cotangent ``g``: ``vjp_i(g) = J_iᵀ g``. So ``⟨vjp_i(g), v_i⟩ =
⟨g, J_i v_i⟩``, and the gradient of that scalar with respect to ``g`` is ``J_i v_i``. The derived
rule records ``vjp_i(g)`` with ad_core's own namespace at a dummy ``g`` (zeros of the output's
shape; linearity makes its value irrelevant), then runs one backward pass to ``g`` seeded with
the tangents ``v_i``: the result is ``J v``. It always uses the op's **generic** VJP, never a
per-backend override (an override is written with a library's own functions, which cannot be
recorded, and may be first-order only).

What it costs, per op application with a tangent: one *recorded* evaluation of the VJP rule (for
each input that has a tangent) plus one backward pass through it, i.e. the VJP's arithmetic two
to three times over, plus ad_core's per-op bookkeeping (about 2 µs) for every op inside the VJP
and its backward pass. A hand-written JVP rule costs the arithmetic once. Measured for ``tanh``
on a CPU, the tangent costs about 3× more derived than hand-written at every size (3.6× on 4
elements, 2.9× on 10⁴, 3.3× on 10⁶). Built-in ops register hand rules where they are cheap and
clear; the rest use the derived one.

Why reverse-mode users pay nothing
----------------------------------
The hot path, :func:`ad_core.autograd.recording.apply`, tests one global set per op,
``LIVE_LEVELS``, which is empty unless some ``jvp`` is running (in any thread). ``Tensor`` gets no
new slot (tangents live on the subclass ``DualTensor``), ``Node`` gets a slot that is never
assigned outside forward mode, and the backward pass reads it only when recording a
higher-order pass while a ``jvp`` runs. While a ``jvp`` runs in one thread, ops in other threads
pay a scan of their arguments for dual tensors, and nothing more.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ad_core.autograd.backward import _fit, run_backward
from ad_core.autograd.dual import DualTensor
from ad_core.autograd.grad_mode import GRAD_ENABLED, enable_grad
from ad_core.autograd.pytree import flatten, unflatten
from ad_core.autograd.recording import LIVE_LEVELS, PLAIN, _coerce, apply
from ad_core.autograd.tensor import Tensor
from ad_core.backends.selection import using
from ad_core.dtypes import DType
from ad_core.errors import (
    ADCoreError,
    BackendMismatchError,
    DTypeError,
    GradientError,
    OpError,
    ShapeError,
)
from ad_core.ops.namespace import rule_namespace
from ad_core.ops.op import Op

__all__ = ["jvp", "apply_dual", "derived_jvp", "as_argument", "tangent_arguments",
           "transfer_dual"]

_COUNTER = itertools.count(1)


def _peel(a: Any) -> Any:
    """``a`` without the tangents of levels that are no longer live (a dual that leaked out)."""
    while type(a) is DualTensor and a._level not in LIVE_LEVELS:
        a = a._primal
    return a


# -- one op on dual arguments ----------------------------------------------------------------


def apply_dual(op: Op, args: tuple[Any, ...], params: dict[str, Any]) -> Tensor | None:
    """``op`` on ``args`` when some carry tangents: the result with its tangent; None otherwise.

    The highest live level among the arguments is handled here: its tangents are split off, the
    primal result is computed by :func:`apply` (which handles lower levels the same way), then
    the result's tangent by the op's JVP rule or the derived one.
    """
    top = 0
    dead = False
    for a in args:
        if type(a) is DualTensor:
            level = a._level
            if level in LIVE_LEVELS:
                if level > top:
                    top = level
            else:
                dead = True
    if not top:
        return apply(op, tuple(_peel(a) for a in args), params) if dead else None
    if dead:
        args = tuple(_peel(a) for a in args)
    for a in args:
        if type(a) not in PLAIN and not isinstance(a, Tensor):  # array-likes, NumPy scalars
            args = _coerce(op, args, next(a for a in args if isinstance(a, Tensor)))
            break
    primals = list(args)
    tangents: list[Any] = [None] * len(args)
    rules = op.vjp if op.differentiable and not op.variadic else None
    some = False
    for i, a in enumerate(args):
        if type(a) is DualTensor and a._level == top:
            primals[i] = a._primal
            if op.variadic or (rules is not None and i < len(rules) and rules[i] is not None):
                tangents[i] = a._tangent  # (an input the op does not differentiate gets none)
                some = True
    out = apply(op, tuple(primals), params)
    if not some or not out.dtype.is_floating:
        return out
    backend = out._backend
    for key, value in params.items():
        if type(value) is DType or (key == "dtype" and value is not None):
            params = {**params, key: backend.native_dtype(value)}
    tangent = _push(op, tuple(tangents), out, tuple(primals), params)
    result = DualTensor._wrap(out, top, tangent)
    if out._node is not None:  # for a backward pass recorded inside this jvp (jvp of grad)
        out._node.duals = (args, result)
    return result


def _needs_graph(inputs: tuple[Any, ...], tangents: tuple[Any, ...]) -> bool:
    """Whether the tangent must be computed on tensors (to be differentiated, or to carry the
    tangents of an outer level), rather than on raw arrays."""
    grad_on = GRAD_ENABLED.get()
    for group in (inputs, tangents):
        for a in group:
            if type(a) is DualTensor or (grad_on and isinstance(a, Tensor) and a._requires_grad):
                return True
    return False


def _push(op: Op, tangents: tuple[Any, ...], ans: Tensor, inputs: tuple[Any, ...],
          params: dict[str, Any]) -> Tensor:
    """The tangent of ``ans``, of its shape and dtype."""
    backend = ans._backend
    graph = _needs_graph(inputs, tangents)
    rule = op.jvp
    if op.first_order_only and (rule is None or graph):  # its VJP cannot be recorded
        raise op.higher_order_error("forward mode (jvp, jacobian(mode='forward'), linearize)"
                                    if rule is None else "a derivative of a tangent")
    try:
        if rule is None:
            t = derived_jvp(op, tangents, ans, inputs, params, create_graph=graph)
        elif graph:
            import ad_core.array_api as xp_graph

            with using(backend, backend.device_of(ans._array)):
                t = rule(xp_graph, tangents, ans, *inputs, **params)
                return _fit_tangent(xp_graph, t, ans)
        else:
            xp = backend.rule_xp or rule_namespace(backend)
            raw = rule(xp, tuple(None if t is None else t._array for t in tangents), ans._array,
                       *(a._array if isinstance(a, Tensor) else a for a in inputs), **params)
            return Tensor._make(_fit_raw(xp, raw, ans._array), backend, None, False)
    except ADCoreError:
        raise
    except Exception as exc:
        kind = "derived JVP (from the VJP)" if rule is None else "JVP"
        raise OpError(f"{kind} of op {op.name!r} (plugin {op.plugin!r}) failed on backend "
                      f"{backend.name!r}: {type(exc).__name__}: {exc}") from exc
    return t


def _fit_raw(xp: Any, t: Any, ans: Any) -> Any:
    """A raw tangent broadcast to ``ans``'s shape and cast to its dtype."""
    if not hasattr(t, "shape"):
        return xp.full_like(ans, t)
    if tuple(t.shape) != tuple(ans.shape):
        t = xp.broadcast_to(t, tuple(ans.shape))
    if t.dtype != ans.dtype:
        t = xp.astype(t, ans.dtype)
    return t


def _fit_tangent(xp: Any, t: Any, ans: Tensor) -> Tensor:
    """A recorded tangent broadcast to ``ans``'s shape and cast to its dtype."""
    if not isinstance(t, Tensor):
        return xp.full_like(ans, t)
    if t.shape != ans.shape:
        t = xp.broadcast_to(t, ans.shape)
    if t.dtype != ans.dtype:
        t = xp.astype(t, ans.dtype)
    return t


def derived_jvp(op: Op, tangents: tuple[Any, ...], ans: Tensor, inputs: tuple[Any, ...],
                params: dict[str, Any], *, create_graph: bool = False) -> Tensor:
    """``J v`` for an op without a JVP rule, from its generic VJP: ``∇_g Σ_i ⟨vjp_i(g), v_i⟩``.

    ``tangents`` holds ``v_i`` (None for inputs without one). Each ``vjp_i`` is recorded at a dummy
    cotangent ``g`` that requires grad; one backward pass to ``g``, seeded with the tangents, gives
    the tangent of the output. With ``create_graph`` that pass is recorded too, so the result can
    be differentiated (or carry an outer level's tangent).
    """
    import ad_core.array_api as xp_graph

    backend = ans._backend
    with enable_grad(), using(backend, backend.device_of(ans._array)):
        g = Tensor._make(backend.xp.zeros_like(ans._array), backend, None, True)
        outs: list[Tensor] = []
        seeds: list[Any] = []
        for i, v in enumerate(tangents):
            if v is None:
                continue
            rule = op.vjp if op.variadic else op.vjp[i]  # the generic rule, never an override's
            if op.variadic:
                gi = rule(xp_graph, g, ans, *inputs, argnum=i, **params)
            else:
                gi = rule(xp_graph, g, ans, *inputs, **params)
            gi = _fit(xp_graph, gi, inputs[i], op.name, i)
            if isinstance(gi, Tensor) and gi._requires_grad:  # else J_i v_i is zero
                outs.append(gi)
                seeds.append(v)
        jv = run_backward(outs, seeds, inputs=[g], create_graph=create_graph)[0] if outs else None
    if jv is None:
        return Tensor._make(backend.xp.zeros_like(ans._array), backend, None, False)
    return jv


# -- the transform ---------------------------------------------------------------------------


def as_argument(x: Any) -> Any:
    """An argument of a transformed function: a tensor, a pytree holding tensors, or data.

    A list or tuple of numbers alone (nested or not), or a NumPy array, is data for one tensor, as
    ``ad.tensor`` reads it; a dict, or a container holding a tensor or a None (a tangent left
    out, as in ``{"w": t, "b": None}`` or ``{"w": None, "b": None}``), is a pytree.
    """
    from ad_core.autograd.creation import tensor

    if isinstance(x, (Tensor, dict)):
        return x
    leaves, _ = flatten(x)
    if isinstance(x, (tuple, list)) and any(leaf is None or isinstance(leaf, Tensor)
                                            for leaf in leaves):
        return x
    return tensor(x)


def _dual_input(p: Any, t: Any, level: int) -> Any:
    """Primal leaf ``p`` carrying tangent ``t`` for ``level`` (``p`` itself when ``t`` is None)."""
    from ad_core.autograd.creation import tensor

    if t is None:
        return p
    p = p if isinstance(p, Tensor) else tensor(p)
    return DualTensor._wrap(p, level, checked_tangent(t, p, "jvp: "))


def checked_tangent(t: Any, p: Tensor, prefix: str) -> Tensor:
    """Tangent ``t`` (a tensor or array-like) for primal ``p``, as a tensor of ``p``'s backend,
    dtype and shape; a clear error, starting with ``prefix``, for anything else."""
    from ad_core.autograd.creation import tensor

    if not p.dtype.is_floating:
        raise DTypeError(f"{prefix}a {p.dtype.name} primal cannot carry a tangent; only real "
                         f"floating-point tensors can (pass None as its tangent)")
    if isinstance(t, Tensor):
        if t._backend is not p._backend:
            raise BackendMismatchError(f"{prefix}the tangent lives on backend "
                                       f"{t._backend.name!r}, its primal on {p._backend.name!r}")
        if t.dtype != p.dtype:
            raise DTypeError(f"{prefix}a {t.dtype.name} tangent for a {p.dtype.name} primal; "
                             f"cast it with .astype({p.dtype.name})")
    else:
        t = tensor(t, dtype=p.dtype, backend=p._backend.name, device=p.device)
    if t.shape != p.shape:
        raise ShapeError(f"{prefix}a tangent of shape {t.shape} for a primal of shape {p.shape}")
    return t


def tangent_arguments(tangents: Any, args: tuple[Any, ...], prefix: str) -> tuple[Any, ...]:
    """Each tangent as a pytree matching its argument: array-like data (a list of numbers, a
    Python float) for a tensor argument becomes a tensor of that argument's dtype and backend, not
    of the default dtype (which may differ: float32 on torch)."""
    return tuple(t if t is None else checked_tangent(t, a, prefix) if isinstance(a, Tensor)
                 else as_argument(t) for t, a in zip(tangents, args, strict=True))


def _split(o: Any, level: int) -> tuple[Any, Any]:
    """An output leaf as (primal, tangent for ``level``); zeros where it does not depend on the
    primals, None for outputs that are not floating-point tensors."""
    if not isinstance(o, Tensor):
        return o, None
    o = _peel(o)
    if type(o) is DualTensor and o._level == level:
        return o._primal, o._tangent
    if o.dtype.is_floating:
        return o, Tensor._make(o._backend.xp.zeros_like(o._array), o._backend, None, False)
    return o, None


def jvp(f: Callable[..., Any], primals: tuple[Any, ...] | list[Any],
        tangents: tuple[Any, ...] | list[Any]) -> tuple[Any, Any]:
    """Evaluate ``f(*primals)`` and its directional derivative along ``tangents``: ``(out, J·t)``.

    ``primals`` and ``tangents`` are tuples with one entry per argument of ``f``, of the same
    pytree structure (tensors, or tuples/lists/dicts of them; None as a tangent means none). The
    output may be any pytree of tensors; the tangent output has its structure. One forward pass,
    no tape. Composes with the other transforms: ``jvp(grad(f), ...)`` is a Hessian-vector
    product, ``grad`` of a function that calls ``jvp`` differentiates the tangent.

    >>> import ad_core as ad
    >>> out, t = ad.jvp(lambda x: ad.sin(x) * x, (ad.tensor([0.0, 1.0]),), (ad.tensor([1.0, 1.0]),))
    >>> [round(v, 6) for v in t.tolist()]      # sin(x) + x cos(x)
    [0.0, 1.381773]
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("jvp: primals and tangents must be tuples, one entry per argument of f")
    if len(primals) != len(tangents):
        raise GradientError(f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    level = next(_COUNTER)
    LIVE_LEVELS.add(level)
    try:
        if all(isinstance(p, Tensor) for p in primals) and \
                all(t is None or isinstance(t, Tensor) for t in tangents):  # no pytrees: quicker
            out = f(*(_dual_input(p, t, level) for p, t in zip(primals, tangents, strict=True)))
        else:
            args = tuple(as_argument(p) for p in primals)
            p_leaves, p_tree = flatten(args)
            t_leaves, t_tree = flatten(tangent_arguments(tangents, args, "jvp: "))
            if p_tree != t_tree:
                raise GradientError(f"jvp: tangents have structure {t_tree!r}, primals {p_tree!r}")
            duals = [_dual_input(p, t, level) for p, t in zip(p_leaves, t_leaves, strict=True)]
            out = f(*unflatten(p_tree, duals))
        if isinstance(out, Tensor):
            return _split(out, level)
        o_leaves, o_tree = flatten(out)
        pairs = [_split(o, level) for o in o_leaves]
    finally:
        LIVE_LEVELS.discard(level)
    return unflatten(o_tree, [p for p, _ in pairs]), unflatten(o_tree, [t for _, t in pairs])


def transfer_dual(t: DualTensor, backend: str | None, device: Any) -> Tensor:
    """``t.to(...)`` for a tensor carrying tangents: primal and tangent move alike."""
    from ad_core.autograd.transfer import transfer

    t = _peel(t)
    if type(t) is not DualTensor:
        return transfer(t, backend, device)
    return DualTensor._wrap(transfer(t._primal, backend, device), t._level,
                            transfer(t._tangent, backend, device))
