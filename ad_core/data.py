"""Mini-batches over arrays: :class:`DataLoader`.

The data stays in host memory as NumPy arrays; each batch is cut there and handed over as
tensors on the backend and device in force when the batch is made (``with ad.backend("torch")``
around the loop), or on the ones given. Shuffling draws a fresh permutation every epoch from a
generator seeded once, so a seed fixes the whole sequence of epochs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ad_core import random
from ad_core.autograd.creation import tensor, to_numpy
from ad_core.autograd.tensor import Tensor

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over ``arrays`` (aligned along their first axis) in mini-batches of tensors.

    ``DataLoader(X, y, batch_size=32, shuffle=True, seed=0)`` yields ``(X_batch, y_batch)``
    tuples; every array must have the same number of samples (its first axis). With
    ``shuffle=True`` each epoch (each ``for`` loop over the loader) visits the samples in a new
    random order, reproducibly: the orders come from ``seed``, or without one from a seed drawn
    from :mod:`ad_core.random` when the loader is made (so ``ad.random.seed(n)`` fixes them, as
    ``torch.manual_seed`` does torch's); ``drop_last=True`` skips the last batch
    when it would be smaller than ``batch_size``. ``backend=``/``device=`` pin where the
    tensors go; otherwise they follow the backend in force while iterating.

    >>> import numpy as np, ad_core as ad
    >>> X, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> loader = ad.data.DataLoader(X, y, batch_size=2)
    >>> len(loader), [tuple(xb.shape) for xb, yb in loader]
    (3, [(2, 2), (2, 2), (1, 2)])
    """

    def __init__(self, *arrays: Any, batch_size: int, shuffle: bool = False,
                 seed: int | None = None, drop_last: bool = False, backend: str | None = None,
                 device: Any = None) -> None:
        if not arrays:
            raise ValueError("DataLoader: give at least one array (DataLoader(X, y, batch_size=...))")
        if not (isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size >= 1):
            raise ValueError(f"DataLoader: batch_size must be an int >= 1, got {batch_size!r}")
        data = [self._host(a, i) for i, a in enumerate(arrays)]
        lengths = [len(a) for a in data]
        if len(set(lengths)) > 1:
            raise ValueError(f"DataLoader: the arrays must hold the same number of samples "
                             f"(first axis), got {lengths}")
        self.arrays = data
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self.backend = backend
        self.device = device
        if seed is None and self.shuffle:  # follow ad.random.seed(n), as torch's loader follows
            seed = int(random.integers(0, 2**62, backend="numpy").item())  # torch.manual_seed
        self._rng = np.random.default_rng(seed)

    @staticmethod
    def _host(array: Any, index: int) -> np.ndarray:
        host = to_numpy(array)  # a tensor, another library's array, NumPy data or lists
        if host.ndim == 0:
            raise ValueError(f"DataLoader: array {index} is 0-d; each array needs a first axis "
                             f"of samples")
        return host

    @property
    def num_samples(self) -> int:
        """The number of samples in the data."""
        return len(self.arrays[0])

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        n, b = self.num_samples, self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = self.num_samples
        order = self._rng.permutation(n) if self.shuffle else None
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            stop = min(start + self.batch_size, n)
            index = slice(start, stop) if order is None else order[start:stop]
            yield tuple(tensor(np.ascontiguousarray(a[index]), backend=self.backend,
                               device=self.device) for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(str(a.shape) for a in self.arrays)
        return (f"DataLoader({shapes}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last}, batches={len(self)})")
