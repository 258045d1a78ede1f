"""torch.autograd as an independent oracle: same inputs, same cotangent, compare both answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ad_core.autograd.creation import tensor
from ad_core.autograd.functional import vjp
from ad_core.errors import ADCoreError

__all__ = ["OracleMismatch", "compare_with_torch"]


class OracleMismatch(ADCoreError, AssertionError):
    """ad_core and torch.autograd disagree on a value or a gradient."""


def compare_with_torch(
    f_ad: Callable[..., Any],
    f_torch: Callable[..., Any],
    inputs: Sequence[np.ndarray],
    *,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    seed: int = 0,
) -> None:
    """Check ``f_ad`` (on the backend in force) against ``f_torch`` under torch.autograd.

    ``inputs`` are NumPy arrays; floating ones are differentiated (as float64 on both sides),
    integer and boolean ones are passed as they are. Raises :class:`OracleMismatch` naming the
    output or the input whose gradient differs, with the worst element.
    """
    try:
        import torch
    except ImportError:  # no oracle here: under pytest the check is skipped, elsewhere it fails
        import sys

        if "pytest" in sys.modules:
            import pytest

            pytest.skip("torch is not installed, so there is no torch.autograd oracle")
        raise
    floating = [np.issubdtype(np.asarray(a).dtype, np.floating) for a in inputs]
    ad_args = [tensor(np.asarray(a, dtype=np.float64) if fl else np.asarray(a))
               for a, fl in zip(inputs, floating, strict=True)]
    t_args = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) if fl
              else torch.as_tensor(np.asarray(a)) for a, fl in zip(inputs, floating, strict=True)]
    wrt = [i for i, fl in enumerate(floating) if fl]

    def restricted(*xs: Any) -> Any:
        call = list(ad_args)
        for i, x in zip(wrt, xs, strict=True):
            call[i] = x
        return f_ad(*call)

    out, back = vjp(restricted, *[ad_args[i] for i in wrt])
    t_out = f_torch(*t_args)
    _close("output", out.numpy(), t_out.detach().numpy(), rtol, atol)
    u = np.random.default_rng(seed).standard_normal(tuple(t_out.shape))
    grads = back(tensor(u, dtype=out.dtype))
    t_grads = torch.autograd.grad(t_out, [t_args[i] for i in wrt], torch.as_tensor(u),
                                  allow_unused=True)
    for i, g, tg in zip(wrt, grads, t_grads, strict=True):
        expected = np.zeros(np.shape(inputs[i])) if tg is None else tg.numpy()
        _close(f"gradient of input {i}", g.numpy(), expected, rtol, atol)


def _close(what: str, got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> None:
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        raise OracleMismatch(f"{what}: shape {got.shape}, torch gives {expected.shape}")
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        err = np.where(bad, np.abs(got - expected), -1.0)
        worst = np.unravel_index(int(np.argmax(err)), err.shape)
        raise OracleMismatch(
            f"{what}: element {tuple(int(w) for w in worst)} is {got[worst]!r}, torch gives "
            f"{expected[worst]!r} ({int(bad.sum())} of {bad.size} elements differ)"
        )
