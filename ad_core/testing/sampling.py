"""Sample test inputs inside an op's declared domain, reproducibly."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ad_core.errors import ADCoreError

__all__ = ["sample"]


def sample(shape: Sequence[int], domain: str = "real", *, seed: int = 0,
           dtype: str = "float64") -> np.ndarray:
    """A NumPy array of ``shape`` with values in ``domain`` (see :data:`ad_core.extend.DOMAINS`).

    Values keep away from the domain's edges and from kinks at zero, so central differences are
    accurate.
    """
    rng = np.random.default_rng(seed)
    shape = tuple(shape)
    if domain == "real":
        x = rng.uniform(0.2, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "positive":
        x = rng.uniform(0.3, 2.0, shape)
    elif domain == "nonzero":
        x = rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    elif domain == "above_one":
        x = rng.uniform(1.3, 3.0, shape)
    elif domain == "unit":
        x = rng.uniform(-0.8, 0.8, shape)
    elif domain == "bool":
        return rng.random(shape) < 0.5
    else:
        raise ADCoreError(f"sample: no sampler for domain {domain!r}")
    return np.asarray(x, dtype=dtype)
