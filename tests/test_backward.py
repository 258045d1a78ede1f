"""The backward pass: reverse topological order over a DAG, accumulation, freeing, modes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import GradientError, GraphFreedError


def test_contributions_of_every_child_are_summed(backend):
    # x feeds three consumers: d/dx (x*x + 3x) = 2x + 3
    x = ad.tensor(2.0, requires_grad=True)
    (x * x + 3.0 * x).backward()
    assert x.grad.item() == pytest.approx(7.0)


def test_diamond_graph(backend):
    # x1 = f0(x0); x2 = f1(x1); x3 = f2(x1); x4 = x2 * x3  — the lecture's "more complex graph"
    x0 = ad.tensor(0.7, dtype=ad.float64, requires_grad=True)
    x1 = x0 * 2.0
    x2 = ad.sin(x1)
    x3 = ad.exp(x1)
    y = x2 * x3
    y.backward()
    v = 1.4
    assert x0.grad.item() == pytest.approx(2.0 * (math.cos(v) * math.exp(v) + math.sin(v) * math.exp(v)))


def test_a_chain_of_100000_ops_needs_no_recursion(backend):
    x = ad.tensor(1.0, dtype=ad.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_gradients_accumulate_across_backward_calls(backend):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0 + 2.0, 3.0 + 4.0])


def test_second_backward_through_a_freed_graph_is_a_clear_error(backend):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (ad.exp(x) * x).sum()
    y.backward()
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward(backend):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (ad.exp(x) * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.exp([1.0, 2.0]) * np.array([2.0, 3.0])),
                               rtol=1e-6)


def test_saved_values_are_freed_after_backward(backend):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    h = ad.exp(x)
    y = (h * x).sum()
    node = h.grad_fn
    assert node.saved is not None
    y.backward()
    assert node.saved is None and node.ans is None


def test_backward_of_a_non_scalar_needs_a_cotangent(backend):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradientError, match=r"shape \(2,\).*grad"):
        (x * 2.0).backward()


def test_backward_with_an_explicit_cotangent_computes_a_vjp(backend):
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(ad.tensor([1.0, 0.0, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 12.0])


def test_backward_without_history_is_a_clear_error(backend):
    with pytest.raises(GradientError, match="requires_grad"):
        ad.tensor([1.0]).sum().backward()


def test_no_grad_records_nothing_and_enable_grad_resumes(backend):
    x = ad.tensor([1.0], requires_grad=True)
    with ad.no_grad():
        y = x * 2.0
        with ad.enable_grad():
            z = x * 2.0
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None


def test_no_grad_works_as_a_decorator(backend):
    @ad.set_grad_enabled(False)
    def f(x):
        return x * 2.0

    assert not f(ad.tensor([1.0], requires_grad=True)).requires_grad


def test_create_graph_makes_the_gradient_differentiable(backend):
    x = ad.tensor(0.3, dtype=ad.float64, requires_grad=True)
    y = ad.sin(x) * x
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.backward()
    # d²/dx² (x sin x) = 2 cos x - x sin x
    assert x.grad.item() == pytest.approx(2 * math.cos(0.3) - 0.3 * math.sin(0.3))


def test_only_leaves_keep_gradients(backend):
    x = ad.tensor([1.0], requires_grad=True)
    h = x * 2.0
    (h * h).sum().backward()
    assert h.grad is None and not h.is_leaf
    assert x.grad is not None and x.is_leaf


def test_inputs_that_do_not_require_grad_get_none(backend):
    x = ad.tensor([1.0], requires_grad=True)
    c = ad.tensor([5.0])
    (x * c).sum().backward()
    assert c.grad is None
    assert x.grad.tolist() == [5.0]


def test_creation_functions_in_a_recorded_rule_follow_the_nodes_backend(backend):
    from ad_core.extend import hookimpl

    class Doubler:
        @hookimpl
        def ad_core_register_ops(register):
            register("double_by_full", lambda xp, x: x * 2.0,
                     lambda xp, g, ans, x: g * xp.full(x.shape, 2.0, dtype=x.dtype))

    ad.register_plugin(Doubler, name="doubler")
    try:
        x = ad.tensor([1.0, 2.0], requires_grad=True)
        with ad.backend("numpy"):  # another backend in force than the tensors'
            g = ad.grad(lambda t: ad.sum(ad.double_by_full(t) * t))
            h = ad.grad(lambda t: ad.sum(g(t) * t))(x)
        np.testing.assert_allclose(h.numpy(), [8.0, 16.0])  # d/dt sum(4t · t) = 8t
    finally:
        ad.unregister_plugin("doubler")
