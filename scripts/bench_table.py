#!/usr/bin/env python3
"""Prints criterion results as a table: median time per iteration and per element.

Usage: scripts/bench_table.py [FILTER] — reads target/criterion/**/new/{estimates,benchmark}.json
(the latest `cargo bench` run of each benchmark) and prints the ones whose id contains FILTER.
"""
import glob
import json
import os
import sys

root = os.environ.get("CARGO_TARGET_DIR", "target")
flt = sys.argv[1] if len(sys.argv) > 1 else ""
rows = []
for est in glob.glob(f"{root}/criterion/**/new/estimates.json", recursive=True):
    d = os.path.dirname(est)
    with open(os.path.join(d, "benchmark.json")) as f:
        bench = json.load(f)
    full = bench["full_id"]
    if flt not in full:
        continue
    with open(est) as f:
        median = json.load(f)["median"]["point_estimate"]
    tp = bench.get("throughput") or {}
    elems = tp.get("Elements") or tp.get("Bytes")
    per = f"{median / elems:10.3f}" if elems else "         -"
    rows.append((full, median, per))
for full, median, per in sorted(rows):
    print(f"{full:70s} {median:14.1f} ns {per} ns/elem")
