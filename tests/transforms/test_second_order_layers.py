"""Second derivatives of every built-in layer and every loss, against finite differences of the
gradient (``ad_core.testing.gradgradcheck``), in float64 on every backend.

A layer is checked as the function ``(input, *parameters) -> output``, its parameters swapped in
by dotted name and moved away from their initial values; a loss as ``(input, target) -> loss``
for every reduction, differentiating the target too where it is floating point. Tiny sizes: the
check differentiates a recorded backward pass once per input element. Points sit away from the
kinks of ReLU, L1, Huber and max pooling, where the second derivative is zero on either side.
Conv and pooling layers go through their public classes, whatever ops implement them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ad_core as ad
from ad_core.testing import gradgradcheck

F64 = "float64"


def sample(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def linear(n_in: int, n_out: int) -> Any:
    return ad.nn.Linear(n_in, n_out, dtype=F64)


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


def evaluating(layer: Any) -> Any:
    """A BatchNorm layer in evaluation mode, with running statistics that are not 0 and 1."""
    c = layer.num_features
    layer.running_mean.data = ad.tensor(sample(c, seed=7), dtype=F64)
    layer.running_var.data = ad.tensor(0.5 + np.abs(sample(c, seed=8)), dtype=F64)
    return layer.eval()


#  name                  (make the layer,                                              input)
LAYERS: dict[str, tuple[Callable[[], Any], Any]] = {
    "Linear":            (lambda: linear(3, 2),                                        (2, 3)),
    "Embedding":         (lambda: ad.nn.Embedding(4, 2, dtype=F64),                    np.array([0, 3, 3])),
    "Flatten":           (lambda: ad.nn.Flatten(),                                     (2, 1, 2)),
    "ReLU":              (lambda: ad.nn.ReLU(),                                        (2, 3)),
    "LeakyReLU":         (lambda: ad.nn.LeakyReLU(0.1),                                (2, 3)),
    "Tanh":              (lambda: ad.nn.Tanh(),                                        (2, 3)),
    "Sigmoid":           (lambda: ad.nn.Sigmoid(),                                     (2, 3)),
    "GELU":              (lambda: ad.nn.GELU(),                                        (2, 3)),
    "GELU-tanh":         (lambda: ad.nn.GELU("tanh"),                                  (2, 3)),
    "Softplus":          (lambda: ad.nn.Softplus(beta=2.0, threshold=1.0),             (2, 3)),
    "Softmax":           (lambda: ad.nn.Softmax(dim=1),                                (2, 3)),
    "LogSoftmax":        (lambda: ad.nn.LogSoftmax(dim=0),                             (2, 3)),
    "LayerNorm":         (lambda: ad.nn.LayerNorm(3, dtype=F64),                       (2, 3)),
    "BatchNorm1d":       (lambda: ad.nn.BatchNorm1d(2, dtype=F64),                     (3, 2)),
    "BatchNorm1d-eval":  (lambda: evaluating(ad.nn.BatchNorm1d(2, dtype=F64)),         (3, 2)),
    "BatchNorm2d":       (lambda: ad.nn.BatchNorm2d(2, dtype=F64),                     (2, 2, 1, 2)),
    "Dropout":           (lambda: ad.nn.Dropout(0.5).eval(),                           (2, 3)),
    "Dropout-train":     (lambda: ad.nn.Dropout(0.5),                                  (2, 3)),
    "RNN":               (recurrent(lambda: ad.nn.RNN(2, 2, dtype=F64)),               (2, 1, 2)),
    "LSTM":              (recurrent(lambda: ad.nn.LSTM(2, 2, dtype=F64)),              (2, 1, 2)),
    "GRU":               (recurrent(lambda: ad.nn.GRU(2, 2, dtype=F64)),               (2, 1, 2)),
    "Conv1d":            (lambda: ad.nn.Conv1d(1, 2, 2, padding=1, dtype=F64),         (1, 1, 3)),
    "Conv2d":            (lambda: ad.nn.Conv2d(1, 2, 2, stride=1, padding=1, dtype=F64), (1, 1, 3, 3)),
    "Conv2d-strided":    (lambda: ad.nn.Conv2d(2, 1, 2, stride=2, dtype=F64),          (1, 2, 3, 3)),
    "MaxPool2d":         (lambda: ad.nn.MaxPool2d(2, stride=1),                        (1, 1, 3, 3)),
    "AvgPool2d":         (lambda: ad.nn.AvgPool2d(2, stride=1, padding=1),             (1, 1, 2, 2)),
    "Sequential":        (lambda: ad.nn.Sequential(linear(2, 2), ad.nn.Tanh(), linear(2, 1)), (2, 2)),
    "ModuleList":        (lambda: ad.nn.Sequential(*ad.nn.ModuleList([linear(2, 2), ad.nn.GELU()])), (2, 2)),
    "Residual":          (lambda: ad.nn.Residual(ad.nn.Sequential(linear(2, 2), ad.nn.Sigmoid())), (2, 2)),
    "Identity":          (lambda: ad.nn.Identity(),                                    (2, 3)),
}  # fmt: skip

#: Layers that draw random numbers in forward: reseeded before every call, so the mask is fixed.
RESEED = {"Dropout-train"}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_second_derivatives_of_input_and_parameters_match_finite_differences(backend, name):
    make, shape = LAYERS[name]
    layer = make()
    names = [n for n, _ in layer.named_parameters()]
    x = ad.tensor(shape) if isinstance(shape, np.ndarray) else ad.tensor(sample(*shape))
    moved = [ad.tensor(p.numpy() + 0.3 * sample(*p.shape, seed=i + 1))
             for i, (_, p) in enumerate(layer.named_parameters())]

    def f(inp, *params):
        if name in RESEED:
            ad.random.seed(3)
        return ad.nn.functional_call(layer, dict(zip(names, params, strict=True)), inp)

    assert gradgradcheck(f, [x, *moved])


def test_every_registered_layer_has_a_second_order_case():
    registered = set({r.name: r for r in ad.plugin_reports()}["nn"].registered["layers"])
    covered = {name.split("-")[0] for name in LAYERS}
    assert registered - covered == set(), "add a case to LAYERS for each layer listed"


# -- losses -------------------------------------------------------------------------------------


def _indices(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _probabilities(n: int, c: int) -> np.ndarray:
    e = np.exp(sample(n, c, seed=5))
    return e / e.sum(axis=1, keepdims=True)


#  name                                 (loss with options,                                    input,          target)
LOSSES: dict[str, tuple[Callable[..., Any], np.ndarray, np.ndarray]] = {
    "mse":                              (ad.losses.mse,                                        sample(2, 3),   sample(2, 3, seed=1)),
    "l1":                               (ad.losses.l1,                                         sample(2, 3),   sample(2, 3, seed=1)),
    "huber":                            (lambda x, t, **kw: ad.losses.huber(x, t, delta=0.8, **kw), sample(2, 3), sample(2, 3, seed=1)),
    "cross_entropy":                    (ad.losses.cross_entropy,                              sample(3, 4),   _indices(1, 0, 3)),
    "cross_entropy-probabilities":      (lambda x, t, **kw: ad.losses.cross_entropy(x, t, label_smoothing=0.1, **kw),
                                                                                                sample(3, 4),   _probabilities(3, 4)),
    "cross_entropy-weighted":           (lambda x, t, **kw: ad.losses.cross_entropy(
                                            x, t, ad.tensor(np.array([0.5, 2.0, 1.0, 1.5])), ignore_index=2,
                                            label_smoothing=0.2, **kw),                        sample(3, 4),   _indices(1, 2, 3)),
    "nll":                              (ad.losses.nll,                                        sample(3, 4),   _indices(2, 0, 3)),
    "binary_cross_entropy_with_logits": (lambda x, t, **kw: ad.losses.binary_cross_entropy_with_logits(
                                            x, t, pos_weight=ad.tensor(np.array([1.5, 0.5, 2.0])), **kw),
                                                                                                sample(2, 3),   _probabilities(2, 3)),
}  # fmt: skip


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_second_derivatives_match_finite_differences(backend, name, reduction):
    loss, x, target = LOSSES[name]
    assert gradgradcheck(lambda x, t: loss(x, t, reduction=reduction),
                         [ad.tensor(x), ad.tensor(target)])


def test_every_registered_loss_has_a_second_order_case():
    registered = set({r.name: r for r in ad.plugin_reports()}["losses"].registered["losses"])
    covered = {name.split("-")[0] for name in LOSSES}
    assert registered - covered == set(), "add a case to LOSSES for each loss listed"
