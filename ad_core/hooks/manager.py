"""Loading plugins: entry points in, validated registrations out.

The manager loads every entry point of the ``ad_core`` group once, on first need. A plugin that
fails to import, implements an unknown hook, or registers something malformed is reported by
name (a :class:`PluginWarning` and a line in ``python -m ad_core info``) while every other plugin
keeps working. Set ``AD_CORE_STRICT_PLUGINS=1`` to turn those reports into errors.

Nothing here runs on the hot path: ops, backends and their kernels are resolved at registration.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from ad_core.backends import registry as backend_registry
from ad_core.backends.registry import BackendSpec
from ad_core.errors import PluginError
from ad_core.hooks import hookspecs
from ad_core.nn import registry as frontend_registry
from ad_core.nn.registry import REGISTRIES
from ad_core.ops import registry as op_registry
from ad_core.ops.op import Op

__all__ = [
    "PluginReport",
    "PluginWarning",
    "ensure_loaded",
    "hookimpl",
    "plugin_errors",
    "plugin_reports",
    "register_plugin",
    "unregister_plugin",
]

hookimpl = pluggy.HookimplMarker(hookspecs.PROJECT)


class PluginWarning(UserWarning):
    """A plugin could not be loaded, or part of what it registers was refused."""


@dataclass
class PluginReport:
    """What one plugin is and what it registered, for ``python -m ad_core info``."""

    name: str
    module: str
    distribution: str | None = None
    version: str | None = None
    errors: list[str] = field(default_factory=list)
    backends: list[str] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)
    #: front-end entries by kind ("layers", "losses", "optimizers", ...)
    registered: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


_pm: pluggy.PluginManager | None = None
_reports: dict[str, PluginReport] = {}
_loaded = False  # every entry point has registered (read without the lock: the fast path)
_loading = False  # the thread holding _lock is registering them (a re-entrant call returns)
_lock = threading.RLock()


def _strict() -> bool:
    return os.environ.get("AD_CORE_STRICT_PLUGINS", "") not in ("", "0")


def _manager() -> pluggy.PluginManager:
    global _pm
    if _pm is None:
        _pm = pluggy.PluginManager(hookspecs.PROJECT)
        _pm.add_hookspecs(hookspecs)
    return _pm


def _problem(report: PluginReport, message: str, *, raise_now: bool) -> None:
    report.errors.append(message)
    if raise_now or _strict():
        raise PluginError(message)
    warnings.warn(message, PluginWarning, stacklevel=3)


def ensure_loaded() -> None:
    """Load every ``ad_core`` entry point and run its registration hooks (once per process)."""
    global _loaded, _loading
    if _loaded:
        return
    with _lock:  # other threads wait here until registration is complete, never see it half done
        if _loaded or _loading:
            return
        _loading = True
        try:
            _load_entry_points()
        finally:
            _loaded, _loading = True, False


def _load_entry_points() -> None:
    """Import every entry point and run the registration hooks of those that load."""
    pm = _manager()
    names = []
    for ep in sorted(metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP),
                     key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        report = PluginReport(
            name=ep.name,
            module=ep.value,
            distribution=dist.metadata["Name"] if dist is not None else None,
            version=dist.version if dist is not None else None,
        )
        if ep.name in _reports:
            continue
        _reports[ep.name] = report
        try:
            plugin = ep.load()
        except Exception as exc:
            _problem(report, f"plugin {ep.name!r} ({ep.value}) failed to import: "
                             f"{type(exc).__name__}: {exc}", raise_now=False)
            continue
        if _admit(pm, plugin, report, raise_now=False):
            names.append(ep.name)
    _run_registrations(pm, names, raise_now=False)


def _admit(pm: pluggy.PluginManager, plugin: Any, report: PluginReport, *, raise_now: bool) -> bool:
    """Register ``plugin`` with pluggy, refusing implementations of hooks that do not exist."""
    try:
        pm.register(plugin, name=report.name)
    except Exception as exc:
        _problem(report, f"plugin {report.name!r} is malformed: {exc}", raise_now=raise_now)
        return False
    unknown = [impl.function.__name__ for hook in pm.get_hookcallers(plugin) or []
               for impl in hook.get_hookimpls()
               if impl.plugin is plugin and not hook.has_spec()]
    if unknown:
        pm.unregister(plugin)
        _problem(report, f"plugin {report.name!r} implements unknown hook(s) "
                         f"{', '.join(unknown)}; known hooks: "
                         f"{', '.join(n for n in dir(hookspecs) if n.startswith('ad_core_'))}",
                 raise_now=raise_now)
        return False
    return True


def _call_impl(impl: Any, **available: Any) -> None:
    impl.function(**{name: available[name] for name in impl.argnames})


def _run_registrations(pm: pluggy.PluginManager, names: list[str], *, raise_now: bool) -> None:
    wanted = set(names)

    for impl in pm.hook.ad_core_register_backends.get_hookimpls():
        if impl.plugin_name not in wanted:
            continue
        report = _reports[impl.plugin_name]
        staged: list[BackendSpec] = []

        def register_backend(name: str, load: Callable[[], Any], *, available: Callable[[], bool],
                             array_module: str, unavailable_reason: Callable[[], str] | None = None,
                             _staged: list[BackendSpec] = staged, _plugin: str = report.name) -> None:
            if not callable(load) or not callable(available):
                raise PluginError(f"plugin {_plugin!r}: backend {name!r} needs callable "
                                  f"load and available")
            _staged.append(BackendSpec(name, load, available, array_module, _plugin,
                                       unavailable_reason))

        if not _guarded(report, "ad_core_register_backends", raise_now,
                        lambda impl=impl: _call_impl(impl, register=register_backend)):
            continue
        for spec in staged:
            try:
                backend_registry.add_backend_spec(spec)
                report.backends.append(spec.name)
            except PluginError as exc:
                _problem(report, str(exc), raise_now=raise_now)

    overrides: list[tuple[PluginReport, dict[str, Any]]] = []
    for impl in pm.hook.ad_core_register_ops.get_hookimpls():
        if impl.plugin_name not in wanted:
            continue
        report = _reports[impl.plugin_name]
        ops: list[Op] = []

        def register_op(name: str, forward: Callable[..., Any], vjp: Any = None, *,
                        _ops: list[Op] = ops, _report: PluginReport = report,
                        **options: Any) -> None:
            plugin = _report.name
            unknown = set(options) - _OP_OPTIONS
            if unknown:
                _problem(_report, f"plugin {plugin!r}: op {name!r}: unknown option(s) "
                                  f"{', '.join(sorted(unknown))}; register() takes "
                                  f"{', '.join(sorted(_OP_OPTIONS))}", raise_now=raise_now)
            elif name in _reserved():
                _problem(_report, f"plugin {plugin!r}: op name {name!r} is taken by ad_core "
                                  f"itself (ad.{name}, a namespace function or a Tensor "
                                  f"attribute); choose another", raise_now=raise_now)
            else:
                _ops.append(Op(name, forward, vjp, plugin=plugin, **options))

        def register_override(name: str, backend: str, forward: Any = None, vjp: Any = None, *,
                              _plugin: PluginReport = report) -> None:
            overrides.append((_plugin, {"name": name, "backend": backend, "forward": forward,
                                        "vjp": vjp}))

        if not _guarded(report, "ad_core_register_ops", raise_now,
                        lambda impl=impl: _call_impl(impl, register=register_op, override=register_override)):
            continue
        for op in ops:
            try:
                op_registry.add_op(op)
                report.ops.append(op.name)
            except PluginError as exc:
                _problem(report, str(exc), raise_now=raise_now)

    for report, args in overrides:
        try:
            op_registry.add_override(plugin=report.name, **args)
            report.overrides.append(f"{args['name']}@{args['backend']}")
        except PluginError as exc:
            _problem(report, str(exc), raise_now=raise_now)
    op_registry.notify_changed()

    for kind, registry in REGISTRIES.items():
        for impl in getattr(pm.hook, registry.hook).get_hookimpls():
            if impl.plugin_name not in wanted:
                continue
            report = _reports[impl.plugin_name]
            entries: list[tuple[str, Any, dict[str, Any]]] = []

            def register_entry(name: str, obj: Any, _entries: list[Any] = entries,
                               **meta: Any) -> None:
                _entries.append((name, obj, meta))

            if not _guarded(report, registry.hook, raise_now,
                            lambda impl=impl: _call_impl(impl, register=register_entry)):
                continue
            for name, obj, meta in entries:
                try:
                    registry.add(name, obj, report.name, **meta)
                    report.registered.setdefault(kind, []).append(name)
                except PluginError as exc:
                    _problem(report, str(exc), raise_now=raise_now)


_OP_OPTIONS = frozenset({"jvp", "variadic", "elementwise", "domain", "signature", "explain", "doc",
                         "examples", "first_order_only"})


def _reserved() -> set[str]:
    """Names an op may not take: ad_core's own functions, namespace members, Tensor attributes."""
    import ad_core
    from ad_core import array_api
    from ad_core.autograd.tensor import Tensor

    return {*ad_core.__all__, *array_api.__all__, *(n for n in dir(Tensor) if not n.startswith("_"))}


def _guarded(report: PluginReport, hook: str, raise_now: bool, call: Callable[[], None]) -> bool:
    try:
        call()
    except PluginError as exc:
        _problem(report, str(exc), raise_now=raise_now)
        return False
    except Exception as exc:
        _problem(report, f"plugin {report.name!r} failed in {hook}: {type(exc).__name__}: {exc}",
                 raise_now=raise_now)
        return False
    return True


def register_plugin(plugin: Any, name: str | None = None) -> PluginReport:
    """Register a plugin object (a module or class with hook implementations) at run time.

    For notebooks and tests; installed packages use the ``ad_core`` entry-point group instead.
    Problems raise :class:`~ad_core.errors.PluginError` at once.

    >>> import ad_core as ad
    >>> from ad_core.extend import hookimpl
    >>> class Cube:
    ...     @hookimpl
    ...     def ad_core_register_ops(register):
    ...         register("cube_doc", lambda xp, x: x * x * x, lambda xp, g, ans, x: 3 * x * x * g)
    >>> report = ad.register_plugin(Cube, name="cube-doc")
    >>> ad.array_api.cube_doc(ad.tensor([2.0])).tolist()
    [8.0]
    >>> ad.unregister_plugin("cube-doc")
    """
    ensure_loaded()
    with _lock:
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        if name in _reports:
            raise PluginError(f"a plugin named {name!r} is already registered")
        report = PluginReport(name=name, module=getattr(plugin, "__module__", "") or repr(plugin))
        _reports[name] = report
        try:
            _admit(_manager(), plugin, report, raise_now=True)
            _run_registrations(_manager(), [name], raise_now=True)
        except PluginError:
            unregister_plugin(name)
            raise
        return report


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered by :func:`register_plugin`, with its ops and overrides."""
    with _lock:
        pm = _manager()
        plugin = pm.get_plugin(name)
        if plugin is not None:
            pm.unregister(plugin)
        _reports.pop(name, None)
        for op_name in [n for n, op in op_registry.OPS.items() if op.plugin == name]:
            del op_registry.OPS[op_name]
        for op in op_registry.OPS.values():
            for backend, ov in list(op.overrides.items()):
                if ov.plugin == name:
                    del op.overrides[backend]
                    op.kernels.pop(backend, None)
        backend_registry.remove_backends_of(name)
        for registry in REGISTRIES.values():
            registry.remove_plugin(name)
        op_registry.notify_changed()


def plugin_reports() -> list[PluginReport]:
    """A report per plugin: distribution, version, what it registered, what went wrong."""
    ensure_loaded()
    return list(_reports.values())


def plugin_errors() -> list[str]:
    """Every problem met while loading plugins (empty when all is well)."""
    ensure_loaded()
    return [e for r in _reports.values() for e in r.errors]


backend_registry.set_plugin_loader(ensure_loaded)
op_registry.set_plugin_loader(ensure_loaded)
frontend_registry.set_plugin_loader(ensure_loaded)
