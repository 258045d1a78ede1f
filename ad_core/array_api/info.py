"""Array API data-type functions and the inspection API, answered from ad_core's dtypes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ad_core import dtypes as _dt
from ad_core.autograd.tensor import Tensor
from ad_core.backends.selection import current
from ad_core.dtypes import DType

__all__ = ["can_cast", "finfo", "iinfo", "isdtype", "result_type", "__array_namespace_info__"]


def _dtype(x: Any) -> DType:
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, DType):
        return x
    if isinstance(x, str):
        return _dt.dtype_from_name(x)
    return current()[0].from_native[x]


@dataclass(frozen=True)
class finfo_object:  # noqa: N801 - the standard's name
    """Machine limits of a floating dtype."""

    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: DType


@dataclass(frozen=True)
class iinfo_object:  # noqa: N801 - the standard's name
    """Machine limits of an integer dtype."""

    bits: int
    max: int
    min: int
    dtype: DType


def finfo(type: Any, /) -> finfo_object:  # noqa: A002 - the standard's name
    """Limits of a floating dtype (``eps``, ``max``, ...)."""
    d = _dtype(type)
    if d == _dt.bfloat16:
        return finfo_object(16, 2.0**-7, 3.3895313892515355e38, -3.3895313892515355e38,
                            1.1754943508222875e-38, d)
    f = np.finfo(d.name)
    return finfo_object(int(f.bits), float(f.eps), float(f.max), float(f.min),
                        float(f.smallest_normal), d)


def iinfo(type: Any, /) -> iinfo_object:  # noqa: A002 - the standard's name
    """Limits of an integer dtype."""
    d = _dtype(type)
    i = np.iinfo(d.name)
    return iinfo_object(int(i.bits), int(i.max), int(i.min), d)


_KINDS = {
    "bool": ("bool",),
    "signed integer": ("signed integer",),
    "unsigned integer": ("unsigned integer",),
    "integral": ("signed integer", "unsigned integer"),
    "real floating": ("real floating",),
    "complex floating": ("complex floating",),
    "numeric": ("signed integer", "unsigned integer", "real floating", "complex floating"),
}


def isdtype(dtype: Any, kind: Any) -> bool:
    """Whether ``dtype`` is of ``kind`` (a dtype, a kind name, or a tuple of either)."""
    d = _dtype(dtype)
    if isinstance(kind, tuple):
        return any(isdtype(d, k) for k in kind)
    if isinstance(kind, str) and kind in _KINDS:
        return d.kind in _KINDS[kind]
    return d == _dtype(kind)


def result_type(*arrays_and_dtypes: Any) -> DType:
    """The dtype the standard's promotion rules give for these arrays and dtypes."""
    backend = next((a._backend for a in arrays_and_dtypes if isinstance(a, Tensor)), None)
    backend = backend or current()[0]
    natives = []
    for a in arrays_and_dtypes:
        if isinstance(a, Tensor):
            natives.append(a._array.dtype)
        elif isinstance(a, int | float | complex):
            natives.append(a)
        else:
            natives.append(backend.native_dtype(_dtype(a)))
    return backend.from_native[backend.xp.result_type(*natives)]


def can_cast(from_: Any, to: Any, /) -> bool:
    """Whether the standard allows casting ``from_`` to ``to`` by promotion."""
    backend = from_._backend if isinstance(from_, Tensor) else current()[0]
    src = from_._array.dtype if isinstance(from_, Tensor) else backend.native_dtype(_dtype(from_))
    return bool(backend.xp.can_cast(src, backend.native_dtype(_dtype(to))))


class _Info:
    """The standard's inspection API for ad_core's namespace (the backend in force)."""

    def capabilities(self) -> dict[str, Any]:
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": None}

    def default_device(self) -> Any:
        return current()[1]

    def devices(self) -> list[Any]:
        return current()[0].devices()

    def default_dtypes(self, *, device: Any = None) -> dict[str, DType]:
        be = current()[0]
        info = be.xp.__array_namespace_info__().default_dtypes()
        return {k: be.from_native[v] for k, v in info.items() if v in be.from_native}

    def dtypes(self, *, device: Any = None, kind: Any = None) -> dict[str, DType]:
        return {d.name: d for d in current()[0].to_native
                if kind is None or isdtype(d, kind)}


def __array_namespace_info__() -> _Info:
    """The standard's inspection API."""
    return _Info()
