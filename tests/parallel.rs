//! Parallel samplers (issue 5): equivalence with the sequential schemes they converge to,
//! Picard contraction and nilpotency, exact round counters, thread-count independence.

use randmid::driver::{Start, sample};
use randmid::grid::TimeGrid;
use randmid::parallel::rm_par::{RmParWork, rm_par_step};
use randmid::parallel::rm_ulmc_par::{RmUlmcParWork, rm_ulmc_par_step};
use randmid::parallel::{Paradigms, PicardTrace, RoundOracle, Rounds};
use randmid::rng::{fill_normal, stream_rng, uniform01};
use randmid::sampler::pc::{PcSchedule, PredictorCorrector};
use randmid::sampler::predictor::{PredictorWork, rm_step};
use randmid::sampler::ulmc::OuFlow;
use randmid::sampler::{
    Corrector, CorrectorKind, CorrectorWork, Ode, OdeKind, Sampler, Staged, run_stages_traced, stages_rounds,
};
use randmid::target::{Gaussian, Score};
use randmid::tv::semi_analytic::{DiagLaw, Layout, Problem, propagate_joint};

fn target(d: usize) -> Gaussian {
    Gaussian::diagonal(
        (0..d).map(|i| 0.3 * (i as f64).sin()).collect(),
        (0..d).map(|i| 0.2 + 0.1 * (i % 5) as f64).collect(),
    )
    .unwrap()
}

fn point(d: usize, seed: u64) -> Vec<f64> {
    let mut x = vec![0.0; d];
    fill_normal(&mut stream_rng(seed, 0), &mut x);
    x
}

fn uniforms(r: usize, seed: u64) -> Vec<f64> {
    let mut rng = stream_rng(seed, 1);
    (0..r).map(|_| uniform01(&mut rng)).collect()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn rm_par_with_one_node_and_no_picard_round_is_algorithm_1_bit_for_bit() {
    let (d, t, h) = (12, 0.8, 0.05);
    let g = target(d);
    let u = uniforms(1, 3);
    let (mut a, mut b) = (point(d, 1), point(d, 1));
    rm_step(&g, t, h, u[0], &mut a, &mut PredictorWork::new(d));
    rm_par_step(&g, t, h, &u, 0, &mut b, &mut RmParWork::default());
    assert_eq!(a, b);
}

/// The sequential stratified scheme written from the formula (paper.md §2.4 with the strictly
/// causal partial cell), node by node, with direct O(R²) sums: an oracle independent of the scan.
fn rm_par_sequential_oracle(g: &Gaussian, t: f64, h: f64, u: &[f64], x: &[f64]) -> Vec<f64> {
    let (r, d) = (u.len(), x.len());
    let rf = r as f64;
    let a: Vec<f64> = u.iter().enumerate().map(|(i, &ui)| (i as f64 + ui) / rf * h).collect();
    let mut g0 = vec![0.0; d];
    g.score(t, x, &mut g0);
    let mut gs: Vec<Vec<f64>> = vec![];
    for i in 0..r {
        let gp = if i == 0 { &g0 } else { &gs[i - 1] };
        let partial = (a[i] - i as f64 * h / rf).exp_m1();
        let y: Vec<f64> = (0..d)
            .map(|k| {
                let full: f64 = (0..i).map(|j| h / rf * (a[i] - a[j]).exp() * gs[j][k]).sum();
                a[i].exp() * x[k] + full + partial * gp[k]
            })
            .collect();
        let mut gi = vec![0.0; d];
        g.score(t - a[i], &y, &mut gi);
        gs.push(gi);
    }
    (0..d)
        .map(|k| h.exp() * x[k] + (0..r).map(|j| h / rf * (h - a[j]).exp() * gs[j][k]).sum::<f64>())
        .collect()
}

#[test]
fn rm_par_converges_to_the_sequential_scheme_in_r_minus_1_rounds() {
    let (d, t, h) = (9, 0.5, 0.4);
    let g = target(d);
    for r in [1, 2, 5, 8] {
        let u = uniforms(r, 10 + r as u64);
        let x = point(d, 2);
        let want = rm_par_sequential_oracle(&g, t, h, &u, &x);
        let scale = want.iter().map(|v| v.abs()).fold(1.0, f64::max);
        let mut w = RmParWork::default();
        let mut got = x.clone();
        rm_par_step(&g, t, h, &u, r - 1, &mut got, &mut w);
        assert!(max_abs_diff(&got, &want) <= 1e-13 * scale, "R = {r}");
        // more rounds change nothing: the last residual is exactly zero (nilpotency)
        let mut more = x.clone();
        rm_par_step(&g, t, h, &u, r + 2, &mut more, &mut w);
        assert_eq!(more, got, "R = {r}");
        assert_eq!(
            w.picard.residuals[r - 1],
            0.0,
            "R = {r}: residuals {:?}",
            w.picard.residuals
        );
        if r > 2 {
            // too few rounds: not yet the fixed point
            let mut few = x.clone();
            rm_par_step(&g, t, h, &u, 0, &mut few, &mut w);
            assert!(max_abs_diff(&few, &want) > 1e-8, "R = {r}");
        }
    }
}

#[test]
fn rm_par_picard_contracts_at_most_at_l_times_the_row_sum_of_the_weights() {
    // linear score −(x − μ_t)/s_t²: the Picard map is linear with sup-norm gain
    // ≤ max_t L_t · max_i Σ_j |w_ij| (tv-methodology §4.5)
    let d = 16;
    let g = target(d);
    let (t, h, r) = (1.0, 0.25, 16);
    let u = uniforms(r, 5);
    let rf = r as f64;
    let a: Vec<f64> = u.iter().enumerate().map(|(i, &ui)| (i as f64 + ui) / rf * h).collect();
    let row_sum = (0..r)
        .map(|i| (0..i).map(|j| h / rf * (a[i] - a[j]).exp()).sum::<f64>() + (a[i] - i as f64 * h / rf).exp_m1())
        .fold(0.0, f64::max);
    // L_t = 1 / min_k (e^{−2t} v_k + 1 − e^{−2t}), largest at the latest node time t − h
    let lip = |s: f64| 1.0 / ((-2.0 * s).exp() * 0.2 + 1.0 - (-2.0 * s).exp());
    let bound = lip(t - h) * row_sum;
    let mut w = RmParWork::default();
    let mut x = point(d, 4);
    rm_par_step(&g, t, h, &u, r, &mut x, &mut w);
    let res = &w.picard.residuals;
    let mut trace = PicardTrace::default();
    trace.record(res);
    for (k, &ratio) in trace.ratio.iter().enumerate() {
        assert!(ratio <= bound + 1e-12, "round {}: ratio {ratio} > bound {bound}", k + 2);
    }
    assert!(bound < 1.0, "the test wants a contracting map, bound {bound}");
    // super-geometric (nilpotent Volterra sum): a chain j₀ < … < j_k of k strictly causal
    // weights, each ≤ 2(h/R)e^h (full cell + partial cell), times L, over at most C(R, k) ≤ R^k/k!
    // chains: residual_{k+1} ≤ residual_1 · (2 L h e^h)^k / k!
    let c = 2.0 * lip(t - h) * h * h.exp();
    let mut factor = 1.0;
    for (k, &rk) in res.iter().enumerate().skip(1) {
        factor *= c / k as f64;
        assert!(
            rk <= res[0] * factor * (1.0 + 1e-9),
            "round {}: {rk} vs {}",
            k + 1,
            res[0] * factor
        );
    }
}

#[test]
fn ulmc_par_with_enough_rounds_is_sequential_ulmc_with_the_fine_step_bit_for_bit() {
    let d = 10;
    let g = target(d);
    let (gamma, coarse, steps) = (2.0, 0.3, 3);
    for cells in [1, 2, 4, 7] {
        let par = Corrector {
            kind: CorrectorKind::UlmcPar {
                cells,
                picard: cells.saturating_sub(2),
            },
            gamma,
            h: coarse,
            steps,
        };
        let seq = Corrector {
            kind: CorrectorKind::Ulmc,
            gamma,
            h: coarse / cells as f64,
            steps: steps * cells,
        };
        let (mut a, mut b) = (point(d, 6), point(d, 6));
        let na = par.run(&g, 0.4, &mut a, &mut stream_rng(9, 0));
        let nb = seq.run(&g, 0.4, &mut b, &mut stream_rng(9, 0));
        assert_eq!(a, b, "M = {cells}: diff {}", max_abs_diff(&a, &b));
        assert_eq!(na, par.rounds().work);
        assert_eq!(nb, (steps * cells) as u64);
        if cells >= 4 {
            // one Picard round short: a different (non-converged) output
            let short = Corrector {
                kind: CorrectorKind::UlmcPar {
                    cells,
                    picard: cells - 3,
                },
                ..par.clone()
            };
            let mut c = point(d, 6);
            short.run(&g, 0.4, &mut c, &mut stream_rng(9, 0));
            // (the Picard error decays super-geometrically, so the gap can be tiny but not zero)
            assert_ne!(a, c, "M = {cells}");
        }
    }
}

/// The SL19 node system without noise, node by node from the formula (direct O(R²) sums).
fn rm_ulmc_par_oracle(
    g: &Gaussian,
    t: f64,
    gamma: f64,
    h: f64,
    u: &[f64],
    x: &[f64],
    v: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let (r, d) = (u.len(), x.len());
    let rf = r as f64;
    let a: Vec<f64> = u.iter().enumerate().map(|(i, &ui)| (i as f64 + ui) / rf * h).collect();
    let fl = |tau: f64| OuFlow::new(gamma, tau);
    let mut g0 = vec![0.0; d];
    g.score(t, x, &mut g0);
    let mut gs: Vec<Vec<f64>> = vec![];
    for i in 0..r {
        let gp = if i == 0 { &g0 } else { &gs[i - 1] };
        let y: Vec<f64> = (0..d)
            .map(|k| {
                let full: f64 = (0..i).map(|j| h / rf * fl(a[i] - a[j]).vel * gs[j][k]).sum();
                x[k] + fl(a[i]).vel * v[k] + full + fl(a[i] - i as f64 * h / rf).force * gp[k]
            })
            .collect();
        let mut gi = vec![0.0; d];
        g.score(t, &y, &mut gi);
        gs.push(gi);
    }
    let xo = (0..d)
        .map(|k| x[k] + fl(h).vel * v[k] + (0..r).map(|j| h / rf * fl(h - a[j]).vel * gs[j][k]).sum::<f64>())
        .collect();
    let vo = (0..d)
        .map(|k| fl(h).decay * v[k] + (0..r).map(|j| h / rf * fl(h - a[j]).decay * gs[j][k]).sum::<f64>())
        .collect();
    (xo, vo)
}

#[test]
fn rm_ulmc_par_converges_to_the_sl19_node_system() {
    let (d, t, gamma, h) = (7, 0.2, 2.0, 0.5);
    let g = target(d);
    for r in [1, 3, 6] {
        let u = uniforms(r, 20 + r as u64);
        let (x, v) = (point(d, 3), point(d, 4));
        let (wx, wv) = rm_ulmc_par_oracle(&g, t, gamma, h, &u, &x, &v);
        let z = vec![0.0; 2 * (r + 1) * d];
        let (mut gx, mut gv) = (x.clone(), v.clone());
        let mut w = RmUlmcParWork::default();
        rm_ulmc_par_step(&g, t, gamma, h, &u, r - 1, &mut gx, &mut gv, &z, &mut w);
        assert!(
            max_abs_diff(&gx, &wx) < 1e-13 && max_abs_diff(&gv, &wv) < 1e-13,
            "R = {r}"
        );
    }
}

#[test]
fn rm_ulmc_par_with_one_node_has_the_law_of_sl19_algorithm_1() {
    // same α stream (one uniform per step); the conditional Gaussian laws must coincide
    let d = 3;
    let g = target(d);
    let problem = Problem {
        score: &g,
        start: DiagLaw {
            mean: vec![0.4, -0.2, 1.0],
            var: vec![0.5, 1.0, 2.0],
        },
        reference: DiagLaw::standard(d),
        layout: Layout::Diagonal,
    };
    let law = |kind| {
        let c = Corrector {
            kind,
            gamma: 1.7,
            h: 0.3,
            steps: 4,
        };
        let stages = [randmid::sampler::Stage::Correct { t: 0.5, corrector: &c }];
        propagate_joint(&problem, &stages, &mut stream_rng(1, 2))
    };
    let a = law(CorrectorKind::RmUlmc);
    let b = law(CorrectorKind::RmUlmcPar { nodes: 1, picard: 0 });
    for (p, q) in [
        (&a.mean_x, &b.mean_x),
        (&a.var_x, &b.var_x),
        (&a.cov_xv, &b.cov_xv),
        (&a.var_v, &b.var_v),
        (&a.mean_v, &b.mean_v),
    ] {
        assert!(max_abs_diff(p, q) < 1e-12, "{p:?} vs {q:?}");
    }
}

#[test]
fn round_counters_are_exact_on_hand_checked_cases() {
    let d = 4;
    let g = target(d);
    let grid = TimeGrid::uniform(1.0, 0.1, 5).unwrap();
    // rm-par, R = 3, K = 2: per step 1 + 2 + 1 = 4 rounds, width 3, work 1 + 3·3 = 10
    let s = Ode::rm_par(grid.clone(), 3, 2).unwrap();
    let oracle = RoundOracle::new(&g);
    let nfe = s.run(&oracle, &mut point(d, 1), &mut stream_rng(0, 0));
    let want = Rounds {
        rounds: 20,
        width: 3,
        work: 50,
    };
    assert_eq!(oracle.rounds(), want);
    assert_eq!(stages_rounds(&s.stages()), want);
    assert_eq!(nfe, 50);
    // rm (sequential): 2 rounds of width 1 per step
    let oracle = RoundOracle::new(&g);
    Ode::rm(grid.clone()).run(&oracle, &mut point(d, 1), &mut stream_rng(0, 0));
    assert_eq!(oracle.rounds(), Rounds::sequential(10));
    // rm-par + ulmc-par, one correction at the end: 5 predictor steps as above, then 2
    // coarse corrector steps of M = 4 cells, K = 1: each 1 + 1 + 1 = 3 rounds, width 3, work 7
    let c = Corrector::new(CorrectorKind::UlmcPar { cells: 4, picard: 1 }, 2.0, 0.25, 0.5).unwrap();
    let pc = PredictorCorrector {
        predictor: OdeKind::RmPar { nodes: 3, picard: 2 },
        schedule: PcSchedule::at_steps(grid.clone(), &[4], c).unwrap(),
    };
    let oracle = RoundOracle::new(&g);
    pc.run(&oracle, &mut point(d, 1), &mut stream_rng(0, 0));
    let want = Rounds {
        rounds: 20 + 6,
        width: 3,
        work: 50 + 14,
    };
    assert_eq!(oracle.rounds(), want);
    assert_eq!(stages_rounds(&pc.stages()), want);
    // ParaDiGMS, N = 10, window 4, tol = ∞: every window accepted at once → 3 rounds (4, 4, 2)
    let grid10 = TimeGrid::uniform(1.0, 0.1, 10).unwrap();
    let p = Paradigms::new(grid10.clone(), 4, f64::INFINITY).unwrap();
    let count = p.solve(&g, &mut point(d, 1));
    assert_eq!(
        count,
        Rounds {
            rounds: 3,
            width: 4,
            work: 10
        }
    );
    // window 1: the sequential chain, N rounds of width 1
    let p1 = Paradigms::new(grid10, 1, 0.1).unwrap();
    assert_eq!(p1.solve(&g, &mut point(d, 1)), Rounds::sequential(10));
}

#[test]
fn paradigms_with_zero_tolerance_is_the_sequential_ei_chain() {
    let d = 6;
    let g = target(d);
    let grid = TimeGrid::uniform(2.0, 0.05, 24).unwrap();
    let mut want = point(d, 8);
    Ode::ei(grid.clone()).run(&g, &mut want, &mut stream_rng(0, 0));
    for window in [1, 3, 8, 24, 40] {
        let p = Paradigms::new(grid.clone(), window, 0.0).unwrap();
        let mut x = point(d, 8);
        let c = p.solve(&g, &mut x);
        assert_eq!(x, want, "window {window}");
        assert!(c.rounds <= 24, "window {window}: {c:?}");
        assert!(c.width <= window as u64);
    }
    // a loose tolerance takes fewer rounds and stays close (the EI chain contracts here)
    let p = Paradigms::new(grid, 8, 0.1).unwrap();
    let mut x = point(d, 8);
    let c = p.solve(&g, &mut x);
    assert!(c.rounds < 24, "{c:?}");
    assert!(max_abs_diff(&x, &want) < 0.1, "{x:?} vs {want:?}");
}

#[test]
fn picard_trace_is_collected_through_the_stages() {
    let d = 5;
    let g = target(d);
    let grid = TimeGrid::uniform(1.0, 0.1, 4).unwrap();
    let s = Ode::rm_par(grid, 6, 7).unwrap();
    let mut trace = PicardTrace::default();
    let mut x = point(d, 2);
    run_stages_traced(&s.stages(), &g, &mut x, &mut stream_rng(0, 0), Some(&mut trace));
    assert_eq!(trace.steps, 4);
    assert_eq!(trace.max_residual.len(), 7);
    // nilpotent after R − 1 = 5 rounds: round 6 changes nothing
    assert_eq!(trace.max_residual[5], 0.0);
    assert!(trace.max_residual[0] > 0.0);
}

#[test]
fn parallel_samplers_are_bitwise_identical_for_1_and_2_threads() {
    // d·R ≥ 2^15 so that rounds themselves are split over rayon workers
    let d = 8192;
    let g = Gaussian::isotropic(d, 0.5, 0.3).unwrap();
    let grid = TimeGrid::uniform(1.0, 0.05, 3).unwrap();
    let s = Ode::rm_par(grid, 8, 3).unwrap();
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| sample(&g, &g, &s, Start::Exact, 3, 11).unwrap().samples)
    };
    assert_eq!(run(1), run(2));
    let mut cw = CorrectorWork::new(4);
    assert!(cw.residuals(CorrectorKind::Ulmc).is_empty());
    cw.picard.residuals.push(1.0);
    assert_eq!(cw.residuals(CorrectorKind::UlmcPar { cells: 2, picard: 1 }), &[1.0]);
}

#[test]
fn parallel_predictor_corrector_reduces_to_the_sequential_one() {
    // rm-par with R = 1, K = 0 is rm bit for bit, and ulmc-par with K = M − 2 is ULMC with step
    // h/M: the whole predictor–corrector loop (interleaved correctors) then agrees bit for bit
    let d = 6;
    let g = target(d);
    let grid = TimeGrid::uniform(2.0, 0.05, 12).unwrap();
    let (cells, h_c) = (3, 0.15);
    let par_c = Corrector::new(CorrectorKind::UlmcPar { cells, picard: 1 }, 2.0, h_c, 0.45).unwrap();
    let seq_c = Corrector {
        kind: CorrectorKind::Ulmc,
        gamma: 2.0,
        h: par_c.h / cells as f64,
        steps: par_c.steps * cells,
    };
    let pc = |predictor, c: &Corrector| PredictorCorrector {
        predictor,
        schedule: PcSchedule::user(grid.clone(), 0.5, c.clone()).unwrap(),
    };
    let par = pc(OdeKind::RmPar { nodes: 1, picard: 0 }, &par_c);
    let seq = pc(OdeKind::Rm, &seq_c);
    let (mut a, mut b) = (point(d, 3), point(d, 3));
    par.run(&g, &mut a, &mut stream_rng(4, 7));
    seq.run(&g, &mut b, &mut stream_rng(4, 7));
    assert_eq!(a, b);
    // the predictor-once-then-corrector-once variant is the same loop with one correction at δ
    let once = PredictorCorrector {
        predictor: OdeKind::RmPar { nodes: 4, picard: 2 },
        schedule: PcSchedule::at_steps(grid.clone(), &[grid.steps() - 1], par_c.clone()).unwrap(),
    };
    assert_eq!(
        stages_rounds(&once.stages()),
        Rounds::picard_step(4, 2).times(12).then(par_c.rounds())
    );
}
