//! ODE and SDE predictors for the reverse diffusion (paper.md §1.2, §2.1).
//!
//! In reverse time the probability-flow ODE is `dY/dτ = Y + ∇ln q_{T−τ}(Y)`; over one step of
//! length `h` from forward time `t` the variation-of-constants formula reads
//! ```text
//! Y_{τ+h} = e^h Y_τ + ∫_0^h e^{h−r} ∇ln q_{t−r}(Y_{τ+r}) dr          (VoC)
//! ```

use super::{Sampler, Stage, Staged, run_stages};
use crate::grid::TimeGrid;
use crate::kernels::{fused_blocks, lincomb_in_place, lincomb3_in_place};
use crate::parallel::Rounds;
use crate::parallel::rm_par::{RmParWork, rm_par_step};
use crate::rng::{SampleRng, uniform01};
use crate::target::Score;

/// Scratch buffers for the predictor steps (allocated once per trajectory).
#[derive(Debug, Clone)]
pub struct PredictorWork {
    /// Score buffer.
    pub s: Vec<f64>,
    /// Midpoint buffer.
    pub mid: Vec<f64>,
    /// Buffers of the parallel predictor (sized on first use).
    pub par: RmParWork,
    /// Stratum offsets of the parallel predictor's current step.
    pub uniforms: Vec<f64>,
}

impl PredictorWork {
    /// Buffers for dimension `d`.
    pub fn new(d: usize) -> Self {
        PredictorWork {
            s: vec![0.0; d],
            mid: vec![0.0; d],
            par: RmParWork::default(),
            uniforms: Vec::new(),
        }
    }
}

/// The exponential-integrator map with a frozen score `s` over a step `h`:
/// `out = e^h x + (e^h − 1) s` (`expm1` for small `h`).
pub fn ei_map(h: f64, x: &[f64], s: &[f64], out: &mut [f64]) {
    crate::kernels::lincomb(out, h.exp(), x, h.exp_m1(), s);
}

/// One exponential-integrator step of the PF-ODE (CCL+23a), 1 NFE:
/// ```text
/// x ← e^h x + (e^h − 1) s_t(x)
/// ```
/// `t` is the forward time at the start of the step; the step ends at `t − h`. The update runs
/// in place (the same arithmetic as [`ei_map`]), block by block for separable scores
/// ([`fused_blocks`]).
pub fn ei_step<S: Score + ?Sized>(score: &S, t: f64, h: f64, x: &mut [f64], ws: &mut PredictorWork) {
    let (e, em1) = (h.exp(), h.exp_m1());
    let s = &mut ws.s;
    fused_blocks(score, x.len(), |eval, r| {
        eval(t, r.start, &x[r.clone()], &mut s[r.clone()]);
        lincomb_in_place(&mut x[r.clone()], e, em1, &s[r]);
    });
}

/// One randomized-midpoint step of the PF-ODE, the paper's Algorithm 1 (PredictorStep,
/// sequential), 2 NFE, with the midpoint fraction `alpha ∈ [0, 1]` given by the caller:
/// ```text
/// x_mid = e^{αh} x + (e^{αh} − 1) s_t(x)                  (exponential integrator to the midpoint)
/// x    ← e^h x + h e^{(1−α)h} s_{t−αh}(x_mid)
/// ```
/// With `α ~ U[0,1]`, `E_α[h e^{(1−α)h} g(αh)] = ∫_0^h e^{h−r} g(r) dr`, so the step is unbiased
/// for (VoC) given the path; its only bias comes from the frozen-score midpoint (O(h³) local).
///
/// Block by block for separable scores ([`fused_blocks`]), with the same bits.
pub fn rm_step<S: Score + ?Sized>(score: &S, t: f64, h: f64, alpha: f64, x: &mut [f64], ws: &mut PredictorWork) {
    let (e, c) = (h.exp(), h * ((1.0 - alpha) * h).exp());
    let PredictorWork { s, mid, .. } = ws;
    fused_blocks(score, x.len(), |eval, r| {
        let (xb, sb, mb) = (&mut x[r.clone()], &mut s[r.clone()], &mut mid[r.clone()]);
        eval(t, r.start, xb, sb);
        ei_map(alpha * h, xb, sb, mb);
        eval(t - alpha * h, r.start, mb, sb);
        lincomb_in_place(xb, e, c, sb);
    });
}

/// One exponential-integrator step of the reverse SDE `dY = (Y + 2∇ln q_{T−τ}(Y)) dτ + √2 dB`
/// (DDPM-type baseline, anchors-theory.md §1.5.5), 1 NFE, with the standard normal `z` given:
/// ```text
/// x ← e^h x + 2(e^h − 1) s_t(x) + √(e^{2h} − 1) z
/// ```
pub fn sde_step<S: Score + ?Sized>(score: &S, t: f64, h: f64, z: &[f64], x: &mut [f64], ws: &mut PredictorWork) {
    let (e, em1, sd) = (h.exp(), h.exp_m1(), (2.0 * h).exp_m1().sqrt());
    let s = &mut ws.s;
    fused_blocks(score, x.len(), |eval, r| {
        eval(t, r.start, &x[r.clone()], &mut s[r.clone()]);
        lincomb3_in_place(&mut x[r.clone()], e, 2.0 * em1, &s[r.clone()], sd, &z[r]);
    });
}

/// Which ODE predictor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OdeKind {
    /// Exponential integrator, 1 NFE per step.
    Ei,
    /// Randomized midpoint (Algorithm 1), 2 NFE per step.
    Rm,
    /// Parallel randomized midpoint (paper.md §2.4, [`crate::parallel::rm_par`]): `nodes = R`
    /// stratified midpoints, `picard = K` Picard rounds; `K + 2` rounds and `1 + R(K + 1)` NFE
    /// per step. `R = 1, K = 0` is [`OdeKind::Rm`].
    RmPar {
        /// Midpoints per step `R ≥ 1`.
        nodes: usize,
        /// Picard rounds per step `K`.
        picard: usize,
    },
}

impl OdeKind {
    /// Score evaluations per step.
    pub fn nfe_per_step(self) -> u64 {
        self.rounds_per_step().work
    }

    /// Rounds, width and work of one step ([`Rounds`]): sequential for `ei` and `rm`,
    /// [`Rounds::picard_step`] for `rm-par`.
    pub fn rounds_per_step(self) -> Rounds {
        match self {
            OdeKind::Ei => Rounds::sequential(1),
            OdeKind::Rm => Rounds::sequential(2),
            OdeKind::RmPar { nodes, picard } => Rounds::picard_step(nodes, picard),
        }
    }

    /// The CLI name, `"ei"`, `"rm"` or `"rm-par"`.
    pub fn name(self) -> &'static str {
        match self {
            OdeKind::Ei => "ei",
            OdeKind::Rm => "rm",
            OdeKind::RmPar { .. } => "rm-par",
        }
    }

    /// Checks that the step's buffers at dimension `d` fit (`rm-par`: `R × d` node rows, each
    /// buffer `≤` [`crate::error::MAX_LEN`]).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] for `R × d` above the limit.
    pub fn check_dim(self, d: usize) -> crate::Result<()> {
        match self {
            OdeKind::RmPar { nodes, .. } => super::check_rows("rm-par node rows × dim", nodes, d),
            _ => Ok(()),
        }
    }

    /// Whether the step draws randomized midpoints (`rm`, `rm-par`).
    pub fn is_randomized(self) -> bool {
        !matches!(self, OdeKind::Ei)
    }

    /// One step of this predictor. Randomness: `rm` draws one `α ~ U[0,1)` from `rng`; `rm-par`
    /// draws its `R` stratum offsets `u_i ~ U[0,1)` in node order; `ei` draws nothing.
    pub fn step<S: Score + ?Sized>(
        self,
        score: &S,
        t: f64,
        h: f64,
        x: &mut [f64],
        ws: &mut PredictorWork,
        rng: &mut SampleRng,
    ) -> u64 {
        match self {
            OdeKind::Ei => ei_step(score, t, h, x, ws),
            OdeKind::Rm => rm_step(score, t, h, uniform01(rng), x, ws),
            OdeKind::RmPar { nodes, picard } => {
                ws.uniforms.clear();
                ws.uniforms.extend((0..nodes).map(|_| uniform01(rng)));
                rm_par_step(score, t, h, &ws.uniforms, picard, x, &mut ws.par);
            }
        }
        self.nfe_per_step()
    }
}

/// A pure PF-ODE sampler (no corrector) over a time grid: `ei` or `rm`.
#[derive(Debug, Clone)]
pub struct Ode {
    /// Predictor kind.
    pub kind: OdeKind,
    /// Time grid from `T` to `δ`.
    pub grid: TimeGrid,
}

impl Ode {
    /// Exponential-integrator PF-ODE sampler (CCL+23a's predictor alone).
    pub fn ei(grid: TimeGrid) -> Self {
        Ode {
            kind: OdeKind::Ei,
            grid,
        }
    }
    /// Randomized-midpoint PF-ODE sampler (Algorithm 1 alone).
    pub fn rm(grid: TimeGrid) -> Self {
        Ode {
            kind: OdeKind::Rm,
            grid,
        }
    }

    /// Parallel randomized-midpoint PF-ODE sampler (paper.md §2.4): `nodes = R` stratified
    /// midpoints and `picard = K` Picard rounds per step.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] if `nodes == 0`, or `nodes` or `picard` above
    /// [`crate::error::MAX_LEN`].
    pub fn rm_par(grid: TimeGrid, nodes: usize, picard: usize) -> crate::Result<Self> {
        if nodes == 0 {
            return Err(crate::Error::InvalidParameter {
                name: "nodes",
                value: 0.0,
                expected: "at least 1",
            });
        }
        crate::error::check_count("nodes", Some(nodes))?;
        crate::error::check_count("picard", Some(picard))?;
        Ok(Ode {
            kind: OdeKind::RmPar { nodes, picard },
            grid,
        })
    }
}

impl Sampler for Ode {
    fn name(&self) -> String {
        self.kind.name().to_string()
    }
    fn t_start(&self) -> f64 {
        self.grid.t_max()
    }
    fn t_end(&self) -> f64 {
        self.grid.t_min()
    }
    /// Randomness: one `α` per step (rm only), in step order.
    fn run(&self, score: &dyn Score, x: &mut [f64], rng: &mut SampleRng) -> u64 {
        run_stages(&self.stages(), score, x, rng)
    }
    fn check_dim(&self, dim: usize) -> crate::Result<()> {
        self.kind.check_dim(dim)
    }
    fn locate_non_finite(&self, score: &dyn Score, x: &mut [f64], rng: &mut SampleRng) -> Option<String> {
        super::locate_non_finite(&self.stages(), score, x, rng)
    }
}

/// The reverse-SDE exponential-integrator sampler (DDPM-type baseline).
#[derive(Debug, Clone)]
pub struct ReverseSde {
    /// Time grid from `T` to `δ`.
    pub grid: TimeGrid,
}

impl Sampler for ReverseSde {
    fn name(&self) -> String {
        "sde".to_string()
    }
    fn t_start(&self) -> f64 {
        self.grid.t_max()
    }
    fn t_end(&self) -> f64 {
        self.grid.t_min()
    }
    /// Randomness: `d` standard normals per step, in step order.
    fn run(&self, score: &dyn Score, x: &mut [f64], rng: &mut SampleRng) -> u64 {
        run_stages(&self.stages(), score, x, rng)
    }
    fn locate_non_finite(&self, score: &dyn Score, x: &mut [f64], rng: &mut SampleRng) -> Option<String> {
        super::locate_non_finite(&self.stages(), score, x, rng)
    }
}

impl Staged for Ode {
    fn stages(&self) -> Vec<Stage<'_>> {
        self.grid
            .iter_steps()
            .map(|(t, h)| Stage::Ode { kind: self.kind, t, h })
            .collect()
    }
}

impl Staged for ReverseSde {
    fn stages(&self) -> Vec<Stage<'_>> {
        self.grid.iter_steps().map(|(t, h)| Stage::Sde { t, h }).collect()
    }
}
