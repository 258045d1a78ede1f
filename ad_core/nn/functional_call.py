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


def _places(module: Module) -> dict[int, list[tuple[Module, str]]]:
    """Every (sub-module, name) holding each parameter or buffer, by the tensor's identity: a
    tensor tied into two modules (a decoder reusing its encoder's weight) has two places, and
    swapping it means swapping both, as torch.func.functional_call does (``tie_weights=True``)."""
    places: dict[int, list[tuple[Module, str]]] = {}
    for _, owner in module.named_modules():
        for registry in ("_parameters", "_buffers"):
            for name, value in owner.__dict__[registry].items():
                if value is not None:
                    places.setdefault(id(value), []).append((owner, name))
    return places


def functional_call(module: Module, tensors: Mapping[str, Tensor], *args: Any,
                    **kwargs: Any) -> Any:
    """``module(*args, **kwargs)`` with the parameters and buffers named in ``tensors`` replaced
    by those tensors for this call; the module's own are back in place afterwards.

    The tensors need not be parameters: gradients flow to them, not to the module's parameters,
    which is what ``ad.grad`` or ``ad.hessian`` over a dict of weights needs. Entries left out
    keep the module's values. A tensor tied into several modules is swapped everywhere it is
    used (naming it once is enough; different values for its names are a ValueError). An
    unknown name raises a KeyError listing the module's names; a value that is not a Tensor
    raises a TypeError.
    """
    places = _places(module)
    chosen: dict[tuple[int, str], tuple[str, Tensor]] = {}
    swaps = []
    for path, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"functional_call: {path!r} must be a Tensor, got "
                            f"{type(value).__name__}")
        owner, leaf = _owner(module, path)
        original = owner.__dict__[leaf]
        for place, name in places.get(id(original), [(owner, leaf)]):  # every use of a tied one
            earlier = chosen.setdefault((id(place), name), (path, value))
            if earlier[1] is value:
                if earlier[0] == path:
                    swaps.append((place, name, place.__dict__[name], value))
                continue
            raise ValueError(f"functional_call: {earlier[0]!r} and {path!r} are one tensor "
                             f"(tied) in {type(module).__name__}, but were given different "
                             f"values; give one of them, or the same tensor for both")
    try:
        for owner, leaf, _, value in swaps:
            object.__setattr__(owner, leaf, value)
        return module(*args, **kwargs)
    finally:
        for owner, leaf, original, _ in reversed(swaps):
            object.__setattr__(owner, leaf, original)
