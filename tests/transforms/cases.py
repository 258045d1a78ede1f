"""One sample call of every registered differentiable op, for the checks that iterate the registry.

``case(name)`` returns ``(fn, inputs)``: a function of ad_core tensors that applies the op, and
its inputs as NumPy arrays sampled in the op's declared domain (floating ones are differentiated,
integer and boolean ones pass through). Elementwise ops are sampled generically (broadcasting
shapes, one domain per input); every other op needs an entry in ``EXPLICIT``, and a new one
without an entry fails the tests with a message saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ad_core as ad
from ad_core.ops.registry import OPS, get_op, ops_by_plugin
from ad_core.testing import sample

Case = tuple[Callable[..., Any], list[np.ndarray]]

#: Shapes of the inputs of a generic elementwise call, by arity: they broadcast together.
ELEMENTWISE_SHAPES = {1: [(2, 3)], 2: [(2, 3), (3,)], 3: [(2, 3), (3,), (2, 1)]}


def draw(shape: tuple[int, ...], domain: str = "real", seed: int = 0) -> np.ndarray:
    return sample(shape, domain, seed=seed)


def _index(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


#  name                 function of tensors                                                         inputs
EXPLICIT: dict[str, Callable[[], Case]] = {
    "astype":           lambda: (lambda x: ad.astype(x, ad.float64),                                [draw((2, 3))]),
    "pow":              lambda: (lambda x, y: x ** y,                                               [draw((2, 3), "positive"), draw((3,), seed=1)]),
    "clip":             lambda: (lambda x, lo, hi: ad.clip(x, min=lo, max=hi),                      [draw((2, 3)), np.array([-0.9, -0.3, -1.6]), np.array([[0.7], [1.2]])]),
    "where":            lambda: (lambda c, x, y: ad.where(c, x, y),                                 [draw((2, 3), "bool"), draw((2, 3)), draw((3,), seed=1)]),
    "matmul":           lambda: (lambda a, b: a @ b,                                                [draw((2, 3)), draw((3, 2), seed=1)]),
    "tensordot":        lambda: (lambda a, b: ad.tensordot(a, b, axes=((1, 2), (1, 0))),           [draw((2, 3, 2)), draw((2, 3, 2), seed=1)]),
    "vecdot":           lambda: (lambda a, b: ad.vecdot(a, b),                                      [draw((2, 3)), draw((3,), seed=1)]),
    "outer":            lambda: (lambda a, b: ad.outer(a, b),                                       [draw((3,)), draw((2,), seed=1)]),
    "matrix_transpose": lambda: (lambda a: ad.matrix_transpose(a),                                  [draw((2, 3, 2))]),
    "reshape":          lambda: (lambda x: ad.reshape(x, (3, -1)),                                  [draw((2, 3))]),
    "permute_dims":     lambda: (lambda x: ad.permute_dims(x, (2, 0, 1)),                           [draw((2, 3, 2))]),
    "expand_dims":      lambda: (lambda x: ad.expand_dims(x, axis=1),                               [draw((2, 3))]),
    "squeeze":          lambda: (lambda x: ad.squeeze(x, axis=1),                                   [draw((2, 1, 3))]),
    "broadcast_to":     lambda: (lambda x: ad.broadcast_to(x, (2, 3)),                              [draw((3,))]),
    "flip":             lambda: (lambda x: ad.flip(x, axis=0),                                      [draw((2, 3))]),
    "roll":             lambda: (lambda x: ad.roll(x, 1, axis=1),                                   [draw((2, 3))]),
    "moveaxis":         lambda: (lambda x: ad.moveaxis(x, 0, 2),                                    [draw((2, 3, 2))]),
    "tile":             lambda: (lambda x: ad.tile(x, (2, 1)),                                      [draw((2, 3))]),
    "repeat":           lambda: (lambda x: ad.repeat(x, 2, axis=1),                                 [draw((2, 3))]),
    "concat":           lambda: (lambda a, b: ad.concat([a, b], axis=0),                            [draw((2, 3)), draw((1, 3), seed=1)]),
    "stack":            lambda: (lambda a, b: ad.stack([a, b], axis=1),                             [draw((2, 3)), draw((2, 3), seed=1)]),
    "getitem":          lambda: (lambda x: x[1:, ::-1],                                             [draw((3, 4))]),
    "scatter_add":      lambda: (lambda v: ad.scatter_add(v, key=(slice(1, 3),), shape=(3, 3)),    [draw((2, 3))]),
    "take":             lambda: (lambda x, i: ad.take(x, i, axis=1),                                [draw((3, 4)), _index(2, 0, 2)]),
    "index_add":        lambda: (lambda v, i: ad.index_add(v, i, axis=1, size=2),                   [draw((2, 3)), _index(1, 1, 0)]),
    "sum":              lambda: (lambda x: ad.sum(x, axis=1),                                       [draw((2, 3))]),
    "prod":             lambda: (lambda x: ad.prod(x, axis=0),                                      [draw((2, 3))]),
    "mean":             lambda: (lambda x: ad.mean(x, axis=0, keepdims=True),                       [draw((2, 3))]),
    "max":              lambda: (lambda x: ad.max(x, axis=1),                                       [draw((2, 3))]),
    "min":              lambda: (lambda x: ad.min(x),                                               [draw((2, 3))]),
    "var":              lambda: (lambda x: ad.var(x, axis=1, correction=1),                         [draw((2, 3))]),
    "std":              lambda: (lambda x: ad.std(x, axis=0),                                       [draw((2, 3))]),
    "cumulative_sum":   lambda: (lambda x: ad.cumulative_sum(x, axis=1, include_initial=True),      [draw((2, 3))]),
    "cumulative_prod":  lambda: (lambda x: ad.cumulative_prod(x, axis=1, include_initial=True),     [draw((2, 3))]),
    "diff":             lambda: (lambda x: ad.diff(x, axis=1, n=2),                                 [draw((2, 4))]),
    "tril":             lambda: (lambda x: ad.tril(x, k=-1),                                        [draw((3, 3))]),
    "triu":             lambda: (lambda x: ad.triu(x, k=1),                                         [draw((2, 3))]),
    "sort":             lambda: (lambda x: ad.sort(x, axis=1, descending=True),                     [draw((2, 3))]),
    "take_along_axis":  lambda: (lambda x, i: ad.take_along_axis(x, i, axis=1),                     [draw((2, 3)), np.array([[2, 0, 2], [1, 1, 0]])]),
    "logsumexp":        lambda: (lambda x: ad.logsumexp(x, axis=1),                                 [draw((2, 3))]),
    "softmax":          lambda: (lambda x: ad.softmax(x, axis=0),                                   [draw((2, 3))]),
    "log_softmax":      lambda: (lambda x: ad.log_softmax(x),                                       [draw((2, 3))]),
    "linear":           lambda: (lambda x, w, b: ad.linear(x, w, b),                                [draw((2, 3)), draw((4, 3), seed=1), draw((4,), seed=2)]),
    "softmax_cross_entropy":
                        lambda: (lambda z, t: ad.softmax_cross_entropy(z, t),                       [draw((3, 4)), _index(1, 0, 3)]),
    "conv1d":           lambda: (lambda x, w, b: ad.conv1d(x, w, b, padding=1),                     [draw((1, 2, 4)), draw((2, 2, 2), seed=1), draw((2,), seed=2)]),
    "conv2d":           lambda: (lambda x, w, b: ad.conv2d(x, w, b, stride=1, padding=1),           [draw((1, 1, 3, 3)), draw((2, 1, 2, 2), seed=1), draw((2,), seed=2)]),
    "max_pool2d":       lambda: (lambda x: ad.max_pool2d(x, 2, stride=1),                           [draw((1, 1, 3, 3))]),
    "avg_pool2d":       lambda: (lambda x: ad.avg_pool2d(x, 2, stride=1, padding=1),                [draw((1, 1, 3, 3))]),
}  # fmt: skip


def differentiable_ops() -> list[str]:
    """Every registered op with a derivative, after every plugin has loaded."""
    ops_by_plugin()  # loads the plugins
    return sorted(name for name, op in OPS.items() if op.differentiable)


def case(name: str) -> Case:
    """A sample call of op ``name``; see the module docstring."""
    if name in EXPLICIT:
        return EXPLICIT[name]()
    op = get_op(name)
    if not op.elementwise or op.arity not in ELEMENTWISE_SHAPES:
        raise LookupError(
            f"op {name!r} (plugin {op.plugin!r}) needs an explicit case in "
            f"tests/transforms/cases.py: it is not elementwise, so no generic sample fits it"
        )
    domains = [op.domain] * op.arity if isinstance(op.domain, str) else list(op.domain)
    inputs = [draw(shape, domain, seed=i)
              for i, (shape, domain) in enumerate(zip(ELEMENTWISE_SHAPES[op.arity], domains, strict=True))]
    return (lambda *xs: getattr(ad, name)(*xs)), inputs


def tensors(inputs: list[np.ndarray], dtype: Any = None) -> list[Any]:
    """The inputs as tensors on the backend in force (floating ones as ``dtype``, if given)."""
    out = []
    for a in inputs:
        floating = np.issubdtype(a.dtype, np.floating)
        out.append(ad.tensor(a, dtype=dtype) if floating and dtype is not None else ad.tensor(a))
    return out


def floating(inputs: list[np.ndarray]) -> list[int]:
    """Positions of the inputs that are differentiated."""
    return [i for i, a in enumerate(inputs) if np.issubdtype(a.dtype, np.floating)]
