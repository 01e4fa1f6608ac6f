//! A lemma checked as a property test against the public API (tv-methodology §4.6): **TV cannot
//! grow under a Markov kernel** (data processing), and it is **unchanged by an invertible
//! deterministic map**. The kernels are the library's own steps, read off exactly on Gaussian laws
//! by the semi-analytic machinery (no Monte Carlo): one exponential-integrator ULMC corrector call
//! (fresh velocity, then `steps` steps), and one exponential-integrator PF-ODE step.
//!
//! For random diagonal Gaussian start laws μ, ν (proptest draws means and variances), with
//! `K` the corrector call on the score of `q_t` for data `N(0, v I)`:
//! ```text
//! TV(Kμ, Kν) ≤ TV(μ, ν)              (data processing; ULMC output law is exactly Gaussian)
//! TV(Φμ, Φν) = TV(μ, ν)              (Φ the EI step: affine, invertible)
//! ```
//! with TV between Gaussians from the exact oracle (`tv::oracle`, Imhof integral, ~1e-15).
//!
//! Run: `cargo run --release --example lemma_property` (a second). A failing case would be shrunk
//! to a minimal counterexample and printed.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use randmid::rng::stream_rng;
use randmid::sampler::{Corrector, CorrectorKind, OdeKind, Stage};
use randmid::target::Gaussian;
use randmid::tv::oracle::tv_gaussians_diag;
use randmid::tv::semi_analytic::{DiagLaw, Layout, Problem, propagate};

const D: usize = 3;

fn law() -> impl Strategy<Value = DiagLaw> {
    (
        prop::collection::vec(-2.0..2.0f64, D),
        prop::collection::vec(0.2..3.0f64, D),
    )
        .prop_map(|(mean, var)| DiagLaw { mean, var })
}

/// The law of `x` after `stages`, started at `start` (exact: the stages are linear-Gaussian).
fn push(score: &Gaussian, start: &DiagLaw, stages: &[Stage<'_>]) -> DiagLaw {
    let problem = Problem {
        score,
        start: start.clone(),
        reference: DiagLaw::standard(D),
        layout: Layout::Diagonal,
    };
    propagate(&problem, stages, &mut stream_rng(0, 0))
}

fn tv(a: &DiagLaw, b: &DiagLaw) -> f64 {
    tv_gaussians_diag(&a.mean, &a.var, &b.mean, &b.var).expect("valid laws")
}

fn main() {
    let data = Gaussian::isotropic(D, 0.0, 0.5).expect("valid target");
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (law(), law(), 0.05..1.5f64, 0.5..4.0f64, 1usize..20);
    let result = runner.run(&strategy, |(mu, nu, t, gamma, steps)| {
        let c = Corrector::new(CorrectorKind::Ulmc, gamma, 0.1, 0.1 * steps as f64).expect("valid corrector");
        let corrector = [Stage::Correct { t, corrector: &c }];
        let (before, after) = (
            tv(&mu, &nu),
            tv(&push(&data, &mu, &corrector), &push(&data, &nu, &corrector)),
        );
        prop_assert!(after <= before + 1e-12, "corrector: TV {before} → {after}");
        let ei = [Stage::Ode {
            kind: OdeKind::Ei,
            t,
            h: 0.3 * t,
        }];
        let mapped = tv(&push(&data, &mu, &ei), &push(&data, &nu, &ei));
        prop_assert!((mapped - before).abs() <= 1e-10, "EI step: TV {before} → {mapped}");
        Ok(())
    });
    match result {
        Ok(()) => println!("data processing and invariance hold on 200 random pairs of Gaussian laws"),
        Err(e) => {
            eprintln!("counterexample: {e}");
            std::process::exit(1);
        }
    }
}
