"""Layer 4, front ends: modules and parameters, and the layers plugins register.

``ad.nn.<Name>`` is a layer registered through ``ad_core_register_layers`` (built-in or a third
party's), or the module form of a loss registered with ``module="<Name>"``.
"""

from __future__ import annotations

from typing import Any

from ad_core.nn.functional_call import functional_call
from ad_core.nn.module import IncompatibleKeys, Module, Parameter, StateDictError
from ad_core.nn.registry import LAYERS, LOSSES, UnknownNameError

__all__: list[str] = ["IncompatibleKeys", "Module", "Parameter", "StateDictError",
                      "functional_call"]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return LAYERS.get(name)
    except UnknownNameError:
        for entry in LOSSES.entries.values():
            if entry.meta.get("module") == name:
                from ad_core.nn.loss_module import loss_module

                return loss_module(entry)
        raise


def __dir__() -> list[str]:
    layers = LAYERS.names()  # loads the plugins, losses included
    modules = [e.meta["module"] for e in LOSSES.entries.values() if e.meta.get("module")]
    return sorted({*__all__, *layers, *modules})
