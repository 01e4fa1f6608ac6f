//! (being written) Underdamped-Langevin corrector driver.
use crate::error::Result;
use crate::rng::SampleRng;
use crate::target::Score;

/// Which discretization of underdamped Langevin the corrector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectorKind {
    /// Exponential-integrator ULMC (Cheng et al.), 1 NFE per step.
    Ulmc,
    /// Shen–Lee randomized-midpoint ULMC, 2 NFE per step.
    RmUlmc,
}

/// An underdamped-Langevin corrector run.
#[derive(Debug, Clone)]
pub struct Corrector {
    /// Discretization.
    pub kind: CorrectorKind,
    /// Friction γ.
    pub gamma: f64,
    /// Step size.
    pub h: f64,
    /// Number of steps.
    pub steps: usize,
}

impl Corrector {
    /// New corrector.
    pub fn new(kind: CorrectorKind, gamma: f64, h: f64, duration: f64) -> Result<Self> {
        let steps = ((duration / h).round() as usize).max(1);
        Ok(Corrector { kind, gamma, h: duration / steps as f64, steps })
    }
    /// NFE per call.
    pub fn nfe(&self) -> u64 {
        self.steps as u64 * if self.kind == CorrectorKind::Ulmc { 1 } else { 2 }
    }
    /// Runs the corrector at frozen `t`.
    pub fn run<S: Score + ?Sized>(&self, _score: &S, _t: f64, _x: &mut [f64], _rng: &mut SampleRng) -> u64 {
        unimplemented!("being written")
    }
}
