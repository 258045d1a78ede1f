"""`Optimizer`: the base class of every optimizer, with torch.optim's interface and semantics.

An optimizer holds **parameter groups** (dicts: a list of tensors under ``"params"`` plus the
hyperparameters for them, defaults filled in) and a **state** per parameter (momentum buffers,
step counts). ``step()`` runs once per parameter that has a gradient, under ``no_grad``, and calls
the subclass's :meth:`Optimizer.update`, which replaces the parameter's values with
``p.data = ...``. A plugin writes ``update`` (and ``check_group`` for its hyperparameters); the
rest — groups, validation, ``zero_grad``, ``state_dict``, and the state following a model that
moves to another backend or device — is here, once.

>>> import ad_core as ad
>>> class PlainGD(ad.optim.Optimizer):
...     def __init__(self, params, lr=0.1):
...         super().__init__(params, {"lr": lr})
...     def update(self, p, grad, state, group):
...         p.data = p - group["lr"] * grad          # tensor arithmetic, no history here
>>> w = ad.tensor([1.0, 2.0], requires_grad=True)
>>> opt = PlainGD([w])
>>> (w * w).sum().backward()
>>> opt.step()
>>> w.tolist()
[0.8, 1.6]
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np

from ad_core.autograd.creation import tensor
from ad_core.autograd.grad_mode import enable_grad, no_grad
from ad_core.autograd.tensor import Tensor

__all__ = ["Optimizer", "ParamsT"]

#: What an optimizer accepts: tensors, or dicts (parameter groups) each with a ``"params"`` key.
ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class of optimizers: parameter groups, per-parameter state, ``step`` and ``zero_grad``.

    ``params`` is an iterable of tensors that require grad, or of dicts (parameter groups), each
    with a ``"params"`` entry and any hyperparameters that differ from ``defaults`` for that
    group. Subclasses implement :meth:`update` (one parameter's step) and may extend
    :meth:`check_group` (hyperparameter validation); an optimizer that needs the whole group at
    once (line search, L-BFGS) overrides :meth:`step` instead, and reads each parameter's state
    through :meth:`state_of`.

    **The state follows its parameter.** ``model.to(backend, device, dtype)`` moves the
    parameters in place, and an optimizer built before keeps working: at the next ``step()``,
    each parameter's state tensors (momentum buffers, moment estimates) that are on another
    backend or device than the parameter, or of another floating dtype, are moved there (and
    cast) before :meth:`update` sees them. The move is lazy: once per parameter after it moved,
    and on an unmoved model a step only compares each state tensor's backend, device and dtype
    with its parameter's. ``load_state_dict`` likewise places a state saved on any backend on
    each parameter's backend and device. State kept as tensors (made with :meth:`wrap`) follows;
    raw arrays and other objects in the state are left as they are.
    """

    #: Whether every array in a parameter's state has the parameter's shape (momentum buffers,
    #: moment estimates): ``load_state_dict`` then refuses arrays of another shape. An optimizer
    #: with differently shaped state (factored second moments) sets this to False.
    state_shapes_follow_params: bool = True

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name}: params should be an iterable of tensors or of dicts (parameter "
                f"groups), got a single Tensor; pass [tensor]"
            )
        if isinstance(params, set | frozenset):
            raise TypeError(f"{self._name}: params must be an ordered collection (a list), not a "
                            f"set, so that state_dict() numbers the parameters the same every run")
        try:
            iterator = iter(params)
        except TypeError:
            raise TypeError(f"{self._name}: params should be an iterable of tensors or of dicts "
                            f"(parameter groups), got {_describe(params)}") from None
        groups = list(iterator)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list; pass the tensors to "
                             f"optimize (model.parameters())")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # -- parameter groups ------------------------------------------------------------------------

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (those missing: the defaults).

        Useful to train a layer with a different learning rate, or to add layers to training
        after the optimizer was made (fine-tuning).
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}: a parameter group must be a dict with a 'params' key, "
                            f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{self._name}: parameter group has no 'params' key "
                             f"(keys: {sorted(param_group)})")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set | frozenset):
            raise TypeError(f"{self._name}: a group's params must be ordered (a list), not a set")
        params = list(params)
        index = len(self.param_groups)
        if not params:
            raise ValueError(f"{self._name}: parameter group {index} has no parameters")
        seen: set[int] = set()
        for i, p in enumerate(params):
            where = f"parameter {i} of group {index}"
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name}: can only optimize tensors, but {where} is a "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"{self._name}: can't optimize a non-leaf tensor ({where}, computed by op "
                    f"{p.grad_fn.op.name!r}); optimize the leaf it came from, or pass "
                    f"x.detach().requires_grad_()"  # type: ignore[union-attr]
                )
            if not p.requires_grad:
                raise ValueError(
                    f"{self._name}: {where} ({p.dtype.name}{list(p.shape)}) does not require "
                    f"grad, so it would never be updated; create it with requires_grad=True or "
                    f"leave it out"
                )
            if id(p) in seen:
                raise ValueError(f"{self._name}: {where} appears twice in the group")
            seen.add(id(p))
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if seen & taken:
            raise ValueError(f"{self._name}: some parameters appear in more than one parameter "
                             f"group (group {index} repeats an earlier group's)")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.check_group(group)
        self.param_groups.append(group)

    def check_group(self, group: dict[str, Any]) -> None:
        """Validate one group's hyperparameters; raise ValueError naming the bad one.

        The base class checks ``lr``; subclasses extend this (call ``super().check_group``).
        """
        if "lr" in group:
            self.require(group, "lr", group["lr"] >= 0 if _is_number(group["lr"]) else False,
                         "a learning rate must be a number >= 0")

    def require(self, group: dict[str, Any], key: str, ok: bool, what: str) -> None:
        """Raise ValueError ``"<Optimizer>: invalid <key> <value>: <what>"`` unless ``ok``."""
        if not ok:
            raise ValueError(f"{self._name}: invalid {key} {group.get(key)!r}: {what}")

    # -- the step --------------------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``None``), or set it to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    g = p.grad
                    p.grad = Tensor._make(g.backend.xp.zeros_like(g.array), g.backend, None, False)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return ``closure()``'s loss, if given.

        ``closure`` re-evaluates the model and returns the loss (it runs with recording on, so it
        may call ``backward``); optimizers that need several evaluations per step call it more.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    self.update(p, grad, self.state_of(p), group)
        return loss

    def state_of(self, param: Tensor) -> dict[str, Any]:
        """``param``'s state dict, created empty on first use, with its tensors on ``param``'s
        backend and device and, floating ones, in its dtype: those left elsewhere by a move of
        the model (``model.to(...)``) since the last step are moved, in the dict, here."""
        state = self.state.get(param)
        if state is None:
            state = self.state[param] = {}
            return state
        backend = param._backend
        device = dtype = None
        for name, value in state.items():  # cheap checks on the raw arrays: this runs every step
            if isinstance(value, Tensor):
                if device is None:
                    device, dtype = backend.device_of(param._array), param._array.dtype
                if (value._backend is not backend or backend.device_of(value._array) != device
                        or (value._array.dtype != dtype and value.dtype.is_floating)):
                    state[name] = _follow(value, param)
        return state

    def update(self, param: Tensor, grad: Tensor, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        """One parameter's step (runs under ``no_grad``): read ``grad``, keep buffers in
        ``state``, and assign the new values with ``param.data = ...``.

        Tensor arithmetic works here; for speed, the built-in optimizers compute on the raw
        arrays instead (``param.backend.xp``, ``param.array``, ``grad.array``: no recording, one
        backend call per operation) and wrap the results with :meth:`wrap`.
        """
        raise NotImplementedError(
            f"{self._name} must implement update(param, grad, state, group), or override step()"
        )

    @staticmethod
    def wrap(param: Tensor, array: Any) -> Tensor:
        """A raw ``array`` of ``param``'s backend as a tensor without history (no copy): for
        ``param.data = ...`` and for tensors kept in the state."""
        return Tensor._make(array, param.backend, None, False)

    # -- saving and loading ----------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain data, in torch's layout.

        ``{"state": {index: {name: value}}, "param_groups": [{hyperparameters, "params":
        [indices]}]}``: parameters are numbered by their position across groups, tensors in the
        state become NumPy arrays (host copies), numbers stay numbers. It holds no reference to
        the parameters, so it can be saved and loaded into an optimizer on another backend.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: _to_array(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved, onto this optimizer's parameters by position.

        Hyperparameters come from the saved groups; arrays in the state move to each
        parameter's backend and device (floating ones in the parameter's dtype). Everything is
        checked before anything changes: a different number of groups or of parameters in a
        group, a state array of the wrong shape, or a state for a parameter that does not exist
        raises ValueError and leaves the optimizer as it was.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(f"{self._name}.load_state_dict: expected a dict with 'state' and "
                             f"'param_groups' (what state_dict() returns)")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{self._name}.load_state_dict: the saved state has {len(saved_groups)} "
                f"parameter group(s), this optimizer has {len(self.param_groups)}"
            )
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{self._name}.load_state_dict: saved parameter group {i} has "
                    f"{len(saved['params'])} parameter(s), this optimizer's has "
                    f"{len(group['params'])}"
                )
        params = {old: p for old, p in zip(chain.from_iterable(g["params"] for g in saved_groups),
                                           chain.from_iterable(g["params"] for g in self.param_groups),
                                           strict=True)}
        state: dict[Tensor, dict[str, Any]] = {}
        for key, entries in state_dict["state"].items():
            p = params.get(int(key))
            if p is None:
                raise ValueError(f"{self._name}.load_state_dict: state for parameter {key}, but "
                                 f"the optimizer has {len(params)} parameter(s)")
            state[p] = {name: self._restore(value, p, key, name) for name, value in entries.items()}
        groups = []
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            new = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            self.check_group(new)
            groups.append(new)
        self.param_groups = groups
        self.state = state

    def _restore(self, value: Any, p: Tensor, key: Any, name: str) -> Any:
        """A saved state value as this parameter's tensor (arrays) or as it was (numbers)."""
        if isinstance(value, Tensor) or hasattr(value, "__array__") or hasattr(value, "shape"):
            # a copy: the source (a live torch optimizer's buffers) may change in place later
            host = (value.numpy() if isinstance(value, Tensor) else np.asarray(value)).copy()
            if host.ndim == 0 and host.dtype.kind != "f":
                return host.item()
            if host.ndim == 0 and name == "step" and host.item().is_integer():
                return int(host.item())  # a step count, which torch keeps as a 0-d float tensor
            if self.state_shapes_follow_params and host.ndim and host.shape != p.shape:
                raise ValueError(
                    f"{self._name}.load_state_dict: state {name!r} of parameter {key} has shape "
                    f"{host.shape}, the parameter has {p.shape}"
                )
            dtype = p.dtype if host.dtype.kind == "f" else None
            return tensor(host, dtype=dtype, backend=p.backend.name, device=p.device)
        return copy.deepcopy(value)

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and not math.isnan(x)


def _describe(params: Any) -> str:
    """What was passed as ``params`` instead of an iterable, with the likely fix."""
    if callable(getattr(params, "parameters", None)):
        return f"the module {type(params).__name__}; pass its parameters: model.parameters()"
    if callable(params):
        return f"the callable {getattr(params, '__name__', params)!r}; call it: model.parameters()"
    return f"{type(params).__name__}; pass model.parameters() or a list of tensors"


def _follow(value: Tensor, param: Tensor) -> Tensor:
    """A state tensor moved to ``param``'s backend and device, floating ones cast to its dtype."""
    moved = value.detach()
    if moved.backend is not param.backend or moved.device != param.device:
        moved = moved.to(backend=param.backend.name, device=param.device).detach()
    if moved.dtype.is_floating and moved.dtype != param.dtype:
        moved = tensor(moved, dtype=param.dtype)
    return moved


def _to_array(value: Any) -> Any:
    """A state value as saved: tensors as NumPy arrays (copies), the rest deep-copied."""
    if isinstance(value, Tensor):
        return np.array(value.numpy(), copy=True)
    return copy.deepcopy(value)
