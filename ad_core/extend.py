"""Everything a plugin author imports from ad_core, and nothing else.

>>> from ad_core.extend import hookimpl, unbroadcast
>>> callable(hookimpl)
True

A plugin implements the hooks in :mod:`ad_core.hooks.hookspecs` with :data:`hookimpl`, writes its
rules against the ``xp`` namespace they receive, and uses the helpers below; built-in plugins
import from this module only, exactly like third-party ones.
"""

from ad_core import array_api, random
from ad_core.autograd.tensor import Tensor
from ad_core.backends.backend import Backend
from ad_core.dtypes import DType
from ad_core.errors import DTypeError, PluginError, ShapeError
from ad_core.hooks.manager import hookimpl
from ad_core.nn.module import Module, Parameter
from ad_core.ops.example import Example
from ad_core.ops.helpers import (
    broadcast_shapes,
    normalize_axis,
    restore_reduced,
    unbroadcast,
    where_zero,
    zeros_like,
)
from ad_core.ops.jvp_rules import elementwise_jvp, linear_jvp, multilinear_jvp
from ad_core.ops.op import DOMAINS
from ad_core.optim import LRScheduler, Optimizer

__all__ = [
    "DOMAINS",
    "Backend",
    "DType",
    "DTypeError",
    "Example",
    "LRScheduler",
    "Module",
    "Optimizer",
    "Parameter",
    "PluginError",
    "ShapeError",
    "Tensor",
    "array_api",
    "broadcast_shapes",
    "elementwise_jvp",
    "hookimpl",
    "linear_jvp",
    "multilinear_jvp",
    "normalize_axis",
    "random",
    "restore_reduced",
    "unbroadcast",
    "where_zero",
    "zeros_like",
]
