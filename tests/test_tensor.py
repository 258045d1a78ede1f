"""The Tensor: attributes, conversions and Python operators, on every backend."""

from __future__ import annotations

import array_api_compat
import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import DTypeError


def test_attributes_describe_the_data(backend):
    t = ad.tensor(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3)
    assert t.ndim == 2
    assert t.size == 6
    assert t.dtype == ad.float64 == "float64"
    assert t.device == backend.backend.device_of(t.array)
    assert backend.backend.owns(t.array)


def test_transposes(backend):
    t = ad.tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(t.T.numpy(), np.arange(6.0).reshape(2, 3).T)
    s = ad.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(s.mT.numpy(), np.swapaxes(np.arange(24.0).reshape(2, 3, 4), -1, -2))


def test_item_and_tolist(backend):
    assert ad.tensor(2.5).item() == 2.5
    assert ad.tensor([[1.0, 2.0]]).tolist() == [[1.0, 2.0]]
    with pytest.raises(ValueError, match="one element"):
        ad.tensor([1.0, 2.0]).item()


def test_to_numpy_copies_from_any_backend(backend):
    t = ad.tensor([1.0, 2.0])
    out = ad.to_numpy(t)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, [1.0, 2.0])


def test_operators_compute_like_numpy(backend):
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([0.5, -1.5])
    x, y = ad.tensor(a), ad.tensor(b)
    cases = {
        "x + y": (x + y, a + b), "x - y": (x - y, a - b), "x * y": (x * y, a * b),
        "x / y": (x / y, a / b), "x ** 2": (x**2, a**2), "2 ** y": (2.0**y, 2.0**b),
        "-x": (-x, -a), "x @ x": (x @ x, a @ a), "1 - x": (1.0 - x, 1.0 - a),
        "x[0]": (x[0], a[0]), "abs(y)": (abs(y), np.abs(b)),
    }  # fmt: skip
    for name, (got, expected) in cases.items():
        np.testing.assert_allclose(got.numpy(), expected, err_msg=name)


def test_comparisons_give_boolean_tensors_without_history(backend):
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for mask, expected in [(x > 1.5, [False, True, True]), (x <= 2.0, [True, True, False]),
                           (x == 2.0, [False, True, False]), (x != 2.0, [True, False, True])]:
        assert mask.dtype == ad.dtypes.bool
        assert not mask.requires_grad
        assert mask.tolist() == expected


def test_integer_and_boolean_tensors_cannot_require_grad(backend):
    with pytest.raises(DTypeError, match="int64|int32"):
        ad.tensor([1, 2], requires_grad=True)
    with pytest.raises(DTypeError, match="bool"):
        ad.tensor([True]).requires_grad_()


def test_detach_cuts_history_and_shares_data(backend):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.0).detach()
    assert not y.requires_grad and y.is_leaf
    assert y.tolist() == [2.0, 4.0]


def test_array_namespace_is_ad_cores_own(backend):
    t = ad.tensor([1.0])
    assert t.__array_namespace__() is ad.array_api
    assert array_api_compat.array_namespace(t) is ad.array_api


def test_repr_names_backend_dtype_and_history(backend):
    x = ad.tensor([1.0], dtype=ad.float32, requires_grad=True)
    assert "requires_grad=True" in repr(x) and backend.name in repr(x) and "float32" in repr(x)
    assert "grad_fn=multiply" in repr(x * 2.0)


def test_ops_are_methods_too(backend):
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum().item() == 10.0
    assert x.sum(axis=0).tolist() == [4.0, 6.0]


def test_tensor_copies_its_numpy_data_so_later_writes_to_the_array_do_not_reach_it(backend):
    data = np.array([1.0, 2.0])
    t = ad.tensor(data)
    data[0] = 9.0
    assert t.tolist() == [1.0, 2.0]


def test_numpy_returns_a_copy_so_writing_to_it_does_not_change_the_tensor(backend):
    t = ad.tensor([1.0, 2.0])
    t.numpy()[:] = 0.0
    assert t.tolist() == [1.0, 2.0]


def test_tensor_of_a_torch_tensor_is_a_copy_on_every_backend(backend):
    torch = pytest.importorskip("torch")
    source = torch.tensor([1.0, 2.0], dtype=torch.float64)
    t = ad.tensor(source, backend=backend.name, device=backend.device)
    source[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
