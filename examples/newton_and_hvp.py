"""Second-order optimisation with ad_core: Newton's method with ``hessian``, and Newton-CG with
``hvp`` on a model too large for its Hessian.

    python examples/newton_and_hvp.py [--backend numpy] [--features 20000] [--samples 300]

1. Newton's method on the Rosenbrock function, ``x ← x − H⁻¹∇f`` with the Hessian from
   ``ad.hessian`` (forward over reverse): from (−1.2, 1) it reaches the minimum (1, 1) in a
   handful of steps, the error squaring near the end (quadratic convergence).
2. L2-regularised logistic regression with D features: its Hessian has D² entries (3.2 GB of
   float64 for the default D = 20 000), yet each Newton step only needs H·v, which
   ``ad.hvp`` gives for a few gradients' cost without forming H. Conjugate gradients solve
   ``H d = −∇L`` from such products; the loss and gradient norm after each Newton-CG step are
   printed, with the number of Hessian-vector products it took, and at the end the cost of one
   Hessian-vector product against one gradient (theory: at most about 4×).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import ad_core as ad


def rosenbrock(p: ad.Tensor) -> ad.Tensor:
    return (1.0 - p[0]) ** 2.0 + 100.0 * (p[1] - p[0] ** 2.0) ** 2.0


def newton_on_rosenbrock(steps: int = 8) -> None:
    print("Newton's method on Rosenbrock, Hessian by ad.hessian")
    p = ad.tensor(np.array([-1.2, 1.0]))
    for k in range(steps + 1):
        error = float(np.linalg.norm(p.numpy() - 1.0))
        print(f"  step {k}: x = {np.array2string(p.numpy(), precision=10)}, |x - x*| = {error:.3e}")
        if error < 1e-12:
            break
        H = ad.hessian(rosenbrock)(p).numpy()
        g = ad.grad(rosenbrock)(p).numpy()
        p = ad.tensor(p.numpy() - np.linalg.solve(H, g))


def conjugate_gradient(hvp, b: np.ndarray, iterations: int, tol: float = 1e-10) -> tuple[np.ndarray, int]:
    """Solve H x = b given x ↦ H x (H symmetric positive definite)."""
    x = np.zeros_like(b)
    r = b.copy()
    d = r.copy()
    rr = r @ r
    for k in range(iterations):
        Hd = hvp(d)
        alpha = rr / (d @ Hd)
        x += alpha * d
        r -= alpha * Hd
        rr_new = r @ r
        if np.sqrt(rr_new) < tol * np.sqrt(b @ b):
            return x, k + 1
        d = r + (rr_new / rr) * d
        rr = rr_new
    return x, iterations


def hessian_at(loss, w: ad.Tensor):
    """v ↦ H(w) v for NumPy vectors, by ad.hvp: the Hessian itself is never formed."""
    return lambda v: ad.hvp(loss, (w,), (ad.tensor(v),))[0].numpy()


def newton_cg_logistic(features: int, samples: int, steps: int, cg_iterations: int) -> None:
    rng = np.random.default_rng(0)
    X = ad.tensor(rng.standard_normal((samples, features)) / np.sqrt(features))
    truth = rng.standard_normal(features)
    y = ad.tensor((rng.random(samples) < 1 / (1 + np.exp(-X.numpy() @ truth))).astype(np.float64))
    lam = 1e-2

    def loss(w: ad.Tensor) -> ad.Tensor:
        z = X @ w
        return ad.mean(ad.softplus(z) - y * z) + 0.5 * lam * ad.sum(w * w)

    print(f"\nNewton-CG on logistic regression, D = {features} (a Hessian of {features ** 2:,} "
          f"entries, never formed)")
    w = ad.tensor(np.zeros(features))
    for step in range(steps + 1):
        value, g = ad.value_and_grad(loss)(w)
        print(f"  step {step}: loss {value.item():.10f}, |grad| {np.linalg.norm(g.numpy()):.3e}")
        if step == steps:
            break
        start = time.perf_counter()
        d, used = conjugate_gradient(hessian_at(loss, w), -g.numpy(), cg_iterations)
        w = ad.tensor(w.numpy() + d)
        print(f"          {used} Hessian-vector products, {time.perf_counter() - start:.3f} s")
    timing(loss, w)


def timing(loss, w: ad.Tensor, repeat: int = 5) -> None:
    """One hvp against one gradient: theory says at most about 4×."""
    v = ad.ones_like(w)

    def best(fn) -> float:
        fn()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    t_grad = best(lambda: ad.grad(loss)(w))
    t_hvp = best(lambda: ad.hvp(loss, (w,), (v,)))
    print(f"  one gradient {t_grad * 1e3:.2f} ms, one hvp {t_hvp * 1e3:.2f} ms: "
          f"hvp/gradient = {t_hvp / t_grad:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--device", default=None)
    parser.add_argument("--features", type=int, default=20000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--cg-iterations", type=int, default=50)
    args = parser.parse_args()
    with ad.backend(args.backend, args.device):
        newton_on_rosenbrock()
        newton_cg_logistic(args.features, args.samples, args.steps, args.cg_iterations)


if __name__ == "__main__":
    main()
