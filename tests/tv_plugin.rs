//! Histogram plug-in TV (src/tv/plugin.rs) against exact laws: null floors, known TVs, exact
//! binned TVs, the split-sample bound, pooling, bin masses and input errors
//! (tv-methodology.md §1.2–§1.3).
//!
//! Every statistical test uses fixed seeds and tolerances decided in advance; replicate loops
//! run in parallel with rayon but collect in replicate order, so every number is deterministic.

use randmid::special::erfc;
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal}; // full precision (statrs 0.19 erfc is off by ~5e-11 relative in the tail)

use randmid::Error;
use randmid::driver::sample_exact;
use randmid::metrics::Mixture1d;
use randmid::target::{Gaussian, GaussianMixture, Law1d, Product, Target};
use randmid::tv::TvEstimate;
use randmid::tv::plugin::{
    BoxLaw, HistGrid, clopper_pearson, discrete_tv, noise_floor, tv_hist, tv_hist_1d, tv_pooled_1d, tv_split,
    tv_split_1d,
};

// ----------------------------------------------------------------------------------------------
// helpers
// ----------------------------------------------------------------------------------------------

/// `n` exact draws of the target's data law (`t = 0`) or of `q_t`.
fn draws<T: Target>(target: &T, t: f64, n: usize, seed: u64) -> Vec<f64> {
    sample_exact(target, t, n, seed)
}

/// Mean and Monte Carlo standard error of `f(r)` over replicates `r = 0..reps`.
fn replicate(reps: u64, f: impl Fn(u64) -> f64 + Sync + Send) -> (f64, f64) {
    let v: Vec<f64> = (0..reps).into_par_iter().map(f).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// `Φ(x)` for the standard normal.
fn std_normal_cdf(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

/// The null-floor check: mean TV̂ over replicates against the formula, tolerance
/// `max(3 % of the floor, 4 SE of the replicate mean)`.
fn assert_null_floor(label: &str, floor: f64, mean: f64, se: f64) {
    let tol = (0.03 * floor).max(4.0 * se);
    println!(
        "{label}: floor {floor:.5}, mean TV̂ {mean:.5} (SE {se:.5}), rel. diff {:+.4}, tol {tol:.5}",
        mean / floor - 1.0
    );
    assert!((mean - floor).abs() <= tol, "{label}: |{mean} − {floor}| > {tol}");
}

/// 1-D bimodal `½N(−2, 0.25) + ½N(2, 0.25)` as a target and as its `Mixture1d`.
fn bimodal_1d() -> (Product, Mixture1d) {
    let target = Product::iid(Law1d::bimodal(2.0, 0.5).unwrap(), 1).unwrap();
    let law = Mixture1d::new(vec![0.5, 0.5], vec![-2.0, 2.0], vec![0.5, 0.5]).unwrap();
    (target, law)
}

/// A 2-component diagonal mixture in 2-D with unequal weights and covariances.
fn mixture_2d(shift: f64) -> GaussianMixture {
    GaussianMixture::diagonal(
        vec![0.3, 0.7],
        vec![vec![-1.5 + shift, 1.0], vec![1.5 + shift, -0.5]],
        vec![vec![0.5, 1.0], vec![1.0, 0.3]],
    )
    .unwrap()
}

/// A 2-component diagonal mixture in 3-D.
fn mixture_3d() -> GaussianMixture {
    GaussianMixture::diagonal(
        vec![0.4, 0.6],
        vec![vec![-1.5, 1.0, 0.0], vec![1.5, -0.5, 1.0]],
        vec![vec![0.5, 1.0, 0.7], vec![1.0, 0.3, 1.2]],
    )
    .unwrap()
}

/// The shift `δ` with `TV(N(δ, 1), N(0, 1)) = 2Φ(δ/2) − 1 = tv`.
fn shift_for_tv(tv: f64) -> f64 {
    2.0 * Normal::standard().inverse_cdf(0.5 * (1.0 + tv))
}

// ----------------------------------------------------------------------------------------------
// 1-D
// ----------------------------------------------------------------------------------------------

/// Null floor in 1-D: exact samples of a bimodal law, B = 50, n = 10⁴, R = 400 replicates.
/// Formula √(B(1 − 1/B)/(2πn)) = 0.027926 (tv-methodology.md: 0.02793; the exact binomial mean
/// absolute deviation gives 0.027914). The per-replicate sd is ≈ 0.003, so the SE of the mean
/// is ≈ 1.5e-4 (0.55 %); tolerance max(3 %, 4 SE).
#[test]
fn null_floor_1d_matches_formula() {
    let (target, law) = bimodal_1d();
    let (bins, n) = (50, 10_000);
    let floor = (bins as f64 * (1.0 - 1.0 / bins as f64) / (2.0 * std::f64::consts::PI * n as f64)).sqrt();
    assert!((floor - 0.02793).abs() < 5e-6);
    let first = tv_hist_1d(&draws(&target, 0.0, n, 1000), &law, bins).unwrap();
    assert!((first.floor - floor).abs() < 1e-15, "{} vs {floor}", first.floor);
    assert!(!first.resolved);
    let (mean, se) = replicate(400, |r| {
        tv_hist_1d(&draws(&target, 0.0, n, 1000 + r), &law, bins).unwrap().tv
    });
    assert_null_floor("null 1-D bimodal (B = 50, n = 1e4, R = 400)", floor, mean, se);
}

/// Known TV: N(δ, 1) against N(0, 1) with 2Φ(δ/2) − 1 = 0.1, n = 10⁶, B = 50. The exact binned
/// TV (normal CDFs on the PIT bins) must be ≤ the exact TV (DPI), and
/// |TV̂ − binned TV| ≤ 4 SE + floor.
#[test]
fn known_tv_1d_against_exact_binned_tv() {
    let (bins, n) = (50, 1_000_000);
    let delta = shift_for_tv(0.1);
    let exact = 2.0 * std_normal_cdf(0.5 * delta) - 1.0;
    assert!((exact - 0.1).abs() < 1e-12);
    let pi = BoxLaw::product(vec![Mixture1d::gaussian(0.0, 1.0).unwrap()]).unwrap();
    let mu = BoxLaw::product(vec![Mixture1d::gaussian(delta, 1.0).unwrap()]).unwrap();
    let grid = HistGrid::equiprobable(&pi, bins).unwrap();
    let binned = discrete_tv(&grid.masses(&mu).unwrap(), &grid.masses(&pi).unwrap());
    let xs = draws(&Gaussian::isotropic(1, delta, 1.0).unwrap(), 0.0, n, 7);
    let est = tv_hist_1d(&xs, &Mixture1d::gaussian(0.0, 1.0).unwrap(), bins).unwrap();
    println!(
        "known TV 1-D: exact {exact:.5}, binned {binned:.5}, TV̂ {:.5} (SE {:.5}, floor {:.5})",
        est.tv, est.se, est.floor
    );
    assert!(binned <= exact, "DPI: binned {binned} > exact {exact}");
    assert!(est.resolved);
    assert!((est.tv - binned).abs() <= 4.0 * est.se + est.floor);
    let as_estimate: TvEstimate = est.clone().into();
    assert_eq!(as_estimate.estimator, "histogram-1d (B = 50)");
    assert_eq!((as_estimate.tv, as_estimate.se), (est.tv, est.se));
    assert!((as_estimate.ci_high - as_estimate.ci_low - 2.0 * 1.96 * est.se).abs() < 1e-15);
}

// ----------------------------------------------------------------------------------------------
// 2-D and 3-D
// ----------------------------------------------------------------------------------------------

/// Null floor of `tv_hist` for exact samples of `target` at time `t` (R = 200 replicates).
fn null_floor_nd<T: Target + Sync>(label: &str, target: &T, law: &BoxLaw, t: f64, bins: usize, n: usize) {
    let p = HistGrid::equiprobable(law, bins).unwrap().masses(law).unwrap();
    let floor = noise_floor(&p, n);
    let first = tv_hist(&draws(target, t, n, 500), law, bins).unwrap();
    assert!((first.floor - floor).abs() < 1e-15);
    let (mean, se) = replicate(200, |r| tv_hist(&draws(target, t, n, 500 + r), law, bins).unwrap().tv);
    assert_null_floor(label, floor, mean, se);
}

/// 2-D null floors: a bimodal product (equiprobable cells, floor √(B²(1 − 1/B²)/(2πn))) and a
/// 2-component diagonal mixture at t = 0.2 (unequal cells, smallest p_b ≈ 2e-5); B = 10 per axis,
/// n = 10⁴, R = 200, tolerance max(3 %, 4 SE).
#[test]
fn null_floor_2d_product_and_mixture() {
    let prod = Product::iid(Law1d::bimodal(2.0, 0.5).unwrap(), 2).unwrap();
    let law = BoxLaw::from_product(&prod, 0.0).unwrap();
    let equi = (100.0 * (1.0 - 0.01) / (2.0 * std::f64::consts::PI * 1e4)).sqrt();
    let p = HistGrid::equiprobable(&law, 10).unwrap().masses(&law).unwrap();
    assert!((noise_floor(&p, 10_000) - equi).abs() < 1e-12);
    null_floor_nd(
        "null 2-D bimodal product (B = 10², n = 1e4)",
        &prod,
        &law,
        0.0,
        10,
        10_000,
    );
    let gm = mixture_2d(0.0);
    let law = BoxLaw::from_gaussian_mixture(&gm, 0.2).unwrap();
    null_floor_nd(
        "null 2-D diagonal mixture, t = 0.2 (B = 10², n = 1e4)",
        &gm,
        &law,
        0.2,
        10,
        10_000,
    );
}

/// 3-D null floors: bimodal product and a 2-component diagonal mixture; B = 6 per axis (216
/// cells), n = 2·10⁴, R = 200, tolerance max(3 %, 4 SE).
#[test]
fn null_floor_3d_product_and_mixture() {
    let prod = Product::iid(Law1d::bimodal(2.0, 0.5).unwrap(), 3).unwrap();
    let law = BoxLaw::from_product(&prod, 0.0).unwrap();
    null_floor_nd(
        "null 3-D bimodal product (B = 6³, n = 2e4)",
        &prod,
        &law,
        0.0,
        6,
        20_000,
    );
    let gm = mixture_3d();
    let law = BoxLaw::from_gaussian_mixture(&gm, 0.0).unwrap();
    null_floor_nd("null 3-D diagonal mixture (B = 6³, n = 2e4)", &gm, &law, 0.0, 6, 20_000);
}

/// 2-D shifted mixture (both means moved by 0.3 along axis 0) against the unshifted one:
/// TV̂ within 4 SE + floor of the exact binned TV from box masses; n = 2·10⁵, B = 10 per axis.
#[test]
fn shifted_2d_mixture_matches_exact_binned_tv() {
    let (bins, n) = (10, 200_000);
    let pi = BoxLaw::from_gaussian_mixture(&mixture_2d(0.0), 0.0).unwrap();
    let mu = BoxLaw::from_gaussian_mixture(&mixture_2d(0.3), 0.0).unwrap();
    let grid = HistGrid::equiprobable(&pi, bins).unwrap();
    let binned = discrete_tv(&grid.masses(&mu).unwrap(), &grid.masses(&pi).unwrap());
    let est = tv_hist(&draws(&mixture_2d(0.3), 0.0, n, 11), &pi, bins).unwrap();
    println!(
        "shifted 2-D mixture: binned {binned:.5}, TV̂ {:.5} (SE {:.5}, floor {:.5})",
        est.tv, est.se, est.floor
    );
    assert!(est.resolved);
    assert!((est.tv - binned).abs() <= 4.0 * est.se + est.floor);
    assert_eq!(est.estimator, "histogram-2d (B = 10 per axis, 100 cells)");
}

/// 3-D Gaussian shift N(δ, I) vs N(0, I), ‖δ‖ = 0.3: exact TV 2Φ(‖δ‖/2) − 1 = 0.1192; binned
/// TV ≤ exact (DPI) and |TV̂ − binned| ≤ 4 SE + floor; n = 4·10⁵, B = 8 per axis.
#[test]
fn shifted_3d_gaussian_matches_exact_binned_tv() {
    let (bins, n) = (8, 400_000);
    let delta = [0.2, -0.2, 0.1];
    let norm = delta.iter().map(|d| d * d).sum::<f64>().sqrt();
    let exact = 2.0 * std_normal_cdf(0.5 * norm) - 1.0;
    let pi = BoxLaw::from_gaussian(&Gaussian::isotropic(3, 0.0, 1.0).unwrap(), 0.0).unwrap();
    let target = Gaussian::diagonal(delta.to_vec(), vec![1.0; 3]).unwrap();
    let mu = BoxLaw::from_gaussian(&target, 0.0).unwrap();
    let grid = HistGrid::equiprobable(&pi, bins).unwrap();
    let binned = discrete_tv(&grid.masses(&mu).unwrap(), &grid.masses(&pi).unwrap());
    let est = tv_hist(&draws(&target, 0.0, n, 13), &pi, bins).unwrap();
    println!(
        "shifted 3-D Gaussian: exact {exact:.5}, binned {binned:.5}, TV̂ {:.5} (SE {:.5}, floor {:.5})",
        est.tv, est.se, est.floor
    );
    assert!(binned <= exact);
    assert!(est.resolved);
    assert!((est.tv - binned).abs() <= 4.0 * est.se + est.floor);
}

// ----------------------------------------------------------------------------------------------
// split-sample lower bound
// ----------------------------------------------------------------------------------------------

/// Split sample, 1-D, N(δ, 1) vs N(0, 1) with TV = 0.1, n = 10⁵, B = 50, R = 200 replicates.
/// For each replicate the quantity it estimates, μ(A) − π(A) (exact from normal CDFs), is
/// ≤ binned TV ≤ exact TV; the Clopper–Pearson 95 % interval covers it in ≥ 180 of 200
/// replicates (expected ≥ 190; sd ≈ 3.1); the mean of estimate − (μ(A) − π(A)) is 0 within 4 SE.
#[test]
fn split_sample_bound_covers_a_quantity_below_tv() {
    let (bins, n, reps) = (50, 100_000, 200u64);
    let delta = shift_for_tv(0.1);
    let std = Mixture1d::gaussian(0.0, 1.0).unwrap();
    let grid = HistGrid::equiprobable(&BoxLaw::product(vec![std.clone()]).unwrap(), bins).unwrap();
    let q = grid
        .masses(&BoxLaw::product(vec![Mixture1d::gaussian(delta, 1.0).unwrap()]).unwrap())
        .unwrap();
    let binned = discrete_tv(&q, &vec![1.0 / bins as f64; bins]);
    let target = Gaussian::isotropic(1, delta, 1.0).unwrap();
    let runs: Vec<(f64, f64, bool)> = (0..reps)
        .into_par_iter()
        .map(|r| {
            let s = tv_split_1d(&draws(&target, 0.0, n, 2000 + r), &std, bins).unwrap();
            let truth = q.iter().zip(&s.set).filter(|(_, a)| **a).map(|(qb, _)| qb).sum::<f64>() - s.set_mass;
            let covered = s.estimate.ci_low <= truth && truth <= s.estimate.ci_high;
            (s.estimate.tv, truth, covered)
        })
        .collect();
    assert!(runs.iter().all(|&(_, truth, _)| truth <= binned + 1e-15));
    assert!(binned <= 0.1);
    let covered = runs.iter().filter(|r| r.2).count();
    let (mean, se) = replicate(reps, |r| runs[r as usize].0 - runs[r as usize].1);
    let mean_truth = runs.iter().map(|r| r.1).sum::<f64>() / reps as f64;
    let mean_est = runs.iter().map(|r| r.0).sum::<f64>() / reps as f64;
    println!(
        "split 1-D: exact 0.1, binned {binned:.5}, mean μ(A)−π(A) {mean_truth:.5}, mean estimate {mean_est:.5}, \
         mean error {mean:+.6} (SE {se:.6}), coverage {covered}/{reps}"
    );
    assert!(covered >= 180, "coverage {covered}/{reps}");
    assert!(mean.abs() <= 4.0 * se);
}

/// Split sample on null data: mean over R = 400 replicates (n = 10⁴, B = 50) is 0 within 4 SE.
#[test]
fn split_sample_bound_is_centred_on_null_data() {
    let (target, law) = bimodal_1d();
    let (mean, se) = replicate(400, |r| {
        tv_split_1d(&draws(&target, 0.0, 10_000, 3000 + r), &law, 50)
            .unwrap()
            .estimate
            .tv
    });
    println!("split 1-D null: mean {mean:+.6} (SE {se:.6})");
    assert!(mean.abs() <= 4.0 * se);
}

/// Split sample in 2-D (shifted mixture, n = 4·10⁴, B = 10 per axis, R = 100): the mean of
/// estimate − (μ(A) − π(A)) is 0 within 4 SE, and every μ(A) − π(A) ≤ binned TV.
#[test]
fn split_sample_bound_2d_is_unbiased_given_the_set() {
    let (bins, n) = (10, 40_000);
    let pi = BoxLaw::from_gaussian_mixture(&mixture_2d(0.0), 0.0).unwrap();
    let mu = BoxLaw::from_gaussian_mixture(&mixture_2d(0.3), 0.0).unwrap();
    let grid = HistGrid::equiprobable(&pi, bins).unwrap();
    let (p, q) = (grid.masses(&pi).unwrap(), grid.masses(&mu).unwrap());
    let binned = discrete_tv(&q, &p);
    let target = mixture_2d(0.3);
    let errs: Vec<(f64, f64)> = (0..100u64)
        .into_par_iter()
        .map(|r| {
            let s = tv_split(&draws(&target, 0.0, n, 4000 + r), &pi, bins).unwrap();
            let truth = q.iter().zip(&s.set).filter(|(_, a)| **a).map(|(qb, _)| qb).sum::<f64>() - s.set_mass;
            (s.estimate.tv - truth, truth)
        })
        .collect();
    assert!(errs.iter().all(|e| e.1 <= binned + 1e-15));
    let (mean, se) = replicate(100, |r| errs[r as usize].0);
    println!("split 2-D: binned {binned:.5}, mean error {mean:+.6} (SE {se:.6})");
    assert!(mean.abs() <= 4.0 * se);
}

/// Clopper–Pearson limits: closed forms at k = 0 and k = m, the normal approximation at large
/// m (|difference| < 5e-5 at m = 5·10⁵), and invalid input.
#[test]
fn clopper_pearson_limits() {
    let m = 20u64;
    let (lo, hi) = clopper_pearson(0, m, 0.95).unwrap();
    assert_eq!(lo, 0.0);
    assert!((hi - (1.0 - 0.025f64.powf(1.0 / m as f64))).abs() < 1e-10);
    let (lo, hi) = clopper_pearson(m, m, 0.95).unwrap();
    assert!((lo - 0.025f64.powf(1.0 / m as f64)).abs() < 1e-10 && hi == 1.0);
    let (k, m) = (25_000u64, 500_000u64);
    let (lo, hi) = clopper_pearson(k, m, 0.95).unwrap();
    let half = 1.959964 * (0.05f64 * 0.95 / m as f64).sqrt();
    assert!(
        (lo - (0.05 - half)).abs() < 5e-5 && (hi - (0.05 + half)).abs() < 5e-5,
        "{lo} {hi}"
    );
    assert!(clopper_pearson(3, 2, 0.95).is_err());
    assert!(clopper_pearson(0, 0, 0.95).is_err());
    assert!(clopper_pearson(1, 2, 1.0).is_err());
}

// ----------------------------------------------------------------------------------------------
// pooled per-coordinate diagnostic
// ----------------------------------------------------------------------------------------------

/// Pooling d = 8 i.i.d. coordinates N(δ, 1) against N(0, 1) (δ: per-coordinate TV 0.05,
/// n = 2·10⁴ rows, n·d = 1.6·10⁵ values, B = 50): identical to `tv_hist_1d` on the flattened
/// values, labelled as a marginal lower bound, within 4 SE + floor of the per-coordinate binned
/// TV, and below the exact joint TV 2Φ(√d δ/2) − 1.
#[test]
fn pooled_coordinates_give_the_marginal_tv() {
    let (bins, d, n) = (50, 8, 20_000);
    let delta = shift_for_tv(0.05);
    let std = Mixture1d::gaussian(0.0, 1.0).unwrap();
    let target = Gaussian::isotropic(d, delta, 1.0).unwrap();
    let xs = draws(&target, 0.0, n, 17);
    let pooled = tv_pooled_1d(&xs, d, &std, bins).unwrap();
    let flat = tv_hist_1d(&xs, &std, bins).unwrap();
    assert_eq!(
        (pooled.tv, pooled.floor, pooled.se, pooled.n),
        (flat.tv, flat.floor, flat.se, n * d)
    );
    assert!(pooled.estimator.starts_with("pooled per-coordinate") && pooled.estimator.contains("lower bound"));
    let grid = HistGrid::equiprobable(&BoxLaw::product(vec![std.clone()]).unwrap(), bins).unwrap();
    let q = grid
        .masses(&BoxLaw::product(vec![Mixture1d::gaussian(delta, 1.0).unwrap()]).unwrap())
        .unwrap();
    let binned = discrete_tv(&q, &vec![1.0 / bins as f64; bins]);
    let joint = 2.0 * std_normal_cdf(0.5 * (d as f64).sqrt() * delta) - 1.0;
    println!(
        "pooled d = 8: binned marginal {binned:.5}, TV̂ {:.5} (SE {:.5}, floor {:.5}), joint TV {joint:.5}",
        pooled.tv, pooled.se, pooled.floor
    );
    assert!((pooled.tv - binned).abs() <= 4.0 * pooled.se + pooled.floor);
    assert!(pooled.tv < joint);
}

// ----------------------------------------------------------------------------------------------
// bin masses
// ----------------------------------------------------------------------------------------------

/// Cell masses sum to 1 within 1e-12 for every supported law, in 1, 2 and 3 dimensions, at
/// t = 0 and t > 0; product-law cells are exactly equiprobable (1e-12).
#[test]
fn bin_masses_sum_to_one_for_every_law() {
    let laws: Vec<(&str, BoxLaw)> = vec![
        (
            "product of Mixture1d (1-D)",
            BoxLaw::product(vec![bimodal_1d().1]).unwrap(),
        ),
        (
            "product of Mixture1d (2-D)",
            BoxLaw::product(vec![bimodal_1d().1, Mixture1d::gaussian(1.0, 3.0).unwrap()]).unwrap(),
        ),
        (
            "Product bimodal ⊗ gaussian, t = 0.4 (3-D)",
            BoxLaw::from_product(
                &Product::new(vec![
                    Law1d::bimodal(2.0, 0.5).unwrap(),
                    Law1d::gaussian(-1.0, 0.2).unwrap(),
                    Law1d::bimodal(0.5, 1.0).unwrap(),
                ])
                .unwrap(),
                0.4,
            )
            .unwrap(),
        ),
        (
            "GaussianMixture diagonal (2-D)",
            BoxLaw::from_gaussian_mixture(&mixture_2d(0.0), 0.0).unwrap(),
        ),
        (
            "GaussianMixture diagonal, t = 1 (3-D)",
            BoxLaw::from_gaussian_mixture(&mixture_3d(), 1.0).unwrap(),
        ),
        (
            "GaussianMixture isotropic (3-D)",
            BoxLaw::from_gaussian_mixture(&GaussianMixture::random(3, 4, 3.0, 0.2, 5).unwrap(), 0.0).unwrap(),
        ),
        (
            "Gaussian diagonal, t = 0.1 (2-D)",
            BoxLaw::from_gaussian(&Gaussian::diagonal(vec![1.0, -2.0], vec![0.01, 9.0]).unwrap(), 0.1).unwrap(),
        ),
    ];
    for (name, law) in &laws {
        for bins in [2, 7, 20] {
            let grid = HistGrid::equiprobable(law, bins).unwrap();
            let p = grid.masses(law).unwrap();
            let total: f64 = p.iter().sum();
            assert_eq!(p.len(), bins.pow(law.dim() as u32));
            assert!(
                (total - 1.0).abs() <= 1e-12,
                "{name}, B = {bins}: Σp − 1 = {:e}",
                total - 1.0
            );
            assert!(p.iter().all(|&pb| pb >= 0.0));
        }
    }
    let prod = &laws[2].1;
    let p = HistGrid::equiprobable(prod, 5).unwrap().masses(prod).unwrap();
    assert!(p.iter().all(|&pb| (pb - 1.0 / 125.0).abs() < 1e-12));
}

/// Far-tail box masses are accurate to 1e-12 relative (erfc on the far side), where the naive
/// CDF difference loses every digit: N(0, 1) on [8, 9] and [−9, −8] ≈ 6.2e-16, on [9, 10] (naive:
/// exactly 0), on [30, 31] and [5, ∞);
/// a 2-D diagonal mixture on a box 8–9 sd out on axis 0.
#[test]
fn box_masses_are_tail_accurate() {
    let tail = |a: f64, b: f64| 0.5 * (erfc(a / std::f64::consts::SQRT_2) - erfc(b / std::f64::consts::SQRT_2));
    let std = Mixture1d::gaussian(0.0, 1.0).unwrap();
    let law = BoxLaw::product(vec![std.clone()]).unwrap();
    for (a, b) in [(8.0, 9.0), (30.0, 31.0), (5.0, f64::INFINITY)] {
        let want = tail(a, b);
        for (lo, hi) in [(a, b), (-b, -a)] {
            let got = law.box_mass(&[lo], &[hi]).unwrap();
            assert!((got / want - 1.0).abs() < 1e-12, "[{lo}, {hi}]: {got:e} vs {want:e}");
        }
    }
    // the naive difference of CDFs loses every digit: F(10) − F(9) is exactly 0 (true 1.1e-19).
    assert_eq!(std.cdf(10.0) - std.cdf(9.0), 0.0);
    let got = law.box_mass(&[9.0], &[10.0]).unwrap();
    assert!((got / tail(9.0, 10.0) - 1.0).abs() < 1e-12 && got > 1e-19);
    let gm = GaussianMixture::diagonal(
        vec![0.25, 0.75],
        vec![vec![0.0, 0.0], vec![1.0, 2.0]],
        vec![vec![1.0, 4.0], vec![4.0, 1.0]],
    )
    .unwrap();
    let law = BoxLaw::from_gaussian_mixture(&gm, 0.0).unwrap();
    let got = law.box_mass(&[8.0, f64::NEG_INFINITY], &[9.0, 2.0]).unwrap();
    let want = 0.25 * tail(8.0, 9.0) * 0.5 + 0.75 * tail(3.5, 4.0) * 0.5;
    assert!((got / want - 1.0).abs() < 1e-12, "{got:e} vs {want:e}");
    assert_eq!(law.box_mass(&[1.0, 0.0], &[0.0, 1.0]).unwrap(), 0.0);
}

// ----------------------------------------------------------------------------------------------
// input errors (never a panic)
// ----------------------------------------------------------------------------------------------

/// Empty samples, B < 2, too many cells, d ∉ 1..=3, non-finite values, ragged buffers, laws
/// without exact box masses and bad times are typed errors.
#[test]
fn bad_input_is_a_typed_error() {
    let std = Mixture1d::gaussian(0.0, 1.0).unwrap();
    let law2 = BoxLaw::product(vec![std.clone(), std.clone()]).unwrap();
    let param = |r: Result<_, Error>, want: &str| match r {
        Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, want),
        other => panic!("expected InvalidParameter({want}), got {other:?}"),
    };
    param(tv_hist_1d(&[], &std, 10).map(|_| ()), "samples (count)");
    param(tv_hist_1d(&[0.1], &std, 1).map(|_| ()), "bins");
    param(tv_hist_1d(&[0.1], &std, usize::MAX).map(|_| ()), "bins");
    param(tv_hist(&[], &law2, 10).map(|_| ()), "samples (count)");
    param(tv_hist(&[0.0, 0.0], &law2, 1).map(|_| ()), "bins");
    param(tv_hist(&[0.0, 0.0], &law2, 5000).map(|_| ()), "bins");
    param(tv_split_1d(&[0.3], &std, 10).map(|_| ()), "samples (count)");
    param(tv_split(&[0.3, 0.2], &law2, 10).map(|_| ()), "samples (count)");
    let law4 = BoxLaw::product(vec![std.clone(); 4]).unwrap();
    param(tv_hist(&[0.0; 8], &law4, 3).map(|_| ()), "dim");
    param(tv_pooled_1d(&[0.0; 4], 0, &std, 10).map(|_| ()), "dim");
    param(BoxLaw::product(vec![]).map(|_| ()), "dim");
    param(BoxLaw::from_gaussian_mixture(&mixture_2d(0.0), -1.0).map(|_| ()), "t");
    param(
        BoxLaw::from_gaussian_mixture(&mixture_2d(0.0), f64::NAN).map(|_| ()),
        "t",
    );
    assert!(matches!(
        tv_hist_1d(&[0.0, f64::NAN], &std, 10),
        Err(Error::NonFinite { sample: 1, .. })
    ));
    assert!(matches!(
        tv_hist(&[0.0, 0.0, 1.0, f64::INFINITY], &law2, 4),
        Err(Error::NonFinite { sample: 1, .. })
    ));
    assert!(matches!(
        tv_hist(&[0.0, 0.0, 1.0], &law2, 4),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        tv_pooled_1d(&[0.0; 5], 2, &std, 4),
        Err(Error::DimensionMismatch { .. })
    ));
    assert!(matches!(
        law2.box_mass(&[0.0], &[1.0, 1.0]),
        Err(Error::DimensionMismatch { .. })
    ));
    param(law2.box_mass(&[0.0, f64::NAN], &[1.0, 1.0]).map(|_| ()), "box corner");
    let logcosh = Product::iid(Law1d::log_cosh(), 2).unwrap();
    assert!(matches!(
        BoxLaw::from_product(&logcosh, 0.0),
        Err(Error::InvalidConfig { .. })
    ));
    let full = Gaussian::full(
        vec![0.0, 0.0],
        nalgebra::DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 1.0]),
    )
    .unwrap();
    assert!(matches!(
        BoxLaw::from_gaussian(&full, 0.0),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(HistGrid::equiprobable(&law4, 3).is_err());
    assert!(HistGrid::equiprobable(&law2, 10).unwrap().masses(&law4).is_err());
}
