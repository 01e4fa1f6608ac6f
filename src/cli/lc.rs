//! `randmid sample` with a log-concave sampler (`ula`, `mala`, `ulmc`, `rm-ulmc`, `gcc-lc`,
//! `ulmc-par`, `rm-ulmc-par`) on a
//! potential target (`iso-gaussian`, `ill-gaussian`, `logcosh`, `logistic`): independent chains
//! through [`crate::langevin::sample_potential`], written as CSV plus a JSON sidecar with the
//! gradient count and the MALA acceptance.

use std::time::Instant;

use super::args::{Args, bad};
use super::json::Json;
use super::{write_csv, write_file};
use crate::error::Result;
use crate::langevin::{Kinetic, LcStart, LogConcaveSampler, Mala, Ula, sample_potential};
use crate::parallel::Rounds;
use crate::potential::{DiagGaussian, LogCoshProduct, Logistic, Potential};

/// The log-concave sampler names.
pub const NAMES: [&str; 7] = ["ula", "mala", "ulmc", "rm-ulmc", "gcc-lc", "ulmc-par", "rm-ulmc-par"];

/// Builds the potential named by `--target` (`--dim`, when given for `logistic`, must be the
/// data's dimension).
fn potential(args: &mut Args) -> Result<(Box<dyn Potential>, Json)> {
    let name = args.required("target")?;
    let dim_given = args.peek("dim").is_some();
    let dim = args.usize_or("dim", 2)?;
    let f: Box<dyn Potential> = match name.as_str() {
        "iso-gaussian" => {
            let (m, v) = (args.f64_or("mean", 0.0)?, args.f64_or("var", 1.0)?);
            crate::error::check_positive("var", v)?;
            crate::error::check_count("dim", Some(dim))?;
            Box::new(DiagGaussian::new(vec![m; dim], vec![1.0 / v; dim])?)
        }
        "ill-gaussian" => Box::new(DiagGaussian::ill_conditioned(dim, args.f64_or("kappa", 100.0)?)?),
        "logcosh" => Box::new(LogCoshProduct::new(dim)?),
        "logistic" => {
            let data = args.str_or("data", "breast-cancer");
            let prior = args.f64_or("prior-var", 1.0)?;
            match data.as_str() {
                "breast-cancer" => {
                    let f = Logistic::breast_cancer(prior)?;
                    if dim_given && dim != f.dim() {
                        return Err(bad(format!(
                            "--dim {dim}: the breast-cancer posterior has dimension {} (leave --dim out)",
                            f.dim()
                        )));
                    }
                    Box::new(f)
                }
                "german" => {
                    return Err(bad(
                        "--data german: the UCI German credit data is not shipped (no offline copy with a clear \
                         licence was found; see data/README.md); use --data breast-cancer"
                            .into(),
                    ));
                }
                other => return Err(bad(format!("unknown data set `{other}` (breast-cancer)"))),
            }
        }
        other => {
            return Err(bad(format!(
                "target `{other}` is not a log-concave potential; the samplers {NAMES:?} take iso-gaussian, \
                 ill-gaussian, logcosh or logistic"
            )));
        }
    };
    let cfg = Json::obj([
        ("name", Json::Str(name)),
        ("describe", Json::Str(f.describe())),
        ("dim", Json::Int(f.dim() as i64)),
        ("m", Json::Num(f.strong_convexity())),
        ("L", Json::Num(f.smoothness())),
    ]);
    Ok((f, cfg))
}

/// Builds the sampler: `--steps N`, `--step-size h` (default `0.1/√L` for the kinetic samplers,
/// `0.1/L` for ULA and MALA), `--gamma γ` (default `2√L`, Shen–Lee's γ = 2 with u = 1/L),
/// `--corr-time T_c` (default `0.5/√L`) and `--corr-step h_c` (default `h`) for `gcc-lc`;
/// `--cells M` or `--nodes R` and `--picard K` for the parallel samplers (per-step buffers of
/// `2M × d` or `2(R + 1) × d` normals, and `K`, at most [`crate::error::MAX_LEN`]).
fn sampler(name: &str, args: &mut Args, l: f64, dim: usize) -> Result<(Box<dyn LogConcaveSampler>, Json)> {
    let steps = args.usize_or("steps", 100)?;
    let kinetic = !matches!(name, "ula" | "mala");
    let h = args.f64_or("step-size", if kinetic { 0.1 / l.sqrt() } else { 0.1 / l })?;
    let gamma = args.f64_or("gamma", 2.0 * l.sqrt())?;
    let (t_c, h_c) = (args.f64_or("corr-time", 0.5 / l.sqrt())?, args.f64_or("corr-step", h)?);
    // (cells or nodes, Picard rounds) of the parallel samplers
    let par = match name {
        "ulmc-par" => (args.usize_or("cells", 8)?, args.usize_or("picard", 4)?),
        "rm-ulmc-par" => (args.usize_or("nodes", 8)?, args.usize_or("picard", 4)?),
        _ => (0, 0),
    };
    match name {
        "ulmc-par" => super::build::check_parallel_sizes(dim, &[("2 × cells × dim", par.0, 2)], par.1)?,
        "rm-ulmc-par" => {
            super::build::check_parallel_sizes(dim, &[("2 × (nodes + 1) × dim", par.0.saturating_add(1), 2)], par.1)?
        }
        _ => {}
    }
    let s: Box<dyn LogConcaveSampler> = match name {
        "ula" => Box::new(Ula::new(h, steps)?),
        "mala" => Box::new(Mala::new(h, steps)?),
        "ulmc" => Box::new(Kinetic::ulmc(gamma, h, steps)?),
        "rm-ulmc" => Box::new(Kinetic::rm_ulmc(gamma, h, steps)?),
        "ulmc-par" => Box::new(Kinetic::ulmc_par(gamma, h, steps, par.0, par.1)?),
        "rm-ulmc-par" => Box::new(Kinetic::rm_ulmc_par(gamma, h, steps, par.0, par.1)?),
        _ => Box::new(Kinetic::gcc_lc(gamma, h, steps, h_c, t_c)?),
    };
    let mut cfg = vec![
        ("name", Json::Str(name.into())),
        ("steps", Json::Int(steps as i64)),
        ("h", Json::Num(h)),
    ];
    if kinetic {
        cfg.push(("gamma", Json::Num(gamma)));
    }
    if name.ends_with("-par") {
        let key = if name == "ulmc-par" { "cells" } else { "nodes" };
        cfg.extend([(key, Json::Int(par.0 as i64)), ("picard", Json::Int(par.1 as i64))]);
    }
    if name == "gcc-lc" {
        cfg.extend([("corr_time", Json::Num(t_c)), ("corr_step", Json::Num(h_c))]);
    }
    cfg.push(("describe", Json::Str(s.name())));
    Ok((s, Json::obj(cfg)))
}

/// Runs `randmid sample` for a log-concave sampler. Chains start at the minimiser `x*` (where
/// known, else 0), or at `N(x*, v I)` with `--start-var v`.
pub fn run(name: &str, mut args: Args) -> Result<()> {
    let (f, tcfg) = potential(&mut args)?;
    let (s, scfg) = sampler(name, &mut args, f.smoothness(), f.dim())?;
    let n = args.usize_or("n", 1000)?;
    let seed = args.u64_or("seed", 0)?;
    let start_var = args.str("start-var").map(|v| v.parse::<f64>()).transpose();
    let start_var = start_var.map_err(|_| bad("--start-var must be a number".into()))?;
    let out = args.required("out")?;
    args.finish()?;
    let center = f.minimizer().unwrap_or_else(|| vec![0.0; f.dim()]);
    let start = match start_var {
        Some(var) => LcStart::Gaussian { center, var },
        None => LcStart::Point(center),
    };
    let clock = Instant::now();
    let result = sample_potential(f.as_ref(), s.as_ref(), &start, n, seed)?;
    let wall = clock.elapsed().as_secs_f64();
    write_csv(&out, &result.samples, result.dim)?;
    let start = start_var.map_or("x*".into(), |v| format!("N(x*, {v} I)"));
    let rest = vec![
        (
            "gradients_per_sample",
            Json::Int((result.stats.grads / n as u64) as i64),
        ),
        ("acceptance", result.acceptance().map_or(Json::Null, Json::Num)),
        (
            "rounds",
            super::rounds_json(&crate::driver::RunCounts {
                rounds: s.rounds().unwrap_or(Rounds::sequential(result.stats.grads / n as u64)),
                mean_rounds: s
                    .rounds()
                    .map_or((result.stats.grads / n as u64) as f64, |r| r.rounds as f64),
                trace: Default::default(),
            }),
        ),
        ("wall_time_s", Json::Num(wall)),
    ];
    let meta = super::sample_meta([tcfg, scfg], start, [n, seed as usize, result.dim], rest);
    write_file(&format!("{out}.json"), &meta.pretty())?;
    eprintln!(
        "wrote {n} samples (d = {}) to {out}; {} gradients per sample{}; {wall:.3} s",
        result.dim,
        result.stats.grads / n as u64,
        result
            .acceptance()
            .map_or(String::new(), |a| format!(", acceptance {a:.3}"))
    );
    Ok(())
}
