#!/usr/bin/env bash
# Rayon scaling of the parallel randomized-midpoint predictor against the sequential one at equal
# TV (issue 5), for 1 … 16 threads on a 16-core machine. Appends one JSON line per
# (thread count, sampler) to $OUT (default paper-notes/data/c2/speedup-16core.jsonl).
# Usage: scripts/c2_speedup_threads.sh [d (16384)] [eps (0.05)]
set -euo pipefail
cd "$(dirname "$0")/.."
export OUT="${OUT:-paper-notes/data/c2/speedup-16core.jsonl}"
cargo build --release --example parallel_speedup
./target/release/examples/parallel_speedup "${1:-16384}" "${2:-0.05}" 1,2,4,8,12,16
