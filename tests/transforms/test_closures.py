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


def test_an_inner_grad_at_the_top_level_still_returns_a_value_without_history(backend):
    y = ad.tensor(np.float64(2.0), requires_grad=True)
    g = ad.grad(lambda x: x * x * y)(scalar(3.0))
    assert g.item() == 12.0 and not g.requires_grad
