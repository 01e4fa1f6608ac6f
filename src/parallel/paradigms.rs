//! ParaDiGMS (Shih, Belkhale, Ermon, Sadigh & Anari, NeurIPS 2023; paper.md §6.4): Picard
//! iteration of a whole sequential sampler in a sliding window with a tolerance, here over the
//! exponential-integrator PF-ODE predictor on a time grid `t_0 > … > t_N`.
//!
//! The fixed point is the sequential chain `x_{n+1} = e^{h_n} x_n + (e^{h_n} − 1) s_{t_n}(x_n)`
//! ([`ei_map`]). With a window `[b, e)`, `e = min(b + P, N)`, each round
//! ```text
//! g_n = s_{t_n}(x_n)  for n ∈ [b, e)                     (one round, width e − b)
//! x_{n+1}^new = e^{h_n} x_n^new + (e^{h_n} − 1) g_n       (scan from the exact x_b)
//! err_{n+1} = ‖x_{n+1}^new − x_{n+1}^old‖² / (d σ²_{t_{n+1}}),    σ²_t = 1 − e^{−2t}
//! ```
//! then slides the window past the leading points with `err ≤ tol²` (at least one: `x_{b+1}` is
//! exact after every round), and starts the new window points at the last computed value.
//! The error normalization by the forward noise variance plays the role of ParaDiGMS's
//! scheduler-variance normalization. With `tol = 0` or `P = 1` the output is the sequential
//! EI chain bit for bit, in at most `N` rounds.
//!
//! The rounds depend on the data (the stopping test is per sample), so this sampler has no
//! stage list and no semi-analytic law; it is measured by its counters ([`super::RoundOracle`]).

use super::Rounds;
use crate::error::{Error, Result};
use crate::grid::TimeGrid;
use crate::rng::SampleRng;
use crate::sampler::Sampler;
use crate::sampler::predictor::ei_map;
use crate::target::Score;

/// The ParaDiGMS sampler over the EI predictor.
#[derive(Debug, Clone)]
pub struct Paradigms {
    /// Time grid from `T` to `δ`.
    pub grid: TimeGrid,
    /// Window size `P ≥ 1` (ParaDiGMS's `parallel`).
    pub window: usize,
    /// Tolerance `tol ≥ 0` (ParaDiGMS's `tolerance`, default 0.1; compared as `tol²`).
    pub tol: f64,
}

impl Paradigms {
    /// Validated constructor.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for `window == 0` or above [`crate::error::MAX_LEN`], or a
    /// negative or NaN `tol`.
    pub fn new(grid: TimeGrid, window: usize, tol: f64) -> Result<Self> {
        crate::error::check_count("window", Some(window))?;
        if window == 0 {
            return Err(Error::InvalidParameter {
                name: "window",
                value: 0.0,
                expected: "at least 1",
            });
        }
        if tol.is_nan() || tol < 0.0 {
            return Err(Error::InvalidParameter {
                name: "tol",
                value: tol,
                expected: "≥ 0 (+∞ accepts every window at once)",
            });
        }
        Ok(Paradigms { grid, window, tol })
    }

    /// Runs one trajectory in place on `x` and returns its counts (rounds = passes, width ≤ P,
    /// work = score evaluations).
    pub fn solve<S: Score + ?Sized>(&self, score: &S, x: &mut [f64]) -> Rounds {
        let d = x.len();
        let times = self.grid.times();
        let n = times.len() - 1;
        // traj[k] = current guess of x_k, k = 0..=N
        let mut traj = vec![0.0; (n + 1) * d];
        for row in traj.chunks_exact_mut(d) {
            row.copy_from_slice(x);
        }
        // a window longer than the chain is the whole chain
        let window = self.window.min(n).max(1);
        let (mut g, mut new, mut ts) = (vec![0.0; window * d], vec![0.0; d], vec![0.0; window]);
        let mut count = Rounds::default();
        let mut begin = 0;
        while begin < n {
            let end = (begin + window).min(n);
            let m = end - begin;
            ts[..m].copy_from_slice(&times[begin..end]);
            score.round(&ts[..m], &traj[begin * d..end * d], &mut g[..m * d]);
            count = count.then(Rounds {
                rounds: 1,
                width: m as u64,
                work: m as u64,
            });
            let mut converged = 0;
            let mut leading = true;
            for k in 0..m {
                let (i, h) = (begin + k, times[begin + k] - times[begin + k + 1]);
                let (head, tail) = traj.split_at_mut((i + 1) * d);
                ei_map(h, &head[i * d..], &g[k * d..(k + 1) * d], &mut new);
                let next = &mut tail[..d];
                let sq: f64 = new.iter().zip(next.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
                let err = sq / (d as f64 * crate::process::sigma2(times[i + 1]));
                next.copy_from_slice(&new);
                if leading && (k == 0 || err <= self.tol * self.tol) {
                    converged += 1;
                } else {
                    leading = false;
                }
            }
            let last = end * d;
            let new_end = (begin + converged + window).min(n);
            for k in end + 1..=new_end {
                traj.copy_within(last..last + d, k * d);
            }
            begin += converged;
        }
        x.copy_from_slice(&traj[n * d..]);
        count
    }
}

impl Sampler for Paradigms {
    fn name(&self) -> String {
        "paradigms".to_string()
    }
    fn t_start(&self) -> f64 {
        self.grid.t_max()
    }
    fn t_end(&self) -> f64 {
        self.grid.t_min()
    }
    /// No randomness; returns the work (score evaluations).
    fn run(&self, score: &dyn Score, x: &mut [f64], _rng: &mut SampleRng) -> u64 {
        self.solve(score, x).work
    }
    /// The trajectory holds `(N + 1) × d` values (the window, `min(P, N) × d`, is smaller).
    fn check_dim(&self, dim: usize) -> crate::Result<()> {
        crate::sampler::check_rows(
            "paradigms trajectory rows × dim",
            self.grid.steps().saturating_add(1),
            dim,
        )
    }
}
