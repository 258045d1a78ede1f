"""The checks of the certification kit, one function each, and :func:`run_check` that runs one.

Every check takes an op's calls of the kinds it is about (:mod:`ad_core.testing.certify_calls`),
the backend under test (in force while it runs) and a float dtype. It returns when the op passes
and raises :class:`CertificationFailure` otherwise, with a report naming the op, its plugin, the
check, the backend, the dtype, the call, and the worst element (index, expected, got).

Derivatives are always checked in float64 against finite differences; float32 is checked by
the ``dtype``, ``backends`` and ``override`` checks against float64 and other implementations.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

import ad_core as ad
from ad_core.autograd.functional import vjp
from ad_core.errors import ADCoreError, OpError
from ad_core.ops.op import Op
from ad_core.ops.registry import get_op
from ad_core.testing.certify_calls import Call, calls_of, domain_of
from ad_core.testing.gradcheck import GradcheckError, gradcheck
from ad_core.testing.gradgradcheck import gradgradcheck
from ad_core.testing.jvpcheck import jvpcheck

if TYPE_CHECKING:  # the pytest plugin is imported by pytest itself, so it can rewrite asserts
    from ad_core.testing.pytest_plugin import BackendCase

__all__ = ["CHECKS", "CertificationFailure", "NotApplicable", "TOLERANCES", "run_check"]

#: (rtol, atol) for values and gradients compared between implementations, by dtype.
TOLERANCES = {"float64": (1e-9, 1e-12), "float32": (2e-5, 1e-6)}


class CertificationFailure(AssertionError):
    """An op failed a check; the message is the report."""


class NotApplicable(Exception):
    """The check has nothing to run for this op (the reason is the message)."""


class _Mismatch(Exception):
    def __init__(self, call: Call, detail: str) -> None:
        super().__init__(detail)
        self.call = call


def worst_element(what: str, got: Any, expected: Any, rtol: float, atol: float) -> str | None:
    """None when ``got`` matches ``expected``, else a line naming the worst element."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return f"{what}: shape {got.shape}, expected {expected.shape}"
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return None
    err = np.where(bad, np.abs(got - expected), -1.0)
    err = np.where(np.isnan(err), np.inf, err)
    worst = np.unravel_index(int(np.argmax(err)), err.shape)
    return (f"{what}: worst element {tuple(int(w) for w in worst)}: expected "
            f"{expected[worst]!r}, got {got[worst]!r} ({int(bad.sum())} of {bad.size} elements "
            f"differ; rtol={rtol}, atol={atol})")


def _value_and_grads(call: Call, xs: list[Any], seed: int = 7) -> tuple[np.ndarray, list[Any]]:
    """The output and the cotangents of the floating inputs for a fixed random cotangent."""
    wrt = [i for i, x in enumerate(xs) if x.dtype.is_floating]

    def restricted(*ys: Any) -> Any:
        args = list(xs)
        for i, y in zip(wrt, ys, strict=True):
            args[i] = y
        return call(*args)

    out, back = vjp(restricted, *(xs[i] for i in wrt))
    u = np.random.default_rng(seed).standard_normal(out.shape)
    grads = back(ad.tensor(u, dtype=out.dtype))
    return out.numpy(), list(grads)


def _compare(call: Call, label: str, out: np.ndarray, grads: list[np.ndarray],
             ref_out: np.ndarray, ref_grads: list[np.ndarray], dtype: str) -> None:
    rtol, atol = TOLERANCES[dtype]
    problems = [worst_element(f"{label}: output", out, ref_out, rtol, atol)]
    problems += [worst_element(f"{label}: gradient of input {i}", g, r, rtol, atol)
                 for i, g, r in zip(call.floating, grads, ref_grads, strict=True)]
    problems = [p for p in problems if p]
    if problems:
        raise _Mismatch(call, "\n  ".join(problems))


def _host(grads: list[Any]) -> list[np.ndarray]:
    return [g.numpy() for g in grads]


def _finite(call: Call, xs: list[Any]) -> None:
    """Finite differences mean nothing where the op is not finite: inputs sampled in the declared
    domains must give finite outputs."""
    with ad.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy warns where it makes the NaN reported below
        out = np.asarray(call(*xs).numpy(), dtype=np.float64)
    if not np.isfinite(out).all():
        where = tuple(int(w) for w in np.argwhere(~np.isfinite(out))[0])
        domains = [domain_of(call.op, i) for i in range(len(call.arrays))]
        raise _Mismatch(call, f"output element {where} is {out[where]!r} for inputs sampled in "
                              f"the declared domains {domains}: declare domain= so that the kit "
                              f"samples where the op is defined")


def _gradcheck(calls: list[Call], case: BackendCase, dtype: str, *,
               checker: Callable[..., bool] = gradcheck) -> None:
    for call in calls:
        _finite(call, call.tensors("float64"))
        try:
            checker(call, call.tensors("float64"))
        except GradcheckError as err:
            raise _Mismatch(call, str(err)) from None


def check_vjp(calls: list[Call], case: BackendCase, dtype: str) -> None:
    """Reverse mode against central finite differences, in float64."""
    _gradcheck(calls, case, dtype)


def check_gradgrad(calls: list[Call], case: BackendCase, dtype: str) -> None:
    """Second derivatives (the VJP rule run on ad_core's namespace) against finite differences."""
    if getattr(calls[0].op, "first_order_only", False):
        raise NotApplicable("registered first_order_only=True: no second derivatives")
    _gradcheck(calls, case, dtype, checker=gradgradcheck)


def check_jvp(calls: list[Call], case: BackendCase, dtype: str) -> None:
    """Forward mode against finite differences and against reverse mode, in float64."""
    op = calls[0].op
    if getattr(op, "first_order_only", False) and op.jvp is None:
        raise NotApplicable("registered first_order_only=True without a JVP rule: no forward mode")
    _gradcheck(calls, case, dtype, checker=jvpcheck)


def check_broadcast(calls: list[Call], case: BackendCase, dtype: str) -> None:
    """Inputs of differing shapes: the values of the explicitly broadcast call, and gradients of
    the inputs' own shapes matching finite differences."""
    for call in calls:
        xs = call.tensors("float64")
        with ad.no_grad():
            out = call(*xs).numpy()
        spread = tuple(np.broadcast_to(a, np.broadcast_shapes(*(b.shape for b in call.arrays)))
                       .copy() for a in call.arrays)
        with ad.no_grad():
            expected = call(*call.tensors("float64", spread)).numpy()
        problem = worst_element("output against the inputs broadcast by hand", out, expected,
                                1e-12, 1e-14)
        if problem:
            raise _Mismatch(call, problem)
    _gradcheck(calls, case, dtype)


def check_edge(calls: list[Call], case: BackendCase, dtype: str) -> None:
    """0-d or empty inputs: reverse mode (gradients of the inputs' shapes) and forward mode."""
    _gradcheck(calls, case, dtype)
    _gradcheck(calls, case, dtype, checker=jvpcheck)


def check_dtype(calls: list[Call], case: BackendCase, dtype: str) -> None:
    """Inputs of ``dtype`` get gradients of ``dtype`` and their shape, and values close to the
    float64 computation."""
    for call in calls:
        xs = call.tensors(dtype)
        out, grads = _value_and_grads(call, xs)
        for i, g in zip(call.floating, grads, strict=True):
            if g.dtype != xs[i].dtype or g.shape != xs[i].shape:
                raise _Mismatch(call, f"input {i} is {xs[i].dtype.name}{list(xs[i].shape)} but its "
                                      f"gradient is {g.dtype.name}{list(g.shape)}")
        if dtype != "float64":
            ref_out, ref_grads = _value_and_grads(call, call.tensors("float64"))
            _compare(call, "against float64", out, _host(grads), ref_out, _host(ref_grads),
                     dtype)


def reference_case(cases: list[BackendCase]) -> BackendCase | None:
    """The backend others are compared with: numpy if present, else the first case."""
    return next((c for c in cases if c.name == "numpy"), cases[0] if cases else None)


def check_backends(calls: list[Call], case: BackendCase, dtype: str,
                   reference: BackendCase | None = None) -> None:
    """Values and gradients on this backend against the reference backend's, same inputs."""
    if reference is None or reference.id == case.id:
        raise NotApplicable("this is the reference backend the others are compared with")
    for call in calls:
        out, grads = _value_and_grads(call, call.tensors(dtype))
        with ad.backend(reference.name, reference.device):
            ref_out, ref_grads = _value_and_grads(call, call.tensors(dtype))
            ref_host = _host(ref_grads)
        _compare(call, f"against backend {reference.id!r}", out, _host(grads), ref_out, ref_host,
                 dtype)


@contextmanager
def _generic_only(op: Op, backend: str) -> Any:
    """Run ``op`` with its generic rules on ``backend`` for a while (its kernel set aside)."""
    kernel = op.kernels.pop(backend)
    try:
        yield
    finally:
        op.kernels[backend] = kernel


def check_override(calls: list[Call], case: BackendCase, dtype: str) -> None:
    """A per-backend override (forward and VJP) against the generic rules it replaces."""
    op = calls[0].op
    if case.name not in op.kernels:
        raise NotApplicable(f"no override on backend {case.name!r}")
    for call in calls:
        out, grads = _value_and_grads(call, call.tensors(dtype))
        with _generic_only(op, case.name):
            ref_out, ref_grads = _value_and_grads(call, call.tensors(dtype))
        _compare(call, f"override by plugin {op.overrides[case.name].plugin!r} against the "
                       f"generic rule", out, _host(grads), ref_out, _host(ref_grads), dtype)


def _refusal(call: Call, xs: list[Any], what: str, *, by_the_op: bool) -> str | None:
    """None when ad_core refuses the call with an error naming the op, else what happened.

    With ``by_the_op`` the refusal must come from the op itself (its signature, explain or
    elementwise shape check), not be the backend's own error wrapped by the engine.
    """
    name = call.op.name
    try:
        with ad.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bad input may overflow before it is refused
            call(*xs)
    except ADCoreError as err:
        if by_the_op and isinstance(err, OpError) and err.__cause__ is not None:
            return (f"{what}: the backend's own error surfaced (wrapped as "
                    f"{type(err).__name__}): {err}; check the input in signature= or explain=")
        if name not in str(err):
            return f"{what}: {type(err).__name__} does not name the op: {err}"
        return None
    except Exception as err:
        return f"{what}: raised {type(err).__name__}, not an ad_core error: {err}"
    return f"{what}: accepted without an error"


def check_bad_shape(calls: list[Call], case: BackendCase, dtype: str) -> None:
    """Shapes the op cannot take are refused by the op itself, with an error naming it, before
    the backend sees them."""
    for call in calls:
        problem = _refusal(call, call.tensors("float64"), "shapes it must refuse", by_the_op=True)
        if problem:
            raise _Mismatch(call, problem)


def check_bad_dtype(calls: list[Call], case: BackendCase, dtype: str) -> None:
    """Index and mask inputs given floats are refused with an ad_core error naming the op, on
    every backend. A floating input given booleans may be accepted (the standard leaves that to
    the library) or refused, but only with an ad_core error naming the op."""
    call = calls[0]
    for i, a in enumerate(call.arrays):
        domain = domain_of(call.op, i)
        arrays = list(call.arrays)
        must_refuse = domain in ("index", "bool") or not np.issubdtype(a.dtype, np.floating)
        arrays[i] = np.full(a.shape, 0.5) if must_refuse else np.ones(a.shape, dtype=bool)
        problem = _refusal(call, call.tensors(dtype, tuple(arrays)),
                           f"input {i} ({domain}) given {arrays[i].dtype} values", by_the_op=False)
        if problem and (must_refuse or not problem.endswith("accepted without an error")):
            raise _Mismatch(call, problem)


#: name -> (function, kinds of calls it runs, float dtypes it runs in)
CHECKS: dict[str, tuple[Callable[..., None], tuple[str, ...], tuple[str, ...]]] = {
    "vjp":       (check_vjp,       ("regular",),              ("float64",)),
    "gradgrad":  (check_gradgrad,  ("regular",),              ("float64",)),
    "jvp":       (check_jvp,       ("regular",),              ("float64",)),
    "broadcast": (check_broadcast, ("broadcast",),            ("float64",)),
    "zero_d":    (check_edge,      ("zero_d",),               ("float64",)),
    "empty":     (check_edge,      ("empty",),                ("float64",)),
    "dtype":     (check_dtype,     ("regular",),              ("float32", "float64")),
    "backends":  (check_backends,  ("regular",),              ("float32", "float64")),
    "override":  (check_override,  ("regular", "broadcast"),  ("float32", "float64")),
    "bad_shape": (check_bad_shape, ("bad",),                  ("float64",)),
    "bad_dtype": (check_bad_dtype, ("regular",),              ("float64",)),
}  # fmt: skip


def run_check(op_name: str, check: str, case: BackendCase, dtype: str = "float64", *,
              reference: BackendCase | None = None) -> None:
    """Run one check of one op on one backend case (put in force here) and dtype.

    Raises :class:`CertificationFailure` with the report, or :class:`NotApplicable`.
    """
    op = get_op(op_name)
    function, kinds, _ = CHECKS[check]
    head = (f"{op.name} (plugin {op.plugin!r}): check {check!r} failed on backend {case.id!r}, "
            f"dtype {dtype}")
    calls = [c for c in calls_of(op) if c.kind in kinds]
    if not calls:
        raise NotApplicable(f"op {op.name!r} declares no example of kind {' or '.join(kinds)}")
    extra = {"reference": reference} if check == "backends" else {}
    with ad.backend(case.name, case.device):
        try:
            function(calls, case, dtype, **extra)
        except _Mismatch as m:
            raise CertificationFailure(f"{head}, for {m.call.describe()}:\n  {m}") from None
        except (NotApplicable, CertificationFailure):
            raise
        except Exception as err:
            raise CertificationFailure(
                f"{head}: the op raised {type(err).__name__}: {err}") from err
