"""Hessians, Hessian-vector products and Jacobians against closed forms and against torch.func."""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad

pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.script.*:DeprecationWarning")

RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 4))
B = RNG.standard_normal(4)
X = RNG.standard_normal(4)
V = RNG.standard_normal(4)


def rosenbrock(x):
    return ad.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1.0 - x[:-1]) ** 2.0)


def rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    """The closed form: a tridiagonal matrix."""
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 2.0 - 400.0 * (x[i + 1] - x[i] ** 2) + 800.0 * x[i] ** 2
        h[i + 1, i + 1] += 200.0
        h[i, i + 1] = h[i + 1, i] = -400.0 * x[i]
    return h


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


# -- closed forms ---------------------------------------------------------------------------------


def test_hessian_of_a_quadratic_form_is_the_symmetrised_matrix(backend):
    a, b = ad.tensor(A), ad.tensor(B)
    H = ad.hessian(lambda x: x @ (a @ x) + b @ x)(ad.tensor(X))
    np.testing.assert_allclose(H.numpy(), A + A.T, rtol=1e-12, atol=1e-12)


def test_hessian_of_rosenbrock_matches_its_closed_form(backend):
    H = ad.hessian(rosenbrock)(ad.tensor(X))
    np.testing.assert_allclose(H.numpy(), rosenbrock_hessian(X), rtol=1e-12, atol=1e-9)


def test_hessian_of_logsumexp_is_diag_s_minus_s_s_transpose(backend):
    H = ad.hessian(lambda x: ad.logsumexp(x))(ad.tensor(X))
    s = softmax(X)
    np.testing.assert_allclose(H.numpy(), np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("f", [rosenbrock, lambda x: ad.logsumexp(x), lambda x: ad.sum(ad.tanh(x) ** 3.0)],
                         ids=["rosenbrock", "logsumexp", "tanh_cubed"])
def test_hvp_equals_hessian_times_v(backend, f):
    x, v = ad.tensor(X), ad.tensor(V)
    (hv,) = ad.hvp(f, (x,), (v,))
    np.testing.assert_allclose(hv.numpy(), ad.hessian(f)(x).numpy() @ V, rtol=1e-11, atol=1e-11)


def test_hvp_by_reverse_over_reverse_agrees_with_forward_over_reverse(backend):
    x, v = ad.tensor(X), ad.tensor(V)
    (hv,) = ad.hvp(rosenbrock, (x,), (v,))
    rr = ad.grad(lambda y: ad.sum(ad.grad(rosenbrock)(y) * v))(x)
    np.testing.assert_allclose(hv.numpy(), rr.numpy(), rtol=1e-12)


def test_hessian_with_respect_to_two_arguments_gives_the_four_blocks(backend):
    def f(x, y):
        return ad.sum(x * x * y) + ad.sum(y ** 3.0)

    x, y = ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0])
    (hxx, hxy), (hyx, hyy) = ad.hessian(f, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(hxx.numpy(), np.diag([6.0, 8.0]))
    np.testing.assert_allclose(hxy.numpy(), np.diag([2.0, 4.0]))
    np.testing.assert_allclose(hyx.numpy(), np.diag([2.0, 4.0]))
    np.testing.assert_allclose(hyy.numpy(), np.diag([18.0, 24.0]))


def test_hessian_of_hessian_gives_fourth_derivatives(backend):
    d4 = ad.hessian(ad.hessian(lambda x: ad.sum(x ** 4.0)))(ad.tensor([0.5]))
    assert d4.shape == (1, 1, 1, 1) and d4.numpy().item() == pytest.approx(24.0)


# -- jacobians ------------------------------------------------------------------------------------


def vector_function(x, w):
    return ad.tanh(w @ x) * ad.sum(x ** 2.0)


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)], ids=str)
def test_jacobian_by_forward_and_reverse_mode_agree(backend, argnums):
    x, w = ad.tensor(X[:3]), ad.tensor(A[:2, :3])
    rev = ad.jacobian(vector_function, argnums, mode="reverse")(x, w)
    fwd = ad.jacobian(vector_function, argnums, mode="forward")(x, w)
    for r, f in zip(*(ad.autograd.pytree.flatten(t)[0] for t in (rev, fwd)), strict=True):
        assert r.shape == f.shape
        np.testing.assert_allclose(r.numpy(), f.numpy(), rtol=1e-12, atol=1e-14)


def test_jacobian_block_has_shape_out_plus_in(backend):
    J = ad.jacobian(lambda m: m @ ad.tensor(A[:3, :2]), mode="forward")(ad.tensor(A[:2, :3]))
    assert J.shape == (2, 2, 2, 3)


def test_jacobian_of_an_empty_input_is_empty(backend):
    for mode in ("reverse", "forward"):
        J = ad.jacobian(lambda x: ad.sum(x) + ad.tensor([1.0, 2.0]), mode=mode)(ad.tensor(np.zeros(0)))
        assert J.shape == (2, 0)


def test_jacobian_with_aux_returns_it_alongside(backend):
    J, aux = ad.jacobian(lambda x: (x * 2.0, "note"), has_aux=True)(ad.tensor([1.0]))
    assert J.tolist() == [[2.0]] and aux == "note"


def test_unknown_jacobian_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="mode must be 'reverse' or 'forward'"):
        ad.jacobian(lambda x: x, mode="sideways")


# -- torch.func as an oracle ----------------------------------------------------------------------


@pytest.fixture
def tf():
    torch = pytest.importorskip("torch")
    return torch


def torch_vector_function(x, w):
    import torch

    return torch.tanh(w @ x) * torch.sum(x ** 2)


def test_jacobians_match_torch_func_jacrev_and_jacfwd(backend, tf):
    x, w = X[:3], A[:2, :3]
    tx, tw = tf.tensor(x), tf.tensor(w)
    for mode, oracle in (("reverse", tf.func.jacrev), ("forward", tf.func.jacfwd)):
        jx, jw = ad.jacobian(vector_function, (0, 1), mode=mode)(ad.tensor(x), ad.tensor(w))
        ox, ow = oracle(torch_vector_function, argnums=(0, 1))(tx, tw)
        np.testing.assert_allclose(jx.numpy(), ox.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(jw.numpy(), ow.numpy(), rtol=1e-12, atol=1e-14)


def test_jvp_matches_torch_func_jvp(backend, tf):
    x, w = X[:3], A[:2, :3]
    out, t = ad.jvp(vector_function, (ad.tensor(x), ad.tensor(w)), (ad.tensor(V[:3]), ad.tensor(A[2:, 1:])))
    t_out, t_t = tf.func.jvp(torch_vector_function, (tf.tensor(x), tf.tensor(w)),
                             (tf.tensor(V[:3]), tf.tensor(A[2:, 1:])))
    np.testing.assert_allclose(out.numpy(), t_out.numpy(), rtol=1e-13)
    np.testing.assert_allclose(t.numpy(), t_t.numpy(), rtol=1e-12, atol=1e-14)


def test_hessian_matches_torch_func_hessian(backend, tf):
    def f(x):
        return ad.sum(ad.softplus(x) * ad.sin(x)) + ad.logsumexp(x * x)

    def g(x):
        return (tf.nn.functional.softplus(x) * tf.sin(x)).sum() + tf.logsumexp(x * x, 0)

    H = ad.hessian(f)(ad.tensor(X))
    np.testing.assert_allclose(H.numpy(), tf.func.hessian(g)(tf.tensor(X)).numpy(), rtol=1e-11,
                               atol=1e-12)


def test_hvp_matches_torch_func_forward_over_reverse(backend, tf):
    (hv,) = ad.hvp(rosenbrock, (ad.tensor(X),), (ad.tensor(V),))

    def t_rosen(x):
        return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()

    _, t_hv = tf.func.jvp(tf.func.grad(t_rosen), (tf.tensor(X),), (tf.tensor(V),))
    np.testing.assert_allclose(hv.numpy(), t_hv.numpy(), rtol=1e-12)
