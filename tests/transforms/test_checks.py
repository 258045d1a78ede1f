"""gradgradcheck and jvpcheck: they pass on correct rules and catch wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.extend import hookimpl
from ad_core.testing import GradcheckError, gradcheck, gradgradcheck, jvpcheck


def x64():
    return ad.tensor(np.array([0.5, -1.2, 2.0]))


class WrongJvp:
    """cube with a correct VJP but a JVP off by a factor 3/2."""

    @hookimpl
    def ad_core_register_ops(register):
        register("bad_jvp_cube", lambda xp, x: x * x * x, lambda xp, g, ans, x: 3.0 * g * x * x,
                 jvp=lambda xp, tangents, ans, x: 2.0 * tangents[0] * x * x, elementwise=True)


class FirstOrderOnlyVjp:
    """cube whose VJP is right at first order but, taking x through ``from_dlpack`` (a view without
    history), wrong at second order: the mistake gradgradcheck exists to catch."""

    @hookimpl
    def ad_core_register_ops(register):
        register("flat_vjp_cube", lambda xp, x: x * x * x,
                 lambda xp, g, ans, x: 3.0 * g * xp.from_dlpack(x) ** 2.0, elementwise=True)


@pytest.fixture
def plugin(request):
    cls = request.param
    ad.register_plugin(cls, name=cls.__name__)
    yield
    ad.unregister_plugin(cls.__name__)


def test_checks_pass_on_correct_rules(backend):
    assert jvpcheck(lambda a, b: ad.softmax(a * b), [x64(), x64()])
    assert gradgradcheck(lambda a, b: ad.logsumexp(a * b, axis=0), [x64(), x64()])


@pytest.mark.parametrize("plugin", [WrongJvp], indirect=True)
def test_jvpcheck_catches_a_wrong_jvp_rule(backend, plugin):
    with pytest.raises(GradcheckError, match="jvpcheck: output 0.*forward mode gives"):
        jvpcheck(ad.bad_jvp_cube, [x64()])
    assert jvpcheck(ad.bad_jvp_cube, [x64()], raise_exception=False) is False


@pytest.mark.parametrize("plugin", [FirstOrderOnlyVjp], indirect=True)
def test_gradgradcheck_catches_a_vjp_that_is_only_right_at_first_order(backend, plugin):
    assert gradcheck(ad.flat_vjp_cube, [x64()])
    with pytest.raises(GradcheckError, match="gradgradcheck"):
        gradgradcheck(ad.flat_vjp_cube, [x64()])


def test_the_checks_need_a_floating_input(backend):
    with pytest.raises(GradcheckError, match="no floating-point tensor"):
        jvpcheck(lambda i: i, [ad.tensor(np.array([1]))])
    with pytest.raises(GradcheckError, match="no floating-point tensor"):
        gradgradcheck(lambda i: i, [ad.tensor(np.array([1]))])


@pytest.mark.parametrize("check", [gradcheck, jvpcheck, gradgradcheck])
def test_the_checks_fail_where_a_derivative_is_not_finite(backend, check):
    """sqrt at -1 is NaN on both sides: nothing was checked, so the check must not pass."""
    with np.errstate(invalid="ignore"), pytest.raises(GradcheckError, match="nan"):
        check(ad.sqrt, [ad.tensor(np.array([-1.0, 2.0]))])
    with np.errstate(invalid="ignore"):
        assert check(ad.sqrt, [ad.tensor(np.array([-1.0, 2.0]))], raise_exception=False) is False


REPRESENTATIVE = {
    "exp": (lambda x: ad.exp(x), 1), "tanh": (lambda x: ad.tanh(x), 1),
    "sigmoid": (lambda x: ad.sigmoid(x), 1), "softplus": (lambda x: ad.softplus(x), 1),
    "divide": (lambda x, y: x / y, 2), "pow": (lambda x, y: ad.abs(x) ** y, 2),
    "matmul": (lambda a, b: ad.reshape(a, (3, 1)) @ ad.reshape(b, (1, 3)), 2),
    "logsumexp": (lambda x: ad.logsumexp(x), 1), "softmax": (lambda x: ad.softmax(x), 1),
    "log_softmax": (lambda x: ad.log_softmax(x), 1), "std": (lambda x: ad.std(x), 1),
    "prod": (lambda x: ad.prod(x), 1), "max": (lambda x: ad.max(x), 1),
    "getitem": (lambda x: x[::-1] * x[0], 1), "concat": (lambda a, b: ad.concat([a * b, a]), 2),
    "cube (test plugin)": (lambda x: ad.cube(x), 1),
}  # fmt: skip


@pytest.mark.parametrize("name", REPRESENTATIVE)
def test_second_derivatives_and_forward_mode_of_representative_ops(backend, name):
    fn, arity = REPRESENTATIVE[name]
    inputs = [ad.tensor(np.array([0.5, -1.2, 2.0]) * (i + 1)) for i in range(arity)]
    assert gradgradcheck(fn, inputs)
    assert jvpcheck(fn, inputs)
