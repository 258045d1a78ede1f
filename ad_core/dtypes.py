"""Data types that mean the same thing on every backend.

NumPy, PyTorch and array-api-strict each have their own dtype objects, so generic code cannot
compare ``x.dtype == np.float32`` and run on torch. ad_core gives one :class:`DType` per standard
dtype name; ``Tensor.dtype`` returns it, and every backend maps it to and from its native dtype.
A ``DType`` compares equal to another of the same name and to that name as a string.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "DType",
    "ALL_DTYPES",
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "dtype_from_name",
]


class DType:
    """A backend-independent dtype: a name, a kind and a size in bits."""

    __slots__ = ("name", "kind", "bits")

    def __init__(self, name: str, kind: str, bits: int) -> None:
        self.name = name
        self.kind = kind  # "bool", "signed integer", "unsigned integer", "real floating", "complex floating"
        self.bits = bits

    @property
    def is_floating(self) -> bool:
        """True for the real floating-point dtypes, the only ones gradients flow through."""
        return self.kind == "real floating"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return other.name == self.name
        if isinstance(other, str):
            return other == self.name
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"ad_core.{self.name}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (dtype_from_name, (self.name,))


bool: Final = DType("bool", "bool", 8)  # noqa: A001 - the standard's name
int8: Final = DType("int8", "signed integer", 8)
int16: Final = DType("int16", "signed integer", 16)
int32: Final = DType("int32", "signed integer", 32)
int64: Final = DType("int64", "signed integer", 64)
uint8: Final = DType("uint8", "unsigned integer", 8)
uint16: Final = DType("uint16", "unsigned integer", 16)
uint32: Final = DType("uint32", "unsigned integer", 32)
uint64: Final = DType("uint64", "unsigned integer", 64)
float16: Final = DType("float16", "real floating", 16)
bfloat16: Final = DType("bfloat16", "real floating", 16)
float32: Final = DType("float32", "real floating", 32)
float64: Final = DType("float64", "real floating", 64)
complex64: Final = DType("complex64", "complex floating", 64)
complex128: Final = DType("complex128", "complex floating", 128)

ALL_DTYPES: Final[tuple[DType, ...]] = (
    bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
    float16, bfloat16, float32, float64, complex64, complex128,
)  # fmt: skip

_BY_NAME: Final[dict[str, DType]] = {d.name: d for d in ALL_DTYPES}


def dtype_from_name(name: str) -> DType:
    """The :class:`DType` called ``name`` ("float32", ...); ``DTypeError`` for unknown names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        from ad_core.errors import DTypeError

        raise DTypeError(f"unknown dtype {name!r}; known: {', '.join(_BY_NAME)}") from None
