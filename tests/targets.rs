//! Exact-score targets: Gaussian, Gaussian mixture, products of 1-D laws, rotations
//! (anchors-theory.md §2.1–2.3).
//!
//! Tolerances (decided before running; seeds fixed and not tuned):
//! * Score vs central finite differences of `ln q_t`, step `h = 1e-5·ℓ_t` with `ℓ_t² = e^{−2t} v_min + σ_t²`
//!   (`v_min` the smallest data variance scale, so `ℓ_t` is the smallest length scale of `q_t`).
//!   Truncation error `h²|∂³ln q|/6 ≲ 2e-8/ℓ` for `|∂³ln q| ≤ 1e3/ℓ³`, rounding error
//!   `ε|ln q|/h ≲ 1e-8/ℓ` for `|ln q| ≤ 1e3`; asserted: `|FD − s_i| ≤ 1e-6·(1/ℓ + ‖s‖_∞)`.
//! * Score vs an independent implementation of the same closed form: `1e-10·(1 + ‖s‖_∞)`
//!   (Gaussian `full`: `1e-10·(1 + ‖s‖_∞)` with condition number ≤ 26); Tweedie:
//!   `1e-10·(1 + ‖x‖_∞ + ‖s‖_∞)/σ_t²` (the Tweedie form loses `ε‖x‖/σ_t²`).
//! * LogCosh quadrature vs an independent Simpson rule in `x` (step `σ_t/100`, window `±20σ_t`):
//!   `1e-11·(1 + |y|)` in the score, `1e-11·(1 + |ln q|)` in the log-density.
//! * Moments of `n` exact draws: `|mean − μ| ≤ 4·√(v/n)` (`v` the exact variance) and
//!   `|s² − v| ≤ 4·√((m₄ − s⁴)/n)` (`m₄`, `s²` the sample fourth central moment and variance).
//! * KS test of the LogCosh rejection sampler against the numerically integrated CDF (Simpson,
//!   cell `1e-3`): `D_n ≤ 1.95/√n` (asymptotic critical value at α = 0.001).
//! * Rotations: equivariance and invariance to `1e-12` relative.

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use randmid::Error;
use randmid::process::{alpha, sigma2};
use randmid::rng::{SampleRng, stream_rng};
use randmid::target::{Gaussian, GaussianMixture, Law1d, Product, Rotated, Score, Target};

const FD_TIMES: [f64; 4] = [0.0, 1e-3, 2.0, 8.0];

// ---------------------------------------------------------------------------------------
// Targets

fn gauss_diag() -> Gaussian {
    Gaussian::diagonal(vec![1.0, -0.5, 2.0], vec![0.5, 2.0, 0.2]).unwrap()
}

fn gauss_full() -> Gaussian {
    let cov = DMatrix::from_row_slice(3, 3, &[2.0, 0.6, -0.3, 0.6, 1.0, 0.2, -0.3, 0.2, 0.5]);
    Gaussian::full(vec![0.5, -1.0, 0.0], cov).unwrap()
}

fn mix_iso() -> GaussianMixture {
    GaussianMixture::isotropic(
        vec![0.2, 0.5, 0.3],
        vec![vec![-2.0, 0.0, 1.0], vec![2.0, 1.0, -1.0], vec![0.0, -2.0, 0.5]],
        vec![0.3, 0.8, 0.15],
    )
    .unwrap()
}

fn mix_diag() -> GaussianMixture {
    GaussianMixture::diagonal(
        vec![0.3, 0.3, 0.4],
        vec![vec![-1.5, 0.5, 0.0], vec![1.5, -0.5, 1.0], vec![0.0, 2.0, -2.0]],
        vec![vec![0.2, 0.5, 1.0], vec![0.4, 0.1, 0.3], vec![1.5, 0.25, 0.2]],
    )
    .unwrap()
}

fn bimodal_product() -> Product {
    Product::iid(Law1d::bimodal(1.5, 0.3).unwrap(), 3).unwrap()
}

fn mixed_product() -> Product {
    Product::new(vec![
        Law1d::log_cosh(),
        Law1d::bimodal(2.0, 0.5).unwrap(),
        Law1d::log_cosh(),
    ])
    .unwrap()
}

// ---------------------------------------------------------------------------------------
// Helpers

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

fn score_of<T: Score + ?Sized>(target: &T, t: f64, x: &[f64]) -> Vec<f64> {
    let mut s = vec![0.0; x.len()];
    target.score(t, x, &mut s);
    s
}

/// `ln cosh x`, overflow-free.
fn ln_cosh(x: f64) -> f64 {
    x.abs() + (-2.0 * x.abs()).exp().ln_1p() - std::f64::consts::LN_2
}

/// Asserts `|∂_i ln q_t(x) (central FD) − s_i| ≤ 1e-6·(1/ℓ + ‖s‖_∞)` for every coordinate.
fn check_fd<T: Target + ?Sized>(target: &T, t: f64, x: &[f64], ell: f64, label: &str) {
    let s = score_of(target, t, x);
    let h = 1e-5 * ell;
    let tol = 1e-6 * (1.0 / ell + max_abs(&s));
    let mut xp = x.to_vec();
    for i in 0..x.len() {
        let (up, dn) = (x[i] + h, x[i] - h);
        xp[i] = up;
        let lp = target.log_density(t, &xp).unwrap();
        xp[i] = dn;
        let lm = target.log_density(t, &xp).unwrap();
        xp[i] = x[i];
        let fd = (lp - lm) / (up - dn);
        assert!(
            (fd - s[i]).abs() <= tol,
            "{label} t={t} x={x:?} i={i}: score {} vs FD {fd} (tol {tol:e})",
            s[i]
        );
    }
}

/// FD check at `t ∈ FD_TIMES`, at four exact draws from `q_t` and one point twice as far out.
fn fd_suite<T: Target + ?Sized>(target: &T, v_min: f64, label: &str) {
    let d = target.dim();
    for (j, &t) in FD_TIMES.iter().enumerate() {
        let ell = (alpha(t).powi(2) * v_min + sigma2(t)).sqrt();
        for i in 0..4 {
            let mut x = vec![0.0; d];
            target.sample_marginal(t, &mut stream_rng(100 + j as u64, i), &mut x);
            check_fd(target, t, &x, ell, label);
            let far: Vec<f64> = x.iter().map(|v| 2.0 * v + 0.5).collect();
            check_fd(target, t, &far, ell, label);
        }
    }
}

/// `ℓ_k(x) = ln π_k − ½ Σ_i [ln(2π c_ki) + (x_i − α μ_ki)²/c_ki]`, written from the accessors.
fn reference_logits(m: &GaussianMixture, t: f64, x: &[f64]) -> Vec<f64> {
    let (a, s2) = (alpha(t), sigma2(t));
    (0..m.num_components())
        .map(|k| {
            let mut l = m.weights()[k].ln();
            for (i, &xi) in x.iter().enumerate() {
                let c = a * a * m.var(k, i) + s2;
                let r = xi - a * m.mean(k)[i];
                l -= 0.5 * ((2.0 * std::f64::consts::PI * c).ln() + r * r / c);
            }
            l
        })
        .collect()
}

/// `Σ_k r_k C_k^{−1}(α μ_k − x)` for given responsibilities.
fn score_from_resp(m: &GaussianMixture, t: f64, x: &[f64], r: &[f64]) -> Vec<f64> {
    let (a, s2) = (alpha(t), sigma2(t));
    (0..x.len())
        .map(|i| {
            (0..r.len())
                .map(|k| r[k] * (a * m.mean(k)[i] - x[i]) / (a * a * m.var(k, i) + s2))
                .sum()
        })
        .collect()
}

/// Reference score with responsibilities by log-sum-exp: `r_k = exp(ℓ_k − M − ln Σ_j e^{ℓ_j − M})`.
fn reference_score_lse(m: &GaussianMixture, t: f64, x: &[f64]) -> Vec<f64> {
    let l = reference_logits(m, t, x);
    let mx = l.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let lse = mx + l.iter().map(|v| (v - mx).exp()).sum::<f64>().ln();
    let r: Vec<f64> = l.iter().map(|v| (v - lse).exp()).collect();
    score_from_resp(m, t, x, &r)
}

/// Reference score with responsibilities computed the naive-but-safe way,
/// `r_k = 1 / Σ_j exp(ℓ_j − ℓ_k)` (an overflowing term gives `r_k = 0`, the right limit).
fn reference_score_pairwise(m: &GaussianMixture, t: f64, x: &[f64]) -> Vec<f64> {
    let l = reference_logits(m, t, x);
    let r: Vec<f64> = l
        .iter()
        .map(|lk| 1.0 / l.iter().map(|lj| (lj - lk).exp()).sum::<f64>())
        .collect();
    score_from_resp(m, t, x, &r)
}

fn assert_close(a: &[f64], b: &[f64], tol: f64, label: &str) {
    for i in 0..a.len() {
        assert!(
            (a[i] - b[i]).abs() <= tol,
            "{label}: coordinate {i}: {} vs {} (tol {tol:e})",
            a[i],
            b[i]
        );
    }
}

// ---------------------------------------------------------------------------------------
// Scores against finite differences of ln q_t

#[test]
fn gaussian_scores_match_finite_differences() {
    fd_suite(&gauss_diag(), 0.2, "gaussian diag");
    let full = gauss_full();
    let lmin = full.cov_eigenvalues().iter().cloned().fold(f64::INFINITY, f64::min);
    fd_suite(&full, lmin, "gaussian full");
}

#[test]
fn mixture_scores_match_finite_differences() {
    fd_suite(&mix_iso(), 0.15, "mixture iso");
    fd_suite(&mix_diag(), 0.1, "mixture diag");
}

#[test]
fn product_scores_match_finite_differences() {
    fd_suite(&bimodal_product(), 0.09, "bimodal product");
    // LogCosh: closed form at t = 0, quadrature (score and log-density) at t > 0.
    fd_suite(&mixed_product(), 0.25, "logcosh/bimodal product");
}

#[test]
fn rotated_scores_match_finite_differences() {
    fd_suite(&Rotated::random(mix_diag(), 5), 0.1, "rotated mixture");
    fd_suite(&Rotated::random(mixed_product(), 6), 0.25, "rotated product");
}

// ---------------------------------------------------------------------------------------
// Mixtures in high dimension

#[test]
fn high_dimensional_mixture_scores_are_finite_and_match_the_reference() {
    let d = 4096;
    let m = GaussianMixture::random(d, 8, 10.0, 0.5, 42).unwrap();
    for &t in &[0.0, 1e-3, 0.5, 2.0, 8.0] {
        let mut x = vec![0.0; d];
        m.sample_marginal(t, &mut stream_rng(7, 0), &mut x);
        let s = score_of(&m, t, &x);
        assert!(s.iter().all(|v| v.is_finite()), "t={t}");
        assert!(m.log_density(t, &x).unwrap().is_finite());
        let want = reference_score_pairwise(&m, t, &x);
        assert_close(&s, &want, 1e-10 * (1.0 + max_abs(&want)), "d=4096 pairwise reference");
        // A point between two modes (responsibilities not saturated at t = 2).
        let mid: Vec<f64> = (0..d).map(|i| 0.5 * alpha(t) * (m.mean(0)[i] + m.mean(1)[i])).collect();
        assert_close(
            &score_of(&m, t, &mid),
            &reference_score_pairwise(&m, t, &mid),
            1e-10 * (1.0 + max_abs(&s)),
            "mid",
        );
    }
}

#[test]
fn mixture_far_from_all_means_follows_the_dominant_component() {
    let d = 4096;
    let m = GaussianMixture::random(d, 8, 10.0, 0.5, 43).unwrap();
    // Far out along μ_0: component 0 dominates by a logit gap of α·99·sep²/c ≫ 745, so the
    // score is exactly (α μ_0 − x)/c to rounding.
    for &t in &[0.0, 1e-3, 1.0] {
        let (a, c) = (alpha(t), alpha(t).powi(2) * 0.5 + sigma2(t));
        let x: Vec<f64> = m.mean(0).iter().map(|v| 100.0 * v).collect();
        let s = score_of(&m, t, &x);
        let want: Vec<f64> = (0..d).map(|i| (a * m.mean(0)[i] - x[i]) / c).collect();
        assert_close(&s, &want, 1e-12 * max_abs(&want), "far along μ_0");
    }
    // Far from everything (‖x‖² ≈ 4e11) and an extreme diagonal mixture: finite everywhere.
    let x = vec![1e4; d];
    for &t in &[0.0, 1e-12, 1.0, 30.0] {
        assert!(score_of(&m, t, &x).iter().all(|v| v.is_finite()), "t={t}");
        assert!(m.log_density(t, &x).unwrap().is_finite());
        let mut pm = vec![0.0; d];
        m.posterior_mean(t, &x, &mut pm);
        assert!(pm.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn mixture_at_d_65536_is_finite() {
    let d = 65_536;
    let m = GaussianMixture::random(d, 4, 5.0, 0.01, 9).unwrap();
    let dm = GaussianMixture::diagonal(
        vec![0.5, 0.5],
        vec![vec![1.0; d], vec![-1.0; d]],
        vec![vec![1e-3; d], (0..d).map(|i| 0.5 + (i % 7) as f64).collect()],
    )
    .unwrap();
    let mut x = vec![0.0; d];
    m.sample_data(&mut stream_rng(1, 0), &mut x);
    for &t in &[0.0, 1e-3, 1.0] {
        for target in [&m as &dyn Target, &dm] {
            assert!(score_of(target, t, &x).iter().all(|v| v.is_finite()), "t={t}");
            assert!(target.log_density(t, &x).unwrap().is_finite());
        }
    }
}

// ---------------------------------------------------------------------------------------
// Property tests

fn proptest_config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    }
}

/// `(weights, means, vars, isotropic)` with `K ∈ 1..=5`, `d ∈ 1..=5`.
fn mixture_strategy() -> impl Strategy<Value = GaussianMixture> {
    (1usize..=5, 1usize..=5, any::<bool>()).prop_flat_map(|(k, d, iso)| {
        let nvar = if iso { k } else { k * d };
        (
            prop::collection::vec(0.05f64..1.0, k),
            prop::collection::vec(-4.0f64..4.0, k * d),
            prop::collection::vec(0.05f64..3.0, nvar),
        )
            .prop_map(move |(w, mu, v)| {
                let sum: f64 = w.iter().sum();
                let w: Vec<f64> = w.iter().map(|x| x / sum).collect();
                let means: Vec<Vec<f64>> = mu.chunks(d).map(|c| c.to_vec()).collect();
                if iso {
                    GaussianMixture::isotropic(w, means, v).unwrap()
                } else {
                    GaussianMixture::diagonal(w, means, v.chunks(d).map(|c| c.to_vec()).collect()).unwrap()
                }
            })
    })
}

fn mixture_and_point() -> impl Strategy<Value = (GaussianMixture, Vec<f64>)> {
    mixture_strategy().prop_flat_map(|m| {
        let d = m.dim();
        (Just(m), prop::collection::vec(-6.0f64..6.0, d))
    })
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn full_gaussian_score_is_the_affine_closed_form(
        (a_entries, mean, x) in (1usize..=5).prop_flat_map(|d| (
            prop::collection::vec(-1.0f64..1.0, d * d),
            prop::collection::vec(-3.0f64..3.0, d),
            prop::collection::vec(-5.0f64..5.0, d),
        )),
        t in 0.0f64..5.0,
    ) {
        let d = mean.len();
        let a_mat = DMatrix::from_row_slice(d, d, &a_entries);
        let cov = &a_mat * a_mat.transpose() + DMatrix::<f64>::identity(d, d) * 0.2;
        let g = Gaussian::full(mean.clone(), cov.clone()).unwrap();
        let (a, s2) = (alpha(t), sigma2(t));
        let cov_t = cov * (a * a) + DMatrix::<f64>::identity(d, d) * s2;
        let inv = cov_t.try_inverse().unwrap();
        let centered = DVector::from_iterator(d, (0..d).map(|i| x[i] - a * mean[i]));
        let want = -(inv * centered);
        let s = score_of(&g, t, &x);
        assert_close(&s, want.as_slice(), 1e-10 * (1.0 + want.amax()), "full gaussian");
    }

    #[test]
    fn mixture_score_is_the_log_sum_exp_formula((m, x) in mixture_and_point(), t in 0.0f64..4.0) {
        let want = reference_score_lse(&m, t, &x);
        assert_close(&score_of(&m, t, &x), &want, 1e-10 * (1.0 + max_abs(&want)), "mixture");
        let mut batch = vec![0.0; x.len() * 2];
        let xs: Vec<f64> = x.iter().chain(x.iter()).cloned().collect();
        m.score_batch(t, &xs, &mut batch);
        assert_close(&batch[x.len()..], &want, 1e-10 * (1.0 + max_abs(&want)), "mixture batch");
        let l = reference_logits(&m, t, &x);
        let mx = l.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = mx + l.iter().map(|v| (v - mx).exp()).sum::<f64>().ln();
        prop_assert!((m.log_density(t, &x).unwrap() - lse).abs() <= 1e-10 * (1.0 + lse.abs()));
    }

    #[test]
    fn mixture_satisfies_tweedie((m, x) in mixture_and_point(), t in 0.01f64..4.0) {
        let s = score_of(&m, t, &x);
        let mut pm = vec![0.0; x.len()];
        m.posterior_mean(t, &x, &mut pm);
        let (a, s2) = (alpha(t), sigma2(t));
        let tweedie: Vec<f64> = (0..x.len()).map(|i| (a * pm[i] - x[i]) / s2).collect();
        let tol = 1e-10 * (1.0 + max_abs(&x) + max_abs(&s)) / s2;
        assert_close(&s, &tweedie, tol, "tweedie");
    }
}

// ---------------------------------------------------------------------------------------
// LogCosh quadrature against an independent Simpson rule

/// `(score, ln q_t)` of the LogCosh law at `y`, by composite Simpson in `x` over the
/// posterior `∝ exp(−(x − αy)²/(2σ²) − ln cosh x)` (window `αy ± 20σ`, step `σ/100`), with
/// `Z` by Simpson on `[−40, 40]`; the score by Tweedie `(α E[X_0|y] − y)/σ²`.
fn logcosh_reference(t: f64, y: f64) -> (f64, f64) {
    let simpson = |lo: f64, hi: f64, n: usize, f: &dyn Fn(f64) -> f64| {
        let h = (hi - lo) / n as f64;
        let mut acc = f(lo) + f(hi);
        for i in 1..n {
            acc += f(lo + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        acc * h / 3.0
    };
    let z = simpson(-40.0, 40.0, 400_000, &|x| (-0.5 * x * x - ln_cosh(x)).exp());
    let (a, s2) = (alpha(t), sigma2(t));
    let s = s2.sqrt();
    let c = a * y;
    // Weight relative to its value at x = c, to avoid underflow far out.
    let w = |x: f64| (-(x - c) * (x - c) / (2.0 * s2) - ln_cosh(x) + ln_cosh(c)).exp();
    let (lo, hi, n) = (c - 20.0 * s, c + 20.0 * s, 4000);
    let m0 = simpson(lo, hi, n, &w);
    let m1 = simpson(lo, hi, n, &|x| (x - c) * w(x));
    let score = (a * (c + m1 / m0) - y) / s2;
    // q_t(y) = (1/Z) ∫ e^{−x²/2} sech x N(y; αx, σ²) dx = e^{−y²/2} ∫ N(x; αy, σ²) sech x dx / Z.
    let log_q = -z.ln() - 0.5 * y * y - ln_cosh(c) + (m0 / (2.0 * std::f64::consts::PI * s2).sqrt()).ln();
    (score, log_q)
}

#[test]
fn logcosh_quadrature_matches_an_independent_simpson_rule() {
    let law = Law1d::log_cosh();
    for &t in &[1e-3, 0.1, 0.5, 1.0, 2.0, 8.0] {
        for &y in &[-3.0, -0.5, 0.0, 1.2, 4.0, 9.0] {
            let (s_ref, l_ref) = logcosh_reference(t, y);
            let s = law.score_t(t, y);
            let l = law.log_density_t(t, y).unwrap();
            assert!(
                (s - s_ref).abs() <= 1e-11 * (1.0 + y.abs()),
                "t={t} y={y}: {s} vs {s_ref}"
            );
            assert!(
                (l - l_ref).abs() <= 1e-11 * (1.0 + l_ref.abs()),
                "t={t} y={y}: {l} vs {l_ref}"
            );
        }
    }
}

#[test]
fn logcosh_is_strongly_log_concave_and_smooth_at_every_time() {
    // −(ln ν_t)'' ∈ [1, 2] (derivation in Law1d::lipschitz); FD step 1e-4, error ≪ 1e-6.
    let law = Law1d::log_cosh();
    assert_eq!(law.lipschitz(), 2.0);
    for &t in &[0.0, 1e-3, 0.05, 0.3, 1.0, 3.0, 10.0] {
        for j in -60..=60 {
            let x = j as f64 * 0.1;
            let curv = -(law.score_t(t, x + 1e-4) - law.score_t(t, x - 1e-4)) / 2e-4;
            assert!((1.0 - 1e-6..=2.0 + 1e-6).contains(&curv), "t={t} x={x}: {curv}");
        }
    }
}

#[test]
fn lipschitz_bounds_dominate_the_score_jacobian() {
    // Bimodal (well separated, small sd) and Gaussian1d: sup over a (t, x) grid of |s'| ≤ L.
    for law in [
        Law1d::bimodal(2.0, 0.3).unwrap(),
        Law1d::bimodal(1.0, 2.0).unwrap(),
        Law1d::gaussian(1.0, 0.2).unwrap(),
    ] {
        let l = law.lipschitz();
        for &t in &[0.0, 1e-3, 0.05, 0.2, 0.5, 1.0, 2.0, 5.0] {
            for j in -300..=300 {
                let x = j as f64 * 0.02;
                let d = (law.score_t(t, x + 1e-5) - law.score_t(t, x - 1e-5)) / 2e-5;
                assert!(
                    d.abs() <= l * (1.0 + 1e-6),
                    "{} t={t} x={x}: |s'| = {} > {l}",
                    law.name(),
                    d.abs()
                );
            }
        }
    }
    let p = mixed_product();
    assert_eq!(
        p.lipschitz(),
        Some(Law1d::bimodal(2.0, 0.5).unwrap().lipschitz().max(2.0))
    );
}

// ---------------------------------------------------------------------------------------
// Cross-checks between targets

#[test]
fn one_component_mixture_and_gaussian_product_equal_the_gaussian() {
    let mean = vec![1.0, -0.5, 2.0];
    let var = vec![0.5, 2.0, 0.2];
    let g = Gaussian::diagonal(mean.clone(), var.clone()).unwrap();
    let m = GaussianMixture::diagonal(vec![1.0], vec![mean.clone()], vec![var.clone()]).unwrap();
    let p = Product::new((0..3).map(|i| Law1d::gaussian(mean[i], var[i]).unwrap()).collect()).unwrap();
    let x = [0.3, -1.0, 2.5];
    let omega = [0.7, -0.2, 1.1];
    for &t in &[0.0, 0.1, 3.0] {
        let sg = score_of(&g, t, &x);
        for other in [&m as &dyn Target, &p] {
            assert_close(&score_of(other, t, &x), &sg, 1e-14, "score");
            let (lg, lo) = (g.log_density(t, &x).unwrap(), other.log_density(t, &x).unwrap());
            assert!((lg - lo).abs() < 1e-13, "{lg} vs {lo}");
        }
    }
    for other in [&m as &dyn Target, &p] {
        let (a, b) = (g.data_char_fn(&omega).unwrap(), other.data_char_fn(&omega).unwrap());
        assert!((a.0 - b.0).abs() < 1e-15 && (a.1 - b.1).abs() < 1e-15);
        assert_close(&other.data_mean().unwrap(), &mean, 1e-15, "mean");
        assert_close(&other.data_var().unwrap(), &var, 1e-15, "var");
        assert!((other.second_moment() - g.second_moment()).abs() < 1e-13);
    }
}

#[test]
fn bimodal_law_equals_the_two_component_mixture() {
    let law = Law1d::bimodal(1.5, 0.3).unwrap();
    let m = GaussianMixture::isotropic(vec![0.5, 0.5], vec![vec![-1.5], vec![1.5]], vec![0.09, 0.09]).unwrap();
    for &t in &[0.0, 0.2, 2.0] {
        let comps = law.marginal_components(t).unwrap();
        let (a, s2) = (alpha(t), sigma2(t));
        assert_eq!(comps.len(), 2);
        assert!((comps[1].mean - a * 1.5).abs() < 1e-15 && (comps[0].mean + a * 1.5).abs() < 1e-15);
        assert!((comps[0].var - (a * a * 0.09 + s2)).abs() < 1e-15 && comps[0].weight == 0.5);
        for &x in &[-2.0, -0.1, 0.0, 0.7, 3.0] {
            assert!((law.score_t(t, x) - score_of(&m, t, &[x])[0]).abs() < 1e-13);
            assert!((law.log_density_t(t, x).unwrap() - m.log_density(t, &[x]).unwrap()).abs() < 1e-13);
        }
    }
    let (re, im) = law.char_fn(0.8).unwrap();
    let (mre, mim) = m.data_char_fn(&[0.8]).unwrap();
    assert!((re - mre).abs() < 1e-15 && (im - mim).abs() < 1e-15);
    assert_eq!(m.lipschitz(), Some(law.lipschitz()));
}

// ---------------------------------------------------------------------------------------
// Exact sampling

/// Asserts per-coordinate mean and variance of `n` exact `q_t` draws within 4 standard errors.
fn check_moments<T: Target + ?Sized>(target: &T, t: f64, mean: &[f64], var: &[f64], seed: u64, label: &str) {
    let (n, d) = (20_000, target.dim());
    let mut xs = vec![0.0; n * d];
    for (i, x) in xs.chunks_exact_mut(d).enumerate() {
        target.sample_marginal(t, &mut stream_rng(seed, i as u64), x);
    }
    for j in 0..d {
        let col: Vec<f64> = xs.chunks_exact(d).map(|x| x[j]).collect();
        let m = col.iter().sum::<f64>() / n as f64;
        let s2 = col.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n as f64;
        let m4 = col.iter().map(|v| (v - m).powi(4)).sum::<f64>() / n as f64;
        let se_mean = (var[j] / n as f64).sqrt();
        let se_var = ((m4 - s2 * s2) / n as f64).sqrt();
        assert!(
            (m - mean[j]).abs() <= 4.0 * se_mean,
            "{label} coord {j}: mean {m} vs {} (SE {se_mean})",
            mean[j]
        );
        assert!(
            (s2 - var[j]).abs() <= 4.0 * se_var,
            "{label} coord {j}: var {s2} vs {} (SE {se_var})",
            var[j]
        );
    }
}

/// Exact `q_t` moments from the data moments: `E X_t = α μ`, `Var X_t = α² v + σ²`.
fn diffused(t: f64, mean: &[f64], var: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (a, s2) = (alpha(t), sigma2(t));
    (
        mean.iter().map(|m| a * m).collect(),
        var.iter().map(|v| a * a * v + s2).collect(),
    )
}

#[test]
fn exact_sampling_matches_closed_form_moments() {
    let targets: Vec<(&str, Box<dyn Target>)> = vec![
        ("mixture iso", Box::new(mix_iso())),
        ("mixture diag", Box::new(mix_diag())),
        ("bimodal product", Box::new(bimodal_product())),
        ("logcosh product", Box::new(mixed_product())),
    ];
    for (k, (label, target)) in targets.iter().enumerate() {
        let (mu, v) = (target.data_mean().unwrap(), target.data_var().unwrap());
        for (j, &t) in [0.0, 0.3].iter().enumerate() {
            let (m_t, v_t) = diffused(t, &mu, &v);
            check_moments(target.as_ref(), t, &m_t, &v_t, 1000 + 10 * k as u64 + j as u64, label);
        }
    }
    // Rotated product: independent coordinates, so Var(QX)_i = Σ_j Q_ij² Var X_j.
    let inner = mixed_product();
    let rot = Rotated::random(inner.clone(), 3);
    let q = rot.rotation();
    let v_in = inner.data_var().unwrap();
    let v_rot: Vec<f64> = (0..3)
        .map(|i| (0..3).map(|j| q[(i, j)].powi(2) * v_in[j]).sum())
        .collect();
    let (m_t, v_t) = diffused(0.3, &rot.data_mean().unwrap(), &v_rot);
    check_moments(&rot, 0.3, &m_t, &v_t, 2000, "rotated product");
}

#[test]
fn logcosh_rejection_sampler_passes_ks() {
    // CDF of ν ∝ e^{−x²/2} sech x tabulated on [−12, 12] (cells of 1e-3, Simpson per cell;
    // linear interpolation error ≤ 1e-7, mass outside ≈ 1e-32).
    let (lo, cell, cells) = (-12.0, 1e-3, 24_000);
    let f = |x: f64| (-0.5 * x * x - ln_cosh(x)).exp();
    let mut cdf = vec![0.0; cells + 1];
    for i in 0..cells {
        let a = lo + i as f64 * cell;
        cdf[i + 1] = cdf[i] + cell / 6.0 * (f(a) + 4.0 * f(a + 0.5 * cell) + f(a + cell));
    }
    let total = cdf[cells];
    let cdf_at = |x: f64| {
        let u = ((x - lo) / cell).clamp(0.0, cells as f64 - 1e-9);
        let i = u.floor() as usize;
        (cdf[i] + (u - i as f64) * (cdf[i + 1] - cdf[i])) / total
    };
    let n = 20_000;
    let law = Law1d::log_cosh();
    let mut rng: SampleRng = stream_rng(77, 0);
    let mut xs: Vec<f64> = (0..n).map(|_| law.sample(&mut rng)).collect();
    xs.sort_by(f64::total_cmp);
    let d_n = xs
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let fx = cdf_at(x);
            ((i + 1) as f64 / n as f64 - fx).max(fx - i as f64 / n as f64)
        })
        .fold(0.0f64, f64::max);
    assert!(d_n <= 1.95 / (n as f64).sqrt(), "KS D = {d_n}");
    // The tabulated variance agrees with Law1d::variance (numerical constant).
    assert!(
        (law.variance() - 0.591_834_114_930_585).abs() < 1e-12,
        "{}",
        law.variance()
    );
}

// ---------------------------------------------------------------------------------------
// Rotations

#[test]
fn rotated_score_is_equivariant_and_log_density_invariant() {
    let inner = mix_diag();
    let rot = Rotated::random(inner.clone(), 11);
    let q = rot.rotation().clone();
    let defect = (q.transpose() * &q - DMatrix::<f64>::identity(3, 3)).amax();
    assert!(defect < 1e-12, "{defect}");
    for &t in &[0.0, 0.05, 1.0, 4.0] {
        for i in 0..5 {
            let mut y = vec![0.0; 3];
            inner.sample_marginal(t, &mut stream_rng(12, i), &mut y);
            let qy = (&q * DVector::from_column_slice(&y)).as_slice().to_vec();
            let s_in = score_of(&inner, t, &y);
            let q_s = &q * DVector::from_column_slice(&s_in);
            let s_rot = score_of(&rot, t, &qy);
            assert_close(&s_rot, q_s.as_slice(), 1e-12 * (1.0 + max_abs(&s_in)), "equivariance");
            let (l_rot, l_in) = (rot.log_density(t, &qy).unwrap(), inner.log_density(t, &y).unwrap());
            assert!((l_rot - l_in).abs() <= 1e-12 * (1.0 + l_in.abs()), "{l_rot} vs {l_in}");
            // Batch path (matrix products) equals the row-by-row path.
            let ys: Vec<f64> = qy.iter().chain(y.iter()).cloned().collect();
            let mut batch = vec![0.0; 6];
            rot.score_batch(t, &ys, &mut batch);
            assert_close(&batch[..3], &s_rot, 1e-12 * (1.0 + max_abs(&s_rot)), "batch row 0");
            assert_close(
                &batch[3..],
                &score_of(&rot, t, &y),
                1e-12 * (1.0 + max_abs(&s_rot)),
                "batch row 1",
            );
        }
    }
    let omega = [0.4, -1.0, 0.25];
    let q_omega = &q * DVector::from_column_slice(&omega);
    let (a, b) = (
        rot.data_char_fn(q_omega.as_slice()).unwrap(),
        inner.data_char_fn(&omega).unwrap(),
    );
    assert!((a.0 - b.0).abs() < 1e-14 && (a.1 - b.1).abs() < 1e-14);
    let qm = &q * DVector::from_vec(inner.data_mean().unwrap());
    assert_close(&rot.data_mean().unwrap(), qm.as_slice(), 1e-14, "mean");
    assert_eq!(rot.lipschitz(), inner.lipschitz());
    assert!((rot.second_moment() - inner.second_moment()).abs() < 1e-13);
}

#[test]
fn rotation_by_the_identity_changes_nothing() {
    let inner = mix_iso();
    let rot = Rotated::new(inner.clone(), DMatrix::identity(3, 3)).unwrap();
    let x = [0.3, -1.2, 0.8];
    assert_eq!(score_of(&rot, 0.4, &x), score_of(&inner, 0.4, &x));
}

// ---------------------------------------------------------------------------------------
// Constructors reject bad input

fn invalid_param<T: std::fmt::Debug>(r: randmid::Result<T>, want: &str) {
    match r {
        Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, want),
        other => panic!("expected InvalidParameter({want}), got {other:?}"),
    }
}

fn dim_mismatch<T: std::fmt::Debug>(r: randmid::Result<T>) {
    assert!(
        matches!(r, Err(Error::DimensionMismatch { .. })),
        "expected DimensionMismatch, got {r:?}"
    );
}

#[test]
fn mixture_constructors_reject_bad_input() {
    let means = || vec![vec![0.0, 1.0], vec![1.0, 0.0]];
    invalid_param(
        GaussianMixture::isotropic(vec![0.5, 0.6], means(), vec![1.0, 1.0]),
        "weights (sum)",
    );
    invalid_param(
        GaussianMixture::isotropic(vec![1.5, -0.5], means(), vec![1.0, 1.0]),
        "weight",
    );
    invalid_param(
        GaussianMixture::isotropic(vec![f64::NAN, 0.5], means(), vec![1.0, 1.0]),
        "weight",
    );
    invalid_param(
        GaussianMixture::isotropic(vec![0.5, 0.5], means(), vec![1.0, 0.0]),
        "component variance",
    );
    invalid_param(GaussianMixture::isotropic(vec![], vec![], vec![]), "components");
    invalid_param(GaussianMixture::isotropic(vec![1.0], vec![vec![]], vec![1.0]), "dim");
    invalid_param(
        GaussianMixture::isotropic(vec![1.0], vec![vec![f64::INFINITY]], vec![1.0]),
        "component mean entry",
    );
    dim_mismatch(GaussianMixture::isotropic(
        vec![0.5, 0.5],
        vec![vec![0.0, 1.0], vec![1.0]],
        vec![1.0, 1.0],
    ));
    dim_mismatch(GaussianMixture::isotropic(vec![1.0], means(), vec![1.0, 1.0]));
    dim_mismatch(GaussianMixture::isotropic(vec![0.5, 0.5], means(), vec![1.0]));
    dim_mismatch(GaussianMixture::diagonal(
        vec![0.5, 0.5],
        means(),
        vec![vec![1.0, 1.0], vec![1.0]],
    ));
    invalid_param(
        GaussianMixture::diagonal(vec![0.5, 0.5], means(), vec![vec![1.0, 1.0], vec![1.0, -2.0]]),
        "component variance",
    );
    invalid_param(GaussianMixture::random(0, 2, 1.0, 1.0, 0), "dim");
    invalid_param(GaussianMixture::random(4, 0, 1.0, 1.0, 0), "components");
    invalid_param(GaussianMixture::random(4, 2, -1.0, 1.0, 0), "separation");
    invalid_param(GaussianMixture::random(4, 2, 1.0, 0.0, 0), "component_var");
    // Within the 1e-9 tolerance: accepted and renormalized.
    let m = GaussianMixture::isotropic(vec![0.5, 0.5 + 5e-10], means(), vec![1.0, 1.0]).unwrap();
    assert!((m.weights().iter().sum::<f64>() - 1.0).abs() < 1e-15);
    // K > d: random unit vectors (documented), still a valid target.
    let m = GaussianMixture::random(2, 5, 3.0, 0.5, 1).unwrap();
    for k in 0..5 {
        assert!((m.mean(k).iter().map(|v| v * v).sum::<f64>() - 9.0).abs() < 1e-12);
    }
}

#[test]
fn product_and_law_constructors_reject_bad_input() {
    invalid_param(Law1d::bimodal(-1.0, 1.0), "sep");
    invalid_param(Law1d::bimodal(1.0, 0.0), "sd");
    invalid_param(Law1d::bimodal(f64::NAN, 1.0), "sep");
    invalid_param(Law1d::gaussian(f64::NAN, 1.0), "mean");
    invalid_param(Law1d::gaussian(0.0, -1.0), "var");
    invalid_param(Product::new(vec![]), "dim");
    invalid_param(Product::iid(Law1d::log_cosh(), 0), "dim");
    // Laws built from the public variants are validated by the product constructors.
    invalid_param(
        Product::new(vec![Law1d::LogCosh, Law1d::Bimodal { sep: 1.0, sd: -1.0 }]),
        "sd",
    );
    invalid_param(
        Product::iid(
            Law1d::Gaussian1d {
                mean: 0.0,
                var: f64::INFINITY,
            },
            3,
        ),
        "var",
    );
}

#[test]
fn rotated_constructor_rejects_non_orthogonal_matrices() {
    let mut q = DMatrix::<f64>::identity(3, 3);
    q[(0, 1)] = 1e-6;
    invalid_param(Rotated::new(mix_iso(), q), "q");
    let mut q = DMatrix::<f64>::identity(3, 3);
    q[(2, 2)] = f64::NAN;
    invalid_param(Rotated::new(mix_iso(), q), "q");
    dim_mismatch(Rotated::new(mix_iso(), DMatrix::identity(2, 2)));
    dim_mismatch(Rotated::new(mix_iso(), DMatrix::identity(3, 2)));
}
