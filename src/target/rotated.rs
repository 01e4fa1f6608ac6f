//! Rotated targets: the law of `Q X` for an orthogonal `Q`, turning a product or diagonal target
//! into one with non-product geometry whose answers are still known exactly.
//!
//! ```text
//! Y = Q X,  X ~ q   ⇒   Y_t = Q X_t   (the OU process commutes with Q)
//! ln q^Q_t(y) = ln q_t(Qᵀ y)            (|det Q| = 1)
//! ∇ln q^Q_t(y) = Q ∇ln q_t(Qᵀ y)
//! φ_{QX}(ω) = φ_X(Qᵀ ω),   E[QX] = Q E[X]
//! ```
//! All samplers considered are rotation-equivariant, so a rotated target gives the same error
//! curves as its inner target: it is an implementation test (tv-methodology.md, "Full Σ with
//! commuting error"). Each evaluation costs `O(d²)` on top of the inner one.

use nalgebra::{DMatrix, DVector};

use super::{Score, Target};
use crate::error::{Error, Result, check_len};
use crate::rng::{SampleRng, fill_normal, stream_rng};

/// Tolerance on `max_{ij} |(QᵀQ − I)_{ij}|` accepted by [`Rotated::new`].
pub const ORTHOGONALITY_TOL: f64 = 1e-10;

/// The law of `Q X` with `X ~ inner` and `Q` orthogonal.
#[derive(Debug, Clone)]
pub struct Rotated<T: Target> {
    inner: T,
    q: DMatrix<f64>,
}

impl<T: Target> Rotated<T> {
    /// Rotates `inner` by the given orthogonal matrix `q`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `q` is not `d × d` with `d = inner.dim()`;
    /// [`Error::InvalidParameter`] (`name = "q"`, `value` = the deviation) if
    /// `max_{ij} |(QᵀQ − I)_{ij}| > 1e-10` or an entry is not finite.
    pub fn new(inner: T, q: DMatrix<f64>) -> Result<Self> {
        let d = inner.dim();
        check_len("rotation rows", d, q.nrows())?;
        check_len("rotation columns", d, q.ncols())?;
        let dev = orthogonality_defect(&q);
        if dev.is_nan() || dev > ORTHOGONALITY_TOL {
            return Err(Error::InvalidParameter {
                name: "q",
                value: dev,
                expected: "orthogonal: max |QᵀQ − I| ≤ 1e-10",
            });
        }
        Ok(Rotated { inner, q })
    }

    /// Rotates `inner` by a Haar-distributed orthogonal matrix, deterministic in `seed`.
    ///
    /// ```text
    /// G_{ij} ~ N(0, 1) i.i.d. (stream_rng(seed, 0), column-major),   G = Q R (Householder QR)
    /// Q_haar = Q · diag(sign R_ii)      (sign fix that makes the law exactly Haar; sign 0 := +1)
    /// ```
    /// Costs `O(d³)` time and `O(d²)` memory; meant for `d` up to a few thousand.
    pub fn random(inner: T, seed: u64) -> Self {
        let d = inner.dim();
        let mut rng = stream_rng(seed, 0);
        let mut g = DMatrix::<f64>::zeros(d, d);
        fill_normal(&mut rng, g.as_mut_slice());
        let qr = g.qr();
        let r = qr.r();
        let mut q = qr.q();
        for (j, mut col) in q.column_iter_mut().enumerate() {
            if r[(j, j)] < 0.0 {
                col.neg_mut();
            }
        }
        Rotated { inner, q }
    }

    /// The inner (unrotated) target.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The rotation `Q`.
    pub fn rotation(&self) -> &DMatrix<f64> {
        &self.q
    }

    /// `Qᵀ y`.
    fn unrotate(&self, y: &[f64]) -> DVector<f64> {
        self.q.tr_mul(&DVector::from_column_slice(y))
    }

    /// `out = Q z`.
    fn rotate_into(&self, z: &[f64], out: &mut [f64]) {
        let qz = &self.q * DVector::from_column_slice(z);
        out.copy_from_slice(qz.as_slice());
    }
}

/// `max_{ij} |(QᵀQ − I)_{ij}|` (NaN if `Q` has a non-finite entry).
fn orthogonality_defect(q: &DMatrix<f64>) -> f64 {
    if q.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let g = q.tr_mul(q) - DMatrix::<f64>::identity(q.ncols(), q.ncols());
    g.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

impl<T: Target> Score for Rotated<T> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }

    /// `Q s_inner(t, Qᵀ y)`.
    fn score(&self, t: f64, y: &[f64], out: &mut [f64]) {
        let x = self.unrotate(y);
        let mut s = vec![0.0; y.len()];
        self.inner.score(t, x.as_slice(), &mut s);
        self.rotate_into(&s, out);
    }

    /// Batch form with matrix products: the row-major `n × d` batch is the column-major
    /// `d × n` matrix `Y`, so `X = QᵀY`, `S = s_inner(X)` (inner batch), `out = Q S`.
    fn score_batch(&self, t: f64, ys: &[f64], out: &mut [f64]) {
        let d = self.dim();
        let n = ys.len() / d;
        let x = self.q.tr_mul(&DMatrix::from_column_slice(d, n, ys));
        let mut s = vec![0.0; ys.len()];
        self.inner.score_batch(t, x.as_slice(), &mut s);
        let qs = &self.q * DMatrix::from_vec(d, n, s);
        out.copy_from_slice(qs.as_slice());
    }

    /// The inner bound: `‖∇(Q s(Qᵀ·))‖ = ‖Q ∇s Qᵀ‖ = ‖∇s‖`.
    fn lipschitz(&self) -> Option<f64> {
        self.inner.lipschitz()
    }
}

impl<T: Target> Target for Rotated<T> {
    fn describe(&self) -> String {
        format!("rotated({})", self.inner.describe())
    }

    /// `Q x` with `x` drawn from the inner target.
    fn sample_data(&self, rng: &mut SampleRng, out: &mut [f64]) {
        let mut x = vec![0.0; out.len()];
        self.inner.sample_data(rng, &mut x);
        self.rotate_into(&x, out);
    }

    /// `ln q_t(Qᵀ y)` (inner's log-density; `|det Q| = 1`).
    fn log_density(&self, t: f64, y: &[f64]) -> Option<f64> {
        self.inner.log_density(t, self.unrotate(y).as_slice())
    }

    /// `E‖QX‖² = E‖X‖²`.
    fn second_moment(&self) -> f64 {
        self.inner.second_moment()
    }

    /// `Q E[X]`.
    fn data_mean(&self) -> Option<Vec<f64>> {
        let m = self.inner.data_mean()?;
        let mut out = vec![0.0; m.len()];
        self.rotate_into(&m, &mut out);
        Some(out)
    }

    /// `None`: `Var(QX)_ii = Σ_jk Q_ij Q_ik Cov(X)_jk` needs the inner cross-covariances, which
    /// the [`Target`] trait does not expose.
    fn data_var(&self) -> Option<Vec<f64>> {
        None
    }

    /// `φ_inner(Qᵀ ω)`.
    fn data_char_fn(&self, omega: &[f64]) -> Option<(f64, f64)> {
        self.inner.data_char_fn(self.unrotate(omega).as_slice())
    }
}
