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

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

import ad_core as ad

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_digits import accuracy, digits, progress  # noqa: E402  (the shared data and helpers)


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


def plot(history: dict[str, list[float]], path: str, backend: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history["loss"], marker="o")
    left.set(xlabel="epoch", ylabel="training loss (cross-entropy)", yscale="log")
    right.plot(epochs, history["train_accuracy"], marker="o", label="train")
    right.plot(epochs, history["test_accuracy"], marker="o", label="test")
    right.set(xlabel="epoch", ylabel="accuracy")
    right.legend()
    fig.suptitle(f"Digits CNN on {backend}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="numpy",
                        help="numpy, torch, array_api_strict or cupy (default numpy)")
    parser.add_argument("--device", default=None, help="the backend's device, e.g. cuda")
    parser.add_argument("--epochs", type=int, default=10, help="epochs to train in all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--channels", type=int, default=16, help="feature maps of the Conv2d")
    parser.add_argument("--plot", default=None, help="write loss and accuracy curves (PNG) here")
    parser.add_argument("--checkpoint", default=None,
                        help="save model, optimizer and history here after every epoch")
    parser.add_argument("--resume", action="store_true",
                        help="continue from --checkpoint (when the file exists)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no epoch lines")
    args = parser.parse_args(argv)
    if args.resume and not args.checkpoint:
        parser.error("--resume needs --checkpoint PATH")

    ad.set_backend(args.backend, args.device)
    ad.random.seed(args.seed)
    X_train, y_train, X_test, y_test = digits(args.seed)
    X_train, X_test = images(X_train), images(X_test)
    model = make_model(args.channels)
    optimizer = ad.optim.Adam(model.parameters(), lr=args.lr)
    history: dict[str, list[float]] = {"loss": [], "train_accuracy": [], "test_accuracy": []}
    start = 0
    if args.resume and os.path.exists(args.checkpoint):
        state = ad.load(args.checkpoint)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        history = state["history"]
        start = state["epoch"]
        print(f"resumed from {args.checkpoint} after epoch {start}")

    began = time.perf_counter()
    for epoch in range(start + 1, args.epochs + 1):
        # Seeded by (seed, epoch): a resumed run sees the batches an uninterrupted one would.
        # drop_last: a last batch of one image has no batch statistics to normalize with.
        loader = ad.data.DataLoader(X_train, y_train, batch_size=args.batch_size, shuffle=True,
                                    drop_last=True, seed=args.seed * 100_003 + epoch)
        bar = progress(len(loader), epoch, args.quiet)
        total, seen, correct = 0.0, 0, 0
        for xb, yb in loader:
            logits = model(xb)
            loss = ad.losses.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            n = xb.shape[0]
            total += loss.item() * n
            seen += n
            correct += int(ad.sum(ad.astype(ad.argmax(logits, axis=1) == yb, ad.int64)).item())
            if bar is not None:
                bar.set_postfix(loss=f"{total / seen:.4f}", acc=f"{correct / seen:.3f}")
                bar.update()
        if bar is not None:
            bar.close()
        history["loss"].append(total / seen)
        history["train_accuracy"].append(correct / seen)
        history["test_accuracy"].append(accuracy(model, X_test, y_test))
        if not args.quiet:
            print(f"epoch {epoch:3d}  loss {history['loss'][-1]:.4f}  "
                  f"train accuracy {history['train_accuracy'][-1]:.4f}  "
                  f"test accuracy {history['test_accuracy'][-1]:.4f}")
        if args.checkpoint:
            ad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "epoch": epoch, "history": history}, args.checkpoint)

    test_accuracy = accuracy(model, X_test, y_test)
    backend = ad.get_backend().name
    print(f"trained {args.epochs - start} epoch(s) on {backend} in "
          f"{time.perf_counter() - began:.1f} s")
    print(f"test accuracy: {test_accuracy:.4f} ({len(y_test)} held-out digits)")
    if args.plot and history["loss"]:
        plot(history, args.plot, backend)
        print(f"wrote {args.plot}")
    return test_accuracy


if __name__ == "__main__":
    main()
