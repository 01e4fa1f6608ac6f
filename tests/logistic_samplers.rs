//! ULMC, RM-ULMC and MALA on the logistic-regression posterior `Logistic::breast_cancer(1.0)`
//! (d = 31) agree with the independent NumPyro NUTS reference
//! (`paper-notes/reference/logistic_breast_cancer_nuts.json`) and with one another, in the mean
//! and the sd of every coordinate, within 4 combined standard errors. A cheaper version of
//! `examples/logistic_compare.rs` (whose output, with 2,000 chains per sampler and the step
//! checks, is `paper-notes/data/c3/logistic_compare.json`).
//!
//! Each sampler runs 400 independent chains (one stream per chain), each started from its own
//! draw of the Laplace approximation `N(MAP, H(MAP)⁻¹)`:
//!
//! * ULMC, γ = 2, h = 0.007 (≈ 0.3/√L), duration 8 (1,143 gradients per chain);
//! * RM-ULMC, γ = 2, h = 0.014, duration 8 (1,142 gradients);
//! * MALA, h = 1/λ_max(H(MAP)) = 0.0117, duration 10 (856 gradients; acceptance ≈ 0.76).
//!
//! γ = 2 is critical damping for the slowest mode (curvature m = 1), which then forgets the
//! start as `(1 + T)e^{−T}` = 3e-3 at T = 8; MALA's overdamped slowest mode as `e^{−T}`, slowed
//! by the acceptance rate. The Laplace start is off by ≤ 0.34 posterior sd, so ≤ 1e-3 sd is left,
//! against an SE of 0.05 sd. The steps are those of the example, where halving them (and, for
//! ULMC, quadrupling; for RM-ULMC, doubling) moved no mean or sd beyond its SE.
//!
//! SEs, from the independent chains only: mean `sd/√n`, sd `sd·√((k − 1)/(4n))` with `k` the
//! sample kurtosis; NUTS: its `mcse_mean`, and for its sd the same formula with 25,000 draws (a
//! quarter of its draws; its mean ESS is ≥ 142,000). `z = diff/√(SE_a² + SE_b²)`, and every
//! `|z| < 4`. With 6 × 62 such z-scores the chance that one exceeds 4 by chance is about 2 %
//! (for independent z; less for correlated ones). The test has power: the chains' own start
//! (MAP) is 6.7 SE away from the NUTS mean in its worst coordinate.
//!
//! About 1.26 million gradient evaluations, 27 s of CPU time: about 14 s on 2 idle cores (35 s
//! measured while the machine's load average was 7.7).

mod common;

use common::{f64_array, nuts_reference};
use nalgebra::Cholesky;
use randmid::langevin::{Kinetic, LcStart, LogConcaveSampler, Mala, sample_potential};
use randmid::potential::{Logistic, Potential};

const CHAINS: usize = 400;
const GAMMA: f64 = 2.0;
const T_KINETIC: f64 = 8.0;
const H_ULMC: f64 = 0.007;
const H_RM: f64 = 0.014;
const T_MALA: f64 = 10.0;
/// Effective draws behind the NUTS sd (for its SE).
const NUTS_SD_DRAWS: f64 = 25_000.0;
/// Tolerance in combined standard errors.
const Z_MAX: f64 = 4.0;

/// Per coordinate: mean, its SE, sd, its SE, kurtosis.
struct Moments {
    mean: Vec<f64>,
    se_mean: Vec<f64>,
    sd: Vec<f64>,
    se_sd: Vec<f64>,
    kurt: Vec<f64>,
}

fn moments(samples: &[f64], d: usize) -> Moments {
    let n = (samples.len() / d) as f64;
    let mut out = Moments {
        mean: vec![],
        se_mean: vec![],
        sd: vec![],
        se_sd: vec![],
        kurt: vec![],
    };
    for k in 0..d {
        let xs: Vec<f64> = samples.chunks_exact(d).map(|x| x[k]).collect();
        let m = xs.iter().sum::<f64>() / n;
        let m2 = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
        let m4 = xs.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
        let sd = (m2 * n / (n - 1.0)).sqrt();
        let kurt = m4 / (m2 * m2);
        out.mean.push(m);
        out.se_mean.push(sd / n.sqrt());
        out.sd.push(sd);
        out.se_sd.push(sd * ((kurt - 1.0) / (4.0 * n)).sqrt());
        out.kurt.push(kurt);
    }
    out
}

/// Asserts `|a − b| < Z_MAX·√(SE_a² + SE_b²)` coordinate-wise; returns the largest |z|.
fn check(what: &str, a: &[f64], se_a: &[f64], b: &[f64], se_b: &[f64]) -> f64 {
    let mut worst: f64 = 0.0;
    for k in 0..a.len() {
        let z = (a[k] - b[k]) / se_a[k].hypot(se_b[k]);
        assert!(
            z.abs() < Z_MAX,
            "{what}, coordinate {k}: {} vs {} (z = {z:.2}, SEs {}, {})",
            a[k],
            b[k],
            se_a[k],
            se_b[k]
        );
        worst = worst.max(z.abs());
    }
    worst
}

#[test]
fn ulmc_rm_ulmc_and_mala_agree_with_nuts_and_each_other() -> randmid::Result<()> {
    let f = Logistic::breast_cancer(1.0)?;
    let d = f.dim();
    let reference = nuts_reference();
    let (nuts_mean, nuts_sd, nuts_mcse) = (
        f64_array(&reference, "mean"),
        f64_array(&reference, "sd"),
        f64_array(&reference, "mcse_mean"),
    );
    assert_eq!((nuts_mean.len(), nuts_sd.len(), nuts_mcse.len()), (d, d, d));

    // Laplace approximation N(MAP, C Cᵀ), C the lower Cholesky factor of H(MAP)⁻¹
    let map = f.mode()?;
    let hess = f.hessian(&map);
    let lam_max = hess.symmetric_eigenvalues().max();
    let cov = Cholesky::new(hess).expect("H(MAP) is positive definite").inverse();
    let c = Cholesky::new(cov).expect("H(MAP)⁻¹ is positive definite").l();
    let start = LcStart::Correlated {
        center: map.clone(),
        factor: c.transpose().as_slice().to_vec(),
    };

    // power: the unmoved start is rejected at this SE
    let start_z = (0..d)
        .map(|k| ((map[k] - nuts_mean[k]) / (nuts_sd[k] / (CHAINS as f64).sqrt())).abs())
        .fold(0.0, f64::max);
    assert!(start_z > Z_MAX, "{start_z}");

    let steps = |t: f64, h: f64| (t / h).round() as usize;
    let h_mala = 1.0 / lam_max;
    assert!((h_mala - 0.0117).abs() < 1e-4, "{h_mala}");
    let samplers: [(&str, Box<dyn LogConcaveSampler>); 3] = [
        (
            "ulmc",
            Box::new(Kinetic::ulmc(GAMMA, H_ULMC, steps(T_KINETIC, H_ULMC))?),
        ),
        (
            "rm-ulmc",
            Box::new(Kinetic::rm_ulmc(GAMMA, H_RM, steps(T_KINETIC, H_RM))?),
        ),
        ("mala", Box::new(Mala::new(h_mala, steps(T_MALA, h_mala))?)),
    ];
    let mut results = Vec::new();
    for (seed, (label, sampler)) in samplers.iter().enumerate() {
        let t0 = std::time::Instant::now();
        let out = sample_potential(&f, sampler.as_ref(), &start, CHAINS, 100 + seed as u64)?;
        let m = moments(&out.samples, d);
        let se_sd_nuts: Vec<f64> = nuts_sd
            .iter()
            .zip(&m.kurt)
            .map(|(s, k)| s * ((k - 1.0) / (4.0 * NUTS_SD_DRAWS)).sqrt())
            .collect();
        let zm = check(
            &format!("{label} mean vs NUTS"),
            &m.mean,
            &m.se_mean,
            &nuts_mean,
            &nuts_mcse,
        );
        let zs = check(&format!("{label} sd vs NUTS"), &m.sd, &m.se_sd, &nuts_sd, &se_sd_nuts);
        println!(
            "{label:>8}: {:.0} grads/chain, acceptance {:?}, max |z| vs NUTS: mean {zm:.2}, sd {zs:.2} ({:.1} s)",
            out.stats.grads as f64 / CHAINS as f64,
            out.acceptance(),
            t0.elapsed().as_secs_f64()
        );
        if *label == "mala" {
            let acc = out.acceptance().expect("MALA proposes");
            assert!(acc > 0.6 && acc < 0.9, "{acc}");
        }
        results.push((*label, m));
    }
    for i in 0..results.len() {
        for j in i + 1..results.len() {
            let ((la, a), (lb, b)) = (&results[i], &results[j]);
            let zm = check(&format!("{la} vs {lb} mean"), &a.mean, &a.se_mean, &b.mean, &b.se_mean);
            let zs = check(&format!("{la} vs {lb} sd"), &a.sd, &a.se_sd, &b.sd, &b.se_sd);
            println!("{la:>8} vs {lb:<8}: max |z| mean {zm:.2}, sd {zs:.2}");
        }
    }
    Ok(())
}
