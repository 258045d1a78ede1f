"""Layer 3, autograd: tensors, recording, the backward pass, forward mode and the function
transforms (grad, vjp, jvp, jacobian, hessian, hvp) on pytrees."""

from ad_core.autograd.creation import as_tensor, tensor, to_numpy
from ad_core.autograd.forward import jvp
from ad_core.autograd.functional import grad, value_and_grad, vjp
from ad_core.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ad_core.autograd.recording import apply, function_for
from ad_core.autograd.tensor import Tensor
from ad_core.autograd.transforms import hessian, hvp, jacobian

__all__ = [
    "Tensor",
    "apply",
    "as_tensor",
    "enable_grad",
    "function_for",
    "grad",
    "hessian",
    "hvp",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "no_grad",
    "set_grad_enabled",
    "tensor",
    "to_numpy",
    "value_and_grad",
    "vjp",
]
