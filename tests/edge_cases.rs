//! Numerical edge cases (issue 7): each either works correctly against an exact answer or fails
//! with a typed error — never silently wrong.

use randmid::driver::{Start, sample};
use randmid::grid::TimeGrid;
use randmid::potential::{DiagGaussian, Potential};
use randmid::process::{alpha, sigma2};
use randmid::rng::{fill_normal, stream_rng};
use randmid::sampler::Ode;
use randmid::sampler::predictor::{PredictorWork, rm_step};
use randmid::sampler::ulmc::{UlmcCoeffs, ulmc_step};
use randmid::target::{Gaussian, GaussianMixture, Score, Target};
use randmid::tv::nested::NestedConfig;
use randmid::tv::semi_analytic::{DiagLaw, Layout, Problem, nested_tv};

/// Far from every mean of a d = 65,536 mixture the responsibilities saturate (one component
/// takes all the weight, log-sum-exp underflows the others to exactly 0): the score must be the
/// nearest component's Gaussian score `−(x − e^{−t}μ_k)/(e^{−2t}v + σ_t²)` to rounding, and the
/// log-density finite.
#[test]
fn mixture_far_from_all_means_at_d_65536() {
    let d = 65_536;
    let means = vec![vec![1.0; d], vec![-1.0; d]];
    let m = GaussianMixture::isotropic(vec![0.5, 0.5], means, vec![0.01, 0.01]).unwrap();
    let x = vec![100.0; d];
    for t in [0.0, 1e-6, 1e-3, 1.0, 20.0] {
        let mut s = vec![0.0; d];
        m.score(t, &x, &mut s);
        let v = alpha(t) * alpha(t) * 0.01 + sigma2(t);
        let want = -(100.0 - alpha(t)) / v;
        let rel = s.iter().map(|&si| ((si - want) / want).abs()).fold(0.0, f64::max);
        assert!(rel < 1e-9, "t = {t}: {} vs {want}", s[0]);
        assert!(m.log_density(t, &x).unwrap().is_finite(), "t = {t}");
    }
}

/// `t_min = 1e-6` and `T = 20` on data N(0, 0.25 I), d = 4: the sampler's law is computed exactly
/// (semi-analytic nested TV, start N(0, I), whose TV to q_20 is below 1e-16); a geometric-tail
/// grid reaches TV ≤ 0.03 (a few SE of the estimator above zero), and the samples' variance at
/// δ = 1e-6 matches `e^{−2δ}·0.25 + σ_δ²` within 4 SE.
#[test]
fn tiny_delta_and_long_horizon_work() {
    let (d, t_max, delta) = (4, 20.0, 1e-6);
    let target = Gaussian::isotropic(d, 0.0, 0.25).unwrap();
    let grid = TimeGrid::geometric_tail(t_max, delta, 0.1).unwrap();
    let rm = Ode::rm(grid);
    let g1 = Gaussian::isotropic(1, 0.0, 0.25).unwrap();
    let problem = Problem {
        score: &g1,
        start: DiagLaw::standard(1),
        reference: DiagLaw::diffused(&[0.0], &[0.25], delta),
        layout: Layout::Repeated(d),
    };
    let cfg = NestedConfig {
        n: 4_000,
        m: 16,
        blocks: 16,
        seed: 3,
    };
    let tv = nested_tv(&problem, &rm, &cfg).unwrap();
    assert!(tv.richardson.tv < 0.03, "{:?}", tv.richardson);
    let n = 20_000;
    let out = sample(&target, &target, &rm, Start::Gaussian, n, 5).unwrap();
    let var = out.samples.iter().map(|x| x * x).sum::<f64>() / (n * d) as f64;
    let exact = alpha(delta).powi(2) * 0.25 + sigma2(delta);
    let se = exact * (2.0 / (n * d) as f64).sqrt();
    assert!((var - exact).abs() < 4.0 * se, "{var} vs {exact} ± {se}");
}

/// Steps of 1e-12: the RM step moves `x` by `h (x + s(x)) + O(h²)`, and the ULMC step's
/// coefficients stay finite (Taylor series, no cancellation) with a velocity change of order √h.
#[test]
fn tiny_steps_are_first_order_and_finite() {
    let d = 3;
    let g = Gaussian::isotropic(d, 0.5, 2.0).unwrap();
    let mut x = vec![0.3, -1.2, 2.0];
    let x0 = x.clone();
    let h = 1e-12;
    rm_step(&g, 0.7, h, 0.4, &mut x, &mut PredictorWork::new(d));
    let mut s = vec![0.0; d];
    g.score(0.7, &x0, &mut s);
    for i in 0..d {
        let rate = (x[i] - x0[i]) / h;
        assert!((rate - (x0[i] + s[i])).abs() < 1e-3 * (1.0 + rate.abs()), "{rate}");
    }
    let c = UlmcCoeffs::new(2.0, h).unwrap();
    assert!(c.chol.iter().flatten().all(|v| v.is_finite()) && c.flow.force > 0.0);
    let (mut y, mut v, mut buf) = (x0.clone(), vec![0.0; d], vec![0.0; d]);
    let mut z = vec![0.0; 2 * d];
    fill_normal(&mut stream_rng(1, 0), &mut z);
    ulmc_step(&g, 0.7, &c, &mut y, &mut v, &z[..d], &z[d..], &mut buf);
    assert!(y.iter().zip(&x0).all(|(a, b)| (a - b).abs() < 1e-9));
    assert!(v.iter().all(|vi| vi.abs() < 1e-4 && vi.is_finite()));
}

/// Condition number 10^6. Diffusion side: data N(0, diag v) with v from 1e-6 to 1, so the score
/// is 10^3-Lipschitz near δ = 1e-3; the sampler's exact law (semi-analytic TV) says how good EI
/// is: far off on a coarse uniform grid (TV > 0.5 at 64 steps), and first order as the grid is
/// refined (16× more steps must cut TV by at least 4×, once L·h < 1) — the error is measured,
/// never hidden. Potential side: the constructor accepts κ = 10^6 with L/m = 10^6, and refuses
/// κ = ∞.
#[test]
fn condition_number_one_million_is_measured_not_hidden() {
    let v: Vec<f64> = (0..8).map(|i| 10f64.powf(-6.0 + 6.0 * i as f64 / 7.0)).collect();
    let g = Gaussian::diagonal(vec![0.0; 8], v.clone()).unwrap();
    let problem = Problem {
        score: &g,
        start: DiagLaw::diffused(&[0.0; 8], &v, 5.0),
        reference: DiagLaw::diffused(&[0.0; 8], &v, 1e-3),
        layout: Layout::Diagonal,
    };
    let cfg = NestedConfig {
        n: 2_000,
        m: 2,
        blocks: 8,
        seed: 1,
    };
    let tv_of = |steps: usize| {
        let ei = Ode::ei(TimeGrid::uniform(5.0, 1e-3, steps).unwrap());
        nested_tv(&problem, &ei, &cfg).unwrap().richardson.tv
    };
    let (coarse, mid, fine) = (tv_of(64), tv_of(4096), tv_of(65_536));
    println!("EI, κ = 1e6: TV {coarse:.4} (64 steps), {mid:.4} (4096), {fine:.4} (65,536)");
    assert!(coarse > 0.5, "coarse grid TV {coarse}");
    assert!(fine < mid / 4.0, "not first order: {mid} → {fine}");
    let f = DiagGaussian::ill_conditioned(8, 1e6).unwrap();
    assert!((f.smoothness() / f.strong_convexity() / 1e6 - 1.0).abs() < 1e-9);
    assert!(DiagGaussian::ill_conditioned(8, f64::INFINITY).is_err());
}
