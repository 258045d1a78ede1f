"""Layers that hold other layers: Sequential, ModuleList, Residual, and Identity."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from ad_core.extend import Module, ShapeError


class Identity(Module):
    """Returns its input unchanged (a placeholder: ``Identity(*args, **kwargs)`` ignores them).

    >>> import ad_core as ad
    >>> ad.nn.Identity()(ad.tensor([1.0])).tolist()
    [1.0]
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Sequential(Module):
    """Layers applied one after another: ``Sequential(Linear(4, 8), ReLU(), Linear(8, 1))``.

    The layers are named ``"0"``, ``"1"``, ... (or by an ``OrderedDict`` of names), so parameter
    names match torch's (``"0.weight"``). Supports ``len``, iteration, indexing (an int gives a
    layer, a slice a new Sequential of the same layers) and ``append``.

    >>> import ad_core as ad
    >>> model = ad.nn.Sequential(ad.nn.Linear(4, 8), ad.nn.ReLU(), ad.nn.Linear(8, 1))
    >>> len(model), [name for name, _ in model.named_parameters()][:2]
    (3, ['0.weight', '0.bias'])
    """

    def __init__(self, *layers: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], OrderedDict):
            for name, layer in layers[0].items():
                self.add_module(name, _as_module("Sequential", name, layer))
        else:
            for i, layer in enumerate(layers):
                self.add_module(str(i), _as_module("Sequential", i, layer))

    def forward(self, x: Any) -> Any:
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_position(self, index)][1]

    def append(self, layer: Module) -> Sequential:
        """Add ``layer`` at the end; returns self."""
        self.add_module(str(len(self)), _as_module("Sequential", len(self), layer))
        return self


class ModuleList(Module):
    """A list of layers whose parameters are tracked (for loops over layers in ``forward``).

    >>> import ad_core as ad
    >>> blocks = ad.nn.ModuleList([ad.nn.Linear(2, 2) for _ in range(3)])
    >>> len(blocks), len(list(blocks.parameters()))
    (3, 6)
    """

    def __init__(self, layers: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(layers)

    def append(self, layer: Module) -> ModuleList:
        """Add ``layer`` at the end; returns self."""
        self.add_module(str(len(self)), _as_module("ModuleList", len(self), layer))
        return self

    def extend(self, layers: Iterable[Module]) -> ModuleList:
        """Add every layer of ``layers`` at the end; returns self."""
        for layer in layers:
            self.append(layer)
        return self

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward(); iterate over it in yours")

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, index: int | slice) -> Any:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(layers[index])
        return layers[_position(self, index)]


class Residual(Module):
    """A shortcut connection around a block: ``x + module(x)``.

    The remedy for vanishing gradients in deep stacks: the identity path carries the gradient
    back unchanged, whatever the block does. The block must keep the input's shape.

    >>> import ad_core as ad
    >>> block = ad.nn.Residual(ad.nn.Sequential(ad.nn.Linear(4, 4), ad.nn.Tanh()))
    >>> block(ad.tensor([[1.0, 2.0, 3.0, 4.0]], dtype=ad.float32)).shape
    (1, 4)
    """

    def __init__(self, module: Module) -> None:
        super().__init__()
        self.module = _as_module("Residual", "module", module)

    def forward(self, x: Any) -> Any:
        y = self.module(x)
        if tuple(y.shape) != tuple(x.shape):
            raise ShapeError(f"Residual: the block maps shape {tuple(x.shape)} to "
                             f"{tuple(y.shape)}; a shortcut x + block(x) needs them equal")
        return x + y


def _as_module(owner: str, name: Any, layer: Any) -> Module:
    if not isinstance(layer, Module):
        raise TypeError(f"{owner}: item {name!r} is a {type(layer).__name__}, not a Module")
    return layer


def _position(container: Module, index: int) -> int:
    n = len(container._modules)
    if not isinstance(index, int):
        raise TypeError(f"{type(container).__name__} indices are ints or slices, "
                        f"not {type(index).__name__}")
    if not -n <= index < n:
        raise IndexError(f"{type(container).__name__} index {index} is out of range "
                         f"for {n} layers")
    return index % n
