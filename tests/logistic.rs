//! `Logistic::breast_cancer(1.0)` against the independent NumPyro reference in
//! `paper-notes/reference/logistic_breast_cancer_nuts.json` (made by `logistic_nuts.py` there,
//! prior variance σ² = 1): the Newton mode equals the script's MAP, the script's Gram spectrum
//! gives the same `L`, and the NUTS posterior mean lies within half a posterior sd of the mode in
//! every coordinate (a sanity check that both sides use the same data, standardisation and
//! intercept; the largest mean–mode gap of this posterior is 0.34 sd, in coordinate 15).

use randmid::potential::{Logistic, Potential};

const REFERENCE: &str = include_str!("../paper-notes/reference/logistic_breast_cancer_nuts.json");

/// The numbers of the flat array stored under `"key": [ … ]` (a minimal reader for this file).
fn array(key: &str) -> Vec<f64> {
    let start = REFERENCE
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no key {key}"));
    let open = start + REFERENCE[start..].find('[').expect("no array");
    let close = open + REFERENCE[open..].find(']').expect("unterminated array");
    REFERENCE[open + 1..close]
        .split(',')
        .map(|s| s.trim().parse().expect("not a number"))
        .collect()
}

/// The number stored under `"key": value`.
fn number(key: &str) -> f64 {
    let start = REFERENCE
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no key {key}"))
        + key.len()
        + 3;
    let end = start + REFERENCE[start..].find([',', '\n', '}']).expect("no end");
    REFERENCE[start..end].trim().parse().expect("not a number")
}

#[test]
fn mode_matches_reference_map() -> randmid::Result<()> {
    assert_eq!(number("prior_var"), 1.0);
    let post = Logistic::breast_cancer(1.0)?;
    let mode = post.mode()?;
    let map = array("map");
    assert_eq!(map.len(), post.dim());
    for (k, (a, b)) in mode.iter().zip(&map).enumerate() {
        assert!((a - b).abs() <= 1e-6, "coordinate {k}: mode {a} vs reference MAP {b}");
    }
    let lam = number("gram_eigenvalue_max");
    assert!((post.gram_max_eigenvalue() - lam).abs() <= 1e-9 * lam);
    assert!((post.smoothness() - (1.0 + lam / 4.0)).abs() <= 1e-9 * lam);
    Ok(())
}

#[test]
fn nuts_mean_is_near_the_mode() -> randmid::Result<()> {
    let mode = Logistic::breast_cancer(1.0)?.mode()?;
    let (mean, sd) = (array("mean"), array("sd"));
    assert_eq!((mean.len(), sd.len()), (31, 31));
    assert!(number("rhat_max") < 1.01 && number("ess_min") > 1000.0);
    for k in 0..31 {
        let z = (mean[k] - mode[k]) / sd[k];
        assert!(z.abs() < 0.5, "coordinate {k}: (mean − mode)/sd = {z}");
    }
    Ok(())
}
