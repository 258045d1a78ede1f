"""`Parameter`: a tensor that is a trainable part of a module, and how tensors are moved and
copied when their module is."""

from __future__ import annotations

from typing import Any

from ad_core.autograd.creation import tensor
from ad_core.autograd.tensor import Tensor
from ad_core.dtypes import DType
from ad_core.errors import DTypeError

__all__ = ["Parameter", "copy_tensor", "moved"]


def moved(t: Tensor, backend: str | None, device: Any, dtype: DType | None) -> Tensor:
    """``t``'s values (no history) on ``backend``/``device``, floating ones cast to ``dtype``."""
    out = t.detach()
    if backend is not None or device is not None:
        out = out.to(backend=backend, device=device).detach()
    if dtype is not None and out.dtype.is_floating and out.dtype != dtype:
        out = tensor(out, dtype=dtype)
    return out


class Parameter(Tensor):
    """A tensor that is a trainable part of a module: a leaf that requires grad.

    ``Parameter(data)`` takes an ad_core tensor (its values, without history), a NumPy array or
    Python data (placed on the backend and device in force), or another library's array (kept
    on its own backend). Only real floating-point data can be a parameter; pass ``dtype=`` to
    convert. Assigned to a :class:`Module` attribute, it is registered as that module's
    parameter. ``requires_grad_(False)`` freezes it.

    >>> import ad_core as ad
    >>> p = ad.nn.Parameter([1.0, 2.0], dtype=ad.float32)
    >>> p.requires_grad, p.is_leaf, p.dtype
    (True, True, ad_core.float32)
    """

    __slots__ = ()

    def __new__(cls, data: Any, dtype: Any = None) -> Parameter:
        source = tensor(data, dtype=dtype)
        if not source.dtype.is_floating:
            raise DTypeError(
                f"Parameter: only real floating-point data can be a parameter, got "
                f"{source.dtype.name}; pass dtype=ad.float32 (or float64) to convert"
            )
        return cls._make(source._array, source._backend, None, True)

    def _retarget_(self, backend: str | None, device: Any, dtype: DType | None) -> None:
        """Move this parameter's values (and its gradient) in place, keeping its identity."""
        values = moved(self, backend, device, dtype)
        grad = None if self._grad is None else moved(self._grad, backend, device, dtype)
        self._array, self._backend, self._grad = values._array, values._backend, grad

    def __deepcopy__(self, memo: dict[int, Any]) -> Parameter:
        return copy_tensor(self)  # type: ignore[return-value]

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def copy_tensor(t: Tensor) -> Tensor:
    """An independent copy of a leaf's values (and gradient), of the same class and backend."""
    out = type(t)._make(t._backend.xp.asarray(t._array, copy=True), t._backend, None,
                        t._requires_grad)
    if t._grad is not None:
        out._grad = copy_tensor(t._grad)
    return out
