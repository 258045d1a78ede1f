"""The op ``softmax_cross_entropy``: cross-entropy of logits against class indices, fused.

Training a classifier spends its loss time here, so the whole loss is one primitive rather than
a chain of log_softmax, a one-hot product, a sum and a division. For logits x (N, C), targets
t (N,), optional class weights w (C,), per-sample weights ωᵢ = w[tᵢ] (1 without w; 0 where
tᵢ == ignore_index) and label smoothing ε::

    lseᵢ   = log Σ_c exp(x_ic)                                       (computed stably)
    lossᵢ  = (1 − ε) ωᵢ (lseᵢ − x_{i,tᵢ})  +  ε/C · mᵢ (W lseᵢ − Σ_c w_c x_ic)
    mean   = Σᵢ lossᵢ / Σᵢ ωᵢ                                          (torch's weighted mean)

with mᵢ = 0 for ignored samples, 1 otherwise, and W = Σ_c w_c (C without w). Its VJP is the
softmax minus the (smoothed) one-hot target, scaled by the cotangent of each sample::

    ∂loss/∂x_i = rᵢ [(1 − ε) ωᵢ (pᵢ − e_{tᵢ}) + ε/C · mᵢ (W pᵢ − w)],   pᵢ = softmax(xᵢ)

where rᵢ is g (sum), g / Σω (mean) or gᵢ (none). It is written with ``xp`` operations only, so
it differentiates again (Hessian-vector products through the loss).
"""

from __future__ import annotations

import weakref
from typing import Any

from ad_core.extend import DTypeError, ShapeError, Tensor
from ad_core.extend import array_api as ad_xp

from ._common import check_class_indices

REDUCTIONS = ("mean", "sum", "none")

Params = tuple[tuple[Any, ...], dict[str, Any]]


def _sample_weights(xp: Any, t: Any, w: Any, keep: Any, dtype: Any) -> Any:
    """ωᵢ: the class weight of each sample's target (``t`` with ignored entries made valid), 0
    for ignored samples; None when every ωᵢ is 1 (no class weights, nothing ignored)."""
    if keep is None:
        return None if w is None else xp.take(w, t)
    kept = xp.astype(keep, dtype)
    return kept if w is None else xp.take(w, t) * kept


def _kept(xp: Any, t: Any, ignore_index: int, has_ignored: bool) -> tuple[Any, Any]:
    """The mask of samples that count (None: all) and the targets with ignored ones set to 0."""
    if not has_ignored:
        return None, t
    keep = t != ignore_index
    return keep, xp.where(keep, t, xp.zeros_like(t))


_ARANGES: dict[tuple[Any, ...], Any] = {}


def _arange(xp: Any, n: int, step: int, dtype: Any, device: Any) -> Any:
    """``[0, step, 2·step, ...]`` (n values), made once per shape, dtype and device: the row
    offsets of a flat (N, C) array and the class numbers, needed by every call. Keyed by the
    device's library and name rather than the device itself, since some libraries' device
    objects are not hashable (CuPy's)."""
    key = (id(xp), n, step, str(dtype), type(device).__module__, str(device))
    out = _ARANGES.get(key)
    if out is None:
        if len(_ARANGES) >= 64:
            _ARANGES.clear()
        out = _ARANGES[key] = xp.arange(0, n * step, step, dtype=dtype, device=device)
    return out


def _drop_ignored(xp: Any, keep: Any, scale: Any) -> Any:
    """A per-sample factor of the VJP, exactly 0 for ignored samples (``keep`` False), as torch's.

    Multiplying by the 0/1 mask instead would give NaN when every sample is ignored: the mean's
    factor is then g / Σω = g / 0, and 0 · ∞ is NaN, which the next optimizer step would write
    into every weight (torch's gradient is 0 there, while its loss is NaN)."""
    return scale if keep is None else xp.where(keep, scale, xp.zeros_like(scale))


def _column(xp: Any, scale: Any) -> Any:
    """A per-sample factor as a column, to scale the rows of an (N, C) array; scalars as they are."""
    return xp.reshape(scale, (scale.shape[0], 1)) if scale.ndim == 1 else scale


# -- the softmax, kept from the forward pass for the VJP --------------------------------------
#
# The VJP needs softmax(x), which the forward pass has just computed; recomputing it costs two
# row reductions, the slowest part of this loss on small batches. An op saves only its inputs and
# its output, so the forward rule keeps the softmax here, keyed by the output array it returns
# and released with it (a weak reference's callback). The first-order VJP receives that same
# array as ``ans`` and takes the softmax back; anywhere else (a recorded backward pass for
# higher derivatives, forward mode, a backend whose arrays refuse weak references) ``ans`` is
# not a key and the VJP recomputes the softmax, so the results are the same either way.

_SOFTMAX: dict[int, tuple[weakref.ref[Any], Any]] = {}


def _forget(ref: weakref.ref[Any], key: int) -> None:
    entry = _SOFTMAX.get(key)
    if entry is not None and entry[0] is ref:
        del _SOFTMAX[key]


def _keep_softmax(xp: Any, out: Any, p: Any) -> Any:
    """``out`` (as an array that takes weak references), with ``p`` kept for the VJP."""
    try:
        ref = weakref.ref(out)
    except TypeError:  # a NumPy scalar (what NumPy's reductions return): make it a 0-d array
        out = xp.asarray(out)
        try:
            ref = weakref.ref(out)
        except TypeError:
            return out
    key = id(out)
    ref = weakref.ref(out, lambda r, key=key: _forget(r, key))
    _SOFTMAX[key] = (ref, p)
    return out


def _softmax_of(xp: Any, ans: Any, x: Any) -> Any:
    """softmax(x) along the classes: kept by the forward pass for ``ans``, or recomputed."""
    entry = _SOFTMAX.get(id(ans))
    if entry is not None and entry[0]() is ans:
        return entry[1]
    e = xp.exp(x - xp.max(x, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


# -- the rules --------------------------------------------------------------------------------


def softmax_cross_entropy(xp: Any, x: Any, t: Any, w: Any, *, ignore_index: int,
                          label_smoothing: float, reduction: str, has_ignored: bool) -> Any:
    """Forward rule (raw arrays)."""
    n, c = x.shape
    shifted = x - xp.max(x, axis=1, keepdims=True)  # log-probabilities relative to the row's
    e = xp.exp(shifted)                              # maximum: logits of 1e4 lose no digits
    sums = xp.sum(e, axis=1, keepdims=True)
    log_sum = xp.log(xp.reshape(sums, (n,)))
    keep, t = _kept(xp, t, ignore_index, has_ignored)
    rows = _arange(xp, n, c, t.dtype, x.device) + t  # flat positions i·C + tᵢ
    loss = log_sum - xp.reshape(shifted, (n * c,))[rows]  # raw arrays here: plain indexing
    weights = _sample_weights(xp, t, w, keep, x.dtype)
    loss = _smoothed_and_reduced(xp, loss, log_sum, shifted, w, keep, weights,
                                 label_smoothing, reduction)
    return _keep_softmax(xp, loss, e / sums)


def _smoothed_and_reduced(xp: Any, per: Any, lse: Any, rows: Any, w: Any, keep: Any,
                          weights: Any, label_smoothing: float, reduction: str) -> Any:
    """The per-sample term ``per`` (−log p of the target, or its tangent) weighted, mixed with
    label smoothing's uniform term, and reduced. The uniform term is linear in ``lse`` (each
    row's log-sum-exp, or its tangent) and ``rows`` (the logits, or their tangent), so the
    forward pass and its JVP share this code."""
    n, c = rows.shape
    if weights is not None:
        per = per * weights
    if label_smoothing:
        if w is None:
            smooth = lse - xp.sum(rows, axis=1) / c
        else:
            smooth = (xp.sum(w) * lse - xp.sum(rows * w, axis=1)) / c
        if keep is not None:
            smooth = smooth * xp.astype(keep, rows.dtype)
        per = (1.0 - label_smoothing) * per + label_smoothing * smooth
    if reduction == "sum":
        return xp.sum(per)
    if reduction == "mean":
        return xp.sum(per) / (n if weights is None else xp.sum(weights))
    return per


def softmax_cross_entropy_vjp(xp: Any, g: Any, ans: Any, x: Any, t: Any, w: Any, *,
                              ignore_index: int, label_smoothing: float, reduction: str,
                              has_ignored: bool) -> Any:
    """VJP for the logits: (softmax − one-hot) scaled per sample; xp operations only."""
    n, c = x.shape
    keep, safe = _kept(xp, t, ignore_index, has_ignored)
    weights = _sample_weights(xp, safe, w, keep, x.dtype)
    if reduction == "mean":
        r = g / (n if weights is None else xp.sum(weights))
    else:
        r = g
    p = _softmax_of(xp, ans, x)
    hit = xp.reshape(t, (n, 1)) == _arange(xp, c, 1, t.dtype, x.device)
    scale = r if weights is None else _drop_ignored(xp, keep, weights * r)
    out = (p - xp.astype(hit, x.dtype)) * _column(xp, scale)
    if label_smoothing:
        spread = p - 1.0 / c if w is None else (xp.sum(w) * p - w) / c
        per = _drop_ignored(xp, keep, r)
        out = (1.0 - label_smoothing) * out + label_smoothing * spread * _column(xp, per)
    return out


def softmax_cross_entropy_jvp(xp: Any, tangents: tuple[Any, ...], ans: Any, x: Any, t: Any,
                              w: Any, *, ignore_index: int, label_smoothing: float,
                              reduction: str, has_ignored: bool) -> Any:
    """JVP for a tangent v of the logits: the forward formula differentiated term by term,
    d lseᵢ = ⟨pᵢ, vᵢ⟩ and d x_{i,tᵢ} = v_{i,tᵢ}, then reduced as the loss is; one softmax (the
    forward pass's, when it kept it) and a few row sums, no (N, C) gradient formed."""
    n, c = x.shape
    v = tangents[0]
    keep, safe = _kept(xp, t, ignore_index, has_ignored)
    weights = _sample_weights(xp, safe, w, keep, x.dtype)
    d_lse = xp.sum(_softmax_of(xp, ans, x) * v, axis=1)
    hit = xp.reshape(t, (n, 1)) == _arange(xp, c, 1, t.dtype, x.device)
    d = d_lse - xp.sum(xp.where(hit, v, xp.zeros_like(v)), axis=1)
    return _smoothed_and_reduced(xp, d, d_lse, v, w, keep, weights, label_smoothing, reduction)


def softmax_cross_entropy_signature(
    logits: Any, target: Any, weight: Any = None, /, *, ignore_index: int = -100,
    label_smoothing: float = 0.0, reduction: str = "mean",
) -> Params:
    """softmax_cross_entropy(logits, target, weight=None, /, *, ignore_index=-100,
    label_smoothing=0.0, reduction="mean"): cross-entropy of ``logits`` (N, C) against class
    indices ``target`` (N,), fused into one op (forward and VJP); ``ad.losses.cross_entropy`` is
    the general front end (class probabilities, any number of dimensions).

    The targets are checked here, once: every one must be a class index in [0, C) or equal
    ``ignore_index``; whether any is ignored becomes the rules' ``has_ignored`` parameter, so
    that a batch without ignored targets takes the short path in both rules."""
    logits, target = _tensor(logits), _tensor(target)
    if logits.ndim != 2 or logits.shape[1] == 0:
        raise ShapeError(f"softmax_cross_entropy: logits must have shape (N, C) with C >= 1, got "
                         f"{logits.shape}")
    if not logits.dtype.is_floating:
        raise DTypeError(f"softmax_cross_entropy: logits must be floating point, got "
                         f"{logits.dtype.name}")
    if target.dtype.kind not in ("signed integer", "unsigned integer"):
        raise DTypeError(f"softmax_cross_entropy: target must hold integer class indices, got "
                         f"{target.dtype.name}")
    if target.dtype != ad_xp.int64:  # flat positions i·C + tᵢ overflow 8-bit (uint8 masks)
        target = ad_xp.astype(target, ad_xp.int64)
    if target.shape != logits.shape[:1]:
        raise ShapeError(f"softmax_cross_entropy: target has shape {target.shape}, expected "
                         f"({logits.shape[0]},) for logits of shape {logits.shape}")
    if weight is not None:
        weight = _tensor(weight)
        if weight.shape != logits.shape[1:]:
            raise ShapeError(f"softmax_cross_entropy: weight has shape {weight.shape}, expected "
                             f"({logits.shape[1]},): one weight per class")
    if reduction not in REDUCTIONS:
        raise ValueError(f"softmax_cross_entropy: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")
    if not (isinstance(label_smoothing, int | float) and 0.0 <= label_smoothing <= 1.0):
        raise ValueError(f"softmax_cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing!r}")
    if not isinstance(ignore_index, int):
        raise TypeError(f"softmax_cross_entropy: ignore_index must be an int, got {ignore_index!r}")
    has_ignored = check_class_indices("softmax_cross_entropy", target, logits.shape[1], ignore_index)
    params = {"ignore_index": ignore_index, "label_smoothing": float(label_smoothing),
              "reduction": reduction, "has_ignored": has_ignored}
    return (logits, target, weight), params


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else ad_xp.asarray(x)


#: name -> (forward, VJPs (logits, target, weight), signature)
FUSED = {
    "softmax_cross_entropy": (softmax_cross_entropy, [softmax_cross_entropy_vjp, None, None],
                              softmax_cross_entropy_signature),
}

#: name -> JVP rule (forward mode; the logits' tangent only: targets and weights have none)
FUSED_JVPS = {
    "softmax_cross_entropy": softmax_cross_entropy_jvp,
}
