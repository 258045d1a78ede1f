"""A Conv2d forward-backward and a digits-MLP training epoch, ad_core beside torch's own nn/optim.

Two workloads, both float32, each timed for ad_core on NumPy, torch's own ``torch.nn`` /
``torch.optim``, and ad_core on the torch backend, in the same process:

- ``conv2d fwd+bwd``: ``ad.nn.Conv2d(1, 16, 3, padding=1)`` on a batch of 64 8×8 images; the
  loss is ``sum(conv(x) * r)`` for a fixed random ``r``, and one step is the forward, the
  backward (gradients of the weight, the bias and the input) and clearing the gradients.
  torch's case is ``torch.nn.Conv2d`` with the same weights (its native convolution kernel).
  ad_core's layer is one ``conv2d`` op on the tape: on torch its kernels are torch's own
  (``conv2d`` forward, ``convolution_backward`` for the input and weight gradients), on NumPy
  the generic rule (windows stacked, one batched matmul) forward and NumPy's col2im kernel
  for the input gradient.
- ``digits MLP epoch``: one epoch over the 1347 training images of scikit-learn's digits (random
  data of the same shape when scikit-learn is absent) in fixed batches of 64, through
  Linear(64, 128) → ReLU → Linear(128, 10), cross-entropy and Adam (lr 2e-3): what
  ``examples/train_digits.py`` does per epoch, without the loader's shuffling. torch's case is
  ``torch.nn.Sequential`` + ``F.cross_entropy`` + ``torch.optim.Adam`` from the same weights.

Before timing, each workload checks that the cases compute the same thing: the conv gradients
of every case equal torch's, and one epoch from the same start ends at the same parameters
(``np.allclose``); a mismatch stops the run.

Ratios: ad_core-torch / torch's own (**target ≤ 1.2**, from the issue) and ad_core-numpy /
torch's own (no target: different kernels, for orientation).

Run: ``python bench/conv_step.py [--quick] [--device cuda] [--json PATH]``.
"""

from __future__ import annotations

import sys
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

TARGET_TORCH = 1.2  # ad_core-torch / torch's own nn and optim
BATCH, CHANNELS, SIZE = 64, 16, 8
MLP_BATCH, HIDDEN, LR = 64, 128, 2e-3


def _sync(device: str) -> Any:
    if device != "cuda":
        return None
    import torch

    return torch.cuda.synchronize


def _label(name: str, device: str) -> str:
    return name + (f" [{device}]" if device != "cpu" else "")


# -- Conv2d forward-backward ---------------------------------------------------------------------


class ConvProblem:
    """One batch of images, the readout ``r`` and the layer's initial weights."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.x = rng.standard_normal((BATCH, 1, SIZE, SIZE)).astype(np.float32)
        self.r = rng.standard_normal((BATCH, CHANNELS, SIZE, SIZE)).astype(np.float32)
        bound = 1.0 / 3.0  # 1 / sqrt(fan_in), fan_in = 1 * 3 * 3
        self.weight = rng.uniform(-bound, bound, (CHANNELS, 1, 3, 3)).astype(np.float32)
        self.bias = rng.uniform(-bound, bound, CHANNELS).astype(np.float32)


def ad_core_conv(p: ConvProblem, backend: str, device: str) -> Case:
    import ad_core as ad

    conv = ad.nn.Conv2d(1, CHANNELS, 3, padding=1)
    conv.load_state_dict({"weight": p.weight, "bias": p.bias})
    conv.to(backend=backend, device=device)
    x = ad.tensor(p.x, backend=backend, device=device, requires_grad=True)
    r = ad.tensor(p.r, backend=backend, device=device)

    def step() -> Any:
        loss = ad.sum(conv(x) * r)
        loss.backward()
        conv.zero_grad()
        x.zero_grad_()
        return loss

    def gradients() -> list[np.ndarray]:
        ad.sum(conv(x) * r).backward()
        out = [conv.weight.grad.numpy(), conv.bias.grad.numpy(), x.grad.numpy()]
        conv.zero_grad()
        x.zero_grad_()
        return out

    return Case(_label(f"ad_core {backend}", device), step, _sync(device), gradients)


def torch_conv(p: ConvProblem, device: str) -> Case:
    import torch

    dev = torch.device(device)
    conv = torch.nn.Conv2d(1, CHANNELS, 3, padding=1).to(dev)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(p.weight))
        conv.bias.copy_(torch.from_numpy(p.bias))
    x = torch.tensor(p.x, device=dev, requires_grad=True)
    r = torch.tensor(p.r, device=dev)

    def step() -> Any:
        loss = torch.sum(conv(x) * r)
        loss.backward()
        conv.zero_grad()
        x.grad = None
        return loss

    def gradients() -> list[np.ndarray]:
        torch.sum(conv(x) * r).backward()
        out = [conv.weight.grad.cpu().numpy(), conv.bias.grad.cpu().numpy(), x.grad.cpu().numpy()]
        conv.zero_grad()
        x.grad = None
        return out

    return Case(_label("torch nn", device), step, _sync(device), gradients)


# -- digits MLP epoch ------------------------------------------------------------------------------


class MLPProblem:
    """The digits training split in fixed batches, and the MLP's initial weights."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        try:
            from sklearn.datasets import load_digits

            X, y = load_digits(return_X_y=True)
            order = rng.permutation(len(y))[:1347]  # the size of train_digits.py's split
            X, y = X[order], y[order]
            self.source = "sklearn digits"
        except ImportError:
            X, y = rng.standard_normal((1347, 64)), rng.integers(0, 10, 1347)
            self.source = "random data (scikit-learn is not installed)"
        X = (X - X.mean(axis=0)) / np.where(X.std(axis=0) == 0, 1.0, X.std(axis=0))
        self.batches = [(X[i:i + MLP_BATCH].astype(np.float32), y[i:i + MLP_BATCH].astype(np.int64))
                        for i in range(0, len(y), MLP_BATCH)]
        self.params: list[np.ndarray] = []
        for fan_in, fan_out in ((64, HIDDEN), (HIDDEN, 10)):
            bound = 1.0 / np.sqrt(fan_in)
            self.params += [rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                            rng.uniform(-bound, bound, fan_out).astype(np.float32)]


def ad_core_mlp(p: MLPProblem, backend: str, device: str) -> Case:
    import ad_core as ad

    def build() -> tuple[Any, Any, list[tuple[Any, Any]]]:
        model = ad.nn.Sequential(ad.nn.Linear(64, HIDDEN), ad.nn.ReLU(), ad.nn.Linear(HIDDEN, 10))
        model.load_state_dict(dict(zip(("0.weight", "0.bias", "2.weight", "2.bias"), p.params,
                                       strict=True)))
        model.to(backend=backend, device=device)
        optimizer = ad.optim.Adam(model.parameters(), lr=LR)
        batches = [(ad.tensor(xb, backend=backend, device=device),
                    ad.tensor(yb, backend=backend, device=device)) for xb, yb in p.batches]
        return model, optimizer, batches

    def epoch(model: Any, optimizer: Any, batches: list[tuple[Any, Any]]) -> None:
        for xb, yb in batches:
            loss = ad.losses.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    state = build()

    def parameters_after_one_epoch() -> list[np.ndarray]:
        model, optimizer, batches = build()
        epoch(model, optimizer, batches)
        return [q.numpy() for q in model.parameters()]

    return Case(_label(f"ad_core {backend}", device), lambda: epoch(*state), _sync(device),
                parameters_after_one_epoch)


def torch_mlp(p: MLPProblem, device: str) -> Case:
    import torch

    dev = torch.device(device)

    def build() -> tuple[Any, Any, list[tuple[Any, Any]]]:
        model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(),
                                    torch.nn.Linear(HIDDEN, 10)).to(dev)
        with torch.no_grad():
            for q, a in zip(model.parameters(), p.params, strict=True):
                q.copy_(torch.from_numpy(a))
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        batches = [(torch.tensor(xb, device=dev), torch.tensor(yb, device=dev))
                   for xb, yb in p.batches]
        return model, optimizer, batches

    def epoch(model: Any, optimizer: Any, batches: list[tuple[Any, Any]]) -> None:
        for xb, yb in batches:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    state = build()

    def parameters_after_one_epoch() -> list[np.ndarray]:
        model, optimizer, batches = build()
        epoch(model, optimizer, batches)
        return [q.detach().cpu().numpy() for q in model.parameters()]

    return Case(_label("torch nn+optim", device), lambda: epoch(*state), _sync(device),
                parameters_after_one_epoch)


# -- run -----------------------------------------------------------------------------------------


def check_same(workload: str, reference: Case, others: list[Case], rtol: float,
               atol: float) -> None:
    """Every case's arrays equal the reference's (torch's own), all float32; else stop."""
    ref = reference.gradients()  # type: ignore[misc]
    for case in others:
        for i, (r, g) in enumerate(zip(ref, case.gradients(), strict=True)):  # type: ignore[misc]
            if g.dtype != np.float32 or g.shape != r.shape or not np.allclose(g, r, rtol, atol):
                raise SystemExit(f"conv_step: {workload}: {case.name}: array {i} differs from "
                                 f"{reference.name}'s (max difference {np.max(np.abs(g - r)):.3g},"
                                 f" dtype {g.dtype}): the timings would not compare")


def run(settings: Settings) -> tuple[list[Row], dict[str, Any]]:
    """Time both workloads; return the table rows and the numbers for JSON."""
    import ad_core as ad

    notes: list[str] = []
    have_torch = "torch" in ad.available_backends()
    device = settings.device
    if settings.cuda and not cuda_available():
        notes.append("--device cuda: CUDA is not available to torch here; torch cases skipped")
        have_torch = False
    elif not have_torch:
        notes.append("torch is not installed; torch cases skipped")
    rows: list[Row] = []
    results: dict[str, Any] = {"ms": {}, "ms_best_round": {}, "spread": {}, "ratios": {},
                               "targets": {}, "notes": notes, "dtype": "float32"}
    conv_problem, mlp_problem = ConvProblem(), MLPProblem()
    notes.append(f"digits MLP epoch: {len(mlp_problem.batches)} batches of "
                 f"{mlp_problem.source}")
    workloads = [
        (f"conv2d fwd+bwd b{BATCH} 1->{CHANNELS} {SIZE}x{SIZE} k3",
         lambda b: ad_core_conv(conv_problem, b, "cpu" if b == "numpy" else device),
         lambda: torch_conv(conv_problem, device), 1e-4, 1e-4),
        ("digits MLP epoch 64-128-10 Adam",
         lambda b: ad_core_mlp(mlp_problem, b, "cpu" if b == "numpy" else device),
         lambda: torch_mlp(mlp_problem, device), 1e-3, 1e-5),
    ]
    for name, make_ad, make_torch, rtol, atol in workloads:
        ad_np = make_ad("numpy")
        cases = [ad_np]
        if have_torch:
            own, ad_t = make_torch(), make_ad("torch")
            check_same(name, own, [ad_np, ad_t], rtol, atol)
            cases += [own, ad_t]
        time_cases(cases[:1], settings)  # the NumPy group, then the torch group
        time_cases(cases[1:], settings)
        ms = {c.name: c.median * 1e3 for c in cases}
        results["ms"][name] = ms
        results["ms_best_round"][name] = {c.name: c.best * 1e3 for c in cases}
        results["spread"][name] = {c.name: c.spread for c in cases}
        results["ratios"][name] = {}
        if not have_torch:
            rows.append(Row(f"{name}  {ad_np.name}", ms[ad_np.name], "ms"))
            continue
        ratio_t = ms[ad_t.name] / ms[own.name]
        ratio_np = ms[ad_np.name] / ms[own.name]
        results["ratios"][name] = {"ad_core_torch/torch_own": ratio_t,
                                   "ad_core_numpy/torch_own": ratio_np}
        results["targets"][name] = {"ad_core_torch/torch_own": TARGET_TORCH}
        rows.append(Row(f"{name}  {own.name}", ms[own.name], "ms"))
        rows.append(Row(f"{name}  {ad_t.name}", ms[ad_t.name], "ms", ratio_t, TARGET_TORCH,
                        f"vs {own.name}"))
        rows.append(Row(f"{name}  {ad_np.name}", ms[ad_np.name], "ms", ratio_np, None,
                        f"vs {own.name}"))
    return rows, results


def title() -> str:
    return ("Conv2d forward-backward and digits-MLP training epoch, float32 (median ms per step "
            "or epoch; torch's own nn/optim as the baseline)")


def main(argv: list[str] | None = None) -> int:
    return run_benchmark("conv_step", __doc__, run, title, argv)


if __name__ == "__main__":
    sys.exit(main())
