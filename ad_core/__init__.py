"""ad_core: reverse-mode automatic differentiation over any Array API backend.

>>> import ad_core as ad
>>> x = ad.tensor([0.5, 1.0], requires_grad=True)
>>> y = ad.tanh(x).sum()
>>> y.backward()
>>> [round(v, 4) for v in x.grad.tolist()]
[0.7864, 0.42]

The layers, each a subpackage: ``backends`` (array libraries), ``ops`` (primitives and their
registry), ``autograd`` (tensors, recording, backward, transforms), ``array_api`` (the
differentiable namespace), ``hooks`` (plugin specifications and loading), ``testing``
(gradient checking). Plugin authors import :mod:`ad_core.extend`.
"""

from __future__ import annotations

from typing import Any

from ad_core import (
    array_api,
    backends,
    data,
    dtypes,
    errors,
    init,
    losses,
    nn,
    optim,
    random,
)
from ad_core.autograd import (
    Tensor,
    as_tensor,
    enable_grad,
    grad,
    hessian,
    hvp,
    is_grad_enabled,
    jacobian,
    jvp,
    no_grad,
    set_grad_enabled,
    tensor,
    to_numpy,
    value_and_grad,
    vjp,
)
from ad_core.autograd.linearize import linearize
from ad_core.backends import available_backends, backend, get_backend, get_device, set_backend
from ad_core.checkpoint import load, save
from ad_core.dtypes import DType, bfloat16, float16, float32, float64, int32, int64
from ad_core.hooks import (
    plugin_errors,
    plugin_reports,
    register_plugin,
    unregister_plugin,
)
from ad_core.ops.registry import ModuleCache

__version__ = "0.1.0"

__all__ = [
    "DType",
    "Tensor",
    "__version__",
    "array_api",
    "as_tensor",
    "available_backends",
    "backend",
    "backends",
    "data",
    "bfloat16",
    "dtypes",
    "enable_grad",
    "errors",
    "init",
    "losses",
    "nn",
    "optim",
    "random",
    "float16",
    "float32",
    "float64",
    "get_backend",
    "get_device",
    "grad",
    "hessian",
    "hvp",
    "int32",
    "int64",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "linearize",
    "load",
    "no_grad",
    "plugin_errors",
    "plugin_reports",
    "register_plugin",
    "save",
    "set_backend",
    "set_grad_enabled",
    "tensor",
    "to_numpy",
    "unregister_plugin",
    "value_and_grad",
    "vjp",
]


_resolved = ModuleCache(globals())


def __getattr__(name: str) -> Any:
    """The differentiable namespace's functions at top level: ``ad.sin``, ``ad.matmul``, ...

    Resolved names are kept as module attributes until plugins add or remove ops.
    """
    if name.startswith("__"):
        raise AttributeError(name)
    return _resolved.keep(name, getattr(array_api, name))


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(dir(array_api)))
