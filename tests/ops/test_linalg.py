"""Linear algebra: values against NumPy, gradients against finite differences and torch.autograd,
second derivatives, dtypes, every operand layout matmul allows, and the shape errors raised before
the backend sees bad operands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import DTypeError, ShapeError
from ad_core.testing import gradcheck, sample
from ad_core.testing.oracle import compare_with_torch


def _np_vecdot(axis: int) -> Callable[..., Any]:
    return lambda a, b: np.sum(a * b, axis=axis)


#: id -> (operand shapes, ad_core function, NumPy function, torch function (given torch)).
CASES: dict[str, tuple[tuple[tuple[int, ...], ...], Callable[..., Any], Callable[..., Any],
                       Callable[..., Any]]] = {
    "matmul-vector-vector":    (((3,), (3,)),             ad.matmul, np.matmul, lambda t: t.matmul),
    "matmul-matrix-vector":    (((2, 3), (3,)),           ad.matmul, np.matmul, lambda t: t.matmul),
    "matmul-vector-matrix":    (((3,), (3, 2)),           ad.matmul, np.matmul, lambda t: t.matmul),
    "matmul-matrix-matrix":    (((2, 3), (3, 4)),         ad.matmul, np.matmul, lambda t: t.matmul),
    "matmul-stack-matrix":     (((2, 2, 3), (3, 2)),      ad.matmul, np.matmul, lambda t: t.matmul),
    "matmul-matrix-stack":     (((2, 3), (2, 3, 2)),      ad.matmul, np.matmul, lambda t: t.matmul),
    "matmul-broadcast-stacks": (((3, 1, 2, 2), (2, 2, 3)), ad.matmul, np.matmul, lambda t: t.matmul),
    "matmul-vector-stack":     (((3,), (2, 3, 2)),        ad.matmul, np.matmul, lambda t: t.matmul),
    "matmul-stack-vector":     (((2, 2, 3), (3,)),        ad.matmul, np.matmul, lambda t: t.matmul),
    "tensordot-2":             (((2, 3, 2), (3, 2, 2)),   ad.tensordot, np.tensordot,
                                lambda t: t.tensordot),
    "tensordot-1":             (((3, 4), (4, 2)),
                                lambda a, b: ad.tensordot(a, b, axes=1),
                                lambda a, b: np.tensordot(a, b, axes=1),
                                lambda t: lambda a, b: t.tensordot(a, b, dims=1)),
    "tensordot-0":             (((2, 3), (2,)),
                                lambda a, b: ad.tensordot(a, b, axes=0),
                                lambda a, b: np.tensordot(a, b, axes=0),
                                lambda t: lambda a, b: t.tensordot(a, b, dims=0)),
    "tensordot-pairs":         (((2, 3, 2), (2, 2, 3)),
                                lambda a, b: ad.tensordot(a, b, axes=((0, 2), (1, 0))),
                                lambda a, b: np.tensordot(a, b, axes=((0, 2), (1, 0))),
                                lambda t: lambda a, b: t.tensordot(a, b, dims=([0, 2], [1, 0]))),
    "tensordot-negative":      (((3, 2), (2, 3)),
                                lambda a, b: ad.tensordot(a, b, axes=([-1, 0], [0, -1])),
                                lambda a, b: np.tensordot(a, b, axes=([-1, 0], [0, -1])),
                                lambda t: lambda a, b: t.tensordot(a, b, dims=([1, 0], [0, 1]))),
    "vecdot-last":             (((3, 4), (3, 4)),         ad.vecdot, _np_vecdot(-1),
                                lambda t: t.linalg.vecdot),
    "vecdot-broadcast":        (((3, 4), (4,)),           ad.vecdot, _np_vecdot(-1),
                                lambda t: t.linalg.vecdot),
    "vecdot-axis0":            (((2, 3, 2), (3, 2)),
                                lambda a, b: ad.vecdot(a, b, axis=1),
                                _np_vecdot(-2),
                                lambda t: lambda a, b: t.linalg.vecdot(a, b, dim=-2)),
    "outer":                   (((3,), (4,)),             ad.outer, np.outer, lambda t: t.outer),
}  # fmt: skip

UNARY_CASES = {
    "matrix_transpose-2d": (2, 3),
    "matrix_transpose-3d": (2, 2, 3),
}


def operands(shapes: tuple[tuple[int, ...], ...], seed: int = 0,
             dtype: str = "float64") -> list[np.ndarray]:
    return [sample(s, seed=seed + i, dtype=dtype) for i, s in enumerate(shapes)]


def gradients(f: Callable[..., Any], *xs: Any) -> tuple[Any, ...]:
    """The gradient of sum(f(*xs)) with respect to every input, through ad.vjp."""
    out, back = ad.vjp(f, *xs)
    return back(ad.ones_like(out))


# -- matmul, tensordot, vecdot, outer ------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_values_match_numpy(backend, case):
    shapes, f, f_np, _ = CASES[case]
    xs = operands(shapes)
    got = f(*[ad.tensor(x) for x in xs]).numpy()
    expected = f_np(*xs)
    assert got.shape == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_gradients_match_finite_differences(backend, case):
    shapes, f, _, _ = CASES[case]
    assert gradcheck(f, [ad.tensor(x) for x in operands(shapes, seed=1)])


@pytest.mark.parametrize("case", CASES)
def test_gradients_match_torch(backend, case):
    torch = pytest.importorskip("torch")
    shapes, f, _, f_torch = CASES[case]
    compare_with_torch(f, f_torch(torch), operands(shapes, seed=2))


@pytest.mark.parametrize("argnum", [0, 1])
@pytest.mark.parametrize("case", CASES)
def test_second_derivatives_match_finite_differences(backend, case, argnum):
    shapes, f, _, _ = CASES[case]
    d = ad.grad(lambda a, b: ad.sum(ad.sin(f(a, b))), argnums=argnum)
    assert gradcheck(d, [ad.tensor(x) for x in operands(shapes, seed=3)])


@pytest.mark.parametrize("case", CASES)
def test_float32_inputs_give_float32_gradients_of_their_shapes(backend, case):
    shapes, f, _, _ = CASES[case]
    for g, shape in zip(gradients(f, *[ad.tensor(x) for x in operands(shapes, dtype="float32")]),
                        shapes, strict=True):
        assert (g.dtype, g.shape) == (ad.float32, shape)


@pytest.mark.parametrize("case", CASES)
def test_float32_and_float64_operands_promote_and_each_gradient_keeps_its_dtype(backend, case):
    shapes, f, f_np, _ = CASES[case]
    a, b = operands(shapes)
    a32, b64 = ad.tensor(a.astype(np.float32)), ad.tensor(b)
    out = f(a32, b64)
    assert out.dtype == ad.float64
    np.testing.assert_allclose(out.numpy(), f_np(a.astype(np.float32).astype(np.float64), b),
                               rtol=1e-12)
    ga, gb = gradients(f, a32, b64)
    assert (ga.dtype, gb.dtype) == (ad.float32, ad.float64)


@pytest.mark.parametrize(("s1", "s2"), [((2, 3, 4), (4, 5)), ((5, 1, 3, 4), (2, 4, 6))], ids=str)
def test_matmul_of_broadcast_stacks_matches_numpy_and_torch(backend, s1, s2):
    torch = pytest.importorskip("torch")
    a, b = sample(s1, seed=4), sample(s2, seed=5)
    np.testing.assert_allclose((ad.tensor(a) @ ad.tensor(b)).numpy(), a @ b, rtol=1e-12)
    compare_with_torch(ad.matmul, torch.matmul, [a, b])


def test_matmul_operator_is_matmul(backend):
    a, b = (ad.tensor(x) for x in operands(((2, 3), (3, 2))))
    np.testing.assert_array_equal((a @ b).numpy(), ad.matmul(a, b).numpy())
    ga, gb = gradients(lambda x, y: x @ y, a, b)
    np.testing.assert_allclose(ga.numpy(), np.ones((2, 2)) @ b.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(gb.numpy(), a.numpy().T @ np.ones((2, 2)), rtol=1e-12)


def test_matmul_gradient_sums_over_broadcast_batch_dimensions(backend):
    a, b = ad.tensor(sample((3, 1, 2, 2), seed=6)), ad.tensor(sample((2, 2, 3), seed=7))
    ga, gb = gradients(ad.matmul, a, b)
    u = np.ones((3, 2, 2, 3))
    np.testing.assert_allclose(ga.numpy(), np.sum(u @ np.swapaxes(b.numpy(), -1, -2), axis=1,
                                                  keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(gb.numpy(), np.sum(np.swapaxes(a.numpy(), -1, -2) @ u, axis=0),
                               rtol=1e-12)


# -- matrix_transpose ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", UNARY_CASES)
def test_matrix_transpose_values_and_gradients(backend, case):
    pytest.importorskip("torch")
    x = sample(UNARY_CASES[case], seed=8)
    np.testing.assert_array_equal(ad.matrix_transpose(ad.tensor(x)).numpy(),
                                  np.swapaxes(x, -1, -2))
    assert gradcheck(ad.matrix_transpose, [ad.tensor(x)])
    compare_with_torch(ad.matrix_transpose, lambda t: t.mT, [x])
    assert gradcheck(ad.grad(lambda y: ad.sum(ad.sin(ad.matrix_transpose(y)))), [ad.tensor(x)])
    g = gradients(ad.matrix_transpose, ad.tensor(x.astype(np.float32)))[0]
    assert (g.dtype, g.shape) == (ad.float32, x.shape)


# -- shape errors, raised before the backend is called -------------------------------------------

MATMUL_ERRORS = [
    ((2, 3), (4, 5), r"matmul: cannot multiply shapes (2, 3) and (4, 5): 3 != 4"),
    ((3,), (4,), r"matmul: cannot multiply shapes (3,) and (4,): 3 != 4"),
    ((2, 3), (2,), r"matmul: cannot multiply shapes (2, 3) and (2,): 3 != 2"),
    ((3,), (2, 2), r"matmul: cannot multiply shapes (3,) and (2, 2): 3 != 2"),
    ((2, 2, 3), (3, 3, 2), "matmul: cannot multiply shapes (2, 2, 3) and (3, 3, 2): batch "
                           "dimensions (2,) and (3,) do not broadcast"),
    ((), (3,), "matmul: cannot multiply shapes () and (3,): 0-d operands are not allowed"),
]


@pytest.mark.parametrize(("s1", "s2", "message"), MATMUL_ERRORS)
def test_matmul_shape_mismatch_names_the_op_and_both_shapes(backend, s1, s2, message):
    with pytest.raises(ShapeError) as info:
        ad.matmul(ad.tensor(np.ones(s1)), ad.tensor(np.ones(s2)))
    assert str(info.value).startswith(message)
    assert info.value.__cause__ is None  # raised by the signature, not translated from the backend


def test_matmul_operator_raises_the_same_shape_error(backend):
    with pytest.raises(ShapeError, match=r"^matmul: cannot multiply shapes \(2, 3\) and \(4, 5\)"):
        ad.tensor(np.ones((2, 3))) @ ad.tensor(np.ones((4, 5)))


def _ones(*shape: int) -> Any:
    return ad.tensor(np.ones(shape))


OTHER_ERRORS = [
    pytest.param(lambda: ad.tensordot(_ones(2, 3), _ones(4, 5), axes=1),
                 r"tensordot: cannot contract shapes \(2, 3\) and \(4, 5\) over axes 1: 3 != 4",
                 id="tensordot-sizes"),
    pytest.param(lambda: ad.tensordot(_ones(2, 3), _ones(3), axes=2),
                 r"tensordot: cannot contract shapes \(2, 3\) and \(3,\) over axes 2: axes must be",
                 id="tensordot-too-many-axes"),
    pytest.param(lambda: ad.tensordot(_ones(2, 3), _ones(3, 2), axes=((1,), (0, 1))),
                 r"tensordot: .* give two sequences of axes of the same length",
                 id="tensordot-unpaired-axes"),
    pytest.param(lambda: ad.tensordot(_ones(2, 3), _ones(3, 2), axes=([2], [0])),
                 r"tensordot: .* axis 2 is out of range for 2 dimensions",
                 id="tensordot-axis-out-of-range"),
    pytest.param(lambda: ad.vecdot(_ones(2, 3), _ones(2, 4)),
                 r"vecdot: cannot take dot products of shapes \(2, 3\) and \(2, 4\) along axis -1: "
                 r"3 != 4",
                 id="vecdot-sizes"),
    pytest.param(lambda: ad.vecdot(_ones(2, 3), _ones(4, 3)),
                 r"vecdot: cannot broadcast shapes \(2, 3\) and \(4, 3\)",
                 id="vecdot-broadcast"),
    pytest.param(lambda: ad.vecdot(_ones(2, 3), _ones(3), axis=0),
                 r"vecdot: cannot take dot products of shapes \(2, 3\) and \(3,\) along axis 0: "
                 r"2 != None",
                 id="vecdot-axis-missing-in-one-operand"),
    pytest.param(lambda: ad.vecdot(_ones(2, 3), _ones(2, 3), axis=2),
                 r"vecdot: axis 2 is out of range", id="vecdot-axis-out-of-range"),
    pytest.param(lambda: ad.outer(_ones(2, 3), _ones(3)),
                 r"outer: needs two 1-D arrays, got shapes \(2, 3\) and \(3,\)", id="outer-2d"),
    pytest.param(lambda: ad.matrix_transpose(_ones(3)),
                 r"matrix_transpose: needs at least 2 dimensions, got shape \(3,\)",
                 id="matrix_transpose-1d"),
]


@pytest.mark.parametrize(("call", "message"), OTHER_ERRORS)
def test_shape_errors_name_the_op_and_the_shapes(backend, call, message):
    with pytest.raises(ShapeError, match="^" + message) as info:
        call()
    assert info.value.__cause__ is None  # raised by the signature, not translated from the backend


@pytest.mark.parametrize("name", ["matmul", "tensordot", "vecdot", "outer"])
def test_python_scalar_operand_is_refused_naming_the_op(backend, name):
    with pytest.raises(DTypeError, match=f"^{name}: takes arrays, not a Python float"):
        getattr(ad, name)(ad.tensor(np.ones(3)), 2.0)
