"""Adversarial audit of the training front end (losses, optimizers, layers, data, checkpoints):
each test pins a behaviour that once gave a wrong number or an unhelpful error, checked against
torch (float64) or a closed form."""

from __future__ import annotations

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import DTypeError

RNG = np.random.default_rng(11)


def _torch():
    return pytest.importorskip("torch")


# -- cross-entropy and nll: a batch in which every target is ignored ---------------------------


@pytest.mark.filterwarnings("ignore:invalid value encountered", "ignore:divide by zero")
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_gradient_is_zero_when_every_target_is_ignored(backend, smoothing,
                                                                     weighted):
    # torch: the mean over no targets is NaN, but nothing is differentiated: the gradient is 0
    # (a NaN gradient would turn every weight into NaN at the next optimizer step)
    weight = ad.tensor(RNG.uniform(0.5, 2.0, 3)) if weighted else None
    x = ad.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    loss = ad.losses.cross_entropy(x, ad.tensor(np.array([-100, -100])), weight,
                                   label_smoothing=smoothing)
    loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


@pytest.mark.filterwarnings("ignore:invalid value encountered", "ignore:divide by zero")
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_gradient_is_zero_when_every_target_is_ignored(backend, weighted):
    weight = ad.tensor(RNG.uniform(0.5, 2.0, 3)) if weighted else None
    x = ad.tensor(-RNG.uniform(0.5, 2.0, (2, 3)), requires_grad=True)
    loss = ad.losses.nll(x, ad.tensor(np.array([1, 1])), weight, ignore_index=1)
    loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


# -- optimizers: a state dict saved by torch.optim ---------------------------------------------

#: optimizer -> hyperparameters (every optimizer whose state counts steps)
STEPPED = {
    "Adam": {"lr": 0.1, "amsgrad": True},
    "AdamW": {"lr": 0.1, "weight_decay": 0.3},
    "RMSprop": {"lr": 0.05, "centered": True, "momentum": 0.5},
    "Adagrad": {"lr": 0.1, "lr_decay": 0.1},
}


def _objective(w, lib):
    """A smooth function of one parameter with a different gradient at every step."""
    return (lib.sin(w) * w + 0.3 * w**3.0).sum() if lib is not ad else ad.sum(
        ad.sin(w) * w + 0.3 * w**3.0)


@pytest.mark.parametrize("name", list(STEPPED))
def test_a_torch_optimizer_state_dict_resumes_as_torch_continues(backend, name):
    # torch keeps `step` as a 0-d float tensor; it must come back as the step count
    torch = _torch()
    start = RNG.standard_normal(4)
    t_w = torch.tensor(start, requires_grad=True)
    t_opt = getattr(torch.optim, name)([t_w], **STEPPED[name])
    for _ in range(3):
        t_opt.zero_grad()
        _objective(t_w, torch).backward()
        t_opt.step()
    a_w = ad.tensor(t_w.detach().numpy().copy(), requires_grad=True)
    a_opt = getattr(ad.optim, name)([a_w], **STEPPED[name])
    a_opt.load_state_dict(t_opt.state_dict())
    for _ in range(3):
        for w, opt, lib in ((t_w, t_opt, torch), (a_w, a_opt, ad)):
            opt.zero_grad()
            _objective(w, lib).backward()
            opt.step()
    np.testing.assert_allclose(a_w.numpy(), t_w.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert a_opt.state_dict()["state"][0]["step"] == 6


# -- load_state_dict copies: the source may change afterwards ----------------------------------


def test_load_state_dict_copies_numpy_arrays(backend):
    layer = ad.nn.Linear(2, 1)
    weight = np.array([[1.0, 2.0]], dtype=np.float32)
    layer.load_state_dict({"weight": weight, "bias": np.zeros(1, dtype=np.float32)})
    weight += 10.0                                       # the caller reuses its buffer
    assert layer.weight.tolist() == [[1.0, 2.0]]


def test_load_state_dict_copies_a_live_torch_models_weights(backend):
    # as torch's load_state_dict: training the torch model afterwards leaves ours alone
    torch = _torch()
    source = torch.nn.Linear(2, 1)
    layer = ad.nn.Linear(2, 1)
    layer.load_state_dict(source.state_dict())
    before = layer.weight.numpy().copy()
    with torch.no_grad():
        source.weight.add_(1.0)
    np.testing.assert_array_equal(layer.weight.numpy(), before)


def test_load_state_dict_copies_an_ad_core_models_tensors(backend):
    model = ad.nn.Linear(2, 1)
    fresh = ad.nn.Linear(2, 1)
    fresh.load_state_dict(model.state_dict())
    fresh.weight.numpy()[...] = 0.0   # writes through on CPU backends that share memory
    assert float(ad.sum(ad.abs(model.weight))) > 0.0


def test_optimizer_load_state_dict_copies_a_live_torch_optimizers_state(backend):
    torch = _torch()
    t_w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    t_opt = torch.optim.SGD([t_w], lr=0.1, momentum=0.9)
    (t_w * t_w).sum().backward()
    t_opt.step()
    a_w = ad.tensor([1.0, 2.0], requires_grad=True)
    a_opt = ad.optim.SGD([a_w], lr=0.1, momentum=0.9)
    a_opt.load_state_dict(t_opt.state_dict())
    t_opt.step()                                         # updates torch's buffer in place
    np.testing.assert_array_equal(a_opt.state[a_w]["momentum_buffer"].numpy(), [2.0, 4.0])


# -- functional_call with tied weights ---------------------------------------------------------


class _Tied(ad.nn.Module):
    """A decoder that reuses its encoder's weight (as language models tie embeddings)."""

    def __init__(self):
        super().__init__()
        self.enc = ad.nn.Linear(3, 3, bias=False, dtype=ad.float64)
        self.dec = ad.nn.Linear(3, 3, bias=False, dtype=ad.float64)
        self.dec.weight = self.enc.weight

    def forward(self, x):
        return self.dec(ad.tanh(self.enc(x)))


def test_functional_call_swaps_every_use_of_a_tied_weight(backend):
    # as torch.func.functional_call (tie_weights=True): the gradient counts both uses
    model = _Tied()
    x = ad.tensor(RNG.standard_normal((2, 3)))
    params = {name: p.detach() for name, p in model.named_parameters()}   # 'enc.weight' only
    grads = ad.grad(lambda ps: ad.sum(ad.nn.functional_call(model, ps, x) ** 2.0))(params)
    ad.sum(model(x) ** 2.0).backward()
    np.testing.assert_allclose(grads["enc.weight"].numpy(), model.enc.weight.grad.numpy(),
                               rtol=1e-12, atol=1e-14)


def test_functional_call_refuses_different_values_for_tied_weights(backend):
    model = _Tied()
    w = model.enc.weight.detach()
    with pytest.raises(ValueError, match="tied"):
        ad.nn.functional_call(model, {"enc.weight": w, "dec.weight": w * 2.0},
                              ad.tensor(np.ones((1, 3))))
    same = ad.nn.functional_call(model, {"enc.weight": w, "dec.weight": w},
                                 ad.tensor(np.ones((1, 3))))
    np.testing.assert_array_equal(same.numpy(), model(ad.tensor(np.ones((1, 3)))).numpy())


# -- class indices of narrow integer dtypes (uint8 segmentation masks) -------------------------


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32"])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll"])
def test_class_indices_of_any_integer_dtype_give_torchs_loss(backend, dtype, loss):
    # 100 samples of 10 classes: flat positions i·C + t up to 999 overflow 8-bit integers
    torch = _torch()
    x = RNG.standard_normal((100, 10))
    t = RNG.integers(0, 10, 100)
    t[3] = 7 if dtype != "uint8" else 255                 # ignored (uint8 cannot hold -100)
    ignore = 255 if dtype == "uint8" else 7
    expected = getattr(torch.nn.functional, "nll_loss" if loss == "nll" else loss)(
        torch.tensor(x), torch.tensor(t), ignore_index=ignore).item()
    got = getattr(ad.losses, loss)(ad.tensor(x), ad.tensor(t.astype(dtype)), ignore_index=ignore)
    assert got.item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32"])
def test_embedding_takes_indices_of_any_integer_dtype(backend, dtype):
    table = ad.nn.Embedding(300, 2, padding_idx=3)
    indices = np.array([[3, 100], [5, 3]], dtype=dtype)
    out = table(ad.tensor(indices))
    np.testing.assert_array_equal(out.numpy(), table.weight.numpy()[indices.astype(np.int64)])
    out.sum().backward()
    rows = np.flatnonzero(table.weight.grad.numpy().sum(axis=1))
    assert rows.tolist() == [5, 100]                       # the padding row gets nothing


# -- DataLoader: shuffling follows ad.random.seed ----------------------------------------------


def _epochs(loader, count=2):
    return [[yb.tolist() for _, yb in loader] for _ in range(count)]


def test_shuffling_without_a_seed_follows_ad_random_seed(backend):
    # as torch's DataLoader follows torch.manual_seed: one seed makes a whole run reproducible
    data = np.arange(20.0).reshape(10, 2), np.arange(10)
    ad.random.seed(5)
    first = _epochs(ad.data.DataLoader(*data, batch_size=4, shuffle=True))
    ad.random.seed(5)
    again = _epochs(ad.data.DataLoader(*data, batch_size=4, shuffle=True))
    ad.random.seed(6)
    other = _epochs(ad.data.DataLoader(*data, batch_size=4, shuffle=True))
    assert first == again and first != other
    assert first[0] != first[1]                            # still a new order every epoch


def test_a_loader_without_shuffling_draws_nothing_from_ad_random(backend):
    ad.random.seed(5)
    expected = ad.random.normal((3,), dtype=ad.float64).tolist()
    ad.random.seed(5)
    ad.data.DataLoader(np.zeros((4, 1)), batch_size=2)
    assert ad.random.normal((3,), dtype=ad.float64).tolist() == expected


# -- torch tensors that require grad: ad_core keeps its own tape, not torch's ------------------


def test_a_parameter_made_from_a_torch_parameter_does_not_grow_a_torch_graph():
    # torch's autograd on the raw array would chain every optimizer step onto the last one
    torch = _torch()
    source = torch.nn.Linear(2, 1)
    p = ad.nn.Parameter(source.weight)
    opt = ad.optim.SGD([p], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        ad.sum(p * p).backward()
        opt.step()
    assert not p.array.requires_grad and p.array.grad_fn is None
    with ad.backend("torch"):
        x = ad.tensor(torch.ones(2, requires_grad=True))
        assert not (x * 2.0).array.requires_grad


# -- checkpoints: a dtype the target backend cannot hold ---------------------------------------


def test_loading_float16_where_the_backend_has_none_names_the_entry_and_backend(backend, tmp_path):
    path = str(tmp_path / "half.adckpt")
    ad.save({"model": {"w": ad.tensor(np.array([1.5, 2.0], dtype=np.float16), backend="numpy")}},
            path)
    with pytest.raises(DTypeError, match=r"float16.*array_api_strict"):
        ad.load(path, backend="array_api_strict")
    assert ad.load(path, backend="numpy")["model"]["w"].tolist() == [1.5, 2.0]


# -- integer targets of the elementwise losses ---------------------------------------------------


@pytest.mark.parametrize("name", ["mse", "l1", "huber", "binary_cross_entropy_with_logits"])
def test_integer_targets_count_as_floats_of_the_inputs_dtype(backend, name):
    # labels loaded as integers (0/1, counts): the same loss as float targets on every backend,
    # in the input's dtype (float32 stays float32)
    x = ad.tensor(np.array([0.3, -1.0, 2.0]), dtype=ad.float32, requires_grad=True)
    labels = np.array([1, 0, 1])
    expected = getattr(ad.losses, name)(x, ad.tensor(labels, dtype=ad.float32))
    got = getattr(ad.losses, name)(x, ad.tensor(labels))
    assert got.dtype == ad.float32
    assert got.item() == pytest.approx(expected.item(), rel=1e-6)
    got.backward()
    assert x.grad.dtype == ad.float32
