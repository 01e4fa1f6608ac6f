//! RM-ULMC, ULMC and MALA (and ULA, for its bias) on the Bayesian logistic-regression posterior
//! `Logistic::breast_cancer(1.0)` (d = 31, m = 1, L = 1890), each against the independent
//! NumPyro NUTS reference in `paper-notes/reference/logistic_breast_cancer_nuts.json` and
//! against one another.
//!
//! Every sampler runs independent chains through `sample_potential` (one stream per chain);
//! chain `i` starts from its own draw of the Laplace approximation `N(MAP, H(MAP)⁻¹)`. Per
//! coordinate the comparison is
//!
//! ```text
//! z_mean = (mean − mean_NUTS) / √(SE² + SE_NUTS²),   SE = sd/√n,  SE_NUTS = the reference's mcse
//! z_sd   = (sd − sd_NUTS)     / √(SE² + SE_NUTS²),   SE = sd·√((k − 1)/(4n)),  k = kurtosis
//! ```
//!
//! reported as max |z| and Σ z² (mean 31 whatever the correlations), and as the
//! correlation-adjusted `T² = zᵀ R⁻¹ z` (`R` the posterior correlation matrix for the means,
//! `R∘R` for the sds, the Gaussian approximation), which is χ²₃₁ under agreement; `T² − 31`
//! estimates the squared Mahalanobis distance between the means in SE units (`bias_M`). The
//! covariance matrix is compared by `‖Σ̂ − Σ_NUTS‖_F / ‖Σ_NUTS‖_F` next to its i.i.d. noise
//! floor `√((‖Σ‖_F² + (tr Σ)²)(1/n + 1/n_NUTS))/‖Σ‖_F`.
//!
//! Settings (see `main` for the reasoning): friction γ = 2 (critical for the slowest mode,
//! curvature m = 1), kinetic duration T = 8 (the slowest mode forgets as `(1 + T)e^{−T}`),
//! ULMC h = 0.007 ≈ 0.3/√L, RM-ULMC h = 0.014 (its bias is O(h³)), each checked by halving h
//! (and by ULMC at 4h, RM-ULMC at 2h, which are cheap); MALA and ULA h = 1/λ_max(H(MAP)) ≈ 0.0117
//! for duration 10.
//!
//! 13.4 million gradient evaluations, about 250 s of CPU time: about two minutes on 2 idle cores
//! (6 minutes measured while the machine's load average was 8; the JSON records the wall time and
//! the load averages).
//!
//! Run: `cargo run --release --example logistic_compare`. Writes
//! `paper-notes/data/c3/logistic_compare.json`.

use std::fmt::Write as _;
use std::time::Instant;

use nalgebra::{Cholesky, DMatrix, DVector, SymmetricEigen};
use randmid::Error;
use randmid::cli::json::Json;
use randmid::langevin::{Kinetic, LcStart, LogConcaveSampler, Mala, Ula, sample_potential};
use randmid::potential::{Logistic, Potential};
use statrs::distribution::{ChiSquared, ContinuousCDF};

const REFERENCE: &str = include_str!("../paper-notes/reference/logistic_breast_cancer_nuts.json");
const OUTPUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/paper-notes/data/c3/logistic_compare.json");

/// Friction: critical damping `γ = 2√m` for the slowest mode (m = 1).
const GAMMA: f64 = 2.0;
/// Duration of every kinetic chain.
const T_KINETIC: f64 = 8.0;
/// ULMC step, ≈ 0.3/√L.
const H_ULMC: f64 = 0.007;
/// RM-ULMC step (twice ULMC's: 2 gradients per step, O(h³) stationary bias on Gaussians).
const H_RM: f64 = 0.014;
/// Duration of the MALA and ULA chains (overdamped: the slowest mode forgets as `e^{−T}`).
const T_MALA: f64 = 10.0;
/// Chains of the main runs.
const CHAINS: usize = 2000;
/// Chains of the step-halving checks.
const CHECK_CHAINS: usize = 800;
/// Effective draws behind the NUTS sd (for its SE): the reference gives the ESS of the means only
/// (≥ 142,000 of 100,000 draws); for second moments we take a quarter of the draws. At 2,000
/// chains this widens the combined SE of an sd by at most 4 %.
const NUTS_SD_DRAWS: f64 = 25_000.0;
const SEED: u64 = 20_250_611;

/// The NUTS reference.
struct Nuts {
    mean: Vec<f64>,
    sd: Vec<f64>,
    mcse_mean: Vec<f64>,
    cov: DMatrix<f64>,
    /// Posterior correlation matrix.
    corr: DMatrix<f64>,
}

impl Nuts {
    fn load(d: usize) -> randmid::Result<Self> {
        let json = Json::parse(REFERENCE)?;
        let get = |key: &str| json.get(key).unwrap_or_else(|| panic!("reference: no key {key}"));
        let floats = |v: &Json| v.as_f64_vec().expect("reference: an array of numbers");
        let (mean, sd, mcse_mean) = (floats(get("mean")), floats(get("sd")), floats(get("mcse_mean")));
        let Json::Arr(rows) = get("cov") else {
            panic!("reference: cov is not an array");
        };
        let rows: Vec<Vec<f64>> = rows.iter().map(floats).collect();
        assert_eq!((mean.len(), sd.len(), mcse_mean.len(), rows.len()), (d, d, d, d));
        assert!(rows.iter().all(|r| r.len() == d), "cov is not {d} × {d}");
        let cov = DMatrix::from_fn(d, d, |i, j| rows[i][j]);
        let corr = DMatrix::from_fn(d, d, |i, j| cov[(i, j)] / (sd[i] * sd[j]));
        Ok(Nuts {
            mean,
            sd,
            mcse_mean,
            cov,
            corr,
        })
    }
}

/// The Laplace approximation `N(MAP, H(MAP)⁻¹)`: `x = MAP + C z` with `C Cᵀ = H⁻¹`, `C` lower
/// triangular.
struct Laplace {
    map: Vec<f64>,
    factor: DMatrix<f64>,
    /// `λ_min`, `λ_max` of `H(MAP)`.
    eig: (f64, f64),
}

impl Laplace {
    fn new(f: &Logistic) -> randmid::Result<Self> {
        let map = f.mode()?;
        let h = f.hessian(&map);
        let eig = SymmetricEigen::new(h.clone()).eigenvalues;
        let chol = Cholesky::new(h).ok_or(Error::NotPositiveDefinite {
            what: "the Hessian at the MAP",
        })?;
        let factor = Cholesky::new(chol.inverse())
            .ok_or(Error::NotPositiveDefinite {
                what: "the inverse of H(MAP)",
            })?
            .l();
        Ok(Laplace {
            map,
            factor,
            eig: (eig.min(), eig.max()),
        })
    }

    /// The per-chain start: a draw of `N(MAP, H(MAP)⁻¹)` from the chain's stream.
    fn start(&self) -> LcStart {
        LcStart::Correlated {
            center: self.map.clone(),
            factor: self.factor.transpose().as_slice().to_vec(),
        }
    }

    /// Marginal sds `√diag(H⁻¹)`.
    fn sd(&self) -> Vec<f64> {
        self.factor.row_iter().map(|r| r.norm()).collect()
    }
}

/// Per-coordinate moments of `n` i.i.d. draws (one per chain).
struct Summary {
    n: usize,
    mean: Vec<f64>,
    sd: Vec<f64>,
    /// Kurtosis `m₄/m₂²` (3 for a Gaussian).
    kurt: Vec<f64>,
    /// Sample covariance (divisor `n − 1`).
    cov: DMatrix<f64>,
}

impl Summary {
    fn new(samples: &[f64], d: usize) -> Self {
        let n = samples.len() / d;
        let nf = n as f64;
        let mut mean = vec![0.0; d];
        for x in samples.chunks_exact(d) {
            mean.iter_mut().zip(x).for_each(|(m, v)| *m += v / nf);
        }
        let mut cov = DMatrix::<f64>::zeros(d, d);
        let (mut m2, mut m4) = (vec![0.0; d], vec![0.0; d]);
        let mut c = vec![0.0; d];
        for x in samples.chunks_exact(d) {
            c.iter_mut().zip(x).zip(&mean).for_each(|((c, v), m)| *c = v - m);
            for i in 0..d {
                m2[i] += c[i] * c[i] / nf;
                m4[i] += c[i].powi(4) / nf;
                for j in 0..=i {
                    cov[(i, j)] += c[i] * c[j] / (nf - 1.0);
                }
            }
        }
        cov.fill_upper_triangle_with_lower_triangle();
        let sd = (0..d).map(|i| cov[(i, i)].sqrt()).collect();
        let kurt = m2.iter().zip(&m4).map(|(a, b)| b / (a * a)).collect();
        Summary { n, mean, sd, kurt, cov }
    }

    /// SE of each mean, `sd/√n`.
    fn se_mean(&self) -> Vec<f64> {
        self.sd.iter().map(|s| s / (self.n as f64).sqrt()).collect()
    }

    /// SE of each sd, `sd·√((k − 1)/(4n))`.
    fn se_sd(&self) -> Vec<f64> {
        self.sd
            .iter()
            .zip(&self.kurt)
            .map(|(s, k)| s * ((k - 1.0) / (4.0 * self.n as f64)).sqrt())
            .collect()
    }
}

/// z-scores of one comparison and their summaries.
struct Agreement {
    z_mean: Vec<f64>,
    z_sd: Vec<f64>,
    /// `zᵀ R⁻¹ z` for the means and `zᵀ (R∘R)⁻¹ z` for the sds.
    t2: (f64, f64),
    /// Mean over coordinates of `(SE_mean / sd)²`: `T²` is about `d + δᵀΣ⁻¹δ / noise2`.
    noise2: f64,
}

impl Agreement {
    fn new(dm: &[f64], se_m: &[f64], ds: &[f64], se_s: &[f64], sd: &[f64], corr: &DMatrix<f64>) -> Self {
        let z_mean: Vec<f64> = dm.iter().zip(se_m).map(|(a, b)| a / b).collect();
        let z_sd: Vec<f64> = ds.iter().zip(se_s).map(|(a, b)| a / b).collect();
        let quad = |z: &[f64], r: DMatrix<f64>| {
            let chol = Cholesky::new(r).expect("posterior correlation is positive definite");
            let z = DVector::from_column_slice(z);
            z.dot(&chol.solve(&z))
        };
        let t2 = (quad(&z_mean, corr.clone()), quad(&z_sd, corr.component_mul(corr)));
        let noise2 = se_m.iter().zip(sd).map(|(e, s)| (e / s).powi(2)).sum::<f64>() / sd.len() as f64;
        Agreement {
            z_mean,
            z_sd,
            t2,
            noise2,
        }
    }

    /// The distance between the two means in the posterior's Mahalanobis metric, `√(δᵀΣ⁻¹δ)`
    /// (in posterior sds along the worst direction), estimated without its noise as
    /// `√(max(T² − d, 0) · noise2)`; 0 where `T² ≤ d`.
    fn bias_mahalanobis(&self) -> f64 {
        ((self.t2.0 - self.z_mean.len() as f64).max(0.0) * self.noise2).sqrt()
    }

    /// `a` against `b`, with the SEs combined in quadrature (`sd`, `corr`: the posterior's).
    fn between(a: &Summary, b: &Summary, sd: &[f64], corr: &DMatrix<f64>) -> Self {
        let diff = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p - q).collect::<Vec<_>>();
        let quad = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p.hypot(*q)).collect::<Vec<_>>();
        Self::new(
            &diff(&a.mean, &b.mean),
            &quad(&a.se_mean(), &b.se_mean()),
            &diff(&a.sd, &b.sd),
            &quad(&a.se_sd(), &b.se_sd()),
            sd,
            corr,
        )
    }

    /// `a` against NUTS: its mean SE is the reference's mcse; the SE of its sd uses `a`'s
    /// kurtosis with [`NUTS_SD_DRAWS`] draws.
    fn against_nuts(a: &Summary, nuts: &Nuts) -> Self {
        let se_sd_nuts: Vec<f64> = nuts
            .sd
            .iter()
            .zip(&a.kurt)
            .map(|(s, k)| s * ((k - 1.0) / (4.0 * NUTS_SD_DRAWS)).sqrt())
            .collect();
        let diff = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p - q).collect::<Vec<_>>();
        let quad = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(p, q)| p.hypot(*q)).collect::<Vec<_>>();
        Self::new(
            &diff(&a.mean, &nuts.mean),
            &quad(&a.se_mean(), &nuts.mcse_mean),
            &diff(&a.sd, &nuts.sd),
            &quad(&a.se_sd(), &se_sd_nuts),
            &nuts.sd,
            &nuts.corr,
        )
    }

    fn max_abs(z: &[f64]) -> f64 {
        z.iter().fold(0.0, |a: f64, v| a.max(v.abs()))
    }

    fn sum_sq(z: &[f64]) -> f64 {
        z.iter().map(|v| v * v).sum()
    }

    /// Upper tail `P(χ²_d ≥ t)`.
    fn p_value(t: f64, d: usize) -> f64 {
        ChiSquared::new(d as f64).expect("d > 0").sf(t)
    }

    fn json(&self) -> String {
        let d = self.z_mean.len();
        format!(
            "{{\"max_abs_z_mean\": {}, \"sum_z2_mean\": {}, \"t2_mean\": {}, \"p_t2_mean\": {}, \
             \"mean_bias_mahalanobis_est\": {}, \
             \"max_abs_z_sd\": {}, \"sum_z2_sd\": {}, \"t2_sd\": {}, \"p_t2_sd\": {}, \"dof\": {d}, \
             \"z_mean\": {}, \"z_sd\": {}}}",
            Self::max_abs(&self.z_mean),
            Self::sum_sq(&self.z_mean),
            self.t2.0,
            Self::p_value(self.t2.0, d),
            self.bias_mahalanobis(),
            Self::max_abs(&self.z_sd),
            Self::sum_sq(&self.z_sd),
            self.t2.1,
            Self::p_value(self.t2.1, d),
            arr(&self.z_mean),
            arr(&self.z_sd),
        )
    }
}

/// `‖A − B‖_F / ‖B‖_F`.
fn rel_frobenius(a: &DMatrix<f64>, b: &DMatrix<f64>) -> f64 {
    (a - b).norm() / b.norm()
}

/// The RMS relative Frobenius error of a covariance estimated from `n` i.i.d. Gaussian draws,
/// compared with one from `n_ref`: `√((‖Σ‖_F² + (tr Σ)²)(1/n + 1/n_ref)) / ‖Σ‖_F`.
fn frobenius_noise(cov: &DMatrix<f64>, n: usize, n_ref: f64) -> f64 {
    ((cov.norm_squared() + cov.trace().powi(2)) * (1.0 / n as f64 + 1.0 / n_ref)).sqrt() / cov.norm()
}

fn arr(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| format!("{x}")).collect();
    format!("[{}]", items.join(", "))
}

/// One sampler run.
struct Run {
    label: &'static str,
    role: &'static str,
    name: String,
    h: f64,
    steps: usize,
    duration: f64,
    chains: usize,
    seed: u64,
    grads_per_chain: f64,
    acceptance: Option<f64>,
    wall_s: f64,
    summary: Summary,
    samples: Vec<f64>,
}

#[allow(clippy::too_many_arguments)]
fn run(
    f: &Logistic,
    start: &LcStart,
    label: &'static str,
    role: &'static str,
    sampler: &dyn LogConcaveSampler,
    (h, steps): (f64, usize),
    chains: usize,
    seed: u64,
) -> randmid::Result<Run> {
    let t0 = Instant::now();
    let out = sample_potential(f, sampler, start, chains, seed)?;
    let wall_s = t0.elapsed().as_secs_f64();
    let run = Run {
        label,
        role,
        name: sampler.name(),
        h,
        steps,
        duration: h * steps as f64,
        chains,
        seed,
        grads_per_chain: out.stats.grads as f64 / chains as f64,
        acceptance: out.acceptance(),
        wall_s,
        summary: Summary::new(&out.samples, out.dim),
        samples: out.samples,
    };
    println!(
        "  {:<12} {:<44} {:>5} chains × {:>5.0} grads  {:>6.1} s",
        run.label, run.name, run.chains, run.grads_per_chain, run.wall_s
    );
    Ok(run)
}

/// The 1-, 5- and 15-minute load averages (the machine is shared; wall times depend on them).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn main() -> randmid::Result<()> {
    let t_all = Instant::now();
    let load_start = loadavg();
    let f = Logistic::breast_cancer(1.0)?;
    let d = f.dim();
    let nuts = Nuts::load(d)?;
    let laplace = Laplace::new(&f)?;
    let start = laplace.start();
    let (m, l) = (f.strong_convexity(), f.smoothness());
    println!("{}: m = {m}, L = {l:.1}", f.describe());
    println!(
        "H(MAP) spectrum [{:.4}, {:.2}]: the global L (attained at β = 0) is {:.0}× the curvature at the mode",
        laplace.eig.0,
        laplace.eig.1,
        l / laplace.eig.1
    );

    // Step sizes and durations.
    // * Kinetic (γ = 2): every mode of curvature λ ≥ 1 relaxes at least as fast as the critically
    //   damped slowest one, ∝ (1 + t)e^{−t}; after T = 8 that is 3.0e-3 of the start's error. The
    //   Laplace start is off by at most 0.34 posterior sd in a mean (tests/logistic.rs), so what is
    //   left is ≤ 1.0e-3 sd, against an SE of 1/√2000 = 0.022 sd (< 0.05 SE).
    // * ULMC h = 0.007 ≈ 0.3/√L (h√λ ≤ 0.3 for every curvature the posterior can have); checked by
    //   halving, and at 4h (cheap; a first-order bias there is 4× the one at h). RM-ULMC
    //   h = 0.014 (h√L = 0.61, h√λ_max(H(MAP)) = 0.13) since its bias is O(h³); checked by halving
    //   and at 2h. (Rates are those of the linearised dynamics; f is m-strongly convex, so they are
    //   a guide, not a bound.)
    // * MALA: h = 1/λ_max(H(MAP)) (global L is a worst case attained only at β = 0, 22× the
    //   curvature near the posterior; acceptance is measured). Duration 10: overdamped Langevin
    //   forgets the slowest mode as e^{−T}, and rejections slow it by the acceptance rate, so the
    //   start's error is left at ≤ e^{−0.7·10}·0.34 sd ≈ 3e-4 sd. ULA runs the same h and steps.
    let steps = |t: f64, h: f64| (t / h).round() as usize;
    let h_mala = 1.0 / laplace.eig.1;
    let ulmc = |h: f64| -> randmid::Result<Box<dyn LogConcaveSampler>> {
        Ok(Box::new(Kinetic::ulmc(GAMMA, h, steps(T_KINETIC, h))?))
    };
    let rm = |h: f64| -> randmid::Result<Box<dyn LogConcaveSampler>> {
        Ok(Box::new(Kinetic::rm_ulmc(GAMMA, h, steps(T_KINETIC, h))?))
    };
    let n_mala = steps(T_MALA, h_mala);
    // (label, role, sampler, h, steps, chains)
    type Plan = (
        &'static str,
        &'static str,
        Box<dyn LogConcaveSampler>,
        f64,
        usize,
        usize,
    );
    let plan: Vec<Plan> = vec![
        ("ulmc", "main", ulmc(H_ULMC)?, H_ULMC, steps(T_KINETIC, H_ULMC), CHAINS),
        ("rm-ulmc", "main", rm(H_RM)?, H_RM, steps(T_KINETIC, H_RM), CHAINS),
        (
            "mala",
            "main",
            Box::new(Mala::new(h_mala, n_mala)?),
            h_mala,
            n_mala,
            CHAINS,
        ),
        (
            "ula",
            "context",
            Box::new(Ula::new(h_mala, n_mala)?),
            h_mala,
            n_mala,
            CHAINS,
        ),
        // step checks: halving (fewer chains) and coarsening (where it is cheap)
        (
            "ulmc-h/2",
            "check",
            ulmc(H_ULMC / 2.0)?,
            H_ULMC / 2.0,
            steps(T_KINETIC, H_ULMC / 2.0),
            CHECK_CHAINS,
        ),
        (
            "ulmc-4h",
            "check",
            ulmc(4.0 * H_ULMC)?,
            4.0 * H_ULMC,
            steps(T_KINETIC, 4.0 * H_ULMC),
            CHAINS,
        ),
        (
            "rm-ulmc-h/2",
            "check",
            rm(H_RM / 2.0)?,
            H_RM / 2.0,
            steps(T_KINETIC, H_RM / 2.0),
            CHECK_CHAINS,
        ),
        (
            "rm-ulmc-2h",
            "check",
            rm(2.0 * H_RM)?,
            2.0 * H_RM,
            steps(T_KINETIC, 2.0 * H_RM),
            CHAINS,
        ),
    ];
    println!("\nruns (independent chains, each from its own Laplace draw):");
    let mut runs = Vec::new();
    for (k, (label, role, sampler, h, n_steps, chains)) in plan.into_iter().enumerate() {
        runs.push(run(
            &f,
            &start,
            label,
            role,
            sampler.as_ref(),
            (h, n_steps),
            chains,
            SEED + k as u64,
        )?);
    }
    let by = |label: &str| runs.iter().find(|r| r.label == label).expect("run");

    // The curvature the chains actually see: λ_max(H(β)) over 200 MALA draws.
    let mut lam: Vec<f64> = by("mala")
        .samples
        .chunks_exact(d)
        .take(200)
        .map(|x| SymmetricEigen::new(f.hessian(x)).eigenvalues.max())
        .collect();
    lam.sort_by(f64::total_cmp);
    let (lam_med, lam_max) = (lam[lam.len() / 2], lam[lam.len() - 1]);
    println!(
        "λ_max(H(β)) over 200 posterior draws: median {lam_med:.1}, max {lam_max:.1} \
         (ULMC h√λ ≤ {:.3}, RM-ULMC h√λ ≤ {:.3}, MALA hλ ≤ {:.2})",
        H_ULMC * lam_max.sqrt(),
        H_RM * lam_max.sqrt(),
        h_mala * lam_max
    );

    // Against NUTS.
    let vs_nuts: Vec<Agreement> = runs
        .iter()
        .map(|r| Agreement::against_nuts(&r.summary, &nuts))
        .collect();
    let cov_err: Vec<(f64, f64)> = runs
        .iter()
        .map(|r| {
            (
                rel_frobenius(&r.summary.cov, &nuts.cov),
                frobenius_noise(&nuts.cov, r.summary.n, NUTS_SD_DRAWS),
            )
        })
        .collect();
    let laplace_sd = laplace.sd();
    let laplace_vs_nuts = {
        let se: Vec<f64> = nuts.sd.iter().map(|s| s / (CHAINS as f64).sqrt()).collect();
        let z: Vec<f64> = laplace
            .map
            .iter()
            .zip(&nuts.mean)
            .zip(&se)
            .map(|((a, b), s)| (a - b) / s)
            .collect();
        let zs: Vec<f64> = laplace_sd
            .iter()
            .zip(&nuts.sd)
            .map(|(a, b)| (a - b) / (b / (2.0 * CHAINS as f64).sqrt()))
            .collect();
        (Agreement::max_abs(&z), Agreement::max_abs(&zs))
    };

    println!("\nper coordinate: mean (z vs NUTS)");
    print!("{:>3} {:>16}", "k", "NUTS ± mcse");
    for r in &runs[..4] {
        print!(" {:>17}", r.label);
    }
    println!();
    for k in 0..d {
        print!("{k:>3} {:>8.4} ± {:.4}", nuts.mean[k], nuts.mcse_mean[k]);
        for (r, a) in runs.iter().zip(&vs_nuts).take(4) {
            print!(" {:>9.4} ({:>+5.2})", r.summary.mean[k], a.z_mean[k]);
        }
        println!();
    }
    println!("\nper coordinate: sd (z vs NUTS)");
    print!("{:>3} {:>8}", "k", "NUTS");
    for r in &runs[..4] {
        print!(" {:>17}", r.label);
    }
    println!();
    for k in 0..d {
        print!("{k:>3} {:>8.4}", nuts.sd[k]);
        for (r, a) in runs.iter().zip(&vs_nuts).take(4) {
            print!(" {:>9.4} ({:>+5.2})", r.summary.sd[k], a.z_sd[k]);
        }
        println!();
    }

    println!("\nagainst NUTS (d = {d}; Σz² and T² have mean 31, T² ~ χ²₃₁ with 95 % point 44.99):");
    println!(
        "{:<12} {:>7} {:>6} {:>8} {:>7} {:>6} | {:>7} {:>6} {:>8} {:>7} {:>6} | {:>8} {:>8} {:>6}",
        "sampler",
        "max|z|m",
        "Σz²m",
        "T²m",
        "p",
        "bias_M",
        "max|z|s",
        "Σz²s",
        "T²s",
        "p",
        "",
        "cov err",
        "floor",
        "acc"
    );
    for ((r, a), (e, fl)) in runs.iter().zip(&vs_nuts).zip(&cov_err) {
        println!(
            "{:<12} {:>7.2} {:>6.1} {:>8.1} {:>7.3} {:>6.3} | {:>7.2} {:>6.1} {:>8.1} {:>7.3} {:>6} | {:>8.4} {:>8.4} {:>6}",
            r.label,
            Agreement::max_abs(&a.z_mean),
            Agreement::sum_sq(&a.z_mean),
            a.t2.0,
            Agreement::p_value(a.t2.0, d),
            a.bias_mahalanobis(),
            Agreement::max_abs(&a.z_sd),
            Agreement::sum_sq(&a.z_sd),
            a.t2.1,
            Agreement::p_value(a.t2.1, d),
            "",
            e,
            fl,
            r.acceptance.map_or("-".into(), |a| format!("{a:.3}")),
        );
    }
    println!("bias_M: √(δᵀΣ⁻¹δ) of the mean, noise removed (√(max(T² − d, 0)·SE²/sd²), 0 if T² ≤ d), in posterior sds");
    println!(
        "(Laplace start itself: max |z| of its mean {:.1}, of its sd {:.1}, at {CHAINS} chains' SE)",
        laplace_vs_nuts.0, laplace_vs_nuts.1
    );

    // ULA's bias, in posterior sds and relative sd.
    let ula = &by("ula").summary;
    let ula_mean_bias: Vec<f64> = (0..d).map(|k| (ula.mean[k] - nuts.mean[k]) / nuts.sd[k]).collect();
    let ula_sd_bias: Vec<f64> = (0..d).map(|k| ula.sd[k] / nuts.sd[k] - 1.0).collect();
    let mala_sd_bias: Vec<f64> = (0..d).map(|k| by("mala").summary.sd[k] / nuts.sd[k] - 1.0).collect();
    let mean_of = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "ULA at MALA's h: mean bias max {:.4} posterior sd; sd bias max {:+.4}, average {:+.4} (MALA: average {:+.4}); \
         covariance error {:.4} (MALA {:.4})",
        Agreement::max_abs(&ula_mean_bias),
        ula_sd_bias
            .iter()
            .fold(0.0f64, |a, v| if v.abs() > a.abs() { *v } else { a }),
        mean_of(&ula_sd_bias),
        mean_of(&mala_sd_bias),
        rel_frobenius(&ula.cov, &nuts.cov),
        rel_frobenius(&by("mala").summary.cov, &nuts.cov),
    );

    // Samplers against one another, and step halving.
    let pairs = [
        ("ulmc", "rm-ulmc"),
        ("ulmc", "mala"),
        ("rm-ulmc", "mala"),
        ("ulmc", "ulmc-h/2"),
        ("ulmc", "ulmc-4h"),
        ("rm-ulmc", "rm-ulmc-h/2"),
        ("rm-ulmc", "rm-ulmc-2h"),
        ("ula", "mala"),
    ];
    println!("\nsampler against sampler:");
    let mut pair_json = Vec::new();
    for (a, b) in pairs {
        let ag = Agreement::between(&by(a).summary, &by(b).summary, &nuts.sd, &nuts.corr);
        let cov = rel_frobenius(&by(a).summary.cov, &by(b).summary.cov);
        println!(
            "  {a:>8} vs {b:<12} mean: max|z| {:.2}, Σz² {:.1}, T² {:.1} (p {:.3}, bias_M {:.3});  sd: max|z| {:.2}, Σz² {:.1}, T² {:.1} (p {:.3});  cov {:.4}",
            Agreement::max_abs(&ag.z_mean),
            Agreement::sum_sq(&ag.z_mean),
            ag.t2.0,
            Agreement::p_value(ag.t2.0, d),
            ag.bias_mahalanobis(),
            Agreement::max_abs(&ag.z_sd),
            Agreement::sum_sq(&ag.z_sd),
            ag.t2.1,
            Agreement::p_value(ag.t2.1, d),
            cov
        );
        pair_json.push(format!(
            "{{\"a\": \"{a}\", \"b\": \"{b}\", \"cov_rel_frobenius\": {cov}, \"agreement\": {}}}",
            ag.json()
        ));
    }

    let wall = t_all.elapsed().as_secs_f64();
    println!("\ntotal wall time {wall:.1} s");

    // JSON.
    let mut js = String::new();
    let w = &mut js;
    writeln!(w, "{{").unwrap();
    writeln!(
        w,
        " \"description\": \"ULMC, RM-ULMC, MALA (and ULA) on Logistic::breast_cancer(1.0) against the NumPyro NUTS \
         reference and one another; independent chains from Laplace draws; made by examples/logistic_compare.rs\","
    )
    .unwrap();
    writeln!(w, " \"potential\": \"{}\",", f.describe()).unwrap();
    writeln!(
        w,
        " \"reference\": \"paper-notes/reference/logistic_breast_cancer_nuts.json\","
    )
    .unwrap();
    writeln!(
        w,
        " \"constants\": {{\"d\": {d}, \"m\": {m}, \"L\": {l}, \"hessian_map_eig_min\": {}, \"hessian_map_eig_max\": {}, \
         \"hessian_draws_eig_max_median\": {lam_med}, \"hessian_draws_eig_max_max\": {lam_max}}},",
        laplace.eig.0, laplace.eig.1
    )
    .unwrap();
    writeln!(
        w,
        " \"settings\": {{\"gamma\": {GAMMA}, \"t_kinetic\": {T_KINETIC}, \"t_mala\": {T_MALA}, \"h_ulmc\": {H_ULMC}, \
         \"h_rm_ulmc\": {H_RM}, \"h_mala\": {h_mala}, \"chains\": {CHAINS}, \"check_chains\": {CHECK_CHAINS}, \
         \"seed\": {SEED}, \"start\": \"per chain, a draw of N(MAP, H(MAP)^-1) from the chain's stream\", \
         \"nuts_sd_effective_draws\": {NUTS_SD_DRAWS}, \"threads\": {}}},",
        rayon::current_num_threads()
    )
    .unwrap();
    writeln!(
        w,
        " \"se\": \"mean: sd/sqrt(n); sd: sd*sqrt((kurtosis-1)/(4n)); NUTS mean: mcse_mean; NUTS sd: the same \
         formula with the compared run's kurtosis and nuts_sd_effective_draws; z = diff/sqrt(SE^2 + SE_ref^2); \
         t2 = z^T R^-1 z (R posterior correlation; R*R elementwise for sds), chi^2_d under agreement\","
    )
    .unwrap();
    writeln!(
        w,
        " \"nuts\": {{\"mean\": {}, \"sd\": {}}},",
        arr(&nuts.mean),
        arr(&nuts.sd)
    )
    .unwrap();
    writeln!(
        w,
        " \"laplace_start\": {{\"mean\": {}, \"sd\": {}, \"max_abs_z_mean_at_chains\": {}, \"max_abs_z_sd_at_chains\": {}}},",
        arr(&laplace.map),
        arr(&laplace_sd),
        laplace_vs_nuts.0,
        laplace_vs_nuts.1
    )
    .unwrap();
    writeln!(w, " \"runs\": [").unwrap();
    for (i, ((r, a), (e, fl))) in runs.iter().zip(&vs_nuts).zip(&cov_err).enumerate() {
        let s = &r.summary;
        writeln!(
            w,
            "  {{\"label\": \"{}\", \"role\": \"{}\", \"name\": \"{}\", \"h\": {}, \"steps\": {}, \"duration\": {}, \
             \"chains\": {}, \"seed\": {}, \"grads_per_chain\": {}, \"acceptance\": {}, \"wall_s\": {},\n   \
             \"mean\": {},\n   \"sd\": {},\n   \"se_mean\": {},\n   \"se_sd\": {},\n   \"kurtosis\": {},\n   \
             \"cov_rel_frobenius_vs_nuts\": {e}, \"cov_rel_frobenius_noise_floor\": {fl},\n   \"vs_nuts\": {}}}{}",
            r.label,
            r.role,
            r.name,
            r.h,
            r.steps,
            r.duration,
            r.chains,
            r.seed,
            r.grads_per_chain,
            r.acceptance.map_or("null".into(), |a| format!("{a}")),
            r.wall_s,
            arr(&s.mean),
            arr(&s.sd),
            arr(&s.se_mean()),
            arr(&s.se_sd()),
            arr(&s.kurt),
            a.json(),
            if i + 1 < runs.len() { "," } else { "" }
        )
        .unwrap();
    }
    writeln!(w, " ],").unwrap();
    writeln!(
        w,
        " \"ula_bias\": {{\"h\": {h_mala}, \"mean_bias_in_sd\": {}, \"sd_rel_bias\": {}}},",
        arr(&ula_mean_bias),
        arr(&ula_sd_bias)
    )
    .unwrap();
    writeln!(w, " \"pairs\": [\n  {}\n ],", pair_json.join(",\n  ")).unwrap();
    writeln!(
        w,
        " \"wall_s\": {wall}, \"loadavg_start\": \"{load_start}\", \"loadavg_end\": \"{}\"",
        loadavg()
    )
    .unwrap();
    writeln!(w, "}}").unwrap();
    let path = std::path::Path::new(OUTPUT);
    std::fs::create_dir_all(path.parent().expect("parent")).map_err(|e| Error::InvalidConfig {
        reason: format!("cannot create {}: {e}", path.display()),
    })?;
    std::fs::write(path, js).map_err(|e| Error::InvalidConfig {
        reason: format!("cannot write {}: {e}", path.display()),
    })?;
    println!("wrote {OUTPUT}");
    Ok(())
}
