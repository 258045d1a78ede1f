"""RNN, LSTM and GRU against torch.nn.RNN / LSTM / GRU with the same weights, in float64, on every
backend, one and two directions: outputs, final states, and the gradients of the input, the
initial states and every parameter; finite differences on a tiny case; torch's parameter names,
shapes, order and init range, so state dicts load both ways; dropout between layers; and the
errors a wrong input gets."""

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


def pair(cls: str):
    """Makers of the ad_core and the torch layer ``cls``, input size 3 and hidden size 4."""
    return (lambda **k: getattr(ad.nn, cls)(3, 4, **k),
            lambda **k: getattr(torch.nn, cls)(3, 4, **k))


# name: (ad_core maker, torch maker, keyword arguments)
CASES = {
    "RNN-tanh":                  (*pair("RNN"), {}),
    "RNN-relu-2layers":          (*pair("RNN"), {"num_layers": 2, "nonlinearity": "relu"}),
    "RNN-no-bias":               (*pair("RNN"), {"bias": False, "num_layers": 2}),
    "LSTM":                      (*pair("LSTM"), {}),
    "LSTM-2layers":              (*pair("LSTM"), {"num_layers": 2}),
    "LSTM-no-bias":              (*pair("LSTM"), {"bias": False}),
    "GRU":                       (*pair("GRU"), {}),
    "GRU-2layers":               (*pair("GRU"), {"num_layers": 2}),
    "GRU-no-bias":               (*pair("GRU"), {"bias": False}),
    "RNN-bidirectional":         (*pair("RNN"), {"bidirectional": True}),
    "RNN-relu-bidirectional-2":  (*pair("RNN"), {"bidirectional": True, "num_layers": 2,
                                                 "nonlinearity": "relu"}),
    "LSTM-bidirectional":        (*pair("LSTM"), {"bidirectional": True}),
    "LSTM-bidirectional-2":      (*pair("LSTM"), {"bidirectional": True, "num_layers": 2}),
    "GRU-bidirectional-2":       (*pair("GRU"), {"bidirectional": True, "num_layers": 2}),
    "GRU-bidirectional-no-bias": (*pair("GRU"), {"bidirectional": True, "bias": False}),
}  # fmt: skip


def state_shapes(name: str, kwargs: dict, batch: int | None) -> list[tuple[int, ...]]:
    layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
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
@pytest.mark.parametrize("name", ["RNN-tanh", "LSTM-2layers", "GRU-bidirectional-2"])
def test_unbatched_input_matches_torch(backend, name, with_states):
    make, make_torch, kwargs = CASES[name]
    t_layer = make_torch(**kwargs).double()
    states = None
    if with_states:
        states = [sample(*s, seed=3 + i) for i, s in enumerate(state_shapes(name, kwargs, None))]
    compare_with_torch_recurrent(make(dtype=F64, **kwargs), t_layer, sample(4, 3), states)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_tiny_recurrent_layer_gradients_match_finite_differences(backend, cls, bidirectional):
    layer = getattr(ad.nn, cls)(2, 2, num_layers=2, bidirectional=bidirectional, dtype=F64)
    names = [n for n, _ in layer.named_parameters()]
    start = [ad.tensor(sample(3, 1, 2))] + [ad.tensor(sample(*p.shape, seed=i + 1) * 0.5)
                                            for i, (_, p) in enumerate(layer.named_parameters())]

    def f(x, *params):
        saved = {n: layer.__dict__[n] for n in names}
        for n, t in zip(names, params, strict=True):
            object.__setattr__(layer, n, t)
        try:
            out, *states = flatten_outputs(layer(x))
            return ad.concat([ad.reshape(t, (-1,)) for t in (out, *states)])
        finally:
            for n, p in saved.items():
                object.__setattr__(layer, n, p)

    assert gradcheck(f, start)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_parameter_names_shapes_and_order_are_torchs(backend, cls, bias, bidirectional):
    layer = getattr(ad.nn, cls)(3, 5, num_layers=2, bias=bias, bidirectional=bidirectional)
    t_layer = getattr(torch.nn, cls)(3, 5, num_layers=2, bias=bias, bidirectional=bidirectional)
    assert list(layer.state_dict()) == list(t_layer.state_dict())
    assert [p.shape for p in layer.parameters()] == [tuple(p.shape) for p in t_layer.parameters()]


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_a_state_dict_round_trips_to_torch_and_back(backend, cls):
    layer = getattr(ad.nn, cls)(3, 4, num_layers=2, bidirectional=True, dtype=F64)
    t_layer = getattr(torch.nn, cls)(3, 4, num_layers=2, bidirectional=True).double()
    t_layer.load_state_dict({k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()})
    x = sample(5, 2, 3)
    expected = flatten_outputs(layer(ad.tensor(x)))
    got = flatten_outputs(t_layer(torch.tensor(x)))
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(e.numpy(), g.detach().numpy(), **TOL)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_default_initialisation_is_uniform_within_one_over_sqrt_hidden_size(backend, cls):
    ad.random.seed(0)
    layer = getattr(ad.nn, cls)(8, 16)
    bound = 1 / math.sqrt(16)
    values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
    assert values.dtype == np.float32
    assert np.all(np.abs(values) <= bound)
    assert np.abs(values).max() > 0.9 * bound  # spread over the whole range, not a smaller one
    assert abs(values.mean()) < 0.1 * bound


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_wrong_input_size_names_the_layer_and_both_sizes(backend, cls):
    layer = getattr(ad.nn, cls)(3, 4)
    with pytest.raises(ShapeError, match=rf"{cls}\(input_size=3.*5 features.*input_size=3"):
        layer(ad.tensor(sample(6, 2, 5), dtype=ad.float32))


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_input_without_a_time_axis_is_refused(backend, cls):
    with pytest.raises(ShapeError, match="expects input of shape"):
        getattr(ad.nn, cls)(3, 4)(ad.tensor(sample(3), dtype=ad.float32))


@pytest.mark.parametrize("cls", ["RNN", "GRU"])
def test_an_empty_sequence_is_refused(backend, cls):
    with pytest.raises(ShapeError, match=r"sequence is empty \(shape \(0, 2, 3\)\)"):
        getattr(ad.nn, cls)(3, 4)(ad.tensor(np.zeros((0, 2, 3)), dtype=ad.float32))


def test_wrong_initial_state_shape_of_a_bidirectional_layer_names_the_expected_shape(backend):
    layer = ad.nn.GRU(3, 4, num_layers=2, bidirectional=True)
    x = ad.tensor(sample(5, 2, 3), dtype=ad.float32)
    with pytest.raises(ShapeError, match=r"hx has shape \(2, 2, 4\), expected \(4, 2, 4\)"):
        layer(x, ad.tensor(sample(2, 2, 4), dtype=ad.float32))


def test_wrong_initial_state_shape_names_the_expected_shape(backend):
    layer = ad.nn.LSTM(3, 4, num_layers=2)
    x = ad.tensor(sample(5, 2, 3), dtype=ad.float32)
    h = ad.tensor(sample(2, 2, 4), dtype=ad.float32)
    with pytest.raises(ShapeError, match=r"c_0 has shape \(1, 2, 4\), expected \(2, 2, 4\)"):
        layer(x, (h, ad.tensor(sample(1, 2, 4), dtype=ad.float32)))


def test_bad_constructor_arguments_are_refused():
    with pytest.raises(ValueError, match="nonlinearity"):
        ad.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout"):
        ad.nn.GRU(3, 4, dropout=1.5)
    with pytest.raises(TypeError, match=r"hx must be a pair \(h_0, c_0\)"):
        ad.nn.LSTM(3, 4)(ad.tensor(sample(5, 2, 3), dtype=ad.float32), ad.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="positive"):
        ad.nn.LSTM(3, 0)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_acts_in_training_only_and_follows_the_seed(backend, cls):
    layer = getattr(ad.nn, cls)(3, 4, num_layers=2, dropout=0.5, bidirectional=True, dtype=F64)
    plain = getattr(ad.nn, cls)(3, 4, num_layers=2, bidirectional=True, dtype=F64)
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


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_dropout_masks_the_first_layers_output_and_scales_what_it_keeps_like_torch(backend, cls):
    """Two torch layers of one layer each, with the mask ``ad.random`` draws between them."""
    layer = getattr(ad.nn, cls)(3, 4, num_layers=2, dropout=0.25, bidirectional=True, dtype=F64)
    first = getattr(torch.nn, cls)(3, 4, bidirectional=True).double()
    second = getattr(torch.nn, cls)(8, 4, bidirectional=True).double()
    weights = {k: torch.tensor(v.numpy()) for k, v in layer.state_dict().items()}
    first.load_state_dict({k: v for k, v in weights.items() if "_l0" in k})
    second.load_state_dict({k.replace("_l1", "_l0"): v for k, v in weights.items() if "_l1" in k})
    x = sample(5, 2, 3)
    ad.random.seed(4)
    keep = ad.random.bernoulli(0.75, (5, 2, 8), dtype=F64).numpy()
    ad.random.seed(4)
    out = flatten_outputs(layer(ad.tensor(x)))[0]
    hidden = first(torch.tensor(x))[0] * torch.tensor(keep / 0.75)
    np.testing.assert_allclose(out.numpy(), second(hidden)[0].detach().numpy(), **TOL)


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
    assert result.failed == 0 and result.attempted >= 6


def test_repr_shows_the_constructor_arguments_that_differ_from_the_defaults():
    assert repr(ad.nn.LSTM(3, 4)) == "LSTM(3, 4)"
    assert repr(ad.nn.RNN(3, 4, 2, "relu", batch_first=True)) == (
        "RNN(3, 4, num_layers=2, batch_first=True, nonlinearity='relu')")
    assert repr(ad.nn.GRU(3, 4, 2, dropout=0.5, bidirectional=True)) == repr(
        torch.nn.GRU(3, 4, 2, dropout=0.5, bidirectional=True))
