"""The lecture's algorithms and worked examples (../shared/seed/), as every user will try them."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ad_core as ad
from ad_core.testing import gradcheck

W1 = [[-1.0, 1.0], [0.5, 0.5]]
X = [0.5, 1.0]
B = [0.0, 0.0]
W2 = [1.0, -2.0]  # the slides leave w2 open; any value exercises the same formulas


def test_chain_rule_example_log_squared(backend):
    # z(x) = log(x)^2, dz/dx = 2 log(x) / x
    x = ad.tensor(3.0, dtype=ad.float64, requires_grad=True)
    (ad.log(x) ** 2.0).backward()
    assert x.grad.item() == pytest.approx(2 * math.log(3.0) / 3.0)


def test_group_activity_gradients_match_the_hand_derivation(backend):
    W1_ = ad.tensor(W1, dtype=ad.float64, requires_grad=True)
    x = ad.tensor(X, dtype=ad.float64)
    b = ad.tensor(B, dtype=ad.float64, requires_grad=True)
    w2 = ad.tensor(W2, dtype=ad.float64, requires_grad=True)

    y = ad.vecdot(w2, ad.tanh(W1_ @ x + b))
    y.backward()

    z = np.array(W1) @ np.array(X) + np.array(B)           # z1 = W1 x + b = [0.5, 0.75]
    dz = np.array(W2) * (1 - np.tanh(z) ** 2)               # dy/dz1 = w2 ⊙ tanh'(z1)
    assert y.item() == pytest.approx(float(np.array(W2) @ np.tanh(z)))
    np.testing.assert_allclose(w2.grad.numpy(), np.tanh(z))            # dy/dw2 = tanh(z1)
    np.testing.assert_allclose(W1_.grad.numpy(), np.outer(dz, X))      # dy/dW1 = dz xᵀ
    np.testing.assert_allclose(b.grad.numpy(), dz)                     # dy/db  = dz


def test_reverse_mode_matches_finite_differences_on_the_mlp_of_the_slides(backend):
    rng = np.random.default_rng(0)
    W = [ad.tensor(rng.standard_normal(s) * 0.5) for s in [(4, 3), (4, 4), (2, 4)]]
    x = ad.tensor(rng.standard_normal(3))

    def f(W1, W2, W3):  # f(x) = W3 ρ(W2 ρ(W1 x)) with ρ = tanh
        return W3 @ ad.tanh(W2 @ ad.tanh(W1 @ x))

    assert gradcheck(f, W)


def test_torch_snippet_cost_of_a_matmul(backend):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a_np, b_np, c_np = (rng.standard_normal((5, 5)) for _ in range(3))
    a = ad.tensor(a_np, requires_grad=True)
    b = ad.tensor(b_np, requires_grad=True)
    cost = ad.sum(a @ b - ad.tensor(c_np)) ** 2.0
    cost.backward()

    ta = torch.tensor(a_np, requires_grad=True)
    tb = torch.tensor(b_np, requires_grad=True)
    tcost = torch.sum(torch.matmul(ta, tb) - torch.tensor(c_np)) ** 2
    tcost.backward()
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-5)
    # every column of b.grad is equal, as on the slide
    np.testing.assert_allclose(b.grad.numpy(), b.grad.numpy()[:, :1] * np.ones((1, 5)), rtol=1e-5)


def test_torch_snippet_log_softmax_and_nll(backend):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    w1_np = rng.standard_normal((784, 200)) / math.sqrt(784)
    w2_np = rng.standard_normal((200, 10)) / math.sqrt(784)
    data_np = rng.standard_normal((5, 784))
    targets_np = rng.integers(0, 10, 5)

    weights = ad.tensor(w1_np, requires_grad=True)
    bias = ad.tensor(np.zeros(200), requires_grad=True)
    weights2 = ad.tensor(w2_np, requires_grad=True)
    bias2 = ad.tensor(np.zeros(10), requires_grad=True)

    def log_softmax(x):  # as written on the slide
        return x - ad.expand_dims(ad.log(ad.sum(ad.exp(x), axis=-1)), axis=-1)

    def model(x):
        out = ad.relu(x @ weights + bias)
        return log_softmax(out @ weights2 + bias2)

    def nll(inp, target):
        return -ad.mean(inp[ad.arange(target.shape[0]), target])

    output = nll(model(ad.tensor(data_np)), ad.tensor(targets_np))
    output.backward()

    tw = [torch.tensor(a, requires_grad=True) for a in (w1_np, np.zeros(200), w2_np, np.zeros(10))]
    out = torch.relu(torch.tensor(data_np) @ tw[0] + tw[1]) @ tw[2] + tw[3]
    out = out - out.exp().sum(-1).log().unsqueeze(-1)
    tloss = -out[range(5), torch.tensor(targets_np)].mean()
    tloss.backward()

    assert output.item() == pytest.approx(tloss.item(), rel=1e-6)
    for ours, theirs in zip((weights, bias, weights2, bias2), tw, strict=True):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-8)
