"""DataLoader: batches in order, the last partial batch or none (drop_last), shuffling that a
seed makes reproducible and that visits every sample once per epoch, tensors on the backend in
force or the one given, and the errors for inconsistent data."""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.data import DataLoader

X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10)


def _rows(loader: DataLoader) -> list[list[int]]:
    return [yb.tolist() for _, yb in loader]


def test_batches_come_in_order_with_a_smaller_last_batch(backend):
    loader = DataLoader(X, Y, batch_size=4)
    assert len(loader) == 3
    assert _rows(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    xb, yb = next(iter(loader))
    np.testing.assert_array_equal(xb.numpy(), X[:4])


def test_drop_last_skips_the_smaller_last_batch(backend):
    loader = DataLoader(X, Y, batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert _rows(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(X, Y, batch_size=5, drop_last=True)) == 2


def test_batches_are_tensors_on_the_backend_in_force_with_the_arrays_dtypes(backend):
    xb, yb = next(iter(DataLoader(X.astype(np.float32), Y, batch_size=3)))
    assert isinstance(xb, ad.Tensor) and xb.backend is ad.get_backend()
    assert xb.dtype == ad.float32 and yb.dtype == ad.int64
    assert not xb.requires_grad


def test_a_backend_can_be_pinned(backend):
    xb, = next(iter(DataLoader(X, batch_size=3, backend="numpy")))
    assert xb.backend.name == "numpy"


def test_the_backend_is_the_one_in_force_while_iterating(backend):
    loader = DataLoader(X, batch_size=3)
    with ad.backend("numpy"):
        xb, = next(iter(loader))
    assert xb.backend.name == "numpy"


def test_shuffling_visits_every_sample_once_per_epoch_in_a_new_order(backend):
    loader = DataLoader(X, Y, batch_size=3, shuffle=True, seed=0)
    first, second = sum(_rows(loader), []), sum(_rows(loader), [])
    assert sorted(first) == sorted(second) == list(range(10))
    assert first != second and first != list(range(10))


def test_the_same_seed_gives_the_same_epochs(backend):
    a = DataLoader(X, Y, batch_size=3, shuffle=True, seed=42)
    b = DataLoader(X, Y, batch_size=3, shuffle=True, seed=42)
    assert [_rows(a) for _ in range(3)] == [_rows(b) for _ in range(3)]
    c = DataLoader(X, Y, batch_size=3, shuffle=True, seed=43)
    assert _rows(c) != _rows(DataLoader(X, Y, batch_size=3, shuffle=True, seed=42))


def test_shuffled_arrays_stay_aligned(backend):
    for xb, yb in DataLoader(X, Y, batch_size=4, shuffle=True, seed=1):
        np.testing.assert_array_equal(xb.numpy(), X[yb.numpy()])


def test_tensors_and_lists_are_accepted_as_data(backend):
    loader = DataLoader(ad.tensor(X), Y.tolist(), batch_size=5)
    xb, yb = next(iter(loader))
    np.testing.assert_array_equal(xb.numpy(), X[:5])
    assert yb.tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("args, kwargs, message", [
    ((X, Y[:9]), {"batch_size": 2}, r"the same number of samples \(first axis\), got \[10, 9\]"),
    ((X,), {"batch_size": 0}, "batch_size must be an int >= 1, got 0"),
    ((X,), {"batch_size": 2.0}, "batch_size must be an int >= 1, got 2.0"),
    ((), {"batch_size": 2}, "give at least one array"),
    ((X, np.float64(1.0)), {"batch_size": 2}, "array 1 is 0-d"),
])
def test_inconsistent_data_is_refused(backend, args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(*args, **kwargs)


def test_repr_shows_the_shapes_and_settings():
    text = repr(DataLoader(X, Y, batch_size=4, shuffle=True, seed=3))
    assert text == ("DataLoader((10, 2), (10,), batch_size=4, shuffle=True, seed=3, "
                    "drop_last=False, batches=3)")
    assert ad.data.DataLoader is DataLoader
