"""ad.jvp: composition with reverse mode, nesting, pytrees, a third-party op, overrides, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import BackendMismatchError, DTypeError, GradientError, ShapeError
from ad_core.extend import hookimpl
from ad_core.testing import gradgradcheck, jvpcheck


def T(values):  # noqa: N802 - a float64 tensor on the backend in force (torch would pick float32)
    return ad.tensor(np.asarray(values, dtype=np.float64))

# -- composition with reverse mode ----------------------------------------------------------------


def test_grad_of_jvp_differentiates_the_tangent(backend):
    v = T([1.0, -2.0])
    g = ad.grad(lambda x: ad.sum(ad.jvp(lambda y: ad.sin(y) * y, (x,), (v,))[1]))(T([0.3, 0.7]))
    x = np.array([0.3, 0.7])  # d/dx Σ v (sin x + x cos x) = v (2 cos x − x sin x)
    np.testing.assert_allclose(g.numpy(), [1.0, -2.0] * (2 * np.cos(x) - x * np.sin(x)), rtol=1e-12)


def test_tangent_of_a_jvp_has_history_when_the_primal_requires_grad(backend):
    x = ad.tensor(np.array([0.3, 0.7]), requires_grad=True)
    _, t = ad.jvp(lambda y: ad.sum(y ** 3.0), (x,), (T([1.0, 1.0]),))
    t.backward()
    np.testing.assert_allclose(x.grad.numpy(), 6.0 * np.array([0.3, 0.7]), rtol=1e-12)


def test_jvp_of_grad_is_a_hessian_vector_product(backend):
    g, hv = ad.jvp(ad.grad(lambda x: ad.sum(ad.exp(2.0 * x))), (T([0.1, 0.2]),),
                   (T([1.0, 3.0]),))
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(g.numpy(), 2 * np.exp(2 * x), rtol=1e-12)
    np.testing.assert_allclose(hv.numpy(), 4 * np.exp(2 * x) * [1.0, 3.0], rtol=1e-12)
    assert hv.grad_fn is None and g.grad_fn is None


def test_grad_of_jvp_of_grad_gives_third_derivatives(backend):
    v = T([1.0, 2.0])
    g = ad.grad(lambda y: ad.sum(ad.jvp(ad.grad(lambda x: ad.sum(x ** 4.0)), (y,), (v,))[1]))(
        T([0.5, 1.5]))
    np.testing.assert_allclose(g.numpy(), 24.0 * np.array([0.5, 1.5]) * [1.0, 2.0])  # Σ 24 x v


def test_forward_over_forward_and_reverse_over_reverse_jacobians_agree(backend):
    f = lambda y: y ** 3.0  # noqa: E731
    ff = ad.jacobian(ad.jacobian(f, mode="forward"), mode="forward")(T([0.5, 1.5]))
    rr = ad.jacobian(ad.jacobian(f), mode="reverse")(T([0.5, 1.5]))
    expected = np.zeros((2, 2, 2))
    expected[0, 0, 0], expected[1, 1, 1] = 3.0, 9.0                            # 6x on the diagonal
    np.testing.assert_allclose(ff.numpy(), expected)
    np.testing.assert_allclose(rr.numpy(), expected)


def test_jvp_of_vjp_pushes_a_tangent_through_the_pullback(backend):
    u = T([1.0, 1.0])

    def pullback(x):
        return ad.vjp(lambda y: y ** 3.0, x)[1](u)[0]

    _, t = ad.jvp(pullback, (T([1.0, 2.0]),), (T([1.0, 1.0]),))
    assert t.tolist() == [6.0, 12.0]


def test_nested_jvps_give_mixed_second_derivatives(backend):
    def d_dx(x, y):
        return ad.jvp(lambda a: a * a * y, (x,), (ad.ones_like(x),))[1]   # 2 x y

    _, d2 = ad.jvp(lambda y: d_dx(T([3.0]), y), (T([5.0]),), (T([1.0]),))
    assert d2.tolist() == [6.0]                                            # ∂²/∂x∂y = 2x


def test_nested_jvps_do_not_confuse_their_perturbations(backend):
    # d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1 (a classic perturbation-confusion trap)
    def inner(x):
        return x * ad.jvp(lambda y: x + y, (T(1.0),), (T(1.0),))[1]

    _, t = ad.jvp(inner, (T(2.0),), (T(1.0),))
    assert t.item() == 1.0


def test_jvp_works_under_no_grad_and_records_nothing(backend):
    x = ad.tensor(np.array([0.5]), requires_grad=True)
    with ad.no_grad():
        out, t = ad.jvp(lambda y: ad.tanh(y), (x,), (T([1.0]),))
    assert out.grad_fn is None and t.grad_fn is None
    assert t.item() == pytest.approx(1.0 - math.tanh(0.5) ** 2)


def test_an_output_that_does_not_depend_on_the_primals_has_a_zero_tangent(backend):
    out, t = ad.jvp(lambda x: T([4.0, 5.0]), (T([1.0]),), (T([1.0]),))
    assert t.tolist() == [0.0, 0.0]


def test_a_tangent_leaked_out_of_its_jvp_is_ignored_afterwards(backend):
    kept = []
    ad.jvp(lambda x: kept.append(x * 2.0) or x, (T([1.0]),), (T([1.0]),))
    _, t = ad.jvp(lambda y: kept[0] * y, (T([3.0]),), (T([1.0]),))
    assert t.tolist() == [2.0]


def test_tangents_move_with_their_tensor_between_backends(backend):
    if "torch" not in ad.available_backends():
        pytest.skip("needs torch")
    _, t = ad.jvp(lambda x: x.to(backend="torch") * 3.0, (T([1.0]),), (T([2.0]),))
    assert t.backend.name == "torch" and t.tolist() == [6.0]


# -- pytrees ----------------------------------------------------------------------------------------


def model(params, x):
    return {"out": ad.tanh(params["w"] @ x + params["b"]), "norm": ad.sum(params["w"] ** 2.0)}


PARAMS = {"w": np.array([[0.1, -0.2], [0.3, 0.4]]), "b": np.array([0.5, -0.5])}


def as_tree(d):
    return {k: ad.tensor(v) for k, v in d.items()}


def test_jvp_takes_and_returns_pytrees(backend):
    x = T([1.0, 2.0])
    tangent = {"w": ad.ones_like(ad.tensor(PARAMS["w"])), "b": ad.zeros_like(ad.tensor(PARAMS["b"]))}
    out, t = ad.jvp(lambda p: model(p, x), (as_tree(PARAMS),), (tangent,))
    assert set(out) == set(t) == {"out", "norm"}
    s = np.tanh(PARAMS["w"] @ [1.0, 2.0] + PARAMS["b"])
    np.testing.assert_allclose(t["out"].numpy(), (1 - s**2) * 3.0, rtol=1e-12)
    assert t["norm"].item() == pytest.approx(2 * PARAMS["w"].sum())


def test_grad_vjp_and_jacobian_take_pytrees(backend):
    x = T([1.0, 2.0])
    g = ad.grad(lambda p: model(p, x)["norm"])(as_tree(PARAMS))
    np.testing.assert_allclose(g["w"].numpy(), 2 * PARAMS["w"])
    assert g["b"].tolist() == [0.0, 0.0]
    out, back = ad.vjp(lambda p: model(p, x), as_tree(PARAMS))
    (gp,) = back({"out": ad.ones_like(out["out"]), "norm": T(0.0)})
    J = ad.jacobian(lambda p: model(p, x))(as_tree(PARAMS))
    assert J["out"]["w"].shape == (2, 2, 2) and J["norm"]["b"].shape == (2,)
    np.testing.assert_allclose(gp["b"].numpy(), J["out"]["b"].numpy().sum(axis=0), rtol=1e-12)


def test_hessian_and_hvp_take_tuples_of_tensors(backend):
    def f(pair):
        a, b = pair
        return ad.sum(a * a * b)

    pair = (T([1.0, 2.0]), T([3.0, 4.0]))
    H = ad.hessian(f)(pair)
    (hv,) = ad.hvp(f, (pair,), ((T([1.0, 0.0]), T([0.0, 1.0])),))
    assert H[0][1].tolist() == [[2.0, 0.0], [0.0, 4.0]]
    assert hv[0].tolist() == [6.0, 4.0] and hv[1].tolist() == [2.0, 0.0]


def test_jvp_of_python_numbers_and_lists_uses_them_as_tensors(backend):
    out, t = ad.jvp(lambda x: x * x, ([1.0, 2.0],), ([1.0, 1.0],))
    assert t.tolist() == [2.0, 4.0]


# -- a third-party op with only forward and VJP rules ----------------------------------------------


class SoftCube:
    """softcube(x) = x³ / (1 + x²): registered as an outside author would, with no JVP rule."""

    @hookimpl
    def ad_core_register_ops(register):
        register("softcube", lambda xp, x: x * x * x / (1.0 + x * x),
                 lambda xp, g, ans, x: g * (x * x * (3.0 + x * x)) / ((1.0 + x * x) * (1.0 + x * x)),
                 elementwise=True)


@pytest.fixture
def softcube():
    ad.register_plugin(SoftCube, name="softcube-test")
    try:
        yield ad.softcube
    finally:
        ad.unregister_plugin("softcube-test")


def test_an_op_without_a_jvp_rule_works_in_forward_mode(backend, softcube):
    x = T([0.5, -1.5, 2.0])
    assert jvpcheck(softcube, [x])
    _, t = ad.jvp(softcube, (x,), (ad.ones_like(x),))
    xs = np.array([0.5, -1.5, 2.0])
    np.testing.assert_allclose(t.numpy(), xs**2 * (3 + xs**2) / (1 + xs**2) ** 2, rtol=1e-12)


def test_an_op_without_a_jvp_rule_has_correct_second_derivatives(backend, softcube):
    x = T([0.5, -1.5, 2.0])
    assert gradgradcheck(softcube, [x])
    H = ad.hessian(lambda y: ad.sum(softcube(y)))(x)
    xs = np.array([0.5, -1.5, 2.0])
    exact = 2 * xs * (3 - xs**2) / (1 + xs**2) ** 3  # d²/dx² x³/(1+x²)
    np.testing.assert_allclose(H.numpy(), np.diag(exact), rtol=1e-11, atol=1e-12)


class FirstOrderKernel:
    """A NumPy override of softcube's VJP written with NumPy itself: first order only."""

    calls: list[int] = []

    @hookimpl
    def ad_core_register_ops(override):
        def vjp(xp, g, ans, x):
            FirstOrderKernel.calls.append(1)
            return np.asarray(g * x * x * (3.0 + x * x) / (1.0 + x * x) ** 2)

        override("softcube", "numpy", vjp=vjp)


@pytest.mark.backends("numpy")
def test_forward_mode_never_uses_an_overrides_vjp(backend, softcube):
    ad.register_plugin(FirstOrderKernel, name="softcube-kernel-test")
    try:
        x = ad.tensor(np.array([0.5, 2.0]), requires_grad=True)
        ad.sum(softcube(x)).backward()
        assert len(FirstOrderKernel.calls) == 1            # first order: the kernel
        FirstOrderKernel.calls.clear()
        (hv,) = ad.hvp(lambda y: ad.sum(softcube(y)), (x,), (T([1.0, 1.0]),))
        _, t = ad.jvp(softcube, (x,), (T([1.0, 1.0]),))
        assert FirstOrderKernel.calls == []                # forward mode and hvp: the generic VJP
        xs = np.array([0.5, 2.0])
        np.testing.assert_allclose(t.numpy(), xs**2 * (3 + xs**2) / (1 + xs**2) ** 2, rtol=1e-12)
        np.testing.assert_allclose(hv.numpy(), 2 * xs * (3 - xs**2) / (1 + xs**2) ** 3, rtol=1e-11)
    finally:
        ad.unregister_plugin("softcube-kernel-test")


# -- errors ---------------------------------------------------------------------------------------


def test_a_tangent_of_the_wrong_shape_is_refused(backend):
    with pytest.raises(ShapeError, match=r"tangent of shape \(3,\) for a primal of shape \(2,\)"):
        ad.jvp(ad.sin, (T([1.0, 2.0]),), (T([1.0, 2.0, 3.0]),))


def test_a_tangent_of_another_dtype_is_refused(backend):
    with pytest.raises(DTypeError, match="float32 tangent for a float64 primal"):
        ad.jvp(ad.sin, (T([1.0]),), (ad.tensor([1.0], dtype=ad.float32),))


def test_an_integer_primal_cannot_carry_a_tangent(backend):
    with pytest.raises(DTypeError, match="int64 primal cannot carry a tangent"):
        ad.jvp(lambda i: i * 2, (ad.tensor(np.array([1])),), (ad.tensor(np.array([1])),))


def test_tangents_must_mirror_the_primals_structure(backend):
    with pytest.raises(GradientError, match="structure"):
        ad.jvp(lambda p: p["a"], ({"a": T(1.0)},), ({"b": T(1.0)},))


def test_a_tangent_on_another_backend_is_refused(backend):
    other = "torch" if backend.name != "torch" else "numpy"
    if other not in ad.available_backends():
        pytest.skip(f"needs {other}")
    with pytest.raises(BackendMismatchError, match="tangent lives on backend"):
        ad.jvp(ad.sin, (T([1.0]),), (ad.tensor(np.array([1.0]), backend=other),))
