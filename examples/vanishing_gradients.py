"""Vanishing gradients, measured: per-layer gradient norms of deep networks, and the remedies.

    python examples/vanishing_gradients.py [--backend numpy] [--depth 20] [--plot vanish.png]

A stack of `depth` Linear layers of width 64 with an activation after each, a squared-error
loss, one backward pass. For every layer we print ‖∂L/∂W_j‖ from the input side to the output
side, for the activations of the slides (sigmoid, tanh, ReLU) under three initialisations —
naive N(0, 1/4), Xavier (Glorot) and orthogonal — and then for the remedies the lecture lists:
normalisation (LayerNorm after each layer) and shortcut connections (x + f(x)).

The column "first/last" is the ratio of the first layer's gradient norm to the last's: far
below 1, the lower layers barely learn (vanishing); far above, they blow up (exploding).
"""

from __future__ import annotations

import argparse

import numpy as np

import ad_core as ad

WIDTH = 64
ACTIVATIONS = {"sigmoid": ad.nn.Sigmoid, "tanh": ad.nn.Tanh, "relu": ad.nn.ReLU}
INITS = {
    "naive N(0, 1/4)": lambda w, seed: ad.init.normal_(w, 0.0, 0.5, seed=seed),
    "xavier": lambda w, seed: ad.init.xavier_normal_(w, seed=seed),
    "orthogonal": lambda w, seed: ad.init.orthogonal_(w, seed=seed),
}


def network(depth: int, activation: str, init: str, *, norm: bool = False,
            shortcut: bool = False, seed: int = 0) -> tuple[ad.nn.Module, list[ad.nn.Linear]]:
    layers, linears = [], []
    for j in range(depth):
        linear = ad.nn.Linear(WIDTH, WIDTH, dtype=ad.float64)
        INITS[init](linear.weight, seed + j)
        ad.init.zeros_(linear.bias)
        linears.append(linear)
        block = [linear, ACTIVATIONS[activation]()]
        if norm:
            block.append(ad.nn.LayerNorm(WIDTH, dtype=ad.float64))
        layer = ad.nn.Sequential(*block)
        layers.append(ad.nn.Residual(layer) if shortcut else layer)
    return ad.nn.Sequential(*layers), linears


def gradient_norms(model: ad.nn.Module, linears: list[ad.nn.Linear], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = ad.tensor(rng.standard_normal((32, WIDTH)), dtype=ad.float64)
    target = ad.tensor(rng.standard_normal((32, WIDTH)), dtype=ad.float64)
    out = model(x)
    ad.sum((out - target) ** 2.0).backward()
    return np.array([float(np.linalg.norm(lin.weight.grad.numpy())) for lin in linears])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--device", default=None)
    parser.add_argument("--depth", type=int, default=20)
    parser.add_argument("--plot", default=None, help="write per-layer gradient norms here (PNG)")
    args = parser.parse_args()
    ad.set_backend(args.backend, args.device)

    cases = [(a, i, False, False) for a in ACTIVATIONS for i in INITS]
    cases += [("sigmoid", "xavier", True, False), ("sigmoid", "xavier", False, True),
              ("tanh", "naive N(0, 1/4)", True, False), ("tanh", "naive N(0, 1/4)", False, True)]
    results = {}
    print(f"depth {args.depth}, width {WIDTH}, backend {ad.get_backend().name}")
    print(f"{'activation':>10} {'initialisation':>16} {'remedy':>14} {'first layer':>12} "
          f"{'last layer':>11} {'first/last':>11}")
    for activation, init, norm, shortcut in cases:
        model, linears = network(args.depth, activation, init, norm=norm, shortcut=shortcut)
        norms = gradient_norms(model, linears, seed=1)
        remedy = "layer norm" if norm else "shortcuts" if shortcut else "-"
        results[(activation, init, remedy)] = norms
        print(f"{activation:>10} {init:>16} {remedy:>14} {norms[0]:>12.3e} {norms[-1]:>11.3e} "
              f"{norms[0] / norms[-1]:>11.2e}")

    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
        for (activation, init, remedy), norms in results.items():
            ax = axes[0] if remedy == "-" else axes[1]
            label = f"{activation}, {init}" + ("" if remedy == "-" else f", {remedy}")
            ax.semilogy(range(1, len(norms) + 1), norms, ".-", label=label)
        axes[0].set_title("activations × initialisations")
        axes[1].set_title("remedies: normalisation, shortcut connections")
        for ax in axes:
            ax.set_xlabel("layer (1 = next to the input)")
            ax.legend(fontsize=7)
        axes[0].set_ylabel("‖∂L/∂W_j‖")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
