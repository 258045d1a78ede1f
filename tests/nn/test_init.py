"""Seeded random numbers (``ad.random``) and the initializers (``ad.init``): statistics, bounds,
in-place filling, and the same values from the same seed on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import DTypeError, ShapeError
from ad_core.nn import Parameter


def on_numpy(fn):
    """``fn()``'s values computed with the numpy backend in force: the cross-backend reference."""
    with ad.backend("numpy"):
        return fn().numpy()


# -- ad.random -----------------------------------------------------------------------------------------


def test_the_same_seed_gives_numpys_own_numbers_on_every_backend(backend):
    ad.random.seed(7)
    got = ad.random.normal((3, 4), 1.0, 2.0, dtype="float64")
    assert got.backend.name == backend.name
    expected = np.random.default_rng(7).normal(1.0, 2.0, (3, 4))
    np.testing.assert_array_equal(got.numpy(), expected)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_tensors_are_identical_across_backends_for_a_dtype(backend, dtype):
    def draw():
        return ad.random.Generator(3).uniform((5,), -2.0, 3.0, dtype=dtype)

    got = draw()
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), on_numpy(draw))


def test_the_default_dtype_is_the_backends_default_floating_dtype(backend):
    assert ad.random.normal((2,)).dtype == ad.tensor([0.5]).dtype


def test_like_gives_the_tensors_backend_dtype_and_device(backend):
    like = ad.tensor([1.0], dtype="float32")
    with ad.backend("numpy"):
        out = ad.random.uniform((2,), like=like)
    assert out.backend.name == backend.name and out.dtype == ad.float32


def test_uniform_samples_lie_in_their_interval_with_the_right_mean(backend):
    x = ad.random.uniform((20000,), -1.0, 3.0, dtype="float64").numpy()
    assert x.min() >= -1.0 and x.max() < 3.0
    assert abs(x.mean() - 1.0) < 0.05


def test_normal_samples_have_the_right_mean_and_std(backend):
    x = ad.random.normal((20000,), 2.0, 0.5, dtype="float64").numpy()
    assert abs(x.mean() - 2.0) < 0.02 and abs(x.std() - 0.5) < 0.02


def test_bernoulli_gives_zeros_and_ones_with_probability_p(backend):
    x = ad.random.bernoulli(0.25, (20000,), dtype="float32").numpy()
    assert set(np.unique(x)) <= {0.0, 1.0} and abs(x.mean() - 0.25) < 0.02


def test_integers_and_permutation(backend):
    ints = ad.random.integers(2, 5, (1000,))
    assert ints.dtype == ad.int64 and set(np.unique(ints.numpy())) == {2, 3, 4}
    perm = ad.random.permutation(10).numpy()
    assert sorted(perm) == list(range(10))


@pytest.mark.parametrize(("rows", "cols"), [(5, 3), (3, 5), (4, 4)])
def test_orthogonal_has_orthonormal_rows_or_columns(backend, rows, cols):
    q = ad.random.orthogonal(rows, cols, dtype="float64").numpy()
    small = q.T @ q if rows >= cols else q @ q.T
    np.testing.assert_allclose(small, np.eye(min(rows, cols)), atol=1e-12)


def test_a_generator_is_a_separate_stream_and_its_state_can_be_saved(backend):
    g = ad.random.Generator(0)
    state = g.get_state()
    first = g.normal((3,), dtype="float64").numpy()
    ad.random.normal((3,))  # the global stream does not disturb g
    g.set_state(state)
    np.testing.assert_array_equal(g.normal((3,), dtype="float64").numpy(), first)


def test_the_global_state_can_be_saved_and_restored(backend):
    state = ad.random.get_state()
    a = ad.random.uniform((4,), dtype="float64").numpy()
    ad.random.set_state(state)
    np.testing.assert_array_equal(ad.random.uniform((4,), dtype="float64").numpy(), a)


def test_random_refuses_bad_arguments(backend):
    with pytest.raises(ValueError, match="std must be >= 0"):
        ad.random.normal((2,), std=-1.0)
    with pytest.raises(ValueError, match="needs low <= high"):
        ad.random.uniform((2,), 1.0, 0.0)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        ad.random.bernoulli(2.0, (2,))
    with pytest.raises(DTypeError, match="real floating dtype"):
        ad.random.normal((2,), dtype="int32")
    with pytest.raises(TypeError, match="seed must be an int"):
        ad.random.generator("seven")


# -- ad.init: statistics ---------------------------------------------------------------------------------

SHAPE = (200, 300)  # fan_out 200, fan_in 300


def weight(dtype: str = "float32") -> Parameter:
    return Parameter(np.zeros(SHAPE), dtype=dtype)


def test_xavier_uniform_is_bounded_by_the_glorot_limit(backend):
    w = ad.init.xavier_uniform_(weight(), gain=2.0, seed=0).numpy()
    bound = 2.0 * math.sqrt(6.0 / 500)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound and abs(w.mean()) < 0.01 * bound


def test_xavier_normal_has_the_glorot_std(backend):
    w = ad.init.xavier_normal_(weight(), seed=0).numpy()
    std = math.sqrt(2.0 / 500)
    assert abs(w.std() - std) < 0.02 * std and abs(w.mean()) < 0.02 * std


@pytest.mark.parametrize(("mode", "fan"), [("fan_in", 300), ("fan_out", 200)])
@pytest.mark.parametrize(("nonlinearity", "a", "gain"), [
    ("relu", 0.0, math.sqrt(2.0)),
    ("leaky_relu", math.sqrt(5.0), math.sqrt(1.0 / 3.0)),
    ("tanh", 0.0, 5.0 / 3.0),
])
def test_kaiming_uniform_bound_and_kaiming_normal_std(backend, mode, fan, nonlinearity, a, gain):
    u = ad.init.kaiming_uniform_(weight(), a=a, mode=mode, nonlinearity=nonlinearity, seed=1).numpy()
    bound = gain * math.sqrt(3.0 / fan)
    assert np.abs(u).max() <= bound * (1 + 1e-6) and np.abs(u).max() > 0.99 * bound
    n = ad.init.kaiming_normal_(weight(), a=a, mode=mode, nonlinearity=nonlinearity, seed=1).numpy()
    assert abs(n.std() - gain / math.sqrt(fan)) < 0.02 * gain / math.sqrt(fan)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3)])
def test_orthogonal_init_gives_orthonormal_rows_or_columns_times_gain(backend, shape):
    w = ad.init.orthogonal_(Parameter(np.zeros(shape), dtype="float64"), gain=2.0, seed=0).numpy()
    m = w.reshape(shape[0], -1)
    small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(small, 4.0 * np.eye(min(m.shape)), atol=1e-12)


def test_normal_and_uniform_and_constants(backend):
    n = ad.init.normal_(weight(), 1.0, 0.1, seed=0).numpy()
    assert abs(n.mean() - 1.0) < 0.005 and abs(n.std() - 0.1) < 0.005
    u = ad.init.uniform_(weight(), -0.5, 0.25, seed=0).numpy()
    assert u.min() >= -0.5 and u.max() < 0.25
    assert ad.init.constant_(weight(), 0.3).numpy() == pytest.approx(np.full(SHAPE, 0.3))
    assert not ad.init.zeros_(ad.init.ones_(weight())).numpy().any()
    assert (ad.init.ones_(weight()).numpy() == 1.0).all()


def test_calculate_gain_is_torchs():
    torch = pytest.importorskip("torch")
    for name in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"]:
        assert ad.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert ad.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2))
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        ad.init.calculate_gain("swish")


def test_fans_of_matrices_and_convolution_kernels():
    assert ad.init.calculate_fans(Parameter(np.zeros((4, 3)))) == (3, 4)
    assert ad.init.calculate_fans(Parameter(np.zeros((8, 3, 5, 5)))) == (75, 200)
    with pytest.raises(ShapeError, match="at least 2 dimensions"):
        ad.init.xavier_uniform_(Parameter(np.zeros(3)))


# -- ad.init: in place, seeded, the same everywhere ---------------------------------------------------------

INITIALIZERS = {
    "xavier_uniform_": lambda p, s: ad.init.xavier_uniform_(p, seed=s),
    "xavier_normal_": lambda p, s: ad.init.xavier_normal_(p, seed=s),
    "kaiming_uniform_": lambda p, s: ad.init.kaiming_uniform_(p, a=math.sqrt(5), seed=s),
    "kaiming_normal_": lambda p, s: ad.init.kaiming_normal_(p, mode="fan_out", seed=s),
    "orthogonal_": lambda p, s: ad.init.orthogonal_(p, seed=s),
    "normal_": lambda p, s: ad.init.normal_(p, seed=s),
    "uniform_": lambda p, s: ad.init.uniform_(p, seed=s),
}


@pytest.mark.parametrize("name", INITIALIZERS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_initializers_fill_in_place_and_are_identical_on_every_backend(backend, name, dtype):
    p = Parameter(np.zeros((4, 6)), dtype=dtype)
    assert INITIALIZERS[name](p, 11) is p
    assert p.dtype == dtype and p.backend.name == backend.name and p.requires_grad
    expected = on_numpy(lambda: INITIALIZERS[name](Parameter(np.zeros((4, 6)), dtype=dtype), 11))
    np.testing.assert_array_equal(p.numpy(), expected)


@pytest.mark.parametrize("name", INITIALIZERS)
def test_initializers_without_a_seed_follow_the_global_generator(backend, name):
    ad.random.seed(5)
    a = INITIALIZERS[name](weight(), None).numpy()
    b = INITIALIZERS[name](weight(), None).numpy()
    ad.random.seed(5)
    np.testing.assert_array_equal(INITIALIZERS[name](weight(), None).numpy(), a)
    assert (a != b).any()


def test_a_generator_can_be_passed_as_the_seed(backend):
    g = ad.random.Generator(2)
    a = ad.init.normal_(weight(), seed=g).numpy()
    b = ad.init.normal_(weight(), seed=g).numpy()
    assert (a != b).any()
    np.testing.assert_array_equal(ad.init.normal_(weight(), seed=ad.random.Generator(2)).numpy(), a)


def test_initializers_keep_the_parameter_inside_its_module(backend):
    layer = ad.nn.Linear(3, 2)
    w = layer.weight
    ad.init.zeros_(layer.weight)
    assert layer.weight is w and not layer.weight.numpy().any()
    assert [p for p in layer.parameters()][0] is w


def test_model_apply_with_an_initializer(backend):
    def init(m):
        if isinstance(m, ad.nn.Linear):
            ad.init.xavier_uniform_(m.weight, seed=0)
            ad.init.zeros_(m.bias)

    model = ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.Tanh(), ad.nn.Linear(4, 2)).apply(init)
    assert not model[0].bias.numpy().any()
    expected = ad.init.xavier_uniform_(Parameter(np.zeros((4, 3)), dtype="float32"), seed=0)
    np.testing.assert_array_equal(model[0].weight.numpy(), expected.numpy())


# -- the layers' default initialisation ---------------------------------------------------------------------


def test_linear_starts_like_torch_kaiming_uniform_with_a_sqrt5_and_a_matching_bias(backend):
    layer = ad.nn.Linear(300, 200, dtype="float64")
    bound = 1.0 / math.sqrt(300)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(b).max() <= bound
    assert layer.weight.dtype == ad.float64 and ad.nn.Linear(2, 2).weight.dtype == ad.float32


def test_a_seeded_model_is_the_same_model_on_every_backend(backend):
    def build():
        ad.random.seed(0)
        return ad.nn.Sequential(ad.nn.Linear(4, 8), ad.nn.Embedding(5, 2),
                                ad.nn.LayerNorm(8), ad.nn.BatchNorm1d(8))

    here = build().state_dict()
    with ad.backend("numpy"):
        reference = build().state_dict()
    for key, value in reference.items():
        assert here[key].backend.name == backend.name
        np.testing.assert_array_equal(here[key].numpy(), value.numpy(), err_msg=key)
