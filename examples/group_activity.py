"""The lecture's group activity: y = w2ᵀ tanh(W1 x + b), by hand and by reverse mode.

    python examples/group_activity.py [--backend numpy|torch|array_api_strict|cupy]

Prints the computation graph ad_core recorded (one line per node, inputs first: a topological
order), then each gradient beside the formula derived on the slides:

    dy/dw2 = tanh(z1)            dy/db = w2 ⊙ (1 - tanh²(z1))          dy/dW1 = (dy/db) xᵀ
"""

from __future__ import annotations

import argparse

import numpy as np

import ad_core as ad


def graph_lines(output: ad.Tensor, names: dict[int, str]) -> list[str]:
    """The recorded graph below ``output``, inputs first, one line per node."""
    order: list = []
    seen: set[int] = set()
    stack = [(output.grad_fn, False)]
    while stack:  # iterative post-order: a node is listed after everything it reads
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node.parents if isinstance(p, type(node)))
    labels = {id(n): f"v{i}" for i, n in enumerate(order)}
    lines = []
    for node in order:
        args = []
        for parent, value in zip(node.parents, node.saved, strict=True):
            if parent is None:  # an input that needs no gradient: name it by its data
                args.append(names.get(id(value), "const"))
            elif isinstance(parent, type(node)):
                args.append(labels[id(parent)])
            else:
                args.append(names.get(id(parent), "leaf"))
        lines.append(f"  {labels[id(node)]} = {node.op.name}({', '.join(args)})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    ad.set_backend(args.backend, args.device)

    W1 = ad.tensor([[-1.0, 1.0], [0.5, 0.5]], dtype=ad.float64, requires_grad=True)
    x = ad.tensor([0.5, 1.0], dtype=ad.float64)
    b = ad.tensor([0.0, 0.0], dtype=ad.float64, requires_grad=True)
    w2 = ad.tensor([1.0, -2.0], dtype=ad.float64, requires_grad=True)  # the slides leave w2 open

    z1 = W1 @ x + b
    x1 = ad.tanh(z1)
    y = ad.vecdot(w2, x1)
    print(f"y = w2ᵀ tanh(W1 x + b) = {y.item():.6f}   (backend {ad.get_backend().name})")
    print("computation graph (topological order):")
    print("\n".join(graph_lines(y, {id(W1): "W1", id(b): "b", id(w2): "w2", id(x.array): "x"})))

    y.backward()
    z = z1.numpy()
    dz = w2.numpy() * (1.0 - np.tanh(z) ** 2)
    rows = [
        ("dy/dw2", w2.grad.numpy(), np.tanh(z), "tanh(z1)"),
        ("dy/db", b.grad.numpy(), dz, "w2 ⊙ (1 - tanh²(z1))"),
        ("dy/dW1", W1.grad.numpy(), np.outer(dz, x.numpy()), "(w2 ⊙ (1 - tanh²(z1))) xᵀ"),
    ]
    print("\ngradients: reverse mode | by hand")
    for name, auto, hand, formula in rows:
        agree = "agree" if np.allclose(auto, hand, rtol=1e-12) else "DIFFER"
        print(f"  {name:7s} = {np.array2string(auto.ravel(), precision=6)}"
              f"   {formula} = {np.array2string(hand.ravel(), precision=6)}   [{agree}]")


if __name__ == "__main__":
    main()
