"""Run every ad_core benchmark in one process and print one table each plus one JSON line.

    python bench/run_all.py              # full run (under ~3 minutes on 2 cores)
    python bench/run_all.py --quick      # smoke run, a few seconds (CI)
    python bench/run_all.py --device cuda --json results.json

The JSON line starts with ``BENCH_JSON`` so that a note or a script can pick it out of a log.
"""

from __future__ import annotations

import argparse
import sys
import time

import conv_step
import higher_order
import mlp_step
import op_overhead
from common import (
    add_arguments,
    environment,
    print_table,
    settings_from,
    setup_threads,
    warn_if_busy,
    write_json,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    settings = settings_from(args)
    threads = setup_threads(args.threads)
    warn_if_busy()
    start = time.perf_counter()
    results = {"environment": environment(threads), "quick": settings.quick,
               "device": settings.device}
    notes: list[str] = []
    for name, module in (("op_overhead", op_overhead), ("mlp_step", mlp_step),
                         ("higher_order", higher_order),
                         ("conv_step", conv_step)):
        rows, numbers = module.run(settings)
        print_table(module.title(), rows)
        sys.stdout.flush()
        results[name] = numbers
        notes += numbers["notes"]
    for note in dict.fromkeys(notes):
        print(f"note: {note}")
    results["wall_s"] = time.perf_counter() - start
    print(f"\n(total {results['wall_s']:.1f} s; ratios are medians of interleaved rounds, "
          f"see bench/README.md)")
    write_json(results, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
