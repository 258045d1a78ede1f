"""Layer 5, plugin hooks: the specifications and the manager that loads plugins through them."""

from ad_core.hooks.hookspecs import ENTRY_POINT_GROUP, PROJECT
from ad_core.hooks.manager import (
    PluginReport,
    PluginWarning,
    ensure_loaded,
    hookimpl,
    plugin_errors,
    plugin_reports,
    register_plugin,
    unregister_plugin,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT",
    "PluginReport",
    "PluginWarning",
    "unregister_plugin",
    "ensure_loaded",
    "hookimpl",
    "plugin_errors",
    "plugin_reports",
    "register_plugin",
]
