"""The calls the certification kit makes of an op: its declared examples, made runnable.

An op's calls come from, in order: its own ``examples=`` (:class:`ad_core.extend.Example`), the
kit's table for ad_core's built-in ops (:mod:`ad_core.testing.certify_builtins`), or, for an
elementwise op of known arity, examples generated from its arity (see :data:`GENERATED`). A
non-elementwise op without examples has no call the kit could make up.

Each call is sorted into a *kind* by the shapes of its tensors, and each check runs the calls of
the kinds it is about (:data:`ad_core.testing.certify_checks.CHECKS`): ``zero_d`` (some input
0-d), ``empty`` (some input of size 0), ``broadcast`` (an elementwise op given differing shapes),
``bad`` (an ``Example.bad``), ``regular`` (the rest).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import ad_core as ad
from ad_core.autograd.recording import function_for
from ad_core.autograd.tensor import Tensor
from ad_core.ops.example import Example
from ad_core.ops.op import Op
from ad_core.testing.certify_builtins import BUILTIN_EXAMPLES, BUILTIN_PLUGINS
from ad_core.testing.sampling import sample

__all__ = ["Call", "NoExamples", "GENERATED", "calls_of", "domain_of"]

#: Examples made for an elementwise op that declares none: shapes of its inputs, by kind and arity.
GENERATED: dict[str, Callable[[int], list[tuple[int, ...]] | None]] = {
    "regular":   lambda n: [(2, 3)] * n,
    "broadcast": lambda n: [(2, 1), (3,), (1, 1)][:n] if n >= 2 else None,
    "zero_d":    lambda n: [()] * n,
    "empty":     lambda n: [(2, 0)] * n,
    "bad":       lambda n: [(2, 3), (4,), (2, 3)][:n] if n >= 2 else None,
}  # fmt: skip


class NoExamples(LookupError):
    """The kit has no way to call an op: it declares no examples and is not elementwise."""


def domain_of(op: Op, position: int) -> str:
    """The declared domain of the op's tensor input at ``position`` ("real" past the last)."""
    if isinstance(op.domain, str):
        return op.domain
    return op.domain[position] if position < len(op.domain) else "real"


def _kind(example: Example, op: Op) -> str:
    shapes = [spec if isinstance(spec, tuple) else np.shape(spec) for spec in example.inputs]
    if example.refused:
        return "bad"
    if any(int(np.prod(s)) == 0 and len(s) > 0 for s in shapes):
        return "empty"
    if any(len(s) == 0 for s in shapes):
        return "zero_d"
    if op.elementwise and len(set(shapes)) > 1:
        return "broadcast"
    return "regular"


@dataclass(frozen=True)
class Call:
    """One runnable call of ``op``: NumPy inputs (float64 where floating) and the example."""

    op: Op
    example: Example
    kind: str
    arrays: tuple[np.ndarray, ...]

    @property
    def floating(self) -> list[int]:
        """Positions of the inputs that are differentiated."""
        return [i for i, a in enumerate(self.arrays) if np.issubdtype(a.dtype, np.floating)]

    def tensors(self, dtype: str = "float64",
                arrays: tuple[np.ndarray, ...] | None = None) -> list[Tensor]:
        """The inputs as tensors on the backend in force, floating ones of ``dtype``."""
        out = []
        for a in self.arrays if arrays is None else arrays:
            floating = np.issubdtype(a.dtype, np.floating)
            out.append(ad.tensor(a, dtype=getattr(ad, dtype)) if floating else ad.tensor(a))
        return out

    def __call__(self, *tensors: Any) -> Any:
        """The op's user-facing function applied to ``tensors`` and the example's arguments."""
        fn = function_for(self.op)
        first = [list(tensors)] if self.op.variadic else list(tensors)
        return fn(*first, *self.example.args, **self.example.kwargs)

    def describe(self) -> str:
        """The call as its example reads: ``take((3, 4), [2, 0, 2], axis=1)``."""
        inputs = [repr(s) for s in self.example.inputs]
        head = f"[{', '.join(inputs)}]" if self.op.variadic else ", ".join(inputs)
        rest = [repr(a) for a in self.example.args]
        rest += [f"{k}={v!r}" for k, v in self.example.kwargs.items()]
        return f"{self.op.name}({', '.join([head, *rest]) if head else ', '.join(rest)})"


def _arrays(op: Op, example: Example, seed: int) -> tuple[np.ndarray, ...]:
    arrays = []
    for i, spec in enumerate(example.inputs):
        if isinstance(spec, list):
            values = np.asarray(spec)
            arrays.append(values.astype(np.float64) if values.dtype.kind == "f" else values)
            continue
        domain = domain_of(op, i)
        if domain == "index":
            raise NoExamples(f"op {op.name!r}: input {i} has domain 'index', so its example must "
                             f"give its values as a list of ints, not the shape {spec}")
        arrays.append(sample(spec, domain, seed=seed + i))
    return tuple(arrays)


def _examples(op: Op) -> list[Example]:
    if op.examples is not None:
        return list(op.examples)
    if op.name in BUILTIN_EXAMPLES and op.plugin in BUILTIN_PLUGINS:
        return BUILTIN_EXAMPLES[op.name]
    if op.elementwise and op.arity is not None:
        made = []
        for kind, shapes in GENERATED.items():
            inputs = shapes(op.arity)
            if inputs is not None:
                made.append(Example.bad(inputs) if kind == "bad" else Example(inputs))
        return made
    where = ("add its examples to ad_core/testing/certify_builtins.py, or register it with "
             if op.plugin in BUILTIN_PLUGINS else "register it with ")
    raise NoExamples(
        f"op {op.name!r} (plugin {op.plugin!r}) is not elementwise, so the certification kit "
        f"cannot make up a call of it: {where}examples=[Example([...shapes...], ...)] (see "
        f"docs/certification.md)"
    )


def calls_of(op: Op) -> list[Call]:
    """Every call the kit makes of ``op``; :class:`NoExamples` when there is none to make."""
    return [Call(op, example, _kind(example, op), _arrays(op, example, seed=10 * n))
            for n, example in enumerate(_examples(op))]
