"""Optimizers, schedules, clipping and minimize: trajectories against torch.optim for 20 steps
from the same start on a Rosenbrock-like objective (every optimizer and option, every backend),
parameter groups, state_dict round trips (across backends too), schedules against
torch.optim.lr_scheduler, clipping against torch.nn.utils, minimize's stopping reasons, and the
errors for bad parameters and hyperparameters."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import ad_core as ad
import ad_core.extend
from ad_core.optim import LRScheduler, Optimizer

W0 = np.array([-1.2, 1.0, 0.5, -0.3])
B0 = np.array([[0.4, -0.8, 1.1], [0.9, 0.2, -0.6]])
STEPS = 20


def objective(w: Any, b: Any) -> Any:
    """Rosenbrock in ``w`` plus a coupled quartic in ``b``; the same code runs on ad_core and
    torch tensors."""
    return (((1.0 - w[:-1]) ** 2).sum() + 10.0 * ((w[1:] - w[:-1] ** 2) ** 2).sum()
            + 0.5 * (b**4).sum() + (b[0] * b[1]).sum())


#: (optimizer, hyperparameters): every option of every optimizer, alone and combined.
OPTIMIZER_CASES = [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.001, "maximize": True}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "maximize": True}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6, "maximize": True}),
]
NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


def _case_id(case: tuple[str, dict[str, Any]]) -> str:
    name, hyper = case
    return name + "".join(f"-{k}={v}" for k, v in hyper.items() if k != "lr")


def _params(dtype: Any = None) -> list[Any]:
    return [ad.tensor(W0, dtype=dtype, requires_grad=True),
            ad.tensor(B0, dtype=dtype, requires_grad=True)]


def _train(opt: Any, params: list[Any], steps: int) -> list[list[np.ndarray]]:
    path = []
    for _ in range(steps):
        opt.zero_grad()
        objective(*params).backward()
        opt.step()
        path.append([p.numpy().copy() for p in params])
    return path


def _torch_path(name: str, groups: Any, params: list[Any], steps: int,
                **hyper: Any) -> list[list[np.ndarray]]:
    import torch

    opt = getattr(torch.optim, name)(groups, **hyper)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        objective(*params).backward()
        opt.step()
        path.append([p.detach().numpy().copy() for p in params])
    return path


def _torch_params(dtype: Any = None) -> list[Any]:
    import torch

    dtype = dtype or torch.float64
    return [torch.tensor(W0, dtype=dtype, requires_grad=True),
            torch.tensor(B0, dtype=dtype, requires_grad=True)]


def _assert_same_path(ours: Any, theirs: Any, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol,
                                       err_msg=f"parameter {i} after step {step + 1}")


# -- trajectories against torch.optim ---------------------------------------------------------


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=_case_id)
def test_trajectory_matches_torch_for_20_steps(backend, case):
    pytest.importorskip("torch")
    name, hyper = case
    params = _params()
    ours = _train(getattr(ad.optim, name)(params, **hyper), params, STEPS)
    tparams = _torch_params()
    theirs = _torch_path(name, tparams, tparams, STEPS, **hyper)
    _assert_same_path(ours, theirs)


@pytest.mark.parametrize("name", NAMES)
def test_float32_parameters_stay_float32_with_state_on_their_backend(backend, name):
    torch = pytest.importorskip("torch")
    params = _params("float32")
    opt = getattr(ad.optim, name)(params, lr=0.01)
    ours = _train(opt, params, 5)
    assert all(p.dtype == ad.float32 for p in params)
    for p in params:
        for value in opt.state[p].values():
            if isinstance(value, ad.Tensor):
                assert value.backend is p.backend and value.dtype == ad.float32
                assert value.device == p.device
    tparams = _torch_params(torch.float32)
    theirs = _torch_path(name, tparams, tparams, 5, lr=0.01)
    _assert_same_path(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_torchs(name):
    torch = pytest.importorskip("torch")
    ours = getattr(ad.optim, name)(_params()).defaults
    theirs = getattr(torch.optim, name)(_torch_params()).defaults
    assert ours == {k: theirs[k] for k in ours}


def test_parameter_groups_get_their_own_hyperparameters(backend):
    pytest.importorskip("torch")
    params = _params()
    opt = ad.optim.SGD([{"params": [params[0]], "lr": 0.01, "momentum": 0.9},
                        {"params": [params[1]]}], lr=0.002, momentum=0.5)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.002]
    ours = _train(opt, params, STEPS)
    tparams = _torch_params()
    theirs = _torch_path("SGD", [{"params": [tparams[0]], "lr": 0.01, "momentum": 0.9},
                                 {"params": [tparams[1]], "lr": 0.002, "momentum": 0.5}],
                         tparams, STEPS)
    _assert_same_path(ours, theirs)


def test_a_group_added_later_joins_the_training(backend):
    torch = pytest.importorskip("torch")
    params, tparams = _params(), _torch_params()
    opt = ad.optim.Adam([params[0]], lr=0.05)
    topt = torch.optim.Adam([tparams[0]], lr=0.05)
    for step in range(10):
        if step == 3:
            opt.add_param_group({"params": params[1], "lr": 0.01})
            topt.add_param_group({"params": tparams[1], "lr": 0.01})
        for o, ps in ((opt, params), (topt, tparams)):
            o.zero_grad()
            objective(*ps).backward()
            o.step()
    for p, tp in zip(params, tparams, strict=True):
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-10)


# -- state_dict -------------------------------------------------------------------------------

ROUND_TRIP_CASES = [("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
                    ("Adam", {"lr": 0.05, "amsgrad": True}),
                    ("AdamW", {"lr": 0.05}),
                    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
                    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01})]


@pytest.mark.parametrize("case", ROUND_TRIP_CASES, ids=_case_id)
def test_state_dict_saved_after_5_steps_continues_the_same_trajectory(backend, case):
    name, hyper = case
    params = _params()
    straight = _train(getattr(ad.optim, name)(params, **hyper), params, STEPS)

    with ad.backend("numpy"):  # saved on one backend, resumed on the one under test
        first = _params()
        opt = getattr(ad.optim, name)(first, **hyper)
        _train(opt, first, 5)
        saved = opt.state_dict()
    resumed = [ad.tensor(p.numpy(), requires_grad=True) for p in first]
    fresh = getattr(ad.optim, name)(resumed, lr=123.0)  # hyperparameters come from the file
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == hyper["lr"]
    rest = _train(fresh, resumed, STEPS - 5)
    _assert_same_path(rest, straight[5:], rtol=1e-12, atol=1e-14)


def test_state_dict_is_plain_data_numbered_like_torchs(backend):
    params = _params()
    opt = ad.optim.Adam([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.1}])
    _train(opt, params, 2)
    saved = opt.state_dict()
    assert [g["params"] for g in saved["param_groups"]] == [[0], [1]]
    assert saved["param_groups"][1]["lr"] == 0.1
    assert saved["state"][1]["step"] == 2
    assert isinstance(saved["state"][1]["exp_avg"], np.ndarray)
    saved["state"][0]["exp_avg"][...] = 99.0  # a copy: the optimizer is not affected
    assert not np.any(opt.state[params[0]]["exp_avg"].numpy() == 99.0)


def test_load_refuses_another_number_of_groups_and_changes_nothing(backend):
    params = _params()
    saved = ad.optim.SGD([{"params": [params[0]]}, {"params": [params[1]]}], lr=0.5).state_dict()
    opt = ad.optim.SGD(params, lr=0.1)
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: the saved state has 2 parameter "
                                         r"group\(s\), this optimizer has 1"):
        opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.1


def test_load_refuses_a_group_of_another_size(backend):
    params = _params()
    saved = ad.optim.SGD(params[:1]).state_dict()
    with pytest.raises(ValueError, match=r"saved parameter group 0 has 1 parameter\(s\), this "
                                         r"optimizer's has 2"):
        ad.optim.SGD(params).load_state_dict(saved)


def test_load_refuses_state_of_the_wrong_shape_and_changes_nothing(backend):
    params = _params()
    opt = ad.optim.Adam(params, lr=0.05)
    _train(opt, params, 2)
    saved = opt.state_dict()
    saved["state"][1]["exp_avg"] = np.zeros((3, 2))
    saved["param_groups"][0]["lr"] = 0.5
    before = opt.state[params[1]]["exp_avg"].numpy()
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 1 has shape \(3, 2\), "
                                         r"the parameter has \(2, 3\)"):
        opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.05
    np.testing.assert_array_equal(opt.state[params[1]]["exp_avg"].numpy(), before)


# -- the step, zero_grad, subclasses ----------------------------------------------------------


def test_zero_grad_forgets_or_zeroes_the_gradients(backend):
    params = _params()
    opt = ad.optim.SGD(params)
    objective(*params).backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not np.any(p.grad.numpy()) for p in params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_step_returns_the_loss_of_its_closure_and_skips_parameters_without_grad(backend):
    params = _params()
    opt = ad.optim.SGD(params, lr=0.01)

    def closure() -> Any:
        opt.zero_grad()
        loss = ((params[0] - 1.0) ** 2).sum()  # params[1] gets no gradient
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(float(((W0 - 1.0) ** 2).sum()))
    np.testing.assert_allclose(params[0].numpy(), W0 - 0.01 * 2 * (W0 - 1.0))
    np.testing.assert_array_equal(params[1].numpy(), B0)
    assert params[1] not in opt.state


def test_updates_record_no_history(backend):
    params = _params()
    opt = ad.optim.Adam(params, lr=0.1)
    objective(*params).backward()
    opt.step()
    assert all(p.is_leaf and p.requires_grad for p in params)
    assert all(v.grad_fn is None for v in opt.state[params[0]].values() if isinstance(v, ad.Tensor))


def test_a_third_party_optimizer_needs_only_its_update(backend):
    class SignDescent(Optimizer):
        def __init__(self, params: Any, lr: float = 0.1) -> None:
            super().__init__(params, {"lr": lr})

        def update(self, p: Any, grad: Any, state: dict[str, Any], group: dict[str, Any]) -> None:
            p.data = p - group["lr"] * ad.sign(grad)

    w = ad.tensor([1.0, -2.0], requires_grad=True)
    opt = SignDescent([w])
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.numpy(), [0.9, -1.9])
    assert ad_core.extend.Optimizer is Optimizer
    assert all(issubclass(getattr(ad.optim, n), Optimizer) for n in NAMES)


def test_repr_lists_each_group(backend):
    text = repr(ad.optim.SGD(_params(), lr=0.5))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.5" in text


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_an_empty_parameter_list_is_refused(backend, name):
    with pytest.raises(ValueError, match=rf"{name}: got an empty parameter list"):
        getattr(ad.optim, name)([])


@pytest.mark.parametrize("name", NAMES)
def test_a_negative_learning_rate_is_refused(backend, name):
    with pytest.raises(ValueError, match=rf"{name}: invalid lr -0.1: a learning rate must be a "
                                         rf"number >= 0"):
        getattr(ad.optim, name)(_params(), lr=-0.1)


@pytest.mark.parametrize("name, hyper, message", [
    ("SGD", {"momentum": -0.5}, "SGD: invalid momentum -0.5"),
    ("SGD", {"weight_decay": -1.0}, "SGD: invalid weight_decay -1.0"),
    ("SGD", {"nesterov": True}, "SGD: Nesterov momentum needs momentum > 0 and dampening == 0"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "SGD: Nesterov momentum"),
    ("Adam", {"betas": (1.0, 0.999)}, r"Adam: invalid betas\[0\] 1.0: must be in \[0, 1\)"),
    ("Adam", {"betas": (0.9, -0.1)}, r"Adam: invalid betas\[1\] -0.1"),
    ("Adam", {"betas": (0.9,)}, r"Adam: betas must be a pair"),
    ("AdamW", {"eps": -1e-8}, "AdamW: invalid eps -1e-08"),
    ("RMSprop", {"alpha": -0.9}, "RMSprop: invalid alpha -0.9"),
    ("RMSprop", {"momentum": -0.1}, "RMSprop: invalid momentum -0.1"),
    ("Adagrad", {"lr_decay": -1.0}, "Adagrad: invalid lr_decay -1.0"),
    ("Adagrad", {"initial_accumulator_value": -1.0}, "Adagrad: invalid initial_accumulator_value"),
    ("SGD", {"lr": float("nan")}, "SGD: invalid lr nan"),
])
def test_invalid_hyperparameters_are_refused_by_name(backend, name, hyper, message):
    with pytest.raises(ValueError, match=message):
        getattr(ad.optim, name)(_params(), **hyper)


def test_an_invalid_hyperparameter_in_a_group_is_refused(backend):
    params = _params()
    with pytest.raises(ValueError, match="Adam: invalid lr -1"):
        ad.optim.Adam([{"params": [params[0]]}, {"params": [params[1]], "lr": -1}])


def test_a_tensor_that_does_not_require_grad_is_refused(backend):
    with pytest.raises(ValueError, match=r"SGD: parameter 1 of group 0 \(float64\[3\]\) does not "
                                         r"require grad"):
        ad.optim.SGD([ad.tensor([1.0], requires_grad=True), ad.tensor(np.array([1.0, 2.0, 3.0]))])


def test_a_non_leaf_tensor_is_refused(backend):
    w = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"Adam: can't optimize a non-leaf tensor \(parameter 0 "
                                         r"of group 0, computed by op 'multiply'\)"):
        ad.optim.Adam([w * 2.0])


def test_something_other_than_tensors_is_refused(backend):
    with pytest.raises(TypeError, match="SGD: can only optimize tensors, but parameter 0 of group "
                                        "0 is a ndarray"):
        ad.optim.SGD([np.zeros(3)])
    with pytest.raises(TypeError, match="SGD: params should be an iterable of tensors"):
        ad.optim.SGD(ad.tensor([1.0], requires_grad=True))
    with pytest.raises(TypeError, match="not a set"):
        ad.optim.SGD({ad.tensor([1.0], requires_grad=True)})


def test_a_parameter_in_two_groups_is_refused(backend):
    w = ad.tensor([1.0], requires_grad=True)
    opt = ad.optim.SGD([w])
    with pytest.raises(ValueError, match="SGD: some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [w], "lr": 0.1})
    with pytest.raises(ValueError, match="appears twice"):
        ad.optim.SGD([w, w])


# -- schedules --------------------------------------------------------------------------------


def _torch_schedule(name: str, opt: Any, options: dict[str, Any]) -> Any:
    import torch

    sched = torch.optim.lr_scheduler
    if name == "LinearWarmup":
        return sched.LinearLR(opt, start_factor=options["start_factor"], end_factor=1.0,
                              total_iters=options["warmup_steps"])
    return getattr(sched, name)(opt, **options)


SCHEDULE_CASES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": 0.01}),
    ("CosineAnnealingLR", {"T_max": 7}),
    ("LinearWarmup", {"warmup_steps": 4, "start_factor": 0.25}),
]


def _lr_paths(ours: Any, theirs: Any, steps: int) -> tuple[list[Any], list[Any]]:
    a, b = [ours[0].get_last_lr()], [theirs[0].get_last_lr()]
    for _ in range(steps):
        for opt, sched, out in ((ours[1], ours[0], a), (theirs[1], theirs[0], b)):
            opt.step()
            sched.step()
            out.append(sched.get_last_lr())
    return a, b


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=_case_id)
def test_schedule_matches_torch_for_25_steps(backend, case):
    torch = pytest.importorskip("torch")
    name, options = case
    opt = ad.optim.SGD([{"params": [ad.tensor([1.0], requires_grad=True)], "lr": 0.1},
                        {"params": [ad.tensor([1.0], requires_grad=True)], "lr": 0.02}])
    topt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": 0.1},
                            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.02}])
    ours = getattr(ad.optim.lr_scheduler, name)(opt, **options)
    theirs = _torch_schedule(name, topt, options)
    a, b = _lr_paths((ours, opt), (theirs, topt), 25)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    assert [g["lr"] for g in opt.param_groups] == a[-1]


def test_linear_warmup_then_cosine_matches_torchs_sequential_schedule(backend):
    torch = pytest.importorskip("torch")
    sched = torch.optim.lr_scheduler
    opt = ad.optim.SGD([ad.tensor([1.0], requires_grad=True)], lr=0.1)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    cosine = ad.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)
    ours = ad.optim.lr_scheduler.LinearWarmup(opt, warmup_steps=3, start_factor=0.2, then=cosine)
    theirs = sched.SequentialLR(topt, [sched.LinearLR(topt, start_factor=0.2, total_iters=3),
                                       sched.CosineAnnealingLR(topt, T_max=6, eta_min=0.001)],
                                milestones=[3])
    a, b = _lr_paths((ours, opt), (theirs, topt), 20)
    np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("case", SCHEDULE_CASES[:1] + SCHEDULE_CASES[2:3], ids=_case_id)
def test_schedule_state_dict_resumes_the_same_rates(backend, case):
    name, options = case
    cls = getattr(ad.optim.lr_scheduler, name)

    def fresh() -> tuple[Any, Any]:
        opt = ad.optim.SGD([ad.tensor([1.0], requires_grad=True)], lr=0.1, momentum=0.9)
        return opt, cls(opt, **options)

    opt, sched = fresh()
    straight = []
    for _ in range(12):
        opt.step()
        sched.step()
        straight.append(sched.get_last_lr())
    opt, sched = fresh()
    for _ in range(5):
        opt.step()
        sched.step()
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    opt, sched = fresh()
    opt.load_state_dict(saved_opt)
    sched.load_state_dict(saved_sched)
    resumed = []
    for _ in range(7):
        opt.step()
        sched.step()
        resumed.append(sched.get_last_lr())
    np.testing.assert_allclose(resumed, straight[5:], rtol=1e-12)


def test_warmup_state_dict_carries_the_following_schedule(backend):
    def fresh() -> Any:
        opt = ad.optim.SGD([ad.tensor([1.0], requires_grad=True)], lr=0.1)
        then = ad.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        return ad.optim.lr_scheduler.LinearWarmup(opt, warmup_steps=2, then=then)

    sched = fresh()
    for _ in range(4):
        sched.step()
    saved = sched.state_dict()
    assert saved["then"]["last_epoch"] == 2
    other = fresh()
    other.optimizer.load_state_dict(sched.optimizer.state_dict())  # the current rates
    other.load_state_dict(saved)
    sched.step()
    other.step()
    assert other.get_last_lr() == sched.get_last_lr() == [pytest.approx(0.1 * 0.5**3)]


@pytest.mark.parametrize("make, error, message", [
    (lambda o: ad.optim.lr_scheduler.StepLR(o, step_size=0), ValueError,
     "StepLR: step_size must be an int >= 1, got 0"),
    (lambda o: ad.optim.lr_scheduler.CosineAnnealingLR(o, T_max=2.5), ValueError,
     "CosineAnnealingLR: T_max must be an int >= 1"),
    (lambda o: ad.optim.lr_scheduler.LinearWarmup(o, warmup_steps=3, start_factor=2.0), ValueError,
     r"LinearWarmup: start_factor must be in \[0, 1\]"),
    (lambda o: ad.optim.lr_scheduler.ExponentialLR("sgd", gamma=0.5), TypeError,
     "ExponentialLR: expected an ad_core Optimizer, got str"),
    (lambda o: ad.optim.lr_scheduler.StepLR(o, step_size=2, last_epoch=4), KeyError,
     "resuming at last_epoch=4"),
])
def test_schedule_arguments_are_checked(backend, make, error, message):
    opt = ad.optim.SGD([ad.tensor([1.0], requires_grad=True)], lr=0.1)
    with pytest.raises(error, match=message):
        make(opt)


def test_warmup_refuses_a_following_schedule_of_another_optimizer(backend):
    first = ad.optim.SGD([ad.tensor([1.0], requires_grad=True)])
    second = ad.optim.SGD([ad.tensor([1.0], requires_grad=True)])
    then = ad.optim.lr_scheduler.ExponentialLR(second, gamma=0.5)
    with pytest.raises(ValueError, match="then must schedule the same optimizer"):
        ad.optim.lr_scheduler.LinearWarmup(first, warmup_steps=2, then=then)


def test_schedules_are_lr_schedulers():
    for name in ("StepLR", "ExponentialLR", "CosineAnnealingLR", "LinearWarmup"):
        assert issubclass(getattr(ad.optim.lr_scheduler, name), LRScheduler)
    assert ad.optim.lr_scheduler.LRScheduler is ad_core.extend.LRScheduler is LRScheduler


# -- clipping ---------------------------------------------------------------------------------

GRADS = [np.array([3.0, -4.0, 0.5]), np.array([[1.0, -2.0], [0.25, 6.0]])]


def _with_grads(grads: list[np.ndarray | None], dtype: Any = None) -> list[Any]:
    params = []
    for g in grads:
        p = ad.tensor(np.zeros((1,) if g is None else g.shape), dtype=dtype, requires_grad=True)
        p.grad = None if g is None else ad.tensor(g, dtype=dtype)
        params.append(p)
    return params


@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_matches_torch(backend, norm_type, max_norm):
    torch = pytest.importorskip("torch")
    params = _with_grads([*GRADS, None])
    total = ad.optim.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    tparams = [torch.zeros(g.shape, requires_grad=True, dtype=torch.float64) for g in GRADS]
    for p, g in zip(tparams, GRADS, strict=True):
        p.grad = torch.tensor(g)
    expected = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type=norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for p, tp in zip(params[:-1], tparams, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-12)
    assert params[-1].grad is None


def test_clip_grad_norm_keeps_float32_gradients_float32(backend):
    params = _with_grads(GRADS, "float32")
    total = ad.optim.clip_grad_norm_(params[0], 1.0)
    assert total.dtype == ad.float32 and params[0].grad.dtype == ad.float32
    np.testing.assert_allclose(np.linalg.norm(params[0].grad.numpy()), 1.0, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_clip_grad_norm_refuses_a_non_finite_norm_when_asked(backend):
    params = _with_grads([np.array([1.0, np.inf])])
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm of order 2.0 of the "
                                           "gradients is non-finite"):
        ad.optim.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert math.isinf(ad.optim.clip_grad_norm_(params, 1.0).item())


def test_clip_grad_value_matches_torch(backend):
    torch = pytest.importorskip("torch")
    params = _with_grads(GRADS)
    ad.optim.clip_grad_value_(params, 1.5)
    for p, g in zip(params, GRADS, strict=True):
        tp = torch.zeros(g.shape, requires_grad=True, dtype=torch.float64)
        tp.grad = torch.tensor(g)
        torch.nn.utils.clip_grad_value_([tp], 1.5)
        np.testing.assert_array_equal(p.grad.numpy(), tp.grad.numpy())


def test_clipping_checks_its_arguments(backend):
    params = _with_grads(GRADS)
    with pytest.raises(ValueError, match="norm_type must be > 0"):
        ad.optim.clip_grad_norm_(params, 1.0, norm_type=0)
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        ad.optim.clip_grad_value_(params, -1.0)
    with pytest.raises(TypeError, match="parameters must be tensors, but item 0 is a ndarray"):
        ad.optim.clip_grad_norm_([np.zeros(2)], 1.0)


# -- minimize ---------------------------------------------------------------------------------


def _bowl(x: Any) -> Any:
    return ((x - ad.tensor([1.0, -2.0])) ** 2).sum()


def test_minimize_stops_by_the_lectures_tolerance_rule(backend):
    res = ad.optim.minimize(_bowl, [0.0, 0.0], lr=0.1, tolerance=1e-10)
    assert res.reason == "tolerance" and res.converged
    np.testing.assert_allclose(res.x.numpy(), [1.0, -2.0], atol=1e-4)
    assert len(res.history) == res.steps + 1 and res.fun == res.history[-1]
    changes = np.abs(np.diff(res.history))
    assert changes[-1] < 1e-10 and np.all(changes[:-1] >= 1e-10)  # the first step that settles
    assert res.x.backend is ad.get_backend()


def test_minimize_reports_an_exhausted_step_budget(backend):
    res = ad.optim.minimize(_bowl, [0.0, 0.0], lr=0.01, max_steps=5)
    assert (res.reason, res.converged, res.steps, len(res.history)) == ("max_steps", False, 5, 6)


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
def test_minimize_reports_divergence(backend):
    res = ad.optim.minimize(lambda x: (x**4).sum(), [10.0], lr=1.0)
    assert res.reason == "non-finite" and not res.converged
    assert not math.isfinite(res.fun) and "learning rate" in res.message


def test_minimize_can_use_any_registered_optimizer(backend):
    res = ad.optim.minimize(_bowl, [0.0, 0.0], method="sgd", lr=0.05, momentum=0.5,
                            tolerance=1e-12, max_steps=2000)
    assert res.converged
    np.testing.assert_allclose(res.x.numpy(), [1.0, -2.0], atol=1e-5)
    adam = ad.optim.minimize(_bowl, [0.0, 0.0], method="Adam", lr=0.1, max_steps=3)
    assert adam.steps == 3 and adam.history[-1] < adam.history[0]


def test_minimize_leaves_the_start_point_alone(backend):
    x0 = ad.tensor([0.0, 0.0], requires_grad=True)
    ad.optim.minimize(_bowl, x0, lr=0.1, max_steps=3)
    assert x0.tolist() == [0.0, 0.0] and x0.grad is None


def test_minimize_checks_its_arguments(backend):
    with pytest.raises(ValueError, match="minimize: lr must be > 0"):
        ad.optim.minimize(_bowl, [0.0, 0.0], lr=0.0)
    with pytest.raises(TypeError, match="method 'gd' takes no options"):
        ad.optim.minimize(_bowl, [0.0, 0.0], momentum=0.9)
    with pytest.raises(AttributeError, match="no plugin registers a optimizer called 'Adamm'"):
        ad.optim.minimize(_bowl, [0.0, 0.0], method="Adamm")
    with pytest.raises(TypeError, match="f must return a one-element tensor"):
        ad.optim.minimize(lambda x: x * 2.0, [0.0, 0.0])
    with pytest.raises(ValueError, match="max_steps must be an int >= 0"):
        ad.optim.minimize(_bowl, [0.0, 0.0], max_steps=-1)
