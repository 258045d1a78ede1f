"""One training step of a ReLU MLP: forward, cross-entropy loss, backward, SGD update.

Two sizes: 784-200-10 at batch 128 (small matrices, where framework overhead still shows) and
1024-1024-1024-10 at batch 256 (where the matrix products dominate). Everything is float32.

The loss is the mean cross-entropy written with ``log_softmax`` and a one-hot product,
``-sum(onehot * log_softmax(logits)) / batch``, the same formula in every autodiff case. Cases:

- ``handwritten numpy``: explicit forward and backward matrix products, ReLU masks and the
  softmax gradient ``(softmax - onehot) / batch``: the NumPy baseline;
- ``ad_core numpy``: the same network on ad_core tensors, ``loss.backward()``;
- ``torch autograd``: torch tensors with ``requires_grad``, ``loss.backward()``;
- ``ad_core torch``: ad_core tensors on the torch backend.

The SGD update is the same in-place array update in every case (``w -= lr * grad``; ad_core
has no optimizer in its core), so the ratios compare the autodiff, not the update.

Before timing, the gradients of every case are checked against the hand-written ones
(``np.allclose``) and to be float32, and every VJP rule in ad_core's graph is called once to
see that it returns float32 cotangents by itself (a rule that promotes to float64 is hidden by
the engine's cast back to the input dtype, but costs time).

Run: ``python bench/mlp_step.py [--quick] [--device cuda] [--json PATH]``.
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

#: name -> (layer widths, batch)
SIZES: dict[str, tuple[tuple[int, ...], int]] = {
    "784-200-10": ((784, 200, 10), 128),
    "1024-1024-1024-10": ((1024, 1024, 1024, 10), 256),
}
LARGE = "1024-1024-1024-10"
TARGET_NUMPY = 1.15  # ad_core-numpy / handwritten-numpy, every size
TARGET_TORCH = 1.15  # ad_core-torch / torch-autograd, at the large size
LR = 1e-3  # small: thousands of timed steps on one batch must not drive values to denormals


class Problem:
    """Initial parameters and one batch of data, shared (copied) by every case."""

    def __init__(self, widths: tuple[int, ...], batch: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.params: list[tuple[np.ndarray, np.ndarray]] = []
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            w = rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)
            b = 0.01 * rng.standard_normal(fan_out)
            self.params.append((w.astype(np.float32), b.astype(np.float32)))
        self.x = rng.standard_normal((batch, widths[0])).astype(np.float32)
        labels = rng.integers(0, widths[-1], size=batch)
        self.onehot = np.zeros((batch, widths[-1]), dtype=np.float32)
        self.onehot[np.arange(batch), labels] = 1.0
        self.batch = batch

    def copies(self) -> list[np.ndarray]:
        """Fresh copies of the parameters, flat: w1, b1, w2, b2, ..."""
        return [a.copy() for pair in self.params for a in pair]


# -- the implementations -----------------------------------------------------------------------


def handwritten_numpy(problem: Problem) -> Case:
    """Explicit backprop in NumPy: what ad_core-on-NumPy is measured against."""
    flat = problem.copies()
    weights, biases = flat[0::2], flat[1::2]
    x, onehot, n = problem.x, problem.onehot, problem.batch
    last = len(weights) - 1

    def loss_and_grads() -> tuple[Any, list[np.ndarray]]:
        inputs, pre = [], []  # each layer's input, each hidden layer's pre-activation
        h = x
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            inputs.append(h)
            z = h @ w + b
            if i < last:
                pre.append(z)
                h = np.maximum(z, 0)
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        loss = -(onehot * (shifted - np.log(s))).sum() / n
        d = (e / s - onehot) / n  # d loss / d logits
        grads: list[np.ndarray] = [None] * (2 * len(weights))  # type: ignore[list-item]
        for i in range(last, -1, -1):
            grads[2 * i] = inputs[i].T @ d
            grads[2 * i + 1] = d.sum(axis=0)
            if i > 0:
                d = (d @ weights[i].T) * (pre[i - 1] > 0)  # ReLU mask
        return loss, grads

    def step() -> Any:
        loss, grads = loss_and_grads()
        for p, g in zip(flat, grads, strict=True):
            p -= LR * g
        return loss

    def gradients() -> list[np.ndarray]:
        loss, grads = loss_and_grads()
        return [np.asarray(loss), *grads]

    return Case("handwritten numpy", step, None, gradients)


def ad_core_case(problem: Problem, backend: str, device: str) -> tuple[Case, Any]:
    """The network on ad_core tensors; also returns a function giving a fresh loss tensor."""
    import ad_core as ad

    params = [ad.tensor(a, backend=backend, device=device, requires_grad=True)
              for a in problem.copies()]
    weights, biases = params[0::2], params[1::2]
    x = ad.tensor(problem.x, backend=backend, device=device)
    onehot = ad.tensor(problem.onehot, backend=backend, device=device)
    n = problem.batch
    last = len(weights) - 1
    sync = _cuda_sync(device)

    def loss_fn() -> Any:
        h = x
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            z = h @ w + b
            h = ad.relu(z) if i < last else z
        return -ad.sum(onehot * ad.log_softmax(z, axis=-1)) / n

    def step() -> Any:
        loss = loss_fn()
        loss.backward()
        for p in params:
            a = p.array
            a -= LR * p.grad.array
            p.zero_grad_()
        return loss

    def gradients() -> list[np.ndarray]:
        loss = loss_fn()
        loss.backward()
        out = [loss.numpy(), *(p.grad.numpy() for p in params)]
        for p in params:
            p.zero_grad_()
        return out

    label = f"ad_core {backend}" + (f" [{device}]" if device != "cpu" else "")
    return Case(label, step, sync, gradients), loss_fn


def torch_autograd(problem: Problem, device: str) -> Case:
    """The network in torch's own eager autograd."""
    import torch

    dev = torch.device(device)
    params = [torch.tensor(a, device=dev, requires_grad=True) for a in problem.copies()]
    weights, biases = params[0::2], params[1::2]
    x = torch.tensor(problem.x, device=dev)
    onehot = torch.tensor(problem.onehot, device=dev)
    n = problem.batch
    last = len(weights) - 1

    def loss_fn() -> Any:
        h = x
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            z = h @ w + b
            h = torch.relu(z) if i < last else z
        return -torch.sum(onehot * torch.log_softmax(z, dim=-1)) / n

    def step() -> Any:
        loss = loss_fn()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss

    def gradients() -> list[np.ndarray]:
        loss = loss_fn()
        loss.backward()
        out = [loss.detach().cpu().numpy(), *(p.grad.cpu().numpy() for p in params)]
        for p in params:
            p.grad = None
        return out

    label = "torch autograd" + (f" [{device}]" if device != "cpu" else "")
    return Case(label, step, _cuda_sync(device), gradients)


def _cuda_sync(device: str) -> Any:
    if device != "cuda":
        return None
    import torch

    return torch.cuda.synchronize


# -- checks ------------------------------------------------------------------------------------


def check_gradients(reference: Case, others: list[Case]) -> dict[str, float]:
    """Every case's loss and gradients equal the hand-written ones, all float32.

    Returns the largest difference of each case from the reference, relative to the size of
    the reference gradient it belongs to.
    """
    ref = reference.gradients()  # type: ignore[misc]
    worst: dict[str, float] = {}
    names = ["loss"] + [f"{k}{i // 2 + 1}" for i, k in enumerate("wb" * ((len(ref) - 1) // 2))]
    for case in others:
        got = case.gradients()  # type: ignore[misc]
        worst[case.name] = 0.0
        for name, r, g in zip(names, ref, got, strict=True):
            if g.dtype != np.float32:
                raise SystemExit(f"mlp_step: {case.name}: {name} is {g.dtype}, not float32")
            scale = float(np.max(np.abs(r))) or 1.0
            if g.shape != r.shape or not np.allclose(g, r, rtol=1e-4, atol=1e-5 * scale):
                raise SystemExit(
                    f"mlp_step: {case.name}: {name} differs from the hand-written one (max "
                    f"difference {np.max(np.abs(g - r)):.3g}, scale {scale:.3g}): the cases do "
                    f"not compute the same thing, so their timings would not compare"
                )
            worst[case.name] = max(worst[case.name], float(np.max(np.abs(g - r))) / scale)
    return worst


def audit_rule_dtypes(loss: Any) -> list[str]:
    """Call every VJP rule in ``loss``'s graph once on its raw arrays; list those not float32.

    The engine casts each cotangent to its input's dtype, which hides a rule that computes in
    float64 (a Python-float or boolean-mask promotion) but not its cost. This reads the graph's
    nodes (``Tensor.grad_fn``) without running a backward pass.
    """
    problems: list[str] = []
    seen: set[int] = set()
    stack = [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not hasattr(node, "vjps"):
            continue
        seen.add(id(node))
        xp = node.backend.xp
        g = xp.ones_like(node.ans)
        for i, parent in enumerate(node.parents):
            if parent is None:
                continue
            rule = node.vjps if node.op.variadic else node.vjps[i]
            kwargs = {"argnum": i} if node.op.variadic else {}
            out = rule(xp, g, node.ans, *node.saved, **kwargs, **node.params)
            want = node.saved[i].dtype
            if out.dtype != want:
                problems.append(f"{node.op.name} (input {i}): VJP gives {out.dtype}, input is {want}")
            stack.append(parent if hasattr(parent, "vjps") else None)
    return sorted(set(problems))


# -- run -----------------------------------------------------------------------------------------


def run(settings: Settings) -> tuple[list[Row], dict[str, Any]]:
    """Time every case at every size; return the table rows and the numbers for JSON."""
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
    results: dict[str, Any] = {
        "ms_per_step": {}, "ms_per_step_best_round": {}, "spread": {}, "ratios": {},
        "max_rel_diff": {}, "targets": {}, "notes": notes, "lr": LR, "dtype": "float32",
    }
    for size, (widths, batch) in SIZES.items():
        problem = Problem(widths, batch)
        base = handwritten_numpy(problem)
        ad_np, ad_np_loss = ad_core_case(problem, "numpy", "cpu")
        cases = [base, ad_np]
        promoted = audit_rule_dtypes(ad_np_loss())
        if have_torch:
            ad_t, ad_t_loss = ad_core_case(problem, "torch", device)
            cases += [torch_autograd(problem, device), ad_t]
            promoted += [f"[torch] {p}" for p in audit_rule_dtypes(ad_t_loss())]
        results["max_rel_diff"][size] = check_gradients(base, cases[1:])
        for p in promoted:
            notes.append(f"{size}: dtype promotion inside a rule: {p}")
        time_cases(cases[:2], settings)  # the NumPy group, then the torch group
        time_cases(cases[2:], settings)

        ms = {c.name: c.median * 1e3 for c in cases}
        results["ms_per_step"][size] = ms
        results["ms_per_step_best_round"][size] = {c.name: c.best * 1e3 for c in cases}
        results["spread"][size] = {c.name: c.spread for c in cases}
        head = f"{size} b{batch}"
        ratio_np = ms[ad_np.name] / ms[base.name]
        results["ratios"][size] = {"ad_core_numpy/handwritten_numpy": ratio_np}
        results["targets"][size] = {"ad_core_numpy/handwritten_numpy": TARGET_NUMPY}
        rows.append(Row(f"{head}  handwritten numpy", ms[base.name], "ms"))
        rows.append(Row(f"{head}  {ad_np.name}", ms[ad_np.name], "ms", ratio_np, TARGET_NUMPY,
                        "vs handwritten numpy"))
        if have_torch:
            t_name, adt_name = cases[2].name, cases[3].name
            ratio_t = ms[adt_name] / ms[t_name]
            target = TARGET_TORCH if size == LARGE else None
            results["ratios"][size]["ad_core_torch/torch_autograd"] = ratio_t
            results["ratios"][size]["torch_autograd/handwritten_numpy"] = ms[t_name] / ms[base.name]
            if target is not None:
                results["targets"][size]["ad_core_torch/torch_autograd"] = target
            rows.append(Row(f"{head}  {t_name}", ms[t_name], "ms"))
            rows.append(Row(f"{head}  {adt_name}", ms[adt_name], "ms", ratio_t, target,
                            "vs torch autograd"))
    return rows, results


def title() -> str:
    return ("MLP training step, float32 (median ms per step: forward, log_softmax cross-entropy, "
            "backward, SGD update)")


def main(argv: list[str] | None = None) -> int:
    return run_benchmark("mlp_step", __doc__, run, title, argv)


if __name__ == "__main__":
    sys.exit(main())
