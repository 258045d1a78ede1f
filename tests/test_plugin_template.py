"""The plugin template examples/plugins/adcore_swish works as shipped: pip installs it, and then
its op, torch kernel, layer, loss, optimizer and initializer appear in ad_core's namespaces and in
``python -m ad_core info``, and its own tests pass on every backend.

The package is installed with pip into a temporary directory (no build isolation: setuptools
comes from the test environment, so no network is needed) and used from subprocesses that put
that directory on PYTHONPATH; the test process itself never sees the plugin.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import ad_core as ad

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "examples" / "plugins" / "adcore_swish"
PIECES = {"ops": ["swish"], "layers": ["Swish"], "losses": ["smooth_l1"],
          "optimizers": ["SignSGD"], "initializers": ["swish_uniform_"]}
BACKENDS = ("numpy", "torch", "array_api_strict")


def _env(site: Path) -> dict[str, str]:
    env = dict(os.environ, AD_CORE_STRICT_PLUGINS="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH")) if p)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a copy of the template's source, the directory pip installed it into)."""
    pytest.importorskip("setuptools", reason="installing the template without build isolation")
    base = tmp_path_factory.mktemp("template")
    source = shutil.copytree(TEMPLATE, base / "src",
                             ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = base / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-input", "--disable-pip-version-check", "--target", str(site), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"pip install failed:\n{done.stdout}\n{done.stderr}"
    return source, site


# -- the package as written ----------------------------------------------------------------------


def _module_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((TEMPLATE / "adcore_swish").glob("*.py")),
                         ids=lambda p: p.stem)
def test_the_template_imports_only_ad_core_extend_and_no_array_library_at_module_level(path):
    imports = _module_level_imports(path)
    core = {m for m in imports if m.partition(".")[0] == "ad_core"}
    assert core <= {"ad_core.extend"}, f"{path.name} imports {core - {'ad_core.extend'}}"
    libraries = {m.partition(".")[0] for m in imports} & {"numpy", "torch", "cupy", "jax"}
    assert not libraries, f"{path.name} imports {libraries} at module level"


def test_the_template_declares_its_entry_point_build_backend_and_dependency():
    text = (TEMPLATE / "pyproject.toml").read_text()     # (tomllib is Python >= 3.11 only)
    assert 'build-backend = "setuptools.build_meta"' in text
    assert '[project.entry-points.ad_core]\nswish = "adcore_swish"\n' in text
    assert 'dependencies = ["ad_core"]' in text
    assert (TEMPLATE / "README.md").is_file()


def test_without_the_template_installed_none_of_it_is_there():
    assert "swish" not in dir(ad.array_api)
    assert "Swish" not in dir(ad.nn) and "SignSGD" not in dir(ad.optim)


# -- the package as installed ----------------------------------------------------------------------


def test_pip_installs_the_package_with_its_entry_point(installed):
    _, site = installed
    (dist,) = site.glob("adcore_swish-*.dist-info")
    assert "[ad_core]\nswish = adcore_swish" in (dist / "entry_points.txt").read_text()
    assert (site / "adcore_swish" / "ops.py").is_file()


def test_info_lists_every_piece_the_template_registers(installed):
    _, site = installed
    done = subprocess.run([sys.executable, "-m", "ad_core", "info"], capture_output=True,
                          text=True, env=_env(site), timeout=120)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "swish (adcore_swish; adcore-swish 0.1.0)" in text
    for kind, names in PIECES.items():
        assert f"{kind} ({len(names)}): {', '.join(names)}" in text, (kind, text)
    assert "overrides: swish@torch" in text


@pytest.fixture(scope="module")
def own_tests(installed, tmp_path_factory) -> dict[str, dict[str, int]]:
    """The template's own test suite, run against the installed package: outcomes per backend
    case (``"-"`` for tests that take no backend)."""
    source, site = installed
    report = tmp_path_factory.mktemp("junit") / "report.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
         "--ad-backends=" + ",".join(BACKENDS), str(source / "tests")],
        capture_output=True, text=True, env=_env(site), cwd=source.parent, timeout=300,
    )
    assert done.returncode == 0, f"the template's tests failed:\n{done.stdout[-6000:]}"
    counts: dict[str, dict[str, int]] = {}
    for case in ET.parse(report).iter("testcase"):
        name = case.get("name", "")
        backend = next((b for b in BACKENDS if f"[{b}" in name or f"-{b}]" in name), "-")
        outcome = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        counts.setdefault(backend, {}).setdefault(outcome, 0)
        counts[backend][outcome] += 1
    return counts


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_the_templates_own_tests_pass_on_every_backend(own_tests, backend_name):
    outcomes = own_tests.get(backend_name, {})
    assert outcomes.get("passed", 0) >= 20, outcomes
    assert not outcomes.get("failure") and not outcomes.get("error"), outcomes


def test_the_templates_backend_independent_tests_pass(own_tests):
    outcomes = own_tests.get("-", {})
    assert outcomes.get("passed", 0) >= 4 and set(outcomes) == {"passed"}, outcomes


def test_the_readmes_python_example_runs_against_the_installed_package(installed):
    _, site = installed
    text = (TEMPLATE / "README.md").read_text()
    blocks = [b.split("```")[0] for b in text.split("```python\n")[1:]]
    assert blocks, "the README shows no Python example"
    done = subprocess.run([sys.executable, "-c", "\n".join(blocks)], capture_output=True,
                          text=True, env=_env(site), cwd=site.parent, timeout=120)
    assert done.returncode == 0, done.stderr
