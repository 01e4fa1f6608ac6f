//! Reproducibility: a sample depends only on (seed, index), never on the rayon thread count or
//! on how many samples are drawn; distinct indices get independent streams.

mod common;

use randmid::driver::{Start, draw_start, sample};
use randmid::rng::{fill_normal, stream_rng};
use randmid::target::Gaussian;

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

/// 1, 2, 3 and 8 threads (more threads than cores is allowed: rayon still splits the work
/// differently) give the same bits.
#[test]
fn samples_are_bitwise_identical_for_any_thread_count() {
    let target = Gaussian::diagonal(vec![1.0, -0.5, 0.0], vec![4.0, 0.25, 1.0]).unwrap();
    for s in common::sampler_families() {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| sample(&target, &target, s.as_ref(), Start::Gaussian, 257, 99).unwrap())
        };
        let one = run(1);
        for k in [2, 3, 8] {
            let other = run(k);
            assert_eq!(
                bits(&one.samples),
                bits(&other.samples),
                "{} with {k} threads",
                s.name()
            );
            assert_eq!(one.nfe, other.nfe);
        }
    }
}

#[test]
fn a_sample_depends_only_on_seed_and_index() {
    let target = Gaussian::isotropic(2, 0.5, 2.0).unwrap();
    for s in common::sampler_families() {
        let small = sample(&target, &target, s.as_ref(), Start::Exact, 10, 5).unwrap();
        let large = sample(&target, &target, s.as_ref(), Start::Exact, 40, 5).unwrap();
        assert_eq!(bits(&small.samples), bits(&large.samples[..20]), "{}", s.name());
        let other_seed = sample(&target, &target, s.as_ref(), Start::Exact, 10, 6).unwrap();
        assert_ne!(bits(&small.samples), bits(&other_seed.samples));
    }
}

/// Work order does not matter: replaying each sample alone from its own stream, in reverse index
/// order and on one thread, gives the batch's bits (the batch runs in rayon's order).
#[test]
fn samples_do_not_depend_on_the_order_work_is_scheduled() {
    let target = Gaussian::diagonal(vec![1.0, -0.5, 0.0, 2.0], vec![4.0, 0.25, 1.0, 0.5]).unwrap();
    let (n, seed, d) = (33, 17, 4);
    for s in common::sampler_families() {
        let batch = sample(&target, &target, s.as_ref(), Start::Exact, n, seed).unwrap();
        for i in (0..n).rev() {
            let mut rng = stream_rng(seed, i as u64);
            let mut x = vec![0.0; d];
            draw_start(&target, Start::Exact, s.t_start(), &mut rng, &mut x);
            let nfe = s.run(&target, &mut x, &mut rng);
            assert_eq!(
                bits(&x),
                bits(&batch.samples[i * d..(i + 1) * d]),
                "{} sample {i}",
                s.name()
            );
            assert_eq!(nfe, batch.nfe[i]);
        }
    }
}

#[test]
fn streams_of_different_indices_are_uncorrelated() {
    // Pearson correlation of paired N(0,1) draws from streams i and i+1 (and of a stream with
    // itself shifted by one draw); under independence r ~ N(0, 1/n), so |r| < 4/√n.
    let n = 100_000;
    let draws = |index: u64| {
        let mut rng = stream_rng(42, index);
        let mut z = vec![0.0; n];
        fill_normal(&mut rng, &mut z);
        z
    };
    let corr = |a: &[f64], b: &[f64]| {
        let k = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / k, b.iter().sum::<f64>() / k);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    };
    let bound = 4.0 / (n as f64).sqrt();
    let (z0, z1, z7) = (draws(0), draws(1), draws(7));
    assert!(corr(&z0, &z1).abs() < bound);
    assert!(corr(&z1, &z7).abs() < bound);
    assert!(corr(&z0[1..], &z0[..n - 1]).abs() < bound);
    // first draws across 5,000 streams (the draws a start point uses)
    let firsts: Vec<f64> = (0..5_000u64).map(draws_one).collect();
    let m = firsts.len();
    assert!(corr(&firsts[1..], &firsts[..m - 1]).abs() < 4.0 / (m as f64).sqrt());
}

fn draws_one(index: u64) -> f64 {
    let mut rng = stream_rng(42, index);
    let mut z = [0.0];
    fill_normal(&mut rng, &mut z);
    z[0]
}
