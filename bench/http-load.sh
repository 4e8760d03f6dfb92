#!/usr/bin/env bash
# HTTP load on loopback with wrk: the demo service (loopbridge streams, one loop) beside a
# Vert.x 5 server (one event loop) answering the same JSON, in the same run, one after the
# other so they never share the CPU. Then, under the same load, /sync?seconds=0.05 (pool-bound:
# at most --sync-workers handlers sleep at once) beside /async?seconds=0.05 (loop-bound: every
# connection sleeps at once on the loop).
#
#   bench/http-load.sh                   DURATION=10s WARMUP=5s CONNS=100 THREADS=2 by default
#
# Installs wrk with apt-get when missing. Output: the table on stdout and in
# bench-results/http-load.md, wrk's own output in bench-results/http-load.*.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-5s}"
CONNS="${CONNS:-100}"
THREADS="${THREADS:-2}"
DEMO_PORT="${DEMO_PORT:-18080}"
VERTX_PORT="${VERTX_PORT:-18081}"
JVM_OPTS=(-Xms256m -Xmx512m)
JAR=loopbridge-demo/target/loopbridge-demo.jar
CP_FILE=loopbridge-demo/target/test-classpath.txt
OUT=bench-results

die() { echo "http-load.sh: $*" >&2; exit 1; }

# --- a JDK 21+ (bench/find-jdk.sh) ----------------------------------------------------
source "$ROOT/bench/find-jdk.sh"
JDK="$(find_jdk)" || die "no JDK 21+ found: set JAVA_HOME, or install one under /usr/lib/jvm or ~/.jdks"
JAVA="$JDK/bin/java"

# --- wrk ----------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  echo "== installing wrk (apt-get)"
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk >/dev/null || die "could not install wrk"
fi

# --- build: the demo jar and the anchor's class path --------------------------------------
echo "== building the demo jar and the Vert.x anchor"
JAVA_HOME="$JDK" mvn -B -q -pl loopbridge-demo -am package dependency:build-classpath -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt >/dev/null || die "build failed"
[[ -f "$JAR" && -f "$CP_FILE" ]] || die "build produced no $JAR / $CP_FILE"
ANCHOR_CP="loopbridge-demo/target/test-classes:loopbridge-demo/target/classes:$(cat "$CP_FILE")"

mkdir -p "$OUT"
SERVER_PID=""
stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
trap stop_server EXIT

wait_port() {   # waits up to 30 s for http://127.0.0.1:$1$2 to answer
  for _ in $(seq 300); do
    curl -fs -o /dev/null "http://127.0.0.1:$1$2" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "server exited early (see $OUT/http-load.server.log)"
    sleep 0.1
  done
  die "server on port $1 did not answer"
}

# run NAME URL: warm-up, then the measured wrk run; appends "rps p50 p99 errors" to RESULTS[NAME]
declare -A RPS P50 P99 ERRS
run_wrk() {
  local name="$1" url="$2" f="$OUT/http-load.$1.txt"
  wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "$url" >/dev/null
  wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url" >"$f"
  RPS[$name]="$(awk '/^Requests\/sec:/ {print $2}' "$f")"
  P50[$name]="$(awk '$1=="50%" {print $2}' "$f")"
  P99[$name]="$(awk '$1=="99%" {print $2}' "$f")"
  ERRS[$name]="$( (grep -E 'Non-2xx|Socket errors' "$f" || true) | tr -s ' ' | paste -sd';' -)"
  echo "   $name: ${RPS[$name]} req/s, p50 ${P50[$name]}, p99 ${P99[$name]} ${ERRS[$name]}"
}

echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $("$JAVA" -version 2>&1 | head -n1), wrk -t$THREADS -c$CONNS -d$DURATION (warm-up $WARMUP)"

echo "== loopbridge demo"
"$JAVA" "${JVM_OPTS[@]}" --add-opens java.base/java.lang=ALL-UNNAMED -jar "$JAR" --port "$DEMO_PORT" --db mem \
  --max-connections 10000 >"$OUT/http-load.server.log" 2>&1 &
SERVER_PID=$!
wait_port "$DEMO_PORT" "/stats"
run_wrk demo_async0 "http://127.0.0.1:$DEMO_PORT/async?seconds=0"
run_wrk demo_sync05 "http://127.0.0.1:$DEMO_PORT/sync?seconds=0.05"
run_wrk demo_async05 "http://127.0.0.1:$DEMO_PORT/async?seconds=0.05"
stop_server

echo "== Vert.x $(basename "$(dirname "$(tr ':' '\n' <"$CP_FILE" | grep vertx-core | head -n1)")") anchor"
"$JAVA" "${JVM_OPTS[@]}" -cp "$ANCHOR_CP" io.loopbridge.demo.VertxAnchorServer "$VERTX_PORT" >"$OUT/http-load.anchor.log" 2>&1 &
SERVER_PID=$!
wait_port "$VERTX_PORT" "/async"
run_wrk vertx_async0 "http://127.0.0.1:$VERTX_PORT/async?seconds=0"
stop_server

ratio="$(awk -v a="${RPS[demo_async0]}" -v b="${RPS[vertx_async0]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
{
  echo "| server | endpoint | connections | requests/s | p50 | p99 | errors |"
  echo "|---|---|---|---|---|---|---|"
  echo "| loopbridge demo | /async?seconds=0 | $CONNS | ${RPS[demo_async0]} | ${P50[demo_async0]} | ${P99[demo_async0]} | ${ERRS[demo_async0]:-none} |"
  echo "| Vert.x 5, 1 event loop | same JSON | $CONNS | ${RPS[vertx_async0]} | ${P50[vertx_async0]} | ${P99[vertx_async0]} | ${ERRS[vertx_async0]:-none} |"
  echo "| loopbridge demo | /sync?seconds=0.05 (pool-bound, 40 workers) | $CONNS | ${RPS[demo_sync05]} | ${P50[demo_sync05]} | ${P99[demo_sync05]} | ${ERRS[demo_sync05]:-none} |"
  echo "| loopbridge demo | /async?seconds=0.05 (loop-bound) | $CONNS | ${RPS[demo_async05]} | ${P50[demo_async05]} | ${P99[demo_async05]} | ${ERRS[demo_async05]:-none} |"
  echo
  echo "requests/s ratio loopbridge / Vert.x on /async?seconds=0: **$ratio** (goal >= 1.0)"
  echo
  echo "$(nproc) cores, wrk -t$THREADS -c$CONNS -d$DURATION after a $WARMUP warm-up, servers run one at a time, $(date -u +%Y-%m-%dT%H:%MZ)"
} | tee "$OUT/http-load.md"
