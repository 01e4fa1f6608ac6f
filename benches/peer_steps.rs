//! Criterion benches of randmid's side of the peer comparison (issue 6): one EI, RM and ULMC step
//! on the diagonal Gaussian of `benches/peers/README.md`, the same steps that the NumPy and JAX
//! peers in `benches/peers/` time. Run everything with `benches/peers/run.sh`; this bench alone
//! with `cargo bench --bench peer_steps`.
//!
//! ```text
//! target   N(μ, diag(v)),  μ_i = 0.25 (i mod 5) − 0.5,  v_i = 0.5 + 0.25 (i mod 7)
//! EI       t = 1, h = 0.01                    ei_step
//! RM       t = 1, h = 0.01, α = 0.37          rm_step (2 score evaluations)
//! ULMC     t = 1, h = 0.01, γ = 2             2·d normals (ChaCha8, fill_normal) + ulmc_step
//! sizes    d ∈ {64, 1024, 65536}, and 64 trajectories × d = 1024 (a loop over the rows)
//! ```
//!
//! Each iteration is one step of every trajectory. Every [`RESET`] steps the state goes back to
//! its start (the copy is timed, and costs under 0.5% of a step): at fixed `t` the EI and RM maps
//! expand the coordinates with `v_i > 1` by about 1.001 per step and contract the others, so an
//! endless trajectory overflows, or underflows into subnormals, within about 10⁶ steps. The
//! peers reset at the same period.
//!
//! With `RANDMID_PEER_CHECK=<path>` in the environment the bench first writes the correctness
//! oracle there as JSON (d = 1024, `x_i = sin(i+1)`): one EI step, one RM step and one ULMC step
//! with the supplied normals `z_x,i = cos i`, `z_v,i = sin 2i` from `v_i = cos(i+1)`, plus the
//! ULMC coefficients.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput, measurement::WallTime};
use randmid::rng::{SampleRng, fill_normal, stream_rng};
use randmid::sampler::predictor::{PredictorWork, ei_step, rm_step};
use randmid::sampler::ulmc::{UlmcCoeffs, ulmc_step};
use randmid::target::Gaussian;

/// Single-trajectory sizes.
const DIMS: [usize; 3] = [64, 1_024, 65_536];
/// The batched size: `BATCH` trajectories of dimension `BATCH_DIM`.
const BATCH: usize = 64;
const BATCH_DIM: usize = 1_024;
/// Forward time, step size, RM midpoint fraction and ULMC friction of every benched step.
const T: f64 = 1.0;
const H: f64 = 0.01;
const ALPHA: f64 = 0.37;
const GAMMA: f64 = 2.0;
/// Steps between resets of the state to its start (the same period in the peers).
const RESET: u64 = 256;
/// Dimension of the correctness oracle.
const ORACLE_DIM: usize = 1_024;

/// The benchmark target `N(μ, diag(v))`.
fn target(d: usize) -> Gaussian {
    let mean = (0..d).map(|i| 0.25 * (i % 5) as f64 - 0.5).collect();
    let var = (0..d).map(|i| 0.5 + 0.25 * (i % 7) as f64).collect();
    Gaussian::diagonal(mean, var).expect("valid benchmark target")
}

/// `f(k)` for `k = 0..n` (the oracle inputs and the start states).
fn table(n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
    (0..n).map(|k| f(k as f64)).collect()
}

/// Benches `step` on `rows` trajectories of dimension `d` (row-major in one buffer), one
/// iteration being one step of every row, the state reset to its start every [`RESET`] steps.
fn bench_rows<F>(g: &mut BenchmarkGroup<'_, WallTime>, id: String, rows: usize, d: usize, mut step: F)
where
    F: FnMut(&mut [f64], &mut [f64]),
{
    let n = rows * d;
    let (x0, v0) = (table(n, |k| (k + 1.0).sin()), table(n, |k| (k + 1.0).cos()));
    let (mut x, mut v) = (x0.clone(), v0.clone());
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::from_parameter(id), |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters {
                if i % RESET == 0 {
                    x.copy_from_slice(&x0);
                    v.copy_from_slice(&v0);
                }
                for (xr, vr) in x.chunks_exact_mut(d).zip(v.chunks_exact_mut(d)) {
                    step(xr, vr);
                }
            }
            black_box((&x, &v));
            start.elapsed()
        })
    });
}

/// The sizes of every group: `(id, rows, d)`.
fn sizes() -> Vec<(String, usize, usize)> {
    let mut s: Vec<_> = DIMS.iter().map(|&d| (format!("d={d}"), 1, d)).collect();
    s.push((format!("batch={BATCH}x{BATCH_DIM}"), BATCH, BATCH_DIM));
    s
}

fn bench_ei(c: &mut Criterion) {
    let mut g = c.benchmark_group("peer/ei");
    for (id, rows, d) in sizes() {
        let (score, mut ws) = (target(d), PredictorWork::new(d));
        bench_rows(&mut g, id, rows, d, |x, _| ei_step(&score, T, H, x, &mut ws));
    }
    g.finish();
}

fn bench_rm(c: &mut Criterion) {
    let mut g = c.benchmark_group("peer/rm");
    for (id, rows, d) in sizes() {
        let (score, mut ws) = (target(d), PredictorWork::new(d));
        bench_rows(&mut g, id, rows, d, |x, _| rm_step(&score, T, H, ALPHA, x, &mut ws));
    }
    g.finish();
}

/// ULMC: per row, `2·d` fresh normals from one ChaCha8 stream into reusable buffers, then the step.
fn bench_ulmc(c: &mut Criterion) {
    let coeffs = UlmcCoeffs::new(GAMMA, H).expect("valid ULMC parameters");
    let mut g = c.benchmark_group("peer/ulmc");
    for (id, rows, d) in sizes() {
        let score = target(d);
        let mut rng: SampleRng = stream_rng(6, 0);
        let (mut zx, mut zv, mut gb) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
        bench_rows(&mut g, id, rows, d, |x, v| {
            fill_normal(&mut rng, &mut zx);
            fill_normal(&mut rng, &mut zv);
            ulmc_step(&score, T, &coeffs, x, v, &zx, &zv, &mut gb);
        });
    }
    g.finish();
}

/// JSON array of `xs` (`{:?}` prints the shortest decimal that reads back to the same f64).
fn json_array(xs: &[f64]) -> String {
    let items: Vec<String> = xs.iter().map(|x| format!("{x:?}")).collect();
    format!("[{}]", items.join(","))
}

/// The oracle outputs at d = [`ORACLE_DIM`] for the fixed inputs, as JSON.
fn oracle_json() -> String {
    let d = ORACLE_DIM;
    let score = target(d);
    let x0 = table(d, |k| (k + 1.0).sin());
    let mut ws = PredictorWork::new(d);
    let mut ei = x0.clone();
    ei_step(&score, T, H, &mut ei, &mut ws);
    let mut rm = x0.clone();
    rm_step(&score, T, H, ALPHA, &mut rm, &mut ws);
    let coeffs = UlmcCoeffs::new(GAMMA, H).expect("valid ULMC parameters");
    let (zx, zv) = (table(d, f64::cos), table(d, |k| (2.0 * k).sin()));
    let (mut ux, mut uv, mut gb) = (x0.clone(), table(d, |k| (k + 1.0).cos()), vec![0.0; d]);
    ulmc_step(&score, T, &coeffs, &mut ux, &mut uv, &zx, &zv, &mut gb);
    let (f, l) = (coeffs.flow, coeffs.chol);
    let coef = [f.decay, f.vel, f.force, l[0][0], l[1][0], l[1][1]];
    format!(
        concat!(
            "{{\"impl\":\"randmid\",\"d\":{},\"t\":{:?},\"h\":{:?},\"alpha\":{:?},\"gamma\":{:?},",
            "\"ulmc_coeffs\":{},\"ei\":{},\"rm\":{},\"ulmc_x\":{},\"ulmc_v\":{}}}\n"
        ),
        d,
        T,
        H,
        ALPHA,
        GAMMA,
        json_array(&coef),
        json_array(&ei),
        json_array(&rm),
        json_array(&ux),
        json_array(&uv)
    )
}

fn main() {
    if let Some(path) = std::env::var_os("RANDMID_PEER_CHECK") {
        std::fs::write(&path, oracle_json()).expect("write the RANDMID_PEER_CHECK oracle");
        eprintln!("peer_steps: oracle written to {}", path.to_string_lossy());
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    bench_ei(&mut c);
    bench_rm(&mut c);
    bench_ulmc(&mut c);
    c.final_summary();
}
