"""``python -m ad_core info``: what is installed and loaded here, enough for a bug report.

Paste its whole output into a bug report: the versions (Python, ad_core and every array library),
the backend in force, each backend with its devices and dtypes or the reason it cannot load, each
plugin with its distribution, version and everything it registered (ops, per-backend overrides,
layers, losses, optimizers, initializers, schedules) or the error it raised, and the
``AD_CORE_*`` environment variables set. ``--json`` gives the same as one JSON object.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import os
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
                loaded = ad.backends.load_backend(name)
                entry.update(loaded.describe())
                entry["array_api_version"] = getattr(loaded.xp, "__array_api_version__", None)
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
    try:
        in_force = ad.get_backend()
        default: dict[str, Any] = {"name": in_force.name, "device": str(ad.get_device())}
    except Exception as exc:  # the default backend itself may be what is broken
        default = {"name": None, "error": str(exc)}
    return {
        "ad_core": ad.__version__,
        "ad_core_path": os.path.dirname(ad.__file__),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "array_api_version": ad.array_api.__array_api_version__,
        "packages": {d: _version(d) for d in ("numpy", "array-api-compat", "pluggy", "torch",
                                              "cupy-cuda12x", "cupy-cuda13x", "array-api-strict")},
        "default_backend": default,
        "environment": {k: v for k, v in sorted(os.environ.items()) if k.startswith("AD_CORE_")},
        "backends": backends,
        "plugins": plugins,
        "totals": _totals(plugins),
    }


def _totals(plugins: list[dict[str, Any]]) -> dict[str, int]:
    """How many ops, overrides and front-end entries of each kind all plugins registered."""
    totals = {"plugins": len(plugins),
              "ops": sum(len(p["ops"]) for p in plugins),
              "overrides": sum(len(p["overrides"]) for p in plugins)}
    for p in plugins:
        for kind, names in p["registered"].items():
            totals[kind] = totals.get(kind, 0) + len(names)
    return totals


def _print_text(info: dict[str, Any]) -> None:
    print(f"ad_core {info['ad_core']} on Python {info['python']} ({info['platform']})")
    print(f"installed at: {info['ad_core_path']}")
    print(f"Array API standard: {info['array_api_version']}")
    print("packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items() if v))
    default = info["default_backend"]
    if default["name"] is not None:
        print(f"backend in force: {default['name']} on {default['device']}")
    else:
        print(f"backend in force: none ({default['error']})")
    env = info["environment"]
    print("environment: " + (", ".join(f"{k}={v}" for k, v in env.items()) or "no AD_CORE_* variables set"))
    print("totals: " + ", ".join(f"{n} {kind}" for kind, n in info["totals"].items()))
    print("\nbackends:")
    for b in info["backends"]:
        if b["available"]:
            api = f" (Array API {b['array_api_version']})" if b.get("array_api_version") else ""
            print(f"  {b['name']:<18} devices: {', '.join(b['devices'])}; dtypes: "
                  f"{', '.join(b['dtypes'])}{api}")
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
    parser = argparse.ArgumentParser(prog="python -m ad_core", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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
