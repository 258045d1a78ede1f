"""The certification kit: a pytest plugin that checks every op a plugin registers.

Run it against an installed plugin (by its entry-point name, its module or its distribution)::

    pytest -p ad_core.testing.certify --ad-core-certify swish

For each op the plugin registers, on every backend present (``--ad-backends`` chooses, as for
the ``backend`` fixture) and every float dtype, it collects one test item per check (see
:data:`ad_core.testing.certify_checks.CHECKS`), named
``certify-<plugin>::<op>.<check>[<backend>-<dtype>]`` so that ``-k`` picks them. Without test
paths on the command line only the certification runs; with paths, the tests there run too. A
failing item reports the op, its plugin, the check, backend and dtype, the call, and the worst
element. ``docs/certification.md`` explains every check.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ad_core.errors import ADCoreError
from ad_core.hooks.manager import plugin_reports
from ad_core.ops.op import Op
from ad_core.ops.registry import get_op
from ad_core.testing.certify_calls import NoExamples, calls_of
from ad_core.testing.certify_checks import (
    CHECKS,
    CertificationFailure,
    NotApplicable,
    reference_case,
    run_check,
)

if TYPE_CHECKING:
    from ad_core.testing.pytest_plugin import BackendCase

__all__ = ["CertifyItem", "certified_ops", "plan"]

pytest_plugins = ["ad_core.testing.pytest_plugin"]


def certified_ops(names: list[str]) -> dict[str, list[str]]:
    """The ops of each named plugin, by plugin; a plugin is named by its entry point, module or
    distribution (``ad_core`` names every built-in plugin). Unknown names raise UsageError."""
    reports = plugin_reports()
    chosen: dict[str, list[str]] = {}
    for name in names:
        matches = [r for r in reports if name in (r.name, r.module.partition(":")[0],
                                                  r.module.partition(".")[0], r.distribution)]
        if not matches:
            known = ", ".join(sorted(r.name for r in reports if r.ops))
            raise pytest.UsageError(f"--ad-core-certify: no plugin called {name!r}; plugins "
                                    f"with ops: {known}")
        for report in matches:
            if report.ops:
                chosen[report.name] = list(report.ops)
    return chosen


def plan(op: Op, cases: list[BackendCase]) -> list[tuple[str, BackendCase, str]]:
    """The (check, backend case, dtype) items of a differentiable ``op``: every check that has
    calls of its kinds to run, on every case and dtype it runs in (``backends`` on every case but
    the reference, ``override`` on the backends the op is overridden on)."""
    kinds = {call.kind for call in calls_of(op)}
    reference = reference_case(cases)
    items: list[tuple[str, BackendCase, str]] = []
    for check, (_, check_kinds, dtypes) in CHECKS.items():
        if not kinds & set(check_kinds):
            continue
        for case in cases:
            if (check == "override" and case.name not in op.overrides) or (
                    check == "backends" and case is reference):
                continue
            items += [(check, case, dtype) for dtype in dtypes]
    return items


class CertifyItem(pytest.Item):
    """One check of one op on one backend case and dtype."""

    def __init__(self, *, op_name: str, check: str, case: BackendCase | None, dtype: str,
                 reference: BackendCase | None, problem: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.op_name, self.check, self.case, self.dtype = op_name, check, case, dtype
        self.reference = reference
        self.problem = problem

    def runtest(self) -> None:
        if self.problem is not None:
            raise CertificationFailure(self.problem)
        if self.case is None:
            pytest.skip(f"op {self.op_name!r} is not differentiable: the kit certifies "
                        f"derivatives and the inputs of differentiable ops")
        try:
            run_check(self.op_name, self.check, self.case, self.dtype, reference=self.reference)
        except NotApplicable as why:
            pytest.skip(str(why))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, CertificationFailure):
            cause = excinfo.value.__cause__
            text = str(excinfo.value)
            if cause is not None:  # the op crashed: show where
                import traceback

                text += "\n\n" + "".join(traceback.format_exception(cause)[-6:])
            return text
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path | str, int | None, str]:
        try:
            forward = get_op(self.op_name).forward
            return (inspect.getsourcefile(forward) or "?", inspect.getsourcelines(forward)[1] - 1,
                    self.name)
        except (TypeError, OSError):
            return self.path, None, self.name


class Certification(pytest.Collector):
    """The certification of one plugin's ops: a collector holding their items."""

    def collect(self) -> list[pytest.Item]:  # the items are made by pytest_collection_modifyitems
        return []


def _items(session: pytest.Session, plugin: str, ops: list[str],
           cases: list[BackendCase]) -> list[pytest.Item]:
    parent = Certification.from_parent(session, name=f"certify-{plugin}")
    reference = reference_case(cases)
    items: list[pytest.Item] = []
    for name in ops:
        op = get_op(name)
        problem = None
        if op.differentiable:
            try:
                calls_of(op)
            except (NoExamples, ADCoreError) as err:
                problem = str(err)
        if problem is not None or not op.differentiable:
            check = "examples" if problem else "not_differentiable"
            items.append(CertifyItem.from_parent(parent, name=f"{name}.{check}", op_name=name,
                                                 check=check, case=None, dtype="",
                                                 reference=None, problem=problem))
            continue
        for check, case, dtype in plan(op, cases):
            items.append(CertifyItem.from_parent(
                parent, name=f"{name}.{check}[{case.id}-{dtype}]", op_name=name, check=check,
                case=case, dtype=dtype, reference=reference))
    return items


def _selected(config: pytest.Config) -> list[tuple[BackendCase, str | None]]:
    """The backend cases asked for, each with the reason it cannot run here (or None)."""
    from ad_core.testing import pytest_plugin  # imported by pytest first (pytest_plugins)

    return [(c, pytest_plugin.skip_reason(c)) for c in pytest_plugin._selected(config)]


def _cases(config: pytest.Config) -> list[BackendCase]:
    return [c for c, reason in _selected(config) if reason is None]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--ad-core-certify", action="append", default=[], metavar="PLUGIN",
                     help="certify every op of this ad_core plugin (entry-point, module or "
                          "distribution name; repeat or separate with commas)")


def _wanted(config: pytest.Config) -> list[str]:
    return [n.strip() for v in config.getoption("--ad-core-certify") for n in v.split(",")
            if n.strip()]


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if not _wanted(config):
        return None
    skipped = [f"{c.id} ({reason})" for c, reason in _selected(config) if reason]
    lines = [f"ad_core certification of {', '.join(_wanted(config))} on "
             f"{', '.join(c.id for c in _cases(config))}"]
    if skipped:
        lines.append(f"backends not present here: {'; '.join(skipped)}")
    return lines


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With --ad-core-certify and no test paths given, collect nothing but the certification."""
    if _wanted(config) and config.args_source != pytest.Config.ArgsSource.ARGS:
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    wanted = _wanted(config)
    if not wanted:
        return
    cases = _cases(config)
    for plugin, ops in certified_ops(wanted).items():
        made = _items(session, plugin, ops, cases)
        # reported like any collected node, so that the counts pytest prints include them
        config.hook.pytest_collectreport(report=pytest.CollectReport(
            f"::certify-{plugin}", "passed", None, made))
        items.extend(made)
