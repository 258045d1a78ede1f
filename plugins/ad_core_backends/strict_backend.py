"""The array-api-strict backend: the standard and nothing more, to prove rules stay generic."""

from __future__ import annotations

import importlib.util
from typing import Any

from ad_core.extend import Backend, hookimpl


def _load() -> Backend:
    import array_api_strict as xp
    import numpy as np

    info = xp.__array_namespace_info__()
    known = {str(d): d for d in info.devices()}
    default = info.default_device()

    def parse_device(spec: Any) -> Any:
        if spec in known.values():
            return spec
        if str(spec).lower() == "cpu":
            return default
        for name, dev in known.items():
            if str(spec) in (name, getattr(dev, "_device", None)):
                return dev
        raise ValueError(f"array-api-strict devices are {list(known)}")

    def to_numpy(a: Any) -> Any:
        if a.device != default:
            a = xp.asarray(a, device=default)
        return np.from_dlpack(a)

    return Backend(
        "array_api_strict",
        xp,
        array_types=(type(xp.asarray(0.0)),),
        default_device=default,
        devices=lambda: list(known.values()),
        parse_device=parse_device,
        device_of=lambda a: a.device,
        to_numpy=to_numpy,
        multi_device=True,
    )


@hookimpl
def ad_core_register_backends(register: Any) -> None:
    register(
        "array_api_strict",
        _load,
        available=lambda: importlib.util.find_spec("array_api_strict") is not None,
        array_module="array_api_strict",
        unavailable_reason=lambda: "array-api-strict is not installed (pip install array-api-strict)",
    )
