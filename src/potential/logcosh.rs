//! The product logcosh potential `f(x) = Σ_i (x_i²/2 + ln cosh x_i)`: `∇²f = diag(1 + sech² x_i)`,
//! so `m = 1`, `L = 2`, κ = 2, and each coordinate of `π` is the law [`Law1d::LogCosh`] (exact
//! sampling and density there).

use super::Potential;
use crate::error::{Error, Result};
use crate::target::Law1d;

/// `f(x) = Σ_i x_i²/2 + ln cosh x_i` on `ℝ^d`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogCoshProduct {
    dim: usize,
}

impl LogCoshProduct {
    /// The potential in dimension `d`.
    ///
    /// # Errors
    /// `d == 0` or `d > MAX_LEN` ([`crate::error::MAX_LEN`]: the minimiser and every chain are
    /// vectors of length `d`).
    pub fn new(dim: usize) -> Result<Self> {
        crate::error::check_count("dim", Some(dim))?;
        if dim == 0 {
            return Err(Error::InvalidParameter {
                name: "dim",
                value: 0.0,
                expected: "at least 1",
            });
        }
        Ok(LogCoshProduct { dim })
    }

    /// The 1-D law of every coordinate of `π`.
    pub fn coordinate_law(&self) -> Law1d {
        Law1d::LogCosh
    }
}

/// `ln cosh x` without overflow: `|x| + ln(1 + e^{−2|x|}) − ln 2`.
fn ln_cosh(x: f64) -> f64 {
    let a = x.abs();
    a + (-2.0 * a).exp().ln_1p() - std::f64::consts::LN_2
}

impl Potential for LogCoshProduct {
    fn dim(&self) -> usize {
        self.dim
    }

    fn value(&self, x: &[f64]) -> f64 {
        x.iter().map(|&xi| 0.5 * xi * xi + ln_cosh(xi)).sum()
    }

    fn grad(&self, x: &[f64], out: &mut [f64]) {
        for (o, &xi) in out.iter_mut().zip(x) {
            *o = xi + crate::special::tanh(xi);
        }
    }

    fn strong_convexity(&self) -> f64 {
        1.0
    }

    fn smoothness(&self) -> f64 {
        2.0
    }

    fn minimizer(&self) -> Option<Vec<f64>> {
        Some(vec![0.0; self.dim])
    }

    fn describe(&self) -> String {
        format!("logcosh(d={})", self.dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_central_differences() {
        let p = LogCoshProduct::new(3).unwrap();
        let x = [0.3, -1.7, 25.0];
        let mut g = [0.0; 3];
        p.grad(&x, &mut g);
        for i in 0..3 {
            let h = 1e-5;
            let (mut a, mut b) = (x, x);
            a[i] += h;
            b[i] -= h;
            let fd = (p.value(&a) - p.value(&b)) / (2.0 * h);
            assert!((fd - g[i]).abs() < 1e-7 * (1.0 + g[i].abs()), "{i}: {fd} vs {}", g[i]);
        }
        assert!(p.value(&[800.0]).is_finite());
    }
}
