"""Train an MLP to read handwritten digits: ad.nn, Adam, cross-entropy and safe checkpoints.

The data is scikit-learn's bundled digits set (1797 8×8 images of the digits 0-9, no download),
standardised with the training split's statistics; a quarter is held out as the test split.
The model is Linear(64, 128) → ReLU → Linear(128, 10), trained with Adam on mini-batches from
``ad.data.DataLoader``. The same script runs on any backend chosen at run time:

    python examples/train_digits.py                       # numpy, a few seconds on 2 cores
    python examples/train_digits.py --backend torch
    python examples/train_digits.py --backend torch --device cuda
    python examples/train_digits.py --plot digits.png --checkpoint digits.adckpt
    python examples/train_digits.py --epochs 30 --checkpoint digits.adckpt --resume

With ``--checkpoint`` the model, the optimizer and the epoch are saved with ``ad.save`` after
every epoch (a pickle-free file, loadable on any backend); ``--resume`` continues from it, so an
interrupted run of N epochs and its resumption end where an uninterrupted run would. Needs
``pip install "ad_core[examples]"`` (scikit-learn, tqdm, matplotlib).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import numpy as np

import ad_core as ad


def digits(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits data, split 75/25 (stratified) and standardised with the training statistics."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=seed)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std[std == 0] = 1.0  # pixels that are blank in every training image
    scale = lambda a: ((a - mean) / std).astype(np.float32)  # noqa: E731
    return scale(X_train), y_train.astype(np.int64), scale(X_test), y_test.astype(np.int64)


def make_model(hidden: int) -> ad.nn.Module:
    return ad.nn.Sequential(ad.nn.Linear(64, hidden), ad.nn.ReLU(), ad.nn.Linear(hidden, 10))


def accuracy(model: ad.nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """The fraction of ``X`` that ``model`` classifies correctly (evaluation mode, no graph)."""
    model.eval()
    with ad.no_grad():
        predicted = ad.to_numpy(ad.argmax(model(ad.tensor(X)), axis=1))
    model.train()
    return float(np.mean(predicted == y))


def progress(total: int, epoch: int, quiet: bool) -> Any:
    """A tqdm bar over one epoch's batches, or None when quiet or when stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=f"epoch {epoch}", leave=False, unit="batch")


def plot(history: dict[str, list[float]], path: str, backend: str, name: str = "MLP") -> None:
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
    fig.suptitle(f"Digits {name} on {backend}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_options(doc: str, argv: list[str] | None, *, epochs: int, lr: float,
                  width: tuple[str, int, str]) -> argparse.Namespace:
    """The command line both digits examples share; ``width`` is the model's size option."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="numpy",
                        help="numpy, torch, array_api_strict or cupy (default numpy)")
    parser.add_argument("--device", default=None, help="the backend's device, e.g. cuda")
    parser.add_argument("--epochs", type=int, default=epochs, help="epochs to train in all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=lr)
    parser.add_argument(width[0], type=int, default=width[1], help=width[2])
    parser.add_argument("--plot", default=None, help="write loss and accuracy curves (PNG) here")
    parser.add_argument("--checkpoint", default=None,
                        help="save model, optimizer and history here after every epoch")
    parser.add_argument("--resume", action="store_true",
                        help="continue from --checkpoint (when the file exists)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no epoch lines")
    args = parser.parse_args(argv)
    if args.resume and not args.checkpoint:
        parser.error("--resume needs --checkpoint PATH")
    return args


def main(argv: list[str] | None = None) -> float:
    args = parse_options(__doc__, argv, epochs=20, lr=2e-3,
                         width=("--hidden", 128, "units of the hidden layer"))
    ad.set_backend(args.backend, args.device)
    ad.random.seed(args.seed)
    return fit(make_model(args.hidden), digits(args.seed), args, name="MLP")


def fit(model: ad.nn.Module, data: tuple[np.ndarray, ...], args: argparse.Namespace, *,
        name: str, drop_last: bool = False) -> float:
    """Train ``model`` with Adam and cross-entropy as the options in ``args`` say (epochs,
    batch size, checkpoint and resume, plot, quiet); return the held-out accuracy."""
    X_train, y_train, X_test, y_test = data
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
        # A loader per epoch, seeded by (seed, epoch): a resumed run sees the batches an
        # uninterrupted one would have.
        loader = ad.data.DataLoader(X_train, y_train, batch_size=args.batch_size, shuffle=True,
                                    drop_last=drop_last, seed=args.seed * 100_003 + epoch)
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
        plot(history, args.plot, backend, name)
        print(f"wrote {args.plot}")
    return test_accuracy


if __name__ == "__main__":
    main()
