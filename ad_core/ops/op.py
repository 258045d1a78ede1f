"""`Op`: a primitive's name, its forward rule and its derivative rules.

Every rule takes the namespace ``xp`` as its first argument. Called with a backend's raw namespace
and raw arrays a rule is a fast first-order step; called with ad_core's differentiable namespace
and tensors, the same rule records a graph, which gives higher-order derivatives for free.

Rule signatures (``params`` are the op's keyword parameters, e.g. ``axis``)::

    forward(xp, *inputs, **params) -> output
    vjp_i(xp, g, ans, *inputs, **params) -> cotangent of input i      # one per input
    vjp(xp, g, ans, *inputs, argnum, **params)                         # variadic ops (concat)
    jvp(xp, tangents, ans, *inputs, **params) -> tangent of output     # optional

Rules may call any registered op through ``xp`` (inputs positional, params as keywords, as that
op's forward rule takes them): ``xp`` is ad_core's differentiable namespace when a graph is being
recorded, and otherwise the backend's namespace extended with the registered ops
(:mod:`ad_core.ops.namespace`).

A VJP may return a cotangent of a broadcast shape or another float dtype: the engine sums it back
to the input's shape and casts it to the input's dtype (:func:`ad_core.ops.helpers.unbroadcast`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ad_core.errors import GradientError

__all__ = ["Op", "Override", "DOMAINS"]

Rule = Callable[..., Any]

#: Input domains an op may declare, so that checkers sample valid points instead of guessing.
DOMAINS = {
    "real": "any real number",
    "positive": "x > 0",
    "nonzero": "x != 0",
    "unit": "-1 < x < 1",
    "above_one": "x > 1",
    "index": "an integer index array (not differentiated)",
    "bool": "a boolean mask (not differentiated)",
}


class Override:
    """A faster implementation of an op for one backend (a fused torch or CuPy kernel).

    The generic rule stays the reference it is tested against, and the engine always uses the
    generic VJP when it records a graph for higher derivatives.
    """

    __slots__ = ("backend", "forward", "vjp", "plugin")

    def __init__(self, backend: str, forward: Rule | None, vjp: Any, plugin: str) -> None:
        self.backend = backend
        self.forward = forward
        self.vjp = vjp
        self.plugin = plugin


class Op:
    """A primitive op as registered by a plugin. Create them through the ``register`` callback."""

    __slots__ = (
        "name", "forward", "vjp", "jvp", "variadic", "differentiable", "elementwise",
        "domain", "signature", "explain", "plugin", "doc", "overrides", "kernels", "generic",
        "function", "examples", "first_order_only",
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        forward: Rule,
        vjp: Rule | Sequence[Rule | None] | None = None,
        *,
        jvp: Rule | None = None,
        variadic: bool = False,
        elementwise: bool = False,
        domain: str | Sequence[str] = "real",
        signature: Callable[..., tuple[tuple[Any, ...], dict[str, Any]]] | None = None,
        explain: Callable[..., str | None] | None = None,
        plugin: str = "<unknown>",
        doc: str | None = None,
        examples: Sequence[Any] | None = None,
        first_order_only: bool = False,
    ) -> None:
        self.name = name
        self.forward = forward
        self.differentiable = vjp is not None
        if vjp is None or variadic:
            self.vjp = vjp
        elif callable(vjp):
            self.vjp = (vjp,)
        else:
            self.vjp = tuple(vjp)
        self.jvp = jvp
        self.variadic = variadic
        self.elementwise = elementwise
        self.domain = domain
        self.signature = signature
        self.explain = explain
        self.plugin = plugin
        self.doc = doc
        #: sample calls for the certification kit (:class:`ad_core.ops.example.Example`)
        self.examples = examples
        #: The VJP works on raw arrays only (it calls library code): no higher order through it.
        self.first_order_only = first_order_only
        self.overrides: dict[str, Override] = {}
        self.generic = (forward, self.vjp)
        self.kernels: dict[str, tuple[Rule, Any]] = {}
        self.function: Callable[..., Any] | None = None

    def add_override(self, override: Override) -> None:
        """Install ``override`` for its backend; missing pieces fall back to the generic rules."""
        self.overrides[override.backend] = override
        vjp = override.vjp
        if vjp is not None and not self.variadic and callable(vjp):
            vjp = (vjp,)
        self.kernels[override.backend] = (
            override.forward or self.forward,
            self.vjp if vjp is None else tuple(vjp) if not self.variadic else vjp,
        )

    def vjp_rule(self, vjps: Any, argnum: int) -> Rule | None:
        """The rule that gives input ``argnum``'s cotangent, from a kernel's vjp entry."""
        if self.variadic:
            return vjps
        return vjps[argnum] if argnum < len(vjps) else None

    def higher_order_error(self, what: str) -> GradientError:
        """The error for ``what`` (a second derivative, forward mode) through a first-order-only
        op: it names the op, its plugin and what still works."""
        return GradientError(
            f"op {self.name!r} (plugin {self.plugin!r}) is first-order only (registered with "
            f"first_order_only=True: its VJP runs library code that ad_core cannot record), so "
            f"{what} through it is not available; first derivatives (backward, ad.grad, ad.vjp) "
            f"work. The plugin can lift this by writing its VJP with xp operations"
            f"{'' if self.jvp is not None else ' and registering a JVP rule'}"
        )

    @property
    def arity(self) -> int | None:
        """Number of array inputs for differentiable ops; None for variadic and
        non-differentiable ops (whose arity the registry does not record)."""
        return None if self.variadic or self.vjp is None else len(self.vjp)

    def __repr__(self) -> str:
        return f"<ad_core op {self.name!r} from plugin {self.plugin!r}>"
