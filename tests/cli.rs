//! The `randmid` binary: `sample` writes full-precision CSV plus a JSON sidecar; bad arguments
//! exit non-zero with a clear message.

use std::process::Command;

fn randmid(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_randmid"))
        .args(args)
        .output()
        .expect("binary runs")
}

fn tmp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("randmid-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn sample_writes_csv_rows_and_sidecar_that_match_the_library() {
    let out = tmp("iso.csv");
    let o = randmid(&[
        "sample",
        "--target",
        "iso-gaussian",
        "--mean",
        "1",
        "--var",
        "2",
        "--dim",
        "3",
        "--sampler",
        "rm",
        "--steps",
        "10",
        "--n",
        "25",
        "--seed",
        "7",
        "--t-max",
        "4",
        "--t-min",
        "0.01",
        "--exact-start",
        "--out",
        &out,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 25);
    assert!(rows.iter().all(|r| r.len() == 3));
    // same configuration through the library: bitwise equal after the CSV round trip
    let target = randmid::target::Gaussian::isotropic(3, 1.0, 2.0).unwrap();
    let grid = randmid::grid::TimeGrid::uniform(4.0, 0.01, 10).unwrap();
    let lib = randmid::driver::sample(
        &target,
        &target,
        &randmid::sampler::Ode::rm(grid),
        randmid::driver::Start::Exact,
        25,
        7,
    )
    .unwrap();
    let flat: Vec<f64> = rows.into_iter().flatten().collect();
    assert_eq!(
        flat.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
        lib.samples.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    );
    let meta = std::fs::read_to_string(format!("{out}.json")).unwrap();
    for key in [
        "\"nfe_per_sample\": 20",
        "\"wall_time_s\"",
        "\"sampler\"",
        "\"name\": \"rm\"",
        "\"seed\": 7",
    ] {
        assert!(meta.contains(key), "sidecar lacks {key}: {meta}");
    }
}

#[test]
fn bad_arguments_exit_non_zero_with_a_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["sample", "--target", "nope", "--out", "x.csv"], "unknown target"),
        (
            &[
                "sample",
                "--target",
                "iso-gaussian",
                "--sampler",
                "zz",
                "--out",
                "x.csv",
            ],
            "unknown sampler",
        ),
        (
            &[
                "sample",
                "--target",
                "iso-gaussian",
                "--var",
                "-1",
                "--sampler",
                "ei",
                "--out",
                "x.csv",
            ],
            "var",
        ),
        (
            &[
                "sample",
                "--target",
                "iso-gaussian",
                "--sampler",
                "ei",
                "--steps",
                "ten",
                "--out",
                "x.csv",
            ],
            "--steps",
        ),
        (
            &[
                "sample",
                "--target",
                "iso-gaussian",
                "--sampler",
                "ei",
                "--typo",
                "1",
                "--out",
                "x.csv",
            ],
            "--typo",
        ),
        (
            &[
                "sample",
                "--target",
                "iso-gaussian",
                "--sampler",
                "ei",
                "--t-max",
                "0.001",
                "--out",
                "x.csv",
            ],
            "t_max",
        ),
        (&["frobnicate"], "unknown command"),
        (
            &[
                "sample",
                "--target",
                "iso-gaussian",
                "--sampler",
                "ei",
                "--threads",
                "5000",
                "--out",
                "x.csv",
            ],
            "--threads 5000: at most 1024",
        ),
        (
            &[
                "tv",
                "--target",
                "iso-gaussian",
                "--dim",
                "4",
                "--sampler",
                "rm",
                "--n",
                "1099511627776",
            ],
            "`n` = 1099511627776",
        ),
    ];
    for (args, needle) in cases {
        let o = randmid(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn listings_name_every_target_and_sampler() {
    let t = String::from_utf8(randmid(&["targets"]).stdout).unwrap();
    for name in ["iso-gaussian", "bimodal", "gmm", "logcosh"] {
        assert!(t.contains(name));
    }
    let s = String::from_utf8(randmid(&["samplers"]).stdout).unwrap();
    for name in ["ei", "rm", "sde", "ei+ulmc", "rm+ulmc", "rm+rm-ulmc"] {
        assert!(s.contains(name));
    }
}

#[test]
fn tv_prints_the_required_json_fields_and_rejects_inapplicable_estimators() {
    let o = randmid(&[
        "tv",
        "--target",
        "iso-gaussian",
        "--var",
        "4",
        "--dim",
        "16",
        "--sampler",
        "rm",
        "--steps",
        "16",
        "--exact-start",
        "--t-max",
        "4",
        "--t-min",
        "0.01",
        "--n",
        "2000",
        "--inner",
        "16",
        "--blocks",
        "8",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    for key in [
        "\"tv\":",
        "\"ci_low\":",
        "\"ci_high\":",
        "\"estimator\": \"semi-analytic",
        "\"nfe\": 32",
        "\"dim\": 16",
        "\"steps\": 16",
    ] {
        assert!(out.contains(key), "missing {key}: {out}");
    }
    let o = randmid(&[
        "tv",
        "--target",
        "iso-gaussian",
        "--dim",
        "8",
        "--sampler",
        "rm",
        "--estimator",
        "grid",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not apply"));
}

/// Log-concave samplers through `sample`: the CSV equals the library's `sample_potential` output
/// bit for bit, the sidecar reports gradients and the MALA acceptance, and non-log-concave
/// targets or unshipped data sets are refused with exit status 2.
#[test]
fn log_concave_samplers_run_from_the_cli() {
    use randmid::langevin::{LcStart, Mala, sample_potential};
    use randmid::potential::LogCoshProduct;
    let out = tmp("lc.csv");
    let o = randmid(&[
        "sample",
        "--target",
        "logcosh",
        "--dim",
        "3",
        "--sampler",
        "mala",
        "--steps",
        "20",
        "--step-size",
        "0.4",
        "--n",
        "16",
        "--seed",
        "5",
        "--out",
        &out,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let f = LogCoshProduct::new(3).unwrap();
    let lib = sample_potential(&f, &Mala::new(0.4, 20).unwrap(), &LcStart::Point(vec![0.0; 3]), 16, 5).unwrap();
    let csv: Vec<f64> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .flat_map(|l| l.split(',').map(|v| v.parse::<f64>().unwrap()).collect::<Vec<_>>())
        .collect();
    assert_eq!(csv, lib.samples);
    let meta = std::fs::read_to_string(format!("{out}.json")).unwrap();
    assert!(meta.contains("\"gradients_per_sample\": 21"), "{meta}");
    assert!(meta.contains(&format!("{}", lib.acceptance().unwrap())), "{meta}");
    for bad in [
        vec!["sample", "--target", "bimodal", "--sampler", "ula", "--out", &out],
        vec![
            "sample",
            "--target",
            "logistic",
            "--data",
            "german",
            "--sampler",
            "ulmc",
            "--out",
            &out,
        ],
        vec!["sample", "--target", "logistic", "--sampler", "rm", "--out", &out],
        vec![
            "sample",
            "--target",
            "ill-gaussian",
            "--kappa",
            "0.5",
            "--sampler",
            "gcc-lc",
            "--out",
            &out,
        ],
    ] {
        let o = randmid(&bad);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{bad:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!o.stderr.is_empty());
    }
}

#[test]
fn readme_verdict_table_is_generated_from_the_committed_data() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let (_, rest) = readme.split_once("<!-- verdicts:begin -->\n").unwrap();
    let (table, _) = rest.split_once("<!-- verdicts:end -->").unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/paper-notes/data");
    let out = randmid(&["verdicts", "--data", data]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        table,
        "regenerate with `randmid verdicts`"
    );
}
