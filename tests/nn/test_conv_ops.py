"""The ops ``conv1d``, ``conv2d``, ``max_pool2d`` and ``avg_pool2d`` themselves: forward mode
against finite differences and reverse mode, second derivatives in the weight, the NumPy and
torch kernels against the generic rules (the reference), the parameters ``signature``
normalises, and the messages bad inputs get. Values and gradients against torch are in
test_conv.py."""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import ShapeError
from ad_core.ops.registry import get_op
from ad_core.testing import gradcheck
from ad_core.testing.jvpcheck import jvpcheck


def sample(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


CONV_CASES = {
    "conv2d":           ("conv2d", [(1, 2, 3, 4), (2, 2, 2, 2), (2,)], {"padding": 1}),
    "conv2d-strided":   ("conv2d", [(1, 2, 4, 3), (2, 1, 2, 2), (2,)],
                         {"stride": 2, "groups": 2, "dilation": (1, 2), "padding": (0, 1)}),
    "conv2d-unbatched": ("conv2d", [(1, 3, 3), (2, 1, 2, 2), (2,)], {"stride": (2, 1)}),
    "conv1d":           ("conv1d", [(2, 2, 5), (2, 2, 2), (2,)], {"stride": 2, "padding": 1}),
}  # fmt: skip


def conv_inputs(case: str) -> tuple[str, list, dict]:
    name, shapes, kwargs = CONV_CASES[case]
    return name, [ad.tensor(sample(*s, seed=i)) for i, s in enumerate(shapes)], kwargs


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_mode_matches_finite_differences_and_reverse_mode(backend, case):
    name, inputs, kwargs = conv_inputs(case)
    op = getattr(ad, name)
    assert jvpcheck(lambda x, w, b: op(x, w, b, **kwargs), inputs)


def test_conv_forward_mode_with_a_tangent_for_the_bias_alone(backend):
    _, (x, w, b), _ = conv_inputs("conv2d")
    _, t = ad.jvp(lambda c: ad.conv2d(x, w, c), (b,), (ad.tensor(np.array([1.0, -2.0])),))
    expected = np.broadcast_to(np.array([1.0, -2.0])[:, None, None], (2, 2, 3))
    np.testing.assert_array_equal(t.numpy()[0], expected)


@pytest.mark.parametrize("case", ["conv2d", "conv2d-strided"])
def test_conv_second_derivatives_in_the_weight_and_across_inputs(backend, case):
    name, (x, w, b), kwargs = conv_inputs(case)
    op = getattr(ad, name)
    assert gradcheck(lambda v: ad.grad(lambda u: ad.sum(op(x, u, b, **kwargs) ** 2))(v), [w])
    # the weight gradient as a function of input and weight: mixed second derivatives too
    assert gradcheck(lambda y, v: ad.grad(lambda u: ad.sum(ad.tanh(op(y, u, b, **kwargs))))(v),
                     [x, w])


POOL_CASES = {
    "max":           ("max_pool2d", (1, 2, 4, 3), (2,), {"stride": 1}),
    "max-padded":    ("max_pool2d", (2, 3, 3), (3,), {"stride": 2, "padding": 1}),
    "max-dilated":   ("max_pool2d", (1, 1, 4, 4), (2,), {"stride": 1, "dilation": 2}),
    "avg":           ("avg_pool2d", (1, 2, 4, 3), ((2, 1),), {"stride": 1}),
    "avg-padded":    ("avg_pool2d", (2, 3, 3), (3,), {"stride": 2, "padding": 1}),
    "avg-counted":   ("avg_pool2d", (1, 2, 3, 4), (3,), {"stride": 2, "padding": 1,
                                                         "count_include_pad": False}),
}  # fmt: skip


@pytest.mark.parametrize("case", POOL_CASES)
def test_pooling_forward_mode_matches_finite_differences_and_reverse_mode(backend, case):
    name, shape, args, kwargs = POOL_CASES[case]
    op = getattr(ad, name)
    assert jvpcheck(lambda x: op(x, *args, **kwargs), [ad.tensor(sample(*shape))])


@pytest.mark.parametrize("case", ["max", "avg-padded", "avg-counted"])
def test_pooling_second_derivatives_match_finite_differences(backend, case):
    name, shape, args, kwargs = POOL_CASES[case]
    op = getattr(ad, name)
    slope = ad.grad(lambda y: ad.sum(op(y * y, *args, **kwargs) ** 2))
    assert gradcheck(slope, [ad.tensor(sample(*shape))])


# -- the backends' kernels agree with the generic rules ------------------------------------------

KERNEL_CASES = {
    "conv2d":         ("conv2d", [(2, 3, 6, 5), (4, 3, 3, 2), (4,)],
                       {"stride": (1, 1), "padding": (1, 0), "dilation": (1, 1), "groups": 1}),
    "conv2d-all":     ("conv2d", [(2, 4, 8, 7), (6, 2, 3, 2), (6,)],
                       {"stride": (2, 3), "padding": (2, 1), "dilation": (2, 1), "groups": 2}),
    "conv2d-unbatched": ("conv2d", [(3, 5, 6), (3, 1, 2, 2), (3,)],
                         {"stride": (2, 2), "padding": (1, 1), "dilation": (1, 1), "groups": 3}),
    "conv1d":         ("conv1d", [(2, 2, 9), (4, 2, 3), (4,)],
                       {"stride": (2,), "padding": (1,), "dilation": (2,), "groups": 1}),
    "max_pool2d":     ("max_pool2d", [(2, 3, 7, 6)],
                       {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1),
                        "dilation": (1, 2)}),
    "max_pool2d-unbatched": ("max_pool2d", [(3, 4, 4)],
                             {"kernel_size": (2, 2), "stride": (2, 2), "padding": (0, 0),
                              "dilation": (1, 1)}),
    "avg_pool2d":     ("avg_pool2d", [(2, 3, 7, 6)],
                       {"kernel_size": (3, 3), "stride": (2, 2), "padding": (1, 1),
                        "count_include_pad": True}),
    "avg_pool2d-counted": ("avg_pool2d", [(3, 7, 6)],
                           {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1),
                            "count_include_pad": False}),
}  # fmt: skip


@pytest.mark.backends("numpy", "torch", "torch_cuda")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", KERNEL_CASES)
def test_backend_kernels_agree_with_the_generic_rules(backend, case, dtype):
    name, shapes, params = KERNEL_CASES[case]
    op = get_op(name)
    assert backend.name in op.overrides
    (forward, vjps), (generic_forward, generic_vjps) = op.kernels[backend.name], op.generic
    xp = backend.rule_xp
    arrays = [ad.tensor(sample(*s, seed=i), dtype=dtype).array for i, s in enumerate(shapes)]
    fast, slow = forward(xp, *arrays, **params), generic_forward(xp, *arrays, **params)
    tolerance = {"float64": 1e-12, "float32": 1e-5}[dtype]
    np.testing.assert_allclose(ad.to_numpy(fast), ad.to_numpy(slow), rtol=tolerance,
                               atol=tolerance)
    g = ad.tensor(sample(*ad.to_numpy(slow).shape, seed=9), dtype=dtype).array
    for i, (rule, generic) in enumerate(zip(vjps, generic_vjps, strict=True)):
        got, want = rule(xp, g, fast, *arrays, **params), generic(xp, g, slow, *arrays, **params)
        assert backend.backend.dtype_of(got) == dtype, f"dtype of the cotangent of input {i}"
        np.testing.assert_allclose(ad.to_numpy(got), ad.to_numpy(want), rtol=tolerance,
                                   atol=tolerance, err_msg=f"cotangent of input {i}")


@pytest.mark.backends("numpy", "torch", "torch_cuda")
def test_max_pool_kernels_pick_the_first_of_equal_maxima_like_the_generic_rule(backend):
    op = get_op("max_pool2d")
    params = {"kernel_size": (2, 2), "stride": (1, 1), "padding": (1, 1), "dilation": (1, 1)}
    x = ad.tensor(np.array([[[[2.0, 2.0, 1.0], [2.0, 2.0, 2.0], [0.0, 2.0, 2.0]]]])).array
    xp = backend.rule_xp
    ans = op.generic[0](xp, x, **params)
    g = ad.tensor(sample(1, 1, 4, 4, seed=3)).array
    fast = ad.to_numpy(op.kernels[backend.name][1][0](xp, g, ans, x, **params))
    np.testing.assert_allclose(fast, ad.to_numpy(op.generic[1][0](xp, g, ans, x, **params)),
                               rtol=1e-15, atol=1e-15)


# -- parameters and messages ---------------------------------------------------------------------


def test_signature_normalises_ints_to_tuples_and_stride_defaults_to_the_kernel():
    conv = get_op("conv2d").signature
    x, w = np.zeros((1, 2, 5, 5)), np.zeros((3, 2, 3, 3))
    assert conv(x, w, None, 2, (1, 0))[1] == {"stride": (2, 2), "padding": (1, 0),
                                             "dilation": (1, 1), "groups": 1}
    assert get_op("max_pool2d").signature(x, 2)[1] == {
        "kernel_size": (2, 2), "stride": (2, 2), "padding": (0, 0), "dilation": (1, 1)}
    assert get_op("avg_pool2d").signature(x, (3, 1), 1)[1] == {
        "kernel_size": (3, 1), "stride": (1, 1), "padding": (0, 0), "count_include_pad": True}


BAD_CONV = {
    "channels":   ((2, 3, 5, 5), (4, 2, 3, 3), {}, r"conv2d: input of shape \(2, 3, 5, 5\) has "
                                                   r"3 channels, but weight of shape "
                                                   r"\(4, 2, 3, 3\) with groups=1 expects 2"),
    "kernel":     ((1, 2, 4, 3), (4, 2, 3, 4), {"padding": (0, 0)},
                   r"conv2d: input of spatial size \(4, 3\) \(padding \(0, 0\)\) is smaller than "
                   r"the kernel \(3, 4\)"),
    "dilated":    ((1, 2, 4, 4), (4, 2, 3, 3), {"dilation": 2},
                   r"conv2d: .* smaller than the kernel \(3, 3\) with dilation \(2, 2\)"),
    "groups-in":  ((1, 3, 4, 4), (4, 1, 3, 3), {"groups": 2},
                   r"conv2d: groups=2 must divide the input's 3 channels and the weight's 4 "
                   r"output channels \(input shape \(1, 3, 4, 4\), weight shape \(4, 1, 3, 3\)\)"),
    "groups-out": ((1, 4, 4, 4), (3, 2, 3, 3), {"groups": 2}, r"conv2d: groups=2 must divide"),
    "rank":       ((4, 4), (3, 4, 3, 3), {}, r"conv2d: expected a 4-d input \(N, C, \*spatial\) "
                                             r"or a 3-d one \(C, \*spatial\), got shape \(4, 4\)"),
    "weight":     ((1, 2, 4, 4), (3, 2, 3), {}, r"conv2d: weight must be 4-d .* got shape "
                                                r"\(3, 2, 3\)"),
    "bias":       ((1, 2, 4, 4), (3, 2, 3, 3), {"bias": (2,)},
                   r"conv2d: bias must have shape \(3,\) for weight of shape \(3, 2, 3, 3\), "
                   r"got \(2,\)"),
    "empty":      ((1, 2, 0, 4), (3, 2, 1, 1), {"padding": 1},
                   r"conv2d: input of shape \(1, 2, 0, 4\) has an empty spatial axis"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_CONV)
def test_bad_convolution_inputs_raise_a_shape_error_naming_the_op_and_shapes(backend, case):
    x_shape, w_shape, kwargs, message = BAD_CONV[case]
    kwargs = dict(kwargs)
    bias = kwargs.pop("bias", None)
    args = [ad.tensor(np.zeros(x_shape)), ad.tensor(np.zeros(w_shape))]
    with pytest.raises(ShapeError, match=message):
        ad.conv2d(*args, None if bias is None else ad.tensor(np.zeros(bias)), **kwargs)


def test_conv1d_names_itself_and_its_shapes():
    with pytest.raises(ShapeError, match=r"conv1d: input of shape \(2, 3, 5\) has 3 channels"):
        ad.conv1d(ad.tensor(np.zeros((2, 3, 5))), ad.tensor(np.zeros((4, 2, 2))))


@pytest.mark.parametrize("call, error, message", [
    (lambda x: ad.max_pool2d(x, 5), ShapeError,
     r"max_pool2d: input of spatial size \(4, 4\) \(padding \(0, 0\)\) is smaller than the "
     r"kernel \(5, 5\)"),
    (lambda x: ad.avg_pool2d(x[0, 0], 2), ShapeError,
     r"avg_pool2d: expected a 4-d input .* got shape \(4, 4\)"),
    (lambda x: ad.max_pool2d(x, 2, padding=2), ValueError,
     r"max_pool2d: padding \(2, 2\) must be at most half the kernel \(2, 2\)"),
    (lambda x: ad.avg_pool2d(x, 2, stride=0), ValueError,
     r"avg_pool2d: stride must be an int or 2 ints, each >= 1; got 0"),
    (lambda x: ad.conv2d(x, x[:, :, :2, :2], groups=0), ValueError,
     r"conv2d: groups must be an int or 1 ints, each >= 1; got 0"),
], ids=["pool-too-small", "pool-rank", "pool-padding", "pool-stride", "conv-groups"])  # fmt: skip
def test_bad_pooling_inputs_and_parameters_are_named(backend, call, error, message):
    with pytest.raises(error, match=message):
        call(ad.tensor(np.zeros((1, 1, 4, 4))))


@pytest.mark.parametrize("name", ["conv1d", "conv2d", "max_pool2d", "avg_pool2d"])
def test_the_nn_plugin_registers_each_op_with_a_jvp_rule_and_a_docstring(name):
    reports = {r.name: r for r in ad.plugin_reports()}
    for backend in ("numpy", "torch"):
        assert f"{name}@{backend}" in reports[f"{backend}_kernels"].overrides
    assert name in reports["nn"].ops
    op = get_op(name)
    assert op.jvp is not None and op.signature is not None
    assert getattr(ad, name).__doc__.startswith(f"{name}(x, ")


@pytest.mark.backends("torch")
def test_torch_max_pool_keeps_its_indices_only_while_the_output_lives(backend):
    import gc

    import torch
    from ad_core_backends.torch_kernels import POOL_INDICES

    before = len(POOL_INDICES)
    x = ad.tensor(sample(2, 3, 4, 4), requires_grad=True)
    y = ad.max_pool2d(x, 2)
    assert len(POOL_INDICES) == before + 1
    ad.sum(y * y).backward()
    t_x = torch.tensor(sample(2, 3, 4, 4), requires_grad=True)
    (torch.nn.functional.max_pool2d(t_x, 2) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t_x.grad.numpy(), rtol=1e-15)
    del y
    gc.collect()
    assert len(POOL_INDICES) == before
