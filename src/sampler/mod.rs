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

use crate::rng::SampleRng;
use crate::target::Score;

pub mod corrector;
pub mod pc;
pub mod predictor;
pub mod rm_ulmc;
pub mod ulmc;

pub use corrector::{Corrector, CorrectorKind, CorrectorWork};
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
}
