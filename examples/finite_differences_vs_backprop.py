"""The cost of a gradient: central finite differences (2D forward passes) against reverse mode.

    python examples/finite_differences_vs_backprop.py [--backend numpy] [--sizes 4,16,64,256]
                                                      [--plot fd_vs_backprop.png]

For a loss L(w) = mean(tanh(X W) ** 2) with D = width² parameters, finite differences need two
evaluations of L per parameter, (L(w + εeᵢ) − L(w − εeᵢ)) / 2ε, so their cost grows with D;
reverse mode gets every component from one forward and one backward pass, about twice a forward
pass whatever D is. The table shows both times, their ratio, and that the gradients agree.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ad_core as ad

EPS = 1e-6


def loss(W: ad.Tensor, X: ad.Tensor) -> ad.Tensor:
    return ad.mean(ad.tanh(X @ W) ** 2.0)


def finite_differences(W_np: np.ndarray, X: ad.Tensor) -> np.ndarray:
    """Central differences, one parameter at a time: 2D evaluations of the loss."""
    grad = np.zeros_like(W_np)
    flat = W_np.reshape(-1)
    with ad.no_grad():
        for i in range(flat.size):
            saved = flat[i]
            flat[i] = saved + EPS
            up = loss(ad.tensor(W_np), X).item()
            flat[i] = saved - EPS
            down = loss(ad.tensor(W_np), X).item()
            flat[i] = saved
            grad.reshape(-1)[i] = (up - down) / (2 * EPS)
    return grad


def reverse_mode(W_np: np.ndarray, X: ad.Tensor) -> np.ndarray:
    W = ad.tensor(W_np, requires_grad=True)
    loss(W, X).backward()
    return W.grad.numpy()


def timed(fn, *args):  # noqa: ANN001, ANN202 - a tiny local helper
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--device", default=None)
    parser.add_argument("--sizes", default="4,16,64,256,1024",
                        help="numbers of parameters D (each a perfect square)")
    parser.add_argument("--plot", default=None, help="write a PNG of time against D here")
    args = parser.parse_args()
    ad.set_backend(args.backend, args.device)
    rng = np.random.default_rng(0)

    rows = []
    print(f"{'D':>6} {'finite diff':>12} {'reverse':>10} {'ratio':>8} {'max |diff|':>11}")
    for D in (int(s) for s in args.sizes.split(",")):
        width = int(round(D**0.5))
        X = ad.tensor(rng.standard_normal((32, width)))
        W_np = rng.standard_normal((width, width)) / width
        reverse_mode(W_np, X)  # warm-up
        g_fd, t_fd = timed(finite_differences, W_np.copy(), X)
        g_rev, t_rev = timed(reverse_mode, W_np, X)
        diff = float(np.max(np.abs(g_fd - g_rev)))
        rows.append((D, t_fd, t_rev))
        print(f"{D:>6} {t_fd * 1e3:>10.2f}ms {t_rev * 1e3:>8.2f}ms {t_fd / t_rev:>8.1f} {diff:>11.2e}")
        assert diff < 1e-6, "finite differences and reverse mode disagree"

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        D, t_fd, t_rev = (np.array(c) for c in zip(*rows, strict=True))
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.loglog(D, t_fd * 1e3, "o-", label="central finite differences (2D passes)")
        ax.loglog(D, t_rev * 1e3, "s-", label="reverse mode (one backward pass)")
        ax.set_xlabel("number of parameters D")
        ax.set_ylabel("time per gradient (ms)")
        ax.set_title(f"Gradient cost on {ad.get_backend().name}")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
