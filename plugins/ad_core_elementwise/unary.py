"""Unary elementwise functions of the Array API standard and their derivatives.

``UNARY`` reads like the table of derivatives in a textbook: one row per function, its forward
rule, the cotangent of its input, and the domain its input lives in (so that checkers sample
valid points). ``ans`` is the function's value, reused wherever it saves work (exp, sqrt, tanh).
``NON_DIFFERENTIABLE`` holds the functions whose results are integers in disguise or booleans:
they get no derivative rule, so their results carry no history.
"""

from __future__ import annotations

import math

LN2 = math.log(2.0)
LN10 = math.log(10.0)

#  name          forward                             d/dx                                          domain
UNARY = {
    "abs":        (lambda xp, x: xp.abs(x),         lambda xp, g, ans, x: g * xp.sign(x),                "real"),
    "exp":        (lambda xp, x: xp.exp(x),         lambda xp, g, ans, x: g * ans,                       "real"),
    "expm1":      (lambda xp, x: xp.expm1(x),       lambda xp, g, ans, x: g * (ans + 1.0),               "real"),
    "log":        (lambda xp, x: xp.log(x),         lambda xp, g, ans, x: g / x,                         "positive"),
    "log1p":      (lambda xp, x: xp.log1p(x),       lambda xp, g, ans, x: g / (1.0 + x),                 "positive"),
    "log2":       (lambda xp, x: xp.log2(x),        lambda xp, g, ans, x: g / (x * LN2),                 "positive"),
    "log10":      (lambda xp, x: xp.log10(x),       lambda xp, g, ans, x: g / (x * LN10),                "positive"),
    "sqrt":       (lambda xp, x: xp.sqrt(x),        lambda xp, g, ans, x: g / (2.0 * ans),               "positive"),
    "square":     (lambda xp, x: xp.square(x),      lambda xp, g, ans, x: g * 2.0 * x,                   "real"),
    "reciprocal": (lambda xp, x: xp.reciprocal(x),  lambda xp, g, ans, x: -g * ans * ans,                "nonzero"),
    "sin":        (lambda xp, x: xp.sin(x),         lambda xp, g, ans, x: g * xp.cos(x),                 "real"),
    "cos":        (lambda xp, x: xp.cos(x),         lambda xp, g, ans, x: -g * xp.sin(x),                "real"),
    "tan":        (lambda xp, x: xp.tan(x),         lambda xp, g, ans, x: g * (1.0 + ans * ans),         "real"),
    "sinh":       (lambda xp, x: xp.sinh(x),        lambda xp, g, ans, x: g * xp.cosh(x),                "real"),
    "cosh":       (lambda xp, x: xp.cosh(x),        lambda xp, g, ans, x: g * xp.sinh(x),                "real"),
    "tanh":       (lambda xp, x: xp.tanh(x),        lambda xp, g, ans, x: g * (1.0 - ans * ans),         "real"),
    "asin":       (lambda xp, x: xp.asin(x),        lambda xp, g, ans, x: g / xp.sqrt(1.0 - x * x),      "unit"),
    "acos":       (lambda xp, x: xp.acos(x),        lambda xp, g, ans, x: -g / xp.sqrt(1.0 - x * x),     "unit"),
    "atan":       (lambda xp, x: xp.atan(x),        lambda xp, g, ans, x: g / (1.0 + x * x),             "real"),
    "asinh":      (lambda xp, x: xp.asinh(x),       lambda xp, g, ans, x: g / xp.sqrt(x * x + 1.0),      "real"),
    "acosh":      (lambda xp, x: xp.acosh(x),       lambda xp, g, ans, x: g / xp.sqrt(x * x - 1.0),      "above_one"),
    "atanh":      (lambda xp, x: xp.atanh(x),       lambda xp, g, ans, x: g / (1.0 - x * x),             "unit"),
}  # fmt: skip

#: NumPy's spellings of the inverse trigonometric functions: the same rules under a second name.
ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan"}

#: Piecewise constant, or boolean-valued: no derivative, no history.
NON_DIFFERENTIABLE = {
    "sign":     lambda xp, x: xp.sign(x),
    "floor":    lambda xp, x: xp.floor(x),
    "ceil":     lambda xp, x: xp.ceil(x),
    "round":    lambda xp, x: xp.round(x),
    "trunc":    lambda xp, x: xp.trunc(x),
    "isnan":    lambda xp, x: xp.isnan(x),
    "isinf":    lambda xp, x: xp.isinf(x),
    "isfinite": lambda xp, x: xp.isfinite(x),
    "signbit":  lambda xp, x: xp.signbit(x),
}  # fmt: skip

#: One line per function for its docstring: what it computes, and its derivative.
SUMMARY = {
    "abs":        "|x|; derivative sign(x) (0 at x = 0)",
    "exp":        "e**x; derivative exp(x)",
    "expm1":      "e**x - 1, accurate near 0; derivative exp(x)",
    "log":        "natural logarithm, x > 0; derivative 1/x",
    "log1p":      "log(1 + x), accurate near 0, x > -1; derivative 1/(1 + x)",
    "log2":       "base-2 logarithm, x > 0; derivative 1/(x ln 2)",
    "log10":      "base-10 logarithm, x > 0; derivative 1/(x ln 10)",
    "sqrt":       "square root, x >= 0; derivative 1/(2 sqrt(x))",
    "square":     "x**2; derivative 2x",
    "reciprocal": "1/x, x != 0; derivative -1/x**2",
    "sin":        "sine; derivative cos(x)",
    "cos":        "cosine; derivative -sin(x)",
    "tan":        "tangent; derivative 1 + tan(x)**2",
    "sinh":       "hyperbolic sine; derivative cosh(x)",
    "cosh":       "hyperbolic cosine; derivative sinh(x)",
    "tanh":       "hyperbolic tangent; derivative 1 - tanh(x)**2",
    "asin":       "inverse sine, -1 < x < 1; derivative 1/sqrt(1 - x**2)",
    "acos":       "inverse cosine, -1 < x < 1; derivative -1/sqrt(1 - x**2)",
    "atan":       "inverse tangent; derivative 1/(1 + x**2)",
    "asinh":      "inverse hyperbolic sine; derivative 1/sqrt(x**2 + 1)",
    "acosh":      "inverse hyperbolic cosine, x > 1; derivative 1/sqrt(x**2 - 1)",
    "atanh":      "inverse hyperbolic tangent, -1 < x < 1; derivative 1/(1 - x**2)",
    "sign":       "-1, 0 or 1 by the sign of x; not differentiable (no history)",
    "floor":      "largest integer <= x; not differentiable (no history)",
    "ceil":       "smallest integer >= x; not differentiable (no history)",
    "round":      "nearest integer, halves to even; not differentiable (no history)",
    "trunc":      "integer part, toward zero; not differentiable (no history)",
    "isnan":      "whether x is NaN (boolean); not differentiable",
    "isinf":      "whether x is +-infinity (boolean); not differentiable",
    "isfinite":   "whether x is neither infinite nor NaN (boolean); not differentiable",
    "signbit":    "whether x's sign bit is set, -0.0 included (boolean); not differentiable",
}  # fmt: skip
