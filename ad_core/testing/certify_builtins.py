"""Example calls of ad_core's built-in ops that are not elementwise (and of ``clip``, whose bounds
must not cross), for the certification kit.

A third-party op declares its examples where it registers (``examples=`` of ``register``); the
built-in ops predate that option, so theirs are kept here, beside the kit, and used only for ops
registered by ad_core's own plugins (:data:`BUILTIN_PLUGINS`) that declare none themselves.
Elementwise built-in ops need no entry: the kit generates their examples.
"""

from __future__ import annotations

from ad_core.ops.example import Example as E

__all__ = ["BUILTIN_EXAMPLES", "BUILTIN_PLUGINS"]

#: The entry-point names of ad_core's own op plugins.
BUILTIN_PLUGINS = frozenset({"arithmetic", "elementwise", "reductions", "linalg", "manipulation",
                             "nn", "losses"})

_LOW = [[-0.9, -0.3, -1.6], [-0.5, -1.0, -0.2]]
_HIGH = [[0.7, 0.9, 1.2], [1.1, 0.4, 0.6]]


def _reduction(**kwargs: object) -> list[E]:
    """A reduction over one axis of a 2x3 input, over all of a 0-d one, and a bad axis."""
    return [E([(2, 3)], **kwargs), E([()]), E.bad([(2, 3)], axis=2)]


BUILTIN_EXAMPLES: dict[str, list[E]] = {
    # arithmetic
    "astype":           [E([(2, 3)], "float64"), E([()], "float64"), E([(2, 0)], "float64")],
    # elementwise
    "clip":             [E([(2, 3), _LOW, _HIGH]), E([(2, 3), _LOW[0], [[0.7], [1.2]]]),
                         E([()], min=-0.5, max=0.5), E([(2, 0)], min=-0.5, max=0.5),
                         E.bad([(2, 3), [-1.0] * 4, [1.0] * 4])],
    # linalg
    "matmul":           [E([(2, 3), (3, 2)]), E([(0, 3), (3, 2)]), E.bad([(2, 3), (2, 3)])],
    "tensordot":        [E([(2, 3, 2), (2, 3, 2)], axes=((1, 2), (1, 0))), E([(0, 3), (3, 2)], axes=1),
                         E.bad([(2, 3), (4, 3)], axes=1)],
    "vecdot":           [E([(2, 3), (3,)]), E([(0, 3), (3,)]), E.bad([(2, 3), (4,)])],
    "outer":            [E([(3,), (2,)]), E([(0,), (2,)]), E.bad([(2, 3), (2,)])],
    "matrix_transpose": [E([(2, 3, 2)]), E([(0, 2)]), E.bad([(3,)])],
    "tril":             [E([(3, 4)], k=1), E([(2, 3, 3)], k=-1), E([(0, 2)]), E.bad([(3,)])],
    "triu":             [E([(3, 4)]), E([(2, 2, 3)], k=2), E([(2, 0)], k=-1), E.bad([()])],
    # manipulation
    "reshape":          [E([(2, 3)], (3, -1)), E([()], (1, 1)), E([(2, 0)], (0, 5)), E.bad([(2, 3)], (4, -1))],
    "permute_dims":     [E([(2, 3, 2)], (2, 0, 1)), E([(2, 0)], (1, 0)), E.bad([(2, 3)], (0, 1, 2))],
    "expand_dims":      [E([(2, 3)], axis=1), E([()], axis=0), E([(0, 3)], axis=0), E.bad([(2, 3)], axis=4)],
    "squeeze":          [E([(2, 1, 3)], axis=1), E([(0, 1)], axis=1), E.bad([(2, 3)], axis=0)],
    "broadcast_to":     [E([(3,)], (2, 3)), E([()], (2, 3)), E([(1, 0)], (2, 0)), E.bad([(3,)], (2, 4))],
    "flip":             [E([(2, 3)], axis=0), E([()]), E([(0, 3)], axis=0), E.bad([(2, 3)], axis=2)],
    "roll":             [E([(2, 3)], 1, axis=1), E([()], 1), E([(0, 3)], 1, axis=1), E.bad([(2, 3)], 1, axis=2)],
    "moveaxis":         [E([(2, 3, 2)], 0, 2), E([(0, 2, 3)], 0, 2), E.bad([(2, 3)], 0, 5)],
    "tile":             [E([(2, 3)], (2, 1)), E([()], (3,)), E([(0, 3)], (2, 1)), E.bad([(2, 3)], (2, -1))],
    "repeat":           [E([(2, 3)], 2, axis=1), E([(0, 3)], 2, axis=1), E.bad([(2, 3)], 2, axis=2)],
    "concat":           [E([(2, 3), (1, 3)], axis=0), E([(0, 3), (2, 3)], axis=0), E.bad([(2, 3), (2, 4)], axis=0)],
    "stack":            [E([(2, 3), (2, 3)], axis=1), E([(), ()]), E([(0, 3), (0, 3)]), E.bad([(2, 3), (3, 2)])],
    "getitem":          [E([(3, 4)], (slice(1, None), slice(None, None, -1))), E([(3, 0)], (slice(1, None),)),
                         E.bad([(3, 4)], (0, 1, 2)), E.bad([(3, 4)], (slice(None, None, -1), 0, 1))],
    "scatter_add":      [E([(2, 3)], key=(slice(1, 3),), shape=(3, 3)), E([(0, 3)], key=(slice(1, 1),), shape=(3, 3)),
                         E.bad([(2, 3)], key=(0, 1, 2), shape=(3, 3))],
    "take":             [E([(3, 4), [2, 0, 2]], axis=1), E([(3, 0), [2, 0]], axis=0), E.bad([(3, 4), [0, 1]], axis=2)],
    "index_add":        [E([(2, 3), [1, 1, 0]], axis=1, size=2), E([(2, 0), [1, 0]], axis=0, size=3),
                         E.bad([(2, 3), [1, 0]], axis=1, size=2)],
    "take_along_axis":  [E([(3, 4), [[2, 0], [1, 1], [3, 3]]], axis=1), E([(3, 2), [[0], [2], [2]]], axis=0),
                         E([(3, 0), [[0], [1]]], axis=0), E.bad([(3, 4), [0, 1]], axis=1)],
    "sort":             [E([(2, 3)], axis=0), E([(4,)], descending=True), E([(2, 0)]), E.bad([()]),
                         E.bad([(2, 3)], axis=2)],
    "argsort":          [E([(2, 3)], axis=0), E([(4,)], descending=True), E([(2, 0)]), E.bad([(2, 3)], axis=2)],
    "searchsorted":     [E([[-0.5, 0.0, 0.5], (2, 3)]), E([[-0.5, 0.0, 0.5], (4,)], side="right"),
                         E.bad([(2, 3), (3,)])],
    "unique_values":    [E([[1.0, -1.0, 1.0]]), E([(2, 3)])],
    "isin":             [E([(2, 3), [0.5, 1.0]]), E([(3,), (2, 2)], invert=True), E([(0, 2), [1.0]])],
    # reductions
    "sum":              [*_reduction(axis=1), E([(0, 3)], axis=0)],
    "prod":             [*_reduction(axis=0), E([(0, 3)], axis=0)],
    "mean":             _reduction(axis=0, keepdims=True),
    "max":              _reduction(axis=1),
    "min":              _reduction(),
    "var":              [E([(2, 3)], axis=1, correction=1), E([()]), E.bad([(2, 3)], axis=2)],
    "std":              [E([(2, 3)], axis=0), E.bad([(2, 3)], axis=2)],
    "cumulative_sum":   [E([(2, 3)], axis=1, include_initial=True), E([(2, 0)], axis=1),
                         E.bad([(2, 3)], axis=2)],
    "cumulative_prod":  [E([(2, 3)], axis=1, include_initial=True), E([(3, 2)], axis=0), E([(2, 0)], axis=1),
                         E.bad([(2, 3)], axis=2)],
    "diff":             [E([(2, 4)], n=2), E([(3, 2)], axis=0), E([(2, 0)], n=0), E.bad([(2, 3)], n=4),
                         E.bad([(2, 3)], axis=2)],
    "logsumexp":        [*_reduction(axis=1), E([(0, 3)], axis=1)],
    "softmax":          [*_reduction(axis=0), E([(0, 3)], axis=1)],
    "log_softmax":      [*_reduction(), E([(0, 3)])],
    # nn and losses
    "conv1d":           [E([(1, 2, 4), (2, 2, 2), (2,)]), E([(2, 4), (2, 2, 3)], stride=2, padding=1),
                         E([(0, 2, 4), (2, 2, 2)]), E([(1, 4, 5), (2, 2, 2)], groups=2, dilation=2),
                         E.bad([(1, 2, 5), (3, 4, 2)]), E.bad([(1, 3, 5), (3, 1, 2)], groups=2)],
    "conv2d":           [E([(1, 1, 3, 3), (2, 1, 2, 2), (2,)]), E([(2, 3, 3), (1, 2, 2, 2)], stride=2, padding=1),
                         E([(0, 2, 3, 3), (2, 2, 2, 2)]), E([(1, 2, 4, 3), (4, 1, 2, 2), (4,)], groups=2),
                         E.bad([(1, 2, 4, 4), (2, 3, 2, 2)]), E.bad([(1, 1, 2, 2), (1, 1, 3, 3)])],
    "max_pool2d":       [E([(1, 1, 4, 4)], 2), E([(1, 3, 3)], 2, stride=1, padding=1), E([(0, 1, 4, 4)], 2),
                         E.bad([(1, 2, 1, 1)], 2)],
    "avg_pool2d":       [E([(1, 1, 4, 4)], 2), E([(1, 3, 3)], 2, stride=1, padding=1), E([(0, 1, 4, 4)], 2),
                         E.bad([(1, 2, 1, 1)], 2)],
    "linear":           [E([(2, 3), (4, 3), (4,)]), E([(0, 3), (4, 3), (4,)]), E.bad([(2, 3), (4, 2), (4,)]),
                         E.bad([(2, 3), (4, 3), (5,)])],
    "softmax_cross_entropy":
                        [E([(3, 4), [1, 0, 3]]), E.bad([(3, 4), [1, 0]]), E.bad([(3, 4), [1, 0, 3], (5,)])],
}  # fmt: skip
