//! The nested Monte Carlo estimator of `TV(mix, π)` for an α-mixture `mix = E_α p_α`, shared by
//! the semi-analytic (Gaussian) and grid push-forward (1-D product) estimators
//! (tv-methodology.md §1.1.2).
//!
//! ```text
//! TV̂_M = (1/n) Σ_j ( 1 − (1/M) Σ_k p_{α_k}(x_j) / π(x_j) )_+,     x_j ∼ π
//! ```
//! The bias of `TV̂_M` is ≥ 0 and non-increasing in M (Jensen), ≈ c/M; `2 TV̂_M − TV̂_{M/2}`
//! (Richardson) removes the 1/M term. The work is split into blocks, each with its own pool of M
//! α-paths and its own points; the standard error is the between-block one, so the pool
//! randomness is accounted for. Results are bitwise identical for any number of threads.

use rayon::prelude::*;

use super::TvEstimate;
use crate::error::{Error, Result};
use crate::rng::{SampleRng, stream_rng};

/// Configuration of the nested estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NestedConfig {
    /// Reference points `x ∼ π` in total (split evenly over the blocks).
    pub n: usize,
    /// α-paths per block (the inner size M; even, for the Richardson step).
    pub m: usize,
    /// Independent blocks, each with its own pool of M paths (≥ 2 for a standard error).
    pub blocks: usize,
    /// Seed: block `b` draws its paths from stream `(seed, 2b)` and its points from `(seed, 2b+1)`.
    pub seed: u64,
}

impl Default for NestedConfig {
    fn default() -> Self {
        NestedConfig {
            n: 20_000,
            m: 64,
            blocks: 128,
            seed: 0,
        }
    }
}

impl NestedConfig {
    /// Checks `m` even and ≥ 2, `2 ≤ blocks ≤ n`, and `n, m ≤` [`crate::error::MAX_LEN`].
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the offending field.
    pub fn validate(&self) -> Result<()> {
        crate::error::check_count("n", Some(self.n))?;
        crate::error::check_count("m", Some(self.m))?;
        if self.m < 2 || self.m % 2 == 1 {
            return Err(Error::InvalidParameter {
                name: "m",
                value: self.m as f64,
                expected: "even and at least 2",
            });
        }
        if self.blocks < 2 || self.n < self.blocks {
            return Err(Error::InvalidParameter {
                name: "blocks",
                value: self.blocks as f64,
                expected: "2 ≤ blocks ≤ n",
            });
        }
        Ok(())
    }
}

/// Result of a nested estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedTv {
    /// Richardson-corrected `2 TV_M − TV_{M/2}` with its between-block SE (the headline value).
    pub richardson: TvEstimate,
    /// Plain nested estimate with inner size M (bias ≥ 0, ∝ 1/M).
    pub plain: TvEstimate,
    /// Plain estimate with inner size M/2 (first half of each pool).
    pub half: f64,
    /// Richardson value of each block, in block order: independent replicates (for bootstrap
    /// intervals; with the same seed, block `b` uses the same streams at every configuration, so
    /// per-block curves are common-random-number replicates).
    pub blocks: Vec<f64>,
}

/// Runs the blocked nested estimator. `make_path` draws one α-path's conditional law from the
/// path stream (or fails, e.g. when the law has no density); `draw_x` draws `x ∼ π` with
/// `ln π(x)`; `log_path(law, x)` is `ln p_α(x)`.
pub(crate) fn nested<L, X>(
    cfg: &NestedConfig,
    label: &str,
    make_path: impl Fn(&mut SampleRng) -> Result<L> + Sync,
    draw_x: impl Fn(&mut SampleRng) -> (X, f64) + Sync,
    log_path: impl Fn(&L, &X) -> f64 + Sync,
) -> Result<NestedTv> {
    cfg.validate()?;
    let per_block = cfg.n / cfg.blocks;
    let blocks: Vec<(f64, f64)> = (0..cfg.blocks)
        .into_par_iter()
        .map(|b| {
            let mut path_rng = stream_rng(cfg.seed, 2 * b as u64);
            let pool: Vec<L> = (0..cfg.m).map(|_| make_path(&mut path_rng)).collect::<Result<_>>()?;
            let mut x_rng = stream_rng(cfg.seed, 2 * b as u64 + 1);
            let (mut acc_m, mut acc_h) = (0.0, 0.0);
            let mut logs = vec![0.0; cfg.m];
            for _ in 0..per_block {
                let (x, lpi) = draw_x(&mut x_rng);
                for (l, law) in logs.iter_mut().zip(&pool) {
                    *l = log_path(law, &x) - lpi;
                }
                acc_m += (1.0 - mean_exp(&logs)).max(0.0);
                acc_h += (1.0 - mean_exp(&logs[..cfg.m / 2])).max(0.0);
            }
            Ok((acc_m / per_block as f64, acc_h / per_block as f64))
        })
        .collect::<Result<_>>()?;
    let full: Vec<f64> = blocks.iter().map(|b| b.0).collect();
    let rich: Vec<f64> = blocks.iter().map(|b| 2.0 * b.0 - b.1).collect();
    let half = mean(&blocks.iter().map(|b| b.1).collect::<Vec<_>>());
    let name = |what: &str| {
        format!(
            "{label} nested{what} (M = {}, {} blocks × {per_block})",
            cfg.m, cfg.blocks
        )
    };
    Ok(NestedTv {
        richardson: TvEstimate::normal(mean(&rich), se(&rich), name(", Richardson")),
        plain: TvEstimate::normal(mean(&full), se(&full), name("")),
        half,
        blocks: rich,
    })
}

/// `(1/M) Σ_k e^{l_k}` computed stably.
fn mean_exp(logs: &[f64]) -> f64 {
    let top = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return 0.0;
    }
    top.exp() * logs.iter().map(|l| (l - top).exp()).sum::<f64>() / logs.len() as f64
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Standard error of the mean of `v` (sample sd / √len).
fn se(v: &[f64]) -> f64 {
    let m = mean(v);
    let n = v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt()
}
