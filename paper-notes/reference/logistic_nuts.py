"""Reference posterior for randmid's `Logistic::breast_cancer(1.0)` by NumPyro's NUTS.

Model (the same as src/potential/logistic.rs):
    X      = [1, standardised features]   (569 x 31; each feature column centred and divided by its
                                           population sd, i.e. ddof = 0; the intercept column is first)
    y_i    in {0, 1}                      (the CSV's last column: 0 = malignant, 1 = benign)
    beta   ~ N(0, sigma^2 I), sigma^2 = 1
    y_i    ~ Bernoulli(sigmoid(x_i . beta))
so the negative log posterior is f(beta) = sum_i [softplus(x_i . beta) - y_i x_i . beta] + |beta|^2 / (2 sigma^2).

Writes logistic_breast_cancer_nuts.json next to this file. Usage (see README.md):
    python3 paper-notes/reference/logistic_nuts.py
"""

import json
import os
import platform
import time
from importlib.metadata import version

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
from numpyro.diagnostics import effective_sample_size, split_gelman_rubin
from numpyro.infer import MCMC, NUTS

HERE = os.path.dirname(os.path.abspath(__file__))
CSV = os.path.join(HERE, "..", "..", "data", "breast_cancer.csv")
OUT = os.path.join(HERE, "logistic_breast_cancer_nuts.json")

PRIOR_VAR = 1.0
NUM_CHAINS = 4
NUM_WARMUP = 2_000
NUM_SAMPLES = 25_000
SEED = 20_250_101
TARGET_ACCEPT = 0.9


def load():
    """The sklearn CSV: header `n,p,name0,name1`, then rows of p features and an integer label."""
    with open(CSV) as fh:
        header = fh.readline().strip().split(",")
        n, p = int(header[0]), int(header[1])
        raw = np.loadtxt(fh, delimiter=",", dtype=np.float64)
    assert raw.shape == (n, p + 1), raw.shape
    feats, y = raw[:, :p], raw[:, p]
    sd = feats.std(axis=0, ddof=0)  # population sd, as in the Rust code
    z = (feats - feats.mean(axis=0)) / sd
    x = np.hstack([np.ones((n, 1)), z])
    return x, y


def neg_log_post(beta, x, y):
    eta = x @ beta
    return np.sum(np.logaddexp(0.0, eta) - y * eta) + beta @ beta / (2.0 * PRIOR_VAR)


def map_newton(x, y, tol=1e-14, max_iter=100):
    """MAP by Newton's method with backtracking, stopped when the sup norm of the step is <= tol."""
    beta = np.zeros(x.shape[1])
    for it in range(max_iter):
        s = 1.0 / (1.0 + np.exp(-(x @ beta)))
        g = x.T @ (s - y) + beta / PRIOR_VAR
        h = (x * (s * (1.0 - s))[:, None]).T @ x + np.eye(x.shape[1]) / PRIOR_VAR
        step = np.linalg.solve(h, g)
        f0, t = neg_log_post(beta, x, y), 1.0
        while neg_log_post(beta - t * step, x, y) > f0 - 1e-4 * t * (g @ step) and t > 1e-10:
            t *= 0.5
        beta = beta - t * step
        if np.max(np.abs(t * step)) <= tol:
            break
    s = 1.0 / (1.0 + np.exp(-(x @ beta)))
    grad = x.T @ (s - y) + beta / PRIOR_VAR
    return beta, it + 1, float(np.max(np.abs(grad)))


def model(x, y=None):
    beta = numpyro.sample("beta", dist.Normal(0.0, np.sqrt(PRIOR_VAR)).expand([x.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Bernoulli(logits=x @ beta), obs=y)


def main():
    x, y = load()
    n, d = x.shape
    beta_map, newton_iters, map_grad_sup = map_newton(x, y)
    gram_eigs = np.linalg.eigvalsh(x.T @ x)

    kernel = NUTS(model, dense_mass=True, target_accept_prob=TARGET_ACCEPT)
    mcmc = MCMC(
        kernel,
        num_warmup=NUM_WARMUP,
        num_samples=NUM_SAMPLES,
        num_chains=NUM_CHAINS,
        chain_method="sequential",
        progress_bar=False,
    )
    t0 = time.perf_counter()
    mcmc.run(jax.random.PRNGKey(SEED), jnp.asarray(x), jnp.asarray(y), extra_fields=("diverging", "num_steps"))
    draws = np.asarray(mcmc.get_samples(group_by_chain=True)["beta"])  # chains x draws x d
    run_s = time.perf_counter() - t0
    extra = mcmc.get_extra_fields(group_by_chain=True)
    divergences = int(np.sum(np.asarray(extra["diverging"])))
    steps = np.asarray(extra["num_steps"])

    flat = draws.reshape(-1, d)
    mean = flat.mean(axis=0)
    cov = np.cov(flat, rowvar=False, ddof=1)
    sd = np.sqrt(np.diag(cov))
    ess = np.asarray(effective_sample_size(draws))
    rhat = np.asarray(split_gelman_rubin(draws))
    mcse = sd / np.sqrt(ess)

    out = {
        "description": "Bayesian logistic regression posterior, breast-cancer data (sklearn copy of UCI WDBC), "
        "X = [1, standardised features] (population sd, intercept first), y: 0 = malignant, 1 = benign, "
        "prior N(0, prior_var I)",
        "data": {"file": "data/breast_cancer.csv", "n": n, "d": d, "label_counts": {"0": int((y == 0).sum()), "1": int((y == 1).sum())}},
        "prior_var": PRIOR_VAR,
        "packages": {
            "python": platform.python_version(),
            "numpyro": version("numpyro"),
            "jax": version("jax"),
            "jaxlib": version("jaxlib"),
            "numpy": version("numpy"),
        },
        "settings": {
            "sampler": "numpyro.infer.NUTS",
            "dense_mass": True,
            "target_accept_prob": TARGET_ACCEPT,
            "num_chains": NUM_CHAINS,
            "chain_method": "sequential",
            "num_warmup": NUM_WARMUP,
            "num_samples": NUM_SAMPLES,
            "seed": SEED,
            "init": "numpyro default init_to_uniform(radius=2), one key per chain",
            "float64": True,
        },
        "run_time_s": run_s,
        "divergences": divergences,
        "mean_leapfrog_steps": float(steps.mean()),
        "map": beta_map.tolist(),
        "map_newton_iterations": newton_iters,
        "map_grad_sup_norm": map_grad_sup,
        "gram_eigenvalue_max": float(gram_eigs[-1]),
        "gram_eigenvalue_min": float(gram_eigs[0]),
        "mean": mean.tolist(),
        "sd": sd.tolist(),
        "cov": cov.tolist(),
        "mcse_mean": mcse.tolist(),
        "mcse_method": "posterior sd / sqrt(ESS), ESS from numpyro.diagnostics.effective_sample_size over all chains",
        "ess": ess.tolist(),
        "rhat": rhat.tolist(),
        "rhat_method": "numpyro.diagnostics.split_gelman_rubin",
        "ess_min": float(ess.min()),
        "rhat_max": float(rhat.max()),
    }
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print(f"wrote {OUT}: run {run_s:.1f} s, min ESS {ess.min():.0f}, max R-hat {rhat.max():.4f}, "
          f"divergences {divergences}, Newton iterations {newton_iters}, |grad f(MAP)|_inf {map_grad_sup:.2e}")


if __name__ == "__main__":
    main()
