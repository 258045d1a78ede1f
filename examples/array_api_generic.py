"""Differentiate code that was written only against the Array API standard.

    python examples/array_api_generic.py

`logistic_loss` below imports nothing from ad_core and names no array library: it asks its
inputs for their namespace, as array-api-compat recommends. Handed NumPy arrays it computes a
number; handed ad_core tensors (on any backend) it records a graph, and ad_core differentiates
it. The gradient is checked against the closed form Xᵀ(σ(Xw) − y) / n on every backend present.
"""

from __future__ import annotations

import array_api_compat
import numpy as np

import ad_core as ad


def logistic_loss(w, X, y):  # noqa: ANN001, ANN201 - generic code, as a library would write it
    """Mean logistic loss of a linear model, written against the standard only."""
    xp = array_api_compat.array_namespace(w, X, y)
    z = xp.matmul(X, w)
    # log(1 + exp(-z)) for y = 1 and log(1 + exp(z)) for y = 0, computed stably
    margin = xp.where(y > 0.5, z, -z)
    return xp.mean(xp.logaddexp(xp.zeros_like(margin), -margin))


def main() -> None:
    rng = np.random.default_rng(0)
    X_np = rng.standard_normal((64, 3))
    y_np = (X_np @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(64) > 0).astype(float)
    w_np = np.array([0.1, 0.2, -0.3])

    print(f"plain NumPy, no gradient:  loss = {logistic_loss(w_np, X_np, y_np):.6f}")
    sigma = 1.0 / (1.0 + np.exp(-(X_np @ w_np)))
    closed_form = X_np.T @ (sigma - y_np) / len(y_np)
    for name in ad.available_backends():
        with ad.backend(name):
            w = ad.tensor(w_np, dtype=ad.float64)
            X, y = ad.tensor(X_np, dtype=ad.float64), ad.tensor(y_np, dtype=ad.float64)
            value, grad = ad.value_and_grad(logistic_loss)(w, X, y)
        ok = np.allclose(grad.numpy(), closed_form, rtol=1e-10)
        print(f"{name:>17}: loss = {value.item():.6f}  grad = {np.round(grad.numpy(), 6)}  "
              f"closed form agrees: {ok}")
        assert ok


if __name__ == "__main__":
    main()
