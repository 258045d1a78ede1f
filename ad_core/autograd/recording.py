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

import numpy as np

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
#: The arguments apply hands to the rules as they are: tensors aside, Python numbers of exactly
#: these types. A NumPy scalar (even ``np.float64``, a subclass of float) is turned into the
#: Python number it holds first, so that it never promotes a float32 tensor, as in torch.
PLAIN = frozenset((int, float, bool, complex, type(None)))

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
        elif type(a) in PLAIN:
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
            if type(value) is DType or (key == "dtype" and value is not None):
                params = {**params, key: backend.native_dtype(value)}
    forward, vjps = op.kernels.get(backend.name) or op.generic
    try:
        out = forward(backend.rule_xp or rule_namespace(backend), *arrays, **params)
    except ADCoreError:
        raise
    except Exception as exc:
        raise _failure(op, backend, args, params, exc) from exc
    # only floating results carry history (as in torch): an integer or boolean result, such as a
    # cast astype(x, int32) or sum(x, dtype=int64), is piecewise constant in its inputs
    if (record and vjps is not None and GRAD_ENABLED.get()
            and out.dtype in backend.floating_natives):
        node = Node(op, vjps, tuple(parents), tuple(arrays), out, params, backend)
        return Tensor._make(out, backend, node, True)
    return Tensor._make(out, backend, None, False)


def _coerce(op: Op, args: tuple[Any, ...], like: Tensor | None) -> tuple[Any, ...]:
    """Turn non-tensor array-likes into tensors on ``like``'s backend (or the one in force), and
    NumPy scalars next to a tensor into Python numbers."""
    from ad_core.autograd.creation import tensor

    if like is None:
        like = next((a for a in args if isinstance(a, Tensor)), None)
    if like is not None:
        args = tuple(_python_number(a) for a in args)
    if like is None:
        if all(a is None or isinstance(a, _SCALARS) for a in args):
            out = list(args)
            for i, a in enumerate(args):
                if a is not None:
                    out[i] = tensor(a)
                    break
            else:  # nothing to make a tensor of: apply would come back here forever
                raise OpTypeError(f"{op.name} (plugin {op.plugin!r}): no array among the inputs "
                                  f"({_describe(args)})")
            return tuple(out)
        return tuple(a if a is None or isinstance(a, (*_SCALARS, Tensor)) else tensor(a) for a in args)
    return tuple(
        a if a is None or isinstance(a, (*_SCALARS, Tensor))
        else tensor(a, backend=like._backend.name, device=like.device)
        for a in args
    )


def _python_number(a: Any) -> Any:
    """``a`` as a plain Python number if it is a NumPy scalar or a subclass of one; else ``a``."""
    if type(a) in PLAIN or isinstance(a, Tensor):
        return a
    if isinstance(a, bool | np.bool_):
        return bool(a)
    if isinstance(a, int | np.integer):
        return int(a)
    if isinstance(a, float | np.floating):
        return float(a)
    if isinstance(a, complex | np.complexfloating):
        return complex(a)
    return a


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


def _misfit(op: Op, signature: Callable[..., Any], exc: TypeError) -> TypeError:
    """A call that does not fit the op's signature (``x.sum(0)``, ``reshape(x, 2, 2)``): Python's
    message with the op's name for the signature function's, and the op's usage line."""
    message = str(exc).replace(f"{signature.__name__}()", f"{op.name}()")
    first = (signature.__doc__ or "").strip().split("\n", 1)[0]
    usage = first.split(":", 1)[0] if first.startswith(f"{op.name}(") else ""
    return TypeError(f"{message}; usage: {usage}" if usage else message)


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
            try:
                inputs, params = signature(*args, **kwargs)
            except TypeError as exc:
                if exc.__traceback__ is None or exc.__traceback__.tb_next is not None:
                    raise  # raised inside the signature, which names the op itself
                raise _misfit(op, signature, exc) from None
            return apply(op, inputs, params)

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = op.doc or (signature.__doc__ if signature else None) or op.forward.__doc__
    fn.__module__ = "ad_core.array_api"
    op.function = fn
    return fn


from ad_core.autograd import forward as _forward  # noqa: E402 - forward mode calls apply
