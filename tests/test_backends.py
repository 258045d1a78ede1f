"""Backends are chosen at runtime: a process default, a context-local override, data placement."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

import ad_core as ad
from ad_core.errors import UnknownBackendError


def test_numpy_is_always_available_and_the_default():
    assert "numpy" in ad.available_backends()
    assert ad.get_backend().name == "numpy"


def test_available_backends_lists_only_importable_ones():
    for name in ad.available_backends():
        assert ad.backends.load_backend(name).name == name


def test_set_backend_changes_the_process_default():
    if "array_api_strict" not in ad.available_backends():
        pytest.skip("array-api-strict not installed")
    try:
        ad.set_backend("array_api_strict")
        assert ad.get_backend().name == "array_api_strict"
        assert ad.tensor([1.0]).backend.name == "array_api_strict"
    finally:
        ad.set_backend("numpy")


def test_backend_context_overrides_and_restores(backend):
    assert ad.get_backend().name == backend.name
    with ad.backend("numpy"):
        assert ad.get_backend().name == "numpy"
    assert ad.get_backend().name == backend.name


def test_backend_override_does_not_leak_into_other_threads():
    seen = {}
    entered = threading.Event()
    release = threading.Event()

    def other():
        entered.wait()
        seen["other"] = ad.get_backend().name
        release.set()

    thread = threading.Thread(target=other)
    thread.start()
    with ad.backend("numpy") as inner:
        assert inner.name == "numpy"
        strict = "array_api_strict" in ad.available_backends()
        with ad.backend("array_api_strict" if strict else "numpy"):
            entered.set()
            release.wait(10)
    thread.join()
    assert seen["other"] == "numpy"


def test_backend_override_is_local_to_an_asyncio_task():
    if "array_api_strict" not in ad.available_backends():
        pytest.skip("array-api-strict not installed")

    async def inside(name, started, done):
        with ad.backend(name):
            started.set()
            await done.wait()
            return ad.get_backend().name

    async def outside(started, done):
        await started.wait()
        name = ad.get_backend().name
        done.set()
        return name

    async def main():
        started, done = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(inside("array_api_strict", started, done),
                                    outside(started, done))

    assert asyncio.run(main()) == ["array_api_strict", "numpy"]


def test_unknown_backend_names_those_available():
    with pytest.raises(UnknownBackendError, match="unknown backend 'nosuch'.*numpy"):
        ad.set_backend("nosuch")


def test_python_data_goes_to_the_backend_in_force(backend):
    t = ad.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.backend.name == backend.name
    assert backend.backend.owns(t.array)


def test_numpy_arrays_go_to_the_backend_in_force(backend):
    t = ad.tensor(np.arange(6.0).reshape(2, 3))
    assert t.backend.name == backend.name
    np.testing.assert_array_equal(ad.to_numpy(t), np.arange(6.0).reshape(2, 3))


def test_a_torch_tensor_keeps_its_backend_under_a_numpy_default():
    torch = pytest.importorskip("torch")
    with ad.backend("numpy"):
        t = ad.tensor(torch.ones(3))
    assert t.backend.name == "torch"


def test_backend_argument_moves_foreign_arrays():
    torch = pytest.importorskip("torch")
    t = ad.tensor(torch.arange(3.0), backend="numpy")
    assert t.backend.name == "numpy"
    assert t.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("target", ["numpy", "torch", "array_api_strict"])
def test_to_moves_data_and_gradients_flow_back(backend, target):
    if target not in ad.available_backends():
        pytest.skip(f"{target} not installed")
    x = ad.tensor([1.0, 2.0, 3.0], dtype=ad.float64, requires_grad=True)
    y = x.to(backend=target)
    assert y.backend.name == target
    (y * y).sum().backward()
    assert x.grad.backend.name == backend.name
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_to_another_device_of_the_same_backend_is_differentiable():
    if "array_api_strict" not in ad.available_backends():
        pytest.skip("array-api-strict not installed")
    with ad.backend("array_api_strict"):
        x = ad.tensor([1.0, 2.0], requires_grad=True)
        y = x.to(device="device1")
        assert str(y.device) != str(x.device)
        (y * 3.0).sum().backward()
        assert str(x.grad.device) == str(x.device)
        assert x.grad.tolist() == [3.0, 3.0]


def test_devices_are_reported_per_backend(backend):
    devices = backend.backend.devices()
    assert devices
    assert ad.get_device() in devices or str(ad.get_device()) in {str(d) for d in devices}
