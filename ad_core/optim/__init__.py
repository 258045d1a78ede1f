"""Optimizers, gradient clipping and full-batch minimisation: ``ad.optim``.

``ad.optim.<Name>`` is an optimizer registered by a plugin (``ad_core_register_optimizers``):
the built-in SGD, Adam, AdamW, RMSprop and Adagrad, or a third party's, all subclasses of
:class:`Optimizer`. Learning-rate schedules are in :mod:`ad_core.optim.lr_scheduler`. Defined
here: the :class:`Optimizer` and :class:`LRScheduler` base classes, ``clip_grad_norm_``,
``clip_grad_value_`` and ``minimize``.
"""

from __future__ import annotations

from typing import Any

from ad_core.nn.registry import OPTIMIZERS
from ad_core.optim import lr_scheduler
from ad_core.optim.clipping import clip_grad_norm_, clip_grad_value_
from ad_core.optim.minimize import MinimizeResult, minimize
from ad_core.optim.optimizer import Optimizer
from ad_core.optim.scheduler import LRScheduler

__all__: list[str] = [
    "LRScheduler",
    "MinimizeResult",
    "Optimizer",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
    "minimize",
]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return OPTIMIZERS.get(name)


def __dir__() -> list[str]:
    return sorted({*__all__, *OPTIMIZERS.names()})
