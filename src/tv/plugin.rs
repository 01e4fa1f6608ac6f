//! Histogram plug-in TV in 1–3 dimensions against an exact law, with its multinomial noise
//! floor, a split-sample unbiased lower bound and a pooled per-coordinate diagnostic
//! (tv-methodology.md §1.2–§1.3).
//!
//! ```text
//! TV̂ = ½ Σ_b |p̂_b − p_b|,   p̂_b = (count in cell b)/n,   p_b = π(cell b)   (exact)
//! E TV̂ ≤ TV_binned + floor,   TV_binned = ½ Σ_b |μ(b) − π(b)| ≤ TV(μ, π)        (DPI)
//! floor = ½ Σ_b √(2 p_b (1 − p_b)/(π n))   = √(B(1 − 1/B)/(2π n))   (B equiprobable cells)
//! ```
//! * Binning is a data-processing step, so it biases **down** (`TV_binned ≤ TV`); multinomial
//!   noise biases **up** by about the floor when `TV_binned = 0` and by less when the cells are
//!   resolved. Trust `TV̂` only when `TV̂ ≥ 3·floor` ([`PluginTv::resolved`]).
//! * 1-D ([`tv_hist_1d`]): probability-integral transform `u = F_π(x)`, then `B` bins of
//!   `[0, 1]` with exact masses `1/B`.
//! * 2-D and 3-D ([`tv_hist`]): a grid of `B` cells per axis whose interior edges are the
//!   `j/B`-quantiles of π's marginals (the outer cells are unbounded, so the grid covers `ℝ^d`);
//!   exact cell masses from [`BoxLaw`].
//! * [`tv_split_1d`] / [`tv_split`]: the split-sample lower bound with a Clopper–Pearson
//!   interval. [`tv_pooled_1d`]: all `n·d` coordinates against one 1-D law (a marginal
//!   diagnostic, never the joint TV).
//!
//! Reference: tv-methodology.md §1.0 (DPI), §1.2 (histograms, floor, split sample), §1.3
//! (projections and pooling).

use statrs::distribution::{Beta, ContinuousCDF};

use super::TvEstimate;
use crate::error::{Error, Result, check_finite, check_nonnegative};
use crate::metrics::Mixture1d;
use crate::process::{alpha, sigma2};
use crate::target::{Gaussian, GaussianMixture, Product, Score};

/// Largest number of histogram cells accepted (`B^d ≤ 2^24`).
pub const MAX_CELLS: usize = 1 << 24;

// ---------------------------------------------------------------------------------------------
// Result type and the statistics of a histogram against exact cell masses
// ---------------------------------------------------------------------------------------------

/// A histogram plug-in TV estimate with its noise floor.
///
/// ```text
/// tv       = ½ Σ_b |p̂_b − p_b|
/// se       = ½ √((Σ_b s_b² p̂_b − (Σ_b s_b p̂_b)²)/n),   s_b = sign(p̂_b − p_b)   (delta method)
/// floor    = ½ Σ_b √(2 p_b (1 − p_b)/(π n))                                    (null mean of tv)
/// resolved = tv ≥ 3·floor
/// ```
/// The standard error is the multinomial delta method for the linearization
/// `½ Σ_b s_b (p̂_b − p_b)`: valid when every `|p̂_b − p_b|` is well above its own noise
/// (a resolved estimate); in the null regime `|·|` is not smooth, the true spread is below `se`
/// and the upward bias (about `floor`) dominates. Converts into [`TvEstimate`] with the
/// normal interval `tv ± 1.96 se`, which does **not** include the binning (down) or noise (up)
/// bias. Reference: tv-methodology.md §1.2.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginTv {
    /// Plug-in estimate `½ Σ_b |p̂_b − p_b|`.
    pub tv: f64,
    /// Delta-method standard error of `tv`.
    pub se: f64,
    /// Null noise floor `½ Σ_b √(2 p_b (1 − p_b)/(π n))`.
    pub floor: f64,
    /// Whether `tv ≥ 3·floor` (the estimate is above the noise).
    pub resolved: bool,
    /// Number of sample values binned.
    pub n: usize,
    /// Number of histogram cells.
    pub cells: usize,
    /// Estimator name, e.g. `"histogram-1d (B = 50)"`.
    pub estimator: String,
}

impl PluginTv {
    /// Builds the estimate from the cell index of every sample and the exact cell masses `p`.
    fn from_cells(cells: &[usize], p: &[f64], estimator: String) -> Self {
        let n = cells.len();
        let p_hat = frequencies(&counts(cells, p.len()), n);
        let tv = discrete_tv(&p_hat, p);
        let floor = noise_floor(p, n);
        PluginTv {
            tv,
            se: delta_se(&p_hat, p, n),
            floor,
            resolved: tv >= 3.0 * floor,
            n,
            cells: p.len(),
            estimator,
        }
    }
}

impl From<PluginTv> for TvEstimate {
    /// `TvEstimate::normal(tv, se, estimator)`.
    fn from(p: PluginTv) -> Self {
        TvEstimate::normal(p.tv, p.se, p.estimator)
    }
}

/// TV between two discrete laws on the same cells.
///
/// ```text
/// TV(p, q) = ½ Σ_b |p_b − q_b|
/// ```
/// Extra entries of the longer slice are ignored. Used for the plug-in estimate and for the
/// exact binned TV `TV_binned = ½ Σ_b |μ(b) − π(b)|` (tv-methodology.md §1.2).
pub fn discrete_tv(p: &[f64], q: &[f64]) -> f64 {
    0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
}

/// Null noise floor of the plug-in TV with `n` samples and exact cell masses `p`.
///
/// ```text
/// E ½ Σ_b |p̂_b − p_b| ≈ ½ Σ_b √(2 p_b (1 − p_b)/(π n))
///                     = √(B (1 − 1/B)/(2π n))          (B cells of mass 1/B)
/// ```
/// Uses `E|N(0, σ²)| = σ √(2/π)` for each binomial count; accurate when every `n p_b` is large
/// (tv-methodology.md §1.2: B = 50, n = 10⁴ gives 0.02793, simulated 0.02805).
pub fn noise_floor(p: &[f64], n: usize) -> f64 {
    let n = n as f64;
    0.5 * p
        .iter()
        .map(|&pb| (2.0 * pb * (1.0 - pb).max(0.0) / (std::f64::consts::PI * n)).sqrt())
        .sum::<f64>()
}

/// Delta-method standard error of `½ Σ_b |p̂_b − p_b|` (see [`PluginTv`]).
fn delta_se(p_hat: &[f64], p: &[f64], n: usize) -> f64 {
    let (mut s2, mut s1) = (0.0, 0.0);
    for (&ph, &pb) in p_hat.iter().zip(p) {
        let s = sign(ph - pb);
        s2 += s * s * ph;
        s1 += s * ph;
    }
    0.5 * ((s2 - s1 * s1).max(0.0) / n as f64).sqrt()
}

/// `−1, 0, 1` by the sign of `x` (0 at 0, unlike `f64::signum`).
fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Counts of each cell index in `0..cells`.
fn counts(cell_of: &[usize], cells: usize) -> Vec<u64> {
    let mut c = vec![0u64; cells];
    cell_of.iter().for_each(|&b| c[b] += 1);
    c
}

/// `counts / n`.
fn frequencies(counts: &[u64], n: usize) -> Vec<f64> {
    counts.iter().map(|&c| c as f64 / n as f64).collect()
}

// ---------------------------------------------------------------------------------------------
// Input validation
// ---------------------------------------------------------------------------------------------

/// Checks `bins ≥ 2` and `bins^dim ≤ MAX_CELLS`; returns `bins^dim`.
fn check_bins(bins: usize, dim: usize) -> Result<usize> {
    let cells = u32::try_from(dim)
        .ok()
        .and_then(|d| bins.checked_pow(d))
        .filter(|&c| c <= MAX_CELLS);
    match cells {
        Some(c) if bins >= 2 => Ok(c),
        _ => Err(Error::InvalidParameter {
            name: "bins",
            value: bins as f64,
            expected: "at least 2, with bins^dim at most 2^24 cells",
        }),
    }
}

/// Checks `dim ∈ 1..=3`.
fn check_plugin_dim(dim: usize) -> Result<usize> {
    if (1..=3).contains(&dim) {
        Ok(dim)
    } else {
        Err(Error::InvalidParameter {
            name: "dim",
            value: dim as f64,
            expected: "1, 2 or 3 for histogram TV (use projections beyond, tv-methodology.md §1.3)",
        })
    }
}

/// Checks a row-major `n × dim` buffer: `n ≥ 1`, length a multiple of `dim`, all finite.
/// Returns `n`.
fn check_samples(samples: &[f64], dim: usize, min_n: usize) -> Result<usize> {
    if dim == 0 {
        return Err(Error::InvalidParameter {
            name: "dim",
            value: 0.0,
            expected: "at least 1",
        });
    }
    if !samples.len().is_multiple_of(dim) {
        return Err(Error::DimensionMismatch {
            what: "sample buffer length modulo dim",
            expected: 0,
            got: samples.len() % dim,
        });
    }
    let n = samples.len() / dim;
    if n < min_n {
        return Err(Error::InvalidParameter {
            name: "samples (count)",
            value: n as f64,
            expected: if min_n <= 1 { "at least 1" } else { "at least 2" },
        });
    }
    match samples.iter().position(|x| !x.is_finite()) {
        Some(i) => Err(Error::NonFinite {
            sample: i / dim,
            at: "input to histogram TV".to_string(),
        }),
        None => Ok(n),
    }
}

// ---------------------------------------------------------------------------------------------
// 1-D: probability-integral transform
// ---------------------------------------------------------------------------------------------

/// Cell of `x` among `B` equiprobable bins of `law`: `⌊B·F(x)⌋` clipped to `B − 1`.
fn pit_cell(law: &Mixture1d, bins: usize, x: f64) -> usize {
    ((law.cdf(x) * bins as f64) as usize).min(bins - 1)
}

/// Validated 1-D input mapped to PIT cells.
fn pit_cells(samples: &[f64], law: &Mixture1d, bins: usize, min_n: usize) -> Result<Vec<usize>> {
    check_bins(bins, 1)?;
    check_samples(samples, 1, min_n)?;
    Ok(samples.iter().map(|&x| pit_cell(law, bins, x)).collect())
}

/// 1-D histogram plug-in TV after the probability-integral transform.
///
/// ```text
/// u_i = F_π(x_i),   b_i = min(⌊B u_i⌋, B − 1),   p_b = 1/B   (exact)
/// TV̂ = ½ Σ_b |p̂_b − 1/B|,   floor = √(B (1 − 1/B)/(2π n))
/// ```
/// TV is invariant under the bijection `F_π`, so this estimates `TV(μ, π)` binned into the
/// `B` π-equiprobable intervals `[F_π⁻¹(b/B), F_π⁻¹((b+1)/B))` (tv-methodology.md §1.2).
/// Estimator name `"histogram-1d (B = {bins})"`; see [`PluginTv`] for `se` and `floor`.
///
/// # Errors
/// [`Error::InvalidParameter`] for empty `samples` or `bins < 2` (or above [`MAX_CELLS`]);
/// [`Error::NonFinite`] for a NaN or infinite sample (its index in the field `sample`).
pub fn tv_hist_1d(samples: &[f64], law: &Mixture1d, bins: usize) -> Result<PluginTv> {
    let cells = pit_cells(samples, law, bins, 1)?;
    let p = vec![1.0 / bins as f64; bins];
    Ok(PluginTv::from_cells(&cells, &p, format!("histogram-1d (B = {bins})")))
}

/// Pooled per-coordinate TV: all `n·d` coordinate values of row-major `n × dim` samples
/// against one common 1-D law, by [`tv_hist_1d`].
///
/// ```text
/// μ̄ = (1/d) Σ_i law(x_i)  (pooled marginal),   TV̂ = histogram-1d(μ̄ vs ν),   effective n = n·d
/// TV(μ̄, ν) ≤ TV(μ, ν^{⊗d})   when every coordinate of π has the law ν
/// ```
/// A **marginal diagnostic**, not the joint TV: picking a uniformly random coordinate is a
/// Markov kernel mapping π to `ν`, so by the DPI the pooled TV is a lower bound on the joint TV
/// (tv-methodology.md §1.3, "pooling"). The floor and `se` treat the `n·d` values as
/// independent, which holds exactly only when the sampler's coordinates are independent (e.g.
/// per-coordinate α on a product target); with dependent coordinates they are approximate.
/// Estimator name `"pooled per-coordinate histogram-1d (B = …, d = …; marginal lower bound)"`.
///
/// # Errors
/// As [`tv_hist_1d`], and [`Error::InvalidParameter`] for `dim = 0`,
/// [`Error::DimensionMismatch`] when `samples.len()` is not a multiple of `dim`.
pub fn tv_pooled_1d(samples: &[f64], dim: usize, law: &Mixture1d, bins: usize) -> Result<PluginTv> {
    check_samples(samples, dim, 1)?;
    let mut out = tv_hist_1d(samples, law, bins)?;
    out.estimator = format!("pooled per-coordinate histogram-1d (B = {bins}, d = {dim}; marginal lower bound)");
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Laws with exact box masses
// ---------------------------------------------------------------------------------------------

/// A low-dimensional law with exact masses of axis-aligned boxes: a finite mixture of
/// products of 1-D Gaussian mixtures.
///
/// ```text
/// π = Σ_k w_k ⊗_i F_{k,i},   π([a, b]) = Σ_k w_k Π_i F_{k,i}([a_i, b_i])
/// product of 1-D laws:          K = 1,  F_{1,i} = ν_i
/// diagonal Gaussian mixture:    F_{k,i} = N(m_{k,i}, s_{k,i}²),
///                               π([a, b]) = Σ_k π_k Π_i [Φ((b_i − m_{k,i})/s_{k,i}) − Φ((a_i − m_{k,i})/s_{k,i})]
/// ```
/// Each 1-D mass is [`Mixture1d::partial_moments`]`(a, b).0`, i.e. a sum of normal CDF
/// differences evaluated with `erfc` on the side away from the mode, so masses stay accurate
/// (relative) in both tails. The per-axis marginals `Σ_k w_k F_{k,i}` are kept for the
/// equiprobable grid ([`HistGrid::equiprobable`]). Every constructor takes the forward time
/// `t`: the law is the exact diffused marginal `q_t` of the target (`t = 0` for the data law).
/// Built from [`Gaussian`] (diagonal covariance), [`GaussianMixture`] (isotropic or diagonal
/// components), [`Product`] (laws with Gaussian-mixture marginals) or directly from 1-D
/// [`Mixture1d`] factors (reference: tv-methodology.md §1.2).
#[derive(Debug, Clone)]
pub struct BoxLaw {
    dim: usize,
    weights: Vec<f64>,
    /// Row-major `K × dim` factors `F_{k,i}`.
    factors: Vec<Mixture1d>,
    /// Per-axis marginals `Σ_k w_k F_{k,i}`.
    marginals: Vec<Mixture1d>,
}

impl BoxLaw {
    /// The product `ν_1 ⊗ … ⊗ ν_d` of 1-D Gaussian mixtures.
    ///
    /// ```text
    /// π([a, b]) = Π_i ν_i([a_i, b_i])
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an empty list.
    pub fn product(laws: Vec<Mixture1d>) -> Result<Self> {
        let dim = crate::error::check_dim(laws.len())?;
        Ok(BoxLaw {
            dim,
            weights: vec![1.0],
            factors: laws.clone(),
            marginals: laws,
        })
    }

    /// The exact `q_t` of a Gaussian mixture with isotropic or diagonal components.
    ///
    /// ```text
    /// q_t = Σ_k π_k N(α_t μ_k, diag(α_t² v_k + σ_t²)),   α_t = e^{−t},  σ_t² = 1 − e^{−2t}
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a negative or non-finite `t`.
    pub fn from_gaussian_mixture(gm: &GaussianMixture, t: f64) -> Result<Self> {
        let (a, s2) = time_coefficients(t)?;
        let dim = gm.dim();
        let means: Vec<Vec<f64>> = (0..gm.num_components())
            .map(|k| gm.mean(k).iter().map(|m| a * m).collect())
            .collect();
        let sds: Vec<Vec<f64>> = (0..gm.num_components())
            .map(|k| (0..dim).map(|i| (a * a * gm.var(k, i) + s2).sqrt()).collect())
            .collect();
        Self::diagonal_mixture(gm.weights(), &means, &sds)
    }

    /// The exact `q_t` of a Gaussian with diagonal covariance.
    ///
    /// ```text
    /// q_t = N(α_t μ, diag(α_t² v + σ_t²))
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a full (non-diagonal) covariance, whose box masses are not
    /// products of 1-D masses; [`Error::InvalidParameter`] for a negative or non-finite `t`.
    pub fn from_gaussian(g: &Gaussian, t: f64) -> Result<Self> {
        if !g.is_diagonal() {
            return Err(Error::InvalidConfig {
                reason: "histogram TV needs a diagonal covariance (box masses of a full Gaussian are not \
                         products of 1-D masses)"
                    .to_string(),
            });
        }
        let (a, s2) = time_coefficients(t)?;
        let means = vec![g.mean().iter().map(|m| a * m).collect()];
        let sds = vec![g.cov_eigenvalues().iter().map(|v| (a * a * v + s2).sqrt()).collect()];
        Self::diagonal_mixture(&[1.0], &means, &sds)
    }

    /// The exact `q_t` of a product target: each coordinate's `ν_{i,t}`
    /// ([`crate::target::Law1d::marginal_components`]).
    ///
    /// ```text
    /// q_t = ⊗_i ν_{i,t},   ν_{i,t} = Σ_j w_j N(m_j, v_j)   (closed form for Bimodal, Gaussian1d)
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when a coordinate law has no Gaussian-mixture marginal
    /// (`LogCosh`); [`Error::InvalidParameter`] for a negative or non-finite `t`.
    pub fn from_product(p: &Product, t: f64) -> Result<Self> {
        time_coefficients(t)?;
        let laws = (0..p.dim())
            .map(|i| {
                let comps = p.law(i).marginal_components(t).ok_or_else(|| Error::InvalidConfig {
                    reason: format!("coordinate law {} has no exact CDF", p.law(i).name()),
                })?;
                Mixture1d::new(
                    comps.iter().map(|c| c.weight).collect(),
                    comps.iter().map(|c| c.mean).collect(),
                    comps.iter().map(|c| c.var.sqrt()).collect(),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Self::product(laws)
    }

    /// `Σ_k w_k N(m_k, diag(s_k²))` from row vectors of means and standard deviations.
    fn diagonal_mixture(weights: &[f64], means: &[Vec<f64>], sds: &[Vec<f64>]) -> Result<Self> {
        let dim = crate::error::check_dim(means.first().map_or(0, Vec::len))?;
        let factors = means
            .iter()
            .zip(sds)
            .flat_map(|(m, s)| m.iter().zip(s).map(|(&mi, &si)| Mixture1d::gaussian(mi, si)))
            .collect::<Result<Vec<_>>>()?;
        let marginals = (0..dim)
            .map(|i| {
                let (m, s) = (means.iter().map(|r| r[i]).collect(), sds.iter().map(|r| r[i]).collect());
                Mixture1d::new(weights.to_vec(), m, s)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(BoxLaw {
            dim,
            weights: weights.to_vec(),
            factors,
            marginals,
        })
    }

    /// Dimension `d`.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The marginal law of coordinate `axis`, `Σ_k w_k F_{k,axis}` (`None` if `axis ≥ d`).
    pub fn marginal(&self, axis: usize) -> Option<&Mixture1d> {
        self.marginals.get(axis)
    }

    /// Exact mass of the box `Π_i [lo_i, hi_i]` (infinite ends allowed; an empty side gives 0).
    ///
    /// ```text
    /// π(box) = Σ_k w_k Π_i F_{k,i}([lo_i, hi_i])
    /// ```
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `lo` or `hi` does not have length `d`;
    /// [`Error::InvalidParameter`] for a NaN corner.
    pub fn box_mass(&self, lo: &[f64], hi: &[f64]) -> Result<f64> {
        crate::error::check_len("box lower corner", self.dim, lo.len())?;
        crate::error::check_len("box upper corner", self.dim, hi.len())?;
        if lo.iter().chain(hi).any(|x| x.is_nan()) {
            return Err(Error::InvalidParameter {
                name: "box corner",
                value: f64::NAN,
                expected: "not NaN",
            });
        }
        Ok(self
            .components()
            .map(|(w, f)| {
                w * f
                    .iter()
                    .zip(lo.iter().zip(hi))
                    .map(|(fi, (&a, &b))| fi.mass(a, b))
                    .product::<f64>()
            })
            .sum())
    }

    /// `(w_k, [F_{k,1}, …, F_{k,d}])` for each component.
    fn components(&self) -> impl Iterator<Item = (f64, &[Mixture1d])> + '_ {
        self.weights.iter().copied().zip(self.factors.chunks_exact(self.dim))
    }
}

/// `(α_t, σ_t²)` after checking `t ≥ 0` finite.
fn time_coefficients(t: f64) -> Result<(f64, f64)> {
    check_finite("t", t)?;
    check_nonnegative("t", t)?;
    Ok((alpha(t), sigma2(t)))
}

// ---------------------------------------------------------------------------------------------
// Grids in 1–3 d
// ---------------------------------------------------------------------------------------------

/// A rectangular grid of `B` cells per axis in `d ∈ 1..=3` dimensions, the outer cells
/// unbounded.
///
/// ```text
/// axis i: edges −∞ = e_{i,0} < e_{i,1} < … < e_{i,B−1} < e_{i,B} = +∞
/// cell(x) = Σ_i j_i B^i,   j_i = #{ interior edges e_{i,j} ≤ x_i }
/// ```
/// Cells are half-open `[e_{i,j}, e_{i,j+1})`. Reference: tv-methodology.md §1.2.
#[derive(Debug, Clone, PartialEq)]
pub struct HistGrid {
    bins: usize,
    /// Interior edges per axis (`B − 1` each, non-decreasing).
    edges: Vec<Vec<f64>>,
}

impl HistGrid {
    /// Interior edges at the `j/B` quantiles of each marginal of `law`, so each axis' cells are
    /// equiprobable under π (joint cells are exactly equiprobable for a product law).
    ///
    /// ```text
    /// e_{i,j} = F_i⁻¹(j/B),   j = 1..B−1,   F_i = marginal CDF of coordinate i
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `d ∉ 1..=3`, `bins < 2` or `bins^d >` [`MAX_CELLS`].
    pub fn equiprobable(law: &BoxLaw, bins: usize) -> Result<Self> {
        check_plugin_dim(law.dim())?;
        check_bins(bins, law.dim())?;
        let edges = law
            .marginals
            .iter()
            .map(|m| (1..bins).map(|j| m.quantile(j as f64 / bins as f64)).collect())
            .collect();
        Ok(HistGrid { bins, edges })
    }

    /// Dimension `d`.
    pub fn dim(&self) -> usize {
        self.edges.len()
    }

    /// Cells per axis `B`.
    pub fn bins(&self) -> usize {
        self.bins
    }

    /// Total number of cells `B^d`.
    pub fn num_cells(&self) -> usize {
        self.bins.pow(self.dim() as u32)
    }

    /// The `B − 1` interior edges of axis `axis` (`None` if `axis ≥ d`).
    pub fn interior_edges(&self, axis: usize) -> Option<&[f64]> {
        self.edges.get(axis).map(Vec::as_slice)
    }

    /// Index of the cell containing the point `x` (length `d`, finite entries; a NaN entry
    /// lands in the first cell of its axis).
    pub fn cell(&self, x: &[f64]) -> usize {
        self.edges
            .iter()
            .zip(x)
            .rev()
            .fold(0, |acc, (e, &xi)| acc * self.bins + e.partition_point(|&v| v <= xi))
    }

    /// Exact mass of every cell under `law`, in cell-index order.
    ///
    /// ```text
    /// p_b = Σ_k w_k Π_i F_{k,i}([e_{i,j_i}, e_{i,j_i+1}))
    /// ```
    /// Per-axis 1-D masses are computed once (`K·d·B` of them) and multiplied out.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `law.dim()` differs from the grid's.
    pub fn masses(&self, law: &BoxLaw) -> Result<Vec<f64>> {
        crate::error::check_len("law dimension", self.dim(), law.dim())?;
        let mut p = vec![0.0; self.num_cells()];
        for (w, factors) in law.components() {
            let axis: Vec<Vec<f64>> = factors
                .iter()
                .zip(&self.edges)
                .map(|(f, e)| axis_masses(f, e))
                .collect();
            for (c, pc) in p.iter_mut().enumerate() {
                *pc += w * self.digits(c).zip(&axis).map(|(j, m)| m[j]).product::<f64>();
            }
        }
        Ok(p)
    }

    /// Per-axis bin indices `j_i` of cell `c`.
    fn digits(&self, c: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.dim()).scan(c, move |rest, _| {
            let j = *rest % self.bins;
            *rest /= self.bins;
            Some(j)
        })
    }

    /// Validated row-major samples mapped to cells.
    fn cells_of(&self, samples: &[f64], min_n: usize) -> Result<Vec<usize>> {
        check_samples(samples, self.dim(), min_n)?;
        Ok(samples.chunks_exact(self.dim()).map(|x| self.cell(x)).collect())
    }
}

/// `ν([e_j, e_{j+1}))` for the `B` cells of one axis with interior edges `e`.
fn axis_masses(law: &Mixture1d, interior: &[f64]) -> Vec<f64> {
    let lo = std::iter::once(f64::NEG_INFINITY).chain(interior.iter().copied());
    let hi = interior.iter().copied().chain(std::iter::once(f64::INFINITY));
    lo.zip(hi).map(|(a, b)| law.mass(a, b)).collect()
}

/// Histogram plug-in TV in 1–3 dimensions against a law with exact box masses.
///
/// ```text
/// grid: B cells per axis, interior edges e_{i,j} = F_i⁻¹(j/B)   ([`HistGrid::equiprobable`])
/// p_b = π(cell b)   ([`HistGrid::masses`]),   TV̂ = ½ Σ_b |p̂_b − p_b|
/// floor = ½ Σ_b √(2 p_b (1 − p_b)/(π n))
/// ```
/// `samples` is row-major `n × d` with `d = law.dim()`. Cells are equiprobable for product
/// laws and roughly so otherwise; the floor uses the actual `p_b`. Estimator name
/// `"histogram-{d}d (B = {bins} per axis, {B^d} cells)"` (tv-methodology.md §1.2).
///
/// # Errors
/// [`Error::InvalidParameter`] for `d ∉ 1..=3`, empty samples, `bins < 2` or too many cells;
/// [`Error::DimensionMismatch`] when `samples.len()` is not a multiple of `d`;
/// [`Error::NonFinite`] for a NaN or infinite sample value.
pub fn tv_hist(samples: &[f64], law: &BoxLaw, bins: usize) -> Result<PluginTv> {
    let grid = HistGrid::equiprobable(law, bins)?;
    let cells = grid.cells_of(samples, 1)?;
    let p = grid.masses(law)?;
    let name = format!("histogram-{}d (B = {bins} per axis, {} cells)", grid.dim(), p.len());
    Ok(PluginTv::from_cells(&cells, &p, name))
}

// ---------------------------------------------------------------------------------------------
// Split-sample lower bound
// ---------------------------------------------------------------------------------------------

/// The split-sample lower bound with its ingredients.
///
/// ```text
/// first half (n₁ = ⌊n/2⌋):  A = { b : p̂¹_b > p_b }
/// second half (m = n − n₁): k = #{ x ∈ half 2 : cell(x) ∈ A }
/// estimate = k/m − π(A),   E[estimate | A] = μ(A) − π(A) ≤ TV_binned ≤ TV(μ, π)
/// ```
/// The estimate is unbiased for `μ(A) − π(A)` given `A` (the halves are independent) and is
/// **not** clipped at 0 (on null data its mean is 0). `estimate.se = √(k/m (1 − k/m)/m)`;
/// `estimate.ci_low/ci_high` are the 95 % Clopper–Pearson limits for `μ(A)` minus `π(A)`
/// (exact, conservative). Reference: tv-methodology.md §1.2.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitTv {
    /// The lower-bound estimate with its binomial interval.
    pub estimate: TvEstimate,
    /// Membership of every cell in `A` (cell-index order: PIT bins in 1-D, [`HistGrid`] cells
    /// otherwise).
    pub set: Vec<bool>,
    /// `π(A)` (exact).
    pub set_mass: f64,
    /// `k`: second-half samples in `A`.
    pub hits: u64,
    /// `m`: second-half sample count.
    pub trials: u64,
}

impl SplitTv {
    /// Builds the bound from cell indices in sample order and exact masses `p`.
    fn from_cells(cells: &[usize], p: &[f64], estimator: String) -> Self {
        let (first, second) = cells.split_at(cells.len() / 2);
        let p1 = frequencies(&counts(first, p.len()), first.len());
        let set: Vec<bool> = p1.iter().zip(p).map(|(a, b)| a > b).collect();
        let set_mass: f64 = p.iter().zip(&set).filter(|(_, s)| **s).map(|(pb, _)| pb).sum();
        let hits = second.iter().filter(|&&b| set[b]).count() as u64;
        let m = second.len() as u64;
        let freq = hits as f64 / m as f64;
        let (lo, hi) = clopper_pearson_unchecked(hits, m, 0.95);
        let estimate = TvEstimate {
            tv: freq - set_mass,
            se: (freq * (1.0 - freq) / m as f64).sqrt(),
            ci_low: lo - set_mass,
            ci_high: hi - set_mass,
            estimator,
        };
        SplitTv {
            estimate,
            set,
            set_mass,
            hits,
            trials: m,
        }
    }
}

/// Split-sample lower bound in 1-D on the PIT bins of [`tv_hist_1d`] (see [`SplitTv`]).
///
/// ```text
/// cells b = min(⌊B F_π(x)⌋, B − 1),  p_b = 1/B;  A from the first ⌊n/2⌋ samples,
/// estimate = p̂²(A) − π(A) on the rest, 95 % Clopper–Pearson interval
/// ```
/// The halves are the first `⌊n/2⌋` samples and the rest, in the given order (samples must be
/// i.i.d.; shuffle first if their order carries structure). Estimator name
/// `"split-sample lower bound, histogram-1d (B = {bins})"`.
///
/// # Errors
/// As [`tv_hist_1d`], and [`Error::InvalidParameter`] for fewer than 2 samples.
pub fn tv_split_1d(samples: &[f64], law: &Mixture1d, bins: usize) -> Result<SplitTv> {
    let cells = pit_cells(samples, law, bins, 2)?;
    let p = vec![1.0 / bins as f64; bins];
    Ok(SplitTv::from_cells(
        &cells,
        &p,
        format!("split-sample lower bound, histogram-1d (B = {bins})"),
    ))
}

/// Split-sample lower bound in 1–3 dimensions on the grid of [`tv_hist`] (see [`SplitTv`]).
///
/// ```text
/// cells of HistGrid::equiprobable(law, B), p_b exact;  A from the first ⌊n/2⌋ rows,
/// estimate = p̂²(A) − π(A) on the rest, 95 % Clopper–Pearson interval
/// ```
/// Estimator name `"split-sample lower bound, histogram-{d}d (B = {bins} per axis)"`.
///
/// # Errors
/// As [`tv_hist`], and [`Error::InvalidParameter`] for fewer than 2 samples.
pub fn tv_split(samples: &[f64], law: &BoxLaw, bins: usize) -> Result<SplitTv> {
    let grid = HistGrid::equiprobable(law, bins)?;
    let cells = grid.cells_of(samples, 2)?;
    let p = grid.masses(law)?;
    let name = format!(
        "split-sample lower bound, histogram-{}d (B = {bins} per axis)",
        grid.dim()
    );
    Ok(SplitTv::from_cells(&cells, &p, name))
}

/// Clopper–Pearson (exact binomial) interval for a success probability from `k` successes in
/// `m` trials at confidence `level`.
///
/// ```text
/// a = 1 − level
/// lower = Beta⁻¹(a/2; k, m − k + 1)        (0 when k = 0)
/// upper = Beta⁻¹(1 − a/2; k + 1, m − k)    (1 when k = m)
/// ```
/// Quantiles from statrs' `Beta::inverse_cdf`. Coverage is at least `level` for every `p`.
///
/// # Errors
/// [`Error::InvalidParameter`] for `m = 0`, `k > m`, or `level ∉ (0, 1)`.
pub fn clopper_pearson(k: u64, m: u64, level: f64) -> Result<(f64, f64)> {
    let bad = |name, value: f64, expected| Err(Error::InvalidParameter { name, value, expected });
    if m == 0 || k > m {
        return bad("successes k (of m trials)", k as f64, "0 ≤ k ≤ m with m ≥ 1");
    }
    if !(level > 0.0 && level < 1.0) {
        return bad("level", level, "in (0, 1)");
    }
    Ok(clopper_pearson_unchecked(k, m, level))
}

/// [`clopper_pearson`] on validated input.
fn clopper_pearson_unchecked(k: u64, m: u64, level: f64) -> (f64, f64) {
    let a = 1.0 - level;
    let (k, m) = (k as f64, m as f64);
    let quantile = |p: f64, s: f64, t: f64| Beta::new(s, t).map_or(f64::NAN, |b| b.inverse_cdf(p));
    let lower = if k == 0.0 {
        0.0
    } else {
        quantile(0.5 * a, k, m - k + 1.0)
    };
    let upper = if k == m {
        1.0
    } else {
        quantile(1.0 - 0.5 * a, k + 1.0, m - k)
    };
    (lower, upper)
}
