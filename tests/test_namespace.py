"""ad_core's own Array API namespace: generic code becomes differentiable on any backend."""

from __future__ import annotations

import array_api_compat
import numpy as np
import pytest

import ad_core as ad
from ad_core.testing import gradcheck


def generic_loss(w, x):
    """Written against the standard only: no ad_core import, no library named."""
    xp = array_api_compat.array_namespace(w, x)
    z = xp.tanh(xp.matmul(x, w))
    return xp.mean(z * z) + xp.sum(xp.exp(-w * w))


def test_generic_code_records_the_graph(backend):
    rng = np.random.default_rng(0)
    w = ad.tensor(rng.standard_normal(3), requires_grad=True)
    x = ad.tensor(rng.standard_normal((4, 3)))
    loss = generic_loss(w, x)
    assert loss.requires_grad
    loss.backward()
    assert w.grad.shape == (3,)
    assert gradcheck(generic_loss, [w.detach(), x])


def test_top_level_functions_are_the_namespace_functions():
    assert ad.sin is ad.array_api.sin
    assert ad.matmul is ad.array_api.matmul


def test_namespace_has_the_standard_constants_and_dtypes():
    xp = ad.array_api
    assert xp.__array_api_version__ == "2024.12"
    assert xp.pi == pytest.approx(np.pi) and xp.e == pytest.approx(np.e)
    assert np.isinf(xp.inf) and np.isnan(xp.nan)
    for name in ["float32", "float64", "int64", "bool"]:
        assert getattr(xp, name) == name


def test_creation_functions_follow_the_backend_in_force(backend):
    xp = ad.array_api
    for t in [xp.zeros((2, 3)), xp.ones(3), xp.full((2,), 7.0), xp.arange(4),
              xp.linspace(0.0, 1.0, 5), xp.eye(3), xp.asarray([1.0, 2.0])]:
        assert t.backend.name == backend.name
    x = xp.ones((2, 2), dtype=xp.float32)
    assert x.dtype == xp.float32
    assert xp.zeros_like(x).dtype == xp.float32 and xp.zeros_like(x).shape == (2, 2)


def test_result_type_follows_the_standard(backend):
    xp = ad.array_api
    assert xp.result_type(xp.float32, xp.float64) == xp.float64
    assert xp.result_type(ad.tensor([1.0], dtype=xp.float32), 2.0) == xp.float32
