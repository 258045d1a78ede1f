"""The examples run, on every backend present (small sizes: a smoke run)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_runs_and_prints_the_lecture_gradients(backend):
    args = [sys.executable, str(ROOT / "examples" / "quickstart.py"), "--backend", backend.name,
            "--steps", "30", "--hidden", "8"]
    if backend.device is not None:
        args += ["--device", backend.device]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=300).stdout
    assert "dy/dW1" in out and "training accuracy" in out
    assert "0.786447" in out  # dy/db[0] = w2[0] (1 - tanh²(0.5)), as derived by hand
