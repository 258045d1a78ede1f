"""Second order and forward mode on the core benchmark's MLP, beside torch.func.

The 784-200-10 ReLU MLP of ``mlp_step.py`` (batch 128, float32, the same log_softmax cross-entropy),
as a function of its parameters. For each framework, one call of:

- ``grad``: the gradient of the loss (one forward, one backward pass): the unit;
- ``hvp``: a Hessian-vector product by forward over reverse (``jvp`` of ``grad``);
- ``grad of grad``: the same product by reverse over reverse (``grad`` of ⟨grad, v⟩);
- ``jvp``: the directional derivative ⟨∇L, v⟩ by forward mode (one forward pass with tangents);
- ``vjp``: the pullback of the loss (``vjp`` then one call), for comparison with ``jvp``;
- ``linearized jvp``: the same ⟨∇L, v⟩ from ``linearize``'s ``f_jvp``, the loss evaluated once
  beforehand (outside the timing): the per-tangent cost when many directions share one point.

Reported: milliseconds per call, each transform's cost in gradients (theory: an HVP costs at most
about 4 gradients, a JVP about one forward pass plus its tangent, so at most a gradient), and
ad_core against torch.func on the same backend (torch) and machine.

Run: ``python bench/higher_order.py [--quick] [--json PATH]``.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
from common import (
    Case,
    Row,
    Settings,
    run_benchmark,
    time_cases,
)
from mlp_step import SIZES, Problem

SIZE = "784-200-10"
TARGET_HVP = 4.0  # hvp / grad, as theory says
TRANSFORMS = ("grad", "hvp", "grad of grad", "jvp", "vjp", "linearized jvp")


def ad_core_cases(problem: Problem, backend: str) -> list[Case]:
    import ad_core as ad

    params = [ad.tensor(a, backend=backend) for a in problem.copies()]
    direction = [ad.tensor(np.ones_like(a), backend=backend) for a in problem.copies()]
    x = ad.tensor(problem.x, backend=backend)
    onehot = ad.tensor(problem.onehot, backend=backend)
    n = problem.batch

    def loss(ps: list[Any]) -> Any:
        h = x
        last = len(ps) // 2 - 1
        for i in range(last + 1):
            z = h @ ps[2 * i] + ps[2 * i + 1]
            h = ad.relu(z) if i < last else z
        return -ad.sum(onehot * ad.log_softmax(z, axis=-1)) / n

    grad = ad.grad(loss)

    def grad_of_grad() -> Any:
        return ad.grad(lambda ps: sum(ad.sum(g * v) for g, v in zip(grad(ps), direction, strict=True)))(params)

    def vjp() -> Any:
        _, back = ad.vjp(loss, params)
        return back(ad.tensor(np.float32(1.0), backend=backend))

    _, f_jvp = ad.linearize(loss, params)
    steps = {
        "grad": lambda: grad(params),
        "hvp": lambda: ad.hvp(loss, (params,), (direction,)),
        "grad of grad": grad_of_grad,
        "jvp": lambda: ad.jvp(loss, (params,), (direction,)),
        "vjp": vjp,
        "linearized jvp": lambda: f_jvp(direction),
    }
    return [Case(f"ad_core {backend}: {name}", step) for name, step in steps.items()]


def torch_func_cases(problem: Problem) -> list[Case]:
    import torch
    from torch import func

    params = [torch.tensor(a) for a in problem.copies()]
    direction = [torch.ones_like(p) for p in params]
    x, onehot, n = torch.tensor(problem.x), torch.tensor(problem.onehot), problem.batch

    def loss(ps: list[Any]) -> Any:
        h = x
        last = len(ps) // 2 - 1
        for i in range(last + 1):
            z = h @ ps[2 * i] + ps[2 * i + 1]
            h = torch.relu(z) if i < last else z
        return -(onehot * torch.log_softmax(z, dim=-1)).sum() / n

    grad = func.grad(loss)

    def grad_of_grad() -> Any:
        return func.grad(lambda ps: sum((g * v).sum() for g, v in zip(grad(ps), direction, strict=True)))(params)

    def vjp() -> Any:
        _, back = func.vjp(loss, params)
        return back(torch.tensor(1.0))

    _, f_jvp = func.linearize(loss, params)
    steps = {
        "grad": lambda: grad(params),
        "hvp": lambda: func.jvp(grad, (params,), (direction,)),
        "grad of grad": grad_of_grad,
        "jvp": lambda: func.jvp(loss, (params,), (direction,)),
        "vjp": vjp,
        "linearized jvp": lambda: f_jvp(direction),
    }
    return [Case(f"torch.func: {name}", step) for name, step in steps.items()]


def check_agreement(problem: Problem) -> dict[str, float]:
    """ad_core's HVP by both routes against each other (and torch.func's), before timing."""
    cases = {c.name: c for c in ad_core_cases(problem, "numpy")}
    fwd = [t.numpy() for t in cases["ad_core numpy: hvp"].step()[0]]
    rev = [t.numpy() for t in cases["ad_core numpy: grad of grad"].step()]
    out = {"ad_core hvp vs grad of grad": max(float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-30))
                                              for a, b in zip(fwd, rev, strict=True))}
    jvp = float(cases["ad_core numpy: jvp"].step()[1].numpy())
    linearized = float(cases["ad_core numpy: linearized jvp"].step().numpy())
    out["ad_core linearized jvp vs jvp"] = abs(linearized - jvp) / (abs(jvp) + 1e-30)
    try:
        t_cases = {c.name: c for c in torch_func_cases(problem)}
    except ImportError:
        return out
    t_hvp = [t.numpy() for t in t_cases["torch.func: hvp"].step()[1]]
    out["ad_core hvp vs torch.func"] = max(float(np.max(np.abs(a - b)) / (np.max(np.abs(b)) + 1e-30))
                                           for a, b in zip(fwd, t_hvp, strict=True))
    for name, err in out.items():
        if err > 1e-3:
            raise SystemExit(f"higher_order: {name} differ by {err:.2e} (relative): the cases "
                             f"do not compute the same thing")
    return out


def run(settings: Settings) -> tuple[list[Row], dict[str, Any]]:
    import ad_core as ad

    widths, batch = SIZES[SIZE]
    problem = Problem(widths, batch)
    notes: list[str] = []
    groups = {"ad_core numpy": ad_core_cases(problem, "numpy")}
    if "torch" in ad.available_backends():
        groups["ad_core torch"] = ad_core_cases(problem, "torch")
        groups["torch.func"] = torch_func_cases(problem)
    else:
        notes.append("torch is not installed; torch cases skipped")
    checks = check_agreement(problem)
    for cases in groups.values():
        time_cases(cases, settings)
    ms = {c.name: c.median * 1e3 for cases in groups.values() for c in cases}
    rows: list[Row] = []
    ratios: dict[str, float] = {}
    for label in groups:
        unit = ms[f"{label}: grad"]
        for name in TRANSFORMS:
            key = f"{label}: {name}"
            ratios[f"{key} / grad"] = ms[key] / unit
            torch_key = f"torch.func: {name}"
            note = ""
            if label == "ad_core torch" and torch_key in ms:
                ratios[f"{key} / {torch_key}"] = ms[key] / ms[torch_key]
                note = f"{ms[key] / ms[torch_key]:.2f}x torch.func"
            target = TARGET_HVP if name == "hvp" else None
            rows.append(Row(key, ms[key], "ms", ms[key] / unit, target, f"in gradients; {note}"
                            if note else "in gradients"))
    return rows, {"size": SIZE, "ms_per_call": ms, "ratios": ratios, "checks": checks,
                  "notes": notes, "dtype": "float32"}


def title() -> str:
    return (f"Second order and forward mode, MLP {SIZE} batch {SIZES[SIZE][1]}, float32 "
            f"(median ms per call; ratio = cost in gradients of the same framework)")


def main(argv: list[str] | None = None) -> int:
    return run_benchmark("higher_order", __doc__, run, title, argv)


if __name__ == "__main__":
    sys.exit(main())
