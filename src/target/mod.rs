//! Targets: data laws `q = q_0` whose diffused marginals `q_t` have exact scores.
//!
//! Every target implements [`Score`] (the field `∇ln q_t(x)` for all `t ≥ 0`) and [`Target`]
//! (exact sampling and, where closed-form, the log-density of `q_t`). Buffers are flat
//! row-major `&[f64]`: one point is a slice of length `dim`, a batch of `n` points is a slice
//! of length `n·dim` (style.md D-3).

use crate::process;
use crate::rng::{SampleRng, fill_normal};

pub mod gaussian;
pub mod mixture;
pub mod product;
pub mod rotated;
pub mod score_error;

pub use gaussian::Gaussian;
pub use mixture::GaussianMixture;
pub use product::{Law1d, Product};
pub use rotated::Rotated;
pub use score_error::{Calibration, CalibrationMethod, CalibrationSource, ErrorKind, Perturbed};

/// A score field `(t, x) ↦ s_t(x) ∈ ℝ^d`: the exact `∇ln q_t` for targets, an estimate for
/// wrappers such as [`Perturbed`]. Object-safe, `Sync`, infallible on valid input.
pub trait Score: Sync {
    /// Dimension `d`.
    fn dim(&self) -> usize;

    /// Writes `s_t(x)` into `out` (`x.len() == out.len() == dim`). `t ≥ 0` is forward time.
    fn score(&self, t: f64, x: &[f64], out: &mut [f64]);

    /// Row-major batch: `xs.len() == out.len() == n·dim`, all rows at the same time `t`.
    fn score_batch(&self, t: f64, xs: &[f64], out: &mut [f64]) {
        let d = self.dim();
        for (x, o) in xs.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
            self.score(t, x, o);
        }
    }

    /// One parallel round: `out_i = s_{t_i}(x_i)` for the rows `x_i` of `xs` (row-major
    /// `times.len() × dim`), evaluations independent of each other. The default evaluates the rows
    /// with [`crate::parallel::eval_round`] (rayon over rows for large rounds); round-counting
    /// wrappers ([`crate::parallel::RoundOracle`]) count one call as one round.
    fn round(&self, times: &[f64], xs: &[f64], out: &mut [f64]) {
        crate::parallel::eval_round(self, times, xs, out);
    }

    /// A bound `L` on the Lipschitz constant of `x ↦ s_t(x)`, uniform over `t ≥ 0`
    /// (paper Assumptions 2.2–2.3), when one is known.
    fn lipschitz(&self) -> Option<f64> {
        None
    }

    /// The score as a coordinate-separable map, when `s_t(x)_i` depends on `x_i` alone (product
    /// laws, diagonal Gaussians). The sampler steps then evaluate and update block by block
    /// while a block of coordinates sits in the L1 cache ([`crate::kernels::fused_blocks`]),
    /// with the same bits as the whole-vector evaluation. Default `None`; wrappers that count,
    /// perturb or otherwise observe evaluations keep the default, so they see whole-vector
    /// calls.
    fn separable(&self) -> Option<&dyn SeparableScore> {
        None
    }
}

/// A coordinate-separable score (see [`Score::separable`]).
pub trait SeparableScore: Sync {
    /// Writes `s_t(x)_j` for the coordinates `j = start .. start + x.len()`, given those
    /// coordinates `x_j` only (`out.len() == x.len()`). Must equal the same entries of
    /// [`Score::score`] bit for bit.
    fn score_coords(&self, t: f64, start: usize, x: &[f64], out: &mut [f64]);
}

/// A data law `q` with exact sampling, so that experiments can start from the exact `q_T` and
/// compare against the exact `q_δ`.
pub trait Target: Score {
    /// Short description, e.g. `"iso-gaussian(d=16, mean=0, var=4)"`.
    fn describe(&self) -> String;

    /// Draws `X_0 ~ q` into `out` (length `dim`).
    fn sample_data(&self, rng: &mut SampleRng, out: &mut [f64]);

    /// Draws `X_t ~ q_t` exactly: `X_t = e^{−t} X_0 + √(1 − e^{−2t}) Z`, with `X_0` drawn first
    /// and then `Z` (the default is exact for every target).
    fn sample_marginal(&self, t: f64, rng: &mut SampleRng, out: &mut [f64]) {
        self.sample_data(rng, out);
        let mut z = vec![0.0; out.len()];
        fill_normal(rng, &mut z);
        process::diffuse(t, out, &z);
    }

    /// `ln q_t(x)` where it has a closed form (`None` otherwise).
    fn log_density(&self, _t: f64, _x: &[f64]) -> Option<f64> {
        None
    }

    /// `E_q ‖X_0‖²` (the paper's `m_2²`, Assumption 2.1).
    fn second_moment(&self) -> f64;

    /// The data mean `E_q X_0` when known in closed form.
    fn data_mean(&self) -> Option<Vec<f64>> {
        None
    }

    /// The per-coordinate data variances `Var_q X_{0,i}` when known in closed form.
    fn data_var(&self) -> Option<Vec<f64>> {
        None
    }

    /// The data characteristic function `E_q e^{i ω·X_0}` as `(re, im)`, when known in closed
    /// form. With it, `E_{q_t} e^{i ω·X_t} = φ_q(e^{−t} ω) e^{−σ_t² ‖ω‖²/2}` is exact at every
    /// `t`, which makes Fourier-feature score errors exactly calibratable.
    fn data_char_fn(&self, _omega: &[f64]) -> Option<(f64, f64)> {
        None
    }
}

/// Implements [`Score`] for a pointer type by delegating every method to the pointee.
macro_rules! delegate_score {
    ($($ptr:ty),*) => {$(
        impl<S: Score + ?Sized> Score for $ptr {
            fn dim(&self) -> usize {
                (**self).dim()
            }
            fn score(&self, t: f64, x: &[f64], out: &mut [f64]) {
                (**self).score(t, x, out)
            }
            fn score_batch(&self, t: f64, xs: &[f64], out: &mut [f64]) {
                (**self).score_batch(t, xs, out)
            }
            fn round(&self, times: &[f64], xs: &[f64], out: &mut [f64]) {
                (**self).round(times, xs, out)
            }
            fn lipschitz(&self) -> Option<f64> {
                (**self).lipschitz()
            }
            fn separable(&self) -> Option<&dyn SeparableScore> {
                (**self).separable()
            }
        }
    )*};
}

delegate_score!(&S, Box<S>);

/// Wraps a score and counts evaluations (rows), so that a sampler's reported NFE can be
/// checked against the calls it really made (argmin's `Problem` counter pattern, style.md D-4).
pub struct Counting<S> {
    inner: S,
    calls: std::sync::atomic::AtomicU64,
}

impl<S: Score> Counting<S> {
    /// Wraps `inner` with a zeroed counter.
    pub fn new(inner: S) -> Self {
        Counting {
            inner,
            calls: std::sync::atomic::AtomicU64::new(0),
        }
    }
    /// Number of single-point score evaluations so far.
    pub fn count(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl<S: Score> Score for Counting<S> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn score(&self, t: f64, x: &[f64], out: &mut [f64]) {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.score(t, x, out)
    }
    fn lipschitz(&self) -> Option<f64> {
        self.inner.lipschitz()
    }
}

impl<T: Target + ?Sized> Target for Box<T> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn sample_data(&self, rng: &mut SampleRng, out: &mut [f64]) {
        (**self).sample_data(rng, out)
    }
    fn sample_marginal(&self, t: f64, rng: &mut SampleRng, out: &mut [f64]) {
        (**self).sample_marginal(t, rng, out)
    }
    fn log_density(&self, t: f64, x: &[f64]) -> Option<f64> {
        (**self).log_density(t, x)
    }
    fn second_moment(&self) -> f64 {
        (**self).second_moment()
    }
    fn data_mean(&self) -> Option<Vec<f64>> {
        (**self).data_mean()
    }
    fn data_var(&self) -> Option<Vec<f64>> {
        (**self).data_var()
    }
    fn data_char_fn(&self, omega: &[f64]) -> Option<(f64, f64)> {
        (**self).data_char_fn(omega)
    }
}
