"""ad_core's differentiable Array API namespace.

``Tensor.__array_namespace__()`` returns this module, so code written against the standard
(``xp = array_api_compat.array_namespace(x)``) records the graph when handed ad_core tensors,
on whatever backend holds them. Dtypes, constants, creation and data-type functions are defined
here; every other function is a registered op, looked up by name from the op registry, so ops
that third-party plugins add appear here too.

>>> import ad_core as ad
>>> xp = ad.tensor([1.0]).__array_namespace__()
>>> xp.exp(ad.tensor([0.0])).tolist()
[1.0]
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.array_api.creation import (
    arange,
    asarray,
    empty,
    empty_like,
    eye,
    from_dlpack,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from ad_core.array_api.info import (
    __array_namespace_info__,
    can_cast,
    finfo,
    iinfo,
    isdtype,
    result_type,
)
from ad_core.array_api.sets import nonzero, unique_all, unique_counts, unique_inverse
from ad_core.array_api.several import broadcast_arrays, broadcast_shapes, meshgrid, unstack
from ad_core.autograd.recording import function_for
from ad_core.dtypes import (
    bfloat16,
    bool,
    complex64,
    complex128,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ad_core.ops.registry import ModuleCache, get_op

__array_api_version__ = "2024.12"

e = math.e
pi = math.pi
inf = math.inf
nan = math.nan
newaxis = None

__all__ = [
    "__array_api_version__", "__array_namespace_info__",
    "arange", "asarray", "empty", "empty_like", "eye", "from_dlpack", "full", "full_like",
    "linspace", "ones", "ones_like", "zeros", "zeros_like",
    "broadcast_arrays", "broadcast_shapes", "meshgrid", "unstack",
    "nonzero", "unique_all", "unique_counts", "unique_inverse",
    "can_cast", "finfo", "iinfo", "isdtype", "result_type",
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "bfloat16", "float32", "float64", "complex64", "complex128",
    "e", "pi", "inf", "nan", "newaxis",
]  # fmt: skip


_resolved = ModuleCache(globals())


def __getattr__(name: str) -> Any:
    """Every registered op, as a function over tensors (``exp``, ``matmul``, a plugin's op).

    The first lookup of a name resolves it through the op registry and keeps the function as a
    module attribute, so later lookups cost what any attribute does; the cache is dropped
    whenever plugins add or remove ops.
    """
    if name.startswith("__"):
        raise AttributeError(name)
    return _resolved.keep(name, function_for(get_op(name)))


def __dir__() -> list[str]:
    from ad_core.ops.registry import OPS

    try:
        get_op("add")  # loads the plugins
    except Exception:
        pass
    return sorted(set(__all__) | set(OPS))
