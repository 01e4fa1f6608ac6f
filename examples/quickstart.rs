//! Quickstart: sample an exact-score target with the exponential-integrator and the
//! randomized-midpoint PF-ODE predictors and compare with the exact law of q_δ.
//!
//! Run: `cargo run --release --example quickstart`

use randmid::driver::{Start, sample};
use randmid::grid::TimeGrid;
use randmid::metrics::{Mixture1d, moments};
use randmid::sampler::{Ode, Sampler};
use randmid::target::Gaussian;

fn main() -> randmid::Result<()> {
    let (d, n, t_max, delta) = (64, 20_000, 5.0, 0.01);
    // data N(1, 4 I_d); its coordinate law at time δ is exact
    let target = Gaussian::isotropic(d, 1.0, 4.0)?;
    let law = Mixture1d::gaussian(1.0, 2.0)?.diffused(delta);
    println!(
        "target N(1, 4 I), d = {d}; exact q_δ coordinate: mean {:.4}, var {:.4}",
        law.mean(),
        law.variance()
    );
    for steps in [8, 32] {
        let grid = TimeGrid::uniform(t_max, delta, steps)?;
        for sampler in [Ode::ei(grid.clone()), Ode::rm(grid)] {
            let out = sample(&target, &target, &sampler, Start::Exact, n, 1)?;
            let (m, v) = moments(&out.samples, d);
            let x0: Vec<f64> = out.samples.iter().step_by(d).copied().collect();
            println!(
                "{:>3} steps {:<3} NFE {:>3}: mean[0] {:.4}  var[0] {:.4}  W2(coord 0) {:.4}",
                steps,
                sampler.name(),
                out.nfe_per_sample,
                m[0],
                v[0],
                law.w2_empirical(&x0)
            );
        }
    }
    Ok(())
}
