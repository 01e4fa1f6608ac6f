//! Criterion benches: throughput (coordinates per second) of the inner loops of the TV estimators
//! in `randmid::tv`, at d ∈ {64, 1,024, 65,536} where the estimator allows it. Run:
//! `cargo bench --bench tv` (quick: `-- --warm-up-time 0.5 --measurement-time 1.5`).
//!
//! Every group sets `Throughput::Elements` to the number of **coordinates processed per
//! iteration** (stated per group below), so the report reads as coordinates per second. Ids are
//! `d=<d>`. Only the public API is used: where the real inner loop is private, the smallest public
//! function containing it is timed, as noted.
//!
//! **Semi-analytic** ([`randmid::tv::semi_analytic`]; Gaussian targets, α-mixture of Gaussians).
//! Its nested estimate costs `blocks·M` α-path propagations plus `n·M` evaluations of a
//! d-dimensional Gaussian log density (one per reference point and pool path). The log density
//! (`log_density`) and the χ² pair integral (`pair_log_integral`) are private, so:
//! * `tv/semi-analytic-propagate`: [`propagate`] of one α-path through an 8-step RM schedule on a
//!   diagonal Gaussian (k = d slots, distinct variances); elements = `8·d` (coordinate-stages).
//!   Each stage reads its affine map off the real step function (2–3 step runs per stage).
//! * `tv/semi-analytic-nested-diagonal`: [`nested_tv`] (the smallest public function containing
//!   the log-density loop) with `Layout::Diagonal`, 2 blocks × M = 16 paths, `n = 2·max(1,
//!   2^15/d)` points; elements = `n·M·d` (per-coordinate log-density terms). It also runs
//!   `2·16 = 32` propagations (compare with `tv/semi-analytic-propagate`): they dominate at
//!   d = 65,536 where `n = 2`.
//! * `tv/semi-analytic-nested-repeated`: the same with `Layout::Repeated(d)` (one slot standing
//!   for d i.i.d. coordinates, the isotropic fast path the sweeps use); elements = `n·M·d`
//!   although the work per point is O(1) in d.
//! * `tv/semi-analytic-chi2`: [`chi2_ustat`] with a pool of 16 paths: `16·15/2 = 120` pair
//!   integrals over d coordinates plus 16 propagations; elements = `120·d`.
//!
//! **Grid push-forward** ([`randmid::tv::grid`]; i.i.d. product targets, PF-ODE predictors). Its
//! nested loop evaluates, per reference point (sorted) and pool path, `Σ_i ln(p_α/ν_δ)(y_i)`:
//! * `tv/grid-sum-log-ratio-sorted`: [`PathMap::sum_log_ratio_sorted`] on d sorted draws from
//!   the bimodal `ν_δ` (the estimator's exact inner call; one merge walk over the G = 4001
//!   nodes); elements = d.
//! * `tv/grid-log-ratio`: [`PathMap::log_ratio`] summed over the same d draws unsorted (bucket
//!   lookup per coordinate), the single-coordinate path; elements = d.
//!
//! **Kinetic density propagation** ([`randmid::tv::kinetic`]; ULMC on a 1-D product potential).
//! Once the 1-D marginal is tabulated, [`product_tv`] evaluates per reference point
//! `Σ_{i ≤ d} r(x_i)`, `x_i ∼ π` (LogCosh):
//! * `tv/kinetic-sum-log-ratio`: [`Marginal1d::sum_log_ratio`] on d draws (6-point Lagrange per
//!   coordinate); elements = d.
//! * `tv/kinetic-product-tv`: [`product_tv`] end to end, `n = max(2, 2^16/d)` points, 2 blocks;
//!   its per-coordinate work is one LogCosh rejection draw plus one `log_ratio`; elements = `n·d`.
//!
//! **Histogram plug-in** ([`randmid::tv::plugin`]): the per-sample work is locating the cell (a
//! CDF evaluation in 1-D, binary searches on the axis edges in 2-D/3-D):
//! * `tv/plugin-pooled-1d`: [`tv_pooled_1d`] on `2^16` values (`n = 2^16/d` samples of dimension
//!   d) against a two-component 1-D mixture, B = 64 bins; elements = `2^16`.
//! * `tv/plugin-hist`: [`tv_hist_1d`] (d = 1) and [`tv_hist`] (d = 2, 3; B = 16 per axis) on
//!   `n = 2^16/d` points; histograms exist only for **d ≤ 3**. Elements = `n·d`. Includes the
//!   per-call quantile grid and `B^d` exact cell masses.
//!
//! **Gaussian oracle** ([`randmid::tv::oracle`]): the exact TV integrates `(1 − Re M)/(u² + ¼)`,
//! where `ln M` sums one complex term per *distinct* `(λ_j, ν_j²)`; that sum, repeated over a few
//! thousand integrand evaluations, is the inner loop:
//! * `tv/oracle-diag-distinct`: [`GaussianPair::diagonal`] + [`GaussianPair::tv`] for a pair with
//!   distinct small perturbations in every coordinate (no merging); elements = d. O(d) per
//!   integrand evaluation, about 40–75 µs per coordinate: **d ∈ {64, 1,024} only** (one call at
//!   d = 65,536 took about 4 s on the 2-core test machine, too long for a quick run).
//! * `tv/oracle-diag-isotropic`: [`tv_gaussians_diag`] for an isotropic pair (all coordinates
//!   merged into one term: O(d) set-up and sort, O(1) per integrand evaluation); elements = d.
//! * `tv/oracle-isotropic-scale`: [`tv_isotropic_scale`] (the χ²_d route); elements = d.
//! * `tv/oracle-full`: [`GaussianPair::full`] + [`GaussianPair::tv`] (Cholesky, triangular solve,
//!   symmetric eigendecomposition: O(d³)), **d ∈ {64, 1,024} only**; elements = d.
//!
//! The shared nested driver (`tv::nested::nested`) is crate-private; it is timed through the
//! `nested_tv` and `product_tv` groups above.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use nalgebra::DMatrix;
use randmid::driver::Start;
use randmid::grid::TimeGrid;
use randmid::metrics::Mixture1d;
use randmid::rng::{fill_normal, normal, stream_rng};
use randmid::sampler::{Ode, Staged};
use randmid::target::{Gaussian, Law1d, Product, Target};
use randmid::tv::grid::{GridProblem, PathMap, path_map};
use randmid::tv::kinetic::{KineticGrid, KineticStage, Marginal1d, product_tv, ulmc_marginal};
use randmid::tv::nested::NestedConfig;
use randmid::tv::oracle::{GaussianPair, tv_gaussians_diag, tv_isotropic_scale};
use randmid::tv::plugin::{BoxLaw, tv_hist, tv_hist_1d, tv_pooled_1d};
use randmid::tv::semi_analytic::{DiagLaw, Layout, Problem, chi2_ustat, nested_tv, propagate};

const DIMS: [usize; 3] = [64, 1_024, 65_536];
/// Estimators that are O(d³) (full covariances) or cost tens of µs per coordinate (the oracle
/// with distinct coordinates): d = 65,536 is out of reach of a quick run.
const DENSE_DIMS: [usize; 2] = [64, 1_024];
/// Start time, end time and steps of the RM schedule of the semi-analytic and grid benches.
const T_MAX: f64 = 2.0;
const T_MIN: f64 = 0.05;
const STEPS: usize = 8;
/// Pool size M of the nested benches.
const POOL: usize = 16;

fn id(d: usize) -> BenchmarkId {
    BenchmarkId::from_parameter(format!("d={d}"))
}

/// A group with few samples and flat sampling, for iterations of milliseconds or more.
fn heavy<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g
}

/// Distinct variances in `[0.5, 4.5)` (deterministic).
fn distinct_vars(d: usize) -> Vec<f64> {
    (0..d)
        .map(|i| 0.5 + 4.0 * (i as f64 * 0.618_033_988_7).fract())
        .collect()
}

fn rm() -> Ode {
    Ode::rm(TimeGrid::uniform(T_MAX, T_MIN, STEPS).unwrap())
}

// ---------------------------------------------------------------------------------------------
// Semi-analytic
// ---------------------------------------------------------------------------------------------

/// The linear-Gaussian problem of data `N(mean, diag var)` diffused from `T_MAX` to `T_MIN`.
fn problem<'a>(target: &'a Gaussian, mean: &[f64], var: &[f64], layout: Layout) -> Problem<'a> {
    Problem {
        score: target,
        start: DiagLaw::diffused(mean, var, T_MAX),
        reference: DiagLaw::diffused(mean, var, T_MIN),
        layout,
    }
}

fn bench_semi_analytic(c: &mut Criterion) {
    let sampler = rm();
    let stages = sampler.stages();

    let mut g = c.benchmark_group("tv/semi-analytic-propagate");
    for d in DIMS {
        let (mean, var) = (vec![0.5; d], distinct_vars(d));
        let target = Gaussian::diagonal(mean.clone(), var.clone()).unwrap();
        let problem = problem(&target, &mean, &var, Layout::Diagonal);
        let mut rng = stream_rng(1, 0);
        g.throughput(Throughput::Elements((STEPS * d) as u64));
        g.bench_function(id(d), |b| b.iter(|| propagate(black_box(&problem), &stages, &mut rng)));
    }
    g.finish();

    for (name, repeated) in [("diagonal", false), ("repeated", true)] {
        let mut g = heavy(c, &format!("tv/semi-analytic-nested-{name}"));
        for d in DIMS {
            let k = if repeated { 1 } else { d };
            let (mean, var) = (vec![0.5; k], if repeated { vec![2.0] } else { distinct_vars(d) });
            let target = Gaussian::diagonal(mean.clone(), var.clone()).unwrap();
            let layout = if repeated {
                Layout::Repeated(d)
            } else {
                Layout::Diagonal
            };
            let problem = problem(&target, &mean, &var, layout);
            let cfg = NestedConfig {
                n: 2 * ((1 << 15) / d).max(1),
                m: POOL,
                blocks: 2,
                seed: 3,
            };
            g.throughput(Throughput::Elements((cfg.n * POOL * d) as u64));
            g.bench_function(id(d), |b| {
                b.iter(|| nested_tv(black_box(&problem), &sampler, &cfg).unwrap())
            });
        }
        g.finish();
    }

    let mut g = heavy(c, "tv/semi-analytic-chi2");
    for d in DIMS {
        let (mean, var) = (vec![0.5; d], distinct_vars(d));
        let target = Gaussian::diagonal(mean.clone(), var.clone()).unwrap();
        let problem = problem(&target, &mean, &var, Layout::Diagonal);
        g.throughput(Throughput::Elements((POOL * (POOL - 1) / 2 * d) as u64));
        g.bench_function(id(d), |b| {
            b.iter(|| chi2_ustat(black_box(&problem), &sampler, POOL, 5).unwrap())
        });
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Grid push-forward
// ---------------------------------------------------------------------------------------------

fn bench_grid(c: &mut Criterion) {
    let law = Law1d::bimodal(2.0, 0.5).unwrap();
    // the path map does not depend on d (one 1-D map shared by all coordinates)
    let problem = GridProblem::new(law, 1, Start::Exact);
    let map: PathMap = path_map(&problem, &rm(), &mut stream_rng(4, 0)).unwrap();
    let draws = |d: usize| {
        let mut x = vec![0.0; d];
        Product::iid(law, d)
            .unwrap()
            .sample_marginal(T_MIN, &mut stream_rng(5, d as u64), &mut x);
        x
    };

    let mut g = c.benchmark_group("tv/grid-sum-log-ratio-sorted");
    for d in DIMS {
        let mut ys = draws(d);
        ys.sort_unstable_by(f64::total_cmp);
        g.throughput(Throughput::Elements(d as u64));
        g.bench_function(id(d), |b| b.iter(|| map.sum_log_ratio_sorted(black_box(&ys))));
    }
    g.finish();

    let mut g = c.benchmark_group("tv/grid-log-ratio");
    for d in DIMS {
        let ys = draws(d);
        g.throughput(Throughput::Elements(d as u64));
        g.bench_function(id(d), |b| {
            b.iter(|| black_box(&ys).iter().map(|&y| map.log_ratio(y)).sum::<f64>())
        });
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Kinetic
// ---------------------------------------------------------------------------------------------

fn bench_kinetic(c: &mut Criterion) {
    let law = Law1d::log_cosh();
    let stages = [
        KineticStage::Refresh,
        KineticStage::Ulmc {
            gamma: 2.0,
            h: 0.1,
            steps: 10,
        },
    ];
    let grid = KineticGrid {
        nx: 160,
        nv: 160,
        half_width: 10.0,
    };
    let marginal: Marginal1d = ulmc_marginal(law, &stages, grid).unwrap();

    let mut g = c.benchmark_group("tv/kinetic-sum-log-ratio");
    for d in DIMS {
        let mut rng = stream_rng(6, d as u64);
        let xs: Vec<f64> = (0..d).map(|_| law.sample(&mut rng)).collect();
        g.throughput(Throughput::Elements(d as u64));
        g.bench_function(id(d), |b| b.iter(|| marginal.sum_log_ratio(black_box(&xs))));
    }
    g.finish();

    let mut g = heavy(c, "tv/kinetic-product-tv");
    for d in DIMS {
        let cfg = NestedConfig {
            n: ((1 << 16) / d).max(2),
            m: 2,
            blocks: 2,
            seed: 7,
        };
        g.throughput(Throughput::Elements((cfg.n * d) as u64));
        g.bench_function(id(d), |b| b.iter(|| product_tv(black_box(&marginal), d, &cfg).unwrap()));
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Histogram plug-in
// ---------------------------------------------------------------------------------------------

fn bench_plugin(c: &mut Criterion) {
    let bimodal = || Mixture1d::new(vec![0.5, 0.5], vec![-2.0, 2.0], vec![0.6, 0.6]).unwrap();
    let values = |len: usize| {
        let mut rng = stream_rng(8, len as u64);
        (0..len)
            .map(|_| if normal(&mut rng) < 0.0 { -2.0 } else { 2.0 } + 0.6 * normal(&mut rng))
            .collect::<Vec<f64>>()
    };

    let mut g = heavy(c, "tv/plugin-pooled-1d");
    let law = bimodal();
    for d in DIMS {
        let n = ((1 << 16) / d).max(1);
        let xs = values(n * d);
        g.throughput(Throughput::Elements((n * d) as u64));
        g.bench_function(id(d), |b| b.iter(|| tv_pooled_1d(black_box(&xs), d, &law, 64).unwrap()));
    }
    g.finish();

    // histograms exist in d ≤ 3 only
    let mut g = heavy(c, "tv/plugin-hist");
    for d in [1, 2, 3] {
        let n = (1 << 16) / d;
        let xs = values(n * d);
        g.throughput(Throughput::Elements((n * d) as u64));
        if d == 1 {
            g.bench_function(id(d), |b| b.iter(|| tv_hist_1d(black_box(&xs), &law, 64).unwrap()));
        } else {
            let box_law = BoxLaw::product(vec![bimodal(); d]).unwrap();
            g.bench_function(id(d), |b| b.iter(|| tv_hist(black_box(&xs), &box_law, 16).unwrap()));
        }
    }
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Gaussian oracle
// ---------------------------------------------------------------------------------------------

fn bench_oracle(c: &mut Criterion) {
    // O(d) per integrand evaluation, a few thousand evaluations: d ∈ {64, 1,024} only.
    let mut g = heavy(c, "tv/oracle-diag-distinct");
    for d in DENSE_DIMS {
        let (m1, v1) = (vec![0.0; d], distinct_vars(d));
        // small, distinct per-coordinate perturbations (a sampler's error), TV of order 0.1
        let scale = 1.0 / (d as f64).sqrt();
        let m2: Vec<f64> = (0..d).map(|i| 0.3 * scale * (1.0 + (i % 7) as f64 / 7.0)).collect();
        let v2: Vec<f64> = v1
            .iter()
            .enumerate()
            .map(|(i, v)| v * (1.0 + 0.2 * scale * (1.0 + (i % 11) as f64 / 11.0)))
            .collect();
        g.throughput(Throughput::Elements(d as u64));
        g.bench_function(id(d), |b| {
            b.iter(|| GaussianPair::diagonal(black_box(&m1), &v1, &m2, &v2).unwrap().tv())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("tv/oracle-diag-isotropic");
    for d in DIMS {
        let (m1, v1) = (vec![0.0; d], vec![1.0; d]);
        let (m2, v2) = (vec![0.3 / (d as f64).sqrt(); d], vec![1.0 + 0.5 / (d as f64).sqrt(); d]);
        g.throughput(Throughput::Elements(d as u64));
        g.bench_function(id(d), |b| {
            b.iter(|| tv_gaussians_diag(black_box(&m1), &v1, &m2, &v2).unwrap())
        });
    }
    g.finish();

    let mut g = c.benchmark_group("tv/oracle-isotropic-scale");
    for d in DIMS {
        let b2 = 1.0 + 0.5 / (d as f64).sqrt();
        g.throughput(Throughput::Elements(d as u64));
        g.bench_function(id(d), |b| b.iter(|| tv_isotropic_scale(black_box(d), 1.0, b2).unwrap()));
    }
    g.finish();

    // O(d³): d ∈ {64, 1,024} only.
    let mut g = heavy(c, "tv/oracle-full");
    for d in DENSE_DIMS {
        let s1 = DMatrix::from_fn(d, d, |i, j| 0.5f64.powi((i as i32 - j as i32).abs()));
        let s2 = DMatrix::from_fn(d, d, |i, j| 0.45f64.powi((i as i32 - j as i32).abs()));
        let m1 = vec![0.0; d];
        let mut m2 = vec![0.0; d];
        fill_normal(&mut stream_rng(9, 0), &mut m2);
        m2.iter_mut().for_each(|m| *m *= 0.1 / (d as f64).sqrt());
        g.throughput(Throughput::Elements(d as u64));
        g.bench_function(id(d), |b| {
            b.iter(|| GaussianPair::full(black_box(&m1), &s1, &m2, &s2).unwrap().tv())
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_semi_analytic,
    bench_grid,
    bench_kinetic,
    bench_plugin,
    bench_oracle
);
criterion_main!(benches);
