"""Module and Parameter: bookkeeping, modes, state dicts, moving between backends, repr, and the
module form of registered losses."""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import DTypeError
from ad_core.extend import hookimpl
from ad_core.nn import Module, Parameter, StateDictError


class TwoLayer(Module):
    """A small model with a parameter, a buffer and sub-modules, in a known order."""

    def __init__(self):
        super().__init__()
        self.scale = Parameter(np.array([2.0]))
        self.first = ad.nn.Linear(3, 4, dtype="float64")
        self.register_buffer("steps", ad.tensor(np.array(0, dtype=np.int64)))
        self.second = ad.nn.Linear(4, 2, dtype="float64")

    def forward(self, x):
        return self.second(ad.tanh(self.first(x))) * self.scale


def values(module: Module) -> dict[str, np.ndarray]:
    return {k: v.numpy().copy() for k, v in module.state_dict().items()}


# -- Parameter ---------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [[1.0, 2.0], np.array([1.0, 2.0])], ids=["list", "numpy"])
def test_parameter_from_python_or_numpy_data_lands_on_the_backend_in_force(backend, data):
    p = Parameter(data)
    assert p.backend.name == backend.name
    assert p.requires_grad and p.is_leaf and p.grad is None
    assert p.tolist() == [1.0, 2.0]


def test_parameter_from_a_tensor_with_history_is_a_leaf_on_that_tensors_backend(backend):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    p = Parameter(x * 3.0)
    assert p.is_leaf and p.requires_grad and p.backend.name == backend.name
    assert p.tolist() == [3.0, 6.0]


def test_parameter_from_a_torch_tensor_keeps_the_torch_backend():
    torch = pytest.importorskip("torch")
    with ad.backend("numpy"):
        p = Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    assert p.backend.name == "torch" and p.dtype == ad.float64


def test_parameter_refuses_integer_data_unless_a_float_dtype_is_given(backend):
    with pytest.raises(DTypeError, match="Parameter: only real floating-point"):
        Parameter([1, 2])
    assert Parameter([1, 2], dtype=ad.float32).dtype == ad.float32


def test_operations_on_parameters_give_plain_tensors_and_gradients_reach_the_parameter(backend):
    p = Parameter([1.0, 2.0])
    y = (p * p).sum()
    assert type(y) is ad.Tensor
    y.backward()
    np.testing.assert_allclose(p.grad.numpy(), [2.0, 4.0])


def test_parameter_repr_says_it_is_a_parameter(backend):
    assert repr(Parameter([1.0])).startswith("Parameter containing:\ntensor([1.]")


# -- bookkeeping -----------------------------------------------------------------------------------


def test_parameters_buffers_and_modules_are_tracked_in_assignment_order(backend):
    m = TwoLayer()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "first.weight", "first.bias", "second.weight", "second.bias"]
    assert [n for n, _ in m.named_buffers()] == ["steps"]
    assert [n for n, _ in m.named_children()] == ["first", "second"]
    assert [n for n, _ in m.named_modules()] == ["", "first", "second"]
    assert list(m.children()) == [m.first, m.second]
    assert list(m.modules()) == [m, m.first, m.second]
    assert list(m.state_dict()) == [
        "scale", "steps", "first.weight", "first.bias", "second.weight", "second.bias"]


def test_parameters_are_plain_attributes_too(backend):
    m = TwoLayer()
    assert m.scale is m._parameters["scale"] and m.first is m._modules["first"]


def test_a_shared_parameter_or_module_is_listed_once(backend):
    m = Module()
    m.a = ad.nn.Linear(2, 2)
    m.b = m.a
    m.w = Parameter([1.0])
    m.v = m.w
    assert len(list(m.parameters())) == 3
    assert len(list(m.modules())) == 2
    assert {"a.weight", "b.weight", "w", "v"} <= set(m.state_dict())


def test_reassigning_a_name_moves_it_between_parameters_buffers_and_modules(backend):
    m = Module()
    m.x = Parameter([1.0])
    m.x = ad.nn.Identity()
    assert not list(m.parameters()) and list(m.children()) == [m.x]
    m.register_buffer("b", ad.tensor([1.0]))
    m.b = Parameter([2.0])
    assert not list(m.buffers()) and [n for n, _ in m.named_parameters()] == ["b"]


def test_register_buffer_refuses_a_name_taken_by_another_attribute(backend):
    m = Module()
    m.x = ad.nn.Identity()
    with pytest.raises(KeyError, match="already has an attribute 'x'"):
        m.register_buffer("x", ad.tensor([1.0]))


def test_a_parameter_can_be_set_to_none_but_not_to_a_plain_tensor(backend):
    m = ad.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'bias' of Linear"):
        m.bias = ad.tensor([0.0, 0.0])
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    assert list(m.state_dict()) == ["weight"]


def test_deleting_an_attribute_unregisters_it(backend):
    m = TwoLayer()
    del m.first
    del m.steps
    assert [n for n, _ in m.named_children()] == ["second"]
    assert not list(m.buffers())


def test_non_persistent_buffers_move_but_are_not_in_the_state_dict(backend):
    m = Module()
    m.register_buffer("mask", ad.tensor([1.0]), persistent=False)
    assert list(m.buffers()) and not m.state_dict()


def test_assigning_before_module_init_says_to_call_super_init(backend):
    class Forgetful(Module):
        def __init__(self):
            self.w = Parameter([1.0])

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\) first in Forgetful"):
        Forgetful()


@pytest.mark.parametrize("name", ["", "a.b"])
def test_registering_a_bad_name_is_refused(backend, name):
    with pytest.raises(KeyError):
        Module().register_buffer(name, ad.tensor([1.0]))


def test_register_buffer_refuses_a_non_tensor(backend):
    with pytest.raises(TypeError, match="must be a Tensor or None"):
        Module().register_buffer("b", [1.0])


def test_calling_a_module_calls_forward_and_a_module_without_forward_says_so(backend):
    m = TwoLayer()
    x = ad.tensor(np.ones((5, 3)))
    np.testing.assert_array_equal(m(x).numpy(), m.forward(x).numpy())
    with pytest.raises(NotImplementedError, match="Module defines no forward"):
        Module()(x)


# -- modes and gradients ---------------------------------------------------------------------------


def test_train_and_eval_set_training_on_every_submodule(backend):
    m = TwoLayer()
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())


def test_zero_grad_forgets_every_gradient_or_zeroes_it(backend):
    m = TwoLayer()
    m(ad.tensor(np.ones((2, 3)))).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(not p.grad.numpy().any() and p.grad.shape == p.shape for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_requires_grad_false_freezes_every_parameter(backend):
    m = TwoLayer().requires_grad_(False)
    m.scale.requires_grad_(True)
    m(ad.tensor(np.ones((2, 3)))).sum().backward()
    assert m.scale.grad is not None and m.first.weight.grad is None


def test_apply_visits_children_before_their_parent(backend):
    seen = []
    m = TwoLayer()
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "Linear", "TwoLayer"]


# -- state dicts -----------------------------------------------------------------------------------


def test_state_dict_values_are_tensors_without_history_and_keep_vars_gives_the_parameters(backend):
    m = TwoLayer()
    sd = m.state_dict()
    assert all(not t.requires_grad for t in sd.values())
    assert m.state_dict(keep_vars=True)["scale"] is m.scale


def test_load_state_dict_round_trips_and_keeps_parameter_identity(backend):
    source, target = TwoLayer(), TwoLayer()
    weight = target.first.weight
    assert target.load_state_dict(source.state_dict()) == ([], [])
    assert target.first.weight is weight
    for key, value in values(source).items():
        np.testing.assert_array_equal(values(target)[key], value)


def test_load_state_dict_accepts_numpy_arrays_and_casts_to_each_parameters_dtype(backend):
    m = ad.nn.Linear(2, 1)
    m.load_state_dict({"weight": np.array([[1.0, 2.0]]), "bias": np.array([3.0])})
    assert m.weight.dtype == ad.float32 and m.weight.backend.name == backend.name
    assert m.weight.tolist() == [[1.0, 2.0]] and m.bias.tolist() == [3.0]


def test_load_state_dict_names_missing_unexpected_and_misshaped_keys_and_changes_nothing(backend):
    m = TwoLayer()
    before = values(m)
    bad = dict(m.state_dict())
    del bad["first.bias"]
    bad["extra"] = ad.tensor([1.0])
    bad["second.weight"] = ad.tensor(np.zeros((3, 3)))
    bad["scale"] = ad.tensor([5.0])  # valid on its own: must not be applied either
    with pytest.raises(StateDictError) as info:
        m.load_state_dict(bad)
    message = str(info.value)
    assert "missing keys: 'first.bias'" in message
    assert "unexpected keys: 'extra'" in message
    assert "'second.weight' has shape (3, 3) in the state dict, but the module's is (2, 4)" in message
    assert "Nothing was changed" in message
    for key, value in values(m).items():
        np.testing.assert_array_equal(value, before[key])


def test_load_state_dict_not_strict_reports_missing_and_unexpected_keys(backend):
    m = TwoLayer()
    partial = {"scale": ad.tensor([7.0]), "other": ad.tensor([0.0])}
    result = m.load_state_dict(partial, strict=False)
    assert result.unexpected_keys == ["other"]
    assert result.missing_keys == ["steps", "first.weight", "first.bias", "second.weight",
                                   "second.bias"]
    assert m.scale.tolist() == [7.0]


def test_load_state_dict_refuses_a_misshaped_value_even_when_not_strict(backend):
    m = ad.nn.Linear(2, 1)
    with pytest.raises(StateDictError, match="'bias' has shape"):
        m.load_state_dict({"bias": np.zeros(3)}, strict=False)


def test_load_state_dict_refuses_what_is_not_a_mapping(backend):
    with pytest.raises(TypeError, match="expected a mapping"):
        ad.nn.Linear(2, 1).load_state_dict([("weight", 1.0)])


def test_state_dict_keys_and_weights_move_between_ad_core_and_torch(backend):
    torch = pytest.importorskip("torch")
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Tanh(),
                                  torch.nn.Linear(4, 2)).double()
    model = ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.BatchNorm1d(4), ad.nn.Tanh(),
                             ad.nn.Linear(4, 2)).to(dtype=ad.float64)
    assert list(model.state_dict()) == list(t_model.state_dict())
    model.load_state_dict(t_model.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 3))
    t_model.eval(), model.eval()
    np.testing.assert_allclose(model(ad.tensor(x)).numpy(),
                               t_model(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    back = {k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()}
    t_model.load_state_dict(back)


# -- moving between backends -----------------------------------------------------------------------


def _sgd_steps(model: Module, x: ad.Tensor, y: ad.Tensor, steps: int) -> list[float]:
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss = ((model(x) - y) ** 2.0).mean()
        loss.backward()
        for p in model.parameters():
            p.data = p - 0.1 * p.grad
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("target", ["torch", "array_api_strict", "numpy"])
def test_train_on_numpy_then_continue_on_another_backend(target):
    if target not in ad.available_backends():
        pytest.skip(f"{target} is not installed")
    rng = np.random.default_rng(0)
    xs, ys = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    with ad.backend("numpy"):
        ad.random.seed(0)
        reference = TwoLayer()
        expected = _sgd_steps(reference, ad.tensor(xs), ad.tensor(ys), 6)
        ad.random.seed(0)
        model = TwoLayer()
        first = _sgd_steps(model, ad.tensor(xs), ad.tensor(ys), 3)
    params = list(model.parameters())
    assert model.to(target) is model
    assert list(model.parameters()) == params  # the same objects, moved in place
    assert all(p.backend.name == target for p in params)
    assert all(p.grad.backend.name == target for p in params)
    assert model.steps.backend.name == target
    with ad.backend(target):
        rest = _sgd_steps(model, ad.tensor(xs), ad.tensor(ys), 3)
    np.testing.assert_allclose(first + rest, expected, rtol=1e-12)


def test_to_moves_to_another_device_and_layers_run_there():
    """array-api-strict's second device stands in for a GPU: nothing may fall back to the first."""
    if "array_api_strict" not in ad.available_backends():
        pytest.skip("array_api_strict is not installed")
    model = ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.BatchNorm1d(4), ad.nn.Dropout(0.5))
    model.to("array_api_strict", "device1")
    device = ad.backends.load_backend("array_api_strict").device("device1")
    assert all(t.device == device for t in [*model.parameters(), *model.buffers()])
    with ad.backend("array_api_strict", "device1"):
        out = model(ad.random.normal((5, 3), dtype="float32"))
        out.sum().backward()
        ad.init.orthogonal_(model[0].weight, seed=0)
        emb = ad.nn.Embedding(4, 2, padding_idx=0)
        looked_up = emb(ad.tensor([[0, 3]]))
    assert out.device == device and model[0].weight.grad.device == device
    assert emb.weight.device == device and looked_up.device == device
    assert model[0].weight.device == device


def test_to_with_a_dtype_casts_floating_parameters_and_buffers_only(backend):
    m = ad.nn.BatchNorm1d(3).to(dtype=ad.float64)
    assert m.weight.dtype == ad.float64 and m.running_mean.dtype == ad.float64
    assert m.num_batches_tracked.dtype == ad.int64


def test_to_an_unknown_backend_fails_before_moving_anything(backend):
    m = TwoLayer()
    with pytest.raises(ad.errors.UnknownBackendError):
        m.to("no_such_backend")
    assert all(p.backend.name == backend.name for p in m.parameters())


def test_to_refuses_a_non_floating_dtype(backend):
    with pytest.raises(DTypeError, match="real floating dtype"):
        TwoLayer().to(dtype=ad.int32)


# -- copying --------------------------------------------------------------------------------------


def test_deepcopy_gives_an_independent_model_with_the_same_values_on_the_same_backend(backend):
    import copy

    m = TwoLayer()
    m.shared = m.first  # a shared sub-module stays shared in the copy
    m(ad.tensor(np.ones((2, 3)))).sum().backward()
    c = copy.deepcopy(m)
    assert c.first is c.shared and c.first is not m.first
    assert type(c.first.weight) is Parameter and c.first.weight.backend is m.first.weight.backend
    for key, value in values(m).items():
        np.testing.assert_array_equal(values(c)[key], value)
    np.testing.assert_array_equal(c.scale.grad.numpy(), m.scale.grad.numpy())
    c.scale.data = ad.tensor(np.array([9.0]))
    assert m.scale.tolist() == [2.0]


# -- repr ------------------------------------------------------------------------------------------


def test_repr_is_torchs(backend):
    torch = pytest.importorskip("torch")
    model = ad.nn.Sequential(ad.nn.Linear(4, 8), ad.nn.ReLU(), ad.nn.LayerNorm(8),
                             ad.nn.Sequential(ad.nn.Linear(8, 2, bias=False), ad.nn.Tanh()),
                             ad.nn.BatchNorm1d(2), ad.nn.Softmax(dim=1))
    t_model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.LayerNorm(8),
                                  torch.nn.Sequential(torch.nn.Linear(8, 2, bias=False),
                                                      torch.nn.Tanh()),
                                  torch.nn.BatchNorm1d(2), torch.nn.Softmax(dim=1))
    assert repr(model) == repr(t_model)


def test_repr_of_a_custom_module_lists_its_children(backend):
    assert repr(TwoLayer()) == (
        "TwoLayer(\n"
        "  (first): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (second): Linear(in_features=4, out_features=2, bias=True)\n"
        ")"
    )


# -- exports ----------------------------------------------------------------------------------------


def test_module_and_parameter_are_exported_for_users_and_plugins():
    import ad_core.extend

    assert {"Module", "Parameter"} <= set(ad.nn.__all__)
    assert ad_core.extend.Module is ad.nn.Module and ad_core.extend.Parameter is ad.nn.Parameter
    assert {"Linear", "Module", "Parameter"} <= set(dir(ad.nn))


def test_dir_of_ad_nn_in_a_fresh_process_lists_layers_and_loss_modules():
    import subprocess
    import sys

    code = ("import ad_core as ad\n"
            "names = dir(ad.nn)\n"
            "from ad_core.nn.registry import LOSSES\n"
            "wanted = [e.meta['module'] for e in LOSSES.entries.values() if e.meta.get('module')]\n"
            "assert 'Linear' in names and 'Module' in names, names\n"
            "assert set(wanted) <= set(names), (wanted, names)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the module form of a registered loss -----------------------------------------------------------


def halved_squares(input, target, *, reduction="mean", weight=None):
    """Half the squared error, optionally weighted."""
    d = (input - target) ** 2.0 / 2.0
    if weight is not None:
        d = d * weight
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d


@pytest.fixture
def loss_plugin():
    class Losses:
        @hookimpl
        def ad_core_register_losses(register):
            register("halved_squares", halved_squares, module="HalvedSquaresLoss")

    ad.register_plugin(Losses, name="test-losses")
    yield
    ad.unregister_plugin("test-losses")


def test_a_registered_loss_with_a_module_name_becomes_a_module(loss_plugin, backend):
    Loss = ad.nn.HalvedSquaresLoss
    assert issubclass(Loss, Module) and Loss.__name__ == "HalvedSquaresLoss"
    assert ad.nn.HalvedSquaresLoss is Loss  # built once
    assert "Half the squared error" in Loss.__doc__
    x, y = ad.tensor([1.0, 3.0]), ad.tensor([1.0, 1.0])
    assert Loss()(x, y).item() == 1.0
    assert Loss(reduction="sum")(x, y).item() == 2.0
    assert Loss("none")(x, y).tolist() == [0.0, 2.0]
    assert "HalvedSquaresLoss" in dir(ad.nn)


def test_a_loss_modules_options_show_in_its_repr_and_unknown_ones_are_refused(loss_plugin, backend):
    assert repr(ad.nn.HalvedSquaresLoss()) == "HalvedSquaresLoss(reduction='mean', weight=None)"
    with pytest.raises(TypeError, match="HalvedSquaresLoss: .*options: reduction, weight"):
        ad.nn.HalvedSquaresLoss(smoothing=0.1)


def test_a_tensor_option_of_a_loss_module_is_a_buffer_that_moves(loss_plugin, backend):
    loss = ad.nn.HalvedSquaresLoss(weight=ad.tensor([1.0, 0.0]))
    assert [n for n, _ in loss.named_buffers()] == ["weight"]
    assert loss(ad.tensor([3.0, 3.0]), ad.tensor([1.0, 1.0])).item() == 1.0
    loss.to("numpy")
    assert loss.weight.backend.name == "numpy"
