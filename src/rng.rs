//! Random streams: one ChaCha8 stream per sample index.
//!
//! A result depends only on `(seed, index)`, never on the number of rayon threads or on the
//! order in which work is scheduled (style.md D-7, §5.4).

use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

/// The generator every sampler draws from: ChaCha8, portable and reproducible across rand
/// releases, with 2^64 independent streams per seed.
pub type SampleRng = rand_chacha::ChaCha8Rng;

/// The stream for sample `index` of a run with seed `seed`.
///
/// ```text
/// rng = ChaCha8(seed_from_u64(seed)); rng.set_stream(index)
/// ```
pub fn stream_rng(seed: u64, index: u64) -> SampleRng {
    let mut rng = SampleRng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

/// Fills `out` with independent N(0, 1) draws (Ziggurat, rand_distr's `StandardNormal`).
pub fn fill_normal(rng: &mut SampleRng, out: &mut [f64]) {
    for o in out.iter_mut() {
        *o = rng.sample(StandardNormal);
    }
}

/// One U[0, 1) draw (53-bit resolution).
pub fn uniform01(rng: &mut SampleRng) -> f64 {
    rng.random::<f64>()
}

/// One N(0, 1) draw.
pub fn normal(rng: &mut SampleRng) -> f64 {
    rng.sample(StandardNormal)
}
