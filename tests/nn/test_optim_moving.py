"""An optimizer's state follows its model: after ``model.to(backend, device, dtype)`` the same
optimizer keeps training, its momentum buffers and moment estimates moved to the parameters'
backend and device at the next step, and the trajectory is the one an unmoved model follows.
Also: ``load_state_dict`` of a state saved on another backend, and the messages for what is not
a parameter list."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import ad_core as ad

#: (optimizer, hyperparameters): every optimizer, with the options that add state.
CASES = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
]
IDS = [name for name, _ in CASES]
X = np.random.default_rng(0).standard_normal((6, 3))
Y = np.random.default_rng(1).standard_normal((6, 2))


def need(*names: str) -> None:
    for name in names:
        if name not in ad.available_backends():
            pytest.skip(f"{name} is not installed")


def make_model(dtype: str = "float64") -> Any:
    ad.random.seed(0)
    return ad.nn.Sequential(ad.nn.Linear(3, 4, dtype=dtype), ad.nn.Tanh(),
                            ad.nn.Linear(4, 2, dtype=dtype))


def train(model: Any, opt: Any, steps: int, dtype: str = "float64") -> list[float]:
    """``steps`` steps on the backend and device of the model's first parameter."""
    first = next(iter(model.parameters()))
    x = ad.tensor(X, dtype=dtype, backend=first.backend.name, device=first.device)
    y = ad.tensor(Y, dtype=dtype, backend=first.backend.name, device=first.device)
    losses = []
    for _ in range(steps):
        loss = ad.mean((model(x) - y) ** 2.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def values(model: Any) -> list[np.ndarray]:
    return [p.numpy().astype(np.float64) for p in model.parameters()]


def state_tensors(opt: Any) -> list[Any]:
    return [v for state in opt.state.values() for v in state.values() if isinstance(v, ad.Tensor)]


def reference(name: str, hyper: dict, steps: int) -> tuple[list[float], list[np.ndarray]]:
    with ad.backend("numpy"):
        model = make_model()
        losses = train(model, getattr(ad.optim, name)(model.parameters(), **hyper), steps)
    return losses, values(model)


@pytest.mark.parametrize(("start", "target"), [("numpy", "torch"), ("numpy", "array_api_strict"),
                                               ("torch", "numpy")])
@pytest.mark.parametrize(("name", "hyper"), CASES, ids=IDS)
def test_three_steps_then_a_move_then_three_more_equal_six_steps_without_moving(
        name, hyper, start, target):
    need(start, target)
    expected_losses, expected_values = reference(name, hyper, 6)
    with ad.backend(start):
        model = make_model()
        opt = getattr(ad.optim, name)(model.parameters(), **hyper)
        losses = train(model, opt, 3)
    model.to(target)
    losses += train(model, opt, 3)
    assert all(t.backend.name == target for t in state_tensors(opt))
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-12)
    for got, want in zip(values(model), expected_values, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("name", "hyper"), CASES, ids=IDS)
def test_the_state_follows_a_move_to_another_device(name, hyper):
    """array-api-strict's second device stands in for a GPU: no state may stay on the first."""
    need("array_api_strict")
    expected_losses, _ = reference(name, hyper, 4)
    with ad.backend("array_api_strict"):
        model = make_model()
        opt = getattr(ad.optim, name)(model.parameters(), **hyper)
        losses = train(model, opt, 2)
    model.to(device="device1")
    losses += train(model, opt, 2)
    device = ad.backends.load_backend("array_api_strict").device("device1")
    assert state_tensors(opt) and all(t.device == device for t in state_tensors(opt))
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-12)


@pytest.mark.parametrize(("name", "hyper"), CASES, ids=IDS)
def test_the_state_takes_the_parameters_new_dtype(backend, name, hyper):
    model = make_model("float32")
    opt = getattr(ad.optim, name)(model.parameters(), **hyper)
    train(model, opt, 2, "float32")
    model.to(dtype="float64")
    for p in model.parameters():
        opt.state_of(p)  # what step() calls before each update
    floating = [t for t in state_tensors(opt) if t.dtype.is_floating]
    assert floating and all(t.dtype == ad.float64 for t in floating)
    train(model, opt, 1)
    assert all(p.dtype == ad.float64 for p in model.parameters())


def test_a_step_on_an_unmoved_model_keeps_the_state_tensors(backend):
    model = make_model()
    opt = ad.optim.Adam(model.parameters(), lr=0.01)
    train(model, opt, 1)
    before = {id(p): dict(s) for p, s in opt.state.items()}
    for p in model.parameters():
        assert opt.state_of(p) == before[id(p)]  # the same tensor objects: nothing was moved


def test_state_dict_after_a_move_and_before_a_step_is_the_same_plain_data(backend):
    need("numpy")
    with ad.backend("numpy"):
        model = make_model()
        opt = ad.optim.Adam(model.parameters(), lr=0.01)
        train(model, opt, 2)
    saved = opt.state_dict()
    model.to(backend.name, backend.device)
    moved = opt.state_dict()
    for key, entries in saved["state"].items():
        for name, value in entries.items():
            np.testing.assert_array_equal(moved["state"][key][name], value)


@pytest.mark.parametrize(("name", "hyper"), CASES, ids=IDS)
def test_a_state_saved_on_numpy_loads_onto_the_parameters_backend_and_continues(
        backend, name, hyper):
    need("numpy")
    expected_losses, expected_values = reference(name, hyper, 5)
    with ad.backend("numpy"):
        model = make_model()
        opt = getattr(ad.optim, name)(model.parameters(), **hyper)
        losses = train(model, opt, 3)
        saved_model, saved_opt = model.state_dict(), opt.state_dict()
    resumed = make_model()
    resumed.load_state_dict(saved_model)
    opt = getattr(ad.optim, name)(resumed.parameters(), lr=1.0)  # the saved lr replaces this one
    opt.load_state_dict(saved_opt)
    assert all(t.backend.name == backend.name and t.device == backend.backend.device(backend.device)
               for t in state_tensors(opt))
    losses += train(resumed, opt, 2)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-12)
    for got, want in zip(values(resumed), expected_values, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_an_optimizer_that_overrides_step_gets_its_state_moved_by_state_of():
    need("numpy", "torch")

    class HeavyBall(ad.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            with ad.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        state = self.state_of(p)
                        velocity = 0.5 * state.get("velocity", ad.zeros_like(p)) + p.grad
                        state["velocity"] = velocity
                        p.data = p - group["lr"] * velocity

    with ad.backend("numpy"):
        model = ad.nn.Module()
        model.w = w = ad.nn.Parameter(np.array([1.0, -2.0]))
        opt = HeavyBall(model.parameters())
        (w * w).sum().backward()
        opt.step()
    model.to("torch").zero_grad()
    with ad.backend("torch"):
        (w * w).sum().backward()
        opt.step()
    assert opt.state[w]["velocity"].backend.name == "torch"
    # v1 = 2 w0, w1 = w0 - 0.1 v1 = 0.8 w0; v2 = 0.5 v1 + 2 w1 = 2.6 w0; w2 = w1 - 0.26 w0
    np.testing.assert_allclose(w.numpy(), 0.54 * np.array([1.0, -2.0]), rtol=1e-12)


@pytest.mark.parametrize(("params", "message"), [
    (lambda m: m, r"SGD: params should be an iterable .* got the module Linear; pass its "
                  r"parameters: model.parameters\(\)"),
    (lambda m: m.parameters, r"got the callable 'parameters'; call it: model.parameters\(\)"),
    (lambda m: None, r"got NoneType; pass model.parameters\(\) or a list of tensors"),
])
def test_what_is_not_a_parameter_list_gets_a_message_saying_what_to_pass(backend, params, message):
    with pytest.raises(TypeError, match=message):
        ad.optim.SGD(params(ad.nn.Linear(2, 2)))


def test_a_frozen_model_is_refused_as_parameters_that_would_never_be_updated(backend):
    model = ad.nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ValueError, match=r"Adam: parameter 0 of group 0 \(float32\[2, 2\]\) does "
                                         r"not require grad, so it would never be updated"):
        ad.optim.Adam(model.parameters())
