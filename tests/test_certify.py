"""The certification kit (ad_core.testing.certify): ad_core's own op plugins pass it through the
real command line, the plugin template passes it through the Python API, and deliberately wrong
plugins fail it with a report naming the op, the check, the backend, the dtype and the worst
element.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import PluginError
from ad_core.extend import Example, hookimpl
from ad_core.ops.registry import get_op, ops_by_plugin
from ad_core.testing.certify import plan
from ad_core.testing.certify_calls import NoExamples, calls_of
from ad_core.testing.certify_checks import CertificationFailure, reference_case, run_check
from ad_core.testing.pytest_plugin import CASES, skip_reason

ROOT = Path(__file__).resolve().parents[1]
BUILTIN = ("arithmetic", "elementwise", "reductions", "linalg", "manipulation", "nn", "losses")
BACKENDS = ("numpy", "torch", "array_api_strict")
PRESENT = [c for c in CASES if skip_reason(c) is None]


def _certify(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """``pytest -p ad_core.testing.certify ...`` in a fresh process, from ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "ad_core.testing.certify", "-p", "no:cacheprovider",
         "-q", "-rfE", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
        env={**os.environ, "AD_CORE_STRICT_PLUGINS": "1"},
    )


# -- ad_core's own op plugins, through the command line ----------------------------------------


@pytest.fixture(scope="module")
def builtin_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Outcome of every certification item of the built-in op plugins, by plugin then item."""
    where = tmp_path_factory.mktemp("certify")
    report = where / "report.xml"
    done = _certify(["--ad-core-certify", ",".join(BUILTIN), f"--junitxml={report}",
                     "--ad-backends=" + ",".join(BACKENDS)], cwd=where)
    assert done.returncode == 0, f"certification of the built-in ops failed:\n{done.stdout[-8000:]}"
    outcomes: dict[str, dict[str, str]] = {}
    for case in ET.parse(report).iter("testcase"):
        plugin = case.get("classname", "").rpartition(".certify-")[2]  # node ::certify-<plugin>
        outcome = next((f"{c.tag}: {c.get('message', '')}" for c in case
                        if c.tag in ("failure", "error", "skipped")), "passed")
        outcomes.setdefault(plugin, {})[case.get("name", "")] = outcome
    return outcomes


@pytest.mark.parametrize("plugin", BUILTIN)
def test_every_op_of_a_builtin_plugin_is_certified_on_every_backend(builtin_outcomes, plugin):
    outcomes = builtin_outcomes[plugin]
    assert not [(i, o) for i, o in outcomes.items() if o.startswith(("failure", "error"))]
    skipped = [(i, o) for i, o in outcomes.items() if o.startswith("skipped")]
    assert all(i.endswith(".not_differentiable") or "first_order_only" in o
               for i, o in skipped), skipped
    for name in ops_by_plugin()[plugin]:
        op = get_op(name)
        if not op.differentiable:
            continue
        checks = ("vjp", "dtype", "bad_dtype") + (("jvp",) if op.jvp or not getattr(
            op, "first_order_only", False) else ())
        for check in checks:
            for backend in BACKENDS:
                assert outcomes.get(f"{name}.{check}[{backend}-float64]") == "passed", (
                    name, check, backend)


def test_the_certification_checks_overrides_across_backends_broadcasting_and_edges(builtin_outcomes):
    items = {i for outcomes in builtin_outcomes.values() for i in outcomes}
    for expected in ("relu.override[torch-float32]", "take.override[numpy-float64]",
                     "atan2.broadcast[array_api_strict-float64]", "sum.zero_d[torch-float64]",
                     "matmul.empty[numpy-float64]", "exp.backends[torch-float32]",
                     "matmul.bad_shape[torch-float64]", "where.bad_dtype[numpy-float64]",
                     "softmax.gradgrad[array_api_strict-float64]", "exp.dtype[numpy-float32]"):
        assert expected in items, expected


# -- the plugin template, through the Python API -------------------------------------------------


@pytest.fixture(scope="module")
def template_ops():
    """The template's ops, registered at run time from its source (the template is not
    installed in this environment; tests/test_plugin_template.py installs it elsewhere)."""
    sys.path.insert(0, str(ROOT / "examples" / "plugins" / "adcore_swish"))
    try:
        import adcore_swish
    finally:
        sys.path.pop(0)
    report = ad.register_plugin(adcore_swish, name="swish-certify")
    yield report.ops
    ad.unregister_plugin("swish-certify")
    for name in [m for m in sys.modules if m.partition(".")[0] == "adcore_swish"]:
        del sys.modules[name]


def test_the_plugin_template_passes_every_check_on_every_backend_and_dtype(template_ops):
    assert template_ops == ["swish"]
    op = get_op("swish")
    checks = plan(op, PRESENT)
    assert {c for c, _, _ in checks} >= {"vjp", "gradgrad", "jvp", "zero_d", "empty", "dtype",
                                         "backends", "bad_dtype"}
    assert ("override", "torch", "float32") in {(c, k.name, d) for c, k, d in checks} or \
        "torch" not in {k.name for k in PRESENT}
    for check, case, dtype in checks:
        run_check("swish", check, case, dtype, reference=reference_case(PRESENT))


def test_the_plugin_template_passes_through_the_command_line(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent(f"""
        import sys

        import ad_core as ad

        def pytest_configure(config):
            sys.path.insert(0, {str(ROOT / "examples" / "plugins" / "adcore_swish")!r})
            import adcore_swish

            ad.register_plugin(adcore_swish, name="swish")
    """))
    done = _certify(["--ad-core-certify", "swish", "--ad-backends=" + ",".join(BACKENDS), "-rA"],
                    cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout[-6000:]
    passed = set(re.findall(r"PASSED ::certify-swish::(swish\.\w+\[[\w-]+\])", done.stdout))
    assert {"swish.override[torch-float32]", "swish.gradgrad[array_api_strict-float64]",
            "swish.backends[torch-float32]", "swish.empty[numpy-float64]"} <= passed
    assert len(passed) >= 30 and " failed" not in done.stdout and " skipped" not in done.stdout


# -- deliberately wrong plugins fail, with a report ----------------------------------------------


def _cube(xp, x):
    return x * x * x


class WrongPlugins:
    """Ops each wrong in one way (their examples say how to call them)."""

    @hookimpl
    def ad_core_register_ops(register, override):
        register("cube_bad_vjp", _cube, lambda xp, g, ans, x: 2.0 * x * x * g, elementwise=True)
        register("cube_bad_jvp", _cube, lambda xp, g, ans, x: 3.0 * x * x * g, elementwise=True,
                 jvp=lambda xp, tangents, ans, x: 3.0 * x * tangents[0])
        register("cube_bad_override", _cube, lambda xp, g, ans, x: 3.0 * x * x * g,
                 elementwise=True)
        override("cube_bad_override", "numpy", forward=lambda xp, x: 1.001 * x * x * x)
        register("dot_unchecked", lambda xp, a, b: xp.sum(a * b),
                 [lambda xp, g, ans, a, b: g * b, lambda xp, g, ans, a, b: g * a],
                 examples=[Example([(3,), (3,)]), Example.bad([(3,), (4,)])])
        register("asin_said_real", lambda xp, x: xp.asin(x),
                 lambda xp, g, ans, x: g / xp.sqrt(1.0 - x * x), elementwise=True)
        register("unsampled", lambda xp, x: xp.sum(x), lambda xp, g, ans, x: g + 0.0 * x)
        register("offset_unchecked", lambda xp, x, i: x + 0.0 * i,
                 [lambda xp, g, ans, x, i: g, None], domain=("real", "index"),
                 examples=[Example([(3,), [0, 1, 2]])])


@pytest.fixture(scope="module")
def wrong():
    ad.register_plugin(WrongPlugins, name="wrong-certify")
    yield
    ad.unregister_plugin("wrong-certify")


def _failure(op: str, check: str, case, dtype: str = "float64") -> str:
    with pytest.raises(CertificationFailure) as info:
        run_check(op, check, case, dtype, reference=reference_case(PRESENT))
    report = str(info.value)
    assert report.startswith(f"{op} (plugin 'wrong-certify'): check {check!r} failed on backend "
                             f"{case.id!r}, dtype {dtype}, for {op}(")
    return report


def test_a_wrong_vjp_fails_naming_the_worst_element(wrong, backend):
    report = _failure("cube_bad_vjp", "vjp", backend)
    assert "worst element (" in report and "finite differences give" in report


def test_a_wrong_jvp_fails_the_forward_mode_check(wrong, backend):
    report = _failure("cube_bad_jvp", "jvp", backend)
    assert "forward mode gives" in report and "worst element (" in report
    run_check("cube_bad_jvp", "vjp", backend)  # its reverse mode is right


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_an_override_that_disagrees_with_the_generic_rule_fails(wrong, dtype):
    numpy = next(c for c in CASES if c.id == "numpy")
    report = _failure("cube_bad_override", "override", numpy, dtype)
    assert "override by plugin 'wrong-certify' against the generic rule: output: worst element" \
        in report
    assert "expected" in report and ", got" in report


def test_an_op_without_a_shape_check_fails_the_bad_shape_check(wrong, backend):
    report = _failure("dot_unchecked", "bad_shape", backend)
    assert "dot_unchecked(" in report and "shapes it must refuse" in report
    assert "the backend's own error surfaced" in report or "accepted without an error" in report


def test_an_op_undefined_on_part_of_its_declared_domain_fails(wrong, backend):
    report = _failure("asin_said_real", "vjp", backend)
    assert "declare domain=" in report and "nan" in report


def test_an_index_input_that_accepts_floats_fails_the_bad_dtype_check(wrong, backend):
    report = _failure("offset_unchecked", "bad_dtype", backend)
    assert "input 1 (index) given float64 values: accepted without an error" in report


def test_a_non_elementwise_op_without_examples_cannot_be_certified(wrong):
    with pytest.raises(NoExamples, match=r"'unsampled'.*examples=\[Example"):
        calls_of(get_op("unsampled"))


def test_a_wrong_plugin_fails_through_the_command_line_with_its_report(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        import ad_core as ad
        from ad_core.extend import hookimpl

        class Wrong:
            @hookimpl
            def ad_core_register_ops(register):
                register("cube_cli", lambda xp, x: x * x * x,
                         lambda xp, g, ans, x: 2.0 * x * x * g, elementwise=True)

        def pytest_configure(config):
            ad.register_plugin(Wrong, name="wrong-cli")
    """))
    done = _certify(["--ad-core-certify", "wrong-cli", "--ad-backends=numpy", "-k", "vjp"],
                    cwd=tmp_path, timeout=300)
    assert done.returncode == 1, done.stdout
    assert ("cube_cli (plugin 'wrong-cli'): check 'vjp' failed on backend 'numpy', dtype "
            "float64, for cube_cli((2, 3)):") in done.stdout
    assert "worst element (" in done.stdout
    assert "FAILED ::certify-wrong-cli::cube_cli.vjp[numpy-float64]" in done.stdout


def test_an_unknown_plugin_name_is_a_usage_error_listing_the_plugins(tmp_path):
    done = _certify(["--ad-core-certify", "no_such_plugin"], cwd=tmp_path, timeout=300)
    assert done.returncode == 4
    assert "no plugin called 'no_such_plugin'" in done.stderr and "arithmetic" in done.stderr


# -- declaring examples --------------------------------------------------------------------------


def test_elementwise_ops_get_generated_examples_of_every_kind():
    kinds = [c.kind for c in calls_of(get_op("atan2"))]
    assert kinds == ["regular", "broadcast", "zero_d", "empty", "bad"]
    assert [c.kind for c in calls_of(get_op("exp"))] == ["regular", "zero_d", "empty"]


def test_examples_sample_shapes_in_the_declared_domain_and_keep_explicit_values():
    (call,) = [c for c in calls_of(get_op("softmax_cross_entropy")) if c.kind == "regular"]
    assert call.arrays[0].shape == (3, 4) and call.arrays[0].dtype == np.float64
    assert call.arrays[1].tolist() == [1, 0, 3] and call.arrays[1].dtype.kind == "i"
    assert all(c.arrays[0].min() > 0 for c in calls_of(get_op("log")) if c.arrays[0].size)
    assert call.describe() == "softmax_cross_entropy((3, 4), [1, 0, 3])"


def test_register_refuses_examples_that_are_not_a_list_of_examples():
    class Bad:
        @hookimpl
        def ad_core_register_ops(register):
            register("bad_examples", lambda xp, x: x, lambda xp, g, ans, x: g,
                     examples=Example([(2,)]))

    with pytest.raises(PluginError, match="bad_examples.*examples= takes a list"):
        ad.register_plugin(Bad, name="bad-examples")


def test_an_example_lists_its_tensor_inputs_first():
    with pytest.raises(TypeError, match="each a shape"):
        Example((2, 3))
    assert repr(Example.bad([(2, 3), [1, 2]], axis=0)) == "Example.bad([(2, 3), [1, 2]], axis=0)"


def test_a_shape_error_from_the_signature_passes_the_bad_shape_check(backend):
    run_check("matmul", "bad_shape", backend)
