//! Helpers shared by the integration tests (a test includes them with `mod common;`).

use randmid::cli::json::Json;

/// The NumPyro NUTS reference for `Logistic::breast_cancer(1.0)`
/// (`paper-notes/reference/logistic_breast_cancer_nuts.json`), parsed.
pub fn nuts_reference() -> Json {
    Json::parse(include_str!(
        "../../paper-notes/reference/logistic_breast_cancer_nuts.json"
    ))
    .expect("the NUTS reference is valid JSON")
}

/// The array of numbers stored under `key` of an object.
pub fn f64_array(json: &Json, key: &str) -> Vec<f64> {
    json.get(key)
        .and_then(Json::as_f64_vec)
        .unwrap_or_else(|| panic!("no array of numbers under {key}"))
}
