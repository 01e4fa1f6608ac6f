//! Parallel samplers and round accounting (paper.md §2.4–2.6, §6.1.2, §6.3, §6.4;
//! tv-methodology.md §3).
//!
//! A **round** is one batch of score evaluations at points that do not depend on each other's
//! results; the round count is the depth of the DAG of score calls ("adaptive complexity"). Every
//! run records three numbers ([`Rounds`]): `rounds` (depth), `width` (largest batch in one round,
//! per sample) and `work` (total evaluations). A sequential sampler has `rounds = work` and
//! `width = 1`.
//!
//! The parallel samplers of this module share one engine ([`picard`]): within a step of length
//! `h`, the trajectory at `R` nodes solves a **strictly causal** fixed-point system — node `i`
//! depends on the anchor score `g₀ = s(x)` and the node scores `g_j`, `j < i` only:
//! ```text
//! round 0        g₀ = s_t(x)                                   (width 1)
//! guess          y⁽⁰⁾ = Φ(g₀, g₀, …, g₀)                       (frozen-anchor flow, no evaluation)
//! rounds 1..K    g_j = s(y_j⁽ᵏ⁻¹⁾) for all j;  y⁽ᵏ⁾ = Φ(g₀, g)  (width R each)
//! final round    g_j = s(y_j⁽ᴷ⁾);  output = Ψ(x, g₀, g)         (width R)
//! ```
//! Because `Φ` is strictly causal, node `i` is exact after `i` Picard rounds: `K ≥ R − 1` rounds
//! reproduce the sequential scheme (forward substitution, [`picard::solve_sequential`]) to
//! rounding, whatever `Lh` is (tv-methodology §4.5, nilpotency). Per step: `K + 2` rounds, width
//! `R`, work `1 + R(K + 1)`.
//!
//! The node maps `Φ` are the sequential samplers' own formulas, walked as scans:
//! * [`rm_par`]: the PF-ODE randomized midpoint with `R` stratified midpoints (paper.md §2.4);
//!   `R = 1, K = 0` is Algorithm 1 ([`crate::sampler::predictor::rm_step`]) bit for bit.
//! * [`ulmc_par`]: ACV24's Picard over an `M`-cell fine grid of exponential-integrator ULMC
//!   (paper.md §6.3), each cell one [`crate::sampler::ulmc::ulmc_update`]; the fixed point is
//!   sequential ULMC with step `h/M` driven by the same normals.
//! * [`rm_ulmc_par`]: Shen–Lee's parallel randomized-midpoint ULMC (SL19 Algorithm 2,
//!   paper.md §6.1.2) for general friction γ; `R = 1, K = 0` has the law of SL19 Algorithm 1.
//! * [`paradigms`]: ParaDiGMS's sliding-window Picard with a tolerance over the EI predictor
//!   (paper.md §6.4), a practical baseline.
//!
//! The samplers plug into the sequential machinery through [`crate::sampler::OdeKind::RmPar`]
//! and [`crate::sampler::CorrectorKind`]'s parallel kinds, so predictor–corrector loops,
//! log-concave runs, the semi-analytic TV and the sweeps handle them unchanged.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::target::Score;

pub mod paradigms;
pub mod picard;
pub mod rm_par;
pub mod rm_ulmc_par;
pub mod ulmc_par;

pub use paradigms::Paradigms;
pub use picard::{NodeMap, PicardWork, solve, solve_sequential};

/// Depth, width and work of a run (tv-methodology §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rounds {
    /// Sequential depth: batched score calls one after another.
    pub rounds: u64,
    /// Largest batch in one round (per sample).
    pub width: u64,
    /// Total score evaluations.
    pub work: u64,
}

impl Rounds {
    /// A sequential run of `nfe` evaluations: `nfe` rounds of width 1.
    pub fn sequential(nfe: u64) -> Self {
        Rounds {
            rounds: nfe,
            width: u64::from(nfe > 0),
            work: nfe,
        }
    }

    /// `self` followed by `next`: rounds and work add, width is the larger (counts saturate at
    /// `u64::MAX` rather than wrap).
    #[must_use]
    pub fn then(self, next: Rounds) -> Self {
        Rounds {
            rounds: self.rounds.saturating_add(next.rounds),
            width: self.width.max(next.width),
            work: self.work.saturating_add(next.work),
        }
    }

    /// `n` repetitions of `self` in sequence (saturating).
    #[must_use]
    pub fn times(self, n: u64) -> Self {
        Rounds {
            rounds: self.rounds.saturating_mul(n),
            width: if n == 0 { 0 } else { self.width },
            work: self.work.saturating_mul(n),
        }
    }

    /// One parallel Picard step: the anchor round, `picard` rounds of width `nodes`, and the
    /// final round of width `nodes` (no Picard or final round when `nodes == 0`):
    /// `rounds = K + 2`, `width = R`, `work = 1 + R(K + 1)`.
    pub fn picard_step(nodes: usize, picard: usize) -> Self {
        let anchor = Rounds::sequential(1);
        if nodes == 0 {
            return anchor;
        }
        let round = Rounds {
            rounds: 1,
            width: nodes as u64,
            work: nodes as u64,
        };
        anchor.then(round.times((picard as u64).saturating_add(1)))
    }
}

/// Picard residuals collected over the steps of a run: `max_residual[k − 1]` is the largest
/// round-`k` residual (sup-norm of the change of all node positions) over all parallel steps,
/// and `ratio[k − 2]` the largest contraction `residual_k / residual_{k−1}` seen at round `k`
/// (tv-methodology §3.2 (a); pairs with a zero residual are skipped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PicardTrace {
    /// Largest residual per Picard round.
    pub max_residual: Vec<f64>,
    /// Largest ratio of consecutive residuals per Picard round (from round 2).
    pub ratio: Vec<f64>,
    /// Parallel steps recorded.
    pub steps: u64,
}

impl PicardTrace {
    /// Adds one step's residuals.
    pub fn record(&mut self, residuals: &[f64]) {
        self.steps += 1;
        for (k, &r) in residuals.iter().enumerate() {
            grow_max(&mut self.max_residual, k, r);
            if k > 0 && residuals[k - 1] > 0.0 {
                grow_max(&mut self.ratio, k - 1, r / residuals[k - 1]);
            }
        }
    }

    /// Folds another trace into this one (element-wise maxima; order-independent).
    pub fn merge(&mut self, other: &PicardTrace) {
        self.steps += other.steps;
        for (k, &r) in other.max_residual.iter().enumerate() {
            grow_max(&mut self.max_residual, k, r);
        }
        for (k, &r) in other.ratio.iter().enumerate() {
            grow_max(&mut self.ratio, k, r);
        }
    }
}

fn grow_max(v: &mut Vec<f64>, k: usize, r: f64) {
    if v.len() <= k {
        v.resize(k + 1, 0.0);
    }
    v[k] = v[k].max(r);
}

/// Below this many coordinates in one round (`nodes × d`), the evaluations of a round run on the
/// calling thread (the driver already spreads samples over the rayon pool).
const PAR_ROUND_MIN: usize = 1 << 15;

/// Evaluates one round on any score: `out_i = s_{t_i}(x_i)` for the rows `x_i` of `xs`
/// (row-major `n × d`, `n = times.len()`), in parallel over rows when the round is large. Each
/// row is computed independently, so the result does not depend on the thread count.
pub fn eval_round<S: Score + ?Sized>(score: &S, times: &[f64], xs: &[f64], out: &mut [f64]) {
    let d = score.dim();
    if d == 0 {
        return;
    }
    if times.len() * d >= PAR_ROUND_MIN && times.len() > 1 {
        out.par_chunks_mut(d)
            .zip(xs.par_chunks(d))
            .zip(times.par_iter())
            .for_each(|((o, x), &t)| score.score(t, x, o));
    } else {
        for ((o, x), &t) in out.chunks_mut(d).zip(xs.chunks(d)).zip(times) {
            score.score(t, x, o);
        }
    }
}

/// A score wrapper that counts rounds: every [`Score::score`] call is one round of width 1,
/// every [`Score::score_batch`] or [`Score::round`] call one round of its batch size. Give it to
/// any sampler (`Sampler::run(&oracle, …)`) and read [`RoundOracle::rounds`] afterwards. Counts
/// are per oracle: use one oracle per trajectory.
pub struct RoundOracle<'a> {
    score: &'a dyn Score,
    rounds: AtomicU64,
    width: AtomicU64,
    work: AtomicU64,
}

impl<'a> RoundOracle<'a> {
    /// A counting wrapper around `score`, all counters at zero.
    pub fn new(score: &'a dyn Score) -> Self {
        RoundOracle {
            score,
            rounds: AtomicU64::new(0),
            width: AtomicU64::new(0),
            work: AtomicU64::new(0),
        }
    }

    /// The counts so far.
    pub fn rounds(&self) -> Rounds {
        Rounds {
            rounds: self.rounds.load(Ordering::Relaxed),
            width: self.width.load(Ordering::Relaxed),
            work: self.work.load(Ordering::Relaxed),
        }
    }

    fn count(&self, batch: usize) {
        self.rounds.fetch_add(1, Ordering::Relaxed);
        self.width.fetch_max(batch as u64, Ordering::Relaxed);
        self.work.fetch_add(batch as u64, Ordering::Relaxed);
    }
}

impl Score for RoundOracle<'_> {
    fn dim(&self) -> usize {
        self.score.dim()
    }
    fn score(&self, t: f64, x: &[f64], out: &mut [f64]) {
        self.count(1);
        self.score.score(t, x, out);
    }
    fn score_batch(&self, t: f64, xs: &[f64], out: &mut [f64]) {
        self.count(xs.len() / self.dim().max(1));
        self.score.score_batch(t, xs, out);
    }
    fn round(&self, times: &[f64], xs: &[f64], out: &mut [f64]) {
        self.count(times.len());
        self.score.round(times, xs, out);
    }
    fn lipschitz(&self) -> Option<f64> {
        self.score.lipschitz()
    }
}
