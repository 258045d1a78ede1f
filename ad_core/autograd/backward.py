"""The backward pass: reverse mode over the recorded graph.

The lecture's algorithm, for a general DAG and without recursion:

1. Walk the graph from the outputs (an explicit stack, so a chain of 100 000 ops is fine) and
   count, for every node, how many of its consumers lie on a path from the outputs.
2. Start from the outputs' cotangents and process a node only once every consumer has added its
   contribution: that is reverse topological order. For each input of the node, its VJP rule
   turns the node's cotangent into that input's share, which is summed into the input's node or,
   for a leaf, into its ``.grad``.

Saved forward values are dropped as soon as their node has been processed, unless the caller
asks to retain the graph.

A backward pass run on tensors (``create_graph=True``, or ``tangents=True``) inside ``ad.jvp``
hands the VJP rules the node's tangent-carrying inputs (``node.duals``), so the cotangents it
computes carry tangents as well: that is forward-over-reverse, ``jvp`` of ``grad``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ad_core.autograd.dual import DualTensor, base
from ad_core.autograd.grad_mode import GRAD_ENABLED
from ad_core.autograd.node import Node, post_order
from ad_core.autograd.recording import LIVE_LEVELS
from ad_core.autograd.tensor import Tensor
from ad_core.backends.selection import using
from ad_core.errors import (
    BackendMismatchError,
    GradientError,
    GraphFreedError,
    OpError,
    ShapeError,
)
from ad_core.ops.helpers import unbroadcast
from ad_core.ops.namespace import rule_namespace

__all__ = ["run_backward"]


def run_backward(
    outputs: Sequence[Tensor],
    cotangents: Sequence[Any],
    *,
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
    tangents: bool = False,
) -> list[Tensor | None] | None:
    """Propagate ``cotangents`` from ``outputs`` back through the graph.

    Without ``inputs`` the result accumulates into the ``.grad`` of every leaf that requires
    grad (``Tensor.backward``). With ``inputs`` nothing is accumulated: the cotangents reaching
    those tensors are returned, in order, None where no path leads (the functional API).

    ``create_graph`` records the pass, for higher derivatives. ``tangents`` runs the rules on
    tensors as ``create_graph`` does, but without recording: the forward-mode tangents the graph
    carries flow into the result, which has no history (``grad`` inside ``jvp``, when nothing
    outside differentiates the gradient).
    """
    on_tensors = create_graph or tangents
    seeds = [_seed(t, g, on_tensors) for t, g in zip(outputs, cotangents, strict=True)]
    targets = _targets(inputs) if inputs is not None else None
    stop = targets if targets is not None else {}

    grads: dict[Any, Any] = {}  # Node or id(leaf) -> cotangent (array, or Tensor if on_tensors)
    leaves: dict[int, Tensor] = {}
    roots: list[Node] = []
    for t, g in zip(outputs, seeds, strict=True):
        if t._node is None:
            t = base(t)  # a leaf carrying a tangent: its gradient belongs to the plain leaf
        key = t._node if t._node is not None else id(t)
        if t._node is None:
            leaves[id(t)] = t
        elif t._node not in grads:
            roots.append(t._node)
        grads[key] = _add(grads.get(key), g)

    pending = _count_consumers(roots, stop)
    needed = _needed(roots, stop, targets) if targets is not None else None

    if on_tensors:
        import ad_core.array_api as xp_graph
    token = GRAD_ENABLED.set(create_graph)
    try:
        ready = [n for n in roots if pending.get(n, 0) == 0]
        while ready:
            node = ready.pop()
            if node in stop:
                continue
            g = grads.pop(node)
            saved = node.saved
            if saved is None:
                raise GraphFreedError(
                    f"backward through op {node.op.name!r} a second time: its saved values were "
                    f"freed by the first backward; pass retain_graph=True to the first call"
                )
            backend = node.backend
            once = on_tensors and node.op.first_order_only
            if on_tensors:
                xp = xp_graph
                duals = getattr(node, "duals", None) if LIVE_LEVELS else None
                if once and (duals is not None or type(g) is DualTensor):  # tangents through it
                    raise node.op.higher_order_error("forward mode over its gradient (jvp of "
                                                     "grad, hvp)")
                if duals is not None:  # inside a jvp: the rules see the tangents too
                    args, ans = duals
                else:
                    args = _as_tensors(node, saved)
                    ans = Tensor._make(node.ans, backend, node, True)
                vjps = node.op.vjp
            else:
                xp = backend.rule_xp or rule_namespace(backend)
                args = saved
                ans = node.ans
                vjps = node.vjps
            params = node.params
            variadic = node.op.variadic
            for i, parent in enumerate(node.parents):
                if parent is None:
                    continue
                is_leaf = type(parent) is not Node
                key = id(parent) if is_leaf else parent
                if needed is not None and key not in needed:
                    continue
                rule = vjps if variadic else vjps[i]
                if rule is None:
                    raise OpError(
                        f"op {node.op.name!r} (plugin {node.op.plugin!r}) has no VJP rule for its "
                        f"input {i}, which requires grad"
                    )
                try:
                    if once:  # first order on raw arrays; differentiating the result raises
                        gi = _first_order_only(node, i, g, args)
                    elif on_tensors:  # creation functions in the rule follow the node's backend
                        with using(backend, backend.device_of(node.ans)):
                            gi = (rule(xp, g, ans, *args, argnum=i, **params) if variadic
                                  else rule(xp, g, ans, *args, **params))
                    elif variadic:
                        gi = rule(xp, g, ans, *args, argnum=i, **params)
                    else:
                        gi = rule(xp, g, ans, *args, **params)
                except (GraphFreedError, GradientError):
                    raise
                except Exception as exc:
                    raise OpError(
                        f"VJP of op {node.op.name!r} (plugin {node.op.plugin!r}) for input {i} "
                        f"failed on backend {backend.name!r}: {type(exc).__name__}: {exc}"
                    ) from exc
                gi = _fit(xp, gi, args[i], node.op.name, i)
                if is_leaf:
                    leaves[key] = parent
                    grads[key] = _add(grads.get(key), gi)
                else:
                    grads[key] = _add(grads.get(key), gi)
                    left = pending[key] - 1
                    pending[key] = left
                    if left == 0:
                        ready.append(key)
            if not retain_graph:
                node.free()
    finally:
        GRAD_ENABLED.reset(token)

    if targets is not None:
        out: list[Tensor | None] = []
        for t in inputs:  # type: ignore[union-attr]
            key = t._node if t._node is not None else id(base(t))
            out.append(_wrap(grads.get(key), t, on_tensors))
        return out
    for key, leaf in leaves.items():
        g = grads.get(key)
        if g is None or not leaf._requires_grad:
            continue
        new = _wrap(g, leaf, on_tensors)
        leaf._grad = new if leaf._grad is None else _accumulate(leaf._grad, new, on_tensors)
    return None


_BARRIERS: dict[Any, Any] = {}


def _first_order_only(node: Node, i: int, g: Tensor, args: tuple[Any, ...]) -> Tensor:
    """Input ``i``'s cotangent through a first-order-only op in a recorded pass: its VJP (the
    backend's kernel) on raw arrays, wired to ``g`` and the op's inputs by a node whose own VJP
    raises, so that a later derivative through it is an error naming the op, never a zero."""
    from ad_core.autograd.recording import apply
    from ad_core.ops.op import Op

    op = node.op
    backend = node.backend
    xp = backend.rule_xp or rule_namespace(backend)
    rule = node.vjps if op.variadic else node.vjps[i]
    raw_g = g._array if isinstance(g, Tensor) else g
    if op.variadic:
        raw = rule(xp, raw_g, node.ans, *node.saved, argnum=i, **node.params)
    else:
        raw = rule(xp, raw_g, node.ans, *node.saved, **node.params)
    value = Tensor._make(_fit(xp, raw, node.saved[i], op.name, i), backend, None, False)
    deps = [a for a in (g, *args) if isinstance(a, Tensor) and a._requires_grad]
    if not deps:
        return value
    barrier = _BARRIERS.get(op)
    if barrier is None:

        def refuse(xp: Any, g: Any, ans: Any, *inputs: Any, argnum: int) -> Any:
            raise op.higher_order_error("a second derivative (create_graph=True, ad.grad of "
                                        "ad.grad, hessian, hvp)")

        barrier = _BARRIERS[op] = Op(op.name, lambda xp, v, *deps: v, refuse, variadic=True,
                                     plugin=op.plugin)
    return apply(barrier, (value, *deps), {})


def _seed(t: Tensor, g: Any, create_graph: bool) -> Any:
    if not isinstance(t, Tensor):
        raise TypeError(f"backward: expected a Tensor, got {type(t).__name__}")
    if not t._requires_grad:
        raise GradientError(
            "backward: this tensor does not require grad and has no history; create its inputs "
            "with requires_grad=True (and not under ad.no_grad())"
        )
    xp = t._backend.xp
    if g is None:
        if t.size != 1:
            raise GradientError(
                f"backward: the output has shape {t.shape}, not a single element; pass the "
                f"cotangent explicitly: .backward(grad) with grad of shape {t.shape}"
            )
        g = xp.ones_like(t._array)
    elif isinstance(g, Tensor):
        if g._backend is not t._backend:
            raise BackendMismatchError(f"backward: grad lives on backend {g._backend.name!r}, the "
                                       f"output on {t._backend.name!r}; move it with .to(backend=...)")
        if tuple(g.shape) != tuple(t.shape):
            raise ShapeError(f"backward: grad has shape {g.shape}, the output has {t.shape}")
        if g.dtype != t.dtype:  # as torch does: the cotangent takes the output's dtype
            g = g.astype(t.dtype)
        g = g if create_graph else g._array
    else:
        g = t._backend.asarray(g, dtype=t.dtype, device=t.device)
        if tuple(g.shape) != tuple(t.shape):
            raise ShapeError(f"backward: grad has shape {tuple(g.shape)}, the output has {t.shape}")
    if create_graph and not isinstance(g, Tensor):
        g = Tensor._make(g, t._backend, None, False)
    return g


def _targets(inputs: Sequence[Tensor]) -> dict[Any, Tensor]:
    out: dict[Any, Tensor] = {}
    for t in inputs:
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise GradientError("grad: every input must be a tensor that requires grad")
        out[t._node if t._node is not None else id(base(t))] = t
    return out


def _count_consumers(roots: list[Node], stop: dict[Any, Any]) -> dict[Node, int]:
    """For each node reachable from ``roots``, how many reachable nodes consume it."""
    pending: dict[Node, int] = {}
    seen = set(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in stop:
            continue
        for parent in node.parents:
            if parent is None or type(parent) is not Node:
                continue
            pending[parent] = pending.get(parent, 0) + 1
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return pending


def _needed(roots: list[Node], stop: dict[Any, Any], targets: dict[Any, Any]) -> set[Any]:
    """Keys (nodes and leaf ids) from which some target can be reached: the only ones to visit."""
    needed: set[Any] = set(targets)
    for node in post_order(roots, stop):  # parents come before their consumers in this post-order
        if node in needed:
            continue
        if node in stop:
            continue
        for parent in node.parents:
            if parent is None:
                continue
            key = id(parent) if type(parent) is not Node else parent
            if key in needed:
                needed.add(node)
                break
    return needed


def _as_tensors(node: Node, saved: tuple[Any, ...]) -> tuple[Any, ...]:
    """The node's inputs as tensors wired to their history, for a recorded backward pass."""
    out = []
    for value, parent in zip(saved, node.parents, strict=True):
        if parent is None:
            if value is None or isinstance(value, int | float | bool | complex):
                out.append(value)
            else:
                out.append(Tensor._make(value, node.backend, None, False))
        elif type(parent) is Node:
            out.append(Tensor._make(value, parent.backend, parent, True))
        else:
            out.append(parent)
    return tuple(out)


def _fit(xp: Any, g: Any, x: Any, op: str, i: int) -> Any:
    """Sum ``g`` back to ``x``'s shape and cast it to ``x``'s dtype."""
    if g.shape != x.shape:
        try:
            g = unbroadcast(xp, g, x.shape)
        except Exception as exc:
            raise OpError(
                f"VJP of op {op!r} for input {i} returned shape {tuple(g.shape)}, which does not "
                f"reduce to the input's shape {tuple(x.shape)}"
            ) from exc
    if g.dtype != x.dtype:
        g = xp.astype(g, x.dtype)
    return g


def _add(a: Any, b: Any) -> Any:
    return b if a is None else a + b


def _wrap(g: Any, like: Tensor, create_graph: bool) -> Tensor | None:
    if g is None:
        return None
    if isinstance(g, Tensor):
        return g
    return Tensor._make(g, like._backend, None, False)


def _accumulate(old: Tensor, new: Tensor, create_graph: bool) -> Tensor:
    if old.shape != new.shape or old.dtype != new.dtype or old._backend is not new._backend:
        # a .grad assigned by hand; adding would broadcast or promote it without a word
        raise GradientError(
            f"backward: the leaf's .grad holds {old.dtype.name}{list(old.shape)} on backend "
            f"{old._backend.name!r}, its gradient is {new.dtype.name}{list(new.shape)} on "
            f"{new._backend.name!r}; a .grad set by hand must match the tensor (or be None)"
        )
    if create_graph or old._node is not None:
        return old + new
    return Tensor._make(old._array + new._array, old._backend, None, False)
