//! Validation without panics (issue 7): property tests that feed the public constructors and the
//! command line arbitrary numbers — NaN, ±∞, ±0, subnormals, negatives, `f64::MAX`, counts of 0
//! and of `2^30 + 1 … usize::MAX` — and check that bad input comes back as a typed [`Error`]
//! (never a panic) and good input as `Ok`.
//!
//! Every property runs proptest's runner with a fixed seed, no failure-persistence files and at
//! most 256 cases; each library call goes through [`guard`], which turns a panic into a test
//! failure naming the input (proptest then shrinks it). CLI cases are kept cheap: `--dim ≤ 8`,
//! `--n ≤ 5`, `--steps ≤ 8`, small TV estimator sizes, `--out` inside a per-process temporary
//! directory; `check` and `scale` are never generated (long sweeps), `scale` is tested only
//! with arguments that must fail before any sweep starts.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

use randmid::Error;
use randmid::error::MAX_LEN;
use randmid::grid::TimeGrid;
use randmid::langevin::{Kinetic, Mala, Ula};
use randmid::parallel::Paradigms;
use randmid::potential::{DiagGaussian, LogCoshProduct, Logistic, Potential};
use randmid::sampler::pc::PcSchedule;
use randmid::sampler::ulmc::UlmcCoeffs;
use randmid::sampler::{Corrector, CorrectorKind, Ode};
use randmid::target::{CalibrationMethod, ErrorKind, Gaussian, GaussianMixture, Law1d, Perturbed, Product, Score};

// ---------------------------------------------------------------------------------------------
// Harness

/// Fixed seed, no persistence files, a bounded shrink.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x0007_fa11_5afe),
        max_shrink_iters: 512,
        ..Config::default()
    }
}

/// Runs `test` on `cases` inputs drawn from `strategy`; a failure reports the shrunk input.
fn check<S: Strategy>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: Debug,
{
    let mut runner = TestRunner::new(config(cases));
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

/// Calls `f`, turning a panic into a failure that names `input`.
fn guard<T>(input: &dyn Debug, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        TestCaseError::fail(format!("panicked on {input:?}: {msg}"))
    })
}

/// What a constructor must answer.
enum Expect {
    /// `Ok`.
    Ok,
    /// `Err(InvalidParameter)` naming one of these parameters.
    Param(BTreeSet<&'static str>),
    /// `Err` of a variant accepted by the predicate (described by the string).
    Err(&'static str, fn(&Error) -> bool),
    /// Either, as long as an error is typed (ill-conditioned but valid input).
    Any,
}

impl Debug for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expect::Ok => write!(f, "Ok"),
            Expect::Param(names) => write!(f, "InvalidParameter naming one of {names:?}"),
            Expect::Err(variant, _) => write!(f, "{variant}"),
            Expect::Any => write!(f, "Ok or a typed error"),
        }
    }
}

fn params(names: &[&'static str]) -> Expect {
    Expect::Param(names.iter().copied().collect())
}

fn is_grid(e: &Error) -> bool {
    matches!(e, Error::InvalidGrid { .. })
}

fn is_mismatch(e: &Error) -> bool {
    matches!(e, Error::DimensionMismatch { .. })
}

fn is_config(e: &Error) -> bool {
    matches!(e, Error::InvalidConfig { .. })
}

/// Checks `result` against `expect`; every error must also render a non-empty message.
fn verify<T>(input: &dyn Debug, result: &Result<T, Error>, expect: &Expect) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert!(!e.to_string().is_empty());
    }
    match (expect, result) {
        (Expect::Ok, Ok(_)) | (Expect::Any, _) => Ok(()),
        (Expect::Ok, Err(e)) => Err(TestCaseError::fail(format!("{input:?}: expected Ok, got `{e}`"))),
        (Expect::Param(names), Err(Error::InvalidParameter { name, .. })) if names.contains(name) => Ok(()),
        (Expect::Err(_, pred), Err(e)) if pred(e) => Ok(()),
        (_, Ok(_)) => Err(TestCaseError::fail(format!("{input:?}: expected {expect:?}, got Ok"))),
        (_, Err(e)) => Err(TestCaseError::fail(format!(
            "{input:?}: expected {expect:?}, got {e:?}"
        ))),
    }
}

/// The expected outcome of a diagonal constructor taking means and one positive per-coordinate
/// parameter (`scale`, e.g. variances or precisions): `dim` for no coordinates, a dimension
/// mismatch for unequal lengths, Ok when every mean is finite and every scale positive, else an
/// error naming `mean` or `scale`.
fn diagonal_expect(mean: &[f64], scale: &[f64], scale_name: &'static str) -> Expect {
    if mean.is_empty() {
        params(&["dim"])
    } else if mean.len() != scale.len() {
        Expect::Err("DimensionMismatch", is_mismatch)
    } else if mean.iter().all(|m| m.is_finite()) && scale.iter().all(|&v| pos(v)) {
        Expect::Ok
    } else {
        params(&["mean", scale_name])
    }
}

/// Positive and finite.
fn pos(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

/// Non-negative and finite (`−0.0` included, as `check_nonnegative` has it).
fn nonneg(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

/// Special values first, then ordinary numbers, then every `f64` bit class.
const SPECIAL: [f64; 17] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    5e-324,
    f64::MIN_POSITIVE,
    1e-300,
    f64::MAX,
    f64::MIN,
    -1.0,
    1.0,
    0.5,
    2.0,
    1e300,
    -1e-300,
    -5.0,
];

fn any_f64() -> BoxedStrategy<f64> {
    prop_oneof![
        3 => select(SPECIAL.to_vec()),
        3 => -10.0..10.0f64,
        2 => proptest::num::f64::ANY,
    ]
    .boxed()
}

/// Counts no constructor can serve: just above [`MAX_LEN`] up to `usize::MAX`.
const HUGE: [usize; 5] = [MAX_LEN + 1, 1 << 40, 1 << 62, usize::MAX - 1, usize::MAX];

/// `0..=small` mostly, sometimes a huge count.
fn count(small: usize) -> BoxedStrategy<usize> {
    prop_oneof![4 => 0..=small, 1 => select(HUGE.to_vec())].boxed()
}

// ---------------------------------------------------------------------------------------------
// grid

#[test]
fn time_grid_new_accepts_exactly_the_strictly_decreasing_positive_finite_lists() {
    let arbitrary = prop::collection::vec(any_f64(), 0..6);
    let sorted = prop::collection::vec(1e-6..1e6f64, 0..6).prop_map(|mut v| {
        v.sort_by(|a, b| b.total_cmp(a));
        v
    });
    check(256, prop_oneof![arbitrary, sorted], |times| {
        let valid = times.len() >= 2 && times.iter().all(|&t| pos(t)) && times.windows(2).all(|w| w[1] < w[0]);
        let r = guard(&times, || TimeGrid::new(times.clone()))?;
        let expect = if valid {
            Expect::Ok
        } else {
            Expect::Err("InvalidGrid", is_grid)
        };
        verify(&times, &r, &expect)?;
        if let Ok(g) = r {
            prop_assert_eq!(g.times(), &times[..]);
            prop_assert_eq!(g.steps(), times.len() - 1);
        }
        Ok(())
    });
}

/// Invariants of every grid a constructor returns.
fn grid_invariants(g: &TimeGrid, t_max: f64, t_min: f64) -> Result<(), TestCaseError> {
    prop_assert_eq!(g.t_max(), t_max);
    prop_assert_eq!(g.t_min(), t_min);
    prop_assert!(g.times().iter().all(|&t| pos(t)));
    prop_assert!(g.times().windows(2).all(|w| w[1] < w[0]));
    Ok(())
}

#[test]
fn time_grid_uniform_rejects_bad_spans_and_step_counts() {
    let arbitrary = (any_f64(), any_f64(), count(64));
    let valid = (1e-3..1.0f64, 1e-2..10.0f64, 1usize..=256).prop_map(|(t_min, gap, n)| (t_min + gap, t_min, n));
    check(256, prop_oneof![arbitrary, valid], |(t_max, t_min, steps)| {
        let input = (t_max, t_min, steps);
        let span_ok = pos(t_min) && t_max.is_finite() && t_max > t_min;
        let r = guard(&input, || TimeGrid::uniform(t_max, t_min, steps))?;
        let expect = if !(pos(t_min) && pos(t_max)) {
            params(&["t_min", "t_max"])
        } else if !span_ok || steps == 0 {
            Expect::Err("InvalidGrid", is_grid)
        } else if steps > MAX_LEN {
            params(&["steps"])
        } else if (t_max - t_min) / steps as f64 > 1e-6 * t_max {
            Expect::Ok
        } else {
            // steps below the f64 resolution of t_max: InvalidGrid, or a valid grid
            Expect::Any
        };
        verify(&input, &r, &expect)?;
        if let Ok(g) = r {
            grid_invariants(&g, t_max, t_min)?;
            prop_assert_eq!(g.steps(), steps);
            if matches!(expect, Expect::Ok) {
                let h = (t_max - t_min) / steps as f64;
                for (_, hn) in g.iter_steps() {
                    prop_assert!((hn - h).abs() <= 1e-6 * h, "step {} vs {}", hn, h);
                }
            }
        }
        Ok(())
    });
}

#[test]
fn time_grid_geometric_tail_rejects_bad_steps_and_never_loops_forever() {
    let arbitrary = (any_f64(), any_f64(), any_f64());
    let valid = (1e-4..0.1f64, 0.1..10.0f64, 1.0..2000.0f64).prop_map(|(t_min, gap, k)| (t_min + gap, t_min, gap / k));
    // h far below the f64 resolution of t (used to loop forever) or giving ≫ 2^30 steps
    let tiny = (
        0.5..2.0f64,
        select(vec![1e-17, 1e-20, 1e-300, 5e-324]),
        select(vec![0.5, 0.999_999_999_999_999]),
    )
        .prop_map(|(t_max, h, frac)| (t_max, t_max * frac, h));
    check(
        256,
        prop_oneof![2 => arbitrary, 1 => valid, 1 => tiny],
        |(t_max, t_min, h)| {
            let input = (t_max, t_min, h);
            let span_ok = pos(t_min) && t_max.is_finite() && t_max > t_min;
            let uniform_steps = (t_max - t_min) / h;
            // valid input with between 1e5 and 2^30 steps is legal but slow to build here
            prop_assume!(!(span_ok && pos(h) && uniform_steps > 1e5 && uniform_steps <= MAX_LEN as f64));
            let r = guard(&input, || TimeGrid::geometric_tail(t_max, t_min, h))?;
            let expect = if !(pos(t_min) && pos(t_max)) {
                params(&["t_min", "t_max"])
            } else if !span_ok {
                Expect::Err("InvalidGrid", is_grid)
            } else if !pos(h) {
                params(&["h"])
            } else if uniform_steps > MAX_LEN as f64 {
                Expect::Err("InvalidGrid", is_grid)
            } else if h >= 1e-9 * t_max {
                Expect::Ok
            } else {
                Expect::Any
            };
            verify(&input, &r, &expect)?;
            if let Ok(g) = r {
                grid_invariants(&g, t_max, t_min)?;
                for (t, hn) in g.iter_steps() {
                    prop_assert!(hn <= 1.25 * h.min(0.5 * t) * (1.0 + 1e-12), "step {} at t = {}", hn, t);
                }
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// targets

#[test]
fn gaussian_isotropic_and_diagonal_validate_dimension_means_and_variances() {
    check(256, (count(8), any_f64(), any_f64()), |(dim, mean, var)| {
        let input = (dim, mean, var);
        let r = guard(&input, || Gaussian::isotropic(dim, mean, var))?;
        let mut bad = vec![];
        if dim == 0 || dim > MAX_LEN {
            bad.push("dim");
        }
        if !mean.is_finite() {
            bad.push("mean");
        }
        if !pos(var) {
            bad.push("var");
        }
        verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
        if let Ok(g) = r {
            prop_assert_eq!(g.dim(), dim);
            prop_assert!(g.mean().iter().all(|&m| m == mean));
            prop_assert!(g.cov_eigenvalues().iter().all(|&v| v == var));
        }
        Ok(())
    });
    let lists = (
        prop::collection::vec(any_f64(), 0..5),
        prop::collection::vec(any_f64(), 0..5),
    );
    let valid = (1usize..5).prop_flat_map(|d| {
        (
            prop::collection::vec(-1e3..1e3f64, d),
            prop::collection::vec(1e-3..1e3f64, d),
        )
    });
    check(256, prop_oneof![lists, valid], |(mean, var)| {
        let input = (&mean, &var);
        let r = guard(&input, || Gaussian::diagonal(mean.clone(), var.clone()))?;
        let expect = diagonal_expect(&mean, &var, "var");
        verify(&input, &r, &expect)?;
        if let Ok(g) = r {
            prop_assert_eq!(g.mean(), &mean[..]);
            prop_assert_eq!(g.cov_eigenvalues(), &var[..]);
        }
        Ok(())
    });
}

/// One defect planted in a valid mixture specification.
#[derive(Debug, Clone, Copy)]
enum MixBug {
    None,
    Weight(f64),
    SumOff,
    ExtraWeight,
    NoComponents,
    ZeroDim,
    MeanDim,
    Mean(f64),
    Var(f64),
    MissingVar,
    VarVectorLen,
}

#[test]
fn gaussian_mixture_constructors_name_the_defect() {
    let spec = (1usize..=3, 1usize..=3).prop_flat_map(|(k, d)| {
        (
            prop::collection::vec(0.05..1.0f64, k),
            prop::collection::vec(prop::collection::vec(-5.0..5.0f64, d), k),
            prop::collection::vec(prop::collection::vec(0.1..4.0f64, d), k),
        )
    });
    let bug = prop_oneof![
        3 => Just(MixBug::None),
        1 => select(vec![-0.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY]).prop_map(MixBug::Weight),
        1 => Just(MixBug::SumOff),
        1 => Just(MixBug::ExtraWeight),
        1 => Just(MixBug::NoComponents),
        1 => Just(MixBug::ZeroDim),
        1 => Just(MixBug::MeanDim),
        1 => select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]).prop_map(MixBug::Mean),
        1 => select(vec![0.0, -0.0, -1.0, f64::NAN, f64::INFINITY]).prop_map(MixBug::Var),
        1 => Just(MixBug::MissingVar),
        1 => Just(MixBug::VarVectorLen),
    ];
    check(
        256,
        (spec, bug, any::<bool>()),
        |((raw, mut means, mut vars), bug, diagonal)| {
            let sum: f64 = raw.iter().sum();
            let mut weights: Vec<f64> = raw.iter().map(|w| w / sum).collect();
            let d = means[0].len();
            let expect = match bug {
                MixBug::None => Expect::Ok,
                MixBug::Weight(w) => {
                    weights[0] = w;
                    params(&["weight"])
                }
                MixBug::SumOff => {
                    weights[0] += 1e-6;
                    params(&["weights (sum)"])
                }
                MixBug::ExtraWeight => {
                    weights.push(0.0);
                    Expect::Err("DimensionMismatch", is_mismatch)
                }
                MixBug::NoComponents => {
                    (weights, means, vars) = (vec![], vec![], vec![]);
                    params(&["components"])
                }
                MixBug::ZeroDim => {
                    means.iter_mut().for_each(Vec::clear);
                    params(&["dim"])
                }
                MixBug::MeanDim => {
                    weights = vec![1.0 / (weights.len() + 1) as f64; weights.len() + 1];
                    means.push(vec![0.0; d + 1]);
                    vars.push(vec![1.0; d]);
                    Expect::Err("DimensionMismatch", is_mismatch)
                }
                MixBug::Mean(m) => {
                    means[0][d - 1] = m;
                    params(&["component mean entry"])
                }
                MixBug::Var(v) => {
                    vars[0][0] = v;
                    params(&["component variance"])
                }
                MixBug::MissingVar => {
                    vars.pop();
                    Expect::Err("DimensionMismatch", is_mismatch)
                }
                MixBug::VarVectorLen if diagonal => {
                    vars[0].push(1.0);
                    Expect::Err("DimensionMismatch", is_mismatch)
                }
                MixBug::VarVectorLen => Expect::Ok,
            };
            let input = (&weights, &means, &vars, diagonal);
            let k = means.len();
            let r = guard(&input, || {
                if diagonal {
                    GaussianMixture::diagonal(weights.clone(), means.clone(), vars.clone())
                } else {
                    let iso = vars.iter().map(|v| v[0]).collect();
                    GaussianMixture::isotropic(weights.clone(), means.clone(), iso)
                }
            })?;
            verify(&input, &r, &expect)?;
            if let Ok(m) = r {
                prop_assert_eq!(m.num_components(), k);
                prop_assert!((m.weights().iter().sum::<f64>() - 1.0).abs() < 1e-12);
                for (j, mu) in means.iter().enumerate() {
                    prop_assert_eq!(m.mean(j), &mu[..]);
                }
            }
            Ok(())
        },
    );
    check(
        256,
        (count(8), count(4), any_f64(), any_f64(), any::<u64>()),
        |(dim, k, sep, var, seed)| {
            let input = (dim, k, sep, var, seed);
            let r = guard(&input, || GaussianMixture::random(dim, k, sep, var, seed))?;
            let mut bad = vec![];
            if dim == 0 {
                bad.push("dim");
            }
            if k == 0 {
                bad.push("components");
            }
            if dim > 0 && k > 0 && k.checked_mul(dim).is_none_or(|n| n > MAX_LEN) {
                bad.push("components × dim");
            }
            if !nonneg(sep) {
                bad.push("separation");
            }
            if !pos(var) {
                bad.push("component_var");
            }
            verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
            if let Ok(m) = r {
                prop_assert_eq!((m.num_components(), m.dim()), (k, dim));
            }
            Ok(())
        },
    );
}

/// A 1-D law built directly from the public variants (so it may be invalid), with its validity.
fn law1d() -> impl Strategy<Value = (Law1d, bool)> {
    prop_oneof![
        (any_f64(), any_f64()).prop_map(|(sep, sd)| (Law1d::Bimodal { sep, sd }, nonneg(sep) && pos(sd))),
        (any_f64(), any_f64()).prop_map(|(mean, var)| (Law1d::Gaussian1d { mean, var }, mean.is_finite() && pos(var))),
        Just((Law1d::LogCosh, true)),
    ]
}

#[test]
fn laws_and_products_reject_invalid_parameters_and_dimensions() {
    check(256, (any_f64(), any_f64()), |(a, b)| {
        let input = (a, b);
        let r = guard(&input, || Law1d::bimodal(a, b))?;
        let mut bad = vec![];
        if !nonneg(a) {
            bad.push("sep");
        }
        if !pos(b) {
            bad.push("sd");
        }
        verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
        let r = guard(&input, || Law1d::gaussian(a, b))?;
        let mut bad = vec![];
        if !a.is_finite() {
            bad.push("mean");
        }
        if !pos(b) {
            bad.push("var");
        }
        verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
        Ok(())
    });
    check(256, (law1d(), count(8)), |((law, valid), dim)| {
        let input = (law, dim);
        let r = guard(&input, || Product::iid(law, dim))?;
        let mut bad = vec![];
        if dim == 0 || dim > MAX_LEN {
            bad.push("dim");
        }
        if !valid {
            bad.extend(["sep", "sd", "mean", "var"]);
        }
        verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
        if let Ok(p) = r {
            prop_assert_eq!(p.dim(), dim);
            prop_assert!(p.is_iid());
        }
        Ok(())
    });
    check(128, prop::collection::vec(law1d(), 0..4), |laws| {
        let r = guard(&laws, || Product::new(laws.iter().map(|l| l.0).collect()))?;
        let expect = if laws.is_empty() {
            params(&["dim"])
        } else if laws.iter().all(|l| l.1) {
            Expect::Ok
        } else {
            params(&["sep", "sd", "mean", "var"])
        };
        verify(&laws, &r, &expect)?;
        if let Ok(p) = r {
            prop_assert_eq!(p.dim(), laws.len());
        }
        Ok(())
    });
}

/// A score-error request: kind, calibration method, and whether each part is valid.
#[derive(Debug, Clone)]
enum ErrSpec {
    /// Direction (`None`: seeded), and whether Monte Carlo calibration is (wrongly) asked for.
    Bias(Option<Vec<f64>>, bool),
    Linear(Vec<f64>, Vec<f64>),
    Fourier(usize, f64, Option<usize>),
}

#[test]
fn perturbed_score_errors_validate_size_shape_and_calibration() {
    let vec_f = || {
        prop_oneof![
            3 => (1usize..=3).prop_flat_map(|d| prop::collection::vec(-10.0..10.0f64, d)),
            2 => prop::collection::vec(any_f64(), 0..4),
        ]
    };
    let spec = prop_oneof![
        1 => any::<bool>().prop_map(|mc| ErrSpec::Bias(None, mc)),
        2 => vec_f().prop_map(|u| ErrSpec::Bias(Some(u), false)),
        2 => (vec_f(), vec_f()).prop_map(|(a, b)| ErrSpec::Linear(a, b)),
        3 => (
            count(3),
            prop_oneof![2 => 0.3..3.0f64, 1 => any_f64()],
            prop_oneof![3 => Just(None), 1 => select(vec![0, 1, 2, 3, MAX_LEN + 1, usize::MAX]).prop_map(Some)],
        )
            .prop_map(|(k, bw, mc)| ErrSpec::Fourier(k, bw, mc)),
    ];
    let eps = prop_oneof![3 => 0.0..1.0f64, 1 => any_f64()];
    check(
        256,
        (1usize..=3, any::<bool>(), eps, spec, any::<u64>()),
        |(d, gaussian, eps, spec, seed)| {
            let input = (d, gaussian, eps, &spec, seed);
            let target: Box<dyn randmid::target::Target> = if gaussian {
                Box::new(Gaussian::isotropic(d, 0.5, 1.5).unwrap())
            } else {
                Box::new(Product::iid(Law1d::bimodal(1.0, 0.5).unwrap(), d).unwrap())
            };
            let moderate = |v: &[f64]| v.iter().all(|x| x.abs() <= 1e100) && v.iter().any(|x| x.abs() >= 1e-100);
            let (kind, method, expect) = match spec.clone() {
                ErrSpec::Bias(u, mc) => {
                    let expect = match &u {
                        None => Expect::Ok,
                        Some(u) if u.len() != d => Expect::Err("DimensionMismatch", is_mismatch),
                        Some(u) if u.iter().all(|x| x.is_finite()) && moderate(u) => Expect::Ok,
                        Some(u) if u.iter().any(|x| !x.is_finite()) || u.iter().all(|&x| x == 0.0) => {
                            params(&["bias direction norm"])
                        }
                        Some(_) => Expect::Any,
                    };
                    let method = if mc {
                        CalibrationMethod::MonteCarlo { samples: 4 }
                    } else {
                        CalibrationMethod::Auto
                    };
                    (ErrorKind::Bias { direction: u }, method, expect)
                }
                ErrSpec::Linear(a, b) => {
                    let expect = if a.len() != d || b.len() != d {
                        Expect::Err("DimensionMismatch", is_mismatch)
                    } else if a.iter().chain(&b).any(|x| !x.is_finite()) {
                        params(&["linear error a", "linear error b"])
                    } else if a.iter().all(|&x| x == 0.0) {
                        params(&["linear error a"])
                    } else if moderate(&a) && b.iter().all(|x| x.abs() <= 1e100) {
                        Expect::Ok
                    } else {
                        Expect::Any
                    };
                    (ErrorKind::Linear { a, b }, CalibrationMethod::Auto, expect)
                }
                ErrSpec::Fourier(features, bandwidth, mc) => {
                    let mut bad = vec![];
                    if features == 0 {
                        bad.push("features");
                    }
                    if features > MAX_LEN / 4 {
                        bad.extend(["features × dim", "features²"]);
                    }
                    if !pos(bandwidth) {
                        bad.push("bandwidth");
                    }
                    if let Some(n) = mc
                        && !(2..=MAX_LEN).contains(&n)
                    {
                        bad.push("Monte Carlo samples");
                    }
                    let expect = if !bad.is_empty() {
                        params(&bad)
                    } else if (0.3..3.0).contains(&bandwidth) {
                        Expect::Ok
                    } else {
                        Expect::Any
                    };
                    let method = mc.map_or(CalibrationMethod::Auto, |samples| CalibrationMethod::MonteCarlo {
                        samples,
                    });
                    (ErrorKind::Fourier { features, bandwidth }, method, expect)
                }
            };
            let expect = if !nonneg(eps) {
                params(&["eps_sc"])
            } else if matches!(method, CalibrationMethod::MonteCarlo { .. })
                && !matches!(kind, ErrorKind::Fourier { .. })
            {
                Expect::Err("InvalidConfig", is_config)
            } else {
                expect
            };
            let r = guard(&input, || Perturbed::new_with(target, eps, kind, seed, method))?;
            verify(&input, &r, &expect)?;
            if let Ok(p) = r {
                prop_assert_eq!(p.eps_sc(), eps);
                prop_assert!(p.error_lipschitz() >= 0.0 || p.error_lipschitz().is_nan());
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// potentials

#[test]
fn potentials_validate_dimension_precision_and_condition_number() {
    let lists = (
        prop::collection::vec(any_f64(), 0..4),
        prop::collection::vec(any_f64(), 0..4),
    );
    check(256, lists, |(mean, prec)| {
        let input = (&mean, &prec);
        let r = guard(&input, || DiagGaussian::new(mean.clone(), prec.clone()))?;
        let expect = diagonal_expect(&mean, &prec, "precision");
        verify(&input, &r, &expect)?;
        Ok(())
    });
    check(256, (count(8), any_f64()), |(d, x)| {
        let input = (d, x);
        let dim_bad = d == 0 || d > MAX_LEN;
        let r = guard(&input, || DiagGaussian::isotropic(d, x))?;
        let mut bad = vec![];
        if dim_bad {
            bad.push("dim");
        }
        if !pos(x) {
            bad.push("precision");
        }
        verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
        let r = guard(&input, || DiagGaussian::ill_conditioned(d, x))?;
        let mut bad = vec![];
        if dim_bad {
            bad.push("dim");
        }
        if !(x.is_finite() && x >= 1.0) {
            bad.push("kappa");
        }
        verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
        if let Ok(f) = r
            && x <= 1e300
        {
            // (for κ near f64::MAX, L/m itself overflows)
            prop_assert_eq!(f.dim(), d);
            let kappa = f.smoothness() / f.strong_convexity();
            let want = if d == 1 { 1.0 } else { x };
            prop_assert!((kappa / want - 1.0).abs() < 1e-6, "κ = {} for {}", kappa, want);
        }
        let r = guard(&input, || LogCoshProduct::new(d))?;
        verify(&input, &r, &if dim_bad { params(&["dim"]) } else { Expect::Ok })?;
        if let Ok(f) = r {
            prop_assert_eq!(f.minimizer().map(|m| m.len()), Some(d));
        }
        Ok(())
    });
}

#[test]
fn logistic_posteriors_validate_data_labels_and_prior() {
    let x_val = prop_oneof![6 => -100.0..100.0f64, 1 => select(vec![f64::NAN, f64::INFINITY, 0.0, 1.0])];
    let y_val = prop_oneof![6 => select(vec![0.0, 1.0]), 1 => select(vec![0.5, f64::NAN, -1.0, 2.0])];
    let prior = prop_oneof![3 => 0.1..10.0f64, 1 => any_f64()];
    let data = (0usize..=5, 0usize..=3, 0usize..=1, 0usize..=1).prop_flat_map(move |(n, p, dx, dy)| {
        (
            Just((n, p)),
            prop::collection::vec(x_val.clone(), n * p + dx),
            prop::collection::vec(y_val.clone(), n + dy),
            prior.clone(),
        )
    });
    check(256, data, |((n, p), x, y, prior_var)| {
        let input = (n, p, &x, &y, prior_var);
        let r = guard(&input, || Logistic::new(x.clone(), n, p, y.clone(), prior_var))?;
        let constant_column = (0..p).any(|j| (1..n).all(|i| x.get(i * p + j) == x.get(j)));
        let expect = if p == 0 || n < 2 {
            params(&["p", "n"])
        } else if x.len() != n * p || y.len() != n {
            Expect::Err("DimensionMismatch", is_mismatch)
        } else if !pos(prior_var) || x.iter().any(|v| !v.is_finite()) || y.iter().any(|&v| v != 0.0 && v != 1.0) {
            params(&["prior_var", "x", "y"])
        } else if constant_column {
            params(&["x column index"])
        } else {
            Expect::Ok
        };
        verify(&input, &r, &expect)?;
        if let Ok(f) = r {
            prop_assert_eq!(f.dim(), p + 1);
            prop_assert_eq!(f.strong_convexity(), 1.0 / prior_var);
            prop_assert!(f.smoothness() >= f.strong_convexity());
        }
        Ok(())
    });
    // n · p overflowing usize is a typed error, not an overflow
    let r = Logistic::new(vec![], usize::MAX, 2, vec![], 1.0);
    assert!(matches!(r, Err(Error::InvalidParameter { name: "n", .. })), "{r:?}");
    check(32, any_f64(), |prior_var| {
        let r = guard(&prior_var, || Logistic::breast_cancer(prior_var))?;
        verify(
            &prior_var,
            &r,
            &if pos(prior_var) {
                Expect::Ok
            } else {
                params(&["prior_var"])
            },
        )?;
        if let Ok(f) = r {
            prop_assert_eq!(f.dim(), 31);
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// samplers

fn corrector_kind() -> impl Strategy<Value = CorrectorKind> {
    prop_oneof![
        Just(CorrectorKind::Ulmc),
        Just(CorrectorKind::RmUlmc),
        (count(3), count(3)).prop_map(|(cells, picard)| CorrectorKind::UlmcPar { cells, picard }),
        (count(3), count(3)).prop_map(|(nodes, picard)| CorrectorKind::RmUlmcPar { nodes, picard }),
    ]
}

/// The parallel width (`cells` or `nodes`) of a corrector kind, with its name.
fn width(kind: CorrectorKind) -> Option<(&'static str, usize)> {
    match kind {
        CorrectorKind::UlmcPar { cells, .. } => Some(("cells", cells)),
        CorrectorKind::RmUlmcPar { nodes, .. } => Some(("nodes", nodes)),
        _ => None,
    }
}

#[test]
fn correctors_and_ulmc_coefficients_validate_friction_step_and_width() {
    let positive = || prop_oneof![2 => 1e-3..1e3f64, 1 => any_f64()];
    check(
        256,
        (corrector_kind(), positive(), positive(), positive()),
        |(kind, gamma, h, dur)| {
            let input = (kind, gamma, h, dur);
            let r = guard(&input, || Corrector::new(kind, gamma, h, dur))?;
            let mut bad = vec![];
            for (name, x) in [("gamma", gamma), ("h", h), ("duration", dur)] {
                if !pos(x) {
                    bad.push(name);
                }
            }
            if let Some((name, w)) = width(kind)
                && (w == 0 || w > randmid::error::MAX_LEN)
            {
                bad.push(name);
            }
            if let CorrectorKind::UlmcPar { picard, .. } | CorrectorKind::RmUlmcPar { picard, .. } = kind
                && picard > randmid::error::MAX_LEN
            {
                bad.push("picard");
            }
            verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
            if let Ok(c) = r {
                prop_assert!(c.steps >= 1);
                if dur / h <= 1e6 {
                    prop_assert_eq!(c.steps, ((dur / h).round() as usize).max(1));
                    prop_assert!((c.h * c.steps as f64 - dur).abs() <= 1e-9 * dur);
                }
            }
            Ok(())
        },
    );
    check(256, (positive(), positive()), |(gamma, h)| {
        let input = (gamma, h);
        let r = guard(&input, || UlmcCoeffs::new(gamma, h))?;
        let mut bad = vec![];
        if !pos(gamma) {
            bad.push("gamma");
        }
        if !pos(h) {
            bad.push("h");
        }
        verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
        if let Ok(c) = r
            && (1e-3..=1e3).contains(&gamma)
            && (1e-3..=1e3).contains(&h)
        {
            let f = c.flow;
            prop_assert!(
                [f.decay, f.vel, f.force]
                    .iter()
                    .chain(c.chol.iter().flatten())
                    .all(|x| x.is_finite())
            );
        }
        Ok(())
    });
}

#[test]
fn parallel_predictors_and_pc_schedules_validate_their_counts() {
    let grid = || TimeGrid::uniform(5.0, 0.01, 8).unwrap();
    check(
        256,
        (count(4), count(4), count(4), any_f64()),
        |(nodes, picard, window, tol)| {
            let input = (nodes, picard, window, tol);
            let max = randmid::error::MAX_LEN;
            let r = guard(&input, || Ode::rm_par(grid(), nodes, picard))?;
            let mut bad = vec![];
            if nodes == 0 || nodes > max {
                bad.push("nodes");
            }
            if picard > max {
                bad.push("picard");
            }
            verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
            let r = guard(&input, || Paradigms::new(grid(), window, tol))?;
            let mut bad = vec![];
            if window == 0 || window > max {
                bad.push("window");
            }
            if tol.is_nan() || tol < 0.0 {
                bad.push("tol");
            }
            verify(&input, &r, &if bad.is_empty() { Expect::Ok } else { params(&bad) })?;
            Ok(())
        },
    );
    let corr = Corrector::new(CorrectorKind::Ulmc, 2.0, 0.05, 0.5).unwrap();
    let steps = prop::collection::vec(prop_oneof![4 => 0usize..12, 1 => select(HUGE.to_vec())], 0..5);
    check(256, (any_f64(), steps), |(chunk, at)| {
        let input = (chunk, &at);
        let r = guard(&input, || PcSchedule::user(grid(), chunk, corr.clone()))?;
        verify(&input, &r, &if pos(chunk) { Expect::Ok } else { params(&["chunk"]) })?;
        if let Ok(s) = r {
            prop_assert!((1..=8).contains(&s.corrections()));
        }
        let r = guard(&input, || PcSchedule::at_steps(grid(), &at, corr.clone()))?;
        let valid = at.iter().all(|&s| s < 8);
        verify(
            &input,
            &r,
            &if valid {
                Expect::Ok
            } else {
                Expect::Err("InvalidConfig", is_config)
            },
        )?;
        if let Ok(s) = r {
            prop_assert_eq!(s.corrections(), at.iter().collect::<BTreeSet<_>>().len());
        }
        Ok(())
    });
}

/// The corrector step count `Corrector::new` derives from a step and a duration.
fn corrector_steps(h: f64, duration: f64) -> usize {
    (duration / h).round().clamp(1.0, usize::MAX as f64) as usize
}

/// `(gradients, rounds)` per step of a corrector kind, as `Rounds::picard_step` counts them.
fn per_step(kind: CorrectorKind) -> (u64, u64) {
    let picard = |r: usize, k: usize| {
        if r == 0 {
            (1, 1)
        } else {
            (1 + r as u64 * (k as u64 + 1), k as u64 + 2)
        }
    };
    match kind {
        CorrectorKind::Ulmc => (1, 1),
        CorrectorKind::RmUlmc => (2, 2),
        CorrectorKind::UlmcPar { cells, picard: k } => picard(cells - 1, k),
        CorrectorKind::RmUlmcPar { nodes, picard: k } => picard(nodes, k),
    }
}

#[test]
fn log_concave_samplers_validate_step_size_steps_width_and_corrector() {
    let positive = || prop_oneof![2 => 1e-3..1e3f64, 1 => any_f64()];
    let strategy = (
        positive(),
        positive(),
        count(100),
        count(3),
        count(3),
        positive(),
        positive(),
    );
    check(256, strategy, |(gamma, h, steps, w, picard, h_c, t_c)| {
        let input = (gamma, h, steps, w, picard, h_c, t_c);
        let expect = |bad: &[&'static str]| if bad.is_empty() { Expect::Ok } else { params(bad) };
        let mut bad = vec![];
        if !pos(h) {
            bad.push("h");
        }
        if steps == 0 {
            bad.push("steps");
        }
        let r = guard(&input, || Ula::new(h, steps))?;
        verify(&input, &r, &expect(&bad))?;
        let r = guard(&input, || Mala::new(h, steps))?;
        verify(&input, &r, &expect(&bad))?;

        if !pos(gamma) {
            bad.push("gamma");
        }
        let duration = h * steps as f64;
        if pos(h) && steps > 0 && !duration.is_finite() {
            bad.push("duration");
        }
        let n = if bad.is_empty() {
            corrector_steps(h, duration) as u64
        } else {
            0
        };
        // Kinetic refuses step counts whose gradient or round totals overflow u64
        let fits = |kind: CorrectorKind, extra: u64| {
            let (g, r) = per_step(kind);
            g.checked_mul(n).and_then(|x| x.checked_add(extra)).is_some() && r.checked_mul(n).is_some()
        };
        let with = |extra: &[&'static str]| {
            let mut b = bad.clone();
            b.extend_from_slice(extra);
            expect(&b)
        };
        let r = guard(&input, || Kinetic::ulmc(gamma, h, steps))?;
        verify(&input, &r, &with(&[]))?;
        if let Ok(k) = &r
            && steps <= 1_000_000
        {
            prop_assert_eq!(k.runs().len(), 1);
            prop_assert_eq!(k.runs()[0].steps, steps);
        }
        let rm_fits = fits(CorrectorKind::RmUlmc, 0);
        let r = guard(&input, || Kinetic::rm_ulmc(gamma, h, steps))?;
        verify(&input, &r, &with(if rm_fits { &[] } else { &["steps"] }))?;
        if let Ok(k) = &r {
            prop_assert_eq!(k.grads(), 2 * n);
        }
        // parallel kinds: width ≥ 1, width and Picard rounds at most MAX_LEN
        type Ctor = fn(f64, f64, usize, usize, usize) -> randmid::Result<Kinetic>;
        let kinds: [(&str, Ctor, CorrectorKind); 2] = [
            ("cells", Kinetic::ulmc_par, CorrectorKind::UlmcPar { cells: w, picard }),
            (
                "nodes",
                Kinetic::rm_ulmc_par,
                CorrectorKind::RmUlmcPar { nodes: w, picard },
            ),
        ];
        for (name, ctor, kind) in kinds {
            let r = guard(&input, || ctor(gamma, h, steps, w, picard))?;
            let mut extra = vec![];
            if w == 0 || w > MAX_LEN {
                extra.push(name);
            }
            if picard > MAX_LEN {
                extra.push("picard");
            }
            if extra.is_empty() && !fits(kind, 0) {
                extra.push("steps");
            }
            verify(&input, &r, &with(&extra))?;
        }
        // gcc-lc: RM-ULMC, then ULMC for t_c with step h_c (at most MAX_LEN steps)
        let r = guard(&input, || Kinetic::gcc_lc(gamma, h, steps, h_c, t_c))?;
        let mut extra = vec![];
        if !rm_fits {
            extra.push("steps");
        }
        if !pos(h_c) {
            extra.push("h");
        }
        if !pos(t_c) {
            extra.push("duration");
        }
        if pos(h_c) && pos(t_c) && corrector_steps(h_c, t_c) > MAX_LEN {
            extra.push("t_c / h_c (corrector steps)");
        }
        if extra.is_empty() && !fits(CorrectorKind::RmUlmc, corrector_steps(h_c, t_c) as u64) {
            extra.push("steps");
        }
        verify(&input, &r, &with(&extra))?;
        if let Ok(k) = r {
            prop_assert_eq!(k.runs().len(), 2);
        }
        Ok(())
    });
}

// ---------------------------------------------------------------------------------------------
// command line

/// A scratch directory for one test (per process) under the system temporary directory.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("randmid-fuzz-validation-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Removes a test's scratch directory and whatever is left in it.
fn remove_scratch(test: &str) {
    let _ = std::fs::remove_dir_all(scratch(test));
}

/// A fresh output path in `dir`.
fn out_path(dir: &std::path::Path) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let k = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("out-{k}.csv")).to_string_lossy().into_owned()
}

/// Runs the CLI on `argv` under [`guard`] and removes whatever it wrote at `out`.
fn cli(argv: &[String], out: Option<&str>) -> Result<i32, TestCaseError> {
    let code = guard(&argv, || randmid::cli::main(argv))?;
    if let Some(out) = out {
        let _ = std::fs::remove_file(out);
        let _ = std::fs::remove_file(format!("{out}.json"));
    }
    prop_assert!([0, 1, 2].contains(&code), "exit code {} for {:?}", code, argv);
    Ok(code)
}

const FLOATS: &[&str] = &[
    "nan", "NaN", "inf", "-inf", "-1", "0", "-0", "1e308", "1e400", "5e-324", "1e-300", "0.5", "1", "2", "3.5", "abc",
    "", "1,5", "0x10",
];
const COUNTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "1073741825",
    "1099511627776",
    "4611686018427387904",
    "18446744073709551615",
    "99999999999999999999999",
    "-1",
    "1.5",
    "abc",
    "",
];
const SEEDS: &[&str] = &[
    "0",
    "7",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
    "1e3",
    "abc",
];
const SAMPLERS: &[&str] = &[
    "ei",
    "rm",
    "sde",
    "ei+ulmc",
    "rm+ulmc",
    "ei+rm-ulmc",
    "rm+rm-ulmc",
    "rm-par",
    "rm-par+ulmc-par",
    "ei+ulmc-par",
    "paradigms",
    "ula",
    "mala",
    "ulmc",
    "rm-ulmc",
    "gcc-lc",
    "ulmc-par",
    "rm-ulmc-par",
    "nope",
    "rm+nope",
    "+",
    "rm-par+rm-ulmc",
];

/// Values of an option that are in its domain (small sizes: the command must stay cheap).
fn good(opt: &str) -> Vec<&'static str> {
    match opt {
        "dim" => vec!["1", "2", "3", "8"],
        "n" => vec!["1", "2", "5"],
        "steps" => vec!["1", "2", "8"],
        "inner" => vec!["2", "4"],
        "blocks" => vec!["2"],
        "grid-points" => vec!["16", "33"],
        "threads" => vec!["0", "1", "2"],
        "nodes" | "cells" | "components" => vec!["1", "2", "3"],
        "picard" => vec!["0", "1", "2"],
        "window" => vec!["1", "4", "100"],
        "features" => vec!["1", "2"],
        "bins" => vec!["2", "5", "10"],
        "seed" | "error-seed" | "target-seed" => vec!["0", "7", "12345"],
        "target" => vec!["iso-gaussian", "bimodal", "gmm", "logcosh", "ill-gaussian", "logistic"],
        "sampler" => SAMPLERS[..18].to_vec(),
        "grid" => vec!["uniform", "geometric", "times:5,2,1,0.1"],
        "schedule" => vec!["user", "paper"],
        "score-error" => vec!["none", "bias", "linear", "fourier"],
        "estimator" => vec!["auto", "semi-analytic", "grid", "histogram"],
        "data" => vec!["breast-cancer"],
        "t-max" => vec!["5", "2", "1"],
        "t-min" => vec!["0.001", "0.01", "0.1"],
        "eps" => vec!["0.1", "0.3"],
        "eps-sc" => vec!["0", "0.1"],
        "kappa" => vec!["1", "10", "100"],
        "tol" => vec!["0", "0.1", "1"],
        "corr-step" => vec!["0.05", "0.1"],
        "corr-time" => vec!["0.2", "0.5"],
        "chunk" => vec!["0.5", "1", "10"],
        "step-size" => vec!["0.01", "0.1"],
        "sep" => vec!["0", "1", "2"],
        "sd" | "start-var" | "bandwidth" | "var" | "prior-var" | "comp-var" | "gamma" | "lipschitz" => {
            vec!["0.5", "1", "2"]
        }
        _ => vec!["0", "1", "-1"],
    }
}

/// Values outside an option's domain, or not numbers at all; counts up to `usize::MAX` where
/// the command would otherwise stay cheap.
fn bad(opt: &str) -> Vec<&'static str> {
    match opt {
        "dim" => vec!["0", "-1", "abc", "", "2.5"],
        "n" | "steps" => vec!["0", "-1", "abc", ""],
        "inner" => vec!["0", "1", "3", "abc"],
        "blocks" => vec!["0", "1", "6", "abc"],
        "grid-points" => vec!["0", "1", "15", "abc"],
        "threads" => vec!["abc", "-1"],
        "bins" | "nodes" | "cells" | "picard" | "window" | "components" | "features" => COUNTS.to_vec(),
        "seed" | "error-seed" | "target-seed" => SEEDS.to_vec(),
        "target" => vec!["nope", ""],
        "sampler" => SAMPLERS[18..].to_vec(),
        "grid" => vec!["times:", "times:1,2", "times:5,nan", "times:abc", "spiral"],
        "schedule" | "score-error" | "estimator" => vec!["nope", ""],
        "data" => vec!["german", "nope"],
        _ => FLOATS.to_vec(),
    }
}

/// A value for `opt`: in its domain nine times in ten, three times in four for the counts and
/// step-like numbers (where huge or tiny values reach allocations and loops).
fn value(opt: &'static str) -> BoxedStrategy<String> {
    const PROBED: &[&str] = &[
        "nodes",
        "cells",
        "picard",
        "window",
        "components",
        "features",
        "bins",
        "corr-step",
        "corr-time",
        "eps",
        "step-size",
        "t-max",
        "t-min",
        "chunk",
        "lipschitz",
    ];
    let bad_weight = if PROBED.contains(&opt) { 3 } else { 1 };
    prop_oneof![9 => select(good(opt)), bad_weight => select(bad(opt))]
        .prop_map(String::from)
        .boxed()
}

/// Options that take a value; `bogus` and `dimm` are unknown to every command.
const OPTIONS: &[&str] = &[
    "target",
    "sampler",
    "dim",
    "n",
    "steps",
    "inner",
    "blocks",
    "grid-points",
    "mean",
    "var",
    "sep",
    "sd",
    "components",
    "target-seed",
    "comp-var",
    "kappa",
    "data",
    "prior-var",
    "grid",
    "t-max",
    "t-min",
    "schedule",
    "chunk",
    "gamma",
    "corr-step",
    "corr-time",
    "eps",
    "lipschitz",
    "nodes",
    "picard",
    "cells",
    "window",
    "tol",
    "score-error",
    "eps-sc",
    "error-seed",
    "features",
    "bandwidth",
    "step-size",
    "start-var",
    "estimator",
    "bins",
    "seed",
    "threads",
    "bogus",
    "dimm",
];

/// An option with a value.
fn option() -> impl Strategy<Value = (&'static str, String)> {
    select(OPTIONS).prop_flat_map(|o| (Just(o), value(o)))
}

/// The options a `sample`/`tv` command reads for this target and sampler (values as given, so
/// possibly invalid names: then the generic ones).
fn relevant(cmd: &str, target: &str, sampler: &str, schedule: &str, error: &str) -> Vec<&'static str> {
    let mut o = if target == "logistic" { vec![] } else { vec!["dim"] };
    o.extend(match target {
        "iso-gaussian" => &["mean", "var"][..],
        "bimodal" => &["sep", "sd"],
        "gmm" => &["components", "target-seed", "sep", "comp-var"],
        "ill-gaussian" => &["kappa"],
        "logistic" => &["data", "prior-var"],
        _ => &[],
    });
    let lc = ["ula", "mala", "ulmc", "rm-ulmc", "gcc-lc", "ulmc-par", "rm-ulmc-par"].contains(&sampler);
    if cmd == "sample" && lc {
        o.extend([
            "steps",
            "step-size",
            "gamma",
            "corr-time",
            "corr-step",
            "n",
            "seed",
            "start-var",
        ]);
        o.extend(match sampler {
            "ulmc-par" => &["cells", "picard"][..],
            "rm-ulmc-par" => &["nodes", "picard"],
            _ => &[],
        });
        return o;
    }
    o.extend(["t-max", "t-min", "seed"]);
    o.extend(match error {
        "none" => &[][..],
        "fourier" => &["eps-sc", "error-seed", "features", "bandwidth"],
        _ => &["eps-sc", "error-seed"],
    });
    if sampler.split('+').any(|p| p.ends_with("-par")) {
        o.extend(["nodes", "picard", "cells"]);
    }
    if sampler.contains('+') {
        o.push("schedule");
        o.extend(if schedule == "paper" {
            &["eps", "lipschitz"][..]
        } else {
            &["steps", "grid", "chunk", "gamma", "corr-step", "corr-time"]
        });
    } else {
        o.extend(["steps", "grid"]);
    }
    if sampler == "paradigms" {
        o.extend(["window", "tol"]);
    }
    o.extend(if cmd == "tv" {
        &["n", "inner", "blocks", "grid-points", "estimator", "bins"][..]
    } else {
        &["n", "threads"]
    });
    o
}

/// A random command: a word; for `sample` and `tv` a target, a sampler, a score error and each
/// option that combination reads with probability ½ (in its domain nine times in ten), the cheap sizes
/// `--dim`, `--n`, `--steps` (and `--inner`, `--blocks`, `--grid-points` for `tv`) always, and
/// for `sample` `--out` in the scratch directory (or a directory, an empty path, a missing
/// folder); sometimes an option the command does not read, a flag, a stray positional or a
/// repeated option. `--schedule paper` comes with the iso-Gaussian target only: on the others
/// the paper's schedule legitimately takes seconds to minutes.
fn random_command(dir: PathBuf) -> impl Strategy<Value = (Vec<String>, String)> {
    let words = select(vec![
        "sample",
        "sample",
        "sample",
        "sample",
        "sample",
        "tv",
        "tv",
        "targets",
        "samplers",
        "help",
        "frobnicate",
        "",
    ]);
    let values: Vec<BoxedStrategy<String>> = OPTIONS.iter().map(|&o| value(o)).collect();
    let noise = prop_oneof![
        40 => Just(vec![]),
        2 => option().prop_map(|(k, v)| vec![format!("--{k}"), v]),
        1 => select(vec!["--exact-start", "--json", "--quick"]).prop_map(|f| vec![f.to_string()]),
        1 => Just(vec!["stray".to_string()]),
        1 => Just(vec!["--seed".into(), "1".into(), "--seed".into(), "2".into()]),
    ];
    let flags = (any::<bool>(), any::<bool>());
    (
        words,
        values,
        any::<u64>(),
        noise,
        flags,
        select(vec![0, 0, 0, 0, 0, 0, 1, 2, 3]),
    )
        .prop_map(move |(word, values, mask, noise, (exact, json), out_kind)| {
            let out = out_path(&dir);
            let mut argv = vec![word.to_string()];
            let get = |o: &str| values[OPTIONS.iter().position(|x| *x == o).unwrap()].clone();
            if word == "sample" || word == "tv" {
                let (target, sampler) = (get("target"), get("sampler"));
                let schedule = if mask & 1 == 1 {
                    get("schedule")
                } else {
                    "user".to_string()
                };
                let target = if schedule == "paper" {
                    "iso-gaussian".to_string()
                } else {
                    target
                };
                let error = if (mask >> 63) & 1 == 1 {
                    get("score-error")
                } else {
                    "none".to_string()
                };
                argv.extend(["--target".into(), target.clone(), "--sampler".into(), sampler.clone()]);
                if error != "none" {
                    argv.extend(["--score-error".into(), error.clone()]);
                }
                let always = ["dim", "n", "steps", "inner", "blocks", "grid-points"];
                for (i, o) in relevant(word, &target, &sampler, &schedule, &error)
                    .into_iter()
                    .enumerate()
                {
                    let include = always.contains(&o) || (mask >> (i + 1)) & 1 == 1;
                    if include && !argv.contains(&format!("--{o}")) {
                        let v = if o == "schedule" { schedule.clone() } else { get(o) };
                        argv.extend([format!("--{o}"), v]);
                    }
                }
                if exact
                    && !["ula", "mala", "ulmc", "rm-ulmc", "gcc-lc", "ulmc-par", "rm-ulmc-par"]
                        .contains(&sampler.as_str())
                {
                    argv.push("--exact-start".into());
                }
                if json && word == "tv" {
                    argv.push("--json".into());
                }
            }
            if word == "sample" {
                let path = match out_kind {
                    1 => dir.to_string_lossy().into_owned(),
                    2 => String::new(),
                    3 => dir.join("missing").join("x.csv").to_string_lossy().into_owned(),
                    _ => out.clone(),
                };
                argv.extend(["--out".into(), path]);
            }
            argv.extend(noise);
            (argv, out)
        })
}

#[test]
fn cli_random_commands_exit_0_1_or_2_and_never_panic() {
    let test = "random";
    check(256, random_command(scratch(test)), |(argv, out)| {
        let code = cli(&argv, Some(&out))?;
        if argv[0] == "frobnicate" || argv[0].is_empty() || argv.iter().any(|a| a == "stray") {
            prop_assert_eq!(code, 2, "{:?}", argv);
        }
        if argv.iter().any(|a| a == "--bogus" || a == "--dimm") && argv[0] != "help" {
            prop_assert_eq!(code, 2, "{:?}", argv);
        }
        Ok(())
    });
    remove_scratch(test);
}

/// A valid, cheap command: `sample` (diffusion or log-concave) or `tv`; returns argv, the
/// output path, and `(n, dim)` of the CSV when it is a `sample`.
fn valid_command(dir: PathBuf) -> impl Strategy<Value = (Vec<String>, String, Option<(usize, usize)>)> {
    let diffusion_target = prop_oneof![
        (-2.0..2.0f64, 0.25..4.0f64).prop_map(|(m, v)| vec![
            "--target".into(),
            "iso-gaussian".into(),
            "--mean".into(),
            m.to_string(),
            "--var".into(),
            v.to_string()
        ]),
        (0.0..3.0f64, 0.3..1.0f64).prop_map(|(s, sd)| vec![
            "--target".into(),
            "bimodal".into(),
            "--sep".into(),
            s.to_string(),
            "--sd".into(),
            sd.to_string()
        ]),
        (1usize..=3, 0.0..4.0f64, 0.25..1.0f64, any::<u16>()).prop_map(|(k, s, v, seed)| {
            vec![
                "--target".into(),
                "gmm".into(),
                "--components".into(),
                k.to_string(),
                "--sep".into(),
                s.to_string(),
                "--comp-var".into(),
                v.to_string(),
                "--target-seed".into(),
                seed.to_string(),
            ]
        }),
        Just(vec!["--target".into(), "logcosh".into()]),
        (1.0..100.0f64).prop_map(|k| vec![
            "--target".into(),
            "ill-gaussian".into(),
            "--kappa".into(),
            k.to_string()
        ]),
    ];
    let user_pc = (0.3..2.0f64, 1.0..3.0f64, 0.02..0.1f64, 0.1..0.5f64).prop_map(|(chunk, g, h, t)| {
        vec![
            "--chunk".into(),
            chunk.to_string(),
            "--gamma".into(),
            g.to_string(),
            "--corr-step".into(),
            h.to_string(),
            "--corr-time".into(),
            t.to_string(),
        ]
    });
    let diffusion_sampler = prop_oneof![
        select(vec!["ei", "rm", "sde"]).prop_map(|s| vec!["--sampler".to_string(), s.into()]),
        (1usize..=4, 0usize..=3).prop_map(|(r, k)| vec![
            "--sampler".into(),
            "rm-par".into(),
            "--nodes".into(),
            r.to_string(),
            "--picard".into(),
            k.to_string()
        ]),
        (1usize..=4, 0.0..1.0f64).prop_map(|(w, tol)| vec![
            "--sampler".into(),
            "paradigms".into(),
            "--window".into(),
            w.to_string(),
            "--tol".into(),
            tol.to_string()
        ]),
        (
            select(vec!["ei+ulmc", "rm+ulmc", "ei+rm-ulmc", "rm+rm-ulmc"]),
            user_pc.clone()
        )
            .prop_map(|(s, mut o)| {
                o.extend(["--sampler".into(), s.into()]);
                o
            }),
        (1usize..=3, 0usize..=2, 1usize..=3, user_pc).prop_map(|(r, k, m, mut o)| {
            o.extend([
                "--sampler".into(),
                "rm-par+ulmc-par".into(),
                "--nodes".into(),
                r.to_string(),
                "--picard".into(),
                k.to_string(),
                "--cells".into(),
                m.to_string(),
            ]);
            o
        }),
    ];
    let common = (
        1usize..=8,
        1usize..=5,
        1usize..=8,
        any::<u16>(),
        1.0..5.0f64,
        1e-3..0.1f64,
        select(vec!["uniform", "geometric"]),
        any::<bool>(),
    );
    let score_error = prop_oneof![
        2 => Just(vec![]),
        1 => (select(vec!["bias", "linear"]), 0.0..0.5f64).prop_map(|(k, e)| vec!["--score-error".into(), k.into(), "--eps-sc".into(), e.to_string()]),
        1 => (1usize..=3, 0.0..0.5f64).prop_map(|(f, e)| vec!["--score-error".into(), "fourier".into(), "--eps-sc".into(), e.to_string(), "--features".into(), f.to_string()]),
    ];
    let (dir1, dir2, dir3) = (dir.clone(), dir.clone(), dir);
    let diffusion = (diffusion_target, diffusion_sampler, common, score_error).prop_map(
        move |(t, s, (dim, n, steps, seed, t_max, t_min, grid, exact), e)| {
            let out = out_path(&dir1);
            let mut argv = vec!["sample".to_string()];
            argv.extend(t);
            argv.extend(s);
            argv.extend(e);
            argv.extend([
                "--dim".into(),
                dim.to_string(),
                "--n".into(),
                n.to_string(),
                "--steps".into(),
                steps.to_string(),
                "--seed".into(),
                seed.to_string(),
                "--t-max".into(),
                t_max.to_string(),
                "--t-min".into(),
                t_min.to_string(),
                "--grid".into(),
                grid.into(),
                "--out".into(),
                out.clone(),
            ]);
            if exact {
                argv.push("--exact-start".into());
            }
            (argv, out, Some((n, dim)))
        },
    );
    let paper = (
        0.5..4.0f64,
        0.1..0.5f64,
        select(vec!["ei+ulmc", "rm+ulmc", "rm+rm-ulmc"]),
        1usize..=8,
        1usize..=3,
    )
        .prop_map(move |(var, eps, s, dim, n)| {
            let out = out_path(&dir2);
            let argv: Vec<String> = [
                "sample",
                "--target",
                "iso-gaussian",
                "--var",
                &var.to_string(),
                "--sampler",
                s,
                "--schedule",
                "paper",
                "--eps",
                &eps.to_string(),
                "--dim",
                &dim.to_string(),
                "--n",
                &n.to_string(),
                "--out",
                &out,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            (argv, out, Some((n, dim)))
        });
    let lc_target = prop_oneof![
        (-2.0..2.0f64, 0.5..4.0f64).prop_map(|(m, v)| vec![
            "--target".into(),
            "iso-gaussian".into(),
            "--mean".into(),
            m.to_string(),
            "--var".into(),
            v.to_string()
        ]),
        (1.0..100.0f64).prop_map(|k| vec![
            "--target".into(),
            "ill-gaussian".into(),
            "--kappa".into(),
            k.to_string()
        ]),
        Just(vec!["--target".into(), "logcosh".into()]),
        (0.5..2.0f64).prop_map(|p| vec![
            "--target".into(),
            "logistic".into(),
            "--prior-var".into(),
            p.to_string()
        ]),
    ];
    let lc_sampler = prop_oneof![
        select(vec!["ula", "mala", "ulmc", "rm-ulmc", "gcc-lc"]).prop_map(|s| vec!["--sampler".to_string(), s.into()]),
        (1usize..=3, 0usize..=3).prop_map(|(m, k)| vec![
            "--sampler".into(),
            "ulmc-par".into(),
            "--cells".into(),
            m.to_string(),
            "--picard".into(),
            k.to_string()
        ]),
        (1usize..=3, 0usize..=3).prop_map(|(r, k)| vec![
            "--sampler".into(),
            "rm-ulmc-par".into(),
            "--nodes".into(),
            r.to_string(),
            "--picard".into(),
            k.to_string()
        ]),
    ];
    let lc = (
        lc_target,
        lc_sampler,
        1usize..=8,
        1usize..=5,
        1usize..=8,
        any::<u16>(),
        any::<bool>(),
    )
        .prop_map(move |(t, s, dim, n, steps, seed, start_var)| {
            let out = out_path(&dir3);
            let logistic = t[1] == "logistic";
            let mut argv = vec!["sample".to_string()];
            argv.extend(t);
            argv.extend(s);
            if !logistic {
                argv.extend(["--dim".into(), dim.to_string()]);
            }
            argv.extend([
                "--n".into(),
                n.to_string(),
                "--steps".into(),
                steps.to_string(),
                "--seed".into(),
                seed.to_string(),
                "--out".into(),
                out.clone(),
            ]);
            if start_var {
                argv.extend(["--start-var".into(), "0.5".into()]);
            }
            (argv, out, Some((n, if logistic { 31 } else { dim })))
        });
    // tv: diagonal Gaussian targets take the semi-analytic estimator with any staged sampler
    let tv_target = prop_oneof![
        (0.25..4.0f64).prop_map(|v| vec!["--target".into(), "iso-gaussian".into(), "--var".into(), v.to_string()]),
        (1.0..100.0f64).prop_map(|k| vec![
            "--target".into(),
            "ill-gaussian".into(),
            "--kappa".into(),
            k.to_string()
        ]),
    ];
    let tv_sampler = prop_oneof![
        select(vec!["ei", "rm", "sde"]).prop_map(|s| vec!["--sampler".to_string(), s.into()]),
        (1usize..=3, 0usize..=2).prop_map(|(r, k)| vec![
            "--sampler".into(),
            "rm-par".into(),
            "--nodes".into(),
            r.to_string(),
            "--picard".into(),
            k.to_string()
        ]),
        select(vec!["ei+ulmc", "rm+rm-ulmc"]).prop_map(|s| vec![
            "--sampler".into(),
            s.into(),
            "--corr-step".into(),
            "0.1".into(),
            "--corr-time".into(),
            "0.3".into()
        ]),
    ];
    let tv = (
        tv_target,
        tv_sampler,
        1usize..=8,
        2usize..=5,
        1usize..=8,
        select(vec![2usize, 4]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(t, s, dim, n, steps, inner, exact, json)| {
            let mut argv = vec!["tv".to_string()];
            argv.extend(t);
            argv.extend(s);
            argv.extend([
                "--dim".into(),
                dim.to_string(),
                "--n".into(),
                n.to_string(),
                "--blocks".into(),
                "2".into(),
                "--inner".into(),
                inner.to_string(),
                "--steps".into(),
                steps.to_string(),
                "--t-min".into(),
                "0.01".into(),
            ]);
            if exact {
                argv.push("--exact-start".into());
            }
            if json {
                argv.push("--json".into());
            }
            (argv, String::new(), None)
        });
    prop_oneof![4 => diffusion, 1 => paper, 3 => lc, 2 => tv]
}

#[test]
fn cli_valid_cheap_commands_exit_0_and_write_what_they_say() {
    let test = "valid";
    check(128, valid_command(scratch(test)), |(argv, out, shape)| {
        let code = guard(&argv, || randmid::cli::main(&argv))?;
        let written = shape.map(|_| std::fs::read_to_string(&out));
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_file(format!("{out}.json"));
        prop_assert_eq!(code, 0, "{:?}", argv);
        if let (Some((n, dim)), Some(csv)) = (shape, written) {
            let csv = csv.map_err(|e| TestCaseError::fail(format!("{argv:?}: no CSV: {e}")))?;
            let rows: Vec<&str> = csv.lines().collect();
            prop_assert_eq!(rows.len(), n);
            prop_assert!(rows.iter().all(|r| r.split(',').count() == dim));
        }
        Ok(())
    });
    remove_scratch(test);
}

/// One defect planted in a valid command; each must be a usage error (exit code 2).
#[derive(Debug, Clone, Copy)]
enum Bug {
    UnknownOption,
    NonNumeric(&'static str, &'static str),
    ZeroDim,
    NanStepSize,
    NanTMax,
    ZeroSteps,
    UnknownTarget,
    UnknownSampler,
    RepeatedSeed,
    Stray,
    MissingOut,
}

/// Sets `--key value`, replacing an existing value.
fn set(argv: &mut Vec<String>, key: &str, value: &str) {
    let flag = format!("--{key}");
    match argv.iter().position(|a| *a == flag) {
        Some(i) => argv[i + 1] = value.to_string(),
        None => argv.extend([flag, value.to_string()]),
    }
}

#[test]
fn cli_certainly_invalid_commands_exit_2() {
    let bug = prop_oneof![
        Just(Bug::UnknownOption),
        (
            select(vec!["dim", "n", "seed", "steps"]),
            select(vec!["abc", "", "1.5", "-1", "1e3", "nan"])
        )
            .prop_map(|(k, v)| Bug::NonNumeric(k, v)),
        Just(Bug::ZeroDim),
        Just(Bug::NanStepSize),
        Just(Bug::NanTMax),
        Just(Bug::ZeroSteps),
        Just(Bug::UnknownTarget),
        Just(Bug::UnknownSampler),
        Just(Bug::RepeatedSeed),
        Just(Bug::Stray),
        Just(Bug::MissingOut),
    ];
    let test = "invalid";
    check(192, (valid_command(scratch(test)), bug), |((mut argv, out, _), bug)| {
        let lc = argv
            .iter()
            .any(|a| ["ula", "mala", "ulmc", "rm-ulmc", "gcc-lc", "ulmc-par", "rm-ulmc-par"].contains(&a.as_str()));
        let pc = argv.iter().any(|a| a.contains('+'));
        match bug {
            Bug::UnknownOption => argv.extend(["--bogus".into(), "1".into()]),
            Bug::NonNumeric(k, v) => set(&mut argv, k, v),
            Bug::ZeroDim => set(&mut argv, "dim", "0"),
            // LC samplers read --step-size, PC samplers --corr-step; elsewhere the option is unused
            Bug::NanStepSize => set(&mut argv, if pc && !lc { "corr-step" } else { "step-size" }, "nan"),
            Bug::NanTMax => set(&mut argv, "t-max", "nan"),
            Bug::ZeroSteps => set(&mut argv, "steps", "0"),
            Bug::UnknownTarget => set(&mut argv, "target", "no-such-target"),
            Bug::UnknownSampler => set(&mut argv, "sampler", "no-such-sampler"),
            Bug::RepeatedSeed => argv.extend(["--seed".into(), "1".into(), "--seed".into(), "2".into()]),
            Bug::Stray => argv.insert(1, "stray".into()),
            Bug::MissingOut if argv[0] == "sample" => {
                let i = argv.iter().position(|a| a == "--out").unwrap();
                argv.drain(i..i + 2);
            }
            Bug::MissingOut => argv.push("--json-out".into()),
        }
        let code = cli(&argv, (!out.is_empty()).then_some(out.as_str()))?;
        prop_assert_eq!(code, 2, "{:?} ({:?})", argv, bug);
        Ok(())
    });
    remove_scratch(test);
}

/// `scale` with arguments that must be refused before any sweep starts.
#[test]
fn cli_scale_rejects_bad_arguments_before_sweeping() {
    let test = "scale";
    let dir = scratch(test).join("scale-never-created");
    let d = dir.to_string_lossy().into_owned();
    let cases: Vec<Vec<&str>> = vec![
        vec!["scale", "--claim", "c9", "--out", &d],
        vec!["scale", "--claim", "", "--out", &d],
        vec!["scale", "--out", &d],
        vec!["scale", "--claim", "c1"],
        vec!["scale", "--claim", "c2", "--quick"],
        vec!["scale", "--claim", "c2", "--outer", "0", "--out", &d],
        vec!["scale", "--claim", "c2", "--outer", "-3", "--out", &d],
        vec!["scale", "--claim", "c2", "--outer", "abc", "--out", &d],
        vec!["scale", "--claim", "c2", "--horizon", "sideways", "--out", &d],
        vec!["scale", "--claim", "c1", "--family", "trimodal", "--out", &d],
        vec!["scale", "--claim", "c3", "--family", "cubic", "--out", &d],
        vec!["scale", "--claim", "c3", "--kappa", "abc", "--out", &d],
        vec!["scale", "--claim", "c1", "--bogus", "1", "--out", &d],
        vec!["scale", "--claim", "c1", "--out"],
        vec!["scale", "stray", "--claim", "c1", "--out", &d],
        vec!["scale", "--claim", "c1", "--claim", "c2", "--out", &d],
    ];
    for case in cases {
        let argv: Vec<String> = case.iter().map(|s| s.to_string()).collect();
        let clock = Instant::now();
        let code = catch_unwind(|| randmid::cli::main(&argv)).unwrap_or_else(|_| panic!("{argv:?} panicked"));
        assert_eq!(code, 2, "{argv:?}");
        assert!(
            clock.elapsed() < Duration::from_secs(5),
            "{argv:?} took {:?}",
            clock.elapsed()
        );
        assert!(!dir.exists(), "{argv:?} created {d}");
    }
    remove_scratch(test);
}

/// Inputs that panicked, aborted the process or never returned before this file existed; each
/// must now be a usage error (exit code 2) returned at once.
#[test]
fn cli_regressions_that_used_to_panic_abort_or_hang() {
    let test = "regressions";
    let out = out_path(&scratch(test));
    let iso = [("target", "iso-gaussian")];
    let logcosh = [("target", "logcosh")];
    let huge = "18446744073709551615";
    let big = "1099511627776";
    let cases: Vec<Vec<(&str, &str)>> = vec![
        // capacity overflow (panic) or allocation failure (abort) in the parallel samplers
        [&iso[..], &[("sampler", "rm-par"), ("nodes", huge)]].concat(),
        [&iso[..], &[("sampler", "rm-par"), ("nodes", big)]].concat(),
        [&iso[..], &[("sampler", "rm-par+ulmc-par"), ("cells", big)]].concat(),
        [&logcosh[..], &[("sampler", "ulmc-par"), ("cells", huge)]].concat(),
        [&logcosh[..], &[("sampler", "rm-ulmc-par"), ("nodes", big)]].concat(),
        // capacity overflow (panic) or allocation failure (abort) building targets, grids, errors
        vec![("target", "gmm"), ("components", huge), ("sampler", "rm")],
        vec![("target", "gmm"), ("components", big), ("sampler", "rm")],
        vec![("target", "iso-gaussian"), ("dim", huge), ("sampler", "rm")],
        vec![("target", "bimodal"), ("dim", big), ("sampler", "rm")],
        vec![("target", "logcosh"), ("dim", big), ("sampler", "ula")],
        [
            &iso[..],
            &[("sampler", "rm"), ("score-error", "fourier"), ("features", huge)],
        ]
        .concat(),
        [&iso[..], &[("sampler", "rm"), ("steps", huge)]].concat(),
        [&logcosh[..], &[("sampler", "ula"), ("n", huge)]].concat(),
        // never returned: Picard rounds or corrector steps beyond any budget, a geometric grid
        // whose step is below the f64 resolution of t
        [&iso[..], &[("sampler", "rm-par"), ("picard", huge)]].concat(),
        [&logcosh[..], &[("sampler", "rm-ulmc-par"), ("picard", huge)]].concat(),
        [&iso[..], &[("sampler", "rm+ulmc"), ("corr-step", "1e-300")]].concat(),
        [&logcosh[..], &[("sampler", "gcc-lc"), ("corr-step", "1e-300")]].concat(),
        [
            &iso[..],
            &[("sampler", "rm+ulmc"), ("schedule", "paper"), ("eps", "1e-300")],
        ]
        .concat(),
        [
            &iso[..],
            &[
                ("sampler", "rm"),
                ("grid", "geometric"),
                ("steps", "1000000000000000000"),
            ],
        ]
        .concat(),
        // silently accepted: --dim for the fixed-dimension logistic posterior, --steps 0 with the
        // geometric grid
        vec![("target", "logistic"), ("dim", "0"), ("sampler", "ula")],
        [&iso[..], &[("sampler", "rm"), ("grid", "geometric"), ("steps", "0")]].concat(),
    ];
    for case in cases {
        let mut argv: Vec<String> = ["sample", "--dim", "2", "--n", "2", "--steps", "2", "--out", &out]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for (k, v) in case {
            set(&mut argv, k, v);
        }
        let clock = Instant::now();
        let code = catch_unwind(|| randmid::cli::main(&argv)).unwrap_or_else(|_| panic!("{argv:?} panicked"));
        assert_eq!(code, 2, "{argv:?}");
        assert!(
            clock.elapsed() < Duration::from_secs(5),
            "{argv:?} took {:?}",
            clock.elapsed()
        );
    }
    // a ParaDiGMS window longer than the grid acted on the whole grid but allocated `window × d`
    // (capacity overflow or abort); it now runs, with the same output as window = steps
    let mut outputs = vec![];
    for window in ["18446744073709551615", "1099511627776", "2"] {
        let argv: Vec<String> = [
            "sample",
            "--target",
            "iso-gaussian",
            "--dim",
            "2",
            "--n",
            "3",
            "--steps",
            "2",
            "--sampler",
            "paradigms",
            "--window",
            window,
            "--out",
            &out,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let code = catch_unwind(|| randmid::cli::main(&argv)).unwrap_or_else(|_| panic!("{argv:?} panicked"));
        assert_eq!(code, 0, "{argv:?}");
        outputs.push(std::fs::read_to_string(&out).unwrap());
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(format!("{out}.json"));
    remove_scratch(test);
}

// ---------------------------------------------------------------------------------------------
// Panics left in files this change may not touch (src/driver.rs, src/parallel/, src/sampler/):
// each test states the property that should hold (both were ignored until the owners fixed them).

/// `true` if `f` panics.
fn panics(f: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

#[test]
fn cli_sample_with_a_huge_n_is_a_usage_error() {
    let test = "huge-n";
    let out = out_path(&scratch(test));
    for argv in [
        vec![
            "sample",
            "--target",
            "iso-gaussian",
            "--dim",
            "2",
            "--sampler",
            "rm",
            "--steps",
            "2",
            "--n",
            "18446744073709551615",
            "--out",
            &out,
        ],
        vec![
            "tv",
            "--target",
            "gmm",
            "--dim",
            "2",
            "--sampler",
            "rm",
            "--steps",
            "2",
            "--n",
            "18446744073709551615",
            "--inner",
            "2",
            "--blocks",
            "2",
        ],
    ] {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let mut code = 0;
        assert!(!panics(|| code = randmid::cli::main(&argv)), "{argv:?} panicked");
        assert_eq!(code, 2, "{argv:?}");
    }
    remove_scratch(test);
}

#[test]
fn parallel_samplers_with_absurd_widths_fail_with_a_typed_error() {
    use randmid::driver::{Start, sample};
    use randmid::sampler::{OdeKind, PredictorCorrector, Sampler};
    let target = Gaussian::isotropic(2, 0.0, 1.0).unwrap();
    let grid = || TimeGrid::uniform(2.0, 0.1, 2).unwrap();
    let boxed = |s: randmid::Result<Box<dyn Sampler>>| s;
    let kind = CorrectorKind::UlmcPar {
        cells: usize::MAX,
        picard: 1,
    };
    let cases = [
        (
            "paradigms",
            boxed(Paradigms::new(grid(), usize::MAX, 0.1).map(|s| Box::new(s) as _)),
        ),
        (
            "rm-par",
            boxed(Ode::rm_par(grid(), usize::MAX, 1).map(|s| Box::new(s) as _)),
        ),
        (
            "rm+ulmc-par",
            boxed(
                Corrector::new(kind, 2.0, 0.1, 0.2)
                    .and_then(|c| PcSchedule::user(grid(), 1.0, c))
                    .map(|schedule| {
                        Box::new(PredictorCorrector {
                            predictor: OdeKind::Rm,
                            schedule,
                        }) as _
                    }),
            ),
        ),
    ];
    let mut failures = vec![];
    for (name, s) in cases {
        let Ok(s) = s else { continue };
        let mut r = Ok(());
        if panics(|| r = sample(&target, &target, s.as_ref(), Start::Gaussian, 2, 0).map(|_| ())) {
            failures.push(format!("{name}: panicked"));
        } else if r.is_ok() {
            failures.push(format!("{name}: accepted"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}

/// Widths that pass validation (≤ 2^30) but whose buffers at the run's dimension would exceed
/// `MAX_LEN` doubles are refused by the drivers before anything is allocated (an out-of-memory
/// abort before): `2^29` cells at d = 8 need `2^30 × 8` noise values per step.
#[test]
fn valid_widths_too_large_for_the_dimension_are_refused_before_allocating() {
    use randmid::driver::{Start, sample};
    use randmid::langevin::{LcStart, sample_potential};
    use randmid::sampler::{OdeKind, PredictorCorrector};
    let d = 8;
    let width = 1usize << 29;
    let target = Gaussian::isotropic(d, 0.0, 1.0).unwrap();
    let grid = || TimeGrid::uniform(2.0, 0.1, 2).unwrap();
    let is_size_error = |e: &Error| matches!(e, Error::InvalidParameter { name, .. } if name.contains("× dim"));
    let kinetic = Kinetic::ulmc_par(2.0, 0.1, 2, width, 1).unwrap();
    let f = DiagGaussian::isotropic(d, 1.0).unwrap();
    let r = sample_potential(&f, &kinetic, &LcStart::Point(vec![0.0; d]), 1, 0);
    assert!(r.as_ref().is_err_and(is_size_error), "ulmc-par: {:?}", r.err());
    let rm_par = Ode::rm_par(grid(), width, 1).unwrap();
    let r = sample(&target, &target, &rm_par, Start::Gaussian, 1, 0);
    assert!(r.as_ref().is_err_and(is_size_error), "rm-par: {:?}", r.err());
    let kind = CorrectorKind::RmUlmcPar {
        nodes: width,
        picard: 1,
    };
    let pc = PredictorCorrector {
        predictor: OdeKind::Ei,
        schedule: PcSchedule::user(grid(), 1.0, Corrector::new(kind, 2.0, 0.1, 0.2).unwrap()).unwrap(),
    };
    let r = sample(&target, &target, &pc, Start::Gaussian, 1, 0);
    assert!(r.as_ref().is_err_and(is_size_error), "ei+rm-ulmc-par: {:?}", r.err());
    // a ParaDiGMS window longer than the chain is the chain: accepted, and it runs
    let paradigms = Paradigms::new(grid(), width, 0.1).unwrap();
    assert!(sample(&target, &target, &paradigms, Start::Gaussian, 1, 0).is_ok());
}
