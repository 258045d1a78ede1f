"""Array API creation functions over ad_core tensors.

They make leaves (no history) on the backend and device in force, or on ``x``'s for the
``*_like`` functions, so generic code that creates arrays runs on any backend.
"""

from __future__ import annotations

from typing import Any

from ad_core.autograd.creation import tensor
from ad_core.autograd.tensor import Tensor
from ad_core.backends.backend import Backend
from ad_core.backends.selection import current

__all__ = [
    "asarray", "arange", "empty", "empty_like", "eye", "from_dlpack", "full", "full_like",
    "linspace", "ones", "ones_like", "zeros", "zeros_like",
]  # fmt: skip


def _target(device: Any) -> tuple[Backend, Any]:
    backend, in_force = current()
    return backend, in_force if device is None else backend.device(device)


def _leaf(array: Any, backend: Backend) -> Tensor:
    return Tensor._make(array, backend, None, False)


def asarray(obj: Any, /, *, dtype: Any = None, device: Any = None, copy: bool | None = None) -> Tensor:
    """A tensor from Python data or an array (see :func:`ad_core.tensor`).

    A tensor comes back as itself, history included, as ``jnp.asarray`` returns a traced array:
    generic Array API code that normalises its inputs with ``xp.asarray(x)`` stays
    differentiable. ``dtype=`` casts it and ``device=`` moves it, ``copy=True`` copies it, each
    recorded like any op; ``copy=False`` refuses a conversion that needs a copy. (``ad.tensor(x)``,
    like ``torch.tensor``, is the one that returns detached values.)
    """
    if not isinstance(obj, Tensor):
        return tensor(obj, dtype=dtype, device=device)
    out = obj
    moves = device is not None and out._backend.device(device) != out.device
    casts = (dtype is not None
             and out._backend.from_native[out._backend.native_dtype(dtype)] != out.dtype)
    if copy is False and (moves or casts):
        raise ValueError(f"asarray: copy=False, but the tensor ({out.dtype.name} on "
                         f"{out.device}) needs a copy to become {dtype or out.dtype} on "
                         f"{device or out.device}")
    if moves:
        out = out.to(device=device)
    if casts:
        out = out.astype(dtype)
    elif copy and out is obj:
        out = out.astype(out.dtype, copy=True)
    return out


def zeros(shape: int | tuple[int, ...], *, dtype: Any = None, device: Any = None) -> Tensor:
    """A tensor of zeros."""
    be, dev = _target(device)
    return _leaf(be.xp.zeros(shape, dtype=be.native_dtype(dtype), device=dev), be)


def ones(shape: int | tuple[int, ...], *, dtype: Any = None, device: Any = None) -> Tensor:
    """A tensor of ones."""
    be, dev = _target(device)
    return _leaf(be.xp.ones(shape, dtype=be.native_dtype(dtype), device=dev), be)


def empty(shape: int | tuple[int, ...], *, dtype: Any = None, device: Any = None) -> Tensor:
    """An uninitialised tensor."""
    be, dev = _target(device)
    return _leaf(be.xp.empty(shape, dtype=be.native_dtype(dtype), device=dev), be)


def full(shape: int | tuple[int, ...], fill_value: Any, *, dtype: Any = None,
         device: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``."""
    be, dev = _target(device)
    return _leaf(be.xp.full(shape, fill_value, dtype=be.native_dtype(dtype), device=dev), be)


def arange(start: Any, /, stop: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``."""
    be, dev = _target(device)
    return _leaf(be.xp.arange(start, stop, step, dtype=be.native_dtype(dtype), device=dev), be)


def linspace(start: Any, stop: Any, /, num: int, *, dtype: Any = None, device: Any = None,
             endpoint: bool = True) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    be, dev = _target(device)
    return _leaf(be.xp.linspace(start, stop, num, dtype=be.native_dtype(dtype), device=dev,
                                endpoint=endpoint), be)


def eye(n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: Any = None,
        device: Any = None) -> Tensor:
    """A 2-D tensor with ones on the ``k``-th diagonal."""
    be, dev = _target(device)
    return _leaf(be.xp.eye(n_rows, n_cols, k=k, dtype=be.native_dtype(dtype), device=dev), be)


def _like(x: Tensor, dtype: Any, device: Any) -> tuple[Backend, Any, Any]:
    be = x._backend
    return be, be.native_dtype(dtype), (be.device(device) if device is not None
                                        else be.device_of(x._array))


def zeros_like(x: Tensor, /, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Zeros with ``x``'s shape, and its dtype, backend and device unless given."""
    be, dt, dev = _like(x, dtype, device)
    return _leaf(be.xp.zeros_like(x._array, dtype=dt, device=dev), be)


def ones_like(x: Tensor, /, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Ones with ``x``'s shape, and its dtype, backend and device unless given."""
    be, dt, dev = _like(x, dtype, device)
    return _leaf(be.xp.ones_like(x._array, dtype=dt, device=dev), be)


def empty_like(x: Tensor, /, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Uninitialised, with ``x``'s shape, and its dtype, backend and device unless given."""
    be, dt, dev = _like(x, dtype, device)
    return _leaf(be.xp.empty_like(x._array, dtype=dt, device=dev), be)


def full_like(x: Tensor, /, fill_value: Any, *, dtype: Any = None, device: Any = None) -> Tensor:
    """``fill_value`` everywhere, with ``x``'s shape, and its dtype, backend and device."""
    be, dt, dev = _like(x, dtype, device)
    return _leaf(be.xp.full_like(x._array, fill_value, dtype=dt, device=dev), be)


def from_dlpack(x: Any, /, *, device: Any = None, copy: bool | None = None) -> Tensor:
    """A tensor sharing memory with any object that speaks DLPack, on its own backend."""
    return tensor(x, device=device)
