"""The exceptions ad_core raises.

Every error names what the user needs to fix it: the op, the shapes, the backends, the devices or
the plugin involved. They all derive from :class:`ADCoreError`, and each also derives from the
built-in exception a Python programmer would expect (``TypeError``, ``ValueError``, ...), so code
that catches the built-in keeps working.
"""

from __future__ import annotations

__all__ = [
    "ADCoreError",
    "BackendError",
    "UnknownBackendError",
    "BackendMismatchError",
    "DeviceMismatchError",
    "ShapeError",
    "DTypeError",
    "OpError",
    "OpIndexError",
    "OpTypeError",
    "OpValueError",
    "UnknownOpError",
    "GraphFreedError",
    "GradientError",
    "PluginError",
    "CheckpointError",
]


class ADCoreError(Exception):
    """Base class of every error ad_core raises on purpose."""


class BackendError(ADCoreError, RuntimeError):
    """A backend could not be loaded or cannot do what was asked of it."""


class UnknownBackendError(BackendError, ValueError):
    """A backend name that no loaded plugin registers."""


class BackendMismatchError(ADCoreError, TypeError):
    """An op received tensors that live on different backends."""


class DeviceMismatchError(ADCoreError, ValueError):
    """An op received tensors that live on different devices of one backend."""


class ShapeError(ADCoreError, ValueError):
    """Shapes that an op cannot combine."""


class DTypeError(ADCoreError, TypeError):
    """A dtype an operation does not accept (for example, gradients of integer tensors)."""


class OpError(ADCoreError, RuntimeError):
    """An op's forward or derivative rule failed; the message names the op and its inputs."""


class OpIndexError(OpError, IndexError):
    """An op's forward rule refused an index (out of range, wrong kind)."""


class OpTypeError(OpError, TypeError):
    """An op's forward rule refused an input's type or dtype."""


class OpValueError(OpError, ValueError):
    """An op's forward rule refused an input's value."""


class UnknownOpError(OpError, AttributeError):
    """An op name that no loaded plugin registers."""


class GraphFreedError(ADCoreError, RuntimeError):
    """A second backward pass through a graph whose saved values were already freed."""


class GradientError(ADCoreError, RuntimeError):
    """A gradient was asked for in a way that cannot be answered (e.g. of a non-scalar)."""


class PluginError(ADCoreError, RuntimeError):
    """A plugin is malformed or conflicts with another; the message names the plugin(s)."""


class CheckpointError(ADCoreError, ValueError):
    """A file that ``ad.load`` refuses: not a checkpoint, truncated, corrupted or altered; or a
    value that ``ad.save`` cannot store. The message names the file and what is wrong."""
