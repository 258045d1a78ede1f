"""What every ad_core benchmark shares: the command line, the timer, the table and the JSON.

Method (the same for every case, so that ratios compare like with like):

- all cases of one benchmark run in the same process on the same machine, with the same thread
  settings (torch uses every core; NumPy's BLAS keeps its own default, which is every core);
- cases are timed in groups of one array library each (the NumPy cases, then the torch cases),
  after a short pause: a library's worker threads keep spinning for a while after its last
  call, and a torch case timed right after a NumPy one (or the reverse) would pay for them;
  every ratio compares two cases of the same group;
- within a group each case is warmed up first, then timed in rounds: every round times each
  case once, in turn, so that a slow spell of the machine hits every case alike;
- a round times a batch of calls with :func:`time.perf_counter` (batched so that one timing lasts
  long enough to trust), with the garbage collector paused as :mod:`timeit` does;
- the reported time of a case is the median over the rounds.

Timings are measured and printed, never asserted: a benchmark that fails on a slow machine tells
nothing. Targets are printed beside the ratios for a reader to judge.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Case",
    "Row",
    "Settings",
    "add_arguments",
    "cuda_available",
    "environment",
    "print_table",
    "settings_from",
    "setup_threads",
    "warn_if_busy",
    "time_cases",
    "write_json",
]


@dataclass(frozen=True)
class Settings:
    """How long to measure: ``quick`` is a smoke run of a few seconds, the default a real run."""

    quick: bool
    device: str
    warmup: int
    rounds: int
    min_time: float  # seconds one timing of a case should last at least (sets the batch size)

    @property
    def cuda(self) -> bool:
        return self.device == "cuda"


@dataclass
class Case:
    """One thing to time: ``step`` runs it once; ``sync`` waits for queued device work.

    ``gradients``, where given, runs the computation once more and returns its gradients as
    NumPy arrays, for the check (before timing) that every case computes the same thing.
    """

    name: str
    step: Callable[[], Any]
    sync: Callable[[], None] | None = None
    gradients: Callable[[], list[Any]] | None = None
    number: int = 1  # calls per timing, found by calibration
    times: list[float] = field(default_factory=list)  # seconds per call, one per round

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def best(self) -> float:
        """The fastest round: less sensitive to other work on the machine than the median."""
        return min(self.times)

    @property
    def spread(self) -> float:
        """Relative spread of the rounds (interquartile range over median), to judge noise."""
        if len(self.times) < 4:
            return 0.0
        q = statistics.quantiles(self.times, n=4)
        return (q[2] - q[0]) / self.median


@dataclass
class Row:
    """One line of the results table."""

    case: str
    value: float | None  # None: skipped
    unit: str
    ratio: float | None = None
    target: float | None = None
    note: str = ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark script accepts."""
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: few rounds, finishes in seconds (for CI)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                        help="device of the torch-backend cases; cuda skips them cleanly when "
                             "CUDA is absent (NumPy cases always run on the CPU)")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write all numbers to PATH as JSON")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for torch, and for NumPy's BLAS where threadpoolctl is "
                             "installed (default: torch gets every core, BLAS its own default)")


def settings_from(args: argparse.Namespace) -> Settings:
    """Measurement settings from the parsed command line."""
    if args.quick:
        return Settings(quick=True, device=args.device, warmup=1, rounds=3, min_time=0.005)
    return Settings(quick=False, device=args.device, warmup=3, rounds=15, min_time=0.05)


_BLAS_LIMIT: Any = None  # keeps a threadpoolctl limit in force for the whole run


def setup_threads(threads: int | None = None) -> int:
    """Give torch one thread per core (or ``threads``), the same for every case; return it.

    With ``threads`` given and threadpoolctl installed, NumPy's BLAS gets the same limit;
    without threadpoolctl it keeps what the environment says (``OPENBLAS_NUM_THREADS``; every
    core by default): the benchmark never changes environment variables itself.
    """
    global _BLAS_LIMIT
    n = threads or os.cpu_count() or 1
    if threads is not None:
        try:
            from threadpoolctl import threadpool_limits

            _BLAS_LIMIT = threadpool_limits(limits=n, user_api="blas")
        except ImportError:
            if not os.environ.get("OPENBLAS_NUM_THREADS"):
                print(f"note: --threads {n} limits torch only (threadpoolctl is not installed); "
                      f"set OPENBLAS_NUM_THREADS={n} in the command to limit NumPy's BLAS too")
    try:
        import torch
    except ImportError:
        return n
    torch.set_num_threads(n)
    return n


def warn_if_busy() -> None:
    """Say so when other work is running: it distorts multi-threaded BLAS timings badly."""
    if not hasattr(os, "getloadavg"):
        return
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"note: load average {load:.2f} at the start: other processes are running, and "
              f"multi-threaded BLAS can slow down many times over when they hold a core. Run on "
              f"a quiet machine, or with one thread for every library: "
              f"OPENBLAS_NUM_THREADS=1 python bench/run_all.py --threads 1")


def cuda_available() -> bool:
    """Whether torch sees a CUDA device."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def environment(threads: int) -> dict[str, Any]:
    """Versions, cores, BLAS and thread settings: what a reader needs to compare two runs."""
    import numpy as np

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": _cpu_name(),
        "cores": os.cpu_count(),
        "numpy": np.__version__,
        "threads": threads,
    }
    if hasattr(os, "getloadavg"):
        # Other work on the machine distorts multi-threaded BLAS timings most of all.
        info["load_average_1min_at_start"] = round(os.getloadavg()[0], 2)
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # older NumPy: no dict mode
        info["numpy_blas"] = "unknown"
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if os.environ.get(var):
            info[var] = os.environ[var]
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "architecture")}
            for p in threadpool_info()
        ]
    except ImportError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        if torch.cuda.is_available():
            info["cuda_device"] = torch.cuda.get_device_name(0)
    except ImportError:
        info["torch"] = None
    import ad_core

    info["ad_core"] = ad_core.__version__
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _timed(case: Case, number: int) -> float:
    """Seconds for ``number`` calls of the case, device work included."""
    step, sync = case.step, case.sync
    start = time.perf_counter()
    for _ in range(number):
        step()
    if sync is not None:
        sync()
    return time.perf_counter() - start


def time_cases(cases: Sequence[Case], settings: Settings) -> None:
    """Warm up, calibrate and time ``cases`` in interleaved rounds; fills each ``case.times``.

    Give it the cases of one array library at a time (see the module's docstring).
    """
    time.sleep(0.05 if settings.quick else 0.5)  # let the last group's worker threads go idle
    for case in cases:
        for _ in range(settings.warmup):
            case.step()
        if case.sync is not None:
            case.sync()
        # Calibrate: grow the batch until one timing lasts min_time.
        number = 1
        while True:
            elapsed = _timed(case, number)
            if elapsed >= settings.min_time or number >= 1 << 20:
                break
            number *= 2 if elapsed > settings.min_time / 10 else 10
        case.number = number
        case.times = []
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(settings.rounds):
            for case in cases:
                case.times.append(_timed(case, case.number) / case.number)
    finally:
        if enabled:
            gc.enable()


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.{digits}f}"


def print_table(title: str, rows: Sequence[Row], file: Any = None) -> None:
    """A fixed-width table: case, time, ratio, target (and whether the ratio meets it)."""
    out = file or sys.stdout
    width = max([len(r.case) for r in rows] + [4])
    print(f"\n{title}", file=out)
    header = f"{'case':<{width}}  {'time':>12}  {'ratio':>7}  {'target':>7}  note"
    print(header, file=out)
    print("-" * len(header), file=out)
    for r in rows:
        time_text = "skipped" if r.value is None else f"{_fmt(r.value)} {r.unit}"
        ratio = f"{r.ratio:.3f}" if r.ratio is not None else ""
        target = f"<= {r.target:g}" if r.target is not None else ""
        verdict = ""
        if r.ratio is not None and r.target is not None:
            verdict = "meets target" if r.ratio <= r.target else "MISSES target"
        note = "; ".join(s for s in (verdict, r.note) if s)
        print(f"{r.case:<{width}}  {time_text:>12}  {ratio:>7}  {target:>7}  {note}", file=out)


def write_json(results: dict[str, Any], path: str | None) -> None:
    """Print all numbers as one JSON line (prefixed ``BENCH_JSON``) and save them to ``path``."""
    text = json.dumps(results, sort_keys=True, default=float)
    print(f"BENCH_JSON {text}")
    if path:
        with open(path, "w") as f:
            json.dump(results, f, indent=2, sort_keys=True, default=float)
            f.write("\n")
        print(f"results written to {path}")


def run_benchmark(name: str, doc: str, run: Callable[[Settings], tuple[list[Row], dict[str, Any]]],
                  title: Callable[[], str], argv: list[str] | None = None) -> int:
    """The command line every benchmark script shares: parse, set threads, run, print, save."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    settings = settings_from(args)
    threads = setup_threads(args.threads)
    warn_if_busy()
    rows, results = run(settings)
    print_table(title(), rows)
    for note in results["notes"]:
        print(f"note: {note}")
    write_json({"environment": environment(threads), "quick": settings.quick, name: results},
               args.json)
    return 0
