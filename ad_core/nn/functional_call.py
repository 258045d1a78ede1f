"""``functional_call``: run a module with some of its parameters or buffers swapped for tensors.

A module holds its parameters as state; the functional transforms (``ad.grad``, ``ad.hessian``,
``ad.jvp``) differentiate functions of their arguments. ``functional_call(model, params, x)``
bridges the two: it calls ``model(x)`` with the entries of ``params`` (named as in
``named_parameters()`` or ``state_dict()``: dotted paths such as ``"0.weight"``) in place of the
module's own, for that call only, so a loss becomes a function of a dict of tensors:

>>> import ad_core as ad
>>> model = ad.nn.Linear(2, 1)
>>> params = {name: p.detach() for name, p in model.named_parameters()}
>>> x = ad.tensor([[1.0, 2.0]], dtype=ad.float32)
>>> grads = ad.grad(lambda ps: ad.sum(ad.nn.functional_call(model, ps, x)))(params)
>>> sorted(grads), grads["weight"].tolist()
(['bias', 'weight'], [[1.0, 2.0]])

The swap is an attribute assignment undone when the call returns (or raises); the module is not
safe to call from another thread meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ad_core.autograd.tensor import Tensor
from ad_core.nn.module import Module

__all__ = ["functional_call"]


def _owner(module: Module, path: str) -> tuple[Module, str]:
    """The sub-module holding the parameter or buffer at dotted ``path``, and its local name."""
    *parents, leaf = path.split(".")
    owner = module
    for name in parents:
        child = owner.__dict__.get("_modules", {}).get(name)
        if child is None:
            break
        owner = child
    else:
        if leaf in owner.__dict__.get("_parameters", ()) or leaf in owner.__dict__.get("_buffers", ()):
            return owner, leaf
    known = [n for n, _ in module.named_parameters()] + [n for n, _ in module.named_buffers()]
    raise KeyError(f"functional_call: {type(module).__name__} has no parameter or buffer "
                   f"{path!r}; it has {known}")


def functional_call(module: Module, tensors: Mapping[str, Tensor], *args: Any,
                    **kwargs: Any) -> Any:
    """``module(*args, **kwargs)`` with the parameters and buffers named in ``tensors`` replaced
    by those tensors for this call; the module's own are back in place afterwards.

    The tensors need not be parameters: gradients flow to them, not to the module's parameters,
    which is what ``ad.grad`` or ``ad.hessian`` over a dict of weights needs. Entries left out
    keep the module's values. An unknown name raises a KeyError listing the module's names; a
    value that is not a Tensor raises a TypeError.
    """
    swaps = []
    for path, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"functional_call: {path!r} must be a Tensor, got "
                            f"{type(value).__name__}")
        owner, leaf = _owner(module, path)
        swaps.append((owner, leaf, owner.__dict__[leaf], value))
    try:
        for owner, leaf, _, value in swaps:
            object.__setattr__(owner, leaf, value)
        return module(*args, **kwargs)
    finally:
        for owner, leaf, original, _ in reversed(swaps):
            object.__setattr__(owner, leaf, original)
