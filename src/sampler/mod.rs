//! Samplers: pure step functions that receive all their randomness as arguments, plus thin
//! drivers that walk a time grid and draw that randomness from the sample's own stream.
//!
//! Diffusion side (reverse time, forward time `t` decreasing from `T` to `δ`):
//! * [`predictor`]: exponential integrator (`ei`, CCL+23a), randomized midpoint (`rm`,
//!   Algorithm 1 of the paper), reverse-SDE exponential integrator (`sde`).
//! * [`ulmc`], [`rm_ulmc`], [`corrector`]: underdamped-Langevin correctors targeting `q_t` at a
//!   frozen `t` (exponential-integrator ULMC, paper.md §2.2; Shen–Lee randomized-midpoint ULMC,
//!   anchors-theory.md §1.5.1).
//! * [`pc`]: the predictor–corrector loop of Algorithm 3.
//!
//! A user algorithm implements [`Sampler`] and then runs through the same drivers and
//! instruments as the built-in ones.

use crate::parallel::{PicardTrace, Rounds};
use crate::rng::{SampleRng, fill_normal};
use crate::target::Score;

pub mod corrector;
pub mod pc;
pub mod predictor;
pub mod rm_ulmc;
pub mod ulmc;

pub use corrector::{Corrector, CorrectorKind, CorrectorWork};
pub use pc::PaperParams;
pub use pc::{PcSchedule, PredictorCorrector};
pub use predictor::{Ode, OdeKind, ReverseSde};

/// A diffusion sampler: transports one point from forward time [`Sampler::t_start`] (a draw
/// of the start law, e.g. `N(0, I)` or the exact `q_T`) to [`Sampler::t_end`] (`δ`).
///
/// Implementations must take **all** randomness from `rng`, in a fixed documented order, so
/// that a sample depends only on `(seed, index)` (the driver gives each sample its own stream).
pub trait Sampler: Sync {
    /// Name, e.g. `"rm+ulmc"`.
    fn name(&self) -> String;
    /// Forward time at which the trajectory starts (`T`).
    fn t_start(&self) -> f64;
    /// Forward time at which the trajectory ends (`δ`).
    fn t_end(&self) -> f64;
    /// Runs one trajectory in place on `x` (length `score.dim()`) and returns the number of
    /// score evaluations (NFE) it made.
    fn run(&self, score: &dyn Score, x: &mut [f64], rng: &mut SampleRng) -> u64;

    /// Replays one trajectory like [`Sampler::run`] (same start `x`, same stream) and describes
    /// the first step after which `x` is not finite (step index, kind, forward time), or `None`
    /// if it stays finite or the sampler cannot tell. The drivers call it only for a sample whose
    /// output is not finite, so it costs nothing otherwise. Built-in samplers answer through
    /// [`locate_non_finite`].
    fn locate_non_finite(&self, _score: &dyn Score, _x: &mut [f64], _rng: &mut SampleRng) -> Option<String> {
        None
    }

    /// Checks that one trajectory's buffers at dimension `dim` stay within
    /// [`crate::error::MAX_LEN`] doubles each (a parallel sampler holds `width × dim` node rows
    /// and noise rows). The drivers call it before allocating, so an absurd width at a large
    /// dimension is an error instead of an out-of-memory abort. Default: nothing to check.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the buffer that would be too large.
    fn check_dim(&self, _dim: usize) -> crate::Result<()> {
        Ok(())
    }
}

/// `rows × dim ≤` [`crate::error::MAX_LEN`] for a buffer of `rows` length-`dim` rows.
pub(crate) fn check_rows(name: &'static str, rows: usize, dim: usize) -> crate::Result<()> {
    crate::error::check_count(name, rows.checked_mul(dim)).map(|_| ())
}

/// The first of `stages` after which `x` holds a NaN or ±∞, replaying them one by one with the
/// randomness they draw from `rng` (the same draws as [`run_stages`]), described with its index,
/// kind and forward time.
pub fn locate_non_finite(
    stages: &[Stage<'_>],
    score: &dyn Score,
    x: &mut [f64],
    rng: &mut SampleRng,
) -> Option<String> {
    for (k, st) in stages.iter().enumerate() {
        run_stages(std::slice::from_ref(st), score, x, rng);
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            let what = match *st {
                Stage::Ode { kind, t, h } => format!("{} step from t = {t:.6} to t = {:.6}", kind.name(), t - h),
                Stage::Sde { t, h } => format!("sde step from t = {t:.6} to t = {:.6}", t - h),
                Stage::Correct { t, corrector } => format!(
                    "{} corrector call at t = {t:.6} ({} steps of {:.6})",
                    corrector.name(),
                    corrector.steps,
                    corrector.h
                ),
            };
            return Some(format!(
                "stage {} of {}: {what}; coordinate {i} = {}",
                k + 1,
                stages.len(),
                x[i]
            ));
        }
    }
    None
}

/// One stage of a sampler built from the step functions of this module. Samplers expose their
/// stage sequence ([`Staged`]) so that instruments (e.g. the semi-analytic TV estimator of
/// [`crate::tv::semi_analytic`]) walk exactly the schedule the sampler runs, with no second copy of
/// it.
#[derive(Debug, Clone, Copy)]
pub enum Stage<'a> {
    /// One PF-ODE predictor step from forward time `t` to `t − h`.
    Ode {
        /// EI or RM.
        kind: OdeKind,
        /// Start time.
        t: f64,
        /// Step length.
        h: f64,
    },
    /// One reverse-SDE exponential-integrator step from `t` to `t − h`.
    Sde {
        /// Start time.
        t: f64,
        /// Step length.
        h: f64,
    },
    /// One corrector call targeting `q_t` (fresh velocity, then its steps).
    Correct {
        /// Frozen forward time.
        t: f64,
        /// The corrector.
        corrector: &'a Corrector,
    },
}

/// A sampler made of [`Stage`]s, run in order.
pub trait Staged {
    /// The stages of one trajectory, in order.
    fn stages(&self) -> Vec<Stage<'_>>;
}

/// Score evaluations of one trajectory through `stages` (rm 2 per step, ei and sde 1, a corrector
/// [`Corrector::nfe`]).
pub fn stages_nfe(stages: &[Stage<'_>]) -> u64 {
    stages
        .iter()
        .map(|s| match *s {
            Stage::Ode { kind, .. } => kind.nfe_per_step(),
            Stage::Sde { .. } => 1,
            Stage::Correct { corrector, .. } => corrector.nfe(),
        })
        .sum()
}

/// Predictor (ODE or SDE) steps among `stages`.
pub fn stages_steps(stages: &[Stage<'_>]) -> usize {
    stages.iter().filter(|s| !matches!(s, Stage::Correct { .. })).count()
}

/// A sampler that also exposes its stages (every built-in one); instruments that need the stage
/// list take `&dyn StagedSampler`.
pub trait StagedSampler: Sampler + Staged {}

impl<T: Sampler + Staged> StagedSampler for T {}

/// Rounds, width and work of one trajectory through `stages` (tv-methodology §3.1): sequential
/// stages count one round per evaluation, parallel ones [`crate::parallel::Rounds::picard_step`]
/// per step.
pub fn stages_rounds(stages: &[Stage<'_>]) -> Rounds {
    stages.iter().fold(Rounds::default(), |acc, s| {
        acc.then(match *s {
            Stage::Ode { kind, .. } => kind.rounds_per_step(),
            Stage::Sde { .. } => Rounds::sequential(1),
            Stage::Correct { corrector, .. } => corrector.rounds(),
        })
    })
}

/// Runs `stages` on `x`, drawing each stage's randomness from `rng` in stage order (rm: one α;
/// rm-par: its R offsets; sde: `d` normals; corrector: see [`Corrector::run_with`]); returns the
/// NFE.
pub fn run_stages(stages: &[Stage<'_>], score: &dyn Score, x: &mut [f64], rng: &mut SampleRng) -> u64 {
    run_stages_traced(stages, score, x, rng, None)
}

/// [`run_stages`], recording the Picard residuals of every parallel step into `trace`.
pub fn run_stages_traced(
    stages: &[Stage<'_>],
    score: &dyn Score,
    x: &mut [f64],
    rng: &mut SampleRng,
    mut trace: Option<&mut PicardTrace>,
) -> u64 {
    let d = x.len();
    let mut ws = predictor::PredictorWork::new(d);
    let mut cw = CorrectorWork::new(d);
    let mut z = Vec::new();
    let mut nfe = 0;
    for stage in stages {
        nfe += match *stage {
            Stage::Ode { kind, t, h } => {
                let n = kind.step(score, t, h, x, &mut ws, rng);
                if let (Some(tr), OdeKind::RmPar { .. }) = (trace.as_deref_mut(), kind) {
                    tr.record(&ws.par.picard.residuals);
                }
                n
            }
            Stage::Sde { t, h } => {
                z.resize(d, 0.0);
                fill_normal(rng, &mut z);
                predictor::sde_step(score, t, h, &z, x, &mut ws);
                1
            }
            Stage::Correct { t, corrector } => corrector.run_traced(score, t, x, rng, &mut cw, trace.as_deref_mut()),
        };
    }
    nfe
}
