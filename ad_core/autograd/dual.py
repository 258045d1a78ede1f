"""`DualTensor`: a tensor carrying a forward-mode tangent, and :func:`base`, the plain tensor
under it.

Forward mode (:mod:`ad_core.autograd.forward`) keeps tangents on this subclass rather than on
``Tensor`` itself, so that ``Tensor`` needs no extra slot and the ops of code that never uses
forward mode fill none.
"""

from __future__ import annotations

from ad_core.autograd.tensor import Tensor
from ad_core.errors import GradientError

__all__ = ["DualTensor", "base"]


class DualTensor(Tensor):
    """A tensor that carries a tangent for one running ``ad.jvp`` (forward mode).

    It is its ``primal`` (same array, same node, same ``requires_grad``: to reverse mode it *is*
    the primal) plus ``tangent``, the directional derivative along the jvp's tangents, for the jvp
    of ``level``. Nested ``jvp`` calls nest dual tensors: the primal of a level-2 dual may itself
    be a level-1 dual, and so may its tangent (that is how mixed second derivatives arise). Made by
    ``ad.jvp`` and by :func:`ad_core.autograd.forward.apply_dual`; users never construct one.
    """

    __slots__ = ("_level", "_primal", "_tangent")

    _level: int
    _primal: Tensor
    _tangent: Tensor

    @classmethod
    def _wrap(cls, primal: Tensor, level: int, tangent: Tensor) -> DualTensor:
        t = object.__new__(cls)
        t._array = primal._array
        t._backend = primal._backend
        t._node = primal._node
        t._requires_grad = primal._requires_grad
        t._grad = None
        t._level = level
        t._primal = primal
        t._tangent = tangent
        return t

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Not for tensors carrying a tangent: mark the primal before calling ``ad.jvp``."""
        if flag == self._requires_grad:
            return self
        raise GradientError("requires_grad_ on a tensor inside ad.jvp; mark the primal before "
                            "calling ad.jvp")


def base(t: Tensor) -> Tensor:
    """The plain tensor under any tangents ``t`` carries: the one reverse mode records."""
    while type(t) is DualTensor:
        t = t._primal
    return t
