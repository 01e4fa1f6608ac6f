//! The underdamped-Langevin corrector (paper.md §2.2, Algorithm 2 / 5): at a frozen forward time
//! `t` it runs ULD targeting `q_t ⊗ N(0, I)` for a duration `T_c`, from the given `x` and a
//! **fresh** velocity `V₀ ~ N(0, I)` at every call, and returns `X` (the velocity is discarded).
//! ```text
//! dX = V dτ,   dV = −γ V dτ + s_t(X) dτ + √(2γ) dB,   X₀ = x,  V₀ ~ N(0, I)
//! ```
//! Discretizations: [`CorrectorKind::Ulmc`] ([`super::ulmc::ulmc_step`], 1 NFE per step) and
//! [`CorrectorKind::RmUlmc`] ([`super::rm_ulmc::rm_ulmc_step`], 2 NFE per step). With a
//! potential instead of a score, pass `s = −∇f`; the same steps serve.

use super::rm_ulmc::{RmUlmcWork, rm_ulmc_step};
use super::ulmc::{UlmcCoeffs, ulmc_step};
use crate::error::{Result, check_positive};
use crate::rng::{SampleRng, fill_normal, uniform01};
use crate::target::Score;

/// Which discretization of underdamped Langevin the corrector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectorKind {
    /// Exponential-integrator ULMC (Cheng et al.), 1 NFE per step.
    Ulmc,
    /// Shen–Lee randomized-midpoint ULMC, 2 NFE per step.
    RmUlmc,
}

impl CorrectorKind {
    /// Score evaluations per step: 1 (`Ulmc`) or 2 (`RmUlmc`).
    pub fn nfe_per_step(self) -> u64 {
        match self {
            CorrectorKind::Ulmc => 1,
            CorrectorKind::RmUlmc => 2,
        }
    }

    /// The CLI name, `"ulmc"` or `"rm-ulmc"`.
    pub fn name(self) -> &'static str {
        match self {
            CorrectorKind::Ulmc => "ulmc",
            CorrectorKind::RmUlmc => "rm-ulmc",
        }
    }
}

/// An underdamped-Langevin corrector run: `steps` steps of size `h` (duration `steps·h`).
#[derive(Debug, Clone)]
pub struct Corrector {
    /// Discretization.
    pub kind: CorrectorKind,
    /// Friction γ.
    pub gamma: f64,
    /// Effective step size (`duration / steps`, see [`Corrector::new`]).
    pub h: f64,
    /// Number of steps.
    pub steps: usize,
}

/// Scratch buffers for [`Corrector::run_with`] (velocity, score, midpoint, three noise vectors).
#[derive(Debug, Clone)]
pub struct CorrectorWork {
    /// Velocity `V`.
    pub v: Vec<f64>,
    /// Score and midpoint buffers.
    pub step: RmUlmcWork,
    /// Noise vectors (`z_x, z_v` for ULMC use the first two).
    pub z: [Vec<f64>; 3],
}

impl CorrectorWork {
    /// Buffers for dimension `d`.
    pub fn new(d: usize) -> Self {
        CorrectorWork {
            v: vec![0.0; d],
            step: RmUlmcWork::new(d),
            z: [vec![0.0; d], vec![0.0; d], vec![0.0; d]],
        }
    }
}

impl Corrector {
    /// A corrector of total duration `T_c = duration` with nominal step `h`:
    /// ```text
    /// steps = max(1, round(duration / h)),   effective h = duration / steps
    /// ```
    /// so the run lasts exactly `duration`. The effective step never exceeds `1.5·h`; it lies in
    /// `[h/2, 1.5h)` when `duration ≥ h/2`, equals `h` when `duration/h` is an integer, and is the
    /// whole `duration` (one step) when `duration < 1.5h`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] unless `gamma`, `h` and `duration` are positive and
    /// finite.
    pub fn new(kind: CorrectorKind, gamma: f64, h: f64, duration: f64) -> Result<Self> {
        check_positive("gamma", gamma)?;
        check_positive("h", h)?;
        check_positive("duration", duration)?;
        let steps = (duration / h).round().clamp(1.0, usize::MAX as f64) as usize;
        Ok(Corrector {
            kind,
            gamma,
            h: duration / steps as f64,
            steps,
        })
    }

    /// Total simulated time `steps · h`.
    pub fn duration(&self) -> f64 {
        self.steps as f64 * self.h
    }

    /// `"ulmc"` or `"rm-ulmc"`.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// Score evaluations per call: `steps × (1 for Ulmc, 2 for RmUlmc)`.
    pub fn nfe(&self) -> u64 {
        self.steps as u64 * self.kind.nfe_per_step()
    }

    /// Runs the corrector at frozen forward time `t`, in place on `x`; returns the NFE
    /// (= [`Corrector::nfe`]). Allocates one [`CorrectorWork`]; see [`Corrector::run_with`].
    pub fn run<S: Score + ?Sized>(&self, score: &S, t: f64, x: &mut [f64], rng: &mut SampleRng) -> u64 {
        let mut work = CorrectorWork::new(x.len());
        self.run_with(score, t, x, rng, &mut work)
    }

    /// [`Corrector::run`] with caller-owned buffers (length `x.len()`).
    ///
    /// Randomness, in this order: the fresh velocity `V₀ ~ N(0, I)` (`d` normals); then per
    /// step, `Ulmc`: `z_x` then `z_v` (`d` normals each); `RmUlmc`: `α = uniform01`, then
    /// `z₁, z₂, z₃` (`d` normals each).
    ///
    /// Never panics; if the public fields were set to invalid values after construction the
    /// output is non-finite rather than an error.
    pub fn run_with<S: Score + ?Sized>(
        &self,
        score: &S,
        t: f64,
        x: &mut [f64],
        rng: &mut SampleRng,
        work: &mut CorrectorWork,
    ) -> u64 {
        fill_normal(rng, &mut work.v);
        match self.kind {
            CorrectorKind::Ulmc => self.run_ulmc(score, t, x, rng, work),
            CorrectorKind::RmUlmc => self.run_rm(score, t, x, rng, work),
        }
        self.nfe()
    }

    fn run_ulmc<S: Score + ?Sized>(
        &self,
        score: &S,
        t: f64,
        x: &mut [f64],
        rng: &mut SampleRng,
        w: &mut CorrectorWork,
    ) {
        let coeffs = UlmcCoeffs::compute(self.gamma, self.h);
        let [zx, zv, _] = &mut w.z;
        for _ in 0..self.steps {
            fill_normal(rng, zx);
            fill_normal(rng, zv);
            ulmc_step(score, t, &coeffs, x, &mut w.v, zx, zv, &mut w.step.g);
        }
    }

    fn run_rm<S: Score + ?Sized>(&self, score: &S, t: f64, x: &mut [f64], rng: &mut SampleRng, w: &mut CorrectorWork) {
        let [z1, z2, z3] = &mut w.z;
        for _ in 0..self.steps {
            let alpha = uniform01(rng);
            fill_normal(rng, z1);
            fill_normal(rng, z2);
            fill_normal(rng, z3);
            rm_ulmc_step(
                score,
                t,
                self.gamma,
                self.h,
                alpha,
                z1,
                z2,
                z3,
                x,
                &mut w.v,
                &mut w.step,
            );
        }
    }
}
