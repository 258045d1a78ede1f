"""ad_core's first example: the lecture's worked example, then an MLP trained by gradient descent.

Runs on any backend chosen at run time:

    python examples/quickstart.py --backend numpy
    python examples/quickstart.py --backend torch
    python examples/quickstart.py --backend torch --device cuda

Part 1 is the lecture's group activity, y = w2ᵀ tanh(W1 x + b), with the gradients reverse mode
finds printed beside the hand-derived formulas. Part 2 fits f(x) = W2 tanh(W1 x + b1) + b2 to a
generated two-spiral data set, written exactly like the lecture's torch snippets (tensors with
requires_grad, log_softmax, a negative log-likelihood, .backward(), a gradient step), stopping
when |f(x_{t+1}) - f(x_t)| < tolerance.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import ad_core as ad


def group_activity() -> None:
    W1 = ad.tensor([[-1.0, 1.0], [0.5, 0.5]], requires_grad=True)
    x = ad.tensor([0.5, 1.0])
    b = ad.tensor([0.0, 0.0], requires_grad=True)
    w2 = ad.tensor([1.0, -2.0], requires_grad=True)

    z1 = W1 @ x + b
    x1 = ad.tanh(z1)
    y = ad.vecdot(w2, x1)
    y.backward()

    dz = w2.numpy() * (1 - np.tanh(z1.numpy()) ** 2)
    print("Part 1: y = w2ᵀ tanh(W1 x + b)")
    print(f"  y = {y.item():.6f}")
    print(f"  dy/dw2 = {w2.grad.numpy()}   tanh(z1)              = {np.tanh(z1.numpy())}")
    print(f"  dy/db  = {b.grad.numpy()}   w2 ⊙ (1 - tanh²(z1))  = {dz}")
    print(f"  dy/dW1 =\n{W1.grad.numpy()}\n  (w2 ⊙ (1 - tanh²(z1))) xᵀ =\n{np.outer(dz, x.numpy())}")


def spirals(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals: a data set no linear model separates."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.05, 1.0, n)) * 3 * math.pi
    labels = rng.integers(0, 2, n)
    sign = np.where(labels == 0, 1.0, -1.0)
    points = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], axis=1) / (3 * math.pi)
    return (points + rng.normal(0, 0.02, points.shape)).astype(np.float32), labels


def train(steps: int, hidden: int, lr: float, tolerance: float) -> float:
    X_np, y_np = spirals(512)
    X, y = ad.tensor(X_np), ad.tensor(y_np)
    rng = np.random.default_rng(1)
    W1 = ad.tensor(rng.normal(0, 1 / math.sqrt(2), (2, hidden)).astype(np.float32), requires_grad=True)
    b1 = ad.tensor(np.zeros(hidden, np.float32), requires_grad=True)
    W2 = ad.tensor(rng.normal(0, 1 / math.sqrt(hidden), (hidden, 2)).astype(np.float32), requires_grad=True)
    b2 = ad.tensor(np.zeros(2, np.float32), requires_grad=True)
    params = [W1, b1, W2, b2]
    rows = ad.arange(X_np.shape[0])

    def loss_fn() -> ad.Tensor:
        logits = ad.tanh(X @ W1 + b1) @ W2 + b2
        return -ad.mean(ad.log_softmax(logits, axis=-1)[rows, y])

    print(f"\nPart 2: gradient descent on two spirals ({ad.get_backend().name}, {ad.get_device()})")
    previous = math.inf
    start = time.perf_counter()
    for step in range(steps):
        loss = loss_fn()
        for p in params:
            p.grad = None
        loss.backward()
        with ad.no_grad():
            for p in params:
                p.data = p - lr * p.grad  # x_{t+1} = x_t - α ∇f(x_t)
        value = loss.item()
        if step % 200 == 0:
            print(f"  step {step:5d}  loss {value:.4f}")
        if abs(previous - value) < tolerance:
            print(f"  stopped at step {step}: |f(x_t+1) - f(x_t)| = {abs(previous - value):.2e} < {tolerance}")
            break
        previous = value
    with ad.no_grad():
        logits = ad.tanh(X @ W1 + b1) @ W2 + b2
        accuracy = float(np.mean(np.argmax(logits.numpy(), axis=1) == y_np))
    print(f"  final loss {value:.4f}, training accuracy {accuracy:.3f}, "
          f"{time.perf_counter() - start:.2f} s")
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="numpy", help=f"one of {ad.available_backends()}")
    parser.add_argument("--device", default=None, help="e.g. cpu, cuda, cuda:1")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--tolerance", type=float, default=1e-7)
    args = parser.parse_args()
    ad.set_backend(args.backend, args.device)
    group_activity()
    train(args.steps, args.hidden, args.lr, args.tolerance)


if __name__ == "__main__":
    main()
