"""``ad.linearize``: evaluate ``f`` once, then push any number of tangents through what it did.

``out, f_jvp = linearize(f, *primals)`` runs ``f`` once, recording its graph as reverse mode
does (fresh leaves that require grad, so nothing outside is touched). ``f_jvp(*tangents)`` then
walks that graph forward, in the order the ops ran, and gives each recorded op's output the
tangent its JVP rule computes from its inputs' tangents and the primal values the op saved. It is
``ad.jvp(f, primals, tangents)[1]`` without running ``f`` again.

What a call of ``f_jvp`` costs
------------------------------
One JVP rule per recorded op that the tangents reach, on the saved primal values: ``f``'s own
forward arithmetic is not repeated and ``f``'s Python code does not run. For an op with a hand
JVP rule that is the rule's arithmetic (``tanh``: a multiply and a subtraction, reusing the saved
output), called directly on the backend's raw arrays, with no dispatch, no dual tensors and no
recording. Measured on a (shared) CPU for a chain of 200 ops on 4 elements: about 3 µs per op,
against 12 µs for ``ad.jvp`` (which re-runs ``f`` and wraps every result in a dual tensor) and
1.5 µs for ``f`` alone. An op without a hand rule (a third-party op that registered only a VJP)
pays forward mode's derived rule, two to three times its VJP. When the tangents must themselves
be differentiated the rules run on ad_core's differentiable namespace instead, at about the cost
of ``ad.jvp``'s tangent. Memory: the recorded graph — every op's inputs and output — stays
alive as long as ``f_jvp`` does, as a retained reverse-mode graph would.

What counts as a function of the primals
----------------------------------------
What ``f`` recorded: tensors it closes over (a layer's parameters) are constants, as in
``ad.vjp``, and so is anything it computes under ``ad.no_grad()`` or from ``.detach()``.

Composition
-----------
``f_jvp`` is linear in the tangents, and composes in them: tangents that require grad (under
``ad.grad``) or carry an outer ``ad.jvp``'s tangents run the rules on ad_core's differentiable
namespace, so the result can be differentiated with respect to the tangents. When the *primals*
are being differentiated by an outer transform (they require grad inside ``ad.grad``, or carry an
outer ``ad.jvp``'s tangent), a recorded graph of constants would lose that dependence; then
``f_jvp`` falls back to ``ad.jvp(f, primals, tangents)``, re-running ``f`` on every call, which is
correct for every order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ad_core.autograd.dual import DualTensor, base
from ad_core.autograd.forward import (
    _fit_raw,
    _needs_graph,
    _peel,
    _push,
    as_argument,
    checked_tangent,
    jvp,
    tangent_arguments,
)
from ad_core.autograd.functional import _DEPTH, _call_traced, closes_over_grad
from ad_core.autograd.grad_mode import is_grad_enabled
from ad_core.autograd.node import Node, post_order
from ad_core.autograd.pytree import TreeDef, flatten, unflatten
from ad_core.autograd.recording import LIVE_LEVELS
from ad_core.autograd.tensor import Tensor
from ad_core.errors import (
    DTypeError,
    GradientError,
    GraphFreedError,
)
from ad_core.ops.namespace import rule_namespace

__all__ = ["linearize"]


class _Step:
    """One recorded op, ready to receive tangents: where its inputs' tangents come from, and its
    inputs and output as tensors without history (made once, reused by every call)."""

    __slots__ = ("node", "keys", "inputs", "ans", "rule", "xp", "saved", "raw_ans", "params")

    def __init__(self, node: Node) -> None:
        op = node.op
        saved = node.saved
        if saved is None:
            raise GraphFreedError(f"linearize: f ran a backward pass through op {op.name!r} that "
                                  f"freed its saved values; pass retain_graph=True inside f")
        rules = None if op.variadic else op.vjp
        keys: list[Any] = []
        for i, parent in enumerate(node.parents):
            if parent is None or (rules is not None and (i >= len(rules) or rules[i] is None)):
                keys.append(None)  # no tangent: a constant, or an input the op does not differentiate
            else:
                keys.append(parent if type(parent) is Node else id(parent))
        self.node = node
        self.keys = tuple(keys)
        backend = node.backend
        self.inputs = tuple(  # each on its own backend (the input of a move lives on another)
            a if a is None or isinstance(a, int | float | bool | complex)
            else Tensor._make(a, _backend_of(parent, backend), None, False)
            for a, parent in zip(saved, node.parents, strict=True)
        )
        self.ans = Tensor._make(node.ans, backend, None, False)
        # the fast path: the op's own JVP rule on raw arrays, everything resolved here, once
        self.rule = op.jvp
        self.xp = backend.rule_xp or rule_namespace(backend)
        self.saved = saved
        self.raw_ans = node.ans
        self.params = node.params


def _backend_of(parent: Any, default: Any) -> Any:
    """The backend of an input recorded with ``parent`` (its node, its leaf, or None)."""
    if type(parent) is Node:
        return parent.backend
    return default if parent is None else parent._backend


def _plan(outputs: list[Tensor], leaves: set[int]) -> list[_Step]:
    """The recorded nodes behind ``outputs`` that depend on the primals (the fresh leaves whose
    ids are ``leaves``), in an order where every node follows its inputs', keeping only those
    with a floating output (others carry no tangent). The history of tensors ``f`` closes over
    is left out: they are constants, and their saved values may be gone."""
    reached: set[Any] = set(leaves)
    steps = []
    for node in post_order(o._node for o in outputs if o._node is not None):
        if any(parent is not None and (parent if type(parent) is Node else id(parent)) in reached
               for parent in node.parents):
            reached.add(node)
            steps.append(_Step(node))
    return [s for s in steps if s.ans.dtype.is_floating]


def _check_tangent(t: Any, p: Any, where: str) -> Tensor | None:
    """Tangent leaf ``t`` for primal leaf ``p``, as a tensor of its backend, dtype and shape."""
    if t is None:
        return None
    if not isinstance(p, Tensor):
        raise DTypeError(f"linearize: {where}: a {type(p).__name__} primal cannot carry a "
                         f"tangent; only real floating-point tensors can (pass None as its "
                         f"tangent)")
    return checked_tangent(t, p, f"linearize: {where}: ")


def _differentiated_outside(leaves: list[Any]) -> bool:
    """Whether an outer transform may differentiate what ``f`` computes, through the primals or
    through tensors ``f`` closes over (then the recorded constants would lose that dependence)."""
    if (_DEPTH.get() > 0 and is_grad_enabled()) or LIVE_LEVELS:
        return True
    return any(isinstance(leaf, Tensor) and type(_peel(leaf)) is DualTensor for leaf in leaves)


def linearize(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """Evaluate ``f(*primals)`` once and return ``(out, f_jvp)``; ``f_jvp(*tangents)`` is the JVP.

    ``f_jvp`` takes one tangent per primal, of the primal's pytree structure, shapes and dtypes
    (None for a leaf without one), and returns the tangent of ``out``, of ``out``'s structure:
    ``ad.jvp(f, primals, tangents)[1]``, without re-running ``f``. Each call costs one JVP rule
    per recorded op, on the saved primal values (see the module's docstring); call it as often
    as you like. Tensors ``f`` closes over are constants of the tangent map; when one requires grad,
    ``f_jvp`` runs ``ad.jvp`` per call instead, so that ``.backward()`` through it reaches them.

    >>> import ad_core as ad
    >>> out, f_jvp = ad.linearize(lambda x: ad.sin(x) * x, ad.tensor([0.0, 1.0]))
    >>> [round(v, 6) for v in f_jvp(ad.tensor([1.0, 1.0])).tolist()]     # sin(x) + x cos(x)
    [0.0, 1.381773]
    >>> f_jvp(ad.tensor([0.0, 2.0])).tolist() == (2 * f_jvp(ad.tensor([0.0, 1.0]))).tolist()
    True
    """
    args = tuple(as_argument(p) for p in primals)
    p_leaves, p_tree = flatten(args)
    if _differentiated_outside(p_leaves):
        return f(*args), _rerunning(f, args, p_leaves, p_tree)

    fresh: list[Any] = []
    for leaf in p_leaves:
        if isinstance(leaf, Tensor) and leaf.dtype.is_floating:
            plain = base(leaf)
            fresh.append(Tensor._make(plain._array, plain._backend, None, False).requires_grad_())
        else:
            fresh.append(leaf)
    out = _call_traced(f, *unflatten(p_tree, fresh))
    o_leaves, o_tree = flatten(out)
    for o in o_leaves:
        if not isinstance(o, Tensor):
            raise GradientError(f"linearize: the function must return tensors, got "
                                f"{type(o).__name__}")
    if closes_over_grad(o_leaves, fresh):  # a later .backward() must see f's closure: re-run
        return out, _rerunning(f, args, p_leaves, p_tree)
    leaf_keys = [id(x) if isinstance(x, Tensor) and x._requires_grad else None for x in fresh]
    steps = _plan(o_leaves, {k for k in leaf_keys if k is not None})

    def f_jvp(*tangents: Any) -> Any:
        """The tangent of ``f``'s output along ``tangents`` (one per primal), at the primals
        ``linearize`` was called with."""
        tangent_leaves = _tangent_leaves(tangents, len(args), p_tree, fresh)
        env: dict[Any, Any] = {}
        for key, t in zip(leaf_keys, tangent_leaves, strict=True):
            if key is not None and t is not None:
                env[key] = t
        if any(_needs_graph((), (t,)) for t in env.values()):
            for step in steps:  # tangents to differentiate: the rules on tensors
                ts = tuple(None if k is None else env.get(k) for k in step.keys)
                if any(t is not None for t in ts):
                    node = step.node
                    env[node] = _push(node.op, ts, step.ans, step.inputs, node.params)
            return unflatten(o_tree, [_output_tangent(o, env) for o in o_leaves])
        for key in env:
            env[key] = env[key]._array
        for step in steps:  # the fast path: raw arrays, the rules called directly
            ts = tuple(None if k is None else env.get(k) for k in step.keys)
            if any(t is not None for t in ts):
                env[step.node] = _raw_tangent(step, ts)
        return unflatten(o_tree, [_output_tangent(o, env, raw=True) for o in o_leaves])

    return unflatten(o_tree, [o.detach() for o in o_leaves]), f_jvp


def _tangent_leaves(tangents: tuple[Any, ...], n: int, p_tree: TreeDef,
                    p_leaves: list[Any]) -> list[Tensor | None]:
    """The tangents' leaves, checked against the primals' structure, shapes and dtypes."""
    if len(tangents) != n:
        raise GradientError(f"linearize: f_jvp takes {n} tangent(s), one per primal, got "
                            f"{len(tangents)}")
    args = unflatten(p_tree, p_leaves)
    t_leaves, t_tree = flatten(tangent_arguments(tangents, args, "linearize: "))
    if t_tree != p_tree:
        raise GradientError(f"linearize: the tangents have structure {t_tree!r}, the primals "
                            f"{p_tree!r}")
    return [_check_tangent(t, p, f"tangent leaf {i}")
            for i, (t, p) in enumerate(zip(t_leaves, p_leaves, strict=True))]


def _raw_tangent(step: _Step, ts: tuple[Any, ...]) -> Any:
    """The tangent of ``step``'s output as a raw array, from its inputs' raw tangents."""
    rule = step.rule
    if rule is not None:
        try:
            return _fit_raw(step.xp, rule(step.xp, ts, step.raw_ans, *step.saved, **step.params),
                            step.raw_ans)
        except Exception:  # let the general path raise its message naming the op and backend
            pass
    backend = step.node.backend
    wrapped = tuple(None if t is None else Tensor._make(t, backend, None, False) for t in ts)
    return _push(step.node.op, wrapped, step.ans, step.inputs, step.params)._array


def _output_tangent(o: Tensor, env: dict[Any, Any], raw: bool = False) -> Tensor | None:
    """An output leaf's tangent: computed, its leaf's own, or zeros where it does not depend on
    the primals (None for outputs that are not floating-point)."""
    t = env.get(o._node) if o._node is not None else env.get(id(o))
    if t is not None:
        return Tensor._make(t, o._backend, None, False) if raw else t
    if o.dtype.is_floating:
        return Tensor._make(o._backend.xp.zeros_like(o._array), o._backend, None, False)
    return None


def _rerunning(f: Callable[..., Any], args: tuple[Any, ...], p_leaves: list[Any],
               p_tree: TreeDef) -> Callable[..., Any]:
    """``f_jvp`` for primals an outer transform differentiates: ``ad.jvp`` of ``f`` per call."""

    def f_jvp(*tangents: Any) -> Any:
        """The tangent of ``f``'s output along ``tangents`` (re-runs ``f`` through ``ad.jvp``,
        so that derivatives with respect to the primals flow to the outer transform)."""
        checked = _tangent_leaves(tangents, len(args), p_tree, p_leaves)
        return jvp(f, args, unflatten(p_tree, checked))[1]

    return f_jvp
