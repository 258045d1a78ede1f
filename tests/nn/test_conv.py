"""Conv1d, Conv2d, MaxPool2d and AvgPool2d against torch.nn.functional in float64 on every
backend (outputs and the gradients of input, weight and bias, with stride, padding, dilation and
groups variants, non-square and unbatched inputs); finite differences, first and second order,
on tiny cases; torch's parameter names, shapes and initialisation bounds; and the errors a wrong
input gets. The ops' own rules (forward mode, kernels against the generic rules, messages) are
tested in test_conv_ops.py."""

from __future__ import annotations

import doctest
import math

import ad_core_nn.conv
import numpy as np
import pytest
from ad_core_nn.conv import avg_pool2d, conv1d, conv2d, max_pool2d

import ad_core as ad
from ad_core.errors import ShapeError
from ad_core.testing import gradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional


def sample(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def assert_matches_torch(ours, theirs, arrays: list[np.ndarray], **kwargs) -> None:
    """Same output and same gradient of every array, for one random cotangent."""
    inputs = [ad.tensor(a, requires_grad=True) for a in arrays]
    t_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, t_out = ours(*inputs, **kwargs), theirs(*t_inputs, **kwargs)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    u = sample(*t_out.shape, seed=7)
    out.backward(ad.tensor(u))
    t_out.backward(torch.tensor(u))
    for i, (x, t_x) in enumerate(zip(inputs, t_inputs, strict=True)):
        np.testing.assert_allclose(x.grad.numpy(), t_x.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"gradient of input {i}")


CONV2D = {
    "plain":            ((2, 3, 6, 5), (4, 3, 3, 3), {}),
    "stride":           ((2, 3, 7, 6), (4, 3, 3, 2), {"stride": 2}),
    "padding":          ((1, 2, 5, 5), (3, 2, 3, 3), {"padding": 1}),
    "dilation":         ((1, 2, 7, 7), (3, 2, 3, 3), {"dilation": 2}),
    "all-tuples":       ((2, 2, 8, 7), (3, 2, 3, 2), {"stride": (2, 1), "padding": (1, 2),
                                                      "dilation": (1, 2)}),
    "1x1":              ((2, 3, 4, 4), (5, 3, 1, 1), {}),
    "unbatched":        ((3, 5, 5), (2, 3, 2, 2), {"stride": 2, "padding": 1}),
    "groups":           ((2, 4, 5, 6), (6, 2, 3, 2), {"groups": 2, "padding": (0, 1)}),
    "depthwise":        ((2, 3, 6, 6), (3, 1, 3, 3), {"groups": 3, "stride": 2, "dilation": 2,
                                                      "padding": 2}),
    "groups-unbatched": ((4, 5, 4), (4, 2, 2, 3), {"groups": 2, "stride": (1, 2)}),
    "stride-remainder": ((1, 2, 8, 7), (2, 2, 3, 3), {"stride": 3, "padding": (0, 2)}),
    "padding-beyond":   ((1, 1, 3, 3), (2, 1, 2, 2), {"padding": 3, "stride": 2}),
}  # fmt: skip


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("case", CONV2D)
def test_conv2d_matches_torch_in_value_and_all_gradients(backend, case, bias):
    x_shape, w_shape, kwargs = CONV2D[case]
    arrays = [sample(*x_shape), sample(*w_shape, seed=1)] + ([sample(w_shape[0], seed=2)] * bias)
    assert_matches_torch(conv2d, F.conv2d, arrays, **kwargs)


CONV1D = {
    "plain":    ((2, 3, 8), (4, 3, 3), {}),
    "variants": ((2, 2, 9), (3, 2, 3), {"stride": 2, "padding": 2, "dilation": 2}),
    "unbatched": ((2, 6), (3, 2, 2), {"padding": 1}),
    "groups":    ((2, 4, 7), (2, 2, 3), {"groups": 2, "stride": 2}),
}  # fmt: skip


@pytest.mark.parametrize("case", CONV1D)
def test_conv1d_matches_torch_in_value_and_all_gradients(backend, case):
    x_shape, w_shape, kwargs = CONV1D[case]
    arrays = [sample(*x_shape), sample(*w_shape, seed=1), sample(w_shape[0], seed=2)]
    assert_matches_torch(conv1d, F.conv1d, arrays, **kwargs)


POOLS = {
    "k2":           (2, {}),
    "k3-s2-p1":     (3, {"stride": 2, "padding": 1}),
    "k3-s1":        (3, {"stride": 1}),
    "rect":         ((2, 3), {"stride": (1, 2), "padding": (1, 1)}),
    "s-over-k":     (2, {"stride": 3}),
}  # fmt: skip


@pytest.mark.parametrize("shape", [(2, 2, 5, 6), (2, 5, 6)], ids=["batched", "unbatched"])
@pytest.mark.parametrize("kernel, kwargs", [
    (3, {"stride": 2, "padding": 1}), ((2, 3), {"stride": 1, "padding": (1, 1)}),
    (2, {"padding": 0}),
], ids=["k3-s2-p1", "rect-p1", "no-padding"])  # fmt: skip
def test_avg_pool_without_padding_in_the_count_matches_torch(backend, kernel, kwargs, shape):
    assert_matches_torch(lambda x: avg_pool2d(x, kernel, count_include_pad=False, **kwargs),
                         lambda x: F.avg_pool2d(x, kernel, count_include_pad=False, **kwargs),
                         [sample(*shape)])


@pytest.mark.parametrize("shape", [(2, 2, 7, 6), (2, 5, 7)], ids=["batched", "unbatched"])
@pytest.mark.parametrize("case", POOLS)
@pytest.mark.parametrize("pool", ["max", "avg"])
def test_pooling_matches_torch_in_value_and_gradient(backend, pool, case, shape):
    kernel, kwargs = POOLS[case]
    ours, theirs = {"max": (max_pool2d, F.max_pool2d), "avg": (avg_pool2d, F.avg_pool2d)}[pool]
    assert_matches_torch(lambda x, **kw: ours(x, kernel, **kw),
                         lambda x, **kw: theirs(x, kernel, **kw), [sample(*shape)], **kwargs)


def test_max_pool_with_dilation_matches_torch(backend):
    assert_matches_torch(lambda x: max_pool2d(x, 2, 1, 1, dilation=2),
                         lambda x: F.max_pool2d(x, 2, 1, 1, dilation=2), [sample(1, 2, 6, 5)])


TIES = np.array([[[[1.0, 3.0, 3.0, 2.0], [3.0, 0.0, 3.0, 3.0], [5.0, 5.0, 1.0, 1.0],
                   [5.0, 5.0, 1.0, 1.0]]]])


@pytest.mark.parametrize("kwargs", [{}, {"stride": 1}, {"stride": 1, "padding": 1}],
                         ids=["disjoint", "overlapping", "padded"])
def test_max_pool_gives_the_gradient_to_the_first_of_equal_maxima_like_torch(backend, kwargs):
    x = ad.tensor(TIES, requires_grad=True)
    t_x = torch.tensor(TIES, requires_grad=True)
    ad.sum(max_pool2d(x, 2, **kwargs)).backward()
    F.max_pool2d(t_x, 2, **kwargs).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t_x.grad.numpy())


LAYERS = {
    "Conv1d":    (lambda: ad.nn.Conv1d(2, 3, 3, stride=2, padding=1, dtype="float64"),
                  lambda: torch.nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 2, 7)),
    "Conv2d":    (lambda: ad.nn.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=1, dilation=(2, 1),
                                       dtype="float64"),
                  lambda: torch.nn.Conv2d(2, 3, (3, 2), stride=(1, 2), padding=1, dilation=(2, 1)),
                  (2, 2, 6, 5)),
    "Conv2d-no-bias": (lambda: ad.nn.Conv2d(2, 3, 2, bias=False, dtype="float64"),
                       lambda: torch.nn.Conv2d(2, 3, 2, bias=False), (1, 2, 4, 4)),
    "Conv2d-groups": (lambda: ad.nn.Conv2d(4, 6, 3, padding=1, groups=2, dtype="float64"),
                      lambda: torch.nn.Conv2d(4, 6, 3, padding=1, groups=2), (2, 4, 5, 4)),
    "Conv1d-depthwise": (lambda: ad.nn.Conv1d(3, 6, 2, groups=3, dtype="float64"),
                         lambda: torch.nn.Conv1d(3, 6, 2, groups=3), (3, 6)),
    "MaxPool2d": (lambda: ad.nn.MaxPool2d(3, 2, 1), lambda: torch.nn.MaxPool2d(3, 2, 1),
                  (2, 2, 6, 5)),
    "MaxPool2d-dilated": (lambda: ad.nn.MaxPool2d(2, 1, 1, dilation=(2, 1)),
                          lambda: torch.nn.MaxPool2d(2, 1, 1, dilation=(2, 1)), (2, 5, 4)),
    "AvgPool2d": (lambda: ad.nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2), (2, 2, 6, 5)),
    "AvgPool2d-count": (lambda: ad.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
                        lambda: torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
                        (2, 2, 6, 5)),
}  # fmt: skip


@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_torch_with_torchs_weights(backend, name):
    make, make_torch, shape = LAYERS[name]
    layer, t_layer = make(), make_torch().double()
    layer.load_state_dict(t_layer.state_dict())
    x = sample(*shape)
    params = [p for _, p in layer.named_parameters()]
    t_params = [p for _, p in t_layer.named_parameters()]
    assert [n for n, _ in layer.named_parameters()] == [n for n, _ in t_layer.named_parameters()]
    inp, t_inp = ad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, t_out = layer(inp), t_layer(t_inp)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    ad.sum(out * out).backward()
    (t_out * t_out).sum().backward()
    for ours, theirs in zip([inp, *params], [t_inp, *t_params], strict=True):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("op, shapes, kwargs", [
    (conv2d, [(1, 2, 3, 3), (2, 2, 2, 2), (2,)], {"stride": 1, "padding": 1}),
    (conv1d, [(1, 2, 5), (2, 2, 2), (2,)], {"stride": 2, "dilation": 2}),
    (lambda x, **kw: max_pool2d(x, 2, **kw), [(1, 1, 3, 4)], {"stride": 1}),
    (lambda x, **kw: avg_pool2d(x, 3, **kw), [(1, 1, 3, 3)], {"padding": 1}),
    (conv2d, [(1, 2, 3, 4), (2, 1, 2, 2), (2,)], {"stride": 2, "padding": 1, "groups": 2}),
    (conv2d, [(2, 3, 3), (2, 2, 2, 1), (2,)], {"stride": (2, 1), "dilation": (1, 2),
                                                "padding": 1}),
    (lambda x, **kw: max_pool2d(x, 2, **kw), [(2, 3, 3)], {"stride": 1, "padding": 1}),
], ids=["conv2d", "conv1d", "max_pool2d", "avg_pool2d", "conv2d-groups-strided",
        "conv2d-unbatched-dilated", "max_pool2d-unbatched-padded"])  # fmt: skip
def test_tiny_cases_match_finite_differences_to_second_order(backend, op, shapes, kwargs):
    inputs = [ad.tensor(sample(*s, seed=i)) for i, s in enumerate(shapes)]
    assert gradcheck(lambda *a: op(*a, **kwargs), inputs)
    first = inputs[0]
    rest = inputs[1:]
    assert gradcheck(lambda x: ad.grad(lambda y: ad.sum(op(y, *rest, **kwargs) ** 2))(x), [first])


def test_conv_parameters_follow_torchs_names_shapes_and_bounds(backend):
    ad.random.seed(0)  # 64 biases: their largest |value| above bound/2 is then certain, not likely
    layer = ad.nn.Conv2d(3, 64, (3, 2))
    assert [(n, p.shape) for n, p in layer.named_parameters()] == [
        ("weight", (64, 3, 3, 2)), ("bias", (64,))]
    assert layer.weight.dtype == ad.float32
    bound = 1 / math.sqrt(3 * 3 * 2)
    for p in layer.parameters():
        values = p.numpy()
        assert np.all(np.abs(values) <= bound) and np.abs(values).max() > bound / 2
    assert ad.nn.Conv1d(2, 4, 5).weight.shape == (4, 2, 5)
    assert ad.nn.Conv1d(2, 4, 5, bias=False).bias is None


def test_float32_input_gives_float32_output_and_gradients(backend):
    layer = ad.nn.Conv2d(2, 3, 3, padding=1)
    x = ad.tensor(sample(2, 2, 4, 4), dtype=ad.float32, requires_grad=True)
    y = ad.nn.MaxPool2d(2)(layer(x))
    assert y.dtype == ad.float32 and y.shape == (2, 3, 2, 2)
    ad.sum(y).backward()
    assert x.grad.dtype == ad.float32 and layer.weight.grad.dtype == ad.float32


@pytest.mark.parametrize("layer, shape, words", [
    (lambda: ad.nn.Conv2d(3, 4, 3), (2, 5, 6, 6), ["Conv2d(in_channels=3)", "5 channels"]),
    (lambda: ad.nn.Conv1d(2, 4, 3), (6, 8), ["Conv1d(in_channels=2)", "6 channels"]),
    (lambda: ad.nn.Conv2d(3, 4, 3), (3, 6, 6, 6, 1), ["conv2d", "(3, 6, 6, 6, 1)"]),
    (lambda: ad.nn.Conv2d(3, 4, 5), (1, 3, 4, 4), ["conv2d", "smaller than the kernel"]),
    (lambda: ad.nn.MaxPool2d(2), (1, 1, 1, 5), ["max_pool2d", "smaller than the kernel"]),
], ids=["conv2d-channels", "conv1d-channels", "rank", "too-small", "pool-too-small"])  # fmt: skip
def test_a_wrong_input_raises_a_shape_error_naming_the_layer_and_sizes(backend, layer, shape,
                                                                       words):
    with pytest.raises(ShapeError) as info:
        layer()(ad.tensor(sample(*shape), dtype=ad.float32))
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("make", [
    lambda: ad.nn.Conv2d(2, 2, 0), lambda: ad.nn.Conv2d(2, 2, 3, stride=0),
    lambda: ad.nn.Conv1d(2, 2, 3, padding=-1), lambda: ad.nn.MaxPool2d(2, padding=2),
    lambda: ad.nn.AvgPool2d((2, 2, 2)), lambda: ad.nn.Conv2d(4, 6, 3, groups=3),
    lambda: ad.nn.Conv1d(4, 6, 3, groups=4),
], ids=["kernel", "stride", "padding", "pool-padding", "pool-rank", "groups-in",
        "groups-out"])  # fmt: skip
def test_bad_hyperparameters_are_refused_at_construction(make):
    with pytest.raises(ValueError):
        make()


def test_docstring_examples_run():
    with ad.backend("numpy"):
        assert doctest.testmod(ad_core_nn.conv).failed == 0


@pytest.mark.parametrize("name, args", [
    ("Conv1d", (2, 3, 3)), ("Conv2d", (2, 3, 3)), ("MaxPool2d", (2,)), ("AvgPool2d", (2,)),
])  # fmt: skip
def test_the_nn_plugin_registers_each_layer_with_a_torch_style_repr(name, args):
    report = {r.name: r for r in ad.plugin_reports()}["nn"]
    assert name in report.registered["layers"]
    assert repr(getattr(ad.nn, name)(*args)).startswith(f"{name}(")


def test_an_empty_batch_gives_empty_outputs_and_zero_weight_gradients(backend):
    x = ad.tensor(np.zeros((0, 2, 5, 5)), requires_grad=True)
    w = ad.tensor(np.ones((4, 1, 3, 3)), requires_grad=True)
    y = conv2d(x, w, padding=1, stride=2, groups=2)
    ad.sum(max_pool2d(y, 2) + avg_pool2d(y, 2)).backward()
    assert y.shape == (0, 4, 3, 3) and x.grad.shape == (0, 2, 5, 5)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((4, 1, 3, 3)))


def test_repr_shows_groups_and_dilation_when_not_the_default():
    assert repr(ad.nn.Conv2d(4, 8, 3, groups=2)) == (
        "Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1), groups=2)")
    assert repr(ad.nn.MaxPool2d(2, dilation=2)) == (
        "MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), dilation=(2, 2))")
    assert repr(ad.nn.AvgPool2d(3, 1, 1, count_include_pad=False)) == (
        "AvgPool2d(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), count_include_pad=False)")
