//! Dimension scaling: N*(d, ε) from TV curves, and the exponent of N* in d
//! (tv-methodology §2.1–2.3, §3.2).
//!
//! The pipeline, in order:
//! 1. [`isotonic_decreasing`]: a non-increasing fit of TV against NFE (§2.2 step 2);
//! 2. [`n_star`]: N*(ε) as the **last** crossing of ε by that fit, refined by inverse
//!    regression over the bracketing points (§2.1, §2.2 step 3), with a status so that a curve
//!    that never crosses gives no number;
//! 3. [`bootstrap_n_star`] / [`bootstrap_exponent`]: percentile intervals from resampled
//!    replicate blocks (§2.2 step 6, §2.3), one [`crate::rng::stream_rng`] stream per draw;
//! 4. [`fit_power_law`], [`local_slopes`], [`fit_log_power`], [`compare_growth_models`]: the
//!    fits of §2.3 and §3.2;
//! 5. [`fit_two_term`]: the mechanistic surface `TV ≈ a√d h^p + b d h^q` (§2.3).
//!
//! Every function is pure and deterministic; bad input gives an [`Error`], never a panic.
//! [`fit_line`] is the single weighted-least-squares implementation behind all the fits.

use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::error::{Error, Result, check_finite, check_len, check_nonnegative, check_positive};
use crate::rng::stream_rng;

/// TV factor around ε within which points join the inverse regression of [`n_star`]
/// (tv-methodology §2.2 step 1: the grid covers TV ∈ [ε/4, 4ε]).
pub const BRACKET_FACTOR: f64 = 4.0;

/// Two-sided level of every interval in this module.
pub const CONFIDENCE: f64 = 0.95;

// ---------------------------------------------------------------------------------------------
// Validation helpers
// ---------------------------------------------------------------------------------------------

fn check_each(name: &'static str, xs: &[f64], check: fn(&'static str, f64) -> Result<f64>) -> Result<()> {
    xs.iter().try_for_each(|&v| check(name, v).map(drop))
}

fn check_points(what: &str, got: usize, min: usize) -> Result<()> {
    if got >= min {
        Ok(())
    } else {
        Err(Error::InvalidConfig {
            reason: format!("{what} needs at least {min} points, got {got}"),
        })
    }
}

fn check_increasing(name: &'static str, xs: &[f64]) -> Result<()> {
    match xs.windows(2).find(|p| p[1] <= p[0]) {
        None => Ok(()),
        Some(p) => Err(Error::InvalidConfig {
            reason: format!("`{name}` must be strictly increasing, but {} follows {}", p[1], p[0]),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Intervals and percentiles
// ---------------------------------------------------------------------------------------------

/// A closed interval `[low, high]`; bounds may be infinite where a bootstrap is censored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// Whether `low ≤ x ≤ high`.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }

    /// `high − low`.
    pub fn width(&self) -> f64 {
        self.high - self.low
    }
}

/// Type-7 (linear interpolation) quantile of sorted values; infinities propagate.
fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    let pos = p * (v.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
    let hi = (lo + 1).min(v.len() - 1);
    if frac == 0.0 || v[lo] == v[hi] {
        v[lo]
    } else {
        v[lo] + frac * (v[hi] - v[lo])
    }
}

/// Percentile interval at level [`CONFIDENCE`] of a non-empty set of draws.
fn percentile_interval(values: &[f64]) -> Interval {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let tail = 0.5 * (1.0 - CONFIDENCE);
    Interval {
        low: quantile_sorted(&v, tail),
        high: quantile_sorted(&v, 1.0 - tail),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Isotonic regression
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Block {
    mean: f64,
    weight: f64,
    len: usize,
}

impl Block {
    fn merge(self, other: Block) -> Block {
        let weight = self.weight + other.weight;
        Block {
            mean: (self.weight * self.mean + other.weight * other.mean) / weight,
            weight,
            len: self.len + other.len,
        }
    }
}

/// Pool-adjacent-violators on validated input.
fn pava(y: &[f64], w: &[f64]) -> Vec<f64> {
    let mut blocks: Vec<Block> = Vec::with_capacity(y.len());
    for (&mean, &weight) in y.iter().zip(w) {
        blocks.push(Block { mean, weight, len: 1 });
        while let [.., prev, last] = *blocks.as_slice()
            && prev.mean < last.mean
        {
            blocks.truncate(blocks.len() - 2);
            blocks.push(prev.merge(last));
        }
    }
    blocks.iter().flat_map(|b| std::iter::repeat_n(b.mean, b.len)).collect()
}

/// Weighted isotonic regression onto non-increasing sequences, by pool-adjacent-violators
/// (tv-methodology §2.2 step 2: TV should fall as NFE grows).
///
/// ```text
/// f = argmin_{f₁ ≥ f₂ ≥ … ≥ fₙ} Σᵢ wᵢ (yᵢ − fᵢ)²
/// ```
///
/// `f` is constant on blocks of consecutive indices, each block's value being the weighted
/// mean of `y` over it; equivalently `fᵢ = min_{s≤i} max_{t≥i} Av_w(y_s..y_t)`.
///
/// # Errors
/// [`Error::DimensionMismatch`] if the lengths differ; [`Error::InvalidParameter`] for a
/// non-finite `y` or a weight that is not positive and finite.
pub fn isotonic_decreasing(y: &[f64], w: &[f64]) -> Result<Vec<f64>> {
    check_len("isotonic weights", y.len(), w.len())?;
    check_each("y", y, check_finite)?;
    check_each("w", w, check_positive)?;
    Ok(pava(y, w))
}

// ---------------------------------------------------------------------------------------------
// Weighted least squares: the single implementation
// ---------------------------------------------------------------------------------------------

/// Solution of a weighted linear least-squares problem.
struct Lsq {
    coef: Vec<f64>,
    /// `(XᵀWX)⁻¹`, the covariance of `coef` up to the residual-variance factor.
    cov: DMatrix<f64>,
    residuals: Vec<f64>,
    rss: f64,
}

fn rank_deficient() -> Error {
    Error::InvalidConfig {
        reason: "least-squares design is rank-deficient (e.g. all abscissae equal)".into(),
    }
}

/// Minimises `Σ wᵢ (yᵢ − Σⱼ cⱼ colsⱼ[i])²` through the SVD of `diag(√w) X` (validated input).
fn lsq(cols: &[&[f64]], y: &[f64], w: &[f64]) -> Result<Lsq> {
    let (n, k) = (y.len(), cols.len());
    let sw: Vec<f64> = w.iter().map(|v| v.sqrt()).collect();
    let a = DMatrix::from_fn(n, k, |i, j| cols[j][i] * sw[i]);
    let b = DVector::from_fn(n, |i, _| y[i] * sw[i]);
    let svd = a.svd(true, true);
    let s = svd.singular_values.clone();
    let well_conditioned = n >= k && s.len() == k && s.min() > 1e-12 * s.max();
    if !well_conditioned {
        return Err(rank_deficient());
    }
    let (Some(u), Some(v_t)) = (svd.u, svd.v_t) else {
        return Err(rank_deficient());
    };
    let v = v_t.transpose();
    let ub = u.transpose() * b;
    let coef_v = &v * DVector::from_fn(k, |j, _| ub[j] / s[j]);
    let cov = &v * DMatrix::from_diagonal(&s.map(|x| 1.0 / (x * x))) * v.transpose();
    let coef: Vec<f64> = coef_v.iter().copied().collect();
    let residuals: Vec<f64> = (0..n)
        .map(|i| y[i] - (0..k).map(|j| coef[j] * cols[j][i]).sum::<f64>())
        .collect();
    let rss = residuals.iter().zip(w).map(|(r, wi)| wi * r * r).sum();
    Ok(Lsq {
        coef,
        cov,
        residuals,
        rss,
    })
}

/// A weighted straight-line fit `y ≈ intercept + slope·x`.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFit {
    /// Fitted slope.
    pub slope: f64,
    /// Fitted intercept.
    pub intercept: f64,
    /// Standard error of the slope, scaled by the residual variance; `None` with 2 points.
    pub se_slope: Option<f64>,
    /// Standard error of the intercept, as `se_slope`.
    pub se_intercept: Option<f64>,
    /// `yᵢ − (intercept + slope·xᵢ)`, unweighted.
    pub residuals: Vec<f64>,
    /// Weighted residual sum of squares `Σ wᵢ rᵢ²`.
    pub rss: f64,
    /// Residual degrees of freedom `n − 2`.
    pub dof: usize,
}

/// Weighted least-squares line, the one WLS implementation of the crate (tv-methodology §2.3).
///
/// ```text
/// (a, b) = argmin Σᵢ wᵢ (yᵢ − a − b xᵢ)²        (wᵢ = 1 when w is None)
/// Cov(a, b) = s² (XᵀWX)⁻¹,   s² = Σᵢ wᵢ rᵢ² / (n − 2)
/// ```
///
/// The standard errors use the residual variance `s²`, so weights only need to be relative.
///
/// # Errors
/// [`Error::InvalidConfig`] with fewer than 2 points or all `x` equal;
/// [`Error::DimensionMismatch`] for unequal lengths; [`Error::InvalidParameter`] for
/// non-finite data or weights that are not positive.
pub fn fit_line(x: &[f64], y: &[f64], w: Option<&[f64]>) -> Result<LineFit> {
    check_len("line fit y", x.len(), y.len())?;
    check_points("a line fit", x.len(), 2)?;
    check_each("x", x, check_finite)?;
    check_each("y", y, check_finite)?;
    let ones = vec![1.0; x.len()];
    let w = w.unwrap_or(&ones);
    check_len("line fit weights", x.len(), w.len())?;
    check_each("weight", w, check_positive)?;
    line_from(lsq(&[&ones, x], y, w)?)
}

fn line_from(fit: Lsq) -> Result<LineFit> {
    let dof = fit.residuals.len() - 2;
    let s2 = (dof > 0).then(|| fit.rss / dof as f64);
    Ok(LineFit {
        intercept: fit.coef[0],
        slope: fit.coef[1],
        se_intercept: s2.map(|s2| (s2 * fit.cov[(0, 0)]).sqrt()),
        se_slope: s2.map(|s2| (s2 * fit.cov[(1, 1)]).sqrt()),
        residuals: fit.residuals,
        rss: fit.rss,
        dof,
    })
}

// ---------------------------------------------------------------------------------------------
// 2. N* at fixed d
// ---------------------------------------------------------------------------------------------

/// Where a TV curve stands relative to ε.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crossing {
    /// The isotonic fit crosses ε inside the grid: N* is available.
    Found,
    /// TV (isotonic fit) is still above ε at the largest NFE: N* > max NFE.
    NotReached,
    /// TV (isotonic fit) is already ≤ ε at the smallest NFE: N* ≤ min NFE.
    AlwaysBelow,
}

/// N*(ε) at one d, from [`n_star`].
#[derive(Debug, Clone, PartialEq)]
pub struct NStar {
    /// Whether a crossing was found; `value` is `Some` exactly when `Found`.
    pub status: Crossing,
    /// Continuous NFE at which the TV curve last crosses ε.
    pub value: Option<f64>,
    /// `(i, i + 1)`: the last grid point whose isotonic TV exceeds ε, and the next one.
    pub bracket: Option<(usize, usize)>,
    /// Inclusive index range of the points entering the inverse regression.
    pub window: Option<(usize, usize)>,
    /// Local slope `b = d ln TV / d ln NFE` used to place N* (regression, or the log-log
    /// interpolation of the isotonic fit where the regression is unusable).
    pub slope: Option<f64>,
    /// True when the regression's crossing fell outside the bracket and was clamped to it.
    pub clamped: bool,
    /// The isotonic (non-increasing) fit of TV, one value per grid point.
    pub fitted: Vec<f64>,
}

impl NStar {
    fn censored(status: Crossing, fitted: Vec<f64>) -> NStar {
        NStar {
            status,
            value: None,
            bracket: None,
            window: None,
            slope: None,
            clamped: false,
            fitted,
        }
    }
}

fn validate_curve(nfe: &[f64], tv: &[f64], se: &[f64], eps: f64) -> Result<()> {
    check_len("TV curve", nfe.len(), tv.len())?;
    check_len("TV standard errors", nfe.len(), se.len())?;
    check_points("N*", nfe.len(), 2)?;
    check_each("nfe", nfe, check_positive)?;
    check_increasing("nfe", nfe)?;
    check_each("tv", tv, check_nonnegative)?;
    check_each("se", se, check_positive)?;
    check_positive("eps", eps).map(drop)
}

/// Relative weights `(s_ref/sᵢ)²`, kept away from 0 and ∞.
fn relative_weights(s: &[f64]) -> Vec<f64> {
    let s_min = s.iter().copied().fold(f64::INFINITY, f64::min);
    s.iter()
        .map(|&si| ((s_min / si).powi(2)).max(f64::MIN_POSITIVE))
        .collect()
}

/// Inclusive window around bracket `(i, i + 1)` where the fit stays within
/// `[ε/BRACKET_FACTOR, BRACKET_FACTOR·ε]`.
fn bracket_window(fitted: &[f64], i: usize, eps: f64) -> (usize, usize) {
    let (mut lo, mut hi) = (i, i + 1);
    while lo > 0 && fitted[lo - 1] <= BRACKET_FACTOR * eps {
        lo -= 1;
    }
    while hi + 1 < fitted.len() && fitted[hi + 1] >= eps / BRACKET_FACTOR && fitted[hi + 1] > 0.0 {
        hi += 1;
    }
    (lo, hi)
}

/// WLS of `ln TV = a + b ln NFE` over the window's positive points, weights `(TV/se)²`;
/// returns `(ln NFE*, b)` when `b < 0`.
fn inverse_regression(nfe: &[f64], tv: &[f64], se: &[f64], window: (usize, usize), eps: f64) -> Option<(f64, f64)> {
    let idx: Vec<usize> = (window.0..=window.1).filter(|&k| tv[k] > 0.0).collect();
    if idx.len() < 2 {
        return None;
    }
    let x: Vec<f64> = idx.iter().map(|&k| nfe[k].ln()).collect();
    let y: Vec<f64> = idx.iter().map(|&k| tv[k].ln()).collect();
    let w = relative_weights(&idx.iter().map(|&k| se[k] / tv[k]).collect::<Vec<_>>());
    let fit = fit_line(&x, &y, Some(&w)).ok()?;
    let ln_n = (eps.ln() - fit.intercept) / fit.slope;
    (fit.slope < 0.0 && ln_n.is_finite()).then_some((ln_n, fit.slope))
}

/// Fallback: interpolate the isotonic fit between the bracketing points (log-log when the
/// lower value is positive, linear otherwise); returns `(NFE*, slope)`.
fn interpolate_bracket(nfe: &[f64], fitted: &[f64], i: usize, eps: f64) -> (f64, Option<f64>) {
    let (n0, n1, f0, f1) = (nfe[i], nfe[i + 1], fitted[i], fitted[i + 1]);
    if f1 > 0.0 {
        let b = (f1 / f0).ln() / (n1 / n0).ln();
        ((n0.ln() + (eps / f0).ln() / b).exp(), Some(b))
    } else {
        (n0 + (f0 - eps) / (f0 - f1) * (n1 - n0), None)
    }
}

/// N*(ε) at fixed d: the **last** crossing of ε by the isotonic fit of TV against NFE,
/// refined by inverse regression (tv-methodology §2.1, §2.2 steps 2–3).
///
/// ```text
/// f     = isotonic_decreasing(tv, 1/se²)
/// j     = min{ k : f_k ≤ ε }      (f is non-increasing, so f_k ≤ ε for all k ≥ j)
/// i     = j − 1                   (bracket (i, j))
/// W     = [lo, hi] ⊇ {i, j},  extended while ε/4 ≤ f_k ≤ 4ε
/// ln TV = a + b ln NFE            (WLS over k ∈ W with TV_k > 0, weights (TV_k/se_k)²)
/// N*    = exp((ln ε − a)/b),  clamped to [NFE_i, NFE_j]
/// ```
///
/// If the regression is unusable (fewer than two positive points, or `b ≥ 0`), N* is the
/// log-log interpolation of the isotonic fit between `i` and `j`. Where `f` never reaches ε
/// the status is [`Crossing::NotReached`]; where `f₀ ≤ ε` it is [`Crossing::AlwaysBelow`];
/// neither carries a value.
///
/// # Errors
/// [`Error::InvalidConfig`] for fewer than 2 points or an NFE grid that is not strictly
/// increasing; [`Error::DimensionMismatch`] for unequal lengths; [`Error::InvalidParameter`]
/// for a non-positive NFE, a negative or NaN TV, a non-positive `se` or `eps`.
pub fn n_star(nfe: &[f64], tv: &[f64], se: &[f64], eps: f64) -> Result<NStar> {
    validate_curve(nfe, tv, se, eps)?;
    let fitted = pava(tv, &relative_weights(se));
    let Some(j) = fitted.iter().position(|&f| f <= eps) else {
        return Ok(NStar::censored(Crossing::NotReached, fitted));
    };
    if j == 0 {
        return Ok(NStar::censored(Crossing::AlwaysBelow, fitted));
    }
    let i = j - 1;
    let window = bracket_window(&fitted, i, eps);
    let (raw, slope) = match inverse_regression(nfe, tv, se, window, eps) {
        Some((ln_n, b)) => (ln_n.exp(), Some(b)),
        None => interpolate_bracket(nfe, &fitted, i, eps),
    };
    let value = raw.clamp(nfe[i], nfe[j]);
    Ok(NStar {
        status: Crossing::Found,
        value: Some(value),
        bracket: Some((i, j)),
        window: Some(window),
        slope,
        clamped: value != raw,
        fitted,
    })
}

// ---------------------------------------------------------------------------------------------
// 3. Bootstrap over replicate blocks
// ---------------------------------------------------------------------------------------------

/// Indices of one bootstrap draw: `n` draws with replacement from `0..n`, from the stream
/// `stream_rng(seed, draw)` (tv-methodology §2.2 step 6).
///
/// ```text
/// rng = stream_rng(seed, draw);   idx_k = uniform{0, …, n−1},  k = 0, …, n−1
/// ```
pub fn resample_indices(n: usize, seed: u64, draw: u64) -> Vec<usize> {
    let mut rng = stream_rng(seed, draw);
    (0..n).map(|_| rng.random_range(0..n)).collect()
}

/// Runs `f` on the resampled indices of draws `0..draws`, in parallel, in draw order.
fn run_draws<T: Send, F: Fn(&[usize]) -> T + Sync>(n: usize, draws: usize, seed: u64, f: F) -> Vec<T> {
    (0..draws)
        .into_par_iter()
        .map(|k| f(&resample_indices(n, seed, k as u64)))
        .collect()
}

fn validate_replicates(replicates: &[Vec<f64>], len: usize) -> Result<()> {
    check_points("replicate averaging", replicates.len(), 2)?;
    replicates.iter().try_for_each(|r| {
        check_len("replicate curve", len, r.len())?;
        check_each("replicate tv", r, check_nonnegative)
    })
}

/// Mean over the replicates `idx` (validated input).
fn mean_over(replicates: &[Vec<f64>], idx: &[usize]) -> Vec<f64> {
    let mut mean = vec![0.0; replicates[0].len()];
    for &r in idx {
        mean.iter_mut().zip(&replicates[r]).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= idx.len() as f64);
    mean
}

/// Standard error of the all-replicate mean, `sd/√R`; zeros are replaced by the smallest
/// positive value (or 1 if all are zero), since only relative weights matter.
fn mean_se(replicates: &[Vec<f64>]) -> Vec<f64> {
    let r = replicates.len() as f64;
    let all: Vec<usize> = (0..replicates.len()).collect();
    let mean = mean_over(replicates, &all);
    let se: Vec<f64> = (0..mean.len())
        .map(|k| {
            let ss: f64 = replicates.iter().map(|c| (c[k] - mean[k]).powi(2)).sum();
            (ss / (r - 1.0) / r).sqrt()
        })
        .collect();
    let floor = se.iter().copied().filter(|&s| s > 0.0).fold(f64::INFINITY, f64::min);
    let floor = if floor.is_finite() { floor } else { 1.0 };
    se.into_iter().map(|s| if s > 0.0 { s } else { floor }).collect()
}

/// N* of the mean of replicate curves `idx` (with repetition), weighted by the standard error
/// of the all-replicate mean (tv-methodology §2.2 steps 2–3 and 6).
///
/// ```text
/// TV̄_k = (1/|idx|) Σ_{r∈idx} TV_{r,k},   se_k = sd_r(TV_{r,k}) / √R   (all R replicates)
/// N*   = n_star(nfe, TV̄, se, ε)
/// ```
///
/// Holding `se` fixed across bootstrap draws keeps the weights from fluctuating with the draw.
/// This is the building block of [`bootstrap_n_star`] and of closures for
/// [`bootstrap_exponent`].
///
/// # Errors
/// As [`n_star`]; also [`Error::InvalidConfig`] for fewer than 2 replicates or an empty or
/// out-of-range `idx`, and [`Error::DimensionMismatch`] for a curve of the wrong length.
pub fn n_star_of_replicates(replicates: &[Vec<f64>], nfe: &[f64], eps: f64, idx: &[usize]) -> Result<NStar> {
    validate_replicates(replicates, nfe.len())?;
    if idx.is_empty() || idx.iter().any(|&r| r >= replicates.len()) {
        return Err(Error::InvalidConfig {
            reason: format!("replicate indices must be non-empty and below {}", replicates.len()),
        });
    }
    n_star(nfe, &mean_over(replicates, idx), &mean_se(replicates), eps)
}

/// Bootstrap of N* over replicate blocks, from [`bootstrap_n_star`].
#[derive(Debug, Clone, PartialEq)]
pub struct NStarBootstrap {
    /// N* of the mean over all replicates.
    pub point: NStar,
    /// 95% percentile interval over the draws, censored draws included (see `values`).
    pub interval: Interval,
    /// N* per draw in draw order; a draw that did not reach ε counts as `+∞`, one already
    /// below ε at the smallest NFE as `0`.
    pub values: Vec<f64>,
    /// Number of draws with [`Crossing::NotReached`].
    pub not_reached: usize,
    /// Number of draws with [`Crossing::AlwaysBelow`].
    pub always_below: usize,
}

fn censored_value(n: &NStar) -> f64 {
    match n.status {
        Crossing::Found => n.value.unwrap_or(f64::NAN),
        Crossing::NotReached => f64::INFINITY,
        Crossing::AlwaysBelow => 0.0,
    }
}

/// Percentile bootstrap of N*(ε) over replicate blocks (tv-methodology §2.2 step 6).
///
/// ```text
/// for draw = 0 … draws−1:
///     idx  = resample_indices(R, seed, draw)
///     N*_draw = n_star_of_replicates(replicates, nfe, ε, idx)   (+∞ if NotReached, 0 if AlwaysBelow)
/// interval = [q_{2.5%}, q_{97.5%}] of {N*_draw}   (type-7 quantiles)
/// ```
///
/// Censored draws stay in the percentile set, so the interval is unbounded on a side where
/// more than 2.5% of the draws are censored, and the counts say how many were. Results are
/// bitwise deterministic in `seed` whatever the thread count.
///
/// # Errors
/// As [`n_star_of_replicates`]; [`Error::InvalidConfig`] for fewer than 2 draws.
pub fn bootstrap_n_star(
    replicates: &[Vec<f64>],
    nfe: &[f64],
    eps: f64,
    draws: usize,
    seed: u64,
) -> Result<NStarBootstrap> {
    check_points("a bootstrap", draws, 2)?;
    let all: Vec<usize> = (0..replicates.len()).collect();
    let point = n_star_of_replicates(replicates, nfe, eps, &all)?;
    let draws = run_draws(replicates.len(), draws, seed, |idx| {
        n_star_of_replicates(replicates, nfe, eps, idx)
    })
    .into_iter()
    .collect::<Result<Vec<NStar>>>()?;
    let count = |s: Crossing| draws.iter().filter(|n| n.status == s).count();
    let values: Vec<f64> = draws.iter().map(censored_value).collect();
    Ok(NStarBootstrap {
        interval: percentile_interval(&values),
        not_reached: count(Crossing::NotReached),
        always_below: count(Crossing::AlwaysBelow),
        values,
        point,
    })
}

// ---------------------------------------------------------------------------------------------
// 4. Exponent fits
// ---------------------------------------------------------------------------------------------

/// A power law `y ≈ exp(log_prefactor)·x^exponent` fitted in log-log space.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerFit {
    /// The exponent β.
    pub exponent: f64,
    /// The intercept γ = ln c.
    pub log_prefactor: f64,
    /// Analytic standard error of β (scaled by the residual variance).
    pub se_exponent: f64,
    /// 95% interval `β ± t_{0.975, n−2}·SE(β)`.
    pub ci: Interval,
    /// Log-space residuals `ln yᵢ − γ − β ln xᵢ`.
    pub residuals: Vec<f64>,
    /// `Σ wᵢ rᵢ² / (n − 2)`: the residual variance; ≈ 1 when `se_log` is given and right.
    pub residual_variance: f64,
    /// Residual degrees of freedom `n − 2`.
    pub dof: usize,
}

impl PowerFit {
    /// The prefactor `c = exp(γ)`.
    pub fn prefactor(&self) -> f64 {
        self.log_prefactor.exp()
    }
}

fn t_quantile(dof: usize) -> Result<f64> {
    let t = StudentsT::new(0.0, 1.0, dof as f64).map_err(|_| Error::InvalidParameter {
        name: "dof",
        value: dof as f64,
        expected: "positive",
    })?;
    Ok(t.inverse_cdf(0.5 + 0.5 * CONFIDENCE))
}

/// WLS power-law fit of `y` against `d` in log-log space, with an analytic 95% CI of the
/// exponent (tv-methodology §2.3).
///
/// ```text
/// ln yᵢ = β ln dᵢ + γ + rᵢ,   weights wᵢ = 1/se_logᵢ²  (1 when se_log is None)
/// SE(β) = √( s² [(XᵀWX)⁻¹]_ββ ),  s² = Σ wᵢ rᵢ² / (n − 2)
/// CI    = β ± t_{0.975, n−2} SE(β)
/// ```
///
/// With K points and log-scatter σ, `SE(β) ≈ σ / (sd(ln d) √K)`. The SE reflects residual
/// scatter, curvature (drifting local slopes) included; the whole-pipeline CI comes from
/// [`bootstrap_exponent`].
///
/// # Errors
/// [`Error::InvalidConfig`] for fewer than 3 points or all `d` equal; [`Error::DimensionMismatch`]
/// for unequal lengths; [`Error::InvalidParameter`] for non-positive `d`, `y` or `se_log`.
pub fn fit_power_law(d: &[f64], y: &[f64], se_log: Option<&[f64]>) -> Result<PowerFit> {
    check_len("power-law y", d.len(), y.len())?;
    check_points("a power-law fit with a CI", d.len(), 3)?;
    check_each("d", d, check_positive)?;
    check_each("y", y, check_positive)?;
    let w = match se_log {
        Some(s) => {
            check_len("power-law se_log", d.len(), s.len())?;
            check_each("se_log", s, check_positive)?;
            Some(relative_weights(s))
        }
        None => None,
    };
    let lx: Vec<f64> = d.iter().map(|v| v.ln()).collect();
    let ly: Vec<f64> = y.iter().map(|v| v.ln()).collect();
    let line = fit_line(&lx, &ly, w.as_deref())?;
    power_from(line, se_log.map(|s| s.iter().copied().fold(f64::INFINITY, f64::min)))
}

/// Converts a log-log line into a [`PowerFit`]; `s_ref` undoes the relative weighting so the
/// residual variance is in units of the given `se_log`.
fn power_from(line: LineFit, s_ref: Option<f64>) -> Result<PowerFit> {
    let se = line.se_slope.unwrap_or(f64::NAN);
    let half = t_quantile(line.dof)? * se;
    let scale = s_ref.map_or(1.0, |s| 1.0 / (s * s));
    Ok(PowerFit {
        exponent: line.slope,
        log_prefactor: line.intercept,
        se_exponent: se,
        ci: Interval {
            low: line.slope - half,
            high: line.slope + half,
        },
        residual_variance: line.rss * scale / line.dof as f64,
        residuals: line.residuals,
        dof: line.dof,
    })
}

/// Local log-log slopes between neighbouring points, at the geometric midpoints
/// (tv-methodology §2.3 "always plot local slopes").
///
/// ```text
/// d_mid,i = √(dᵢ dᵢ₊₁),   slopeᵢ = (ln yᵢ₊₁ − ln yᵢ) / (ln dᵢ₊₁ − ln dᵢ)
/// ```
///
/// For `y = c·d^β (ln d)^k` the slope is `β + k·ln(ln dᵢ₊₁ / ln dᵢ)/ln(dᵢ₊₁/dᵢ) ≈ β + k/ln d_mid`.
///
/// # Errors
/// [`Error::InvalidConfig`] for fewer than 2 points or `d` not strictly increasing;
/// [`Error::DimensionMismatch`] and [`Error::InvalidParameter`] (non-positive values) as usual.
pub fn local_slopes(d: &[f64], y: &[f64]) -> Result<Vec<(f64, f64)>> {
    check_len("local-slope y", d.len(), y.len())?;
    check_points("local slopes", d.len(), 2)?;
    check_each("d", d, check_positive)?;
    check_each("y", y, check_positive)?;
    check_increasing("d", d)?;
    Ok(d.windows(2)
        .zip(y.windows(2))
        .map(|(dd, yy)| ((dd[0] * dd[1]).sqrt(), (yy[1] / yy[0]).ln() / (dd[1] / dd[0]).ln()))
        .collect())
}

/// Power of a logarithm, `y ≈ c·(ln x)^k`, fitted log-log in `ln x` (tv-methodology §3.2:
/// rounds `R*(d) ≈ c·ln² d` give `k ≈ 2`).
///
/// ```text
/// ln yᵢ = k ln(ln xᵢ) + ln c + rᵢ      (= fit_power_law(ln x, y, se_log))
/// ```
///
/// The returned [`PowerFit::exponent`] is `k`, with its SE and 95% CI.
///
/// # Errors
/// As [`fit_power_law`]; [`Error::InvalidParameter`] for `x ≤ 1`.
pub fn fit_log_power(x: &[f64], y: &[f64], se_log: Option<&[f64]>) -> Result<PowerFit> {
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    lx.iter().zip(x).try_for_each(|(&l, &v)| {
        if l > 0.0 && l.is_finite() {
            Ok(())
        } else {
            Err(Error::InvalidParameter {
                name: "x",
                value: v,
                expected: "greater than 1 and finite",
            })
        }
    })?;
    fit_power_law(&lx, y, se_log)
}

/// The candidate growth laws of [`compare_growth_models`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrowthModel {
    /// `y ≈ a + b ln d` (params `[a, b]`).
    LogLinear,
    /// `y ≈ a + b ln² d` (params `[a, b]`).
    LogSquared,
    /// `y ≈ c d^β` (params `[c, β]`), fitted in log-log space.
    Power,
}

/// One fitted growth law.
#[derive(Debug, Clone, PartialEq)]
pub struct GrowthFit {
    /// Which law.
    pub model: GrowthModel,
    /// `[a, b]` or `[c, β]`, see [`GrowthModel`].
    pub params: [f64; 2],
    /// Residual sum of squares on the scale of `y`.
    pub rss: f64,
    /// `n ln(rss/n) + 2k` with `k = 3` (two coefficients and the noise variance).
    pub aic: f64,
}

impl GrowthFit {
    /// The fitted law evaluated at `d`.
    pub fn predict(&self, d: f64) -> f64 {
        let [p0, p1] = self.params;
        match self.model {
            GrowthModel::LogLinear => p0 + p1 * d.ln(),
            GrowthModel::LogSquared => p0 + p1 * d.ln().powi(2),
            GrowthModel::Power => p0 * d.powf(p1),
        }
    }
}

/// All fits of [`compare_growth_models`].
#[derive(Debug, Clone, PartialEq)]
pub struct GrowthComparison {
    /// One fit per [`GrowthModel`], in declaration order.
    pub fits: Vec<GrowthFit>,
}

impl GrowthComparison {
    /// The fit with the lowest AIC (the first one on ties); `None` only if `fits` is empty.
    pub fn best(&self) -> Option<&GrowthFit> {
        self.fits.iter().reduce(|a, b| if b.aic < a.aic { b } else { a })
    }

    /// The fit of `model`.
    pub fn get(&self, model: GrowthModel) -> Option<&GrowthFit> {
        self.fits.iter().find(|f| f.model == model)
    }
}

fn growth_fit(model: GrowthModel, params: [f64; 2], d: &[f64], y: &[f64]) -> GrowthFit {
    let mut fit = GrowthFit {
        model,
        params,
        rss: 0.0,
        aic: 0.0,
    };
    fit.rss = d.iter().zip(y).map(|(&di, &yi)| (yi - fit.predict(di)).powi(2)).sum();
    let n = d.len() as f64;
    fit.aic = n * (fit.rss / n).ln() + 2.0 * 3.0;
    fit
}

/// Fits `a + b ln d`, `a + b ln² d` and `c d^β` to the same data and ranks them by AIC, for
/// the polylog-versus-power question of parallel rounds (tv-methodology §3.2 step 3).
///
/// ```text
/// LogLinear:  y ≈ a + b ln d      (OLS in y)
/// LogSquared: y ≈ a + b ln² d     (OLS in y)
/// Power:      y ≈ c d^β           (OLS in ln y, then scored in y)
/// RSS = Σ (yᵢ − ŷᵢ)²,   AIC = n ln(RSS/n) + 2·3
/// ```
///
/// All three have the same number of parameters, so AIC ranks them as RSS does; AIC is kept
/// so further models can be added. With exact data (RSS → 0) the ranking is meaningless.
///
/// # Errors
/// As [`fit_power_law`] (at least 3 points, positive `d` and `y`).
pub fn compare_growth_models(d: &[f64], y: &[f64]) -> Result<GrowthComparison> {
    let power = fit_power_law(d, y, None)?;
    let ln_d: Vec<f64> = d.iter().map(|v| v.ln()).collect();
    let ln2_d: Vec<f64> = ln_d.iter().map(|v| v * v).collect();
    let lin = fit_line(&ln_d, y, None)?;
    let sq = fit_line(&ln2_d, y, None)?;
    Ok(GrowthComparison {
        fits: vec![
            growth_fit(GrowthModel::LogLinear, [lin.intercept, lin.slope], d, y),
            growth_fit(GrowthModel::LogSquared, [sq.intercept, sq.slope], d, y),
            growth_fit(GrowthModel::Power, [power.prefactor(), power.exponent], d, y),
        ],
    })
}

/// Whole-pipeline bootstrap of the d-exponent, from [`bootstrap_exponent`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExponentBootstrap {
    /// Power-law fit of the point estimates N*(d) (all replicates).
    pub point: PowerFit,
    /// 95% percentile interval of β over the complete draws.
    pub interval: Interval,
    /// β per complete draw, in draw order.
    pub exponents: Vec<f64>,
    /// Draws in which some N*(d) was not found (excluded from `interval`).
    pub incomplete: usize,
}

/// Percentile bootstrap of the exponent β of N*(d) over replicate blocks: resample blocks,
/// recompute every N*(d), refit (tv-methodology §2.3 "Fits").
///
/// ```text
/// point:   β̂ = fit_power_law(d, n_star_of(0, 1, …, R−1)).exponent
/// draw k:  idx = resample_indices(R, seed, k);  β_k = fit_power_law(d, n_star_of(idx)).exponent
/// interval = [q_{2.5%}, q_{97.5%}] of {β_k : every N*(d) of draw k found}
/// ```
///
/// `n_star_of(idx)` returns N*(d) for every `d` (in order) from the replicate blocks `idx`
/// (with repetition), `None` where N* was not found; e.g. per d,
/// `n_star_of_replicates(curves_d, nfe_d, ε, idx)?.value`. Replicate `r` should be the same
/// block (same seeds) at every d if the runs use common random numbers, so that the resample
/// keeps their correlation. Draws run in parallel and are deterministic in `seed`.
///
/// # Errors
/// Whatever `n_star_of` returns; [`Error::DimensionMismatch`] if it returns the wrong length;
/// [`Error::InvalidConfig`] for fewer than 2 replicates or draws, a point estimate with a
/// missing N*, or fewer than 2 complete draws; the errors of [`fit_power_law`].
pub fn bootstrap_exponent<F>(
    d: &[f64],
    replicates: usize,
    draws: usize,
    seed: u64,
    n_star_of: F,
) -> Result<ExponentBootstrap>
where
    F: Fn(&[usize]) -> Result<Vec<Option<f64>>> + Sync,
{
    check_points("replicate resampling", replicates, 2)?;
    check_points("a bootstrap", draws, 2)?;
    let fit_of = |idx: &[usize]| -> Result<Option<PowerFit>> {
        let ns = n_star_of(idx)?;
        check_len("N*(d) per draw", d.len(), ns.len())?;
        ns.into_iter()
            .collect::<Option<Vec<f64>>>()
            .map(|y| fit_power_law(d, &y, None))
            .transpose()
    };
    let all: Vec<usize> = (0..replicates).collect();
    let point = fit_of(&all)?.ok_or_else(|| Error::InvalidConfig {
        reason: "N*(d) not found at some d for the full data: no exponent to fit".into(),
    })?;
    let fits = run_draws(replicates, draws, seed, fit_of)
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let exponents: Vec<f64> = fits.iter().flatten().map(|f| f.exponent).collect();
    check_points("a percentile interval (complete draws)", exponents.len(), 2)?;
    Ok(ExponentBootstrap {
        point,
        interval: percentile_interval(&exponents),
        incomplete: draws - exponents.len(),
        exponents,
    })
}

// ---------------------------------------------------------------------------------------------
// 5. Mechanistic two-term surface
// ---------------------------------------------------------------------------------------------

/// The surface `TV ≈ a√d h^p + b d h^q` with fixed orders `p`, `q`, from [`fit_two_term`].
#[derive(Debug, Clone, PartialEq)]
pub struct TwoTermFit {
    /// Coefficient of the `√d h^p` term (≥ 0).
    pub a: f64,
    /// Coefficient of the `d h^q` term (≥ 0).
    pub b: f64,
    /// Order of the first term in h.
    pub p: f64,
    /// Order of the second term in h.
    pub q: f64,
    /// `√(mean (ln(model/tv))²)` over the fitted points.
    pub rms_log_residual: f64,
}

/// The two basis columns `√d h^p` and `d h^q`.
fn two_term_basis(d: f64, h: f64, p: f64, q: f64) -> (f64, f64) {
    (d.sqrt() * h.powf(p), d * h.powf(q))
}

/// Best single-term fit `c·u` of relative residuals: `c = Σ(u/t) / Σ(u/t)²`, and its objective.
fn one_term(u: &[f64], tv: &[f64]) -> (f64, f64) {
    let r: Vec<f64> = u.iter().zip(tv).map(|(ui, ti)| ui / ti).collect();
    let c = r.iter().sum::<f64>() / r.iter().map(|x| x * x).sum::<f64>();
    (c, r.iter().map(|x| (c * x - 1.0).powi(2)).sum())
}

/// Non-negative least squares in two variables on relative residuals.
fn nnls_two(u: &[f64], v: &[f64], tv: &[f64]) -> (f64, f64) {
    if let Ok(fit) = lsq(&[u, v], tv, &relative_weights(tv))
        && fit.coef.iter().all(|&c| c >= 0.0)
    {
        return (fit.coef[0], fit.coef[1]);
    }
    let ((a, obj_a), (b, obj_b)) = (one_term(u, tv), one_term(v, tv));
    if obj_a <= obj_b { (a, 0.0) } else { (0.0, b) }
}

/// Mechanistic surface fit `TV ≈ a√d h^p + b d h^q` with `p`, `q` fixed (tv-methodology §2.3).
///
/// ```text
/// (a, b) = argmin_{a, b ≥ 0} Σᵢ ((a√dᵢ hᵢ^p + b dᵢ hᵢ^q − TVᵢ) / TVᵢ)²
/// rms    = √( (1/n) Σᵢ ln²(model_i / TVᵢ) )
/// ```
///
/// `a` and `b` enter linearly, so this is weighted linear least squares (weights 1/TV²) with
/// the non-negativity handled exactly: if the unconstrained optimum has a negative coefficient,
/// the better of the two one-term fits is the constrained optimum.
///
/// # Errors
/// [`Error::InvalidConfig`] for fewer than 2 points; [`Error::DimensionMismatch`] for unequal
/// lengths; [`Error::InvalidParameter`] for non-positive `d`, `h`, `tv`, `p` or `q`.
pub fn fit_two_term(d: &[f64], h: &[f64], tv: &[f64], p: f64, q: f64) -> Result<TwoTermFit> {
    check_len("two-term h", d.len(), h.len())?;
    check_len("two-term tv", d.len(), tv.len())?;
    check_points("a two-term fit", d.len(), 2)?;
    check_each("d", d, check_positive)?;
    check_each("h", h, check_positive)?;
    check_each("tv", tv, check_positive)?;
    check_positive("p", p)?;
    check_positive("q", q)?;
    let (u, v): (Vec<f64>, Vec<f64>) = d.iter().zip(h).map(|(&di, &hi)| two_term_basis(di, hi, p, q)).unzip();
    let (a, b) = nnls_two(&u, &v, tv);
    let mut fit = TwoTermFit {
        a,
        b,
        p,
        q,
        rms_log_residual: 0.0,
    };
    let ss: f64 = (0..tv.len()).map(|i| (fit.tv(d[i], h[i]) / tv[i]).ln().powi(2)).sum();
    fit.rms_log_residual = (ss / tv.len() as f64).sqrt();
    Ok(fit)
}

impl TwoTermFit {
    /// The fitted surface.
    ///
    /// ```text
    /// TV(d, h) = a√d h^p + b d h^q
    /// ```
    pub fn tv(&self, d: f64, h: f64) -> f64 {
        let (u, v) = two_term_basis(d, h, self.p, self.q);
        self.a * u + self.b * v
    }

    fn check_query(&self, d: f64, eps: f64) -> Result<()> {
        check_positive("d", d)?;
        check_positive("eps", eps)?;
        if self.a > 0.0 || self.b > 0.0 {
            Ok(())
        } else {
            Err(Error::InvalidConfig {
                reason: "two-term surface is identically zero".into(),
            })
        }
    }

    /// The step `h*` with `TV(d, h*) = ε`, by bisection in `ln h` (the surface is increasing
    /// in h for `a, b ≥ 0`, `p, q > 0`).
    ///
    /// ```text
    /// a√d h^p + b d h^q = ε
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for non-positive `d` or `eps`; [`Error::InvalidConfig`] if
    /// `a = b = 0` or no `h ∈ [e^{−1024}, e^{1024}]` brackets ε.
    pub fn h_star(&self, d: f64, eps: f64) -> Result<f64> {
        self.check_query(d, eps)?;
        let g = |lh: f64| self.tv(d, lh.exp()).ln() - eps.ln();
        let (mut lo, mut hi) = (-1.0, 1.0);
        while g(lo) > 0.0 && lo > -700.0 {
            lo *= 2.0;
        }
        while g(hi) < 0.0 && hi < 700.0 {
            hi *= 2.0;
        }
        if g(lo) > 0.0 || g(hi) < 0.0 {
            return Err(Error::InvalidConfig {
                reason: format!("ε = {eps} is outside the range of the two-term surface at d = {d}"),
            });
        }
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if g(mid) > 0.0 {
                hi = mid
            } else {
                lo = mid
            }
            if hi - lo <= 1e-15 * hi.abs().max(1.0) {
                break;
            }
        }
        Ok((0.5 * (lo + hi)).exp())
    }

    /// N*(d, ε) predicted by the surface, for a sampler whose cost is `NFE = cost / h`
    /// (e.g. `cost = T·(score evaluations per step)` on a uniform grid of horizon T).
    ///
    /// ```text
    /// N* = cost / h*(d, ε)
    /// ```
    ///
    /// # Errors
    /// As [`TwoTermFit::h_star`]; [`Error::InvalidParameter`] for a non-positive `cost`.
    pub fn n_star(&self, d: f64, eps: f64, cost: f64) -> Result<f64> {
        check_positive("cost", cost)?;
        Ok(cost / self.h_star(d, eps)?)
    }

    /// Local exponent `d ln N* / d ln d` of the surface's N*(d, ε), by implicit differentiation.
    ///
    /// ```text
    /// A = a√d h*^p,  B = b d h*^q,  A + B = ε   ⇒   d ln N*/d ln d = (A/2 + B) / (pA + qB)
    /// ```
    ///
    /// It moves from `1/(2p)` (first term dominant) to `1/q` (second term dominant).
    ///
    /// # Errors
    /// As [`TwoTermFit::h_star`].
    pub fn local_exponent(&self, d: f64, eps: f64) -> Result<f64> {
        let (u, v) = two_term_basis(d, self.h_star(d, eps)?, self.p, self.q);
        let (a, b) = (self.a * u, self.b * v);
        Ok((0.5 * a + b) / (self.p * a + self.q * b))
    }

    /// The dimension at which the two terms are equal at the crossing `TV = ε`; `None` when a
    /// coefficient is zero or `q = 2p` (the ratio of the terms does not depend on d there).
    ///
    /// ```text
    /// a√d h^p = b d h^q = ε/2   ⇒   d× = [ (ε/2) / (b (ε/(2a))^{q/p}) ]^{1/(1 − q/(2p))}
    /// ```
    ///
    /// Below `d×` the `√d h^p` term dominates and N* ∝ d^{1/(2p)}; above it N* ∝ d^{1/q}.
    pub fn crossover_d(&self, eps: f64) -> Option<f64> {
        let power = 1.0 - self.q / (2.0 * self.p);
        if self.a <= 0.0 || self.b <= 0.0 || power == 0.0 || !eps.is_finite() || eps <= 0.0 {
            return None;
        }
        let base = (0.5 * eps) / (self.b * (eps / (2.0 * self.a)).powf(self.q / self.p));
        Some(base.powf(1.0 / power)).filter(|d| d.is_finite())
    }
}
