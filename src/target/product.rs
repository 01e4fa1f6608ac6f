//! Product data laws `q = ⊗_i ν_i` built from 1-D laws [`Law1d`]: the score is coordinate-wise,
//! so every quantity costs `O(d)` and the exact 1-D marginals of `q_t` are available for
//! per-coordinate TV/W2 (anchors-theory.md §2.3, "product of 1-D mixtures"; tv-methodology.md).
//!
//! ```text
//! q_t(x) = Π_i ν_{i,t}(x_i),   ∇ln q_t(x)_i = (ln ν_{i,t})'(x_i)
//! ν_t = law(e^{−t} X_0 + σ_t Z),   σ_t² = 1 − e^{−2t}
//! ```
//! * `Bimodal { sep, sd }` and `Gaussian1d { mean, var }` are 1-D Gaussian mixtures, so `ν_t` is
//!   one too (closed form, [`Law1d::marginal_components`]).
//! * `LogCosh` (density `∝ exp(−x²/2 − ln cosh x)`) has no closed-form `ν_t` for `t > 0`; its score
//!   and log-density come from a trapezoid quadrature over the posterior of `X_0` given `X_t`
//!   (see [`Law1d::score_t`]), accurate to about `1e-14` absolute in the score.

use std::cell::OnceCell;
use std::sync::OnceLock;

use super::mixture::{shared_cov_lipschitz, softmax_in_place};
use super::{Score, Target};
use crate::error::{Result, check_dim, check_finite, check_nonnegative, check_positive};
use crate::process::{alpha, sigma2};
use crate::rng::{SampleRng, normal, uniform01};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// A 1-D data law `ν`. The parameters are public so that callers can build the exact `ν_t`;
/// construct through [`Law1d::bimodal`], [`Law1d::log_cosh`] and [`Law1d::gaussian`] (or call
/// [`Law1d::validate`]), which reject invalid parameters. [`Product`] validates every law it is
/// given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Law1d {
    /// Symmetric two-component mixture.
    ///
    /// ```text
    /// ν   = ½ N(−sep, sd²) + ½ N(sep, sd²)
    /// ν_t = ½ N(−e^{−t} sep, c_t) + ½ N(e^{−t} sep, c_t),   c_t = e^{−2t} sd² + σ_t²
    /// ```
    Bimodal {
        /// Half the distance between the modes (`≥ 0`).
        sep: f64,
        /// Standard deviation of each mode (`> 0`).
        sd: f64,
    },
    /// Strongly log-concave law with curvature in `[1, 2]`.
    ///
    /// ```text
    /// ν(x) = exp(−x²/2 − ln cosh x) / Z,   Z = ∫ exp(−x²/2) sech x dx   (computed numerically)
    /// (ln ν)'(x) = −x − tanh x,   −(ln ν)''(x) = 1 + sech² x ∈ [1, 2]
    /// ```
    LogCosh,
    /// Gaussian.
    ///
    /// ```text
    /// ν = N(mean, var),   ν_t = N(e^{−t} mean, e^{−2t} var + σ_t²)
    /// ```
    Gaussian1d {
        /// Mean (finite).
        mean: f64,
        /// Variance (`> 0`).
        var: f64,
    },
}

/// One Gaussian component `weight · N(mean, var)` of a 1-D mixture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component1d {
    /// Mixture weight.
    pub weight: f64,
    /// Component mean.
    pub mean: f64,
    /// Component variance.
    pub var: f64,
}

/// A 1-D Gaussian mixture of at most two components, stored without allocation.
#[derive(Debug, Clone, Copy)]
struct Mix1d {
    comps: [Component1d; 2],
    len: usize,
}

impl Mix1d {
    fn as_slice(&self) -> &[Component1d] {
        &self.comps[..self.len]
    }
}

/// Time-`t` quantities shared by every coordinate (the LogCosh quadrature tables are built on
/// first use only).
struct TimeCtx {
    a: f64,
    s2: f64,
    quad: OnceCell<QuadAtTime>,
}

impl TimeCtx {
    fn new(t: f64) -> Self {
        TimeCtx {
            a: alpha(t),
            s2: sigma2(t),
            quad: OnceCell::new(),
        }
    }

    fn quad(&self) -> &QuadAtTime {
        self.quad
            .get_or_init(|| QuadAtTime::new(production_quadrature(), self.s2.sqrt()))
    }
}

impl Law1d {
    /// `½ N(−sep, sd²) + ½ N(sep, sd²)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `sep` is negative or not finite, or `sd` is not positive
    /// and finite.
    pub fn bimodal(sep: f64, sd: f64) -> Result<Self> {
        let law = Law1d::Bimodal { sep, sd };
        law.validate()?;
        Ok(law)
    }

    /// The log-cosh law `ν ∝ exp(−x²/2 − ln cosh x)` (no parameters).
    pub fn log_cosh() -> Self {
        Law1d::LogCosh
    }

    /// `N(mean, var)`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) if `mean` is not finite or `var` is not positive and finite.
    pub fn gaussian(mean: f64, var: f64) -> Result<Self> {
        let law = Law1d::Gaussian1d { mean, var };
        law.validate()?;
        Ok(law)
    }

    /// Checks the parameters (for laws built directly from the public variants).
    ///
    /// # Errors
    /// As the constructors.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Law1d::Bimodal { sep, sd } => {
                check_nonnegative("sep", sep)?;
                check_positive("sd", sd)?;
            }
            Law1d::LogCosh => {}
            Law1d::Gaussian1d { mean, var } => {
                check_finite("mean", mean)?;
                check_positive("var", var)?;
            }
        }
        Ok(())
    }

    /// Short name, e.g. `"bimodal(sep=2, sd=0.5)"`.
    pub fn name(&self) -> String {
        match self {
            Law1d::Bimodal { sep, sd } => format!("bimodal(sep={sep}, sd={sd})"),
            Law1d::LogCosh => "logcosh".to_string(),
            Law1d::Gaussian1d { mean, var } => format!("gaussian(mean={mean}, var={var})"),
        }
    }

    /// The components of `ν_t` when it is a Gaussian mixture (`None` for `LogCosh`).
    ///
    /// ```text
    /// Bimodal:    (½, −e^{−t} sep, c_t), (½, e^{−t} sep, c_t),   c_t = e^{−2t} sd² + σ_t²
    /// Gaussian1d: (1, e^{−t} mean, e^{−2t} var + σ_t²)
    /// ```
    pub fn marginal_components(&self, t: f64) -> Option<Vec<Component1d>> {
        self.mix_at(&TimeCtx::new(t)).map(|m| m.as_slice().to_vec())
    }

    fn mix_at(&self, ctx: &TimeCtx) -> Option<Mix1d> {
        let (a, s2) = (ctx.a, ctx.s2);
        match *self {
            Law1d::Bimodal { sep, sd } => {
                let var = a * a * sd * sd + s2;
                let comp = |mean| Component1d { weight: 0.5, mean, var };
                Some(Mix1d {
                    comps: [comp(-a * sep), comp(a * sep)],
                    len: 2,
                })
            }
            Law1d::Gaussian1d { mean, var } => {
                let c = Component1d {
                    weight: 1.0,
                    mean: a * mean,
                    var: a * a * var + s2,
                };
                Some(Mix1d { comps: [c, c], len: 1 })
            }
            Law1d::LogCosh => None,
        }
    }

    /// The score `(ln ν_t)'(x)` at forward time `t ≥ 0`.
    ///
    /// ```text
    /// mixtures:  Σ_k r_k(x) (m_k − x)/v_k,   r_k = softmax_k[ln w_k − ½ ln(2π v_k) − (x − m_k)²/(2 v_k)]
    /// LogCosh:   t = 0:  −x − tanh x
    ///            t > 0:  −x − e^{−t} E[tanh X_0 | X_t = x]
    /// ```
    /// The LogCosh formula follows from `ν_t(x) = e^{−x²/2} E[sech(e^{−t}x + σ_t V)] / Z`
    /// (`V ~ N(0, 1)`; use `e^{−2t} + σ_t² = 1`), whose posterior is
    /// `X_0 | X_t = x  ∝  N(e^{−t}x, σ_t²) · sech`. The expectation is a trapezoid rule in
    /// `v = (x_0 − e^{−t}x)/σ_t` with step `1/4` on `[−12, 12]` (97 nodes). The posterior mode
    /// lies within `σ_t ≤ 1` of `v = 0` and its curvature is in `[1, 1 + σ_t²]`, so the window
    /// truncates a relative mass below `1e-18`; the integrand is analytic in a strip of
    /// half-width `π/(2σ_t) ≥ π/2`, so the trapezoid error is below `~e^{π²/8 − 4π²} ≈ 1e-16`
    /// relative. The product form `−x − e^{−t}·E[tanh]` has no cancellation as `t → 0` or
    /// `t → ∞`. Measured against a reference rule (step `1/16`, window `[−20, 20]`) the score
    /// agrees to `≤ 1e-14` absolute for `t ∈ [1e-10, 50]`, `|x| ≤ 40` (unit test
    /// `logcosh_quadrature_matches_finer_rule`).
    pub fn score_t(&self, t: f64, x: f64) -> f64 {
        self.score_ctx(&TimeCtx::new(t), x)
    }

    fn score_ctx(&self, ctx: &TimeCtx, x: f64) -> f64 {
        self.score_at(ctx).eval(ctx, x)
    }

    /// The time-`t` constants of the score, computed once per evaluation rather than once per
    /// coordinate.
    fn score_at(&self, ctx: &TimeCtx) -> ScoreAt {
        let (a, s2) = (ctx.a, ctx.s2);
        match *self {
            Law1d::Bimodal { sep, sd } => {
                let (m, inv_c) = (a * sep, 1.0 / (a * a * sd * sd + s2));
                ScoreAt::Bimodal { m, k: m * inv_c, inv_c }
            }
            Law1d::Gaussian1d { mean, var } => ScoreAt::Gauss {
                mean: a * mean,
                var: a * a * var + s2,
            },
            Law1d::LogCosh => ScoreAt::LogCosh,
        }
    }

    /// `ln ν_t(x)`; always `Some` (closed form for the mixtures; for LogCosh exact up to the
    /// numerically computed `ln Z` at `t = 0`, and by the quadrature of [`Law1d::score_t`] for
    /// `t > 0`).
    ///
    /// ```text
    /// mixtures:  log-sum-exp_k [ln w_k − ½ ln(2π v_k) − (x − m_k)²/(2 v_k)]
    /// LogCosh:   −ln Z − x²/2 + ln E[sech(e^{−t} x + σ_t V)],   V ~ N(0, 1)
    /// ```
    pub fn log_density_t(&self, t: f64, x: f64) -> Option<f64> {
        Some(self.log_density_ctx(&TimeCtx::new(t), x))
    }

    fn log_density_ctx(&self, ctx: &TimeCtx, x: f64) -> f64 {
        match self.mix_at(ctx) {
            Some(m) => mix1d_log_density(m.as_slice(), x),
            None => {
                let c = ctx.a * x;
                let ln_e_sech = if ctx.s2 == 0.0 {
                    -ln_cosh(x)
                } else {
                    let q = ctx.quad();
                    -ln_cosh(c) + (q.h * q.sums(c).0).ln() - 0.5 * LN_2PI
                };
                -logcosh_constants().ln_z - 0.5 * x * x + ln_e_sech
            }
        }
    }

    /// Exact draw from `ν`.
    ///
    /// ```text
    /// Bimodal:    one uniform u (mode −sep if u < ½, else +sep), then one normal z: mode + sd·z
    /// Gaussian1d: mean + √var · z
    /// LogCosh:    repeat { x ~ N(0,1), u ~ U[0,1) } until u < sech x; return x
    /// ```
    /// The LogCosh rejection sampler is exact: the target is `∝ φ(x)·sech x` with
    /// `sech x ≤ 1`; acceptance rate `Z/√(2π) ≈ 0.741`.
    pub fn sample(&self, rng: &mut SampleRng) -> f64 {
        match *self {
            Law1d::Bimodal { sep, sd } => {
                let mode = if uniform01(rng) < 0.5 { -sep } else { sep };
                mode + sd * normal(rng)
            }
            Law1d::Gaussian1d { mean, var } => mean + var.sqrt() * normal(rng),
            Law1d::LogCosh => loop {
                let x = normal(rng);
                if uniform01(rng) < (-ln_cosh(x)).exp() {
                    return x;
                }
            },
        }
    }

    /// `E_ν X` (`0` for the symmetric laws).
    pub fn mean(&self) -> f64 {
        match *self {
            Law1d::Gaussian1d { mean, .. } => mean,
            Law1d::Bimodal { .. } | Law1d::LogCosh => 0.0,
        }
    }

    /// `Var_ν X`.
    ///
    /// ```text
    /// Bimodal: sep² + sd²;  Gaussian1d: var;
    /// LogCosh: ∫ x² e^{−x²/2} sech x dx / Z  (trapezoid, step 1/16, ≈ 1e-15 relative)
    /// ```
    pub fn variance(&self) -> f64 {
        match *self {
            Law1d::Bimodal { sep, sd } => sep * sep + sd * sd,
            Law1d::Gaussian1d { var, .. } => var,
            Law1d::LogCosh => logcosh_constants().var,
        }
    }

    /// The characteristic function `E_ν e^{iωX}` as `(re, im)` where closed-form (`None` for
    /// LogCosh).
    ///
    /// ```text
    /// Bimodal:    (cos(sep·ω) e^{−sd²ω²/2}, 0)
    /// Gaussian1d: e^{−var ω²/2} (cos(mean·ω), sin(mean·ω))
    /// ```
    pub fn char_fn(&self, omega: f64) -> Option<(f64, f64)> {
        match *self {
            Law1d::Bimodal { sep, sd } => Some(((sep * omega).cos() * (-0.5 * sd * sd * omega * omega).exp(), 0.0)),
            Law1d::Gaussian1d { mean, var } => {
                let m = (-0.5 * var * omega * omega).exp();
                Some((m * (mean * omega).cos(), m * (mean * omega).sin()))
            }
            Law1d::LogCosh => None,
        }
    }

    /// A bound on `sup_{t ≥ 0, x} |(ln ν_t)''(x)|`.
    ///
    /// ```text
    /// Gaussian1d: sup_t 1/(e^{−2t} var + σ_t²) = max(1, 1/var)
    /// Bimodal:    the shared-covariance mixture bound with v_min = sd², D = 2 sep:
    ///             max(max(1, 1/sd²), sep² g(sd²)),  g(v) = 1/v² (v ≤ 2),  1/(4(v − 1)) (v > 2)
    ///             (exact: −(ln ν_t)'' = 1/c_t − (e^{−t}sep/c_t)² sech²(e^{−t}sep·x/c_t))
    /// LogCosh:    2.  With posterior X_0 | X_t = x ∝ N(e^{−t}x, σ_t²)·sech:
    ///             −(ln ν_t)''(x) = 1 + (e^{−2t}/σ_t²) Cov(X_0, tanh X_0 | x) ∈ [1, 1 + e^{−2t}] ⊂ [1, 2]
    ///             since tanh is increasing and 1-Lipschitz (0 ≤ Cov(X, tanh X) ≤ Var X) and the
    ///             posterior is (1/σ_t²)-strongly log-concave (Brascamp–Lieb: Var ≤ σ_t²).
    /// ```
    pub fn lipschitz(&self) -> f64 {
        match *self {
            Law1d::Bimodal { sep, sd } => shared_cov_lipschitz(sd * sd, 2.0 * sep),
            Law1d::LogCosh => 2.0,
            Law1d::Gaussian1d { var, .. } => (1.0 / var).max(1.0),
        }
    }
}

/// `ln Σ_k w_k N(x; m_k, v_k)` via log-sum-exp.
fn mix1d_log_density(comps: &[Component1d], x: f64) -> f64 {
    let mut l = [0.0; 2];
    mix1d_logits(comps, x, &mut l[..comps.len()]);
    softmax_in_place(&mut l[..comps.len()])
}

/// A coordinate law's score at one time `t`, with the quantities that depend on `t` only
/// computed once ([`Law1d::score_t`] has the formulas).
#[derive(Debug, Clone, Copy)]
enum ScoreAt {
    /// `ν_t = N(mean, var)`: `(mean − x)/var`.
    Gauss { mean: f64, var: f64 },
    /// `ν_t = ½ N(−m, c) + ½ N(m, c)`: the responsibilities differ by `r₊ − r₋ = tanh(m x/c)`,
    /// so `Σ_k r_k (m_k − x)/c = (m tanh(k x) − x)/c` with `k = m/c` (one
    /// [`crate::special::tanh`], no cancellation, finite for every finite `x`; `1/c` and `k`
    /// computed once).
    Bimodal { m: f64, k: f64, inv_c: f64 },
    /// LogCosh: `−x − tanh x` at `t = 0`, the quadrature of [`Law1d::score_t`] for `t > 0`.
    LogCosh,
}

impl ScoreAt {
    #[inline]
    fn eval(self, ctx: &TimeCtx, x: f64) -> f64 {
        match self {
            ScoreAt::Gauss { mean, var } => (mean - x) / var,
            ScoreAt::Bimodal { m, k, inv_c } => (m * crate::special::tanh(k * x) - x) * inv_c,
            ScoreAt::LogCosh if ctx.s2 == 0.0 => -x - crate::special::tanh(x),
            ScoreAt::LogCosh => {
                let (s0, st) = ctx.quad().sums(ctx.a * x);
                -x - ctx.a * st / s0
            }
        }
    }
}

crate::kernels::multiversion! {
    /// `out_i = (mean − x_i)/var`: an i.i.d. Gaussian coordinate law's score, vectorized.
    fn gauss1d_score(out: &mut [f64], x: &[f64], mean: f64, var: f64) {
        for (o, &xi) in out.iter_mut().zip(x) {
            *o = (mean - xi) / var;
        }
    }
}

/// `out_i = s(x_i)` for one law at one time: the Gaussian law through [`gauss1d_score`], the
/// others coordinate by coordinate with the time constants hoisted.
fn iid_score(at: ScoreAt, ctx: &TimeCtx, x: &[f64], out: &mut [f64]) {
    match at {
        ScoreAt::Gauss { mean, var } => gauss1d_score(out, x, mean, var),
        _ => out.iter_mut().zip(x).for_each(|(o, &xi)| *o = at.eval(ctx, xi)),
    }
}

/// `ln w_k − ½ ln(2π v_k) − (x − m_k)²/(2 v_k)`.
fn mix1d_logits(comps: &[Component1d], x: f64, out: &mut [f64]) {
    for (c, o) in comps.iter().zip(out.iter_mut()) {
        let r = x - c.mean;
        *o = c.weight.ln() - 0.5 * (LN_2PI + c.var.ln()) - 0.5 * r * r / c.var;
    }
}

/// `ln cosh x = |x| + ln(1 + e^{−2|x|}) − ln 2`, finite for every finite `x`.
fn ln_cosh(x: f64) -> f64 {
    let ax = x.abs();
    ax + (-2.0 * ax).exp().ln_1p() - std::f64::consts::LN_2
}

/// Trapezoid nodes `v_j = j h`, `|v_j| ≤ half_width`, with Gaussian weights `g_j = e^{−v_j²/2}`.
#[derive(Debug)]
struct Quadrature {
    h: f64,
    nodes: Vec<f64>,
    gauss: Vec<f64>,
}

impl Quadrature {
    fn new(h: f64, half_width: f64) -> Self {
        let n = (half_width / h).floor() as i64;
        let nodes: Vec<f64> = (-n..=n).map(|j| j as f64 * h).collect();
        let gauss = nodes.iter().map(|v| (-0.5 * v * v).exp()).collect();
        Quadrature { h, nodes, gauss }
    }
}

/// The production rule: step `1/4` on `[−12, 12]`.
fn production_quadrature() -> &'static Quadrature {
    static Q: OnceLock<Quadrature> = OnceLock::new();
    Q.get_or_init(|| Quadrature::new(0.25, 12.0))
}

/// A quadrature rule specialised to `σ_t = s`: `e^{±s v_j}` tabulated once per time.
struct QuadAtTime {
    h: f64,
    gauss: &'static [f64],
    ep: Vec<f64>,
    em: Vec<f64>,
}

impl QuadAtTime {
    fn new(q: &'static Quadrature, s: f64) -> Self {
        let ep: Vec<f64> = q.nodes.iter().map(|v| (s * v).exp()).collect();
        let em = q.nodes.iter().map(|v| (-s * v).exp()).collect();
        QuadAtTime {
            h: q.h,
            gauss: &q.gauss,
            ep,
            em,
        }
    }

    /// `(S_0, S_T)` with `c = e^{−t}x`:
    ///
    /// ```text
    /// S_0 = Σ_j g_j cosh(c)/cosh(c + s v_j),   S_T = Σ_j g_j cosh(c)/cosh(c + s v_j) · tanh(c + s v_j)
    /// E[sech(c + sV)] ≈ sech(c) h S_0/√(2π),   E[tanh X_0 | X_t = x] ≈ S_T/S_0
    /// ```
    /// For `c ≥ 0`, with `q = e^{−2c}`, `u = s v_j`:
    /// `cosh c/cosh(c+u) = (1+q)/(e^u + q e^{−u})`, `tanh(c+u) = (1 − q e^{−2u})/(1 + q e^{−2u})`
    /// (only positive terms; `c < 0` by symmetry). No overflow for any finite `x`.
    fn sums(&self, c: f64) -> (f64, f64) {
        let q = (-2.0 * c.abs()).exp();
        let (ep, em) = if c >= 0.0 {
            (&self.ep, &self.em)
        } else {
            (&self.em, &self.ep)
        };
        let (mut s0, mut st) = (0.0, 0.0);
        for j in 0..ep.len() {
            let w = self.gauss[j] * (1.0 + q) / (ep[j] + q * em[j]);
            let e2 = q * em[j] * em[j];
            s0 += w;
            st += w * (1.0 - e2) / (1.0 + e2);
        }
        (s0, if c >= 0.0 { st } else { -st })
    }
}

/// Numerical constants of the LogCosh law.
struct LogCoshConstants {
    /// `ln Z`, `Z = ∫ e^{−x²/2} sech x dx`.
    ln_z: f64,
    /// `∫ x² e^{−x²/2} sech x dx / Z`.
    var: f64,
}

/// Computed once with a trapezoid rule (step `1/16`, window `[−16, 16]`; the integrands are
/// analytic in the strip `|Im x| < π/2`, so the error is `~e^{−π²·16}`, i.e. at rounding level).
fn logcosh_constants() -> &'static LogCoshConstants {
    static C: OnceLock<LogCoshConstants> = OnceLock::new();
    C.get_or_init(|| {
        let q = Quadrature::new(1.0 / 16.0, 16.0);
        let (mut z, mut m2) = (0.0, 0.0);
        for (v, g) in q.nodes.iter().zip(&q.gauss) {
            let f = g * (-ln_cosh(*v)).exp();
            z += f;
            m2 += v * v * f;
        }
        LogCoshConstants {
            ln_z: (q.h * z).ln(),
            var: m2 / z,
        }
    })
}

/// Storage of the coordinate laws.
#[derive(Debug, Clone)]
enum Laws {
    Iid(Law1d, usize),
    Hetero(Vec<Law1d>),
}

/// Product law `⊗_i ν_i` over [`Law1d`] coordinates (i.i.d. or heterogeneous).
///
/// ```text
/// q_t(x) = Π_i ν_{i,t}(x_i),   (∇ln q_t(x))_i = (ln ν_{i,t})'(x_i)
/// ```
#[derive(Debug, Clone)]
pub struct Product {
    laws: Laws,
}

impl Product {
    /// `ν^{⊗d}`, stored as one law and `d` (no `d` copies).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for `dim = 0`, `dim > MAX_LEN`
    /// ([`crate::error::MAX_LEN`]: every use needs buffers of length `d`) or invalid law
    /// parameters.
    pub fn iid(law: Law1d, dim: usize) -> Result<Self> {
        check_dim(dim)?;
        crate::error::check_count("dim", Some(dim))?;
        law.validate()?;
        Ok(Product {
            laws: Laws::Iid(law, dim),
        })
    }

    /// `ν_1 ⊗ … ⊗ ν_d` with one law per coordinate.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`](crate::Error::InvalidParameter) for an empty list or invalid law parameters.
    pub fn new(laws: Vec<Law1d>) -> Result<Self> {
        check_dim(laws.len())?;
        for law in &laws {
            law.validate()?;
        }
        Ok(Product {
            laws: Laws::Hetero(laws),
        })
    }

    /// The law of coordinate `i` (panics if `i ≥ d`).
    pub fn law(&self, i: usize) -> &Law1d {
        match &self.laws {
            Laws::Iid(law, d) => {
                assert!(i < *d, "coordinate {i} out of range (d = {d})");
                law
            }
            Laws::Hetero(v) => &v[i],
        }
    }

    /// Whether the coordinates are i.i.d.
    pub fn is_iid(&self) -> bool {
        matches!(self.laws, Laws::Iid(..))
    }

    fn laws(&self) -> impl Iterator<Item = &Law1d> {
        (0..self.dim()).map(move |i| self.law(i))
    }
}

impl Score for Product {
    fn dim(&self) -> usize {
        match &self.laws {
            Laws::Iid(_, d) => *d,
            Laws::Hetero(v) => v.len(),
        }
    }

    /// Coordinate-wise [`Law1d::score_t`].
    fn score(&self, t: f64, x: &[f64], out: &mut [f64]) {
        debug_assert_eq!(x.len(), self.dim());
        self.score_batch(t, x, out);
    }

    /// As [`Score::score`], sharing the time-`t` quadrature tables across the batch.
    fn score_batch(&self, t: f64, xs: &[f64], out: &mut [f64]) {
        let ctx = TimeCtx::new(t);
        match &self.laws {
            Laws::Iid(law, _) => iid_score(law.score_at(&ctx), &ctx, xs, out),
            Laws::Hetero(laws) => {
                for (x, o) in xs.chunks_exact(laws.len()).zip(out.chunks_exact_mut(laws.len())) {
                    self.coords_at(&ctx, 0, x, o);
                }
            }
        }
    }

    /// Always separable (a product law).
    fn separable(&self) -> Option<&dyn super::SeparableScore> {
        Some(self)
    }

    /// `max_i` of the coordinate bounds [`Law1d::lipschitz`] (the Hessian is diagonal).
    fn lipschitz(&self) -> Option<f64> {
        Some(self.laws().map(Law1d::lipschitz).fold(0.0, f64::max))
    }
}

impl super::SeparableScore for Product {
    /// Coordinate-wise [`Law1d::score_t`] for coordinates `start ..` (nothing beyond the
    /// dimension).
    fn score_coords(&self, t: f64, start: usize, x: &[f64], out: &mut [f64]) {
        self.coords_at(&TimeCtx::new(t), start, x, out);
    }
}

impl Product {
    /// The scores of coordinates `start .. start + x.len()` at the time of `ctx` (nothing
    /// beyond the dimension): one row of [`Score::score_batch`] and the blocks of
    /// [`super::SeparableScore::score_coords`].
    fn coords_at(&self, ctx: &TimeCtx, start: usize, x: &[f64], out: &mut [f64]) {
        let end = start.saturating_add(x.len());
        match &self.laws {
            Laws::Iid(law, d) if end <= *d => iid_score(law.score_at(ctx), ctx, x, out),
            Laws::Iid(..) => {}
            Laws::Hetero(laws) => {
                for ((o, &xi), law) in out.iter_mut().zip(x).zip(laws.get(start..end).unwrap_or(&[])) {
                    *o = law.score_ctx(ctx, xi);
                }
            }
        }
    }
}

impl Target for Product {
    fn describe(&self) -> String {
        match &self.laws {
            Laws::Iid(law, d) => format!("product(d={d}, iid {})", law.name()),
            Laws::Hetero(v) => {
                let names: Vec<String> = v.iter().take(4).map(Law1d::name).collect();
                let more = if v.len() > 4 { ", …" } else { "" };
                format!("product(d={}, [{}{more}])", v.len(), names.join(", "))
            }
        }
    }

    /// Coordinates drawn in order with [`Law1d::sample`].
    fn sample_data(&self, rng: &mut SampleRng, out: &mut [f64]) {
        for (o, law) in out.iter_mut().zip(self.laws()) {
            *o = law.sample(rng);
        }
    }

    /// `Σ_i ln ν_{i,t}(x_i)` ([`Law1d::log_density_t`]).
    fn log_density(&self, t: f64, x: &[f64]) -> Option<f64> {
        let ctx = TimeCtx::new(t);
        Some(
            x.iter()
                .zip(self.laws())
                .map(|(&xi, law)| law.log_density_ctx(&ctx, xi))
                .sum(),
        )
    }

    /// `Σ_i (Var ν_i + (E ν_i)²)`.
    fn second_moment(&self) -> f64 {
        self.laws().map(|l| l.variance() + l.mean() * l.mean()).sum()
    }

    fn data_mean(&self) -> Option<Vec<f64>> {
        Some(self.laws().map(Law1d::mean).collect())
    }

    /// Per-coordinate variances (LogCosh's computed numerically, see [`Law1d::variance`]).
    fn data_var(&self) -> Option<Vec<f64>> {
        Some(self.laws().map(Law1d::variance).collect())
    }

    /// `Π_i φ_{ν_i}(ω_i)` (complex product); `None` if a coordinate law has no closed form.
    fn data_char_fn(&self, omega: &[f64]) -> Option<(f64, f64)> {
        let mut acc = (1.0, 0.0);
        for (&w, law) in omega.iter().zip(self.laws()) {
            let (re, im) = law.char_fn(w)?;
            acc = (acc.0 * re - acc.1 * im, acc.0 * im + acc.1 * re);
        }
        Some(acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference: the same posterior expectation with a 4× finer step on a wider window.
    fn reference_score(t: f64, x: f64) -> f64 {
        static FINE: OnceLock<Quadrature> = OnceLock::new();
        let fine = FINE.get_or_init(|| Quadrature::new(1.0 / 16.0, 20.0));
        let (s0, st) = QuadAtTime::new(fine, sigma2(t).sqrt()).sums(alpha(t) * x);
        -x - alpha(t) * st / s0
    }

    #[test]
    fn logcosh_quadrature_matches_finer_rule() {
        let mut worst = 0.0f64;
        for &t in &[1e-10, 1e-6, 1e-3, 0.05, 0.2, 0.5, 1.0, 2.0, 5.0, 8.0, 20.0, 50.0] {
            for j in -80..=80 {
                let x = j as f64 * 0.5;
                let err = (Law1d::LogCosh.score_t(t, x) - reference_score(t, x)).abs();
                worst = worst.max(err);
            }
        }
        println!("logcosh quadrature: max |score − reference| = {worst:e}");
        assert!(worst <= 1e-14, "max |score − reference| = {worst:e}");
    }

    #[test]
    fn logcosh_constants_are_consistent() {
        // Z by an independent Simpson rule on [−40, 40].
        let n = 400_000;
        let h = 80.0 / n as f64;
        let f = |x: f64| (-0.5 * x * x - ln_cosh(x)).exp();
        let mut z = f(-40.0) + f(40.0);
        for i in 1..n {
            z += f(-40.0 + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        z *= h / 3.0;
        assert!((logcosh_constants().ln_z - z.ln()).abs() < 1e-13);
        // The variance lies between that of N(0, 1/2) and N(0, 1) (curvature in [1, 2]).
        let v = logcosh_constants().var;
        assert!(v > 0.5 && v < 1.0, "{v}");
    }

    #[test]
    fn scores_are_finite_at_extremes() {
        for law in [
            Law1d::LogCosh,
            Law1d::Bimodal { sep: 3.0, sd: 0.1 },
            Law1d::Gaussian1d { mean: 1.0, var: 1e-4 },
        ] {
            for &t in &[0.0, 1e-300, 1e-12, 1.0, 40.0, 800.0] {
                for &x in &[0.0, -1e6, 1e6, 1e150] {
                    let s = law.score_t(t, x);
                    let l = law.log_density_t(t, x).unwrap();
                    assert!(s.is_finite() && l.is_finite(), "{} t={t} x={x}: {s} {l}", law.name());
                }
            }
        }
    }

    #[test]
    fn logcosh_score_at_small_t_tends_to_the_data_score() {
        for &x in &[-3.0, -0.5, 0.0, 0.7, 4.0] {
            let s0 = -x - f64::tanh(x);
            let s = Law1d::LogCosh.score_t(1e-9, x);
            // s_t − s_0 = O(t) with O(1) constants.
            assert!((s - s0).abs() < 1e-7, "{x}: {s} vs {s0}");
        }
    }
}
