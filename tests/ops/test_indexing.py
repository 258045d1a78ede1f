"""Indexing: ``x[key]``, take, and their adjoints scatter_add and index_add. Values against NumPy,
gradients against finite differences and torch.autograd, second derivatives, repeated indices,
masks, the NumPy and torch kernels against the generic rules, and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import ShapeError
from ad_core.ops.registry import get_op
from ad_core.testing import gradcheck, sample
from ad_core.testing.oracle import compare_with_torch

#: array-api-strict takes only the keys the standard specifies.
NOT_STANDARD = pytest.mark.skip_backends(
    "array_api_strict",
    reason="the standard specifies integer arrays only beside integers and a boolean mask only "
           "as the whole key; NumPy's mixed rules are a NumPy and torch extension",
)

SHAPE = (3, 4)
MASK = np.array([[True, False, True, False], [False, False, False, False], [True, True, False, True]])

#: Keys for an array of SHAPE, built by ``ix``, which turns a list into an index array
#: (ad.tensor, np.asarray or torch.as_tensor, so each library indexes with its own arrays).
KEYS: dict[str, Any] = {
    "int":                    (lambda ix: 1),
    "negative_int":           (lambda ix: -1),
    "slice":                  (lambda ix: slice(1, None)),
    "slice_with_step":        (lambda ix: slice(None, None, 2)),
    "negative_step":          (lambda ix: slice(None, None, -1)),
    "negative_step_bounds":   (lambda ix: (slice(None), slice(3, 0, -2))),
    "empty_slice":            (lambda ix: slice(2, 1)),
    "new_axis":               (lambda ix: (None, 1)),
    "ellipsis_new_axis":      (lambda ix: (Ellipsis, None)),
    "int_ellipsis":           (lambda ix: (1, Ellipsis)),
    "slice_int":              (lambda ix: (slice(None), 0)),
    "ellipsis_negative_step": (lambda ix: (Ellipsis, slice(None, None, -1))),
    "empty_tuple":            (lambda ix: ()),
    "basic_mix":              (lambda ix: (slice(None, None, -2), None, slice(1, 3))),
    "0d_index_tensor":        (lambda ix: ix(2)),
    "index_arrays_repeated":  (lambda ix: (ix([0, 2, 2, 2]), ix([1, 1, 1, 3]))),
    "index_array_and_int":    (lambda ix: (1, ix([0, 0, 3]))),
    "negative_indices":       (lambda ix: (ix([-1, 0, -1]), ix([0, -4, 0]))),
    "mask":                   (lambda ix: ix(MASK)),
    "index_array_rows":       pytest.param(lambda ix: ix([0, 2, 2]), marks=NOT_STANDARD),
    "index_list":             pytest.param(lambda ix: [0, 2, 2], marks=NOT_STANDARD),
    "index_array_2d":         pytest.param(lambda ix: ix([[0, 1], [1, 1]]), marks=NOT_STANDARD),
    "slice_index_array":      pytest.param(lambda ix: (slice(None), ix([1, 1, 3])), marks=NOT_STANDARD),
    "index_negative_step":    pytest.param(lambda ix: (ix([0, 2, 2]), slice(None, None, -1)), marks=NOT_STANDARD),
    "row_mask":               pytest.param(lambda ix: ix([True, False, True]), marks=NOT_STANDARD),
    "slice_mask":             pytest.param(lambda ix: (slice(None), ix([True, False, False, True])), marks=NOT_STANDARD),
}  # fmt: skip


def key_fn(param: Any) -> Callable[[Callable[[Any], Any]], Any]:
    return param.values[0] if hasattr(param, "values") else param


def ad_index(data: Any) -> Any:
    return ad.tensor(np.asarray(data))


def getitem_with(key: Any) -> Callable[[Any], Any]:
    """x -> x[key], the key's index arrays made on the backend in force."""
    return lambda x: x[key_fn(key)(ad_index)]


def steps_backwards(key: Any) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, slice) and (k.step or 1) < 0 for k in parts)


def cube(t: Any) -> Any:
    return t * t * t


# -- getitem ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS)
def test_getitem_values_match_numpy(backend, key):
    x = sample(SHAPE)
    out = getitem_with(key)(ad.tensor(x))
    expected = x[key_fn(key)(np.asarray)]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS)
def test_getitem_gradient_matches_finite_differences(backend, key):
    assert gradcheck(getitem_with(key), [ad.tensor(sample(SHAPE))])


ORACLE_KEYS = {k: v for k, v in KEYS.items() if not steps_backwards(key_fn(v)(np.asarray))}


@pytest.mark.parametrize("key", ORACLE_KEYS.values(), ids=ORACLE_KEYS)
def test_getitem_gradient_matches_torch(backend, key):
    torch = pytest.importorskip("torch")
    torch_key = key_fn(key)(torch.as_tensor)
    compare_with_torch(getitem_with(key), lambda t: t[torch_key], [sample(SHAPE)])


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS)
def test_getitem_second_derivative_matches_finite_differences(backend, key):
    f = getitem_with(key)
    assert gradcheck(lambda x: ad.grad(lambda y: ad.sum(cube(f(y))))(x), [ad.tensor(sample(SHAPE))])


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS)
def test_getitem_float32_input_gives_float32_gradient_of_its_shape(backend, key):
    x = ad.tensor(sample(SHAPE, dtype="float32"))
    out, back = ad.vjp(getitem_with(key), x)
    (g,) = back(ad.ones_like(out))
    assert (out.dtype, g.dtype, g.shape) == (ad.float32, ad.float32, SHAPE)


@pytest.mark.parametrize("index", [lambda: ad.tensor([0, 2, 2, 2]), lambda: [0, 2, 2, 2]],
                         ids=["tensor", "list"])
def test_repeated_index_gradient_adds_every_repeat(backend, index):
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[index()].backward(ad.tensor([1.0, 10.0, 100.0, 1000.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1110.0])


def test_repeated_index_pairs_add_up_at_their_element(backend):
    x = ad.tensor(np.zeros(SHAPE), requires_grad=True)
    ad.sum(x[ad.tensor([2, 0, 2, 2]), ad.tensor([1, 3, 1, 1])]).backward()
    expected = np.zeros(SHAPE)
    expected[2, 1], expected[0, 3] = 3.0, 1.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_boolean_mask_gradient_is_the_cotangent_where_selected_and_zero_elsewhere(backend):
    x = ad.tensor(sample(SHAPE), requires_grad=True)
    u = np.arange(1.0, MASK.sum() + 1.0)
    x[ad.tensor(MASK)].backward(ad.tensor(u))
    expected = np.zeros(SHAPE)
    expected[MASK] = u
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_negative_step_gradient_lands_on_the_elements_read(backend):
    x = ad.tensor(np.zeros(5), requires_grad=True)
    x[4:0:-2].backward(ad.tensor([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 2.0, 0.0, 1.0])


@pytest.mark.parametrize(
    ("shape", "key"),
    [((), ()), ((), None), ((), Ellipsis), ((0, 3), (slice(None), 1)),
     ((0, 3), (Ellipsis, slice(None, None, -1))), ((2, 0), slice(1, None))],
    ids=["0d_empty_tuple", "0d_new_axis", "0d_ellipsis", "empty_int", "empty_negative_step",
         "empty_slice"],
)
def test_getitem_of_0d_and_empty_arrays_has_exact_gradients(backend, shape, key):
    x = ad.tensor(sample(shape))
    np.testing.assert_array_equal(x[key].numpy(), sample(shape)[key])
    assert gradcheck(lambda t: t[key], [x])
    assert gradcheck(lambda y: ad.grad(lambda t: ad.sum(cube(t[key])))(y), [x])


def test_empty_index_list_selects_nothing_and_gets_zero_gradient(backend):
    x = ad.tensor(np.ones(3), requires_grad=True)
    y = x[[]]
    assert y.shape == (0,)
    ad.sum(y).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


def test_iterating_a_tensor_gives_its_rows_and_their_gradients(backend):
    x = ad.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    (rows[0] * 1.0 + rows[2] * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]])


def test_index_tensor_on_another_backend_is_a_type_error_naming_both(backend):
    other = "numpy" if backend.name != "numpy" else "array_api_strict"
    if other not in ad.available_backends():
        pytest.skip(f"needs a second backend ({other})")
    x = ad.tensor(np.zeros(3))
    with pytest.raises(TypeError, match=rf"getitem.*{other}.*{backend.name}"):
        x[ad.tensor([0, 1], backend=other)]


def test_float_index_array_is_a_type_error(backend):
    with pytest.raises(TypeError, match="getitem.*integers or booleans"):
        ad.tensor(np.zeros(3))[ad.tensor([0.0, 1.0])]


@pytest.mark.parametrize("key", [(0, 1, 2), (slice(None, None, -1), 0, 1), ([0], 1, 0)],
                         ids=["ints", "backward-slice", "index-array"])
def test_more_indices_than_axes_is_a_shape_error_naming_the_shape(backend, key):
    with pytest.raises(ShapeError, match=r"getitem: 3 indices for an array of shape \(3, 4\)"):
        ad.tensor(np.zeros((3, 4)))[key]


def test_scatter_add_key_wider_than_its_shape_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match=r"scatter_add: 3 indices .* shape \(3, 3\)"):
        ad.scatter_add(ad.tensor(np.ones(3)), key=(0, 1, 2), shape=(3, 3))


# -- take -----------------------------------------------------------------------------------------

TAKES = {
    "1d_no_axis":      ((5,), [0, 3, 3, 1], None),
    "rows_repeated":   ((3, 4), [2, 0, 2], 0),
    "columns":         ((3, 4), [3, 1, 3, 3], 1),
    "negative":        ((3, 4), [-1, 0, -1], -1),
    "2d_indices":      ((3, 2), [[0, 1], [1, 1]], 0),
    "0d_index":        ((3, 2), 1, 1),
    "no_indices":      ((3, 2), np.zeros(0, dtype=np.int64), 0),
    "empty_array":     ((0, 2), [1, 1, 0], 1),
}  # fmt: skip


def take_with(indices: Any, axis: int | None) -> Callable[[Any], Any]:
    return lambda x: ad.take(x, ad_index(indices), axis=axis)


@pytest.mark.parametrize(("shape", "indices", "axis"), TAKES.values(), ids=TAKES)
def test_take_values_match_numpy(backend, shape, indices, axis):
    x = sample(shape)
    np.testing.assert_array_equal(take_with(indices, axis)(ad.tensor(x)).numpy(),
                                  np.take(x, np.asarray(indices), axis=axis))


@pytest.mark.parametrize(("shape", "indices", "axis"), TAKES.values(), ids=TAKES)
def test_take_gradient_matches_finite_differences(backend, shape, indices, axis):
    assert gradcheck(take_with(indices, axis), [ad.tensor(sample(shape))])


@pytest.mark.parametrize(("shape", "indices", "axis"), TAKES.values(), ids=TAKES)
def test_take_gradient_matches_torch(backend, shape, indices, axis):
    torch = pytest.importorskip("torch")
    index = np.asarray(indices)

    def torch_take(t):
        dim = (axis or 0) % t.ndim
        flat = torch.index_select(t, dim, torch.as_tensor(index.reshape(-1)) % t.shape[dim])
        return flat.reshape(t.shape[:dim] + index.shape + t.shape[dim + 1:])

    compare_with_torch(take_with(indices, axis), torch_take, [sample(shape)])


@pytest.mark.parametrize(("shape", "indices", "axis"), TAKES.values(), ids=TAKES)
def test_take_second_derivative_matches_finite_differences(backend, shape, indices, axis):
    f = take_with(indices, axis)
    assert gradcheck(lambda x: ad.grad(lambda y: ad.sum(cube(f(y))))(x), [ad.tensor(sample(shape))])


@pytest.mark.parametrize(("shape", "indices", "axis"), TAKES.values(), ids=TAKES)
def test_take_float32_input_gives_float32_gradient_of_its_shape(backend, shape, indices, axis):
    out, back = ad.vjp(take_with(indices, axis), ad.tensor(sample(shape, dtype="float32")))
    (g,) = back(ad.ones_like(out))
    assert (g.dtype, g.shape) == (ad.float32, shape)


def test_take_with_repeats_along_an_axis_adds_each_repeat(backend):
    x = ad.tensor(np.zeros((2, 3)), requires_grad=True)
    ad.take(x, ad.tensor([2, 0, 2, 2]), axis=1).backward(ad.tensor([[1.0, 2.0, 3.0, 4.0]] * 2))
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0, 8.0]] * 2)


def test_take_without_axis_on_2d_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match=r"take.*axis.*\(2, 3\)"):
        ad.take(ad.tensor(np.zeros((2, 3))), ad.tensor([0]))


# -- the adjoints as ops of their own -----------------------------------------------------------

#: (values shape, key built by ix, output shape) for scatter_add.
SCATTERS = {
    "slice":           ((2, 4), lambda ix: slice(1, None), SHAPE),
    "new_axis":        ((1, 4), lambda ix: (None, 2), SHAPE),
    "negative_step":   ((3, 2), lambda ix: (slice(None), slice(None, None, -2)), SHAPE),
    "repeated_pairs":  ((5,), lambda ix: (ix([0, 2, 2, 0, 2]), ix([1, 3, 3, 1, 3])), SHAPE),
    "mask":            ((int(MASK.sum()),), lambda ix: ix(MASK), SHAPE),
    "broadcast":       ((1,), lambda ix: (ix([1, 1, 1]), ix([0, 0, 2])), SHAPE),
}  # fmt: skip


def numpy_scatter(values: np.ndarray, key: Any, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape)
    np.add.at(out, key, values)
    return out


@pytest.mark.parametrize(("shape", "key", "out_shape"), SCATTERS.values(), ids=SCATTERS)
def test_scatter_add_values_match_numpy_add_at(backend, shape, key, out_shape):
    v = sample(shape)
    out = ad.scatter_add(ad.tensor(v), key(ad_index), out_shape)
    np.testing.assert_allclose(out.numpy(), numpy_scatter(v, key(np.asarray), out_shape),
                               rtol=1e-15)


@pytest.mark.parametrize(("shape", "key", "out_shape"), SCATTERS.values(), ids=SCATTERS)
def test_scatter_add_gradients_of_first_and_second_order(backend, shape, key, out_shape):
    f = lambda v: ad.scatter_add(v, key(ad_index), out_shape)  # noqa: E731
    assert gradcheck(f, [ad.tensor(sample(shape))])
    assert gradcheck(lambda v: ad.grad(lambda w: ad.sum(cube(f(w))))(v), [ad.tensor(sample(shape))])


def test_index_add_values_match_numpy_add_at_and_gradients_check(backend):
    v = sample((2, 5))
    idx = [3, 0, 3, 3, -1]
    out = ad.index_add(ad.tensor(v), ad.tensor(idx), axis=1, size=4)
    expected = np.zeros((2, 4))
    np.add.at(expected, (slice(None), np.asarray(idx)), v)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-15)
    f = lambda w: ad.index_add(w, ad.tensor(idx), axis=1, size=4)  # noqa: E731
    assert gradcheck(f, [ad.tensor(v)])
    assert gradcheck(lambda w: ad.grad(lambda u: ad.sum(cube(f(u))))(w), [ad.tensor(v)])


def test_index_add_with_indices_of_the_wrong_length_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match=r"index_add.*\(3,\).*\(2, 5\)"):
        ad.index_add(ad.tensor(np.zeros((2, 5))), ad.tensor([0, 1, 2]), axis=1, size=4)


def test_generic_scatter_adds_many_repeats_exactly_like_numpy_add_at(backend):
    # The generic rule (a sort and a segmented scan) on this backend's raw arrays.
    rng = np.random.default_rng(1)
    index = rng.integers(-7, 7, size=37)
    values = rng.standard_normal((37, 2))
    xp = backend.rule_xp
    forward = get_op("index_add").generic[0]
    out = forward(xp, ad.tensor(values).array, ad.tensor(index).array, axis=0, size=7)
    expected = np.zeros((7, 2))
    np.add.at(expected, index, values)
    np.testing.assert_allclose(ad.tensor(out).numpy(), expected, rtol=1e-13)


# -- the backends' kernels agree with the generic rules -----------------------------------------

KERNEL_KEYS = {
    "basic": (lambda ix: (slice(None, None, -1), 1), (3,)),
    "new_axis": (lambda ix: (None, slice(1, 3)), (1, 2, 4)),
    "index_arrays_repeated": (lambda ix: (ix([0, 2, 2, 2]), ix([1, 1, 1, 3])), (4,)),
    "rows_repeated": (lambda ix: ix([2, 0, 2]), (3, 4)),
    "slice_and_index": (lambda ix: (slice(None), ix([3, 3, 0])), (3, 3)),
    "mask": (lambda ix: ix(MASK), (int(MASK.sum()),)),
    "mask_and_new_axis": (lambda ix: (None, ix(MASK)), (1, int(MASK.sum()))),
}  # fmt: skip

KERNEL_BACKENDS = pytest.mark.backends("numpy", "torch", "torch_cuda")


def kernel(op_name: str, backend_name: str) -> tuple[Any, Any]:
    op = get_op(op_name)
    assert backend_name in op.kernels, f"no {backend_name} kernel for {op_name}"
    return op.generic, op.kernels[backend_name]


@KERNEL_BACKENDS
@pytest.mark.parametrize(("key", "shape"), KERNEL_KEYS.values(), ids=KERNEL_KEYS)
def test_scatter_add_kernel_agrees_with_the_generic_rule(backend, key, shape):
    (generic, _), (fast, _) = kernel("scatter_add", backend.name)
    values = ad.tensor(sample(shape))
    _, params = get_op("scatter_add").signature(values, key(ad_index), SHAPE)
    expected = generic(backend.rule_xp, values.array, **params)
    got = fast(backend.rule_xp, values.array, **params)
    np.testing.assert_allclose(ad.tensor(got).numpy(), ad.tensor(expected).numpy(), rtol=1e-15)


@KERNEL_BACKENDS
@pytest.mark.parametrize(("key", "shape"), KERNEL_KEYS.values(), ids=KERNEL_KEYS)
def test_getitem_vjp_kernel_agrees_with_the_generic_rule(backend, key, shape):
    (_, [generic]), (_, [fast]) = kernel("getitem", backend.name)
    x, g = ad.tensor(sample(SHAPE)), ad.tensor(sample(shape, seed=1))
    _, params = get_op("getitem").signature(x, key(ad_index))
    expected = generic(backend.rule_xp, g.array, None, x.array, **params)
    got = fast(backend.rule_xp, g.array, None, x.array, **params)
    np.testing.assert_allclose(ad.tensor(got).numpy(), ad.tensor(expected).numpy(), rtol=1e-15)


@KERNEL_BACKENDS
@pytest.mark.parametrize("indices", [[3, 0, 3, 3, -1], [[1, 1], [0, 1]], []], ids=str)
def test_index_add_and_take_vjp_kernels_agree_with_the_generic_rules(backend, indices):
    index = ad.tensor(np.asarray(indices, dtype=np.int64))
    (generic, _), (fast, _) = kernel("index_add", backend.name)
    (_, [generic_vjp, _]), (_, [fast_vjp, _]) = kernel("take", backend.name)
    x = ad.tensor(sample((2, 4)))
    g = ad.tensor(sample((2, *index.shape), seed=1))
    expected = generic_vjp(backend.rule_xp, g.array, None, x.array, index.array, axis=1)
    got = fast_vjp(backend.rule_xp, g.array, None, x.array, index.array, axis=1)
    np.testing.assert_allclose(ad.tensor(got).numpy(), ad.tensor(expected).numpy(), rtol=1e-15)
    if index.ndim == 1:
        values = g.array
        expected = generic(backend.rule_xp, values, index.array, axis=1, size=4)
        got = fast(backend.rule_xp, values, index.array, axis=1, size=4)
        np.testing.assert_allclose(ad.tensor(got).numpy(), ad.tensor(expected).numpy(),
                                   rtol=1e-15)
