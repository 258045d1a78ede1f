"""The examples run, on every backend present (small sizes: a smoke run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_example(name: str, *args: str, backend=None) -> str:
    command = [sys.executable, str(ROOT / "examples" / name), *args]
    if backend is not None:
        command += ["--backend", backend.name]
        if backend.device is not None:
            command += ["--device", backend.device]
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=300).stdout


def test_quickstart_runs_and_prints_the_lecture_gradients(backend):
    out = run_example("quickstart.py", "--steps", "30", "--hidden", "8", backend=backend)
    assert "dy/dW1" in out and "training accuracy" in out
    assert "0.786447" in out  # dy/db[0] = w2[0] (1 - tanh²(0.5)), as derived by hand


def test_group_activity_prints_the_graph_and_gradients_that_agree_with_the_slides(backend):
    out = run_example("group_activity.py", backend=backend)
    assert "v0 = matmul(W1, x)" in out and "tanh(v1)" in out
    assert out.count("[agree]") == 3 and "DIFFER" not in out


def test_finite_differences_cost_grows_with_d_while_backprop_stays_flat(tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "fd.png"
    out = run_example("finite_differences_vs_backprop.py", "--sizes", "4,64", "--plot", str(plot))
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r[0]) for r in rows] == [4, 64]
    assert all(float(r[-1]) < 1e-6 for r in rows)  # both gradients agree
    assert plot.stat().st_size > 1000


def test_array_api_generic_code_is_differentiated_on_every_backend():
    out = run_example("array_api_generic.py")
    assert "closed form agrees: True" in out and "False" not in out
