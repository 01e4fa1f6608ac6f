//! Resumable and sharded sweeps (issue 7): a sweep killed mid-way and resumed loses nothing and
//! recomputes nothing already finished, and ends with the same JSON as an uninterrupted run, bit
//! for bit; shards merged give the same JSON as the unsharded run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_randmid");

fn sweep_args() -> Vec<String> {
    "scale --claim c1 --quick --samplers rm,ei --dims 8,32,128,512 --eps 0.1"
        .split(' ')
        .map(String::from)
        .collect()
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("randmid-resume-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run(args: &[String], out: &Path, extra: &[&str]) -> String {
    let o = Command::new(BIN)
        .args(args)
        .args(["--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The (sampler, d, steps) keys of the complete record lines of a JSONL file.
fn keys(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter(|l| l.ends_with('}'))
        .map(|l| {
            let field = |k: &str| {
                let i = l.find(&format!("\"{k}\":")).unwrap() + k.len() + 3;
                l[i..].split([',', '}']).next().unwrap().to_string()
            };
            format!("{} {} {}", field("sampler"), field("d"), field("steps"))
        })
        .collect()
}

#[test]
fn a_killed_sweep_resumes_without_losing_or_recomputing_points() {
    let args = sweep_args();
    let full = dir("full");
    run(&args, &full, &[]);
    let all = keys(&full.join("c1.jsonl"));
    let killed = dir("killed");
    let mut child = Command::new(BIN)
        .args(&args)
        .args(["--out", killed.to_str().unwrap()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let jsonl = killed.join("c1.jsonl");
    let clock = Instant::now();
    while keys(&jsonl).len() < all.len() / 3 && clock.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = keys(&jsonl);
    assert!(
        !before.is_empty() && before.len() < all.len(),
        "killed after {} of {} points",
        before.len(),
        all.len()
    );
    // without --resume the finished points are protected
    let o = Command::new(BIN)
        .args(&args)
        .args(["--out", killed.to_str().unwrap()])
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
    let log = run(&args, &killed, &["--resume"]);
    let reused = log.split(['\r', '\n']).filter(|l| l.contains("(stored)")).count();
    let after = keys(&jsonl);
    // every point finished before the kill was reused, none recomputed, none lost
    assert_eq!(reused, before.len(), "{log}");
    assert_eq!(after.len(), all.len());
    assert_eq!(
        after.iter().collect::<HashSet<_>>().len(),
        after.len(),
        "a point was stored twice"
    );
    assert_eq!(after.iter().collect::<HashSet<_>>(), all.iter().collect::<HashSet<_>>());
    for f in ["c1.json", "c1_points.csv"] {
        assert_eq!(
            std::fs::read(killed.join(f)).unwrap(),
            std::fs::read(full.join(f)).unwrap(),
            "{f} differs from the uninterrupted run"
        );
    }
    assert!(!killed.join("c1.json.tmp").exists());
}

#[test]
fn merged_shards_equal_the_unsharded_sweep_bit_for_bit() {
    let args = sweep_args();
    let full = dir("unsharded");
    run(&args, &full, &[]);
    let shards = dir("shards");
    for i in 0..3 {
        run(&args, &shards, &["--shard", &format!("{i}/3")]);
        assert!(
            !shards.join("c1.json").exists(),
            "a shard must not write the final JSON"
        );
    }
    let inputs: Vec<String> = (0..3)
        .map(|i| {
            shards
                .join(format!("c1.shard-{i}-of-3.jsonl"))
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let mut merge_args = args.clone();
    merge_args[0] = "merge".into();
    let merged = dir("merged");
    run(&merge_args, &merged, &["--inputs", &inputs.join(",")]);
    for f in ["c1.json", "c1_points.csv"] {
        assert_eq!(
            std::fs::read(merged.join(f)).unwrap(),
            std::fs::read(full.join(f)).unwrap(),
            "{f}"
        );
    }
    // a missing shard is an error, not a silently partial result
    let o = Command::new(BIN)
        .args(&merge_args)
        .args(["--out", dir("partial").to_str().unwrap(), "--inputs", &inputs[0]])
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("none of the merged shards"));
    // shards of another configuration are refused
    let other: Vec<String> = merge_args
        .iter()
        .map(|a| if a == "0.1" { "0.05".into() } else { a.clone() })
        .collect();
    let o = Command::new(BIN)
        .args(&other)
        .args(["--out", dir("other").to_str().unwrap(), "--inputs", &inputs.join(",")])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("different claim or configuration"));
}
