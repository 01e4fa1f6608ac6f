"""JAX peer (jit, CPU, float64) of randmid's EI, RM and ULMC steps (issue 6; see README.md here).

Usage:
    python jax_steps.py oracle OUT.json             # the correctness oracle (d = 1024)
    python jax_steps.py time OUT.json [--repeats 7] [--min-time 0.2]

Each step is one `jax.jit`-compiled function in functional style: the state goes in and the new
state comes out (ULMC also threads its PRNG key: `jax.random.split` and `jax.random.normal`,
the default threefry generator, inside the jitted step). The time `t`, the step size and the
target's mean and variance vectors are arguments, as in a sampler loop where `t` changes every
step, so XLA cannot fold the score's coefficients into constants. The state is donated
(`donate_argnums`), so XLA can update it in place. Compilation and warm-up are excluded from the
timings; each timed block ends with `block_until_ready` on its outputs.

The target, constants, ULMC coefficients and timing loop come from numpy_steps.py.
"""

import sys

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402  (after enabling x64)

import numpy_steps as common  # noqa: E402


def score(mu, var, t, x):
    """−(x − aμ)/(a² v + σ²) = (aμ − x)/(a² v + σ²), a = e^{−t}, σ² = 1 − e^{−2t}."""
    a, s2 = jnp.exp(-t), -jnp.expm1(-2.0 * t)
    return (a * mu - x) / (a * a * var + s2)


def ei_step(x, mu, var, t, h):
    """x ← e^h x + (e^h − 1) s_t(x)."""
    return jnp.exp(h) * x + jnp.expm1(h) * score(mu, var, t, x)


def rm_step(x, mu, var, t, h, alpha):
    """mid = e^{αh} x + (e^{αh} − 1) s_t(x);  x ← e^h x + h e^{(1−α)h} s_{t−αh}(mid)."""
    ah = alpha * h
    mid = jnp.exp(ah) * x + jnp.expm1(ah) * score(mu, var, t, x)
    return jnp.exp(h) * x + (h * jnp.exp((1.0 - alpha) * h)) * score(mu, var, t - ah, mid)


def _ulmc_update(x, v, zx, zv, mu, var, t, coeffs):
    decay, vel, force, l00, l10, l11 = (coeffs[k] for k in range(6))
    g = score(mu, var, t, x)
    x_new = x + ((vel * v + force * g) + l00 * zx)
    v_new = (decay * v + vel * g) + (l10 * zx + l11 * zv)
    return x_new, v_new


def ulmc_step(x, v, key, mu, var, t, coeffs):
    """2·size fresh normals from the threaded key, then the ULMC update; returns (x, v, key)."""
    key, kx, kv = jax.random.split(key, 3)
    zx = jax.random.normal(kx, x.shape, x.dtype)
    zv = jax.random.normal(kv, x.shape, x.dtype)
    x_new, v_new = _ulmc_update(x, v, zx, zv, mu, var, t, coeffs)
    return x_new, v_new, key


# The state arguments are donated: XLA may write the new state into the old one's buffer (at
# d = 65536 this was about 1.5x faster than without donation). A donated array is dead after the
# call, so callers pass copies of anything they keep.
ei_step = jax.jit(ei_step, donate_argnums=0)
rm_step = jax.jit(rm_step, donate_argnums=0)
ulmc_step = jax.jit(ulmc_step, donate_argnums=(0, 1))
ulmc_update = jax.jit(_ulmc_update, donate_argnums=(0, 1))


def _args(d):
    mu, var = common.target(d)

    def f(s):
        return jnp.asarray(s, dtype=jnp.float64)

    return (
        jnp.asarray(mu),
        jnp.asarray(var),
        f(common.T),
        f(common.H),
        f(common.ALPHA),
        jnp.asarray(common.ulmc_coeffs()),
    )


def oracle():
    x0, v0, zx, zv = (jnp.asarray(a) for a in common.oracle_inputs())
    mu, var, t, h, alpha, coeffs = _args(common.ORACLE_DIM)
    ei = ei_step(x0.copy(), mu, var, t, h)
    rm = rm_step(x0.copy(), mu, var, t, h, alpha)
    ux, uv = ulmc_update(x0.copy(), v0.copy(), zx, zv, mu, var, t, coeffs)
    return {
        "impl": "jax",
        "version": jax.__version__,
        "d": common.ORACLE_DIM,
        "ulmc_coeffs": list(common.ulmc_coeffs()),
        "ei": ei.tolist(),
        "rm": rm.tolist(),
        "ulmc_x": ux.tolist(),
        "ulmc_v": uv.tolist(),
    }


def timings(repeats, min_time):
    results = []
    for step in ("ei", "rm", "ulmc"):
        for ident, rows, d in common.sizes():
            x0, v0 = (jnp.asarray(a) for a in common.start_state(rows, d))
            mu, var, t, h, alpha, coeffs = _args(d)
            ns = {
                "x0": x0,
                "v0": v0,
                "out": [x0, v0, jax.random.key(6)],
                "blk": range(common.RESET),
                "mu": mu,
                "var": var,
                "t": t,
                "h": h,
                "alpha": alpha,
                "coeffs": coeffs,
                "ei_step": ei_step,
                "rm_step": rm_step,
                "ulmc_step": ulmc_step,
            }
            if step == "ulmc":
                # the key carries over from block to block (fresh noise); timeit runs the body
                # inside a function, so the state is read from and written back to `out` once per block
                body = (
                    "x, v, key = x0.copy(), v0.copy(), out[2]\nfor _ in blk:\n"
                    "    x, v, key = ulmc_step(x, v, key, mu, var, t, coeffs)\n"
                    "jax.block_until_ready((x, v, key))\nout[:] = x, v, key"
                )
            else:
                call = "ei_step(x, mu, var, t, h)" if step == "ei" else "rm_step(x, mu, var, t, h, alpha)"
                body = f"x = x0.copy()\nfor _ in blk:\n    x = {call}\nx.block_until_ready()\nout[0] = x"
            ns["jax"] = jax
            exec(body, ns)  # compile and warm up (excluded from the timings)
            exec(body, ns)
            r = common.time_block(body, ns, common.RESET, repeats, min_time)
            assert bool(jnp.all(jnp.isfinite(ns["out"][0]))), (step, ident)
            results.append({"step": step, "id": ident, "rows": rows, "d": d, **r})
            print(f"jax   {step:4} {ident:14} {r['median_s'] * 1e9:12.1f} ns/step", file=sys.stderr)
    return {"impl": "jax", "version": jax.__version__, "backend": jax.default_backend(), "results": results}


if __name__ == "__main__":
    common.main(sys.argv[1:], oracle_fn=oracle, timings_fn=timings)
