"""The same seed gives the same digits loss curve on every backend, within float32 tolerance.

``examples/train_digits.py``'s own ``fit`` trains its MLP (Linear → ReLU → Linear, Adam,
shuffled mini-batches) on a slice of the digits data for a few epochs, once on NumPy as the
reference and once on the backend under test. Everything random — the initial weights
(``ad.random``) and the batch order (``ad.data.DataLoader``'s seed) — comes from one seed and
must not depend on the backend, so the per-epoch training losses (read back from the checkpoint
``fit`` writes, its record of the curve) and the held-out accuracy must agree. Another seed must
give another curve, so the agreement is not an accident of a constant.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ad_core as ad

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "train_digits.py"
EPOCHS = 5
#: float32 arithmetic in another order (BLAS, torch's or a GPU's kernels) over 15 steps; on the
#: CPU the backends agree to about 1e-7, another seed moves the curve by more than 1e-2
RTOL = 1e-4


@functools.cache
def train_digits() -> Any:
    """The example as a module (examples/ is not a package)."""
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("train_digits_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def data(seed: int) -> tuple[np.ndarray, ...]:
    """A small slice of the digits split: 192 training images (3 batches), 96 held out."""
    X_train, y_train, X_test, y_test = train_digits().digits(seed)
    return X_train[:192], y_train[:192], X_test[:96], y_test[:96]


def loss_curve(directory: Path, seed: int = 0) -> tuple[list[float], float]:
    """``fit``'s per-epoch training losses and its held-out accuracy on the backend in force."""
    example = train_digits()
    checkpoint = directory / f"digits-{ad.get_backend().name}-{seed}.adckpt"
    args = example.parse_options("", ["--quiet", "--epochs", str(EPOCHS), "--seed", str(seed),
                                      "--hidden", "32", "--lr", "1e-2",
                                      "--checkpoint", str(checkpoint)],
                                 epochs=EPOCHS, lr=1e-2, width=("--hidden", 32, "hidden units"))
    ad.random.seed(args.seed)
    accuracy = example.fit(example.make_model(args.hidden), data(seed), args, name="MLP")
    return ad.load(str(checkpoint))["history"]["loss"], accuracy


@functools.cache
def numpy_reference(directory: Path) -> tuple[list[float], float]:
    with ad.backend("numpy"):
        return loss_curve(directory)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reproducibility")


def test_the_same_seed_gives_the_numpy_loss_curve_on_every_backend(backend, workdir, capsys):
    expected, expected_accuracy = numpy_reference(workdir)
    curve, accuracy = loss_curve(workdir)
    assert len(curve) == EPOCHS
    np.testing.assert_allclose(curve, expected, rtol=RTOL)
    assert accuracy == pytest.approx(expected_accuracy, abs=1.5 / 96)  # one borderline image
    assert curve[-1] < 0.5 * curve[0]  # it trained: the curve is a real curve


def test_another_seed_gives_another_loss_curve(workdir, capsys):
    expected, _ = numpy_reference(workdir)
    with ad.backend("numpy"):
        other, _ = loss_curve(workdir, seed=1)
    assert np.max(np.abs(np.array(other) - np.array(expected))) > 10 * RTOL * max(expected)
