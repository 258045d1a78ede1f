"""dtypes: float32 and float64 everywhere, float16 and bfloat16 where the backend has them;
a gradient always has its input's dtype, shape and device."""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad

FLOATS = ["float16", "bfloat16", "float32", "float64"]


@pytest.mark.parametrize("dtype", FLOATS)
def test_gradient_has_the_inputs_dtype_shape_and_device(backend, dtype):
    if not backend.backend.supports(dtype):
        pytest.skip(f"{backend.name} has no {dtype}")
    x = ad.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=dtype, requires_grad=True)
    y = (x * x + 1.0 / (x + 3.0)).sum()
    y.backward()
    assert x.grad.dtype == dtype
    assert x.grad.shape == x.shape
    assert x.grad.device == x.device
    expected = 2 * x.numpy().astype(np.float64) - 1.0 / (x.numpy().astype(np.float64) + 3.0) ** 2
    tol = {"float16": 1e-2, "bfloat16": 5e-2, "float32": 1e-5, "float64": 1e-12}[dtype]
    np.testing.assert_allclose(x.grad.numpy().astype(np.float64), expected, rtol=tol, atol=tol)


def test_float32_and_float64_promote_to_float64_but_each_gradient_keeps_its_dtype(backend):
    a = ad.tensor([1.0, 2.0], dtype=ad.float32, requires_grad=True)
    b = ad.tensor([3.0, 4.0], dtype=ad.float64, requires_grad=True)
    y = a * b
    assert y.dtype == ad.float64
    y.sum().backward()
    assert a.grad.dtype == ad.float32 and b.grad.dtype == ad.float64


def test_python_scalars_do_not_promote_float32(backend):
    x = ad.tensor([1.0, 2.0], dtype=ad.float32, requires_grad=True)
    y = 2.5 * x + 1.0
    assert y.dtype == ad.float32
    y.sum().backward()
    assert x.grad.dtype == ad.float32


def test_dtype_objects_compare_across_backends(backend):
    x = ad.tensor([1.0], dtype=ad.float32)
    assert x.dtype == ad.array_api.float32
    assert ad.array_api.isdtype(x.dtype, "real floating")
    assert ad.array_api.finfo(x.dtype).bits == 32
