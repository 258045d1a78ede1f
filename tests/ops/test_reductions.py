"""Reductions: values against NumPy, gradients against finite differences and torch.autograd,
second derivatives, dtypes, stability of logsumexp and softmax, zeros in prod, ties in max and
min, empty and 0-d inputs, and the errors for bad axes and Python scalars."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import DTypeError, ShapeError
from ad_core.testing import gradcheck, sample
from ad_core.testing.oracle import compare_with_torch


def _np_logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


#: Reductions over ``axis`` (an int, a tuple or None) and the NumPy function each must agree with.
REDUCTIONS: dict[str, Callable[..., Any]] = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
    "var": np.var, "std": np.std, "logsumexp": _np_logsumexp,
}  # fmt: skip

#: (shape, keyword arguments) that every reduction is checked on.
AXIS_CASES = [
    pytest.param((3, 4), {}, id="all-axes"),
    pytest.param((3, 4), {"axis": 0}, id="axis0"),
    pytest.param((3, 4), {"axis": -1, "keepdims": True}, id="axis-1-keepdims"),
    pytest.param((2, 3, 2), {"axis": (0, 2)}, id="axes0,2"),
    pytest.param((2, 3, 2), {"axis": (-1, 0), "keepdims": True}, id="axes-1,0-keepdims"),
    pytest.param((2, 3, 2), {"keepdims": True}, id="all-axes-keepdims"),
    pytest.param((4,), {"axis": 0}, id="1d"),
    pytest.param((), {}, id="0d"),
    pytest.param((), {"keepdims": True}, id="0d-keepdims"),
]

SECOND_ORDER_CASES = [
    pytest.param((3, 4), {"axis": -1, "keepdims": True}, id="axis-1-keepdims"),
    pytest.param((2, 3, 2), {"axis": (0, 2)}, id="axes0,2"),
    pytest.param((), {}, id="0d"),
]


def _dims(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def torch_reduction(name: str) -> Callable[..., Any]:
    """The torch function a reduction is checked against, called like ours."""
    torch = pytest.importorskip("torch")

    def prod(t: Any, axis: Any = None, keepdims: bool = False) -> Any:
        for d in sorted(_dims(axis, t.ndim), reverse=True):  # torch.prod takes one dim
            t = torch.prod(t, dim=d, keepdim=keepdims)
        return t

    functions = {
        "sum": torch.sum, "mean": torch.mean, "max": torch.amax, "min": torch.amin,
        "var": torch.var, "std": torch.std, "logsumexp": torch.logsumexp,
    }  # fmt: skip
    if name == "prod":
        return prod

    def call(t: Any, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
        if name in ("var", "std"):
            kwargs.setdefault("correction", 0)  # torch's default is 1, the standard's 0
        return functions[name](t, dim=_dims(axis, t.ndim), keepdim=keepdims, **kwargs)

    return call


def sin_of_sum(f: Callable[..., Any]) -> Callable[..., Any]:
    """x -> d sum(sin(f(x))) / dx: a nonlinear head, so that even for linear reductions the
    second-order check differentiates the VJP rule as it was recorded."""
    return ad.grad(lambda x: ad.sum(ad.sin(f(x))))


def gradient(f: Callable[..., Any], x: Any) -> Any:
    """The gradient of sum(f(x)) through ad.vjp."""
    out, back = ad.vjp(f, x)
    return back(ad.ones_like(out))[0]


# -- sum, mean, prod, max, min, var, std, logsumexp over every kind of axis -----------------------


@pytest.mark.parametrize(("shape", "kwargs"), AXIS_CASES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_values_match_numpy(backend, name, shape, kwargs):
    x = sample(shape, seed=1)
    got = getattr(ad, name)(ad.tensor(x), **kwargs).numpy()
    expected = REDUCTIONS[name](x, **kwargs)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("shape", "kwargs"), AXIS_CASES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_gradient_matches_finite_differences(backend, name, shape, kwargs):
    assert gradcheck(lambda x: getattr(ad, name)(x, **kwargs), [ad.tensor(sample(shape, seed=2))])


@pytest.mark.parametrize(("shape", "kwargs"), AXIS_CASES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_gradient_matches_torch(backend, name, shape, kwargs):
    compare_with_torch(lambda x: getattr(ad, name)(x, **kwargs),
                       lambda t: torch_reduction(name)(t, **kwargs), [sample(shape, seed=3)])


@pytest.mark.parametrize(("shape", "kwargs"), SECOND_ORDER_CASES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_second_derivative_matches_finite_differences(backend, name, shape, kwargs):
    f = sin_of_sum(lambda x: getattr(ad, name)(x, **kwargs))
    assert gradcheck(f, [ad.tensor(sample(shape, seed=4))])


@pytest.mark.parametrize("name", [*REDUCTIONS, "count_nonzero", "any"])
def test_reducing_over_no_axes_keeps_the_shape(backend, name):
    x = sample((2, 3), seed=16)
    got = getattr(ad, name)(ad.tensor(x), axis=()).numpy()
    reference = REDUCTIONS[name] if name in REDUCTIONS else getattr(np, name)
    np.testing.assert_allclose(got, reference(x, axis=()))
    if name in REDUCTIONS:
        assert gradcheck(lambda t: getattr(ad, name)(t, axis=()), [ad.tensor(x)])


@pytest.mark.parametrize("name", REDUCTIONS)
def test_float32_input_gives_float32_gradient_of_its_shape(backend, name):
    g = gradient(lambda x: getattr(ad, name)(x, axis=1), ad.tensor(sample((2, 3), dtype="float32")))
    assert g.dtype == ad.float32
    assert g.shape == (2, 3)


def test_reductions_are_methods_of_tensors(backend):
    x = ad.tensor(sample((2, 3)))
    np.testing.assert_allclose(x.sum(axis=0).numpy(), ad.sum(x, axis=0).numpy())


def test_sum_dtype_argument_sets_the_result_dtype(backend):
    x = ad.tensor(sample((2, 3), dtype="float32"), requires_grad=True)
    total = ad.sum(x, dtype=ad.float64)
    assert total.dtype == ad.float64
    total.backward()
    assert x.grad.dtype == ad.float32


# -- var and std: correction, zero variance ------------------------------------------------------


@pytest.mark.parametrize("correction", [0, 1, 0.5])
@pytest.mark.parametrize("name", ["var", "std"])
def test_correction_divides_by_n_minus_correction(backend, name, correction):
    x = sample((3, 4), seed=5)
    got = getattr(ad, name)(ad.tensor(x), axis=1, correction=correction).numpy()
    np.testing.assert_allclose(got, REDUCTIONS[name](x, axis=1, ddof=correction), rtol=1e-12)


@pytest.mark.parametrize("correction", [0, 1, 0.5])
@pytest.mark.parametrize("name", ["var", "std"])
def test_corrected_gradient_matches_finite_differences_and_torch(backend, name, correction):
    x = sample((3, 4), seed=6)
    f = lambda t: getattr(ad, name)(t, axis=(0, 1), correction=correction)  # noqa: E731
    assert gradcheck(f, [ad.tensor(x)])
    compare_with_torch(f, lambda t: torch_reduction(name)(t, axis=(0, 1), correction=correction),
                       [x])


@pytest.mark.parametrize("name", ["var", "std"])
def test_corrected_second_derivative_matches_finite_differences(backend, name):
    f = sin_of_sum(lambda x: getattr(ad, name)(x, axis=0, correction=1))
    assert gradcheck(f, [ad.tensor(sample((3, 2), seed=7))])


def test_std_of_a_constant_slice_has_zero_gradient_like_torch(backend):
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    g = gradient(lambda t: ad.std(t, axis=1), ad.tensor(x)).numpy()
    assert np.all(np.isfinite(g))
    np.testing.assert_array_equal(g[0], [0.0, 0.0, 0.0])
    compare_with_torch(lambda t: ad.std(t, axis=1), lambda t: torch_reduction("std")(t, axis=1), [x])


# -- prod with zeros -----------------------------------------------------------------------------

ZEROS = [
    pytest.param([[0.0, 2.0, 3.0], [1.5, -2.0, 0.5]], id="one-zero"),
    pytest.param([[0.0, 2.0, 0.0], [1.5, 0.0, 0.5]], id="two-zeros"),
    pytest.param([[0.0, 0.0, 0.0], [0.0, 0.0, 0.5]], id="three-zeros"),
]


@pytest.mark.parametrize("axis", [None, 1, 0])
@pytest.mark.parametrize("values", ZEROS)
def test_prod_gradient_with_zeros_matches_torch(backend, values, axis):
    compare_with_torch(lambda x: ad.prod(x, axis=axis),
                       lambda t: torch_reduction("prod")(t, axis=axis), [np.array(values)])


def test_prod_gradient_at_one_zero_is_the_product_of_the_others(backend):
    g = gradient(ad.prod, ad.tensor([2.0, 0.0, 3.0]))
    np.testing.assert_array_equal(g.numpy(), [0.0, 6.0, 0.0])


@pytest.mark.parametrize("axis", [None, 1])
@pytest.mark.parametrize("values", ZEROS)
def test_prod_second_derivative_with_zeros_matches_finite_differences(backend, values, axis):
    f = ad.grad(lambda x: ad.sum(ad.prod(x, axis=axis)))
    assert gradcheck(f, [ad.tensor(np.array(values))])


# -- max and min: ties ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["max", "min"])
def test_tied_extrema_share_the_gradient_evenly(backend, name):
    x = np.array([[1.0, 3.0, 3.0, 3.0], [-1.0, 2.0, -1.0, 0.5]])
    if name == "min":
        x = -x
    g = gradient(lambda t: getattr(ad, name)(t, axis=1), ad.tensor(x)).numpy()
    np.testing.assert_allclose(g, [[0.0, 1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0, 0.0]])
    for axis in (None, 0, 1):
        compare_with_torch(lambda t, axis=axis: getattr(ad, name)(t, axis=axis),
                           lambda t, axis=axis: torch_reduction(name)(t, axis=axis), [x])


# -- empty and 0-d inputs ------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "axis"), [((3, 0), 1), ((0,), None), ((0, 2), 0)])
def test_sum_over_an_empty_axis_is_zero_and_its_gradient_empty(backend, shape, axis):
    x = ad.tensor(np.zeros(shape))
    np.testing.assert_array_equal(ad.sum(x, axis=axis).numpy(), np.sum(np.zeros(shape), axis=axis))
    g = gradient(lambda t: ad.sum(t, axis=axis), x)
    assert g.shape == shape
    assert gradcheck(lambda t: ad.sum(t, axis=axis), [x])


@pytest.mark.parametrize(("name", "empty_value"), [("prod", 1.0), ("logsumexp", -np.inf)])
def test_empty_products_and_logsumexps_have_their_identity_values(backend, name, empty_value):
    x = ad.tensor(np.zeros((3, 0)))
    out = getattr(ad, name)(x, axis=1)
    np.testing.assert_array_equal(out.numpy(), np.full(3, empty_value))
    assert gradient(lambda t: getattr(ad, name)(t, axis=1), x).shape == (3, 0)


# -- logsumexp, softmax, log_softmax -------------------------------------------------------------

SOFTMAXES = {
    "softmax": lambda x, axis=-1: np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True),
    "log_softmax": lambda x, axis=-1: x - _np_logsumexp(x, axis=axis, keepdims=True),
}
SOFTMAX_CASES = [
    pytest.param((3, 4), {}, id="last-axis"),
    pytest.param((3, 4), {"axis": 0}, id="axis0"),
    pytest.param((2, 3, 2), {"axis": 1}, id="middle-axis"),
    pytest.param((5,), {}, id="1d"),
    pytest.param((), {}, id="0d"),
]


@pytest.mark.parametrize(("shape", "kwargs"), SOFTMAX_CASES)
@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_values_match_numpy(backend, name, shape, kwargs):
    x = sample(shape, seed=8)
    got = getattr(ad, name)(ad.tensor(x), **kwargs).numpy()
    np.testing.assert_allclose(got, SOFTMAXES[name](x, **kwargs), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("shape", "kwargs"), SOFTMAX_CASES)
@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_gradient_matches_finite_differences_and_torch(backend, name, shape, kwargs):
    torch = pytest.importorskip("torch")
    x = sample(shape, seed=9)
    f = lambda t: getattr(ad, name)(t, **kwargs)  # noqa: E731
    assert gradcheck(f, [ad.tensor(x)])
    dim = kwargs.get("axis", -1) if shape else 0
    compare_with_torch(f, lambda t: getattr(torch, name)(t, dim=dim), [x])


@pytest.mark.parametrize(("shape", "kwargs"), SOFTMAX_CASES[:3])
@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_second_derivative_matches_finite_differences(backend, name, shape, kwargs):
    assert gradcheck(sin_of_sum(lambda x: getattr(ad, name)(x, **kwargs)),
                     [ad.tensor(sample(shape, seed=10))])


@pytest.mark.parametrize("name", SOFTMAXES)
def test_softmax_float32_input_gives_float32_gradient(backend, name):
    x = ad.tensor(sample((2, 3), dtype="float32"))
    g = gradient(lambda t: ad.sin(getattr(ad, name)(t)), x)
    assert (g.dtype, g.shape) == (ad.float32, (2, 3))


@pytest.mark.parametrize("name", ["logsumexp", "softmax", "log_softmax"])
def test_large_logits_in_float32_give_finite_values_and_gradients(backend, name):
    x = ad.tensor(np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0]], dtype=np.float32))
    kwargs = {"axis": -1} if name == "logsumexp" else {}
    out = getattr(ad, name)(x, **kwargs)
    g = gradient(lambda t: ad.sin(getattr(ad, name)(t, **kwargs)), x)
    assert out.dtype == ad.float32 and g.dtype == ad.float32
    assert np.all(np.isfinite(out.numpy())) and np.all(np.isfinite(g.numpy()))
    if name == "logsumexp":
        np.testing.assert_allclose(out.numpy(), [1000.0, 1000.0 + np.log(2 + np.exp(-1.0))],
                                   rtol=1e-6)


def test_log_softmax_gradient_is_g_minus_softmax_times_sum_of_g(backend):
    x, u = sample((2, 3), seed=11), sample((2, 3), seed=12)
    _, back = ad.vjp(ad.log_softmax, ad.tensor(x))
    expected = u - SOFTMAXES["softmax"](x) * np.sum(u, axis=-1, keepdims=True)
    np.testing.assert_allclose(back(ad.tensor(u))[0].numpy(), expected, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # NumPy's log(0), meant
def test_logsumexp_of_minus_infinity_is_minus_infinity_not_nan(backend):
    x = ad.tensor(np.array([[-np.inf, -np.inf], [0.0, -np.inf]]))
    np.testing.assert_array_equal(ad.logsumexp(x, axis=1).numpy(), [-np.inf, 0.0])


# -- cumulative_sum ------------------------------------------------------------------------------

CUMSUM_CASES = [
    pytest.param((5,), {}, id="1d"),
    pytest.param((3, 4), {"axis": 1}, id="axis1"),
    pytest.param((3, 4), {"axis": -2}, id="axis-2"),
    pytest.param((3, 4), {"axis": 0, "include_initial": True}, id="axis0-initial"),
    pytest.param((2, 3, 2), {"axis": 1, "include_initial": True}, id="3d-initial"),
    pytest.param((0, 3), {"axis": 0}, id="empty"),
]


def _np_cumsum(x: np.ndarray, axis: int | None = None, include_initial: bool = False) -> np.ndarray:
    return np.cumulative_sum(x, axis=axis, include_initial=include_initial)


def _torch_cumsum(t: Any, axis: int | None = None, include_initial: bool = False) -> Any:
    import torch

    axis = 0 if axis is None else axis
    out = torch.cumsum(t, dim=axis)
    if include_initial:
        shape = list(t.shape)
        shape[axis] = 1
        out = torch.cat([torch.zeros(shape, dtype=t.dtype), out], dim=axis)
    return out


@pytest.mark.parametrize(("shape", "kwargs"), CUMSUM_CASES)
def test_cumulative_sum_values_match_numpy(backend, shape, kwargs):
    x = sample(shape, seed=13)
    got = ad.cumulative_sum(ad.tensor(x), **kwargs).numpy()
    np.testing.assert_allclose(got, _np_cumsum(x, **kwargs), rtol=1e-12)


@pytest.mark.parametrize(("shape", "kwargs"), CUMSUM_CASES)
def test_cumulative_sum_gradient_matches_finite_differences_and_torch(backend, shape, kwargs):
    pytest.importorskip("torch")
    x = sample(shape, seed=14)
    f = lambda t: ad.cumulative_sum(t, **kwargs)  # noqa: E731
    assert gradcheck(f, [ad.tensor(x)])
    compare_with_torch(f, lambda t: _torch_cumsum(t, **kwargs), [x])


@pytest.mark.parametrize(("shape", "kwargs"), CUMSUM_CASES[:4])
def test_cumulative_sum_second_derivative_matches_finite_differences(backend, shape, kwargs):
    f = sin_of_sum(lambda x: ad.cumulative_sum(x, **kwargs))
    assert gradcheck(f, [ad.tensor(sample(shape, seed=15))])


def test_cumulative_sum_float32_input_gives_float32_gradient(backend):
    g = gradient(lambda t: ad.cumulative_sum(t, axis=0, include_initial=True),
                 ad.tensor(sample((3, 2), dtype="float32")))
    assert (g.dtype, g.shape) == (ad.float32, (3, 2))
    np.testing.assert_array_equal(g.numpy(), [[3.0, 3.0], [2.0, 2.0], [1.0, 1.0]])


# -- argmax, argmin, count_nonzero, all, any -----------------------------------------------------

NON_DIFFERENTIABLE = {
    "argmax": np.argmax, "argmin": np.argmin, "count_nonzero": np.count_nonzero,
    "all": np.all, "any": np.any,
}  # fmt: skip


@pytest.mark.parametrize("kwargs", [{}, {"axis": 0}, {"axis": -1, "keepdims": True}], ids=str)
@pytest.mark.parametrize("name", NON_DIFFERENTIABLE)
def test_non_differentiable_reductions_match_numpy_and_carry_no_history(backend, name, kwargs):
    x = np.array([[0.0, 2.0, -1.0], [3.0, 0.0, 3.0]])
    data = x != 0 if name in ("all", "any") else x
    out = getattr(ad, name)(ad.tensor(data, requires_grad=data.dtype == np.float64), **kwargs)
    np.testing.assert_array_equal(out.numpy(), NON_DIFFERENTIABLE[name](data, **kwargs))
    assert not out.requires_grad


def test_count_nonzero_takes_a_tuple_of_axes(backend):
    x = np.array([[[0.0, 1.0], [2.0, 0.0]], [[0.0, 0.0], [5.0, 6.0]]])
    got = ad.count_nonzero(ad.tensor(x), axis=(0, 2), keepdims=True).numpy()
    np.testing.assert_array_equal(got, np.count_nonzero(x, axis=(0, 2), keepdims=True))


# -- errors --------------------------------------------------------------------------------------

ALL_REDUCTIONS = [*REDUCTIONS, *SOFTMAXES, "cumulative_sum", *NON_DIFFERENTIABLE]


@pytest.mark.parametrize("name", ALL_REDUCTIONS)
def test_python_scalar_input_is_refused_naming_the_op(backend, name):
    with pytest.raises(DTypeError, match=f"^{name}: takes an array, not a Python float"):
        getattr(ad, name)(3.0)


@pytest.mark.parametrize("name", [*REDUCTIONS, *NON_DIFFERENTIABLE])
def test_axis_out_of_range_is_a_shape_error_naming_the_op(backend, name):
    with pytest.raises(ShapeError, match=f"^{name}: axis 2 is out of range"):
        getattr(ad, name)(ad.tensor(np.ones((2, 3))), axis=2)


def test_repeated_axis_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match=r"^sum: repeated axis in \(1, -1\)"):
        ad.sum(ad.tensor(np.ones((2, 3))), axis=(1, -1))


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
def test_extremum_of_an_empty_axis_is_a_shape_error(backend, name):
    with pytest.raises(ShapeError, match=rf"^{name}: cannot reduce shape \(2, 0\) over axes \(1,\)"):
        getattr(ad, name)(ad.tensor(np.ones((2, 0))), axis=1)


def test_cumulative_sum_needs_an_axis_beyond_one_dimension(backend):
    with pytest.raises(ShapeError, match=r"^cumulative_sum: axis is required for .* \(2, 3\)"):
        ad.cumulative_sum(ad.tensor(np.ones((2, 3))))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_axis_out_of_range_is_a_shape_error(backend, name):
    with pytest.raises(ShapeError, match=f"^{name}: axis 2 is out of range"):
        getattr(ad, name)(ad.tensor(np.ones((2, 3))), axis=2)
