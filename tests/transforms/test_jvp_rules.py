"""The hand-written JVP rules of prod, erf, linear and softmax_cross_entropy, on every backend.

Each rule is checked by ``jvpcheck`` (central differences along the tangent, and ⟨u, J v⟩
against reverse mode's ⟨Jᵀu, v⟩) on the cases where it is easy to get wrong — zeros in a
product, both ranges of erf, linear without a bias or with tangents on some inputs only,
every option of the fused loss — and against the rule forward mode derives from the VJP.
"""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.ops.registry import get_op
from ad_core.testing import jvpcheck, sample


def _matches_derived(op: str, f, primals, tangents, monkeypatch) -> None:
    _, by_rule = ad.jvp(f, primals, tangents)
    monkeypatch.setattr(get_op(op), "jvp", None)
    _, derived = ad.jvp(f, primals, tangents)
    np.testing.assert_allclose(by_rule.numpy(), derived.numpy(), rtol=1e-10, atol=1e-12)


# -- prod ---------------------------------------------------------------------------------------

PRODUCTS = {
    "no zero":        np.array([[1.5, -0.5, 2.0], [0.7, 1.1, -1.3]]),
    "one zero":       np.array([[1.5, 0.0, 2.0], [0.7, 1.1, -1.3]]),
    "two zeros":      np.array([[0.0, 0.0, 2.0], [0.7, 0.0, -1.3]]),
    "three zeros":    np.array([[0.0, 0.0, 0.0], [0.7, 1.1, -1.3]]),
}  # fmt: skip


@pytest.mark.parametrize("axis", [None, 1, 0])
@pytest.mark.parametrize("values", PRODUCTS.values(), ids=PRODUCTS.keys())
def test_prod_jvp_matches_finite_differences_and_reverse_mode_with_zeros(backend, values, axis):
    # A product with zeros is a polynomial; central differences are exact up to rounding.
    assert jvpcheck(lambda x: ad.prod(x, axis=axis), [ad.tensor(values)])


@pytest.mark.parametrize("values", PRODUCTS.values(), ids=PRODUCTS.keys())
def test_prod_jvp_equals_the_rule_derived_from_the_vjp(backend, values, monkeypatch):
    x = ad.tensor(values)
    v = ad.tensor(sample(values.shape, seed=4))
    _matches_derived("prod", lambda y: ad.prod(y, axis=1, keepdims=True), (x,), (v,), monkeypatch)


# -- erf ----------------------------------------------------------------------------------------


def test_erf_jvp_matches_finite_differences_in_both_ranges_of_the_series(backend):
    x = ad.tensor([-3.0, -1.2, -0.4, 0.0, 0.8, 1.0, 2.5, 7.0])
    assert jvpcheck(ad.erf, [x])


def test_erf_jvp_is_the_gaussian_density_times_the_tangent(backend):
    x = np.array([-2.0, -0.3, 0.5, 1.7])
    v = np.array([1.0, -2.0, 0.5, 3.0])
    _, t = ad.jvp(ad.erf, (ad.tensor(x),), (ad.tensor(v),))
    np.testing.assert_allclose(t.numpy(), 2 / np.sqrt(np.pi) * np.exp(-x * x) * v, rtol=1e-14)


# -- linear -------------------------------------------------------------------------------------

LINEAR = {
    "with bias":      (lambda x, w, b: ad.linear(x, w, b), [(2, 3), (4, 3), (4,)]),
    "without bias":   (lambda x, w: ad.linear(x, w),       [(2, 3), (4, 3)]),
    "batched 3-d":    (lambda x, w, b: ad.linear(x, w, b), [(2, 2, 3), (4, 3), (4,)]),
    "one row":        (lambda x, w, b: ad.linear(x, w, b), [(3,), (2, 3), (2,)]),
}  # fmt: skip


@pytest.mark.parametrize("name", LINEAR)
def test_linear_jvp_matches_finite_differences_and_reverse_mode(backend, name):
    fn, shapes = LINEAR[name]
    assert jvpcheck(fn, [ad.tensor(sample(s, seed=i)) for i, s in enumerate(shapes)])


@pytest.mark.parametrize("which", [0, 1, 2])
def test_linear_jvp_with_a_tangent_on_one_input_only(backend, which):
    xs = [ad.tensor(sample(s, seed=i)) for i, s in enumerate([(2, 3), (4, 3), (4,)])]

    def only(y):
        call = list(xs)
        call[which] = y
        return ad.linear(*call)

    assert jvpcheck(only, [xs[which]])


def test_linear_jvp_equals_the_rule_derived_from_the_vjp(backend, monkeypatch):
    xs = tuple(ad.tensor(sample(s, seed=i)) for i, s in enumerate([(2, 2, 3), (4, 3), (4,)]))
    vs = tuple(ad.tensor(sample(x.shape, seed=9 + i)) for i, x in enumerate(xs))
    _matches_derived("linear", ad.linear, xs, vs, monkeypatch)


# -- softmax_cross_entropy ----------------------------------------------------------------------

LOSS_OPTIONS = {
    "plain":            {},
    "weighted":         {"weight": True},
    "ignored":          {"ignore": True},
    "smoothed":         {"label_smoothing": 0.2},
    "everything":       {"weight": True, "ignore": True, "label_smoothing": 0.3},
}  # fmt: skip


def _loss(options: dict, reduction: str):
    targets = ad.tensor(np.array([1, -100, 3, 0] if options.get("ignore") else [1, 2, 3, 0]))
    weight = ad.tensor(np.array([0.5, 2.0, 1.0, 1.5])) if options.get("weight") else None

    def f(z):
        return ad.softmax_cross_entropy(z, targets, weight, reduction=reduction,
                                        label_smoothing=options.get("label_smoothing", 0.0))

    return f


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", LOSS_OPTIONS)
def test_softmax_cross_entropy_jvp_matches_finite_differences_and_reverse_mode(
        backend, name, reduction):
    logits = ad.tensor(sample((4, 4), seed=2))
    assert jvpcheck(_loss(LOSS_OPTIONS[name], reduction), [logits])


@pytest.mark.parametrize("name", LOSS_OPTIONS)
def test_softmax_cross_entropy_jvp_equals_the_rule_derived_from_the_vjp(backend, name, monkeypatch):
    logits = ad.tensor(sample((4, 4), seed=2))
    v = ad.tensor(sample((4, 4), seed=3))
    _matches_derived("softmax_cross_entropy", _loss(LOSS_OPTIONS[name], "none"), (logits,), (v,),
                     monkeypatch)


def test_softmax_cross_entropy_float32_tangent_stays_float32(backend):
    logits = ad.tensor(sample((3, 4), seed=2), dtype=ad.float32)
    _, t = ad.jvp(lambda z: ad.softmax_cross_entropy(z, ad.tensor(np.array([0, 3, 1]))),
                  (logits,), (ad.ones_like(logits),))
    assert t.dtype == ad.float32 and t.shape == ()
