"""`Node`: one recorded op application, what backward needs to apply its chain rule.

A node keeps the op's VJP rules, the inputs and output of the forward pass, and for each input
where its cotangent goes: the input's own node, a leaf tensor (whose ``.grad`` receives it), or
None for inputs that need no gradient. It does not keep its output tensor, so no reference cycle
keeps large arrays alive.

Under forward mode (``ad.jvp``) a node may also hold ``duals``: its inputs and output as the
tangent-carrying tensors they were, so that a recorded backward pass run inside the ``jvp``
(``jvp`` of ``grad``: Hessian-vector products) pushes the tangents through the VJP rules too. The
slot is never assigned otherwise, so reverse mode pays nothing for it; read it with
``getattr(node, "duals", None)``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Node", "post_order"]


class Node:
    """A vertex of the graph; ``saved`` and ``ans`` are dropped once backward has used them."""

    __slots__ = ("op", "vjps", "parents", "saved", "ans", "params", "backend", "duals")

    def __init__(
        self,
        op: Any,
        vjps: Any,
        parents: tuple[Any, ...],
        saved: tuple[Any, ...],
        ans: Any,
        params: dict[str, Any],
        backend: Any,
    ) -> None:
        self.op = op
        self.vjps = vjps
        self.parents = parents
        self.saved: tuple[Any, ...] | None = saved
        self.ans = ans
        self.params = params
        self.backend = backend

    def free(self) -> None:
        """Drop the forward values; a later backward through this node is an error."""
        self.saved = None
        self.ans = None

    def __repr__(self) -> str:
        return f"<Node {self.op.name}>"


def post_order(roots: Any, stop: Any = ()) -> list[Node]:
    """The nodes reachable from ``roots`` with every node after the nodes it consumes (its
    parents), without recursion; the walk does not go past a node in ``stop``."""
    order: list[Node] = []
    seen: set[Node] = set()
    stack: list[tuple[Node, bool]] = [(n, False) for n in roots]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        if node in stop:
            continue
        for parent in node.parents:
            if type(parent) is Node and parent not in seen:
                stack.append((parent, False))
    return order
