"""Ops that rearrange elements without changing them: reshape, transpose, add or drop axes,
broadcast, flip, roll, move axes, tile and repeat.

Every one of them is linear, so each VJP is the inverse rearrangement of the cotangent (reshape it
back, permute it back, roll it back) or, where the forward pass copied elements (broadcast_to,
tile, repeat), the sum of the copies. Signatures check the arguments and raise
:class:`~ad_core.extend.ShapeError` naming the op and the shapes before the backend sees them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ad_core.extend import ShapeError, broadcast_shapes, normalize_axis

Params = tuple[tuple[Any, ...], dict[str, Any]]
Shape = tuple[int, ...]


# -- helpers shared by the signatures ----------------------------------------------------------


def shape_of(x: Any) -> Shape | None:
    """``x``'s shape, () for a Python scalar, None for data not yet made a tensor (a list)."""
    if isinstance(x, int | float):
        return ()
    shape = getattr(x, "shape", None)
    return None if shape is None else tuple(shape)


def one_axis(op: str, axis: int, ndim: int) -> int:
    """``axis`` as a non-negative axis of an array of ``ndim`` dimensions."""
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{op}: axis {axis} is out of range for an array of {ndim} dimensions")
    return axis % ndim


def axes_tuple(axis: int | Sequence[int]) -> tuple[int, ...]:
    """An axis or a sequence of axes, as a tuple."""
    return (axis,) if isinstance(axis, int) else tuple(axis)


def resolve_shape(op: str, old: Shape, new: Shape) -> Shape:
    """``new`` with its -1 (if any) worked out, or ShapeError if ``old``'s elements do not fit."""
    size = math.prod(old)
    if -1 not in new and math.prod(new) == size and min(new, default=0) >= 0:
        return new
    unknown = [i for i, n in enumerate(new) if n == -1]
    if len(unknown) > 1 or any(n < -1 for n in new):
        raise ShapeError(f"{op}: shape {new} may hold one -1 and otherwise sizes >= 0")
    known = math.prod(n for n in new if n != -1)
    if not unknown or known == 0 or size % known:
        raise ShapeError(
            f"{op}: cannot reshape an array of shape {old} ({size} elements) into shape {new}"
        )
    i = unknown[0]
    return (*new[:i], size // known, *new[i + 1:])


def inverse_permutation(axes: Sequence[int]) -> tuple[int, ...]:
    """The permutation that undoes ``axes``."""
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return tuple(inverse)


# -- signatures: the user's call -> (inputs, params) -------------------------------------------


def reshape_signature(x: Any, /, shape: int | Sequence[int]) -> Params:
    """reshape(x, /, shape): ``x``'s elements, in row-major order, in a new shape.

    One entry of ``shape`` may be -1, meaning whatever size makes the element count match.
    """
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    old = shape_of(x)
    if old is not None:
        shape = resolve_shape("reshape", old, shape)
    return (x,), {"shape": shape}


def permute_dims_signature(x: Any, /, axes: Sequence[int]) -> Params:
    """permute_dims(x, /, axes): ``x`` with its axes reordered; output axis i is input axis axes[i]."""
    axes = tuple(axes)
    old = shape_of(x)
    if old is not None:
        ndim = len(old)
        normal = tuple(a % ndim if -ndim <= a < ndim else -1 for a in axes)
        if sorted(normal) != list(range(ndim)):
            raise ShapeError(
                f"permute_dims: axes {axes} are not a permutation of the {ndim} axes of an array "
                f"of shape {old}"
            )
        axes = normal
    return (x,), {"axes": axes}


def expand_dims_signature(x: Any, /, *, axis: int | Sequence[int] = 0) -> Params:
    """expand_dims(x, /, *, axis=0): ``x`` with a new axis of size 1 at ``axis`` (or at each of a
    tuple of axes, counted in the output)."""
    axes = axes_tuple(axis)
    old = shape_of(x)
    if old is not None:
        axes = normalize_axis(axes, len(old) + len(axes), "expand_dims")
    return (x,), {"axis": axes}


def squeeze_signature(x: Any, /, axis: int | Sequence[int] | None) -> Params:
    """squeeze(x, /, axis): ``x`` without the given axes, which must have size 1.

    ``axis=None`` (an extension of the standard) drops every axis of size 1.
    """
    old = shape_of(x)
    if old is None:
        return (x,), {"axis": axis if axis is None else axes_tuple(axis)}
    if axis is None:
        return (x,), {"axis": tuple(i for i, n in enumerate(old) if n == 1)}
    axes = normalize_axis(axes_tuple(axis), len(old), "squeeze")
    for a in axes:
        if old[a] != 1:
            raise ShapeError(
                f"squeeze: axis {a} of an array of shape {old} has size {old[a]}, not 1"
            )
    return (x,), {"axis": axes}


def broadcast_to_signature(x: Any, /, shape: int | Sequence[int]) -> Params:
    """broadcast_to(x, /, shape): ``x`` repeated along axes of size 1 (and new leading axes) to
    ``shape``; the gradient sums the copies."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    old = shape_of(x)
    if old is not None and (
        len(old) > len(shape) or broadcast_shapes(old, shape, op="broadcast_to") != shape
    ):
        raise ShapeError(f"broadcast_to: cannot broadcast an array of shape {old} to shape {shape}")
    return (x,), {"shape": shape}


def flip_signature(x: Any, /, *, axis: int | Sequence[int] | None = None) -> Params:
    """flip(x, /, *, axis=None): ``x`` with the order of elements reversed along ``axis`` (all
    axes if None)."""
    old = shape_of(x)
    if old is not None:
        axis = normalize_axis(axis, len(old), "flip")
    return (x,), {"axis": axis}


def roll_signature(x: Any, /, shift: int | Sequence[int], *,
                   axis: int | Sequence[int] | None = None) -> Params:
    """roll(x, /, shift, *, axis=None): ``x`` shifted by ``shift`` places along ``axis``, the
    elements that fall off one end coming back at the other; with ``axis=None`` the flattened
    array is rolled and the shape restored."""
    if axis is None:
        if not isinstance(shift, int):
            raise ShapeError(f"roll: with axis=None, shift must be one integer, got {shift!r}")
        return (x,), {"shift": shift, "axis": None}
    axes = axes_tuple(axis)
    shifts = (shift,) * len(axes) if isinstance(shift, int) else tuple(shift)
    if len(shifts) != len(axes):
        raise ShapeError(f"roll: {len(shifts)} shifts {shifts} for {len(axes)} axes {axes}")
    old = shape_of(x)
    if old is not None:
        axes = tuple(one_axis("roll", a, len(old)) for a in axes)
    return (x,), {"shift": shifts, "axis": axes}


def moveaxis_signature(x: Any, source: int | Sequence[int],
                       destination: int | Sequence[int], /) -> Params:
    """moveaxis(x, source, destination, /): ``x`` with axes ``source`` moved to positions
    ``destination``, the other axes keeping their order."""
    source, destination = axes_tuple(source), axes_tuple(destination)
    if len(source) != len(destination):
        raise ShapeError(f"moveaxis: source {source} and destination {destination} differ in length")
    old = shape_of(x)
    if old is not None:
        ndim = len(old)
        source = tuple(one_axis("moveaxis", a, ndim) for a in source)
        destination = tuple(one_axis("moveaxis", a, ndim) for a in destination)
        if len(set(source)) != len(source) or len(set(destination)) != len(destination):
            raise ShapeError(f"moveaxis: repeated axis in {source} -> {destination}")
    return (x,), {"source": source, "destination": destination}


def tile_signature(x: Any, repetitions: Sequence[int], /) -> Params:
    """tile(x, repetitions, /): ``x`` repeated ``repetitions[i]`` times along axis i (shapes
    aligned at the right, padded with 1s); the gradient sums the tiles."""
    reps = axes_tuple(repetitions)
    if any(r < 0 for r in reps):
        raise ShapeError(f"tile: repetitions {reps} must be >= 0")
    return (x,), {"repetitions": reps}


def repeat_signature(x: Any, repeats: int, /, *, axis: int | None = None) -> Params:
    """repeat(x, repeats, /, *, axis=None): each element of ``x`` repeated ``repeats`` times in a
    row along ``axis`` (of the flattened array if None); the gradient sums the repeats.

    ``repeats`` must be one integer here (the standard also allows an array of them).
    """
    if not isinstance(repeats, int) or repeats < 0:
        raise ShapeError(f"repeat: repeats must be one integer >= 0, got {repeats!r}")
    old = shape_of(x)
    if axis is not None and old is not None:
        axis = one_axis("repeat", axis, len(old))
    return (x,), {"repeats": repeats, "axis": axis}


# -- VJPs that need more than one line ---------------------------------------------------------


def tile_vjp(xp: Any, g: Any, ans: Any, x: Any, repetitions: tuple[int, ...]) -> Any:
    """Split each output axis of length r*s into (r, s) and sum over the r copies."""
    shape = tuple(x.shape)
    n = max(len(shape), len(repetitions))
    if n == 0:
        return g
    reps = (1,) * (n - len(repetitions)) + repetitions
    base = (1,) * (n - len(shape)) + shape
    split = tuple(size for pair in zip(reps, base, strict=True) for size in pair)
    summed = xp.sum(xp.reshape(g, split), axis=tuple(range(0, 2 * n, 2)))
    return xp.reshape(summed, shape)


def repeat_vjp(xp: Any, g: Any, ans: Any, x: Any, repeats: int, axis: int | None) -> Any:
    """Split the repeated axis of length n*r into (n, r) and sum over the r copies."""
    shape = tuple(x.shape)
    if axis is None:
        return xp.reshape(xp.sum(xp.reshape(g, (math.prod(shape), repeats)), axis=1), shape)
    split = (*shape[:axis], shape[axis], repeats, *shape[axis + 1:])
    return xp.sum(xp.reshape(g, split), axis=axis + 1)


def negated(shift: int | tuple[int, ...]) -> int | tuple[int, ...]:
    """The shift that rolls back."""
    return -shift if isinstance(shift, int) else tuple(-s for s in shift)


#  name            forward                                                   vjp
SHAPES = {
    "reshape":      (lambda xp, x, shape: xp.reshape(x, shape),               lambda xp, g, ans, x, shape: xp.reshape(g, x.shape)),
    "permute_dims": (lambda xp, x, axes: xp.permute_dims(x, axes),            lambda xp, g, ans, x, axes: xp.permute_dims(g, inverse_permutation(axes))),
    "expand_dims":  (lambda xp, x, axis: xp.expand_dims(x, axis=axis),        lambda xp, g, ans, x, axis: xp.reshape(g, x.shape)),
    "squeeze":      (lambda xp, x, axis: xp.squeeze(x, axis=axis),            lambda xp, g, ans, x, axis: xp.reshape(g, x.shape)),
    "broadcast_to": (lambda xp, x, shape: xp.broadcast_to(x, shape),          lambda xp, g, ans, x, shape: g),  # the engine sums the copies
    "flip":         (lambda xp, x, axis: xp.flip(x, axis=axis),               lambda xp, g, ans, x, axis: xp.flip(g, axis=axis)),
    "roll":         (lambda xp, x, shift, axis: xp.roll(x, shift, axis=axis), lambda xp, g, ans, x, shift, axis: xp.roll(g, negated(shift), axis=axis)),
    "moveaxis":     (lambda xp, x, source, destination: xp.moveaxis(x, source, destination),
                                                                              lambda xp, g, ans, x, source, destination: xp.moveaxis(g, destination, source)),
    "tile":         (lambda xp, x, repetitions: xp.tile(x, repetitions),      tile_vjp),
    "repeat":       (lambda xp, x, repeats, axis: xp.repeat(x, repeats, axis=axis),
                                                                              repeat_vjp),
}  # fmt: skip

SIGNATURES = {
    "reshape": reshape_signature, "permute_dims": permute_dims_signature,
    "expand_dims": expand_dims_signature, "squeeze": squeeze_signature,
    "broadcast_to": broadcast_to_signature, "flip": flip_signature, "roll": roll_signature,
    "moveaxis": moveaxis_signature, "tile": tile_signature, "repeat": repeat_signature,
}
