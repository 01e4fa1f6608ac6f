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
use crate::error::{Error, Result, check_positive};
use crate::parallel::picard::PicardWork;
use crate::parallel::rm_ulmc_par::{RmUlmcParWork, rm_ulmc_par_step};
use crate::parallel::ulmc_par::ulmc_par_step;
use crate::parallel::{PicardTrace, Rounds};
use crate::rng::{SampleRng, fill_normal, uniform01};
use crate::target::Score;

/// Which discretization of underdamped Langevin the corrector uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectorKind {
    /// Exponential-integrator ULMC (Cheng et al.), 1 NFE per step.
    Ulmc,
    /// Shen–Lee randomized-midpoint ULMC, 2 NFE per step.
    RmUlmc,
    /// ACV24 parallel ULMC ([`crate::parallel::ulmc_par`]): each step of `h` is `cells = M`
    /// fine ULMC cells of `h/M` solved by `picard = K` Picard rounds; `K + 2` rounds of width
    /// `M − 1` per step. `K ≥ M − 2` is sequential ULMC with step `h/M`.
    UlmcPar {
        /// Fine cells per step `M ≥ 1`.
        cells: usize,
        /// Picard rounds per step `K`.
        picard: usize,
    },
    /// SL19 parallel randomized-midpoint ULMC ([`crate::parallel::rm_ulmc_par`]): `nodes = R`
    /// stratified midpoints, `picard = K` Picard rounds; `K + 2` rounds of width `R` per step.
    RmUlmcPar {
        /// Midpoints per step `R ≥ 1`.
        nodes: usize,
        /// Picard rounds per step `K`.
        picard: usize,
    },
}

impl CorrectorKind {
    /// Score evaluations per step: 1 (`Ulmc`), 2 (`RmUlmc`), `1 + R(K + 1)` for the parallel
    /// kinds (`R = M − 1` for `UlmcPar`).
    pub fn nfe_per_step(self) -> u64 {
        self.rounds_per_step().work
    }

    /// Rounds, width and work of one step.
    pub fn rounds_per_step(self) -> Rounds {
        match self {
            CorrectorKind::Ulmc => Rounds::sequential(1),
            CorrectorKind::RmUlmc => Rounds::sequential(2),
            CorrectorKind::UlmcPar { cells, picard } => Rounds::picard_step(cells.saturating_sub(1), picard),
            CorrectorKind::RmUlmcPar { nodes, picard } => Rounds::picard_step(nodes, picard),
        }
    }

    /// The CLI name: `"ulmc"`, `"rm-ulmc"`, `"ulmc-par"` or `"rm-ulmc-par"`.
    pub fn name(self) -> &'static str {
        match self {
            CorrectorKind::Ulmc => "ulmc",
            CorrectorKind::RmUlmc => "rm-ulmc",
            CorrectorKind::UlmcPar { .. } => "ulmc-par",
            CorrectorKind::RmUlmcPar { .. } => "rm-ulmc-par",
        }
    }

    /// Uniforms drawn per step (before the normals): 0, 1 (`α`), 0, `R`.
    pub fn uniforms_per_step(self) -> usize {
        match self {
            CorrectorKind::Ulmc | CorrectorKind::UlmcPar { .. } => 0,
            CorrectorKind::RmUlmc => 1,
            CorrectorKind::RmUlmcPar { nodes, .. } => nodes,
        }
    }

    /// Checks that a step's buffers at dimension `d` fit: the `normals_per_step × d` noise and the
    /// `width × d` Picard rows of the parallel kinds (each `≤` [`crate::error::MAX_LEN`]).
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the buffer.
    pub fn check_dim(self, d: usize) -> Result<()> {
        super::check_rows("corrector noise rows × dim", self.normals_per_step(), d)?;
        let width = match self {
            CorrectorKind::UlmcPar { cells, .. } => cells,
            CorrectorKind::RmUlmcPar { nodes, .. } => nodes,
            _ => 0,
        };
        super::check_rows("corrector Picard rows × dim", width, d)
    }

    /// Standard-normal vectors (of length `d`) drawn per step: 2, 3, `2M`, `2(R + 1)`.
    pub fn normals_per_step(self) -> usize {
        match self {
            CorrectorKind::Ulmc => 2,
            CorrectorKind::RmUlmc => 3,
            CorrectorKind::UlmcPar { cells, .. } => 2 * cells,
            CorrectorKind::RmUlmcPar { nodes, .. } => 2 * (nodes + 1),
        }
    }

    fn validate(self) -> Result<()> {
        let (name, n, picard) = match self {
            CorrectorKind::UlmcPar { cells, picard } => ("cells", cells, picard),
            CorrectorKind::RmUlmcPar { nodes, picard } => ("nodes", nodes, picard),
            _ => return Ok(()),
        };
        if n == 0 {
            return Err(Error::InvalidParameter {
                name,
                value: 0.0,
                expected: "at least 1",
            });
        }
        crate::error::check_count(name, Some(n))?;
        crate::error::check_count("picard", Some(picard))?;
        Ok(())
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

/// Scratch buffers for [`Corrector::run_with`] (velocity, score and midpoint, the step's
/// randomness, and the parallel kinds' Picard buffers).
#[derive(Debug, Clone)]
pub struct CorrectorWork {
    /// Velocity `V`.
    pub v: Vec<f64>,
    /// Score and midpoint buffers.
    pub step: RmUlmcWork,
    /// The step's standard normals, row-major `normals_per_step × d`.
    pub z: Vec<f64>,
    /// The step's uniforms.
    pub uniforms: Vec<f64>,
    /// Picard buffers of `UlmcPar`.
    pub picard: PicardWork,
    /// Buffers of `RmUlmcPar`.
    pub rm_par: RmUlmcParWork,
}

impl CorrectorWork {
    /// Buffers for dimension `d`.
    pub fn new(d: usize) -> Self {
        CorrectorWork {
            v: vec![0.0; d],
            step: RmUlmcWork::new(d),
            z: Vec::new(),
            uniforms: Vec::new(),
            picard: PicardWork::default(),
            rm_par: RmUlmcParWork::default(),
        }
    }

    /// The Picard residuals of the last parallel step (empty for the sequential kinds).
    pub fn residuals(&self, kind: CorrectorKind) -> &[f64] {
        match kind {
            CorrectorKind::UlmcPar { .. } => &self.picard.residuals,
            CorrectorKind::RmUlmcPar { .. } => &self.rm_par.picard.residuals,
            _ => &[],
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
        kind.validate()?;
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

    /// Score evaluations per call: `steps ×` [`CorrectorKind::nfe_per_step`].
    pub fn nfe(&self) -> u64 {
        self.steps as u64 * self.kind.nfe_per_step()
    }

    /// Rounds, width and work of one call.
    pub fn rounds(&self) -> Rounds {
        self.kind.rounds_per_step().times(self.steps as u64)
    }

    /// The ULMC coefficients the call uses: `(γ, h)` for `Ulmc`, the fine `(γ, h/M)` for
    /// `UlmcPar` (unused by the midpoint kinds, whose coefficients change with `α`).
    pub fn coeffs(&self) -> UlmcCoeffs {
        match self.kind {
            CorrectorKind::UlmcPar { cells, .. } => UlmcCoeffs::compute(self.gamma, self.h / cells.max(1) as f64),
            _ => UlmcCoeffs::compute(self.gamma, self.h),
        }
    }

    /// Draws one step's randomness into `work` (uniforms first, then the normals, row by row).
    pub fn draw_step(&self, rng: &mut SampleRng, work: &mut CorrectorWork) {
        let d = work.v.len();
        work.uniforms.clear();
        work.uniforms
            .extend((0..self.kind.uniforms_per_step()).map(|_| uniform01(rng)));
        work.z.resize(self.kind.normals_per_step() * d, 0.0);
        fill_normal(rng, &mut work.z);
    }

    /// One step at frozen time `t`, in place on `(x, work.v)`, with the randomness already in
    /// `work.uniforms` and `work.z` ([`Corrector::draw_step`]) and `coeffs` from
    /// [`Corrector::coeffs`]. Pure given its inputs: the semi-analytic TV reads its affine map
    /// off this function.
    pub fn step_with<S: Score + ?Sized>(
        &self,
        score: &S,
        t: f64,
        coeffs: &UlmcCoeffs,
        x: &mut [f64],
        work: &mut CorrectorWork,
    ) {
        let d = x.len();
        let CorrectorWork {
            v,
            step,
            z,
            uniforms,
            picard,
            rm_par,
        } = work;
        match self.kind {
            CorrectorKind::Ulmc => ulmc_step(score, t, coeffs, x, v, &z[..d], &z[d..2 * d], &mut step.g),
            CorrectorKind::RmUlmc => {
                let (z1, rest) = z.split_at(d);
                let (z2, z3) = rest.split_at(d);
                rm_ulmc_step(score, t, self.gamma, self.h, uniforms[0], z1, z2, &z3[..d], x, v, step);
            }
            CorrectorKind::UlmcPar { cells, picard: k } => ulmc_par_step(score, t, coeffs, cells, k, x, v, z, picard),
            CorrectorKind::RmUlmcPar { picard: k, .. } => {
                rm_ulmc_par_step(score, t, self.gamma, self.h, uniforms, k, x, v, z, rm_par);
            }
        }
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
    /// `z₁, z₂, z₃` (`d` normals each); `UlmcPar`: `z^x, z^v` of each fine cell in turn (the
    /// order of sequential ULMC with step `h/M`); `RmUlmcPar`: the `R` stratum offsets, then
    /// `z^x, z^v` of each of the `R + 1` intervals ([`Corrector::draw_step`]).
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
        self.run_traced(score, t, x, rng, work, None)
    }

    /// [`Corrector::run_with`], recording the Picard residuals of every parallel step into
    /// `trace` when one is given.
    pub fn run_traced<S: Score + ?Sized>(
        &self,
        score: &S,
        t: f64,
        x: &mut [f64],
        rng: &mut SampleRng,
        work: &mut CorrectorWork,
        mut trace: Option<&mut PicardTrace>,
    ) -> u64 {
        fill_normal(rng, &mut work.v);
        let coeffs = self.coeffs();
        for _ in 0..self.steps {
            self.draw_step(rng, work);
            self.step_with(score, t, &coeffs, x, work);
            if let Some(tr) = trace.as_deref_mut() {
                tr.record(work.residuals(self.kind));
            }
        }
        self.nfe()
    }
}
