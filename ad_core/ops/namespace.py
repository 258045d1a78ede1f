"""The namespace first-order rules receive: a backend's own, plus every registered op.

Rules call other ops through ``xp`` (``xp.scatter_add(g, key=key, shape=shape)``: inputs
positional, params as keywords, as the forward rule takes them). In a recorded backward pass
``xp`` is ad_core's differentiable namespace, where every op exists; on the fast first-order
path it is this wrapper, where a standard function comes straight from the backend and any other
name runs the op's forward rule (the backend's override where one is registered). Lookups are
cached on the instance, so after the first call an attribute costs what a module attribute does.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any

from ad_core.ops.registry import OPS, get_op, on_change

__all__ = ["RuleNamespace", "rule_namespace", "invalidate"]

_LIVE: weakref.WeakSet[RuleNamespace] = weakref.WeakSet()

#: The functions of the Array API standard (2024.12), taken from the backend itself. Any other
#: name is a registered op: a library's own extras (torch's ``index_add``) never shadow an op.
STANDARD_FUNCTIONS = frozenset("""
    abs acos acosh add all any arange argmax argmin argsort asarray asin asinh astype atan
    atan2 atanh bitwise_and bitwise_invert bitwise_left_shift bitwise_or bitwise_right_shift
    bitwise_xor broadcast_arrays broadcast_shapes broadcast_to can_cast ceil clip concat conj
    copysign cos cosh count_nonzero cumulative_prod cumulative_sum diff divide empty empty_like
    equal exp expand_dims expm1 eye finfo flip floor floor_divide from_dlpack full full_like
    greater greater_equal hypot iinfo imag isdtype isfinite isin isinf isnan less less_equal
    linspace log log10 log1p log2 logaddexp logical_and logical_not logical_or logical_xor
    matmul matrix_transpose max maximum mean meshgrid min minimum moveaxis multiply negative
    nextafter nonzero not_equal ones ones_like permute_dims positive pow prod real reciprocal
    remainder repeat reshape result_type roll round searchsorted sign signbit sin sinh sort
    sqrt square squeeze stack std subtract sum take take_along_axis tan tanh tensordot tile
    tril triu trunc unique_all unique_counts unique_inverse unique_values unstack var vecdot
    where zeros zeros_like
    """.split())


class RuleNamespace:
    """``backend.xp`` extended with the registered ops, for rules to call."""

    def __init__(self, backend: Any) -> None:
        self.__dict__["_backend"] = backend
        self.__dict__["_xp"] = backend.xp
        _LIVE.add(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        own = name in STANDARD_FUNCTIONS or name not in OPS
        value = getattr(self._xp, name, None) if own else None
        if value is None:
            op = get_op(name)
            forward = (op.kernels.get(self._backend.name) or op.generic)[0]
            value = functools.partial(forward, self)
        self.__dict__[name] = value
        return value

    def __repr__(self) -> str:
        return f"<rule namespace of backend {self._backend.name!r}>"


def rule_namespace(backend: Any) -> RuleNamespace:
    """The (cached) rule namespace of ``backend``."""
    ns = backend.rule_xp
    if ns is None:
        ns = backend.rule_xp = RuleNamespace(backend)
    return ns


def invalidate() -> None:
    """Forget cached lookups (after plugins register or unregister ops or overrides)."""
    for ns in list(_LIVE):
        keep = {k: ns.__dict__[k] for k in ("_backend", "_xp")}
        ns.__dict__.clear()
        ns.__dict__.update(keep)


on_change(invalidate)
