"""NumPy peer of randmid's EI, RM and ULMC steps (issue 6; see README.md in this folder).

Usage:
    python numpy_steps.py oracle OUT.json             # the correctness oracle (d = 1024)
    python numpy_steps.py time OUT.json [--repeats 7] [--min-time 0.2]

Everything is float64. The steps are written as a careful NumPy user would write them: the state
is updated in place and every temporary lives in a buffer allocated once (`out=`), so a step
allocates nothing; the normals are drawn by `Generator(PCG64).standard_normal(out=...)`. The
floating-point operations are the ones randmid performs, in the same order, so the results agree
with randmid's to the last bit or nearly.

The pure-Python parts (target, constants, ULMC coefficients, oracle inputs and the timing loop)
are shared with jax_steps.py, which imports this module.
"""

import json
import math
import sys
import timeit

import numpy as np

# The benchmark (identical in randmid's benches/peer_steps.rs and in jax_steps.py).
T = 1.0  # forward time of every step
H = 0.01  # step size
ALPHA = 0.37  # RM midpoint fraction (fixed)
GAMMA = 2.0  # ULMC friction
DIMS = (64, 1024, 65536)  # single-trajectory sizes
BATCH, BATCH_DIM = 64, 1024  # the batched size
ORACLE_DIM = 1024
RESET = 256  # steps between resets of the state to its start (as in peer_steps.rs)


def sizes():
    """`(id, rows, d)` of every benched size, ids as in the criterion bench."""
    return [(f"d={d}", 1, d) for d in DIMS] + [(f"batch={BATCH}x{BATCH_DIM}", BATCH, BATCH_DIM)]


def target(d):
    """Mean and variance vectors of N(mu, diag(var))."""
    i = np.arange(d)
    return 0.25 * (i % 5) - 0.5, 0.5 + 0.25 * (i % 7)


def start_state(rows, d):
    """Start state `x_k = sin(k+1)`, `v_k = cos(k+1)` over the row-major index k."""
    k = np.arange(rows * d, dtype=np.float64) + 1.0
    shape = (d,) if rows == 1 else (rows, d)
    return np.sin(k).reshape(shape), np.cos(k).reshape(shape)


def oracle_inputs(d=ORACLE_DIM):
    """x = sin(i+1), v = cos(i+1), z_x = cos(i), z_v = sin(2i)."""
    i = np.arange(d, dtype=np.float64)
    return np.sin(i + 1.0), np.cos(i + 1.0), np.cos(i), np.sin(2.0 * i)


# ULMC coefficients, ported from randmid::sampler::ulmc (Taylor series below u = 0.5, where the
# closed forms cancel catastrophically: at u = γh = 0.02 the closed form of φ loses ~4 digits).
def _taylor(u, k0, coef):
    pow_fact = 1.0
    for k in range(1, k0 + 1):
        pow_fact = pow_fact * u / k
    total = 0.0
    for k in range(k0, k0 + 60):
        term = coef(k) * pow_fact
        total += term
        if abs(term) <= 1e-18 * abs(total):
            break
        pow_fact *= u / (k + 1)
    return total


def _one_minus_exp(u):
    return -math.expm1(-u)


def _rho(u):
    if u < 0.5:
        return _taylor(u, 2, lambda k: 1.0 if k % 2 == 0 else -1.0)
    return u - _one_minus_exp(u)


def _phi(u):
    if u < 0.5:
        return _taylor(u, 3, lambda k: (2.0 ** (k - 1) - 2.0) * (1.0 if k % 2 == 1 else -1.0))
    e = _one_minus_exp(u)
    return u - e - 0.5 * e * e


def ulmc_coeffs(gamma=GAMMA, h=H):
    """`(decay, vel, force, l_xx, l_vx, l_vv)` of randmid's UlmcCoeffs::new(gamma, h)."""
    u = gamma * h
    e = _one_minus_exp(u)
    xx, xv, vv = 2.0 * _phi(u) / (gamma * gamma), e * e / gamma, 2.0 * (0.5 * _one_minus_exp(2.0 * u))
    # randmid's psd_cholesky for 2×2 (both pivots are positive here)
    l00 = math.sqrt(xx)
    l10 = xv / l00
    l11 = math.sqrt(vv - l10 * l10)
    return (math.exp(-u), e / gamma, _rho(u) / (gamma * gamma), l00, l10, l11)


def time_block(stmt, namespace, steps_per_block, repeats, min_time):
    """Seconds per step: `stmt` runs one block of `steps_per_block` steps (from the start state);
    timeit loops of n blocks, n doubled until a loop takes at least `min_time` seconds, then the
    median (and min) over `repeats` loops."""
    timer = timeit.Timer(stmt, globals=namespace)
    n = 1
    while True:
        elapsed = timer.timeit(n)
        if elapsed >= min_time:
            break
        n = max(2 * n, int(1.2 * n * min_time / max(elapsed, 1e-9)))
    times = sorted(timer.timeit(n) / (n * steps_per_block) for _ in range(repeats))
    return {
        "median_s": times[len(times) // 2],
        "min_s": times[0],
        "steps_per_loop": n * steps_per_block,
        "repeats": repeats,
    }


class NumpySteps:
    """In-place EI, RM and ULMC steps on x of shape (d,) or (rows, d), allocation-free."""

    def __init__(self, shape, seed=6):
        d = shape[-1]
        self.mu, self.var = target(d)
        self.c = np.empty(d)  # a² v + σ²
        self.am = np.empty(d)  # a μ
        self.s = np.empty(shape)  # score
        self.mid = np.empty(shape)  # RM midpoint
        self.t1, self.t2 = np.empty(shape), np.empty(shape)
        self.zx, self.zv = np.empty(shape), np.empty(shape)
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.coeffs = ulmc_coeffs()

    def score(self, t, x, out):
        """out = −(x − aμ)/(a² v + σ²) = (aμ − x)/(a² v + σ²), a = e^{−t}, σ² = 1 − e^{−2t}."""
        a, s2 = math.exp(-t), -math.expm1(-2.0 * t)
        c, am = self.c, self.am
        np.multiply(self.var, a * a, out=c)
        np.add(c, s2, out=c)
        np.multiply(self.mu, a, out=am)
        np.subtract(am, x, out=out)
        np.divide(out, c, out=out)

    def ei(self, x, t=T, h=H):
        """x ← e^h x + (e^h − 1) s_t(x)."""
        s = self.s
        self.score(t, x, s)
        x *= math.exp(h)
        s *= math.expm1(h)
        x += s

    def rm(self, x, t=T, h=H, alpha=ALPHA):
        """mid = e^{αh} x + (e^{αh} − 1) s_t(x);  x ← e^h x + h e^{(1−α)h} s_{t−αh}(mid)."""
        s, mid, ah = self.s, self.mid, alpha * h
        self.score(t, x, s)
        np.multiply(x, math.exp(ah), out=mid)
        s *= math.expm1(ah)
        mid += s
        self.score(t - ah, mid, s)
        x *= math.exp(h)
        s *= h * math.exp((1.0 - alpha) * h)
        x += s

    def ulmc_update(self, x, v, zx, zv, t=T):
        """g = s_t(x);  x ← x + ((vel v + force g) + l_xx z_x);  v ← (η v + vel g) + (l_vx z_x + l_vv z_v)."""
        decay, vel, force, l00, l10, l11 = self.coeffs
        g, t1, t2 = self.s, self.t1, self.t2
        self.score(t, x, g)
        np.multiply(v, vel, out=t1)
        np.multiply(g, force, out=t2)
        t1 += t2
        np.multiply(zx, l00, out=t2)
        t1 += t2
        x += t1
        v *= decay
        np.multiply(g, vel, out=t2)
        v += t2
        np.multiply(zx, l10, out=t1)
        np.multiply(zv, l11, out=t2)
        t1 += t2
        v += t1

    def ulmc(self, x, v, t=T):
        """2·size fresh normals (PCG64 into the preallocated buffers), then the update."""
        self.rng.standard_normal(out=self.zx)
        self.rng.standard_normal(out=self.zv)
        self.ulmc_update(x, v, self.zx, self.zv, t)


def oracle():
    x0, v0, zx, zv = oracle_inputs()
    steps = NumpySteps(x0.shape)
    ei, rm, ux, uv = x0.copy(), x0.copy(), x0.copy(), v0.copy()
    steps.ei(ei)
    steps.rm(rm)
    steps.ulmc_update(ux, uv, zx, zv)
    return {
        "impl": "numpy",
        "version": np.__version__,
        "d": ORACLE_DIM,
        "ulmc_coeffs": list(ulmc_coeffs()),
        "ei": ei.tolist(),
        "rm": rm.tolist(),
        "ulmc_x": ux.tolist(),
        "ulmc_v": uv.tolist(),
    }


def timings(repeats, min_time):
    results = []
    for step in ("ei", "rm", "ulmc"):
        for ident, rows, d in sizes():
            x0, v0 = start_state(rows, d)
            steps = NumpySteps(x0.shape)
            ns = {"x0": x0, "v0": v0, "x": x0.copy(), "v": v0.copy(), "blk": range(RESET), "f": getattr(steps, step)}
            call = "f(x, v)" if step == "ulmc" else "f(x)"
            stmt = f"x[...] = x0\nv[...] = v0\nfor _ in blk:\n    {call}"
            r = time_block(stmt, ns, RESET, repeats, min_time)
            assert np.all(np.isfinite(ns["x"])), (step, ident)
            results.append({"step": step, "id": ident, "rows": rows, "d": d, **r})
            print(f"numpy {step:4} {ident:14} {r['median_s'] * 1e9:12.1f} ns/step", file=sys.stderr)
    return {"impl": "numpy", "version": np.__version__, "results": results}


def main(argv, oracle_fn=oracle, timings_fn=timings):
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=("oracle", "time"))
    p.add_argument("out")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--min-time", type=float, default=0.2)
    a = p.parse_args(argv)
    doc = oracle_fn() if a.mode == "oracle" else timings_fn(a.repeats, a.min_time)
    with open(a.out, "w") as f:
        json.dump(doc, f)


if __name__ == "__main__":
    main(sys.argv[1:])
