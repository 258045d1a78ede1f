"""Derive the Chebyshev tables of the ``erf`` op (plugins/ad_core_nn/functional.py) and measure them.

Run by hand from the repository root, with the project's environment (ad_core installed)::

    python tools/fit_erf.py

It prints the two tables as Python literals, ready to paste into functional.py, then evaluates
functional.py's own ``erf`` rule (with NumPy as the namespace, and with the freshly fitted
tables) on a dense grid and near the range boundaries, and prints the errors it finds.

The approximation
-----------------
- ``|x| <= 1``: erf(x) = x + x·R(t) with t = x² and R(t) = erf(√t)/√t − 1, a Chebyshev series
  in s = 2t − 1. Writing erf as x plus a correction of at most 0.16·|x| keeps the result within
  about one rounding of the truth, and makes it odd by construction.
- ``1 < |x| <= 6``: erf(x) = 1 − erfc(x), erfc(x) = exp(−x²)/x · F(v) with v = 1/x and
  F(v) = x·exp(x²)·erfc(x), a smooth function falling from 0.56 to 0.43 on v in [1/6, 1]: a
  Chebyshev series in s = (2v − 7/6)/(5/6) = 12/(5x) − 7/5. (The variable 1/x needs 25 terms
  where 1/x² needs 39 for the same accuracy: F's branch point at v = 0 is farther, relative to
  the interval, in 1/x.) erfc is at most 0.16 here, so its relative error is shrunk in erf.
- ``|x| > 6``: the tail series evaluated at 6 gives 1 − 2·10⁻¹⁷, which rounds to exactly 1.

Coefficients come from Chebyshev interpolation at 96 points (the first-kind nodes), computed
in 50-digit decimal arithmetic from a reference erf of our own (the everywhere-positive series
erf(x) = 2/√π · exp(−x²) · Σ 2ⁿ x²ⁿ⁺¹ / (1·3·…·(2n+1))), then truncated where the dropped
terms cannot change erf by more than 2⁻⁵⁶ of its value: an eighth of float64's rounding.
The same decimal reference is the truth the errors are measured against.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from decimal import Decimal, getcontext
from pathlib import Path

import numpy as np

getcontext().prec = 50
NODES = 96  # interpolation points per range; the series have decayed below 1e-30 long before
DROP = Decimal(2) ** -56  # the relative error in erf that truncating a series may make
TAIL_END = 6  # beyond it erf rounds to 1 in float64: erfc(6) ~ 2e-17 < 2**-54


def _arctan_inverse(k: int) -> Decimal:
    """atan(1/k) = Σ (−1)ⁿ / ((2n+1) k²ⁿ⁺¹), for an integer k > 1."""
    total, power, n, k2 = Decimal(0), Decimal(1) / k, 0, k * k
    while power > Decimal(10) ** -(getcontext().prec + 5):
        total += (-1) ** n * power / (2 * n + 1)
        power /= k2
        n += 1
    return total


PI = 16 * _arctan_inverse(5) - 4 * _arctan_inverse(239)  # Machin's formula
TWO_OVER_SQRT_PI = 2 / PI.sqrt()


def reference_erf(x: Decimal) -> Decimal:
    """erf(x) for x >= 0 to about 50 digits, from a series whose terms are all positive."""
    x2 = x * x
    term, total, n = x, Decimal(0), 0
    while term > total * Decimal(10) ** -55 or n < 2:
        total += term
        n += 1
        term = term * 2 * x2 / (2 * n + 1)
    return TWO_OVER_SQRT_PI * (-x2).exp() * total


def _cos(theta: Decimal) -> Decimal:
    """cos θ by its Taylor series (θ in [0, π] here)."""
    term, total, n = Decimal(1), Decimal(0), 0
    while abs(term) > Decimal(10) ** -55:
        total += term
        n += 2
        term = -term * theta * theta / (n * (n - 1))
    return total


def chebyshev_fit(f: Callable[[Decimal], Decimal], lo: Decimal, hi: Decimal,
                  allowed: Decimal) -> list[Decimal]:
    """Coefficients c_k of the Chebyshev interpolant Σ c_k T_k(s) of f on [lo, hi], where
    s = (2y − lo − hi)/(hi − lo), at the NODES first-kind Chebyshev points, truncated where the
    dropped terms sum (bounding the error they make anywhere) to less than ``allowed``."""
    s_nodes = [_cos(PI * (j + Decimal(1) / 2) / NODES) for j in range(NODES)]
    values = [f((lo + hi) / 2 + (hi - lo) / 2 * s) for s in s_nodes]
    coefficients = [Decimal(0)] * NODES
    for s, value in zip(s_nodes, values, strict=True):
        t_prev, t_k = Decimal(1), s  # T_0(s), T_1(s); then T_{k+1} = 2s T_k − T_{k−1}
        coefficients[0] += value
        for k in range(1, NODES):
            coefficients[k] += value * t_k
            t_prev, t_k = t_k, 2 * s * t_k - t_prev
    coefficients = [c * 2 / NODES for c in coefficients]
    coefficients[0] /= 2
    kept, dropped = NODES, Decimal(0)
    while dropped + abs(coefficients[kept - 1]) < allowed:
        kept -= 1
        dropped += abs(coefficients[kept])
    return coefficients[:kept]


def small_series(t: Decimal) -> Decimal:
    """S(t) = erf(√t)/√t, for 0 < t <= 1 (R = S − 1 is stored: the table's c_0 is less by 1)."""
    x = t.sqrt()
    return reference_erf(x) / x


def tail_series(v: Decimal) -> Decimal:
    """F(v) = x·exp(x²)·erfc(x) at x = 1/v, for 1/6 <= v <= 1."""
    x = 1 / v
    return x * (x * x).exp() * (1 - reference_erf(x))


def literal(name: str, comment: str, coefficients: list[Decimal]) -> str:
    """A Python tuple literal, four shortest round-trip floats to a line."""
    numbers = [repr(float(c)) for c in coefficients]
    rows = [", ".join(numbers[i:i + 4]) for i in range(0, len(numbers), 4)]
    body = ",\n    ".join(rows)
    return f"#: {comment}\n{name} = (\n    {body},\n)"


def measurement_points() -> np.ndarray:
    """A dense grid on [0, 7], windows around 1 and 6 (the range ends), the ends and their
    neighbouring floats, and tiny values."""
    ends = np.array([1.0, 6.0])
    neighbours = np.concatenate([ends, np.nextafter(ends, 0.0), np.nextafter(ends, 9.0)])
    windows = np.concatenate([np.linspace(e - 1e-3, e + 1e-3, 2001) for e in ends])
    tiny = np.concatenate([[5e-324, 1e-300, 1e-200, 1e-30], np.geomspace(1e-12, 1e-2, 400)])
    return np.unique(np.concatenate([np.linspace(0.0, 7.0, 35001), windows, neighbours, tiny]))


def _errors(got: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Absolute error, relative error, and error in units of the last place of the truth (as
    rounded to got's dtype), all in float64."""
    error = np.abs(got.astype(np.float64) - truth)
    relative = error / np.where(truth > 0.0, truth, 1.0)
    ulp = np.spacing(truth.astype(got.dtype)).astype(np.float64)
    return error, relative, error / np.where(ulp > 0.0, ulp, np.finfo(got.dtype).smallest_subnormal)


def measure(erf: Callable[[np.ndarray], np.ndarray]) -> None:
    """Print the errors of ``erf`` against the decimal reference, per range and overall, for
    float64 and float32 inputs, and check that negative inputs give exactly −erf(−x)."""
    x = measurement_points()
    truth = np.array([float(reference_erf(Decimal(v))) for v in x])
    error, relative, ulps = _errors(erf(x), truth)
    print("float64:          max abs error  max rel error  max error")
    for name, inside in [("|x| <= 1", x <= 1.0), ("1 < |x| <= 6", (x > 1.0) & (x <= 6.0)),
                         ("|x| > 6", x > 6.0), ("|x - 1| <= 1e-3", np.abs(x - 1.0) <= 1e-3),
                         ("|x - 6| <= 1e-3", np.abs(x - 6.0) <= 1e-3), ("all of [0, 7]", x >= 0.0)]:
        print(f"  {name:16s} {error[inside].max():13.3e}  {relative[inside].max():13.3e}"
              f"  {ulps[inside].max():.0f} ulp")
    print(f"  odd: erf(-x) == -erf(x) exactly at every point: {bool(np.all(erf(-x) == -erf(x)))}")
    x32 = x.astype(np.float32)
    got32 = erf(x32)
    truth32 = np.array([float(reference_erf(Decimal(float(v)))) for v in x32])
    error, relative, ulps = _errors(got32, truth32)
    print(f"float32 (result {got32.dtype}): max abs error {error.max():.3e}, max rel error "
          f"{relative.max():.3e}, max {ulps.max():.2f} float32 ulp")


def main() -> None:
    """Fit both tables, print them, and measure functional.py's erf with them."""
    # An error dS in S moves erf by x·dS, relative error dS/S <= dS/erf(1); an error dF in F
    # moves it by exp(−x²)/x·dF, relative error <= dF/(e·erf(1)) (x >= 1): both below DROP.
    erf_1 = reference_erf(Decimal(1))
    small = chebyshev_fit(small_series, Decimal(0), Decimal(1), DROP * erf_1)
    small[0] -= 1  # stored as R = S − 1, for erf = x + x·R
    tail = chebyshev_fit(tail_series, Decimal(1) / TAIL_END, Decimal(1), DROP * erf_1 * Decimal(1).exp())
    print(literal("ERF_SMALL", "|x| <= 1: erf(x) = x + x·Σ c_k T_k(2x² − 1)", small))
    print(literal("ERFC_TAIL", "1 < |x| <= 6: erfc(x) = exp(−x²)/x · Σ c_k T_k(12/(5x) − 7/5)", tail))
    print(f"# {len(small)} and {len(tail)} terms\n")

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
    from ad_core_nn import functional

    fitted = (tuple(float(c) for c in small), tuple(float(c) for c in tail))
    shipped = (functional.ERF_SMALL, functional.ERFC_TAIL)
    print("tables in functional.py:", "identical" if fitted == shipped else "DIFFERENT (paste the above)")
    functional.ERF_SMALL, functional.ERFC_TAIL = fitted  # measure the fitted tables with its rule
    measure(lambda x: functional.erf(np, x))


if __name__ == "__main__":
    main()
