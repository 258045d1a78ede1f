"""The standard functions added to fill ad_core.array_api: tril, triu, diff, cumulative_prod
(exact gradients with zeros), meshgrid, broadcast_arrays, unstack, broadcast_shapes,
bitwise_left_shift, bitwise_right_shift, nextafter.

Values against NumPy, gradients against finite differences and torch.autograd, second order,
forward mode, float32 gradients, the multi-output functions' gradients, and a bad-input error each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ad_core as ad
import ad_core.array_api as xp
from ad_core.errors import DTypeError, ShapeError
from ad_core.testing import gradcheck, jvpcheck, sample
from ad_core.testing.oracle import compare_with_torch

#: A 3x4 input with zeros: one in row 0, two in row 1 (one of them first), none in row 2.
ZEROS = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 0.7, 0.0, 0.5], [0.7, -1.2, 0.3, 0.9]])


def second_order(f: Callable[..., Any]) -> Callable[..., Any]:
    """x -> d sum(sin(f(x))) / dx, whose gradient differentiates the recorded VJP rule."""
    return ad.grad(lambda x: ad.sum(ad.sin(f(x))))


def gradient(f: Callable[..., Any], x: Any) -> Any:
    out, back = ad.vjp(f, x)
    return back(ad.ones_like(out))[0]


# -- tril, triu -----------------------------------------------------------------------------------

TRIANGLE_CASES = [((3, 4), 0), ((3, 4), 1), ((4, 3), -1), ((2, 3, 3), 2), ((2, 0), 0), ((3, 3), -5)]


@pytest.mark.parametrize(("shape", "k"), TRIANGLE_CASES)
@pytest.mark.parametrize("name", ["tril", "triu"])
def test_triangle_values_match_numpy(backend, name, shape, k):
    x = sample(shape, seed=1)
    got = getattr(xp, name)(ad.tensor(x), k=k).numpy()
    np.testing.assert_array_equal(got, getattr(np, name)(x, k=k))


@pytest.mark.parametrize(("shape", "k"), TRIANGLE_CASES)
@pytest.mark.parametrize("name", ["tril", "triu"])
def test_triangle_gradient_matches_finite_differences(backend, name, shape, k):
    assert gradcheck(lambda x: getattr(xp, name)(x, k=k), [ad.tensor(sample(shape, seed=2))])


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_triangle_gradient_matches_torch(backend, name):
    compare_with_torch(lambda x: getattr(xp, name)(x, k=1),
                       lambda t: getattr(__import__("torch"), name)(t, diagonal=1),
                       [sample((3, 4), seed=3)])


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_triangle_second_derivative_matches_finite_differences(backend, name):
    f = second_order(lambda x: getattr(xp, name)(x, k=-1))
    assert gradcheck(f, [ad.tensor(sample((3, 3), seed=4))])


@pytest.mark.parametrize("name", ["tril", "triu"])
def test_triangle_of_a_vector_is_a_shape_error_naming_the_op(backend, name):
    with pytest.raises(ShapeError, match=f"{name}: needs at least 2 dimensions"):
        getattr(xp, name)(ad.tensor([1.0, 2.0]))


# -- cumulative_prod ------------------------------------------------------------------------------

CUMPROD_CASES = [
    pytest.param({"axis": 1}, id="axis1"),
    pytest.param({"axis": 0}, id="axis0"),
    pytest.param({"axis": -1, "include_initial": True}, id="include-initial"),
]


@pytest.mark.parametrize("kwargs", CUMPROD_CASES)
def test_cumulative_prod_values_match_numpy(backend, kwargs):
    got = xp.cumulative_prod(ad.tensor(ZEROS), **kwargs).numpy()
    np.testing.assert_allclose(got, np.cumulative_prod(ZEROS, **kwargs), rtol=1e-12)


@pytest.mark.parametrize("kwargs", CUMPROD_CASES)
@pytest.mark.parametrize("x", [ZEROS, sample((3, 4), seed=5)], ids=["with-zeros", "no-zeros"])
def test_cumulative_prod_gradient_matches_finite_differences(backend, x, kwargs):
    assert gradcheck(lambda t: xp.cumulative_prod(t, **kwargs), [ad.tensor(x)])


def test_cumulative_prod_gradient_at_zeros_is_exact(backend):
    """d/dx of cumprod([0, a, b]) summed is 1 + a + a b at x[0]: no 0/0 from dividing by x."""
    x = ad.tensor([0.0, 2.0, 3.0])
    np.testing.assert_allclose(gradient(lambda t: xp.cumulative_prod(t), x).numpy(), [9.0, 0.0, 0.0])


def test_cumulative_prod_gradient_matches_torch_with_zeros(backend):
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x: xp.cumulative_prod(x, axis=1),
                       lambda t: torch.cumprod(t, dim=1), [ZEROS])


@pytest.mark.parametrize("kwargs", CUMPROD_CASES)
def test_cumulative_prod_forward_mode_matches_finite_differences_with_zeros(backend, kwargs):
    assert jvpcheck(lambda t: xp.cumulative_prod(t, **kwargs), [ad.tensor(ZEROS)])


@pytest.mark.parametrize("x", [ZEROS[:2, :3], sample((2, 3), seed=6)], ids=["with-zeros", "no-zeros"])
def test_cumulative_prod_second_derivative_matches_finite_differences(backend, x):
    assert gradcheck(second_order(lambda t: xp.cumulative_prod(t, axis=1)), [ad.tensor(x)])


@pytest.mark.parametrize("shape", [(0,), (2, 0), (1, 1)])
def test_cumulative_prod_of_empty_and_single_inputs_has_a_gradient_of_their_shape(backend, shape):
    axis = len(shape) - 1
    x = ad.tensor(sample(shape, seed=7))
    assert gradient(lambda t: xp.cumulative_prod(t, axis=axis), x).shape == shape
    assert gradcheck(lambda t: xp.cumulative_prod(t, axis=axis), [x])


def test_cumulative_prod_float32_input_gives_float32_gradient(backend):
    g = gradient(lambda t: xp.cumulative_prod(t, axis=0), ad.tensor(sample((3, 2), dtype="float32")))
    assert g.dtype == ad.float32
    assert g.shape == (3, 2)


def test_cumulative_prod_of_2d_input_without_axis_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match="cumulative_prod: axis is required"):
        xp.cumulative_prod(ad.tensor(ZEROS))


# -- diff -----------------------------------------------------------------------------------------

DIFF_CASES = [
    pytest.param({}, id="default"),
    pytest.param({"n": 2}, id="n2"),
    pytest.param({"axis": 0, "n": 3}, id="axis0-n3-to-empty"),
    pytest.param({"n": 0}, id="n0"),
    pytest.param({"axis": 0, "prepend": "p0"}, id="prepend"),
    pytest.param({"n": 2, "prepend": "p1", "append": "a1"}, id="prepend-append"),
]

_EXTRAS = {"p0": sample((1, 4), seed=8), "p1": sample((3, 2), seed=9), "a1": sample((3, 1), seed=10)}


def _with_extras(kwargs: dict[str, Any], convert: Callable[[Any], Any]) -> dict[str, Any]:
    return {k: convert(_EXTRAS[v]) if k in ("prepend", "append") else v for k, v in kwargs.items()}


@pytest.mark.parametrize("kwargs", DIFF_CASES)
def test_diff_values_match_numpy(backend, kwargs):
    x = sample((3, 4), seed=11)
    got = xp.diff(ad.tensor(x), **_with_extras(kwargs, ad.tensor)).numpy()
    np.testing.assert_allclose(got, np.diff(x, **_with_extras(kwargs, lambda a: a)), rtol=1e-12)


@pytest.mark.parametrize("kwargs", DIFF_CASES)
def test_diff_gradient_matches_finite_differences(backend, kwargs):
    extras = [k for k in ("prepend", "append") if k in kwargs]
    rest = {k: v for k, v in kwargs.items() if k not in extras}

    def f(x, *more):
        return xp.diff(x, **rest, **dict(zip(extras, more, strict=True)))

    inputs = [ad.tensor(sample((3, 4), seed=12))] + [ad.tensor(_EXTRAS[kwargs[k]]) for k in extras]
    assert gradcheck(f, inputs)


@pytest.mark.parametrize("name", ["diff", "tril", "triu"])
def test_linear_ops_forward_mode_matches_finite_differences(backend, name):
    p = ad.tensor(sample((1, 4), seed=18))
    f = {"diff": lambda x, p: xp.diff(x, axis=0, n=2, prepend=p),
         "tril": lambda x, p: xp.tril(x, k=1) * p, "triu": lambda x, p: xp.triu(x, k=-1) + p}[name]
    assert jvpcheck(f, [ad.tensor(sample((3, 4), seed=19)), p])


def test_diff_second_derivative_matches_finite_differences(backend):
    p = ad.tensor(sample((3, 1), seed=13))
    f = second_order(lambda x: xp.diff(x, n=2, append=p) * x[:, :3])
    assert gradcheck(f, [ad.tensor(sample((3, 4), seed=14))])


def test_diff_gradient_matches_torch(backend):
    torch = pytest.importorskip("torch")
    compare_with_torch(lambda x, p: xp.diff(x, n=2, axis=0, prepend=p),
                       lambda t, p: torch.diff(t, n=2, dim=0, prepend=p),
                       [sample((3, 2), seed=15), sample((2, 2), seed=16)])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n": 5}, "diff: n=5 is larger than the length 4"),
    ({"prepend": np.zeros((2, 1))}, r"diff: prepend of shape \(2, 1\) must match"),
    ({"axis": 2}, "diff: axis 2 is out of range"),
])
def test_diff_bad_arguments_are_shape_errors_naming_the_op(backend, kwargs, message):
    kwargs = {k: ad.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    with pytest.raises(ShapeError, match=message):
        xp.diff(ad.tensor(sample((3, 4))), **kwargs)


# -- meshgrid, broadcast_arrays, unstack, broadcast_shapes ----------------------------------------


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sizes", [(3,), (3, 2), (2, 3, 2), (0, 2)])
def test_meshgrid_matches_numpy(backend, sizes, indexing):
    arrays = [sample((n,), seed=i) for i, n in enumerate(sizes)]
    got = xp.meshgrid(*(ad.tensor(a) for a in arrays), indexing=indexing)
    expected = np.meshgrid(*arrays, indexing=indexing)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g.numpy(), e)


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid_outputs_carry_gradients_to_their_arrays(backend, indexing):
    def f(a, b, c):
        x, y, z = xp.meshgrid(a, b, c, indexing=indexing)
        return ad.sin(x) * y + z * x

    assert gradcheck(f, [ad.tensor(sample((n,), seed=n)) for n in (2, 3, 2)])


def test_meshgrid_of_a_matrix_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match="meshgrid: takes 1-D arrays"):
        xp.meshgrid(ad.tensor(sample((2, 2))), ad.tensor(sample((2,))))


@pytest.mark.parametrize("shapes", [[(2, 1), (3,)], [(), (2, 3)], [(4,)], [(1, 0), (3, 1)]])
def test_broadcast_arrays_match_numpy_and_carry_gradients(backend, shapes):
    arrays = [sample(s, seed=i) for i, s in enumerate(shapes)]
    got = xp.broadcast_arrays(*(ad.tensor(a) for a in arrays))
    for g, e in zip(got, np.broadcast_arrays(*arrays), strict=True):
        np.testing.assert_array_equal(g.numpy(), e)
    assert gradcheck(lambda *ts: ad.prod(ad.stack(xp.broadcast_arrays(*ts)), axis=0),
                     [ad.tensor(a) for a in arrays])


def test_broadcast_arrays_of_mismatched_shapes_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match=r"broadcast_arrays: cannot broadcast shapes \(2,\) and \(3,\)"):
        xp.broadcast_arrays(ad.tensor(sample((2,))), ad.tensor(sample((3,))))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unstack_matches_numpy_slices_and_carries_gradients(backend, axis):
    x = sample((2, 3, 2), seed=17)
    got = xp.unstack(ad.tensor(x), axis=axis)
    expected = [np.take(x, i, axis=axis) for i in range(x.shape[axis])]
    assert isinstance(got, tuple)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g.numpy(), e)
    assert gradcheck(lambda t: ad.sin(xp.unstack(t, axis=axis)[0]) * xp.unstack(t, axis=axis)[-1],
                     [ad.tensor(x)])


def test_unstack_along_a_missing_axis_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match="unstack: axis 2 is out of range"):
        xp.unstack(ad.tensor(sample((2, 3))), axis=2)


@pytest.mark.parametrize("shapes", [[], [(2, 1), (3,)], [(), (4, 1, 2)], [(1, 0), (5, 1)]])
def test_broadcast_shapes_matches_numpy(shapes):
    assert xp.broadcast_shapes(*shapes) == np.broadcast_shapes(*shapes)


def test_broadcast_shapes_that_do_not_broadcast_is_a_shape_error():
    with pytest.raises(ShapeError, match="broadcast_shapes: cannot broadcast"):
        xp.broadcast_shapes((2, 3), (4,))


# -- bitwise shifts, nextafter (no derivative) ----------------------------------------------------

SHIFTS = {"bitwise_left_shift": np.left_shift, "bitwise_right_shift": np.right_shift}


@pytest.mark.parametrize("name", SHIFTS)
def test_shifts_match_numpy_with_broadcasting(backend, name):
    x = np.array([[1, -8, 37], [0, 5, -1]], dtype=np.int64)
    s = np.array([0, 1, 3], dtype=np.int64)
    got = getattr(xp, name)(ad.tensor(x), ad.tensor(s))
    np.testing.assert_array_equal(got.numpy(), SHIFTS[name](x, s))
    np.testing.assert_array_equal(getattr(xp, name)(ad.tensor(x), 2).numpy(), SHIFTS[name](x, 2))


@pytest.mark.parametrize("name", SHIFTS)
def test_shifting_floats_is_a_dtype_error_naming_the_op(backend, name):
    with pytest.raises(DTypeError, match=f"{name}: takes integral operands"):
        getattr(xp, name)(ad.tensor([1.5, 2.0]), ad.tensor([1, 1]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nextafter_matches_numpy(backend, dtype):
    x = np.array([1.0, 0.0, -2.5, 3.0], dtype=dtype)
    y = np.array([2.0, -1.0, -2.5, 0.0], dtype=dtype)
    got = xp.nextafter(ad.tensor(x), ad.tensor(y)).numpy()
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, np.nextafter(x, y))


def test_nextafter_of_integers_is_a_dtype_error(backend):
    with pytest.raises(DTypeError, match="nextafter: takes real floating operands"):
        xp.nextafter(ad.tensor([1, 2]), ad.tensor([2, 3]))


# -- the namespace --------------------------------------------------------------------------------

ADDED = ["tril", "triu", "diff", "cumulative_prod", "meshgrid", "broadcast_arrays", "unstack",
         "broadcast_shapes", "bitwise_left_shift", "bitwise_right_shift", "nextafter"]


@pytest.mark.parametrize("name", ADDED)
def test_the_tensor_namespace_has_the_function(backend, name):
    assert callable(getattr(ad.tensor([1.0]).__array_namespace__(), name))
