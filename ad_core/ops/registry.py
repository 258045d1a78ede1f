"""The op registry: every primitive the loaded plugins provide, by name.

Plugins fill it through the ``register`` callback of the ``ad_core_register_ops`` hook; the
autograd layer and the differentiable namespace read it. Validation happens here, once, at
registration: unique names, callable rules, known domains, overrides that match an op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ad_core.errors import PluginError, UnknownOpError
from ad_core.ops.example import Example
from ad_core.ops.op import DOMAINS, Op, Override

__all__ = [
    "OPS", "add_op", "add_override", "get_op", "set_plugin_loader", "ops_by_plugin", "on_change",
    "notify_changed", "ModuleCache",
]  # fmt: skip

#: Every registered op by name. Read-only for everyone but this module.
OPS: dict[str, Op] = {}
_loader: Callable[[], None] = lambda: None  # noqa: E731 - replaced by the plugin manager


_listeners: list[Callable[[], None]] = []


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener()`` whenever ops or overrides are added or removed (to drop caches)."""
    _listeners.append(listener)


def notify_changed() -> None:
    """Tell every listener that the set of ops or overrides changed."""
    for listener in _listeners:
        listener()


class ModuleCache:
    """Names a module resolved through the registry, kept as its attributes until ops change.

    A module-level ``__getattr__`` runs only for names the module lacks; keeping what it resolved
    in the module's globals makes every later lookup a plain attribute access.
    """

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.names: set[str] = set()
        on_change(self.forget)

    def keep(self, name: str, value: Any) -> Any:
        """Store ``value`` as the module attribute ``name`` and return it."""
        self.namespace[name] = value
        self.names.add(name)
        return value

    def forget(self) -> None:
        """Drop every kept name (plugins added or removed ops)."""
        for name in self.names:
            self.namespace.pop(name, None)
        self.names.clear()


def set_plugin_loader(loader: Callable[[], None]) -> None:
    """Called once by the plugin layer so that lookups can trigger plugin loading."""
    global _loader
    _loader = loader


def _check_rule(plugin: str, name: str, what: str, rule: Any) -> None:
    if rule is not None and not callable(rule):
        raise PluginError(f"plugin {plugin!r}: op {name!r}: {what} must be callable, got {rule!r}")


def add_op(op: Op) -> Op:
    """Validate and store ``op``; a name taken by another plugin is an error naming both."""
    where = f"plugin {op.plugin!r}: op {op.name!r}"
    if not isinstance(op.name, str) or not op.name.isidentifier():
        raise PluginError(f"plugin {op.plugin!r}: op name {op.name!r} is not a Python identifier")
    _check_rule(op.plugin, op.name, "forward", op.forward)
    if op.forward is None:
        raise PluginError(f"{where}: a forward rule is required")
    if op.variadic:
        _check_rule(op.plugin, op.name, "vjp", op.vjp)
    elif op.vjp is not None:
        for i, rule in enumerate(op.vjp):
            _check_rule(op.plugin, op.name, f"vjp[{i}]", rule)
    _check_rule(op.plugin, op.name, "jvp", op.jvp)
    _check_rule(op.plugin, op.name, "signature", op.signature)
    _check_rule(op.plugin, op.name, "explain", op.explain)
    domains = (op.domain,) if isinstance(op.domain, str) else tuple(op.domain)
    for d in domains:
        if d not in DOMAINS:
            raise PluginError(f"{where}: unknown domain {d!r}; known: {', '.join(DOMAINS)}")
    if op.examples is not None:
        op.examples = _checked_examples(where, op.examples)
    if not isinstance(op.first_order_only, bool):
        raise PluginError(f"{where}: first_order_only must be True or False, got "
                          f"{op.first_order_only!r}")
    if op.first_order_only and op.vjp is None:
        raise PluginError(f"{where}: first_order_only=True needs a vjp (an op without one is "
                          f"not differentiable at all)")
    old = OPS.get(op.name)
    if old is not None:
        raise PluginError(
            f"op {op.name!r} is registered by both plugin {old.plugin!r} and plugin "
            f"{op.plugin!r}; a plugin that means to replace it for one backend registers an "
            f"override instead"
        )
    OPS[op.name] = op
    return op


def add_override(name: str, backend: str, forward: Any, vjp: Any, plugin: str) -> None:
    """Install a per-backend override of op ``name``; the op must already be registered."""
    op = OPS.get(name)
    if op is None:
        raise PluginError(f"plugin {plugin!r} overrides op {name!r}, which no plugin registers")
    if forward is None and vjp is None:
        raise PluginError(f"plugin {plugin!r}: override of {name!r} gives neither forward nor vjp")
    _check_rule(plugin, name, "override forward", forward)
    if vjp is not None and not callable(vjp):
        for rule in vjp:
            _check_rule(plugin, name, "override vjp", rule)
    old = op.overrides.get(backend)
    if old is not None:
        raise PluginError(
            f"op {name!r} on backend {backend!r} is overridden by both plugin {old.plugin!r} "
            f"and plugin {plugin!r}"
        )
    op.add_override(Override(backend, forward, vjp, plugin))


def _checked_examples(where: str, examples: Any) -> tuple[Example, ...]:
    """``examples=`` as a tuple of :class:`Example`, or a :class:`PluginError` saying why not."""
    if isinstance(examples, Example) or not isinstance(examples, list | tuple) or not all(
            isinstance(e, Example) for e in examples):
        raise PluginError(f"{where}: examples= takes a list of ad_core.extend.Example, got "
                          f"{examples!r}")
    return tuple(examples)


def get_op(name: str) -> Op:
    """The op called ``name``; :class:`UnknownOpError` lists close names when there is none."""
    op = OPS.get(name)
    if op is None:
        _loader()
        op = OPS.get(name)
    if op is None:
        import difflib

        close = difflib.get_close_matches(name, OPS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownOpError(
            f"no plugin registers an op called {name!r}{hint} "
            f"(`python -m ad_core info` lists the plugins and their ops)"
        )
    return op


def ops_by_plugin() -> dict[str, list[str]]:
    """Op names grouped by the plugin that registered them."""
    _loader()
    grouped: dict[str, list[str]] = {}
    for op in OPS.values():
        grouped.setdefault(op.plugin, []).append(op.name)
    return grouped
