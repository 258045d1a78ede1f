"""`Example`: a sample call of an op, declared by its plugin for the certification kit.

An op registered with ``examples=[Example(...), ...]`` tells :mod:`ad_core.testing.certify` how to
call its user-facing function (``ad.<name>``). An example is written without arrays, so that a
plugin needs no array library to declare it::

    Example(inputs, *args, **kwargs)

- ``inputs`` lists the tensor arguments, which come first. Each is a *shape* (a tuple of ints:
  the kit passes a tensor of that shape, sampled in the op's declared ``domain=`` for that
  input) or a list of *values* (possibly nested: integers stay integers, as index inputs need;
  floats take the dtype under test). A variadic op (``concat``, ``stack``) gets them as one list.
- ``args`` and ``kwargs`` follow as they are (axes, shapes, slices, dtypes).

``Example.bad(...)`` declares a call the op must *refuse* with a
:class:`~ad_core.errors.ShapeError` that names it, raised before the backend sees the input.

>>> from ad_core.extend import Example
>>> Example([(2, 3), (3, 4)])                 # matmul of a 2x3 and a 3x4 tensor
Example([(2, 3), (3, 4)])
>>> Example([(3, 4), [2, 0, 2]], axis=1)      # take with explicit indices
Example([(3, 4), [2, 0, 2]], axis=1)
>>> Example([(2, 3)], (2, 1))                 # tile: (2, 1) is an argument, not a tensor
Example([(2, 3)], (2, 1))
>>> Example.bad([(2, 3), (2, 3)])             # shapes matmul must refuse
Example.bad([(2, 3), (2, 3)])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["Example"]


def _is_shape(spec: Any) -> bool:
    return isinstance(spec, tuple) and all(isinstance(n, int) and n >= 0 for n in spec)


class Example:
    """One call of an op: tensor ``inputs`` first, then ``args`` and ``kwargs`` as they are."""

    __slots__ = ("inputs", "args", "kwargs", "refused")

    def __init__(self, inputs: Sequence[tuple[int, ...] | list[Any]], *args: Any,
                 **kwargs: Any) -> None:
        if not isinstance(inputs, list | tuple) or not all(
                _is_shape(s) or isinstance(s, list) for s in inputs):
            raise TypeError(f"Example: the first argument lists the tensor inputs, each a shape "
                            f"(a tuple of ints) or a list of values; got {inputs!r}")
        self.inputs = list(inputs)
        self.args = args
        self.kwargs = kwargs
        #: True for a call the op must refuse (made by :meth:`bad`)
        self.refused = False

    @classmethod
    def bad(cls, inputs: Sequence[tuple[int, ...] | list[Any]], *args: Any,
            **kwargs: Any) -> Example:
        """A call the op must refuse with a ShapeError that names it."""
        example = cls(inputs, *args, **kwargs)
        example.refused = True
        return example

    def __repr__(self) -> str:
        parts = [repr(self.inputs)] + [repr(a) for a in self.args]
        parts += [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"Example{'.bad' if self.refused else ''}({', '.join(parts)})"
