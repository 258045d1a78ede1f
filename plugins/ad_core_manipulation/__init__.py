"""Manipulation: the standard's functions that move elements around, and indexing.

- :mod:`.shapes`: reshape, permute_dims, expand_dims, squeeze, broadcast_to, flip, roll,
  moveaxis, tile, repeat.
- :mod:`.joining`: concat and stack (variadic: a list of arrays in, one VJP rule per input).
- :mod:`.indexing`: getitem (``x[key]``), take, and their adjoints scatter_add and index_add,
  which the VJPs call so that derivatives of every order flow through indexing.
- :mod:`.sorting`: sort and take_along_axis (differentiable, through index_add), argsort,
  searchsorted, unique_values, isin (no derivative).

The differentiable ops move values without changing them (sort along the permutation that
sorts its input), so every VJP rearranges the cotangent, and every JVP (forward mode)
rearranges the tangents exactly as the forward rule rearranges the values (``linear_jvp``; the
indexing ops pass their indices along). Each op's ``signature`` checks shapes and axes first
and raises :class:`~ad_core.extend.ShapeError` naming the op and the shapes.
"""

from __future__ import annotations

from typing import Any

from ad_core.extend import hookimpl, linear_jvp

from . import indexing, joining, shapes, sorting


@hookimpl
def ad_core_register_ops(register: Any) -> None:
    for name, (forward, vjp) in shapes.SHAPES.items():
        register(name, forward, vjp, jvp=linear_jvp(forward), signature=shapes.SIGNATURES[name])
    for name, (forward, vjp) in joining.JOINING.items():
        register(name, forward, vjp, jvp=linear_jvp(forward), variadic=True,
                 signature=joining.SIGNATURES[name])
    for name, (forward, vjps, signature) in indexing.INDEXING.items():
        domain = ("real", "index") if name in indexing.INDEXED else "real"
        register(name, forward, vjps, jvp=indexing.JVPS[name], signature=signature, domain=domain)
    for name, (forward, vjps, jvp, signature, domain) in sorting.SORTING.items():
        register(name, forward, vjps, jvp=jvp, signature=signature, domain=domain)
