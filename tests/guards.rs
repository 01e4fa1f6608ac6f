//! Runtime guards (issue 7): a sampler whose output is not finite is reported with the sample
//! index, the step and the forward time where the trajectory first broke, found by replaying that
//! sample's stream (no cost on the normal path).

use randmid::Error;
use randmid::driver::{Start, sample};
use randmid::grid::TimeGrid;
use randmid::sampler::pc::{PcSchedule, PredictorCorrector};
use randmid::sampler::{Corrector, CorrectorKind, Ode, OdeKind};
use randmid::target::{Gaussian, Score};

/// The exact score of `N(0, I)` data, except NaN for forward times below 0.45.
struct Broken {
    d: usize,
}

impl Score for Broken {
    fn dim(&self) -> usize {
        self.d
    }
    fn score(&self, t: f64, x: &[f64], out: &mut [f64]) {
        for (o, &xi) in out.iter_mut().zip(x) {
            *o = if t < 0.45 { f64::NAN } else { -xi };
        }
    }
}

#[test]
fn a_non_finite_trajectory_is_located_at_its_first_bad_step() {
    let d = 3;
    let target = Gaussian::isotropic(d, 0.0, 1.0).unwrap();
    let grid = TimeGrid::uniform(1.0, 0.1, 9).unwrap();
    let err = sample(&target, &Broken { d }, &Ode::ei(grid.clone()), Start::Exact, 4, 1).unwrap_err();
    let Error::NonFinite { sample: i, at } = &err else {
        panic!("{err}")
    };
    assert_eq!(*i, 0);
    // steps start at t = 1.0, 0.9, …; the one starting near t = 0.4 is the 7th of 9
    assert!(
        at.contains("stage 7 of 9") && at.contains("ei step from t = 0.400000 to t = 0.300000"),
        "{at}"
    );
    // through a predictor–corrector loop: the RM step from t = 0.5 already breaks when its random
    // midpoint t − αh falls below 0.45 (α > 1/2), else the next one does
    let c = Corrector::new(CorrectorKind::Ulmc, 2.0, 0.1, 0.2).unwrap();
    let pc = PredictorCorrector {
        predictor: OdeKind::Rm,
        schedule: PcSchedule::user(grid, 0.25, c).unwrap(),
    };
    let err = sample(&target, &Broken { d }, &pc, Start::Exact, 2, 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("non-finite value in sample 0"), "{err}");
    assert!(
        err.contains("rm step from t = 0.500000") || err.contains("rm step from t = 0.400000"),
        "{err}"
    );
}

/// ULA with a step beyond its stability limit (h = 3 on f = |x|²/2: x ← −2x + noise) overflows
/// after about 1,030 doublings; the error names the chain and the first non-finite step.
#[test]
fn an_unstable_langevin_chain_is_located_at_its_first_bad_step() {
    use randmid::langevin::{LcStart, Ula, sample_potential};
    use randmid::potential::DiagGaussian;
    let f = DiagGaussian::isotropic(2, 1.0).unwrap();
    let ula = Ula::new(3.0, 2000).unwrap();
    let err = sample_potential(&f, &ula, &LcStart::Point(vec![1.0, 1.0]), 3, 7).unwrap_err();
    let Error::NonFinite { sample: i, at } = &err else {
        panic!("{err}")
    };
    assert_eq!(*i, 0);
    let step: usize = at
        .split("step ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{at}"));
    // |x| ≈ 2^k reaches f64::MAX (2^1024) after about 1024 steps
    assert!((1000..1100).contains(&step), "{at}");
    assert!(at.contains("of 2000 (h = 3)"), "{at}");
}
