"""The documentation site builds with warnings as errors, and its API reference is rendered from
the docstrings; the benchmarks page shows what bench/plot.py makes of the committed results."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def nav_pages() -> set[str]:
    """Every page that mkdocs.yml's ``nav`` lists, as a path under docs/."""
    yaml = pytest.importorskip("yaml")
    found: set[str] = set()

    def walk(item: object) -> None:
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"])
    return found


def test_every_page_under_docs_is_in_the_sites_nav():
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    missing = sorted(pages - nav_pages())
    assert not missing, f"add these pages to the nav in mkdocs.yml: {missing}"
    assert not nav_pages() - pages, "mkdocs.yml's nav names pages that do not exist"


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda p: str(p.relative_to(DOCS)))
def test_links_stay_inside_docs_so_they_work_on_github_and_on_the_site(page):
    """A link to ``../ad_core/x.py`` works on GitHub but not on the site: link the API
    reference page instead, or write the path as code."""
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.partition("#")[0]).resolve()
        assert path.is_relative_to(DOCS), f"{page.name} links outside docs/: {target}"
        assert path.exists(), f"{page.name} links to {target}, which does not exist"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built with ``mkdocs build --strict`` (every warning is an error)."""
    for module in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"):
        pytest.importorskip(module, reason="the docs tools are not installed: pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-6000:]}"
    return out


def page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text()


@pytest.mark.parametrize(("name", "anchors"), [
    ("api/ad_core", ["ad_core.autograd.creation.tensor", "ad_core.backends.selection.set_backend",
                     "ad_core.checkpoint.save", "ad_core.dtypes.DType"]),
    ("api/tensor", ["ad_core.Tensor", "ad_core.Tensor.backward"]),
    ("api/transforms", ["ad_core.grad", "ad_core.jvp", "ad_core.hessian", "ad_core.hvp"]),
    ("api/nn", ["ad_core.nn.Module", "ad_core.nn.Parameter", "ad_core_nn.linear"]),
    ("api/optim", ["ad_core.optim.Optimizer", "ad_core.optim.LRScheduler", "ad_core_optim.adam"]),
    ("api/losses", ["ad_core_losses.regression.mse", "ad_core_losses.classification.cross_entropy"]),
    ("api/testing", ["ad_core.testing.gradcheck.gradcheck", "ad_core.testing.jvpcheck.jvpcheck"]),
    ("api/extend", ["ad_core.ops.helpers.unbroadcast", "ad_core.hooks.hookspecs.ad_core_register_ops"]),
    ("api/errors", ["ad_core.errors.ShapeError"]),
])
def test_the_api_reference_renders_each_documented_object(site, name, anchors):
    html = page(site, name)
    for anchor in anchors:
        assert f'id="{anchor}"' in html, f"{name} lacks {anchor}"


def test_docstring_examples_are_code_blocks_and_sphinx_roles_are_gone(site):
    html = page(site, "api/random")
    assert 'class="gp">&gt;&gt;&gt; </span>' in html  # a highlighted doctest prompt, not a quote
    for built in (site / "api").rglob("*.html"):
        text = re.sub(r'<details class="mkdocstrings-source">.*?</details>', "", built.read_text(),
                      flags=re.S)  # the source code shown keeps its docstrings as written
        assert ":class:`" not in text and ":func:`" not in text, built


def test_the_source_pages_render_with_their_examples(site):
    assert "0.786447" in page(site, "quickstart")
    assert "backend in force" in page(site, "cli")
    assert (site / "assets" / "bench" / "ratios.png").is_file()


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_doctest_extension_fences_examples_and_unwraps_roles():
    pytest.importorskip("griffe")
    ext = load_module(DOCS / "api" / "doctest_blocks.py", "doctest_blocks")
    text = "Adds.\n\n    >>> f(1)\n    2\n\nSee :class:`~ad_core.nn.Module` and :func:`ad.grad`."
    assert ext.to_markdown(text) == (
        "Adds.\n\n    ```pycon\n    >>> f(1)\n    2\n    ```\n\nSee `Module` and `ad.grad`."
    )
    assert ext.to_markdown("Call it::\n\n    f(x)") == "Call it:\n\n    f(x)"


def test_benchmarks_page_shows_the_table_plot_py_makes_from_the_committed_results(tmp_path):
    pytest.importorskip("matplotlib")
    results = DOCS / "assets" / "bench" / "results.json"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "plot.py"), str(results),
                           "--out", str(tmp_path)], capture_output=True, text=True, check=True,
                          timeout=120)
    ratios, times = done.stdout.strip().split("\n\n")
    assert "| `mlp_step` |" in ratios and "≤ 1.15" in ratios and "ms per step" in times
    shown = (DOCS / "benchmarks.md").read_text()
    assert ratios in shown and times in shown, (
        "docs/benchmarks.md is out of date with docs/assets/bench/results.json: paste the tables "
        "bench/plot.py prints into it"
    )
    for name in ("ratios", "op_overhead", "mlp_step", "higher_order", "conv_step"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
        assert (DOCS / "assets" / "bench" / f"{name}.png").is_file()
