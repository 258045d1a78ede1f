"""RNN and LSTM against torch.nn.RNN / torch.nn.LSTM with the same weights, in float64, on every
backend: outputs, final states, and the gradients of the input, the initial states and every
parameter; finite differences on a tiny case; torch's parameter names, shapes, order and init
range; and the errors a wrong input gets."""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import ShapeError
from ad_core.testing import gradcheck

torch = pytest.importorskip("torch")
F64 = "float64"
TOL = {"rtol": 1e-10, "atol": 1e-12}


def sample(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def flatten_outputs(result):
    """``(output, h_n)`` or ``(output, (h_n, c_n))`` as a flat list of tensors."""
    out, state = result
    return [out, *state] if isinstance(state, tuple) else [out, state]


def pack_states(states: list | None):
    """None, ``h_0`` (RNN) or ``(h_0, c_0)`` (LSTM), as the layers take them."""
    if states is None:
        return None
    return states[0] if len(states) == 1 else tuple(states)


def compare_with_torch_recurrent(layer, t_layer, x: np.ndarray, states: list[np.ndarray] | None):
    """Load torch's weights, run both on ``x`` (and initial states), back-propagate one random
    cotangent per result, and compare results and every gradient."""
    layer.load_state_dict(t_layer.state_dict())
    inp, t_inp = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hx = t_hx = None
    if states is not None:
        hx = [ad.tensor(s, requires_grad=True) for s in states]
        t_hx = [torch.tensor(s, requires_grad=True) for s in states]
    results = flatten_outputs(layer(inp, pack_states(hx)))
    t_results = flatten_outputs(t_layer(t_inp, pack_states(t_hx)))
    assert len(results) == len(t_results)
    loss, t_loss = 0.0, 0.0
    for i, (r, t_r) in enumerate(zip(results, t_results, strict=True)):
        np.testing.assert_allclose(r.numpy(), t_r.detach().numpy(), **TOL, err_msg=f"result {i}")
        u = sample(*t_r.shape, seed=10 + i)
        loss = loss + ad.sum(r * ad.tensor(u))
        t_loss = t_loss + (t_r * torch.tensor(u)).sum()
    loss.backward()
    t_loss.backward()
    np.testing.assert_allclose(inp.grad.numpy(), t_inp.grad.numpy(), **TOL)
    for s, t_s in zip(hx or [], t_hx or [], strict=True):
        np.testing.assert_allclose(s.grad.numpy(), t_s.grad.numpy(), **TOL)
    t_params = dict(t_layer.named_parameters())
    params = dict(layer.named_parameters())
    assert list(params) == list(t_params)
    for name, p in params.items():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), **TOL,
                                   err_msg=f"gradient of {name}")


# (name, ad_core class, torch class, keyword arguments)
CASES = {
    "RNN-tanh":         (lambda **k: ad.nn.RNN(3, 4, **k), lambda **k: torch.nn.RNN(3, 4, **k), {}),
    "RNN-relu-2layers": (lambda **k: ad.nn.RNN(3, 4, **k), lambda **k: torch.nn.RNN(3, 4, **k),
                         {"num_layers": 2, "nonlinearity": "relu"}),
    "RNN-no-bias":      (lambda **k: ad.nn.RNN(3, 4, **k), lambda **k: torch.nn.RNN(3, 4, **k),
                         {"bias": False, "num_layers": 2}),
    "LSTM":             (lambda **k: ad.nn.LSTM(3, 4, **k), lambda **k: torch.nn.LSTM(3, 4, **k), {}),
    "LSTM-2layers":     (lambda **k: ad.nn.LSTM(3, 4, **k), lambda **k: torch.nn.LSTM(3, 4, **k),
                         {"num_layers": 2}),
    "LSTM-no-bias":     (lambda **k: ad.nn.LSTM(3, 4, **k), lambda **k: torch.nn.LSTM(3, 4, **k),
                         {"bias": False}),
}  # fmt: skip


def state_shapes(name: str, kwargs: dict, batch: int | None) -> list[tuple[int, ...]]:
    layers = kwargs.get("num_layers", 1)
    shape = (layers, 4) if batch is None else (layers, batch, 4)
    return [shape, shape] if name.startswith("LSTM") else [shape]


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("name", CASES)
def test_recurrent_layer_matches_torch_in_values_and_all_gradients(backend, name, batch_first):
    make, make_torch, kwargs = CASES[name]
    t_layer = make_torch(batch_first=batch_first, **kwargs).double()
    layer = make(batch_first=batch_first, dtype=F64, **kwargs)
    x = sample(2, 5, 3) if batch_first else sample(5, 2, 3)
    compare_with_torch_recurrent(layer, t_layer, x, None)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("name", CASES)
def test_recurrent_layer_with_initial_states_matches_torch_including_their_gradients(
        backend, name, batch_first):
    make, make_torch, kwargs = CASES[name]
    t_layer = make_torch(batch_first=batch_first, **kwargs).double()
    layer = make(batch_first=batch_first, dtype=F64, **kwargs)
    x = sample(2, 4, 3) if batch_first else sample(4, 2, 3)
    states = [sample(*s, seed=3 + i) for i, s in enumerate(state_shapes(name, kwargs, 2))]
    compare_with_torch_recurrent(layer, t_layer, x, states)


@pytest.mark.parametrize("with_states", [False, True])
@pytest.mark.parametrize("name", ["RNN-tanh", "LSTM-2layers"])
def test_unbatched_input_matches_torch(backend, name, with_states):
    make, make_torch, kwargs = CASES[name]
    t_layer = make_torch(**kwargs).double()
    states = None
    if with_states:
        states = [sample(*s, seed=3 + i) for i, s in enumerate(state_shapes(name, kwargs, None))]
    compare_with_torch_recurrent(make(dtype=F64, **kwargs), t_layer, sample(4, 3), states)


@pytest.mark.parametrize("cls", ["RNN", "LSTM"])
def test_tiny_recurrent_layer_gradients_match_finite_differences(backend, cls):
    layer = getattr(ad.nn, cls)(2, 2, num_layers=2, dtype=F64)
    names = [n for n, _ in layer.named_parameters()]
    start = [ad.tensor(sample(3, 1, 2))] + [ad.tensor(sample(*p.shape, seed=i + 1) * 0.5)
                                            for i, (_, p) in enumerate(layer.named_parameters())]

    def f(x, *params):
        saved = {n: layer.__dict__[n] for n in names}
        for n, t in zip(names, params, strict=True):
            object.__setattr__(layer, n, t)
        try:
            return ad.sum(ad.stack(flatten_outputs(layer(x))[1:]))
        finally:
            for n, p in saved.items():
                object.__setattr__(layer, n, p)

    assert gradcheck(f, start)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cls", ["RNN", "LSTM"])
def test_parameter_names_shapes_and_order_are_torchs(backend, cls, bias):
    layer = getattr(ad.nn, cls)(3, 5, num_layers=2, bias=bias)
    t_layer = getattr(torch.nn, cls)(3, 5, num_layers=2, bias=bias)
    assert list(layer.state_dict()) == list(t_layer.state_dict())
    assert [p.shape for p in layer.parameters()] == [tuple(p.shape) for p in t_layer.parameters()]


@pytest.mark.parametrize("cls", ["RNN", "LSTM"])
def test_default_initialisation_is_uniform_within_one_over_sqrt_hidden_size(backend, cls):
    ad.random.seed(0)
    layer = getattr(ad.nn, cls)(8, 16)
    bound = 1 / math.sqrt(16)
    values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
    assert values.dtype == np.float32
    assert np.all(np.abs(values) <= bound)
    assert np.abs(values).max() > 0.9 * bound  # spread over the whole range, not a smaller one
    assert abs(values.mean()) < 0.1 * bound


@pytest.mark.parametrize("cls", ["RNN", "LSTM"])
def test_wrong_input_size_names_the_layer_and_both_sizes(backend, cls):
    layer = getattr(ad.nn, cls)(3, 4)
    with pytest.raises(ShapeError, match=rf"{cls}\(input_size=3.*5 features.*input_size=3"):
        layer(ad.tensor(sample(6, 2, 5), dtype=ad.float32))


@pytest.mark.parametrize("cls", ["RNN", "LSTM"])
def test_input_without_a_time_axis_is_refused(backend, cls):
    with pytest.raises(ShapeError, match="expects input of shape"):
        getattr(ad.nn, cls)(3, 4)(ad.tensor(sample(3), dtype=ad.float32))


def test_wrong_initial_state_shape_names_the_expected_shape(backend):
    layer = ad.nn.LSTM(3, 4, num_layers=2)
    x = ad.tensor(sample(5, 2, 3), dtype=ad.float32)
    h = ad.tensor(sample(2, 2, 4), dtype=ad.float32)
    with pytest.raises(ShapeError, match=r"c_0 has shape \(1, 2, 4\), expected \(2, 2, 4\)"):
        layer(x, (h, ad.tensor(sample(1, 2, 4), dtype=ad.float32)))


def test_bad_constructor_arguments_are_refused():
    with pytest.raises(ValueError, match="nonlinearity"):
        ad.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="bidirectional"):
        ad.nn.LSTM(3, 4, bidirectional=True)
    with pytest.raises(ValueError, match="positive"):
        ad.nn.LSTM(3, 0)


def test_dropout_between_layers_acts_in_training_only_and_follows_the_seed(backend):
    layer = ad.nn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype=F64)
    plain = ad.nn.LSTM(3, 4, num_layers=2, dtype=F64)
    plain.load_state_dict(layer.state_dict())
    x = ad.tensor(sample(5, 2, 3))
    expected = plain(x)[0].numpy()
    np.testing.assert_allclose(layer.eval()(x)[0].numpy(), expected, **TOL)
    layer.train()
    ad.random.seed(1)
    first = layer(x)[0].numpy()
    ad.random.seed(1)
    np.testing.assert_array_equal(layer(x)[0].numpy(), first)
    assert not np.allclose(first, expected)


def test_float32_layer_gives_float32_outputs_and_gradients(backend):
    layer = ad.nn.LSTM(3, 4)
    x = ad.tensor(sample(5, 2, 3), dtype=ad.float32, requires_grad=True)
    out, (h_n, c_n) = layer(x)
    ad.sum(out).backward()
    assert out.dtype == h_n.dtype == c_n.dtype == ad.float32
    assert x.grad.dtype == ad.float32 and layer.weight_hh_l0.grad.dtype == ad.float32


def test_docstring_examples_of_the_recurrent_layers_run():
    with ad.backend("numpy"):
        result = doctest.testmod(importlib.import_module("ad_core_nn.recurrent"))
    assert result.failed == 0 and result.attempted >= 4


def test_repr_shows_the_constructor_arguments_that_differ_from_the_defaults():
    assert repr(ad.nn.LSTM(3, 4)) == "LSTM(3, 4)"
    assert repr(ad.nn.RNN(3, 4, 2, "relu", batch_first=True)) == (
        "RNN(3, 4, num_layers=2, batch_first=True, nonlinearity='relu')")
