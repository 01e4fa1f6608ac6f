//! Log-concave samplers for `π ∝ e^{−f}` (claim C3, paper.md §2.7, §6.1): pure steps plus thin
//! drivers, with the RNG discipline of the diffusion samplers (one stream per sample index).
//!
//! | name | method | gradients / step | law-level order on Gaussians |
//! |---|---|---|---|
//! | `ula` | unadjusted Langevin, Euler–Maruyama ([`ula_step`]) | 1 | stationary bias O(h) |
//! | `mala` | Metropolis-adjusted Langevin ([`mala_step`]) | 1 | exact stationary law |
//! | `ulmc` | exponential-integrator underdamped Langevin (Cheng et al. 2018) | 1 | O(h) |
//! | `rm-ulmc` | Shen–Lee randomized midpoint (SL19 Alg. 1, general γ) | 2 | O(h³) |
//! | `gcc-lc` | RM-ULMC, then a short ULMC run with fresh velocity (GCC24 App. C) | — | — |
//!
//! The kinetic samplers are the diffusion corrector's steps ([`crate::sampler::ulmc`],
//! [`crate::sampler::rm_ulmc`]) applied to the time-independent score `−∇f`
//! ([`GradScore`]): they are [`Staged`] samplers made of [`Stage::Correct`] stages at `t = 0`,
//! so the semi-analytic TV estimator measures them on Gaussian potentials unchanged.
//!
//! Parametrisation: unit mass, friction γ, `dX = V dt, dV = −γV dt − ∇f(X) dt + √(2γ) dB`,
//! stationary law `π ⊗ N(0, I)`. Shen–Lee's form (`dv = −2v dt − u∇f dt + 2√u dB`, u = 1/L) is
//! the same process with `v = √u·V`, time `t_SL = √L·t`: γ = 2√L and step `h = h_SL/√L`.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::parallel::Rounds;
use crate::potential::{GradScore, Potential};
use crate::rng::{SampleRng, fill_normal, stream_rng};
use crate::sampler::{Corrector, CorrectorKind, Sampler, Stage, Staged, run_stages, stages_rounds};
use crate::target::Score;

pub mod mala;
pub mod ula;

pub use mala::{MalaState, mala_step};
pub use ula::ula_step;

/// What one trajectory of a log-concave sampler cost and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Gradient evaluations.
    pub grads: u64,
    /// Metropolis proposals (MALA; 0 otherwise).
    pub proposed: u64,
    /// Accepted proposals.
    pub accepted: u64,
}

/// A sampler for `π ∝ e^{−f}`: runs one trajectory in place on `x` with all randomness from `rng`.
pub trait LogConcaveSampler: Sync {
    /// Name, e.g. `"rm-ulmc(γ=2, h=0.1, N=50)"`.
    fn name(&self) -> String;
    /// Runs one trajectory from `x`.
    fn run_potential(&self, f: &dyn Potential, x: &mut [f64], rng: &mut SampleRng) -> RunStats;
    /// Rounds, width and work of one trajectory when known in advance (the kinetic samplers);
    /// `None` means sequential: one round per gradient.
    fn rounds(&self) -> Option<Rounds> {
        None
    }
    /// Replays one trajectory like [`LogConcaveSampler::run_potential`] and describes the first
    /// step after which `x` is not finite (see [`crate::sampler::Sampler::locate_non_finite`]);
    /// `None` if the sampler cannot tell.
    fn locate_non_finite(&self, _f: &dyn Potential, _x: &mut [f64], _rng: &mut SampleRng) -> Option<String> {
        None
    }
    /// As [`crate::sampler::Sampler::check_dim`]: the per-trajectory buffers at `dim` fit.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the buffer that would be too large.
    fn check_dim(&self, _dim: usize) -> Result<()> {
        Ok(())
    }
}

/// Where the chains start.
#[derive(Debug, Clone, PartialEq)]
pub enum LcStart {
    /// A given point.
    Point(Vec<f64>),
    /// `N(center, var·I)`.
    Gaussian {
        /// Mean.
        center: Vec<f64>,
        /// Variance per coordinate.
        var: f64,
    },
    /// `N(center, C Cᵀ)` with `C` lower triangular, row-major `d × d` (e.g. the Laplace
    /// approximation `N(x*, ∇²f(x*)^{−1})`: `C` the Cholesky factor of the inverse Hessian).
    Correlated {
        /// Mean.
        center: Vec<f64>,
        /// Row-major `d × d` factor `C` (only the lower triangle is read).
        factor: Vec<f64>,
    },
}

/// Samples with their cost.
#[derive(Debug, Clone)]
pub struct LcOutput {
    /// Row-major `n × dim`.
    pub samples: Vec<f64>,
    /// Number of samples.
    pub n: usize,
    /// Dimension.
    pub dim: usize,
    /// Totals over all samples.
    pub stats: RunStats,
}

impl LcOutput {
    /// Accepted / proposed (MALA), `None` without proposals.
    pub fn acceptance(&self) -> Option<f64> {
        (self.stats.proposed > 0).then(|| self.stats.accepted as f64 / self.stats.proposed as f64)
    }
}

/// Runs `n` independent chains in parallel: chain `i` draws its start and then everything its
/// sampler asks for from `stream_rng(seed, i)`, so the output depends only on `(seed, i)` and is
/// bitwise identical for any number of threads. Counters are summed in chain order.
///
/// # Errors
/// `n == 0` or `n · d > MAX_LEN` ([`crate::error::MAX_LEN`]), a start of the wrong length or
/// with a non-positive variance, or [`Error::NonFinite`] naming the first chain whose output is
/// not finite.
pub fn sample_potential(
    f: &dyn Potential,
    sampler: &dyn LogConcaveSampler,
    start: &LcStart,
    n: usize,
    seed: u64,
) -> Result<LcOutput> {
    let dim = f.dim();
    if n == 0 {
        return Err(Error::InvalidParameter {
            name: "n",
            value: 0.0,
            expected: "at least 1",
        });
    }
    crate::error::check_count("n × dim", n.checked_mul(dim))?;
    sampler.check_dim(dim)?;
    match start {
        LcStart::Point(p) => crate::error::check_len("start point", dim, p.len())?,
        LcStart::Gaussian { center, var } => {
            crate::error::check_len("start center", dim, center.len())?;
            crate::error::check_positive("start variance", *var)?;
        }
        LcStart::Correlated { center, factor } => {
            crate::error::check_len("start center", dim, center.len())?;
            let dd = crate::error::check_count("start factor (d × d)", dim.checked_mul(dim))?;
            crate::error::check_len("start factor (d × d)", dd, factor.len())?;
            for &c in factor {
                crate::error::check_finite("start factor", c)?;
            }
        }
    }
    let mut samples = vec![0.0; n * dim];
    let mut stats = vec![RunStats::default(); n];
    samples
        .par_chunks_mut(dim)
        .zip(stats.par_iter_mut())
        .enumerate()
        .for_each(|(i, (x, s))| {
            let mut rng = stream_rng(seed, i as u64);
            draw_start(start, &mut rng, x);
            *s = sampler.run_potential(f, x, &mut rng);
        });
    if let Some(i) = samples.chunks(dim).position(|x| x.iter().any(|v| !v.is_finite())) {
        // replay that chain (it depends only on (seed, i)) to find the first bad step
        let mut rng = stream_rng(seed, i as u64);
        let mut x = vec![0.0; dim];
        draw_start(start, &mut rng, &mut x);
        let at = sampler
            .locate_non_finite(f, &mut x, &mut rng)
            .map_or(format!("the end of {}", sampler.name()), |s| {
                format!("{}: {s}", sampler.name())
            });
        return Err(Error::NonFinite { sample: i, at });
    }
    let total = stats.iter().fold(RunStats::default(), |a, s| RunStats {
        grads: a.grads + s.grads,
        proposed: a.proposed + s.proposed,
        accepted: a.accepted + s.accepted,
    });
    Ok(LcOutput {
        samples,
        n,
        dim,
        stats: total,
    })
}

fn draw_start(start: &LcStart, rng: &mut SampleRng, x: &mut [f64]) {
    match start {
        LcStart::Point(p) => x.copy_from_slice(p),
        LcStart::Gaussian { center, var } => {
            fill_normal(rng, x);
            let s = var.sqrt();
            x.iter_mut().zip(center).for_each(|(xi, c)| *xi = c + s * *xi);
        }
        LcStart::Correlated { center, factor } => {
            let d = x.len();
            let mut z = vec![0.0; d];
            fill_normal(rng, &mut z);
            for (i, xi) in x.iter_mut().enumerate() {
                let row = &factor[i * d..i * d + i + 1];
                *xi = center[i] + row.iter().zip(&z).map(|(c, zj)| c * zj).sum::<f64>();
            }
        }
    }
}

/// Checks that the gradient and round counts of `runs` fit in `u64`, so that [`Kinetic::grads`]
/// and [`LogConcaveSampler::rounds`] cannot overflow (the widths and Picard counts themselves are
/// bounded by [`Corrector::new`]; the per-step costs are [`CorrectorKind::rounds_per_step`]).
fn check_cost(runs: &[Corrector]) -> Result<()> {
    let (mut grads, mut rounds) = (0u64, 0u64);
    for c in runs {
        let per = c.kind.rounds_per_step();
        let add = |acc: u64, per_step: u64, expected: &'static str| {
            per_step
                .checked_mul(c.steps as u64)
                .and_then(|x| x.checked_add(acc))
                .ok_or(Error::InvalidParameter {
                    name: "steps",
                    value: c.steps as f64,
                    expected,
                })
        };
        grads = add(grads, per.work, "such that the gradient count fits in 64 bits")?;
        rounds = add(rounds, per.rounds, "such that the round count fits in 64 bits")?;
    }
    Ok(())
}

/// Checks a step size and a step count.
fn check_steps(h: f64, steps: usize) -> Result<()> {
    crate::error::check_positive("h", h)?;
    if steps == 0 {
        return Err(Error::InvalidParameter {
            name: "steps",
            value: 0.0,
            expected: "at least 1",
        });
    }
    Ok(())
}

/// Unadjusted Langevin: `steps` steps of [`ula_step`] with step `h`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ula {
    h: f64,
    steps: usize,
}

impl Ula {
    /// # Errors
    /// `h` not positive and finite, or `steps == 0`.
    pub fn new(h: f64, steps: usize) -> Result<Self> {
        check_steps(h, steps)?;
        Ok(Ula { h, steps })
    }
}

impl Ula {
    /// The ULA chain from `x`; with `stop`, returns the index of the first step after which `x`
    /// is not finite (the replay of [`LogConcaveSampler::locate_non_finite`]).
    fn walk(&self, f: &dyn Potential, x: &mut [f64], rng: &mut SampleRng, stop: bool) -> Option<usize> {
        let d = x.len();
        let (mut z, mut g) = (vec![0.0; d], vec![0.0; d]);
        for k in 0..self.steps {
            fill_normal(rng, &mut z);
            ula_step(f, self.h, x, &z, &mut g);
            if stop && x.iter().any(|v| !v.is_finite()) {
                return Some(k);
            }
        }
        None
    }
}

impl LogConcaveSampler for Ula {
    fn name(&self) -> String {
        format!("ula(h={}, N={})", self.h, self.steps)
    }

    fn run_potential(&self, f: &dyn Potential, x: &mut [f64], rng: &mut SampleRng) -> RunStats {
        self.walk(f, x, rng, false);
        RunStats {
            grads: self.steps as u64,
            ..RunStats::default()
        }
    }

    fn locate_non_finite(&self, f: &dyn Potential, x: &mut [f64], rng: &mut SampleRng) -> Option<String> {
        let k = self.walk(f, x, rng, true)?;
        let i = x.iter().position(|v| !v.is_finite())?;
        Some(format!(
            "step {} of {} (h = {}); coordinate {i} = {}",
            k + 1,
            self.steps,
            self.h,
            x[i]
        ))
    }
}

/// Metropolis-adjusted Langevin: `steps` steps of [`mala_step`] with step `h`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mala {
    h: f64,
    steps: usize,
}

impl Mala {
    /// # Errors
    /// `h` not positive and finite, or `steps == 0`.
    pub fn new(h: f64, steps: usize) -> Result<Self> {
        check_steps(h, steps)?;
        Ok(Mala { h, steps })
    }
}

impl LogConcaveSampler for Mala {
    fn name(&self) -> String {
        format!("mala(h={}, N={})", self.h, self.steps)
    }

    /// Randomness per step: `d` normals for the proposal, then one uniform for the test.
    fn run_potential(&self, f: &dyn Potential, x: &mut [f64], rng: &mut SampleRng) -> RunStats {
        let mut state = MalaState::new(f, x);
        let mut accepted = 0;
        for _ in 0..self.steps {
            fill_normal(rng, &mut state.z);
            let u = crate::rng::uniform01(rng);
            accepted += u64::from(mala_step(f, self.h, x, u, &mut state));
        }
        RunStats {
            grads: 1 + self.steps as u64,
            proposed: self.steps as u64,
            accepted,
        }
    }
}

/// A kinetic Langevin sampler made of corrector runs at `t = 0` on the score `−∇f`: the first
/// run draws the velocity `V₀ ~ N(0, I)`, and every later run refreshes it (as in GCC24's
/// log-concave algorithm).
///
/// * [`Kinetic::ulmc`]: one exponential-integrator ULMC run (Cheng et al. 2018);
/// * [`Kinetic::rm_ulmc`]: one Shen–Lee randomized-midpoint run (SL19 Alg. 1, general γ);
/// * [`Kinetic::gcc_lc`]: RM-ULMC for `steps` steps of `h`, then ULMC with fresh velocity for
///   duration `t_c` with step `h_c` (paper.md §2.7; **reconstructed**: the paper's App. C
///   schedule was not available, so `t_c` and `h_c` are the caller's).
#[derive(Debug, Clone)]
pub struct Kinetic {
    name: String,
    runs: Vec<Corrector>,
}

impl Kinetic {
    /// ULMC with friction γ, `steps` steps of `h`.
    ///
    /// # Errors
    /// γ or `h` not positive and finite, `steps == 0`, `h · steps` not finite, or so many steps
    /// that the gradient count would not fit in `u64`.
    pub fn ulmc(gamma: f64, h: f64, steps: usize) -> Result<Self> {
        Self::single("ulmc", CorrectorKind::Ulmc, gamma, h, steps)
    }

    /// Shen–Lee RM-ULMC with friction γ, `steps` steps of `h` (2 gradients per step).
    ///
    /// ```
    /// use randmid::langevin::{sample_potential, Kinetic, LcStart};
    /// use randmid::potential::DiagGaussian;
    /// // π = N(0, I/2) in d = 3, chains from the mode; stationary variance bias is O(h³)
    /// let f = DiagGaussian::isotropic(3, 2.0).unwrap();
    /// let rm = Kinetic::rm_ulmc(2.0, 0.1, 100).unwrap();
    /// let out = sample_potential(&f, &rm, &LcStart::Point(vec![0.0; 3]), 4000, 1).unwrap();
    /// assert_eq!(out.stats.grads, 4000 * 200);
    /// let var = out.samples.iter().map(|x| x * x).sum::<f64>() / out.samples.len() as f64;
    /// // 12,000 draws of N(0, 1/2): standard error of the variance ≈ 0.5·√(2/12000) ≈ 0.0065
    /// assert!((var - 0.5).abs() < 4.0 * 0.0065);
    /// ```
    ///
    /// # Errors
    /// As [`Kinetic::ulmc`].
    pub fn rm_ulmc(gamma: f64, h: f64, steps: usize) -> Result<Self> {
        Self::single("rm-ulmc", CorrectorKind::RmUlmc, gamma, h, steps)
    }

    /// ACV24 parallel ULMC ([`crate::parallel::ulmc_par`]): `steps` coarse steps of `h`, each
    /// `cells` fine ULMC cells of `h/cells` solved by `picard` Picard rounds (`picard + 2` rounds of
    /// width `cells − 1` per coarse step; `picard ≥ cells − 2` is ULMC with step `h/cells`).
    ///
    /// # Errors
    /// As [`Kinetic::ulmc`], and `cells == 0`, or `cells` or `picard` above
    /// [`crate::error::MAX_LEN`].
    pub fn ulmc_par(gamma: f64, h: f64, steps: usize, cells: usize, picard: usize) -> Result<Self> {
        Self::single("ulmc-par", CorrectorKind::UlmcPar { cells, picard }, gamma, h, steps)
    }

    /// SL19 parallel randomized-midpoint ULMC ([`crate::parallel::rm_ulmc_par`]): `steps` steps
    /// of `h`, each with `nodes` stratified midpoints and `picard` Picard rounds.
    ///
    /// # Errors
    /// As [`Kinetic::ulmc`], and `nodes == 0`, or `nodes` or `picard` above
    /// [`crate::error::MAX_LEN`].
    pub fn rm_ulmc_par(gamma: f64, h: f64, steps: usize, nodes: usize, picard: usize) -> Result<Self> {
        Self::single(
            "rm-ulmc-par",
            CorrectorKind::RmUlmcPar { nodes, picard },
            gamma,
            h,
            steps,
        )
    }

    /// GCC24's log-concave TV algorithm (reconstructed): RM-ULMC (`steps` × `h`), then ULMC
    /// with fresh velocity for `t_c` with step `h_c`, both with friction γ.
    ///
    /// # Errors
    /// As [`Kinetic::ulmc`], and `t_c`, `h_c` not positive and finite or `t_c / h_c` above
    /// [`crate::error::MAX_LEN`].
    pub fn gcc_lc(gamma: f64, h: f64, steps: usize, h_c: f64, t_c: f64) -> Result<Self> {
        let mut k = Self::rm_ulmc(gamma, h, steps)?.then_ulmc(h_c, t_c)?;
        k.name = "gcc-lc".into();
        Ok(k)
    }

    /// This sampler followed by a ULMC run with fresh velocity for duration `t_c` with step
    /// `h_c` (same friction as the first run), named `"<name>+ulmc"`.
    ///
    /// # Errors
    /// `t_c` or `h_c` not positive and finite, or more than `MAX_LEN` ([`crate::error::MAX_LEN`])
    /// steps (`t_c / h_c` too large: a run that would never finish).
    pub fn then_ulmc(mut self, h_c: f64, t_c: f64) -> Result<Self> {
        let gamma = self.runs[0].gamma;
        let run = Corrector::new(CorrectorKind::Ulmc, gamma, h_c, t_c)?;
        crate::error::check_count("t_c / h_c (corrector steps)", Some(run.steps))?;
        self.runs.push(run);
        check_cost(&self.runs)?;
        self.name = format!("{}+ulmc", self.name);
        Ok(self)
    }

    fn single(name: &'static str, kind: CorrectorKind, gamma: f64, h: f64, steps: usize) -> Result<Self> {
        check_steps(h, steps)?;
        let c = Corrector::new(kind, gamma, h, h * steps as f64)?;
        let runs = vec![c];
        check_cost(&runs)?;
        Ok(Kinetic {
            name: name.into(),
            runs,
        })
    }

    /// The corrector runs, in order.
    pub fn runs(&self) -> &[Corrector] {
        &self.runs
    }

    /// Gradient evaluations of one trajectory.
    pub fn grads(&self) -> u64 {
        self.runs.iter().map(Corrector::nfe).sum()
    }
}

impl Staged for Kinetic {
    fn stages(&self) -> Vec<Stage<'_>> {
        self.runs
            .iter()
            .map(|c| Stage::Correct { t: 0.0, corrector: c })
            .collect()
    }
}

/// As a [`Sampler`] on a score field (time frozen at 0): lets the diffusion instruments (the
/// semi-analytic TV on Gaussian targets at `t = 0`) run the kinetic samplers.
impl Sampler for Kinetic {
    fn name(&self) -> String {
        let parts: Vec<String> = self
            .runs
            .iter()
            .map(|c| format!("{}(γ={}, h={:.4}, N={})", c.name(), c.gamma, c.h, c.steps))
            .collect();
        format!("{}[{}]", self.name, parts.join(" → "))
    }
    fn t_start(&self) -> f64 {
        0.0
    }
    fn t_end(&self) -> f64 {
        0.0
    }
    fn run(&self, score: &dyn Score, x: &mut [f64], rng: &mut SampleRng) -> u64 {
        run_stages(&self.stages(), score, x, rng)
    }
    fn check_dim(&self, dim: usize) -> Result<()> {
        self.runs.iter().try_for_each(|c| c.kind.check_dim(dim))
    }
}

impl LogConcaveSampler for Kinetic {
    fn name(&self) -> String {
        Sampler::name(self)
    }

    fn check_dim(&self, dim: usize) -> Result<()> {
        Sampler::check_dim(self, dim)
    }

    fn rounds(&self) -> Option<Rounds> {
        Some(stages_rounds(&self.stages()))
    }

    fn locate_non_finite(&self, f: &dyn Potential, x: &mut [f64], rng: &mut SampleRng) -> Option<String> {
        crate::sampler::locate_non_finite(&self.stages(), &GradScore(f), x, rng)
    }

    fn run_potential(&self, f: &dyn Potential, x: &mut [f64], rng: &mut SampleRng) -> RunStats {
        RunStats {
            grads: self.run(&GradScore(f), x, rng),
            ..RunStats::default()
        }
    }
}
