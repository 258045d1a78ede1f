"""``python -m ad_core info`` prints what a bug report needs (docs/cli.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import ad_core as ad


def info(*args: str, **env: str) -> str:
    return subprocess.run([sys.executable, "-m", "ad_core", "info", *args], capture_output=True,
                          text=True, check=True, timeout=120, env={**os.environ, **env}).stdout


def test_the_report_names_versions_backend_in_force_environment_and_totals():
    text = info(AD_CORE_STRICT_PLUGINS="0")
    lines = text.splitlines()
    assert lines[0].startswith(f"ad_core {ad.__version__} on Python ")
    assert f"Array API standard: {ad.array_api.__array_api_version__}" in lines
    assert "backend in force: numpy on cpu" in lines
    environment = next(line for line in lines if line.startswith("environment: "))
    assert "AD_CORE_STRICT_PLUGINS=0" in environment.split(": ", 1)[1].split(", ")
    totals = next(line for line in lines if line.startswith("totals: "))
    assert " ops, " in totals and " plugins, " in totals


def test_the_json_totals_add_up_what_each_plugin_registered():
    data = json.loads(info("--json"))
    plugins = data["plugins"]
    assert data["totals"]["ops"] == sum(len(p["ops"]) for p in plugins) > 0
    assert data["totals"]["plugins"] == len(plugins)
    assert data["totals"]["layers"] == sum(len(p["registered"].get("layers", [])) for p in plugins)
    assert data["default_backend"] == {"name": "numpy", "device": "cpu"}
    numpy = next(b for b in data["backends"] if b["name"] == "numpy")
    assert numpy["devices"] == ["cpu"] and numpy["array_api_version"]
    assert os.path.isdir(data["ad_core_path"])
