"""Forward against reverse mode, measured: the lecture's comparison with ad_core's own transforms.

    python examples/forward_vs_reverse.py [--backend numpy] [--widths 4,16,64] [--depth 4]
                                          [--plot forward_vs_reverse.png]

1. The Jacobian of a chain of ``depth`` layers ``x -> tanh(W x)`` of width M from an input of
   width M to a scalar (their sum) and to a vector of width M. Forward mode builds the Jacobian
   one column per input element (M JVPs), reverse mode one row per output element (M VJPs for
   the vector output, a single one for the scalar). Each JVP or VJP pushes one vector through
   the chain, M² multiply-adds per layer, so forming the Jacobian costs depth·M³ either way when
   it is square, while for a scalar output reverse mode costs depth·M², M times less.
2. The gradient of a scalar loss with P parameters: by forward mode, one JVP per parameter (P
   passes), against one reverse pass. The table shows the factor, close to P as the lecture
   predicts (each pass costing about the same).

Times are medians of a few runs on this machine; the multiply-add counts are the theory.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import ad_core as ad


def chain(weights: list[ad.Tensor]) -> Callable[[ad.Tensor], ad.Tensor]:
    def f(x: ad.Tensor) -> ad.Tensor:
        for W in weights:
            x = ad.tanh(W @ x)
        return x

    return f


def timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def jacobian_rows(m: int, depth: int, rng: np.random.Generator) -> list[tuple[Any, ...]]:
    """Both outputs (vector and scalar) of a chain of width ``m``: counts, times, agreement."""
    weights = [ad.tensor(rng.standard_normal((m, m)) / np.sqrt(m)) for _ in range(depth)]
    f = chain(weights)
    x = ad.tensor(rng.standard_normal(m))
    rows = []
    for name, fn in (("vector", f), ("scalar", lambda y: ad.sum(f(y)))):
        forward, reverse = ad.jacobian(fn, mode="forward"), ad.jacobian(fn, mode="reverse")
        agree = float(np.max(np.abs(forward(x).numpy() - reverse(x).numpy())))
        t_fwd = timed(lambda forward=forward: forward(x))
        t_rev = timed(lambda reverse=reverse: reverse(x))
        outputs = m if name == "vector" else 1
        rows.append((m, name, m * depth * m * m, outputs * depth * m * m, t_fwd * 1e3,
                     t_rev * 1e3, t_fwd / t_rev, agree))
    return rows


def gradient_row(m: int, rng: np.random.Generator) -> tuple[Any, ...]:
    """A scalar loss of a width-m layer: P = m² parameters, one JVP each against one VJP."""
    X = ad.tensor(rng.standard_normal((8, m)))
    W = ad.tensor(rng.standard_normal((m, m)) / np.sqrt(m))

    def loss(w: ad.Tensor) -> ad.Tensor:
        return ad.mean(ad.tanh(X @ w) ** 2.0)

    basis = np.eye(m * m).reshape(m * m, m, m)

    def by_forward() -> np.ndarray:
        return np.array([ad.jvp(loss, (W,), (ad.tensor(e),))[1].item() for e in basis])

    def by_reverse() -> np.ndarray:
        return ad.grad(loss)(W).numpy().reshape(-1)

    agree = float(np.max(np.abs(by_forward() - by_reverse())))
    t_fwd, t_rev = timed(by_forward, repeat=1), timed(by_reverse)
    return (m * m, t_fwd * 1e3, t_rev * 1e3, t_fwd / t_rev, agree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--device", default=None)
    parser.add_argument("--widths", default="4,16,64")
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--plot", default=None, help="save a plot here (needs matplotlib)")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    with ad.backend(args.backend, args.device):
        rng = np.random.default_rng(0)
        jac = [row for m in widths for row in jacobian_rows(m, args.depth, rng)]
        grad = [gradient_row(m, rng) for m in widths if m <= 16]

    print(f"Jacobian of a chain of {args.depth} tanh layers of width M (float64, {args.backend})")
    print(f"{'M':>5} {'output':>7} {'fwd madds':>11} {'rev madds':>11} {'fwd ms':>9} {'rev ms':>9}"
          f" {'fwd/rev':>8} {'max |diff|':>11}")
    for m, name, f_ops, r_ops, t_f, t_r, ratio, diff in jac:
        print(f"{m:>5} {name:>7} {f_ops:>11} {r_ops:>11} {t_f:>9.2f} {t_r:>9.2f} {ratio:>8.2f} "
              f"{diff:>11.1e}")
    print("\nGradient of a scalar loss with P parameters: P JVPs against one reverse pass")
    print(f"{'P':>6} {'forward ms':>11} {'reverse ms':>11} {'ratio':>8} {'max |diff|':>11}")
    for p, t_f, t_r, ratio, diff in grad:
        print(f"{p:>6} {t_f:>11.2f} {t_r:>11.2f} {ratio:>8.1f} {diff:>11.1e}")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for name, style in (("vector", "-"), ("scalar", "--")):
            ms = [r[0] for r in jac if r[1] == name]
            ax.loglog(ms, [r[4] for r in jac if r[1] == name], "o" + style, label=f"forward, {name} output")
            ax.loglog(ms, [r[5] for r in jac if r[1] == name], "s" + style, label=f"reverse, {name} output")
        ax.set_xlabel("width M")
        ax.set_ylabel("time to form the Jacobian (ms)")
        ax.set_title(f"chain of {args.depth} layers: forward vs reverse mode")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"\nplot saved to {args.plot}")


if __name__ == "__main__":
    main()
