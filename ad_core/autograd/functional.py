"""Function transforms built on the backward pass: ``grad``, ``value_and_grad``, ``vjp``.

Each calls the function on fresh leaves that require grad, then runs the backward pass asking
only for the cotangents of those leaves, so nothing accumulates into ``.grad``. When an input
already carries history (an outer ``grad`` is differentiating this one), the backward pass is
recorded, which is what makes ``grad(grad(f))`` work; when it carries a forward-mode tangent (an
outer ``ad.jvp``), the backward pass is recorded too, so the tangent flows through it
(``jvp(grad(f))``, forward-over-reverse). Arguments and outputs may be pytrees of tensors
(:mod:`ad_core.autograd.pytree`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from ad_core.autograd.backward import run_backward
from ad_core.autograd.creation import tensor
from ad_core.autograd.dual import DualTensor, base
from ad_core.autograd.forward import _peel, as_argument
from ad_core.autograd.grad_mode import enable_grad, is_grad_enabled
from ad_core.autograd.node import Node, post_order
from ad_core.autograd.pytree import TreeDef, flatten, unflatten
from ad_core.autograd.recording import LIVE_LEVELS, apply
from ad_core.autograd.tensor import Tensor
from ad_core.errors import GradientError
from ad_core.ops.op import Op

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
    normal = tuple(a % n for a in nums)
    if len(set(normal)) != len(normal):  # each argument can be differentiated only once
        raise GradientError(f"argnums {argnums!r} names an argument twice (for a call with {n} "
                            f"arguments); each must be unique")
    return normal


#: The identity as an op: an input differentiated inside an outer transform is replaced by its
#: alias, a node of its own, so that the inner gradient counts the uses of the argument and not
#: those of the tensor it was made from (which ``f`` may also close over).
ALIAS = Op("alias", lambda xp, x: x, [lambda xp, g, ans, x: g],
           jvp=lambda xp, tangents, ans, x: tangents[0], plugin="ad_core")


#: How a transform's backward pass runs: on raw arrays, its result without history (PLAIN); on
#: tensors but unrecorded, so that forward-mode tangents flow through it, its result without
#: history but with its tangents (TANGENTS); recorded, with the history kept for an outer
#: transform to differentiate (OUTER).
PLAIN, TANGENTS, OUTER = 0, 1, 2


def _surrounding_mode() -> int:
    """How a backward pass must run whatever its inputs, given the transforms around it.

    ``f`` may close over tensors that an outer transform differentiates (``grad`` of a function
    that calls ``grad(lambda x: x * y)``, with ``y`` the outer argument); the inner result then
    depends on them through the backward pass itself, which must therefore be recorded (inside
    an outer ``grad``) or run on tensors (inside an outer ``jvp``). Unrecorded, that dependence
    would silently be a zero."""
    if _DEPTH.get() > 0 and is_grad_enabled():
        return OUTER
    return TANGENTS if LIVE_LEVELS else PLAIN


def closes_over_grad(outputs: Sequence[Any], targets: Sequence[Tensor | None]) -> bool:
    """Whether the graph behind ``outputs`` reaches a leaf that requires grad besides ``targets``.

    Such a leaf is a tensor ``f`` closed over (a model's parameter in a gradient penalty): at the
    top level, where no outer transform says so, a later ``.backward()`` through this transform's
    result must still reach it, so the pass is recorded as inside an outer transform. One walk
    over the recorded nodes; nothing is walked with recording off."""
    if not is_grad_enabled():
        return False
    own = {id(t) for t in targets if t is not None}
    roots = [o._node for o in outputs if isinstance(o, Tensor) and o._node is not None]
    for node in post_order(roots):
        for parent in node.parents:
            if (parent is not None and type(parent) is not Node and id(parent) not in own
                    and parent._requires_grad):
                return True
    return False


def _prepare(x: Any) -> tuple[Tensor, Tensor, int]:
    """For a tensor to differentiate with respect to: the tensor to call the function with, the
    leaf whose cotangent the backward pass returns, and how that pass runs (PLAIN, TANGENTS or
    OUTER).

    At the top level the function gets a fresh leaf sharing ``x``'s array (no history). Inside
    another transform an input that requires grad gets a recorded alias of itself (an identity
    op), so the outer transform sees through; the alias, not ``x``, is what this transform
    differentiates with respect to, so uses of ``x`` that ``f`` closes over stay constants here
    (``grad(lambda a: grad(lambda t: t * a)(a))`` is 1, not 2: no perturbation confusion). An
    input carrying a forward-mode tangent (inside ``ad.jvp``) keeps its tangent around the fresh
    leaf, and the backward pass is recorded so that the tangent flows through it too.
    """
    t = x if isinstance(x, Tensor) else tensor(x)
    leaf = base(t)
    if leaf._requires_grad and _DEPTH.get() > 0 and is_grad_enabled():
        alias = apply(ALIAS, (t,), {})
        return alias, base(alias), OUTER
    fresh = Tensor._make(leaf._array, leaf._backend, None, False).requires_grad_()
    if leaf is t or not LIVE_LEVELS:
        return fresh, fresh, PLAIN
    return _rebase(t, fresh), fresh, TANGENTS


def _rebase(t: Tensor, leaf: Tensor) -> Tensor:
    """``t``'s tangents (every level) around ``leaf`` in place of ``t``'s own plain tensor."""
    if type(t) is not DualTensor:
        return leaf
    return DualTensor._wrap(_rebase(t._primal, leaf), t._level, t._tangent)


def _prepare_tree(x: Any) -> tuple[Any, list[Tensor | None], TreeDef, int]:
    """:func:`_prepare` for every tensor leaf of an argument (a tensor or a pytree of them).

    Returns the argument to call with, the leaves to differentiate (None for leaves that are
    not tensors, which pass through), the argument's structure, and how to run the backward pass.
    """
    leaves, tree = flatten(as_argument(x))
    call, targets = [], []
    mode = PLAIN
    for leaf in leaves:
        if isinstance(leaf, Tensor):
            t, target, how = _prepare(leaf)
            call.append(t)
            targets.append(target)
            mode = max(mode, how)
        else:
            call.append(leaf)
            targets.append(None)
    return unflatten(tree, call), targets, tree, mode


def _finish(t: Any, mode: int) -> Any:
    """A transform's result as ``mode`` wants it: without history unless an outer transform
    differentiates it; forward-mode tangents kept (they are values, not history)."""
    if mode == OUTER or not isinstance(t, Tensor):
        return t
    if type(t) is DualTensor:
        return DualTensor._wrap(_finish(t._primal, mode), t._level, _finish(t._tangent, mode))
    return t.detach()


def split_aux(result: Any, name: str) -> tuple[Any, Any]:
    """``(value, aux)`` from what a function called with ``has_aux=True`` returned."""
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return result[0], result[1]
    got = type(result).__name__
    if isinstance(result, (tuple, list)):
        got += f" of length {len(result)}"
    raise GradientError(f"{name} with has_aux=True: the function must return a pair (value, aux), "
                        f"got {got}")


def finish_aux(aux: Any, mode: int) -> Any:
    """The tensors of ``aux`` as :func:`_finish` leaves a result: without history or the tangents
    of finished ``jvp`` calls unless an outer transform differentiates them. Containers (dicts,
    lists, tuples, named tuples) keep their type and order; anything else is returned as it is."""
    if isinstance(aux, Tensor):
        return _finish(_peel(aux), mode)
    kind = type(aux)
    if kind is dict:
        return {k: finish_aux(v, mode) for k, v in aux.items()}
    if kind is list or kind is tuple:
        return kind(finish_aux(v, mode) for v in aux)
    if isinstance(aux, tuple) and hasattr(kind, "_fields"):
        return kind(*(finish_aux(v, mode) for v in aux))
    return aux


def _zeros_if_none(g: Tensor | None, like: Tensor) -> Tensor:
    if g is not None:
        return g
    return Tensor._make(like._backend.xp.zeros_like(like._array), like._backend, None, False)


def _cotangents(outputs: list[Tensor], seeds: list[Any], targets: list[Tensor | None],
                mode: int, retain: bool) -> list[Tensor | None]:
    """The cotangents reaching ``targets`` (zeros where no path leads, None for non-tensors)."""
    wanted = [t for t in targets if t is not None]
    live = [(o, s) for o, s in zip(outputs, seeds, strict=True) if o._requires_grad]
    if wanted and live:
        found = run_backward([o for o, _ in live], [s for _, s in live], inputs=wanted,
                             create_graph=mode == OUTER, tangents=mode == TANGENTS,
                             retain_graph=retain)
    else:
        found = [None] * len(wanted)
    it = iter(found)  # type: ignore[arg-type]
    return [None if t is None else _zeros_if_none(next(it), t) for t in targets]


def value_and_grad(
    f: Callable[..., Any], argnums: int | Sequence[int] = 0, has_aux: bool = False
) -> Callable[..., tuple[Any, Any]]:
    """Return a function computing ``(f(*args), gradient of f)`` with respect to ``argnums``.

    ``f`` must return a one-element tensor (or ``(value, aux)`` when ``has_aux``). The gradient
    is one tensor for an int ``argnums`` and a tuple for a tuple of them. An argument may be a
    pytree (a tuple, list or dict of tensors, nested): its gradient has the same structure.

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
        targets: list[Tensor | None] = []
        trees = []
        mode = _surrounding_mode()
        for a in nums:
            call_args[a], leaves, tree, how = _prepare_tree(args[a])
            targets += leaves
            trees.append(tree)
            mode = max(mode, how)
        result = _call_traced(f, *call_args, **kwargs)
        value, aux = split_aux(result, "grad") if has_aux else (result, None)
        if not isinstance(value, Tensor):
            raise GradientError(f"grad: the function must return a Tensor, got {type(value).__name__}")
        if value.size != 1:
            raise GradientError(
                f"grad: the function must return a single element, got shape {value.shape}; "
                f"use ad.vjp for non-scalar outputs"
            )
        if mode != OUTER and closes_over_grad([value], targets):
            mode = OUTER
        grads = _cotangents([value], [None], targets, mode, retain=mode == OUTER)
        grads = [_finish(g, mode) for g in grads]
        out = []
        for tree in trees:
            out.append(unflatten(tree, grads[:tree.leaves]))
            grads = grads[tree.leaves:]
        g_out = out[0] if single else tuple(out)
        value = _finish(value, mode)
        return ((value, finish_aux(aux, mode)), g_out) if has_aux else (value, g_out)

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


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """Evaluate ``f(*primals)`` and return ``(out, vjp_fn)``; ``vjp_fn(u)`` gives uᵀJ per primal.

    Primals may be pytrees of tensors, and so may the output: ``u`` then has the output's
    structure, and each entry of ``vjp_fn(u)`` its primal's. ``vjp_fn`` may be called many times
    (the graph is retained).

    >>> import ad_core as ad
    >>> out, back = ad.vjp(lambda x: x * 3.0, ad.tensor([1.0, 2.0]))
    >>> back(ad.tensor([1.0, 1.0]))[0].tolist()
    [3.0, 3.0]
    """
    call, targets, trees = [], [], []
    mode = _surrounding_mode()
    for p in primals:
        arg, leaves, tree, how = _prepare_tree(p)
        call.append(arg)
        targets += leaves
        trees.append(tree)
        mode = max(mode, how)
    out = _call_traced(f, *call)
    o_leaves, o_tree = flatten(out)
    if mode != OUTER and closes_over_grad(o_leaves, targets):
        mode = OUTER
    for o in o_leaves:
        if not isinstance(o, Tensor):
            raise GradientError(f"vjp: the function must return tensors, got {type(o).__name__}")

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        if o_tree.kind != "leaf":
            u_leaves, u_tree = flatten(cotangent)
        elif cotangent is None or isinstance(as_argument(cotangent), Tensor):  # array-likes too
            u_leaves, u_tree = [cotangent], o_tree
        else:
            u_leaves, u_tree = [], flatten(cotangent)[1]
        if u_tree != o_tree:
            raise GradientError(f"vjp: the cotangent has structure {u_tree!r}, the output "
                                f"{o_tree!r}")
        # called inside a transform (grad or jvp of the pullback with respect to u), the pass
        # must run on tensors so that u's history or tangents flow through it, whatever mode the
        # vjp itself was taken in
        how = max(mode, _surrounding_mode())
        grads = [_finish(g, how) for g in
                 _cotangents(o_leaves, u_leaves, targets, how, retain=True)]
        result = []
        for tree in trees:
            result.append(unflatten(tree, grads[:tree.leaves]))
            grads = grads[tree.leaves:]
        return tuple(result)

    return unflatten(o_tree, [_finish(o, mode) for o in o_leaves]), vjp_fn
