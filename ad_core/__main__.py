"""``python -m ad_core info``: what is installed and loaded here, enough for a bug report."""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import platform
import sys
from typing import Any

__all__ = ["main", "collect_info"]


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def collect_info() -> dict[str, Any]:
    """Versions, backends (with devices or the reason they cannot load), plugins and their ops."""
    import ad_core as ad
    from ad_core.backends import registered_backends

    available = set(ad.available_backends())
    backends = []
    for name, spec in registered_backends().items():
        entry: dict[str, Any] = {"name": name, "plugin": spec.plugin, "available": name in available}
        if name in available:
            try:
                entry.update(ad.backends.load_backend(name).describe())
            except Exception as exc:  # report, don't crash: this output goes into bug reports
                entry["available"] = False
                entry["reason"] = str(exc)
        elif spec.unavailable_reason is not None:
            entry["reason"] = spec.unavailable_reason()
        backends.append(entry)
    plugins = [
        {
            "name": r.name,
            "module": r.module,
            "distribution": r.distribution,
            "version": r.version,
            "backends": r.backends,
            "ops": sorted(r.ops),
            "overrides": r.overrides,
            "registered": r.registered,
            "errors": r.errors,
        }
        for r in ad.plugin_reports()
    ]
    return {
        "ad_core": ad.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {d: _version(d) for d in ("numpy", "array-api-compat", "pluggy", "torch",
                                              "cupy-cuda12x", "cupy-cuda13x", "array-api-strict")},
        "backends": backends,
        "plugins": plugins,
    }


def _print_text(info: dict[str, Any]) -> None:
    print(f"ad_core {info['ad_core']} on Python {info['python']} ({info['platform']})")
    print("packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v))
    print("\nbackends:")
    for b in info["backends"]:
        if b["available"]:
            print(f"  {b['name']:<18} devices: {', '.join(b['devices'])}; dtypes: "
                  f"{', '.join(b['dtypes'])}")
        else:
            print(f"  {b['name']:<18} unavailable: {b.get('reason', 'not importable')}")
    print("\nplugins:")
    for p in info["plugins"]:
        origin = f"{p['distribution']} {p['version']}" if p["distribution"] else "registered at run time"
        print(f"  {p['name']} ({p['module']}; {origin})")
        if p["backends"]:
            print(f"    backends: {', '.join(p['backends'])}")
        if p["ops"]:
            print(f"    ops ({len(p['ops'])}): {', '.join(p['ops'])}")
        if p["overrides"]:
            print(f"    overrides: {', '.join(p['overrides'])}")
        for kind, names in p["registered"].items():
            print(f"    {kind} ({len(names)}): {', '.join(sorted(names))}")
        for err in p["errors"]:
            print(f"    ERROR: {err}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ad_core", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    info = sub.add_parser("info", help="backends, devices, plugins and ops available here")
    info.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    if args.command != "info":
        parser.print_help()
        return 0 if args.command is None else 2
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # problems are printed in the report itself
        data = collect_info()
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        _print_text(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
