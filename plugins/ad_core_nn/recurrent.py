"""Recurrent layers: RNN (tanh or relu), LSTM and GRU, one of the lecture's remedies for
vanishing gradients (the LSTM's additive cell state, and the GRU's blend of the old and the new
state, carry gradients across many time steps).

Constructors, parameter names, shapes, gate order and default initialisation are torch.nn's, so
a state dict moves between the two libraries unchanged, bidirectional layers included. Each
layer is built from Array API operations through ad_core, so it runs and differentiates on every
backend: the input-to-hidden products of all time steps are one ``linear`` per layer and
direction, then a Python loop over time applies the layer's cell (its hidden-to-hidden step),
forwards and, with ``bidirectional=True``, also backwards; the hidden states are stacked into
the output.
"""

from __future__ import annotations

import math
from typing import Any

from ad_core.extend import Module, Parameter, ShapeError, array_api, random
from ad_core_nn.linear import check_dtype

#: The suffix of each direction's parameter names (torch's).
_SUFFIXES = ("", "_reverse")


class _Recurrent(Module):
    """What RNN, LSTM and GRU share: parameters per layer and direction, shapes, layout, and the
    loops over layers, directions and time steps.

    A subclass sets ``_gates`` (how many gate blocks the weights stack) and ``_states`` (how
    many state tensors it carries: h, or h and c) and implements
    ``_cell(projected_t, states, w_hh, b_hh) -> new states``: one time step, given that step's
    input-to-hidden product. The first state (h) is the step's output.
    """

    _gates = 1
    _states = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, bias: bool,
                 batch_first: bool, dropout: float, bidirectional: bool, dtype: Any) -> None:
        super().__init__()
        name = type(self).__name__
        if int(input_size) < 1 or int(hidden_size) < 1 or int(num_layers) < 1:
            raise ValueError(f"{name}: input_size, hidden_size and num_layers must be positive, "
                             f"got {input_size}, {hidden_size} and {num_layers}")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        bound = 1.0 / math.sqrt(self.hidden_size)
        rows = self._gates * self.hidden_size
        # torch's order: layer by layer, direction by direction, the weights then the biases
        for k in range(self.num_layers):
            width = self.input_size if k == 0 else self.hidden_size * self._directions
            for suffix in _SUFFIXES[:self._directions]:
                shapes = {f"weight_ih_l{k}{suffix}": (rows, width),
                          f"weight_hh_l{k}{suffix}": (rows, self.hidden_size)}
                if self.bias:
                    shapes.update({f"bias_ih_l{k}{suffix}": (rows,),
                                   f"bias_hh_l{k}{suffix}": (rows,)})
                for pname, shape in shapes.items():
                    setattr(self, pname,
                            Parameter(random.uniform(shape, -bound, bound, dtype=dtype)))

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _layer_parameters(self, k: int, direction: int) -> tuple[Any, Any, Any, Any]:
        """Layer ``k``'s ``weight_ih``, ``weight_hh``, ``bias_ih`` and ``bias_hh`` in one
        direction (0 forwards, 1 backwards); the biases are None without bias."""
        suffix = _SUFFIXES[direction]
        return tuple(getattr(self, f"{kind}_l{k}{suffix}", None)
                     for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def _describe(self) -> str:
        return (f"{type(self).__name__}(input_size={self.input_size}, "
                f"hidden_size={self.hidden_size})")

    def _layout(self, x: Any) -> tuple[Any, bool]:
        """The input as (time, batch, features), and whether it came without a batch axis."""
        shape = tuple(x.shape)
        if len(shape) not in (2, 3):
            layout = "(batch, seq, features)" if self.batch_first else "(seq, batch, features)"
            raise ShapeError(f"{self._describe()}: expects input of shape {layout} or (seq, "
                             f"features), got {shape}")
        if shape[-1] != self.input_size:
            raise ShapeError(f"{self._describe()}: input has {shape[-1]} features (shape "
                             f"{shape}) but the layer expects input_size={self.input_size}")
        time_axis = 1 if self.batch_first and len(shape) == 3 else 0
        if shape[time_axis] == 0:
            raise ShapeError(f"{self._describe()}: the input sequence is empty (shape {shape})")
        check_dtype(type(self).__name__, x, self.weight_ih_l0)
        if len(shape) == 2:
            return array_api.expand_dims(x, axis=1), True
        if self.batch_first:
            return array_api.permute_dims(x, (1, 0, 2)), False
        return x, False

    def _initial(self, state: Any, batch: int, unbatched: bool, what: str) -> Any:
        """A given initial state as (num_layers * directions, batch, hidden), after checking
        its shape."""
        rows = self.num_layers * self._directions
        expected = (rows, self.hidden_size) if unbatched else (rows, batch, self.hidden_size)
        if tuple(state.shape) != expected:
            raise ShapeError(f"{self._describe()}: {what} has shape {tuple(state.shape)}, "
                             f"expected {expected}")
        return array_api.expand_dims(state, axis=1) if unbatched else state

    def _run(self, x: Any, states: list[Any] | None) -> tuple[Any, list[list[Any]]]:
        """Every layer over the sequence: the last layer's outputs (time, batch, directions *
        hidden) and, per state kind (h, or h and c), the final state of each layer and
        direction, in torch's order (layer 0 forwards, layer 0 backwards, layer 1 ...)."""
        seq = x
        steps = x.shape[0]
        finals: list[list[Any]] = []
        for k in range(self.num_layers):
            outputs = []
            for direction in range(self._directions):
                w_ih, w_hh, b_ih, b_hh = self._layer_parameters(k, direction)
                projected = array_api.linear(seq, w_ih, b_ih)  # every time step at once
                if states is None:
                    zero = array_api.zeros_like(projected[0][..., :self.hidden_size])
                    state = [zero] * self._states
                else:
                    state = [s[k * self._directions + direction] for s in states]
                hidden: list[Any] = [None] * steps
                for t in (range(steps) if direction == 0 else range(steps - 1, -1, -1)):
                    state = self._cell(projected[t], state, w_hh, b_hh)
                    hidden[t] = state[0]
                finals.append(state)
                outputs.append(array_api.stack(hidden, axis=0))
            seq = outputs[0] if len(outputs) == 1 else array_api.concat(outputs, axis=-1)
            if self.dropout and self.training and k < self.num_layers - 1:
                seq = self._drop(seq)
        per_kind = [list(kind) for kind in zip(*finals, strict=True)]
        return seq, per_kind

    def _cell(self, projected: Any, states: list[Any], w_hh: Any, b_hh: Any) -> list[Any]:
        """One time step: the new states from the step's input-to-hidden product and the old
        states (each subclass's equations)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _cell")

    def _drop(self, seq: Any) -> Any:
        """Inverted dropout between layers, from :mod:`ad_core.random` (as ad.nn.Dropout)."""
        if self.dropout == 1.0:
            return seq * 0.0
        keep = random.bernoulli(1.0 - self.dropout, tuple(seq.shape), like=seq)
        return seq * (keep * (1.0 / (1.0 - self.dropout)))

    def _output(self, seq: Any, unbatched: bool) -> Any:
        if unbatched:
            return array_api.squeeze(seq, axis=1)
        return array_api.permute_dims(seq, (1, 0, 2)) if self.batch_first else seq

    @staticmethod
    def _final(states: list[Any], unbatched: bool) -> Any:
        stacked = array_api.stack(states, axis=0)
        return array_api.squeeze(stacked, axis=1) if unbatched else stacked

    def _forward(self, x: Any, hx: Any, names: tuple[str, ...]) -> tuple[Any, list[Any]]:
        """The output and the final states, for initial states ``hx`` (one tensor for one
        state kind, a pair for two, or None) named ``names`` in messages."""
        seq, unbatched = self._layout(x)
        states = None
        if hx is not None:
            if len(names) > 1 and (not isinstance(hx, tuple | list) or len(hx) != len(names)):
                raise TypeError(f"{self._describe()}: hx must be a pair ({', '.join(names)})")
            given = hx if len(names) > 1 else [hx]
            states = [self._initial(s, seq.shape[1], unbatched, what)
                      for s, what in zip(given, names, strict=True)]
        out, finals = self._run(seq, states)
        return self._output(out, unbatched), [self._final(f, unbatched) for f in finals]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(_Recurrent):
    """The Elman RNN: ``h_t = act(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh)``, act tanh or relu.

    ``forward(input, hx=None)`` returns ``(output, h_n)``: the last layer's hidden state at
    every step, and every layer's final hidden state, shape (num_layers, batch, hidden_size)
    (no batch axis for unbatched input); ``hx`` (same shape) is the initial state, zeros by
    default. Parameters ``weight_ih_l{k}`` (hidden, in), ``weight_hh_l{k}`` (hidden, hidden),
    ``bias_ih_l{k}`` and ``bias_hh_l{k}`` (hidden,), all uniform in ±1/sqrt(hidden_size), as
    torch.nn.RNN. Input (seq, batch, input_size), or (batch, seq, input_size) with
    ``batch_first=True``, or unbatched (seq, input_size). ``dropout`` applies to every layer's
    output but the last, in training mode. With ``bidirectional=True`` a second set of
    parameters (``..._reverse``) reads the sequence backwards: the output concatenates both
    directions' hidden states, (seq, batch, 2 * hidden_size), and the final states are stacked
    layer by layer, forwards then backwards, (num_layers * 2, batch, hidden_size). The same
    holds for :class:`LSTM` and :class:`GRU`.

    >>> import ad_core as ad
    >>> rnn = ad.nn.RNN(3, 5, num_layers=2)
    >>> out, h_n = rnn(ad.array_api.zeros((7, 2, 3), dtype=ad.float32))
    >>> out.shape, h_n.shape
    ((7, 2, 5), (2, 2, 5))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, *,
                 dtype: Any = "float32") -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, x: Any, hx: Any = None) -> tuple[Any, Any]:
        out, (h_n,) = self._forward(x, hx, ("hx",))
        return out, h_n

    def _cell(self, projected: Any, states: list[Any], w_hh: Any, b_hh: Any) -> list[Any]:
        act = array_api.tanh if self.nonlinearity == "tanh" else array_api.relu
        (h,) = states
        return [act(projected + array_api.linear(h, w_hh, b_hh))]

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(_Recurrent):
    """Long short-term memory, torch.nn.LSTM's equations and gate order (input, forget, cell,
    output)::

        i, f, g, o = split(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh, 4)
        c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
        h_t = sigmoid(o) * tanh(c_t)

    ``forward(input, hx=None)`` returns ``(output, (h_n, c_n))``; ``hx`` is ``(h_0, c_0)``,
    each (num_layers, batch, hidden_size), zeros by default. ``weight_ih_l{k}`` is
    (4*hidden, in), ``weight_hh_l{k}`` (4*hidden, hidden), the biases (4*hidden,), all uniform
    in ±1/sqrt(hidden_size). Input, ``dropout`` and ``bidirectional`` as for :class:`RNN`.

    >>> import ad_core as ad
    >>> lstm = ad.nn.LSTM(3, 5, batch_first=True)
    >>> out, (h_n, c_n) = lstm(ad.array_api.zeros((2, 7, 3), dtype=ad.float32))
    >>> out.shape, h_n.shape, c_n.shape
    ((2, 7, 5), (1, 2, 5), (1, 2, 5))
    """

    _gates = 4
    _states = 2

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 *, dtype: Any = "float32") -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)

    def forward(self, x: Any, hx: tuple[Any, Any] | None = None) -> tuple[Any, tuple[Any, Any]]:
        out, (h_n, c_n) = self._forward(x, hx, ("h_0", "c_0"))
        return out, (h_n, c_n)

    def _cell(self, projected: Any, states: list[Any], w_hh: Any, b_hh: Any) -> list[Any]:
        n = self.hidden_size
        h, c = states
        gates = projected + array_api.linear(h, w_hh, b_hh)
        i = array_api.sigmoid(gates[..., :n])
        f = array_api.sigmoid(gates[..., n:2 * n])
        g = array_api.tanh(gates[..., 2 * n:3 * n])
        o = array_api.sigmoid(gates[..., 3 * n:])
        c = f * c + i * g
        return [o * array_api.tanh(c), c]


class GRU(_Recurrent):
    """Gated recurrent unit, torch.nn.GRU's equations and gate order (reset, update, new)::

        r = sigmoid(x_t @ W_ir.T + b_ir + h_{t-1} @ W_hr.T + b_hr)
        z = sigmoid(x_t @ W_iz.T + b_iz + h_{t-1} @ W_hz.T + b_hz)
        n = tanh(x_t @ W_in.T + b_in + r * (h_{t-1} @ W_hn.T + b_hn))
        h_t = (1 - z) * n + z * h_{t-1}

    ``forward(input, hx=None)`` returns ``(output, h_n)`` as :class:`RNN`. ``weight_ih_l{k}``
    stacks (W_ir, W_iz, W_in): (3*hidden, in); ``weight_hh_l{k}`` (3*hidden, hidden); the
    biases (3*hidden,); all uniform in ±1/sqrt(hidden_size). Input, ``dropout`` and
    ``bidirectional`` as for :class:`RNN`.

    >>> import ad_core as ad
    >>> gru = ad.nn.GRU(3, 5, bidirectional=True)
    >>> out, h_n = gru(ad.array_api.zeros((7, 2, 3), dtype=ad.float32))
    >>> out.shape, h_n.shape
    ((7, 2, 10), (2, 2, 5))
    """

    _gates = 3

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 *, dtype: Any = "float32") -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)

    def forward(self, x: Any, hx: Any = None) -> tuple[Any, Any]:
        out, (h_n,) = self._forward(x, hx, ("hx",))
        return out, h_n

    def _cell(self, projected: Any, states: list[Any], w_hh: Any, b_hh: Any) -> list[Any]:
        n = self.hidden_size
        (h,) = states
        hidden = array_api.linear(h, w_hh, b_hh)
        r = array_api.sigmoid(projected[..., :n] + hidden[..., :n])
        z = array_api.sigmoid(projected[..., n:2 * n] + hidden[..., n:2 * n])
        new = array_api.tanh(projected[..., 2 * n:] + r * hidden[..., 2 * n:])
        return [new + z * (h - new)]

