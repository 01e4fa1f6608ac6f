//! `randmid scale --claim c1|c2|c3 [--family …] [--quick] [--samplers a,b,…] --out DIR`: a scaling
//! sweep ([`crate::sweep`]), written as `DIR/<claim>.json`, `DIR/<claim>_points.csv` and plots,
//! with a progress bar on stderr.

use super::args::{Args, bad};
use super::json::Json;
use super::progress::ProgressBar;
use super::store::{self, JsonlStore, header};
use super::write_file;
use crate::error::Result;
use crate::plot::{LogLogChart, Series};
use crate::sweep::c2::{Horizon, growth};
use crate::sweep::{C1Config, C2Config, C3Config, C3Family, Shard, SweepResult, SweepSpec, run_sweep_stored};

/// Parses `I/N` (`0 ≤ I < N`).
fn parse_shard(s: &str) -> Result<Shard> {
    let bad_shard = || bad(format!("--shard {s}: expected I/N with 0 ≤ I < N, e.g. 0/4"));
    let (i, n) = s.split_once('/').ok_or_else(bad_shard)?;
    let (index, count) = (
        i.trim().parse::<usize>().map_err(|_| bad_shard())?,
        n.trim().parse::<usize>().map_err(|_| bad_shard())?,
    );
    if count == 0 || index >= count {
        return Err(bad_shard());
    }
    Ok(Shard { index, count })
}

/// A comma-separated list of numbers.
fn parse_list<T: std::str::FromStr>(key: &str, s: &str) -> Result<Vec<T>> {
    let v: std::result::Result<Vec<T>, _> = s.split(',').map(|x| x.trim().parse::<T>()).collect();
    match v {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(bad(format!("--{key} {s}: expected a comma-separated list of numbers"))),
    }
}

/// Runs the `scale` command (`merge = false`) or the `merge` command (`merge = true`: replay the
/// shards' JSONL files given by `--inputs`, computing nothing).
///
/// Every finished point is appended to `DIR/<claim>.jsonl` (`DIR/<claim>.shard-I-of-N.jsonl`
/// for `--shard I/N`) as it completes; `--resume` continues a killed sweep from that file; the
/// final JSON and CSV are written atomically (temporary file, then rename).
pub fn run(mut args: Args, merge: bool) -> Result<()> {
    let claim = args.required("claim")?;
    let quick = args.flag("quick");
    let dir = args.required("out")?;
    let samplers = args.str("samplers");
    let family = args.str("family");
    let kappa = args.f64_or("kappa", 100.0)?;
    let outer = args.usize_or("outer", 16)?;
    let horizon = args.str_or("horizon", "fixed");
    let dims: Option<Vec<usize>> = args.str("dims").map(|s| parse_list("dims", &s)).transpose()?;
    let eps: Option<Vec<f64>> = args.str("eps").map(|s| parse_list("eps", &s)).transpose()?;
    if dims.as_ref().is_some_and(|d| d.contains(&0))
        || eps.as_ref().is_some_and(|e| e.iter().any(|&x| !(x > 0.0 && x < 1.0)))
    {
        return Err(bad("--dims must be positive and --eps in (0, 1)".into()));
    }
    let (resume, shard, inputs) = if merge {
        (false, Shard::ALL, Some(args.required("inputs")?))
    } else {
        let shard = args
            .str("shard")
            .map(|s| parse_shard(&s))
            .transpose()?
            .unwrap_or(Shard::ALL);
        (args.flag("resume"), shard, None)
    };
    args.finish()?;
    let axes = |d: &mut Vec<usize>, e: &mut Vec<f64>| {
        if let Some(v) = &dims {
            d.clone_from(v);
        }
        if let Some(v) = &eps {
            e.clone_from(v);
        }
    };
    let list = |default: &[String]| -> Vec<String> {
        samplers
            .as_ref()
            .map_or(default.to_vec(), |l| l.split(',').map(str::to_string).collect())
    };
    let mut c2: Option<C2Config> = None;
    let (spec, config): (Box<dyn SweepSpec>, Json) = match claim.as_str() {
        "c1" => {
            let mut cfg = match (family.as_deref().unwrap_or("iso-gaussian"), quick) {
                ("iso-gaussian", true) => C1Config::quick(),
                ("iso-gaussian", false) => C1Config::full(),
                ("bimodal", q) => C1Config::bimodal(q),
                (other, _) => return Err(bad(format!("unknown C1 family `{other}` (iso-gaussian, bimodal)"))),
            };
            cfg.samplers = list(&cfg.samplers);
            axes(&mut cfg.dims, &mut cfg.eps);
            let json = c1_config_json(&cfg);
            (Box::new(cfg), json)
        }
        "c3" => {
            let mut cfg = if quick { C3Config::quick() } else { C3Config::full() };
            cfg.family = match family.as_deref().unwrap_or("iso-gaussian") {
                "iso-gaussian" => C3Family::IsoGaussian,
                "ill-gaussian" => C3Family::IllGaussian { kappa },
                "logcosh" => {
                    cfg.samplers = vec!["ulmc".into(), "ulmc+ulmc".into()];
                    cfg.eps.retain(|&e| e >= 0.03);
                    C3Family::LogCosh { grid: 200 }
                }
                other => {
                    return Err(bad(format!(
                        "unknown C3 family `{other}` (iso-gaussian, ill-gaussian, logcosh)"
                    )));
                }
            };
            cfg.samplers = list(&cfg.samplers);
            axes(&mut cfg.dims, &mut cfg.eps);
            let json = c3_config_json(&cfg);
            (Box::new(cfg), json)
        }
        "c2" => {
            let mut cfg = if quick { C2Config::quick() } else { C2Config::full() };
            if outer == 0 {
                return Err(bad("--outer must be at least 1".into()));
            }
            cfg.outer = outer;
            cfg.horizon = match horizon.as_str() {
                "fixed" => Horizon::Fixed,
                "growing" => Horizon::Growing,
                other => return Err(bad(format!("unknown horizon `{other}` (fixed, growing)"))),
            };
            cfg.samplers = list(&cfg.samplers);
            axes(&mut cfg.base.dims, &mut cfg.base.eps);
            c2 = Some(cfg.clone());
            let json = c2_config_json(&cfg);
            (Box::new(cfg), json)
        }
        other => return Err(bad(format!("claim `{other}` is not implemented (c1, c2, c3)"))),
    };
    std::fs::create_dir_all(&dir).map_err(|e| crate::Error::Io {
        path: dir.clone(),
        message: e.to_string(),
    })?;
    let head = header(&claim, &config);
    let mut bar = ProgressBar::new();
    let result = match inputs {
        Some(list) => {
            let paths: Vec<String> = list.split(',').map(str::to_string).collect();
            let mut mem = store::merge(&paths, &head)?;
            eprintln!("merging {} stored points from {} file(s)", mem.len(), paths.len());
            run_sweep_stored(spec.as_ref(), &mut |p| bar.update(p), &mut mem, Shard::ALL, true)
        }
        None => {
            let path = if shard == Shard::ALL {
                format!("{dir}/{claim}.jsonl")
            } else {
                format!("{dir}/{claim}.shard-{}-of-{}.jsonl", shard.index, shard.count)
            };
            let mut jsonl = JsonlStore::open(&path, &head, resume)?;
            if !jsonl.is_empty() {
                eprintln!("resuming from {path}: {} finished points", jsonl.len());
            }
            let r = run_sweep_stored(spec.as_ref(), &mut |p| bar.update(p), &mut jsonl, shard, false);
            if shard != Shard::ALL && r.is_ok() {
                bar.finish();
                eprintln!(
                    "shard {}/{} done: {path}; combine the shards with `randmid merge` (same options, \
                     --inputs <the shard files>)",
                    shard.index, shard.count
                );
                return Ok(());
            }
            r
        }
    };
    bar.finish();
    let result = result?;
    let mut json = sweep_json(&claim, config, &result);
    let c2_text = match &c2 {
        Some(cfg) => {
            let (text, extra) = c2_report(cfg, &result)?;
            if let Json::Obj(entries) = &mut json {
                entries.extend(extra);
            }
            text
        }
        None => String::new(),
    };
    write_atomic(&format!("{dir}/{claim}.json"), &json.pretty())?;
    write_atomic(&format!("{dir}/{claim}_points.csv"), &points_csv(&result))?;
    plots(&dir, &claim, spec.as_ref(), &result)?;
    print!("{}{c2_text}", c1_table(&result));
    eprintln!("wrote {dir}/{claim}.json, {dir}/{claim}_points.csv and the {claim}_*.svg/png plots");
    Ok(())
}

/// Writes `text` to `path` atomically: a temporary file in the same folder, then a rename, so a
/// reader (or a kill) never sees a half-written result.
fn write_atomic(path: &str, text: &str) -> Result<()> {
    let tmp = format!("{path}.tmp");
    write_file(&tmp, text)?;
    std::fs::rename(&tmp, path).map_err(|e| crate::Error::Io {
        path: path.to_string(),
        message: e.to_string(),
    })
}

/// Resolution at which an exponent is called equal to the theory's: finite-d corrections and a
/// single hidden log factor move a fitted slope by up to ~0.1–0.2 over these ranges
/// (tv-methodology §2.3), so agreement is not claimed more finely than ±0.02.
pub const EXPONENT_RESOLUTION: f64 = 0.02;

/// The verdict on a large-d exponent interval `ci` with local-slope `drift` against the theory's
/// exponent: below/above when the interval, widened by `max(drift, EXPONENT_RESOLUTION)`,
/// excludes it.
pub fn verdict(ci: (f64, f64), drift: f64, theory: f64) -> &'static str {
    let slack = drift.max(EXPONENT_RESOLUTION);
    let (lo, hi) = (ci.0 - slack, ci.1 + slack);
    if theory.is_nan() {
        "polylog claim: see the growth laws"
    } else if hi < theory {
        "below the theory exponent"
    } else if lo > theory {
        "ABOVE the theory exponent"
    } else {
        "consistent with it"
    }
}

/// The fitted exponents as a table: all-d fit with its bootstrap CI, the large-d fit with its CI
/// and local-slope drift, the theory exponent, and a verdict on the large-d fit: below/above the
/// theory exponent when its CI, widened by the drift and by [`EXPONENT_RESOLUTION`], excludes it.
pub fn c1_table(r: &SweepResult) -> String {
    let mut s = format!(
        "{:<13} {:<12} {:>5} {:>7} {:>16} {:>9} {:>16} {:>6} {:>6}  verdict (large d)\n",
        "sampler", "family", "eps", "β(all)", "95% CI", "β(large)", "95% CI", "drift", "theory"
    );
    for f in &r.fits {
        let verdict = verdict(f.large_d_ci, f.drift, f.theory);
        let ci = |a: f64, b: f64| format!("[{a:.3}, {b:.3}]");
        s.push_str(&format!(
            "{:<13} {:<12} {:>5} {:>7.3} {:>16} {:>9.3} {:>16} {:>6.3} {:>6.3}  {verdict}\n",
            f.sampler,
            f.family,
            f.eps,
            f.exponent,
            ci(f.ci_low, f.ci_high),
            f.exponent_large_d,
            ci(f.large_d_ci.0, f.large_d_ci.1),
            f.drift,
            f.theory
        ));
    }
    s
}

/// The sweep's points, N* rows and fits, with the claim's configuration.
fn sweep_json(claim: &str, config: Json, r: &SweepResult) -> Json {
    let points = r.points.iter().map(|p| {
        Json::obj([
            ("family", Json::Str(p.family.clone())),
            ("sampler", Json::Str(p.sampler.clone())),
            ("d", Json::Int(p.d as i64)),
            ("steps", Json::Int(p.steps as i64)),
            ("nfe", Json::Int(p.nfe as i64)),
            ("tv", Json::Num(p.tv.tv)),
            ("se", Json::Num(p.tv.se)),
            ("ci_low", Json::Num(p.tv.ci_low)),
            ("ci_high", Json::Num(p.tv.ci_high)),
        ])
    });
    let nstar = r.nstar.iter().map(|n| {
        Json::obj([
            ("family", Json::Str(n.family.clone())),
            ("sampler", Json::Str(n.sampler.clone())),
            ("epsilon", Json::Num(n.eps)),
            ("d", Json::Int(n.d as i64)),
            ("nfe_star", n.value.map_or(Json::Null, Json::Num)),
            ("ci_low", Json::Num(n.low)),
            ("ci_high", Json::Num(n.high)),
        ])
    });
    let fits = r.fits.iter().map(|f| {
        Json::obj([
            ("family", Json::Str(f.family.clone())),
            ("sampler", Json::Str(f.sampler.clone())),
            ("epsilon", Json::Num(f.eps)),
            ("exponent", Json::Num(f.exponent)),
            ("ci_low", Json::Num(f.ci_low)),
            ("ci_high", Json::Num(f.ci_high)),
            ("theory", Json::Num(f.theory)),
            ("exponent_large_d", Json::Num(f.exponent_large_d)),
            ("large_d_ci_low", Json::Num(f.large_d_ci.0)),
            ("large_d_ci_high", Json::Num(f.large_d_ci.1)),
            ("local_slope_drift", Json::Num(f.drift)),
            ("dims", Json::Arr(f.dims.iter().map(|&d| Json::Int(d as i64)).collect())),
            (
                "local_slopes",
                Json::Arr(
                    f.local
                        .iter()
                        .map(|&(d, s)| Json::Arr(vec![Json::Num(d), Json::Num(s)]))
                        .collect(),
                ),
            ),
        ])
    });
    Json::obj([
        ("claim", Json::Str(claim.into())),
        ("config", config),
        ("points", Json::Arr(points.collect())),
        ("nstar", Json::Arr(nstar.collect())),
        ("fits", Json::Arr(fits.collect())),
    ])
}

/// The configuration entries every sweep has, then the claim's own.
fn config_json(spec: &dyn SweepSpec, family: String, own: Vec<(&'static str, Json)>) -> Json {
    let a = spec.axes();
    let mut entries = vec![
        ("family", Json::Str(family)),
        ("dims", Json::Arr(a.dims.iter().map(|&d| Json::Int(d as i64)).collect())),
        ("epsilons", Json::Arr(a.eps.iter().map(|&e| Json::Num(e)).collect())),
        ("n", Json::Int(a.nested.n as i64)),
        ("inner_m", Json::Int(a.nested.m as i64)),
        ("blocks", Json::Int(a.nested.blocks as i64)),
        ("seed", Json::Int(a.nested.seed as i64)),
    ];
    entries.extend(own);
    entries.push(("bootstrap_draws", Json::Int(a.draws as i64)));
    Json::obj(entries)
}

fn c1_config_json(cfg: &C1Config) -> Json {
    let own = vec![
        ("t_max", Json::Num(cfg.t_max)),
        ("t_min", Json::Num(cfg.t_min)),
        ("data_variance", Json::Num(cfg.var)),
    ];
    config_json(cfg, family_json(cfg), own)
}

fn c3_config_json(cfg: &C3Config) -> Json {
    let family = match cfg.family {
        C3Family::IsoGaussian => "iso-gaussian(λ=1)".to_string(),
        C3Family::IllGaussian { kappa } => format!("ill-gaussian(κ={kappa}, 8 levels)"),
        C3Family::LogCosh { grid } => format!("logcosh(kinetic density grid {grid}×{grid})"),
    };
    let own = vec![
        ("horizon", Json::Num(cfg.horizon)),
        ("corrector_time", Json::Num(cfg.corr_time)),
        ("start", Json::Str("exact π".into())),
    ];
    config_json(cfg, family, own)
}

fn c2_config_json(cfg: &C2Config) -> Json {
    let own = vec![
        ("t_max", Json::Num(cfg.base.t_max)),
        ("t_min", Json::Num(cfg.base.t_min)),
        ("data_variance", Json::Num(cfg.base.var)),
        (
            "start",
            Json::Str(
                if cfg.horizon == Horizon::Fixed {
                    "exact q_T"
                } else {
                    "N(0, I)"
                }
                .into(),
            ),
        ),
        ("horizon", Json::Str(format!("{:?}", cfg.horizon))),
        (
            "t_max_by_d",
            Json::Arr(
                cfg.base
                    .dims
                    .iter()
                    .map(|&d| Json::Arr(vec![Json::Int(d as i64), cfg.t_max(d).map_or(Json::Null, Json::Num)]))
                    .collect(),
            ),
        ),
        ("outer_steps", Json::Int(cfg.outer as i64)),
        ("max_width", Json::Int(cfg.max_width as i64)),
        (
            "cost_axis",
            Json::Str("rounds (sequential depth of batched score calls); `nfe` and `nfe_star` hold rounds".into()),
        ),
    ];
    config_json(cfg, format!("iso-gaussian(var={})", cfg.base.var), own)
}

/// The C2 report: widths `R(d)`, Picard rounds per outer step `K*(d) = R*/N − 2`, and the
/// growth-law comparison (AIC and leave-one-out error of `a + b ln d`, `a + b ln² d`, `c d^β`),
/// as text and as JSON entries.
pub(crate) fn c2_report(cfg: &C2Config, r: &SweepResult) -> Result<(String, Vec<(String, Json)>)> {
    let mut widths: Vec<(usize, usize, usize)> = cfg
        .widths
        .lock()
        .map(|m| m.iter().map(|(&(d, n), &w)| (n, d, w)).collect())
        .unwrap_or_default();
    widths.sort_unstable();
    let mut text = String::from("\nC2: rounds R*(d) — growth laws (lower AIC / LOO is better)\n");
    text.push_str(&format!("rm-par widths (N, d, R): {widths:?}\n"));
    let rows = growth(r)?;
    let mut jrows = vec![];
    for g in &rows {
        let name = |m: crate::scaling::GrowthModel| format!("{m:?}");
        let best = g.models.best().map_or("-".into(), |b| name(b.model));
        text.push_str(&format!(
            "{:<10} ε={:<5} R* = {:?}\n",
            g.sampler,
            g.eps,
            g.rounds
                .iter()
                .map(|&(d, v)| (d, (v * 10.0).round() / 10.0))
                .collect::<Vec<_>>()
        ));
        for (f, loo) in g.models.fits.iter().zip(&g.loo) {
            text.push_str(&format!(
                "    {:<10} params [{:.4}, {:.4}]  AIC {:>8.2}  LOO-MSE {:>10.3}\n",
                name(f.model),
                f.params[0],
                f.params[1],
                f.aic,
                loo
            ));
        }
        let slopes: Vec<String> = g.local.iter().map(|&(d, s)| format!("{d:.0}:{s:.3}")).collect();
        text.push_str(&format!("    best by AIC: {best}; local slopes {}\n", slopes.join(" ")));
        let kstar = match cfg.outer_of(&g.sampler) {
            Some(_) => Json::Arr(
                g.rounds
                    .iter()
                    .filter_map(|&(d, v)| {
                        let n = cfg.outer_steps(&g.sampler, d)?;
                        Some(Json::Arr(vec![Json::Int(d as i64), Json::Num(v / n as f64 - 2.0)]))
                    })
                    .collect(),
            ),
            None => Json::Null,
        };
        jrows.push(Json::obj([
            ("sampler", Json::Str(g.sampler.clone())),
            ("epsilon", Json::Num(g.eps)),
            (
                "rounds_star",
                Json::Arr(
                    g.rounds
                        .iter()
                        .map(|&(d, v)| Json::Arr(vec![Json::Int(d as i64), Json::Num(v)]))
                        .collect(),
                ),
            ),
            ("picard_rounds_per_outer_step", kstar),
            (
                "models",
                Json::Arr(
                    g.models
                        .fits
                        .iter()
                        .zip(&g.loo)
                        .map(|(f, &loo)| {
                            Json::obj([
                                ("model", Json::Str(name(f.model))),
                                (
                                    "params",
                                    Json::Arr(vec![Json::Num(f.params[0]), Json::Num(f.params[1])]),
                                ),
                                ("rss", Json::Num(f.rss)),
                                ("aic", Json::Num(f.aic)),
                                ("loo_mse", Json::Num(loo)),
                            ])
                        })
                        .collect(),
                ),
            ),
            ("best_by_aic", Json::Str(best)),
            (
                "local_slopes",
                Json::Arr(
                    g.local
                        .iter()
                        .map(|&(d, s)| Json::Arr(vec![Json::Num(d), Json::Num(s)]))
                        .collect(),
                ),
            ),
        ]));
    }
    let extra = vec![
        (
            "widths".to_string(),
            Json::Arr(
                widths
                    .iter()
                    .map(|&(n, d, w)| {
                        Json::obj([
                            ("outer", Json::Int(n as i64)),
                            ("d", Json::Int(d as i64)),
                            ("width", Json::Int(w as i64)),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("growth".to_string(), Json::Arr(jrows)),
    ];
    Ok((text, extra))
}

/// `DIR/<claim>_tv_<sampler>.{svg,png}` (TV vs NFE per d, ε levels dashed) and
/// `DIR/c1_nstar_eps<ε>.{svg,png}` (N* vs d per sampler, fitted power laws and the reference
/// slopes 1/2 and 5/12, dashed).
fn plots(dir: &str, claim: &str, spec: &dyn SweepSpec, r: &SweepResult) -> Result<()> {
    let upper = claim.to_uppercase();
    for name in spec.axes().samplers {
        let series = spec
            .axes()
            .dims
            .iter()
            .map(|&d| Series {
                label: format!("d = {d}"),
                points: r
                    .points
                    .iter()
                    .filter(|p| &p.sampler == name && p.d == d)
                    .map(|p| (p.nfe as f64, p.tv.tv))
                    .collect(),
                dashed: false,
            })
            .collect();
        let chart = LogLogChart {
            title: format!("{upper} {name}: TV vs cost ({})", spec.axes().family),
            x_label: if upper == "C2" {
                "rounds per sample"
            } else {
                "evaluations per sample"
            }
            .into(),
            y_label: "TV".into(),
            series,
            levels: spec.axes().eps.to_vec(),
        };
        chart.write(&format!(
            "{dir}/{claim}_tv_{}",
            name.replace(['+', ':', '-', '/', '(', ')', ' '], "_")
        ))?;
    }
    for &eps in spec.axes().eps {
        nstar_chart(&upper, spec, r, eps).write(&format!("{dir}/{claim}_nstar_eps{eps}"))?;
    }
    Ok(())
}

fn nstar_chart(upper: &str, spec: &dyn SweepSpec, r: &SweepResult, eps: f64) -> LogLogChart {
    let mut series = vec![];
    for name in spec.axes().samplers {
        let pts: Vec<(f64, f64)> = r
            .nstar
            .iter()
            .filter(|n| &n.sampler == name && n.eps == eps)
            .filter_map(|n| n.value.map(|v| (n.d as f64, v)))
            .collect();
        if let Some(fit) = r.fits.iter().find(|f| &f.sampler == name && f.eps == eps) {
            let c = pts.first().map_or(1.0, |&(d, v)| v / d.powf(fit.exponent));
            let ends = [
                spec.axes().dims[0] as f64,
                *spec.axes().dims.last().unwrap_or(&1) as f64,
            ];
            series.push(Series {
                label: format!("{name} fit, β = {:.3}", fit.exponent),
                points: ends.iter().map(|&d| (d, c * d.powf(fit.exponent))).collect(),
                dashed: true,
            });
        }
        series.push(Series {
            label: name.clone(),
            points: pts,
            dashed: false,
        });
    }
    let anchor = series
        .iter()
        .find(|s| !s.dashed && !s.points.is_empty())
        .map(|s| s.points[0]);
    if let Some((d0, v0)) = anchor {
        let last = *spec.axes().dims.last().unwrap_or(&1) as f64;
        for (label, slope) in [("reference slope 1/2", 0.5), ("reference slope 5/12", 5.0 / 12.0)] {
            series.push(Series {
                label: label.into(),
                points: vec![(d0, v0), (last, v0 * (last / d0).powf(slope))],
                dashed: true,
            });
        }
    }
    LogLogChart {
        title: format!("{upper}: N*(d, ε = {eps}) ({})", spec.axes().family),
        x_label: "dimension d".into(),
        y_label: if upper == "C2" { "R* (rounds)" } else { "N* (NFE)" }.into(),
        series,
        levels: vec![],
    }
}

/// The family with its parameters, e.g. `bimodal(sep=2, sd=0.5, G=2001)`.
fn family_json(cfg: &C1Config) -> String {
    match cfg.family {
        crate::sweep::Family::IsoGaussian => format!("iso-gaussian(var={})", cfg.var),
        crate::sweep::Family::Bimodal { sep, sd, points } => format!("bimodal(sep={sep}, sd={sd}, G={points})"),
    }
}

fn points_csv(r: &SweepResult) -> String {
    let mut s = String::from("family,sampler,d,steps,nfe,tv,se,ci_low,ci_high\n");
    for p in &r.points {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            p.family, p.sampler, p.d, p.steps, p.nfe, p.tv.tv, p.tv.se, p.tv.ci_low, p.tv.ci_high
        ));
    }
    s
}
