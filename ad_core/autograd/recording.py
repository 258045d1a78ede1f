"""Recording: apply an op to tensors and, when a gradient is needed, remember how.

This is the hot path of the library. It looks up nothing it could have resolved earlier: the op
object is already in hand, its kernel for a backend is one dict lookup, and the backend object
comes from the first tensor.

Forward mode (:mod:`ad_core.autograd.forward`) costs this path one test of a global set per op,
:data:`LIVE_LEVELS`, which is empty unless some ``ad.jvp`` is running: code that never uses
forward mode pays for nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ad_core.autograd.grad_mode import GRAD_ENABLED
from ad_core.autograd.node import Node
from ad_core.autograd.tensor import Tensor
from ad_core.dtypes import DType
from ad_core.errors import (
    ADCoreError,
    BackendMismatchError,
    DeviceMismatchError,
    OpError,
    OpIndexError,
    OpTypeError,
    OpValueError,
    ShapeError,
)
from ad_core.ops.helpers import broadcast_shapes
from ad_core.ops.namespace import rule_namespace
from ad_core.ops.op import Op

__all__ = ["apply", "function_for", "LIVE_LEVELS"]

_SCALARS = (int, float, bool, complex)

#: The levels of the ``ad.jvp`` calls running now, in any thread. Empty (falsy) unless forward mode
#: is in use; then tensors may carry tangents, and :func:`apply` hands them to forward mode.
LIVE_LEVELS: set[int] = set()


def apply(op: Op, args: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
    """Run ``op`` on ``args`` (tensors and Python scalars) and record it if a gradient is needed."""
    if LIVE_LEVELS:  # a jvp is running: some argument may carry a tangent to push forward
        dual = _forward.apply_dual(op, args, params)
        if dual is not None:
            return dual
    backend = None
    first = None
    others = False  # a second tensor argument, whose device must match the first's
    record = False
    arrays = []
    parents = []
    for a in args:
        if isinstance(a, Tensor):
            if backend is None:
                backend = a._backend
                first = a
            elif a._backend is not backend:
                raise BackendMismatchError(
                    f"{op.name}: inputs live on different backends: {backend.name!r} and "
                    f"{a._backend.name!r}; move one with .to(backend=...)"
                )
            else:
                others = True
            arrays.append(a._array)
            if a._requires_grad:
                record = True
                parents.append(a if a._node is None else a._node)
            else:
                parents.append(None)
        elif a is None or isinstance(a, _SCALARS):
            arrays.append(a)
            parents.append(None)
        else:
            return apply(op, _coerce(op, args, first), params)
    if backend is None:
        return apply(op, _coerce(op, args, None), params)
    if others and backend.multi_device:
        _check_devices(op, backend, args)
    if params:
        for key, value in params.items():
            if type(value) is DType or (key == "dtype" and type(value) is str):
                params = {**params, key: backend.native_dtype(value)}
    forward, vjps = op.kernels.get(backend.name) or op.generic
    try:
        out = forward(backend.rule_xp or rule_namespace(backend), *arrays, **params)
    except ADCoreError:
        raise
    except Exception as exc:
        raise _failure(op, backend, args, params, exc) from exc
    if record and vjps is not None and GRAD_ENABLED.get():
        node = Node(op, vjps, tuple(parents), tuple(arrays), out, params, backend)
        return Tensor._make(out, backend, node, True)
    return Tensor._make(out, backend, None, False)


def _coerce(op: Op, args: tuple[Any, ...], like: Tensor | None) -> tuple[Any, ...]:
    """Turn non-tensor array-likes into tensors on ``like``'s backend (or the one in force)."""
    from ad_core.autograd.creation import tensor

    if like is None:
        if all(a is None or isinstance(a, _SCALARS) for a in args):
            out = list(args)
            for i, a in enumerate(args):
                if a is not None:
                    out[i] = tensor(a)
                    break
            return tuple(out)
        return tuple(a if a is None or isinstance(a, (*_SCALARS, Tensor)) else tensor(a) for a in args)
    return tuple(
        a if a is None or isinstance(a, (*_SCALARS, Tensor))
        else tensor(a, backend=like._backend.name, device=like.device)
        for a in args
    )


def _check_devices(op: Op, backend: Any, args: tuple[Any, ...]) -> None:
    devices = [(a, backend.device_of(a._array)) for a in args if isinstance(a, Tensor)]
    first = devices[0][1]
    for _, dev in devices[1:]:
        if dev != first:
            raise DeviceMismatchError(
                f"{op.name}: inputs live on different devices of backend {backend.name!r}: "
                f"{first} and {dev}; move one with .to(device=...)"
            )


def _describe(args: tuple[Any, ...]) -> str:
    parts = []
    for a in args:
        if isinstance(a, Tensor):
            parts.append(f"{a.dtype.name}{list(a.shape)}")
        else:
            parts.append(repr(a))
    return ", ".join(parts)


def _failure(op: Op, backend: Any, args: tuple[Any, ...], params: dict[str, Any],
             exc: Exception) -> ADCoreError:
    """An error that names the op, its inputs and the backend, in place of the backend's own."""
    shapes = [a.shape for a in args if isinstance(a, Tensor)]
    if op.explain is not None:
        try:
            message = op.explain(*args, **params)
        except Exception:
            message = None
        if message:
            return ShapeError(f"{op.name}: {message}")
    if op.elementwise and len(shapes) > 1:
        try:
            broadcast_shapes(*shapes, op=op.name)
        except ShapeError as err:
            return err
    extra = f" with {params}" if params else ""
    kind = (OpIndexError if isinstance(exc, IndexError) else OpTypeError
            if isinstance(exc, TypeError) else OpValueError if isinstance(exc, ValueError)
            else OpError)
    return kind(
        f"{op.name} (plugin {op.plugin!r}) failed on backend {backend.name!r} for inputs "
        f"({_describe(args)}){extra}: {type(exc).__name__}: {exc}"
    )


def function_for(op: Op) -> Callable[..., Tensor]:
    """The user-facing function of ``op`` (``ad.exp``), made once and cached on the op."""
    fn = op.function
    if fn is not None:
        return fn
    signature = op.signature
    if signature is None:

        def fn(*args: Any, **params: Any) -> Tensor:
            return apply(op, args, params)

    else:

        def fn(*args: Any, **kwargs: Any) -> Tensor:
            inputs, params = signature(*args, **kwargs)
            return apply(op, inputs, params)

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.doc or (signature.__doc__ if signature else None) or op.forward.__doc__
    fn.__module__ = "ad_core.array_api"
    op.function = fn
    return fn


from ad_core.autograd import forward as _forward  # noqa: E402 - forward mode calls apply
