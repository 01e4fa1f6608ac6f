//! Total-variation distance: exact oracles, estimators for sampler output, and their common
//! result type (tv-methodology.md §1).
//!
//! ```text
//! TV(P, Q) = sup_A |P(A) − Q(A)| = ½ ∫ |p − q| = E_Q[(1 − p/q)_+]
//! ```
//! * [`oracle`]: TV between Gaussians in closed form or by the generalized χ² (Imhof), Hellinger
//!   and its tensorization, the LAN approximation — the ground truth every estimator is tested on.
//! * [`semi_analytic`]: the α-mixture estimator for samplers that are linear-Gaussian given their
//!   random midpoints (Gaussian targets with exact or linear-perturbed scores).
//! * [`grid`]: the grid push-forward estimator for PF-ODE predictors on i.i.d. product targets
//!   with non-Gaussian coordinates (α shared across coordinates, as in the paper).
//! * [`nested`]: the blocked nested Monte Carlo estimator both of them use.
//! * [`plugin`]: histogram plug-in TV in 1–3 dimensions against an exact law, with its noise floor.

pub mod grid;
pub mod kinetic;
pub mod nested;
pub mod oracle;
pub mod plugin;
pub mod semi_analytic;

/// An estimate of a TV distance with its uncertainty and the estimator's name.
#[derive(Debug, Clone, PartialEq)]
pub struct TvEstimate {
    /// Point estimate.
    pub tv: f64,
    /// Standard error of `tv` (0 for exact values).
    pub se: f64,
    /// Lower end of the reported confidence interval.
    pub ci_low: f64,
    /// Upper end of the reported confidence interval.
    pub ci_high: f64,
    /// Which estimator produced it, e.g. `"semi-analytic nested (M = 64, Richardson)"`.
    pub estimator: String,
}

impl TvEstimate {
    /// An exact value (zero-width interval).
    pub fn exact(tv: f64, estimator: impl Into<String>) -> Self {
        TvEstimate {
            tv,
            se: 0.0,
            ci_low: tv,
            ci_high: tv,
            estimator: estimator.into(),
        }
    }

    /// A value with a normal-approximation 95 % interval `tv ± 1.96 se`, clipped to [0, 1].
    pub fn normal(tv: f64, se: f64, estimator: impl Into<String>) -> Self {
        TvEstimate {
            tv,
            se,
            ci_low: (tv - 1.96 * se).clamp(0.0, 1.0),
            ci_high: (tv + 1.96 * se).clamp(0.0, 1.0),
            estimator: estimator.into(),
        }
    }
}
