//! Drivers: many independent samples in parallel (rayon), one ChaCha8 stream per sample index.
//!
//! Sample `i` draws, from `stream_rng(seed, i)`, first its start point (`N(0, I)` or the exact
//! `q_T`) and then everything its sampler asks for. The output therefore depends only on
//! `(seed, i)`, and is bitwise identical for any number of rayon threads (style.md D-7).

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::parallel::{PicardTrace, RoundOracle, Rounds};
use crate::rng::{SampleRng, fill_normal, stream_rng};
use crate::sampler::{Sampler, Stage, run_stages_traced};
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
    let score_dyn: &dyn Score = &score;
    let (out, _) = run_samples(target, score_dyn, sampler, start, n, seed, |x, rng| {
        (sampler.run(score_dyn, x, rng), ())
    })?;
    Ok(out)
}

/// Depth, width and work of a sampling run, and its Picard residuals (tv-methodology §3.1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunCounts {
    /// The largest per-sample rounds, width and work (equal for every sample of the built-in
    /// samplers except ParaDiGMS, whose rounds depend on the data).
    pub rounds: Rounds,
    /// Mean rounds per sample.
    pub mean_rounds: f64,
    /// Picard residuals over all samples and parallel steps (empty for sequential samplers and
    /// when no stage list was given).
    pub trace: PicardTrace,
}

/// [`sample`] with every score call counted through a [`RoundOracle`] per sample, and, when the
/// sampler's `stages` are given, the Picard residuals of its parallel steps. Outputs are
/// identical to [`sample`]'s.
///
/// # Errors
/// As [`sample`].
pub fn sample_counted<T: Target + ?Sized, S: Score + ?Sized>(
    target: &T,
    score: &S,
    sampler: &dyn Sampler,
    stages: Option<&[Stage<'_>]>,
    start: Start,
    n: usize,
    seed: u64,
) -> Result<(SampleOutput, RunCounts)> {
    let score_dyn: &dyn Score = &score;
    let (out, per) = run_samples(target, score_dyn, sampler, start, n, seed, |x, rng| {
        let oracle = RoundOracle::new(score_dyn);
        let mut trace = PicardTrace::default();
        let nfe = match stages {
            Some(st) => run_stages_traced(st, &oracle, x, rng, Some(&mut trace)),
            None => sampler.run(&oracle, x, rng),
        };
        (nfe, (oracle.rounds(), trace))
    })?;
    let mut counts = RunCounts::default();
    let mut total_rounds = 0u128;
    for (r, t) in &per {
        total_rounds += u128::from(r.rounds);
        counts.rounds = Rounds {
            rounds: counts.rounds.rounds.max(r.rounds),
            width: counts.rounds.width.max(r.width),
            work: counts.rounds.work.max(r.work),
        };
        counts.trace.merge(t);
    }
    counts.mean_rounds = total_rounds as f64 / n as f64;
    Ok((out, counts))
}

/// The shared driver: per sample its own stream, the start draw, then `run(x, rng)` returning
/// the NFE and a per-sample record; records come back in sample order.
fn run_samples<T: Target + ?Sized, R: Send>(
    target: &T,
    score: &dyn Score,
    sampler: &dyn Sampler,
    start: Start,
    n: usize,
    seed: u64,
    run: impl Fn(&mut [f64], &mut SampleRng) -> (u64, R) + Sync,
) -> Result<(SampleOutput, Vec<R>)> {
    let dim = target.dim();
    crate::error::check_len("score dimension", dim, score.dim())?;
    if n == 0 {
        return Err(Error::InvalidParameter {
            name: "n",
            value: 0.0,
            expected: "at least 1",
        });
    }
    let len = crate::error::check_count("n × dim (samples × dimension)", n.checked_mul(dim))?;
    sampler.check_dim(dim)?;
    let mut samples = vec![0.0; len];
    let per: Vec<(u64, R)> = samples
        .par_chunks_mut(dim)
        .enumerate()
        .map(|(i, x)| {
            let mut rng = stream_rng(seed, i as u64);
            draw_start(target, start, sampler.t_start(), &mut rng, x);
            run(x, &mut rng)
        })
        .collect();
    if let Some(i) = samples.chunks(dim).position(|x| x.iter().any(|v| !v.is_finite())) {
        // replay that sample (it depends only on (seed, i)) to find the first bad step
        let mut rng = stream_rng(seed, i as u64);
        let mut x = vec![0.0; dim];
        draw_start(target, start, sampler.t_start(), &mut rng, &mut x);
        let at = sampler.locate_non_finite(score, &mut x, &mut rng).map_or(
            format!("output of {} at t = {}", sampler.name(), sampler.t_end()),
            |s| format!("{}: {s}", sampler.name()),
        );
        return Err(Error::NonFinite { sample: i, at });
    }
    let (nfe, records): (Vec<u64>, Vec<R>) = per.into_iter().unzip();
    let nfe_per_sample = nfe.iter().copied().max().unwrap_or(0);
    Ok((
        SampleOutput {
            samples,
            n,
            dim,
            nfe,
            nfe_per_sample,
        },
        records,
    ))
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
