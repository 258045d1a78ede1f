"""Ops registered with ``first_order_only=True``: first derivatives work, every higher order and
forward mode through them raise a GradientError naming the op and the plugin, never a wrong
number.

The test op's VJP refuses ad_core tensors, standing in for a VJP that calls library code: it
proves the engine never hands it recorded tensors.
"""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import GradientError, PluginError
from ad_core.extend import hookimpl
from ad_core.testing import sample

PLUGIN = "first-order-demo"
MESSAGE = r"op 'fo_tanh' \(plugin 'first-order-demo'\) is first-order only"


def _raw_only(*arrays):
    for a in arrays:
        if isinstance(a, ad.Tensor):
            raise AssertionError("a first-order-only VJP was handed recorded tensors")


def fo_tanh_vjp(xp, g, ans, x):
    _raw_only(g, ans, x)
    return g * (1.0 - ans * ans)


def fo_tanh_jvp(xp, tangents, ans, x):
    _raw_only(tangents[0], ans, x)
    return tangents[0] * (1.0 - ans * ans)


class FirstOrderOps:
    @hookimpl
    def ad_core_register_ops(register):
        register("fo_tanh", lambda xp, x: xp.tanh(x), fo_tanh_vjp, first_order_only=True,
                 elementwise=True)
        register("fo_tanh_jvp", lambda xp, x: xp.tanh(x), fo_tanh_vjp, jvp=fo_tanh_jvp,
                 first_order_only=True, elementwise=True)


@pytest.fixture(scope="module", autouse=True)
def plugin():
    ad.register_plugin(FirstOrderOps, name=PLUGIN)
    yield
    ad.unregister_plugin(PLUGIN)


def fo(x):
    return ad.array_api.fo_tanh(x)


def x_and_slope():
    x = sample((2, 3))
    return ad.tensor(x), 1.0 - np.tanh(x) ** 2


def test_first_order_gradients_work(backend):
    x, slope = x_and_slope()
    np.testing.assert_allclose(ad.grad(lambda y: ad.sum(fo(y)))(x).numpy(), slope, rtol=1e-12)
    leaf = ad.tensor(x.numpy(), requires_grad=True)
    ad.sum(fo(leaf)).backward()
    np.testing.assert_allclose(leaf.grad.numpy(), slope, rtol=1e-12)


def test_create_graph_still_gives_the_first_derivative(backend):
    x, slope = x_and_slope()
    leaf = ad.tensor(x.numpy(), requires_grad=True)
    ad.sum(fo(leaf) * 2.0).backward(create_graph=True)
    np.testing.assert_allclose(leaf.grad.numpy(), 2.0 * slope, rtol=1e-12)


def test_differentiating_a_gradient_recorded_through_it_raises(backend):
    x, _ = x_and_slope()
    leaf = ad.tensor(x.numpy(), requires_grad=True)
    ad.sum(fo(leaf)).backward(create_graph=True)
    with pytest.raises(GradientError, match=MESSAGE):
        ad.sum(leaf.grad).backward()


@pytest.mark.parametrize("transform", ["grad of grad", "hessian", "hvp", "jacobian of grad"])
def test_second_derivatives_through_it_raise(backend, transform):
    x, _ = x_and_slope()

    def loss(y):
        return ad.sum(fo(y) * y)

    calls = {
        "grad of grad": lambda: ad.grad(lambda y: ad.sum(ad.grad(loss)(y)))(x),
        "hessian": lambda: ad.hessian(loss)(x),
        "hvp": lambda: ad.hvp(loss, (x,), (ad.ones_like(x),)),
        "jacobian of grad": lambda: ad.jacobian(ad.grad(loss))(x),
    }
    with pytest.raises(GradientError, match=MESSAGE):
        calls[transform]()


@pytest.mark.parametrize("transform", ["jvp", "jacfwd", "linearize"])
def test_forward_mode_through_it_raises_without_a_jvp_rule(backend, transform):
    x, _ = x_and_slope()
    calls = {
        "jvp": lambda: ad.jvp(fo, (x,), (ad.ones_like(x),)),
        "jacfwd": lambda: ad.jacobian(fo, mode="forward")(x),
        "linearize": lambda: ad.linearize(fo, x)[1](ad.ones_like(x)),
    }
    with pytest.raises(GradientError, match=MESSAGE + ".*registering a JVP rule"):
        calls[transform]()


def test_forward_mode_uses_a_hand_jvp_rule_at_first_order(backend):
    x, slope = x_and_slope()
    v = ad.tensor(sample((2, 3), seed=1))
    _, t = ad.jvp(ad.array_api.fo_tanh_jvp, (x,), (v,))
    np.testing.assert_allclose(t.numpy(), slope * v.numpy(), rtol=1e-12)


def test_linearize_uses_a_hand_jvp_rule_at_first_order(backend):
    x, slope = x_and_slope()
    v = ad.tensor(sample((2, 3), seed=1))
    _, f_jvp = ad.linearize(ad.array_api.fo_tanh_jvp, x)
    np.testing.assert_allclose(f_jvp(v).numpy(), slope * v.numpy(), rtol=1e-12)


def test_differentiating_its_hand_jvp_rule_raises(backend):
    x, _ = x_and_slope()
    v = ad.tensor(sample((2, 3), seed=1))
    with pytest.raises(GradientError, match="'fo_tanh_jvp'.*first-order only"):
        ad.grad(lambda y: ad.sum(ad.jvp(ad.array_api.fo_tanh_jvp, (y,), (v,))[1]))(x)


def test_second_derivatives_that_do_not_pass_through_it_work(backend):
    x, _ = x_and_slope()
    y = ad.tensor(sample((3,), seed=2))

    def loss(x, y):
        return ad.sum(fo(x)) + ad.sum(y ** 3.0)

    second = ad.grad(lambda y: ad.sum(ad.grad(loss, argnums=1)(x, y)))(y)
    np.testing.assert_allclose(second.numpy(), 6.0 * y.numpy(), rtol=1e-12)


def test_registering_it_without_a_vjp_is_an_error():
    class NoVjp:
        @hookimpl
        def ad_core_register_ops(register):
            register("fo_nothing", lambda xp, x: x, first_order_only=True)

    with pytest.raises(PluginError, match="'fo_nothing': first_order_only=True needs a vjp"):
        ad.register_plugin(NoVjp, name="fo-no-vjp")


def test_a_non_boolean_declaration_is_an_error():
    class Vague:
        @hookimpl
        def ad_core_register_ops(register):
            register("fo_vague", lambda xp, x: x, lambda xp, g, ans, x: g, first_order_only="yes")

    with pytest.raises(PluginError, match="first_order_only must be True or False"):
        ad.register_plugin(Vague, name="fo-vague")
