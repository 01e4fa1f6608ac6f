//! Drivers: many independent samples in parallel (rayon), one ChaCha8 stream per sample index.
//!
//! Sample `i` draws, from `stream_rng(seed, i)`, first its start point (`N(0, I)` or the exact
//! `q_T`) and then everything its sampler asks for. The output therefore depends only on
//! `(seed, i)`, and is bitwise identical for any number of rayon threads (style.md D-7).

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::rng::{SampleRng, fill_normal, stream_rng};
use crate::sampler::Sampler;
use crate::target::{Score, Target};

/// The law the reverse process starts from at forward time `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// `N(0, I_d)`, as the algorithms prescribe (initialization error `TV(q_T, N(0,I))`).
    Gaussian,
    /// The exact `q_T` (removes the initialization error from error budgets).
    Exact,
}

/// Samples and their cost.
#[derive(Debug, Clone)]
pub struct SampleOutput {
    /// Row-major `n × dim` samples.
    pub samples: Vec<f64>,
    /// Number of samples.
    pub n: usize,
    /// Dimension.
    pub dim: usize,
    /// Score evaluations of each sample, in sample order.
    pub nfe: Vec<u64>,
    /// The largest per-sample NFE (equal to every entry for the built-in samplers).
    pub nfe_per_sample: u64,
}

/// Draws the start point of one trajectory from its stream.
pub fn draw_start<T: Target + ?Sized>(target: &T, start: Start, t: f64, rng: &mut SampleRng, x: &mut [f64]) {
    match start {
        Start::Gaussian => fill_normal(rng, x),
        Start::Exact => target.sample_marginal(t, rng, x),
    }
}

/// Runs `sampler` on `n` samples: start from `start` at `sampler.t_start()` (the start law is
/// the target's), integrate with `score` (the exact score, or a perturbed one).
///
/// # Errors
/// [`Error::DimensionMismatch`] if `score` and `target` disagree on the dimension,
/// [`Error::InvalidParameter`] if `n == 0`, [`Error::NonFinite`] naming the first sample whose
/// output is not finite.
pub fn sample<T: Target + ?Sized, S: Score + ?Sized>(
    target: &T,
    score: &S,
    sampler: &dyn Sampler,
    start: Start,
    n: usize,
    seed: u64,
) -> Result<SampleOutput> {
    let dim = target.dim();
    crate::error::check_len("score dimension", dim, score.dim())?;
    if n == 0 {
        return Err(Error::InvalidParameter {
            name: "n",
            value: 0.0,
            expected: "at least 1",
        });
    }
    let score_dyn: &dyn Score = &score;
    let mut samples = vec![0.0; n * dim];
    let mut nfe = vec![0u64; n];
    samples
        .par_chunks_mut(dim)
        .zip(nfe.par_iter_mut())
        .enumerate()
        .for_each(|(i, (x, c))| {
            let mut rng = stream_rng(seed, i as u64);
            draw_start(target, start, sampler.t_start(), &mut rng, x);
            *c = sampler.run(score_dyn, x, &mut rng);
        });
    if let Some(i) = samples.chunks(dim).position(|x| x.iter().any(|v| !v.is_finite())) {
        return Err(Error::NonFinite {
            sample: i,
            at: format!("output of {} at t = {}", sampler.name(), sampler.t_end()),
        });
    }
    let nfe_per_sample = nfe.iter().copied().max().unwrap_or(0);
    Ok(SampleOutput {
        samples,
        n,
        dim,
        nfe,
        nfe_per_sample,
    })
}

/// Draws `n` exact samples of `q_t` (the reference law), with the same stream discipline.
pub fn sample_exact<T: Target + ?Sized>(target: &T, t: f64, n: usize, seed: u64) -> Vec<f64> {
    let dim = target.dim();
    let mut samples = vec![0.0; n * dim];
    samples.par_chunks_mut(dim).enumerate().for_each(|(i, x)| {
        let mut rng = stream_rng(seed, i as u64);
        target.sample_marginal(t, &mut rng, x);
    });
    samples
}
