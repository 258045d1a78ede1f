"""Testing tools for ad_core and its plugin authors: gradient checks, input sampling, and a
pytest plugin (``-p ad_core.testing.pytest_plugin``) with the backend matrix as fixtures."""

from ad_core.testing.certify_checks import CertificationFailure, run_check
from ad_core.testing.gradcheck import GradcheckError, gradcheck, numerical_vjp
from ad_core.testing.gradgradcheck import gradgradcheck
from ad_core.testing.jvpcheck import jvpcheck
from ad_core.testing.sampling import sample

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck", "jvpcheck", "numerical_vjp", "sample"]
__all__ += ["CertificationFailure", "run_check"]  # the certification kit: ad_core.testing.certify
