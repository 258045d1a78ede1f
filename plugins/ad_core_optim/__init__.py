"""The built-in optimizers and learning-rate schedules, registered like a third party's.

- :mod:`.sgd`: SGD (momentum, Nesterov, weight decay);
- :mod:`.adam`: Adam and AdamW;
- :mod:`.adaptive`: RMSprop and Adagrad;
- :mod:`.schedules`: StepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup.

Every optimizer subclasses ``ad_core.extend.Optimizer`` and writes only its per-parameter
``update`` (with torch.optim's hyperparameter names, defaults and formulas) and its
hyperparameter checks; parameter groups, ``zero_grad`` and ``state_dict`` come from the base.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import hookimpl

from .adam import Adam, AdamW
from .adaptive import Adagrad, RMSprop
from .schedules import CosineAnnealingLR, ExponentialLR, LinearWarmup, StepLR
from .sgd import SGD

OPTIMIZERS = (SGD, Adam, AdamW, RMSprop, Adagrad)
SCHEDULES = (StepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup)


@hookimpl
def ad_core_register_optimizers(register: Any) -> None:
    for cls in OPTIMIZERS:
        register(cls.__name__, cls)


@hookimpl
def ad_core_register_schedulers(register: Any) -> None:
    for cls in SCHEDULES:
        register(cls.__name__, cls)
