"""``ad.linearize``: one evaluation of f, then ``ad.jvp``'s tangents for any number of directions.

``ad.jvp`` is checked independently (finite differences and reverse mode, test_every_op.py), so
here ``f_jvp`` must equal it, on every backend, for several tangents; plus what only linearize
promises: ``f`` runs once, the tangents are checked, and the result composes.
"""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import DTypeError, GradientError, ShapeError
from ad_core.testing import sample

FUNCTIONS = {
    "elementwise":  (lambda x: ad.tanh(x) * ad.exp(x) + x ** 2.0,             [(2, 3)]),
    "matmul":       (lambda a, b: ad.sin(a @ b),                              [(2, 3), (3, 2)]),
    "reductions":   (lambda x: ad.softmax(x, axis=1) * ad.prod(x, axis=0),    [(2, 3)]),
    "indexing":     (lambda x: ad.concat([x[1:, ::-1], x[:1] * 2.0], axis=0), [(3, 4)]),
    "where":        (lambda x, y: ad.where(x > 0, x * y, ad.log1p(y * y)),    [(2, 3), (3,)]),
    "broadcasting": (lambda x, y: ad.logsumexp(x + y, axis=1),                [(2, 3), (3,)]),
}  # fmt: skip


def _close(a, b):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_linearized_function_equals_jvp_for_several_tangents(backend, name):
    f, shapes = FUNCTIONS[name]
    xs = tuple(ad.tensor(sample(s, seed=i)) for i, s in enumerate(shapes))
    out, f_jvp = ad.linearize(f, *xs)
    _close(out, f(*xs))
    for k in range(3):
        vs = tuple(ad.tensor(sample(x.shape, seed=10 * k + i + 1)) for i, x in enumerate(xs))
        _close(f_jvp(*vs), ad.jvp(f, xs, vs)[1])


def test_f_is_evaluated_once_however_many_tangents(backend):
    calls = []

    def f(x):
        calls.append(1)
        return ad.sin(x) * x

    x = ad.tensor(sample((3,)))
    _, f_jvp = ad.linearize(f, x)
    for k in range(4):
        f_jvp(ad.tensor(sample((3,), seed=k)))
    assert len(calls) == 1


def test_linearized_function_is_linear_in_the_tangents(backend):
    x = ad.tensor(sample((2, 3)))
    _, f_jvp = ad.linearize(lambda y: ad.sigmoid(y) @ ad.matrix_transpose(y), x)
    u, v = ad.tensor(sample((2, 3), seed=1)), ad.tensor(sample((2, 3), seed=2))
    _close(f_jvp(u * 2.0 - v * 3.0), f_jvp(u) * 2.0 - f_jvp(v) * 3.0)


def test_pytrees_of_tensors_in_and_out(backend):
    params = {"w": ad.tensor(sample((3, 2))), "b": ad.tensor(sample((2,), seed=1))}
    x = ad.tensor(sample((4, 3), seed=2))

    def f(p, x):
        h = ad.tanh(x @ p["w"] + p["b"])
        return {"mean": ad.mean(h), "rows": (h, ad.sum(h * h, axis=1))}

    out, f_jvp = ad.linearize(f, params, x)
    assert set(out) == {"mean", "rows"}
    tangents = ({"w": ad.tensor(sample((3, 2), seed=3)), "b": ad.tensor(sample((2,), seed=4))},
                ad.tensor(sample((4, 3), seed=5)))
    got, want = f_jvp(*tangents), ad.jvp(f, (params, x), tangents)[1]
    _close(got["mean"], want["mean"])
    for a, b in zip(got["rows"], want["rows"], strict=True):
        _close(a, b)


def test_none_tangent_holds_a_primal_fixed(backend):
    a, b = ad.tensor(sample((2, 3))), ad.tensor(sample((3, 2), seed=1))
    _, f_jvp = ad.linearize(lambda a, b: a @ b, a, b)
    v = ad.tensor(sample((2, 3), seed=2))
    _close(f_jvp(v, None), v @ b)


def test_output_that_does_not_depend_on_the_primals_has_zero_tangent(backend):
    c = ad.tensor([1.0, 2.0])
    _, f_jvp = ad.linearize(lambda x: (x * 2.0, c * 3.0, x), ad.tensor([3.0, 4.0]))
    scaled, constant, same = f_jvp(ad.tensor([1.0, -1.0]))
    assert scaled.tolist() == [2.0, -2.0] and constant.tolist() == [0.0, 0.0]
    assert same.tolist() == [1.0, -1.0]


LAYERS = {
    "mlp":        (lambda: ad.nn.Sequential(ad.nn.Linear(3, 4, dtype=ad.float64), ad.nn.Tanh(),
                                            ad.nn.Linear(4, 2, dtype=ad.float64)), (2, 3)),
    "gelu":       (lambda: ad.nn.Sequential(ad.nn.Linear(3, 3, dtype=ad.float64), ad.nn.GELU()), (2, 3)),
    "layer norm": (lambda: ad.nn.LayerNorm(3, dtype=ad.float64), (2, 3)),
    "conv":       (lambda: ad.nn.Conv2d(1, 2, 2, dtype=ad.float64), (1, 1, 3, 3)),
}  # fmt: skip


@pytest.mark.parametrize("name", LAYERS)
def test_linearize_through_a_layer_equals_jvp(backend, name):
    make, shape = LAYERS[name]
    layer = make()
    x = ad.tensor(sample(shape))
    out, f_jvp = ad.linearize(layer, x)
    _close(out, layer(x))
    for k in range(2):
        v = ad.tensor(sample(shape, seed=k + 1))
        _close(f_jvp(v), ad.jvp(layer, (x,), (v,))[1])


def test_linearized_loss_of_a_layer_gives_the_directional_derivative_of_the_gradient(backend):
    layer = ad.nn.Linear(3, 2, dtype=ad.float64)
    x = ad.tensor(sample((4, 3)))
    target = ad.tensor(sample((4, 2), seed=1))
    w = layer.weight.detach()
    grad = ad.grad(lambda w: ad.losses.mse(ad.linear(x, w, layer.bias), target))
    _, f_jvp = ad.linearize(grad, w)   # the Hessian of the loss, applied to tangents
    v = ad.tensor(sample((2, 3), seed=2))
    _close(f_jvp(v), ad.hvp(lambda w: ad.losses.mse(ad.linear(x, w, layer.bias), target), (w,), (v,))[0])


def test_op_without_a_jvp_rule_uses_the_derived_rule(backend):
    x = ad.tensor([0.5, -1.5, 2.0])
    _, f_jvp = ad.linearize(lambda y: ad.array_api.cube(y) * 2.0, x)
    assert f_jvp(ad.tensor([1.0, 1.0, 2.0])).tolist() == pytest.approx([1.5, 13.5, 48.0])


def test_float32_primals_give_float32_tangents(backend):
    x = ad.tensor(sample((2, 3)), dtype=ad.float32)
    _, f_jvp = ad.linearize(lambda y: ad.softmax(y @ ad.matrix_transpose(y), axis=1), x)
    t = f_jvp(ad.ones_like(x))
    assert t.dtype == ad.float32 and t.shape == (2, 2)


def test_gradient_with_respect_to_the_tangent_is_the_vjp(backend):
    f = FUNCTIONS["matmul"][0]
    a, b = ad.tensor(sample((2, 3))), ad.tensor(sample((3, 2), seed=1))
    _, f_jvp = ad.linearize(f, a, b)
    u = ad.tensor(sample((2, 2), seed=2))
    transposed = ad.grad(lambda va, vb: ad.sum(u * f_jvp(va, vb)), argnums=(0, 1))(
        ad.zeros_like(a), ad.zeros_like(b))
    _, back = ad.vjp(f, a, b)
    for got, want in zip(transposed, back(u), strict=True):
        _close(got, want)


def test_under_an_outer_grad_the_primals_are_differentiated(backend):
    f = FUNCTIONS["elementwise"][0]
    v = ad.tensor(sample((2, 3), seed=1))
    x = ad.tensor(sample((2, 3)))
    got = ad.grad(lambda y: ad.sum(ad.linearize(f, y)[1](v)))(x)
    want = ad.grad(lambda y: ad.sum(ad.jvp(f, (y,), (v,))[1]))(x)
    _close(got, want)


def test_tangent_of_the_wrong_shape_names_both_shapes(backend):
    _, f_jvp = ad.linearize(ad.sin, ad.tensor(sample((2, 3))))
    with pytest.raises(ShapeError, match=r"shape \(3, 2\).*shape \(2, 3\)"):
        f_jvp(ad.tensor(sample((3, 2))))


def test_tangent_of_another_dtype_is_an_error_naming_both(backend):
    _, f_jvp = ad.linearize(ad.sin, ad.tensor(sample((2, 3))))
    with pytest.raises(DTypeError, match="float32 tangent for a float64 primal"):
        f_jvp(ad.tensor(sample((2, 3)), dtype=ad.float32))


def test_wrong_number_or_structure_of_tangents_is_an_error(backend):
    x = ad.tensor(sample((2,)))
    _, f_jvp = ad.linearize(lambda p: p["a"] * p["b"], {"a": x, "b": x})
    with pytest.raises(GradientError, match="takes 1 tangent"):
        f_jvp({"a": x, "b": x}, x)
    with pytest.raises(GradientError, match="structure"):
        f_jvp({"a": x})


def test_integer_primal_cannot_carry_a_tangent(backend):
    idx = ad.tensor(np.array([1, 0]))
    x = ad.tensor(sample((3,)))
    _, f_jvp = ad.linearize(lambda x, i: ad.take(x, i, axis=0), x, idx)
    _close(f_jvp(ad.ones_like(x), None), ad.ones_like(x)[:2])
    with pytest.raises(DTypeError, match="int64 primal cannot carry a tangent"):
        f_jvp(ad.ones_like(x), idx)


def test_linearized_function_matches_torch_func_jvp(backend):
    torch = pytest.importorskip("torch")
    from torch import func

    a, b = sample((2, 3)), sample((3, 2), seed=1)
    va, vb = sample((2, 3), seed=2), sample((3, 2), seed=3)
    _, f_jvp = ad.linearize(lambda a, b: ad.logsumexp(ad.tanh(a @ b), axis=1), ad.tensor(a), ad.tensor(b))
    _, want = func.jvp(lambda a, b: torch.logsumexp(torch.tanh(a @ b), dim=1),
                       (torch.tensor(a), torch.tensor(b)), (torch.tensor(va), torch.tensor(vb)))
    np.testing.assert_allclose(f_jvp(ad.tensor(va), ad.tensor(vb)).numpy(), want.numpy(), rtol=1e-12)
