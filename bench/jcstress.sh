#!/usr/bin/env bash
# Runs the jcstress stress proofs of loopbridge's cross-thread core (module loopbridge-jcstress)
# and prints a summary; exits non-zero if any test saw a forbidden outcome or failed to run.
#
#   bench/jcstress.sh [quick|default] [extra jcstress args]     e.g. bench/jcstress.sh default -t Wakeup
#
# quick    (default) every test once in the JVM's default configuration, 3 short iterations:
#          about 2 minutes on 2 cores. `mvn test` runs this mode (exec in loopbridge-jcstress).
# default  jcstress's default preset: every JVM configuration it finds (interpreter, C1, C2,
#          split per-actor compilation, C2 stress flags), 5 iterations of 1 s: 584 runs, about
#          4 hours on 2 cores.
#
# Builds loopbridge-jcstress/target/jcstress.jar when a source or pom is newer than it, unless
# --classpath CP is given first (then runs jcstress from that class path; Maven does this).
# Output: jcstress-results/MODE/ (jcstress's HTML report and the full log), or --out DIR.
# The run is bounded (quick: 600 s, default: 8 h; JCSTRESS_LIMIT=seconds overrides): past it,
# the script prints the stacks of the stuck test threads and fails.
# jcstress runs a test only if the machine has a CPU per actor: on 2 CPUs the 3-actor test
# (MpscQueueStress.TwoProducersOneConsumer) is skipped, and the summary says so.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/loopbridge-jcstress/target/jcstress.jar"

die() { echo "jcstress.sh: $*" >&2; exit 2; }

CLASSPATH_ARG=""
OUT=""
while [[ "${1:-}" == --* ]]; do
  [[ $# -ge 2 ]] || die "$1 needs a value"
  case "$1" in
    --classpath) CLASSPATH_ARG="$2" ;;
    --out) OUT="$2" ;;
    *) die "unknown option $1" ;;
  esac
  shift 2
done
MODE="${1:-quick}"
[[ $# -gt 0 ]] && shift

# The forked JVMs need java.lang opened for FAST task mode (README: the mode flag). They also
# inherit the host JVM's flags: --enable-native-access below silences JDK 24+'s warning
# about jcstress's JNA (CPU affinity) in every JVM.
FLAGS="--add-opens=java.base/java.lang=ALL-UNNAMED"
case "$MODE" in
  # -jvmArgs pins a single JVM configuration (no auto-detected matrix); -sc false: no split
  # per-actor compilation modes. 3 iterations of 200 ms per test.
  quick)   MODE_ARGS=(-v -m quick -sc false -iters 3 -time 200 -jvmArgs "$FLAGS"); LIMIT=600 ;;
  default) MODE_ARGS=(-v -m default -jvmArgsPrepend "$FLAGS"); LIMIT=28800 ;;
  *) die "unknown mode '$MODE' (quick or default)" ;;
esac

source "$ROOT/bench/find-jdk.sh"
JDK="$(find_jdk)" || die "no JDK 21+ found: set JAVA_HOME, or install one under /usr/lib/jvm or ~/.jdks"

if [[ -n "$CLASSPATH_ARG" ]]; then
  RUN=(-cp "$CLASSPATH_ARG" org.openjdk.jcstress.Main)
else
  if [[ ! -f "$JAR" ]] ||
     [[ -n "$(find "$ROOT/pom.xml" "$ROOT/loopbridge-core" "$ROOT/loopbridge-jcstress" -newer "$JAR" \
              \( -name '*.java' -o -name 'pom.xml' \) -not -path '*/target/*' -print -quit 2>/dev/null)" ]]; then
    echo "== building $JAR"
    (cd "$ROOT" && JAVA_HOME="$JDK" mvn -B -q -pl loopbridge-jcstress -am package -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip)
  fi
  [[ -f "$JAR" ]] || die "build produced no $JAR"
  RUN=(-jar "$JAR")
fi

OUT="${OUT:-$ROOT/jcstress-results/$MODE}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
rm -f "$OUT"/jcstress-results-*.bin.gz "$OUT"/*.html "$OUT/jcstress.log"   # a previous run's
LOG="$OUT/jcstress.log"
echo "== jcstress $MODE on $JDK: full log in $LOG"

# jcstress writes its result blob into the working directory. A hang (a waiter nobody wakes)
# inside jcstress's own pre-run checks is not covered by its timeouts, so the run is bounded
# here: after LIMIT seconds (JCSTRESS_LIMIT overrides it) the script prints where the forked
# JVMs' test threads are stuck, ends them and fails.
LIMIT="${JCSTRESS_LIMIT:-$LIMIT}"
(cd "$OUT" && exec "$JDK/bin/java" --enable-native-access=ALL-UNNAMED "${RUN[@]}" \
    "${MODE_ARGS[@]}" -r "$OUT" "$@") >"$LOG" 2>&1 &
PID=$!
END=$((SECONDS + LIMIT))
while kill -0 "$PID" 2>/dev/null && (( SECONDS < END )); do
  sleep 2
done
if kill -0 "$PID" 2>/dev/null; then
  grep -E '^\.{6,} \[' "$LOG" | sed 's/^/   /' || true
  echo "== jcstress $MODE: TIMED OUT after ${LIMIT} s: a test hung, or the limit is too short for this mode."
  for child in $(pgrep -P "$PID" || true); do
    echo "== threads of forked JVM $child in the tests (jcmd Thread.print):"
    "$JDK/bin/jcmd" "$child" Thread.print 2>/dev/null |
      awk '/^"/ { block = $0; keep = 0; next } { block = block "\n" $0 } /io\.loopbridge\.jcstress/ { keep = 1 }
           /^$/ { if (keep) print block; keep = 0; block = "" }' || true
    kill -9 "$child" 2>/dev/null || true
  done
  kill -9 "$PID" 2>/dev/null || true
  wait "$PID" 2>/dev/null || true
  echo "== jcstress $MODE: FAILED (timed out; full log: $LOG)"
  exit 1
fi
set +e
wait "$PID"
RC=$?
set -e

# The summary: every test's outcomes across configurations (the -v listing of RUN RESULTS),
# without the forked JVMs' stderr echo, then the final tally.
awk '
  /^RUN RESULTS:/ { on = 1 }
  on && /^  VM error stream:/ { skip = 1; next }
  on && skip && /^  [A-Z]/ { skip = 0 }
  on && skip && /^\.+ \[/ { skip = 0 }
  on && /^Exception in thread/ { exit }   # the closing AssertionError repeats the failures
  on && !skip { print }
' "$LOG"
SKIPPED="$(grep -B1 'No scheduling is possible' "$LOG" | grep -oE '[0-9]+ actors' | tr '\n' ' ' || true)"
if [[ -n "$SKIPPED" ]]; then
  echo "== not run: tests of ${SKIPPED}(this machine has fewer CPUs than actors)"
fi
TALLY="$(grep -E '^\(Results: ' "$LOG" | tail -n 1 || true)"
FORBIDDEN="$(grep -c 'Observed forbidden state' "$LOG" || true)"
FAILED="$(grep -oE '^\.+ \[(FAILED|ERROR)\] [^ ]+' "$LOG" | sed 's/^\.* //' | sort -u | wc -l || true)"
echo
echo "== jcstress $MODE: ${TALLY:-no tally (see $LOG)}"
if [[ $RC -ne 0 || "$FORBIDDEN" != 0 || "$FAILED" != 0 || -z "$TALLY" ]]; then
  grep -E 'had failed|had timed out|Observed forbidden state' "$LOG" | sed 's/^/   /' || true
  echo "== jcstress $MODE: FAILED (exit $RC, forbidden outcomes: $FORBIDDEN, failed or erroneous tests: $FAILED)"
  exit 1
fi
echo "== jcstress $MODE: no forbidden outcome, no failed test"
