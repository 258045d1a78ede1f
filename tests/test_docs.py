"""Documentation that runs: every Python block in the README, and the docstring examples."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import ad_core

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_blocks_run(index):
    try:
        exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {})
    finally:
        for name in ("swish-demo",):
            if any(r.name == name for r in ad_core.plugin_reports()):
                ad_core.unregister_plugin(name)
        ad_core.set_backend("numpy")


MODULES = sorted(
    m.name for m in pkgutil.walk_packages(ad_core.__path__, "ad_core.")
    if not m.name.endswith("pytest_plugin")
)


@pytest.mark.parametrize("name", ["ad_core", *MODULES])
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
