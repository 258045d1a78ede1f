"""`Backend`: an Array API namespace plus what the standard leaves out.

A backend plugin builds one of these when its backend is first used. The core reaches arrays only
through it: ``xp`` (the namespace the op rules are written against), dtype mapping, devices and
conversion to and from other libraries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ad_core import dtypes as _dt
from ad_core.dtypes import DType
from ad_core.errors import BackendError, DTypeError

__all__ = ["Backend"]


def _default_to_numpy(array: Any) -> np.ndarray:
    try:
        return np.from_dlpack(array)
    except (TypeError, BufferError, RuntimeError, AttributeError):
        return np.asarray(array)


class Backend:
    """One array library as ad_core sees it.

    Parameters
    ----------
    name:
        The name users select it by (``ad.set_backend(name)``).
    xp:
        The library's Array API namespace (wrapped by array-api-compat where needed).
    array_types:
        The array classes of this library, used to recognise its arrays.
    default_device:
        The device arrays are created on when none is given.
    devices:
        Returns the devices present (a callable, so that probing waits until it is asked).
    parse_device:
        Turns a user's device spec (``"cuda:0"``, a native device object) into a native device.
    to_numpy:
        Copies an array of this backend into a NumPy array (host memory).
    multi_device:
        Whether arrays of this backend may live on different devices, so ops must check.
    native_dtypes:
        Native dtypes the namespace does not expose under their standard name (torch's bfloat16).
    """

    __slots__ = (
        "name", "xp", "array_types", "default_device", "multi_device",
        "_devices", "_parse_device", "_to_numpy", "_device_of",
        "to_native", "from_native", "_native_types", "floating_natives", "rule_xp", "__weakref__",
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        xp: Any,
        *,
        array_types: tuple[type, ...],
        default_device: Any = None,
        devices: Callable[[], list[Any]] | None = None,
        parse_device: Callable[[Any], Any] | None = None,
        device_of: Callable[[Any], Any] | None = None,
        to_numpy: Callable[[Any], np.ndarray] | None = None,
        multi_device: bool = False,
        native_dtypes: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.xp = xp
        self.array_types = array_types
        self.multi_device = multi_device
        self._devices = devices
        self._parse_device = parse_device
        self._to_numpy = to_numpy or _default_to_numpy
        if device_of is None:
            import array_api_compat

            device_of = array_api_compat.device
        self._device_of = device_of
        self.to_native: dict[DType, Any] = {}
        self.from_native: dict[Any, DType] = {}
        extra = dict(native_dtypes or {})
        for dtype in _dt.ALL_DTYPES:
            native = extra.get(dtype.name, getattr(xp, dtype.name, None))
            if native is None:
                continue
            try:
                probe = xp.empty((0,), dtype=native, device=default_device).dtype
            except Exception:  # the library names the dtype but cannot make arrays of it here
                continue
            self.to_native[dtype] = native
            self.from_native[probe] = dtype
            self.from_native.setdefault(native, dtype)
        # the types of the native dtype objects: another library's dtype is never looked up among
        # them (array-api-strict warns when its dtypes are compared with NumPy's)
        self._native_types = frozenset(type(d) for d in self.from_native)
        #: The native dtypes of real floating arrays: the results that may carry history.
        self.floating_natives = frozenset(n for n, d in self.from_native.items() if d.is_floating)
        self.default_device = default_device
        #: ``xp`` extended with the registered ops; set by the ops layer on first use.
        self.rule_xp: Any = None

    # -- dtypes -------------------------------------------------------------------------------

    def dtype_of(self, array: Any) -> DType:
        """The ad_core :class:`DType` of one of this backend's arrays."""
        return self.from_native[array.dtype]

    def native_dtype(self, dtype: Any) -> Any:
        """This backend's dtype object for ``dtype`` (a DType, its name, or a native dtype)."""
        if dtype is None:
            return None
        if isinstance(dtype, str):
            dtype = _dt.dtype_from_name(dtype)
        if isinstance(dtype, DType):
            try:
                return self.to_native[dtype]
            except KeyError:
                have = ", ".join(d.name for d in self.to_native)
                raise DTypeError(
                    f"backend {self.name!r} has no {dtype.name}; it has: {have}"
                ) from None
        if type(dtype) in self._native_types and dtype in self.from_native:
            return dtype
        named = _foreign_dtype(dtype)
        if named is not None:  # another library's dtype: the same dtype here, by name
            return self.native_dtype(named)
        raise DTypeError(f"{dtype!r} is not a dtype that backend {self.name!r} understands")

    def supports(self, dtype: DType | str) -> bool:
        """Whether this backend can hold arrays of ``dtype``."""
        if isinstance(dtype, str):
            dtype = _dt.dtype_from_name(dtype)
        return dtype in self.to_native

    # -- devices ------------------------------------------------------------------------------

    def devices(self) -> list[Any]:
        """The devices this backend can place arrays on, here and now."""
        return list(self._devices()) if self._devices else [self.default_device]

    def device(self, spec: Any = None) -> Any:
        """The native device for a user's device spec; ``None`` means the default device."""
        if spec is None:
            return self.default_device
        if self._parse_device is not None:
            try:
                return self._parse_device(spec)
            except BackendError:
                raise
            except Exception as exc:
                raise BackendError(
                    f"backend {self.name!r} cannot use device {spec!r}: {exc}"
                ) from exc
        if spec in self.devices() or str(spec) in {str(d) for d in self.devices()}:
            return self.default_device if str(spec) == str(self.default_device) else spec
        raise BackendError(
            f"backend {self.name!r} has no device {spec!r}; it has: {self.devices()}"
        )

    def device_of(self, array: Any) -> Any:
        """The device one of this backend's arrays lives on."""
        return self._device_of(array)

    # -- arrays -------------------------------------------------------------------------------

    def owns(self, array: Any) -> bool:
        """Whether ``array`` is an array of this backend's library."""
        return isinstance(array, self.array_types)

    def asarray(self, data: Any, dtype: Any = None, device: Any = None,
                copy: bool | None = None) -> Any:
        """Make an array of this backend from Python data, a NumPy array or its own array;
        ``copy`` as in the standard's ``asarray`` (None: copy only where needed)."""
        native = self.native_dtype(dtype)
        dev = self.device(device) if device is not None else None
        if dev is None and not self.owns(data):
            dev = self.default_device
        if getattr(data, "requires_grad", False) and self.owns(data):  # a torch tensor in torch's
            data = data.detach()  # graph: ad_core records its own, and torch's would grow forever
        return self.xp.asarray(data, dtype=native, device=dev, copy=copy)

    def to_numpy(self, array: Any) -> np.ndarray:
        """A NumPy copy (or view, where the memory allows) of one of this backend's arrays."""
        return self._to_numpy(array)

    def from_foreign(self, array: Any, source: Backend, device: Any = None,
                     copy: bool = False) -> Any:
        """Bring an array of another backend here: DLPack where both allow it, else via NumPy.
        DLPack shares memory with ``array``; ``copy=True`` makes the result independent of it."""
        dev = self.device(device)
        try:
            moved = self.xp.from_dlpack(array)
            if self.multi_device and self.device_of(moved) != dev:
                moved = self.xp.asarray(moved, device=dev)
            elif copy:
                moved = self.xp.asarray(moved, copy=True)
            return moved
        except Exception:  # DLPack refuses across devices or libraries that lack it
            return self.xp.asarray(source.to_numpy(array), device=dev, copy=True if copy else None)

    def __repr__(self) -> str:
        return f"<ad_core backend {self.name!r}>"

    def describe(self) -> dict[str, Any]:
        """A short summary for ``python -m ad_core info`` and bug reports."""
        return {
            "name": self.name,
            "namespace": getattr(self.xp, "__name__", repr(self.xp)),
            "devices": [str(d) for d in self.devices()],
            "dtypes": [d.name for d in self.to_native],
        }

    @staticmethod
    def dtypes_named(names: Iterable[str]) -> list[DType]:
        """The :class:`DType` objects for a list of names."""
        return [_dt.dtype_from_name(n) for n in names]


def _foreign_dtype(dtype: Any) -> DType | None:
    """The :class:`DType` another library's dtype object stands for, read by its name
    (``np.float32``, ``np.dtype("int8")``, ``torch.float64``, ``array_api_strict.bool``), so that
    ``dtype=np.float32`` means float32 on every backend; None if ``dtype`` names none."""
    name = getattr(dtype, "name", None)  # NumPy and CuPy dtype objects
    if not isinstance(name, str):
        if isinstance(dtype, type) and issubclass(dtype, np.generic):  # NumPy's scalar types
            name = np.dtype(dtype).name
        else:  # torch.float32, array_api_strict.float32
            name = str(dtype).rpartition(".")[2]
    try:
        return _dt.dtype_from_name(name)
    except DTypeError:
        return None
