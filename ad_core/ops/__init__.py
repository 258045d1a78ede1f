"""Layer 2, ops: what a primitive is, the registry of them, and the helpers rules share."""

from ad_core.ops.op import DOMAINS, Op, Override
from ad_core.ops.registry import OPS, add_op, add_override, get_op, ops_by_plugin

__all__ = ["DOMAINS", "OPS", "Op", "Override", "add_op", "add_override", "get_op", "ops_by_plugin"]
