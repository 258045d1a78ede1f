"""The forward-mode and second-order examples run on every backend (small sizes: a smoke run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_example(name: str, *args: str, backend) -> str:
    command = [sys.executable, str(ROOT / "examples" / name), *args, "--backend", backend.name]
    if backend.device is not None:
        command += ["--device", backend.device]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout


def test_forward_vs_reverse_agree_and_reverse_wins_for_a_scalar_output(backend):
    out = run_example("forward_vs_reverse.py", "--widths", "4,8", "--depth", "2", backend=backend)
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    jacobian = [r for r in rows if len(r) == 8]
    gradient = [r for r in rows if len(r) == 5]
    assert [(int(r[0]), r[1]) for r in jacobian] == [(4, "vector"), (4, "scalar"), (8, "vector"),
                                                     (8, "scalar")]
    assert all(float(r[-1]) < 1e-5 for r in rows)            # both modes give the same numbers
    assert [int(r[3]) for r in jacobian if r[1] == "scalar"] == [32, 128]  # depth·M² madds
    assert [int(r[0]) for r in gradient] == [16, 64]


def test_forward_vs_reverse_saves_a_plot(tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "fvr.png"
    subprocess.run([sys.executable, str(ROOT / "examples" / "forward_vs_reverse.py"), "--widths",
                    "4", "--depth", "1", "--plot", str(plot)], check=True, capture_output=True,
                   timeout=300)
    assert plot.stat().st_size > 1000


def test_newton_converges_and_newton_cg_drives_the_gradient_to_zero(backend):
    out = run_example("newton_and_hvp.py", "--features", "50", "--samples", "40", "--steps", "5",
                      backend=backend)
    errors = [float(line.split("=")[-1]) for line in out.splitlines() if "|x - x*|" in line]
    assert errors[0] > 1.0 and errors[-1] < 1e-10 and len(errors) <= 9
    gradients = [float(line.split("|grad|")[1]) for line in out.splitlines() if "|grad|" in line]
    assert gradients[-1] < 1e-10 * gradients[0]
    assert "hvp/gradient" in out
