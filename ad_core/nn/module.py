"""`Module` and `Parameter` (from :mod:`.parameter`): the building blocks of models, with
torch.nn.Module's feel.

A :class:`Module` tracks the parameters, buffers and sub-modules assigned to it as attributes, in
the order they were assigned, so a model is declared in ``__init__`` and used in ``forward``:

>>> import ad_core as ad
>>> class Scale(ad.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.w = ad.nn.Parameter([2.0])
...     def forward(self, x):
...         return self.w * x
>>> m = Scale()
>>> [name for name, _ in m.named_parameters()]
['w']
>>> m(ad.tensor([3.0])).tolist()
[6.0]

Parameters and buffers are also ordinary attributes (``m.w``), so reading them in ``forward``
costs what any attribute read does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from copy import deepcopy
from typing import Any, NamedTuple

from ad_core import dtypes as _dt
from ad_core.autograd.creation import tensor
from ad_core.autograd.tensor import Tensor
from ad_core.backends.registry import load_backend
from ad_core.dtypes import DType
from ad_core.errors import ADCoreError, DTypeError
from ad_core.nn.parameter import Parameter, copy_tensor, moved

__all__ = ["IncompatibleKeys", "Module", "Parameter", "StateDictError"]


class StateDictError(ADCoreError, ValueError):
    """``load_state_dict`` found missing, unexpected or mis-shaped keys; nothing was changed."""


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` did not match: keys it lacked and keys it ignored."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _check_name(kind: str, name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name must be a string, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{kind} name {name!r} must be non-empty and contain no '.'")


def _indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return "\n".join([lines[0], *(" " * spaces + line for line in lines[1:])])


class Module:
    """Base class of layers and models.

    Subclasses call ``super().__init__()`` first, assign parameters, buffers and sub-modules as
    attributes, and define ``forward``; calling the module calls ``forward``. ``training`` is
    True until :meth:`eval` (layers such as Dropout and BatchNorm1d behave differently then).
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _modules: dict[str, Module | None]
    _non_persistent: set[str]

    def __init__(self) -> None:
        state = self.__dict__
        state["training"] = True
        state["_parameters"] = {}
        state["_buffers"] = {}
        state["_non_persistent"] = set()
        state["_modules"] = {}

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} defines no forward(); a Module "
                                  f"subclass must define forward(self, ...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- attribute bookkeeping -------------------------------------------------------------------

    def _registries(self, name: str) -> tuple[dict[str, Any], ...]:
        state = self.__dict__
        if "_parameters" not in state:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() has run: call "
                f"super().__init__() first in {type(self).__name__}.__init__"
            )
        return state["_parameters"], state["_buffers"], state["_modules"]

    def __setattr__(self, name: str, value: Any) -> None:
        state = self.__dict__
        if isinstance(value, Parameter):
            self._place(0, name, value)
        elif isinstance(value, Module):
            self._place(2, name, value)
        elif name in state.get("_parameters", ()):
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r} of "
                                f"{type(self).__name__} (a Parameter or None is expected)")
            self._place(0, name, None)
        elif name in state.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r} of "
                                f"{type(self).__name__} (a Tensor or None is expected)")
            self._place(1, name, value)
        elif name in state.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as sub-module {name!r} of "
                                f"{type(self).__name__} (a Module or None is expected)")
            self._place(2, name, None)
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent.discard(name)
        object.__delattr__(self, name)

    def _place(self, kind: int, name: str, value: Any) -> None:
        """Put ``value`` in registry ``kind`` (0 parameters, 1 buffers, 2 modules) only."""
        for index, registry in enumerate(self._registries(name)):
            if index == kind:
                registry[name] = value
            else:
                registry.pop(name, None)
        object.__setattr__(self, name, value)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (or a None placeholder) as parameter ``name``."""
        _check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got "
                            f"{type(param).__name__}")
        self._place(0, name, param)

    def register_buffer(self, name: str, value: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not trained (running statistics, masks) as ``name``.

        Buffers move with :meth:`to`; persistent ones are saved in :meth:`state_dict`.
        """
        _check_name("buffer", name)
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got "
                            f"{type(value).__name__}")
        if name in self.__dict__ and name not in self._buffers:
            raise KeyError(f"register_buffer: {type(self).__name__} already has an attribute "
                           f"{name!r}")
        self._place(1, name, value)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add ``module`` as the sub-module ``name`` (for names that are not identifiers)."""
        _check_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got "
                            f"{type(module).__name__}")
        self._place(2, name, module)

    # -- walking the tree ------------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules with their names."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct sub-modules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True,
                      _seen: set[int] | None = None) -> Iterator[tuple[str, Module]]:
        """This module and every sub-module below it, each with its dotted name ('' for this)."""
        seen = set() if _seen is None else _seen
        if remove_duplicate:
            if id(self) in seen:
                return
            seen.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate, seen)

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module below it."""
        for _, module in self.named_modules():
            yield module

    def _named_members(self, kind: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        walk = self.named_modules(prefix, remove_duplicate) if recurse else [(prefix, self)]
        seen: set[int] = set()
        for module_prefix, module in walk:
            for name, value in getattr(module, kind).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Every parameter with its dotted name (``'0.weight'``), each shared one once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (what an optimizer is given), each shared one once."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Every buffer with its dotted name."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first) and then on this one; returns self.

        The usual use is custom initialisation: ``model.apply(init_weights)``.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- training state ------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Put this module and every sub-module in training mode (or evaluation mode); returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {type(mode).__name__}")
        for module in self.modules():
            module.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Put this module and every sub-module in evaluation mode; returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (or, with ``set_to_none=False``, set it to zeros)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = p.grad.__array_namespace__().zeros_like(p.grad)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # -- moving between backends, devices and dtypes ---------------------------------------------

    def to(self, backend: str | None = None, device: Any = None, dtype: Any = None) -> Module:
        """Move every parameter and buffer to ``backend`` and/or ``device``, in place; returns self.

        Parameters keep their identity (an optimizer built on them still holds them) and their
        gradients move with them. ``dtype=`` casts the floating parameters and buffers
        (integer buffers such as ``num_batches_tracked`` keep theirs). Train on one backend,
        then ``model.to("torch")`` and continue there, with inputs made on that backend.
        """
        if dtype is not None:
            dtype = _dt.dtype_from_name(dtype) if isinstance(dtype, str) else dtype
            if not isinstance(dtype, DType) or not dtype.is_floating:
                raise DTypeError(f"Module.to: dtype must be a real floating dtype, got {dtype!r}")
        if backend is not None:
            load_backend(backend).device(device)  # a bad name or device fails before any move
        for module in self.modules():
            for p in module._parameters.values():
                if p is not None:
                    p._retarget_(backend, device, dtype)
            for name, b in list(module._buffers.items()):
                if b is not None:
                    b = moved(b, backend, device, dtype)
                    module._buffers[name] = b
                    object.__setattr__(module, name, b)
        return self

    # -- state dicts -------------------------------------------------------------------------------

    def _state_entries(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """Every persistent parameter and buffer, with its key, shared ones under each name."""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                yield prefix + name, b
        for name, module in self._modules.items():
            if module is not None:
                yield from module._state_entries(f"{prefix}{name}.")

    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name, in registration order.

        The values are tensors without history (``keep_vars=True``: the parameters themselves).
        """
        return OrderedDict((key, t if keep_vars else t.detach())
                           for key, t in self._state_entries(prefix))

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state_dict`` into this module's parameters and buffers.

        Values may be ad_core tensors of any backend, NumPy arrays or other libraries' arrays;
        each is moved to its parameter's backend and device and cast to its dtype. Every key is
        checked before anything is copied: with ``strict=True`` missing and unexpected keys are
        errors, and a value whose shape differs is always one. The :class:`StateDictError` lists
        every problem, and the module is left exactly as it was. Parameters keep their identity.
        Returns the missing and unexpected keys (both empty when ``strict=True``).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping of names to tensors, got "
                            f"{type(state_dict).__name__}")
        targets = dict(self._state_entries())
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(map(repr, missing))}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(map(repr, unexpected))}")
        staged = []
        for key, current in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            try:
                new = tensor(value, backend=current.backend.name, device=current.device,
                             dtype=current.dtype)
            except Exception as exc:
                problems.append(f"{key!r} cannot be read as an array ({type(exc).__name__}: {exc})")
                continue
            if new.shape != current.shape:
                problems.append(f"{key!r} has shape {new.shape} in the state dict, but the "
                                f"module's is {current.shape}")
                continue
            staged.append((current, new))
        if problems:
            raise StateDictError(f"load_state_dict into {type(self).__name__}: "
                                 + "; ".join(problems) + ". Nothing was changed.")
        for current, new in staged:  # a copy: the source (a NumPy array, a live torch model's
            current.data = copy_tensor(new)  # weights) may change later, as torch's copy_ allows
        return IncompatibleKeys(missing, unexpected)

    # -- copying ----------------------------------------------------------------------------------

    def __deepcopy__(self, memo: dict[int, Any]) -> Module:
        """``copy.deepcopy(model)``: new parameters and buffers with copied values (and
        gradients), on the same backends, shared ones still shared."""
        for module in self.modules():
            for t in (*module._parameters.values(), *module._buffers.values()):
                if t is not None and id(t) not in memo:
                    memo[id(t)] = copy_tensor(t)
        new = object.__new__(type(self))
        memo[id(self)] = new
        new.__dict__.update(deepcopy(self.__dict__, memo))
        return new

    # -- printing --------------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The settings shown between the parentheses of the repr (``in_features=3, ...``)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        children = [f"({name}): {_indent(repr(module), 2)}"
                    for name, module in self._modules.items() if module is not None]
        if not children:
            return f"{type(self).__name__}({extra})"
        lines = ([extra] if extra else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
