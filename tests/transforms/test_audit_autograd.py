"""Adversarial checks of the autograd engine and the transforms, against torch.func and closed
forms: the cases a user coming from torch or JAX hits first, where a wrong number would be silent.
"""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad

torch = pytest.importorskip("torch")
from torch import func as tf  # noqa: E402 - after the importorskip


def scalar(v: float):
    return ad.tensor(np.float64(v))


# -- nested reverse mode: no perturbation confusion --------------------------------------------


def test_an_inner_grad_treats_the_tensor_it_closes_over_as_a_constant_even_when_it_is_its_argument(
        backend):
    # d/da [ d/dt (t * a) at t = a ] = d/da a = 1 (torch.func agrees); confusing the inner
    # argument with the closed-over tensor gave d/da (2a) = 2
    expected = tf.grad(lambda a: tf.grad(lambda t: t * a)(a))(torch.tensor(3.0, dtype=torch.float64))
    got = ad.grad(lambda a: ad.grad(lambda t: t * a)(a))(scalar(3.0))
    assert got.item() == pytest.approx(expected.item()) == 1.0


def test_an_inner_grad_of_a_computed_argument_counts_only_uses_of_the_argument(backend):
    def outer(a):
        x = a * 2.0
        return ad.grad(lambda t: t * t * x)(x)  # 2 t x at t = x: 2x² = 8a², derivative 16a

    assert ad.grad(outer)(scalar(3.0)).item() == pytest.approx(48.0)


def test_an_inner_grad_with_one_tensor_passed_for_two_argnums_gives_each_partial(backend):
    # inner partials of x·y² at (a, a): (a², 2a²); the outer derivative of the first is 2a
    def first_partial(a):
        return ad.grad(lambda x, y: x * y * y, argnums=(0, 1))(a, a)[0]

    assert ad.grad(first_partial)(scalar(3.0)).item() == pytest.approx(6.0)


def test_an_inner_vjp_of_a_closed_over_argument_matches_torch_func(backend):
    def ours(a):
        _, back = ad.vjp(lambda t: ad.sin(t) * a, a)
        return ad.sum(back(ad.ones_like(a))[0])

    def theirs(a):
        _, back = tf.vjp(lambda t: torch.sin(t) * a, a)
        return back(torch.ones_like(a))[0].sum()

    x = np.array([0.3, -1.2, 2.0])
    expected = tf.grad(theirs)(torch.tensor(x))
    np.testing.assert_allclose(ad.grad(ours)(ad.tensor(x)).numpy(), expected.numpy(), rtol=1e-12)


def test_hessian_of_a_function_calling_grad_on_its_own_argument_matches_torch_func(backend):
    # f(a) = Σ ∂/∂t [Σ t² a] at t = a = Σ 2a²: Hessian 4·I (the confused value was 6·I)
    def ours(a):
        return ad.sum(ad.grad(lambda t: ad.sum(t * t * a))(a))

    def theirs(a):
        return tf.grad(lambda t: (t * t * a).sum())(a).sum()

    x = np.array([0.5, -1.0])
    expected = tf.hessian(theirs)(torch.tensor(x))
    np.testing.assert_allclose(ad.hessian(ours)(ad.tensor(x)).numpy(), expected.numpy(), atol=1e-12)


# -- argnums ------------------------------------------------------------------------------------


@pytest.mark.parametrize("transform", [ad.grad, ad.value_and_grad, ad.jacobian, ad.hessian])
def test_a_repeated_argnum_is_refused_as_torch_func_does(backend, transform):
    # it used to give zeros for the first copy and the gradient for the second
    f = lambda x, y: ad.sum(x * y)  # noqa: E731
    with pytest.raises(ad.errors.GradientError, match="argnums"):
        transform(f, argnums=(0, -2))(ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0]))


# -- pytrees in forward mode --------------------------------------------------------------------


def test_forward_jacobian_of_two_pytree_arguments_matches_torch_func_jacfwd(backend):
    # the basis tangent of one argument leaves the other's dict all None, which was taken as data
    def ours(p, q):
        return {"s": ad.sin(p["a"]) * q, "t": p["b"] @ p["a"]}

    def theirs(p, q):
        return {"s": torch.sin(p["a"]) * q, "t": p["b"] @ p["a"]}

    a, b, q = np.array([0.3, -0.7]), np.array([[1.0, 2.0], [-0.5, 0.25]]), 1.5
    J = ad.jacobian(ours, argnums=(0, 1), mode="forward")(
        {"a": ad.tensor(a), "b": ad.tensor(b)}, ad.tensor(np.float64(q)))
    Jt = tf.jacfwd(theirs, argnums=(0, 1))(
        {"a": torch.tensor(a), "b": torch.tensor(b)}, torch.tensor(q, dtype=torch.float64))
    for out in ("s", "t"):
        for leaf in ("a", "b"):
            np.testing.assert_allclose(J[out][0][leaf].numpy(), Jt[out][0][leaf].numpy(), atol=1e-12)
        np.testing.assert_allclose(J[out][1].numpy(), Jt[out][1].numpy(), atol=1e-12)


def test_jvp_takes_a_pytree_tangent_whose_leaves_are_all_none(backend):
    x = ad.tensor([1.0, 2.0])
    _, t = ad.jvp(lambda p, s: p["a"] * p["b"] * s, ({"a": x, "b": x}, ad.tensor(np.float64(3.0))),
                  ({"a": None, "b": None}, ad.tensor(np.float64(1.0))))
    assert t.tolist() == [1.0, 4.0]


# -- threads ------------------------------------------------------------------------------------

_FIRST_USE_FROM_THREADS = """
import sys, threading
sys.setswitchinterval(1e-6)
import ad_core as ad
name = sys.argv[1]
errors, made = [], []
barrier = threading.Barrier(8)
def run():
    barrier.wait()
    try:
        x = ad.tensor([1.0, 2.0], backend=name)
        made.append(x)
        assert ad.grad(lambda x: ad.sum(x * x))(x).tolist() == [2.0, 4.0]
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=run) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not errors, errors[0]
assert len({id(x.backend) for x in made}) == 1, "several Backend objects for one backend"
assert ad.sum(ad.stack(made)).item() == 24.0
"""


def test_threads_that_use_ad_core_for_the_first_time_together_all_see_every_backend(backend):
    # registration used to be marked done before it ran (the other threads saw no backend at
    # all), and each thread loading a backend got a Backend object of its own (mixing their
    # tensors was a BackendMismatchError between 'torch' and 'torch')
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FIRST_USE_FROM_THREADS, backend.name],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_two_threads_taking_gradients_at_once_get_their_own_numbers(backend):
    import threading

    results: dict[int, list[bool]] = {0: [], 1: []}

    def work(k: int) -> None:
        with ad.backend(backend.name):
            rng = np.random.default_rng(k)
            for i in range(40):
                a = rng.standard_normal(3)
                x, v = ad.tensor(a), ad.tensor(np.ones(3))
                if i % 2 == k:  # one thread in reverse mode while the other runs forward mode
                    got = ad.grad(lambda x: ad.sum(ad.sin(x) * x))(x).numpy()
                    expected = np.cos(a) * a + np.sin(a)
                else:
                    got = ad.hvp(lambda x: ad.sum(ad.sin(x) * x), (x,), (v,))[0].numpy()
                    expected = 2 * np.cos(a) - a * np.sin(a)
                results[k].append(bool(np.allclose(got, expected, rtol=1e-5)))

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results[0]) and all(results[1]) and len(results[0]) == len(results[1]) == 40


# -- moving between backends inside a differentiated function ----------------------------------


def _other(backend) -> str:
    return "numpy" if backend.name != "numpy" else "array_api_strict"


def _round_trip(backend):
    """sum(3 sin(x)²), with the square taken on another backend."""
    other = _other(backend)
    return lambda x: ad.sum((ad.sin(x).to(backend=other) ** 2.0).to(backend=backend.name) * 3.0)


def test_linearize_pushes_tangents_across_a_move_to_another_backend(backend):
    a, v = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    _, f_jvp = ad.linearize(_round_trip(backend), ad.tensor(a))
    t = f_jvp(ad.tensor(v))
    assert t.backend.name == backend.name
    assert t.item() == pytest.approx(float(6 * np.sin(a) * np.cos(a) @ v), rel=1e-12)


def test_jvp_and_hessian_see_through_a_move_to_another_backend(backend):
    a, v = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    f = _round_trip(backend)
    _, t = ad.jvp(f, (ad.tensor(a),), (ad.tensor(v),))
    assert t.item() == pytest.approx(float(6 * np.sin(a) * np.cos(a) @ v), rel=1e-12)
    np.testing.assert_allclose(ad.hessian(f)(ad.tensor(a)).numpy(), np.diag(6 * np.cos(2 * a)),
                               atol=1e-12)


def test_a_cotangent_on_another_backend_than_the_output_is_a_backend_error(backend):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    elsewhere = ad.tensor([1.0, 1.0], backend=_other(backend), dtype=x.dtype)
    with pytest.raises(ad.errors.BackendMismatchError, match="backend"):
        y.backward(elsewhere)


def test_a_cotangent_of_another_dtype_is_cast_to_the_output_dtype_as_torch_does(backend):
    x = ad.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    (x * x).backward(ad.tensor(np.array([1, 3])))       # an integer cotangent
    assert x.grad.dtype == ad.float32 and x.grad.tolist() == [2.0, 12.0]


# -- has_aux, cotangent and tangent arguments ----------------------------------------------------


@pytest.mark.parametrize("transform", [ad.grad, ad.value_and_grad, ad.jacobian])
def test_has_aux_with_a_function_returning_no_pair_says_what_is_expected(backend, transform):
    with pytest.raises(ad.errors.GradientError, match=r"has_aux=True.*pair \(value, aux\)"):
        transform(lambda x: ad.sum(x * x), has_aux=True)(ad.tensor([1.0, 2.0]))


@pytest.mark.parametrize("mode", ["grad", "reverse", "forward"])
def test_aux_comes_back_as_a_plain_tensor_like_the_value(backend, mode):
    f = lambda x: (ad.sum(x * x), {"double": x * 2.0, "n": 3})  # noqa: E731
    x = ad.tensor([1.0, 2.0])
    if mode == "grad":
        _, aux = ad.grad(f, has_aux=True)(x)
    else:
        _, aux = ad.jacobian(f, has_aux=True, mode=mode)(x)
    assert type(aux["double"]) is ad.Tensor          # not a tangent carrier of a finished jvp
    assert not aux["double"].requires_grad and aux["double"].grad_fn is None
    assert aux["double"].tolist() == [2.0, 4.0] and aux["n"] == 3


def test_aux_inside_an_outer_grad_keeps_its_dependence_on_the_outer_argument(backend):
    x = ad.tensor([1.0, 2.0])

    def outer(y):
        _, aux = ad.grad(lambda x: (ad.sum(x * x * y), x * y), has_aux=True)(x)
        return ad.sum(aux)

    assert ad.grad(outer)(scalar(2.0)).item() == pytest.approx(3.0)


def test_a_tuple_cotangent_for_a_single_output_is_a_structure_error(backend):
    _, back = ad.vjp(lambda x: x * 2.0, ad.tensor([1.0, 2.0]))
    with pytest.raises(ad.errors.GradientError, match="structure"):
        back((ad.tensor([1.0, 1.0]),))


def test_a_list_tangent_takes_the_dtype_of_its_float64_primal(backend):
    # the list used to become a tensor of the default dtype first (float32 on torch): refused
    x = ad.tensor(np.array([1.0, 2.0]))
    _, t = ad.jvp(lambda x: x * x, (x,), ([1.0, 0.5],))
    assert t.dtype == ad.float64 and t.tolist() == [2.0, 2.0]
    _, f_jvp = ad.linearize(lambda x: x * x, x)
    assert f_jvp([1.0, 0.5]).tolist() == [2.0, 2.0]


# -- linearize and jacobian details --------------------------------------------------------------


def test_linearize_of_a_function_closing_over_a_tensor_whose_graph_was_freed(backend):
    # the planner walked into the closed-over tensor's own history and reported a freed graph
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    h = ad.sin(w) * 2.0
    ad.sum(h).backward()                                 # frees h's graph
    _, f_jvp = ad.linearize(lambda x: x * h, ad.tensor([3.0, 4.0]))
    np.testing.assert_allclose(f_jvp(ad.tensor([1.0, -1.0])).numpy(),
                               2 * np.sin([1.0, 2.0]) * [1.0, -1.0], rtol=1e-6)


@pytest.mark.parametrize("mode, calls", [("reverse", 1), ("forward", 3)])
def test_jacobian_builds_rows_in_reverse_mode_and_columns_in_forward_mode(backend, mode, calls):
    seen = []

    def f(x):
        seen.append(1)
        return ad.sum(x * x)

    J = ad.jacobian(f, mode=mode)(ad.tensor([1.0, 2.0, 3.0]))
    assert J.tolist() == [2.0, 4.0, 6.0] and len(seen) == calls


def test_tensor_of_a_dict_is_refused_rather_than_made_into_an_unusable_tensor(backend):
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        ad.tensor({"a": 1.0})


# -- a pullback is a linear function of its cotangent, and differentiable as one -----------------

_A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
_X = np.array([0.3, -0.5])
_J = _A * np.cos(_X)                                     # Jacobian of x ↦ A sin(x)


def _pullback():
    A = ad.tensor(_A)
    return ad.vjp(lambda x: A @ ad.sin(x), ad.tensor(_X))[1]   # taken at the top level


def test_grad_of_a_pullback_with_respect_to_its_cotangent_is_the_jvp(backend):
    # ∇_u ⟨Jᵀu, w⟩ = J w; the pullback ran unrecorded and this was a silent zero
    back, w = _pullback(), np.array([1.0, 1.0])
    got = ad.grad(lambda u: ad.sum(back(u)[0] * ad.tensor(w)))(ad.tensor(np.array([1.0, 0.0, 2.0])))
    np.testing.assert_allclose(got.numpy(), _J @ w, rtol=1e-12)


def test_jvp_of_a_pullback_along_a_cotangent_direction_is_the_pullback_of_it(backend):
    back, u, v = _pullback(), np.array([1.0, 0.0, 2.0]), np.array([0.5, -1.0, 1.0])
    _, t = ad.jvp(lambda u: back(u)[0], (ad.tensor(u),), (ad.tensor(v),))
    np.testing.assert_allclose(t.numpy(), _J.T @ v, rtol=1e-12)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_the_jacobian_block_of_a_boolean_output_is_none_in_both_modes(backend, mode):
    # forward mode used to recurse forever stacking the missing tangents
    J = ad.jacobian(lambda x: (x * 2.0, x > 1.0), mode=mode)(ad.tensor([1.0, 2.0]))
    assert J[0].tolist() == [[2.0, 0.0], [0.0, 2.0]] and J[1] is None


def test_an_op_given_no_array_at_all_says_so(backend):
    with pytest.raises(ad.errors.OpTypeError, match="no array"):
        ad.add(None, None)


# -- accumulation into .grad ---------------------------------------------------------------------


@pytest.mark.parametrize("held", [np.ones((3, 2)), np.ones(()), np.ones(2, dtype=np.float32)])
def test_backward_refuses_to_add_into_a_grad_set_by_hand_that_does_not_match_the_tensor(
        backend, held):
    # adding broadcast the gradient to (3, 2), or promoted it, silently
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    x.grad = ad.tensor(held)
    with pytest.raises(ad.errors.GradientError, match=r"\.grad"):
        ad.sum(x * x).backward()


def test_gradients_accumulate_across_backward_calls_and_through_create_graph_as_in_torch(backend):
    a = np.array([0.5, -1.5])
    x = ad.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    ad.sum(x ** 3.0).backward(create_graph=True)
    ad.sum(ad.sin(x)).backward()
    (xt ** 3.0).sum().backward(create_graph=True)
    torch.sin(xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.detach().numpy(), rtol=1e-12)
    g, gt = x.grad, xt.grad
    x.grad, xt.grad = None, None
    ad.sum(g).backward()                     # d/dx Σ (3x² + cos x) through the recorded part
    gt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
