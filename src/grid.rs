//! Time grids for the reverse process, in forward time `t`, strictly decreasing.
//!
//! A grid `t_0 > t_1 > … > t_N > 0` is walked from `t_0 = T` (start, near noise) to
//! `t_N = δ` (early-stopping time). Step `n` has length `h_n = t_n − t_{n+1}`.
//! Times are `f64` throughout; step indices are `usize` and never enter time arithmetic
//! through integer division (style.md §7.7).

use crate::error::{Error, MAX_LEN, Result, check_count, check_positive};

/// A validated, strictly decreasing, positive, finite sequence of forward times.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeGrid {
    times: Vec<f64>,
}

impl TimeGrid {
    /// Wraps a user grid after validation.
    ///
    /// # Errors
    /// [`Error::InvalidGrid`] if there are fewer than two times, or any time is non-finite or
    /// not positive, or the sequence is not strictly decreasing.
    pub fn new(times: Vec<f64>) -> Result<Self> {
        if times.len() < 2 {
            return Err(Error::InvalidGrid {
                reason: format!("needs at least 2 times, got {}", times.len()),
            });
        }
        for (i, &t) in times.iter().enumerate() {
            if !t.is_finite() || t <= 0.0 {
                return Err(Error::InvalidGrid {
                    reason: format!("time[{i}] = {t} is not positive and finite"),
                });
            }
        }
        for (i, w) in times.windows(2).enumerate() {
            if w[1] >= w[0] {
                return Err(Error::InvalidGrid {
                    reason: format!("not strictly decreasing at index {}: {} then {}", i + 1, w[0], w[1]),
                });
            }
        }
        Ok(TimeGrid { times })
    }

    /// `steps` equal steps from `t_max` down to `t_min`:
    /// ```text
    /// t_n = t_max − n (t_max − t_min)/steps,   n = 0..=steps  (last time set to t_min exactly)
    /// ```
    ///
    /// # Errors
    /// Invalid if `steps == 0`, `t_min <= 0`, `t_max <= t_min`, or the steps are too short to
    /// be told apart in `f64` ([`Error::InvalidGrid`]); [`Error::InvalidParameter`] if
    /// `steps > MAX_LEN` ([`crate::error::MAX_LEN`], `2^30`).
    pub fn uniform(t_max: f64, t_min: f64, steps: usize) -> Result<Self> {
        check_span(t_max, t_min)?;
        if steps == 0 {
            return Err(Error::InvalidGrid {
                reason: "steps must be at least 1".into(),
            });
        }
        check_count("steps", Some(steps))?;
        let h = (t_max - t_min) / steps as f64;
        let mut times: Vec<f64> = (0..steps).map(|n| t_max - n as f64 * h).collect();
        times.push(t_min);
        TimeGrid::new(times)
    }

    /// Uniform steps of length `h` while `t ≥ 2h`, then a geometric tail toward `t_min`
    /// in which each step halves the time (CCL+23a's early-stopping schedule; paper.md §1.2 and
    /// the "h/2, h/4, …, δ" final stretch of Algorithm 3):
    /// ```text
    /// h_n = min(h, t_n / 2),   the last step clipped so that the grid ends at t_min exactly
    /// ```
    /// The uniform part is anchored at `t_max`. When the gap left to `t_min` after a step would
    /// be at most a quarter of that step, the step is lengthened to end at `t_min` (so the last
    /// step is at most 1.25 times its nominal length and no step is tiny by accident).
    ///
    /// # Errors
    /// Invalid if `h <= 0`, `t_min <= 0`, or `t_max <= t_min`; [`Error::InvalidGrid`] if the
    /// grid would have more than `MAX_LEN` ([`crate::error::MAX_LEN`], `2^30`) steps
    /// (`(t_max − t_min)/h` too large) or a step shorter than the `f64` resolution at `t`.
    pub fn geometric_tail(t_max: f64, t_min: f64, h: f64) -> Result<Self> {
        check_span(t_max, t_min)?;
        check_positive("h", h)?;
        // the uniform part alone has about (t_max − t_min)/h steps
        let uniform_steps = (t_max - t_min) / h;
        if uniform_steps.is_nan() || uniform_steps > MAX_LEN as f64 {
            return Err(Error::InvalidGrid {
                reason: format!(
                    "h = {h:e} gives about {uniform_steps:e} steps from {t_max:e} to {t_min:e}, more than 2^30 (error::MAX_LEN)"
                ),
            });
        }
        let mut times = vec![t_max];
        let mut t = t_max;
        while t > t_min {
            let step = h.min(0.5 * t);
            let next = t - step;
            if next >= t {
                return Err(Error::InvalidGrid {
                    reason: format!("step h = {h:e} is below the f64 resolution at t = {t:e}"),
                });
            }
            if times.len() > MAX_LEN {
                return Err(Error::InvalidGrid {
                    reason: format!(
                        "h = {h:e} gives more than 2^30 (error::MAX_LEN) steps from {t_max:e} to {t_min:e}"
                    ),
                });
            }
            if next - t_min <= 0.25 * step {
                times.push(t_min);
                break;
            }
            times.push(next);
            t = next;
        }
        TimeGrid::new(times)
    }

    /// The times `t_0 > … > t_N`.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// Number of steps `N`.
    pub fn steps(&self) -> usize {
        self.times.len() - 1
    }

    /// Start time `t_0` (largest).
    pub fn t_max(&self) -> f64 {
        self.times[0]
    }

    /// End time `t_N` (smallest, the early-stopping time δ).
    pub fn t_min(&self) -> f64 {
        self.times[self.times.len() - 1]
    }

    /// Iterator over `(t_n, h_n)` for each step.
    pub fn iter_steps(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.times.windows(2).map(|w| (w[0], w[0] - w[1]))
    }
}

fn check_span(t_max: f64, t_min: f64) -> Result<()> {
    check_positive("t_min", t_min)?;
    check_positive("t_max", t_max)?;
    if t_max <= t_min {
        return Err(Error::InvalidGrid {
            reason: format!("t_max = {t_max} must exceed t_min = {t_min}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_grid_matches_closed_form() {
        let g = TimeGrid::uniform(2.0, 0.5, 3).unwrap();
        assert_eq!(g.times(), &[2.0, 1.5, 1.0, 0.5]);
        for (_, h) in g.iter_steps() {
            assert!((h - 0.5).abs() < 1e-15);
        }
    }

    #[test]
    fn geometric_tail_halves_and_ends_at_tmin() {
        let g = TimeGrid::geometric_tail(3.0, 1e-3, 0.25).unwrap();
        assert_eq!(g.t_min(), 1e-3);
        assert_eq!(g.t_max(), 3.0);
        let steps: Vec<(f64, f64)> = g.iter_steps().collect();
        // uniform part: every step is h while t >= 2h
        for &(t, h) in &steps {
            if t >= 0.5 {
                assert!((h - 0.25).abs() < 1e-12, "t={t} h={h}");
            }
        }
        // tail: each step is at most half the current time
        for &(t, h) in &steps {
            assert!(h <= 0.5 * t + 1e-15);
        }
        // number of tail steps ~ log2(0.5 / 1e-3) ≈ 9
        let tail = steps.iter().filter(|&&(t, _)| t < 0.5).count();
        assert!((8..=10).contains(&tail), "tail steps {tail}");
    }

    #[test]
    fn bad_grids_are_rejected() {
        assert!(TimeGrid::new(vec![1.0]).is_err());
        assert!(TimeGrid::new(vec![1.0, 1.0]).is_err());
        assert!(TimeGrid::new(vec![1.0, 2.0]).is_err());
        assert!(TimeGrid::new(vec![1.0, 0.0]).is_err());
        assert!(TimeGrid::new(vec![f64::NAN, 0.5]).is_err());
        assert!(TimeGrid::uniform(1.0, 2.0, 4).is_err());
        assert!(TimeGrid::uniform(1.0, 0.1, 0).is_err());
        assert!(TimeGrid::geometric_tail(1.0, 0.1, -1.0).is_err());
    }
}
