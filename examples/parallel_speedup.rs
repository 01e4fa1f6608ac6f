//! Wall-clock of the parallel randomized-midpoint predictor against the sequential one at equal
//! TV (issue 5): the configurations are chosen by the instrument (semi-analytic TV ≤ ε on the C2
//! problem: data N(0, 0.25 I), exact q_T at T = 2, δ = 0.01), then timed.
//!
//! * `rm`: the smallest number of uniform steps with TV ≤ ε (2 NFE = 2 rounds per step);
//! * `rm-par/N`: N outer steps, the C2 width R(d), and the smallest Picard count K with TV ≤ ε
//!   (K + 2 rounds per outer step, 1 + R(K + 1) evaluations).
//!
//! Two timings per thread count: the latency of **one** sample (the parallel sampler splits each
//! round over the threads; the sequential one cannot), and the throughput of a batch of 64
//! samples (both spread samples over the threads). Output: a table on stdout and one JSON line per
//! (thread count, sampler) in `$OUT` (default `paper-notes/data/c2/speedup.jsonl`).
//!
//! Run: `cargo run --release --example parallel_speedup -- [d] [eps] [threads,…]`
//! (defaults 16384, 0.05, "1,2"). `scripts/c2_speedup_threads.sh` runs 1 … 16 threads.

use std::io::Write;
use std::time::Instant;

use randmid::driver::{Start, sample};
use randmid::grid::TimeGrid;
use randmid::sampler::{Ode, Sampler, StagedSampler, stages_rounds};
use randmid::sweep::C2Config;
use randmid::target::Gaussian;

fn tv(cfg: &C2Config, s: &dyn StagedSampler, d: usize) -> f64 {
    cfg.tv(s, d).unwrap().richardson.tv
}

/// Median wall time of `reps` runs of `n` samples, in seconds.
fn time(g: &Gaussian, s: &dyn Sampler, n: usize, reps: usize) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|r| {
            let clock = Instant::now();
            let out = sample(g, g, s, Start::Exact, n, r as u64).unwrap();
            std::hint::black_box(out.samples[0]);
            clock.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let d: usize = args.first().map_or(16_384, |s| s.parse().unwrap());
    let eps: f64 = args.get(1).map_or(0.05, |s| s.parse().unwrap());
    let threads: Vec<usize> = args
        .get(2)
        .map_or("1,2".into(), String::clone)
        .split(',')
        .map(|t| t.parse().unwrap())
        .collect();
    let out = std::env::var("OUT").unwrap_or("paper-notes/data/c2/speedup.jsonl".into());
    let mut cfg = C2Config::quick();
    cfg.base.eps = vec![eps];
    let (t_max, t_min) = (cfg.base.t_max, cfg.base.t_min);
    // sequential: smallest step count with TV ≤ ε
    let mut steps = 8;
    let seq = loop {
        let s = Ode::rm(TimeGrid::uniform(t_max, t_min, steps).unwrap());
        if tv(&cfg, &s, d) <= eps {
            break s;
        }
        steps = (steps as f64 * 1.05).ceil() as usize;
    };
    let mut configs: Vec<(String, Box<dyn StagedSampler>)> = vec![(format!("rm ({steps} steps)"), Box::new(seq))];
    for outer in [2, 4, 8] {
        let r = cfg.width(d, outer).unwrap();
        let grid = TimeGrid::uniform(t_max, t_min, outer).unwrap();
        let s = (0..r)
            .map(|k| Ode::rm_par(grid.clone(), r, k).unwrap())
            .find(|s| tv(&cfg, s, d) <= eps);
        if let Some(s) = s {
            let k = match s.kind {
                randmid::sampler::OdeKind::RmPar { picard, .. } => picard,
                _ => 0,
            };
            configs.push((format!("rm-par/{outer} (R={r}, K={k})"), Box::new(s)));
        }
    }
    let g = Gaussian::isotropic(d, 0.0, cfg.base.var).unwrap();
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&out).ok();
    println!("d = {d}, ε = {eps}: configurations with semi-analytic TV ≤ ε");
    println!(
        "{:<28} {:>7} {:>6} {:>7} {:>8} {:>14} {:>16}",
        "sampler", "rounds", "width", "work", "threads", "1 sample (ms)", "64 samples (ms)"
    );
    for &th in &threads {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(th).build().unwrap();
        for (name, s) in &configs {
            let r = stages_rounds(&s.stages());
            let (one, batch) = pool.install(|| (time(&g, s.as_ref(), 1, 11), time(&g, s.as_ref(), 64, 3)));
            println!(
                "{name:<28} {:>7} {:>6} {:>7} {th:>8} {:>14.3} {:>16.1}",
                r.rounds,
                r.width,
                r.work,
                one * 1e3,
                batch * 1e3
            );
            if let Some(f) = file.as_mut() {
                let line = format!(
                    "{{\"d\":{d},\"eps\":{eps},\"sampler\":\"{name}\",\"rounds\":{},\"width\":{},\"work\":{},\"threads\":{th},\"latency_1_sample_s\":{one},\"batch_64_s\":{batch},\"cpus\":{}}}",
                    r.rounds,
                    r.width,
                    r.work,
                    std::thread::available_parallelism().map_or(0, |n| n.get())
                );
                writeln!(f, "{line}").unwrap();
            }
        }
    }
}
