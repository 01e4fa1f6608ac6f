//! The C1 sweep end to end on a small configuration: the exponent the instrument measures for the
//! exponential integrator must be the one its law-level order implies on a product Gaussian
//! (p = 1 ⇒ N* ∝ √d, tv-methodology §2.6), and the randomized midpoint's must fall in the predicted
//! window [1/4, 1/3] (±0.05 for finite-d drift).

use randmid::sweep::{C1Config, run_c1};
use randmid::tv::nested::NestedConfig;

fn small(samplers: &[&str]) -> C1Config {
    C1Config {
        dims: vec![16, 64, 256, 1024, 4096],
        eps: vec![0.1],
        nested: NestedConfig {
            n: 6_000,
            m: 16,
            blocks: 12,
            seed: 11,
        },
        samplers: samplers.iter().map(|s| s.to_string()).collect(),
        draws: 60,
        ..C1Config::quick()
    }
}

#[test]
fn ei_exponent_is_one_half_and_rm_is_between_a_quarter_and_a_third() {
    let r = run_c1(&small(&["ei", "rm"]), &mut |_| {}).unwrap();
    let fit = |name: &str| r.fits.iter().find(|f| f.sampler == name).unwrap();
    let (ei, rm) = (fit("ei"), fit("rm"));
    println!(
        "ei {:.3} (large d {:.3}), rm {:.3} (large d {:.3})",
        ei.exponent, ei.exponent_large_d, rm.exponent, rm.exponent_large_d
    );
    // EI: exactly 1/2 asymptotically; finite-d corrections measured ≤ 0.02 from d = 64 on
    assert!((ei.exponent_large_d - 0.5).abs() < 0.03, "{}", ei.exponent_large_d);
    assert!(ei.ci_low <= ei.exponent && ei.exponent <= ei.ci_high);
    assert!((0.20..=0.38).contains(&rm.exponent), "{}", rm.exponent);
    // every N* row is consistent: its interval brackets the point value
    for n in &r.nstar {
        if let Some(v) = n.value {
            assert!(n.low <= v + 1e-9 && v <= n.high + 1e-9, "{n:?}");
        }
    }
}

#[test]
fn sweep_is_deterministic() {
    let cfg = C1Config {
        dims: vec![8, 32, 128],
        ..small(&["rm"])
    };
    let (a, b) = (run_c1(&cfg, &mut |_| {}).unwrap(), run_c1(&cfg, &mut |_| {}).unwrap());
    let key = |r: &randmid::sweep::C1Result| r.points.iter().map(|p| p.tv.tv.to_bits()).collect::<Vec<_>>();
    assert_eq!(key(&a), key(&b));
}

/// The bimodal family runs through the grid estimator: correctors are refused with an error that
/// names the reason, and RM's exponent sits clearly below EI's (quick-sweep values 0.33 vs 0.56;
/// the asserted gap 0.1 is far outside both CIs, whose half-widths are ≤ 0.05).
#[test]
fn bimodal_family_refuses_correctors_and_separates_rm_from_ei() {
    use randmid::sweep::c1_sampler;
    let cfg = C1Config {
        dims: vec![8, 64, 512],
        nested: NestedConfig {
            n: 2_000,
            m: 8,
            blocks: 8,
            seed: 5,
        },
        draws: 60,
        ..C1Config::bimodal(true)
    };
    let err = c1_sampler("rm+ulmc", 16, 8, &cfg).err().unwrap().to_string();
    assert!(err.contains("grid push-forward") && err.contains("corrector"), "{err}");
    let r = run_c1(&cfg, &mut |_| {}).unwrap();
    assert!(r.points.iter().all(|p| p.family == "bimodal"));
    let fit = |name: &str| r.fits.iter().find(|f| f.sampler == name).unwrap();
    let (ei, rm) = (fit("ei"), fit("rm"));
    println!(
        "bimodal: ei {:.3} [{:.3}, {:.3}], rm {:.3} [{:.3}, {:.3}]",
        ei.exponent, ei.ci_low, ei.ci_high, rm.exponent, rm.ci_low, rm.ci_high
    );
    assert!(rm.exponent < ei.exponent - 0.1);
}

/// C3 on the logcosh product: only α-free samplers have a product law and are measured (the 1-D
/// law computed once per step count and reused for every d); RM-ULMC is refused with a reason.
#[test]
fn c3_logcosh_measures_alpha_free_samplers_only() {
    use randmid::sweep::{C3Config, C3Family, SweepSpec};
    let cfg = C3Config {
        family: C3Family::LogCosh { grid: 120 },
        nested: NestedConfig {
            n: 2_000,
            m: 2,
            blocks: 4,
            seed: 1,
        },
        ..C3Config::quick()
    };
    let err = cfg.measure("rm-ulmc", 16, 8).err().unwrap().to_string();
    assert!(err.contains("mixture of products"), "{err}");
    let small = cfg.measure("ulmc", 16, 8).unwrap().unwrap().richardson.tv;
    let large = cfg.measure("ulmc", 16, 2048).unwrap().unwrap().richardson.tv;
    println!("logcosh ulmc, 16 steps: TV {small:.4} (d = 8), {large:.4} (d = 2048)");
    // same 1-D law, tensorized: TV grows with d, roughly like √d in the LAN regime
    assert!(small > 0.0 && large > 4.0 * small && large < 1.0);
}

/// C2 on a small configuration: the width search returns the smallest power of two whose fixed
/// point has plain TV ≤ min ε / 4 (and the next smaller one does not), the cost axis counts
/// `N q` rounds, and the parallel predictor needs fewer rounds than the sequential one (full
/// sweep at ε = 0.1: 9.2 vs 11.8 at d = 8, 15.0 vs 37.2 at d = 512; the asserted ratio 1.5 from
/// d = 64 on is far outside the bootstrap intervals, which are a few % wide).
#[test]
fn c2_parallel_predictor_needs_fewer_rounds_than_the_sequential_one() {
    use randmid::sweep::c2::{Horizon, growth};
    use randmid::sweep::{C2Config, SweepSpec, run_c2};
    let mut cfg = C2Config::quick();
    cfg.base = C1Config {
        dims: vec![8, 64, 512, 2048],
        ..small(&[])
    };
    cfg.samplers = vec!["rm-par/4".into(), "rm".into()];
    let floor = 0.1 / 4.0;
    let w = cfg.width(512, 4).unwrap();
    assert!(w.is_power_of_two() && w > 1);
    let fixed_point = |r: usize| {
        let grid = randmid::grid::TimeGrid::uniform(cfg.base.t_max, cfg.base.t_min, 4).unwrap();
        let s = randmid::sampler::Ode::rm_par(grid, r, r - 1).unwrap();
        cfg.tv(&s, 512).unwrap().plain.tv
    };
    assert!(fixed_point(w) <= floor && fixed_point(w / 2) > floor, "width {w}");
    assert_eq!(cfg.cost("rm-par/4", 5, 512).unwrap(), 20);
    let r = run_c2(&cfg, &mut |_| {}).unwrap();
    let star = |name: &str, d: usize| {
        r.nstar
            .iter()
            .find(|n| n.sampler == name && n.d == d)
            .and_then(|n| n.value)
            .unwrap()
    };
    assert!(star("rm", 8) > star("rm-par/4", 8));
    for d in [64, 512, 2048] {
        assert!(
            star("rm", d) > 1.5 * star("rm-par/4", d),
            "d = {d}: {} vs {}",
            star("rm", d),
            star("rm-par/4", d)
        );
    }
    let g = growth(&r).unwrap();
    assert!(
        g.iter()
            .any(|row| row.sampler == "rm-par/4" && row.models.fits.len() == 3)
    );
    // the growing horizon: T(d) is the first 0.05-step with TV(q_T, N(0, I)) ≤ floor
    cfg.horizon = Horizon::Growing;
    let t = cfg.t_max(2048).unwrap();
    let tv = |t: f64| {
        let v = (-2.0 * t).exp() * cfg.base.var - (-2.0 * t).exp_m1();
        randmid::tv::oracle::tv_isotropic_scale(2048, v, 1.0).unwrap()
    };
    assert!(t > cfg.base.t_max && tv(t) <= floor && tv(t - 0.05) > floor, "T = {t}");
    assert_eq!(
        cfg.outer_steps("rm-par/4", 2048),
        Some((4.0 * t / 2.0 - 1e-9).ceil() as usize)
    );
}
