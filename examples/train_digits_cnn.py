"""Train a small CNN on the handwritten digits: Conv2d, batch normalization and max pooling.

The same data and the same options as ``train_digits.py`` (scikit-learn's bundled 8×8 digits,
split 75/25 and standardised with the training statistics), seen as images (N, 1, 8, 8):

    Conv2d(1, 16, 3, padding=1) → BatchNorm2d(16) → ReLU → MaxPool2d(2)
        → Flatten → Linear(16·4·4, 10)

trained with Adam on mini-batches from ``ad.data.DataLoader``. BatchNorm2d normalizes each
channel over the batch and both spatial axes in training, and uses its running statistics in
evaluation mode. The script runs on any backend chosen at run time:

    python examples/train_digits_cnn.py                   # numpy, under half a minute on 2 cores
    python examples/train_digits_cnn.py --backend torch
    python examples/train_digits_cnn.py --backend torch --device cuda
    python examples/train_digits_cnn.py --plot cnn.png --checkpoint cnn.adckpt
    python examples/train_digits_cnn.py --epochs 20 --checkpoint cnn.adckpt --resume

With ``--checkpoint`` the model (batch-norm buffers included), the optimizer and the epoch are
saved with ``ad.save`` after every epoch; ``--resume`` continues from it. Needs
``pip install "ad_core[examples]"`` (scikit-learn, tqdm, matplotlib).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import ad_core as ad

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_digits import digits, fit, parse_options  # noqa: E402  (the shared data and training loop)


def make_model(channels: int) -> ad.nn.Module:
    return ad.nn.Sequential(
        ad.nn.Conv2d(1, channels, 3, padding=1),  # (N, 1, 8, 8) -> (N, C, 8, 8)
        ad.nn.BatchNorm2d(channels),
        ad.nn.ReLU(),
        ad.nn.MaxPool2d(2),  # -> (N, C, 4, 4)
        ad.nn.Flatten(),  # -> (N, 16 C)
        ad.nn.Linear(channels * 16, 10),
    )


def images(X: np.ndarray) -> np.ndarray:
    """Flat (N, 64) rows of pixels as (N, 1, 8, 8) single-channel images."""
    return X.reshape(-1, 1, 8, 8)


def main(argv: list[str] | None = None) -> float:
    args = parse_options(__doc__, argv, epochs=10, lr=3e-3,
                         width=("--channels", 16, "feature maps of the Conv2d"))

    ad.set_backend(args.backend, args.device)
    ad.random.seed(args.seed)
    X_train, y_train, X_test, y_test = digits(args.seed)
    data = (images(X_train), y_train, images(X_test), y_test)
    # drop_last: a last batch of one image has no batch statistics to normalize with.
    return fit(make_model(args.channels), data, args, name="CNN", drop_last=True)

if __name__ == "__main__":
    main()
