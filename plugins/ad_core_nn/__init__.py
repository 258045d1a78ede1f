"""The built-in layers, registered through ``ad_core_register_layers`` like a third party's.

Each layer follows torch.nn's constructor, parameter names and shapes, so a torch user is at
home and state dicts move between the two libraries. By module:

- :mod:`.linear` — Linear, Embedding, Flatten;
- :mod:`.activations` — ReLU, LeakyReLU, Tanh, Sigmoid, GELU, Softplus, Softmax, LogSoftmax;
- :mod:`.normalization` — LayerNorm, BatchNorm1d, BatchNorm2d, Dropout;
- :mod:`.conv` — Conv1d, Conv2d, MaxPool2d, AvgPool2d, over the ops ``conv1d``, ``conv2d``,
  ``max_pool2d`` and ``avg_pool2d`` (:mod:`.conv_ops`, :mod:`.pool_ops`);
- :mod:`.recurrent` — RNN (tanh or relu), LSTM and GRU;
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
from ad_core_nn.conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d, register_conv_ops
from ad_core_nn.functional import (
    LINEAR_VJP,
    erf,
    erf_jvp,
    erf_vjp,
    linear_forward,
    linear_jvp,
    linear_signature,
)
from ad_core_nn.linear import Embedding, Flatten, Linear
from ad_core_nn.normalization import BatchNorm1d, BatchNorm2d, Dropout, LayerNorm
from ad_core_nn.recurrent import GRU, LSTM, RNN

LAYERS = (
    Linear, Embedding, Flatten,
    ReLU, LeakyReLU, Tanh, Sigmoid, GELU, Softplus, Softmax, LogSoftmax,
    LayerNorm, BatchNorm1d, BatchNorm2d, Dropout,
    RNN, LSTM, GRU,
    Conv1d, Conv2d, MaxPool2d, AvgPool2d,
    Sequential, ModuleList, Residual, Identity,
)  # fmt: skip


@hookimpl
def ad_core_register_ops(register: Any) -> None:
    """``erf`` and ``linear``: what the layers need beyond the standard's functions."""
    register("erf", erf, erf_vjp, jvp=erf_jvp, elementwise=True, doc=erf.__doc__)
    register("linear", linear_forward, LINEAR_VJP, jvp=linear_jvp, signature=linear_signature)
    register_conv_ops(register)  # conv1d, conv2d, max_pool2d, avg_pool2d (.conv_ops, .pool_ops)


@hookimpl
def ad_core_register_layers(register: Any) -> None:
    """Every layer under its class name: ``ad.nn.Linear`` and so on."""
    for layer in LAYERS:
        register(layer.__name__, layer)
