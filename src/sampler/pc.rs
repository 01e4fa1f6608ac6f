//! The predictor–corrector loop, the paper's Algorithm 3 (SequentialAlgorithm; paper.md §2.3).
//!
//! ```text
//! x ~ start law at t_0 = T
//! for each predictor step n (grid t_0 > t_1 > … > t_N = δ):
//!     x ← PredictorStep(x, t_n, h_n)                          (ei or rm)
//!     if step n ends a chunk of length Δ, or n = N − 1:
//!         x ← CorrectorStep(x, target q_{t_{n+1}}, T_c, h_c)    (fresh v ~ N(0, I))
//! return x  ≈ q_δ
//! ```
//! A corrector runs whenever the predictor reaches or crosses a chunk boundary `T − kΔ`, and once
//! more at `δ` (the final stretch ends with a corrector). The schedule is either fully set by the
//! user ([`PcSchedule::user`]) or derived from `(d, L, ε)` ([`PcSchedule::paper`]).

use super::corrector::{Corrector, CorrectorKind};
use super::predictor::OdeKind;
use super::{Sampler, Stage, Staged, run_stages};
use crate::error::{Error, Result, check_positive};
use crate::grid::TimeGrid;
use crate::rng::SampleRng;
use crate::target::Score;

/// When to correct along a predictor grid, and with what corrector.
#[derive(Debug, Clone)]
pub struct PcSchedule {
    /// Predictor grid from `T` to `δ`.
    pub grid: TimeGrid,
    /// `correct_after[n]`: run the corrector after predictor step `n` (at time `t_{n+1}`).
    pub correct_after: Vec<bool>,
    /// The corrector run at each correction point.
    pub corrector: Corrector,
}

/// Multipliers of the reconstructed paper schedule (all 1 by default). They scale the formulas
/// of [`PcSchedule::paper`]; the d-, L- and ε-exponents are fixed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperConstants {
    /// Multiplies the predictor step `h_pred`.
    pub pred_step: f64,
    /// Multiplies the chunk length `Δ = 1/L`.
    pub chunk: f64,
    /// Multiplies the corrector duration `T_c`.
    pub corr_time: f64,
    /// Multiplies the corrector step `h_c`.
    pub corr_step: f64,
    /// Multiplies the friction `γ = √L`.
    pub gamma: f64,
}

impl Default for PaperConstants {
    fn default() -> Self {
        PaperConstants {
            pred_step: 1.0,
            chunk: 1.0,
            corr_time: 1.0,
            corr_step: 1.0,
            gamma: 1.0,
        }
    }
}

/// The hyper-parameters a paper schedule resolves to, for reporting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PaperParams {
    /// Predictor step `h_pred` (uniform part of the grid).
    pub h_pred: f64,
    /// Chunk length `Δ`.
    pub chunk: f64,
    /// Friction `γ`.
    pub gamma: f64,
    /// Corrector duration `T_c`.
    pub t_corr: f64,
    /// Corrector step `h_c`.
    pub h_corr: f64,
}

impl PaperParams {
    /// **Reconstructed, unverified** hyper-parameters as functions of `(d, L, ε)` (paper.md §2.3,
    /// §6.2). They reproduce the claimed totals, not the paper's constants (which were not
    /// recovered):
    /// ```text
    /// Δ = 1/L,  γ = √L
    /// rm (GCC24, total Õ(L^{5/3} d^{5/12}/ε)):
    ///     h_pred = ε / (L^{5/3} d^{5/12}),  T_c = d^{−1/18}/√L,  h_c = T_c ε / (L^{2/3} d^{5/12})
    ///     (so h_c ∝ d^{−17/36} and T_c/h_c ∝ d^{5/12}, the scalings the reviews report)
    /// ei (CCL+23a, total Õ(L² √d/ε)):
    ///     h_pred = ε / (L² √d),  T_c = 1/√L,  h_c = T_c ε / (L √d)
    /// ```
    /// Each quantity is then multiplied by its [`PaperConstants`] factor; `h_pred` is capped at Δ.
    ///
    /// # Errors
    /// `dim == 0`, or `lipschitz`/`eps` not positive and finite.
    pub fn reconstruct(predictor: OdeKind, dim: usize, lipschitz: f64, eps: f64, c: PaperConstants) -> Result<Self> {
        crate::error::check_dim(dim)?;
        let l = check_positive("lipschitz", lipschitz)?;
        let eps = check_positive("eps", eps)?;
        let d = dim as f64;
        let chunk = c.chunk / l;
        let gamma = c.gamma * l.sqrt();
        let (h_pred, t_corr, per_chunk) = match predictor {
            OdeKind::Rm | OdeKind::RmPar { .. } => (
                eps / (l.powf(5.0 / 3.0) * d.powf(5.0 / 12.0)),
                d.powf(-1.0 / 18.0) / l.sqrt(),
                l.powf(2.0 / 3.0) * d.powf(5.0 / 12.0) / eps,
            ),
            OdeKind::Ei => (eps / (l * l * d.sqrt()), 1.0 / l.sqrt(), l * d.sqrt() / eps),
        };
        let t_corr = c.corr_time * t_corr;
        Ok(PaperParams {
            h_pred: (c.pred_step * h_pred).min(chunk),
            chunk,
            gamma,
            t_corr,
            h_corr: c.corr_step * t_corr / per_chunk,
        })
    }
}

impl PcSchedule {
    /// Corrects after every step that reaches or crosses a chunk boundary `t_0 − kΔ` (k ≥ 1) and
    /// after the last step.
    ///
    /// # Errors
    /// `chunk` not positive and finite.
    pub fn user(grid: TimeGrid, chunk: f64, corrector: Corrector) -> Result<Self> {
        check_positive("chunk", chunk)?;
        let t0 = grid.t_max();
        let block = |t: f64| ((t0 - t) / chunk * (1.0 + 1e-12)).floor() as i64;
        let times = grid.times();
        let mut correct_after: Vec<bool> = times.windows(2).map(|w| block(w[1]) > block(w[0])).collect();
        *correct_after.last_mut().expect("a grid has at least one step") = true;
        Ok(PcSchedule {
            grid,
            correct_after,
            corrector,
        })
    }

    /// Corrects after the steps whose indices are listed (and nowhere else).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if an index is not a step of the grid.
    pub fn at_steps(grid: TimeGrid, steps: &[usize], corrector: Corrector) -> Result<Self> {
        let mut correct_after = vec![false; grid.steps()];
        for &s in steps {
            let slot = correct_after.get_mut(s).ok_or_else(|| Error::InvalidConfig {
                reason: format!("corrector step index {s} outside 0..{}", grid.steps()),
            })?;
            *slot = true;
        }
        Ok(PcSchedule {
            grid,
            correct_after,
            corrector,
        })
    }

    /// The paper schedule from resolved hyper-parameters (see [`PaperParams::reconstruct`]):
    /// uniform predictor steps `h_pred` with the geometric tail toward `δ`
    /// ([`TimeGrid::geometric_tail`]), a corrector of kind `corrector` (friction γ, step `h_c`,
    /// duration `T_c`) at every chunk boundary and at `δ`.
    ///
    /// # Errors
    /// As [`TimeGrid::geometric_tail`] and [`Corrector::new`].
    pub fn paper(p: &PaperParams, corrector: CorrectorKind, t_max: f64, t_min: f64) -> Result<Self> {
        let grid = TimeGrid::geometric_tail(t_max, t_min, p.h_pred)?;
        let corr = Corrector::new(corrector, p.gamma, p.h_corr, p.t_corr)?;
        PcSchedule::user(grid, p.chunk, corr)
    }

    /// Number of corrector calls per trajectory.
    pub fn corrections(&self) -> usize {
        self.correct_after.iter().filter(|&&c| c).count()
    }
}

/// Algorithm 3: a predictor over [`PcSchedule::grid`] with correctors where the schedule says.
#[derive(Debug, Clone)]
pub struct PredictorCorrector {
    /// The predictor.
    pub predictor: OdeKind,
    /// Grid, correction points and corrector.
    pub schedule: PcSchedule,
}

impl PredictorCorrector {
    /// Score evaluations per trajectory: `Σ_n nfe(predictor) + (#corrections)·nfe(corrector)`.
    pub fn nfe(&self) -> u64 {
        super::stages_nfe(&self.stages())
    }
}

impl Sampler for PredictorCorrector {
    fn name(&self) -> String {
        format!("{}+{}", self.predictor.name(), self.schedule.corrector.kind.name())
    }
    fn t_start(&self) -> f64 {
        self.schedule.grid.t_max()
    }
    fn t_end(&self) -> f64 {
        self.schedule.grid.t_min()
    }
    /// Randomness, in order: for each step, the predictor's draws (rm: one α), then, if a
    /// correction follows, the corrector's draws ([`Corrector::run`]).
    fn run(&self, score: &dyn Score, x: &mut [f64], rng: &mut SampleRng) -> u64 {
        run_stages(&self.stages(), score, x, rng)
    }
    fn locate_non_finite(&self, score: &dyn Score, x: &mut [f64], rng: &mut SampleRng) -> Option<String> {
        super::locate_non_finite(&self.stages(), score, x, rng)
    }
    fn check_dim(&self, dim: usize) -> crate::Result<()> {
        self.predictor.check_dim(dim)?;
        self.schedule.corrector.kind.check_dim(dim)
    }
}

impl Staged for PredictorCorrector {
    /// Predictor steps on the grid; after step `n`, a corrector at `t_{n+1}` if `correct_after[n]`.
    fn stages(&self) -> Vec<Stage<'_>> {
        let mut out = Vec::with_capacity(self.schedule.grid.steps() + self.schedule.corrections());
        for (w, &correct) in self.schedule.grid.times().windows(2).zip(&self.schedule.correct_after) {
            out.push(Stage::Ode {
                kind: self.predictor,
                t: w[0],
                h: w[0] - w[1],
            });
            if correct {
                out.push(Stage::Correct {
                    t: w[1],
                    corrector: &self.schedule.corrector,
                });
            }
        }
        out
    }
}
