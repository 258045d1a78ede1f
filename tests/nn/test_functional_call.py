"""ad.nn.functional_call: a module run with some of its parameters or buffers swapped for tensors,
so that the functional transforms can differentiate with respect to a dict of weights."""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.testing import gradcheck


def mlp():
    ad.random.seed(0)
    return ad.nn.Sequential(ad.nn.Linear(3, 4, dtype="float64"), ad.nn.Tanh(),
                            ad.nn.Linear(4, 2, dtype="float64"))


def x64():
    return ad.tensor(np.linspace(-1.0, 1.0, 6).reshape(2, 3))


def test_the_given_tensors_are_used_for_the_call_and_the_modules_own_come_back(backend):
    model = mlp()
    own = model[0].weight
    zeros = {"0.weight": ad.zeros((4, 3), dtype=ad.float64), "0.bias": ad.zeros(4, dtype=ad.float64)}
    out = ad.nn.functional_call(model, zeros, x64())
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(model[2].bias.numpy(), (2, 2)))
    assert model[0].weight is own and model[0].weight is model._modules["0"]._parameters["weight"]


def test_the_modules_own_come_back_when_the_call_raises(backend):
    model = mlp()
    own = model[0].weight
    with pytest.raises(Exception, match="Linear"):
        ad.nn.functional_call(model, {"0.weight": ad.zeros((4, 3), dtype=ad.float64)},
                              ad.tensor(np.zeros((2, 5))))
    assert model[0].weight is own


def test_gradients_by_grad_over_a_dict_equal_those_of_backward(backend):
    model = mlp()
    x = x64()
    ad.sum(model(x) ** 2.0).backward()
    params = {name: p.detach() for name, p in model.named_parameters()}
    grads = ad.grad(lambda ps: ad.sum(ad.nn.functional_call(model, ps, x) ** 2.0))(params)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(grads[name].numpy(), p.grad.numpy(), rtol=1e-12)


def test_swapped_weights_are_differentiated_correctly_against_finite_differences(backend):
    model = mlp()
    names = [n for n, _ in model.named_parameters()]
    moved = [ad.tensor(p.numpy() + 0.1) for _, p in model.named_parameters()]
    assert gradcheck(lambda x, *ps: ad.nn.functional_call(model, dict(zip(names, ps, strict=True)), x),
                     [x64(), *moved])


def test_buffers_can_be_swapped_too(backend):
    norm = ad.nn.BatchNorm1d(2, dtype="float64").eval()
    x = ad.tensor(np.array([[1.0, 3.0]]))
    out = ad.nn.functional_call(norm, {"running_mean": ad.tensor(np.array([1.0, 3.0]))}, x)
    np.testing.assert_allclose(out.numpy(), [[0.0, 0.0]], atol=1e-12)
    assert norm.running_mean.tolist() == [0.0, 0.0]


def test_an_unknown_name_is_a_key_error_listing_the_modules_names(backend):
    with pytest.raises(KeyError, match=r"Sequential has no parameter or buffer '1.weight'.*0\.weight"):
        ad.nn.functional_call(mlp(), {"1.weight": ad.zeros((4, 3))}, x64())


def test_a_value_that_is_not_a_tensor_is_a_type_error_naming_it(backend):
    with pytest.raises(TypeError, match="functional_call: '0.bias' must be a Tensor, got list"):
        ad.nn.functional_call(mlp(), {"0.bias": [0.0] * 4}, x64())
