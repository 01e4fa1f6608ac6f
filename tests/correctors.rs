//! Underdamped-Langevin correctors: exponential-integrator ULMC (paper.md §2.2) and Shen–Lee
//! randomized-midpoint ULMC (anchors-theory.md §1.5.1), against exact solutions.
//!
//! * Noise covariances: the code's formulas vs the textbook closed form, a Van Loan matrix
//!   exponential and composite Gauss–Legendre quadrature of the defining Itô integrals (1e-10).
//! * Noise generation: Wishart likelihood-ratio tests (known zero mean) of the pairs / triples
//!   produced by the step's own code path, rejected at level 0.001 with the χ² critical value.
//! * Exactness: ULMC is exact for a constant score; RM-ULMC is unbiased over α for it, and its
//!   midpoint is the exact frozen-score flow (this pins the midpoint sign volesti got wrong).
//! * Orders: exact (Monte-Carlo-free) second-moment recursions on N(0, σ²) with the step maps
//!   read off the real step functions; stationary variance bias slopes 1 (ULMC) and 3 (RM).
//! * Driver: NFE accounting against `target::Counting`, documented draw order, and a Monte
//!   Carlo run against the exact finite-time variance from the same recursion.

use nalgebra::{DMatrix, Matrix2, Matrix3, Matrix4, Vector3};
use randmid::metrics::loglog_slope;
use randmid::quad::gauss_legendre;
use randmid::rng::{SampleRng, fill_normal, stream_rng, uniform01};
use randmid::sampler::corrector::{Corrector, CorrectorKind};
use randmid::sampler::rm_ulmc::{RmUlmcCoeffs, RmUlmcWork, rm_brownian_cov, rm_ulmc_step};
use randmid::sampler::ulmc::{UlmcCoeffs, ulmc_noise_cov, ulmc_step};
use randmid::target::{Counting, Gaussian, Score};
use statrs::distribution::{ChiSquared, ContinuousCDF};
use std::sync::Mutex;

// ---------------------------------------------------------------------------------------------
// helpers

/// Composite Gauss–Legendre (`panels` × 20 nodes) of `f` over `[lo, hi]`.
fn quad(lo: f64, hi: f64, panels: usize, f: impl Fn(f64) -> f64) -> f64 {
    let (x, w) = gauss_legendre(20);
    let len = (hi - lo) / panels as f64;
    (0..panels)
        .map(|p| {
            let a = lo + p as f64 * len;
            x.iter().zip(&w).map(|(&xi, &wi)| wi * f(a + xi * len)).sum::<f64>() * len
        })
        .sum()
}

fn rel_err(a: f64, b: f64) -> f64 {
    if a == b { 0.0 } else { (a - b).abs() / b.abs() }
}

/// A constant score field `s ≡ g` that records every point it is evaluated at.
struct Recorder {
    g: f64,
    d: usize,
    calls: Mutex<Vec<Vec<f64>>>,
}

impl Recorder {
    fn new(g: f64, d: usize) -> Self {
        Recorder {
            g,
            d,
            calls: Mutex::new(Vec::new()),
        }
    }
}

impl Score for Recorder {
    fn dim(&self) -> usize {
        self.d
    }
    fn score(&self, _t: f64, x: &[f64], out: &mut [f64]) {
        self.calls.lock().unwrap().push(x.to_vec());
        out.fill(self.g);
    }
}

/// Exact ULD transition over `h` with constant score `g` (unit mass): mean via the augmented
/// matrix exponential, covariance via Van Loan. Independent of the crate's formulas.
fn exact_constant_score(gamma: f64, h: f64, g: f64, x0: f64, v0: f64) -> ([f64; 2], Matrix2<f64>) {
    let m = Matrix3::new(0.0, 1.0, 0.0, 0.0, -gamma, g, 0.0, 0.0, 0.0) * h;
    let mean = m.exp() * Vector3::new(x0, v0, 1.0);
    ([mean[0], mean[1]], van_loan(gamma, h))
}

/// `∫_0^h e^{As} B Bᵀ e^{Aᵀs} ds`, `A = [[0,1],[0,−γ]]`, `B = (0, √(2γ))ᵀ`, by the Van Loan
/// block exponential `exp([[−A, BBᵀ], [0, Aᵀ]] h) = [[·, F₁₂], [0, F₂₂]]`, `Q = F₂₂ᵀ F₁₂`.
fn van_loan(gamma: f64, h: f64) -> Matrix2<f64> {
    let mut m = Matrix4::zeros();
    m[(0, 1)] = -1.0;
    m[(1, 1)] = gamma;
    m[(1, 3)] = 2.0 * gamma;
    m[(2, 2)] = 0.0;
    m[(3, 2)] = 1.0;
    m[(3, 3)] = -gamma;
    let e = (m * h).exp();
    let f12 = e.fixed_view::<2, 2>(0, 2).into_owned();
    let f22 = e.fixed_view::<2, 2>(2, 2).into_owned();
    f22.transpose() * f12
}

/// The same integral by quadrature, with `e^{As} = [[1, (1−e^{−γs})/γ], [0, e^{−γs}]]`.
fn ulmc_cov_by_quadrature(gamma: f64, h: f64) -> [[f64; 2]; 2] {
    let b01 = |s: f64| -(-gamma * s).exp_m1() / gamma;
    let b11 = |s: f64| (-gamma * s).exp();
    let q = |f: &dyn Fn(f64) -> f64| 2.0 * gamma * quad(0.0, h, 16, f);
    let xx = q(&|s| b01(s) * b01(s));
    let xv = q(&|s| b01(s) * b11(s));
    let vv = q(&|s| b11(s) * b11(s));
    [[xx, xv], [xv, vv]]
}

/// The defining integrals of `(W₁, W₂, W₃)` by quadrature (anchors-theory.md §1.5.1):
/// `W₁ = ∫_0^a (1−e^{−γ(a−s)}) dB`, `W₂ = ∫_0^h (1−e^{−γ(h−s)}) dB`, `W₃ = ∫_0^h e^{−γ(h−s)} dB`.
fn rm_cov_by_quadrature(gamma: f64, h: f64, alpha: f64) -> [[f64; 3]; 3] {
    let a = alpha * h;
    let k1 = move |s: f64| -(-gamma * (a - s)).exp_m1();
    let k2 = move |s: f64| -(-gamma * (h - s)).exp_m1();
    let k3 = move |s: f64| (-gamma * (h - s)).exp();
    let on_a = |f: &dyn Fn(f64) -> f64| if a > 0.0 { quad(0.0, a, 16, f) } else { 0.0 };
    let on_h = |f: &dyn Fn(f64) -> f64| quad(0.0, h, 16, f);
    let v11 = on_a(&|s| k1(s) * k1(s));
    let v12 = on_a(&|s| k1(s) * k2(s));
    let v13 = on_a(&|s| k1(s) * k3(s));
    let v22 = on_h(&|s| k2(s) * k2(s));
    let v23 = on_h(&|s| k2(s) * k3(s));
    let v33 = on_h(&|s| k3(s) * k3(s));
    [[v11, v12, v13], [v12, v22, v23], [v13, v23, v33]]
}

/// Wishart likelihood-ratio statistic for `H₀: Cov = Σ₀` with known zero mean,
/// `n [tr(S Σ₀⁻¹) − ln det(S Σ₀⁻¹) − p]` (≈ χ² with p(p+1)/2 dof). Computed after scaling to
/// the correlation of `Σ₀` and whitening with its Cholesky factor (the statistic is affine
/// invariant), so badly scaled `Σ₀` at small `h` stay well conditioned.
fn wishart_lr(samples: &[Vec<f64>], sigma0: &DMatrix<f64>) -> f64 {
    let p = sigma0.nrows();
    let dscale: Vec<f64> = (0..p).map(|i| 1.0 / sigma0[(i, i)].sqrt()).collect();
    let corr = DMatrix::from_fn(p, p, |i, j| sigma0[(i, j)] * dscale[i] * dscale[j]);
    let l = corr.cholesky().expect("Σ₀ positive definite").l();
    let mut s = DMatrix::<f64>::zeros(p, p);
    for xi in samples {
        let y = nalgebra::DVector::from_fn(p, |i, _| xi[i] * dscale[i]);
        let w = l.solve_lower_triangular(&y).unwrap();
        s += &w * w.transpose();
    }
    let n = samples.len() as f64;
    s /= n;
    n * (s.trace() - s.determinant().ln() - p as f64)
}

fn chi2_critical(p: usize) -> f64 {
    ChiSquared::new((p * (p + 1) / 2) as f64).unwrap().inverse_cdf(0.999)
}

/// `(A, C)` of one 1-D step `(x, v) ↦ A (x, v) + C z` for a linear score, read off the real
/// step function `step(x, v, z)` by applying it to basis vectors (zero noise) and to unit
/// noise vectors (zero state).
fn linear_map<const K: usize>(step: impl Fn(&mut f64, &mut f64, [f64; K])) -> (Matrix2<f64>, [[f64; 2]; K]) {
    let mut a = Matrix2::zeros();
    for j in 0..2 {
        let (mut x, mut v) = (if j == 0 { 1.0 } else { 0.0 }, if j == 1 { 1.0 } else { 0.0 });
        step(&mut x, &mut v, [0.0; K]);
        a[(0, j)] = x;
        a[(1, j)] = v;
    }
    let mut c = [[0.0; 2]; K];
    for (j, cj) in c.iter_mut().enumerate() {
        let (mut x, mut v) = (0.0, 0.0);
        let mut z = [0.0; K];
        z[j] = 1.0;
        step(&mut x, &mut v, z);
        *cj = [x, v];
    }
    (a, c)
}

fn ulmc_map(score: &dyn Score, t: f64, gamma: f64, h: f64) -> (Matrix2<f64>, [[f64; 2]; 2]) {
    let coeffs = UlmcCoeffs::new(gamma, h).unwrap();
    linear_map(|x, v, z: [f64; 2]| {
        let (mut xs, mut vs, mut g) = ([*x], [*v], [0.0]);
        ulmc_step(score, t, &coeffs, &mut xs, &mut vs, &[z[0]], &[z[1]], &mut g);
        (*x, *v) = (xs[0], vs[0]);
    })
}

fn rm_map(score: &dyn Score, t: f64, gamma: f64, h: f64, alpha: f64) -> (Matrix2<f64>, [[f64; 2]; 3]) {
    linear_map(|x, v, z: [f64; 3]| {
        let (mut xs, mut vs, mut w) = ([*x], [*v], RmUlmcWork::new(1));
        rm_ulmc_step(
            score,
            t,
            gamma,
            h,
            alpha,
            &[z[0]],
            &[z[1]],
            &[z[2]],
            &mut xs,
            &mut vs,
            &mut w,
        );
        (*x, *v) = (xs[0], vs[0]);
    })
}

/// `(A, C)` of one 1-D linear step.
type StepMap<const K: usize> = (Matrix2<f64>, [[f64; 2]; K]);

/// The α-averaged second-moment map `Σ ↦ Σ_k w_k (A_k Σ A_kᵀ + C_k C_kᵀ)` of one step.
struct MomentMap {
    terms: Vec<(f64, Matrix2<f64>)>,
    noise: Matrix2<f64>,
}

impl MomentMap {
    fn new<const K: usize>(terms: Vec<(f64, StepMap<K>)>) -> Self {
        let mut noise = Matrix2::zeros();
        for (w, (_, c)) in &terms {
            for cj in c {
                let col = nalgebra::Vector2::new(cj[0], cj[1]);
                noise += *w * col * col.transpose();
            }
        }
        MomentMap {
            terms: terms.into_iter().map(|(w, (a, _))| (w, a)).collect(),
            noise,
        }
    }

    fn ulmc(score: &dyn Score, t: f64, gamma: f64, h: f64) -> Self {
        Self::new(vec![(1.0, ulmc_map(score, t, gamma, h))])
    }

    /// RM-ULMC with `E_α` by 40-node Gauss–Legendre.
    fn rm(score: &dyn Score, t: f64, gamma: f64, h: f64) -> Self {
        let (x, w) = gauss_legendre(40);
        Self::new(
            x.iter()
                .zip(&w)
                .map(|(&a, &wi)| (wi, rm_map(score, t, gamma, h, a)))
                .collect(),
        )
    }

    fn homogeneous(&self, s: &Matrix2<f64>) -> Matrix2<f64> {
        self.terms
            .iter()
            .fold(Matrix2::zeros(), |acc, (w, a)| acc + *w * a * s * a.transpose())
    }

    fn apply(&self, s: &Matrix2<f64>) -> Matrix2<f64> {
        self.homogeneous(s) + self.noise
    }

    /// The fixed point `Σ = M(Σ)` by a 3×3 linear solve on `(Σ_xx, Σ_xv, Σ_vv)`.
    fn stationary(&self) -> Matrix2<f64> {
        let basis = [
            Matrix2::new(1.0, 0.0, 0.0, 0.0),
            Matrix2::new(0.0, 1.0, 1.0, 0.0),
            Matrix2::new(0.0, 0.0, 0.0, 1.0),
        ];
        let vec3 = |m: &Matrix2<f64>| Vector3::new(m[(0, 0)], m[(0, 1)], m[(1, 1)]);
        let mut k = Matrix3::zeros();
        for (j, b) in basis.iter().enumerate() {
            k.set_column(j, &vec3(&self.homogeneous(b)));
        }
        let s = (Matrix3::identity() - k).lu().solve(&vec3(&self.noise)).unwrap();
        Matrix2::new(s[0], s[1], s[1], s[2])
    }
}

// ---------------------------------------------------------------------------------------------
// ULMC noise covariance

/// Code vs textbook closed form (paper.md §2.2) vs Van Loan vs quadrature, to 1e-10 relative;
/// positive definite with the small-u determinant ratio det/(Var ξ^x Var ξ^v) → 1/4 down to
/// h = 1e-6. The closed form of Var ξ^x itself is only accurate to ~ε/u³ (`1 − η` carries an
/// absolute error ε; tv-methodology §4.3), so where u = γh < 0.05 it is compared with tolerance
/// 10ε/u³ (2e-3 at u = 1e-4); the quadrature comparison stays at 1e-10 throughout.
#[test]
fn ulmc_noise_cov_matches_closed_form_van_loan_and_quadrature() {
    let cases = [
        (1.0, 0.1),
        (2.0, 0.5),
        (0.5, 2.0),
        (5.0, 0.01),
        (2.0, 5e-5),
        (1.0, 1e-4),
        (0.5, 1e-6),
        (5.0, 1e-6),
    ];
    for (gamma, h) in cases {
        let c = ulmc_noise_cov(gamma, h);
        let u: f64 = gamma * h;
        let eta = (-u).exp();
        let closed = [
            2.0 / gamma * (h - 2.0 * (1.0 - eta) / gamma + (1.0 - eta * eta) / (2.0 * gamma)),
            (1.0 - eta).powi(2) / gamma,
            1.0 - eta * eta,
        ];
        let tol_closed = if u >= 0.05 {
            1e-10
        } else {
            10.0 * f64::EPSILON / (u * u * u)
        };
        let q = ulmc_cov_by_quadrature(gamma, h);
        let code = [c[0][0], c[0][1], c[1][1]];
        let quad = [q[0][0], q[0][1], q[1][1]];
        assert_eq!(c[0][1], c[1][0]);
        for i in 0..3 {
            assert!(
                rel_err(code[i], quad[i]) < 1e-10,
                "γ={gamma} h={h} entry {i}: {} vs quad {}",
                code[i],
                quad[i]
            );
            assert!(
                rel_err(code[i], closed[i]) < tol_closed,
                "γ={gamma} h={h} entry {i} vs closed form: rel {:e}",
                rel_err(code[i], closed[i])
            );
        }
        if u >= 0.05 {
            let vl = van_loan(gamma, h);
            let vlv = [vl[(0, 0)], vl[(0, 1)], vl[(1, 1)]];
            for i in 0..3 {
                assert!(
                    rel_err(code[i], vlv[i]) < 1e-10,
                    "γ={gamma} h={h} entry {i} vs Van Loan {}",
                    vlv[i]
                );
            }
        }
    }
    for gamma in [0.5, 2.0, 5.0] {
        for h in [1e-2, 1e-3, 1e-4, 1e-5, 1e-6] {
            let c = UlmcCoeffs::new(gamma, h).unwrap();
            let v = c.noise_cov();
            let det = v[0][0] * v[1][1] - v[0][1] * v[0][1];
            assert!(
                det > 0.0 && c.chol[0][0] > 0.0 && c.chol[1][1] > 0.0,
                "γ={gamma} h={h} not PD"
            );
            if gamma * h <= 1e-4 {
                let ratio = det / (v[0][0] * v[1][1]);
                assert!((ratio - 0.25).abs() < 1e-3, "γ={gamma} h={h}: det ratio {ratio}");
            }
        }
    }
}

/// The Cholesky factor the step applies reproduces the covariance: the step's response to unit
/// noise vectors (zero state, zero score) gives `L`, and `L Lᵀ = Σ` to 1e-12 relative.
#[test]
fn ulmc_step_noise_columns_reproduce_covariance() {
    let zero = Recorder::new(0.0, 1);
    for (gamma, h) in [(2.0, 0.1), (0.5, 3.0), (2.0, 5e-5)] {
        let (a, c) = ulmc_map(&zero, 0.0, gamma, h);
        let llt = c.iter().fold(Matrix2::zeros(), |acc, cj| {
            let col = nalgebra::Vector2::new(cj[0], cj[1]);
            acc + col * col.transpose()
        });
        let v = ulmc_noise_cov(gamma, h);
        for (i, j) in [(0, 0), (0, 1), (1, 1)] {
            assert!(rel_err(llt[(i, j)], v[i][j]) < 1e-12, "γ={gamma} h={h} ({i},{j})");
        }
        let eta = (-gamma * h).exp();
        let b = -(-gamma * h).exp_m1() / gamma;
        assert!(rel_err(a[(0, 1)], b) < 1e-14 && rel_err(a[(1, 1)], eta) < 1e-14 && a[(0, 0)] == 1.0);
    }
}

/// n = 2·10⁵ noise pairs produced by `ulmc_step` itself (zero score, zero state): Wishart LR test
/// of Cov = `ulmc_noise_cov` at level 0.001 (χ² with 3 dof), including the series branch.
#[test]
fn ulmc_noise_pairs_pass_wishart_lr_test() {
    let n = 200_000;
    let zero = Recorder::new(0.0, n);
    for (k, (gamma, h)) in [(2.0, 0.1), (0.5, 1.0), (2.0, 5e-5)].into_iter().enumerate() {
        let coeffs = UlmcCoeffs::new(gamma, h).unwrap();
        let mut rng = stream_rng(20_241_001, k as u64);
        let (mut zx, mut zv) = (vec![0.0; n], vec![0.0; n]);
        fill_normal(&mut rng, &mut zx);
        fill_normal(&mut rng, &mut zv);
        let (mut x, mut v, mut g) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        ulmc_step(&zero, 0.0, &coeffs, &mut x, &mut v, &zx, &zv, &mut g);
        let samples: Vec<Vec<f64>> = x.iter().zip(&v).map(|(&a, &b)| vec![a, b]).collect();
        let c = ulmc_noise_cov(gamma, h);
        let sigma0 = DMatrix::from_fn(2, 2, |i, j| c[i][j]);
        let stat = wishart_lr(&samples, &sigma0);
        println!("ULMC γ={gamma} h={h}: LR {stat:.2} (critical {:.2})", chi2_critical(2));
        assert!(
            stat < chi2_critical(2),
            "γ={gamma} h={h}: LR {stat} ≥ {}",
            chi2_critical(2)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Shen–Lee (W₁, W₂, W₃)

/// `rm_brownian_cov` vs quadrature of the defining integrals, 1e-10 relative, for γ ∈ {0.5, 2, 5},
/// h ∈ {1e-6, 1e-3, 0.1, 0.5, 2} (the small ones on the Taylor branch)
/// and α including the singular ends α = 0 and α = 1. Also: volesti's W₂ (Shen–Lee's
/// (G, H) construction with e^{−2a} in place of e^{−2h}, γ = 2) fails this check, while the same
/// construction with e^{−2h} passes.
#[test]
fn rm_brownian_cov_matches_quadrature() {
    for gamma in [0.5, 2.0, 5.0] {
        for h in [1e-6, 1e-3, 0.1, 0.5, 2.0] {
            for alpha in [0.0, 0.05, 0.3, 0.5, 0.77, 1.0] {
                let c = rm_brownian_cov(gamma, h, alpha);
                let q = rm_cov_by_quadrature(gamma, h, alpha);
                for i in 0..3 {
                    for j in 0..3 {
                        assert_eq!(c[i][j], c[j][i]);
                        let e = rel_err(c[i][j], q[i][j]);
                        assert!(
                            e < 1e-10,
                            "γ={gamma} h={h} α={alpha} ({i},{j}): {} vs {}",
                            c[i][j],
                            q[i][j]
                        );
                    }
                }
            }
        }
    }
    // Shen–Lee Appendix A with γ = 2: H = B_h, G = ∫_0^h e^{2s} dB, W₂ = H − e^{−2c} G.
    let sl_var_w2 = |h: f64, c: f64| {
        h - (-2.0 * c).exp() * ((2.0 * h).exp() - 1.0) + (-4.0 * c).exp() * ((4.0 * h).exp() - 1.0) / 4.0
    };
    for (h, alpha) in [(0.5, 0.5), (0.2, 0.3), (1.0, 0.9)] {
        let truth = rm_cov_by_quadrature(2.0, h, alpha)[1][1];
        assert!(rel_err(sl_var_w2(h, h), truth) < 1e-10, "e^{{−2h}} construction");
        assert!(
            rel_err(sl_var_w2(h, alpha * h), truth) > 1e-2,
            "volesti's e^{{−2a}} slip not caught"
        );
    }
}

/// 2·10⁵ triples `(W₁, W₂, W₃) = L z` from `RmUlmcCoeffs::noise` (the function the step uses):
/// Wishart LR test of Cov = `rm_brownian_cov` at level 0.001 (χ² with 6 dof) at α ∈ {0.1, 0.5, 0.9}.
#[test]
fn rm_noise_triples_pass_wishart_lr_test() {
    let n = 200_000;
    for (k, (gamma, h, alpha)) in [(2.0, 0.2, 0.1), (2.0, 0.2, 0.5), (0.5, 1.0, 0.9), (5.0, 1e-3, 0.5)]
        .into_iter()
        .enumerate()
    {
        let coeffs = RmUlmcCoeffs::new(gamma, h, alpha);
        let mut rng = stream_rng(20_241_002, k as u64);
        let mut z = vec![0.0; 3 * n];
        fill_normal(&mut rng, &mut z);
        let samples: Vec<Vec<f64>> = z
            .chunks_exact(3)
            .map(|c| coeffs.noise([c[0], c[1], c[2]]).to_vec())
            .collect();
        let c = rm_brownian_cov(gamma, h, alpha);
        let sigma0 = DMatrix::from_fn(3, 3, |i, j| c[i][j]);
        let stat = wishart_lr(&samples, &sigma0);
        println!(
            "RM γ={gamma} h={h} α={alpha}: LR {stat:.2} (critical {:.2})",
            chi2_critical(3)
        );
        assert!(
            stat < chi2_critical(3),
            "γ={gamma} h={h} α={alpha}: LR {stat} ≥ {}",
            chi2_critical(3)
        );
    }
}

/// The step wires the noise as documented: with zero score and zero state, the midpoint it
/// evaluates is `(√(2γ)/γ) W₁`, and `(x', v') = ((√(2γ)/γ) W₂, √(2γ) W₃)`, bit for bit, for the
/// same `z`. At α = 0 the midpoint is exactly `x` (no NaN).
#[test]
fn rm_step_uses_w1_w2_w3_as_documented() {
    let d = 5;
    let mut rng = stream_rng(7, 0);
    for (gamma, h, alpha) in [(2.0, 0.3, 0.4), (0.5, 1e-4, 0.9), (5.0, 1.0, 0.0), (2.0, 0.3, 1.0)] {
        let rec = Recorder::new(0.0, d);
        let mut z = [vec![0.0; d], vec![0.0; d], vec![0.0; d]];
        z.iter_mut().for_each(|zi| fill_normal(&mut rng, zi));
        let (mut x, mut v, mut w) = (vec![0.0; d], vec![0.0; d], RmUlmcWork::new(d));
        rm_ulmc_step(&rec, 0.0, gamma, h, alpha, &z[0], &z[1], &z[2], &mut x, &mut v, &mut w);
        let calls = rec.calls.lock().unwrap();
        assert_eq!(calls.len(), 2);
        let coeffs = RmUlmcCoeffs::new(gamma, h, alpha);
        let s = (2.0 * gamma).sqrt();
        for i in 0..d {
            let wv = coeffs.noise([z[0][i], z[1][i], z[2][i]]);
            assert_eq!(calls[1][i], s / gamma * wv[0]);
            assert_eq!(x[i], s / gamma * wv[1]);
            assert_eq!(v[i], s * wv[2]);
            assert!(x[i].is_finite() && v[i].is_finite());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// exactness for a constant score

/// ULMC is exact for a constant score: the zero-noise step equals the exact mean (augmented
/// matrix exponential) to 1e-12, and its noise columns give the Van Loan covariance to 1e-10.
#[test]
fn ulmc_exact_for_constant_score() {
    for (gamma, h, g) in [(1.0, 0.1, 0.7), (2.0, 0.5, -1.3), (0.5, 2.0, 2.0)] {
        let score = Recorder::new(g, 1);
        let coeffs = UlmcCoeffs::new(gamma, h).unwrap();
        let (x0, v0) = (0.4, -0.9);
        let (mut x, mut v, mut buf) = ([x0], [v0], [0.0]);
        ulmc_step(&score, 0.0, &coeffs, &mut x, &mut v, &[0.0], &[0.0], &mut buf);
        let (mean, cov) = exact_constant_score(gamma, h, g, x0, v0);
        assert!(
            (x[0] - mean[0]).abs() < 1e-12 && (v[0] - mean[1]).abs() < 1e-12,
            "γ={gamma} h={h}"
        );
        let (_, c) = ulmc_map(&Recorder::new(0.0, 1), 0.0, gamma, h);
        let llt = |i: usize, j: usize| c.iter().map(|cj| cj[i] * cj[j]).sum::<f64>();
        for (i, j) in [(0, 0), (0, 1), (1, 1)] {
            assert!(rel_err(llt(i, j), cov[(i, j)]) < 1e-10, "γ={gamma} h={h} cov ({i},{j})");
        }
    }
}

/// RM-ULMC with a constant score: the midpoint it evaluates is the exact flow to a = αh (this
/// pins the **plus** sign of the score term in score form; volesti's flipped sign fails), the
/// Gauss–Legendre average over α of the zero-noise step equals the exact mean (unbiasedness,
/// 1e-12), and for every α the (x', v') noise has the exact Van Loan covariance (1e-10).
#[test]
fn rm_ulmc_midpoint_exact_and_unbiased_for_constant_score() {
    let (x0, v0) = (0.4, -0.9);
    for (gamma, h, g) in [(1.0, 0.1, 0.7), (2.0, 0.5, -1.3), (0.5, 2.0, 2.0)] {
        let (nodes, weights) = gauss_legendre(40);
        let (mut ex, mut ev) = (0.0, 0.0);
        for (&alpha, &w) in nodes.iter().zip(&weights) {
            let rec = Recorder::new(g, 1);
            let (mut x, mut v, mut work) = ([x0], [v0], RmUlmcWork::new(1));
            rm_ulmc_step(
                &rec,
                0.0,
                gamma,
                h,
                alpha,
                &[0.0],
                &[0.0],
                &[0.0],
                &mut x,
                &mut v,
                &mut work,
            );
            let (mid, _) = exact_constant_score(gamma, alpha * h, g, x0, v0);
            let got_mid = rec.calls.lock().unwrap()[1][0];
            assert!(
                (got_mid - mid[0]).abs() < 1e-12,
                "γ={gamma} h={h} α={alpha}: midpoint {got_mid} vs {}",
                mid[0]
            );
            ex += w * x[0];
            ev += w * v[0];
            let (_, c) = rm_map(&Recorder::new(0.0, 1), 0.0, gamma, h, alpha);
            let cov = van_loan(gamma, h);
            let llt = |i: usize, j: usize| c.iter().map(|cj| cj[i] * cj[j]).sum::<f64>();
            for (i, j) in [(0, 0), (0, 1), (1, 1)] {
                assert!(
                    rel_err(llt(i, j), cov[(i, j)]) < 1e-10,
                    "γ={gamma} h={h} α={alpha} cov ({i},{j})"
                );
            }
        }
        let (mean, _) = exact_constant_score(gamma, h, g, x0, v0);
        assert!(
            (ex - mean[0]).abs() < 1e-12 && (ev - mean[1]).abs() < 1e-12,
            "γ={gamma} h={h}: E_α step"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// exact moment recursions: stationary bias orders

const APPENDIX_A_H: [f64; 5] = [0.4, 0.2, 0.1, 0.05, 0.025];
/// anchors-theory.md Appendix A, |Var_x − 1| for f = x²/2, γ = 2, u = 1 (3 significant digits).
const APPENDIX_A_ULMC: [f64; 5] = [1.10e-1, 5.25e-2, 2.56e-2, 1.27e-2, 6.29e-3];
const APPENDIX_A_RM: [f64; 5] = [1.34e-3, 1.67e-4, 2.09e-5, 2.61e-6, 3.26e-7];

fn stationary_bias(kind: CorrectorKind, sigma2: f64, gamma: f64, h: f64) -> (f64, Matrix2<f64>) {
    let target = Gaussian::isotropic(1, 0.0, sigma2).unwrap();
    let m = match kind {
        CorrectorKind::Ulmc => MomentMap::ulmc(&target, 0.0, gamma, h),
        CorrectorKind::RmUlmc => MomentMap::rm(&target, 0.0, gamma, h),
        other => unreachable!("sequential kinds only, got {other:?}"),
    };
    let s = m.stationary();
    // The fixed point really is one: M(Σ) = Σ.
    assert!((m.apply(&s) - s).abs().max() < 1e-12);
    ((s[(0, 0)] - sigma2).abs(), s)
}

/// Stationary position-variance bias on N(0, 1), γ = 2, via the exact second-moment recursion of
/// the real step maps: slope 1 ± 0.2 (ULMC) and 3 ± 0.2 (RM-ULMC) over five step sizes, and agreement
/// with anchors-theory.md Appendix A to 1% (its numbers carry 3 significant digits).
#[test]
fn stationary_variance_bias_orders_match_appendix_a() {
    for (kind, reference, order) in [
        (CorrectorKind::Ulmc, APPENDIX_A_ULMC, 1.0),
        (CorrectorKind::RmUlmc, APPENDIX_A_RM, 3.0),
    ] {
        let bias: Vec<f64> = APPENDIX_A_H
            .iter()
            .map(|&h| stationary_bias(kind, 1.0, 2.0, h).0)
            .collect();
        let slope = loglog_slope(&APPENDIX_A_H, &bias);
        let shown: Vec<String> = bias.iter().map(|b| format!("{b:.3e}")).collect();
        println!("{kind:?}: bias {shown:?}, slope {slope:.3}");
        assert!((slope - order).abs() < 0.2, "{kind:?}: slope {slope}");
        for ((&b, &r), &h) in bias.iter().zip(&reference).zip(&APPENDIX_A_H) {
            assert!(
                rel_err(b, r) < 0.01,
                "{kind:?} h={h}: bias {b:.4e} vs Appendix A {r:.3e}"
            );
        }
    }
}

/// anchors-theory.md Appendix A, volesti's flipped midpoint sign (same setting).
const APPENDIX_A_VOLESTI: [f64; 5] = [3.50e-2, 1.09e-2, 3.03e-3, 7.95e-4, 2.04e-4];

/// A score whose odd-numbered evaluations (the first of each RM step, at `x`) are negated. In
/// `rm_ulmc_step` the score at `x` enters only the midpoint, so the real step run on this score
/// is exactly volesti's variant with the midpoint score term's sign flipped.
struct FlipFirstOfPair<S> {
    inner: S,
    calls: std::sync::atomic::AtomicU64,
}

impl<S: Score> Score for FlipFirstOfPair<S> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn score(&self, t: f64, x: &[f64], out: &mut [f64]) {
        self.inner.score(t, x, out);
        if self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .is_multiple_of(2)
        {
            out.iter_mut().for_each(|o| *o = -*o);
        }
    }
}

/// The recursion resolves the midpoint sign: with volesti's flipped sign the stationary bias
/// reproduces Appendix A's volesti column (to 1%) and its slope drops to ≈ 1.86 (< 2.2), far from
/// the 3 of the correct step.
#[test]
fn volesti_midpoint_sign_variant_is_detected() {
    let flipped = FlipFirstOfPair {
        inner: Gaussian::isotropic(1, 0.0, 1.0).unwrap(),
        calls: std::sync::atomic::AtomicU64::new(0),
    };
    let bias: Vec<f64> = APPENDIX_A_H
        .iter()
        .map(|&h| (MomentMap::rm(&flipped, 0.0, 2.0, h).stationary()[(0, 0)] - 1.0).abs())
        .collect();
    let slope = loglog_slope(&APPENDIX_A_H, &bias);
    let shown: Vec<String> = bias.iter().map(|b| format!("{b:.3e}")).collect();
    println!("volesti sign: bias {shown:?}, slope {slope:.3}");
    assert!(slope < 2.2, "slope {slope}");
    for ((&b, &r), &h) in bias.iter().zip(&APPENDIX_A_VOLESTI).zip(&APPENDIX_A_H) {
        assert!(rel_err(b, r) < 0.01, "h={h}: bias {b:.4e} vs Appendix A {r:.3e}");
    }
}

/// Sanity of the recursion at a different variance and friction: the bias orders hold for
/// σ² = 2.5, γ = 0.7 too (slopes within ±0.2 over h = 0.2 … 0.025).
#[test]
fn stationary_variance_bias_orders_other_parameters() {
    let hs = [0.2, 0.1, 0.05, 0.025];
    for (kind, order) in [(CorrectorKind::Ulmc, 1.0), (CorrectorKind::RmUlmc, 3.0)] {
        let bias: Vec<f64> = hs.iter().map(|&h| stationary_bias(kind, 2.5, 0.7, h).0).collect();
        let slope = loglog_slope(&hs, &bias);
        assert!((slope - order).abs() < 0.2, "{kind:?}: slope {slope}, bias {bias:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// the driver

#[test]
fn corrector_new_validates_and_rounds_steps() {
    let c = Corrector::new(CorrectorKind::Ulmc, 2.0, 0.3, 1.0).unwrap();
    assert_eq!(c.steps, 3);
    assert!((c.h - 1.0 / 3.0).abs() < 1e-15 && (c.duration() - 1.0).abs() < 1e-15);
    let c = Corrector::new(CorrectorKind::RmUlmc, 2.0, 5.0, 1.0).unwrap();
    assert_eq!((c.steps, c.h, c.nfe(), c.name()), (1, 1.0, 2, "rm-ulmc"));
    assert_eq!(
        Corrector::new(CorrectorKind::Ulmc, 1.0, 0.1, 1.0).unwrap().name(),
        "ulmc"
    );
    for (g, h, t) in [
        (0.0, 0.1, 1.0),
        (1.0, -0.1, 1.0),
        (1.0, 0.1, f64::NAN),
        (f64::INFINITY, 0.1, 1.0),
        (1.0, 0.1, 0.0),
    ] {
        assert!(
            Corrector::new(CorrectorKind::Ulmc, g, h, t).is_err(),
            "γ={g} h={h} T={t}"
        );
    }
}

/// NFE returned = steps × (1 or 2) = the calls counted by `target::Counting`.
#[test]
fn corrector_nfe_matches_counting_wrapper() {
    for kind in [CorrectorKind::Ulmc, CorrectorKind::RmUlmc] {
        let c = Corrector::new(kind, 1.5, 0.07, 1.0).unwrap();
        let counted = Counting::new(Gaussian::isotropic(3, 0.5, 2.0).unwrap());
        let mut x = vec![0.1, -0.2, 0.3];
        let nfe = c.run(&counted, 0.3, &mut x, &mut stream_rng(1, 0));
        assert_eq!(nfe, c.nfe());
        assert_eq!(nfe, counted.count());
        assert_eq!(nfe, c.steps as u64 * if kind == CorrectorKind::Ulmc { 1 } else { 2 });
        assert!(x.iter().all(|v| v.is_finite()));
    }
}

/// `Corrector::run` draws in the documented order (V₀; then per step z_x, z_v or α, z₁, z₂, z₃)
/// and applies the documented step functions: bitwise equal to a hand-written loop.
#[test]
fn corrector_run_follows_documented_draw_order() {
    let d = 4;
    let target = Gaussian::isotropic(d, 0.3, 1.7).unwrap();
    let (t, gamma) = (0.4, 1.3);
    for kind in [CorrectorKind::Ulmc, CorrectorKind::RmUlmc] {
        let c = Corrector::new(kind, gamma, 0.1, 0.5).unwrap();
        let x0 = vec![0.5, -1.0, 2.0, 0.0];
        let mut x = x0.clone();
        c.run(&target, t, &mut x, &mut stream_rng(99, 3));

        let mut rng: SampleRng = stream_rng(99, 3);
        let (mut y, mut v) = (x0.clone(), vec![0.0; d]);
        fill_normal(&mut rng, &mut v);
        let mut z = [vec![0.0; d], vec![0.0; d], vec![0.0; d]];
        let coeffs = UlmcCoeffs::new(gamma, c.h).unwrap();
        let mut work = RmUlmcWork::new(d);
        for _ in 0..c.steps {
            match kind {
                CorrectorKind::Ulmc => {
                    fill_normal(&mut rng, &mut z[0]);
                    fill_normal(&mut rng, &mut z[1]);
                    ulmc_step(&target, t, &coeffs, &mut y, &mut v, &z[0], &z[1], &mut work.g);
                }
                CorrectorKind::RmUlmc => {
                    let alpha = uniform01(&mut rng);
                    z.iter_mut().for_each(|zi| fill_normal(&mut rng, zi));
                    rm_ulmc_step(
                        &target, t, gamma, c.h, alpha, &z[0], &z[1], &z[2], &mut y, &mut v, &mut work,
                    );
                }
                other => unreachable!("sequential kinds only, got {other:?}"),
            }
        }
        assert_eq!(x, y, "{kind:?}");
    }
}

/// One long corrector call on q_t for data N(0, 4) at t = 0.5 (σ_t² = 4e^{−1} + 1 − e^{−1}),
/// γ = 2, h = 0.4, duration 20, from x = 0 with the fresh V₀ ~ N(0, 1): the Monte Carlo position
/// variance over n = 20 000 independent streams (d = 1, known mean 0, SE = Var·√(2/n))
/// matches the exact finite-time variance from the moment recursion within 4 SE. For ULMC the
/// recursion's value is itself > 4 SE away from σ_t², so the test resolves the O(h) bias.
#[test]
fn corrector_long_run_matches_exact_recursion() {
    let data = Gaussian::isotropic(1, 0.0, 4.0).unwrap();
    let (t, gamma, h, duration, n): (f64, f64, f64, f64, usize) = (0.5, 2.0, 0.4, 20.0, 20_000);
    let sigma_t2 = 4.0 * (-2.0 * t).exp() + 1.0 - (-2.0 * t).exp();
    for (kind, seed) in [(CorrectorKind::Ulmc, 11), (CorrectorKind::RmUlmc, 12)] {
        let c = Corrector::new(kind, gamma, h, duration).unwrap();
        let m = match kind {
            CorrectorKind::Ulmc => MomentMap::ulmc(&data, t, gamma, c.h),
            CorrectorKind::RmUlmc => MomentMap::rm(&data, t, gamma, c.h),
            other => unreachable!("sequential kinds only, got {other:?}"),
        };
        let exact = (0..c.steps).fold(Matrix2::new(0.0, 0.0, 0.0, 1.0), |s, _| m.apply(&s))[(0, 0)];
        let sum_sq: f64 = (0..n)
            .map(|i| {
                let mut x = [0.0];
                c.run(&data, t, &mut x, &mut stream_rng(seed, i as u64));
                x[0] * x[0]
            })
            .sum();
        let var = sum_sq / n as f64;
        let se = exact * (2.0 / n as f64).sqrt();
        println!("{kind:?}: MC {var:.5} exact {exact:.5} σ_t² {sigma_t2:.5} SE {se:.5}");
        assert!(
            (var - exact).abs() < 4.0 * se,
            "{kind:?}: MC {var} vs exact {exact} (SE {se})"
        );
        if kind == CorrectorKind::Ulmc {
            assert!((exact - sigma_t2).abs() > 4.0 * se, "bias not resolved");
        }
    }
}
