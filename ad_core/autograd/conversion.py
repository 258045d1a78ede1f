"""`TensorConversions`: a tensor's ways out, to Python values, NumPy, DLPack and text.

Kept apart from :class:`~ad_core.autograd.tensor.Tensor`, which inherits them, because none of
them records anything: they read the array (``item``, ``numpy``, ``repr``), hand it to other
libraries (``__array__``, ``__dlpack__``, ``__array_namespace__``) or move it (``to``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ad_core.autograd.tensor import Tensor

__all__ = ["TensorConversions"]


class TensorConversions:
    """The conversions of :class:`~ad_core.autograd.tensor.Tensor` (a mixin without state)."""

    __slots__ = ()

    def item(self) -> Any:
        """The single element as a Python scalar."""
        if self.size != 1:
            raise ValueError(f"item: needs a tensor with one element, got shape {self.shape}")
        value = self._backend.to_numpy(self._array).reshape(())
        return value.item()

    def tolist(self) -> Any:
        """Nested Python lists of the elements."""
        return self.numpy().tolist()

    def numpy(self) -> np.ndarray:
        """A NumPy copy of the data (host memory): writing to it never changes the tensor."""
        return np.array(self._backend.to_numpy(self._array), copy=True)

    def to(self, backend: str | None = None, device: Any = None) -> Tensor:
        """This tensor on another backend and/or device; gradients flow back through the move."""
        from ad_core.autograd.transfer import transfer

        return transfer(self, backend, device)

    def __array_namespace__(self, api_version: str | None = None) -> Any:
        import ad_core.array_api as namespace

        return namespace

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """NumPy's implicit conversion (``np.asarray(x)``, ``np.exp(x)``), refused for a tensor that
        requires grad, as torch refuses it: NumPy's functions would drop its history, and the
        gradient would silently miss their part. ``x.numpy()`` (or ``ad.to_numpy(x)``) copies
        the values on purpose; ``ad.exp(x)`` keeps the history."""
        if self._requires_grad:
            raise TypeError(
                "cannot convert a tensor that requires grad to a NumPy array implicitly: NumPy's "
                "functions would drop its history, and gradients would silently miss their part; "
                "use ad_core's ops (ad.exp(x), not np.exp(x)), or x.numpy() / x.detach() for a "
                "constant copy"
            )
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> Any:
        return self._array.__dlpack_device__()

    def __bool__(self) -> bool:
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in ("signed integer", "unsigned integer"):
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype.name}")
        return int(self.item())

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = [f"backend={self._backend.name!r}", f"dtype={self.dtype.name}"]
        if self.size == 0 and self.ndim != 1:  # "[]" alone does not tell (0, 3) from (2, 0)
            extra.insert(0, f"shape={self.shape}")
        if self._backend.multi_device and self.device != self._backend.default_device:
            extra.append(f"device={str(self.device)!r}")
        if self._node is not None:
            extra.append(f"grad_fn={self._node.op.name}")
        elif self._requires_grad:
            extra.append("requires_grad=True")
        return f"tensor({body}, {', '.join(extra)})"

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``), as in torch and NumPy."""
        if not spec:
            return str(self)
        if self.ndim != 0:
            raise TypeError(f"format spec {spec!r} needs a 0-d tensor, got shape {self.shape}; "
                            f"format .item() or .tolist() instead")
        return format(self.item(), spec)
