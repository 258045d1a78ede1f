"""Ops and backends are plugins: discovery, validation, overrides, and reports by name."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import PluginError
from ad_core.extend import hookimpl
from ad_core.hooks import hookspecs
from ad_core.testing import gradcheck

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def plugin():
    """Register plugin objects for one test and remove them afterwards."""
    names = []

    def register(obj, name):
        names.append(name)
        return ad.register_plugin(obj, name=name)

    yield register
    for name in names:
        ad.unregister_plugin(name)


# -- a third-party package, installed like any other ------------------------------------------


def test_third_party_package_is_discovered_through_its_entry_point():
    reports = {r.name: r for r in ad.plugin_reports()}
    assert "demo" in reports, (
        "the test plugin package is not installed: pip install ./tests/plugin_package "
        "(the README's test command does this)"
    )
    assert reports["demo"].distribution == "adcore-demo-plugin"
    assert set(reports["demo"].ops) == {"cube", "scaled_softsign"}


def test_third_party_op_is_differentiated_on_every_backend(backend):
    x = ad.tensor([0.5, -1.5, 2.0], requires_grad=True)
    (ad.cube(x) + ad.scaled_softsign(x, scale=2.0)).sum().backward()
    xs = np.array([0.5, -1.5, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), 3 * xs**2 + 2.0 / (1 + np.abs(xs)) ** 2, rtol=1e-5)
    assert gradcheck(lambda t: ad.scaled_softsign(ad.cube(t), scale=0.5), [ad.tensor(xs)])


def test_third_party_op_is_on_the_namespace_and_tensor_methods(backend):
    x = ad.tensor([2.0])
    assert ad.array_api.cube(x).tolist() == [8.0]
    assert x.cube().tolist() == [8.0]
    assert "cube" in dir(ad.array_api)


# -- validation at registration ----------------------------------------------------------------


def test_two_plugins_registering_one_op_name_is_an_error_naming_both(plugin):
    class First:
        @hookimpl
        def ad_core_register_ops(register):
            register("twice", lambda xp, x: x, lambda xp, g, ans, x: g)

    class Second:
        @hookimpl
        def ad_core_register_ops(register):
            register("twice", lambda xp, x: x, lambda xp, g, ans, x: g)

    plugin(First, "first-plugin")
    with pytest.raises(PluginError, match="'twice'.*'first-plugin'.*'second-plugin'"):
        plugin(Second, "second-plugin")


def test_registering_a_builtin_op_again_is_an_error_naming_the_builtin_plugin(plugin):
    class Clash:
        @hookimpl
        def ad_core_register_ops(register):
            register("add", lambda xp, x, y: x + y, [lambda *a: a[1], lambda *a: a[1]])

    with pytest.raises(PluginError, match="'add'.*'arithmetic'.*'clash'"):
        plugin(Clash, "clash")


def test_an_override_replaces_an_op_on_one_backend_only(plugin, backend):
    calls = []

    def fast_exp(xp, x):
        calls.append(1)
        return xp.exp(x)

    class Fast:
        @hookimpl
        def ad_core_register_ops(override):
            override("exp", "numpy", forward=fast_exp)

    plugin(Fast, "fast-exp")
    x = ad.tensor([0.0, 1.0], requires_grad=True)
    y = ad.exp(x)
    y.sum().backward()
    assert bool(calls) == (backend.name == "numpy")
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.0, 1.0]), rtol=1e-6)


def test_higher_order_derivatives_use_the_generic_rule_not_the_override(plugin):
    class WrongSecondOrder:
        @hookimpl
        def ad_core_register_ops(override):
            # a correct first-order VJP written with raw operators only
            override("sin", "numpy", vjp=lambda xp, g, ans, x: g * xp.cos(x))

    plugin(WrongSecondOrder, "sin-override")
    with ad.backend("numpy"):
        x = ad.tensor(0.3, dtype=ad.float64)
        assert ad.grad(ad.grad(lambda t: ad.sin(t)))(x).item() == pytest.approx(-np.sin(0.3))


def test_overriding_an_op_nobody_registers_is_an_error(plugin):
    class Orphan:
        @hookimpl
        def ad_core_register_ops(override):
            override("no_such_op", "numpy", forward=lambda xp, x: x)

    with pytest.raises(PluginError, match="'orphan'.*'no_such_op'"):
        plugin(Orphan, "orphan")


def test_a_malformed_rule_is_reported_with_the_plugin_name(plugin):
    class Broken:
        @hookimpl
        def ad_core_register_ops(register):
            register("broken_op", forward="not a function")

    with pytest.raises(PluginError, match="'broken'.*'broken_op'.*callable"):
        plugin(Broken, "broken")


def test_an_unknown_domain_is_refused(plugin):
    class OddDomain:
        @hookimpl
        def ad_core_register_ops(register):
            register("odd_domain", lambda xp, x: x, lambda xp, g, ans, x: g, domain="complex-ish")

    with pytest.raises(PluginError, match="'odd-domain'.*unknown domain"):
        plugin(OddDomain, "odd-domain")


def test_implementing_an_unknown_hook_is_an_error_naming_the_plugin(plugin):
    class Typo:
        @hookimpl
        def ad_core_register_opz(register):
            pass

    with pytest.raises(PluginError, match="'typo'.*unknown hook.*ad_core_register_opz"):
        plugin(Typo, "typo")


def test_a_plugin_that_fails_to_import_is_reported_while_others_work(tmp_path):
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[ad_core]\nbroken = no_such_module_xyz\n")
    code = textwrap.dedent("""
        import warnings, ad_core as ad
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            errors = ad.plugin_errors()
        print(errors)
        print((ad.tensor([1.0, 2.0]) * 3.0).tolist())
        print(any("broken" in str(w.message) for w in caught))
    """)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.splitlines()
    assert "'broken'" in out[0] and "no_such_module_xyz" in out[0]
    assert out[1] == "[3.0, 6.0]"
    assert out[2] == "True"


# -- the built-in plugins are ordinary plugins -------------------------------------------------


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "plugins").rglob("*.py")), ids=lambda p: p.stem)
def test_builtin_plugins_use_only_the_public_extension_surface(path):
    core = {m for m in _imports(path) if m == "ad_core" or m.startswith("ad_core.")}
    assert core <= {"ad_core.extend"}, f"{path} imports {core - {'ad_core.extend'}}"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "plugins").rglob("*.py") if "ad_core_backends" not in p.parts),
    ids=lambda p: p.parent.name + "." + p.stem,
)
def test_op_plugins_never_name_an_array_library(path):
    libraries = {"numpy", "torch", "cupy", "array_api_strict", "jax"}
    named = {m.partition(".")[0] for m in _imports(path)} & libraries
    assert not named, f"{path} imports {named}; only backend plugins may"


def test_the_core_registers_no_op_of_its_own():
    assert all(op.plugin != "ad_core" for op in ad.ops.OPS.values())
    assert ad.ops.OPS, "plugins registered no ops"


def test_every_hook_specification_has_a_docstring():
    specs = [getattr(hookspecs, n) for n in dir(hookspecs) if n.startswith("ad_core_")]
    assert specs
    for spec in specs:
        assert spec.__doc__ and len(spec.__doc__.split()) > 10, spec.__name__


def test_info_command_lists_backends_plugins_and_ops():
    out = subprocess.run([sys.executable, "-m", "ad_core", "info", "--json"], capture_output=True,
                         text=True, check=True).stdout
    info = json.loads(out)
    assert {b["name"] for b in info["backends"]} >= {"numpy", "torch", "cupy", "array_api_strict"}
    plugins = {p["name"]: p for p in info["plugins"]}
    assert "add" in plugins["arithmetic"]["ops"]
    assert info["packages"]["numpy"]
    text = subprocess.run([sys.executable, "-m", "ad_core", "info"], capture_output=True,
                          text=True, check=True).stdout
    assert "backends:" in text and "plugins:" in text and "arithmetic" in text


def test_an_op_may_not_take_a_name_ad_core_itself_uses(plugin):
    class Shadow:
        @hookimpl
        def ad_core_register_ops(register):
            register("grad", lambda xp, x: x, lambda xp, g, ans, x: g)

    with pytest.raises(PluginError, match="'shadow'.*'grad' is taken by ad_core"):
        plugin(Shadow, "shadow")


def test_an_unknown_register_option_is_named(plugin):
    class Typo:
        @hookimpl
        def ad_core_register_ops(register):
            register("typo_op", lambda xp, x: x, lambda xp, g, ans, x: g, elementwize=True)

    with pytest.raises(PluginError, match="'typo-opt'.*unknown option.*elementwize"):
        plugin(Typo, "typo-opt")


def test_a_bad_entry_is_refused_while_the_plugins_other_ops_register(tmp_path):
    # loaded from an entry point, problems are reported and the rest of the plugin works
    pkg = tmp_path / "half_good_plugin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        from ad_core.extend import hookimpl

        @hookimpl
        def ad_core_register_ops(register):
            register("zeros", lambda xp, x: x)                       # taken by the namespace
            register("good_op", lambda xp, x: x + 1.0, lambda xp, g, ans, x: g)
    """))
    dist = tmp_path / "half_good_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: half-good-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[ad_core]\nhalf_good = half_good_plugin\n")
    code = ("import warnings, ad_core as ad\nwarnings.simplefilter('ignore')\n"
            "print(ad.plugin_errors())\nprint(ad.good_op(ad.tensor([1.0])).tolist())")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.splitlines()
    assert "'half_good'" in out[0] and "'zeros'" in out[0]
    assert out[1] == "[2.0]"
