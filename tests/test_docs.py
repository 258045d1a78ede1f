"""Documentation that runs: every Python block in the README and in docs/, the docstring examples,
and checks that the docs cover every hook, every exception and every registered op."""

from __future__ import annotations

import ast
import doctest
import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import ad_core
from ad_core import errors
from ad_core.hooks import hookspecs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
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


PLUGIN_PACKAGES = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists())
MODULES = sorted(
    m.name for m in pkgutil.walk_packages(ad_core.__path__, "ad_core.")
    if not m.name.endswith("pytest_plugin")
) + [
    m.name
    for package in PLUGIN_PACKAGES
    for m in [pkgutil.ModuleInfo(None, package, True),  # type: ignore[arg-type]
              *pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}.")]
]


@pytest.mark.parametrize("name", ["ad_core", *MODULES])
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


# -- the pages under docs/ ---------------------------------------------------------------------

PAGES = sorted(DOCS.glob("*.md"))
EXPECTED_PAGES = {"index", "backends", "reverse-mode", "writing-ops", "errors", "ops"}


def fenced_blocks(text: str, language: str) -> list[tuple[int, str]]:
    """The ```language blocks of a Markdown text, each with the line its fence opens on."""
    blocks = []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        if lines[i].rstrip() == f"```{language}":
            start = i
            i += 1
            body = []
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            assert i < len(lines), f"unclosed ```{language} block at line {start + 1}"
            blocks.append((start + 1, "".join(body)))
        i += 1
    return blocks


def required_backends(text: str) -> list[str]:
    """Backends a page's examples need, declared as ``<!-- requires-backends: a b -->``."""
    found = re.search(r"<!--\s*requires-backends:\s*(.*?)\s*-->", text)
    return found.group(1).split() if found else []


def test_every_expected_page_exists():
    assert {p.stem for p in PAGES} >= EXPECTED_PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_python_blocks_run_in_order(page):
    """A page's blocks run top to bottom in one namespace, as a reader would type them."""
    text = page.read_text()
    missing = [b for b in required_backends(text) if b not in ad_core.available_backends()]
    if missing:
        pytest.skip(f"{page.name} needs backends {missing}")
    before = {r.name for r in ad_core.plugin_reports()}
    namespace: dict = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    try:
        for line, code in fenced_blocks(text, "python"):
            # Pad with newlines so that tracebacks point at the page's own line numbers.
            exec(compile("\n" * line + code, str(page.relative_to(ROOT)), "exec"), namespace)
    finally:
        for name in {r.name for r in ad_core.plugin_reports()} - before:
            ad_core.unregister_plugin(name)
        ad_core.set_backend("numpy")


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_point_at_files_that_exist(page):
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.partition("#")[0]).resolve()
        assert path.exists(), f"{page.name} links to {target}, which does not exist"


def test_index_links_every_page():
    text = (DOCS / "index.md").read_text()
    for page in PAGES:
        if page.name != "index.md":
            assert f"({page.name}" in text, f"index.md does not link {page.name}"


# -- every hook, with its exact signature -------------------------------------------------------


def hook_def_lines() -> dict[str, str]:
    """Each hook specification's ``def`` line(s), whitespace collapsed, read from the source."""
    source = Path(hookspecs.__file__).read_text()
    lines = source.splitlines()
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("ad_core_"):
            header = lines[node.lineno - 1: node.body[0].lineno - 1]
            found[node.name] = " ".join(" ".join(line.split()) for line in header)
    return found


def test_every_hook_appears_in_writing_ops_with_its_exact_signature():
    hooks = hook_def_lines()
    assert set(hooks) == {n for n in dir(hookspecs) if n.startswith("ad_core_")}
    assert hooks, "no hook specifications found"
    page = " ".join((DOCS / "writing-ops.md").read_text().split())
    for header in hooks.values():
        assert header in page, f"writing-ops.md lacks `{header}` (copy it from hookspecs.py)"


def test_the_hooks_section_names_no_hook_that_does_not_exist():
    page = (DOCS / "writing-ops.md").read_text()
    section = page.split("\n## The hooks\n", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"\bad_core_register_\w+", section))
    assert named == set(hook_def_lines()), named ^ set(hook_def_lines())


def test_writing_ops_shows_the_test_plugin_package_as_it_is():
    page = (DOCS / "writing-ops.md").read_text()
    package = ROOT / "tests" / "plugin_package"
    shown = {code for _, code in fenced_blocks(page, "python") + fenced_blocks(page, "toml")}
    for path in (package / "adcore_demo_plugin" / "__init__.py", package / "pyproject.toml"):
        assert path.read_text() in shown, f"writing-ops.md shows an outdated copy of {path.name}"


# -- every exception -----------------------------------------------------------------------------


def error_classes() -> list[type[BaseException]]:
    return [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, BaseException) and cls.__module__ == errors.__name__]


def sections(text: str) -> dict[str, str]:
    """The ``## `Name` `` sections of a page, by name."""
    parts = re.split(r"^## `(\w+)`.*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_exception_has_a_section_in_errors_md_with_a_snippet_that_catches_it():
    classes = error_classes()
    assert {c.__name__ for c in classes} == set(errors.__all__)
    documented = sections((DOCS / "errors.md").read_text())
    for cls in classes:
        assert cls.__name__ in documented, f"errors.md has no section ## `{cls.__name__}`"
        code = "".join(c for _, c in fenced_blocks(documented[cls.__name__], "python"))
        assert re.search(rf"except \(?[\w, ]*\b{cls.__name__}\b", code), (
            f"the section on {cls.__name__} has no snippet that catches it"
        )


# -- every registered op -------------------------------------------------------------------------


def load_gen_ops():
    spec = importlib.util.spec_from_file_location("gen_ops", DOCS / "gen_ops.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ops_md_lists_exactly_the_ops_of_the_builtin_plugins_and_the_test_package():
    gen_ops = load_gen_ops()
    plugins = gen_ops.documented_plugins()
    if "demo" not in plugins:
        pytest.skip("the test plugin package is not installed: pip install ./tests/plugin_package")
    expected = {op.name for op in ad_core.ops.OPS.values() if op.plugin in plugins}
    table = (DOCS / "ops.md").read_text().split("\n## Ops", 1)[1]
    listed = set(re.findall(r"^\| `(\w+)` \|", table, flags=re.M))
    assert listed == expected, (
        f"docs/ops.md is stale (missing {sorted(expected - listed)}, extra "
        f"{sorted(listed - expected)}); regenerate it: python docs/gen_ops.py"
    )
    assert {"add", "matmul", "sum", "getitem", "cube"} <= listed


def test_ops_md_is_what_gen_ops_generates():
    gen_ops = load_gen_ops()
    if "demo" not in gen_ops.documented_plugins():
        pytest.skip("the test plugin package is not installed: pip install ./tests/plugin_package")
    assert (DOCS / "ops.md").read_text() == gen_ops.render(), (
        "docs/ops.md differs from the live registry; regenerate it: python docs/gen_ops.py"
    )
