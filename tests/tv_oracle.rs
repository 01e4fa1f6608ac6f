//! The exact Gaussian TV/Hellinger/KL oracle (src/tv/oracle.rs) against independent exact
//! solutions: quadrature, the χ²_d closed form, the Mahalanobis formula, Monte Carlo,
//! determinant formulas, and the DPI / initialization-error properties (tv-methodology §1.7,
//! §4.6, §4.7). All random parameters come from fixed seeds; tolerances are set from the exact
//! solutions, and the measured errors are printed (`--nocapture`).

use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use randmid::Error;
use randmid::quad::gauss_legendre;
use randmid::rng::{SampleRng, fill_normal, normal, stream_rng, uniform01};
use randmid::tv::oracle::*;
use statrs::function::gamma::ln_gamma;

// ---------------------------------------------------------------------------------------------
// Helpers (independent of the oracle's code paths)
// ---------------------------------------------------------------------------------------------

fn npdf(x: f64, m: f64, s: f64) -> f64 {
    (-0.5 * ((x - m) / s).powi(2)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt())
}

/// `∫ f` over `[lo, hi]` by 20-point Gauss–Legendre on panels of width ≤ `h`, with extra
/// breakpoints (sorted, inside the range) where `f` has kinks.
fn composite(f: &impl Fn(f64) -> f64, lo: f64, hi: f64, h: f64, breaks: &[f64]) -> f64 {
    let (x, w) = gauss_legendre(20);
    let mut edges = vec![lo];
    edges.extend(breaks.iter().copied().filter(|&b| b > lo && b < hi));
    edges.push(hi);
    let mut total = 0.0;
    for seg in edges.windows(2) {
        let n = ((seg[1] - seg[0]) / h).ceil().max(1.0) as usize;
        let step = (seg[1] - seg[0]) / n as f64;
        for p in 0..n {
            let left = seg[0] + p as f64 * step;
            total += step * x.iter().zip(&w).map(|(&t, &wt)| wt * f(left + t * step)).sum::<f64>();
        }
    }
    total
}

/// Roots of `ln p₁ − ln p₂` in `[lo, hi]`: sign changes on a fine grid, refined by bisection.
fn crossings(m1: f64, s1: f64, m2: f64, s2: f64, lo: f64, hi: f64) -> Vec<f64> {
    let g = |x: f64| -0.5 * ((x - m1) / s1).powi(2) + 0.5 * ((x - m2) / s2).powi(2) + (s2 / s1).ln();
    let n = 200_000;
    let mut roots = Vec::new();
    for i in 0..n {
        let (mut a, mut b) = (
            lo + (hi - lo) * i as f64 / n as f64,
            lo + (hi - lo) * (i + 1) as f64 / n as f64,
        );
        if g(a).signum() == g(b).signum() {
            continue;
        }
        for _ in 0..200 {
            let mid = 0.5 * (a + b);
            if g(mid).signum() == g(a).signum() {
                a = mid
            } else {
                b = mid
            }
        }
        roots.push(0.5 * (a + b));
    }
    roots
}

/// `½ ∫ |p₁ − p₂|` by quadrature split at the crossing points.
fn tv_1d_quadrature(m1: f64, s1: f64, m2: f64, s2: f64) -> f64 {
    let (lo, hi) = (m1.min(m2) - 40.0 * s1.max(s2), m1.max(m2) + 40.0 * s1.max(s2));
    let br = crossings(m1, s1, m2, s2, lo, hi);
    0.5 * composite(
        &|x| (npdf(x, m1, s1) - npdf(x, m2, s2)).abs(),
        lo,
        hi,
        0.25 * s1.min(s2),
        &br,
    )
}

/// The 1-D test grid: `(m₁, s₁) = (0, 1)` against these `(m₂, s₂)`: equal variances, tiny and
/// large differences in either parameter.
fn grid_1d() -> Vec<(f64, f64)> {
    let mut g = Vec::new();
    for m2 in [0.0, 1e-8, 1e-3, 0.3, 1.0, 3.0, -7.0] {
        for s2 in [1.0, 1.0 + 1e-9, 1.0 + 1e-4, 1.1, 0.5, 3.0, 0.05] {
            if m2 != 0.0 || s2 != 1.0 {
                g.push((m2, s2));
            }
        }
    }
    g
}

fn rng(seed: u64) -> SampleRng {
    stream_rng(seed, 0)
}

fn uniform(r: &mut SampleRng, a: f64, b: f64) -> f64 {
    a + (b - a) * uniform01(r)
}

/// A random orthogonal matrix: Q of the QR factorization of a Gaussian matrix.
fn random_orthogonal(d: usize, r: &mut SampleRng) -> DMatrix<f64> {
    let g = DMatrix::from_fn(d, d, |_, _| normal(r));
    g.qr().q()
}

/// Random SPD matrix `B Bᵀ/d + 0.2 I`.
fn random_spd(d: usize, r: &mut SampleRng) -> DMatrix<f64> {
    let b = DMatrix::from_fn(d, d, |_, _| normal(r));
    &b * b.transpose() / d as f64 + DMatrix::identity(d, d) * 0.2
}

fn diag(v: &[f64]) -> DMatrix<f64> {
    DMatrix::from_diagonal(&DVector::from_column_slice(v))
}

// ---------------------------------------------------------------------------------------------
// 1-D closed form
// ---------------------------------------------------------------------------------------------

#[test]
fn closed_form_1d_matches_quadrature() {
    let mut worst: f64 = 0.0;
    for (m2, s2) in grid_1d() {
        let exact = tv_gaussian_1d(0.0, 1.0, m2, s2).unwrap();
        let quad = tv_1d_quadrature(0.0, 1.0, m2, s2);
        assert!(
            (exact - quad).abs() < 1e-10,
            "m2={m2} s2={s2}: closed {exact:e} vs quadrature {quad:e}"
        );
        // symmetric in its arguments
        assert!((tv_gaussian_1d(m2, s2, 0.0, 1.0).unwrap() - exact).abs() < 1e-15);
        worst = worst.max((exact - quad).abs());
    }
    assert_eq!(tv_gaussian_1d(2.0, 0.7, 2.0, 0.7).unwrap(), 0.0);
    println!(
        "1-D closed form vs quadrature: max |diff| = {worst:.2e} over {} pairs",
        grid_1d().len()
    );
}

// ---------------------------------------------------------------------------------------------
// Imhof oracle against closed forms
// ---------------------------------------------------------------------------------------------

#[test]
fn imhof_matches_isotropic_chi2() {
    let mut worst: f64 = 0.0;
    for d in [1usize, 2, 64, 1024, 65_536] {
        for (a, b) in [(1.0, 1.0 + 1e-6), (1.0, 1.01), (1.0, 1.5), (2.0, 0.3), (0.5, 2.0)] {
            let chi2 = tv_isotropic_scale(d, a, b).unwrap();
            let imhof = tv_gaussians_diag(&vec![0.0; d], &vec![a; d], &vec![0.0; d], &vec![b; d]).unwrap();
            assert!((chi2 - imhof).abs() < 1e-10, "d={d} a={a} b={b}: {chi2:e} vs {imhof:e}");
            assert!((tv_isotropic_scale(d, b, a).unwrap() - chi2).abs() < 1e-15);
            worst = worst.max((chi2 - imhof).abs());
        }
    }
    println!("Imhof vs χ²_d closed form: max |diff| = {worst:.2e}");
    // a/b → 1 keeps relative accuracy (a CDF difference would lose it all). First order in
    // δ = b/a − 1: TV ≈ (y₂ − y₁) g_k(k) = δ k^k e^{−k} / Γ(k), k = d/2.
    for (d, delta) in [(64usize, 1e-9), (65_536, 1e-9), (65_536, 1e-12)] {
        let b = 1.0 + delta;
        let tv = tv_isotropic_scale(d, 1.0, b).unwrap();
        let imhof = tv_gaussians_diag(&vec![0.0; d], &vec![1.0; d], &vec![0.0; d], &vec![b; d]).unwrap();
        let k = 0.5 * d as f64;
        let first_order = (b - 1.0) * (k * k.ln() - k - ln_gamma(k)).exp();
        println!("d={d} δ={delta:e}: χ² {tv:.12e}, Imhof {imhof:.12e}, first order {first_order:.12e}");
        assert!((tv / first_order - 1.0).abs() < 1e-6, "first-order asymptote");
        assert!((imhof / tv - 1.0).abs() < 1e-6, "relative agreement at tiny TV");
    }
}

#[test]
fn imhof_matches_1d_closed_form() {
    let mut worst: f64 = 0.0;
    for (m2, s2) in grid_1d() {
        let closed = tv_gaussian_1d(0.0, 1.0, m2, s2).unwrap();
        let imhof = tv_gaussians_diag(&[0.0], &[1.0], &[m2], &[s2 * s2]).unwrap();
        let full = tv_gaussians(&[0.0], &diag(&[1.0]), &[m2], &diag(&[s2 * s2])).unwrap();
        assert!(
            (closed - imhof).abs() < 1e-11,
            "m2={m2} s2={s2}: {closed:e} vs {imhof:e}"
        );
        assert!((closed - full).abs() < 1e-11);
        worst = worst.max((closed - imhof).abs());
    }
    println!("Imhof (d = 1) vs 1-D closed form: max |diff| = {worst:.2e}");
}

#[test]
fn imhof_matches_mahalanobis_for_equal_covariances() {
    let mut r = rng(11);
    for d in [1usize, 3, 5, 40] {
        let s = random_spd(d, &mut r);
        let m1: Vec<f64> = (0..d).map(|_| normal(&mut r)).collect();
        let m2: Vec<f64> = (0..d).map(|_| 0.5 * normal(&mut r)).collect();
        let dm = DVector::from_iterator(d, m1.iter().zip(&m2).map(|(a, b)| a - b));
        let maha = (dm.transpose() * s.clone().cholesky().unwrap().solve(&dm))[0].sqrt();
        let exact = tv_gaussian_equal_cov(maha).unwrap();
        // full path: S₂ = S + 1e-13·E (E symmetric, random) makes λ ~ 1e-13, not exactly 0, so
        // the inversion integral runs in its near-degenerate regime (TV moves by ≪ 1e-10).
        let e = DMatrix::from_fn(d, d, |_, _| normal(&mut r));
        let s2 = &s + (&e + e.transpose()) * 0.5e-13;
        let full = tv_gaussians(&m1, &s, &m2, &s2).unwrap();
        assert_eq!(tv_gaussians(&m1, &s, &m2, &s).unwrap(), exact);
        assert!((full - exact).abs() < 1e-10, "d={d}: {full:e} vs {exact:e}");
        // diagonal path with equal variances: exact short-cut.
        let v: Vec<f64> = (0..d).map(|i| s[(i, i)]).collect();
        let dv = tv_gaussians_diag(&m1, &v, &m2, &v).unwrap();
        let maha_d = m1
            .iter()
            .zip(&m2)
            .zip(&v)
            .map(|((a, b), v)| (a - b).powi(2) / v)
            .sum::<f64>()
            .sqrt();
        assert!((dv - tv_gaussian_equal_cov(maha_d).unwrap()).abs() < 1e-15);
        println!(
            "equal covariance d={d}: Δ={maha:.4}, TV={exact:.12}, |Imhof − 2Φ(Δ/2)+1| = {:.1e}",
            (full - exact).abs()
        );
    }
}

#[test]
fn rotation_invariance() {
    let mut r = rng(12);
    for d in [2usize, 8, 32, 200] {
        let q = random_orthogonal(d, &mut r);
        // per-coordinate perturbations shrink like 1/√d so that TV stays away from 0 and 1
        let scale = (8.0 / d as f64).sqrt().min(1.0);
        let v1: Vec<f64> = (0..d).map(|_| uniform(&mut r, 0.3, 3.0)).collect();
        let v2: Vec<f64> = v1.iter().map(|v| v * (0.5 * scale * normal(&mut r)).exp()).collect();
        let m1: Vec<f64> = (0..d).map(|_| normal(&mut r)).collect();
        let m2: Vec<f64> = m1.iter().map(|m| m + 0.3 * scale * normal(&mut r)).collect();
        let tv_diag = tv_gaussians_diag(&m1, &v1, &m2, &v2).unwrap();
        let rot = |v: &[f64]| &q * diag(v) * q.transpose();
        let mv = |m: &[f64]| {
            (&q * DVector::from_column_slice(m))
                .iter()
                .copied()
                .collect::<Vec<f64>>()
        };
        let tv_full = tv_gaussians(&mv(&m1), &rot(&v1), &mv(&m2), &rot(&v2)).unwrap();
        assert!((tv_full - tv_diag).abs() < 1e-9, "d={d}: {tv_full} vs {tv_diag}");
        let bc_d = bhattacharyya_diag(&m1, &v1, &m2, &v2).unwrap();
        let bc_f = bhattacharyya(&mv(&m1), &rot(&v1), &mv(&m2), &rot(&v2)).unwrap();
        assert!((bc_f - bc_d).abs() < 1e-12);
        let kl_d = kl_gaussians_diag(&m1, &v1, &m2, &v2).unwrap();
        let kl_f = kl_gaussians(&mv(&m1), &rot(&v1), &mv(&m2), &rot(&v2)).unwrap();
        assert!((kl_f - kl_d).abs() < 1e-11 * kl_d.max(1.0));
        println!(
            "rotation d={d}: TV={tv_diag:.12}, |full − diag| = {:.1e}",
            (tv_full - tv_diag).abs()
        );
    }
}

#[test]
fn product_with_one_differing_coordinate_equals_1d() {
    let d = 16;
    let mut r = rng(13);
    let m: Vec<f64> = (0..d).map(|_| normal(&mut r)).collect();
    let v: Vec<f64> = (0..d).map(|_| uniform(&mut r, 0.5, 2.0)).collect();
    for (dm, ratio) in [(0.0, 1.3), (0.7, 1.0), (0.4, 0.6), (2.0, 4.0), (1e-4, 1.0 + 1e-6)] {
        let (mut m2, mut v2) = (m.clone(), v.clone());
        m2[5] += dm;
        v2[5] *= ratio;
        let one = tv_gaussian_1d(m[5], v[5].sqrt(), m2[5], v2[5].sqrt()).unwrap();
        let prod = tv_gaussians_diag(&m, &v, &m2, &v2).unwrap();
        let full = tv_gaussians(&m, &diag(&v), &m2, &diag(&v2)).unwrap();
        assert!((prod - one).abs() < 1e-12, "{prod:e} vs {one:e}");
        assert!((full - one).abs() < 1e-11);
    }
}

#[test]
fn monte_carlo_agrees_on_random_anisotropic_diagonal_pair() {
    let d = 64;
    let mut r = rng(14);
    let m1: Vec<f64> = (0..d).map(|_| 0.03 * normal(&mut r)).collect();
    let v1: Vec<f64> = (0..d).map(|_| uniform(&mut r, 0.5, 2.0)).collect();
    let m2 = vec![0.0; d];
    let v2: Vec<f64> = v1.iter().map(|v| v * (0.12 * normal(&mut r)).exp()).collect();
    let oracle = tv_gaussians_diag(&m1, &v1, &m2, &v2).unwrap();
    // TV = E_{x~P₂}[(1 − p₁/p₂)₊] with n exact draws from P₂.
    let n = 200_000;
    let mut rs = stream_rng(15, 0);
    let mut z = vec![0.0; d];
    let (mut sum, mut sum2) = (0.0, 0.0);
    for _ in 0..n {
        fill_normal(&mut rs, &mut z);
        let mut llr = 0.0;
        for j in 0..d {
            let x = m2[j] + v2[j].sqrt() * z[j];
            llr += -0.5 * (x - m1[j]).powi(2) / v1[j] + 0.5 * z[j] * z[j] + 0.5 * (v2[j] / v1[j]).ln();
        }
        let h = (-llr.exp_m1()).max(0.0);
        sum += h;
        sum2 += h * h;
    }
    let mean = sum / n as f64;
    let se = ((sum2 / n as f64 - mean * mean) / n as f64).sqrt();
    println!(
        "MC d={d}: oracle {oracle:.6}, MC {mean:.6} ± {se:.6} (z = {:.2})",
        (mean - oracle) / se
    );
    assert!(oracle > 0.05 && oracle < 0.5);
    assert!((mean - oracle).abs() < 4.0 * se);
}

// ---------------------------------------------------------------------------------------------
// Hellinger, KL, LAN
// ---------------------------------------------------------------------------------------------

#[test]
fn bhattacharyya_matches_quadrature_1d() {
    let mut worst: f64 = 0.0;
    for (m2, s2) in grid_1d() {
        let (lo, hi) = (m2.min(0.0) - 40.0 * s2.max(1.0), m2.max(0.0) + 40.0 * s2.max(1.0));
        let quad = composite(
            &|x| (npdf(x, 0.0, 1.0) * npdf(x, m2, s2)).sqrt(),
            lo,
            hi,
            0.25 * s2.min(1.0),
            &[],
        );
        let bc = bhattacharyya_diag(&[0.0], &[1.0], &[m2], &[s2 * s2]).unwrap();
        let h2 = hellinger2_diag(&[0.0], &[1.0], &[m2], &[s2 * s2]).unwrap();
        assert!((bc - quad).abs() < 1e-13, "m2={m2} s2={s2}: {bc} vs {quad}");
        assert!((h2 - (1.0 - bc)).abs() < 1e-15);
        worst = worst.max((bc - quad).abs());
    }
    println!("BC closed form vs quadrature (1-D): max |diff| = {worst:.2e}");
}

#[test]
fn hellinger_tensorizes_for_diagonal_gaussians() {
    let mut r = rng(16);
    let d = 12;
    let m1: Vec<f64> = (0..d).map(|_| normal(&mut r)).collect();
    let m2: Vec<f64> = (0..d).map(|_| normal(&mut r)).collect();
    let v1: Vec<f64> = (0..d).map(|_| uniform(&mut r, 0.2, 3.0)).collect();
    let v2: Vec<f64> = (0..d).map(|_| uniform(&mut r, 0.2, 3.0)).collect();
    let bc = bhattacharyya_diag(&m1, &v1, &m2, &v2).unwrap();
    let h2_i: Vec<f64> = (0..d)
        .map(|j| hellinger2_diag(&m1[j..=j], &v1[j..=j], &m2[j..=j], &v2[j..=j]).unwrap())
        .collect();
    let bc_prod: f64 = (0..d)
        .map(|j| bhattacharyya_diag(&m1[j..=j], &v1[j..=j], &m2[j..=j], &v2[j..=j]).unwrap())
        .product();
    assert!((bc - bc_prod).abs() < 1e-14 * bc.max(1e-300) + 1e-300);
    let h2 = hellinger2_diag(&m1, &v1, &m2, &v2).unwrap();
    assert!((hellinger2_product(&h2_i).unwrap() - h2).abs() < 1e-14);
    // and the full-covariance determinant formula agrees
    let bc_full = bhattacharyya(&m1, &diag(&v1), &m2, &diag(&v2)).unwrap();
    assert!((bc_full - bc).abs() < 1e-14);
}

#[test]
fn bhattacharyya_and_kl_match_determinant_formulas() {
    let mut r = rng(17);
    for d in [1usize, 3, 6] {
        let (s1, s2) = (random_spd(d, &mut r), random_spd(d, &mut r));
        let m1: Vec<f64> = (0..d).map(|_| normal(&mut r)).collect();
        let m2: Vec<f64> = (0..d).map(|_| normal(&mut r)).collect();
        let dm = DVector::from_iterator(d, m1.iter().zip(&m2).map(|(a, b)| b - a));
        let sbar = (&s1 + &s2) * 0.5;
        let q = (dm.transpose() * sbar.clone().try_inverse().unwrap() * &dm)[0];
        let bc =
            (s1.determinant().powf(0.25) * s2.determinant().powf(0.25) / sbar.determinant().sqrt()) * (-q / 8.0).exp();
        assert!((bhattacharyya(&m1, &s1, &m2, &s2).unwrap() - bc).abs() < 1e-13);
        let s2inv = s2.clone().try_inverse().unwrap();
        let kl = 0.5
            * ((&s2inv * &s1).trace() - d as f64
                + (dm.transpose() * &s2inv * &dm)[0]
                + (s2.determinant() / s1.determinant()).ln());
        assert!((kl_gaussians(&m1, &s1, &m2, &s2).unwrap() - kl).abs() < 1e-12 * kl.max(1.0));
        let s1inv = s1.clone().try_inverse().unwrap();
        let j = 0.5 * ((&s2inv * &s1).trace() + (&s1inv * &s2).trace() - 2.0 * d as f64)
            + 0.5 * (dm.transpose() * (&s1inv + &s2inv) * &dm)[0];
        assert!((jeffreys(&m1, &s1, &m2, &s2).unwrap() - j).abs() < 1e-12 * j.max(1.0));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    /// Le Cam: H² ≤ TV ≤ √(H²(2 − H²)); Pinsker and Bretagnolle–Huber upper bounds.
    #[test]
    fn le_cam_pinsker_bounds_hold(
        params in proptest::collection::vec((-2.0..2.0f64, 0.2..3.0f64, -2.0..2.0f64, 0.2..3.0f64), 1..6)
    ) {
        let m1: Vec<f64> = params.iter().map(|p| p.0).collect();
        let v1: Vec<f64> = params.iter().map(|p| p.1).collect();
        let m2: Vec<f64> = params.iter().map(|p| p.2).collect();
        let v2: Vec<f64> = params.iter().map(|p| p.3).collect();
        let tv = tv_gaussians_diag(&m1, &v1, &m2, &v2).unwrap();
        let h2 = hellinger2_diag(&m1, &v1, &m2, &v2).unwrap();
        let (lo, hi) = le_cam_bounds(h2).unwrap();
        prop_assert!(lo <= tv + 1e-10, "H² {lo} > TV {tv}");
        prop_assert!(tv <= hi + 1e-10, "TV {tv} > {hi}");
        let kl = kl_gaussians_diag(&m1, &v1, &m2, &v2).unwrap();
        prop_assert!(tv <= pinsker_bound(kl).unwrap() + 1e-10);
        prop_assert!(tv <= bretagnolle_huber_bound(kl).unwrap() + 1e-10);
    }
}

#[test]
fn lan_is_within_5_percent_for_small_per_coordinate_perturbations() {
    // d-fold products of small per-coordinate scale perturbations, sized for TV ≈ 0.03–0.1.
    let mut r = rng(18);
    for (d, target) in [(64usize, 0.1), (1024, 0.1), (1024, 0.03), (16_384, 0.05)] {
        // isotropic: N(0, I) vs N(0, (1 + δ) I) with TV ≈ √(d/4π) δ
        let delta = target / (d as f64 / (4.0 * std::f64::consts::PI)).sqrt();
        let z = vec![0.0; d];
        let (one, pert) = (vec![1.0; d], vec![1.0 + delta; d]);
        let exact = tv_isotropic_scale(d, 1.0, 1.0 + delta).unwrap();
        let lan = tv_lan(jeffreys_diag(&z, &one, &z, &pert).unwrap()).unwrap();
        println!(
            "LAN isotropic d={d}: δ={delta:.3e}, exact {exact:.6}, LAN {lan:.6}, rel {:+.4}",
            lan / exact - 1.0
        );
        assert!(exact <= 0.1 && (lan / exact - 1.0).abs() < 0.05);
        // heterogeneous: per-coordinate variance ratios 1 + δ_j (random sign and size), small shifts
        let pert: Vec<f64> = (0..d)
            .map(|_| 1.0 + delta * (0.5 + uniform01(&mut r)) * normal(&mut r).signum())
            .collect();
        let shift: Vec<f64> = (0..d).map(|_| 0.3 * delta * normal(&mut r)).collect();
        let exact = tv_gaussians_diag(&z, &one, &shift, &pert).unwrap();
        let lan = tv_lan(jeffreys_diag(&z, &one, &shift, &pert).unwrap()).unwrap();
        println!(
            "LAN mixed     d={d}: exact {exact:.6}, LAN {lan:.6}, rel {:+.4}",
            lan / exact - 1.0
        );
        assert!(exact <= 0.15 && (lan / exact - 1.0).abs() < 0.05);
    }
}

// ---------------------------------------------------------------------------------------------
// Properties of the paper's lemmas (tv-methodology §4.6, §4.7)
// ---------------------------------------------------------------------------------------------

fn spd_from(entries: &[f64], d: usize) -> DMatrix<f64> {
    let b = DMatrix::from_column_slice(d, d, &entries[..d * d]);
    &b * b.transpose() + DMatrix::identity(d, d) * 0.1
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    })]

    /// DPI: TV(Kμ, Kν) ≤ TV(μ, ν) for the linear-Gaussian kernel K(x) = A x + b + C z, with
    /// Kμ = N(A m + b, A S Aᵀ + C Cᵀ); also for the projection x ↦ θ·x.
    #[test]
    fn data_processing_inequality(
        d_in in 1usize..=4,
        d_out in 1usize..=4,
        e in proptest::collection::vec(-1.0..1.0f64, 64),
    ) {
        let s1 = spd_from(&e[0..], d_in);
        let s2 = spd_from(&e[16..], d_in);
        let m1: Vec<f64> = e[32..32 + d_in].to_vec();
        let m2: Vec<f64> = e[36..36 + d_in].iter().map(|x| 1.5 * x).collect();
        let a = DMatrix::from_column_slice(d_out, d_in, &e[40..40 + d_out * d_in]) * 1.5;
        let b = DVector::from_column_slice(&e[56..56 + d_out]);
        let c = DMatrix::from_fn(d_out, d_out, |i, j| if i == j { 0.2 + e[60 + i % 4].abs() } else { 0.1 * e[60 + j % 4] });
        let cc = &c * c.transpose();
        let push = |m: &[f64], s: &DMatrix<f64>| {
            let mk = &a * DVector::from_column_slice(m) + &b;
            (mk.iter().copied().collect::<Vec<f64>>(), &a * s * a.transpose() + &cc)
        };
        let (km1, ks1) = push(&m1, &s1);
        let (km2, ks2) = push(&m2, &s2);
        let tv = tv_gaussians(&m1, &s1, &m2, &s2).unwrap();
        let tv_k = tv_gaussians(&km1, &ks1, &km2, &ks2).unwrap();
        prop_assert!(tv_k <= tv + 1e-9, "TV(Kμ,Kν) = {tv_k} > TV(μ,ν) = {tv}");
        let theta = DVector::from_column_slice(&e[0..d_in]);
        let proj = |m: &[f64], s: &DMatrix<f64>| {
            ((theta.transpose() * DVector::from_column_slice(m))[0], (theta.transpose() * s * &theta)[0].sqrt())
        };
        let ((p1, q1), (p2, q2)) = (proj(&m1, &s1), proj(&m2, &s2));
        if q1 > 1e-6 && q2 > 1e-6 {
            prop_assert!(tv_gaussian_1d(p1, q1, p2, q2).unwrap() <= tv + 1e-9);
        }
    }
}

/// `TV(q_T, N(0, I))` for `q = N(μ, diag Σ)`: `q_T = N(e^{−T} μ, e^{−2T} Σ + (1 − e^{−2T}) I)`.
fn init_tv(mu: &[f64], sigma: &[f64], t: f64) -> f64 {
    let d = mu.len();
    let mt: Vec<f64> = mu.iter().map(|m| (-t).exp() * m).collect();
    let vt: Vec<f64> = sigma.iter().map(|s| 1.0 + (-2.0 * t).exp() * (s - 1.0)).collect();
    tv_gaussians_diag(&mt, &vt, &vec![0.0; d], &vec![1.0; d]).unwrap()
}

#[test]
fn initialization_error_bound_and_decay_rates() {
    let e = std::f64::consts::E;
    for d in [1usize, 16, 256, 4096] {
        let mut r = rng(19 + d as u64);
        let mu: Vec<f64> = (0..d).map(|_| 0.5 * normal(&mut r)).collect();
        let sigma: Vec<f64> = (0..d).map(|_| uniform(&mut r, 0.25, 4.0)).collect();
        let norm_mu = mu.iter().map(|x| x * x).sum::<f64>().sqrt();
        let m2 = (norm_mu * norm_mu + sigma.iter().sum::<f64>()).sqrt();
        for t in [0.5, 1.0, 2.0, 5.0, 10.0] {
            let tv = init_tv(&mu, &sigma, t);
            let bound = ((d as f64).sqrt() + m2) * (-t).exp();
            assert!(tv <= bound, "d={d} T={t}: TV {tv} > bound {bound}");
        }
        // μ ≠ 0: TV ∝ e^{−T}, TV·e^T → ‖μ‖/√(2π)
        let (t9, t10) = (init_tv(&mu, &sigma, 9.0), init_tv(&mu, &sigma, 10.0));
        let limit = norm_mu / (2.0 * std::f64::consts::PI).sqrt();
        println!(
            "init d={d}: TV(10)/TV(9)·e = {:.5}, TV(10)·e^10/(‖μ‖/√2π) = {:.5}",
            t10 / t9 * e,
            t10 * 10f64.exp() / limit
        );
        assert!((t10 / t9 * e - 1.0).abs() < 0.02);
        assert!((t10 * 10f64.exp() / limit - 1.0).abs() < 0.02);
        // μ = 0: TV ∝ e^{−2T}
        let zero = vec![0.0; d];
        let (t4, t5) = (init_tv(&zero, &sigma, 4.0), init_tv(&zero, &sigma, 5.0));
        println!(
            "init d={d}, μ = 0: TV(5) = {t5:.4e}, TV(5)/TV(4)·e² = {:.5}",
            t5 / t4 * e * e
        );
        assert!((t5 / t4 * e * e - 1.0).abs() < 0.02);
    }
}

// ---------------------------------------------------------------------------------------------
// Input validation: typed errors, never a panic
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_input_gives_typed_errors() {
    assert!(matches!(
        tv_gaussian_1d(0.0, -1.0, 0.0, 1.0),
        Err(Error::InvalidParameter { name: "s1", .. })
    ));
    assert!(matches!(
        tv_gaussian_1d(f64::NAN, 1.0, 0.0, 1.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        tv_gaussian_equal_cov(-0.1),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        tv_isotropic_scale(0, 1.0, 2.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        tv_isotropic_scale(3, 0.0, 2.0),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        tv_gaussians_diag(&[0.0, 1.0], &[1.0, 1.0], &[0.0], &[1.0, 1.0]),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        tv_gaussians_diag(&[0.0], &[0.0], &[0.0], &[1.0]),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        tv_gaussians_diag(&[], &[], &[], &[]),
        Err(Error::InvalidParameter { .. })
    ));
    let not_pd = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
    let id = DMatrix::identity(2, 2);
    assert!(matches!(
        tv_gaussians(&[0.0, 0.0], &not_pd, &[0.0, 0.0], &id),
        Err(Error::NotPositiveDefinite { .. })
    ));
    assert!(matches!(
        kl_gaussians(&[0.0, 0.0], &id, &[0.0, 0.0], &not_pd),
        Err(Error::NotPositiveDefinite { .. })
    ));
    let asym = DMatrix::from_row_slice(2, 2, &[1.0, 0.1, 0.0, 1.0]);
    assert!(matches!(
        bhattacharyya(&[0.0, 0.0], &asym, &[0.0, 0.0], &id),
        Err(Error::NotPositiveDefinite { .. })
    ));
    assert!(matches!(
        tv_gaussians(&[0.0], &id, &[0.0], &id),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        hellinger2_product(&[0.1, 1.5]),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(le_cam_bounds(-0.1), Err(Error::InvalidParameter { .. })));
    assert!(matches!(
        pinsker_bound(f64::INFINITY),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(tv_lan(-1.0), Err(Error::InvalidParameter { .. })));
    // identical laws: 0 (exactly on the diagonal path; λ ~ 1e-16 on the full path)
    assert_eq!(
        tv_gaussians_diag(&[1.0, 2.0], &[0.5, 2.0], &[1.0, 2.0], &[0.5, 2.0]).unwrap(),
        0.0
    );
    let s = random_spd(3, &mut rng(20));
    assert!(tv_gaussians(&[1.0, 2.0, 3.0], &s, &[1.0, 2.0, 3.0], &s).unwrap() < 1e-12);
}
