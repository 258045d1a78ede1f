"""ad_core's built-in backends: NumPy, PyTorch, CuPy and array-api-strict.

Each module is its own plugin (its own entry point), so a library that fails to load takes only
its own backend down. Like every plugin, they import only :mod:`ad_core.extend` from ad_core.
"""
