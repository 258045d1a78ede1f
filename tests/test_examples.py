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


def printed_accuracy(out: str) -> float:
    lines = [line for line in out.splitlines() if line.startswith("test accuracy: ")]
    assert len(lines) == 1, out
    return float(lines[0].split()[2])


#: the digits examples and their default number of epochs
DIGITS = {"train_digits.py": 20, "train_digits_cnn.py": 10}


@pytest.mark.parametrize("script", DIGITS)
def test_digits_example_runs_on_every_backend_and_prints_the_test_accuracy(backend, script):
    pytest.importorskip("sklearn")
    out = run_example(script, "--epochs", "1", "--quiet", backend=backend)
    assert f"trained 1 epoch(s) on {backend.name}" in out
    assert 0.5 < printed_accuracy(out) <= 1.0


@pytest.mark.parametrize("script", DIGITS)
def test_digits_example_reaches_95_percent_on_the_held_out_split(tmp_path, script):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    plot = tmp_path / "digits.png"
    out = run_example(script, "--backend", "numpy", "--plot", str(plot))
    assert out.count("test accuracy ") == DIGITS[script]  # one line per epoch
    assert printed_accuracy(out) >= 0.95
    assert plot.stat().st_size > 1000


def test_train_digits_resumed_from_its_checkpoint_ends_where_an_uninterrupted_run_does(tmp_path):
    pytest.importorskip("sklearn")
    checkpoint = tmp_path / "digits.adckpt"
    common = ("--backend", "numpy", "--quiet", "--checkpoint", str(checkpoint))
    first = run_example("train_digits.py", "--epochs", "2", *common)
    assert "trained 2 epoch(s)" in first and checkpoint.exists()
    resumed = run_example("train_digits.py", "--epochs", "4", "--resume", *common)
    assert "resumed from" in resumed and "after epoch 2" in resumed
    assert "trained 2 epoch(s)" in resumed
    straight = run_example("train_digits.py", "--epochs", "4", "--backend", "numpy", "--quiet")
    assert printed_accuracy(resumed) == printed_accuracy(straight)


def test_train_digits_cnn_resumed_with_its_batch_norm_statistics_matches_a_straight_run(tmp_path):
    pytest.importorskip("sklearn")
    checkpoint = tmp_path / "cnn.adckpt"
    common = ("--backend", "numpy", "--quiet", "--checkpoint", str(checkpoint))
    run_example("train_digits_cnn.py", "--epochs", "2", *common)
    resumed = run_example("train_digits_cnn.py", "--epochs", "3", "--resume", *common)
    assert "after epoch 2" in resumed and "trained 1 epoch(s)" in resumed
    straight = run_example("train_digits_cnn.py", "--epochs", "3", "--backend", "numpy", "--quiet")
    assert printed_accuracy(resumed) == printed_accuracy(straight)


def test_gradient_descent_2d_reports_each_method_and_draws_the_trajectories(tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "gd.png"
    out = run_example("gradient_descent_2d.py", "--steps", "400", "--plot", str(plot))
    rows = {line[:15].strip(): line.split() for line in out.splitlines()
            if line[:15].strip() in {"GD", "SGD", "mini-batch SGD", "momentum", "Adam"}}
    assert set(rows) == {"GD", "SGD", "mini-batch SGD", "momentum", "Adam"}
    assert rows["momentum"][-1] == "tolerance" and rows["Adam"][-1] == "tolerance"
    assert rows["SGD"][-1] == "max_steps"  # one sample's gradient never lets the loss settle
    assert float(rows["momentum"][-2]) < 1e-3  # |w - w*|
    assert plot.stat().st_size > 1000


def test_vanishing_gradients_shows_sigmoid_vanishing_and_the_remedies_working(tmp_path):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "vanish.png"
    out = run_example("vanishing_gradients.py", "--depth", "16", "--plot", str(plot))
    ratio = {}  # the table's fixed-width columns: activation, initialisation, remedy, ..., ratio
    for line in out.splitlines():
        if line[:10].strip() in {"sigmoid", "tanh", "relu"}:
            key = (line[:10].strip(), line[11:27].strip(), line[28:42].strip())
            ratio[key] = float(line.split()[-1])
    assert ratio[("sigmoid", "xavier", "-")] < 1e-6                  # vanishing
    assert 0.1 < ratio[("tanh", "xavier", "-")] < 10                # a good initialisation
    assert 0.1 < ratio[("sigmoid", "xavier", "layer norm")] < 10    # normalisation mends it
    assert ratio[("sigmoid", "xavier", "shortcuts")] > 1e-3         # shortcuts carry it back
    assert plot.stat().st_size > 1000


def test_every_example_is_run_by_some_test():
    """Each ``examples/*.py`` script, and each plugin package under ``examples/plugins/``, is
    named by a test that runs it (a smoke run with small sizes is enough)."""
    tests = ROOT / "tests"
    sources = "\n".join(p.read_text() for p in tests.rglob("*.py"))
    scripts = sorted(p.name for p in (ROOT / "examples").glob("*.py"))
    packages = sorted(p.name for p in (ROOT / "examples" / "plugins").iterdir() if p.is_dir())
    assert scripts and packages
    missing = [s for s in scripts if f'"{s}"' not in sources]
    missing += [p for p in packages if f'"{p}"' not in sources]
    assert not missing, f"no test runs these examples: {missing}; add a smoke test"
