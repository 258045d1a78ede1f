"""Every hook a plugin can implement. One marker, one prefix, a docstring per hook.

A plugin is a module (or object) with functions decorated by ``ad_core.extend.hookimpl`` and
named after these specifications, advertised in its package metadata under the entry-point
group ``ad_core``::

    [project.entry-points.ad_core]
    my_ops = "my_package.ops"

Registration hooks receive a ``register`` callback rather than returning values, so ad_core
validates every name in one place and can name the plugin at fault. An implementation may take
fewer arguments than the specification lists (pluggy's opt-in arguments), so hooks can grow new
arguments without breaking existing plugins.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "ad_core"
ENTRY_POINT_GROUP = "ad_core"

hookspec = pluggy.HookspecMarker(PROJECT)


# -- backends ---------------------------------------------------------------------------------


@hookspec
def ad_core_register_backends(register: Any) -> None:
    """Register array backends.

    Called once, when ad_core first needs its plugins. Call
    ``register(name, load, *, available, array_module, unavailable_reason=None)`` once per
    backend:

    - ``name``: what users select it by (``ad.set_backend(name)``).
    - ``load()``: imports the library and returns an :class:`ad_core.extend.Backend`; it runs
      only when the backend is first used.
    - ``available()``: cheap check that ``load`` can succeed here (no heavy import).
    - ``array_module``: top-level module of the library's array type (``"torch"``), so that
      ad_core recognises its arrays without importing every library.
    - ``unavailable_reason()``: optional; explains why the backend cannot load here.
    """


# -- ops --------------------------------------------------------------------------------------


@hookspec
def ad_core_register_ops(register: Any, override: Any) -> None:
    """Register primitive ops and per-backend overrides of ops.

    Called once, after the backends are registered. Call
    ``register(name, forward, vjp=None, *, jvp=None, variadic=False, elementwise=False,
    domain="real", signature=None, explain=None, doc=None, examples=None,
    first_order_only=False)`` once per op. Every
    rule takes the namespace ``xp`` first (see :mod:`ad_core.ops.op` for the rule signatures); an
    op without ``vjp`` is not differentiable (comparisons, argmax) and its results carry no
    history. ``examples`` lists sample calls (:class:`ad_core.extend.Example`) for the
    certification kit (:mod:`ad_core.testing.certify`).

    Call ``override(name, backend, forward=None, vjp=None)`` to replace an op's implementation on
    one backend (a fused kernel); the generic rule stays the fallback and the reference it is
    tested against, and higher-order derivatives always use the generic VJP. Overrides are
    applied after every plugin's ops are registered, so they may name ops of other plugins.

    ``first_order_only=True`` declares that the op's *generic* VJP cannot be recorded (it calls
    library code rather than ``xp`` operations), so it has no derivative of its own. First
    derivatives work as usual (``backward``, ``ad.grad``, ``ad.vjp``; under
    ``create_graph=True`` the VJP runs on raw arrays). Anything that would differentiate the VJP
    — a second derivative through the op (``ad.grad`` of ``ad.grad``, ``hessian``, ``hvp``), or
    forward mode through it without a ``jvp`` rule (``ad.jvp``, ``jacobian(mode="forward")``,
    ``linearize``) — raises :class:`~ad_core.errors.GradientError` naming the op and the plugin,
    never a silently wrong derivative. A fast per-backend override needs no such declaration:
    higher orders never use it.
    """


# -- front ends: layers, losses, optimizers, initializers, LR schedules -----------------------


@hookspec
def ad_core_register_layers(register: Any) -> None:
    """Register layers (subclasses of ``ad_core.nn.Module``).

    Called once, after the ops. Call ``register(name, cls)`` per layer; it becomes
    ``ad.nn.<name>`` (``ad.nn.Linear``). Names are identifiers, unique across plugins.
    """


@hookspec
def ad_core_register_losses(register: Any) -> None:
    """Register loss functions.

    Called once, after the ops. Call ``register(name, fn, module=None)`` per loss: ``fn(input,
    target, *, reduction="mean", ...)`` becomes ``ad.losses.<name>`` and, when ``module`` names a
    class (``"MSELoss"``), a module wrapping it becomes ``ad.nn.<module>``.
    """


@hookspec
def ad_core_register_optimizers(register: Any) -> None:
    """Register optimizers.

    Called once, after the ops. Call ``register(name, cls)`` per optimizer; it becomes
    ``ad.optim.<name>`` (``ad.optim.Adam``). Classes follow torch.optim's interface:
    ``cls(params, **hyperparameters)`` with ``step()``, ``zero_grad()``, ``state_dict()`` and
    ``load_state_dict()``.
    """


@hookspec
def ad_core_register_initializers(register: Any) -> None:
    """Register parameter initializers.

    Called once, after the ops. Call ``register(name, fn)`` per initializer; ``fn(tensor, ...,
    seed=None)`` fills a parameter in place and becomes ``ad.init.<name>``
    (``ad.init.xavier_uniform_``).
    """


@hookspec
def ad_core_register_schedulers(register: Any) -> None:
    """Register learning-rate schedules.

    Called once, after the ops. Call ``register(name, cls)`` per schedule; ``cls(optimizer,
    ...)`` with ``step()`` becomes ``ad.optim.lr_scheduler.<name>`` (``StepLR``).
    """
