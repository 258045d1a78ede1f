"""Moving a tensor between backends and devices, with gradients flowing back the same way."""

from __future__ import annotations

from typing import Any

from ad_core.autograd.grad_mode import GRAD_ENABLED
from ad_core.autograd.node import Node
from ad_core.autograd.tensor import Tensor
from ad_core.backends.registry import load_backend
from ad_core.ops.op import Op

__all__ = ["transfer"]


def _move(xp: Any, x: Any, *, source: Any, target: Any, device: Any) -> Any:
    if source is target:
        return target.xp.asarray(x, device=device)
    return target.from_foreign(x, source, device)


def _move_back(xp: Any, g: Any, ans: Any, x: Any, *, source: Any, target: Any, device: Any) -> Any:
    home = source.device_of(x._array if isinstance(x, Tensor) else x)
    if isinstance(g, Tensor):
        return transfer(g, source.name, home)
    return _move(None, g, source=target, target=source, device=home)


def _move_tangent(xp: Any, tangents: Any, ans: Any, x: Any, *, source: Any, target: Any,
                  device: Any) -> Any:
    """A move is linear: the tangent moves as the value does (``linearize`` needs this rule; the
    one derived from the VJP would run on the wrong backend)."""
    t = tangents[0]
    if isinstance(t, Tensor):
        return transfer(t, target.name, device)
    return _move(None, t, source=source, target=target, device=device)


#: The move itself as an op; it lives in the core because its output changes backend.
TRANSFER = Op("to", _move, [_move_back], jvp=_move_tangent, plugin="ad_core")


def transfer(t: Tensor, backend: str | None = None, device: Any = None) -> Tensor:
    """``t`` on ``backend`` (default: its own) and ``device`` (default: that backend's default)."""
    if type(t) is not Tensor:  # it carries tangents (forward mode): they move along
        from ad_core.autograd.forward import transfer_dual

        return transfer_dual(t, backend, device)  # type: ignore[arg-type]
    source = t._backend
    target = source if backend is None else load_backend(backend)
    if target is source and device is None:
        return t
    dev = target.device(device)
    if target is source and source.device_of(t._array) == dev:
        return t
    params = {"source": source, "target": target, "device": dev}
    out = _move(None, t._array, **params)
    if t._requires_grad and GRAD_ENABLED.get():
        parent = t if t._node is None else t._node
        node = Node(TRANSFER, TRANSFER.vjp, (parent,), (t._array,), out, params, target)
        return Tensor._make(out, target, node, True)
    return Tensor._make(out, target, None, False)
