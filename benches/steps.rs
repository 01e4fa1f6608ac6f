//! Criterion benches: throughput (coordinates per second) of the score and of one sampler step,
//! for d ∈ {64, 1,024, 65,536}. Run: `cargo bench --bench steps`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use randmid::rng::{fill_normal, stream_rng};
use randmid::sampler::Corrector;
use randmid::sampler::predictor::{PredictorWork, ei_step, rm_step};
use randmid::sampler::{CorrectorKind, CorrectorWork};
use randmid::target::{Gaussian, Score};

const DIMS: [usize; 3] = [64, 1_024, 65_536];

fn point(d: usize) -> Vec<f64> {
    let mut x = vec![0.0; d];
    fill_normal(&mut stream_rng(1, 0), &mut x);
    x
}

fn bench_score(c: &mut Criterion) {
    let mut g = c.benchmark_group("score/gaussian-diag");
    for d in DIMS {
        let target = Gaussian::isotropic(d, 1.0, 4.0).unwrap();
        let (x, mut out) = (point(d), vec![0.0; d]);
        g.throughput(Throughput::Elements(d as u64));
        g.bench_with_input(BenchmarkId::from_parameter(d), &d, |b, _| {
            b.iter(|| target.score(black_box(0.7), black_box(&x), &mut out))
        });
    }
    g.finish();
}

fn bench_predictors(c: &mut Criterion) {
    let mut g = c.benchmark_group("step/predictor");
    for d in DIMS {
        let target = Gaussian::isotropic(d, 1.0, 4.0).unwrap();
        let mut x = point(d);
        let mut ws = PredictorWork::new(d);
        g.throughput(Throughput::Elements(d as u64));
        g.bench_with_input(BenchmarkId::new("ei", d), &d, |b, _| {
            b.iter(|| {
                ei_step(&target, 1.0, 1e-9, &mut x, &mut ws);
            })
        });
        g.bench_with_input(BenchmarkId::new("rm", d), &d, |b, _| {
            b.iter(|| {
                rm_step(&target, 1.0, 1e-9, 0.37, &mut x, &mut ws);
            })
        });
    }
    g.finish();
}

/// One corrector step with its noise, buffers allocated once ([`Corrector::draw_step`] then
/// [`Corrector::step_with`]), next to the cost of drawing that noise alone (`2d` normals for
/// ULMC, one uniform and `3d` normals for RM-ULMC): the goal is step ≤ normals + 1 ns per
/// coordinate.
fn bench_correctors(c: &mut Criterion) {
    let mut g = c.benchmark_group("step/corrector");
    for d in DIMS {
        let target = Gaussian::isotropic(d, 1.0, 4.0).unwrap();
        let mut x = point(d);
        let mut rng = stream_rng(2, 0);
        g.throughput(Throughput::Elements(d as u64));
        for kind in [CorrectorKind::Ulmc, CorrectorKind::RmUlmc] {
            let corr = Corrector::new(kind, 2.0, 0.01, 0.1).unwrap();
            let coeffs = corr.coeffs();
            let mut work = CorrectorWork::new(d);
            g.bench_with_input(BenchmarkId::new(format!("{} step", kind.name()), d), &d, |b, _| {
                b.iter(|| {
                    corr.draw_step(&mut rng, &mut work);
                    corr.step_with(&target, 1.0, &coeffs, &mut x, &mut work);
                })
            });
            g.bench_with_input(
                BenchmarkId::new(format!("{} noise only", kind.name()), d),
                &d,
                |b, _| b.iter(|| corr.draw_step(&mut rng, &mut work)),
            );
        }
    }
    g.finish();
}

/// The EI predictor step on a product target (iid coordinates, Bimodal and Gaussian1d laws):
/// the per-coordinate 1-D score is the cost there.
fn bench_product_steps(c: &mut Criterion) {
    use randmid::target::{Law1d, Product};
    let mut g = c.benchmark_group("step/predictor ei on products");
    for d in DIMS {
        g.throughput(Throughput::Elements(d as u64));
        let laws = [
            ("bimodal", Law1d::bimodal(2.0, 0.5).unwrap()),
            ("gaussian1d", Law1d::gaussian(1.0, 4.0).unwrap()),
        ];
        for (name, law) in laws {
            let target = Product::iid(law, d).unwrap();
            let mut x = point(d);
            let mut ws = PredictorWork::new(d);
            g.bench_with_input(BenchmarkId::new(name, d), &d, |b, _| {
                b.iter(|| ei_step(&target, 1.0, 1e-9, &mut x, &mut ws))
            });
        }
    }
    g.finish();
}

/// One parallel RM predictor step (R = 8 nodes, K = 2 Picard rounds: 4 rounds, 25 evaluations)
/// and one ACV24 coarse step (M = 8 cells, K = 6: sequential ULMC at h/8, 50 evaluations);
/// throughput in coordinates × evaluations per second.
fn bench_parallel(c: &mut Criterion) {
    use randmid::parallel::picard::PicardWork;
    use randmid::parallel::rm_par::{RmParWork, rm_par_step};
    use randmid::parallel::ulmc_par::ulmc_par_step;
    use randmid::sampler::ulmc::UlmcCoeffs;
    let mut g = c.benchmark_group("step/parallel (per evaluation)");
    for d in DIMS {
        let target = Gaussian::isotropic(d, 1.0, 4.0).unwrap();
        let mut x = point(d);
        let u = [0.1, 0.5, 0.9, 0.3, 0.7, 0.2, 0.6, 0.4];
        let mut w = RmParWork::default();
        g.throughput(Throughput::Elements(25 * d as u64));
        g.bench_with_input(BenchmarkId::new("rm-par R=8 K=2", d), &d, |b, _| {
            b.iter(|| rm_par_step(&target, 1.0, 1e-9, &u, 2, &mut x, &mut w))
        });
        let fine = UlmcCoeffs::new(2.0, 0.01 / 8.0).unwrap();
        let (mut v, mut z) = (vec![0.0; d], vec![0.0; 16 * d]);
        fill_normal(&mut stream_rng(3, 0), &mut z);
        let mut pw = PicardWork::default();
        g.throughput(Throughput::Elements(50 * d as u64));
        g.bench_with_input(BenchmarkId::new("ulmc-par M=8 K=6", d), &d, |b, _| {
            b.iter(|| ulmc_par_step(&target, 1.0, &fine, 8, 6, &mut x, &mut v, &z, &mut pw))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_score,
    bench_predictors,
    bench_product_steps,
    bench_correctors,
    bench_parallel
);
criterion_main!(benches);
