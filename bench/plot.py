"""Plots and a Markdown table from the JSON of ``bench/run_all.py``, for docs/benchmarks.md.

    python bench/run_all.py --quick --json results.json
    python bench/plot.py results.json --out docs/assets/bench > table.md

Writes one PNG per benchmark (its times, case by case) and ``ratios.png`` (every ratio that has
a target, beside the target) into ``--out``, and prints the results as Markdown tables: each
ratio with its target (where it has one) and whether it is met, then each case's time. Needs matplotlib.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

#: benchmark -> (key of its times in the JSON, unit, title)
TIMES = {
    "op_overhead": ("us_per_op", "µs per op", "Overhead per op (200-op chain, 4 float32 elements)"),
    "mlp_step": ("ms_per_step", "ms per step", "One MLP training step (float32)"),
    "higher_order": ("ms_per_call", "ms per call", "Second order and forward mode (784-200-10 MLP)"),
    "conv_step": ("ms", "ms per call", "Conv2d fwd+bwd and a digits-MLP epoch (float32)"),
}


def groups(values: dict[str, Any]) -> dict[str, dict[str, float]]:
    """A benchmark's numbers as {group: {case: value}}; a flat dict is one group named ''."""
    if values and all(isinstance(v, dict) for v in values.values()):
        return values
    return {"": values}


def ratio_rows(results: dict[str, Any]) -> list[tuple[str, str, float, float | None]]:
    """(benchmark, ratio name, value, target or None) for every ratio of every benchmark."""
    rows = []
    for bench in TIMES:
        numbers = results.get(bench)
        if not numbers:
            continue
        targets = groups(numbers.get("targets", {}))
        for group, ratios in groups(numbers.get("ratios", {})).items():
            for name, value in ratios.items():
                target = targets.get(group, {}).get(name)
                label = f"{group}: {name}" if group else name
                rows.append((bench, label, value, target))
    return rows


def markdown(results: dict[str, Any]) -> str:
    """Every ratio (with its target where it has one), then every case's time, as Markdown."""
    lines = ["| benchmark | ratio | value | target | met |", "| --- | --- | --- | --- | --- |"]
    for bench, label, value, target in ratio_rows(results):
        if target is None:
            lines.append(f"| `{bench}` | {label} | {value:.2f} | - | - |")
        else:
            met = "yes" if value <= target else "**no**"
            lines.append(f"| `{bench}` | {label} | {value:.2f} | ≤ {target:g} | {met} |")
    lines += ["", "| benchmark | workload | case | time |", "| --- | --- | --- | --- |"]
    for bench, (key, unit, _) in TIMES.items():
        numbers = results.get(bench)
        if not numbers:
            continue
        for group, cases in groups(numbers[key]).items():
            for case, value in cases.items():
                lines.append(f"| `{bench}` | {group or '-'} | {case} | {value:.3g} {unit} |")
    return "\n".join(lines)


def plot_times(results: dict[str, Any], bench: str, path: Path) -> None:
    """One horizontal bar chart per workload of ``bench``: each case's median time."""
    import matplotlib.pyplot as plt

    key, unit, title = TIMES[bench]
    parts = groups(results[bench][key])
    fig, axes = plt.subplots(len(parts), 1, figsize=(8, 0.45 * sum(map(len, parts.values())) + 1.2
                                                     * len(parts)), squeeze=False)
    for ax, (group, cases) in zip(axes[:, 0], parts.items(), strict=True):
        names = list(cases)
        colours = ["tab:blue" if n.startswith("ad_core") else "tab:gray" for n in names]
        ax.barh(names, [cases[n] for n in names], color=colours)
        ax.invert_yaxis()
        ax.set_xlabel(unit)
        if group:
            ax.set_title(group, fontsize=10)
    fig.suptitle(f"{title}\nblue: ad_core, grey: baselines", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_ratios(results: dict[str, Any], path: Path) -> None:
    """Every ratio that has a target, as a bar, with its target as a mark."""
    import matplotlib.pyplot as plt

    rows = [r for r in ratio_rows(results) if r[3] is not None]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(rows) + 1.2))
    labels = [f"{bench}\n{label}" for bench, label, _, _ in rows]
    values = [value for _, _, value, _ in rows]
    colours = ["tab:green" if v <= t else "tab:red" for _, _, v, t in rows]
    ax.barh(labels, values, color=colours)
    ax.scatter([t for *_, t in rows], labels, marker="|", s=400, color="black", zorder=3,
               label="target (at most)")
    ax.axvline(1.0, color="gray", linewidth=0.8, linestyle=":")
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("ratio: ad_core time / baseline time (lower is better)")
    ax.legend(loc="upper right")
    ax.set_title("Ratios against their targets (green: met, red: missed)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="the file written by bench/run_all.py --json")
    parser.add_argument("--out", default="docs/assets/bench", help="folder for the PNGs")
    args = parser.parse_args(argv)
    results = json.loads(Path(args.json).read_text())
    import matplotlib

    matplotlib.use("Agg")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for bench in TIMES:
        if results.get(bench):
            plot_times(results, bench, out / f"{bench}.png")
    plot_ratios(results, out / "ratios.png")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
