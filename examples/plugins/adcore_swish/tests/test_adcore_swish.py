"""adcore_swish, installed, on every backend: each piece appears where users look for it and
computes what it should (gradients against finite differences, torch as an oracle)."""

from __future__ import annotations

import math

import adcore_swish
import numpy as np
import pytest
from adcore_swish.ops import swish_jvp, swish_torch

import ad_core as ad
from ad_core.ops import get_op
from ad_core.ops.namespace import rule_namespace
from ad_core.testing import gradcheck, jvpcheck, sample

SHAPES = [(), (0,), (5,), (2, 3)]
BETAS = [1.0, 0.5, 2.0]


def reference_swish(x: np.ndarray, beta: float) -> np.ndarray:
    return x / (1.0 + np.exp(-beta * x))


# -- everything is registered, under its name -----------------------------------------------------


def test_every_piece_is_registered_where_users_look_for_it():
    assert "swish" in dir(ad.array_api) and ad.swish is ad.array_api.swish
    assert ad.nn.Swish is adcore_swish.Swish
    assert ad.losses.smooth_l1 is adcore_swish.smooth_l1
    assert ad.nn.SmoothL1Loss(beta=0.5, reduction="sum").beta == 0.5
    assert ad.optim.SignSGD is adcore_swish.SignSGD
    assert ad.init.swish_uniform_ is adcore_swish.swish_uniform_
    assert ad.plugin_errors() == []


def test_the_plugin_report_names_the_distribution_and_everything_it_registered():
    report = next(r for r in ad.plugin_reports() if r.name == "swish")
    assert report.distribution == "adcore-swish"
    assert report.ops == ["swish"]


def test_swish_declares_its_domain_and_a_hand_written_jvp():
    op = get_op("swish")
    assert op.domain == "real" and op.jvp is swish_jvp and op.elementwise


# -- the op -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_swish_values_match_numpy(backend, shape, beta):
    x = sample(shape, "real")
    got = ad.swish(ad.tensor(x), beta=beta)
    assert got.backend.name == backend.name
    np.testing.assert_allclose(got.numpy(), reference_swish(x, beta), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_swish_gradient_matches_finite_differences(backend, shape, beta):
    assert gradcheck(lambda t: ad.swish(t, beta=beta), [ad.tensor(sample(shape, "real"))])


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_swish_jvp_matches_finite_differences_and_reverse_mode(backend, shape, beta):
    assert jvpcheck(lambda t: ad.swish(t, beta=beta), [ad.tensor(sample(shape, "real"))])


@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_swish_second_derivative_matches_finite_differences(backend, beta):
    x = ad.tensor(sample((2, 3), "real"))
    assert gradcheck(lambda t: ad.grad(lambda u: ad.sum(ad.swish(u, beta=beta)))(t), [x])


def test_swish_keeps_float32_and_the_input_shape(backend):
    x = ad.tensor([[0.5, -1.0, 3.0]], dtype=ad.float32, requires_grad=True)
    y = x.swish(beta=1.5)
    y.sum().backward()
    assert y.dtype == ad.float32 and x.grad.dtype == ad.float32 and x.grad.shape == x.shape


def test_swish_refuses_a_beta_that_is_not_a_number(backend):
    with pytest.raises(TypeError, match="swish: beta must be a number"):
        ad.swish(ad.tensor([1.0]), beta="2")


# -- the torch kernel -------------------------------------------------------------------------------


@pytest.mark.backends("torch")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("beta", BETAS)
def test_torch_kernel_agrees_with_the_generic_rule(backend, dtype, beta):
    op = get_op("swish")
    assert op.kernels["torch"][0] is swish_torch
    raw = rule_namespace(backend.backend)
    x = backend.xp.asarray(sample((3, 4), "real", dtype=dtype))
    fast, generic = swish_torch(raw, x, beta=beta), op.generic[0](raw, x, beta=beta)
    assert fast.dtype == generic.dtype
    rtol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(fast.numpy(), generic.numpy(), rtol=rtol, atol=1e-7 * rtol)


@pytest.mark.backends("torch")
def test_torch_tensors_run_the_kernel_and_other_backends_the_generic_rule(backend, monkeypatch):
    op, calls = get_op("swish"), []
    forward, vjps = op.kernels["torch"]
    monkeypatch.setitem(op.kernels, "torch",
                        (lambda xp, x, **p: calls.append(p) or forward(xp, x, **p), vjps))
    ad.swish(ad.tensor([1.0, -2.0]), beta=0.5)
    assert calls == [{"beta": 0.5}]
    ad.swish(ad.tensor([1.0, -2.0], backend="numpy"))
    assert len(calls) == 1


# -- the layer --------------------------------------------------------------------------------------


def test_swish_layer_is_the_op_and_trains_in_a_model(backend):
    ad.random.seed(0)
    model = ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.Swish(beta=2.0), ad.nn.Linear(4, 1))
    x = ad.tensor(sample((5, 3), "real", dtype="float32"))     # the layers' dtype
    assert repr(model[1]) == "Swish(beta=2.0)"
    np.testing.assert_allclose(model[1](x).numpy(), reference_swish(x.numpy(), 2.0), rtol=1e-5)
    model(x).sum().backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.parameters())


# -- the loss: torch.nn.functional.smooth_l1_loss as the oracle -------------------------------------


@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_smooth_l1_matches_torch_values_and_gradients(backend, reduction, beta):
    torch = pytest.importorskip("torch")
    x, y = sample((2, 5), "real", seed=1) * 2.0, sample((2, 5), "real", seed=2)
    a = ad.tensor(x, requires_grad=True)
    loss = ad.losses.smooth_l1(a, ad.tensor(y), reduction=reduction, beta=beta)
    t = torch.tensor(x, requires_grad=True)
    want = torch.nn.functional.smooth_l1_loss(t, torch.tensor(y), reduction=reduction, beta=beta)
    np.testing.assert_allclose(loss.numpy(), want.detach().numpy(), rtol=1e-12)
    ad.sum(loss).backward()
    want.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_smooth_l1_module_takes_the_functions_options(backend):
    x, y = ad.tensor([0.0, 2.0]), ad.tensor([0.25, 0.0])
    loss = ad.nn.SmoothL1Loss(reduction="sum", beta=0.5)(x, y)
    assert loss.item() == pytest.approx(0.5 * 0.25**2 / 0.5 + (2.0 - 0.25))


def test_smooth_l1_refuses_bad_options_and_mismatched_shapes(backend):
    x = ad.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="reduction"):
        ad.losses.smooth_l1(x, x, reduction="max")
    with pytest.raises(ValueError, match="beta"):
        ad.losses.smooth_l1(x, x, beta=-1.0)
    with pytest.raises(ad.errors.ShapeError, match=r"smooth_l1: input has shape \(2,\)"):
        ad.losses.smooth_l1(x, ad.tensor([[1.0], [2.0]]))


# -- the optimizer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("maximize", [False, True])
def test_sign_sgd_moves_each_element_by_lr_against_the_gradients_sign(backend, maximize):
    start, c = np.array([0.5, -1.0, 2.0]), np.array([3.0, -1e-3, 0.0])
    p = ad.tensor(start, requires_grad=True)
    opt = ad.optim.SignSGD([p], lr=0.1, maximize=maximize)
    for step in range(1, 3):
        opt.zero_grad()
        ad.sum(p * ad.tensor(c)).backward()
        opt.step()
        direction = 1.0 if maximize else -1.0
        np.testing.assert_allclose(p.numpy(), start + direction * step * 0.1 * np.sign(c))


def test_sign_sgd_keeps_the_parameters_dtype_and_refuses_a_negative_lr(backend):
    p = ad.tensor([1.0, -1.0], dtype=ad.float32, requires_grad=True)
    opt = ad.optim.SignSGD([p], lr=0.25)
    ad.sum(p * p).backward()
    opt.step()
    assert p.dtype == ad.float32 and p.tolist() == [0.75, -0.75]
    with pytest.raises(ValueError, match="SignSGD: invalid lr"):
        ad.optim.SignSGD([p], lr=-1.0)


# -- the initializer --------------------------------------------------------------------------------


def test_swish_gain_is_one_over_the_rms_of_swish_of_a_standard_normal():
    z = np.random.default_rng(0).standard_normal(400_000)
    assert adcore_swish.swish_gain(1.0) == pytest.approx(
        1.0 / math.sqrt(np.mean(reference_swish(z, 1.0) ** 2)), rel=1e-2)


def test_swish_uniform_is_reproducible_by_seed_and_the_same_on_every_backend(backend):
    w = ad.nn.Linear(6, 4).weight
    first = ad.init.swish_uniform_(w, seed=3).numpy().copy()
    assert ad.init.swish_uniform_(w, seed=3).numpy().tolist() == first.tolist()
    assert ad.init.swish_uniform_(w, seed=4).numpy().tolist() != first.tolist()
    with ad.backend("numpy"):
        on_numpy = ad.init.swish_uniform_(ad.nn.Linear(6, 4).weight, seed=3).numpy()
    np.testing.assert_array_equal(first, on_numpy)


def test_swish_uniform_fills_in_place_within_its_bound(backend):
    w = ad.nn.Linear(6, 40).weight
    assert ad.init.swish_uniform_(w, beta=1.0, seed=0) is w
    bound = adcore_swish.swish_gain(1.0) * math.sqrt(3.0 / 6)
    values = w.numpy()
    assert w.shape == (40, 6) and np.all(np.abs(values) <= bound)
    assert np.max(np.abs(values)) > 0.9 * bound


def test_swish_uniform_refuses_a_vector(backend):
    with pytest.raises(ad.errors.ShapeError, match="at least 2 dimensions"):
        ad.init.swish_uniform_(ad.nn.Linear(3, 2).bias, seed=0)
