//! The C2 sweep (parallel diffusion sampling: Õ(log² d) rounds, paper.md §2.4–2.6,
//! tv-methodology §3.2), run by [`super::run_sweep`] with **rounds** as the cost axis.
//!
//! Target: the isotropic Gaussian of C1 (`N(0, v I_d)`, exact `q_T` start at the fixed horizon
//! `T`, exact `q_δ` reference, semi-analytic nested TV). With a fixed `T` and a fixed number `N`
//! of outer steps, the outer-step factor is flat in `d`, so the theory's prediction for this
//! set-up is `O(log d)` rounds (tv-methodology §3.2 (d)); the second log of `log² d` comes from
//! `T ≍ log(d/ε)` with an `N(0, I)` start.
//!
//! Samplers and their resolution knob `q` (the sweep's "steps"):
//! * `rm-par/N`: the parallel RM predictor ([`crate::parallel::rm_par`]) with `N` uniform outer
//!   steps (`rm-par` alone: [`C2Config::outer`]), `K = q − 2` Picard rounds (`q` rounds per
//!   step, cost `N q` rounds) and the width `R(d)` chosen per `(d, N)` as the smallest power of
//!   two whose fixed point (`K = R − 1`) has plain TV below `min ε / 4` ("generous width": theory
//!   allows `R = poly(d)`; what is measured is the depth). [`C2Config::width`] reports `R(d)`.
//!   Several `N` are swept because the round count is `N (K* + 2)` and the best `N` is not
//!   known in advance; [`growth`] also fits the envelope `min_N R*`.
//! * `rm-par:R/N`: the same with a fixed width `R` (tv-methodology §3.2 item 5: at a fixed small
//!   width the rounds must grow faster, or the fixed point itself misses ε).
//! * `rm`, `ei`: the sequential predictors on `q` uniform steps, whose rounds are their NFE
//!   (the sequential baselines of C1).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::c1::C1Config;
use super::{Progress, SweepAxes, SweepResult, SweepSpec, run_sweep};
use crate::error::{Error, Result};
use crate::grid::TimeGrid;
use crate::sampler::{Ode, StagedSampler, stages_rounds};
use crate::scaling::{GrowthComparison, compare_growth_models, local_slopes};
use crate::target::Gaussian;
use crate::tv::nested::NestedTv;
use crate::tv::oracle::tv_isotropic_scale;
use crate::tv::semi_analytic::{DiagLaw, Layout, Problem, nested_tv};

/// How the horizon `T` depends on `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Horizon {
    /// `T` = `base.t_max` for every `d`, exact `q_T` start: outer steps flat in `d`, prediction
    /// `O(log d)` rounds.
    Fixed,
    /// `T(d)` = the smallest `T ≥ base.t_max` on a 0.05 grid with `TV(q_T, N(0, I)) ≤ min ε / 4`
    /// (exact oracle), `N(0, I)` start, and `N(d) = ⌈N · T(d)/base.t_max⌉` outer steps for
    /// `rm-par/N`: the set-up of the paper, prediction `O(log² d)` rounds.
    Growing,
}

/// Configuration of the C2 sweep.
#[derive(Debug, Clone)]
pub struct C2Config {
    /// Fixed or growing horizon.
    pub horizon: Horizon,
    /// The C1 iso-Gaussian problem (dimensions, tolerances, estimator, `T`, `δ`, data variance).
    pub base: C1Config,
    /// Outer steps `N` of the parallel predictor (uniform on `[δ, T]`).
    pub outer: usize,
    /// Largest width `R` tried by the width search.
    pub max_width: usize,
    /// Samplers: `rm-par`, `rm-par:R`, `rm`, `ei`.
    pub samplers: Vec<String>,
    /// Width `R(d)` chosen for `rm-par` per `(d, N)` (filled by the sweep).
    pub widths: Arc<Mutex<HashMap<(usize, usize), usize>>>,
}

impl C2Config {
    /// The quick sweep of `randmid check`: C1's quick axes (d = 8 … 8192 ×4, ε ∈ {0.1, 0.05}),
    /// `N = 16`, `rm-par` and `rm`.
    pub fn quick() -> Self {
        let base = C1Config::quick();
        C2Config {
            horizon: Horizon::Fixed,
            outer: 16,
            max_width: 256,
            samplers: ["rm-par/4", "rm-par/8", "rm-par/16", "rm"].map(String::from).to_vec(),
            widths: Arc::default(),
            base: C1Config {
                max_steps: 4096,
                ..base
            },
        }
    }

    /// The full sweep: C1's full axes (d = 8 … 16,384, ε ∈ {0.1, 0.03, 0.01}), with the
    /// fixed-width variant `rm-par:4` and both sequential baselines.
    pub fn full() -> Self {
        C2Config {
            samplers: [
                "rm-par/2",
                "rm-par/4",
                "rm-par/8",
                "rm-par/16",
                "rm-par:4/8",
                "rm",
                "ei",
            ]
            .map(String::from)
            .to_vec(),
            base: C1Config::full(),
            ..C2Config::quick()
        }
    }

    /// The width `R(d)` of `rm-par` with `outer` steps (searched once per `(d, N)`, then
    /// cached).
    ///
    /// # Errors
    /// Estimator failures.
    pub fn width(&self, d: usize, outer: usize) -> Result<usize> {
        if let Some(r) = self.widths.lock().ok().and_then(|m| m.get(&(d, outer)).copied()) {
            return Ok(r);
        }
        let floor = self.base.eps.iter().copied().fold(f64::INFINITY, f64::min) / 4.0;
        let mut r = 1;
        while r < self.max_width {
            let tv = self.tv(&self.par_sampler(outer, r, r + 1, d)?, d)?;
            if tv.plain.tv <= floor {
                break;
            }
            r *= 2;
        }
        if let Ok(mut m) = self.widths.lock() {
            m.insert((d, outer), r);
        }
        Ok(r)
    }

    /// The horizon `T(d)` ([`Horizon`]).
    ///
    /// # Errors
    /// Oracle failures.
    pub fn t_max(&self, d: usize) -> Result<f64> {
        let t0 = self.base.t_max;
        if self.horizon == Horizon::Fixed {
            return Ok(t0);
        }
        let floor = self.base.eps.iter().copied().fold(f64::INFINITY, f64::min) / 4.0;
        let v = self.base.var;
        let mut t = t0;
        while tv_isotropic_scale(d, (-2.0 * t).exp() * v - (-2.0 * t).exp_m1(), 1.0)? > floor && t < 50.0 {
            t += 0.05;
        }
        Ok(t)
    }

    /// Outer steps of the parallel sampler `name` in dimension `d` (`None` for the sequential
    /// ones): `N`, or `⌈N · T(d)/T₀⌉` with a growing horizon.
    pub fn outer_steps(&self, name: &str, d: usize) -> Option<usize> {
        let n = self.outer_of(name)?;
        let t = self.t_max(d).ok()?;
        Some(((n as f64) * t / self.base.t_max - 1e-9).ceil().max(1.0) as usize)
    }

    /// `rm-par` with `outer` steps, width `r` and `q` rounds per outer step
    /// (`K = min(q − 2, r − 1)`: beyond `r − 1` Picard rounds nothing changes).
    fn par_sampler(&self, outer: usize, r: usize, q: usize, d: usize) -> Result<Ode> {
        let t = self.t_max(d)?;
        let steps = ((outer as f64) * t / self.base.t_max - 1e-9).ceil().max(1.0) as usize;
        let grid = TimeGrid::uniform(t, self.base.t_min, steps)?;
        Ode::rm_par(grid, r, q.saturating_sub(2).min(r.max(1) - 1))
    }

    /// Parses `rm-par[:R][/N]` into `(fixed width, outer steps)`.
    fn parse_par(&self, name: &str) -> Result<(Option<usize>, usize)> {
        let bad = || Error::InvalidConfig {
            reason: format!("C2 sampler `{name}` (rm-par[:R][/N] with R, N ≥ 1, rm, ei)"),
        };
        let rest = name.strip_prefix("rm-par").ok_or_else(bad)?;
        let (width, outer) = match rest.split_once('/') {
            Some((w, n)) => (w, Some(n.parse::<usize>().map_err(|_| bad())?)),
            None => (rest, None),
        };
        let width = match width.strip_prefix(':') {
            Some(w) => Some(w.parse::<usize>().map_err(|_| bad())?),
            None if width.is_empty() => None,
            None => return Err(bad()),
        };
        let outer = outer.unwrap_or(self.outer);
        if outer == 0 || width == Some(0) {
            return Err(bad());
        }
        Ok((width, outer))
    }

    /// Outer steps `N` of a parallel sampler name (`None` for the sequential ones).
    pub fn outer_of(&self, name: &str) -> Option<usize> {
        self.parse_par(name).ok().map(|(_, n)| n)
    }

    fn sampler(&self, name: &str, q: usize, d: usize) -> Result<Box<dyn StagedSampler>> {
        let seq = |s: fn(TimeGrid) -> Ode| -> Result<Box<dyn StagedSampler>> {
            Ok(Box::new(s(TimeGrid::uniform(self.t_max(d)?, self.base.t_min, q)?)))
        };
        match name {
            "rm" => seq(Ode::rm),
            "ei" => seq(Ode::ei),
            _ => {
                let (width, outer) = self.parse_par(name)?;
                let r = match width {
                    Some(r) => r,
                    None => self.width(d, outer)?,
                };
                Ok(Box::new(self.par_sampler(outer, r, q, d)?))
            }
        }
    }

    /// The semi-analytic nested TV of `sampler` on the C2 problem in dimension `d`.
    ///
    /// # Errors
    /// Estimator failures (e.g. a sampler whose stages are not linear-Gaussian).
    pub fn tv(&self, sampler: &dyn StagedSampler, d: usize) -> Result<NestedTv> {
        let g = Gaussian::isotropic(1, 0.0, self.base.var)?;
        let law = |t: f64| DiagLaw::diffused(&[0.0], &[self.base.var], t);
        let start = match self.horizon {
            Horizon::Fixed => law(self.base.t_max),
            Horizon::Growing => DiagLaw::standard(1),
        };
        let problem = Problem {
            score: &g,
            start,
            reference: law(self.base.t_min),
            layout: Layout::Repeated(d),
        };
        nested_tv(&problem, sampler, &self.base.nested)
    }
}

impl SweepSpec for C2Config {
    fn axes(&self) -> SweepAxes<'_> {
        SweepAxes {
            family: "iso-gaussian",
            samplers: &self.samplers,
            dims: &self.base.dims,
            eps: &self.base.eps,
            nested: &self.base.nested,
            max_steps: self.base.max_steps,
            draws: self.base.draws,
        }
    }
    /// Rounds (the depth), not evaluations.
    fn cost(&self, name: &str, q: usize, d: usize) -> Result<u64> {
        if let Some(outer) = self.outer_steps(name, d) {
            // q rounds per outer step even where K is capped at R − 1, so the axis grows with q
            return Ok((outer * q) as u64);
        }
        Ok(stages_rounds(&self.sampler(name, q, d)?.stages()).rounds)
    }
    fn measure(&self, name: &str, q: usize, d: usize) -> Result<Option<NestedTv>> {
        if name.starts_with("rm-par") && q < 2 {
            return Ok(None);
        }
        self.tv(self.sampler(name, q, d)?.as_ref(), d).map(Some)
    }
    /// NaN for the parallel samplers (the claim is polylogarithmic, judged by [`growth`], not
    /// by a power-law exponent); 5/12 and 1/2 for the sequential baselines.
    fn theory(&self, name: &str) -> f64 {
        match name {
            "rm" => 5.0 / 12.0,
            "ei" => 0.5,
            _ => f64::NAN,
        }
    }
}

/// Runs the C2 sweep ([`run_sweep`] on `cfg`).
///
/// # Errors
/// Propagates estimator and fitting errors.
pub fn run_c2(cfg: &C2Config, progress: &mut dyn FnMut(&Progress)) -> Result<SweepResult> {
    run_sweep(cfg, progress)
}

/// The growth-law comparison of one sampler's R*(d, ε) (tv-methodology §3.2 step 3).
#[derive(Debug, Clone)]
pub struct GrowthRow {
    /// Sampler.
    pub sampler: String,
    /// Tolerance.
    pub eps: f64,
    /// `(d, R*)` where found.
    pub rounds: Vec<(usize, f64)>,
    /// `a + b ln d`, `a + b ln² d` and `c d^β`, ranked by AIC ([`compare_growth_models`]).
    pub models: GrowthComparison,
    /// Leave-one-d-out mean squared prediction error per model, in the same order.
    pub loo: Vec<f64>,
    /// Local log-log slopes `(√(d_i d_{i+1}), slope)`: a polylog's slope falls like
    /// `(b + 2c ln d)/R*`, a power law's stays flat.
    pub local: Vec<(f64, f64)>,
}

/// Name of the envelope row `min_N R*(d)` over the adaptive-width `rm-par/N` samplers.
pub const ENVELOPE: &str = "rm-par(best N)";

fn is_adaptive_par(name: &str) -> bool {
    name.starts_with("rm-par") && !name.contains(':')
}

/// Fits the growth laws to every (sampler, ε) with at least 4 dimensions where R* was found, and
/// to the envelope [`ENVELOPE`] when several `rm-par/N` were swept.
///
/// # Errors
/// Fitting failures.
pub fn growth(r: &SweepResult) -> Result<Vec<GrowthRow>> {
    let mut keys: Vec<(String, f64)> = vec![];
    for n in &r.nstar {
        if !keys.iter().any(|(s, e)| s == &n.sampler && *e == n.eps) {
            keys.push((n.sampler.clone(), n.eps));
        }
    }
    let mut out = vec![];
    let envelope_of = |eps: f64| -> Vec<(usize, f64)> {
        let mut best: Vec<(usize, f64)> = vec![];
        for n in r.nstar.iter().filter(|n| n.eps == eps && is_adaptive_par(&n.sampler)) {
            let Some(v) = n.value else { continue };
            match best.iter_mut().find(|(d, _)| *d == n.d) {
                Some(slot) => slot.1 = slot.1.min(v),
                None => best.push((n.d, v)),
            }
        }
        best.sort_by_key(|&(d, _)| d);
        best
    };
    let mut eps_seen: Vec<f64> = vec![];
    for (_, eps) in &keys {
        if !eps_seen.contains(eps) && keys.iter().filter(|(s, e)| e == eps && is_adaptive_par(s)).count() > 1 {
            eps_seen.push(*eps);
        }
    }
    let envelopes = eps_seen.iter().map(|&e| (ENVELOPE.to_string(), e));
    for (sampler, eps) in keys.clone().into_iter().chain(envelopes) {
        let rounds: Vec<(usize, f64)> = if sampler == ENVELOPE {
            envelope_of(eps)
        } else {
            r.nstar
                .iter()
                .filter(|n| n.sampler == sampler && n.eps == eps)
                .filter_map(|n| n.value.map(|v| (n.d, v)))
                .collect()
        };
        if rounds.len() < 4 {
            continue;
        }
        let (d, y): (Vec<f64>, Vec<f64>) = rounds.iter().map(|&(d, v)| (d as f64, v)).unzip();
        let models = compare_growth_models(&d, &y)?;
        let loo = (0..models.fits.len())
            .map(|m| {
                let mut sq = 0.0;
                for i in 0..d.len() {
                    let keep = |v: &[f64]| -> Vec<f64> {
                        v.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, &x)| x).collect()
                    };
                    let fit = compare_growth_models(&keep(&d), &keep(&y))?;
                    sq += (y[i] - fit.fits[m].predict(d[i])).powi(2);
                }
                Ok(sq / d.len() as f64)
            })
            .collect::<Result<Vec<f64>>>()?;
        out.push(GrowthRow {
            sampler,
            eps,
            local: local_slopes(&d, &y)?,
            rounds,
            models,
            loo,
        });
    }
    Ok(out)
}
