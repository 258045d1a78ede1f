"""Per-op overhead: a chain of 200 elementwise ops on a 4-element array, forward and backward.

On arrays this small the arithmetic costs nothing, so the time per op is the framework's own:
building a tensor, recording a node, looking up a rule, and in backward walking the graph and
summing cotangents. The chain repeats ``tanh, exp, * c, + c`` (c a constant array that needs no
gradient), which keeps the values bounded however long the chain is.

Cases:

- ``numpy forward (floor)``: the same chain on raw NumPy arrays, no autodiff: the least any
  NumPy-based framework can cost;
- ``torch forward, no grad (floor)``: the same on torch tensors that need no gradient;
- ``torch autograd``: torch tensors with ``requires_grad``, then ``.backward()``;
- ``ad_core numpy`` and ``ad_core torch``: ad_core tensors on each backend, then ``.backward()``.

Each autodiff case is timed twice: forward only (the graph is recorded, then dropped) and forward
plus backward. Reported: microseconds per op, and the ratios ad_core / torch autograd.

Run: ``python bench/op_overhead.py [--quick] [--device cuda] [--json PATH]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from common import (
    Case,
    Row,
    Settings,
    cuda_available,
    run_benchmark,
    time_cases,
)

N_OPS = 200
SHAPE = (4,)
TARGET_NUMPY = 1.5  # ad_core-numpy / torch-autograd, forward + backward

X0 = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)
C0 = np.full(SHAPE, 0.5, dtype=np.float32)


def chain(y: Any, c: Any, tanh: Callable[[Any], Any], exp: Callable[[Any], Any]) -> Any:
    """``N_OPS`` elementwise ops: (tanh, exp, multiply, add) repeated; values stay in (0.6, 1.9)."""
    for _ in range(N_OPS // 4):
        y = tanh(y)
        y = exp(y)
        y = y * c
        y = y + c
    return y


# -- the implementations -----------------------------------------------------------------------


def numpy_floor() -> Case:
    """Raw NumPy, forward only: the floor."""
    x, c = X0.copy(), C0.copy()
    tanh, exp = np.tanh, np.exp
    return Case("numpy forward (floor)", lambda: chain(x, c, tanh, exp))


def torch_cases(device: str) -> list[Case]:
    """Torch's eager autograd, plus its forward without autograd as the torch floor."""
    import torch

    dev = torch.device(device)
    x = torch.tensor(X0, device=dev, requires_grad=True)
    x_plain = torch.tensor(X0, device=dev)
    c = torch.tensor(C0, device=dev)
    ones = torch.ones(SHAPE, dtype=torch.float32, device=dev)
    tanh, exp = torch.tanh, torch.exp
    sync = torch.cuda.synchronize if dev.type == "cuda" else None

    def forward_no_grad() -> Any:
        with torch.no_grad():
            return chain(x_plain, c, tanh, exp)

    def forward() -> Any:
        return chain(x, c, tanh, exp)

    def forward_backward() -> Any:
        x.grad = None
        chain(x, c, tanh, exp).backward(ones)
        return x.grad

    def gradients() -> list[np.ndarray]:
        return [forward_backward().detach().cpu().numpy()]

    suffix = f" [{device}]" if device != "cpu" else ""
    return [
        Case(f"torch forward, no grad (floor){suffix}", forward_no_grad, sync),
        Case(f"torch autograd forward{suffix}", forward, sync),
        Case(f"torch autograd fwd+bwd{suffix}", forward_backward, sync, gradients),
    ]


def ad_core_cases(backend: str, device: str) -> list[Case]:
    """ad_core on ``backend``, written as a user would write it: ``ad.tanh(y)``, ``y * c``."""
    import ad_core as ad

    x = ad.tensor(X0, backend=backend, device=device, requires_grad=True)
    c = ad.tensor(C0, backend=backend, device=device)
    ones = ad.tensor(np.ones(SHAPE, np.float32), backend=backend, device=device)
    sync = None
    if device == "cuda":
        import torch

        sync = torch.cuda.synchronize

    def tanh(y: Any) -> Any:
        return ad.tanh(y)

    def exp(y: Any) -> Any:
        return ad.exp(y)

    def forward() -> Any:
        return chain(x, c, tanh, exp)

    def forward_backward() -> Any:
        x.zero_grad_()
        chain(x, c, tanh, exp).backward(ones)
        return x.grad

    def gradients() -> list[np.ndarray]:
        return [forward_backward().numpy()]

    label = f"ad_core {backend}" + (f" [{device}]" if device != "cpu" else "")
    return [
        Case(f"{label} forward", forward, sync),
        Case(f"{label} fwd+bwd", forward_backward, sync, gradients),
    ]


# -- checks ------------------------------------------------------------------------------------


def check_gradients(cases: dict[str, Case]) -> dict[str, Any]:
    """Every autodiff case computes the same gradient, in float32, before anything is timed."""
    ref = _reference_gradient()
    checked = []
    for name, case in cases.items():
        if case.gradients is None:
            continue
        (g,) = case.gradients()
        if g.dtype != np.float32:
            raise SystemExit(f"op_overhead: {name} gives a {g.dtype} gradient for a float32 input")
        if not np.allclose(g, ref, rtol=1e-4, atol=1e-6):
            raise SystemExit(
                f"op_overhead: {name} gives gradient {g}, the float64 reference is {ref}: the "
                f"cases do not compute the same thing, so their timings would not compare"
            )
        checked.append(name)
    return {"gradient_matches_float64_reference": checked}


def _reference_gradient() -> np.ndarray:
    """The chain's derivative in float64, by the chain rule written out."""
    y = X0.astype(np.float64)
    c = C0.astype(np.float64)
    d = np.ones_like(y)
    for _ in range(N_OPS // 4):
        t = np.tanh(y)
        e = np.exp(t)
        d = d * (1 - t * t) * e * c
        y = e * c + c
    return d


# -- run -----------------------------------------------------------------------------------------


def run(settings: Settings) -> tuple[list[Row], dict[str, Any]]:
    """Time every case; return the table rows and the numbers for JSON."""
    import ad_core as ad

    notes: list[str] = []
    cases: dict[str, Case] = {}
    floor = numpy_floor()
    cases[floor.name] = floor
    for case in ad_core_cases("numpy", "cpu"):
        cases[case.name] = case

    have_torch = "torch" in ad.available_backends()
    torch_device = settings.device
    if settings.cuda and not cuda_available():
        notes.append("--device cuda: CUDA is not available to torch here; torch cases skipped")
        have_torch = False
    elif not have_torch:
        notes.append("torch is not installed; torch cases skipped")
    if have_torch:
        for case in torch_cases(torch_device) + ad_core_cases("torch", torch_device):
            cases[case.name] = case

    checks = check_gradients(cases)
    # One group per array library, so that no case pays for another library's idle threads.
    time_cases([c for n, c in cases.items() if "torch" not in n], settings)
    time_cases([c for n, c in cases.items() if "torch" in n], settings)

    us = {name: case.median * 1e6 / N_OPS for name, case in cases.items()}
    spread = {name: case.spread for name, case in cases.items()}
    best = {name: case.best * 1e6 / N_OPS for name, case in cases.items()}
    suffix = f" [{torch_device}]" if torch_device != "cpu" else ""
    ad_np_fb = us["ad_core numpy fwd+bwd"]
    ad_np_f = us["ad_core numpy forward"]
    rows = [Row("numpy forward (floor)", us["numpy forward (floor)"], "us/op")]
    results: dict[str, Any] = {
        "n_ops": N_OPS,
        "shape": list(SHAPE),
        "us_per_op": us,
        "us_per_op_best_round": best,
        "spread": spread,
        "checks": checks,
        "notes": notes,
    }
    ratios: dict[str, float] = {}
    if have_torch:
        t_fb = us[f"torch autograd fwd+bwd{suffix}"]
        t_f = us[f"torch autograd forward{suffix}"]
        adt_fb = us[f"ad_core torch{suffix} fwd+bwd"]
        adt_f = us[f"ad_core torch{suffix} forward"]
        ratios = {
            "ad_core_numpy/torch_autograd fwd+bwd": ad_np_fb / t_fb,
            "ad_core_numpy/torch_autograd forward": ad_np_f / t_f,
            "ad_core_torch/torch_autograd fwd+bwd": adt_fb / t_fb,
            "ad_core_torch/torch_autograd forward": adt_f / t_f,
            "ad_core_numpy/numpy_floor forward": ad_np_f / us["numpy forward (floor)"],
        }
        rows += [
            Row(f"torch forward, no grad (floor){suffix}", us[f"torch forward, no grad (floor){suffix}"], "us/op"),
            Row(f"torch autograd forward{suffix}", t_f, "us/op"),
            Row(f"torch autograd fwd+bwd{suffix}", t_fb, "us/op", note=f"backward {t_fb - t_f:.2f} us/op"),
            Row("ad_core numpy forward", ad_np_f, "us/op", ratios["ad_core_numpy/torch_autograd forward"],
                note="ratio vs torch autograd forward"),
            Row("ad_core numpy fwd+bwd", ad_np_fb, "us/op", ratios["ad_core_numpy/torch_autograd fwd+bwd"],
                TARGET_NUMPY, note=f"backward {ad_np_fb - ad_np_f:.2f} us/op"),
            Row(f"ad_core torch{suffix} forward", adt_f, "us/op", ratios["ad_core_torch/torch_autograd forward"],
                note="ratio vs torch autograd forward"),
            Row(f"ad_core torch{suffix} fwd+bwd", adt_fb, "us/op", ratios["ad_core_torch/torch_autograd fwd+bwd"],
                note=f"backward {adt_fb - adt_f:.2f} us/op"),
        ]
    else:
        rows += [
            Row("ad_core numpy forward", ad_np_f, "us/op"),
            Row("ad_core numpy fwd+bwd", ad_np_fb, "us/op", note="torch cases skipped: no ratio"),
        ]
    results["ratios"] = ratios
    results["targets"] = {"ad_core_numpy/torch_autograd fwd+bwd": TARGET_NUMPY}
    return rows, results


def title() -> str:
    return (f"Per-op overhead: chain of {N_OPS} elementwise ops on shape {SHAPE}, float32 "
            f"(median us per op; ratio = ad_core / torch autograd)")


def main(argv: list[str] | None = None) -> int:
    return run_benchmark("op_overhead", __doc__, run, title, argv)


if __name__ == "__main__":
    sys.exit(main())
