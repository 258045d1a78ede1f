"""Gradient descent and its relatives on a 2-D problem, drawn over its contour lines.

    python examples/gradient_descent_2d.py [--backend numpy] [--plot gd_2d.png]

Least squares with two parameters, L(w) = 1/(2n) ‖X w − y‖², on data whose features have very
different scales, so the contours are long thin ellipses (the slides' "gradient descent in 2D").
Each method starts from the same point:

- GD: full-batch gradient descent, w ← w − α ∇L(w), until |L(w_{t+1}) − L(w_t)| < tolerance;
- SGD: the gradient of one sample's loss per step;
- mini-batch SGD: the gradient over 16 samples per step;
- momentum and Adam: full-batch, with torch.optim's update rules (ad.optim.SGD, ad.optim.Adam).

The stochastic methods never settle exactly, so they run a fixed number of steps. The table
gives each method's steps, final loss and why it stopped; --plot draws the trajectories.
"""

from __future__ import annotations

import argparse

import numpy as np

import ad_core as ad

LR = {"GD": 0.3, "SGD": 0.05, "mini-batch SGD": 0.2, "momentum": 0.1, "Adam": 0.3}


def problem(n: int = 256, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2)) * np.array([1.0, 0.25])
    w_true = np.array([2.0, -3.0])
    y = X @ w_true + 0.05 * rng.standard_normal(n)
    return X, y, np.linalg.lstsq(X, y, rcond=None)[0]


def loss(w: ad.Tensor, X: ad.Tensor, y: ad.Tensor) -> ad.Tensor:
    r = X @ w - y
    return ad.sum(r * r) / (2.0 * X.shape[0])


def run(method: str, X_np: np.ndarray, y_np: np.ndarray, w0: np.ndarray, steps: int,
        tolerance: float, seed: int) -> tuple[np.ndarray, list[float], str]:
    """The path of w, the full-batch loss after each step, and why the method stopped."""
    X, y = ad.tensor(X_np), ad.tensor(y_np)
    w = ad.tensor(w0, requires_grad=True)
    optimizer = {"momentum": lambda: ad.optim.SGD([w], lr=LR[method], momentum=0.9),
                 "Adam": lambda: ad.optim.Adam([w], lr=LR[method])}.get(method, lambda: None)()
    batch = {"SGD": 1, "mini-batch SGD": 16}.get(method)
    rng = np.random.default_rng(seed)
    path, losses = [w.numpy().copy()], [loss(w, X, y).item()]
    for _ in range(steps):
        if batch is None:
            objective = loss(w, X, y)
        else:
            rows = ad.tensor(rng.choice(X_np.shape[0], size=batch, replace=False))
            objective = loss(w, X[rows], y[rows])
        w.grad = None
        objective.backward()
        if optimizer is None:
            with ad.no_grad():
                w.data = w - LR[method] * w.grad          # w_{t+1} = w_t - α ∇L(w_t)
        else:
            optimizer.step()
        path.append(w.numpy().copy())
        losses.append(loss(w, X, y).item())
        if batch is None and abs(losses[-1] - losses[-2]) < tolerance:
            return np.array(path), losses, "tolerance"
    return np.array(path), losses, "max_steps"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--device", default=None)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--tolerance", type=float, default=1e-10)
    parser.add_argument("--plot", default=None, help="write the trajectories over the contours here")
    args = parser.parse_args()
    ad.set_backend(args.backend, args.device)

    X, y, w_best = problem()
    w0 = np.array([-2.0, 3.0])
    best = float(np.sum((X @ w_best - y) ** 2) / (2 * len(y)))
    results = {m: run(m, X, y, w0, args.steps, args.tolerance, seed=1) for m in LR}
    print(f"minimum L = {best:.6f} at w = {np.round(w_best, 4)}   ({ad.get_backend().name})")
    print(f"{'method':>15} {'steps':>6} {'final L':>10} {'|w - w*|':>9}  stopped by")
    for method, (path, losses, reason) in results.items():
        print(f"{method:>15} {len(losses) - 1:>6} {losses[-1]:>10.6f} "
              f"{np.linalg.norm(path[-1] - w_best):>9.4f}  {reason}")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        a, b = np.meshgrid(np.linspace(-3, 4, 200), np.linspace(-5, 5, 200))
        grid = np.stack([a.ravel(), b.ravel()], axis=1)
        L = (np.sum((X @ grid.T - y[:, None]) ** 2, axis=0) / (2 * len(y))).reshape(a.shape)
        fig, ax = plt.subplots(figsize=(7, 5.5))
        ax.contour(a, b, L, levels=np.geomspace(best + 1e-3, L.max(), 25), cmap="Greys",
                   linewidths=0.7)
        for method, (path, _, _) in results.items():
            ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=1, label=method)
        ax.plot(*w_best, "k*", ms=12, label="minimum")
        ax.set_xlabel("w₁")
        ax.set_ylabel("w₂")
        ax.set_title("Gradient descent and relatives on L(w) = ‖Xw − y‖² / 2n")
        ax.legend(loc="upper right", fontsize=8)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
