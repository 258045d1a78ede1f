"""Every built-in layer's gradients, of its input and of every parameter, against central finite
differences in float64 on every backend (``ad_core.testing.gradcheck``).

Each case builds a small layer, moves its parameters away from their initial values (so that
ones and zeros of a fresh LayerNorm or BatchNorm hide nothing), and checks the function
``(input, *parameters) -> output``; the parameters are swapped in by name, nested ones
(``0.weight``) included. BatchNorm runs in training mode (batch statistics) and in evaluation
mode (running statistics); Dropout runs with a mask fixed by reseeding ``ad.random`` before each
evaluation. Recurrent layers give the output and every final state as one vector. Convolution
and pooling layers are checked in tests/nn/test_conv.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ad_core as ad
from ad_core.testing import gradcheck

F64 = "float64"


def sample(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def with_running_statistics(layer: Any) -> Any:
    """A BatchNorm layer in evaluation mode with running statistics that are not 0 and 1."""
    c = layer.num_features
    layer.running_mean.data = ad.tensor(sample(c, seed=7), dtype=F64)
    layer.running_var.data = ad.tensor(0.5 + np.abs(sample(c, seed=8)), dtype=F64)
    return layer.eval()


def recurrent(make: Callable[[], Any]) -> Callable[[], Any]:
    """A recurrent layer whose output and final states come back as one flat tensor."""

    class Flat(ad.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = make()

        def forward(self, x: Any) -> Any:
            out, state = self.layer(x)
            states = state if isinstance(state, tuple) else (state,)
            return ad.concat([ad.reshape(t, (-1,)) for t in (out, *states)])

    return Flat


def linear(n_in: int, n_out: int) -> Any:
    return ad.nn.Linear(n_in, n_out, dtype=F64)


# name: (make the layer, input shape or integer input, reseed before each call (Dropout))
CASES: dict[str, tuple[Callable[[], Any], Any, bool]] = {
    "Linear":               (lambda: linear(3, 2), (2, 3), False),
    "Linear-1d-input":      (lambda: linear(3, 2), (3,), False),
    "Linear-no-bias":       (lambda: ad.nn.Linear(3, 2, bias=False, dtype=F64), (2, 3), False),
    "Embedding":            (lambda: ad.nn.Embedding(4, 3, dtype=F64), np.array([[0, 2], [3, 2]]),
                             False),
    "Embedding-padding":    (lambda: ad.nn.Embedding(4, 2, padding_idx=1, dtype=F64),
                             np.array([2, 0, 3, 0]), False),  # the padding row is never
    # differentiated (torch's rule, checked against torch in test_layers), so it is not looked up
    "LayerNorm":            (lambda: ad.nn.LayerNorm(3, dtype=F64), (2, 3), False),
    "LayerNorm-2d":         (lambda: ad.nn.LayerNorm((2, 2), dtype=F64), (2, 2, 2), False),
    "LayerNorm-no-affine":  (lambda: ad.nn.LayerNorm(4, elementwise_affine=False, dtype=F64),
                             (2, 4), False),
    "BatchNorm1d-train":    (lambda: ad.nn.BatchNorm1d(2, dtype=F64), (3, 2), False),
    "BatchNorm1d-train-3d": (lambda: ad.nn.BatchNorm1d(2, dtype=F64), (2, 2, 2), False),
    "BatchNorm1d-eval":     (lambda: with_running_statistics(ad.nn.BatchNorm1d(2, dtype=F64)),
                             (3, 2), False),
    "BatchNorm2d-train":    (lambda: ad.nn.BatchNorm2d(2, dtype=F64), (2, 2, 2, 1), False),
    "BatchNorm2d-eval":     (lambda: with_running_statistics(ad.nn.BatchNorm2d(2, dtype=F64)),
                             (2, 2, 1, 2), False),
    "Dropout-train":        (lambda: ad.nn.Dropout(0.5), (3, 4), True),
    "Dropout-eval":         (lambda: ad.nn.Dropout(0.5).eval(), (3, 4), False),
    "ReLU":                 (lambda: ad.nn.ReLU(), (2, 3), False),
    "LeakyReLU":            (lambda: ad.nn.LeakyReLU(0.1), (2, 3), False),
    "Tanh":                 (lambda: ad.nn.Tanh(), (2, 3), False),
    "Sigmoid":              (lambda: ad.nn.Sigmoid(), (2, 3), False),
    "GELU":                 (lambda: ad.nn.GELU(), (2, 3), False),
    "GELU-tanh":            (lambda: ad.nn.GELU("tanh"), (2, 3), False),
    "Softplus":             (lambda: ad.nn.Softplus(beta=2.0, threshold=1.0), (2, 3), False),
    "Softmax":              (lambda: ad.nn.Softmax(dim=1), (2, 3), False),
    "LogSoftmax":           (lambda: ad.nn.LogSoftmax(dim=0), (2, 3), False),
    "Identity":             (lambda: ad.nn.Identity(), (2, 3), False),
    "Flatten":              (lambda: ad.nn.Flatten(), (2, 2, 2), False),
    "Sequential":           (lambda: ad.nn.Sequential(linear(3, 4), ad.nn.Tanh(),
                                                      ad.nn.LayerNorm(4, dtype=F64), linear(4, 2)),
                             (2, 3), False),
    "Residual":             (lambda: ad.nn.Residual(ad.nn.Sequential(linear(3, 3), ad.nn.GELU())),
                             (2, 3), False),
    "ModuleList-in-Sequential": (lambda: ad.nn.Sequential(*ad.nn.ModuleList([linear(2, 3),
                                                                              linear(3, 2)])),
                                 (2, 2), False),
    "RNN":                  (recurrent(lambda: ad.nn.RNN(2, 2, dtype=F64)), (3, 1, 2), False),
    "RNN-relu-batch-first": (recurrent(lambda: ad.nn.RNN(2, 2, nonlinearity="relu",
                                                         batch_first=True, dtype=F64)),
                             (1, 3, 2), False),
    "LSTM":                 (recurrent(lambda: ad.nn.LSTM(2, 2, dtype=F64)), (3, 1, 2), False),
    "LSTM-bidirectional":   (recurrent(lambda: ad.nn.LSTM(2, 2, bidirectional=True, dtype=F64)),
                             (3, 1, 2), False),
    "GRU":                  (recurrent(lambda: ad.nn.GRU(2, 2, dtype=F64)), (3, 1, 2), False),
    "GRU-2layers-dropout":  (recurrent(lambda: ad.nn.GRU(2, 2, num_layers=2, dropout=0.5,
                                                         dtype=F64)), (3, 1, 2), True),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_layer_gradients_of_input_and_parameters_match_finite_differences(backend, name):
    make, shape, reseed = CASES[name]
    ad.random.seed(0)
    layer = make()
    names = [n for n, _ in layer.named_parameters()]
    x = ad.tensor(shape) if isinstance(shape, np.ndarray) else ad.tensor(sample(*shape))
    moved = [ad.tensor(p.numpy() + 0.3 * sample(*p.shape, seed=i + 1))
             for i, (_, p) in enumerate(layer.named_parameters())]

    def f(inp, *params):
        if reseed:
            ad.random.seed(3)
        return ad.nn.functional_call(layer, dict(zip(names, params, strict=True)), inp)

    assert gradcheck(f, [x, *moved])


def test_every_layer_of_the_nn_plugin_has_a_case_here_but_convolution_and_pooling():
    """A layer added to the nn plugin needs a case above (conv and pooling: test_conv.py)."""
    elsewhere = {"Conv1d", "Conv2d", "MaxPool2d", "AvgPool2d"}
    covered = {name.split("-")[0] for name in CASES}
    registered = set({r.name: r for r in ad.plugin_reports()}["nn"].registered["layers"])
    assert registered - elsewhere - covered == set()


def test_dropout_case_checks_a_mask_that_drops_and_keeps(backend):
    """The reseeded mask of the Dropout case zeroes some elements and scales the others."""
    layer = ad.nn.Dropout(0.5)
    ad.random.seed(3)
    out = layer(ad.ones((3, 4), dtype=F64)).numpy()
    assert set(np.unique(out)) == {0.0, 2.0}
