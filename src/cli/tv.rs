//! `randmid tv`: the TV between a sampler's output law and the exact `q_δ`, by the estimator that
//! applies (tv-methodology.md §1.8).

use super::args::{Args, bad};
use super::build::{self, BuiltTarget, ScoreChoice};
use super::json::Json;
use crate::driver::{Start, sample};
use crate::error::Result;
use crate::sampler::{Stage, StagedSampler, stages_nfe, stages_steps};
use crate::target::{Gaussian, Score, Target};
use crate::tv::TvEstimate;
use crate::tv::grid::{GridProblem, grid_nested_tv_checked};
use crate::tv::nested::{NestedConfig, NestedTv};
use crate::tv::plugin::{BoxLaw, tv_hist};
use crate::tv::semi_analytic::{DiagLaw, Layout, Problem, nested_tv};

/// Which estimator to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    SemiAnalytic,
    Grid,
    Histogram,
}

/// Everything the estimators need.
struct Setup<'a> {
    target: &'a BuiltTarget,
    choice: &'a ScoreChoice,
    sampler: &'a dyn StagedSampler,
    start: Start,
    nested: NestedConfig,
    bins: usize,
    grid_points: usize,
}

/// Runs the `tv` command.
pub fn run(mut args: Args) -> Result<()> {
    let (built, tcfg) = build::target(&mut args)?;
    let (sampler, scfg) = build::sampler(&mut args, built.as_dyn())?;
    let which = args.str_or("estimator", "auto");
    let start = if args.flag("exact-start") {
        Start::Exact
    } else {
        Start::Gaussian
    };
    let nested = NestedConfig {
        n: args.usize_or("n", 20_000)?,
        m: args.usize_or("inner", 64)?,
        blocks: args.usize_or("blocks", 128)?,
        seed: args.u64_or("seed", 0)?,
    };
    let bins = args.usize_or("bins", 0)?;
    let grid_points = args.usize_or("grid-points", 2001)?;
    let json = args.flag("json");
    // the score error wraps a copy of the target, so `built` stays usable for dispatch
    let (choice, ecfg) = build::score_error(&mut args, built.clone().boxed())?;
    args.finish()?;
    let sampler = sampler.staged("tv")?;
    let setup = Setup {
        target: &built,
        choice: &choice,
        sampler,
        start,
        nested,
        bins,
        grid_points,
    };
    let which = resolve(&setup, &which)?;
    let (estimate, extra) = estimate(&setup, which)?;
    let stages = sampler.stages();
    let out = Json::obj([
        ("tv", Json::Num(estimate.tv)),
        ("se", Json::Num(estimate.se)),
        ("ci_low", Json::Num(estimate.ci_low)),
        ("ci_high", Json::Num(estimate.ci_high)),
        ("estimator", Json::Str(estimate.estimator.clone())),
        ("nfe", Json::Int(stages_nfe(&stages) as i64)),
        ("dim", Json::Int(built.as_dyn().dim() as i64)),
        ("steps", Json::Int(stages_steps(&stages) as i64)),
        (
            "start",
            Json::Str(if start == Start::Exact { "exact q_T" } else { "N(0, I)" }.into()),
        ),
        ("target", tcfg),
        ("sampler", scfg),
        ("score_error", ecfg),
        ("details", extra),
    ]);
    if json {
        print!("{}", out.pretty());
    } else {
        println!(
            "TV = {:.5} ± {:.5} (95% CI [{:.5}, {:.5}]) by {}; NFE {}",
            estimate.tv,
            estimate.se,
            estimate.ci_low,
            estimate.ci_high,
            estimate.estimator,
            stages_nfe(&stages)
        );
    }
    Ok(())
}

/// Picks the estimator: `auto` prefers semi-analytic, then grid, then histogram.
fn resolve(s: &Setup<'_>, name: &str) -> Result<Which> {
    let semi = matches!(s.target, BuiltTarget::Gaussian(g) if g.is_diagonal());
    let ode_only = s.sampler.stages().iter().all(|st| matches!(st, Stage::Ode { .. }));
    let grid = ode_only
        && matches!(s.target, BuiltTarget::Product(p) if p.is_iid())
        && matches!(s.choice, ScoreChoice::Exact(_));
    let hist = s.target.as_dyn().dim() <= 3;
    match name {
        "semi-analytic" if semi => Ok(Which::SemiAnalytic),
        "grid" if grid => Ok(Which::Grid),
        "histogram" if hist => Ok(Which::Histogram),
        "auto" if semi => Ok(Which::SemiAnalytic),
        "auto" if grid => Ok(Which::Grid),
        "auto" if hist => Ok(Which::Histogram),
        "semi-analytic" | "grid" | "histogram" | "auto" => Err(bad(format!(
            "estimator `{name}` does not apply here: semi-analytic needs a diagonal Gaussian target (exact or linear \
             score error), grid an i.i.d. product target with the exact score and a PF-ODE sampler, histogram d ≤ 3"
        ))),
        other => Err(bad(format!(
            "unknown estimator `{other}` (semi-analytic, grid, histogram, auto)"
        ))),
    }
}

fn nested_details(r: &NestedTv) -> Json {
    Json::obj([
        ("plain_tv", Json::Num(r.plain.tv)),
        ("plain_se", Json::Num(r.plain.se)),
        ("half_inner_tv", Json::Num(r.half)),
    ])
}

fn estimate(s: &Setup<'_>, which: Which) -> Result<(TvEstimate, Json)> {
    let (t_start, t_end) = (s.sampler.t_start(), s.sampler.t_end());
    match (which, s.target) {
        (Which::SemiAnalytic, BuiltTarget::Gaussian(g)) => {
            let r = semi_analytic(g, s.choice, s, t_start, t_end)?;
            Ok((r.richardson.clone(), nested_details(&r)))
        }
        (Which::Grid, BuiltTarget::Product(p)) => {
            let problem = GridProblem {
                points: s.grid_points,
                ..GridProblem::new(*p.law(0), p.dim(), s.start)
            };
            let r = grid_nested_tv_checked(&problem, s.sampler, &s.nested)?;
            Ok((r.richardson.clone(), nested_details(&r)))
        }
        _ => histogram(s, t_end),
    }
}

/// Start and end laws of a diagonal Gaussian on `k` slots.
fn gaussian_laws(g: &Gaussian, start: Start, t_start: f64, t_end: f64, k: usize) -> (DiagLaw, DiagLaw) {
    let (mean, var) = (&g.mean()[..k], &g.data_var().unwrap_or_default()[..k]);
    let start_law = match start {
        Start::Exact => DiagLaw::diffused(mean, var, t_start),
        Start::Gaussian => DiagLaw::standard(k),
    };
    (start_law, DiagLaw::diffused(mean, var, t_end))
}

fn semi_analytic(g: &Gaussian, choice: &ScoreChoice, s: &Setup<'_>, t0: f64, t1: f64) -> Result<NestedTv> {
    let d = g.dim();
    let iso = g.mean().iter().all(|&m| m == g.mean()[0])
        && g.cov_eigenvalues().iter().all(|&v| v == g.cov_eigenvalues()[0])
        && matches!(choice, ScoreChoice::Exact(_));
    if iso {
        // one slot stands for all d coordinates (O(steps) per α-path, any d)
        let one = Gaussian::isotropic(1, g.mean()[0], g.cov_eigenvalues()[0])?;
        let (start, reference) = gaussian_laws(&one, s.start, t0, t1, 1);
        let p = Problem {
            score: &one,
            start,
            reference,
            layout: Layout::Repeated(d),
        };
        return nested_tv(&p, s.sampler, &s.nested);
    }
    let (start, reference) = gaussian_laws(g, s.start, t0, t1, d);
    let (_, score): (&dyn Target, &dyn Score) = choice.parts();
    let p = Problem {
        score,
        start,
        reference,
        layout: Layout::Diagonal,
    };
    nested_tv(&p, s.sampler, &s.nested)
}

/// Runs the sampler on `n` points and compares their histogram with the exact box masses.
fn histogram(s: &Setup<'_>, t_end: f64) -> Result<(TvEstimate, Json)> {
    let (target, score) = s.choice.parts();
    let out = sample(target, score, s.sampler, s.start, s.nested.n, s.nested.seed)?;
    let law = match s.target {
        BuiltTarget::Gaussian(g) => BoxLaw::from_gaussian(g, t_end)?,
        BuiltTarget::Mixture(m) => BoxLaw::from_gaussian_mixture(m, t_end)?,
        BuiltTarget::Product(p) => BoxLaw::from_product(p, t_end)?,
    };
    let d = target.dim();
    let bins = if s.bins > 0 { s.bins } else { [50, 20, 10][d - 1] };
    let r = tv_hist(&out.samples, &law, bins)?;
    let details = Json::obj([
        ("noise_floor", Json::Num(r.floor)),
        ("resolved", Json::Bool(r.resolved)),
    ]);
    Ok((r.into(), details))
}
