//! Property tests of the lemmas the instrument relies on (tv-methodology §4), on Gaussians where
//! both sides are exact. (DPI and the initialization bound are in tests/tv_oracle.rs.)

use nalgebra::DMatrix;
use randmid::metrics::loglog_slope;
use randmid::rng::stream_rng;
use randmid::sampler::{Corrector, CorrectorKind, Stage, Staged};
use randmid::target::Gaussian;
use randmid::tv::oracle::{kl_gaussians, kl_gaussians_diag};
use randmid::tv::semi_analytic::{DiagLaw, JointLaw, Layout, Problem, propagate_joint};

/// A corrector alone, as a staged sampler.
struct CorrectorOnly(Corrector);

impl Staged for CorrectorOnly {
    fn stages(&self) -> Vec<Stage<'_>> {
        vec![Stage::Correct {
            t: 1.0,
            corrector: &self.0,
        }]
    }
}

/// Joint (x, v) law after underdamped Langevin (ULMC, friction γ, step `h`) for time `T` on the
/// target N(0, 1), started from N(a, sd²) with a fresh velocity N(0, 1).
fn uld_joint(a: f64, sd: f64, t: f64, gamma: f64, h: f64) -> JointLaw {
    let g = Gaussian::isotropic(1, 0.0, 1.0).unwrap();
    let start = DiagLaw {
        mean: vec![a],
        var: vec![sd * sd],
    };
    let p = Problem {
        score: &g,
        start,
        reference: DiagLaw::standard(1),
        layout: Layout::Diagonal,
    };
    let c = CorrectorOnly(Corrector::new(CorrectorKind::Ulmc, gamma, h, t).unwrap());
    propagate_joint(&p, &c.stages(), &mut stream_rng(0, 0))
}

/// [`uld_joint`] with step T/1024 (first order, so the discretization moves KL by O(1e-3)
/// relative): the near-exact short-time dynamics.
fn after_uld_joint(a: f64, tau: f64, t: f64, gamma: f64) -> JointLaw {
    uld_joint(a, tau, t, gamma, t / 1024.0)
}

/// The position marginal of [`after_uld_joint`].
fn after_uld(a: f64, tau: f64, t: f64, gamma: f64) -> DiagLaw {
    let j = after_uld_joint(a, tau, t, gamma);
    DiagLaw {
        mean: j.mean_x,
        var: j.var_x,
    }
}

#[test]
fn joint_kl_after_a_short_run_is_three_w2_squared_over_four_gamma_t_cubed() {
    // tv-methodology §4.4: KL_{(x,v)} ≈ 3 W2²/(4γT³) as T → 0 ([ours] ratio 1.008 at T = 0.01, γ = 1),
    // the T^{−3} form used by CCL+23a and GCC24.
    let (a, b, tau, gamma) = (0.0, 1e-3, 1e-6, 1.0);
    let ts = [0.005, 0.01, 0.02, 0.04];
    let cov = |j: &JointLaw| DMatrix::from_row_slice(2, 2, &[j.var_x[0], j.cov_xv[0], j.cov_xv[0], j.var_v[0]]);
    let kl: Vec<f64> = ts
        .iter()
        .map(|&t| {
            let (p, q) = (after_uld_joint(a, tau, t, gamma), after_uld_joint(b, tau, t, gamma));
            kl_gaussians(
                &[p.mean_x[0], p.mean_v[0]],
                &cov(&p),
                &[q.mean_x[0], q.mean_v[0]],
                &cov(&q),
            )
            .unwrap()
        })
        .collect();
    let w2 = (a - b).abs();
    for (&t, &k) in ts.iter().zip(&kl) {
        let ratio = k * 4.0 * gamma * t.powi(3) / (3.0 * w2 * w2);
        println!("T = {t}: KL_(x,v) = {k:.4e}, KL·4γT³/(3W2²) = {ratio:.4}");
        assert!((ratio - 1.0).abs() < 0.05, "T = {t}: ratio {ratio}");
    }
    let slope = loglog_slope(&ts, &kl);
    println!("slope of ln KL_(x,v) in ln T: {slope:.4}");
    assert!((slope + 3.0).abs() < 0.05, "{slope}");
}

#[test]
fn short_underdamped_run_turns_w2_closeness_into_kl_closeness_like_w2_squared_over_2t_squared() {
    // tv-methodology §4.4: two near-Diracs at distance |a − b| = W2; after time T with a fresh
    // velocity, KL_x ≈ W2²/(2T²) as T → 0 (ratio 1.003 at T = 0.01 for γ = 1, [ours] there).
    let (a, b, tau, gamma) = (0.0, 1e-3, 1e-6, 1.0);
    let ts = [0.005, 0.01, 0.02, 0.04];
    let kl: Vec<f64> = ts
        .iter()
        .map(|&t| {
            let (p, q) = (after_uld(a, tau, t, gamma), after_uld(b, tau, t, gamma));
            kl_gaussians_diag(&p.mean, &p.var, &q.mean, &q.var).unwrap()
        })
        .collect();
    let w2 = (a - b).abs();
    for (&t, &k) in ts.iter().zip(&kl) {
        let ratio = k * 2.0 * t * t / (w2 * w2);
        println!("T = {t}: KL_x = {k:.4e}, KL_x·2T²/W2² = {ratio:.4}");
        assert!((ratio - 1.0).abs() < 0.05, "T = {t}: ratio {ratio}");
    }
    let slope = loglog_slope(&ts, &kl);
    println!("slope of ln KL_x in ln T: {slope:.4}");
    assert!((slope + 2.0).abs() < 0.05, "{slope}");
}

#[test]
fn kl_after_the_corrector_never_exceeds_the_start_kl() {
    // data processing for KL under the (same) corrector kernel, for Gaussian pairs with spread
    let starts = [(0.0, 0.5, 0.3, 0.7), (1.0, 1.2, -0.4, 0.9), (0.2, 2.0, 0.25, 1.5)];
    for &(a, sa, b, sb) in &starts {
        let run = |m: f64, sd: f64| {
            let j = uld_joint(m, sd, 0.5, 2.0, 0.05);
            DiagLaw {
                mean: j.mean_x,
                var: j.var_x,
            }
        };
        let (p, q) = (run(a, sa), run(b, sb));
        let before = kl_gaussians_diag(&[a], &[sa * sa], &[b], &[sb * sb]).unwrap();
        let after = kl_gaussians_diag(&p.mean, &p.var, &q.mean, &q.var).unwrap();
        assert!(after <= before + 1e-12, "{after} > {before}");
    }
}
