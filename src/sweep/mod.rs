//! Scaling sweeps: TV against cost over a grid of dimensions, N*(d, ε), and fitted d-exponents
//! (tv-methodology.md §2), for the rate claims C1 ([`c1`]: sequential diffusion sampling) and C3
//! ([`c3`]: log-concave sampling).
//!
//! A claim describes its sweep as a [`SweepSpec`] (samplers, dimensions, tolerances, and how to
//! build and measure a sampler at a resolution); [`run_sweep`] does the rest identically for
//! every claim: per (sampler, d) a TV curve over resolutions growing by 2^{1/4}, stopped once the
//! plain estimate is below `min ε / 4` twice; N*(d, ε) by isotonic inversion with percentile
//! bootstrap intervals over the estimator's blocks (every configuration uses the same seed, so
//! blocks are common-random-number replicates across resolutions); and the exponent fits.

use crate::error::{Error, Result};
use crate::scaling::{Crossing, bootstrap_exponent, bootstrap_n_star, local_slopes, n_star_of_replicates};
use crate::tv::TvEstimate;
use crate::tv::nested::{NestedConfig, NestedTv};

pub mod c1;
pub mod c2;
pub mod c3;

pub use c1::{C1Config, Family, c1_sampler, run_c1};
pub use c2::{C2Config, run_c2};
pub use c3::{C3Config, C3Family, c3_sampler_cost, run_c3};

/// The result type of the C1 sweep (kept for callers of the first release).
pub type C1Result = SweepResult;

/// The axes of a sweep: what is varied and how each point is estimated.
#[derive(Debug, Clone, Copy)]
pub struct SweepAxes<'a> {
    /// Target family name, e.g. `iso-gaussian`.
    pub family: &'a str,
    /// Sampler names, in sweep order.
    pub samplers: &'a [String],
    /// Dimensions.
    pub dims: &'a [usize],
    /// TV tolerances ε.
    pub eps: &'a [f64],
    /// The nested estimator's configuration (its blocks are the bootstrap replicates, its seed
    /// also seeds the bootstrap).
    pub nested: &'a NestedConfig,
    /// Largest resolution (steps) tried.
    pub max_steps: usize,
    /// Bootstrap draws.
    pub draws: usize,
}

/// What a claim's sweep measures. Implementations are configurations ([`C1Config`],
/// [`C3Config`]).
pub trait SweepSpec {
    /// The sweep's axes.
    fn axes(&self) -> SweepAxes<'_>;
    /// Cost per sample (score or gradient evaluations) of `name` at resolution `steps` in
    /// dimension `d`.
    ///
    /// # Errors
    /// Unknown sampler or invalid parameters.
    fn cost(&self, name: &str, steps: usize, d: usize) -> Result<u64>;
    /// The nested TV estimate of `name` at resolution `steps` in dimension `d`; `None` where the
    /// estimator refuses this resolution (the point is skipped).
    ///
    /// # Errors
    /// As [`SweepSpec::cost`], and estimator failures.
    fn measure(&self, name: &str, steps: usize, d: usize) -> Result<Option<NestedTv>>;
    /// The theory's d-exponent for `name` (an upper bound); NaN where the claim is not a power
    /// law (the polylogarithmic rounds of C2).
    fn theory(&self, name: &str) -> f64;
}

/// One measured configuration.
#[derive(Debug, Clone)]
pub struct Point {
    /// Target family name.
    pub family: String,
    /// Sampler name.
    pub sampler: String,
    /// Dimension.
    pub d: usize,
    /// Resolution: predictor (or sampler) steps.
    pub steps: usize,
    /// Score evaluations per sample.
    pub nfe: u64,
    /// TV estimate with its interval.
    pub tv: TvEstimate,
}

/// N*(d, ε) of one sampler.
#[derive(Debug, Clone)]
pub struct NStarRow {
    /// Target family.
    pub family: String,
    /// Sampler name.
    pub sampler: String,
    /// Tolerance.
    pub eps: f64,
    /// Dimension.
    pub d: usize,
    /// N* (NFE) if the TV curve crossed ε.
    pub value: Option<f64>,
    /// 95% bootstrap interval (censored draws count as 0 or +∞).
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

/// Fitted exponent of N*(d, ε) ∝ d^β.
#[derive(Debug, Clone)]
pub struct Fit {
    /// Target family.
    pub family: String,
    /// Sampler name.
    pub sampler: String,
    /// Tolerance.
    pub eps: f64,
    /// β (weighted least squares of ln N* on ln d).
    pub exponent: f64,
    /// 95% bootstrap interval of β over estimator blocks.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Local slopes between neighbouring d: `(√(d_i d_{i+1}), slope)`.
    pub local: Vec<(f64, f64)>,
    /// Dimensions entering the fit.
    pub dims: Vec<usize>,
    /// β fitted on the upper half of those dimensions (at least 3): the asymptotic regime.
    pub exponent_large_d: f64,
    /// 95% bootstrap interval of `exponent_large_d`.
    pub large_d_ci: (f64, f64),
    /// Largest |local slope − exponent_large_d| over the upper half: the drift that a single
    /// exponent does not capture (a systematic allowance for the verdict).
    pub drift: f64,
    /// The theory's exponent for this sampler (an upper bound), from [`SweepSpec::theory`].
    pub theory: f64,
}

/// Everything a sweep measured.
#[derive(Debug, Clone, Default)]
pub struct SweepResult {
    /// All TV points.
    pub points: Vec<Point>,
    /// N* per (sampler, ε, d).
    pub nstar: Vec<NStarRow>,
    /// Exponent fits per (sampler, ε).
    pub fits: Vec<Fit>,
}

/// A progress report of a running sweep, sent after every measured point.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    /// Curves (sampler × d) finished so far.
    pub curves_done: usize,
    /// Curves in the sweep.
    pub curves: usize,
    /// The point just measured, as a line of text.
    pub line: &'a str,
}

/// Runs a sweep, reporting every measured point through `progress`.
///
/// # Errors
/// Propagates sampler, estimator and fitting errors.
pub fn run_sweep(spec: &dyn SweepSpec, progress: &mut dyn FnMut(&Progress)) -> Result<SweepResult> {
    run_sweep_stored(spec, progress, &mut MemoryStore::default(), Shard::ALL, false)
}

/// A finished configuration as stored for resuming and merging sweeps.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Sampler name.
    pub sampler: String,
    /// Dimension.
    pub d: usize,
    /// Resolution.
    pub steps: usize,
    /// Cost at this resolution ([`SweepSpec::cost`]).
    pub nfe: u64,
    /// The estimate, or `None` where the estimator refused the configuration.
    pub tv: Option<NestedTv>,
}

/// Where a sweep puts every finished configuration as it completes, and where a resumed or merged
/// sweep finds them (so nothing finished is ever recomputed or lost).
pub trait PointStore {
    /// The stored record of `(sampler, d, steps)`, if any.
    fn lookup(&self, sampler: &str, d: usize, steps: usize) -> Option<Record>;
    /// Stores a newly finished record (e.g. appends it to a JSONL file and flushes).
    ///
    /// # Errors
    /// I/O failures.
    fn store(&mut self, record: &Record) -> Result<()>;
}

/// An in-memory [`PointStore`] (also the index of a JSONL store).
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    records: std::collections::HashMap<(String, usize, usize), Record>,
}

impl MemoryStore {
    /// Number of stored records.
    pub fn len(&self) -> usize {
        self.records.len()
    }
    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

impl PointStore for MemoryStore {
    fn lookup(&self, sampler: &str, d: usize, steps: usize) -> Option<Record> {
        self.records.get(&(sampler.to_string(), d, steps)).cloned()
    }
    fn store(&mut self, record: &Record) -> Result<()> {
        self.records
            .insert((record.sampler.clone(), record.d, record.steps), record.clone());
        Ok(())
    }
}

/// The part of a sweep one process runs: curve `k` (numbered sampler-major over
/// `samplers × dims`) belongs to shard `k mod count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0 ≤ index < count`.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether curve `k` is this shard's.
    pub fn owns(&self, k: usize) -> bool {
        k % self.count.max(1) == self.index
    }
}

/// [`run_sweep`] with a [`PointStore`]: configurations found in `store` are reused (a resumed or
/// merged sweep), new ones are measured and stored as they finish. With `replay_only`, a missing
/// configuration is an error (merging shards must not compute). A shard other than
/// [`Shard::ALL`] measures only its curves and fits nothing (the fits need every curve: merge the
/// shards' stores, then replay).
///
/// # Errors
/// Propagates sampler, estimator, store and fitting errors; [`Error::InvalidConfig`] for a
/// missing configuration in replay mode, a stored cost that differs from the configuration's, or
/// an invalid shard.
pub fn run_sweep_stored(
    spec: &dyn SweepSpec,
    progress: &mut dyn FnMut(&Progress),
    store: &mut dyn PointStore,
    shard: Shard,
    replay_only: bool,
) -> Result<SweepResult> {
    if shard.count == 0 || shard.index >= shard.count {
        return Err(Error::InvalidConfig {
            reason: format!("shard {}/{}: need 0 ≤ index < count", shard.index, shard.count),
        });
    }
    let mut out = SweepResult::default();
    let total = spec.axes().samplers.len() * spec.axes().dims.len();
    let (mut done, mut k) = (0, 0);
    let mut ctx = CurveCtx { store, replay_only };
    for name in spec.axes().samplers {
        let mut curves = vec![];
        for &d in spec.axes().dims {
            k += 1;
            if !shard.owns(k - 1) {
                continue;
            }
            let mut report = |line: &str| {
                progress(&Progress {
                    curves_done: done,
                    curves: total,
                    line,
                })
            };
            let (points, reps) = curve(spec, name, d, &mut ctx, &mut report)?;
            done += 1;
            let nfe: Vec<f64> = points.iter().map(|p| p.nfe as f64).collect();
            out.points.extend(points);
            curves.push((d, nfe, reps));
        }
        if shard == Shard::ALL {
            for &eps in spec.axes().eps {
                fit_one(spec, name, eps, &curves, &mut out)?;
            }
        }
    }
    Ok(out)
}

/// The store and mode a curve is measured with.
struct CurveCtx<'a> {
    store: &'a mut dyn PointStore,
    replay_only: bool,
}

impl CurveCtx<'_> {
    /// The stored estimate of a configuration, or a new measurement (then stored).
    fn get(
        &mut self,
        spec: &dyn SweepSpec,
        name: &str,
        d: usize,
        steps: usize,
        nfe: u64,
    ) -> Result<(Option<NestedTv>, bool)> {
        if let Some(rec) = self.store.lookup(name, d, steps) {
            if rec.nfe != nfe {
                return Err(Error::InvalidConfig {
                    reason: format!(
                        "stored point {name} d={d} steps={steps} has cost {} but the configuration gives {nfe}: \
                         the stored sweep was run with a different configuration",
                        rec.nfe
                    ),
                });
            }
            return Ok((rec.tv, true));
        }
        if self.replay_only {
            return Err(Error::InvalidConfig {
                reason: format!("point {name} d={d} steps={steps} is in none of the merged shards"),
            });
        }
        let tv = spec.measure(name, steps, d)?;
        self.store.store(&Record {
            sampler: name.to_string(),
            d,
            steps,
            nfe,
            tv: tv.clone(),
        })?;
        Ok((tv, false))
    }
}

/// One TV curve: TV against cost for resolutions growing by 2^{1/4} (tv-methodology §2.2),
/// stopped once the plain estimate is below `min ε / 4` twice (or at `max_steps`); resolutions
/// whose cost does not exceed the previous point's are skipped (a schedule can saturate), so the
/// cost axis is strictly increasing. Returns the points and the per-block replicate curves.
fn curve(
    spec: &dyn SweepSpec,
    name: &str,
    d: usize,
    ctx: &mut CurveCtx<'_>,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<Point>, Vec<Vec<f64>>)> {
    let family = spec.axes().family;
    let floor = spec.axes().eps.iter().cloned().fold(f64::INFINITY, f64::min) / 4.0;
    let (mut points, mut reps) = (vec![], vec![vec![]; spec.axes().nested.blocks]);
    let (mut steps, mut below) = (2usize, 0);
    let next = |steps: usize| ((steps as f64) * 2f64.powf(0.25)).ceil() as usize;
    while steps <= spec.axes().max_steps && below < 2 {
        let nfe = spec.cost(name, steps, d)?;
        if points.last().is_some_and(|p: &Point| nfe <= p.nfe) {
            steps = next(steps);
            continue;
        }
        let (measured, cached) = ctx.get(spec, name, d, steps, nfe)?;
        let tag = if cached { " (stored)" } else { "" };
        let Some(r) = measured else {
            progress(&format!(
                "{family} {name:<8} d={d:<6} steps={steps:<6} NFE={nfe:<7} skipped (estimator refused){tag}"
            ));
            steps = next(steps);
            continue;
        };
        // Richardson block values are unbiased but can dip below 0 where TV ≈ 0 (far below every
        // ε); N* needs non-negative curves, and clipping there cannot move a crossing at ε.
        for (rep, &b) in reps.iter_mut().zip(&r.blocks) {
            rep.push(b.max(0.0));
        }
        progress(&format!(
            "{family} {name:<8} d={d:<6} steps={steps:<6} NFE={nfe:<7} TV={:.4}{tag}",
            r.richardson.tv
        ));
        if r.plain.tv < floor {
            below += 1;
        }
        points.push(Point {
            family: family.into(),
            sampler: name.into(),
            d,
            steps,
            nfe,
            tv: r.richardson,
        });
        steps = next(steps);
    }
    Ok((points, reps))
}

type Curve = (usize, Vec<f64>, Vec<Vec<f64>>);

/// N*(d, ε) with bootstrap intervals for each d, then the exponent fit over the d's where N* was
/// found.
fn fit_one(spec: &dyn SweepSpec, name: &str, eps: f64, curves: &[Curve], out: &mut SweepResult) -> Result<()> {
    let mut found = vec![];
    for (d, nfe, reps) in curves {
        let b = bootstrap_n_star(reps, nfe, eps, spec.axes().draws, spec.axes().nested.seed)?;
        out.nstar.push(NStarRow {
            family: spec.axes().family.into(),
            sampler: name.into(),
            eps,
            d: *d,
            value: b.point.value,
            low: b.interval.low,
            high: b.interval.high,
        });
        if b.point.status == Crossing::Found {
            found.push((*d, nfe.clone(), reps.clone(), b.point.value.unwrap_or(f64::NAN)));
        }
    }
    if found.len() < 3 {
        return Ok(());
    }
    let dims: Vec<f64> = found.iter().map(|f| f.0 as f64).collect();
    let values: Vec<f64> = found.iter().map(|f| f.3).collect();
    let boot_of = |from: usize| {
        bootstrap_exponent(
            &dims[from..],
            spec.axes().nested.blocks,
            spec.axes().draws,
            spec.axes().nested.seed,
            |idx| {
                found[from..]
                    .iter()
                    .map(|(_, nfe, reps, _)| Ok(n_star_of_replicates(reps, nfe, eps, idx)?.value))
                    .collect()
            },
        )
    };
    let boot = boot_of(0)?;
    let from = (found.len() / 2).min(found.len() - 3);
    let large = boot_of(from)?;
    let local = local_slopes(&dims, &values)?;
    let drift = local[from..]
        .iter()
        .map(|&(_, s)| (s - large.point.exponent).abs())
        .fold(0.0, f64::max);
    out.fits.push(Fit {
        family: spec.axes().family.into(),
        sampler: name.into(),
        eps,
        exponent: boot.point.exponent,
        ci_low: boot.interval.low,
        ci_high: boot.interval.high,
        local,
        dims: found.iter().map(|f| f.0).collect(),
        exponent_large_d: large.point.exponent,
        large_d_ci: (large.interval.low, large.interval.high),
        drift,
        theory: spec.theory(name),
    });
    Ok(())
}
