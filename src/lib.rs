//! # randmid
//!
//! Randomized-midpoint diffusion and Langevin samplers on targets whose scores are known
//! exactly, built to check the rate claims of Gupta, Cai & Chen, "Faster Diffusion Sampling with
//! Randomized Midpoints: Sequential and Parallel" (ICLR 2025, arXiv 2406.00924).
//!
//! * [`process`]: the forward OU process `dX = −X dt + √2 dB` and score/noise/data conversions.
//! * [`grid`]: validated time grids (uniform, geometric tail toward δ, user grids).
//! * [`target`]: exact-score targets ([`target::Gaussian`], [`target::GaussianMixture`],
//!   [`target::Product`], [`target::Rotated`]) and injectable score error
//!   ([`target::Perturbed`], Assumptions 2.3–2.4).
//! * [`sampler`]: pure step functions (EI, randomized midpoint, reverse SDE, ULMC, Shen–Lee
//!   RM-ULMC) and drivers (predictor–corrector Algorithm 3), behind the [`sampler::Sampler`]
//!   trait that user algorithms implement too.
//! * [`driver`]: runs many samples in parallel with one random stream per sample index, so a
//!   result depends only on `(seed, index)`.
//! * [`potential`] and [`langevin`]: log-concave targets `π ∝ e^{−f}` and their samplers (ULA,
//!   MALA, ULMC, Shen–Lee RM-ULMC, GCC24's log-concave algorithm), claim C3.
//! * [`tv`], [`scaling`], [`sweep`]: the instrument — TV estimators with oracles, N*(d, ε) and
//!   exponent fits, and the claim sweeps behind `randmid scale`.
//! * [`kernels`]: the element-wise hot loops, compiled for the baseline CPU and for AVX2 and
//!   chosen at run time, with bitwise identical results on both paths.
//!
//! **Reading the formulas.** Every formula in these docs is written in Unicode mathematics inside
//! a `text` block (`∇ln q_t(x) = −Σ_t^{−1}(x − e^{−t}μ)`), next to the paper's equation or
//! algorithm number. It reads the same in the browser, in an editor's hover and in the terminal,
//! needs no JavaScript or network (KaTeX would need both), and is checked by `cargo doc` with
//! warnings denied in CI.
//!
//! ```
//! use randmid::{driver::{sample, Start}, sampler::Ode, target::Gaussian, grid::TimeGrid};
//! // data N(1, 0.5 I) in d = 4; randomized-midpoint PF-ODE from the exact q_T to q_δ.
//! let target = Gaussian::isotropic(4, 1.0, 0.5).unwrap();
//! let grid = TimeGrid::uniform(5.0, 1e-3, 50).unwrap();
//! let sampler = Ode::rm(grid);
//! let out = sample(&target, &target, &sampler, Start::Exact, 2000, 7).unwrap();
//! let mean0: f64 = out.samples.chunks(4).map(|x| x[0]).sum::<f64>() / 2000.0;
//! // the exact q_δ mean is e^{−δ}·1 ≈ 0.999; standard error √(0.5/2000) ≈ 0.016.
//! assert!((mean0 - (-1e-3f64).exp()).abs() < 5.0 * (0.5f64 / 2000.0).sqrt());
//! assert_eq!(out.nfe_per_sample, 100);
//! ```

#![warn(missing_docs)]

pub mod check;
pub mod cli;
pub mod driver;
pub mod error;
pub mod grid;
pub mod kernels;
pub mod langevin;
pub mod metrics;
pub mod parallel;
pub mod plot;
pub mod potential;
pub mod process;
pub mod quad;
pub mod rng;
pub mod sampler;
pub mod scaling;
pub mod special;
pub mod sweep;
pub mod target;
pub mod tv;

pub use error::{Error, Result};
