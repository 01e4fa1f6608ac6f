//! Log-concave samplers (issue 4): ULA's first-order stationary bias from its exact moment
//! recursion, MALA's exact invariance (moments within stated SE where ULA is visibly biased),
//! the kinetic samplers being the diffusion corrector's steps on `−∇f` (bitwise), the gcc-lc
//! composition, and thread-count determinism of the driver.
//!
//! The stationary-bias orders of the ULMC (slope 1) and Shen–Lee RM-ULMC (slope 3) steps are
//! tested by exact moment recursions in `tests/correctors.rs`
//! (`stationary_variance_bias_orders_*`); `kinetic_samplers_are_the_corrector_steps_on_minus_grad_f`
//! below shows the log-concave samplers run exactly those steps.

use randmid::langevin::{Kinetic, LcStart, LogConcaveSampler, Mala, Ula, sample_potential, ula_step};
use randmid::potential::{DiagGaussian, GradScore, LogCoshProduct, Potential};
use randmid::rng::stream_rng;
use randmid::sampler::{Corrector, CorrectorKind};
use randmid::scaling::fit_line;
use randmid::target::{Gaussian, Law1d, Product, Target};

/// ULA on `f = λx²/2` is `x' = a x + b z`; read `a`, `b` off the real step and return the
/// stationary variance `b²/(1 − a²)` of the exact recursion `v' = a² v + b²`.
fn ula_stationary_var(lambda: f64, h: f64) -> f64 {
    let f = DiagGaussian::isotropic(1, lambda).unwrap();
    let mut g = [0.0];
    let (mut x, mut y) = ([1.0], [0.0]);
    ula_step(&f, h, &mut x, &[0.0], &mut g);
    ula_step(&f, h, &mut y, &[1.0], &mut g);
    let (a, b) = (x[0], y[0]);
    b * b / (1.0 - a * a)
}

#[test]
fn ula_stationary_bias_is_first_order() {
    let lambda = 2.0;
    let hs = [0.1, 0.05, 0.025, 0.0125, 0.00625];
    let bias: Vec<f64> = hs
        .iter()
        .map(|&h| ula_stationary_var(lambda, h) * lambda - 1.0)
        .collect();
    for (&h, &b) in hs.iter().zip(&bias) {
        // closed form 1/(λ(1 − λh/2))
        let exact = 1.0 / (1.0 - lambda * h / 2.0) - 1.0;
        assert!((b - exact).abs() < 1e-12, "h = {h}: {b} vs {exact}");
    }
    let lx: Vec<f64> = hs.iter().map(|h| h.ln()).collect();
    let ly: Vec<f64> = bias.iter().map(|b| b.ln()).collect();
    let slope = fit_line(&lx, &ly, None).unwrap().slope;
    println!("ULA stationary variance bias slope {slope:.3}");
    assert!((slope - 1.0).abs() < 0.2, "{slope}");
}

/// Mean and variance of coordinate `j` with their standard errors (i.i.d. chains).
fn moments(samples: &[f64], d: usize, j: usize) -> (f64, f64, f64, f64) {
    let xs: Vec<f64> = samples.chunks(d).map(|x| x[j]).collect();
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    let m4 = xs.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
    (m, (v / n).sqrt(), v, ((m4 - v * v) / n).sqrt())
}

/// Started at `π`, MALA stays at `π` exactly: with a step where ULA's variance is 12.5 % too
/// large, MALA's mean and variance match within 4 SE (n = 20,000 chains, d = 4, κ = 10), and ULA's
/// variance is rejected at the same tolerance (the test has power).
#[test]
fn mala_is_exact_where_ula_is_biased() {
    let (d, n) = (4, 20_000);
    let f = DiagGaussian::ill_conditioned(d, 10.0).unwrap();
    let target = Gaussian::diagonal(vec![0.0; d], f.precision().iter().map(|l| 1.0 / l).collect()).unwrap();
    // exact start: draw π with the target's sampler, one chain per stream
    let h = 0.25 / f.smoothness();
    let mala = Mala::new(h, 50).unwrap();
    let ula = Ula::new(h, 50).unwrap();
    let run = |s: &dyn LogConcaveSampler| {
        let mut out = vec![0.0; n * d];
        let mut acc = (0u64, 0u64);
        for (i, x) in out.chunks_mut(d).enumerate() {
            let mut rng = stream_rng(7, i as u64);
            target.sample_data(&mut rng, x);
            let st = s.run_potential(&f, x, &mut rng);
            acc = (acc.0 + st.accepted, acc.1 + st.proposed);
        }
        (out, acc)
    };
    let (xs, (acc, prop)) = run(&mala);
    let rate = acc as f64 / prop as f64;
    println!("MALA acceptance {rate:.3}");
    assert!(rate > 0.5 && rate < 1.0);
    for j in 0..d {
        let var = 1.0 / f.precision()[j];
        let (m, se_m, v, se_v) = moments(&xs, d, j);
        assert!(m.abs() < 4.0 * se_m, "coord {j}: mean {m} ± {se_m}");
        assert!((v - var).abs() < 4.0 * se_v, "coord {j}: var {v} vs {var} ± {se_v}");
    }
    // ULA's stationary variance at the stiffest coordinate is 1/(λ(1 − λh/2)) = 1.143/λ
    let (ys, _) = run(&ula);
    let j = d - 1;
    let (_, _, v, se_v) = moments(&ys, d, j);
    let var = 1.0 / f.precision()[j];
    assert!((v - var).abs() > 4.0 * se_v, "ULA variance {v} vs {var} ± {se_v}");
}

/// MALA on the logcosh product started at `π` (exact sampler of `Law1d::LogCosh`): the variance
/// of each coordinate matches the exact one within 4 SE.
#[test]
fn mala_preserves_the_logcosh_product() {
    let (d, n) = (3, 20_000);
    let f = LogCoshProduct::new(d).unwrap();
    let law = Product::iid(Law1d::LogCosh, d).unwrap();
    let var = law.data_var().unwrap()[0];
    let out = sample_potential(
        &f,
        &ExactStart {
            law: &law,
            inner: Mala::new(0.5, 40).unwrap(),
        },
        &LcStart::Point(vec![0.0; d]),
        n,
        3,
    )
    .unwrap();
    println!("MALA logcosh acceptance {:.3}", out.acceptance().unwrap());
    for j in 0..d {
        let (m, se_m, v, se_v) = moments(&out.samples, d, j);
        assert!(m.abs() < 4.0 * se_m, "mean {m} ± {se_m}");
        assert!((v - var).abs() < 4.0 * se_v, "var {v} vs {var} ± {se_v}");
    }
}

/// A sampler that first redraws `x ~ π` exactly, then runs `inner` (for stationarity tests).
struct ExactStart<'a> {
    law: &'a Product,
    inner: Mala,
}

impl LogConcaveSampler for ExactStart<'_> {
    fn name(&self) -> String {
        "exact-start".into()
    }
    fn run_potential(
        &self,
        f: &dyn Potential,
        x: &mut [f64],
        rng: &mut randmid::rng::SampleRng,
    ) -> randmid::langevin::RunStats {
        self.law.sample_data(rng, x);
        self.inner.run_potential(f, x, rng)
    }
}

/// `Kinetic::ulmc` / `rm_ulmc` on `f` are the diffusion corrector on the score `−∇f` at t = 0:
/// identical trajectories, bit for bit, from the same stream (the data law `N(0, diag(1/λ))` at
/// t = 0 has the score `−∇f`; precisions are powers of 2, κ = 16, so that `1/(1/λ) = λ` exactly).
#[test]
fn kinetic_samplers_are_the_corrector_steps_on_minus_grad_f() {
    let d = 5;
    let f = DiagGaussian::new(vec![0.5, 0.0, -1.0, 0.25, 2.0], vec![0.25, 0.5, 1.0, 2.0, 4.0]).unwrap();
    let target = Gaussian::diagonal(f.mean().to_vec(), f.precision().iter().map(|l| 1.0 / l).collect()).unwrap();
    for (kinetic, kind) in [
        (Kinetic::ulmc(1.5, 0.07, 30).unwrap(), CorrectorKind::Ulmc),
        (Kinetic::rm_ulmc(1.5, 0.07, 30).unwrap(), CorrectorKind::RmUlmc),
    ] {
        let corrector = Corrector::new(kind, 1.5, 0.07, 0.07 * 30.0).unwrap();
        let x0: Vec<f64> = (0..d).map(|i| 0.3 * i as f64 - 0.5).collect();
        let (mut a, mut b) = (x0.clone(), x0.clone());
        let st = kinetic.run_potential(&f, &mut a, &mut stream_rng(9, 4));
        let nfe = corrector.run(&target, 0.0, &mut b, &mut stream_rng(9, 4));
        assert_eq!(st.grads, nfe);
        assert_eq!(
            a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        // and GradScore is −∇f
        let (mut s, mut g) = (vec![0.0; d], vec![0.0; d]);
        randmid::target::Score::score(&GradScore(&f), 3.0, &x0, &mut s);
        f.grad(&x0, &mut g);
        assert!(s.iter().zip(&g).all(|(a, b)| *a == -*b));
    }
}

/// gcc-lc = RM-ULMC, then ULMC with a fresh velocity: the same as running the two kinetic
/// samplers one after the other on the same stream; its gradient count is the sum.
#[test]
fn gcc_lc_is_rm_ulmc_then_fresh_ulmc() {
    let d = 6;
    let f = LogCoshProduct::new(d).unwrap();
    let gcc = Kinetic::gcc_lc(2.0, 0.1, 20, 0.05, 0.5).unwrap();
    let (rm, ulmc) = (
        Kinetic::rm_ulmc(2.0, 0.1, 20).unwrap(),
        Kinetic::ulmc(2.0, 0.05, 10).unwrap(),
    );
    let (mut a, mut b) = (vec![0.4; d], vec![0.4; d]);
    let mut rng = stream_rng(1, 1);
    let g = gcc.run_potential(&f, &mut a, &mut stream_rng(1, 1)).grads;
    let g2 = rm.run_potential(&f, &mut b, &mut rng).grads + ulmc.run_potential(&f, &mut b, &mut rng).grads;
    assert_eq!(g, 40 + 10);
    assert_eq!(g, g2);
    assert_eq!(a, b);
}

/// The driver's output is bitwise identical with 1 and 2 threads.
#[test]
fn driver_is_thread_count_invariant() {
    let d = 8;
    let f = LogCoshProduct::new(d).unwrap();
    let start = LcStart::Gaussian {
        center: vec![1.0; d],
        var: 0.5,
    };
    let run = |threads: usize, s: &dyn LogConcaveSampler| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| sample_potential(&f, s, &start, 64, 5).unwrap())
    };
    for s in [
        Box::new(Mala::new(0.3, 20).unwrap()) as Box<dyn LogConcaveSampler>,
        Box::new(Kinetic::gcc_lc(2.0, 0.2, 10, 0.1, 0.3).unwrap()),
    ] {
        let (a, b) = (run(1, s.as_ref()), run(2, s.as_ref()));
        assert_eq!(a.samples, b.samples);
        assert_eq!(a.stats, b.stats);
    }
}

#[test]
fn bad_input_is_rejected() {
    assert!(Ula::new(0.0, 10).is_err());
    assert!(Mala::new(0.1, 0).is_err());
    assert!(Kinetic::rm_ulmc(-1.0, 0.1, 5).is_err());
    assert!(Kinetic::gcc_lc(1.0, 0.1, 5, f64::NAN, 1.0).is_err());
    assert!(DiagGaussian::ill_conditioned(4, 0.5).is_err());
    assert!(DiagGaussian::new(vec![0.0; 2], vec![1.0, -1.0]).is_err());
    assert!(LogCoshProduct::new(0).is_err());
    let f = LogCoshProduct::new(2).unwrap();
    let s = Ula::new(0.1, 1).unwrap();
    assert!(sample_potential(&f, &s, &LcStart::Point(vec![0.0; 3]), 4, 0).is_err());
    assert!(sample_potential(&f, &s, &LcStart::Point(vec![0.0; 2]), 0, 0).is_err());
    let bad_var = LcStart::Gaussian {
        center: vec![0.0; 2],
        var: 0.0,
    };
    assert!(sample_potential(&f, &s, &bad_var, 4, 0).is_err());
}

/// `LcStart::Correlated` draws `N(center, C Cᵀ)`: with a sampler that does nothing, the sample
/// mean and covariance match within 4 SE (n = 20,000; SE of a covariance entry
/// √((Σ_ii Σ_jj + Σ_ij²)/n)); a factor of the wrong size is refused.
#[test]
fn correlated_start_has_the_requested_covariance() {
    struct Stay;
    impl LogConcaveSampler for Stay {
        fn name(&self) -> String {
            "stay".into()
        }
        fn run_potential(
            &self,
            _: &dyn Potential,
            _: &mut [f64],
            _: &mut randmid::rng::SampleRng,
        ) -> randmid::langevin::RunStats {
            randmid::langevin::RunStats::default()
        }
    }
    let (d, n) = (3, 20_000);
    let f = LogCoshProduct::new(d).unwrap();
    let factor = vec![1.0, 0.0, 0.0, 0.5, 2.0, 0.0, -1.0, 0.3, 0.7];
    let center = vec![1.0, -2.0, 0.5];
    let start = LcStart::Correlated {
        center: center.clone(),
        factor: factor.clone(),
    };
    let out = sample_potential(&f, &Stay, &start, n, 11).unwrap();
    let cov = |i: usize, j: usize| (0..d).map(|k| factor[i * d + k] * factor[j * d + k]).sum::<f64>();
    for i in 0..d {
        let m = out.samples.chunks(d).map(|x| x[i]).sum::<f64>() / n as f64;
        assert!(
            (m - center[i]).abs() < 4.0 * (cov(i, i) / n as f64).sqrt(),
            "mean {i}: {m}"
        );
        for j in 0..=i {
            let c = out
                .samples
                .chunks(d)
                .map(|x| (x[i] - center[i]) * (x[j] - center[j]))
                .sum::<f64>()
                / n as f64;
            let se = ((cov(i, i) * cov(j, j) + cov(i, j).powi(2)) / n as f64).sqrt();
            assert!((c - cov(i, j)).abs() < 4.0 * se, "cov {i}{j}: {c} vs {}", cov(i, j));
        }
    }
    let bad = LcStart::Correlated {
        center,
        factor: vec![1.0; 4],
    };
    assert!(sample_potential(&f, &Stay, &bad, 4, 0).is_err());
}
