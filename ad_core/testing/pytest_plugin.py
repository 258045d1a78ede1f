"""The backend matrix as pytest fixtures, for ad_core's tests and for plugin authors' tests.

Enable with ``-p ad_core.testing.pytest_plugin`` or ``pytest_plugins = [...]`` in a conftest.
The ``backend`` fixture runs a test once per backend case, with that backend in force
(``with ad.backend(...)``); cases that cannot run here are skipped with the reason.

Choose cases with ``--ad-backends=numpy,torch`` or the ``AD_CORE_TEST_BACKENDS`` variable
(what the nox sessions set); the default is every case, unavailable ones skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import ad_core as ad


@dataclass(frozen=True)
class BackendCase:
    """One cell of the backend matrix: a backend name and the device to use on it."""

    id: str
    name: str
    device: str | None = None
    gpu: bool = False

    @property
    def backend(self) -> Any:
        """The loaded :class:`ad_core.extend.Backend`."""
        return ad.backends.load_backend(self.name)

    @property
    def xp(self) -> Any:
        """The backend's raw Array API namespace."""
        return self.backend.xp

    @property
    def rule_xp(self) -> Any:
        """The namespace first-order rules receive: ``xp`` plus every registered op."""
        from ad_core.ops.namespace import rule_namespace

        return rule_namespace(self.backend)


CASES = (
    BackendCase("numpy", "numpy"),
    BackendCase("torch", "torch"),
    BackendCase("array_api_strict", "array_api_strict"),
    BackendCase("cupy", "cupy", "cuda:0", gpu=True),
    BackendCase("torch_cuda", "torch", "cuda", gpu=True),
)


def _selected(config: pytest.Config) -> list[BackendCase]:
    wanted = config.getoption("--ad-backends") or os.environ.get("AD_CORE_TEST_BACKENDS", "")
    if not wanted:
        return list(CASES)
    names = [w.strip() for w in wanted.split(",") if w.strip()]
    by_id = {c.id: c for c in CASES}
    unknown = [n for n in names if n not in by_id]
    if unknown:
        raise pytest.UsageError(f"unknown backend case(s) {unknown}; known: {list(by_id)}")
    return [by_id[n] for n in names]


def skip_reason(case: BackendCase) -> str | None:
    """Why ``case`` cannot run here, or None if it can."""
    specs = ad.backends.registered_backends()
    spec = specs.get(case.name)
    if spec is None:
        return f"backend {case.name!r} is not registered"
    if case.name not in ad.available_backends():
        reason = spec.unavailable_reason() if spec.unavailable_reason else "not importable"
        return f"backend {case.name!r} unavailable: {reason}"
    if case.device is not None:
        try:
            ad.backends.load_backend(case.name).device(case.device)
        except Exception as exc:
            return f"{case.id}: no GPU here ({exc})"
    return None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--ad-backends", default="",
                     help="comma-separated backend cases to test (numpy, torch, array_api_strict, "
                          "cupy, torch_cuda); default: all, unavailable ones skipped")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU")
    config.addinivalue_line("markers", "backends(*ids): run only on these backend cases")
    config.addinivalue_line("markers", "skip_backends(*ids, reason): skip these backend cases")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        cases = _selected(metafunc.config)
        metafunc.parametrize("backend", [pytest.param(c, id=c.id) for c in cases], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[BackendCase]:
    """The backend case under test, in force for the whole test."""
    case: BackendCase = request.param
    only = request.node.get_closest_marker("backends")
    if only is not None and case.id not in only.args:
        pytest.skip(f"test runs only on {only.args}")
    for mark in request.node.iter_markers("skip_backends"):
        if case.id in mark.args:
            pytest.skip(mark.kwargs.get("reason", f"not for {case.id}"))
    reason = skip_reason(case)
    if reason is not None:
        pytest.skip(reason)
    with ad.backend(case.name, case.device):
        yield case
