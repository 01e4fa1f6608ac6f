//! The `randmid` command line: `check`, `sample`, `targets`, `samplers`.
//!
//! Kept in the library so that tests can drive it; `src/main.rs` only forwards `argv`.

pub mod args;
pub mod build;
pub mod json;
pub mod lc;
pub mod progress;
pub mod scale;
pub mod store;
pub mod tv;
pub mod verdicts;

use std::io::Write;
use std::time::Instant;

use args::{Args, bad};
use json::Json;

use crate::driver::{self, Start};
use crate::error::{Error, Result};

/// The largest `--threads` accepted (a pool spawns all its threads up front).
const MAX_THREADS: usize = 1024;

const USAGE: &str = "\
randmid — randomized-midpoint diffusion samplers on exact-score targets

USAGE:
  randmid check                      sample exact targets with every sampler, print errors vs the exact law,
                                     then the quick C1, C2 and C3 sweeps (measured exponents and rounds)
  randmid sample --target NAME [target options] --dim D --sampler NAME [sampler options]
                 --n N --seed S [--t-max T] [--t-min DELTA] [--exact-start] [--threads K]
                 [--score-error bias|linear|fourier --eps-sc E --error-seed S [--features K --bandwidth B]]
                 --out FILE.csv       one sample per row; configuration, NFE, wall time in FILE.csv.json
  randmid tv --target NAME … --dim D --sampler NAME … [--exact-start] [--t-max T --t-min DELTA]
             [--estimator semi-analytic|grid|histogram|auto] [--n N --inner M --blocks B --bins B]
             [--seed S] [--json]        TV(sampler output, exact q_δ) with a 95% CI
  randmid scale --claim c1 [--family iso-gaussian|bimodal] [--quick]
                [--samplers ei,rm,ei+ulmc,rm+ulmc,ei+ulmc:paper,rm+ulmc:paper] --out DIR
                                     C1 sweep: TV vs NFE over d, N*(d, ε), fitted exponents
                                     (DIR/c1.json, DIR/c1_points.csv, plots)
  randmid scale --claim c2 [--quick] [--horizon fixed|growing] [--samplers rm-par/N,rm-par:R/N,rm,ei]
                [--outer N] --out DIR
                                     C2 sweep: rounds R*(d, ε) of the parallel RM predictor, growth-law
                                     fits (log d, log² d, power of d)
  randmid scale --claim c3 [--family iso-gaussian|ill-gaussian|logcosh --kappa K] [--quick]
                [--samplers ula,ulmc,rm-ulmc,ulmc+ulmc,gcc-lc] --out DIR
                                     C3 sweep (log-concave, Gaussian potentials, start at π)
  scale options for every claim: [--dims 8,64,512] [--eps 0.1,0.03] [--resume] [--shard I/N]
                                     every finished point is appended to DIR/<claim>.jsonl as it
                                     completes; --resume continues a killed sweep from it; --shard I/N
                                     runs the I-th of N disjoint parts (DIR/<claim>.shard-I-of-N.jsonl)
  randmid merge --claim … (the same options as the sharded scale runs) --inputs A.jsonl,B.jsonl,… --out DIR
                                     combine shards into the same JSON/CSV/plots as an unsharded run
  randmid verdicts [--data paper-notes/data]
                                     the README's verdict table, generated from the committed sweep data
  randmid targets                    list targets and their options
  randmid samplers                   list samplers and their options
  randmid help                       this text

SAMPLER OPTIONS:
  --steps N (100)  --grid uniform|geometric|times:T0,T1,…  (uniform: N steps from --t-max (5) to --t-min (1e-3))
  predictor–corrector (X+Y): --schedule user|paper (user)
     user:  --steps --grid --chunk Δ (1) --gamma γ (2) --corr-step h_c (0.05) --corr-time T_c (0.5)
     paper: --eps ε (0.1) [--lipschitz L (the target's)]   (reconstructed schedule, see rustdoc)
  parallel: rm-par --nodes R (8) --picard K (4); rm-par+ulmc-par adds --cells M (8) (PC options);
     paradigms --window P (16) --tol TOL (0.1); the JSON sidecar records rounds, width, work and
     the Picard residuals per round
  log-concave (ula, mala, ulmc, rm-ulmc, gcc-lc, ulmc-par, rm-ulmc-par) on iso-gaussian, ill-gaussian, logcosh,
  logistic:
     LC:    --steps N (100) --step-size h (0.1/√L kinetic, 0.1/L ula/mala) --gamma γ (2√L)
            [--start-var v] (chains start at x* or N(x*, v I))
";

/// Runs the CLI on `argv[1..]`; returns the process exit code (0 on success, 2 on bad usage,
/// 1 on other failures), printing errors to stderr.
pub fn main(argv: &[String]) -> i32 {
    match dispatch(argv) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            if matches!(
                e,
                Error::InvalidConfig { .. } | Error::InvalidParameter { .. } | Error::InvalidGrid { .. }
            ) {
                2
            } else {
                1
            }
        }
    }
}

fn dispatch(argv: &[String]) -> Result<()> {
    let Some((cmd, rest)) = argv.split_first() else {
        print!("{USAGE}");
        return Ok(());
    };
    let mut args = Args::parse(rest)?;
    match cmd.as_str() {
        "check" => {
            let quick = args.flag("quick");
            args.finish()?;
            print!(
                "{}",
                crate::check::run(&crate::check::CheckConfig::default_or_quick(quick))?
            );
            check_c1(quick)?;
            check_c2(quick)?;
            check_c3(quick)
        }
        "sample" => sample(args),
        "tv" => tv::run(args),
        "scale" => scale::run(args, false),
        "merge" => scale::run(args, true),
        "verdicts" => verdicts::run(args),
        "targets" => list(args, build::TARGETS),
        "samplers" => list(args, build::SAMPLERS),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(bad(format!(
            "unknown command `{other}` (check, sample, tv, scale, merge, verdicts, targets, samplers, help)"
        ))),
    }
}

/// The C1 part of `randmid check`: the quick sweeps of both families (or, with `--quick`,
/// smoke-sized ones).
fn check_c1(quick: bool) -> Result<()> {
    use crate::sweep::{C1Config, run_c1};
    let smoke = |cfg: C1Config| C1Config {
        dims: vec![8, 64, 512],
        eps: vec![0.1],
        ..cfg
    };
    let (iso, bimodal) = if quick {
        (smoke(C1Config::quick()), smoke(C1Config::bimodal(true)))
    } else {
        (C1Config::quick(), C1Config::bimodal(true))
    };
    println!(
        "C1 — quick sweeps, exact q_T at T = {}, δ = {}, exact score; d = {:?} (iso-gaussian) and {:?} (bimodal)",
        iso.t_max, iso.t_min, iso.dims, bimodal.dims
    );
    println!(
        "iso-gaussian N(0, {} I): semi-analytic TV; correctors ULMC, γ = 2, T_c = 0.5, h_c = predictor step, \
         after every unit of time and at δ",
        iso.var
    );
    println!(
        "bimodal product ½N(−2, 0.25) + ½N(2, 0.25): grid push-forward TV, PF-ODE predictors on geometric-tail grids"
    );
    let mut table = String::new();
    for (k, cfg) in [iso, bimodal].iter().enumerate() {
        let result = run_c1(cfg, &mut |_| {})?;
        let t = scale::c1_table(&result);
        // one header for both families
        table.push_str(if k == 0 {
            &t
        } else {
            t.split_once('\n').map_or("", |x| x.1)
        });
    }
    print!("{table}");
    println!("(full sweeps and data: `randmid scale --claim c1 [--family bimodal] --out DIR`; paper-notes/claims.md)");
    Ok(())
}

/// The C2 part of `randmid check`: the quick parallel-rounds sweep (or, with `--quick`, a
/// smoke-sized one): R*(d, ε) in rounds and the growth-law comparison.
fn check_c2(quick: bool) -> Result<()> {
    use crate::sweep::{C2Config, run_c2};
    let mut cfg = C2Config::quick();
    if quick {
        cfg.base.dims = vec![8, 64, 512, 4096];
        cfg.base.eps = vec![0.1];
        cfg.samplers = vec!["rm-par/4".into(), "rm".into()];
    }
    println!(
        "\nC2 — quick sweep: parallel RM predictor (rm-par/N: N outer steps, width R(d) with fixed-point TV ≤ min ε/4, \
         K Picard rounds), cost = rounds; same problem as C1 iso-gaussian; d = {:?}",
        cfg.base.dims
    );
    let result = run_c2(&cfg, &mut |_| {})?;
    print!("{}", scale::c1_table(&result));
    print!("{}", scale::c2_report(&cfg, &result)?.0);
    println!("(full sweep: `randmid scale --claim c2 --out DIR`; paper-notes/claims.md)");
    Ok(())
}

/// The C3 part of `randmid check`: the quick log-concave sweep on the isotropic Gaussian
/// potential (or, with `--quick`, a smoke-sized one).
fn check_c3(quick: bool) -> Result<()> {
    use crate::sweep::{C3Config, run_c3};
    let cfg = if quick {
        C3Config {
            dims: vec![8, 64, 512],
            eps: vec![0.1],
            ..C3Config::quick()
        }
    } else {
        C3Config::quick()
    };
    println!(
        "\nC3 — quick sweep: f = |x|²/2, chains start at π, horizon T = {}, γ = 2√L; exact TV (ula, ulmc) or \
         semi-analytic TV (rm-ulmc, gcc-lc); gcc-lc = RM-ULMC then ULMC with fresh velocity for T_c = {}, h_c = h; d = {:?}",
        cfg.horizon, cfg.corr_time, cfg.dims
    );
    print!("{}", scale::c1_table(&run_c3(&cfg, &mut |_| {})?));
    println!(
        "(full sweep: `randmid scale --claim c3 [--family ill-gaussian --kappa K] --out DIR`; paper-notes/claims.md)"
    );
    Ok(())
}

/// The sidecar of `sample`: command, version, `[target, sampler]`, start, `[n, seed, dim]`,
/// then the command's own entries.
pub(crate) fn sample_meta(
    [target, sampler]: [Json; 2],
    start: String,
    [n, seed, dim]: [usize; 3],
    rest: Vec<(&'static str, Json)>,
) -> Json {
    let mut entries = vec![
        ("command", Json::Str("sample".into())),
        ("randmid_version", Json::Str(env!("CARGO_PKG_VERSION").into())),
        ("target", target),
        ("sampler", sampler),
        ("start", Json::Str(start)),
        ("n", Json::Int(n as i64)),
        ("seed", Json::Int(seed as i64)),
        ("dim", Json::Int(dim as i64)),
    ];
    entries.extend(rest);
    Json::obj(entries)
}

fn list(args: Args, rows: &[(&str, &str, &str)]) -> Result<()> {
    args.finish()?;
    for (name, opts, what) in rows {
        println!("{name:<12} {what}");
        if !opts.is_empty() {
            println!("{:<12}   options: {opts}", "");
        }
    }
    Ok(())
}

fn sample(mut args: Args) -> Result<()> {
    if let Some(name) = args.peek("sampler").filter(|n| lc::NAMES.contains(n)) {
        let name = name.to_string();
        args.str("sampler");
        return lc::run(&name, args);
    }
    let (target, tcfg) = build::target(&mut args)?;
    let (sampler, scfg) = build::sampler(&mut args, target.as_dyn())?;
    let (choice, ecfg) = build::score_error(&mut args, target.boxed())?;
    let (target, score) = choice.parts();
    let n = args.usize_or("n", 1000)?;
    let seed = args.u64_or("seed", 0)?;
    let start = if args.flag("exact-start") {
        Start::Exact
    } else {
        Start::Gaussian
    };
    let threads = args.usize_or("threads", 0)?;
    if threads > MAX_THREADS {
        return Err(bad(format!("--threads {threads}: at most {MAX_THREADS}")));
    }
    let out = args.required("out")?;
    args.finish()?;
    let clock = Instant::now();
    let stages = match &sampler {
        build::BuiltSampler::Staged(s) => Some(s.stages()),
        build::BuiltSampler::Plain(_) => None,
    };
    let run = || driver::sample_counted(target, score, sampler.as_sampler(), stages.as_deref(), start, n, seed);
    let (result, counts) = if threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| bad(format!("cannot build a pool of {threads} threads: {e}")))?
            .install(run)?
    } else {
        run()?
    };
    let wall = clock.elapsed().as_secs_f64();
    write_csv(&out, &result.samples, result.dim)?;
    let start = if start == Start::Exact { "exact q_T" } else { "N(0, I)" };
    let threads = if threads > 0 {
        threads
    } else {
        rayon::current_num_threads()
    };
    let rest = vec![
        ("score_error", ecfg),
        ("nfe_per_sample", Json::Int(result.nfe_per_sample as i64)),
        ("nfe_total", Json::Int(result.nfe.iter().sum::<u64>() as i64)),
        ("rounds", rounds_json(&counts)),
        ("threads", Json::Int(threads as i64)),
        ("wall_time_s", Json::Num(wall)),
    ];
    let meta = sample_meta([tcfg, scfg], start.into(), [n, seed as usize, result.dim], rest);
    write_file(&format!("{out}.json"), &meta.pretty())?;
    eprintln!(
        "wrote {n} samples (d = {}) to {out}; NFE per sample {}; {wall:.3} s",
        result.dim, result.nfe_per_sample
    );
    Ok(())
}

/// The round accounting of a run as JSON (tv-methodology §3.1): per-sample maxima of rounds,
/// width and work, mean rounds, and the Picard residuals per round.
pub fn rounds_json(c: &driver::RunCounts) -> Json {
    let nums = |v: &[f64]| Json::Arr(v.iter().map(|&x| Json::Num(x)).collect());
    Json::obj([
        ("rounds", Json::Int(c.rounds.rounds as i64)),
        ("width", Json::Int(c.rounds.width as i64)),
        ("work", Json::Int(c.rounds.work as i64)),
        ("mean_rounds", Json::Num(c.mean_rounds)),
        ("picard_steps", Json::Int(c.trace.steps as i64)),
        ("picard_max_residual_by_round", nums(&c.trace.max_residual)),
        ("picard_max_ratio_by_round", nums(&c.trace.ratio)),
    ])
}

/// Writes row-major samples as CSV: one sample per row, no header, shortest round-trip `f64`
/// formatting (full precision).
pub fn write_csv(path: &str, samples: &[f64], dim: usize) -> Result<()> {
    let io = |e: std::io::Error| Error::Io {
        path: path.to_string(),
        message: e.to_string(),
    };
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    for row in samples.chunks_exact(dim) {
        let line: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        writeln!(w, "{}", line.join(",")).map_err(io)?;
    }
    w.flush().map_err(io)
}

/// Writes a text file.
pub fn write_file(path: &str, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::Io {
        path: path.to_string(),
        message: e.to_string(),
    })
}
