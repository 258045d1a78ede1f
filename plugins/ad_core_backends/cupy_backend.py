"""The CuPy backend: NVIDIA GPUs only; unavailable (with a reason) where no GPU is present."""

from __future__ import annotations

import importlib.util
from typing import Any

from ad_core.extend import Backend, hookimpl


def _gpu_count() -> int:
    try:
        import cupy

        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def _reason() -> str:
    if importlib.util.find_spec("cupy") is None:
        return "cupy is not installed (pip install 'ad_core[cupy]')"
    return "cupy is installed but finds no CUDA GPU on this machine"


def _load() -> Backend:
    import array_api_compat.cupy as xp
    import cupy

    if _gpu_count() == 0:
        raise RuntimeError(_reason())

    def parse_device(spec: Any) -> Any:
        if isinstance(spec, cupy.cuda.Device):
            return spec
        if isinstance(spec, int):
            return cupy.cuda.Device(spec)
        kind, _, index = str(spec).partition(":")
        if kind not in ("cuda", "gpu"):
            raise ValueError("CuPy arrays live on CUDA devices ('cuda:0', 'cuda:1', ...)")
        return cupy.cuda.Device(int(index) if index else 0)

    return Backend(
        "cupy",
        xp,
        array_types=(cupy.ndarray,),
        default_device=cupy.cuda.Device(0),
        devices=lambda: [cupy.cuda.Device(i) for i in range(_gpu_count())],
        parse_device=parse_device,
        device_of=lambda a: a.device,
        to_numpy=cupy.asnumpy,
        multi_device=True,
    )


@hookimpl
def ad_core_register_backends(register: Any) -> None:
    register(
        "cupy",
        _load,
        available=lambda: importlib.util.find_spec("cupy") is not None and _gpu_count() > 0,
        array_module="cupy",
        unavailable_reason=_reason,
    )
