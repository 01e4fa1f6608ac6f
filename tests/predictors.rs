//! Predictor steps (EI, RM, reverse SDE) against the closed-form Gaussian flow.
//!
//! Every expectation over the random midpoint α is an exact Gauss–Legendre average (64 nodes,
//! exact for the smooth α-dependence here to ~1e-15), so these tests carry no Monte Carlo noise.
//! Orders are fitted by least squares on log error vs log h and accepted within ±0.2
//! (the diffrax convention, anchors-theory.md §4.2).

use randmid::grid::TimeGrid;
use randmid::metrics::loglog_slope;
use randmid::quad::gauss_legendre;
use randmid::sampler::predictor::{PredictorWork, ei_step, rm_step, sde_step};
use randmid::target::{Gaussian, Score, Target};

/// 1-D data N(1, 4): the score is affine and not constant along the flow, so EI is not exact.
fn curved() -> Gaussian {
    Gaussian::isotropic(1, 1.0, 4.0).unwrap()
}

/// The affine map `x ↦ a x + b` of one 1-D step, read off the real step function.
fn affine(step: impl Fn(&mut [f64])) -> (f64, f64) {
    let mut x0 = [0.0];
    step(&mut x0);
    let mut x1 = [1.0];
    step(&mut x1);
    (x1[0] - x0[0], x0[0])
}

fn ei_affine(g: &Gaussian, t: f64, h: f64) -> (f64, f64) {
    affine(|x| ei_step(g, t, h, x, &mut PredictorWork::new(1)))
}

fn rm_affine(g: &Gaussian, t: f64, h: f64, alpha: f64) -> (f64, f64) {
    affine(|x| rm_step(g, t, h, alpha, x, &mut PredictorWork::new(1)))
}

fn flow_affine(g: &Gaussian, t: f64, h: f64) -> (f64, f64) {
    affine(|x| {
        let xin = [x[0]];
        g.flow(t, t - h, &xin, x)
    })
}

#[test]
fn ei_is_exact_when_the_score_is_constant_along_the_flow() {
    // data N(μ, I): q_t = N(e^{−t}μ, I) and s_{t−r}(Y_r) = s_t(Y_0) along the exact flow
    // (tv-methodology §4.2), so EI equals the flow to round-off for any h.
    let g = Gaussian::diagonal(vec![1.0, -2.0, 0.5], vec![1.0; 3]).unwrap();
    let x = [0.3, -1.2, 2.5];
    for &h in &[0.01, 0.5, 2.0] {
        let t = 3.0;
        let mut y = x;
        ei_step(&g, t, h, &mut y, &mut PredictorWork::new(3));
        let mut exact = [0.0; 3];
        g.flow(t, t - h, &x, &mut exact);
        for i in 0..3 {
            assert!(
                (y[i] - exact[i]).abs() <= 1e-13 * exact[i].abs().max(1.0),
                "h={h} i={i}"
            );
        }
    }
}

#[test]
fn rm_is_unbiased_with_the_predicted_variance_when_the_score_is_constant_along_the_flow() {
    // Same data: the RM midpoint is exact, so E_α[step] = flow and
    // Var_α[step] = h² Var_α(e^{(1−α)h}) s_t(x)², Var_α(e^{(1−α)h}) = (e^{2h}−1)/(2h) − ((e^h−1)/h)².
    let g = Gaussian::isotropic(1, 1.5, 1.0).unwrap();
    let (nodes, weights) = gauss_legendre(64);
    for &h in &[0.05, 0.5, 1.5] {
        let (t, x) = (2.0, 0.4);
        let (mut m1, mut m2) = (0.0, 0.0);
        for (&a, &w) in nodes.iter().zip(&weights) {
            let mut y = [x];
            rm_step(&g, t, h, a, &mut y, &mut PredictorWork::new(1));
            m1 += w * y[0];
            m2 += w * y[0] * y[0];
        }
        let mut exact = [0.0];
        g.flow(t, t - h, &[x], &mut exact);
        let mut s = [0.0];
        g.score(t, &[x], &mut s);
        let var_factor = (2.0 * h).exp_m1() / (2.0 * h) - (h.exp_m1() / h).powi(2);
        assert!((m1 - exact[0]).abs() < 1e-13, "mean h={h}");
        let want = h * h * var_factor * s[0] * s[0];
        assert!((m2 - m1 * m1 - want).abs() < 1e-12 * want.max(1e-3), "var h={h}");
    }
}

#[test]
fn zero_score_steps_multiply_by_e_to_the_h() {
    struct Zero;
    impl Score for Zero {
        fn dim(&self) -> usize {
            2
        }
        fn score(&self, _t: f64, _x: &[f64], out: &mut [f64]) {
            out.fill(0.0);
        }
    }
    let h: f64 = 0.37;
    let mut ws = PredictorWork::new(2);
    let mut a = [1.0, -2.0];
    ei_step(&Zero, 1.0, h, &mut a, &mut ws);
    let mut b = [1.0, -2.0];
    rm_step(&Zero, 1.0, h, 0.3, &mut b, &mut ws);
    for (v, x0) in a.iter().chain(&b).zip([1.0, -2.0, 1.0, -2.0]) {
        assert!((v - h.exp() * x0).abs() < 1e-15);
    }
}

#[test]
fn local_errors_are_order_two_for_ei_and_three_for_the_alpha_averaged_rm_step() {
    let g = curved();
    let (nodes, weights) = gauss_legendre(64);
    let (t, x) = (1.0, 0.7);
    let hs = [0.2, 0.1, 0.05, 0.025];
    let mut ei_err = vec![];
    let mut rm_err = vec![];
    for &h in &hs {
        let (fa, fb) = flow_affine(&g, t, h);
        let exact = fa * x + fb;
        let (ea, eb) = ei_affine(&g, t, h);
        ei_err.push((ea * x + eb - exact).abs());
        let mean: f64 = nodes
            .iter()
            .zip(&weights)
            .map(|(&a, &w)| {
                let (ra, rb) = rm_affine(&g, t, h, a);
                w * (ra * x + rb)
            })
            .sum();
        rm_err.push((mean - exact).abs());
    }
    let (pe, pr) = (loglog_slope(&hs, &ei_err), loglog_slope(&hs, &rm_err));
    println!("local slopes: EI {pe:.3}, E_α RM {pr:.3}; errors EI {ei_err:?} RM {rm_err:?}");
    assert!((pe - 2.0).abs() < 0.2, "EI local slope {pe}");
    assert!((pr - 3.0).abs() < 0.2, "RM local slope {pr}");
}

#[test]
fn ei_is_first_order_against_the_closed_form_flow() {
    let g = curved();
    let (t_max, t_min, x0) = (2.0, 0.25, 0.7);
    let mut exact = [0.0];
    g.flow(t_max, t_min, &[x0], &mut exact);
    let steps = [8usize, 16, 32, 64, 128];
    let mut hs = vec![];
    let mut errs = vec![];
    for &n in &steps {
        let grid = TimeGrid::uniform(t_max, t_min, n).unwrap();
        let mut x = [x0];
        let mut ws = PredictorWork::new(1);
        for (t, h) in grid.iter_steps() {
            ei_step(&g, t, h, &mut x, &mut ws);
        }
        hs.push((t_max - t_min) / n as f64);
        errs.push((x[0] - exact[0]).abs());
    }
    let p = loglog_slope(&hs, &errs);
    println!("EI global slope {p:.3}; errors {errs:?}");
    assert!((p - 1.0).abs() < 0.2, "EI order {p}");
}

/// Exact `(E e_N, E e_N²)` of the RM trajectory error `e_n = x_n − y_n` against the exact flow
/// `y_n`, by propagating the first two moments through the affine steps (α independent per step,
/// Gauss–Legendre over α).
fn rm_error_moments(g: &Gaussian, grid: &TimeGrid, x0: f64) -> (f64, f64) {
    let (nodes, weights) = gauss_legendre(64);
    let (mut y, mut m1, mut m2) = (x0, 0.0, 0.0);
    for (t, h) in grid.iter_steps() {
        let (fa, fb) = flow_affine(g, t, h);
        let (mut n1, mut n2) = (0.0, 0.0);
        for (&a, &w) in nodes.iter().zip(&weights) {
            let (ra, rb) = rm_affine(g, t, h, a);
            // e' = ra·e + c with c = (ra − fa) y + rb − fb
            let c = (ra - fa) * y + rb - fb;
            n1 += w * (ra * m1 + c);
            n2 += w * (ra * ra * m2 + 2.0 * ra * c * m1 + c * c);
        }
        y = fa * y + fb;
        m1 = n1;
        m2 = n2;
    }
    (m1, m2)
}

#[test]
fn rm_path_error_is_order_one_and_a_half_and_its_alpha_average_order_two() {
    let g = curved();
    let (t_max, t_min, x0) = (2.0, 0.25, 0.7);
    let steps = [16usize, 32, 64, 128, 256];
    let (mut hs, mut path, mut avg) = (vec![], vec![], vec![]);
    for &n in &steps {
        let grid = TimeGrid::uniform(t_max, t_min, n).unwrap();
        let (m1, m2) = rm_error_moments(&g, &grid, x0);
        hs.push((t_max - t_min) / n as f64);
        path.push(m2.sqrt());
        avg.push(m1.abs());
    }
    let (pp, pa) = (loglog_slope(&hs, &path), loglog_slope(&hs, &avg));
    println!("RM path RMS slope {pp:.3} ({path:?}); α-averaged slope {pa:.3} ({avg:?})");
    assert!((pp - 1.5).abs() < 0.2, "RM path order {pp}");
    assert!((pa - 2.0).abs() < 0.2, "RM averaged order {pa}");
}

#[test]
fn reverse_sde_moments_converge_at_weak_order_one() {
    // Exact mean/variance recursion of the affine-Gaussian SDE step x' = a x + b + c z,
    // started from the exact q_T; compare with the exact q_δ.
    let g = curved();
    let (t_max, t_min) = (2.0, 0.25);
    let law = |t: f64| {
        let a = (-t).exp();
        (a * 1.0, a * a * 4.0 + 1.0 - a * a)
    };
    let (m_end, v_end) = law(t_min);
    let steps = [8usize, 16, 32, 64, 128];
    let (mut hs, mut errs) = (vec![], vec![]);
    for &n in &steps {
        let grid = TimeGrid::uniform(t_max, t_min, n).unwrap();
        let (mut m, mut v) = law(t_max);
        for (t, h) in grid.iter_steps() {
            let step = |x: f64, z: f64| {
                let mut y = [x];
                sde_step(&g, t, h, &[z], &mut y, &mut PredictorWork::new(1));
                y[0]
            };
            let b = step(0.0, 0.0);
            let (a, c) = (step(1.0, 0.0) - b, step(0.0, 1.0) - b);
            m = a * m + b;
            v = a * a * v + c * c;
        }
        hs.push((t_max - t_min) / n as f64);
        errs.push((m - m_end).abs() + (v - v_end).abs());
    }
    let p = loglog_slope(&hs, &errs);
    println!("SDE weak slope {p:.3}; errors {errs:?}");
    assert!((p - 1.0).abs() < 0.2, "SDE weak order {p}");
    let _ = g.dim();
}

#[test]
fn exact_start_samples_match_q_t_moments() {
    // sanity of the diffusion used by Start::Exact: law(e^{−t}X0 + σ_t Z) for X0 ~ N(1, 4)
    let g = curved();
    let t = 0.8;
    let n = 200_000;
    let xs = randmid::driver::sample_exact(&g, t, n, 11);
    let (m, v) = randmid::metrics::moments(&xs, 1);
    let a = (-t).exp();
    let (m_exact, v_exact) = (a, a * a * 4.0 + 1.0 - a * a);
    // SE of the mean √(v/n); of the variance v√(2/(n−1)).
    assert!((m[0] - m_exact).abs() < 4.0 * (v_exact / n as f64).sqrt());
    assert!((v[0] - v_exact).abs() < 4.0 * v_exact * (2.0 / (n as f64 - 1.0)).sqrt());
    let _ = g.second_moment();
}

mod rotation {
    use proptest::prelude::*;
    use proptest::test_runner::FileFailurePersistence;
    use randmid::grid::TimeGrid;
    use randmid::rng::stream_rng;
    use randmid::sampler::{Ode, Sampler};
    use randmid::target::{Law1d, Product, Rotated};

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 32,
            failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
            ..ProptestConfig::default()
        })]

        /// The deterministic samplers (EI; RM given its midpoints, i.e. the same stream) commute
        /// with rotations: sampling the law of QX from Qx gives Q times the output from x.
        #[test]
        fn ei_and_rm_commute_with_rotations(
            rot_seed in 0u64..1000,
            x in proptest::collection::vec(-3.0f64..3.0, 4),
            stream in 0u64..1000,
            steps in 2usize..12,
        ) {
            let inner = Product::new(vec![
                Law1d::bimodal(1.5, 0.4).unwrap(),
                Law1d::gaussian(0.3, 2.0).unwrap(),
                Law1d::log_cosh(),
                Law1d::bimodal(0.5, 1.0).unwrap(),
            ]).unwrap();
            let rotated = Rotated::random(inner.clone(), rot_seed);
            let q = rotated.rotation().clone();
            let grid = TimeGrid::uniform(2.0, 0.02, steps).unwrap();
            for sampler in [Ode::ei(grid.clone()), Ode::rm(grid.clone())] {
                let mut y = x.clone();
                sampler.run(&inner, &mut y, &mut stream_rng(5, stream));
                let qx: Vec<f64> = (0..4).map(|i| (0..4).map(|j| q[(i, j)] * x[j]).sum()).collect();
                let mut qy = qx.clone();
                sampler.run(&rotated, &mut qy, &mut stream_rng(5, stream));
                for i in 0..4 {
                    let want: f64 = (0..4).map(|j| q[(i, j)] * y[j]).sum();
                    prop_assert!((qy[i] - want).abs() < 1e-10 * (1.0 + want.abs()), "{} i={}", sampler.name(), i);
                }
            }
        }
    }
}
