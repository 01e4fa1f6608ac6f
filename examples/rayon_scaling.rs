//! Rayon scaling of three workloads over thread counts (issue 6), with a check that their output
//! bits do not depend on the thread count (style.md D-7, §5.4–5.5).
//!
//! * `W1` — [`driver::sample`] of the predictor–corrector `rm+ulmc` (RM predictor, 64 uniform
//!   steps from T = 5 to δ = 0.01; ULMC corrector γ = 2, T_c = 0.5 after every unit of time and
//!   at δ, as in `randmid check` but with h_c = 0.025 instead of 0.05: 100 corrector steps, NFE
//!   228) on a diagonal Gaussian, d = 1024, n = 512 samples, exact `q_T` start. Coarse tasks
//!   (≈ 2 ms each).
//! * `W2` — [`driver::sample`] of the EI ODE (50 uniform steps, T = 5, δ = 0.01) on the same kind
//!   of diagonal Gaussian at d = 64, n = 131,072 samples: fine-grained tasks (≈ 10 µs each), so
//!   rayon's per-task overhead shows.
//! * `W3` — one TV estimate of the kind the C1 bimodal sweep computes, through the public API:
//!   the **grid push-forward nested estimator** ([`grid_nested_tv_checked`], i.e.
//!   [`randmid::tv::grid::grid_nested_tv`] after the PF-ODE check) of `rm` on the i.i.d. bimodal
//!   product `(½N(−2, 0.25) + ½N(2, 0.25))^{⊗d}`, with the sampler and nested configuration of
//!   the full bimodal sweep (`C1Config::bimodal(false)`: G = 4001 grid points, M = 8 paths per
//!   block, 16 blocks) at d = 4096 with 16 rm steps (geometric-tail grid: 19 steps, 38 NFE) and
//!   n = 2,000 reference points. Its cost is dominated by the 16 × 8 = 128 α-path maps (each runs
//!   the sampler on ≈ 2.25 G points); the parallelism is over the 16 blocks, so the speedup
//!   cannot exceed 16, and 16 threads get one block each.
//!
//! Sizes are chosen so that each workload takes about 1–3 s on one thread of the 2-core
//! development VM; `--quick` shrinks them 4×: the number of samples (W1, W2), and for W3 the
//! grid size G (which sets the cost of the path maps) as well as d and n.
//!
//! Every workload runs `reps` times (default 3; the output is the same each time, since the seed
//! is fixed) inside `rayon::ThreadPoolBuilder::new().num_threads(k).build()?.install(…)` and the
//! median wall time (`std::time::Instant`) is reported, with the speedup `T_b/T_k` and efficiency
//! `k_b·T_b/(k·T_k)` against the first thread count `k_b` of the list (1 by default), and a 64-bit
//! FNV-1a digest over `f64::to_bits` of the output (all samples, or every field of the TV
//! estimate and its per-block values). The example exits with status 1 if a digest differs
//! between repetitions or thread counts.
//!
//! Output: a table on stdout and one JSON line per (workload, thread count) appended to `$OUT`
//! (default `target/rayon_scaling.jsonl`), with `available_parallelism` and the CPU model from
//! `/proc/cpuinfo`.
//!
//! Run: `cargo run --release --example rayon_scaling -- [threads (1,2)] [--quick] [--reps R]`.
//! `scripts/rayon_scaling.sh` runs 1, 2, 4, 8, 16 threads capped at `nproc`.

use std::io::Write;
use std::time::Instant;

use randmid::driver::{self, Start};
use randmid::grid::TimeGrid;
use randmid::sampler::{Corrector, CorrectorKind, Ode, OdeKind, PcSchedule, PredictorCorrector, Sampler, stages_nfe};
use randmid::sweep::{C1Config, c1_sampler};
use randmid::target::{Gaussian, Law1d};
use randmid::tv::grid::{GridProblem, grid_nested_tv_checked};
use randmid::tv::nested::{NestedConfig, NestedTv};

type AnyResult<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// 64-bit FNV-1a over the little-endian bytes of `f64::to_bits` of every value.
fn fnv1a(values: impl IntoIterator<Item = f64>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in values {
        for b in v.to_bits().to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Every number of a nested TV estimate, in a fixed order.
fn tv_bits(tv: &NestedTv) -> Vec<f64> {
    let (r, p) = (&tv.richardson, &tv.plain);
    let mut v = vec![
        r.tv, r.se, r.ci_low, r.ci_high, p.tv, p.se, p.ci_low, p.ci_high, tv.half,
    ];
    v.extend(&tv.blocks);
    v
}

/// A diagonal Gaussian with means and variances varying over the coordinates.
fn diagonal_gaussian(d: usize) -> AnyResult<Gaussian> {
    let mean = (0..d).map(|i| ((i % 7) as f64 - 3.0) * 0.5).collect();
    let var = (0..d).map(|i| 0.25 + 0.5 * (i % 5) as f64).collect();
    Ok(Gaussian::diagonal(mean, var)?)
}

/// One workload: a label, its sizes (for the JSON line), and a closure that runs it once and
/// returns the digest of its output.
struct Workload {
    name: &'static str,
    what: String,
    params: String,
    run: Box<dyn Fn() -> AnyResult<u64> + Sync>,
}

fn workloads(quick: bool) -> AnyResult<Vec<Workload>> {
    let shrink = if quick { 4 } else { 1 };
    let seed = 2025;

    // W1: rm+ulmc predictor–corrector, d = 1024, n = 512
    let (d1, n1, steps1) = (1024, 512 / shrink, 64);
    let g1 = diagonal_gaussian(d1)?;
    let grid1 = TimeGrid::uniform(5.0, 0.01, steps1)?;
    let pc = PredictorCorrector {
        predictor: OdeKind::Rm,
        schedule: PcSchedule::user(grid1, 1.0, Corrector::new(CorrectorKind::Ulmc, 2.0, 0.025, 0.5)?)?,
    };
    let w1 = Workload {
        name: "W1",
        what: format!(
            "sample rm+ulmc, diagonal Gaussian d = {d1}, n = {n1}, {steps1} steps, NFE {}",
            pc.nfe()
        ),
        params: format!("\"d\":{d1},\"n\":{n1},\"steps\":{steps1},\"nfe\":{}", pc.nfe()),
        run: Box::new(move || {
            let out = driver::sample(&g1, &g1, &pc as &dyn Sampler, Start::Exact, n1, seed)?;
            Ok(fnv1a(out.samples.iter().copied()))
        }),
    };

    // W2: EI ODE, d = 64, n = 131,072, 50 steps
    let (d2, n2, steps2) = (64, 131_072 / shrink, 50);
    let g2 = diagonal_gaussian(d2)?;
    let ei = Ode::ei(TimeGrid::uniform(5.0, 0.01, steps2)?);
    let w2 = Workload {
        name: "W2",
        what: format!("sample ei, diagonal Gaussian d = {d2}, n = {n2}, {steps2} steps"),
        params: format!("\"d\":{d2},\"n\":{n2},\"steps\":{steps2}"),
        run: Box::new(move || {
            let out = driver::sample(&g2, &g2, &ei as &dyn Sampler, Start::Exact, n2, seed)?;
            Ok(fnv1a(out.samples.iter().copied()))
        }),
    };

    // W3: grid push-forward nested TV of rm on the bimodal product (full C1 bimodal settings)
    let cfg = C1Config::bimodal(false);
    let (d3, steps3) = (4096 / shrink, 16);
    let nested = NestedConfig {
        n: 2_000 / shrink,
        ..cfg.nested
    };
    let (sep, sd, points) = match cfg.family {
        randmid::sweep::Family::Bimodal { sep, sd, points } => (sep, sd, points),
        randmid::sweep::Family::IsoGaussian => unreachable!("C1Config::bimodal"),
    };
    let points = (points - 1) / shrink + 1;
    let problem = GridProblem {
        points,
        ..GridProblem::new(Law1d::bimodal(sep, sd)?, d3, Start::Exact)
    };
    let rm = c1_sampler("rm", steps3, d3, &cfg)?;
    let nfe3 = stages_nfe(&rm.stages());
    let w3 = Workload {
        name: "W3",
        what: format!(
            "grid nested TV of rm, bimodal product d = {d3}, {steps3} steps (NFE {nfe3}), G = {points}, n = {}, M = {}, {} blocks",
            nested.n, nested.m, nested.blocks
        ),
        params: format!(
            "\"d\":{d3},\"steps\":{steps3},\"nfe\":{nfe3},\"grid_points\":{points},\"n\":{},\"m\":{},\"blocks\":{}",
            nested.n, nested.m, nested.blocks
        ),
        run: Box::new(move || {
            let tv = grid_nested_tv_checked(&problem, rm.as_ref(), &nested)?;
            Ok(fnv1a(tv_bits(&tv)))
        }),
    };
    Ok(vec![w1, w2, w3])
}

/// The first `model name` of /proc/cpuinfo, if readable.
fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
}

/// `s` as a JSON string literal (quotes and backslashes escaped, control characters dropped).
fn json_str(s: &str) -> String {
    let body: String = s
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect();
    format!("\"{body}\"")
}

fn main() -> AnyResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let reps: usize = match args.iter().position(|a| a == "--reps") {
        Some(i) => args.get(i + 1).ok_or("--reps needs a value")?.parse()?,
        None => 3,
    };
    let reps_value = args.iter().position(|a| a == "--reps").map(|i| i + 1);
    let threads: Vec<usize> = args
        .iter()
        .enumerate()
        .find(|&(i, a)| !a.starts_with("--") && Some(i) != reps_value)
        .map_or("1,2", |(_, a)| a.as_str())
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    if threads.is_empty() || threads.contains(&0) || reps == 0 {
        return Err("thread counts must be ≥ 1 and --reps ≥ 1".into());
    }
    let out = std::env::var("OUT").unwrap_or("target/rayon_scaling.jsonl".into());
    if let Some(dir) = std::path::Path::new(&out)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&out)?;
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = cpu_model().unwrap_or_else(|| "unknown".into());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.as_secs());
    println!(
        "rayon scaling: threads {threads:?}, median of {reps}, available_parallelism = {cpus}, CPU {cpu}{}",
        if quick { ", --quick (sizes / 4)" } else { "" }
    );
    println!(
        "{:<4} {:>7} {:>10} {:>8} {:>10}  {:<18} {:>9}",
        "work", "threads", "seconds", "speedup", "efficiency", "digest", "all reps"
    );
    let mut mismatch = false;
    for w in workloads(quick)? {
        println!("{}: {}", w.name, w.what);
        let mut base: Option<(usize, f64, u64)> = None;
        for &k in &threads {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(k).build()?;
            let runs: Vec<(f64, u64)> = pool.install(|| {
                (0..reps)
                    .map(|_| {
                        let clock = Instant::now();
                        let digest = (w.run)()?;
                        Ok((clock.elapsed().as_secs_f64(), digest))
                    })
                    .collect::<AnyResult<_>>()
            })?;
            let mut times: Vec<f64> = runs.iter().map(|r| r.0).collect();
            times.sort_by(f64::total_cmp);
            let secs = times[reps / 2];
            let digest = runs[0].1;
            let reps_agree = runs.iter().all(|r| r.1 == digest);
            let (kb, tb, db) = *base.get_or_insert((k, secs, digest));
            let same = reps_agree && digest == db;
            mismatch |= !same;
            let (speedup, efficiency) = (tb / secs, (kb as f64 * tb) / (k as f64 * secs));
            println!(
                "{:<4} {k:>7} {secs:>10.3} {speedup:>8.2} {efficiency:>10.2}  {digest:#018x} {:>9}",
                w.name,
                if same { "equal" } else { "DIFFERENT" }
            );
            let times_json: Vec<String> = times.iter().map(|t| format!("{t}")).collect();
            writeln!(
                file,
                "{{\"workload\":\"{}\",\"what\":{},{},\"threads\":{k},\"seconds\":{secs},\"times\":[{}],\"reps\":{reps},\
                 \"baseline_threads\":{kb},\"speedup\":{speedup},\"efficiency\":{efficiency},\"digest\":\"{digest:016x}\",\
                 \"digest_matches_baseline\":{same},\"quick\":{quick},\"available_parallelism\":{cpus},\"cpu\":{},\
                 \"unix_time\":{started}}}",
                w.name,
                json_str(&w.what),
                w.params,
                times_json.join(","),
                json_str(&cpu)
            )?;
        }
    }
    println!("JSON lines appended to {out}");
    if mismatch {
        eprintln!("error: output digests differ between repetitions or thread counts (bitwise identity is required)");
        std::process::exit(1);
    }
    Ok(())
}
