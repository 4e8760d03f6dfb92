#!/usr/bin/env bash
# Soak run of the demo: wrk drives good endpoints while bad clients (bench/bad_clients.py:
# random bytes, truncated requests, slowloris, resets) hammer the same server, for a set time.
# Checks that nothing grew between the start and the end of the soak and that the good
# clients kept their throughput.
#
#   bench/soak.sh [seconds]            default SOAK_SECONDS=300
#
# Phases: start the demo through ./demo.sh (which builds it when needed), on port DEMO_PORT
# with an in-memory database; warm up for WARMUP_SECONDS with wrk and the bad clients together
# (JIT, every code path, pools filled); measure the no-attack baseline for BASELINE_SECONDS
# (wrk alone); take the START snapshot; soak for SOAK_SECONDS (wrk with the same parameters
# while the bad clients attack); once connections have drained, take the END snapshot.
# A snapshot waits until the demo is idle, runs a full GC (jcmd GC.run) and records the heap
# used after it, the JVM's threads (jcmd Thread.print), the process's threads and open file
# descriptors (/proc) and the demo's /stats.
#
# Settings (environment): SOAK_SECONDS=300 BASELINE_SECONDS=30 WARMUP_SECONDS=10 CONNS=100
# THREADS=2 DEMO_PORT=18082 PATHS="/async?seconds=0 /sync?seconds=0 /db?id=1" (the good
# clients' endpoints, cycled per connection) BAD_RATE=100 (new connections per second for
# each of random, truncated and reset) SLOWLORIS=200 (slowloris connections held; keep them
# with CONNS under the demo's --max-connections, 1000) SAMPLE_SECONDS=15 (trend lines during
# the soak) DEMO_JVM_OPTS="-Xms256m -Xmx512m" DEMO_ARGS="" (more demo options).
# Thresholds: HEAP_SLACK_MIB=4 THREAD_SLACK=2 FD_SLACK=2 MIN_THROUGHPUT_RATIO=0.80 (see the
# verdict's lines for why).
#
# Output: the summary table and the verdict, with wrk's and the bad clients' own reports and
# the trend lines, on stdout and in bench-results/soak-<time>.txt (the demo's log beside it).
# Exit status 0 when every check passes, 1 when one fails, 2 when the run itself failed.
# Installs wrk with apt-get when missing; needs python3 (3.8+) and curl.
set -Eeuo pipefail
trap 'echo "soak.sh: the run failed at line $LINENO (exit status $?)" >&2; exit 2' ERR

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SOAK_SECONDS="${1:-${SOAK_SECONDS:-300}}"
BASELINE_SECONDS="${BASELINE_SECONDS:-30}"
WARMUP_SECONDS="${WARMUP_SECONDS:-10}"
CONNS="${CONNS:-100}"
THREADS="${THREADS:-2}"
DEMO_PORT="${DEMO_PORT:-18082}"
PATHS="${PATHS:-/async?seconds=0 /sync?seconds=0 /db?id=1}"
BAD_RATE="${BAD_RATE:-100}"
SLOWLORIS="${SLOWLORIS:-200}"
SAMPLE_SECONDS="${SAMPLE_SECONDS:-15}"
DEMO_JVM_OPTS="${DEMO_JVM_OPTS:--Xms256m -Xmx512m}"
DEMO_ARGS="${DEMO_ARGS:-}"
HEAP_SLACK_MIB="${HEAP_SLACK_MIB:-4}"
THREAD_SLACK="${THREAD_SLACK:-2}"
FD_SLACK="${FD_SLACK:-2}"
MIN_THROUGHPUT_RATIO="${MIN_THROUGHPUT_RATIO:-0.80}"
QUIET_TIMEOUT_SECONDS=40   # the demo's header timeout (10 s) with room to spare
OUT=bench-results
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULT="$OUT/soak-$STAMP.txt"
SERVER_LOG="$OUT/soak-$STAMP.server.log"
BASE="http://127.0.0.1:$DEMO_PORT"

die() { echo "soak.sh: $*" >&2; exit 2; }
[[ "$SOAK_SECONDS" =~ ^[1-9][0-9]*$ ]] || die "the duration is a whole number of seconds, not '$SOAK_SECONDS'"

# --- tools ----------------------------------------------------------------------------------
source "$ROOT/bench/find-jdk.sh"
JDK="$(find_jdk)" || die "no JDK 21+ found: set JAVA_HOME, or install one under /usr/lib/jvm or ~/.jdks"
JCMD="$JDK/bin/jcmd"
[[ -x "$JCMD" ]] || die "$JDK has no bin/jcmd"
command -v python3 >/dev/null || die "python3 is needed for the bad clients (bench/bad_clients.py)"
command -v curl >/dev/null || die "curl is needed"
if ! command -v wrk >/dev/null; then
  echo "== installing wrk (apt-get)"
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null || die "could not install wrk"
fi

mkdir -p "$OUT"
exec > >(tee "$RESULT") 2>&1

DEMO_PID=""; BAD_PID=""; SAMPLER_PID=""
cleanup() {
  local p
  for p in "$SAMPLER_PID" "$BAD_PID"; do
    [[ -n "$p" ]] && kill "$p" 2>/dev/null || true
  done
  if [[ -n "$DEMO_PID" ]] && kill -0 "$DEMO_PID" 2>/dev/null; then
    kill -TERM "$DEMO_PID"; wait "$DEMO_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

# --- the demo, started the way ./demo.sh starts it -------------------------------------------
echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $("$JDK/bin/java" -version 2>&1 | head -n1), $({ wrk --version 2>&1 || true; } | head -n1 | cut -d' ' -f1-2)"
echo "== soak ${SOAK_SECONDS}s after a ${WARMUP_SECONDS}s warm-up and a ${BASELINE_SECONDS}s baseline; wrk -t$THREADS -c$CONNS on $PATHS; bad clients: $BAD_RATE/s each of random, truncated, reset + $SLOWLORIS slowloris"
echo "== starting the demo: ./demo.sh --port $DEMO_PORT --db mem $DEMO_ARGS (JDK_JAVA_OPTIONS=$DEMO_JVM_OPTS; builds first when needed); log in $SERVER_LOG"
# demo.sh ends in `exec java`, so this process becomes the demo's JVM: $! is its pid.
# shellcheck disable=SC2086
JAVA_HOME="$JDK" JDK_JAVA_OPTIONS="$DEMO_JVM_OPTS" ./demo.sh --port "$DEMO_PORT" --db mem $DEMO_ARGS >"$SERVER_LOG" 2>&1 &
DEMO_PID=$!
for _ in $(seq 3000); do     # up to 5 minutes: the first start builds the jar
  curl -fs -o /dev/null "$BASE/stats" && break
  kill -0 "$DEMO_PID" 2>/dev/null || { cat "$SERVER_LOG"; die "the demo exited early (log above)"; }
  sleep 0.1
done
curl -fs -o /dev/null "$BASE/stats" || die "the demo did not answer on $BASE/stats"
[[ "$(cat "/proc/$DEMO_PID/comm")" == java ]] || die "pid $DEMO_PID is not the demo's JVM"
grep -m1 '^loopbridge demo on' "$SERVER_LOG" || true

# --- measuring ------------------------------------------------------------------------------
# stats_fields KEY...: values from /stats (permits as "sync+blocking+db" in use), space-separated
stats_fields() {
  curl -fs "$BASE/stats" | python3 -c '
import json, sys
d = json.load(sys.stdin)
d["permitsInUse"] = sum(p["inUse"] for p in d["permits"].values())
d["lagMax1sMs"] = d["loopLag"]["max1sMs"]
print(" ".join(str(d[k]) for k in sys.argv[1:]))' "$@"
}

# Waits until only the caller's own /stats request is in the demo and every permit is back.
wait_quiet() {
  local c f p
  for _ in $(seq $((QUIET_TIMEOUT_SECONDS * 4))); do
    read -r c f p < <(stats_fields connections requestsInFlight permitsInUse)
    [[ "$c" -le 1 && "$f" -le 1 && "$p" -eq 0 ]] && return 0
    sleep 0.25
  done
  echo "   (the demo was still busy after ${QUIET_TIMEOUT_SECONDS}s: connections $c, in flight $f, permits $p)"
}

# snapshot NAME: fills SNAP[NAME.*]
declare -A SNAP
snapshot() {
  local n="$1" dump
  wait_quiet
  # jcmd first: its first attach starts the JVM's "Attach Listener" thread and socket, which
  # must already be there when threads and descriptors are counted.
  "$JCMD" "$DEMO_PID" GC.run >/dev/null
  SNAP[$n.heap_kib]="$("$JCMD" "$DEMO_PID" GC.heap_info | grep -o 'used [0-9]*K' | head -n1 | tr -dc 0-9)"
  dump="$("$JCMD" "$DEMO_PID" Thread.print)"
  SNAP[$n.workers]="$(grep -c '^"worker-[0-9]*"' <<<"$dump" || true)"
  SNAP[$n.jvm_threads]=$(( $(grep -c '^"' <<<"$dump") - SNAP[$n.workers] ))
  SNAP[$n.os_threads]="$(awk '/^Threads:/ {print $2}' "/proc/$DEMO_PID/status")"
  SNAP[$n.fds]="$(ls "/proc/$DEMO_PID/fd" | wc -l)"
  read -r "SNAP[$n.connections]" "SNAP[$n.in_flight]" "SNAP[$n.tasks]" "SNAP[$n.permits]" "SNAP[$n.timers]" \
    "SNAP[$n.channels]" < <(stats_fields connections requestsInFlight tasksAlive permitsInUse timers channels)
  echo "   $n: heap after GC ${SNAP[$n.heap_kib]} KiB, JVM threads ${SNAP[$n.jvm_threads]} + ${SNAP[$n.workers]} pool workers (OS threads ${SNAP[$n.os_threads]}), fds ${SNAP[$n.fds]}, connections ${SNAP[$n.connections]}, tasks ${SNAP[$n.tasks]}, permits in use ${SNAP[$n.permits]}"
}

# run_wrk NAME SECONDS: the good clients; fills RPS/P99/ERRS[NAME], wrk's report in the output
declare -A RPS P99 ERRS REQS
run_wrk() {
  local name="$1" secs="$2" f="$OUT/soak-$STAMP.wrk-$1.tmp"
  # shellcheck disable=SC2086
  wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --latency -s bench/soak-good.lua "$BASE/" -- $PATHS >"$f"
  RPS[$name]="$(awk '/^Requests\/sec:/ {print $2}' "$f")"
  P99[$name]="$(awk '$1=="99%" {print $2}' "$f")"
  REQS[$name]="$(awk '/ requests in / {print $1}' "$f")"
  # Socket errors (connect, read, write, timeout) and non-2xx answers, summed
  ERRS[$name]="$(awk '/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
                      /Non-2xx or 3xx responses:/ { n += $5 } END { print n + 0 }' "$f")"
  sed 's/^/   | /' "$f"; rm -f "$f"
}

# On a shared machine other processes' CPU use swings between phases and moves the throughput
# more than the attack does. cpu_mark NAME records the machine's busy CPU time, the demo's and
# this script's reaped children's (wrk, the bad clients); cpu_phase NAME FROM TO prints, in
# cores averaged over the phase, what each used and what everything else took (steal included).
declare -A CPU
TICKS="$(getconf CLK_TCK)"
cpu_mark() {
  CPU[$1.busy]="$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat)"
  CPU[$1.demo]="$(awk '{print $14 + $15}' "/proc/$DEMO_PID/stat")"
  CPU[$1.kids]="$(awk '{print $16 + $17}' "/proc/$$/stat")"
  CPU[$1.at]="$(date +%s.%N)"
}
cpu_phase() {
  awk -v t="$TICKS" -v s="$(awk -v a="${CPU[$2.at]}" -v b="${CPU[$3.at]}" 'BEGIN {print b - a}')" \
      -v busy=$((CPU[$3.busy] - CPU[$2.busy])) -v demo=$((CPU[$3.demo] - CPU[$2.demo])) \
      -v kids=$((CPU[$3.kids] - CPU[$2.kids])) -v name="$1" 'BEGIN {
    d = demo / t / s; k = kids / t / s; o = (busy - demo - kids) / t / s; if (o < 0) o = 0
    printf "%s: demo %.2f, wrk and bad clients %.2f, everything else %.2f\n", name, d, k, o }'
}
others() { awk -v l="$1" 'BEGIN { n = split(l, f, " "); print f[n] }'; }

# sampler: a trend line every SAMPLE_SECONDS during the soak (no GC, no jcmd: cheap)
sampler() {
  local t0=$SECONDS next=$((SECONDS + SAMPLE_SECONDS))
  while true; do
    while (( SECONDS < next )); do sleep 1; done   # short sleeps: a kill leaves no sleeper behind for long
    next=$((next + SAMPLE_SECONDS))
    printf '   t=%4ss  os threads %s  fds %s  connections/tasks/permits/loop lag max 1s ms: %s\n' \
      $((SECONDS - t0)) "$(awk '/^Threads:/ {print $2}' "/proc/$DEMO_PID/status")" \
      "$(ls "/proc/$DEMO_PID/fd" | wc -l)" "$(stats_fields connections tasksAlive permitsInUse lagMax1sMs || echo '?')"
  done
}

BAD_REPORT="$OUT/soak-$STAMP.bad.tmp"
bad_clients() {   # bad_clients SECONDS: in the background, report in $BAD_REPORT
  python3 bench/bad_clients.py --port "$DEMO_PORT" --seconds "$1" --rate "$BAD_RATE" --slowloris "$SLOWLORIS" \
    >"$BAD_REPORT" &
  BAD_PID=$!
}
bad_clients_wait() {
  wait "$BAD_PID" || die "bench/bad_clients.py failed"
  BAD_PID=""
  sed 's/^/   | /' "$BAD_REPORT"
}

# --- the run --------------------------------------------------------------------------------
echo "== warm-up ${WARMUP_SECONDS}s: wrk and the bad clients together"
bad_clients "$WARMUP_SECONDS"
run_wrk warmup "$WARMUP_SECONDS" >/dev/null
bad_clients_wait >/dev/null

echo "== baseline ${BASELINE_SECONDS}s: wrk alone"
wait_quiet
cpu_mark baseline_from
run_wrk baseline "$BASELINE_SECONDS"
cpu_mark baseline_to

echo "== start snapshot"
snapshot start

echo "== soak ${SOAK_SECONDS}s: wrk while the bad clients attack"
sampler & SAMPLER_PID=$!
cpu_mark soak_from
bad_clients "$SOAK_SECONDS"
run_wrk soak "$SOAK_SECONDS"
bad_clients_wait
cpu_mark soak_to
BAD_LINE="$(tail -n1 "$BAD_REPORT")"; rm -f "$BAD_REPORT"
kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""

echo "== end snapshot"
snapshot end

kill -TERM "$DEMO_PID"
DEMO_EXIT=0; wait "$DEMO_PID" || DEMO_EXIT=$?
DEMO_PID=""
echo "== demo stopped with SIGTERM: exit status $DEMO_EXIT, last log line: $(tail -n1 "$SERVER_LOG")"

# --- summary and verdict ----------------------------------------------------------------------
bad_value() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$BAD_LINE"; }
BAD_TOTAL="$(bad_value total)"; BAD_HUNG="$(bad_value hung)"; BAD_ERRORS="$(bad_value errors)"
BAD_CPU="$(bad_value cpu_seconds)"
RATIO="$(awk -v s="${RPS[soak]:-0}" -v b="${RPS[baseline]:-0}" 'BEGIN { if (b > 0) printf "%.2f", s / b; else print "0" }')"

CPU_BASELINE="$(cpu_phase baseline baseline_from baseline_to)"
CPU_SOAK="$(cpu_phase soak soak_from soak_to)"

FAILED=0
declare -a ROWS
# check NAME START END ALLOWED_GROWTH: a row of the table, and a failure when END > START + ALLOWED
check() {
  local ok=ok
  if (( $3 > $2 + $4 )); then ok=FAIL; FAILED=1; fi
  ROWS+=("| $1 | $2 | $3 | $(( $3 - $2 )) | +$4 | $ok |")
}
info() { ROWS+=("| $1 | $2 | $3 | $(( $3 - $2 )) | (not checked) | |"); }

check "heap used after a full GC (KiB)" "${SNAP[start.heap_kib]}" "${SNAP[end.heap_kib]}" $((HEAP_SLACK_MIB * 1024))
check "JVM threads, the demo's worker pool aside" "${SNAP[start.jvm_threads]}" "${SNAP[end.jvm_threads]}" "$THREAD_SLACK"
info "worker-pool threads (cached pool: idle ones expire after 60 s)" "${SNAP[start.workers]}" "${SNAP[end.workers]}"
info "OS threads of the process (/proc)" "${SNAP[start.os_threads]}" "${SNAP[end.os_threads]}"
check "open file descriptors" "${SNAP[start.fds]}" "${SNAP[end.fds]}" "$FD_SLACK"
check "connections (/stats; 1 = the /stats request)" "${SNAP[start.connections]}" "${SNAP[end.connections]}" 0
check "requests in flight (/stats)" "${SNAP[start.in_flight]}" "${SNAP[end.in_flight]}" 0
check "tasks alive on the loop (/stats)" "${SNAP[start.tasks]}" "${SNAP[end.tasks]}" 0
check "permits in use, sync+blocking+db (/stats)" "${SNAP[start.permits]}" "${SNAP[end.permits]}" 0
check "registered channels (/stats)" "${SNAP[start.channels]}" "${SNAP[end.channels]}" 0
info "timers, cancelled ones not yet purged included (/stats)" "${SNAP[start.timers]}" "${SNAP[end.timers]}"

THROUGHPUT_OK="$(awk -v r="$RATIO" -v m="$MIN_THROUGHPUT_RATIO" 'BEGIN { print (r >= m) ? "ok" : "FAIL" }')"
[[ "$THROUGHPUT_OK" == ok ]] || FAILED=1
GOOD_ERRORS_OK=ok; (( ${ERRS[soak]:-1} == 0 && ${ERRS[baseline]:-1} == 0 )) || { GOOD_ERRORS_OK=FAIL; FAILED=1; }
BAD_OK=ok; (( ${BAD_HUNG:-1} == 0 && ${BAD_ERRORS:-1} == 0 )) || { BAD_OK=FAIL; FAILED=1; }

echo
echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load now $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| good clients (wrk -t$THREADS -c$CONNS, $PATHS) | baseline, no attack (${BASELINE_SECONDS}s) | soak, under attack (${SOAK_SECONDS}s) | ratio | required | |"
echo "|---|---|---|---|---|---|"
echo "| requests/s | ${RPS[baseline]} | ${RPS[soak]} | $RATIO | >= $MIN_THROUGHPUT_RATIO | $THROUGHPUT_OK |"
echo "| p99 latency | ${P99[baseline]} | ${P99[soak]} | | | |"
echo "| errors (socket errors + non-2xx) | ${ERRS[baseline]} | ${ERRS[soak]} | | 0 | $GOOD_ERRORS_OK |"
echo
echo "CPU in cores of $(nproc), averaged over each phase: $CPU_BASELINE; $CPU_SOAK."
if awk -v a="$(others "$CPU_BASELINE")" -v b="$(others "$CPU_SOAK")" 'BEGIN { exit !(b - a > 0.25 || a - b > 0.25) }'; then
  echo "WARNING: other processes' CPU use changed by more than a quarter of a core between the"
  echo "baseline and the soak, so the throughput ratio measures the machine as much as the demo;"
  echo "run it again on a quieter machine before trusting it."
fi
echo
echo "bad clients during the soak: $BAD_TOTAL connections at $BAD_RATE/s each of random, truncated, reset + $SLOWLORIS slowloris slots;"
echo "hung (neither answered nor closed by the server within 30 s) $BAD_HUNG, unexpected client errors $BAD_ERRORS: $BAD_OK; the bad clients used ${BAD_CPU}s CPU"
echo
echo "| demo JVM, idle, after a full GC | start | end | change | allowed | |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
# What the thresholds could still detect in this run: the smallest leak per connection or request.
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) { print "n/a"; exit } v = a / b; if (v >= 10) printf "%.0f", v; else printf "%.2f", v }'; }
echo "Thresholds: start and end are both taken with the demo idle, after a full GC, so the demo's"
echo "own counters (connections, requests in flight, tasks, permits, channels) must come back"
echo "exactly. The heap may grow by ${HEAP_SLACK_MIB} MiB: idle readings after a full GC repeat to within a few"
echo "hundred KiB (compiled code and class metadata live outside the heap, and the warm-up has run"
echo "every code path), so ${HEAP_SLACK_MIB} MiB is well above noise, yet in this run a leak of"
echo "$(per $((HEAP_SLACK_MIB * 1048576)) "${BAD_TOTAL:-0}") bytes per bad connection ($BAD_TOTAL) or $(per $((HEAP_SLACK_MIB * 1048576)) "${REQS[soak]:-0}") bytes per good request (${REQS[soak]}) would exceed it."
echo "JVM threads may grow by ${THREAD_SLACK}: the JVM starts and stops JIT compiler and GC threads on its own;"
echo "the worker pool is a cached pool sized by the last minute's blocking load (not checked),"
echo "while a stuck worker would hold a permit, which is checked. Descriptors may grow by ${FD_SLACK}"
echo "(a file the JVM opens late); one leaked socket per $(per "${BAD_TOTAL:-0}" $((FD_SLACK + 1))) bad connections would exceed it."
echo
if (( FAILED )); then
  echo "VERDICT: FAIL (see the rows marked FAIL)"
else
  echo "VERDICT: PASS: nothing grew beyond noise, good clients kept $RATIO of their no-attack throughput (>= $MIN_THROUGHPUT_RATIO)"
fi
echo "(written to $RESULT)"
exit "$FAILED"
