"""`Tensor`: a backend array plus the node that made it.

A tensor never names an array library: its ``array`` belongs to whichever backend made it, and
every operator goes through an op that a plugin registered. Leaf tensors created with
``requires_grad=True`` receive gradients in ``.grad``; tensors computed from them carry a
:class:`~ad_core.autograd.node.Node` recording how.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ad_core.autograd.conversion import TensorConversions
from ad_core.dtypes import DType
from ad_core.errors import BackendMismatchError, DTypeError, GradientError, ShapeError
from ad_core.ops.registry import OPS, get_op

if TYPE_CHECKING:
    from ad_core.autograd.node import Node
    from ad_core.backends.backend import Backend

__all__ = ["Tensor"]

_EMPTY: dict[str, Any] = {}


def _call(name: str, *args: Any) -> Tensor:
    """Apply the registered op ``name``: the path every operator takes."""
    op = OPS.get(name) or get_op(name)
    if op.signature is None:
        return _apply(op, args, _EMPTY)
    from ad_core.autograd.recording import function_for

    return function_for(op)(*args)


class Tensor(TensorConversions):
    """An n-dimensional array on some backend that can take part in differentiation.

    Create tensors with :func:`ad_core.tensor`; the constructor is for internal use. Its ways
    out to Python, NumPy and DLPack are in :class:`~ad_core.autograd.conversion.TensorConversions`.
    """

    __slots__ = ("_array", "_backend", "_node", "_requires_grad", "_grad", "__weakref__")
    __array_priority__ = 1000  # NumPy defers its binary operators to ours

    _array: Any
    _backend: Backend
    _node: Node | None
    _requires_grad: bool
    _grad: Tensor | None

    @classmethod
    def _make(cls, array: Any, backend: Backend, node: Node | None, requires_grad: bool) -> Tensor:
        t = object.__new__(cls)
        t._array = array
        t._backend = backend
        t._node = node
        t._requires_grad = requires_grad
        t._grad = None
        return t

    # -- what it is ----------------------------------------------------------------------------

    @property
    def array(self) -> Any:
        """The raw backend array (no history)."""
        return self._array

    @property
    def backend(self) -> Backend:
        """The :class:`~ad_core.backends.Backend` holding this tensor."""
        return self._backend

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape, as a tuple of ints."""
        return tuple(self._array.shape)

    @property
    def dtype(self) -> DType:
        """The backend-independent :class:`~ad_core.dtypes.DType`."""
        return self._backend.from_native[self._array.dtype]

    @property
    def device(self) -> Any:
        """The device the data lives on, as the backend's device object."""
        return self._backend.device_of(self._array)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self._array.shape)

    @property
    def size(self) -> int:
        """Number of elements."""
        n = 1
        for d in self._array.shape:
            n *= d
        return n

    @property
    def T(self) -> Tensor:  # noqa: N802 - the standard's name
        """Transpose of a 2-D tensor (the standard defines ``.T`` for 2-D only)."""
        if self.ndim != 2:
            raise ShapeError(f"T: needs a 2-D tensor, got shape {self.shape}; use .mT or permute_dims")
        return _call("permute_dims", self, (1, 0))

    @property
    def mT(self) -> Tensor:  # noqa: N802 - the standard's name
        """Transpose of the last two axes (a stack of matrices)."""
        if self.ndim < 2:
            raise ShapeError(f"mT: needs at least 2 dimensions, got shape {self.shape}")
        axes = (*range(self.ndim - 2), self.ndim - 1, self.ndim - 2)
        return _call("permute_dims", self, axes)

    # -- autograd state -------------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to or through this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Mark a leaf tensor as needing its gradient; only real floating dtypes can."""
        if self._node is not None:
            if not flag:
                raise GradientError(
                    "requires_grad_(False) on a non-leaf tensor; use .detach() to cut its history"
                )
            return self
        if flag and not self.dtype.is_floating:
            raise DTypeError(
                f"only real floating-point tensors can require gradients; this one is {self.dtype.name}"
            )
        self._requires_grad = bool(flag)
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not computed by a recorded op."""
        return self._node is None

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward passes (leaf tensors only)."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
        self._grad = value

    @property
    def grad_fn(self) -> Node | None:
        """The node that produced this tensor, or None for leaves."""
        return self._node

    def backward(
        self, grad: Any = None, retain_graph: bool = False, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        ``grad`` is the cotangent to start from; it may be omitted for a one-element tensor.
        With ``create_graph=True`` the backward pass is itself recorded, for higher derivatives.
        """
        from ad_core.autograd.backward import run_backward

        run_backward([self], [grad], retain_graph=retain_graph or create_graph,
                     create_graph=create_graph)

    @property
    def data(self) -> Tensor:
        """The same data without history; assign to it to replace a tensor's values in place.

        Assigning keeps the tensor's identity, ``requires_grad`` and ``.grad``, which is what a
        parameter update needs (``p.data = p - lr * p.grad``). Graphs recorded earlier keep the
        old values. The new value must have the same shape, dtype and backend.
        """
        return self.detach()

    @data.setter
    def data(self, value: Any) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data: expected a Tensor, got {type(value).__name__}")
        if value._backend is not self._backend:
            raise BackendMismatchError(
                f"data: cannot assign a {value._backend.name!r} tensor to a "
                f"{self._backend.name!r} tensor"
            )
        if value.shape != self.shape or value.dtype != self.dtype:
            raise ShapeError(
                f"data: cannot assign {value.dtype.name}{list(value.shape)} to "
                f"{self.dtype.name}{list(self.shape)}"
            )
        self._array = value._array

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        """``copy.deepcopy``: a leaf's values (a new array on the same backend and device), its
        ``requires_grad`` and a copy of its ``.grad``. As in torch, a tensor with history is
        refused (the copy could not share its graph); deep-copy ``x.detach()`` for its values."""
        if self._node is not None:
            raise GradientError(
                f"deepcopy of a tensor with history (made by {self._node.op.name}); only leaf "
                f"tensors can be deep-copied: copy x.detach() for the values"
            )
        out = Tensor._make(self._backend.xp.asarray(self._array, copy=True), self._backend, None,
                           self._requires_grad)
        memo[id(self)] = out
        if self._grad is not None:
            out._grad = self._grad.__deepcopy__(memo)
        return out

    def detach(self) -> Tensor:
        """The same data without history (shares memory)."""
        return Tensor._make(self._array, self._backend, None, False)

    def zero_grad_(self) -> None:
        """Forget the accumulated gradient."""
        self._grad = None

    __hash__ = object.__hash__

    def __getattr__(self, name: str) -> Any:
        """Every registered op as a method: ``x.sum(axis=0)`` is ``ad.sum(x, axis=0)``."""
        if name.startswith("_"):
            raise AttributeError(f"'Tensor' object has no attribute {name!r}")
        from ad_core.autograd.recording import function_for

        fn = function_for(get_op(name))
        return lambda *args, **kwargs: fn(self, *args, **kwargs)

    # -- operators: each one is a registered op -------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return _call("add", self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _call("add", other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _call("subtract", self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _call("subtract", other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _call("multiply", self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _call("multiply", other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _call("divide", self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _call("divide", other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return _call("floor_divide", self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _call("floor_divide", other, self)

    def __mod__(self, other: Any) -> Tensor:
        return _call("remainder", self, other)

    def __rmod__(self, other: Any) -> Tensor:
        return _call("remainder", other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _call("pow", self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _call("pow", other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _call("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _call("matmul", other, self)

    def __neg__(self) -> Tensor:
        return _call("negative", self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _call("abs", self)

    def __lt__(self, other: Any) -> Tensor:
        return _call("less", self, other)

    def __le__(self, other: Any) -> Tensor:
        return _call("less_equal", self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _call("greater", self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _call("greater_equal", self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        if other is None:  # Python's identity fallback: x == None is False, as in torch
            return NotImplemented
        return _call("equal", self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        if other is None:
            return NotImplemented
        return _call("not_equal", self, other)

    def __invert__(self) -> Tensor:
        return _call("bitwise_invert", self)

    def __and__(self, other: Any) -> Tensor:
        return _call("bitwise_and", self, other)

    def __or__(self, other: Any) -> Tensor:
        return _call("bitwise_or", self, other)

    def __xor__(self, other: Any) -> Tensor:
        return _call("bitwise_xor", self, other)

    def __getitem__(self, key: Any) -> Tensor:
        return _call("getitem", self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TypeError(
            "Tensor does not support item assignment: tensors are immutable (as in JAX), so that "
            "recorded graphs stay valid; build the new values instead, e.g. "
            "ad.where(mask, value, x), or ad.concat of slices"
        )


from ad_core.autograd.recording import apply as _apply  # noqa: E402 - recording needs Tensor
