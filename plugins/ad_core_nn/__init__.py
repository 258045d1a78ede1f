"""The built-in layers, registered through ``ad_core_register_layers`` like a third party's.

Each layer follows torch.nn's constructor, parameter names and shapes, so a torch user is at
home and state dicts move between the two libraries. By module:

- :mod:`.linear` — Linear, Embedding, Flatten;
- :mod:`.activations` — ReLU, LeakyReLU, Tanh, Sigmoid, GELU, Softplus, Softmax, LogSoftmax;
- :mod:`.normalization` — LayerNorm, BatchNorm1d, BatchNorm2d, Dropout;
- :mod:`.conv` — Conv1d, Conv2d, MaxPool2d, AvgPool2d (composed from Array API operations);
- :mod:`.recurrent` — RNN (tanh or relu) and LSTM;
- :mod:`.containers` — Sequential, ModuleList, Residual (``x + block(x)``), Identity;
- :mod:`.functional` — the ops ``erf`` (for the exact GELU) and ``linear`` (Linear's affine map
  as one op), registered through ``ad_core_register_ops``.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import hookimpl
from ad_core_nn.activations import (
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)
from ad_core_nn.containers import Identity, ModuleList, Residual, Sequential
from ad_core_nn.conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from ad_core_nn.functional import LINEAR_VJP, erf, erf_vjp, linear_forward, linear_signature
from ad_core_nn.linear import Embedding, Flatten, Linear
from ad_core_nn.normalization import BatchNorm1d, BatchNorm2d, Dropout, LayerNorm
from ad_core_nn.recurrent import LSTM, RNN

LAYERS = (
    Linear, Embedding, Flatten,
    ReLU, LeakyReLU, Tanh, Sigmoid, GELU, Softplus, Softmax, LogSoftmax,
    LayerNorm, BatchNorm1d, BatchNorm2d, Dropout,
    RNN, LSTM,
    Conv1d, Conv2d, MaxPool2d, AvgPool2d,
    Sequential, ModuleList, Residual, Identity,
)  # fmt: skip


@hookimpl
def ad_core_register_ops(register: Any) -> None:
    """``erf`` and ``linear``: what the layers need beyond the standard's functions."""
    register("erf", erf, erf_vjp, elementwise=True, doc=erf.__doc__)
    register("linear", linear_forward, LINEAR_VJP, signature=linear_signature)


@hookimpl
def ad_core_register_layers(register: Any) -> None:
    """Every layer under its class name: ``ad.nn.Linear`` and so on."""
    for layer in LAYERS:
        register(layer.__name__, layer)
