#!/usr/bin/env python3
"""Cross-check `ntkbridge kernel` against Neural Tangents on random cases.

A development tool, never run by `make test` (Neural Tangents is not a dependency of the
project). Needs Python 3 with numpy, jax/jaxlib 0.4.26 and neural-tangents 0.6.5; runs in
float64 (jax_enable_x64).

    python3 Tests/Reference/nt_crosscheck.py --cli .build/release/ntkbridge --cases 300 --seed 1
    python3 Tests/Reference/nt_crosscheck.py --cli … --only conv --activations relu,erf
    python3 Tests/Reference/nt_crosscheck.py --cli … --emit-fixtures Tests/Fixtures/nt-crosscheck

Each case draws an architecture (fully connected, or convolutional with K ∈ {1,3,5,7} (sometimes Kh ≠ Kw), images
H×W×C with H, W ∈ 1…6 and C ∈ {1,2,3}, padding same/circular, readout flatten/gap), depth 1–4,
non-default σ_w, σ_b, σ_w,out, σ_b,out, a catalogue activation with random parameters, 4–8
points (sometimes a separate X2), runs the CLI and compares its nngp, ntk, head and body files
with Neural Tangents' kernel_fn of the same stax network:

    (Conv(1, (K,K), padding, W_std, b_std, parameterization='ntk') | Dense(1, …)) → φ) × depth
        → [Flatten | GlobalAvgPool] → Dense(1, out_W_std, out_b_std, parameterization='ntk')

with head = NT's nngp (the readout's own tangent kernel in NTK parameterization) and
body = NT's ntk − nngp. Error measure per matrix: max|ours − NT| / max|NT| (for body, when smaller,
max|ours − NT| / max|NT's ntk|: NT's body is a difference known only to ~1e-16·max|ntk|).

Reference per activation:
  * NT's closed-form layers: relu, leaky-relu, abrelu, abs, sign, identity, erf, gelu, sin, cos,
    exp, gaussian, monomial (n ≤ 5), rectified-monomial, polynomial; hermite:n through NT's
    Polynomial with the coefficients of He_n/√n! (NT's own `Hermite` layer assumes unit
    variances: its kernel is Σⁿ, exact only when q = 1).
  * tanh, sigmoid, softplus, silu, elu:α, selu (NT has no closed form): NT's `Elementwise` layer
    (NT's plumbing) with an independent dual map E[φ(u)φ(v)], E[φ'(u)φ'(v)] computed here by
    composite Gauss–Legendre in standardized coordinates (~1e-15); for ELU and SELU by
    conditioning on u (closed-form E[φ(v)|u]) and a 1-D rule graded towards the kink. `--gauss-hermite DEG` uses NT's own `ElementwiseNumerical(fn, DEG)` instead, with
    its (much larger) error reported but not judged.

Tolerances (the issue's): 1e-9; 1e-6 for the ABReLU family, sign and rectified-monomial, whose NT
kernels compute the angle of a point with itself from rounded products (~1e-8 relative on the
diagonal, larger after a few layers).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402

SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
ANGLE_FAMILY = ("relu", "leaky-relu", "abrelu", "abs", "sign", "rectified-monomial")


# ----------------------------------------------------------------------------------------------
# Independent dual maps for activations NT has no closed form for.

def _gauss_legendre_panels(lo, hi, panels, nodes):
    """Nodes and weights of composite Gauss–Legendre on [lo, hi] (numpy, fixed)."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.linspace(lo, hi, panels + 1)
    xs, ws = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        xs.append((b - a) / 2 * x + (a + b) / 2)
        ws.append((b - a) / 2 * w)
    return np.concatenate(xs), np.concatenate(ws)


# z1 runs over [-L, 0] ∪ [0, L] (u = √q₁·z₁ has its kink at z₁ = 0); z2 over [-L, c] ∪ [c, L]
# where c = −ρ·z₁/√(1−ρ²) puts v = √q₂(ρz₁ + √(1−ρ²)z₂) = 0 on a panel edge. 20 panels per side
# with 12 nodes each: panels at most one unit long (half a unit for z₁), ~1e-15 against a finer
# rule for tanh on the cases drawn here (10 panels of 10 nodes left ~1e-11 when the cut c sits
# at ±L for a nearly parallel pair and the z₂ panels are two units long).
_L = 10.0
_PANELS, _NODES = 20, 12
_Z1, _W1 = _gauss_legendre_panels(-_L, _L, 2 * _PANELS, _NODES)
_UNIT_X, _UNIT_W = _gauss_legendre_panels(0.0, 1.0, _PANELS, _NODES)  # mapped onto each half
_Z1_BLOCKS = _Z1.reshape(2 * _PANELS, _NODES)
_W1_BLOCKS = _W1.reshape(2 * _PANELS, _NODES)


def _expectation(f, g, cov12, var1, var2):
    """E[f(u)g(v)] for (u, v) ~ N(0, [[var1, cov12], [cov12, var2]]), scalar arguments."""
    s1, s2 = jnp.sqrt(var1), jnp.sqrt(var2)
    denom = s1 * s2
    rho = jnp.where(denom > 0, cov12 / jnp.where(denom > 0, denom, 1.0), 0.0)
    rho = jnp.clip(rho, -1.0, 1.0)
    s = jnp.sqrt(jnp.maximum(1.0 - rho * rho, 0.0))
    z1b = jnp.asarray(_Z1_BLOCKS)
    w1b = jnp.asarray(_W1_BLOCKS)
    tx, tw = jnp.asarray(_UNIT_X), jnp.asarray(_UNIT_W)

    def block(i, total):
        z1 = z1b[i][:, None]
        w1 = w1b[i][:, None]
        c = jnp.where(s > 0, -rho * z1 / jnp.where(s > 0, s, 1.0), 0.0)
        c = jnp.clip(c, -_L, _L)
        left = -_L + (c + _L) * tx[None, :]
        right = c + (_L - c) * tx[None, :]
        z2 = jnp.concatenate([left, right], axis=1)
        w2 = jnp.concatenate([(c + _L) * tw[None, :], (_L - c) * tw[None, :]], axis=1)
        u = s1 * z1
        v = s2 * (rho * z1 + s * z2)
        dens = jnp.exp(-(z1 * z1 + z2 * z2) / 2) / (2 * jnp.pi)
        return total + jnp.sum(w1 * w2 * dens * f(u) * g(v))

    return jax.lax.fori_loop(0, 2 * _PANELS, block, jnp.zeros_like(cov12))


def _numeric_layer(phi, dphi):
    def nngp_fn(cov12, var1, var2=None):
        return _expectation(phi, phi, cov12, var1, var1 if var2 is None else var2)

    def d_nngp_fn(cov12, var1, var2=None):
        return _expectation(dphi, dphi, cov12, var1, var1 if var2 is None else var2)

    return stax.Elementwise(phi, nngp_fn, d_nngp_fn)


# ELU and SELU: φ' jumps at 0, so near ρ = 1 the 2-D rule above would have to resolve a step of
# width ~√(1−ρ²). Instead condition on u: v | u ~ N(m, s²) with m = Σu/q₁, s² = q₂ − Σ²/q₁, and
# E[φ(v) | u], E[φ'(v) | u] have closed forms (Gaussian integrals of x·1{x>0}, e^x·1{x<0}, 1{x<0}).
# What is left is a 1-D integral over u = √q₁·z whose integrand has a kink at z = 0 and a smooth
# step of width ~s there: composite Gauss–Legendre on panels graded geometrically towards 0
# (ratio 4, down to 1e-15; 16 nodes each) and unit panels beyond 1.
def _graded_nodes(nodes=16):
    edges = [0.0] + [4.0 ** e for e in range(-25, 1)] + list(np.arange(2.0, 11.0))
    x, w = np.polynomial.legendre.leggauss(nodes)
    xs, ws = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        xs.append((b - a) / 2 * x + (a + b) / 2)
        ws.append((b - a) / 2 * w)
    z, wz = np.concatenate(xs), np.concatenate(ws)
    return np.concatenate([-z[::-1], z]), np.concatenate([wz[::-1], wz])


_ZG, _WG = _graded_nodes()


def _elu_conditional(alpha, scale, derivative):
    from jax.scipy.special import ndtr, log_ndtr

    def cond(m, s):
        s = jnp.maximum(s, 1e-300)
        neg_exp = jnp.exp(m + s * s / 2 + log_ndtr(-(m + s * s) / s))  # E[e^v 1{v<0}]
        if derivative:
            return scale * (ndtr(m / s) + alpha * neg_exp)
        positive = m * ndtr(m / s) + s * jnp.exp(-(m / s) ** 2 / 2) / jnp.sqrt(2 * jnp.pi)
        return scale * (positive + alpha * (neg_exp - ndtr(-m / s)))
    return cond


def _elu_layer(alpha, scale):
    phi, dphi = _elu(alpha)
    cond_phi = _elu_conditional(alpha, scale, False)
    cond_dphi = _elu_conditional(alpha, scale, True)

    def expectation(f, cond, cov12, var1, var2):
        var2 = var1 if var2 is None else var2
        z, w = jnp.asarray(_ZG), jnp.asarray(_WG)
        s1 = jnp.sqrt(var1)
        u = s1 * z
        ratio = jnp.where(var1 > 0, cov12 / jnp.where(var1 > 0, var1, 1.0), 0.0)
        s = jnp.sqrt(jnp.maximum(var2 - cov12 * ratio, 0.0))
        dens = jnp.exp(-z * z / 2) / jnp.sqrt(2 * jnp.pi)
        return jnp.sum(w * dens * f(u) * cond(ratio * u, s))

    def nngp_fn(cov12, var1, var2=None):
        return expectation(lambda x: scale * phi(x), cond_phi, cov12, var1, var2)

    def d_nngp_fn(cov12, var1, var2=None):
        return expectation(lambda x: scale * dphi(x), cond_dphi, cov12, var1, var2)

    return stax.Elementwise(lambda x: scale * phi(x), nngp_fn, d_nngp_fn)


# max(0, x)ⁿ: NT's RectifiedMonomial differentiates (π − θ)/sin θ by autodiff and returns NaN
# wherever θ = 0 (every point with itself, so every conv network and every FC depth ≥ 2 with a
# separate X2 … or without). Its stand-in: NT's Elementwise layer with Cho & Saul's closed forms
# written out for n ≤ 3, Σ̂ = rⁿJₙ(θ)/2π, Σ̇ = n²r^{n−1}J_{n−1}(θ)/2π (r = √(q₁q₂)), θ from the
# clipped correlation (~1e-8 off on the diagonal, like NT's ReLU: judged at 1e-6).
def _cho_saul_j(n, t):
    s, c = jnp.sin(t), jnp.cos(t)
    return [jnp.pi - t, s + (jnp.pi - t) * c, 3 * s * c + (jnp.pi - t) * (1 + 2 * c * c),
            15 * s - 11 * s ** 3 + (jnp.pi - t) * (9 * c + 6 * c ** 3)][n]


def _rectified_monomial_layer(n):
    def theta_r(cov12, var1, var2):
        var2 = var1 if var2 is None else var2
        r = jnp.sqrt(var1 * var2)
        return jnp.arccos(jnp.clip(cov12 / r, -1.0, 1.0)), r

    def nngp_fn(cov12, var1, var2=None):
        t, r = theta_r(cov12, var1, var2)
        return r ** n * _cho_saul_j(n, t) / (2 * jnp.pi)

    def d_nngp_fn(cov12, var1, var2=None):
        t, r = theta_r(cov12, var1, var2)
        return 0.0 * t if n == 0 else n * n * r ** (n - 1) * _cho_saul_j(n - 1, t) / (2 * jnp.pi)

    return stax.Elementwise(lambda x: jnp.where(x >= 0, x, 0.0) ** n, nngp_fn, d_nngp_fn)


def _sigmoid(x):
    return 1 / (1 + jnp.exp(-x))


def _elu(alpha):
    return (lambda x: jnp.where(x > 0, x, alpha * jnp.expm1(jnp.minimum(x, 0))),
            lambda x: jnp.where(x > 0, 1.0, alpha * jnp.exp(jnp.minimum(x, 0))))


NUMERIC = {
    "tanh": (jnp.tanh, lambda x: 1 / jnp.cosh(x) ** 2),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "softplus": (lambda x: jnp.logaddexp(x, 0.0), _sigmoid),
    "silu": (lambda x: x * _sigmoid(x), lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x)))),
}


def hermite_coefficients(n):
    """Power-series coefficients c_0…c_n of He_n(x)/√n!."""
    c = np.polynomial.hermite_e.herme2poly([0] * n + [1])
    return list(c / math.sqrt(math.factorial(n)))


def nt_activation(name, params, gh_degree=None):
    """NT layer for a catalogue activation; (layer, kind) with kind 'closed' or 'numeric'."""
    closed = {
        "relu": lambda: stax.Relu(),
        "leaky-relu": lambda: stax.LeakyRelu(params[0]),
        "abrelu": lambda: stax.ABRelu(params[0], params[1]),
        "abs": lambda: stax.Abs(),
        "sign": lambda: stax.Sign(),
        "identity": lambda: stax.Identity(),
        "erf": lambda: stax.Erf(),
        "gelu": lambda: stax.Gelu(approximate=False),
        "sin": lambda: stax.Sin(),
        "cos": lambda: stax.Cos(),
        "exp": lambda: stax.Exp(),
        "gaussian": lambda: stax.Gaussian(),
        "monomial": lambda: stax.Monomial(int(params[0])),
        "rectified-monomial": lambda: stax.RectifiedMonomial(int(params[0])),
        "polynomial": lambda: stax.Polynomial(list(params)),
        "hermite": lambda: stax.Polynomial(hermite_coefficients(int(params[0]))),
    }
    if name in closed:
        return closed[name](), "closed"
    if name in NUMERIC:
        phi, dphi = NUMERIC[name]
    elif name in ("elu", "selu"):
        alpha, scale = (params[0], 1.0) if name == "elu" else (SELU_ALPHA, SELU_LAMBDA)
        if not gh_degree:
            return _elu_layer(alpha, scale), "numeric"
        e, de = _elu(alpha)
        phi, dphi = (lambda x: scale * e(x)), (lambda x: scale * de(x))
    else:
        raise ValueError(f"no Neural Tangents counterpart for {name}")
    if gh_degree:
        return stax.ElementwiseNumerical(phi, gh_degree, dphi), "numeric-gh"
    return _numeric_layer(phi, dphi), "numeric"


# ----------------------------------------------------------------------------------------------
# Cases.

def activation_text(name, params):
    if not params:
        return name
    def fmt(p):
        return str(int(p)) if name in ("monomial", "rectified-monomial", "hermite") else repr(float(p))
    return name + ":" + ",".join(fmt(p) for p in params)


def draw_activation(rng, allowed):
    name = allowed[rng.integers(len(allowed))]
    params = []
    if name == "leaky-relu":
        params = [round(float(rng.uniform(-0.5, 0.5)), 3)]
    elif name == "abrelu":
        params = [round(float(rng.uniform(-1.5, 1.5)), 3), round(float(rng.uniform(-1.5, 1.5)), 3)]
    elif name == "elu":
        params = [round(float(rng.uniform(0.3, 2.0)), 3)]
    elif name == "monomial":
        params = [int(rng.integers(0, 6))]
    elif name == "rectified-monomial":
        params = [int(rng.integers(0, 4))]
    elif name == "hermite":
        params = [int(rng.integers(1, 6))]
    elif name == "polynomial":
        params = [round(float(v), 3) for v in rng.uniform(-1, 1, int(rng.integers(1, 5)))]
    return name, params


ALL_ACTIVATIONS = ["relu", "leaky-relu", "abrelu", "abs", "sign", "identity", "erf", "gelu", "sin",
                   "cos", "exp", "gaussian", "monomial", "rectified-monomial", "polynomial",
                   "hermite", "tanh", "sigmoid", "softplus", "silu", "elu", "selu"]


def draw_case(rng, index, only, activations):
    kind = only or ("fc" if rng.random() < 0.2 else "conv")
    name, params = draw_activation(rng, activations)
    numeric = name in NUMERIC or name in ("elu", "selu")
    growing = name in ("exp", "monomial", "polynomial", "hermite", "rectified-monomial")
    depth = int(rng.integers(1, 5 if not growing else 3))
    wide = 1.0 if name == "exp" else 1.8 if not numeric else 1.5
    case = {
        "activation": activation_text(name, params), "act_name": name, "act_params": params,
        "depth": depth,
        "w_std": round(float(rng.uniform(0.6, wide)), 4),
        "b_std": 0.0 if rng.random() < 0.2 else round(float(rng.uniform(0.05, 0.6)), 4),
        "out_w_std": round(float(rng.uniform(0.5, 2.0)), 4),
        "out_b_std": 0.0 if rng.random() < 0.3 else round(float(rng.uniform(0.05, 1.0)), 4),
        "scale": float(rng.uniform(0.4, 1.3)),
    }
    if kind == "conv":
        k = int(rng.choice([1, 3, 5, 7], p=[0.15, 0.45, 0.25, 0.15]))
        readout = "gap" if rng.random() < 0.45 else "flatten"
        if readout == "gap" and numeric:
            # NT's Elementwise layer evaluates every pixel pair at once; keep (H·W)² small
            h, w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        else:
            h, w = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        kw = k if rng.random() < 0.85 else int(rng.choice([1, 3, 5, 7]))  # the CLI takes KhxKw, both odd
        case["conv"] = {"filter": [k, kw], "image": [h, w, int(rng.integers(1, 4))],
                        "padding": "circular" if rng.random() < 0.45 else "same", "readout": readout}
        dim = h * w * case["conv"]["image"][2]
    else:
        dim = int(rng.integers(1, 9))
    n1 = int(rng.integers(4, 9)) if not numeric else int(rng.integers(3, 6))
    cross = rng.random() < 0.3
    x1 = rng.standard_normal((n1, dim)) * case["scale"]
    steep = unstable_at_parallel(case)
    if rng.random() < 0.15 and n1 > 2 and not steep:
        x1[1] = x1[0] * 1.7  # a parallel pair
    if rng.random() < 0.3 and n1 > 3 and not steep:
        x1[2] = x1[0] + 1e-5 * case["scale"] * rng.standard_normal(dim)  # a nearly parallel pair
    x2 = rng.standard_normal((int(rng.integers(3, 7)), dim)) * case["scale"] if cross else None
    case["x1"], case["x2"] = x1, x2
    case["index"] = index
    case["category"] = f"{kind}-{case['conv']['readout']}" if kind == "conv" else "fc"
    return case


def nt_network(case, gh_degree=None, rectified_fallback=False):
    if rectified_fallback:
        act, kind = _rectified_monomial_layer(int(case["act_params"][0])), "closed-elementwise"
    else:
        act, kind = nt_activation(case["act_name"], case["act_params"], gh_degree)
    layers = []
    conv = case.get("conv")
    for _ in range(case["depth"]):
        if conv:
            layers.append(stax.Conv(1, tuple(conv["filter"]), padding=conv["padding"].upper(),
                                    W_std=case["w_std"], b_std=case["b_std"], parameterization="ntk"))
        else:
            layers.append(stax.Dense(1, W_std=case["w_std"], b_std=case["b_std"], parameterization="ntk"))
        layers.append(act)
    if conv:
        layers.append(stax.Flatten() if conv["readout"] == "flatten" else stax.GlobalAvgPool())
    layers.append(stax.Dense(1, W_std=case["out_w_std"], b_std=case["out_b_std"], parameterization="ntk"))
    return stax.serial(*layers)[2], kind


def nt_kernels(case, gh_degree=None):
    kernel_fn, kind = nt_network(case, gh_degree)
    conv = case.get("conv")

    def shape(x):
        if x is None:
            return None
        return x.reshape((x.shape[0],) + tuple(conv["image"])) if conv else x

    k = kernel_fn(shape(case["x1"]), shape(case["x2"]), ("nngp", "ntk"))
    nngp = np.asarray(k.nngp, dtype=np.float64).reshape(len(case["x1"]), -1)
    ntk = np.asarray(k.ntk, dtype=np.float64).reshape(len(case["x1"]), -1)
    if case["act_name"] == "rectified-monomial" and not (np.all(np.isfinite(nngp)) and np.all(np.isfinite(ntk))):
        kernel_fn, kind = nt_network(case, gh_degree, rectified_fallback=True)
        k = kernel_fn(shape(case["x1"]), shape(case["x2"]), ("nngp", "ntk"))
        nngp = np.asarray(k.nngp, dtype=np.float64).reshape(len(case["x1"]), -1)
        ntk = np.asarray(k.ntk, dtype=np.float64).reshape(len(case["x1"]), -1)
    return {"nngp": nngp, "ntk": ntk, "head": nngp, "body": ntk - nngp}, kind


def cli_arguments(case, x1, x2, out):
    args = ["kernel", "--x1", x1, "--depth", str(case["depth"]), "--activation", case["activation"],
            "--w-std", repr(case["w_std"]), "--b-std", repr(case["b_std"]),
            "--out-w-std", repr(case["out_w_std"]), "--out-b-std", repr(case["out_b_std"])]
    if x2 is not None:
        args += ["--x2", x2]
    conv = case.get("conv")
    if conv:
        h, w, c = conv["image"]
        args += ["--conv", f"{conv['filter'][0]}x{conv['filter'][1]}", "--image", f"{h}x{w}x{c}",
                 "--padding", conv["padding"], "--readout", conv["readout"]]
    return args + ["--out", out]


def cli_kernels(cli, case, workdir):
    x1 = os.path.join(workdir, "x1.csv")
    np.savetxt(x1, case["x1"], delimiter=",", fmt="%.17g")
    x2 = None
    if case["x2"] is not None:
        x2 = os.path.join(workdir, "x2.csv")
        np.savetxt(x2, case["x2"], delimiter=",", fmt="%.17g")
    out = os.path.join(workdir, f"out{case['index']}")
    run = subprocess.run([cli] + cli_arguments(case, x1, x2, out), capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"CLI failed ({run.returncode}): {run.stderr.strip()}")
    return {k: np.loadtxt(os.path.join(out, f"{k}.csv"), delimiter=",", ndmin=2)
            for k in ("nngp", "ntk", "head", "body")}


def relative_error(actual, expected):
    scale = np.max(np.abs(expected))
    if not np.all(np.isfinite(expected)):
        return float("nan")
    return float(np.max(np.abs(actual - expected)) / scale) if scale > 0 else float(np.max(np.abs(actual)))


def unstable_at_parallel(case):
    """sign and the step (rectified-monomial:0): Σ̂ = c₀ + c₁(1 − 2θ/π) has infinite slope in ρ
    at ρ = 1, so NT's rounding of a point with itself (θ ~ 1e-8 instead of 0) grows like
    ε → √(2ε) per layer (6e-3 relative at depth 3, measured). For them the batch diagonal of a
    symmetric call is judged against its exact value instead (flatten: w_out²·E[φ²] + b_out²,
    E[φ²] = 1 for sign, ½ for the step; GAP: not judged), and no parallel pairs are drawn."""
    return case["act_name"] == "sign" or (case["act_name"] == "rectified-monomial" and int(case["act_params"][0]) == 0)


def exact_diagonal(case, expected):
    """For `unstable_at_parallel` cases: NT's values with the batch diagonal replaced by the exact
    one (flatten or fully connected), or by ours (GAP: not judged)."""
    if case["x2"] is not None:
        return expected
    fixed = {}
    conv = case.get("conv")
    square = 1.0 if case["act_name"] == "sign" else 0.5
    for key, m in expected.items():
        m = m.copy()
        if conv is None or conv["readout"] == "flatten":
            value = {"body": 0.0}.get(key, case["out_w_std"] ** 2 * square + case["out_b_std"] ** 2)
            np.fill_diagonal(m, value)  # Σ̇ = 0: body = 0, ntk = nngp
        fixed[key] = m
    return fixed


def tolerance(case):
    return 1e-6 if case["act_name"] in ANGLE_FAMILY else 1e-9


def describe(case):
    arch = "fc" if "conv" not in case else "conv {f[0]}x{f[1]} {i[0]}x{i[1]}x{i[2]} {p} {r}".format(
        f=case["conv"]["filter"], i=case["conv"]["image"], p=case["conv"]["padding"], r=case["conv"]["readout"])
    return (f"#{case['index']} {arch} depth {case['depth']} {case['activation']} "
            f"σ=({case['w_std']},{case['b_std']},{case['out_w_std']},{case['out_b_std']}) "
            f"n={len(case['x1'])}{'' if case['x2'] is None else 'x' + str(len(case['x2']))}")


def fixture(case, expected, kind, gh_degree):
    def rows(m):
        return [[float(v) for v in row] for row in m]
    config = {k: case[k] for k in ("depth", "activation", "w_std", "b_std", "out_w_std", "out_b_std")}
    if "conv" in case:
        config["conv"] = dict(case["conv"])
    reference = {"closed": "Neural Tangents closed-form layer",
                 "numeric": "Neural Tangents Elementwise layer with an independent dual map: composite Gauss-Legendre (~1e-15); ELU/SELU conditioned on u (closed-form E[phi(v)|u]), graded 1-D rule",
                 "numeric-gh": f"Neural Tangents ElementwiseNumerical, deg={gh_degree}",
                 "closed-elementwise": "Neural Tangents Elementwise layer with Cho & Saul's closed form "
                                       "(NT's RectifiedMonomial returns NaN at theta = 0)"}[kind]
    return {
        "kind": "kernel", "name": f"x{case['index']:03d}",
        "description": describe(case),
        "inputs": {"x1": rows(case["x1"]), "x2": None if case["x2"] is None else rows(case["x2"])},
        "config": config,
        "expected": {k: rows(v) for k, v in expected.items()},
        "tolerance": tolerance(case),
        "error_measure": "per matrix: max|actual - expected| / max|expected|",
        "provenance": {"reference": reference, "neural_tangents": nt.__version__, "jax": jax.__version__,
                       "generator": "Tests/Reference/nt_crosscheck.py"},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default=".build/release/ntkbridge")
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", choices=["fc", "conv"])
    ap.add_argument("--activations", help="comma-separated subset of the catalogue")
    ap.add_argument("--gauss-hermite", type=int, metavar="DEG",
                    help="use NT's ElementwiseNumerical(fn, DEG) for tanh, sigmoid, … (reported, not judged)")
    ap.add_argument("--emit-fixtures", metavar="DIR", help="write each passing case as a JSON fixture")
    ap.add_argument("--verbose", action="store_true")
    opts = ap.parse_args()
    activations = opts.activations.split(",") if opts.activations else ALL_ACTIVATIONS
    rng = np.random.default_rng(opts.seed)
    worst = {}
    failures = []
    overflowed = 0
    start = time.time()
    with tempfile.TemporaryDirectory() as workdir:
        for index in range(opts.cases):
            case = draw_case(rng, index, opts.only, activations)
            try:
                expected, kind = nt_kernels(case, opts.gauss_hermite)
                if not all(np.all(np.isfinite(m)) for m in expected.values()):
                    # NT overflowed (exp, monomials): the CLI must refuse rather than write inf
                    try:
                        cli_kernels(opts.cli, case, workdir)
                        raise RuntimeError("NT overflowed but the CLI wrote a kernel")
                    except RuntimeError as refusal:
                        if "overflow" not in str(refusal):
                            raise
                    overflowed += 1
                    if opts.verbose:
                        print(f"ok   {describe(case)}: both overflow (the CLI refuses)", flush=True)
                    continue
                actual = cli_kernels(opts.cli, case, workdir)
            except Exception as error:  # a refusal or a failure of NT: report, go on
                failures.append((describe(case), f"error: {error}"))
                print(f"ERROR {describe(case)}: {error}", flush=True)
                continue
            if unstable_at_parallel(case):
                expected = exact_diagonal(case, expected)
                if case.get("conv", {}).get("readout") == "gap" and case["x2"] is None:
                    for k in expected:  # not judged: NT's own diagonal error
                        expected[k] = expected[k].copy()
                        np.fill_diagonal(expected[k], np.diag(actual[k]))
            errors = {k: relative_error(actual[k], expected[k]) for k in expected}
            # NT's body is ntk − nngp: known to ~1e-16·max|ntk| only, so measured against that
            # when the body is much smaller than the NTK (small σ_w, a 7×7 filter on a 1×1 image)
            errors["body"] = min(errors["body"], relative_error(actual["body"], expected["body"])
                                 * np.max(np.abs(expected["body"])) / max(np.max(np.abs(expected["ntk"])), 1e-300))
            e = max(errors.values()) if all(np.isfinite(list(errors.values()))) else float("nan")
            judged = kind != "numeric-gh"
            ok = (not judged) or (np.isfinite(e) and e <= tolerance(case))
            for key in (case["category"], f"act:{case['act_name']}"):
                worst[key] = max(worst.get(key, 0.0), e) if np.isfinite(e) else float("nan")
            line = f"{'ok  ' if ok else 'FAIL'} {describe(case)}: " + " ".join(f"{k} {v:.2e}" for k, v in errors.items())
            if opts.verbose or not ok:
                print(line, flush=True)
            if not ok:
                failures.append((describe(case), line))
                if opts.emit_fixtures:  # kept for study, not as fixtures
                    os.makedirs(os.path.join(opts.emit_fixtures, "failed"), exist_ok=True)
                    with open(os.path.join(opts.emit_fixtures, "failed", f"x{case['index']:03d}.json"), "w") as f:
                        json.dump(fixture(case, expected, kind, opts.gauss_hermite), f)
            elif opts.emit_fixtures:
                os.makedirs(opts.emit_fixtures, exist_ok=True)
                path = os.path.join(opts.emit_fixtures, f"x{case['index']:03d}.json")
                with open(path, "w") as f:
                    json.dump(fixture(case, expected, kind, opts.gauss_hermite), f)
    print(f"\n{opts.cases} cases in {time.time() - start:.0f} s, {len(failures)} failing, "
          f"{overflowed} overflowing in both (refused by the CLI)")
    print("largest relative error (over nngp, ntk, head, body) per category:")
    for key in sorted(worst):
        print(f"  {key:28s} {worst[key]:.2e}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
