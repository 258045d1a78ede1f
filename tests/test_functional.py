"""The functional API: grad, value_and_grad, vjp."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import GradientError


def test_grad_of_a_scalar_function(backend):
    df = ad.grad(lambda x: (x * x).sum())
    np.testing.assert_allclose(df(ad.tensor([1.0, -2.0])).numpy(), [2.0, -4.0])


def test_grad_with_several_argnums_returns_a_tuple(backend):
    f = lambda x, y: (x * y * y).sum()  # noqa: E731
    gx, gy = ad.grad(f, argnums=(0, 1))(ad.tensor([2.0]), ad.tensor([3.0]))
    assert (gx.item(), gy.item()) == (9.0, 12.0)


def test_grad_with_respect_to_a_later_argument(backend):
    f = lambda x, y: (x * y).sum()  # noqa: E731
    assert ad.grad(f, argnums=1)(ad.tensor([2.0]), ad.tensor([3.0])).tolist() == [2.0]


def test_value_and_grad(backend):
    value, g = ad.value_and_grad(lambda x: (x**3.0).sum())(ad.tensor([2.0]))
    assert value.item() == 8.0 and g.item() == 12.0


def test_has_aux_passes_extra_results_through(backend):
    g, aux = ad.grad(lambda x: ((x * x).sum(), "aux"), has_aux=True)(ad.tensor([3.0]))
    assert g.item() == 6.0 and aux == "aux"


def test_grad_does_not_touch_dot_grad(backend):
    x = ad.tensor([1.0], requires_grad=True)
    ad.grad(lambda x: (x * x).sum())(x)
    assert x.grad is None


def test_grad_of_grad_of_grad(backend):
    f = lambda x: ad.sin(x).sum()  # noqa: E731
    x = ad.tensor(0.4, dtype=ad.float64)
    assert ad.grad(f)(x).item() == pytest.approx(math.cos(0.4))
    assert ad.grad(ad.grad(f))(x).item() == pytest.approx(-math.sin(0.4))
    assert ad.grad(ad.grad(ad.grad(f)))(x).item() == pytest.approx(-math.cos(0.4))


def test_grad_of_an_unused_argument_is_zero(backend):
    g = ad.grad(lambda x, y: (x * 2.0).sum(), argnums=1)(ad.tensor([1.0]), ad.tensor([7.0, 8.0]))
    assert g.tolist() == [0.0, 0.0]


def test_grad_needs_a_scalar_output(backend):
    with pytest.raises(GradientError, match=r"single element.*\(2,\)"):
        ad.grad(lambda x: x * 2.0)(ad.tensor([1.0, 2.0]))


def test_argnums_out_of_range_is_a_clear_error(backend):
    with pytest.raises(GradientError, match="argnums"):
        ad.grad(lambda x: x.sum(), argnums=3)(ad.tensor([1.0]))


def test_vjp_returns_the_output_and_a_reusable_pullback(backend):
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    out, pullback = ad.vjp(lambda x: x @ ad.tensor(a), ad.tensor([1.0, 1.0]))
    np.testing.assert_allclose(out.numpy(), [4.0, 6.0])
    for u in ([1.0, 0.0], [0.0, 1.0]):
        (g,) = pullback(ad.tensor(u))
        np.testing.assert_allclose(g.numpy(), a @ np.array(u))


def test_vjp_of_several_primals(backend):
    _, pullback = ad.vjp(lambda x, y: x * y, ad.tensor([2.0, 3.0]), ad.tensor([5.0, 7.0]))
    gx, gy = pullback(ad.tensor([1.0, 1.0]))
    assert gx.tolist() == [5.0, 7.0] and gy.tolist() == [2.0, 3.0]


def test_grad_accepts_python_and_numpy_inputs():
    assert ad.grad(lambda x: (x * x).sum())(np.array([3.0])).tolist() == [6.0]
    assert ad.grad(lambda x: x * x)(3.0).item() == 6.0
