//! The crate's single error type.
//!
//! Only constructors, validators and the CLI return [`Error`]; step functions and score
//! evaluations are infallible on validated input (style.md D-8).

use std::fmt;

/// Everything that can go wrong in randmid, each variant saying what is wrong.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A scalar parameter is out of its domain, e.g. a negative standard deviation.
    InvalidParameter {
        /// Parameter name as the user sees it.
        name: &'static str,
        /// The offending value.
        value: f64,
        /// What the value must satisfy, e.g. "positive and finite".
        expected: &'static str,
    },
    /// Two lengths that must agree do not.
    DimensionMismatch {
        /// What was being checked, e.g. "mean vector".
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Length received.
        got: usize,
    },
    /// A matrix that must be symmetric positive definite is not.
    NotPositiveDefinite {
        /// Which matrix.
        what: &'static str,
    },
    /// A time grid is not strictly decreasing, positive and finite.
    InvalidGrid {
        /// Why the grid was rejected.
        reason: String,
    },
    /// A configuration is inconsistent (e.g. unknown sampler name, missing option).
    InvalidConfig {
        /// Human-readable description.
        reason: String,
    },
    /// A TV estimator cannot measure this sampler/target pair (e.g. the grid push-forward
    /// estimator on a stochastic corrector, or on a map that folds the line).
    EstimatorNotApplicable {
        /// The estimator.
        estimator: &'static str,
        /// Why it does not apply.
        reason: String,
    },
    /// A sampler's 1-D map folds the line (not strictly increasing), so the grid push-forward
    /// estimator has no density formula at this resolution; a finer step may fix it.
    FoldedMap {
        /// Where and why.
        reason: String,
    },
    /// A sampler produced a non-finite value.
    NonFinite {
        /// Sample index.
        sample: usize,
        /// Human-readable location (sampler stage and time).
        at: String,
    },
    /// Reading or writing a file failed.
    Io {
        /// The path involved.
        path: String,
        /// The operating system's message.
        message: String,
    },
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidParameter { name, value, expected } => {
                write!(f, "invalid parameter `{name}` = {value}: must be {expected}")
            }
            Error::DimensionMismatch { what, expected, got } => {
                write!(f, "dimension mismatch for {what}: expected {expected}, got {got}")
            }
            Error::NotPositiveDefinite { what } => {
                write!(f, "{what} is not symmetric positive definite")
            }
            Error::InvalidGrid { reason } => write!(f, "invalid time grid: {reason}"),
            Error::InvalidConfig { reason } => write!(f, "invalid configuration: {reason}"),
            Error::FoldedMap { reason } => write!(f, "the grid push-forward estimator does not apply: {reason}"),
            Error::EstimatorNotApplicable { estimator, reason } => {
                write!(f, "the {estimator} estimator does not apply: {reason}")
            }
            Error::NonFinite { sample, at } => {
                write!(f, "non-finite value in sample {sample} at {at}")
            }
            Error::Io { path, message } => write!(f, "I/O error on {path}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

/// Checks `value > 0` and finite.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::InvalidParameter {
            name,
            value,
            expected: "positive and finite",
        })
    }
}

/// Checks `value >= 0` and finite.
pub(crate) fn check_nonnegative(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::InvalidParameter {
            name,
            value,
            expected: "non-negative and finite",
        })
    }
}

/// Checks that `value` is finite.
pub(crate) fn check_finite(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::InvalidParameter {
            name,
            value,
            expected: "finite",
        })
    }
}

/// Checks that a slice has the expected length.
pub(crate) fn check_len(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::DimensionMismatch { what, expected, got })
    }
}

/// Largest number of entries in a buffer, or of steps in a schedule, that a validating
/// constructor accepts from a user-given count: `2^30` (8 GiB of `f64`). Counts beyond it (a
/// dimension, time steps, mixture components × dimension, Fourier features, parallel widths) are
/// rejected with [`Error::InvalidParameter`] instead of ending in a capacity-overflow panic, an
/// allocation abort or a run that never finishes.
pub const MAX_LEN: usize = 1 << 30;

/// Checks that a count (`None`: its computation overflowed) is at most [`MAX_LEN`]; returns it.
pub(crate) fn check_count(name: &'static str, count: Option<usize>) -> Result<usize> {
    match count {
        Some(n) if n <= MAX_LEN => Ok(n),
        _ => Err(Error::InvalidParameter {
            name,
            value: count.map_or(f64::INFINITY, |n| n as f64),
            expected: "at most 2^30 (error::MAX_LEN)",
        }),
    }
}

/// Checks that a dimension is at least one.
pub(crate) fn check_dim(dim: usize) -> Result<usize> {
    if dim >= 1 {
        Ok(dim)
    } else {
        Err(Error::InvalidParameter {
            name: "dim",
            value: 0.0,
            expected: "at least 1",
        })
    }
}
