#!/usr/bin/env bash
# Side-by-side peers (issue 6): randmid vs NumPy vs JAX (jit, CPU) on the same EI, RM and ULMC
# steps and sizes, single-threaded, in one run. See README.md in this folder.
#
#   benches/peers/run.sh [OUT.json]          (default: <cargo target dir>/peers.json)
#
# Environment knobs (defaults in brackets): PEER_WARM_UP [1] and PEER_MEASUREMENT [3] seconds per
# criterion bench; PEER_REPEATS [7] and PEER_MIN_TIME [0.2] seconds per timeit loop for the Python
# peers; PEER_CPU [0] the core to pin to; PEER_PYTHON [python3] the interpreter for the venv;
# PEER_PIP_ARGS [empty] extra pip arguments (e.g. "jax==0.10.2 numpy==2.4.6" to pin versions).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT_ARG="${1:-}"
if [[ -n "$OUT_ARG" ]]; then
    OUT="$(realpath -m -- "$OUT_ARG")"
fi
cd "$ROOT"

WARM_UP="${PEER_WARM_UP:-1}"
MEASUREMENT="${PEER_MEASUREMENT:-3}"
REPEATS="${PEER_REPEATS:-7}"
MIN_TIME="${PEER_MIN_TIME:-0.2}"
PYTHON="${PEER_PYTHON:-python3}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/randmid-peers.XXXXXX")"
trap 'rm -rf -- "$WORK"' EXIT
trap 'exit 130' INT TERM

# One thread everywhere, for a per-core comparison.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
export JAX_PLATFORMS=cpu

PIN=()
CPU="${PEER_CPU:-0}"
if command -v taskset >/dev/null 2>&1; then
    if ! taskset -c "$CPU" true 2>/dev/null; then
        # core 0 may be outside this process's cpuset: take the first allowed one
        CPU="$("$PYTHON" -c 'import os; print(min(os.sched_getaffinity(0)))')"
    fi
    PIN=(taskset -c "$CPU")
    echo "== pinning every timed process to core $CPU (taskset)"
else
    echo "== taskset not found: processes are not pinned"
fi

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
OUT="${OUT:-$TARGET_DIR/peers.json}"

echo "== virtual environment in $WORK/venv: pip install numpy jax"
"$PYTHON" -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
# shellcheck disable=SC2086  # PEER_PIP_ARGS is a word list on purpose
"$PY" -m pip install --quiet --disable-pip-version-check numpy jax ${PEER_PIP_ARGS:-}
"$PY" -c 'import numpy, jax; print("numpy", numpy.__version__, "| jax", jax.__version__, "| backend", jax.default_backend())'

echo "== building the criterion bench (not pinned)"
cargo bench --bench peer_steps --no-run

echo "== correctness oracle (d = 1024): one EI, RM and ULMC step from fixed inputs"
RANDMID_PEER_CHECK="$WORK/oracle-randmid.json" "${PIN[@]}" cargo bench -q --bench peer_steps -- --list >/dev/null
"${PIN[@]}" "$PY" "$HERE/numpy_steps.py" oracle "$WORK/oracle-numpy.json"
"${PIN[@]}" "$PY" "$HERE/jax_steps.py" oracle "$WORK/oracle-jax.json"
"$PY" - "$WORK" <<'EOF'
import json, sys
work = sys.argv[1]
ref = json.load(open(f"{work}/oracle-randmid.json"))
report, bad = {}, []
for peer in ("numpy", "jax"):
    doc = json.load(open(f"{work}/oracle-{peer}.json"))
    for key in ("ulmc_coeffs", "ei", "rm", "ulmc_x", "ulmc_v"):
        a, b = doc[key], ref[key]
        if len(a) != len(b):
            bad.append(f"{peer} {key}: length {len(a)} != {len(b)}")
            continue
        # elementwise relative difference (the gate) and normwise max|a-b| / max|b|
        rel = max(abs(x - y) / max(abs(x), abs(y), 1e-300) for x, y in zip(a, b))
        norm = max(abs(x - y) for x, y in zip(a, b)) / max(abs(y) for y in b)
        report[f"{peer}/{key}"] = {"max_rel": rel, "normwise_rel": norm,
                                   "bitwise_equal": sum(x == y for x, y in zip(a, b)), "n": len(b)}
        ok = rel <= 1e-12
        print(f"  {peer:5} vs randmid {key:11}: max rel diff {rel:9.3e}  (normwise {norm:9.3e}, "
              f"{report[f'{peer}/{key}']['bitwise_equal']}/{len(b)} bitwise equal)  {'ok' if ok else 'FAIL'}")
        if not ok:
            bad.append(f"{peer} {key}: max relative difference {rel:.3e} > 1e-12")
json.dump(report, open(f"{work}/oracle-report.json", "w"))
if bad:
    print("ORACLE CHECK FAILED:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
EOF

echo "== timing randmid (criterion: warm-up ${WARM_UP}s, measurement ${MEASUREMENT}s per bench)"
STAMP="$WORK/stamp"
touch "$STAMP"
"${PIN[@]}" cargo bench -q --bench peer_steps -- --warm-up-time "$WARM_UP" --measurement-time "$MEASUREMENT"

echo "== timing NumPy (median of $REPEATS timeit loops of >= ${MIN_TIME}s)"
"${PIN[@]}" "$PY" "$HERE/numpy_steps.py" time "$WORK/time-numpy.json" --repeats "$REPEATS" --min-time "$MIN_TIME"
echo "== timing JAX (jit, CPU; median of $REPEATS timeit loops of >= ${MIN_TIME}s)"
"${PIN[@]}" "$PY" "$HERE/jax_steps.py" time "$WORK/time-jax.json" --repeats "$REPEATS" --min-time "$MIN_TIME"

mkdir -p "$(dirname "$OUT")"
"$PY" - "$WORK" "$TARGET_DIR/criterion" "$OUT" "$CPU" "${#PIN[@]}" "$WARM_UP" "$MEASUREMENT" "$REPEATS" "$MIN_TIME" <<'EOF'
import glob, json, os, platform, sys
work, crit, out, cpu, pinned, warm_up, measurement, repeats, min_time = sys.argv[1:]
stamp = os.path.getmtime(f"{work}/stamp")

# randmid: criterion's median point estimate (ns per iteration = per step of every trajectory)
randmid = {}
for path in glob.glob(f"{crit}/**/new/benchmark.json", recursive=True):
    meta = json.load(open(path))
    if not meta["group_id"].startswith("peer/"):
        continue
    est = os.path.join(os.path.dirname(path), "estimates.json")
    if os.path.getmtime(est) < stamp:
        continue  # left over from an earlier run
    step = meta["group_id"].split("/", 1)[1]
    ident = meta["value_str"] if meta.get("value_str") else meta["function_id"]
    randmid[(step, ident)] = json.load(open(est))["median"]["point_estimate"]
peers = {name: json.load(open(f"{work}/time-{name}.json")) for name in ("numpy", "jax")}
oracle = json.load(open(f"{work}/oracle-report.json"))

rows = []
for r in peers["numpy"]["results"]:
    key = (r["step"], r["id"])
    if key not in randmid:
        sys.exit(f"no fresh criterion estimate for peer/{key[0]}/{key[1]} under {crit}")
    jr = next(j for j in peers["jax"]["results"] if (j["step"], j["id"]) == key)
    coords = r["rows"] * r["d"]
    ns = {"randmid": randmid[key], "numpy": r["median_s"] * 1e9, "jax": jr["median_s"] * 1e9}
    rows.append({"step": r["step"], "size": r["id"], "rows": r["rows"], "d": r["d"], "coords": coords,
                 **{f"{k}_ns_per_step": v for k, v in ns.items()},
                 **{f"{k}_ns_per_coord": v / coords for k, v in ns.items()},
                 "numpy_over_randmid": ns["numpy"] / ns["randmid"],
                 "jax_over_randmid": ns["jax"] / ns["randmid"]})

head = (f"{'step':5} {'size':14} | {'randmid ns/step':>15} {'ns/coord':>9} | {'numpy ns/step':>13} {'ns/coord':>9}"
        f" | {'jax ns/step':>12} {'ns/coord':>9} | {'numpy/randmid':>13} {'jax/randmid':>11}")
print()
print(head)
print("-" * len(head))
for r in rows:
    goal_np = "" if r["numpy_over_randmid"] >= 20 else "*"
    goal_jx = "" if r["jax_over_randmid"] >= 3 else "*"
    print(f"{r['step']:5} {r['size']:14} | {r['randmid_ns_per_step']:15.1f} {r['randmid_ns_per_coord']:9.3f}"
          f" | {r['numpy_ns_per_step']:13.1f} {r['numpy_ns_per_coord']:9.3f}"
          f" | {r['jax_ns_per_step']:12.1f} {r['jax_ns_per_coord']:9.3f}"
          f" | {r['numpy_over_randmid']:12.1f}{goal_np:1} {r['jax_over_randmid']:10.1f}{goal_jx:1}")
met_np = sum(r["numpy_over_randmid"] >= 20 for r in rows)
met_jx = sum(r["jax_over_randmid"] >= 3 for r in rows)
print(f"\ngoal randmid >= 20x NumPy: met in {met_np}/{len(rows)} rows; >= 3x JAX: met in {met_jx}/{len(rows)} rows"
      " (* marks a miss)")

try:
    cpu_model = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except (OSError, StopIteration):
    cpu_model = platform.processor()
doc = {
    "machine": {"cpu": cpu_model, "cores": os.cpu_count(), "platform": platform.platform(),
                "pinned_core": int(cpu) if int(pinned) else None,
                "load_avg": os.getloadavg()},
    "versions": {"python": platform.python_version(), "numpy": peers["numpy"]["version"],
                 "jax": peers["jax"]["version"]},
    "settings": {"criterion_warm_up_s": float(warm_up), "criterion_measurement_s": float(measurement),
                 "criterion_statistic": "median point estimate", "peer_repeats": int(repeats),
                 "peer_min_loop_s": float(min_time), "peer_statistic": "median over repeats"},
    "oracle": oracle,
    "rows": rows,
}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
print(f"table written to {out}")
EOF
