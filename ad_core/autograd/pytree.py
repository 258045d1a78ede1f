"""Pytrees: nested tuples, lists and dicts whose leaves are tensors.

Every transform (``jvp``, ``vjp``, ``grad``, ``jacobian``, ``hessian``, ``hvp``) takes and returns
pytrees, so a model's parameters can be passed as one dict and a function may return a tuple or
a dict of results. :func:`flatten` turns a tree into its leaves, in a fixed order, and a
:class:`TreeDef` that :func:`unflatten` uses to put (other) leaves back in the same places.

- containers: ``tuple`` (named tuples included), ``list`` and ``dict``; a dict's keys are visited
  in sorted order when they can be sorted (so ``{"b": .., "a": ..}`` and ``{"a": .., "b": ..}``
  flatten alike), else in insertion order;
- everything else is a leaf: tensors, and values that transforms pass through unchanged (Python
  numbers, None, strings).

>>> from ad_core.autograd.pytree import flatten, unflatten
>>> leaves, tree = flatten({"w": (1, 2), "b": [3]})
>>> leaves
[3, 1, 2]
>>> unflatten(tree, [x * 10 for x in leaves])
{'b': [30], 'w': (10, 20)}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["TreeDef", "flatten", "unflatten", "tree_map", "leaf_count"]


class TreeDef:
    """The shape of a pytree without its leaves: a container kind, its keys, its children."""

    __slots__ = ("kind", "meta", "children", "leaves")

    def __init__(self, kind: str, meta: Any = None, children: tuple[TreeDef, ...] = ()) -> None:
        self.kind = kind  # "leaf", "tuple", "namedtuple", "list" or "dict"
        self.meta = meta  # dict keys, or the named tuple's class
        self.children = children
        self.leaves = 1 if kind == "leaf" else sum(c.leaves for c in children)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self.meta == other.meta and self.children == other.children)

    def __hash__(self) -> int:
        return hash((self.kind, self.children))

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        inner = ", ".join(repr(c) for c in self.children)
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children, strict=True))
            return "{" + inner + "}"
        if self.kind == "list":
            return f"[{inner}]"
        return f"({inner}{',' if len(self.children) == 1 else ''})"


LEAF = TreeDef("leaf")


def _keys(d: dict[Any, Any]) -> tuple[Any, ...]:
    try:
        return tuple(sorted(d))
    except TypeError:  # keys of mixed types: keep the insertion order
        return tuple(d)


def flatten(tree: Any) -> tuple[list[Any], TreeDef]:
    """The leaves of ``tree`` in a fixed order, and its structure."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list[Any]) -> TreeDef:
    kind = type(tree)
    if kind is tuple or kind is list:
        return TreeDef(kind.__name__, None, tuple(_flatten(c, leaves) for c in tree))
    if kind is dict:
        keys = _keys(tree)
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if isinstance(tree, tuple) and hasattr(kind, "_fields"):  # a named tuple
        return TreeDef("namedtuple", kind, tuple(_flatten(c, leaves) for c in tree))
    leaves.append(tree)
    return LEAF


def unflatten(tree: TreeDef, leaves: Sequence[Any]) -> Any:
    """The pytree of structure ``tree`` holding ``leaves`` (in :func:`flatten`'s order)."""
    if len(leaves) != tree.leaves:
        raise ValueError(f"unflatten: {len(leaves)} leaves for a tree with {tree.leaves}: {tree!r}")
    it = iter(leaves)
    return _build(tree, it)


def _build(tree: TreeDef, it: Any) -> Any:
    if tree.kind == "leaf":
        return next(it)
    children = [_build(c, it) for c in tree.children]
    if tree.kind == "tuple":
        return tuple(children)
    if tree.kind == "list":
        return children
    if tree.kind == "dict":
        return dict(zip(tree.meta, children, strict=True))
    return tree.meta(*children)


def tree_map(fn: Callable[..., Any], tree: Any, *rest: Any) -> Any:
    """``fn`` applied to the leaves of ``tree`` (and the matching leaves of ``rest``)."""
    leaves, structure = flatten(tree)
    others = []
    for other in rest:
        more, other_structure = flatten(other)
        if other_structure != structure:
            raise ValueError(f"tree_map: structures differ: {structure!r} and {other_structure!r}")
        others.append(more)
    return unflatten(structure, [fn(*xs) for xs in zip(leaves, *others, strict=True)])


def leaf_count(tree: Any) -> int:
    """How many leaves ``tree`` has."""
    return flatten(tree)[1].leaves
