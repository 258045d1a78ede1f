"""adcore_swish: a third-party ad_core plugin, as a template to copy.

It imports nothing of ad_core but ``ad_core.extend``, and nothing of numpy or torch at module
level. Installed, it adds through ad_core's hooks:

- the op ``swish`` (forward, VJP and a hand-written JVP rule) -> ``ad.swish``,
  ``ad.array_api.swish``, ``x.swish()``; and a torch kernel for it (an override);
- the layer ``Swish`` -> ``ad.nn.Swish``;
- the loss ``smooth_l1`` -> ``ad.losses.smooth_l1`` and ``ad.nn.SmoothL1Loss``;
- the optimizer ``SignSGD`` -> ``ad.optim.SignSGD``;
- the initializer ``swish_uniform_`` -> ``ad.init.swish_uniform_``.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import hookimpl

from .init import swish_gain, swish_uniform_
from .layers import Swish, smooth_l1
from .ops import swish, swish_jvp, swish_signature, swish_torch, swish_vjp
from .optim import SignSGD

__all__ = ["SignSGD", "Swish", "smooth_l1", "swish_gain", "swish_uniform_"]


@hookimpl
def ad_core_register_ops(register: Any, override: Any) -> None:
    register("swish", swish, swish_vjp, jvp=swish_jvp, elementwise=True, domain="real",
             signature=swish_signature)
    override("swish", "torch", forward=swish_torch)


@hookimpl
def ad_core_register_layers(register: Any) -> None:
    register("Swish", Swish)


@hookimpl
def ad_core_register_losses(register: Any) -> None:
    register("smooth_l1", smooth_l1, module="SmoothL1Loss")


@hookimpl
def ad_core_register_optimizers(register: Any) -> None:
    register("SignSGD", SignSGD)


@hookimpl
def ad_core_register_initializers(register: Any) -> None:
    register("swish_uniform_", swish_uniform_)
