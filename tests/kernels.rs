//! The multiversioned kernels (`randmid::kernels`): the AVX2 copy and the baseline copy give
//! bitwise identical results, kernel by kernel (against a plain scalar formula) and end to end
//! (every sampler family on a diagonal Gaussian and on both mixture kinds). On a CPU without
//! AVX2 both runs take the baseline path and the test checks only the scalar formulas.
//!
//! `force_baseline` is process-wide, so everything that toggles it runs inside one test, under a
//! lock.

mod common;

use std::sync::Mutex;

use proptest::prelude::*;
use randmid::driver::{Start, sample};
use randmid::kernels::{
    self, diag_gauss_score, force_baseline, lincomb, lincomb_in_place, sq_dist_scaled, uniform_gauss_score,
};
use randmid::target::{Gaussian, GaussianMixture, Score, Target};

static LOCK: Mutex<()> = Mutex::new(());

/// Runs `f` on the AVX2 path (if the CPU has it) and on the forced baseline path.
fn both_paths<R>(f: impl Fn() -> R) -> (R, R) {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    force_baseline(false);
    let fast = f();
    force_baseline(true);
    let base = f();
    force_baseline(false);
    (fast, base)
}

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

fn vec_strategy() -> impl Strategy<Value = (Vec<f64>, Vec<f64>, Vec<f64>)> {
    (0usize..70).prop_flat_map(|n| {
        (
            prop::collection::vec(-1e3f64..1e3, n),
            prop::collection::vec(-1e3f64..1e3, n),
            prop::collection::vec(1e-3f64..1e3, n),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Element-wise kernels equal their scalar formula exactly, on both paths (lengths 0..70
    /// cover empty input, the vector body and every tail length).
    #[test]
    fn elementwise_kernels_match_the_scalar_formula((x, y, v) in vec_strategy(), a in -3.0f64..3.0, b in -3.0f64..3.0) {
        let n = x.len();
        let ((lc, lip, sc), (lc_b, lip_b, sc_b)) = both_paths(|| {
            let mut out = vec![0.0; n];
            lincomb(&mut out, a, &x, b, &y);
            let mut inplace = x.clone();
            lincomb_in_place(&mut inplace, a, b, &y);
            let mut score = vec![0.0; n];
            diag_gauss_score(&mut score, &x, &y, &v, a, b.abs() + 0.1);
            (out, inplace, score)
        });
        // the isotropic shortcut has the bits of the array kernel with constant mean and variance
        let (m0, v0, s2) = (y.first().copied().unwrap_or(0.5), v.first().copied().unwrap_or(2.0), b.abs() + 0.1);
        let (mut uni, mut arr) = (vec![0.0; n], vec![0.0; n]);
        uniform_gauss_score(&mut uni, &x, a * m0, a * a * v0 + s2);
        diag_gauss_score(&mut arr, &x, &vec![m0; n], &vec![v0; n], a, s2);
        prop_assert_eq!(bits(&uni), bits(&arr));
        let lin: Vec<f64> = x.iter().zip(&y).map(|(&xi, &yi)| a * xi + b * yi).collect();
        let s2 = b.abs() + 0.1;
        let gs: Vec<f64> = (0..n).map(|i| -(x[i] - a * y[i]) / (a * a * v[i] + s2)).collect();
        prop_assert_eq!(bits(&lc), bits(&lin));
        prop_assert_eq!(bits(&lip), bits(&lin));
        prop_assert_eq!(bits(&sc), bits(&gs));
        prop_assert_eq!(bits(&lc_b), bits(&lin));
        prop_assert_eq!(bits(&lip_b), bits(&lin));
        prop_assert_eq!(bits(&sc_b), bits(&gs));
    }

    /// The lane sum follows its documented order exactly (same bits on both paths) and agrees with
    /// the sequential sum to the rounding bound `n·ε·Σ|terms|`.
    #[test]
    fn sq_dist_has_a_fixed_summation_order((x, y, _v) in vec_strategy(), a in -3.0f64..3.0) {
        let (fast, base) = both_paths(|| sq_dist_scaled(&x, &y, a));
        let terms: Vec<f64> = x.iter().zip(&y).map(|(&xi, &yi)| (xi - a * yi) * (xi - a * yi)).collect();
        let n = terms.len();
        let mut s = [0.0f64; 8];
        for b in 0..n / 8 {
            for j in 0..8 {
                s[j] += terms[8 * b + j];
            }
        }
        let mut documented = ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
        for t in &terms[8 * (n / 8)..] {
            documented += t;
        }
        prop_assert_eq!(fast.to_bits(), documented.to_bits());
        prop_assert_eq!(base.to_bits(), documented.to_bits());
        let sequential: f64 = terms.iter().sum();
        let bound = (n as f64 + 1.0) * f64::EPSILON * terms.iter().sum::<f64>();
        prop_assert!((fast - sequential).abs() <= bound);
    }
}

/// Every sampler family, on targets whose scores use the kernels (diagonal Gaussian, isotropic
/// and diagonal mixtures), at a dimension with a vector tail (d = 37): identical bits.
#[test]
fn samplers_give_identical_bits_on_both_paths() {
    eprintln!("AVX2 path available: {}", kernels::uses_avx2());
    let d = 37;
    let gauss = Gaussian::diagonal(
        (0..d).map(|i| 0.3 * (i as f64).sin()).collect(),
        (0..d).map(|i| 0.2 + 0.1 * (i % 5) as f64).collect(),
    )
    .unwrap();
    let means: Vec<Vec<f64>> = (0..3)
        .map(|k| (0..d).map(|i| ((k * d + i) as f64).cos()).collect())
        .collect();
    let iso = GaussianMixture::isotropic(vec![0.2, 0.5, 0.3], means.clone(), vec![0.5, 1.0, 2.0]).unwrap();
    let vars: Vec<Vec<f64>> = (0..3)
        .map(|k| (0..d).map(|i| 0.3 + 0.1 * ((i + k) % 4) as f64).collect())
        .collect();
    let diag = GaussianMixture::diagonal(vec![0.2, 0.5, 0.3], means, vars).unwrap();
    let targets: [&dyn Target; 3] = [&gauss, &iso, &diag];
    for target in targets {
        for s in common::sampler_families() {
            let (fast, base) = both_paths(|| sample(target, target, s.as_ref(), Start::Exact, 9, 4).unwrap());
            assert_eq!(
                bits(&fast.samples),
                bits(&base.samples),
                "{} on {}",
                s.name(),
                target.describe()
            );
        }
    }
}

/// A wrapper that hides `separable()`, forcing the whole-vector path of the steps.
struct Whole<'a, T: Target + ?Sized>(&'a T);

impl<T: Target + ?Sized> Score for Whole<'_, T> {
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn score(&self, t: f64, x: &[f64], out: &mut [f64]) {
        self.0.score(t, x, out)
    }
}

fn separable_targets(d: usize) -> Vec<Box<dyn Target>> {
    use randmid::target::{Law1d, Product};
    let hetero: Vec<Law1d> = (0..d)
        .map(|i| match i % 3 {
            0 => Law1d::bimodal(1.5, 0.4).unwrap(),
            1 => Law1d::gaussian(0.5, 2.0).unwrap(),
            _ => Law1d::log_cosh(),
        })
        .collect();
    vec![
        Box::new(
            Gaussian::diagonal(
                (0..d).map(|i| (i as f64).sin()).collect(),
                (0..d).map(|i| 0.3 + 0.2 * (i % 7) as f64).collect(),
            )
            .unwrap(),
        ),
        Box::new(Product::iid(Law1d::bimodal(2.0, 0.5).unwrap(), d).unwrap()),
        Box::new(Product::iid(Law1d::gaussian(1.0, 3.0).unwrap(), d).unwrap()),
        Box::new(Product::new(hetero).unwrap()),
    ]
}

/// `score_coords` on any block equals the same entries of `score`, bit for bit.
#[test]
fn separable_scores_match_the_whole_vector_score() {
    let d = 1_300;
    let x: Vec<f64> = (0..d).map(|i| 3.0 * (0.7 * i as f64).cos()).collect();
    for target in separable_targets(d) {
        let sep = target.separable().expect("separable");
        for t in [0.0, 1e-3, 0.7, 4.0] {
            let mut whole = vec![0.0; d];
            target.score(t, &x, &mut whole);
            for (start, end) in [(0, d), (0, 1), (511, 1024), (1_299, 1_300), (37, 600)] {
                let mut part = vec![0.0; end - start];
                sep.score_coords(t, start, &x[start..end], &mut part);
                assert_eq!(
                    bits(&part),
                    bits(&whole[start..end]),
                    "{} t={t} {start}..{end}",
                    target.describe()
                );
            }
        }
    }
    let full = Gaussian::full(vec![0.0; 2], nalgebra::DMatrix::identity(2, 2)).unwrap();
    assert!(full.separable().is_none());
}

/// Every step that runs block by block on a separable score gives the bits of the whole-vector
/// path, at a dimension spanning several blocks with a tail (d = 1,300 = 2·512 + 276).
#[test]
fn fused_steps_give_the_bits_of_whole_vector_steps() {
    let d = 1_300;
    for target in separable_targets(d) {
        for s in common::sampler_families() {
            let fused = sample(target.as_ref(), target.as_ref(), s.as_ref(), Start::Exact, 3, 8).unwrap();
            let whole = Whole(target.as_ref());
            let plain = sample(target.as_ref(), &whole, s.as_ref(), Start::Exact, 3, 8).unwrap();
            assert_eq!(
                bits(&fused.samples),
                bits(&plain.samples),
                "{} on {}",
                s.name(),
                target.describe()
            );
        }
    }
}
