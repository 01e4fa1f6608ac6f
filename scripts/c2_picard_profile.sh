#!/usr/bin/env bash
# Picard residual profile of the parallel RM predictor against d (tv-methodology §3.2 (a), (b)):
# rm-par with N = 4 outer steps, R = 16 nodes, K = 8 rounds on the C2 problem (data N(0, 0.25 I),
# exact q_T at T = 2, δ = 0.01), 20 samples per d. Prints, per d, the largest sup-norm residual of
# each Picard round and the largest ratio of consecutive residuals.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q
tmp=$(mktemp -d)
for d in 8 64 512 4096 16384; do
  ./target/release/randmid sample --target iso-gaussian --var 0.25 --dim "$d" --sampler rm-par --nodes 16 \
    --picard 8 --steps 4 --t-max 2 --t-min 0.01 --exact-start --n 20 --seed 1 --out "$tmp/p$d.csv" 2>/dev/null
  python3 - "$tmp/p$d.csv.json" "$d" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["rounds"]
res = " ".join("%.2e" % x for x in r["picard_max_residual_by_round"])
rat = " ".join("%.3f" % x for x in r["picard_max_ratio_by_round"])
print(f"d={sys.argv[2]:>6}  residual by round: {res}  | ratio: {rat}")
PY
done
rm -r "$tmp"
