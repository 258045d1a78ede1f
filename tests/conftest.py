"""Test configuration: the backend matrix comes from ad_core's own pytest plugin."""

pytest_plugins = ["ad_core.testing.pytest_plugin"]
