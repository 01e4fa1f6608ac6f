//! Gauss–Legendre quadrature on `[0, 1]`, for exact (Monte-Carlo-free) averages over the
//! random midpoint `α ~ U[0, 1]` and for 1-D integrals in tests and instruments.

/// Nodes and weights of the `n`-point Gauss–Legendre rule on `[0, 1]` (weights sum to 1):
/// ```text
/// ∫_0^1 f(α) dα ≈ Σ_i w_i f(α_i),  exact for polynomials of degree ≤ 2n − 1
/// ```
/// Nodes are the roots of the Legendre polynomial `P_n` (Newton from Chebyshev guesses, to
/// machine precision), mapped from `[−1, 1]`.
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = Vec::with_capacity(n);
    let mut weights = Vec::with_capacity(n);
    for i in 0..n {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 1.0;
        for _ in 0..100 {
            let (p, d) = legendre(n, x);
            dp = d;
            let dx = p / d;
            x -= dx;
            if dx.abs() < 1e-16 {
                break;
            }
        }
        let (_, d) = legendre(n, x);
        dp = if d != 0.0 { d } else { dp };
        nodes.push(0.5 * (1.0 - x));
        weights.push(1.0 / ((1.0 - x * x) * dp * dp));
    }
    (nodes, weights)
}

/// `(P_n(x), P_n'(x))` by the three-term recurrence.
fn legendre(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 2..=n {
        let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
        p0 = p1;
        p1 = p2;
    }
    (p1, n as f64 * (x * p1 - p0) / (x * x - 1.0))
}

/// `∫_0^1 f(α) dα` by the `n`-point Gauss–Legendre rule.
pub fn integrate01(n: usize, f: impl Fn(f64) -> f64) -> f64 {
    let (x, w) = gauss_legendre(n);
    x.iter().zip(&w).map(|(&a, &wi)| wi * f(a)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_for_polynomials_and_smooth_functions() {
        for n in [1, 2, 5, 16, 40, 64] {
            let (x, w) = gauss_legendre(n);
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-14);
            assert!(x.iter().all(|&a| a > 0.0 && a < 1.0));
            let deg = 2 * n - 1;
            let got = integrate01(n, |a| a.powi(deg as i32));
            assert!((got - 1.0 / (deg as f64 + 1.0)).abs() < 1e-14, "n={n}");
        }
        let got = integrate01(40, |a| (3.0 * a).exp());
        assert!((got - ((3.0f64).exp() - 1.0) / 3.0).abs() < 1e-13);
    }
}
