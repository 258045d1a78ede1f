"""The NumPy backend: host memory, one device called ``"cpu"``."""

from __future__ import annotations

from typing import Any

from ad_core.extend import Backend, hookimpl


def _load() -> Backend:
    import array_api_compat.numpy as xp
    import numpy as np

    def parse_device(spec: Any) -> str:
        if str(spec).lower() != "cpu":
            raise ValueError("NumPy arrays live only on 'cpu'")
        return "cpu"

    return Backend(
        "numpy",
        xp,
        array_types=(np.ndarray, np.generic),
        default_device="cpu",
        devices=lambda: ["cpu"],
        parse_device=parse_device,
        device_of=lambda a: "cpu",
        to_numpy=np.asarray,
    )


@hookimpl
def ad_core_register_backends(register: Any) -> None:
    register("numpy", _load, available=lambda: True, array_module="numpy")
