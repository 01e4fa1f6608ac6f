#!/usr/bin/env bash
# Rayon scaling of three workloads (issue 6; examples/rayon_scaling.rs): W1 rm+ulmc sampling at
# d = 1024, W2 EI sampling at d = 64 with 131,072 samples (fine-grained tasks), W3 one grid
# push-forward nested TV estimate. Thread counts 1, 2, 4, 8, 16 capped at `nproc` (plus `nproc`
# itself when it lies between them), median of 3 repetitions; exits non-zero if the output bits
# differ between thread counts. About 1 minute of compute on 16 cores (sized for ~1–3 s per
# workload on one thread); --quick shrinks the sizes 4×.
# Appends one JSON line per (workload, thread count) to $OUT (default
# paper-notes/data/performance/rayon_scaling-<nproc>cores[-quick].jsonl; if $OUT is a directory,
# that file name inside it) and the table to the same path with .txt.
# Usage: scripts/rayon_scaling.sh [--quick] [--no-build] [--reps R]
#   --no-build: use an existing target/release/examples/rayon_scaling (e.g. carried to a machine
#   without the crate registry). THREADS=1,2,3 overrides the thread list.
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    --quick) args+=(--quick) ;;
    --reps) args+=(--reps "$2"); shift ;;
    *) echo "unknown option $1 (--quick, --no-build, --reps R)" >&2; exit 2 ;;
  esac
  shift
done
cores=$(nproc)
if [ -z "${THREADS:-}" ]; then
  THREADS=""
  for k in 1 2 4 8 16; do
    if [ "$k" -le "$cores" ]; then THREADS="${THREADS:+$THREADS,}$k"; fi
  done
  if [ "$cores" -lt 16 ] && [ "$cores" -gt "${THREADS##*,}" ]; then THREADS="$THREADS,$cores"; fi
fi
suffix=""
for a in ${args[@]+"${args[@]}"}; do [ "$a" = "--quick" ] && suffix="-quick"; done
name="rayon_scaling-${cores}cores${suffix}.jsonl"
OUT="${OUT:-paper-notes/data/performance/$name}"
# an existing directory (e.g. the $OUT folder of a lent machine) gets the default file name
if [ -d "$OUT" ]; then OUT="${OUT%/}/$name"; fi
export OUT
mkdir -p "$(dirname "$OUT")"
if [ "$build" = 1 ]; then cargo build --release --example rayon_scaling; fi
echo "host $(hostname), nproc $cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  | tee -a "${OUT%.jsonl}.txt"
./target/release/examples/rayon_scaling "$THREADS" ${args[@]+"${args[@]}"} | tee -a "${OUT%.jsonl}.txt"
exit "${PIPESTATUS[0]}"
