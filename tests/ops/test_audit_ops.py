"""Audit of the ops and the Tensor API at the points where libraries disagree or go wrong:
gradients at ties, boundaries and zeros checked against torch.autograd (the oracle), dtypes of
mixed operands, casts that must cut the graph, and the Tensor protocol (``==``, conversions).

Each test pins one behaviour that was wrong or unpinned when the audit found it; the conventions
(torch's, where the derivative is not defined) are written in the test names.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ad_core as ad


def _ad_grads(f: Callable[..., Any], *values: Any) -> list[np.ndarray]:
    """Gradients of sum(f(*inputs)) with respect to each float64 input, on the backend in force."""
    xs = [ad.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    ad.sum(f(*xs)).backward()
    return [x.grad.numpy() for x in xs]


def _torch_grads(f: Callable[..., Any], *values: Any) -> list[np.ndarray]:
    """The same gradients computed by torch.autograd."""
    torch = pytest.importorskip("torch")
    xs = [torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    f(*xs).sum().backward()
    return [x.grad.numpy() for x in xs]


def _assert_same(ours: list[np.ndarray], theirs: list[np.ndarray]) -> None:
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, equal_nan=True)


# -- pow at zero ----------------------------------------------------------------------------------


@pytest.mark.parametrize("exponent", [0, 0.0], ids=["int", "float"])
def test_pow_with_zero_exponent_has_zero_gradient_at_zero_base(backend: Any, exponent: Any) -> None:
    """x ** 0 is the constant 1: its slope is 0 at x = 0 too (torch and JAX agree), not
    0 * 0 ** -1 = NaN."""
    (grad,) = _ad_grads(lambda x: x**exponent, [0.0, 2.0])
    np.testing.assert_array_equal(grad, [0.0, 0.0])


def test_pow_of_two_tensors_matches_torch_at_zero_base_and_zero_exponent(backend: Any) -> None:
    """d/dx x**y at (0, 0) is 0, and so is d/dy at x = 0 for y >= 0 (torch's conventions)."""
    base, exponent = [0.0, 0.0, 2.0, 3.0], [0.0, 2.0, 0.0, 0.5]
    ours = _ad_grads(lambda x, y: x**y, base, exponent)
    _assert_same(ours, _torch_grads(lambda x, y: x**y, base, exponent))


def test_pow_second_derivative_at_zero_exponent_is_zero(backend: Any) -> None:
    """The rule stays exact under create_graph: d²/dx² x**0 at 0 is 0."""
    second = ad.grad(lambda x: ad.sum(ad.grad(lambda y: ad.sum(y**0.0))(x)))
    np.testing.assert_array_equal(second(ad.tensor([0.0, 1.5], dtype=ad.float64)).numpy(), [0, 0])


# -- casts to integers and booleans cut the graph ------------------------------------------------


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
def test_astype_to_a_non_floating_dtype_has_no_history(backend: Any, dtype: str) -> None:
    """As in torch, only floating results carry history: an integer or boolean cast of a tensor
    that requires grad is a constant."""
    x = ad.tensor([1.6, 0.0], dtype=ad.float64, requires_grad=True)
    y = ad.astype(x, dtype)
    assert not y.requires_grad and y.grad_fn is None


def test_gradient_does_not_flow_through_a_round_trip_via_integers(backend: Any) -> None:
    """float(int(x)) * x has slope int(x): the cast is piecewise constant. Before, the cotangent
    flowed through the integer cast (truncated to an integer) and gave [2, 4] instead of [1, 2]."""
    values = [1.6, 2.5]
    ours = _ad_grads(lambda x: ad.astype(ad.astype(x, ad.int32), ad.float64) * x, values)
    _assert_same(ours, _torch_grads(lambda x: x.int().double() * x, values))


@pytest.mark.parametrize("op", ["sum", "prod", "cumulative_sum"])
def test_reduction_with_an_integer_dtype_has_no_history(backend: Any, op: str) -> None:
    """sum(x, dtype=int64) is an integer result: no history, like torch.sum(x, dtype=torch.int64)."""
    x = ad.tensor([1.6, 2.5], dtype=ad.float64, requires_grad=True)
    y = getattr(ad, op)(x, dtype=ad.int64)
    assert y.dtype == ad.int64 and not y.requires_grad and y.grad_fn is None


def test_where_on_a_boolean_cast_differentiates_its_branches(backend: Any) -> None:
    """A mask made by astype(x, bool) is a constant condition; before, where refused to
    differentiate it ('no VJP rule for its input 0')."""
    (grad,) = _ad_grads(lambda x: ad.where(ad.astype(x, ad.bool), x * x, 0.0), [0.0, 2.5])
    np.testing.assert_allclose(grad, [0.0, 5.0])


# -- NumPy scalars are Python scalars -------------------------------------------------------------

NUMPY_SCALARS = [
    pytest.param(np.float64(2.0), id="float64"),  # what np.sqrt(2.0), np.pi * 1.0 ... return
    pytest.param(np.float32(2.0), id="float32"),
    pytest.param(np.int64(2), id="int64"),
]

SCALAR_OPERATIONS: dict[str, Callable[[Any, Any], Any]] = {
    "x*s": lambda x, s: x * s,
    "s*x": lambda x, s: s * x,
    "s-x": lambda x, s: s - x,
    "x/s": lambda x, s: x / s,
    "s**x": lambda x, s: s**x,
    "maximum": lambda x, s: ad.maximum(x, s),
}


@pytest.mark.parametrize("scalar", NUMPY_SCALARS)
@pytest.mark.parametrize("operation", list(SCALAR_OPERATIONS))
def test_numpy_scalar_operand_keeps_a_float32_tensor_float32(
    backend: Any, scalar: Any, operation: str
) -> None:
    """A NumPy scalar counts as the Python number it holds (as in torch): float32 stays float32,
    and the result is an array of the tensor's own backend. Before, NumPy promoted to float64, and
    ``np.float64(2) * x`` on array_api_strict wrapped a NumPy array (KeyError on ``.dtype``)."""
    x = ad.tensor([1.0, 2.0], dtype=ad.float32, requires_grad=True)
    y = SCALAR_OPERATIONS[operation](x, scalar)
    assert backend.backend.owns(y.array)
    assert y.dtype == ad.float32
    ad.sum(y).backward()
    assert x.grad.dtype == ad.float32
    expected = SCALAR_OPERATIONS[operation](np.array([1.0, 2.0]), float(scalar))
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)


# -- the Tensor protocol --------------------------------------------------------------------------


def test_comparing_a_tensor_with_none_gives_python_booleans(backend: Any) -> None:
    """``x == None`` is False and ``x != None`` True, as in torch (Python's identity fallback).
    Before, torch's backend made a Tensor around the Python bool (crashing on repr), NumPy's an
    array of False, array-api-strict raised."""
    x = ad.tensor([1.0, 2.0])
    assert (x == None) is False  # noqa: E711 - the comparison under test
    assert (x != None) is True  # noqa: E711
    assert None not in [x]


# -- devices --------------------------------------------------------------------------------------


def test_boolean_mask_gradient_on_a_second_array_api_strict_device(backend: Any) -> None:
    """The write-back of ``x[mask]`` stays on x's device. array-api-strict's ``__setitem__`` turns
    a tuple key holding an array into NumPy, which only its CPU device allows; a mask that is the
    whole key is passed bare."""
    if backend.name != "array_api_strict":
        pytest.skip("array-api-strict simulates several devices; the others have one here")
    x = ad.tensor([1.0, 2.0, 3.0], device="device1", requires_grad=True)
    ad.sum(x[x > 1.5] ** 2).backward()
    assert x.grad.device == x.device
    assert x.grad.tolist() == [0.0, 4.0, 6.0]


def test_a_0d_tensor_formats_like_its_number(backend: Any) -> None:
    """``f"{loss:.4f}"`` works as in torch and NumPy (0-d tensors format their element)."""
    loss = ad.sum(ad.tensor([0.125, 1.0], dtype=ad.float32))
    assert f"{loss:.4f}" == "1.1250"
    assert f"{ad.tensor(3):>3d}" == "  3"


def test_formatting_a_tensor_of_several_elements_with_a_spec_says_why(backend: Any) -> None:
    """Only a 0-d tensor has a number's format; an empty spec still gives str()."""
    x = ad.tensor([1.0, 2.0])
    assert f"{x}" == str(x)
    with pytest.raises(TypeError, match=r"0-d"):
        f"{x:.2f}"  # noqa: B018 - formatting is the operation under test


# -- conventions at special points, pinned against torch.autograd ---------------------------------

INF = float("inf")

#: (ours, torch's, inputs): gradients of sum(f(x)) must agree, NaN and inf included.
SPECIAL_POINTS: dict[str, tuple[Callable[..., Any], Callable[..., Any], list[Any]]] = {
    "sqrt at 0 is inf": (ad.sqrt, lambda x: x.sqrt(), [[0.0, 4.0]]),
    "log at 0 is inf": (ad.log, lambda x: x.log(), [[0.0, 4.0]]),
    "x**0.5 at 0 is inf": (lambda x: x**0.5, lambda x: x**0.5, [[0.0, 4.0]]),
    "x**2.0 at 0 is 0": (lambda x: x**2.0, lambda x: x**2.0, [[0.0, -3.0]]),
    "x**3 at a negative base": (lambda x: x**3, lambda x: x**3, [[-2.0, 0.0]]),
    "2**x": (lambda x: 2.0**x, lambda x: 2.0**x, [[0.0, -1.5]]),
    "0**x": (lambda x: 0.0**x, lambda x: 0.0**x, [[0.0, 1.5]]),
    "2 - x": (lambda x: 2.0 - x, lambda x: 2.0 - x, [[0.0, 1.5]]),
    "2 / x at 0": (lambda x: 2.0 / x, lambda x: 2.0 / x, [[0.0, 1.5]]),
    "x / y at y = 0": (lambda x, y: x / y, lambda x, y: x / y, [[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]]),
    # the NaN trap of where: the unused branch's infinite slope times a zero cotangent is NaN, in
    # torch and JAX too; the cure is to keep the unused branch finite (the next case)
    "where with sqrt of a negative": (
        lambda x: ad.where(x > 0, ad.sqrt(x), 0.0),
        lambda x: x.sqrt().where(x > 0, 0.0), [[-1.0, 4.0]]),
    "where with a guarded sqrt": (
        lambda x: ad.where(x > 0, ad.sqrt(ad.where(x > 0, x, 1.0)), 0.0),
        lambda x: x.where(x > 0, 1.0).sqrt().where(x > 0, 0.0), [[-1.0, 4.0]]),
    "logsumexp with one -inf": (ad.logsumexp, lambda x: x.logsumexp(0), [[-INF, 0.0, 1.0]]),
    "softmax of large logits": (
        lambda x: ad.softmax(x) * ad.arange(3, dtype=ad.float64, device=x.device),
        lambda x: x.softmax(0) * x.new_tensor([0.0, 1.0, 2.0]), [[1000.0, 1001.0, 999.0]]),
    "log_softmax with one -inf": (
        lambda x: ad.log_softmax(x)[1:], lambda x: x.log_softmax(0)[1:], [[-INF, 1.0, 2.0]]),
    "std of one element, correction 1": (
        lambda x: ad.std(x, correction=1), lambda x: x.std(correction=1), [[3.0]]),
    "std of one element, correction 0": (
        lambda x: ad.std(x), lambda x: x.std(correction=0), [[3.0]]),
    "prod with one zero": (ad.prod, lambda x: x.prod(), [[2.0, 0.0, 3.0]]),
    "prod with two zeros": (ad.prod, lambda x: x.prod(), [[2.0, 0.0, 0.0]]),
    "max with a tie along an axis": (
        lambda x: ad.max(x, axis=1), lambda x: x.amax(1), [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]]),
    "cumulative_sum": (
        lambda x: ad.cumulative_sum(x) ** 2, lambda x: x.cumsum(0) ** 2, [[2.0, -1.0, 3.0]]),
    "sigmoid at +-1000": (ad.sigmoid, lambda x: x.sigmoid(), [[-1000.0, 0.0, 1000.0]]),
}


@pytest.mark.parametrize("case", list(SPECIAL_POINTS))
def test_gradient_at_a_special_point_matches_torch(backend: Any, case: str) -> None:
    ours, theirs, values = SPECIAL_POINTS[case]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the libraries warn of the zero degrees of freedom
        _assert_same(_ad_grads(ours, *values), _torch_grads(theirs, *values))


@pytest.mark.parametrize("shape", [(0, 3), (2, 0)])
def test_repr_of_an_empty_tensor_shows_its_shape(backend: Any, shape: tuple[int, ...]) -> None:
    """``[]`` alone cannot tell (0, 3) from (2, 0); torch adds ``size=``, we add ``shape=``."""
    assert f"shape={shape}" in repr(ad.zeros(shape))


def test_repr_of_a_0d_and_a_1d_empty_tensor_is_just_the_values(backend: Any) -> None:
    assert repr(ad.tensor(1.5, dtype=ad.float32)).startswith("tensor(1.5, backend=")
    assert "shape=" not in repr(ad.zeros((0,)))


def test_tensor_from_a_list_of_0d_tensors_works_on_every_backend(backend: Any) -> None:
    """``ad.tensor([a, b])`` for 0-d tensors a, b (losses collected in a loop), as torch.tensor
    takes them; torch's asarray refused ad_core tensors ('len() of a 0-d tensor')."""
    parts = [ad.sum(ad.tensor([1.0, 2.0], dtype=ad.float32)), ad.tensor(0.5, dtype=ad.float32)]
    out = ad.tensor(parts)
    assert out.tolist() == [3.0, 0.5] and out.dtype == ad.float32
    assert backend.backend.owns(out.array)
    assert ad.tensor([[parts[1], 2.0]], dtype=ad.float64).tolist() == [[0.5, 2.0]]


# -- linear algebra -------------------------------------------------------------------------------


def test_tensordot_takes_a_pair_of_single_axes_as_numpy_does(backend: Any) -> None:
    """``axes=(1, 0)`` pairs axis 1 of x1 with axis 0 of x2, as ``([1], [0])``; before, a raw
    'object of type int has no len()' surfaced."""
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    x1, x2 = ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)
    y = ad.tensordot(x1, x2, axes=(1, 0))
    np.testing.assert_allclose(y.numpy(), np.tensordot(a, b, axes=(1, 0)))
    ad.sum(y).backward()
    np.testing.assert_allclose(x1.grad.numpy(), np.ones((2, 4)) @ b.T)


# -- relu: the fast paths and the generic rule agree everywhere -----------------------------------


def test_relu_gradient_at_nan_passes_the_cotangent_like_torch_on_every_backend(backend: Any) -> None:
    """torch's kernel zeroes the cotangent where x <= 0 only, so NaN inputs pass it; the generic
    rule and NumPy's fast path zeroed it, so the gradient depended on the backend."""
    x = ad.tensor([float("nan"), 1.0, -1.0, 0.0], requires_grad=True)
    ad.sum(ad.relu(x)).backward()
    theirs = _torch_grads(lambda t: t.relu(), [float("nan"), 1.0, -1.0, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), theirs[0])


def test_relu_gradient_where_x_is_negative_is_zero_even_for_an_infinite_cotangent(
    backend: Any,
) -> None:
    """NumPy's fast path multiplied by the mask, and inf * 0 is NaN."""
    x = ad.tensor([-1.0, 2.0], requires_grad=True)
    ad.relu(x).backward(ad.tensor([float("inf"), 1.0]))
    assert x.grad.tolist() == [0.0, 1.0]


def test_assigning_into_a_tensor_says_tensors_are_immutable_and_what_to_use(backend: Any) -> None:
    """``x[0] = 1.0`` (torch habit) raises a TypeError that names the functional alternatives."""
    x = ad.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"immutable.*where"):
        x[0] = 5.0
    assert x.tolist() == [1.0, 2.0]


# -- dtype arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize("library", ["numpy", "torch", "array_api_strict"])
def test_dtype_argument_may_be_any_librarys_dtype_on_every_backend(backend: Any, library: str) -> None:
    """``dtype=np.float32`` worked on the NumPy backend only and raised DTypeError on torch's: a
    library's dtype object is read by its name, so one script runs on every backend."""
    module = pytest.importorskip(library)
    x = ad.tensor([1, 2], dtype=module.float32)
    assert x.dtype == ad.float32 and backend.backend.owns(x.array)
    assert ad.zeros(2, dtype=module.float64).dtype == ad.float64
    assert ad.astype(x, module.int32).dtype == ad.int32


def test_dtype_argument_that_names_no_dtype_is_refused_with_the_backend_named(backend: Any) -> None:
    with pytest.raises(ad.errors.DTypeError, match=backend.name):
        ad.tensor([1.0], dtype=object())


# -- argument errors name the op and its signature ------------------------------------------------


@pytest.mark.parametrize(
    "call, op",
    [
        (lambda x: x.sum(0), "sum"),  # torch habit: the standard's axis is keyword-only
        (lambda x: ad.mean(x, dim=0), "mean"),
        (lambda x: x.reshape(1, 4), "reshape"),
        (lambda x: ad.permute_dims(x, 1, 0), "permute_dims"),
    ],
    ids=["positional-axis", "dim-keyword", "reshape-varargs", "permute-varargs"],
)
def test_a_call_that_does_not_fit_the_signature_names_the_op_and_its_signature(
    backend: Any, call: Callable[[Any], Any], op: str
) -> None:
    """Before, Python's message named an internal function (``sum_signature() takes 1 positional
    argument but 2 were given``)."""
    x = ad.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError) as info:
        call(x)
    message = str(info.value)
    assert "_signature" not in message
    assert message.startswith(f"{op}()") and f"; usage: {op}(x" in message


# -- NumPy functions on tensors -------------------------------------------------------------------


def test_numpy_function_on_a_tensor_that_requires_grad_is_refused_not_silently_constant(
    backend: Any,
) -> None:
    """``ad.sum(x) + np.sum(np.exp(x))`` used to give a gradient without the exp term: NumPy
    converted x to an array, dropping its history. torch refuses the conversion; so do we."""
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"requires grad.*ad\.exp\(x\)"):
        np.exp(x)
    with pytest.raises(TypeError, match=r"requires grad"):
        np.exp(x * 2.0)


def test_numpy_conversion_of_values_on_purpose_still_works(backend: Any) -> None:
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_allclose(np.exp(x.detach()), np.exp([1.0, 2.0]))
    np.testing.assert_allclose(x.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(np.asarray(ad.tensor([3.0])), [3.0])


# -- logaddexp at large inputs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype, value", [("float64", 1e16), ("float64", -1e16), ("float32", 1e7), ("float32", -3e5)]
)
def test_logaddexp_of_two_equal_large_inputs_splits_the_gradient_in_halves(
    backend: Any, dtype: str, value: float
) -> None:
    """d/dx logaddexp(x, y) is sigmoid(x - y). It was computed as exp(x - ans), but ans = x + log 2
    rounds to x (or to x + 1 ulp) once x is large, giving 1 and 1 (or 0.37 and 0.37) instead of
    0.5 and 0.5; torch's rule uses the difference x - y only."""
    x = ad.tensor([value], dtype=dtype, requires_grad=True)
    y = ad.tensor([value], dtype=dtype, requires_grad=True)
    ad.sum(ad.logaddexp(x, y)).backward()
    assert x.grad.tolist() == [0.5] and y.grad.tolist() == [0.5]


def test_logaddexp_gradients_match_torch_at_infinities_and_ties(backend: Any) -> None:
    first, second = [INF, 0.0, -INF, 1000.0, 2.0], [0.0, INF, 0.0, -1000.0, 2.0]
    with np.errstate(all="ignore"):
        ours = _ad_grads(ad.logaddexp, first, second)
    _assert_same(ours, _torch_grads(lambda a, b: a.logaddexp(b), first, second))


def test_logaddexp_second_derivatives_match_torch_at_a_tie(backend: Any) -> None:
    """The rule is differentiated again under create_graph: at x == y the slope of sigmoid(x - y)
    is 1/4 (a rule through abs(x - y) would give 0 there)."""
    torch = pytest.importorskip("torch")
    values = [0.5, 1.0, -2.0]
    x, y = ad.tensor(values, dtype=ad.float64), ad.tensor([0.5, 3.0, -2.5], dtype=ad.float64)
    ours = ad.grad(lambda a: ad.sum(ad.grad(lambda b: ad.sum(ad.logaddexp(b, y)))(a)))(x)
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(t.logaddexp(torch.tensor([0.5, 3.0, -2.5])).sum(), t, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), t)
    np.testing.assert_allclose(ours.numpy(), h.numpy())


@pytest.mark.parametrize(
    "dtype, value", [("float64", 1e16), ("float32", -3e5), ("float32", 1e7)]
)
def test_logsumexp_gradient_is_the_softmax_even_at_large_inputs(
    backend: Any, dtype: str, value: float
) -> None:
    """The slope of logsumexp is softmax(x). As exp(x - ans) it went wrong once ans = x + log n
    rounds (torch's rule does the same: [1, 1] for [1e16, 1e16], [0.503, 0.503] for float32
    [-3e5, -3e5]); computed as a softmax of x it sums to 1."""
    x = ad.tensor([value, value], dtype=dtype, requires_grad=True)
    ad.logsumexp(x).backward()
    assert x.grad.tolist() == [0.5, 0.5]
    _, tangent = ad.jvp(ad.logsumexp, (x.detach(),), (ad.ones_like(x),))
    assert tangent.item() == 1.0


def test_deepcopy_of_a_leaf_tensor_copies_values_requires_grad_and_grad(backend: Any) -> None:
    """``copy.deepcopy`` of a tensor (or of a dict of them: a checkpoint) failed with 'cannot
    pickle module object' (it tried to copy the backend); as in torch, a leaf copies."""
    import copy

    x = ad.tensor([1.0, 2.0], requires_grad=True)
    ad.sum(x * x).backward()
    saved = copy.deepcopy({"w": x, "step": 3})
    y = saved["w"]
    assert y is not x and y.requires_grad and y.is_leaf and y.backend is x.backend
    assert y.tolist() == [1.0, 2.0] and y.grad.tolist() == [2.0, 4.0] and y.grad is not x.grad


def test_deepcopy_of_a_tensor_with_history_says_to_detach(backend: Any) -> None:
    import copy

    y = ad.tensor([1.0, 2.0], requires_grad=True) * 2.0
    with pytest.raises(ad.errors.GradientError, match=r"detach"):
        copy.deepcopy(y)


# -- asarray keeps a tensor's history -------------------------------------------------------------


def _generic_square_sum(v: Any) -> Any:
    """Array API code as libraries write it: normalise the input with xp.asarray first."""
    xp = v.__array_namespace__()
    v = xp.asarray(v)
    return xp.sum(v**2)


def test_asarray_of_a_tensor_keeps_its_history_so_generic_code_stays_differentiable(
    backend: Any,
) -> None:
    """``xp.asarray(x)`` detached x, so ad.grad of generic code was silently 0 (and a loss that
    mixed it with other terms silently lost that part); jnp.asarray keeps a traced array too."""
    x = ad.tensor([1.0, 2.0], dtype=ad.float64)
    assert ad.grad(_generic_square_sum)(x).tolist() == [2.0, 4.0]
    leaf = ad.tensor([1.0, 2.0], dtype=ad.float64, requires_grad=True)
    (ad.sum(leaf) + _generic_square_sum(leaf)).backward()
    assert leaf.grad.tolist() == [3.0, 5.0]


def test_asarray_of_a_tensor_with_a_dtype_or_a_copy_records_the_conversion(backend: Any) -> None:
    x = ad.tensor([1.0, 2.0], dtype=ad.float32, requires_grad=True)
    assert ad.array_api.asarray(x) is x
    wide = ad.array_api.asarray(x, dtype=ad.float64)
    copied = ad.array_api.asarray(x, copy=True)
    assert wide.dtype == ad.float64 and copied is not x and copied.array is not x.array
    ad.sum(wide * 3.0 + copied).backward()
    assert x.grad.dtype == ad.float32 and x.grad.tolist() == [4.0, 4.0]
    with pytest.raises(ValueError, match=r"copy=False"):
        ad.array_api.asarray(x, dtype=ad.float64, copy=False)
