//! The kinetic density propagation (`tv::kinetic`) against exact answers.

use std::time::Instant;

use rayon::prelude::*;

use randmid::langevin::{Kinetic, LogConcaveSampler};
use randmid::potential::LogCoshProduct;
use randmid::rng::stream_rng;
use randmid::sampler::ulmc::{UlmcCoeffs, ulmc_step};
use randmid::target::{Law1d, Product};
use randmid::tv::kinetic::{
    KineticGrid, KineticProblem, KineticStage, Marginal1d, kinetic_marginal, product_tv, ulmc_marginal,
};
use randmid::tv::nested::NestedConfig;
use randmid::tv::oracle::GaussianPair;

/// Exact mean and variance of `x` after `stages` of ULMC on the linear score `−λx`, from
/// `x ∼ N(m0, v0)`, `v ∼ N(0, 1)`: the 2×2 moment recursion `m' = A m`, `S' = A S Aᵀ + C`, with `A`
/// read off the real `ulmc_step` applied to the basis vectors with zero noise.
fn exact_gaussian(lambda: f64, m0: f64, v0: f64, stages: &[KineticStage]) -> (f64, f64) {
    let score = Product::iid(Law1d::gaussian(0.0, 1.0 / lambda).unwrap(), 1).unwrap();
    let (mut m, mut s) = ([m0, 0.0], [[v0, 0.0], [0.0, 1.0]]);
    for stage in stages {
        match *stage {
            KineticStage::Refresh => {
                m[1] = 0.0;
                s = [[s[0][0], 0.0], [0.0, 1.0]];
            }
            KineticStage::Ulmc { gamma, h, steps } => {
                let c = UlmcCoeffs::new(gamma, h).unwrap();
                let col = |x0: f64, v0: f64| {
                    let (mut x, mut v, mut g) = ([x0], [v0], [0.0]);
                    ulmc_step(&score, 0.0, &c, &mut x, &mut v, &[0.0], &[0.0], &mut g);
                    [x[0], v[0]]
                };
                let (a0, a1) = (col(1.0, 0.0), col(0.0, 1.0));
                let a = [[a0[0], a1[0]], [a0[1], a1[1]]];
                let cov = c.noise_cov();
                for _ in 0..steps {
                    m = [a[0][0] * m[0] + a[0][1] * m[1], a[1][0] * m[0] + a[1][1] * m[1]];
                    let mut next = cov;
                    for i in 0..2 {
                        for j in 0..2 {
                            for k in 0..2 {
                                for l in 0..2 {
                                    next[i][j] += a[i][k] * s[k][l] * a[j][l];
                                }
                            }
                        }
                    }
                    s = next;
                }
            }
        }
    }
    (m[0], s[0][0])
}

/// Max |ln p − ln N(m, s²)| over m ± 6 sd.
fn gaussian_error(marg: &Marginal1d, m: f64, s2: f64) -> f64 {
    let mut worst: f64 = 0.0;
    for k in -120..=120 {
        let y = m + 0.05 * k as f64 * s2.sqrt();
        let exact = -0.5 * (2.0 * std::f64::consts::PI * s2).ln() - (y - m).powi(2) / (2.0 * s2);
        worst = worst.max((marg.log_density(y) - exact).abs());
    }
    worst
}

/// `KineticGrid` with `g` nodes per axis and half-width `w`.
fn grid(g: usize, w: f64) -> KineticGrid {
    KineticGrid {
        nx: g,
        nv: g,
        half_width: w,
    }
}

fn ulmc(gamma: f64, h: f64, steps: usize) -> KineticStage {
    KineticStage::Ulmc { gamma, h, steps }
}

#[test]
fn gaussian_marginal_is_exact() {
    // linear score −λx: every operation of the scheme is exact for a quadratic log density, so
    // what is left is rounding and the truncation at ±W (start law ≠ π, so the mean moves too)
    let lambda = 1.6;
    let law = Law1d::gaussian(0.0, 1.0 / lambda).unwrap();
    let start = Law1d::gaussian(0.5, 2.0 / lambda).unwrap();
    let score = move |x: f64| -lambda * x;
    let problem = KineticProblem {
        score: &score,
        start,
        reference: law,
    };
    let cases: [(&[KineticStage], KineticGrid, f64); 5] = [
        (&[ulmc(2.0, 0.01, 400)], grid(100, 10.0), 1e-11),
        (
            &[ulmc(4.0, 0.05, 60), KineticStage::Refresh, ulmc(4.0, 0.05, 30)],
            grid(120, 10.0),
            1e-11,
        ),
        (&[ulmc(2.0, 0.5, 20)], grid(160, 10.0), 1e-11),
        // h = 1: the output is 1.8× wider than π (x sd 1.41), so ±6 of its sd reach 8.5 of the
        // grid's; W = 14 keeps the truncation below rounding
        (
            &[ulmc(1.0, 1.0, 10), KineticStage::Refresh, ulmc(1.0, 1.0, 5)],
            grid(160, 14.0),
            1e-11,
        ),
        (
            &[ulmc(1.0, 1.0, 10), KineticStage::Refresh, ulmc(1.0, 1.0, 5)],
            grid(160, 10.0),
            1e-6,
        ),
    ];
    for (stages, g, tol) in cases {
        let (m, s2) = exact_gaussian(lambda, 0.5, 2.0 / lambda, stages);
        let t0 = Instant::now();
        let marg = kinetic_marginal(&problem, stages, g).unwrap();
        let err = gaussian_error(&marg, m, s2);
        println!(
            "{stages:?} G = {} W = {}: max |ln p − ln N(m, s²)| over ±6 sd = {err:.2e} (mass defect {:.1e}), {:.2} s",
            g.nx,
            g.half_width,
            marg.mass_defect(),
            t0.elapsed().as_secs_f64()
        );
        assert!(err < tol, "{err} ≥ {tol}");
    }
}

/// Max |r_G(x) − r_ref(x)| over ±6 sd of π.
fn max_diff(a: &Marginal1d, b: &Marginal1d) -> f64 {
    let sd = Law1d::LogCosh.variance().sqrt();
    (-120..=120)
        .map(|k| {
            let x = 0.05 * k as f64 * sd;
            (a.log_ratio(x) - b.log_ratio(x)).abs()
        })
        .fold(0.0, f64::max)
}

#[test]
fn logcosh_marginal_converges_at_high_order_in_the_grid() {
    // small h (x-noise far below the grid spacing: local log-space convolution) and large h
    // (both convolutions by quadrature); halving Δ must cut the error by ≥ 16 (order ≥ 4; the
    // scheme is O(Δ⁶), measured ≈ 40–60 per halving)
    for (h, steps) in [(0.02, 100), (0.2, 25)] {
        let stages = [ulmc(2.0, h, steps), KineticStage::Refresh, ulmc(2.0, h, steps / 2)];
        let ms: Vec<Marginal1d> = [60, 120, 240]
            .iter()
            .map(|&g| ulmc_marginal(Law1d::LogCosh, &stages, grid(g, 10.0)).unwrap())
            .collect();
        let (coarse, mid) = (max_diff(&ms[0], &ms[2]), max_diff(&ms[1], &ms[2]));
        println!(
            "h = {h}: |r_60 − r_240| = {coarse:.2e}, |r_120 − r_240| = {mid:.2e}, E x² {:.12} / {:.12} / {:.12}",
            ms[0].moment(2),
            ms[1].moment(2),
            ms[2].moment(2)
        );
        assert!(coarse / mid >= 16.0, "ratio {}", coarse / mid);
        assert!(mid < 5e-6, "{mid}");
        // the sampler's deviation from π is resolved: ln(p/π) is far larger than the grid error
        let sd = Law1d::LogCosh.variance().sqrt();
        let signal = (-120..=120)
            .map(|k| ms[2].log_ratio(0.05 * k as f64 * sd).abs())
            .fold(0.0, f64::max);
        assert!(signal > 100.0 * mid, "signal {signal} vs grid error {mid}");
    }
}

#[test]
fn product_tv_matches_the_gaussian_oracle() {
    let lambda = 1.6;
    let law = Law1d::gaussian(0.0, 1.0 / lambda).unwrap();
    let stages = [ulmc(2.0, 0.04, 75)];
    let (m, s2) = exact_gaussian(lambda, 0.0, 1.0 / lambda, &stages);
    let marg = ulmc_marginal(law, &stages, grid(120, 10.0)).unwrap();
    println!("exact output N({m:.1e}, {s2:.6}) vs π = N(0, {:.6})", 1.0 / lambda);
    for (d, n) in [(8, 20_000), (512, 20_000), (8192, 4_000)] {
        let exact = GaussianPair::diagonal(&vec![m; d], &vec![s2; d], &vec![0.0; d], &vec![1.0 / lambda; d])
            .unwrap()
            .tv();
        let cfg = NestedConfig {
            n,
            m: 2,
            blocks: 40,
            seed: 3,
        };
        let t0 = Instant::now();
        let est = product_tv(&marg, d, &cfg).unwrap().plain;
        println!(
            "d = {d}: TV̂ = {:.5} ± {:.5} vs exact {exact:.5} ({:.2} s)",
            est.tv,
            est.se,
            t0.elapsed().as_secs_f64()
        );
        assert!((est.tv - exact).abs() < 4.0 * est.se + 1e-4, "d = {d}");
    }
}

#[test]
fn logcosh_marginal_matches_monte_carlo_of_the_real_sampler() {
    // 10⁶ chains of Kinetic (ULMC, then a second ULMC run with a fresh velocity) on the logcosh
    // potential from x ∼ π exactly; large steps so that the law differs visibly from π
    let sampler = Kinetic::ulmc(2.0, 0.5, 8).unwrap().then_ulmc(0.25, 1.0).unwrap();
    let stages = KineticStage::of_kinetic(&sampler).unwrap();
    let t0 = Instant::now();
    let marg = ulmc_marginal(Law1d::LogCosh, &stages, grid(160, 10.0)).unwrap();
    println!("{stages:?}: propagated in {:.2} s", t0.elapsed().as_secs_f64());
    let f = LogCoshProduct::new(1).unwrap();
    let n = 1_000_000;
    let xs: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| {
            let mut rng = stream_rng(11, i as u64);
            let mut x = [Law1d::LogCosh.sample(&mut rng)];
            sampler.run_potential(&f, &mut x, &mut rng);
            x[0]
        })
        .collect();
    let pi_x2 = Law1d::LogCosh.variance();
    for k in [2, 4] {
        let vals: Vec<f64> = xs.iter().map(|x| x.powi(k)).collect();
        let mean = vals.iter().sum::<f64>() / n as f64;
        let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        let se = sd / (n as f64).sqrt();
        let want = marg.moment(k);
        println!("E x^{k}: Monte Carlo {mean:.5} ± {se:.5}, propagated {want:.5}");
        assert!((mean - want).abs() < 4.0 * se, "E x^{k}");
    }
    // the second moment differs from π's by many standard errors: the check has power
    let x2 = marg.moment(2);
    assert!((x2 - pi_x2).abs() > 0.01, "E x² = {x2} vs π {pi_x2}");
    // histogram on 40 bins of equal propagated mass: Pearson χ² with 39 degrees of freedom
    let (nodes, log_p) = marg.nodes();
    let dx = marg.spacing();
    let mut cdf = Vec::with_capacity(nodes.len());
    let mut acc = 0.0;
    for l in log_p {
        acc += l.exp() * dx;
        cdf.push(acc);
    }
    let bins = 40;
    let edges: Vec<f64> = (1..bins)
        .map(|b| {
            let q = b as f64 / bins as f64;
            let j = cdf.partition_point(|&c| c < q);
            // linear interpolation of the (trapezoid-like) cumulative sum, centred on the cells
            let (c0, c1) = (cdf[j - 1], cdf[j]);
            nodes[j - 1] + 0.5 * dx + dx * (q - c0) / (c1 - c0)
        })
        .collect();
    let mut counts = vec![0usize; bins];
    for &x in &xs {
        counts[edges.partition_point(|&e| e < x)] += 1;
    }
    let expect = n as f64 / bins as f64;
    let chi2: f64 = counts.iter().map(|&c| (c as f64 - expect).powi(2) / expect).sum();
    println!("χ²(39) = {chi2:.1}");
    assert!(chi2 < 75.0, "χ² = {chi2}"); // P(χ²₃₉ > 75) ≈ 5e-4
}

#[test]
fn bitwise_identical_for_any_thread_count() {
    let stages = [ulmc(2.0, 0.1, 10), KineticStage::Refresh, ulmc(2.0, 0.05, 10)];
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| ulmc_marginal(Law1d::LogCosh, &stages, grid(64, 10.0)).unwrap())
    };
    let one = run(1);
    for t in [2, 3] {
        assert_eq!(one.nodes().1, run(t).nodes().1, "{t} threads");
    }
}

#[test]
fn invalid_input_is_an_error() {
    let law = Law1d::LogCosh;
    assert!(ulmc_marginal(law, &[], grid(16, 10.0)).is_err());
    assert!(ulmc_marginal(law, &[], grid(64, 2.0)).is_err());
    assert!(ulmc_marginal(law, &[ulmc(0.0, 0.1, 3)], grid(64, 10.0)).is_err());
    assert!(ulmc_marginal(law, &[ulmc(1.0, f64::NAN, 3)], grid(64, 10.0)).is_err());
    let rm = Kinetic::gcc_lc(2.0, 0.1, 5, 0.1, 1.0).unwrap();
    assert!(KineticStage::of_kinetic(&rm).is_err());
    let marg = ulmc_marginal(law, &[], grid(64, 10.0)).unwrap();
    assert!(product_tv(&marg, 0, &NestedConfig::default()).is_err());
    let bad = NestedConfig {
        blocks: 1,
        ..NestedConfig::default()
    };
    assert!(product_tv(&marg, 4, &bad).is_err());
}
