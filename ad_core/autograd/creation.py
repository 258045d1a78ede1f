"""Making tensors: from Python data, NumPy arrays, or another library's arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

from ad_core.autograd.tensor import Tensor
from ad_core.backends.registry import backend_of_array, load_backend
from ad_core.backends.selection import current
from ad_core.errors import DTypeError

__all__ = ["tensor", "to_numpy", "as_tensor"]


def tensor(
    data: Any,
    dtype: Any = None,
    device: Any = None,
    backend: str | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor holding a copy of ``data`` (as ``torch.tensor``; ``ad.asarray`` may share memory).

    Python data and NumPy arrays go to the backend and device in force (``ad.set_backend``,
    ``with ad.backend(...)``), so one script runs on any backend by changing one setting. An
    array of another library (a torch tensor, a CuPy array) keeps its own backend and device
    unless ``backend=`` or ``device=`` say otherwise. An ad_core tensor is moved if asked and
    returned without history.

    >>> import ad_core as ad
    >>> x = ad.tensor([1.0, 2.0], requires_grad=True)
    >>> x.shape, x.requires_grad
    ((2,), True)
    """
    if isinstance(data, Tensor):
        out = data.detach()
        if backend is not None or device is not None:
            out = out.to(backend=backend, device=device).detach()
        if dtype is not None:
            out = Tensor._make(
                out._backend.xp.astype(out._array, out._backend.native_dtype(dtype)),
                out._backend, None, False,
            )
        return out.requires_grad_() if requires_grad else out

    if isinstance(data, (list, tuple)):
        inner = _first_tensor(data)
        if inner is not None:  # a list of tensors (0-d losses, rows): their backend and device
            data = np.asarray(_to_host(data))
            if backend is None:
                backend = inner._backend.name
                device = inner.device if device is None else device
    source = None if isinstance(data, (list, tuple, int, float, bool, complex)) else backend_of_array(data)
    if source is not None and source.name != "numpy" and backend is None:
        target = source
    elif backend is not None:
        target = load_backend(backend)
    else:
        target = current()[0]

    if device is None:
        if source is target and target.multi_device:
            dev = target.device_of(data)
        else:
            in_force, in_force_device = current()
            dev = in_force_device if in_force is target else target.default_device
    else:
        dev = target.device(device)

    if source is None or source is target:
        if isinstance(data, np.generic):
            data = np.asarray(data)
        array = target.asarray(data, dtype=dtype, device=dev, copy=True if source is not None else None)
    else:
        array = target.from_foreign(data, source, dev, copy=True)
        if dtype is not None:
            array = target.xp.astype(array, target.native_dtype(dtype))
    if array.dtype not in target.from_native:  # an object array: a dict, Nones, strings
        raise DTypeError(f"tensor: cannot make a tensor of {type(data).__name__} data "
                         f"{_preview(data)}: it gives {target.name} dtype {array.dtype}, which "
                         f"ad_core does not support (a pytree of tensors goes to the transforms "
                         f"as it is, not through ad.tensor)")
    out = Tensor._make(array, target, None, False)
    return out.requires_grad_() if requires_grad else out


def _preview(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."


def _first_tensor(data: list[Any] | tuple[Any, ...]) -> Tensor | None:
    """A tensor among ``data``'s elements, or in its first nested list at each depth (a list of
    tensors is a list of rows of one kind, so that is where one would be)."""
    while True:
        for item in data:
            if isinstance(item, Tensor):
                return item
        nested = next((item for item in data if isinstance(item, (list, tuple))), None)
        if nested is None:
            return None
        data = nested


def _to_host(data: Any) -> Any:
    """``data`` with every tensor in it replaced by a NumPy copy (which keeps its dtype)."""
    if isinstance(data, Tensor):
        return data.numpy()
    if isinstance(data, (list, tuple)):
        return [_to_host(item) for item in data]
    return data


def as_tensor(data: Any) -> Tensor:
    """``data`` itself if it is a tensor, else ``tensor(data)``."""
    return data if isinstance(data, Tensor) else tensor(data)


def to_numpy(t: Any) -> np.ndarray:
    """A NumPy copy of a tensor's data (any backend, any device)."""
    if isinstance(t, Tensor):
        return t.numpy()
    source = backend_of_array(t)
    return source.to_numpy(t) if source is not None else np.asarray(t)
