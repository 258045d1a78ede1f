"""The plugin's tests run on every backend through ad_core's own backend fixture."""

pytest_plugins = ["ad_core.testing.pytest_plugin"]
