"""Every built-in layer against torch.nn with the same weights, in float64, on every backend:
outputs, input gradients and parameter gradients; finite differences on small layers; the ops
``erf`` and ``linear``; Dropout's modes and seeds; BatchNorm1d's running statistics; and the
errors a wrong input gets."""

from __future__ import annotations

import doctest
import importlib
import math
from contextlib import contextmanager

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import DTypeError, ShapeError
from ad_core.testing import gradcheck

torch = pytest.importorskip("torch")
F64 = "float64"


def compare_with_torch_layer(layer, t_layer, x: np.ndarray, *, rtol: float = 1e-10,
                             atol: float = 1e-12) -> None:
    """Load torch's weights into ``layer``, run both on ``x`` and one random cotangent, and
    compare outputs, the input's gradient and every parameter's gradient by name."""
    layer.load_state_dict(t_layer.state_dict())
    floating = np.issubdtype(x.dtype, np.floating)
    inp = ad.tensor(x, requires_grad=floating)
    t_inp = torch.tensor(x, requires_grad=floating)
    out, t_out = layer(inp), t_layer(t_inp)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=rtol, atol=atol)
    u = np.random.default_rng(1).standard_normal(tuple(t_out.shape))
    out.backward(ad.tensor(u))
    t_out.backward(torch.tensor(u))
    if floating:
        np.testing.assert_allclose(inp.grad.numpy(), t_inp.grad.numpy(), rtol=rtol, atol=atol)
    t_params = dict(t_layer.named_parameters())
    params = dict(layer.named_parameters())
    assert list(params) == list(t_params)
    for name, p in params.items():
        np.testing.assert_allclose(p.grad.numpy(), t_params[name].grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"gradient of {name}")


def sample(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# (ad_core layer, torch layer, input shape): float64, torch's own random weights
LAYERS = {
    "Linear":             (lambda: ad.nn.Linear(4, 3, dtype=F64), lambda: torch.nn.Linear(4, 3), (5, 4)),
    "Linear-1d":          (lambda: ad.nn.Linear(4, 3, dtype=F64), lambda: torch.nn.Linear(4, 3), (4,)),
    "Linear-3d":          (lambda: ad.nn.Linear(4, 3, dtype=F64), lambda: torch.nn.Linear(4, 3), (2, 5, 4)),
    "Linear-no-bias":     (lambda: ad.nn.Linear(4, 3, bias=False, dtype=F64),
                           lambda: torch.nn.Linear(4, 3, bias=False), (5, 4)),
    "Identity":           (lambda: ad.nn.Identity(), lambda: torch.nn.Identity(), (3, 4)),
    "ReLU":               (lambda: ad.nn.ReLU(), lambda: torch.nn.ReLU(), (3, 4)),
    "LeakyReLU":          (lambda: ad.nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2), (3, 4)),
    "Tanh":               (lambda: ad.nn.Tanh(), lambda: torch.nn.Tanh(), (3, 4)),
    "Sigmoid":            (lambda: ad.nn.Sigmoid(), lambda: torch.nn.Sigmoid(), (3, 4)),
    "GELU":               (lambda: ad.nn.GELU(), lambda: torch.nn.GELU(), (3, 4)),
    "GELU-tanh":          (lambda: ad.nn.GELU("tanh"), lambda: torch.nn.GELU("tanh"), (3, 4)),
    "Softplus":           (lambda: ad.nn.Softplus(), lambda: torch.nn.Softplus(), (3, 4)),
    "Softplus-beta":      (lambda: ad.nn.Softplus(beta=2.0, threshold=1.0),
                           lambda: torch.nn.Softplus(beta=2.0, threshold=1.0), (3, 4)),
    "Softmax":            (lambda: ad.nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1), (3, 4)),
    "Softmax-dim0":       (lambda: ad.nn.Softmax(dim=0), lambda: torch.nn.Softmax(dim=0), (3, 4)),
    "LogSoftmax":         (lambda: ad.nn.LogSoftmax(dim=-1), lambda: torch.nn.LogSoftmax(dim=-1), (3, 4)),
    "Flatten":            (lambda: ad.nn.Flatten(), lambda: torch.nn.Flatten(), (2, 3, 2)),
    "Flatten-0-1":        (lambda: ad.nn.Flatten(0, 1), lambda: torch.nn.Flatten(0, 1), (2, 3, 2)),
    "LayerNorm":          (lambda: ad.nn.LayerNorm(4, dtype=F64), lambda: torch.nn.LayerNorm(4), (3, 4)),
    "LayerNorm-2d":       (lambda: ad.nn.LayerNorm((2, 3), dtype=F64),
                           lambda: torch.nn.LayerNorm((2, 3)), (2, 2, 3)),
    "LayerNorm-plain":    (lambda: ad.nn.LayerNorm(4, elementwise_affine=False, dtype=F64),
                           lambda: torch.nn.LayerNorm(4, elementwise_affine=False), (3, 4)),
    "BatchNorm1d":        (lambda: ad.nn.BatchNorm1d(4, dtype=F64), lambda: torch.nn.BatchNorm1d(4), (5, 4)),
    "BatchNorm1d-3d":     (lambda: ad.nn.BatchNorm1d(3, dtype=F64), lambda: torch.nn.BatchNorm1d(3), (2, 3, 4)),
    "BatchNorm1d-plain":  (lambda: ad.nn.BatchNorm1d(4, affine=False, track_running_stats=False, dtype=F64),
                           lambda: torch.nn.BatchNorm1d(4, affine=False, track_running_stats=False), (5, 4)),
    "Dropout-eval-p0":    (lambda: ad.nn.Dropout(0.0), lambda: torch.nn.Dropout(0.0), (3, 4)),
    "Sequential":         (lambda: ad.nn.Sequential(ad.nn.Linear(4, 6, dtype=F64), ad.nn.GELU(),
                                                    ad.nn.LayerNorm(6, dtype=F64), ad.nn.Linear(6, 2, dtype=F64),
                                                    ad.nn.LogSoftmax(dim=1)),
                           lambda: torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.GELU(),
                                                       torch.nn.LayerNorm(6), torch.nn.Linear(6, 2),
                                                       torch.nn.LogSoftmax(dim=1)), (5, 4)),
}  # fmt: skip


@pytest.mark.parametrize("name", LAYERS)
def test_layer_matches_torch_in_value_and_gradients(backend, name):
    make, make_torch, shape = LAYERS[name]
    t_layer = make_torch().double()
    compare_with_torch_layer(make(), t_layer, sample(*shape))


@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 3)], ids=["2d", "3d"])
def test_batchnorm_in_eval_mode_matches_torch_with_the_same_running_statistics(backend, shape):
    t_layer = torch.nn.BatchNorm1d(4).double()
    with torch.no_grad():
        t_layer.running_mean.copy_(torch.tensor([0.5, -1.0, 0.0, 2.0]))
        t_layer.running_var.copy_(torch.tensor([1.5, 0.5, 2.0, 1.0]))
        t_layer.weight.copy_(torch.tensor([1.0, 2.0, -1.0, 0.5]))
    layer = ad.nn.BatchNorm1d(4, dtype=F64)
    compare_with_torch_layer(layer.eval(), t_layer.eval(), sample(*shape))


@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_matches_torch_including_the_untrained_padding_row(backend, padding_idx):
    t_layer = torch.nn.Embedding(5, 3, padding_idx=padding_idx).double()
    indices = np.array([[0, 2, 4], [2, 2, 1]])
    compare_with_torch_layer(ad.nn.Embedding(5, 3, padding_idx=padding_idx, dtype=F64), t_layer,
                             indices)


def test_embedding_starts_its_padding_row_at_zero(backend):
    assert not ad.nn.Embedding(4, 3, padding_idx=-1).weight.numpy()[3].any()


def test_residual_adds_the_block_to_its_input_like_torch(backend):
    t_block = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh()).double()

    class TorchResidual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.module = t_block

        def forward(self, x):
            return x + self.module(x)

    block = ad.nn.Residual(ad.nn.Sequential(ad.nn.Linear(3, 3, dtype=F64), ad.nn.Tanh()))
    compare_with_torch_layer(block, TorchResidual(), sample(4, 3))


# -- finite differences on small layers --------------------------------------------------------------


@contextmanager
def parameters_replaced(module, tensors: dict):
    """Run ``module`` with some parameters replaced by given tensors (so gradcheck can vary them)."""
    saved = {name: module.__dict__[name] for name in tensors}
    for name, t in tensors.items():
        object.__setattr__(module, name, t)
    try:
        yield module
    finally:
        for name, p in saved.items():
            object.__setattr__(module, name, p)


SMALL = {
    "Linear":      (lambda: ad.nn.Linear(3, 2, dtype=F64), (2, 3)),
    "LayerNorm":   (lambda: ad.nn.LayerNorm(3, dtype=F64), (2, 3)),
    "BatchNorm1d": (lambda: ad.nn.BatchNorm1d(2, dtype=F64), (3, 2)),
    "GELU":        (lambda: ad.nn.GELU(), (2, 3)),
    "LeakyReLU":   (lambda: ad.nn.LeakyReLU(0.1), (2, 3)),
}  # fmt: skip


@pytest.mark.parametrize("name", SMALL)
def test_small_layer_gradients_match_finite_differences(backend, name):
    make, shape = SMALL[name]
    layer = make()
    names = [n for n, _ in layer.named_parameters()]
    start = [ad.tensor(sample(*shape))] + [ad.tensor(p.numpy() + 0.1 * sample(*p.shape, seed=i + 1))
                                           for i, (_, p) in enumerate(layer.named_parameters())]

    def f(x, *params):
        with parameters_replaced(layer, dict(zip(names, params, strict=True))):
            return layer(x)

    assert gradcheck(f, start)


# -- the ops: erf and linear ---------------------------------------------------------------------------

ERF_POINTS = np.concatenate([np.linspace(-6.5, 6.5, 261), [0.0, 1e-300, -1e-9, 0.84375, 1.25,
                                                          1 / 0.35, 6.0, 30.0, -np.inf, np.inf]])


def test_erf_is_accurate_to_float64_rounding_everywhere(backend):
    got = ad.erf(ad.tensor(ERF_POINTS)).numpy()
    expected = np.array([math.erf(v) for v in ERF_POINTS])
    np.testing.assert_allclose(got, expected, rtol=4e-16, atol=2e-16)


ERF_GRID = np.concatenate([np.linspace(-7.0, 7.0, 14001), np.geomspace(1e-300, 1e-2, 60),
                           -np.geomspace(1e-300, 1e-2, 60), [1.0, 6.0],
                           np.nextafter([1.0, 1.0, 6.0, 6.0], [0.0, 2.0, 0.0, 7.0])])


def generic_erf(backend, x: np.ndarray) -> np.ndarray:
    """The generic ``erf`` rule (what a backend without an override runs) on the backend under
    test, so that torch's arrays exercise it too."""
    rule = ad.ops.OPS["erf"].generic[0]
    return ad.to_numpy(rule(backend.rule_xp, ad.tensor(x).array))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_generic_erf_is_within_two_ulp_of_math_erf_on_a_dense_grid(backend, dtype):
    x = ERF_GRID.astype(dtype)
    got = generic_erf(backend, x)
    expected = np.array([math.erf(v) for v in x.astype(np.float64)])
    assert got.dtype == dtype
    ulp = np.spacing(np.abs(expected).astype(dtype)).astype(np.float64)
    assert np.all(np.abs(got.astype(np.float64) - expected) <= 2 * ulp)


def test_generic_erf_is_odd_and_exactly_one_beyond_six(backend):
    got = generic_erf(backend, ERF_GRID)
    np.testing.assert_array_equal(generic_erf(backend, -ERF_GRID), -got)
    np.testing.assert_array_equal(generic_erf(backend, np.array([6.5, 40.0, 1e300, np.inf])), 1.0)


def test_generic_erf_of_nan_is_nan(backend):
    assert np.isnan(generic_erf(backend, np.array([np.nan, -np.nan]))).all()


def test_erf_of_nan_is_nan(backend):
    assert np.isnan(ad.erf(ad.tensor([np.nan])).numpy()).all()


def test_erf_generic_rule_is_the_reference_for_the_torch_kernel():
    from ad_core.ops.namespace import rule_namespace

    op = ad.ops.OPS["erf"]
    torch_backend = ad.backends.load_backend("torch")
    x = torch.tensor(ERF_POINTS[:-2])
    generic = op.generic[0](rule_namespace(torch_backend), x)
    assert "torch" in op.overrides
    np.testing.assert_allclose(op.kernels["torch"][0](None, x).numpy(), generic.numpy(),
                               rtol=4e-16, atol=2e-16)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erf_keeps_the_input_dtype_in_value_and_gradient(backend, dtype):
    x = ad.tensor([-1.0, 0.3, 2.0], dtype=dtype, requires_grad=True)
    y = ad.erf(x)
    y.sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype


def test_erf_gradients_of_first_and_second_order_match_finite_differences(backend):
    x = ad.tensor([-2.5, -0.9, 0.1, 1.1, 3.0])
    assert gradcheck(ad.erf, [x])
    assert gradcheck(lambda t: ad.grad(lambda s: ad.sum(ad.erf(s)))(t), [x])


def test_erf_matches_torch_as_an_oracle(backend):
    from ad_core.testing.oracle import compare_with_torch

    compare_with_torch(ad.erf, torch.special.erf, [sample(3, 4)], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("x_shape", [(3,), (2, 3), (2, 1, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_op_gradients_match_finite_differences(backend, x_shape, bias):
    inputs = [ad.tensor(sample(*x_shape)), ad.tensor(sample(2, 3, seed=1))]
    if bias:
        inputs.append(ad.tensor(sample(2, seed=2)))
    assert gradcheck(ad.linear, inputs)


def test_linear_op_second_order_gradients_match_finite_differences(backend):
    w = ad.tensor(sample(2, 3, seed=1))
    b = ad.tensor(sample(2, seed=2))

    def slope(x):
        return ad.grad(lambda s: ad.sum(ad.tanh(ad.linear(s, w, b))))(x)

    assert gradcheck(slope, [ad.tensor(sample(2, 3))])


def test_linear_op_generic_rule_is_the_reference_for_the_torch_kernel():
    from ad_core.ops.namespace import rule_namespace

    op = ad.ops.OPS["linear"]
    x, w, b = (torch.tensor(sample(*s, seed=i)) for i, s in enumerate([(2, 4, 3), (5, 3), (5,)]))
    generic = op.generic[0](rule_namespace(ad.backends.load_backend("torch")), x, w, b)
    np.testing.assert_allclose(op.kernels["torch"][0](None, x, w, b).numpy(), generic.numpy(),
                               rtol=1e-14)


@pytest.mark.parametrize(("x_shape", "w_shape", "b_shape", "message"), [
    ((2, 4), (5, 3), None, r"input of shape \(2, 4\) does not end in weight's in-dimension 3"),
    ((2, 3), (5, 3, 1), None, "weight must be 2-D"),
    ((2, 3), (5, 3), (4,), r"bias must have shape \(5,\)"),
])
def test_linear_op_names_bad_shapes(backend, x_shape, w_shape, b_shape, message):
    args = [ad.tensor(np.zeros(x_shape)), ad.tensor(np.zeros(w_shape))]
    if b_shape:
        args.append(ad.tensor(np.zeros(b_shape)))
    with pytest.raises(ShapeError, match=f"linear: {message}"):
        ad.linear(*args)


# -- Dropout -----------------------------------------------------------------------------------------


def test_dropout_is_the_identity_in_eval_mode(backend):
    x = ad.tensor(sample(4, 5))
    assert ad.nn.Dropout(0.5).eval()(x) is x


def test_dropout_zeroes_about_p_and_scales_the_rest_by_one_over_one_minus_p(backend):
    ad.random.seed(0)
    x = ad.tensor(np.ones((100, 100)), requires_grad=True)
    y = ad.nn.Dropout(0.3)(x)
    out = y.numpy()
    assert set(np.unique(out).round(12)) == {0.0, round(1 / 0.7, 12)}
    assert abs((out == 0).mean() - 0.3) < 0.02
    y.backward(ad.tensor(np.ones((100, 100))))
    np.testing.assert_allclose(x.grad.numpy(), out)  # the gradient is the scaled mask


def test_dropout_with_p_one_gives_zeros(backend):
    assert not ad.nn.Dropout(1.0)(ad.tensor(np.ones(4))).numpy().any()


def test_dropout_masks_are_reproducible_by_seed_and_the_same_on_every_backend(backend):
    x = np.ones((6, 7))
    ad.random.seed(123)
    first = ad.nn.Dropout(0.5)(ad.tensor(x)).numpy()
    second = ad.nn.Dropout(0.5)(ad.tensor(x)).numpy()
    ad.random.seed(123)
    again = ad.nn.Dropout(0.5)(ad.tensor(x)).numpy()
    with ad.backend("numpy"):
        ad.random.seed(123)
        on_numpy = ad.nn.Dropout(0.5)(ad.tensor(x)).numpy()
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, on_numpy)
    assert (first != second).any()


def test_dropout_refuses_p_outside_zero_one():
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        ad.nn.Dropout(1.5)


# -- BatchNorm1d's running statistics ---------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)], ids=["2d", "3d"])
def test_batchnorm_running_statistics_follow_torch_over_several_steps(backend, momentum, shape):
    t_layer = torch.nn.BatchNorm1d(3, momentum=momentum).double()
    layer = ad.nn.BatchNorm1d(3, momentum=momentum, dtype=F64)
    for step in range(4):
        x = sample(*shape, seed=step) * (step + 1) + step
        np.testing.assert_allclose(layer(ad.tensor(x)).numpy(),
                                   t_layer(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)
    for name, value in t_layer.state_dict().items():
        np.testing.assert_allclose(layer.state_dict()[name].numpy(), value.numpy(), rtol=1e-12,
                                   err_msg=name)
    x = sample(*shape, seed=9)
    np.testing.assert_allclose(layer.eval()(ad.tensor(x)).numpy(),
                               t_layer.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-10)


def test_batchnorm_leaves_running_statistics_alone_in_eval_mode(backend):
    layer = ad.nn.BatchNorm1d(2).eval()
    layer(ad.tensor(sample(4, 2), dtype="float32"))
    assert layer.num_batches_tracked.item() == 0
    assert layer.running_mean.tolist() == [0.0, 0.0]


def test_batchnorm_needs_more_than_one_value_per_feature_in_training(backend):
    with pytest.raises(ShapeError, match="more than one value per feature"):
        ad.nn.BatchNorm1d(2)(ad.tensor(np.ones((1, 2)), dtype="float32"))


# -- bad input -----------------------------------------------------------------------------------------


def test_a_wrong_feature_size_names_the_layer_and_both_sizes(backend):
    layer = ad.nn.Linear(784, 10)
    with pytest.raises(ShapeError, match=r"Linear\(in_features=784\): input has 100 features"):
        layer(ad.tensor(np.zeros((2, 100)), dtype="float32"))


@pytest.mark.parametrize(("layer", "shape", "message"), [
    (lambda: ad.nn.BatchNorm1d(4), (5, 3), r"BatchNorm1d\(num_features=4\): input has 3 features"),
    (lambda: ad.nn.BatchNorm1d(4), (5,), r"BatchNorm1d\(num_features=4\): expects input of shape"),
    (lambda: ad.nn.LayerNorm(4), (5, 3), r"LayerNorm\(normalized_shape=\(4,\)\): input of shape "
                                         r"\(5, 3\) does not end in \(4,\)"),
    (lambda: ad.nn.Residual(ad.nn.Linear(3, 2)), (5, 3), r"Residual: the block maps shape"),
    (lambda: ad.nn.Flatten(2, 3), (5, 3), r"Flatten\(start_dim=2, end_dim=3\): does not fit"),
])
def test_layers_name_themselves_and_the_shapes_they_reject(backend, layer, shape, message):
    with pytest.raises(ShapeError, match=message):
        layer()(ad.tensor(np.zeros(shape), dtype="float32"))


def test_a_layer_refuses_an_input_of_another_dtype_than_its_parameters(backend):
    with pytest.raises(DTypeError, match="Linear: input is float64 but the layer's parameters "
                                         "are float32"):
        ad.nn.Linear(2, 2)(ad.tensor(np.zeros((1, 2)), dtype="float64"))


def test_embedding_refuses_float_indices_and_out_of_range_ones(backend):
    emb = ad.nn.Embedding(4, 2)
    with pytest.raises(DTypeError, match="indices must be integers"):
        emb(ad.tensor([1.0]))
    with pytest.raises(IndexError, match=r"Embedding\(num_embeddings=4\): index 4 is out of range"):
        emb(ad.tensor([0, 4]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        emb(ad.tensor([-1, 2]))


def test_gelu_refuses_an_unknown_approximation():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        ad.nn.GELU("fast")


# -- containers ----------------------------------------------------------------------------------------


def test_sequential_supports_len_iteration_indexing_slicing_and_append(backend):
    a, b, c = ad.nn.Linear(2, 3), ad.nn.ReLU(), ad.nn.Linear(3, 1)
    model = ad.nn.Sequential(a, b)
    model.append(c)
    assert len(model) == 3 and list(model) == [a, b, c]
    assert model[0] is a and model[-1] is c
    tail = model[1:]
    assert isinstance(tail, ad.nn.Sequential) and list(tail) == [b, c]
    assert [n for n, _ in tail.named_children()] == ["1", "2"]
    with pytest.raises(IndexError, match="Sequential index 3 is out of range for 3 layers"):
        model[3]


def test_sequential_refuses_what_is_not_a_module():
    with pytest.raises(TypeError, match="Sequential: item 1 is a function, not a Module"):
        ad.nn.Sequential(ad.nn.ReLU(), ad.tanh)


def test_sequential_from_an_ordered_dict_uses_its_names(backend):
    from collections import OrderedDict

    model = ad.nn.Sequential(OrderedDict([("hidden", ad.nn.Linear(2, 3)), ("act", ad.nn.Tanh())]))
    assert [n for n, _ in model.named_parameters()] == ["hidden.weight", "hidden.bias"]


def test_module_list_tracks_its_layers(backend):
    blocks = ad.nn.ModuleList([ad.nn.Linear(2, 2), ad.nn.Linear(2, 2)])
    blocks.append(ad.nn.Tanh())
    assert len(blocks) == 3 and isinstance(blocks[-1], ad.nn.Tanh)
    assert [n for n, _ in blocks.named_parameters()][:2] == ["0.weight", "0.bias"]


# -- every layer: registered, documented, printable -------------------------------------------------

REGISTERED = ["Linear", "Embedding", "Flatten", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU",
              "Softplus", "Softmax", "LogSoftmax", "LayerNorm", "BatchNorm1d", "Dropout",
              "Sequential", "ModuleList", "Residual", "Identity", "BatchNorm2d", "Conv1d",
              "Conv2d", "MaxPool2d", "AvgPool2d", "RNN", "LSTM"]


def test_the_nn_plugin_registers_every_layer():
    report = {r.name: r for r in ad.plugin_reports()}["nn"]
    assert set(REGISTERED) <= set(report.registered["layers"])
    assert {"erf", "linear"} <= set(report.ops)


@pytest.mark.parametrize("name", REGISTERED)
def test_every_layer_has_a_docstring_and_a_repr_naming_it(name):
    cls = getattr(ad.nn, name)
    assert issubclass(cls, ad.nn.Module) and (cls.__doc__ or "").strip()
    args = {"Linear": (2, 3), "Embedding": (4, 2), "LayerNorm": (3,), "BatchNorm1d": (3,),
            "Residual": (ad.nn.Identity(),), "BatchNorm2d": (3,), "Conv1d": (1, 2, 3),
            "Conv2d": (1, 2, 3), "MaxPool2d": (2,), "AvgPool2d": (2,), "RNN": (3, 4),
            "LSTM": (3, 4)}.get(name, ())
    assert repr(cls(*args)).startswith(f"{name}(")


@pytest.mark.parametrize("module", ["containers", "linear", "normalization", "activations",
                                    "functional"])
def test_docstring_examples_of_the_nn_plugin_run(module):
    with ad.backend("numpy"):
        result = doctest.testmod(importlib.import_module(f"ad_core_nn.{module}"))
    assert result.failed == 0
