"""Sorting and searching: sort, argsort, take_along_axis, searchsorted, unique_values, isin,
and the namespace's nonzero and unique_all/unique_counts/unique_inverse. Values against NumPy, gradients of sort and take_along_axis against finite differences and
torch.autograd, second derivatives, forward mode, dtypes, and errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ad_core as ad
import ad_core.array_api as xp
from ad_core.errors import DTypeError, ShapeError
from ad_core.testing import gradcheck, sample
from ad_core.testing.oracle import compare_with_torch


def cube(t: Any) -> Any:
    return t * t * t


#: (shape, axis) pairs for sort: rows, columns, 1-D, an empty axis and an empty other axis.
SORT_CASES = {
    "rows":        ((3, 4), -1),
    "columns":     ((3, 4), 0),
    "vector":      ((5,), 0),
    "middle_axis": ((2, 3, 2), 1),
    "empty_axis":  ((2, 0), 1),
    "empty_other": ((0, 3), 1),
}  # fmt: skip


def np_sort(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    out = np.sort(x, axis=axis, kind="stable")
    return np.flip(out, axis=axis) if descending else out


# -- sort ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize(("shape", "axis"), SORT_CASES.values(), ids=SORT_CASES)
def test_sort_values_match_numpy(backend, shape, axis, descending):
    x = sample(shape)
    out = ad.sort(ad.tensor(x), axis=axis, descending=descending)
    np.testing.assert_array_equal(out.numpy(), np_sort(x, axis, descending))


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize(("shape", "axis"), SORT_CASES.values(), ids=SORT_CASES)
def test_sort_gradient_matches_finite_differences(backend, shape, axis, descending):
    f = lambda x: cube(ad.sort(x, axis=axis, descending=descending))  # noqa: E731
    assert gradcheck(f, [ad.tensor(sample(shape))])


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
def test_sort_gradient_matches_torch(backend, descending):
    torch = pytest.importorskip("torch")
    weights = np.arange(4.0)  # a different weight for each sorted place
    compare_with_torch(lambda x: ad.sort(x, axis=0, descending=descending) * ad.tensor(weights),
                       lambda t: t.sort(dim=0, descending=descending).values
                       * torch.as_tensor(weights), [sample((4,))])


def test_sort_gradient_is_the_cotangent_sent_back_through_the_permutation(backend):
    x = ad.tensor([3.0, 1.0, 2.0])
    weights = ad.tensor([10.0, 20.0, 30.0])  # sorted: [1, 2, 3]
    g = ad.grad(lambda y: ad.sum(ad.sort(y) * weights))(x)
    np.testing.assert_array_equal(g.numpy(), [30.0, 10.0, 20.0])


def test_sort_second_derivative_matches_finite_differences(backend):
    f = lambda x: ad.grad(lambda y: ad.sum(cube(ad.sort(y, axis=0))))(x)  # noqa: E731
    assert gradcheck(f, [ad.tensor(sample((3, 2)))])


def test_sort_forward_mode_matches_reverse_mode(backend):
    x = ad.tensor(sample((2, 3)))
    f = lambda y: ad.sort(y, axis=1, descending=True)  # noqa: E731
    forward = ad.jacobian(f, mode="forward")(x)
    reverse = ad.jacobian(f)(x)
    np.testing.assert_allclose(forward.numpy(), reverse.numpy())


def test_sort_float32_input_gives_float32_gradient_of_its_shape(backend):
    x = ad.tensor(sample((3, 4), dtype="float32"))
    out, back = ad.vjp(lambda y: ad.sort(y, axis=0), x)
    (g,) = back(ad.ones_like(out))
    assert (out.dtype, g.dtype, g.shape) == (ad.float32, ad.float32, (3, 4))


def test_sort_of_a_0d_array_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match=r"sort: needs an array with at least one dimension"):
        ad.sort(ad.tensor(1.0))


def test_sort_axis_out_of_range_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match="sort: axis 2 is out of range"):
        ad.sort(ad.tensor(sample((3, 4))), axis=2)


# -- argsort ------------------------------------------------------------------------------------


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
@pytest.mark.parametrize(("shape", "axis"), SORT_CASES.values(), ids=SORT_CASES)
def test_argsort_reads_the_sorted_values(backend, shape, axis, descending):
    x = sample(shape)
    order = ad.argsort(ad.tensor(x), axis=axis, descending=descending)
    assert order.dtype == ad.int64
    np.testing.assert_array_equal(np.take_along_axis(x, order.numpy(), axis=axis),
                                  np_sort(x, axis, descending))


def test_stable_argsort_keeps_ties_in_order(backend):
    x = ad.tensor([2.0, 1.0, 2.0, 1.0])
    np.testing.assert_array_equal(ad.argsort(x).numpy(), [1, 3, 0, 2])
    np.testing.assert_array_equal(ad.argsort(x, descending=True).numpy(), [0, 2, 1, 3])


def test_argsort_result_carries_no_history(backend):
    x = ad.tensor(sample((4,)), requires_grad=True)
    assert not ad.argsort(x).requires_grad


def test_argsort_of_booleans_is_a_dtype_error(backend):
    with pytest.raises(DTypeError, match="argsort: needs a real-valued array"):
        ad.argsort(ad.tensor([True, False]))


# -- take_along_axis ----------------------------------------------------------------------------

#: (x shape, indices, axis): repeats, negative indices, broadcasting either way, empty.
TAKE_CASES = {
    "rows":              ((3, 4), [[0, 3], [1, 1], [2, 0]], 1),
    "columns_repeated":  ((3, 4), [[2, 2, 2, 2], [0, 1, 0, 1]], 0),
    "negative":          ((3, 4), [[-1], [0], [-4]], 1),
    "indices_broadcast": ((3, 4), [[0, 3, 3]], 1),
    "x_broadcast":       ((1, 4), [[0, 3], [1, 1], [2, 2]], 1),
    "vector":            ((5,), [4, 0, 0, 2], 0),
    "3d":                ((2, 3, 2), [[[1, 0]], [[2, 2]]], 1),
    "empty":             ((3, 4), np.zeros((3, 0), dtype=np.int64), 1),
}  # fmt: skip


@pytest.mark.parametrize(("shape", "indices", "axis"), TAKE_CASES.values(), ids=TAKE_CASES)
def test_take_along_axis_values_match_numpy(backend, shape, indices, axis):
    x = sample(shape)
    out = ad.take_along_axis(ad.tensor(x), ad.tensor(np.asarray(indices)), axis=axis)
    np.testing.assert_array_equal(out.numpy(), np.take_along_axis(x, np.asarray(indices), axis))


@pytest.mark.parametrize(("shape", "indices", "axis"), TAKE_CASES.values(), ids=TAKE_CASES)
def test_take_along_axis_gradient_matches_finite_differences(backend, shape, indices, axis):
    index = ad.tensor(np.asarray(indices))
    f = lambda x: cube(ad.take_along_axis(x, index, axis=axis))  # noqa: E731
    assert gradcheck(f, [ad.tensor(sample(shape))])


@pytest.mark.parametrize(("shape", "indices", "axis"), TAKE_CASES.values(), ids=TAKE_CASES)
def test_take_along_axis_gradient_matches_torch(backend, shape, indices, axis):
    torch = pytest.importorskip("torch")
    index = np.asarray(indices) % shape[axis]  # torch.gather takes no negative indices
    x_shape = np.broadcast_shapes(shape[:axis] + (1,) + shape[axis + 1:],
                                  index.shape[:axis] + (1,) + index.shape[axis + 1:])
    gather_shape = tuple(x_shape[:axis]) + (index.shape[axis],) + tuple(x_shape[axis + 1:])
    t_index = torch.as_tensor(np.broadcast_to(index, gather_shape).copy())
    compare_with_torch(
        lambda x: ad.take_along_axis(x, ad.tensor(index), axis=axis),
        lambda t: torch.gather(t.expand(*x_shape[:axis], shape[axis], *x_shape[axis + 1:]),
                               axis, t_index),
        [sample(shape)],
    )


def test_take_along_axis_repeated_index_gradient_adds_every_repeat(backend):
    x = ad.tensor(sample((2, 3)))
    index = ad.tensor([[1, 1, 1], [0, 2, 0]])
    g = ad.grad(lambda y: ad.sum(ad.take_along_axis(y, index, axis=1)))(x)
    np.testing.assert_array_equal(g.numpy(), [[0.0, 3.0, 0.0], [2.0, 0.0, 1.0]])


def test_take_along_axis_second_derivative_matches_finite_differences(backend):
    index = ad.tensor([[0, 0], [2, 1]])
    f = lambda x: ad.grad(lambda y: ad.sum(cube(ad.take_along_axis(y, index, axis=1))))(x)  # noqa: E731
    assert gradcheck(f, [ad.tensor(sample((2, 3)))])


def test_take_along_axis_forward_mode_matches_reverse_mode(backend):
    index = ad.tensor([[1, 1], [0, 2]])
    f = lambda y: ad.take_along_axis(y, index, axis=1)  # noqa: E731
    x = ad.tensor(sample((2, 3)))
    np.testing.assert_allclose(ad.jacobian(f, mode="forward")(x).numpy(), ad.jacobian(f)(x).numpy())


def test_take_along_axis_float32_input_gives_float32_gradient_of_its_shape(backend):
    x = ad.tensor(sample((3, 4), dtype="float32"))
    out, back = ad.vjp(lambda y: ad.take_along_axis(y, ad.tensor([[0], [3], [3]]), axis=1), x)
    (g,) = back(ad.ones_like(out))
    assert (out.dtype, g.dtype, g.shape) == (ad.float32, ad.float32, (3, 4))


def test_take_along_axis_with_argsort_is_sort(backend):
    x = ad.tensor(sample((3, 4)))
    np.testing.assert_array_equal(ad.take_along_axis(x, ad.argsort(x, axis=0), axis=0).numpy(),
                                  ad.sort(x, axis=0).numpy())


def test_take_along_axis_with_fewer_index_dimensions_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match=r"take_along_axis: indices of shape \(2,\) for an "
                                         r"array of shape \(3, 4\)"):
        ad.take_along_axis(ad.tensor(sample((3, 4))), ad.tensor([0, 1]), axis=1)


def test_take_along_axis_with_indices_that_do_not_broadcast_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match="take_along_axis: .* do not broadcast"):
        ad.take_along_axis(ad.tensor(sample((3, 4))), ad.tensor([[0], [1]]), axis=1)


def test_take_along_axis_with_float_indices_is_a_dtype_error(backend):
    with pytest.raises(DTypeError, match="take_along_axis: indices must be integers"):
        ad.take_along_axis(ad.tensor(sample((3, 4))), ad.tensor([[0.0], [1.0], [2.0]]), axis=1)


# -- searchsorted -------------------------------------------------------------------------------


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_matches_numpy(backend, side):
    edges = np.array([0.0, 0.5, 0.5, 1.0])
    values = np.array([[-1.0, 0.5, 0.7], [1.0, 2.0, 0.0]])
    out = ad.searchsorted(ad.tensor(edges), ad.tensor(values), side=side)
    np.testing.assert_array_equal(out.numpy(), np.searchsorted(edges, values, side=side))


def test_searchsorted_with_sorter_reads_x1_in_that_order(backend):
    x1 = np.array([3.0, 1.0, 2.0])
    sorter = ad.argsort(ad.tensor(x1))
    out = ad.searchsorted(ad.tensor(x1), ad.tensor([2.5, 0.0]), sorter=sorter)
    np.testing.assert_array_equal(out.numpy(), [2, 0])


def test_searchsorted_in_a_2d_array_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match=r"searchsorted: x1 must be 1-D, got shape \(2, 2\)"):
        ad.searchsorted(ad.tensor(sample((2, 2))), ad.tensor([0.5]))


def test_searchsorted_with_an_unknown_side_is_a_value_error(backend):
    with pytest.raises(ValueError, match="searchsorted: side must be 'left' or 'right'"):
        ad.searchsorted(ad.tensor([0.0, 1.0]), ad.tensor([0.5]), side="middle")


# -- unique_values and isin ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [[3, 1, 3, 2, 1], [[2.5, -1.0], [2.5, 0.0]], [7]],
                         ids=["ints", "floats_2d", "single"])
def test_unique_values_are_the_sorted_distinct_elements(backend, data):
    out = ad.unique_values(ad.tensor(np.asarray(data)))
    np.testing.assert_array_equal(out.numpy(), np.unique(np.asarray(data)))


@pytest.mark.parametrize("invert", [False, True])
@pytest.mark.parametrize(("x1", "x2"), [
    ([[1.0, 2.0], [3.0, 4.0]], [4.0, 1.0, 9.0]),
    ([1, 5, 2, 5], [[5, 5], [0, 0]]),
    ([1.0, 2.0], np.zeros((0,))),
    (np.zeros((0, 2)), [1.0]),
], ids=["floats", "ints_2d_set", "empty_set", "empty_x1"])
def test_isin_matches_numpy(backend, x1, x2, invert):
    x1, x2 = np.asarray(x1), np.asarray(x2)
    out = ad.isin(ad.tensor(x1), ad.tensor(x2), invert=invert)
    assert out.dtype == ad.bool
    np.testing.assert_array_equal(out.numpy(), np.isin(x1, x2, invert=invert))


def test_isin_takes_a_python_scalar_on_either_side(backend):
    x = ad.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ad.isin(x, 2.0).numpy(), [False, True, False])
    assert ad.isin(3.0, x).numpy()
    assert not ad.isin(4.0, x).numpy()


def test_isin_of_booleans_is_a_dtype_error(backend):
    with pytest.raises(DTypeError, match="isin: needs a real-valued array"):
        ad.isin(ad.tensor([True]), ad.tensor([True, False]))


# -- nonzero and the unique_* functions (plain functions of ad_core.array_api) ------------------


@pytest.mark.parametrize("data", [
    [[0.0, 2.0, 0.0], [1.0, 0.0, -3.0]],
    [True, False, True],
    [[[0, 1], [1, 0]], [[0, 0], [0, 7]]],
    np.zeros((2, 0)),
], ids=["floats_2d", "bools", "ints_3d", "empty"])
def test_nonzero_matches_numpy(backend, data):
    data = np.asarray(data)
    out = xp.nonzero(ad.tensor(data))
    expected = np.nonzero(data)
    assert len(out) == len(expected)
    for got, want in zip(out, expected, strict=True):
        assert got.dtype == ad.int64
        np.testing.assert_array_equal(got.numpy(), want)


def test_nonzero_of_a_0d_array_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match="nonzero: needs an array with at least one dimension"):
        xp.nonzero(ad.tensor(1.0))


UNIQUE_DATA = {
    "ints_2d":   [[3, 1, 3], [2, 1, 1]],
    "floats":    [0.5, -1.0, 0.5, 0.5, 2.0],
    "bools":     [True, False, True],
    "single":    [4.0],
    "empty":     np.zeros((0, 2)),
}  # fmt: skip


@pytest.mark.parametrize("data", UNIQUE_DATA.values(), ids=UNIQUE_DATA)
def test_unique_all_matches_numpy(backend, data):
    data = np.asarray(data)
    values, indices, inverse, counts = xp.unique_all(ad.tensor(data))
    want = np.unique(data, return_index=True, return_inverse=True, return_counts=True)
    for got, expected in zip((values, indices, inverse, counts), want, strict=True):
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.parametrize("data", UNIQUE_DATA.values(), ids=UNIQUE_DATA)
def test_unique_counts_and_unique_inverse_match_numpy(backend, data):
    data = np.asarray(data)
    counts = xp.unique_counts(ad.tensor(data))
    inverse = xp.unique_inverse(ad.tensor(data))
    values, want_inverse, want_counts = np.unique(data, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(counts.values.numpy(), values)
    np.testing.assert_array_equal(counts.counts.numpy(), want_counts)
    np.testing.assert_array_equal(inverse.values.numpy(), values)
    np.testing.assert_array_equal(inverse.inverse_indices.numpy(), want_inverse)


def test_unique_all_of_a_list_is_a_type_error():
    with pytest.raises(TypeError, match=r"unique_all: takes an array, got list"):
        xp.unique_all([1, 2])


# -- through the namespace ----------------------------------------------------------------------


def test_generic_code_through_the_namespace_differentiates_sort_and_take_along_axis(backend):
    def top_two_sum(x: Any) -> Any:
        space = x.__array_namespace__()
        order = space.argsort(x, axis=-1, descending=True)
        return space.sum(space.take_along_axis(x, order[..., :2], axis=-1) ** 2)

    x = ad.tensor([[0.5, 2.0, 1.0], [3.0, -1.0, 0.0]])
    g = ad.grad(top_two_sum)(x)
    np.testing.assert_array_equal(g.numpy(), [[0.0, 4.0, 2.0], [6.0, 0.0, 0.0]])
