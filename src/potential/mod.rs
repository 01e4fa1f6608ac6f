//! Potentials for log-concave sampling (claim C3, paper.md §2.7): targets `π ∝ e^{−f}` with
//! `f` `m`-strongly convex and `L`-smooth (`m I ⪯ ∇²f ⪯ L I`, condition number `κ = L/m`).
//!
//! A [`Potential`] gives `f`, `∇f` (also batched) and its constants `m`, `L`. Samplers that take
//! a score field (the ULMC and Shen–Lee steps of [`crate::sampler`]) run on a potential through
//! [`GradScore`], which presents `s(x) = −∇f(x)` as a time-independent [`Score`], so the
//! log-concave samplers reuse the diffusion corrector's step math unchanged.
//!
//! Built in: [`DiagGaussian`] (isotropic or ill-conditioned with a chosen κ), [`LogCoshProduct`]
//! (`f(x) = Σ x_i²/2 + ln cosh x_i`, κ = 2), [`Logistic`] (Bayesian logistic regression posterior,
//! `f(β) = Σ_i [ln(1 + e^{x_i·β}) − y_i x_i·β] + |β|²/(2σ²)`, with the breast-cancer data shipped).

use crate::target::Score;

pub mod gaussian;
pub mod logcosh;
pub mod logistic;

pub use gaussian::DiagGaussian;
pub use logcosh::LogCoshProduct;
pub use logistic::Logistic;

/// A potential `f: ℝ^d → ℝ` with target `π ∝ e^{−f}`. Object-safe, `Sync`, infallible on
/// valid input (`x.len() == dim`).
pub trait Potential: Sync {
    /// Dimension `d`.
    fn dim(&self) -> usize;

    /// `f(x)` (up to an additive constant that does not depend on `x`).
    fn value(&self, x: &[f64]) -> f64;

    /// Writes `∇f(x)` into `out`.
    fn grad(&self, x: &[f64], out: &mut [f64]);

    /// `f(x)`, writing `∇f(x)` into `out` (one pass where the two share work, as for MALA).
    fn value_grad(&self, x: &[f64], out: &mut [f64]) -> f64 {
        self.grad(x, out);
        self.value(x)
    }

    /// Row-major batch of gradients: `xs.len() == out.len() == n·dim`.
    fn grad_batch(&self, xs: &[f64], out: &mut [f64]) {
        let d = self.dim();
        for (x, o) in xs.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
            self.grad(x, o);
        }
    }

    /// Strong-convexity constant `m > 0` (a lower bound on the eigenvalues of `∇²f`).
    fn strong_convexity(&self) -> f64;

    /// Smoothness constant `L` (an upper bound on the eigenvalues of `∇²f`).
    fn smoothness(&self) -> f64;

    /// The minimiser `x* = argmin f` where known in closed form (warm starts).
    fn minimizer(&self) -> Option<Vec<f64>> {
        None
    }

    /// Short description, e.g. `"logcosh(d=64)"`.
    fn describe(&self) -> String;
}

/// A [`Potential`] seen as the time-independent score field `s_t(x) = −∇f(x)` (every `t`), so
/// that score-driven steps ([`crate::sampler::ulmc::ulmc_step`],
/// [`crate::sampler::rm_ulmc::rm_ulmc_step`], [`crate::sampler::Corrector`]) sample `π ∝ e^{−f}`.
/// Its [`Score::lipschitz`] is `L`.
#[derive(Debug, Clone, Copy)]
pub struct GradScore<'a, P: ?Sized>(pub &'a P);

impl<P: Potential + ?Sized> Score for GradScore<'_, P> {
    fn dim(&self) -> usize {
        self.0.dim()
    }

    fn score(&self, _t: f64, x: &[f64], out: &mut [f64]) {
        self.0.grad(x, out);
        out.iter_mut().for_each(|g| *g = -*g);
    }

    fn score_batch(&self, _t: f64, xs: &[f64], out: &mut [f64]) {
        self.0.grad_batch(xs, out);
        out.iter_mut().for_each(|g| *g = -*g);
    }

    fn lipschitz(&self) -> Option<f64> {
        Some(self.0.smoothness())
    }
}

macro_rules! delegate_potential {
    ($($ty:ty),*) => {$(
        impl<P: Potential + ?Sized> Potential for $ty {
            fn dim(&self) -> usize { (**self).dim() }
            fn value(&self, x: &[f64]) -> f64 { (**self).value(x) }
            fn grad(&self, x: &[f64], out: &mut [f64]) { (**self).grad(x, out) }
            fn value_grad(&self, x: &[f64], out: &mut [f64]) -> f64 { (**self).value_grad(x, out) }
            fn grad_batch(&self, xs: &[f64], out: &mut [f64]) { (**self).grad_batch(xs, out) }
            fn strong_convexity(&self) -> f64 { (**self).strong_convexity() }
            fn smoothness(&self) -> f64 { (**self).smoothness() }
            fn minimizer(&self) -> Option<Vec<f64>> { (**self).minimizer() }
            fn describe(&self) -> String { (**self).describe() }
        }
    )*};
}

delegate_potential!(&P, Box<P>);
