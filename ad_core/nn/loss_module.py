"""The module form of a registered loss: ``ad.nn.MSELoss()`` beside ``ad.losses.mse``.

A plugin registers a loss function once, ``register("mse", fn, module="MSELoss")``;
:func:`loss_module` turns that entry into a :class:`~ad_core.nn.Module` subclass whose
constructor takes the function's options (``reduction="mean"``, ...) and whose ``forward``
calls the function with them. Tensor options (a class ``weight``) become buffers, so they move
with ``.to()``.

>>> import ad_core as ad
>>> from ad_core.nn.registry import Entry
>>> def halved(input, target, *, reduction="mean"):
...     d = (input - target) ** 2.0 / 2.0
...     return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d
>>> Halved = loss_module(Entry("halved", halved, "docs", {"module": "HalvedLoss"}))
>>> Halved(reduction="sum")
HalvedLoss(reduction='sum')
>>> Halved()(ad.tensor([1.0, 3.0]), ad.tensor([1.0, 1.0])).item()
1.0
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

from ad_core.autograd.tensor import Tensor
from ad_core.nn.module import Module
from ad_core.nn.registry import Entry

__all__ = ["loss_module"]

_CACHE: dict[int, tuple[Entry, type[Module]]] = {}
_LOCK = threading.Lock()


def loss_module(entry: Entry) -> type[Module]:
    """The Module class for a loss registered with ``module="<Name>"`` (built once per entry)."""
    with _LOCK:
        cached = _CACHE.get(id(entry))
        if cached is not None and cached[0] is entry:
            return cached[1]
        cls = _build(entry)
        _CACHE[id(entry)] = (entry, cls)
        return cls


def _options(fn: Any) -> list[inspect.Parameter]:
    """The loss function's options: every parameter after the input and the target."""
    params = list(inspect.signature(fn).parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    inputs = {p.name for p in positional[:2]}
    return [p for p in params
            if p.name not in inputs and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _build(entry: Entry) -> type[Module]:
    fn = entry.obj
    name = entry.meta["module"]
    options = _options(fn)
    signature = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in options]
    )

    def __init__(self: Module, *args: Any, **kwargs: Any) -> None:
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{name}: {exc} (options: {', '.join(p.name for p in options)})") from None
        bound.apply_defaults()
        Module.__init__(self)
        settings = dict(list(bound.arguments.items())[1:])
        self.__dict__["_option_names"] = tuple(settings)
        for key, value in settings.items():
            if isinstance(value, Tensor):
                self.register_buffer(key, value)
            else:
                setattr(self, key, value)

    def forward(self: Module, *inputs: Any) -> Any:
        return fn(*inputs, **{key: getattr(self, key) for key in self._option_names})

    def extra_repr(self: Module) -> str:
        shown = []
        for key in self._option_names:
            value = getattr(self, key)
            shown.append(f"{key}=<tensor of shape {value.shape}>" if isinstance(value, Tensor)
                         else f"{key}={value!r}")
        return ", ".join(shown)

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    doc = (f"The module form of the loss ``ad.losses.{entry.name}`` (plugin {entry.plugin!r}): "
           f"``{name}(**options)(input, target)`` is ``ad.losses.{entry.name}(input, target, "
           f"**options)``.\n\n" + (inspect.getdoc(fn) or ""))
    return type(name, (Module,), {
        "__init__": __init__,
        "forward": forward,
        "extra_repr": extra_repr,
        "__doc__": doc,
        "__module__": "ad_core.nn",
        "__qualname__": name,
    })
