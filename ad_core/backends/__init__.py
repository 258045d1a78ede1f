"""Layer 1, backends: register, select and load the array libraries that hold the data."""

from ad_core.backends.backend import Backend
from ad_core.backends.registry import (
    BackendSpec,
    available_backends,
    backend_of_array,
    load_backend,
    registered_backends,
)
from ad_core.backends.selection import backend, current, get_backend, get_device, set_backend

__all__ = [
    "Backend",
    "BackendSpec",
    "available_backends",
    "backend",
    "backend_of_array",
    "current",
    "get_backend",
    "get_device",
    "load_backend",
    "registered_backends",
    "set_backend",
]
