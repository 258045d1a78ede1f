"""The PyTorch backend: CPU and CUDA devices, data shared with other libraries over DLPack."""

from __future__ import annotations

import importlib.util
from typing import Any

from ad_core.extend import Backend, hookimpl


def _load() -> Backend:
    import array_api_compat.torch as xp
    import torch

    def parse_device(spec: Any) -> Any:
        dev = torch.device(spec) if not isinstance(spec, torch.device) else spec
        if dev.type == "cuda":
            if not torch.cuda.is_available():
                raise ValueError("CUDA is not available to torch on this machine")
            if dev.index is None:
                dev = torch.device("cuda", torch.cuda.current_device())
            if dev.index >= torch.cuda.device_count():
                raise ValueError(f"torch sees {torch.cuda.device_count()} CUDA device(s)")
        return dev

    def devices() -> list[Any]:
        found = [torch.device("cpu")]
        if torch.cuda.is_available():
            found += [torch.device("cuda", i) for i in range(torch.cuda.device_count())]
        return found

    def to_numpy(a: Any) -> Any:
        a = a.detach().cpu()
        if a.dtype == torch.bfloat16:  # NumPy has no bfloat16; float32 holds every value exactly
            a = a.float()
        return a.numpy()

    return Backend(
        "torch",
        xp,
        array_types=(torch.Tensor,),
        default_device=torch.device("cpu"),
        devices=devices,
        parse_device=parse_device,
        device_of=lambda a: a.device,
        to_numpy=to_numpy,
        # with only the CPU there is nothing to mismatch: ops skip the per-call device check
        multi_device=len(devices()) > 1,
        native_dtypes={"bfloat16": torch.bfloat16, "float16": torch.float16},
    )


@hookimpl
def ad_core_register_backends(register: Any) -> None:
    register(
        "torch",
        _load,
        available=lambda: importlib.util.find_spec("torch") is not None,
        array_module="torch",
        unavailable_reason=lambda: "torch is not installed (pip install 'ad_core[torch]')",
    )
