//! `randmid verdicts [--data paper-notes/data]`: the verdict table of the README, generated from
//! the committed sweep data (one row per data set and sampler at the data set's smallest ε), so
//! that the README never states a number the data do not hold (`tests/cli.rs` checks that the
//! README's table is this output).

use super::args::Args;
use super::json::Json;
use super::scale::verdict;
use crate::error::{Error, Result};

/// The data sets of the table: claim, folder under the data directory, file, description.
pub const DATA_SETS: &[(&str, &str, &str, &str)] = &[
    ("C1", "c1", "c1.json", "iso-gaussian, user schedule"),
    ("C1", "c1-paper", "c1.json", "iso-gaussian, paper schedule × c"),
    ("C1", "c1-bimodal", "c1.json", "bimodal product"),
    ("C2", "c2", "c2.json", "iso-gaussian, fixed T"),
    ("C2", "c2-growing", "c2.json", "iso-gaussian, T ≍ log d"),
    ("C3", "c3", "c3.json", "f = ‖x‖²/2"),
    ("C3", "c3-ill-quick", "c3.json", "ill-gaussian κ = 100 (quick)"),
    ("C3", "c3-logcosh-quick", "c3.json", "logcosh product (quick)"),
];

fn num(j: &Json, key: &str) -> Option<f64> {
    j.get(key).and_then(Json::as_f64)
}

fn text(j: &Json, key: &str) -> String {
    match j.get(key) {
        Some(Json::Str(s)) => s.clone(),
        _ => String::new(),
    }
}

fn items<'a>(j: &'a Json, key: &str) -> &'a [Json] {
    match j.get(key) {
        Some(Json::Arr(v)) => v,
        _ => &[],
    }
}

/// Rows of one C1/C3 data set: per sampler the large-d fit at the smallest ε.
fn fit_rows(claim: &str, what: &str, r: &Json, out: &mut String) {
    let fits = items(r, "fits");
    let eps = fits
        .iter()
        .filter_map(|f| num(f, "epsilon"))
        .fold(f64::INFINITY, f64::min);
    for f in fits.iter().filter(|f| num(f, "epsilon") == Some(eps)) {
        let (Some(b), Some(lo), Some(hi)) = (
            num(f, "exponent_large_d"),
            num(f, "large_d_ci_low"),
            num(f, "large_d_ci_high"),
        ) else {
            continue;
        };
        let theory = num(f, "theory").unwrap_or(f64::NAN);
        if theory.is_nan() {
            continue;
        }
        let v = verdict((lo, hi), num(f, "local_slope_drift").unwrap_or(0.0), theory);
        out.push_str(&format!(
            "| {claim} | {what} | {} | {eps} | N* ∝ d^{b:.3} [{lo:.3}, {hi:.3}] | d^{theory:.3} | {v} |\n",
            text(f, "sampler")
        ));
    }
}

/// Rows of one C2 data set: the envelope's rounds at the smallest and largest d and the growth
/// law preferred by AIC, at the smallest ε.
fn growth_rows(claim: &str, what: &str, r: &Json, out: &mut String) {
    let rows = items(r, "growth");
    let eps = rows
        .iter()
        .filter_map(|g| num(g, "epsilon"))
        .fold(f64::INFINITY, f64::min);
    for g in rows.iter().filter(|g| num(g, "epsilon") == Some(eps)) {
        let name = text(g, "sampler");
        if name != crate::sweep::c2::ENVELOPE {
            continue;
        }
        let star = items(g, "rounds_star");
        let point = |p: &Json| p.as_f64_vec().filter(|v| v.len() == 2);
        let (Some(first), Some(last)) = (star.first().and_then(point), star.last().and_then(point)) else {
            continue;
        };
        out.push_str(&format!(
            "| {claim} | {what} | {name} | {eps} | rounds {:.1} (d = {}) → {:.1} (d = {}); best law (AIC): {} | Õ(log² d) | {} |\n",
            first[1],
            first[0],
            last[1],
            last[0],
            match text(g, "best_by_aic").as_str() {
                "LogLinear" => "a + b ln d",
                "LogSquared" => "a + b ln² d",
                "Power" => "c d^β",
                other => other,
            },
            "polylog, consistent"
        ));
    }
}

/// The Markdown verdict table from the sweep data under `data`.
///
/// # Errors
/// A data set that is missing or not valid JSON.
pub fn table(data: &str) -> Result<String> {
    let mut out = String::from(
        "| claim | data set | sampler | ε | measured (large d, 95 % CI) | theory | verdict |\n|---|---|---|---|---|---|---|\n",
    );
    for &(claim, dir, file, what) in DATA_SETS {
        let path = format!("{data}/{dir}/{file}");
        let body = std::fs::read_to_string(&path).map_err(|e| Error::Io {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let r = Json::parse(&body)?;
        if claim == "C2" {
            growth_rows(claim, what, &r, &mut out);
        }
        fit_rows(claim, what, &r, &mut out);
    }
    Ok(out)
}

/// Runs the `verdicts` command.
///
/// # Errors
/// As [`table`].
pub fn run(mut args: Args) -> Result<()> {
    let data = args.str_or("data", "paper-notes/data");
    args.finish()?;
    print!("{}", table(&data)?);
    Ok(())
}
