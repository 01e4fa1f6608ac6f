//! Criterion benches: throughput (coordinates per second) of [`Score::score_batch`] for every
//! target type that implements [`Score`], at d ∈ {64, 1,024, 65,536}. Run:
//! `cargo bench --bench targets` (quick: `-- --warm-up-time 0.5 --measurement-time 1.5`).
//!
//! Every group times exactly one call of `Score::score_batch(t = 0.7, xs, out)` on a row-major
//! batch of `n = max(1, 2^16/d)` rows (so each iteration touches `n·d = 65,536` coordinates
//! for d ≤ 65,536), with `Throughput::Elements(n·d)`: the report is in coordinates per second.
//! `score_batch` is the inner loop of every sampler and driver in the crate (predictors,
//! correctors, parallel rounds), so this is the per-coordinate cost of one score evaluation.
//! `t = 0.7` is a generic diffusion time: at `t = 0` some targets take a closed-form shortcut
//! (the LogCosh product) that the samplers rarely hit.
//!
//! Groups (`score_batch/<target>`, ids `d=<d>`), and what each one times:
//! * `gaussian-iso`, `gaussian-diag`: [`Gaussian::isotropic`] / [`Gaussian::diagonal`] (distinct
//!   variances): the O(d) diagonal fast path, through the default row-by-row `score_batch`.
//! * `gaussian-full`: [`Gaussian::full`] (AR(1) covariance `Σ_ij = 0.5^|i−j|`): two dense
//!   matrix–vector products per row, O(d²) per row, so **d ∈ {64, 1,024} only**.
//! * `mixture-iso-K4`, `mixture-iso-K16`, `mixture-diag-K4`, `mixture-diag-K16`:
//!   [`GaussianMixture`] with isotropic ([`GaussianMixture::random`]) or diagonal
//!   ([`GaussianMixture::diagonal`], per-component, per-coordinate variances) components; its
//!   overridden `score_batch` computes the time normalizers once per batch, then O(K·d) per row.
//! * `product-bimodal`, `product-gaussian1d`, `product-logcosh`, `product-hetero`: [`Product`]
//!   of each 1-D family of [`Law1d`] (`Bimodal`, `Gaussian1d`, `LogCosh`, i.i.d. storage), and a
//!   heterogeneous product (alternating bimodal / Gaussian laws with distinct parameters, the
//!   `Product::new` storage). LogCosh at `t > 0` runs a 97-node quadrature per coordinate.
//! * `rotated-bimodal`: [`Rotated`] (Haar rotation) of the bimodal product: two `d × d × n` matrix
//!   products around the inner batch, O(d²) per row, so **d ∈ {64, 1,024} only**.
//! * `perturbed-fourier-K16`, `perturbed-linear`: [`Perturbed`] over the diagonal Gaussian with
//!   a random-Fourier-feature error (K = 16 features, bandwidth √d, the representative smooth
//!   L² error; O(K·d) per row on top of the target) and with a diagonal linear error (O(d)).
//! * `potential-gaussian`, `potential-logcosh`, `potential-logistic`: the log-concave
//!   potentials through [`GradScore`] (`s = −∇f`): [`DiagGaussian::ill_conditioned`] (κ = 100),
//!   [`LogCoshProduct`], and [`Logistic::breast_cancer`] on the shipped Wisconsin data set. The
//!   logistic posterior has a fixed **d = 31** (n_data = 569), so its only id is `d=31`; its
//!   cost per coordinate includes the O(n_data) pass over the data (two GEMMs per 32-row block).

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use randmid::potential::{DiagGaussian, GradScore, LogCoshProduct, Logistic};
use randmid::rng::{fill_normal, stream_rng};
use randmid::target::{ErrorKind, Gaussian, GaussianMixture, Law1d, Perturbed, Product, Rotated, Score};

const DIMS: [usize; 3] = [64, 1_024, 65_536];
/// O(d²)-per-row targets (full covariance, rotations): d = 65,536 would need a 32 GiB matrix.
const DENSE_DIMS: [usize; 2] = [64, 1_024];
/// The diffusion time of every evaluation.
const T: f64 = 0.7;

/// Rows per batch: `n·d = 2^16` coordinates per iteration.
fn rows(d: usize) -> usize {
    ((1usize << 16) / d).max(1)
}

/// A batch of `n` standard-normal rows of length `d` (seeded, so every run sees the same points).
fn batch(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut x = vec![0.0; n * d];
    fill_normal(&mut stream_rng(seed, 0), &mut x);
    x
}

/// Times `score.score_batch(T, xs, out)` on `rows(d)` rows under id `d=<d>`.
fn bench_batch(g: &mut BenchmarkGroup<'_, WallTime>, score: &dyn Score) {
    let d = score.dim();
    let n = rows(d);
    let xs = batch(n, d, d as u64);
    let mut out = vec![0.0; n * d];
    g.throughput(Throughput::Elements((n * d) as u64));
    g.bench_function(BenchmarkId::from_parameter(format!("d={d}")), |b| {
        b.iter(|| score.score_batch(black_box(T), black_box(&xs), &mut out))
    });
}

/// A group with few samples and flat sampling, for benches whose iteration takes milliseconds.
fn heavy<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g
}

/// Distinct variances in `[0.5, 4.5)` (deterministic).
fn distinct_vars(d: usize, phase: f64) -> Vec<f64> {
    (0..d)
        .map(|i| 0.5 + 4.0 * ((i as f64 * 0.618_033_988_7 + phase).fract()))
        .collect()
}

fn bench_gaussians(c: &mut Criterion) {
    let mut g = c.benchmark_group("score_batch/gaussian-iso");
    for d in DIMS {
        bench_batch(&mut g, &Gaussian::isotropic(d, 1.0, 4.0).unwrap());
    }
    g.finish();

    let mut g = c.benchmark_group("score_batch/gaussian-diag");
    for d in DIMS {
        let mean = (0..d).map(|i| (i % 7) as f64 * 0.25).collect();
        bench_batch(&mut g, &Gaussian::diagonal(mean, distinct_vars(d, 0.0)).unwrap());
    }
    g.finish();

    // O(d²) per row: d ∈ {64, 1,024} only.
    let mut g = heavy(c, "score_batch/gaussian-full");
    for d in DENSE_DIMS {
        let cov = DMatrix::from_fn(d, d, |i, j| 0.5f64.powi((i as i32 - j as i32).abs()));
        bench_batch(&mut g, &Gaussian::full(vec![0.5; d], cov).unwrap());
    }
    g.finish();
}

/// K diagonal components with random means (separation 3) and distinct variances.
fn diag_mixture(d: usize, k: usize) -> GaussianMixture {
    let iso = GaussianMixture::random(d, k, 3.0, 1.0, 5).unwrap();
    let means = (0..k).map(|j| iso.mean(j).to_vec()).collect();
    let vars = (0..k).map(|j| distinct_vars(d, 0.1 * j as f64)).collect();
    GaussianMixture::diagonal(vec![1.0 / k as f64; k], means, vars).unwrap()
}

fn bench_mixtures(c: &mut Criterion) {
    for k in [4, 16] {
        let mut g = c.benchmark_group(format!("score_batch/mixture-iso-K{k}"));
        for d in DIMS {
            bench_batch(&mut g, &GaussianMixture::random(d, k, 3.0, 0.5, 5).unwrap());
        }
        g.finish();
        let mut g = c.benchmark_group(format!("score_batch/mixture-diag-K{k}"));
        for d in DIMS {
            bench_batch(&mut g, &diag_mixture(d, k));
        }
        g.finish();
    }
}

fn bench_products(c: &mut Criterion) {
    let families = [
        ("product-bimodal", Law1d::bimodal(2.0, 0.5).unwrap()),
        ("product-gaussian1d", Law1d::gaussian(1.0, 4.0).unwrap()),
        ("product-logcosh", Law1d::log_cosh()),
    ];
    for (name, law) in families {
        // LogCosh runs a quadrature per coordinate (milliseconds per iteration).
        let mut g = if matches!(law, Law1d::LogCosh) {
            heavy(c, &format!("score_batch/{name}"))
        } else {
            c.benchmark_group(format!("score_batch/{name}"))
        };
        for d in DIMS {
            bench_batch(&mut g, &Product::iid(law, d).unwrap());
        }
        g.finish();
    }

    let mut g = c.benchmark_group("score_batch/product-hetero");
    for d in DIMS {
        let laws = (0..d)
            .map(|i| {
                let s = (i % 13) as f64 / 13.0;
                if i % 2 == 0 {
                    Law1d::bimodal(1.0 + s, 0.3 + 0.4 * s).unwrap()
                } else {
                    Law1d::gaussian(s - 0.5, 0.5 + 2.0 * s).unwrap()
                }
            })
            .collect();
        bench_batch(&mut g, &Product::new(laws).unwrap());
    }
    g.finish();
}

fn bench_rotated(c: &mut Criterion) {
    // O(d²) per row (and O(d³) to build the Haar rotation): d ∈ {64, 1,024} only.
    let mut g = heavy(c, "score_batch/rotated-bimodal");
    for d in DENSE_DIMS {
        let inner = Product::iid(Law1d::bimodal(2.0, 0.5).unwrap(), d).unwrap();
        bench_batch(&mut g, &Rotated::random(inner, 3));
    }
    g.finish();
}

fn bench_perturbed(c: &mut Criterion) {
    let base = |d: usize| Gaussian::diagonal(vec![0.5; d], distinct_vars(d, 0.3)).unwrap();
    let mut g = c.benchmark_group("score_batch/perturbed-fourier-K16");
    for d in DIMS {
        let kind = ErrorKind::Fourier {
            features: 16,
            bandwidth: (d as f64).sqrt(),
        };
        bench_batch(&mut g, &Perturbed::new(base(d), 0.1, kind, 7).unwrap());
    }
    g.finish();

    let mut g = c.benchmark_group("score_batch/perturbed-linear");
    for d in DIMS {
        let a = (0..d).map(|i| 0.1 + 0.01 * (i % 5) as f64).collect();
        let b = (0..d).map(|i| 0.05 * (i % 3) as f64).collect();
        bench_batch(&mut g, &Perturbed::linear(base(d), 0.1, a, b).unwrap());
    }
    g.finish();
}

fn bench_potentials(c: &mut Criterion) {
    let mut g = c.benchmark_group("score_batch/potential-gaussian");
    for d in DIMS {
        let pot = DiagGaussian::ill_conditioned(d, 100.0).unwrap();
        bench_batch(&mut g, &GradScore(&pot));
    }
    g.finish();

    let mut g = c.benchmark_group("score_batch/potential-logcosh");
    for d in DIMS {
        let pot = LogCoshProduct::new(d).unwrap();
        bench_batch(&mut g, &GradScore(&pot));
    }
    g.finish();

    // The shipped breast-cancer data set fixes d = 31 (569 observations).
    let mut g = heavy(c, "score_batch/potential-logistic");
    let pot = Logistic::breast_cancer(1.0).unwrap();
    bench_batch(&mut g, &GradScore(&pot));
    g.finish();
}

criterion_group!(
    benches,
    bench_gaussians,
    bench_mixtures,
    bench_products,
    bench_rotated,
    bench_perturbed,
    bench_potentials
);
criterion_main!(benches);
