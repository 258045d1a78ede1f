"""Manipulation ops: values against NumPy, gradients against finite differences and
torch.autograd, second derivatives, dtypes, transposes, joining, and shape errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import ShapeError
from ad_core.testing import gradcheck, sample
from ad_core.testing.oracle import compare_with_torch


def torch_namespace() -> Any:
    """torch behind the standard's function names (array-api-compat), for torch.autograd."""
    pytest.importorskip("torch")
    import array_api_compat.torch

    return array_api_compat.torch


#: Every op, as a call written against a namespace ``xp``: ad_core's, NumPy's or torch's (each
#: speaks the standard's names), on input shapes that cover 0-d, empty, and the axis arguments.
CASES: dict[str, tuple[tuple[tuple[int, ...], ...], Callable[..., Any]]] = {
    "reshape":               (((2, 3),),                 lambda xp, x: xp.reshape(x, (3, 2))),
    "reshape_minus_one":     (((2, 3),),                 lambda xp, x: xp.reshape(x, (-1, 2))),
    "reshape_0d":            (((),),                     lambda xp, x: xp.reshape(x, (1, 1))),
    "reshape_empty":         (((0, 3),),                 lambda xp, x: xp.reshape(x, (3, 0))),
    "permute_dims":          (((2, 3, 2),),              lambda xp, x: xp.permute_dims(x, (2, 0, 1))),
    "permute_dims_negative": (((2, 3),),                 lambda xp, x: xp.permute_dims(x, (-1, 0))),
    "permute_dims_0d":       (((),),                     lambda xp, x: xp.permute_dims(x, ())),
    "expand_dims":           (((2, 3),),                 lambda xp, x: xp.expand_dims(x, axis=1)),
    "expand_dims_many":      (((2, 3),),                 lambda xp, x: xp.expand_dims(x, axis=(0, -1))),
    "expand_dims_0d":        (((),),                     lambda xp, x: xp.expand_dims(x, axis=0)),
    "squeeze":               (((2, 1, 3),),              lambda xp, x: xp.squeeze(x, 1)),
    "squeeze_to_0d":         (((1, 1),),                 lambda xp, x: xp.squeeze(x, (0, -1))),
    "broadcast_to":          (((3,),),                   lambda xp, x: xp.broadcast_to(x, (2, 3))),
    "broadcast_to_inner":    (((2, 1),),                 lambda xp, x: xp.broadcast_to(x, (2, 2, 3))),
    "broadcast_to_0d":       (((),),                     lambda xp, x: xp.broadcast_to(x, (2, 2))),
    "broadcast_to_empty":    (((0, 1),),                 lambda xp, x: xp.broadcast_to(x, (0, 3))),
    "flip":                  (((2, 3),),                 lambda xp, x: xp.flip(x)),
    "flip_axis":             (((2, 3),),                 lambda xp, x: xp.flip(x, axis=-1)),
    "flip_0d":               (((),),                     lambda xp, x: xp.flip(x)),
    "roll_flat":             (((2, 3),),                 lambda xp, x: xp.roll(x, 2)),
    "roll_axes":             (((2, 3),),                 lambda xp, x: xp.roll(x, (1, -2), axis=(0, 1))),
    "moveaxis":              (((2, 3, 2),),              lambda xp, x: xp.moveaxis(x, 0, -1)),
    "moveaxis_many":         (((2, 3, 2),),              lambda xp, x: xp.moveaxis(x, (0, 1), (2, 0))),
    "tile":                  (((2, 3),),                 lambda xp, x: xp.tile(x, (2, 1))),
    "tile_more_axes":        (((3,),),                   lambda xp, x: xp.tile(x, (2, 2))),
    "repeat":                (((2, 3),),                 lambda xp, x: xp.repeat(x, 2, axis=1)),
    "repeat_flat":           (((2, 2),),                 lambda xp, x: xp.repeat(x, 3)),
    "concat":                (((2, 3), (1, 3)),          lambda xp, *xs: xp.concat(list(xs))),
    "concat_last_axis":      (((2, 1), (2, 2), (2, 3)),  lambda xp, *xs: xp.concat(xs, axis=-1)),
    "concat_flat":           (((2,), (2, 2)),            lambda xp, *xs: xp.concat(xs, axis=None)),
    "concat_empty":          (((0, 2), (2, 2)),          lambda xp, *xs: xp.concat(xs)),
    "stack":                 (((2, 3), (2, 3)),          lambda xp, *xs: xp.stack(list(xs), axis=1)),
    "stack_0d":              (((), (), ()),              lambda xp, *xs: xp.stack(xs)),
    "stack_last_axis":       (((2,), (2,)),              lambda xp, *xs: xp.stack(xs, axis=-1)),
}  # fmt: skip


def inputs(name: str, dtype: str = "float64") -> list[np.ndarray]:
    return [sample(shape, seed=i, dtype=dtype) for i, shape in enumerate(CASES[name][0])]


def on_ad(name: str) -> Callable[..., Any]:
    """The case as a function of ad_core tensors."""
    call = CASES[name][1]
    return lambda *xs: call(ad, *xs)


def cube(t: Any) -> Any:
    return t * t * t


# -- every op: values, gradients, second derivatives, dtypes ------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_values_match_numpy(backend, name):
    xs = inputs(name)
    out = on_ad(name)(*[ad.tensor(x) for x in xs])
    expected = CASES[name][1](np, *xs)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_finite_differences(backend, name):
    assert gradcheck(on_ad(name), [ad.tensor(x) for x in inputs(name)])


@pytest.mark.parametrize("name", CASES)
def test_gradient_matches_torch(backend, name):
    torch_xp = torch_namespace()
    call = CASES[name][1]
    compare_with_torch(on_ad(name), lambda *ts: call(torch_xp, *ts), inputs(name))


@pytest.mark.parametrize("name", CASES)
def test_second_derivative_matches_finite_differences(backend, name):
    # The cube makes the gradient depend on the input, so this differentiates the VJP itself.
    f = on_ad(name)
    argnums = tuple(range(len(CASES[name][0])))

    def gradient(*xs):
        grads = ad.grad(lambda *ys: ad.sum(cube(f(*ys))), argnums=argnums)(*xs)
        return ad.concat([ad.reshape(g, (-1,)) for g in grads], axis=0)

    assert gradcheck(gradient, [ad.tensor(x) for x in inputs(name)])


@pytest.mark.parametrize("name", CASES)
def test_float32_inputs_give_float32_gradients_of_their_shapes(backend, name):
    xs = [ad.tensor(x) for x in inputs(name, dtype="float32")]
    out, back = ad.vjp(on_ad(name), *xs)
    assert out.dtype == ad.float32
    for g, shape in zip(back(ad.ones_like(out)), CASES[name][0], strict=True):
        assert g.dtype == ad.float32
        assert g.shape == shape


# -- what the gradients are ---------------------------------------------------------------------


def test_concat_gradient_gives_each_input_its_own_block(backend):
    x, y = ad.tensor(np.zeros((2, 2))), ad.tensor(np.zeros((2, 3)))
    u = np.arange(10.0).reshape(2, 5)
    _, back = ad.vjp(lambda a, b: ad.concat([a, b], axis=1), x, y)
    gx, gy = back(ad.tensor(u))
    np.testing.assert_array_equal(gx.numpy(), u[:, :2])
    np.testing.assert_array_equal(gy.numpy(), u[:, 2:])


def test_stack_gradient_gives_each_input_its_own_slice(backend):
    xs = [ad.tensor(np.zeros(3)) for _ in range(4)]
    u = np.arange(12.0).reshape(3, 4)
    _, back = ad.vjp(lambda *ts: ad.stack(ts, axis=1), *xs)
    for i, g in enumerate(back(ad.tensor(u))):
        np.testing.assert_array_equal(g.numpy(), u[:, i])


def test_concat_of_one_tensor_used_twice_sums_both_blocks(backend):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    ad.sum(ad.concat([x, x * 2.0]) * ad.tensor([1.0, 10.0, 100.0, 1000.0])).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [201.0, 2010.0])


@pytest.mark.parametrize(
    ("f", "copies"),
    [(lambda x: ad.broadcast_to(x, (4, 3)), 4), (lambda x: ad.tile(x, (2, 3)), 6),
     (lambda x: ad.repeat(x, 5), 5)],
    ids=["broadcast_to", "tile", "repeat"],
)
def test_gradient_of_copies_counts_every_copy(backend, f, copies):
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ad.sum(f(x)).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [copies] * 3)


def test_reshape_infers_the_minus_one_size(backend):
    assert ad.reshape(ad.tensor(np.zeros((2, 6))), (3, -1, 2)).shape == (3, 2, 2)
    assert ad.reshape(ad.tensor(np.zeros((2, 3))), -1).shape == (6,)


def test_tensor_methods_reach_the_ops(backend):
    x = ad.tensor(np.arange(6.0).reshape(2, 3))
    assert x.reshape((3, 2)).shape == (3, 2)
    assert x.permute_dims((1, 0)).shape == (3, 2)


# -- transposes ---------------------------------------------------------------------------------


def test_transpose_T_matches_numpy_and_its_gradient_transposes_back(backend):
    x = sample((2, 3))
    np.testing.assert_array_equal(ad.tensor(x).T.numpy(), x.T)
    assert gradcheck(lambda t: t.T, [ad.tensor(x)])


def test_matrix_transpose_mT_swaps_the_last_two_axes_of_a_stack(backend):
    x = sample((2, 3, 2))
    np.testing.assert_array_equal(ad.tensor(x).mT.numpy(), np.swapaxes(x, -1, -2))
    assert gradcheck(lambda t: t.mT, [ad.tensor(x)])
    assert gradcheck(lambda y: ad.grad(lambda t: ad.sum(cube(t.mT)))(y), [ad.tensor(x)])


def test_T_of_a_3d_tensor_is_a_shape_error(backend):
    with pytest.raises(ShapeError, match="T"):
        _ = ad.tensor(np.zeros((2, 2, 2))).T


# -- errors name the op and the shapes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: ad.reshape(ad.tensor(np.zeros((2, 3))), (4,)),
         r"reshape.*\(2, 3\).*\(4,\)"),
        (lambda: ad.reshape(ad.tensor(np.zeros((2, 3))), (-1, 4)),
         r"reshape.*\(2, 3\).*\(-1, 4\)"),
        (lambda: ad.reshape(ad.tensor(np.zeros((2, 3))), (-1, -1)),
         r"reshape.*one -1"),
        (lambda: ad.concat([ad.tensor(np.zeros((2, 3))), ad.tensor(np.zeros((2, 4)))]),
         r"concat.*\(2, 3\).*\(2, 4\)"),
        (lambda: ad.concat([ad.tensor(np.zeros((2, 3))), ad.tensor(np.zeros(3))]),
         r"concat.*\(2, 3\).*\(3,\)"),
        (lambda: ad.concat([ad.tensor(1.0), ad.tensor(2.0)]),
         r"concat.*0-d"),
        (lambda: ad.stack([ad.tensor(np.zeros(2)), ad.tensor(np.zeros(3))]),
         r"stack.*\(2,\).*\(3,\)"),
        (lambda: ad.squeeze(ad.tensor(np.zeros((2, 3))), 1),
         r"squeeze.*axis 1.*\(2, 3\).*size 3"),
        (lambda: ad.broadcast_to(ad.tensor(np.zeros((2, 3))), (3, 3)),
         r"broadcast_to.*\(2, 3\).*\(3, 3\)"),
        (lambda: ad.broadcast_to(ad.tensor(np.zeros((2, 3))), (3,)),
         r"broadcast_to.*\(2, 3\).*\(3,\)"),
        (lambda: ad.permute_dims(ad.tensor(np.zeros((2, 3))), (0, 0)),
         r"permute_dims.*\(0, 0\).*\(2, 3\)"),
        (lambda: ad.expand_dims(ad.tensor(np.zeros((2, 3))), axis=3),
         r"expand_dims.*axis 3"),
        (lambda: ad.moveaxis(ad.tensor(np.zeros((2, 3))), (0, 1), 0),
         r"moveaxis.*\(0, 1\).*\(0,\)"),
        (lambda: ad.roll(ad.tensor(np.zeros((2, 3))), (1, 2), axis=0),
         r"roll.*\(1, 2\).*\(0,\)"),
    ],
    ids=["reshape_size", "reshape_minus_one", "reshape_two_minus_ones", "concat_shapes",
         "concat_ndim", "concat_0d", "stack_shapes", "squeeze_non_1", "broadcast_incompatible",
         "broadcast_fewer_axes", "permute_not_a_permutation", "expand_dims_axis", "moveaxis",
         "roll"],
)
def test_bad_shapes_raise_shape_error_naming_op_and_shapes(backend, call, pattern):
    with pytest.raises(ShapeError, match=pattern):
        call()
