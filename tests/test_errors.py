"""Bad input gets a clear error, raised by ad_core before any backend error surfaces."""

from __future__ import annotations

import pytest

import ad_core as ad
from ad_core.errors import (
    BackendMismatchError,
    DeviceMismatchError,
    DTypeError,
    GradientError,
    ShapeError,
    UnknownBackendError,
    UnknownOpError,
)


def _two_backends():
    names = [n for n in ("numpy", "array_api_strict", "torch") if n in ad.available_backends()]
    if len(names) < 2:
        pytest.skip("needs two backends")
    return names[:2]


def test_mixing_backends_names_both():
    first, second = _two_backends()
    a = ad.tensor([1.0], backend=first)
    b = ad.tensor([1.0], backend=second)
    with pytest.raises(BackendMismatchError, match=rf"add.*'{first}' and '{second}'"):
        a + b


def test_mismatched_devices_name_both():
    if "array_api_strict" not in ad.available_backends():
        pytest.skip("array-api-strict (which has several devices) not installed")
    with ad.backend("array_api_strict"):
        a = ad.tensor([1.0])
        b = ad.tensor([1.0], device="device1")
    with pytest.raises(DeviceMismatchError, match=r"multiply.*CPU_DEVICE.*device1"):
        a * b


def test_incompatible_shapes_name_the_op_and_both_shapes(backend):
    with pytest.raises(ShapeError, match=r"add: cannot broadcast shapes \(2, 3\) and \(4,\)"):
        ad.tensor([[1.0] * 3] * 2) + ad.tensor([1.0] * 4)


def test_matmul_shape_error_names_both_shapes(backend):
    with pytest.raises(ShapeError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        ad.tensor([[1.0] * 3] * 2) @ ad.tensor([[1.0] * 5] * 4)


def test_grad_on_integer_tensors_is_refused(backend):
    with pytest.raises(DTypeError, match="floating"):
        ad.tensor([1, 2, 3], requires_grad=True)


def test_backward_on_a_non_scalar_without_grad(backend):
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(GradientError, match="grad"):
        (x * x).backward()


def test_unknown_backend_lists_the_available_ones():
    with pytest.raises(UnknownBackendError, match="available here: .*numpy"):
        ad.tensor([1.0], backend="jaxx")


def test_unknown_op_suggests_close_names():
    with pytest.raises(UnknownOpError, match="did you mean.*tanh"):
        ad.tanhh  # noqa: B018


def test_shape_errors_are_also_value_errors_for_code_that_catches_those(backend):
    with pytest.raises(ValueError):
        ad.tensor([1.0, 2.0]) + ad.tensor([1.0, 2.0, 3.0])
