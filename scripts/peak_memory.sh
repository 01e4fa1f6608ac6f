#!/usr/bin/env bash
# Peak resident memory (max RSS) and wall time of one `randmid` command (issue 6), by default
# `randmid check` (the largest built-in configuration; `--quick` for the smoke-sized one).
# Measured with GNU `/usr/bin/time -v` when installed, otherwise with a small Python wrapper
# (`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`, KiB on Linux, or the child's polled VmHWM
# when that is below Python's own footprint, see below). The command's own output goes
# to $LOG (default target/peak_memory-<args>.log); one JSON line is appended to $OUT (default
# paper-notes/data/performance/peak_memory.jsonl; if $OUT is a directory, peak_memory.jsonl in it).
# PEAK_METHOD=python forces the Python wrapper.
# Usage: scripts/peak_memory.sh [randmid arguments (default: check)]
#   e.g. scripts/peak_memory.sh check --quick
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then set -- check; fi
OUT="${OUT:-paper-notes/data/performance/peak_memory.jsonl}"
if [ -d "$OUT" ]; then OUT="${OUT%/}/peak_memory.jsonl"; fi
slug=$(printf '%s' "$*" | tr -c 'A-Za-z0-9' '_')
LOG="${LOG:-target/peak_memory-${slug}.log}"
cargo build --release --bin randmid
mkdir -p "$(dirname "$OUT")" "$(dirname "$LOG")"
bin=./target/release/randmid

start=$(date +%s.%N)
if [ "${PEAK_METHOD:-}" != python ] && /usr/bin/time -v true >/dev/null 2>&1; then
  method="gnu-time"
  tfile=$(mktemp)
  set +e
  /usr/bin/time -v -o "$tfile" "$bin" "$@" >"$LOG" 2>&1
  status=$?
  set -e
  rss_kib=$(awk -F': *' '/Maximum resident set size/ {print $2}' "$tfile")
  user_s=$(awk -F': *' '/User time \(seconds\)/ {print $2}' "$tfile")
  sys_s=$(awk -F': *' '/System time \(seconds\)/ {print $2}' "$tfile")
  rm -f "$tfile"
else
  # ru_maxrss of a child also counts the pages it had as a fork of Python before exec, so it is
  # used only when it exceeds Python's own peak; otherwise the child's VmHWM, polled every 10 ms
  # from /proc (it misses only a peak in the last 10 ms)
  read -r status rss_kib user_s sys_s method < <(python3 - "$LOG" "$bin" "$@" <<'EOF'
import resource, subprocess, sys, time
log, cmd = sys.argv[1], sys.argv[2:]
def hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(l.split()[1]) for l in f if l.startswith("VmHWM:")), 0)
    except OSError:
        return 0
polled = 0
with open(log, "wb") as f:
    child = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # ≥ what the fork carried over
    while child.poll() is None:
        polled = max(polled, hwm(child.pid))
        time.sleep(0.01)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
if ru.ru_maxrss > own:
    rss, method = ru.ru_maxrss, "python-getrusage"
elif polled > 0:
    rss, method = polled, "python-vmhwm-poll"  # a lower bound for runs of a few ms
else:
    rss, method = ru.ru_maxrss, "python-getrusage-upper-bound"
print(child.returncode, rss, f"{ru.ru_utime:.2f}", f"{ru.ru_stime:.2f}", method)
EOF
)
fi
end=$(date +%s.%N)
wall_s=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')
rss_mib=$(awk -v k="$rss_kib" 'BEGIN {printf "%.1f", k / 1024}')
cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null | sed 's/["\\]//g' || true)
cmd_json=$(printf '%s' "$*" | sed 's/["\\]/\\&/g')
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD 2>/dev/null; then rev="${rev}-dirty"; fi

echo "randmid $*: max RSS ${rss_mib} MiB (${rss_kib} KiB), wall ${wall_s} s, user ${user_s} s, sys ${sys_s} s, exit ${status} [${method}; output in ${LOG}]"
printf '{"command":"randmid %s","max_rss_kib":%s,"max_rss_mib":%s,"wall_s":%s,"user_s":%s,"sys_s":%s,"exit":%s,"method":"%s","nproc":%s,"cpu":"%s","host":"%s","git":"%s","date":"%s"}\n' \
  "$cmd_json" "$rss_kib" "$rss_mib" "$wall_s" "$user_s" "$sys_s" "$status" "$method" "$(nproc)" "$cpu" \
  "$(hostname)" "$rev" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$OUT"
exit "$status"
