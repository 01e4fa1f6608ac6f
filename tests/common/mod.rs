//! Helpers shared by the integration tests (a test includes them with `mod common;`; each test
//! uses some of them).
#![allow(dead_code)]

use randmid::cli::json::Json;
use randmid::grid::TimeGrid;
use randmid::sampler::pc::{PcSchedule, PredictorCorrector};
use randmid::sampler::{Corrector, CorrectorKind, Ode, OdeKind, ReverseSde, Sampler};

/// One sampler of every family on a short grid (T = 2 → δ = 0.02, 6 steps; correctors with
/// γ = 2, h = 0.1, duration 0.2): EI, RM, rm-par, the reverse SDE, and predictor–correctors with
/// ULMC, RM-ULMC, ulmc-par and rm-ulmc-par.
pub fn sampler_families() -> Vec<Box<dyn Sampler>> {
    let grid = TimeGrid::uniform(2.0, 0.02, 6).unwrap();
    let pc = |p: OdeKind, c: CorrectorKind| -> Box<dyn Sampler> {
        let corr = Corrector::new(c, 2.0, 0.1, 0.2).unwrap();
        Box::new(PredictorCorrector {
            predictor: p,
            schedule: PcSchedule::user(grid.clone(), 1.0, corr).unwrap(),
        })
    };
    vec![
        Box::new(Ode::ei(grid.clone())),
        Box::new(Ode::rm(grid.clone())),
        Box::new(Ode::rm_par(grid.clone(), 4, 2).unwrap()),
        Box::new(ReverseSde { grid: grid.clone() }),
        pc(OdeKind::Rm, CorrectorKind::Ulmc),
        pc(OdeKind::Ei, CorrectorKind::RmUlmc),
        pc(OdeKind::Rm, CorrectorKind::UlmcPar { cells: 4, picard: 2 }),
        pc(OdeKind::Rm, CorrectorKind::RmUlmcPar { nodes: 3, picard: 1 }),
    ]
}

/// The NumPyro NUTS reference for `Logistic::breast_cancer(1.0)`
/// (`paper-notes/reference/logistic_breast_cancer_nuts.json`), parsed.
pub fn nuts_reference() -> Json {
    Json::parse(include_str!(
        "../../paper-notes/reference/logistic_breast_cancer_nuts.json"
    ))
    .expect("the NUTS reference is valid JSON")
}

/// The array of numbers stored under `key` of an object.
pub fn f64_array(json: &Json, key: &str) -> Vec<f64> {
    json.get(key)
        .and_then(Json::as_f64_vec)
        .unwrap_or_else(|| panic!("no array of numbers under {key}"))
}
