"""Transforms nested through closures: an inner transform's function may close over a tensor that
an outer transform differentiates, and the outer derivative must see that dependence (JAX's
semantics), never a silent zero.

Every case differentiates, with respect to y, an inner derivative with respect to x of a function
of x that uses y only through the closure, at x = 3, y = 2, against its closed form.
"""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad


def scalar(v: float):
    return ad.tensor(np.float64(v))


def one(v: float = 1.0):
    return scalar(v)


INNER = {
    # name: (inner derivative as a function of y at x = 3, its d/dy in closed form)
    "grad": (lambda y: ad.grad(lambda x: x * x * y)(scalar(3.0)), 6.0),               # 2xy
    "vjp": (lambda y: ad.vjp(lambda x: x * x * y, scalar(3.0))[1](one())[0], 6.0),    # 2xy
    "jvp": (lambda y: ad.jvp(lambda x: x * x * y, (scalar(3.0),), (one(),))[1], 6.0),  # 2xy
    "jacobian-reverse": (lambda y: ad.sum(ad.jacobian(lambda x: x * x * y)(
        ad.tensor(np.array([3.0])))), 6.0),
    "jacobian-forward": (lambda y: ad.sum(ad.jacobian(lambda x: x * x * y, mode="forward")(
        ad.tensor(np.array([3.0])))), 6.0),
    "hessian": (lambda y: ad.sum(ad.hessian(lambda x: ad.sum(x * x * x) * y)(
        ad.tensor(np.array([3.0])))), 18.0),                                           # 6xy
    "hvp": (lambda y: ad.hvp(lambda x: x * x * x * y, (scalar(3.0),), (one(),))[0], 18.0),
    "linearize": (lambda y: ad.linearize(lambda x: x * x * y, scalar(3.0))[1](one()), 6.0),
}


@pytest.mark.parametrize("inner", INNER)
def test_grad_sees_through_the_closure_of_an_inner_transform(backend, inner):
    f, expected = INNER[inner]
    assert ad.grad(f)(scalar(2.0)).item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("inner", INNER)
def test_jvp_sees_through_the_closure_of_an_inner_transform(backend, inner):
    f, expected = INNER[inner]
    value, tangent = ad.jvp(f, (scalar(2.0),), (one(),))
    assert tangent.item() == pytest.approx(expected, rel=1e-12)


TOP_LEVEL = {
    # name: (a derivative with respect to x at x = 3 of a function closing over y, d/dy of it)
    "grad": (lambda y: ad.grad(lambda x: x * x * y)(scalar(3.0)), 6.0),
    "vjp": (lambda y: ad.vjp(lambda x: x * x * y, scalar(3.0))[1](one())[0], 6.0),
    "jvp": (lambda y: ad.jvp(lambda x: x * x * y, (scalar(3.0),), (one(),))[1], 6.0),
    "jacobian": (lambda y: ad.sum(ad.jacobian(lambda x: x * x * y)(ad.tensor(np.array([3.0])))), 6.0),
    "hvp": (lambda y: ad.hvp(lambda x: x * x * x * y, (scalar(3.0),), (one(),))[0], 18.0),
    "linearize": (lambda y: ad.linearize(lambda x: x * x * y, scalar(3.0))[1](one()), 6.0),
}


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_backward_through_a_top_level_transform_reaches_the_tensors_it_closed_over(backend, name):
    """A gradient penalty: the transform's result depends on y through the closure, and
    ``.backward()`` of a loss built on it must see that (d/dy [inner + y²] = closed form + 2y)."""
    f, expected = TOP_LEVEL[name]
    y = ad.tensor(np.float64(2.0), requires_grad=True)
    (f(y) + y * y).backward()
    assert y.grad.item() == pytest.approx(expected + 4.0, rel=1e-12)


def test_a_top_level_grad_over_constants_returns_a_value_without_history(backend):
    c = ad.tensor(np.float64(2.0))
    g = ad.grad(lambda x: x * x * c)(scalar(3.0))
    assert g.item() == 12.0 and not g.requires_grad
