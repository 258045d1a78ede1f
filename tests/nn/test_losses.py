"""Losses: values and gradients against torch.nn.functional (float64) for every loss, option and
reduction on every backend; finite differences to first and (cross-entropy) second order;
stability at logits of 1e4 in float32; dtypes; the fused op against an unfused formula; the
module forms; and the errors for bad arguments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import DTypeError, ShapeError
from ad_core.testing import gradcheck
from ad_core.testing.oracle import compare_with_torch

REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(7)


def _randn(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def _probs(*shape: int, axis: int = -1) -> np.ndarray:
    e = np.exp(RNG.standard_normal(shape))
    return e / e.sum(axis=axis, keepdims=True)


def _labels(classes: int, *shape: int, ignore: tuple[int, ...] = ()) -> np.ndarray:
    t = RNG.integers(0, classes, size=shape)
    for i in ignore:
        t.reshape(-1)[i] = -100
    return t


CLASS_WEIGHT = RNG.uniform(0.5, 2.0, 5)

#: id -> (ad_core loss name, torch.nn.functional name, inputs (NumPy; floating ones are
#: differentiated on both sides), options for ad_core, options for torch (NumPy arrays there
#: become torch tensors, held constant))
CASES: dict[str, tuple[str, str, list[np.ndarray], dict[str, Any], dict[str, Any]]] = {
    "mse": ("mse", "mse_loss", [_randn(3, 4), _randn(3, 4)], {}, {}),
    "l1": ("l1", "l1_loss", [_randn(3, 4), _randn(3, 4)], {}, {}),
    "huber": ("huber", "huber_loss", [_randn(3, 4), 2 * _randn(3, 4)], {}, {}),
    "huber-delta": ("huber", "huber_loss", [_randn(6), 2 * _randn(6)], {"delta": 0.5},
                    {"delta": 0.5}),
    "ce-indices": ("cross_entropy", "cross_entropy", [_randn(4, 5), _labels(5, 4)], {}, {}),
    "ce-one-sample": ("cross_entropy", "cross_entropy", [_randn(5), np.array(3)], {}, {}),
    "ce-spatial": ("cross_entropy", "cross_entropy", [_randn(2, 5, 3), _labels(5, 2, 3)], {}, {}),
    "ce-weight": ("cross_entropy", "cross_entropy", [_randn(4, 5), _labels(5, 4)],
                  {"weight": CLASS_WEIGHT}, {"weight": CLASS_WEIGHT}),
    "ce-ignore": ("cross_entropy", "cross_entropy", [_randn(4, 5), _labels(5, 4, ignore=(1,))],
                  {}, {}),
    "ce-ignore-index-2": ("cross_entropy", "cross_entropy",
                          [_randn(4, 5), np.array([2, 0, 2, 4])], {"ignore_index": 2},
                          {"ignore_index": 2}),
    "ce-smoothing": ("cross_entropy", "cross_entropy", [_randn(4, 5), _labels(5, 4)],
                     {"label_smoothing": 0.2}, {"label_smoothing": 0.2}),
    "ce-all-options": ("cross_entropy", "cross_entropy",
                       [_randn(2, 5, 2), _labels(5, 2, 2, ignore=(2,))],
                       {"weight": CLASS_WEIGHT, "label_smoothing": 0.3},
                       {"weight": CLASS_WEIGHT, "label_smoothing": 0.3}),
    "ce-probs": ("cross_entropy", "cross_entropy", [_randn(4, 5), _probs(4, 5)], {}, {}),
    "ce-probs-options": ("cross_entropy", "cross_entropy", [_randn(3, 5, 2), _probs(3, 5, 2, axis=1)],
                         {"weight": CLASS_WEIGHT, "label_smoothing": 0.1},
                         {"weight": CLASS_WEIGHT, "label_smoothing": 0.1}),
    "nll": ("nll", "nll_loss", [np.log(_probs(4, 5)), _labels(5, 4)], {}, {}),
    "nll-options": ("nll", "nll_loss", [np.log(_probs(4, 5)), _labels(5, 4, ignore=(0,))],
                    {"weight": CLASS_WEIGHT}, {"weight": CLASS_WEIGHT}),
    "nll-spatial": ("nll", "nll_loss", [np.log(_probs(2, 5, 3, axis=1)), _labels(5, 2, 3)], {}, {}),
    "bce": ("binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits",
            [3 * _randn(3, 4), RNG.uniform(0, 1, (3, 4))], {}, {}),
    "bce-weights": ("binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits",
                    [3 * _randn(3, 4), RNG.integers(0, 2, (3, 4)).astype(float)],
                    {"weight": RNG.uniform(0.5, 2, (3, 4)), "pos_weight": RNG.uniform(0.5, 3, 4)},
                    {"weight": None, "pos_weight": None}),
}
# the torch side of "bce-weights" takes the same arrays as ad_core's
CASES["bce-weights"][4].update(CASES["bce-weights"][3])


def _ad_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: ad.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}


def _torch_options(options: dict[str, Any]) -> dict[str, Any]:
    import torch

    return {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}


# -- against torch.nn.functional --------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CASES))
def test_loss_matches_torch_in_value_and_gradient(backend, case, reduction):
    torch = pytest.importorskip("torch")
    name, torch_name, inputs, options, torch_options = CASES[case]
    loss = getattr(ad.losses, name)
    torch_loss = getattr(torch.nn.functional, torch_name)
    compare_with_torch(
        lambda *xs: loss(*xs, reduction=reduction, **_ad_options(options)),
        lambda *xs: torch_loss(*xs, reduction=reduction, **_torch_options(torch_options)),
        inputs, rtol=1e-10, atol=1e-12,
    )


# -- against finite differences ---------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("case", ["mse", "l1", "huber-delta", "ce-indices", "ce-all-options",
                                  "ce-probs-options", "nll-options", "bce-weights"])
def test_loss_gradient_matches_finite_differences(backend, case, reduction):
    name, _, inputs, options, _ = CASES[case]
    loss = getattr(ad.losses, name)
    target = ad.tensor(inputs[1])
    opts = _ad_options(options)
    assert gradcheck(lambda x: loss(x, target, reduction=reduction, **opts), [ad.tensor(inputs[0])])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", ["ce-indices", "ce-ignore", "ce-all-options", "ce-probs"])
def test_cross_entropy_second_derivative_matches_finite_differences(backend, case, reduction):
    _, _, inputs, options, _ = CASES[case]
    target = ad.tensor(inputs[1])
    opts = _ad_options(options)

    def loss(x: Any) -> Any:
        return ad.sum(ad.losses.cross_entropy(x, target, reduction=reduction, **opts) ** 2.0)

    assert gradcheck(lambda x: ad.grad(loss)(x), [ad.tensor(inputs[0])])


def test_cross_entropy_hessian_matches_torch(backend):
    torch = pytest.importorskip("torch")
    x, t = _randn(3, 4), _labels(4, 3)
    target = ad.tensor(t)
    hessian = ad.grad(lambda y: ad.sum(ad.grad(lambda z: ad.losses.cross_entropy(z, target))(y)
                                        * ad.tensor(np.arange(12.0).reshape(3, 4))))
    tx = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(torch.nn.functional.cross_entropy(tx, torch.tensor(t)), tx,
                               create_graph=True)
    (hv,) = torch.autograd.grad((g * torch.arange(12.0, dtype=torch.float64).reshape(3, 4)).sum(), tx)
    np.testing.assert_allclose(hessian(ad.tensor(x)).numpy(), hv.numpy(), rtol=1e-10, atol=1e-12)


# -- the fused op -----------------------------------------------------------------------------


def test_fused_cross_entropy_is_one_node_in_the_graph(backend):
    x = ad.tensor(_randn(4, 5), requires_grad=True)
    loss = ad.losses.cross_entropy(x, ad.tensor(_labels(5, 4)))
    assert loss.grad_fn.op.name == "softmax_cross_entropy"
    assert loss.grad_fn.parents[0] is x


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_fused_cross_entropy_equals_the_log_softmax_formula(backend, reduction):
    x, t = _randn(6, 3), _labels(3, 6)
    onehot = np.eye(3)[t]
    fused = ad.softmax_cross_entropy(ad.tensor(x), ad.tensor(t), reduction=reduction)
    per = -ad.sum(ad.tensor(onehot) * ad.log_softmax(ad.tensor(x), axis=-1), axis=-1)
    expected = {"mean": ad.mean(per), "sum": ad.sum(per), "none": per}[reduction]
    np.testing.assert_allclose(fused.numpy(), expected.numpy(), rtol=1e-12)


def test_the_softmax_kept_for_the_backward_pass_is_released_with_the_loss(backend):
    import gc

    from ad_core_losses import fused

    x = ad.tensor(_randn(4, 5), requires_grad=True)
    before = len(fused._SOFTMAX)
    loss = ad.losses.cross_entropy(x, ad.tensor(_labels(5, 4)))
    assert len(fused._SOFTMAX) == before + 1
    loss.backward()
    del loss
    gc.collect()
    assert len(fused._SOFTMAX) == before


def test_forward_mode_through_the_fused_op_matches_torch(backend):
    torch = pytest.importorskip("torch")
    x, t, v = _randn(3, 4), _labels(4, 3), _randn(3, 4)
    target = ad.tensor(t)
    _, tangent = ad.jvp(lambda z: ad.losses.cross_entropy(z, target, label_smoothing=0.1),
                        (ad.tensor(x),), (ad.tensor(v),))
    _, expected = torch.func.jvp(
        lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(t), label_smoothing=0.1),
        (torch.tensor(x),), (torch.tensor(v),))
    assert tangent.item() == pytest.approx(expected.item(), rel=1e-10)


# -- stability, dtypes, edge cases ------------------------------------------------------------


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_is_exact_at_logits_of_1e4_in_float32(backend, smoothing):
    torch = pytest.importorskip("torch")
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, -1e4]], dtype=np.float32)
    t = np.array([0, 2, 1])
    x = ad.tensor(logits, requires_grad=True)
    loss = ad.losses.cross_entropy(x, ad.tensor(t), label_smoothing=smoothing)
    loss.backward()
    tx = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(tx, torch.tensor(t), label_smoothing=smoothing)
    expected.backward()
    assert loss.dtype == ad.float32 and x.grad.dtype == ad.float32
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_cross_entropy_from_probabilities_is_finite_at_logits_of_1e4(backend):
    logits = np.array([[1e4, 0.0, -1e4]], dtype=np.float32)
    x = ad.tensor(logits, requires_grad=True)
    loss = ad.losses.cross_entropy(x, ad.tensor(np.array([[0.5, 0.5, 0.0]], dtype=np.float32)))
    loss.backward()
    np.testing.assert_allclose(loss.item(), 5000.0, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, -0.5, 0.0]], atol=1e-6)


def test_bce_with_logits_is_finite_at_logits_of_1e4(backend):
    x = ad.tensor(np.array([1e4, -1e4, 1e4, -1e4], dtype=np.float32), requires_grad=True)
    y = ad.tensor(np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32))
    loss = ad.losses.binary_cross_entropy_with_logits(x, y, reduction="none")
    loss.sum().backward()
    np.testing.assert_allclose(loss.numpy(), [0.0, 0.0, 1e4, 1e4], rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -1.0])


@pytest.mark.parametrize("name", ["mse", "l1", "huber", "cross_entropy", "nll",
                                  "binary_cross_entropy_with_logits"])
def test_float32_inputs_give_float32_loss_and_gradient(backend, name):
    x = ad.tensor(_randn(4, 3).astype(np.float32), requires_grad=True)
    if name in ("cross_entropy", "nll"):
        target = ad.tensor(_labels(3, 4))
    else:
        target = ad.tensor(RNG.uniform(0, 1, (4, 3)).astype(np.float32))
    loss = getattr(ad.losses, name)(x, target)
    loss.backward()
    assert loss.dtype == ad.float32
    assert x.grad.dtype == ad.float32 and x.grad.shape == (4, 3)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_cross_entropy_where_every_target_is_ignored_is_nan_as_torch(backend):
    loss = ad.losses.cross_entropy(ad.tensor(_randn(2, 3)), ad.tensor(np.array([-100, -100])))
    assert np.isnan(loss.item())
    total = ad.losses.cross_entropy(ad.tensor(_randn(2, 3)), ad.tensor(np.array([-100, -100])),
                                    reduction="sum")
    assert total.item() == 0.0


# -- the module forms -------------------------------------------------------------------------

MODULES = {"MSELoss": "mse", "L1Loss": "l1", "HuberLoss": "huber",
           "CrossEntropyLoss": "cross_entropy", "NLLLoss": "nll",
           "BCEWithLogitsLoss": "binary_cross_entropy_with_logits"}


@pytest.mark.parametrize("module", list(MODULES))
def test_module_form_calls_the_loss_with_its_options(backend, module):
    pytest.importorskip("ad_core.nn.loss_module")
    x = ad.tensor(_randn(4, 5))
    target = ad.tensor(_labels(5, 4) if module in ("CrossEntropyLoss", "NLLLoss")
                       else RNG.uniform(0, 1, (4, 5)))
    layer = getattr(ad.nn, module)(reduction="sum")
    expected = getattr(ad.losses, MODULES[module])(x, target, reduction="sum")
    np.testing.assert_allclose(layer(x, target).numpy(), expected.numpy(), rtol=1e-12)


def test_cross_entropy_module_takes_class_weights_like_torch(backend):
    torch = pytest.importorskip("torch")
    pytest.importorskip("ad_core.nn.loss_module")
    x, t = _randn(4, 5), _labels(5, 4)
    ours = ad.nn.CrossEntropyLoss(weight=ad.tensor(CLASS_WEIGHT), label_smoothing=0.1)
    theirs = torch.nn.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHT), label_smoothing=0.1)
    np.testing.assert_allclose(ours(ad.tensor(x), ad.tensor(t)).item(),
                               theirs(torch.tensor(x), torch.tensor(t)).item(), rtol=1e-12)


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mse", "l1", "huber", "cross_entropy", "nll",
                                  "binary_cross_entropy_with_logits"])
def test_an_unknown_reduction_is_refused_naming_the_loss(backend, name):
    target = ad.tensor(_labels(3, 2)) if name in ("cross_entropy", "nll") else ad.tensor(_randn(2, 3))
    with pytest.raises(ValueError, match=rf"{name}: reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        getattr(ad.losses, name)(ad.tensor(_randn(2, 3)), target, reduction="avg")


@pytest.mark.parametrize("name", ["mse", "l1", "huber", "binary_cross_entropy_with_logits"])
def test_elementwise_losses_refuse_a_target_of_another_shape(backend, name):
    with pytest.raises(ShapeError, match=rf"{name}: input has shape \(4, 1\) but target has shape \(4,\)"):
        getattr(ad.losses, name)(ad.tensor(_randn(4, 1)), ad.tensor(_randn(4)))


def test_cross_entropy_refuses_float_targets_of_another_shape(backend):
    with pytest.raises(DTypeError, match="class-index targets must be integers, got float64"):
        ad.losses.cross_entropy(ad.tensor(_randn(4, 3)), ad.tensor(_randn(4)))


def test_cross_entropy_names_the_target_shape_it_needs(backend):
    with pytest.raises(ShapeError, match=r"needs a target of shape \(4,\).*got \(3,\)"):
        ad.losses.cross_entropy(ad.tensor(_randn(4, 3)), ad.tensor(_labels(3, 3)))


@pytest.mark.parametrize("name", ["cross_entropy", "nll"])
def test_class_indices_out_of_range_are_refused(backend, name):
    with pytest.raises(ValueError, match=r"class indices outside \[0, 3\)"):
        getattr(ad.losses, name)(ad.tensor(_randn(2, 3)), ad.tensor(np.array([0, 3])))
    with pytest.raises(ValueError, match=r"class indices outside \[0, 3\)"):
        getattr(ad.losses, name)(ad.tensor(_randn(2, 3)), ad.tensor(np.array([-1, 0])))


@pytest.mark.parametrize("name", ["cross_entropy", "nll"])
def test_a_class_weight_of_the_wrong_length_is_refused(backend, name):
    with pytest.raises(ShapeError, match=rf"{name}: weight must have shape \(3,\)"):
        getattr(ad.losses, name)(ad.tensor(_randn(2, 3)), ad.tensor(_labels(3, 2)),
                                 ad.tensor(np.ones(4)))


@pytest.mark.parametrize("smoothing", [-0.1, 1.5])
def test_label_smoothing_outside_0_1_is_refused(backend, smoothing):
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        ad.losses.cross_entropy(ad.tensor(_randn(2, 3)), ad.tensor(_labels(3, 2)),
                                label_smoothing=smoothing)


def test_huber_refuses_a_non_positive_delta(backend):
    with pytest.raises(ValueError, match="huber: delta must be a number > 0, got 0"):
        ad.losses.huber(ad.tensor(_randn(3)), ad.tensor(_randn(3)), delta=0)


def test_the_fused_op_checks_its_inputs_by_name(backend):
    with pytest.raises(ShapeError, match=r"softmax_cross_entropy: logits must have shape \(N, C\)"):
        ad.softmax_cross_entropy(ad.tensor(_randn(2, 3, 4)), ad.tensor(_labels(3, 2)))
    with pytest.raises(DTypeError, match="softmax_cross_entropy: target must hold integer"):
        ad.softmax_cross_entropy(ad.tensor(_randn(2, 3)), ad.tensor(_randn(2)))
    with pytest.raises(ValueError, match="softmax_cross_entropy: reduction must be"):
        ad.softmax_cross_entropy(ad.tensor(_randn(2, 3)), ad.tensor(_labels(3, 2)),
                                 reduction="mean!")


def test_every_loss_is_registered_with_its_module_name():
    from ad_core.nn.registry import LOSSES

    expected = {"mse": "MSELoss", "l1": "L1Loss", "huber": "HuberLoss",
                "cross_entropy": "CrossEntropyLoss", "nll": "NLLLoss",
                "binary_cross_entropy_with_logits": "BCEWithLogitsLoss"}
    for name, module in expected.items():
        entry = LOSSES.entries[name] if name in LOSSES.names() else None
        assert entry is not None and entry.meta["module"] == module
        assert getattr(ad.losses, name) is entry.obj


def test_the_examples_in_the_loss_docstrings_run():
    import doctest

    from ad_core_losses import classification, regression

    for module in (classification, regression):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
