"""Seeded random numbers that are the same on every backend.

>>> import ad_core as ad
>>> ad.random.seed(0)
>>> a = ad.random.normal((2,), dtype=ad.float64)
>>> ad.random.seed(0)
>>> with ad.backend("array_api_strict"):
...     b = ad.random.normal((2,), dtype=ad.float64)
>>> a.tolist() == b.tolist()
True

**How.** Every number is drawn on the host by NumPy's :class:`numpy.random.Generator` (PCG64) in
float64, rounded there to the requested dtype, and then moved to the backend and device in
force (or the one given). Backends generate nothing themselves, so one seed gives the same
numbers on NumPy, PyTorch, CuPy and array-api-strict, on CPU and GPU: a model initialised on
one backend is bit-for-bit the model initialised on another, and a Dropout mask drawn on a GPU
is the mask drawn on the CPU.

**What it costs.** On a GPU each draw is a host computation plus a host-to-device copy (4 bytes
per float32 value; a million values is about 4 MB, a millisecond or less over PCIe), where the
GPU's own generator would take microseconds without any copy. That is nothing for initialising
parameters, and noticeable only for per-step randomness on large activations (Dropout on wide
layers), where it adds one small copy per forward pass.

The default floating dtype is the backend's own (float64 on ``numpy`` and ``array_api_strict``,
float32 on ``torch``), as for :func:`ad_core.tensor`; pass ``dtype=`` (or ``like=``) where the
dtype matters. Layers and initializers always do, so they are identical across backends.

The module-level functions draw from one process-wide generator, reset by :func:`seed`; a
:class:`Generator` of your own keeps a separate stream.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from ad_core import dtypes as _dt
from ad_core.autograd.creation import tensor
from ad_core.autograd.tensor import Tensor
from ad_core.backends.registry import load_backend
from ad_core.backends.selection import current
from ad_core.dtypes import DType
from ad_core.errors import DTypeError

__all__ = [
    "Generator",
    "bernoulli",
    "default_generator",
    "generator",
    "get_state",
    "integers",
    "normal",
    "orthogonal",
    "permutation",
    "seed",
    "set_state",
    "uniform",
]

Shape = int | Sequence[int]
_HOST_FLOATS = {"float16", "float32", "float64"}


def _shape(shape: Shape) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, int) else tuple(int(n) for n in shape)


class Generator:
    """A stream of random numbers: NumPy's PCG64 on the host, delivered to any backend.

    ``Generator(seed)`` with the same ``seed`` always gives the same sequence, whatever the
    backend. Each method takes ``dtype=``, ``backend=`` and ``device=`` (default: the backend and
    device in force, and that backend's default floating dtype), or ``like=`` a tensor whose
    dtype, backend and device the result takes.

    >>> import ad_core as ad
    >>> g = ad.random.Generator(42)
    >>> g.uniform((3,), low=-1.0, high=1.0, dtype=ad.float32).shape
    (3,)
    """

    __slots__ = ("_rng", "_lock")

    def __init__(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()

    def seed(self, seed: int | None) -> None:
        """Restart the stream from ``seed`` (None: from fresh operating-system entropy)."""
        with self._lock:
            self._rng = np.random.default_rng(seed)

    def get_state(self) -> dict[str, Any]:
        """The generator's state (a dict of plain Python values) for :meth:`set_state`."""
        with self._lock:
            return dict(self._rng.bit_generator.state)

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from a state returned by :meth:`get_state`."""
        with self._lock:
            self._rng.bit_generator.state = state

    # -- distributions -------------------------------------------------------------------------

    def normal(self, shape: Shape = (), mean: float = 0.0, std: float = 1.0, *,
               dtype: Any = None, backend: str | None = None, device: Any = None,
               like: Tensor | None = None) -> Tensor:
        """Samples of the normal distribution with ``mean`` and standard deviation ``std``."""
        if std < 0:
            raise ValueError(f"normal: std must be >= 0, got {std}")
        with self._lock:
            host = self._rng.normal(mean, std, _shape(shape))
        return _deliver(host, dtype, backend, device, like)

    def uniform(self, shape: Shape = (), low: float = 0.0, high: float = 1.0, *,
                dtype: Any = None, backend: str | None = None, device: Any = None,
                like: Tensor | None = None) -> Tensor:
        """Samples of the uniform distribution on ``[low, high)``."""
        if high < low:
            raise ValueError(f"uniform: needs low <= high, got low={low}, high={high}")
        with self._lock:
            host = self._rng.uniform(low, high, _shape(shape))
        return _deliver(host, dtype, backend, device, like)

    def bernoulli(self, p: float, shape: Shape = (), *, dtype: Any = None,
                  backend: str | None = None, device: Any = None,
                  like: Tensor | None = None) -> Tensor:
        """1.0 with probability ``p`` and 0.0 otherwise (floating, like ``torch.bernoulli``)."""
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"bernoulli: p must be in [0, 1], got {p}")
        with self._lock:
            host = (self._rng.random(_shape(shape)) < p).astype(np.float64)
        return _deliver(host, dtype, backend, device, like)

    def integers(self, low: int, high: int, shape: Shape = (), *, dtype: Any = "int64",
                 backend: str | None = None, device: Any = None) -> Tensor:
        """Integers drawn uniformly from ``[low, high)``."""
        with self._lock:
            host = self._rng.integers(low, high, _shape(shape), dtype=np.int64)
        return _deliver_exact(host, dtype, backend, device)

    def permutation(self, n: int, *, dtype: Any = "int64", backend: str | None = None,
                    device: Any = None) -> Tensor:
        """The integers ``0 .. n-1`` in random order (for shuffling)."""
        with self._lock:
            host = self._rng.permutation(int(n)).astype(np.int64)
        return _deliver_exact(host, dtype, backend, device)

    def orthogonal(self, rows: int, cols: int, *, dtype: Any = None, backend: str | None = None,
                   device: Any = None, like: Tensor | None = None) -> Tensor:
        """A random ``rows x cols`` matrix with orthonormal rows or columns (whichever are fewer).

        The Q factor of the QR decomposition of a standard normal matrix, computed on the host,
        with the signs of R's diagonal folded in so that the result is uniformly (Haar)
        distributed; ``torch.nn.init.orthogonal_`` draws the same way.
        """
        if rows < 1 or cols < 1:
            raise ValueError(f"orthogonal: needs at least one row and column, got {rows}x{cols}")
        with self._lock:
            flat = self._rng.standard_normal((rows, cols))
        tall = flat if rows >= cols else flat.T
        q, r = np.linalg.qr(tall)
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
        return _deliver(q if rows >= cols else q.T, dtype, backend, device, like)


def _default_float(backend: Any) -> DType:
    """A backend's default floating dtype (what ``asarray(0.5)`` gives there)."""
    return backend.dtype_of(backend.xp.asarray(0.5))


def _target(dtype: Any, backend: str | None, device: Any, like: Tensor | None) -> tuple[Any, Any, DType]:
    if like is not None:
        be, dev, dt = like.backend, like.device, like.dtype
        if dtype is not None:
            dt = _dt.dtype_from_name(dtype) if isinstance(dtype, str) else dtype
        return be, dev, dt
    if backend is None:
        be, in_force = current()
        dev = in_force if device is None else be.device(device)
    else:
        be = load_backend(backend)
        dev = be.device(device)
    dt = _default_float(be) if dtype is None else (
        _dt.dtype_from_name(dtype) if isinstance(dtype, str) else dtype)
    return be, dev, dt


def _deliver(host: np.ndarray, dtype: Any, backend: str | None, device: Any,
             like: Tensor | None) -> Tensor:
    """Float64 host samples as a tensor of a floating dtype on the target backend and device."""
    be, dev, dt = _target(dtype, backend, device, like)
    if not isinstance(dt, DType) or not dt.is_floating:
        raise DTypeError(f"random: samples are real floating-point numbers; {dt!r} is not a "
                         f"real floating dtype")
    if dt.name in _HOST_FLOATS:  # round on the host: the copy is smaller and every backend agrees
        return tensor(host.astype(dt.name), backend=be.name, device=dev)
    moved = tensor(host.astype(np.float32), backend=be.name, device=dev)
    return tensor(moved, dtype=dt)


def _deliver_exact(host: np.ndarray, dtype: Any, backend: str | None, device: Any) -> Tensor:
    be, dev, _ = _target(None, backend, device, None)
    return tensor(host, backend=be.name, device=dev, dtype=dtype)


#: The process-wide generator behind the module-level functions.
default_generator = Generator()


def generator(seed: int | Generator | None = None) -> Generator:
    """The generator to draw from: a fresh one for an int seed, ``seed`` itself if it is a
    :class:`Generator`, else the process-wide :data:`default_generator`.

    Functions that take ``seed=`` (the initializers in :mod:`ad_core.init`) call this.
    """
    if seed is None:
        return default_generator
    if isinstance(seed, Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, an ad_core.random.Generator or None, "
                        f"got {type(seed).__name__}")
    return Generator(seed)


def seed(n: int | None) -> None:
    """Reset the process-wide generator: the same ``n`` gives the same numbers afterwards."""
    default_generator.seed(n)


def get_state() -> dict[str, Any]:
    """The process-wide generator's state, for :func:`set_state`."""
    return default_generator.get_state()


def set_state(state: dict[str, Any]) -> None:
    """Continue the process-wide generator from a state returned by :func:`get_state`."""
    default_generator.set_state(state)


def normal(shape: Shape = (), mean: float = 0.0, std: float = 1.0, **options: Any) -> Tensor:
    """Normal samples from the process-wide generator (see :meth:`Generator.normal`)."""
    return default_generator.normal(shape, mean, std, **options)


def uniform(shape: Shape = (), low: float = 0.0, high: float = 1.0, **options: Any) -> Tensor:
    """Uniform samples on ``[low, high)`` from the process-wide generator."""
    return default_generator.uniform(shape, low, high, **options)


def bernoulli(p: float, shape: Shape = (), **options: Any) -> Tensor:
    """1.0 with probability ``p``, else 0.0, from the process-wide generator."""
    return default_generator.bernoulli(p, shape, **options)


def integers(low: int, high: int, shape: Shape = (), **options: Any) -> Tensor:
    """Integers from ``[low, high)`` from the process-wide generator."""
    return default_generator.integers(low, high, shape, **options)


def permutation(n: int, **options: Any) -> Tensor:
    """A random ordering of ``0 .. n-1`` from the process-wide generator."""
    return default_generator.permutation(n, **options)


def orthogonal(rows: int, cols: int, **options: Any) -> Tensor:
    """A random matrix with orthonormal rows or columns (see :meth:`Generator.orthogonal`)."""
    return default_generator.orthogonal(rows, cols, **options)
