"""BatchNorm2d against torch.nn.BatchNorm2d (same weights and inputs, float64, every backend):
outputs and gradients in training and evaluation mode, running statistics after a few steps,
finite differences, and the errors a wrong input gets."""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import ShapeError
from ad_core.testing import gradcheck

torch = pytest.importorskip("torch")
F64 = "float64"


def sample(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def torch_layer(**kwargs):
    t_layer = torch.nn.BatchNorm2d(3, **kwargs).double()
    with torch.no_grad():
        if t_layer.weight is not None:
            t_layer.weight.copy_(torch.tensor([1.0, 2.0, -0.5]))
            t_layer.bias.copy_(torch.tensor([0.1, -0.3, 0.7]))
        if t_layer.running_mean is not None:
            t_layer.running_mean.copy_(torch.tensor([0.5, -1.0, 0.0]))
            t_layer.running_var.copy_(torch.tensor([1.5, 0.5, 2.0]))
    return t_layer


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("kwargs", [{}, {"affine": False}, {"track_running_stats": False}],
                         ids=["default", "no-affine", "no-running-stats"])
def test_batchnorm2d_matches_torch_in_value_and_gradients(backend, mode, kwargs):
    t_layer = torch_layer(**kwargs)
    layer = ad.nn.BatchNorm2d(3, dtype=F64, **kwargs)
    layer.load_state_dict(t_layer.state_dict())
    getattr(layer, mode)(), getattr(t_layer, mode)()
    x = sample(2, 3, 4, 5)
    inp, t_inp = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, t_out = layer(inp), t_layer(t_inp)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    u = sample(2, 3, 4, 5, seed=1)
    out.backward(ad.tensor(u))
    t_out.backward(torch.tensor(u))
    np.testing.assert_allclose(inp.grad.numpy(), t_inp.grad.numpy(), rtol=1e-9, atol=1e-12)
    t_params = dict(t_layer.named_parameters())
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=f"gradient of {name}")


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm2d_running_statistics_follow_torch_over_three_steps(backend, momentum):
    t_layer = torch_layer(momentum=momentum)
    layer = ad.nn.BatchNorm2d(3, momentum=momentum, dtype=F64)
    layer.load_state_dict(t_layer.state_dict())
    for seed in range(3):
        x = sample(4, 3, 2, 2, seed=seed)
        layer(ad.tensor(x))
        t_layer(torch.tensor(x))
    t_state = t_layer.state_dict()
    for name, value in layer.state_dict().items():
        np.testing.assert_allclose(ad.to_numpy(value), t_state[name].numpy(), rtol=1e-12,
                                   err_msg=name)


def test_batchnorm2d_input_gradient_agrees_with_finite_differences(backend):
    layer = ad.nn.BatchNorm2d(2, dtype=F64)
    layer.load_state_dict({**layer.state_dict(), "weight": np.array([1.5, -0.5]),
                           "bias": np.array([0.2, 0.3])})
    u = ad.tensor(sample(2, 2, 2, 2, seed=3))
    gradcheck(lambda x: ad.sum(layer(x) * u), [ad.tensor(sample(2, 2, 2, 2))])


def test_batchnorm2d_keeps_float32(backend):
    y = ad.nn.BatchNorm2d(3)(ad.tensor(sample(2, 3, 2, 2).astype(np.float32)))
    assert y.dtype == ad.float32 and y.shape == (2, 3, 2, 2)


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 4, 2, 2)], ids=["3d", "wrong-channels"])
def test_batchnorm2d_names_itself_and_the_shape_of_a_wrong_input(backend, shape):
    with pytest.raises(ShapeError, match=r"BatchNorm2d\(num_features=3\)"):
        ad.nn.BatchNorm2d(3)(ad.tensor(sample(*shape).astype(np.float32)))


def test_batchnorm2d_is_registered_and_printed_by_name():
    assert repr(ad.nn.BatchNorm2d(3)).startswith("BatchNorm2d(3,")
