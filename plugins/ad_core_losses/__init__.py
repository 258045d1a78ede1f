"""The built-in losses, registered like a third party's, and the fused op behind cross-entropy.

- :mod:`.regression`: mse, l1, huber;
- :mod:`.classification`: cross_entropy, nll, binary_cross_entropy_with_logits;
- :mod:`.fused`: the op ``softmax_cross_entropy`` (logits against class indices, one forward
  and one VJP rule), which ``cross_entropy`` runs for class-index targets.

Each loss is ``fn(input, target, ..., reduction="mean")`` with torch.nn.functional's arguments,
reachable as ``ad.losses.<name>`` and, through ``module=``, as the module ``ad.nn.<Module>``.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import hookimpl

from .classification import binary_cross_entropy_with_logits, cross_entropy, nll
from .fused import FUSED, FUSED_JVPS
from .regression import huber, l1, mse

#  name                                function                           module form
LOSSES = {
    "mse":                              (mse,                              "MSELoss"),
    "l1":                               (l1,                               "L1Loss"),
    "huber":                            (huber,                            "HuberLoss"),
    "cross_entropy":                    (cross_entropy,                    "CrossEntropyLoss"),
    "nll":                              (nll,                              "NLLLoss"),
    "binary_cross_entropy_with_logits": (binary_cross_entropy_with_logits, "BCEWithLogitsLoss"),
}  # fmt: skip


@hookimpl
def ad_core_register_ops(register: Any) -> None:
    for name, (forward, vjps, signature) in FUSED.items():
        register(name, forward, vjps, jvp=FUSED_JVPS.get(name), signature=signature,
                 domain=("real", "index", "positive"))


@hookimpl
def ad_core_register_losses(register: Any) -> None:
    for name, (fn, module) in LOSSES.items():
        register(name, fn, module=module)
