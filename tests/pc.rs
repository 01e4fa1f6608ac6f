//! The predictor–corrector loop (Algorithm 3) against an exact oracle.
//!
//! On a 1-D Gaussian target every step is affine in the state and the noise, so the first two
//! moments of the sampler's output law follow exactly from the step maps, averaged over the
//! random midpoints by Gauss–Legendre. The maps are read off the real step functions (applied to
//! basis vectors), so the oracle checks the code, and the Monte Carlo output of the driver must
//! match it within 4 standard errors: this pins the wiring (exact start, predictor order,
//! corrector placement, fresh velocities, order of random draws).

use randmid::driver::{Start, sample};
use randmid::grid::TimeGrid;
use randmid::quad::gauss_legendre;
use randmid::sampler::pc::{PaperConstants, PaperParams, PcSchedule, PredictorCorrector};
use randmid::sampler::predictor::{PredictorWork, ei_step, rm_step};
use randmid::sampler::rm_ulmc::{RmUlmcWork, rm_ulmc_step};
use randmid::sampler::ulmc::{UlmcCoeffs, ulmc_step};
use randmid::sampler::{Corrector, CorrectorKind, Ode, OdeKind, ReverseSde, Sampler};
use randmid::target::{Counting, Gaussian};

/// `s' = A s + b + C z` for the state s = (x, v) and K standard normal inputs z.
struct Affine {
    a: [[f64; 2]; 2],
    b: [f64; 2],
    c: Vec<[f64; 2]>,
}

/// Reads the affine map of `f(state, noise)` by applying it to the zero state and basis vectors.
fn read(k: usize, f: impl Fn(&mut [f64; 2], &[f64])) -> Affine {
    let run = |s0: [f64; 2], z: &[f64]| {
        let mut s = s0;
        f(&mut s, z);
        s
    };
    let zero = vec![0.0; k];
    let b = run([0.0, 0.0], &zero);
    let col = |s: [f64; 2]| [s[0] - b[0], s[1] - b[1]];
    let (ax, av) = (col(run([1.0, 0.0], &zero)), col(run([0.0, 1.0], &zero)));
    let c = (0..k)
        .map(|j| {
            let mut z = zero.clone();
            z[j] = 1.0;
            col(run([0.0, 0.0], &z))
        })
        .collect();
    Affine {
        a: [[ax[0], av[0]], [ax[1], av[1]]],
        b,
        c,
    }
}

/// First two moments of (x, v).
#[derive(Clone, Copy)]
struct Moments {
    m: [f64; 2],
    s: [[f64; 2]; 2],
}

/// Exact moments after a step whose map is drawn from `maps` with the given probabilities.
fn push(mo: Moments, maps: &[(f64, Affine)]) -> Moments {
    let mut out = Moments {
        m: [0.0; 2],
        s: [[0.0; 2]; 2],
    };
    for (w, f) in maps {
        let am = [
            f.a[0][0] * mo.m[0] + f.a[0][1] * mo.m[1],
            f.a[1][0] * mo.m[0] + f.a[1][1] * mo.m[1],
        ];
        for i in 0..2 {
            out.m[i] += w * (am[i] + f.b[i]);
            for j in 0..2 {
                let mut asa = 0.0;
                for k in 0..2 {
                    for l in 0..2 {
                        asa += f.a[i][k] * mo.s[k][l] * f.a[j][l];
                    }
                }
                let noise: f64 = f.c.iter().map(|c| c[i] * c[j]).sum();
                out.s[i][j] += w * (asa + am[i] * f.b[j] + f.b[i] * am[j] + f.b[i] * f.b[j] + noise);
            }
        }
    }
    out
}

fn predictor_maps(g: &Gaussian, kind: OdeKind, t: f64, h: f64) -> Vec<(f64, Affine)> {
    let map = |alpha: Option<f64>| {
        read(0, |s, _| {
            let mut x = [s[0]];
            let mut ws = PredictorWork::new(1);
            match alpha {
                Some(a) => rm_step(g, t, h, a, &mut x, &mut ws),
                None => ei_step(g, t, h, &mut x, &mut ws),
            }
            *s = [x[0], 0.0];
        })
    };
    match kind {
        OdeKind::Ei => vec![(1.0, map(None))],
        OdeKind::Rm => {
            let (nodes, weights) = gauss_legendre(40);
            nodes.iter().zip(&weights).map(|(&a, &w)| (w, map(Some(a)))).collect()
        }
        other => unreachable!("sequential predictors only, got {other:?}"),
    }
}

fn corrector_maps(g: &Gaussian, c: &Corrector, t: f64) -> Vec<(f64, Affine)> {
    match c.kind {
        CorrectorKind::Ulmc => {
            let coeffs = UlmcCoeffs::new(c.gamma, c.h).unwrap();
            let map = read(2, |s, z| {
                let (mut x, mut v, mut buf) = ([s[0]], [s[1]], [0.0]);
                ulmc_step(g, t, &coeffs, &mut x, &mut v, &z[..1], &z[1..], &mut buf);
                *s = [x[0], v[0]];
            });
            vec![(1.0, map)]
        }
        CorrectorKind::RmUlmc => {
            let (nodes, weights) = gauss_legendre(40);
            let map = |alpha: f64| {
                read(3, |s, z| {
                    let (mut x, mut v, mut w) = ([s[0]], [s[1]], RmUlmcWork::new(1));
                    rm_ulmc_step(
                        g,
                        t,
                        c.gamma,
                        c.h,
                        alpha,
                        &z[..1],
                        &z[1..2],
                        &z[2..],
                        &mut x,
                        &mut v,
                        &mut w,
                    );
                    *s = [x[0], v[0]];
                })
            };
            nodes.iter().zip(&weights).map(|(&a, &w)| (w, map(a))).collect()
        }
        other => unreachable!("sequential correctors only, got {other:?}"),
    }
}

/// Exact (mean, variance) of the output of `pc` on the 1-D Gaussian `g` (mean mu, var v0) from
/// the exact q_T.
fn exact_output(g: &Gaussian, mu: f64, v0: f64, pc: &PredictorCorrector) -> (f64, f64) {
    let t0 = pc.schedule.grid.t_max();
    let a = (-t0).exp();
    let (m0, var0) = (a * mu, a * a * v0 + 1.0 - a * a);
    let mut mo = Moments {
        m: [m0, 0.0],
        s: [[var0 + m0 * m0, 0.0], [0.0, 0.0]],
    };
    for (w, &correct) in pc.schedule.grid.times().windows(2).zip(&pc.schedule.correct_after) {
        mo = push(mo, &predictor_maps(g, pc.predictor, w[0], w[0] - w[1]));
        if correct {
            // fresh velocity N(0, 1), independent of x
            mo = Moments {
                m: [mo.m[0], 0.0],
                s: [[mo.s[0][0], 0.0], [0.0, 1.0]],
            };
            let maps = corrector_maps(g, &pc.schedule.corrector, w[1]);
            for _ in 0..pc.schedule.corrector.steps {
                mo = push(mo, &maps);
            }
        }
    }
    (mo.m[0], mo.s[0][0] - mo.m[0] * mo.m[0])
}

#[test]
fn driver_output_moments_match_the_exact_moment_recursion() {
    let (mu, v0) = (1.0, 4.0);
    let g = Gaussian::isotropic(1, mu, v0).unwrap();
    let grid = TimeGrid::uniform(3.0, 0.05, 6).unwrap();
    let n = 100_000;
    for (pred, corr) in [
        (OdeKind::Ei, CorrectorKind::Ulmc),
        (OdeKind::Rm, CorrectorKind::Ulmc),
        (OdeKind::Rm, CorrectorKind::RmUlmc),
        (OdeKind::Ei, CorrectorKind::RmUlmc),
    ] {
        // coarse steps on purpose: the discretization is far from q_δ, so the test sees it
        let c = Corrector::new(corr, 1.5, 0.25, 1.0).unwrap();
        let pc = PredictorCorrector {
            predictor: pred,
            schedule: PcSchedule::user(grid.clone(), 1.0, c).unwrap(),
        };
        let (m_exact, v_exact) = exact_output(&g, mu, v0, &pc);
        let out = sample(&g, &g, &pc, Start::Exact, n, 17).unwrap();
        let xs = &out.samples;
        let m = xs.iter().sum::<f64>() / n as f64;
        let c2 = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        let c4 = xs.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n as f64;
        let (se_m, se_v) = ((c2 / n as f64).sqrt(), ((c4 - c2 * c2) / n as f64).sqrt());
        println!(
            "{}: mean {m:.5} vs {m_exact:.5} (se {se_m:.1e}); var {c2:.5} vs {v_exact:.5} (se {se_v:.1e})",
            pc.name()
        );
        assert!((m - m_exact).abs() < 4.0 * se_m, "{} mean", pc.name());
        assert!((c2 - v_exact).abs() < 4.0 * se_v, "{} variance", pc.name());
    }
}

#[test]
fn reported_nfe_equals_the_score_calls_made() {
    let g = Gaussian::isotropic(2, 0.5, 2.0).unwrap();
    let grid = TimeGrid::uniform(2.0, 0.01, 7).unwrap();
    let corr = |k| Corrector::new(k, 2.0, 0.1, 0.35).unwrap();
    let samplers: Vec<Box<dyn Sampler>> = vec![
        Box::new(Ode::ei(grid.clone())),
        Box::new(Ode::rm(grid.clone())),
        Box::new(ReverseSde { grid: grid.clone() }),
        Box::new(PredictorCorrector {
            predictor: OdeKind::Rm,
            schedule: PcSchedule::user(grid.clone(), 0.5, corr(CorrectorKind::Ulmc)).unwrap(),
        }),
        Box::new(PredictorCorrector {
            predictor: OdeKind::Ei,
            schedule: PcSchedule::user(grid.clone(), 0.5, corr(CorrectorKind::RmUlmc)).unwrap(),
        }),
    ];
    for s in samplers {
        let counted = Counting::new(&g);
        let out = sample(&g, &counted, s.as_ref(), Start::Gaussian, 13, 1).unwrap();
        assert_eq!(out.nfe.iter().sum::<u64>(), counted.count(), "{}", s.name());
    }
}

#[test]
fn user_schedule_corrects_at_chunk_boundaries_and_at_delta() {
    let grid = TimeGrid::new(vec![3.0, 2.5, 2.0, 1.5, 1.0, 0.5, 0.1]).unwrap();
    let c = Corrector::new(CorrectorKind::Ulmc, 1.0, 0.1, 0.2).unwrap();
    let s = PcSchedule::user(grid.clone(), 1.0, c.clone()).unwrap();
    assert_eq!(s.correct_after, vec![false, true, false, true, false, true]);
    let s = PcSchedule::user(grid.clone(), 0.7, c.clone()).unwrap();
    // boundaries 2.3, 1.6, 0.9, 0.2: crossed by steps ending at 2.0, 1.5, 0.5, 0.1
    assert_eq!(s.correct_after, vec![false, true, true, false, true, true]);
    let pc = PredictorCorrector {
        predictor: OdeKind::Rm,
        schedule: s,
    };
    assert_eq!(pc.nfe(), 6 * 2 + 4 * c.nfe());
    let s = PcSchedule::at_steps(grid, &[0, 5], c).unwrap();
    assert_eq!(s.correct_after, vec![true, false, false, false, false, true]);
}

#[test]
fn reconstructed_paper_schedule_has_the_stated_dimension_exponents() {
    // log-log slopes in d of h_pred, T_c, h_c and of the per-chunk NFE (exact by construction:
    // this checks the implementation of the formulas, not the paper).
    let slope = |kind, f: &dyn Fn(&PaperParams) -> f64| {
        let p = |d: usize| PaperParams::reconstruct(kind, d, 1.0, 0.1, PaperConstants::default()).unwrap();
        (f(&p(1 << 16)) / f(&p(1 << 6))).ln() / ((1u64 << 10) as f64).ln()
    };
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    assert!(close(slope(OdeKind::Rm, &|p| 1.0 / p.h_pred), 5.0 / 12.0));
    assert!(close(slope(OdeKind::Rm, &|p| p.t_corr), -1.0 / 18.0));
    assert!(close(slope(OdeKind::Rm, &|p| 1.0 / p.h_corr), 17.0 / 36.0));
    assert!(close(slope(OdeKind::Rm, &|p| p.t_corr / p.h_corr), 5.0 / 12.0));
    assert!(close(slope(OdeKind::Ei, &|p| 1.0 / p.h_pred), 0.5));
    assert!(close(slope(OdeKind::Ei, &|p| p.t_corr / p.h_corr), 0.5));
    let p = PaperParams::reconstruct(OdeKind::Rm, 64, 2.0, 0.1, PaperConstants::default()).unwrap();
    let s = PcSchedule::paper(&p, CorrectorKind::Ulmc, 4.0, 0.01).unwrap();
    assert!((p.chunk - 0.5).abs() < 1e-15 && (p.gamma - 2f64.sqrt()).abs() < 1e-15);
    assert_eq!(s.grid.t_min(), 0.01);
    assert!(s.corrections() >= 8, "one corrector per chunk of 1/L over [0.01, 4]");
    assert!(PaperParams::reconstruct(OdeKind::Rm, 0, 1.0, 0.1, PaperConstants::default()).is_err());
    assert!(PaperParams::reconstruct(OdeKind::Rm, 4, -1.0, 0.1, PaperConstants::default()).is_err());
}
