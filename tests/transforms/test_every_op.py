"""Every registered differentiable op in forward mode and forward-over-reverse, on every backend.

The ops come from the live registry (built-in plugins, the test plugin package, and whatever else
is installed), so an op added later is checked without touching this file, or fails with a
message asking for a sample call in :mod:`tests.transforms.cases`.
"""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.ops.registry import get_op
from ad_core.testing import jvpcheck

from .cases import case, differentiable_ops, floating, tensors

OPS = differentiable_ops()
WITH_JVP_RULE = [name for name in OPS if get_op(name).jvp is not None]


@pytest.mark.parametrize("name", OPS)
def test_forward_mode_matches_finite_differences_and_reverse_mode(backend, name):
    """J·v by ad.jvp against central differences along v, and ⟨u, J v⟩ against ⟨Jᵀu, v⟩."""
    fn, inputs = case(name)
    assert jvpcheck(fn, tensors(inputs))


@pytest.mark.parametrize("name", WITH_JVP_RULE)
def test_hand_written_jvp_rule_matches_the_rule_derived_from_the_vjp(backend, name, monkeypatch):
    fn, inputs = case(name)
    xs = tensors(inputs)
    wrt = floating(inputs)
    rng = np.random.default_rng(3)
    vs = tuple(ad.tensor(rng.standard_normal(inputs[i].shape)) for i in wrt)

    def restricted(*ys):
        call = list(xs)
        for i, y in zip(wrt, ys, strict=True):
            call[i] = y
        return fn(*call)

    _, by_rule = ad.jvp(restricted, tuple(xs[i] for i in wrt), vs)
    monkeypatch.setattr(get_op(name), "jvp", None)
    _, derived = ad.jvp(restricted, tuple(xs[i] for i in wrt), vs)
    np.testing.assert_allclose(by_rule.numpy(), derived.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", OPS)
def test_jvp_of_grad_matches_finite_differences_of_the_gradient(backend, name):
    """Forward over reverse (a Hessian-vector product per op) against differences of the
    gradient, and against reverse over reverse through ⟨u, H v⟩ = ⟨Hᵀu, v⟩."""
    fn, inputs = case(name)
    xs = tensors(inputs)
    wrt = tuple(floating(inputs))
    with ad.no_grad():
        out = fn(*xs)
    weights = ad.tensor(np.random.default_rng(5).standard_normal(out.shape))

    def gradient(*ys):
        return ad.grad(lambda *zs: ad.sum(weights * fn(*zs)), argnums=wrt)(*ys)

    assert jvpcheck(gradient, xs)


@pytest.mark.parametrize("name", ["exp", "matmul", "sum", "softmax", "prod", "getitem", "concat"])
def test_a_float32_computation_gets_float32_tangents(backend, name):
    fn, inputs = case(name)
    xs = tensors(inputs, dtype=ad.float32)
    out, tangent = ad.jvp(fn, tuple(xs), tuple(ad.ones_like(x) for x in xs))
    assert out.dtype == ad.float32 and tangent.dtype == ad.float32
    assert tangent.shape == out.shape
