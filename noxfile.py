"""The backend test matrix, one source of truth: ``nox -l`` lists the sessions.

``nox -s tests`` runs every backend's session; ``nox -s "tests(torch)"`` one of them.
GPU sessions (cupy, torch_cuda) skip with a clear message on machines without an NVIDIA GPU.
"""

from __future__ import annotations

import shutil

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

TORCH = "torch==2.13.0"  # the CPU build this project's machines serve; a bare "torch" pulls CUDA

#: backend case -> what its session installs, and whether it needs a GPU
BACKENDS: dict[str, dict[str, object]] = {
    "numpy": {"deps": [], "gpu": False},
    "torch": {"deps": [TORCH], "gpu": False},
    "array_api_strict": {"deps": ["array-api-strict>=2.2"], "gpu": False},
    "cupy": {"deps": ["cupy-cuda12x>=13"], "gpu": True},
    "torch_cuda": {"deps": [TORCH], "gpu": True},  # PyPI's Linux wheel of torch is a CUDA build
}


def _has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None


@nox.session
@nox.parametrize("backend", list(BACKENDS), ids=list(BACKENDS))
def tests(session: nox.Session, backend: str) -> None:
    """Run the test suite with one backend case (``AD_CORE_TEST_BACKENDS``)."""
    spec = BACKENDS[backend]
    if spec["gpu"] and not _has_gpu():
        session.skip(f"{backend} needs an NVIDIA GPU and none is present on this machine")
    session.install("-e", ".[test]", *spec["deps"])  # type: ignore[misc]
    session.install("./tests/plugin_package")  # after ad_core, which it depends on
    session.run("python", "-m", "ad_core", "info")
    env = {"AD_CORE_TEST_BACKENDS": backend}
    session.run(
        "python", "-c",
        "import os, ad_core as ad; name = {'torch_cuda': 'torch'}.get(os.environ["
        "'AD_CORE_TEST_BACKENDS'], os.environ['AD_CORE_TEST_BACKENDS']); "
        "assert name in ad.available_backends(), f'{name} is not available in this session'",
        env=env,
    )
    session.run("pytest", *session.posargs, env=env, success_codes=[0, 5])


@nox.session
def lint(session: nox.Session) -> None:
    """Static checks: ruff."""
    session.install("ruff")
    session.run("ruff", "check", "ad_core", "plugins", "tests", "bench", "docs", "examples", "noxfile.py")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site (MkDocs, mkdocs.yml) with every warning an error."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", *session.posargs,
                env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks (``bench/``) against torch's own autograd and hand-written NumPy."""
    session.install("-e", ".", TORCH)
    session.run("python", "bench/run_all.py", *session.posargs)
