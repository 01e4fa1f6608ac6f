//! Bring your own sampler: implement `randmid::sampler::Sampler`, run it through the same driver,
//! and measure its dimension exponent with the same instrument as the built-in ones.
//!
//! A user writes Heun's method for the probability-flow ODE in exponential form (deterministic,
//! second order, 2 NFE per step) and asks how its cost N*(d, ε) grows with d on the bimodal
//! product target, next to EI and RM. TV is the grid push-forward estimator, which accepts any
//! sampler that maps every coordinate by the same deterministic map given its random stream.
//!
//! Run: `cargo run --release --example custom_sampler` (a few minutes on 2 cores).

use randmid::driver::Start;
use randmid::grid::TimeGrid;
use randmid::rng::SampleRng;
use randmid::sampler::predictor::ei_map;
use randmid::sampler::{Ode, Sampler};
use randmid::scaling::{fit_power_law, n_star};
use randmid::target::{Law1d, Score};
use randmid::tv::grid::{GridProblem, grid_nested_tv};
use randmid::tv::nested::NestedConfig;

/// Exponential Heun: EI predictor, then the trapezoidal average of the scores at both ends.
/// ```text
/// x̃ = e^h x + (e^h − 1) s_t(x);   x ← e^h x + (e^h − 1) · ½ (s_t(x) + s_{t−h}(x̃))
/// ```
struct ExpHeun {
    grid: TimeGrid,
}

impl Sampler for ExpHeun {
    fn name(&self) -> String {
        "exp-heun".into()
    }
    fn t_start(&self) -> f64 {
        self.grid.t_max()
    }
    fn t_end(&self) -> f64 {
        self.grid.t_min()
    }
    fn run(&self, score: &dyn Score, x: &mut [f64], _rng: &mut SampleRng) -> u64 {
        let d = x.len();
        let (mut s0, mut s1, mut xt, mut avg) = (vec![0.0; d], vec![0.0; d], vec![0.0; d], vec![0.0; d]);
        for (t, h) in self.grid.iter_steps() {
            score.score(t, x, &mut s0);
            ei_map(h, x, &s0, &mut xt);
            score.score(t - h, &xt, &mut s1);
            avg.iter_mut()
                .zip(s0.iter().zip(&s1))
                .for_each(|(a, (u, v))| *a = 0.5 * (u + v));
            xt.copy_from_slice(x);
            ei_map(h, &xt, &avg, x);
        }
        2 * self.grid.steps() as u64
    }
}

/// A sampler with `steps` steps on the geometric-tail grid (uniform, then halving toward δ).
fn build(name: &str, steps: usize) -> randmid::Result<(Box<dyn Sampler>, u64)> {
    let (t_max, t_min) = (3.0, 0.01);
    let grid = TimeGrid::geometric_tail(t_max, t_min, (t_max - t_min) / steps as f64)?;
    let n = grid.steps() as u64;
    Ok(match name {
        "ei" => (Box::new(Ode::ei(grid)), n),
        "rm" => (Box::new(Ode::rm(grid)), 2 * n),
        _ => (Box::new(ExpHeun { grid }), 2 * n),
    })
}

fn main() -> randmid::Result<()> {
    let law = Law1d::bimodal(2.0, 0.5)?;
    let eps = 0.1;
    let dims = [8usize, 32, 128, 512];
    println!("bimodal product ½N(−2, 0.5²) + ½N(2, 0.5²), exact q_T start at T = 3, δ = 0.01, ε = {eps}");
    for name in ["ei", "rm", "exp-heun"] {
        // deterministic samplers have one path law: a pool of 2 per block is exact (Richardson
        // is then a no-op); RM needs a real inner average over its α-paths
        let m = if name == "rm" { 16 } else { 2 };
        let cfg = NestedConfig {
            n: 2_000,
            m,
            blocks: 4,
            seed: 1,
        };
        let mut nstar = vec![];
        for &d in &dims {
            let problem = GridProblem {
                points: 2001,
                ..GridProblem::new(law, d, Start::Exact)
            };
            let (mut nfe, mut tv, mut se) = (vec![], vec![], vec![]);
            let mut steps = 4usize;
            loop {
                let (sampler, cost) = build(name, steps)?;
                let r = grid_nested_tv(&problem, sampler.as_ref(), &cfg)?;
                nfe.push(cost as f64);
                tv.push(r.richardson.tv.max(0.0));
                se.push(r.richardson.se.max(1e-6));
                if r.plain.tv < eps / 4.0 || steps > 2048 {
                    break;
                }
                steps = (steps as f64 * 2f64.sqrt()).ceil() as usize;
            }
            let ns = n_star(&nfe, &tv, &se, eps)?;
            println!("  {name:<9} d = {d:<4} N* = {:?}", ns.value.map(|v| v.round()));
            nstar.push(ns.value);
        }
        let found: Vec<(f64, f64)> = dims
            .iter()
            .zip(&nstar)
            .filter_map(|(&d, v)| v.map(|v| (d as f64, v)))
            .collect();
        if found.len() >= 3 {
            let (d, v): (Vec<f64>, Vec<f64>) = found.into_iter().unzip();
            let fit = fit_power_law(&d, &v, None)?;
            println!(
                "  {name:<9} exponent {:.3} (95% CI [{:.3}, {:.3}])",
                fit.exponent, fit.ci.low, fit.ci.high
            );
        }
    }
    Ok(())
}
