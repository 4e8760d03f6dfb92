#!/usr/bin/env bash
# Runs one benchmark set: its JMH benchmarks (loopbridge and the JVM anchors, one run), its
# JVM main classes (what JMH cannot measure: memory, latency percentiles), and the matching
# Python asyncio baselines (bench/python), then prints a Markdown table side by side.
#
#   bench/run.sh SET [extra JMH args]      e.g. bench/run.sh cst -p producers=4 -i 10
#
# Sets are listed in bench/sets.py. Output: bench-results/SET.json (JMH),
# bench-results/SET.mains.txt (JVM mains), bench-results/SET.python.txt (baselines),
# bench-results/SET.md (the table).
# Environment: PY_SCALE (iteration scale of the Python scripts, default 1), MAIN_SCALE
# (iteration scale of the JVM mains, default 1), BENCH_REBUILD=1 (rebuild the jar even if it
# looks current), SKIP_JMH=1 / SKIP_MAINS=1 / SKIP_PY=1 (leave that part out, e.g. to check
# one part quickly; the table shows what was run). With neither JMH nor JVM mains to run,
# no JDK or jar is needed: SKIP_JMH=1 SKIP_MAINS=1 bench/run.sh SET runs only the baselines.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/bench/bench-jar.sh"          # ensure_bench_jar, and the jar's path
JAR="$BENCH_JAR"
PYDIR=bench/python                      # the asyncio baselines, relative to the repo root

die() { echo "run.sh: $*" >&2; exit 1; }

[[ $# -ge 1 ]] || die "usage: bench/run.sh SET [extra JMH args]   (sets: $(python3 -c 'import sys; sys.path.insert(0, "bench"); from sets import SETS; print(" ".join(SETS))'))"
SET="$1"; shift
INCLUDE="$(python3 bench/report.py include "$SET")" || die "unknown set '$SET'"
mapfile -t SCRIPTS < <(python3 bench/report.py scripts "$SET")
mapfile -t MAINS < <(python3 bench/report.py mains "$SET")

# A JDK and the jar only when something runs on the JVM: SKIP_JMH=1 with no mains to run
# (none in the set, or SKIP_MAINS=1) runs the Python baselines alone, with no build.
if [[ "${SKIP_JMH:-0}" == 1 && ( ${#MAINS[@]} -eq 0 || "${SKIP_MAINS:-0}" == 1 ) ]]; then
  echo "== SKIP_JMH=1 and no JVM mains to run: no JDK or jar needed"
else
  # --- a JDK 21+ (bench/find-jdk.sh) ----------------------------------------------------
  source "$ROOT/bench/find-jdk.sh"
  JDK="$(find_jdk)" || die "no JDK 21+ found: set JAVA_HOME, or install one under /usr/lib/jvm or ~/.jdks"
  JAVA="$JDK/bin/java"

  # --- the JMH jar, rebuilt when a source or pom is newer than it (bench/bench-jar.sh) -----
  ensure_bench_jar "$JDK" || die "build produced no $JAR"
fi

mkdir -p bench-results
JSON="bench-results/$SET.json"
PYOUT="bench-results/$SET.python.txt"
MAINOUT="bench-results/$SET.mains.txt"
PROBEOUT="bench-results/$SET.machine.txt"
rm -f "$JSON" "$PYOUT" "$MAINOUT" "$PROBEOUT"

# What a hand-off between threads costs on this machine right now (it changes from one JVM to
# the next on a small VM, and every cross-thread figure moves with it): printed under the table.
probe() {
  [[ "${SKIP_JMH:-0}" == 1 ]] && return 0
  "$JAVA" -cp "$JAR" io.loopbridge.bench.MachineProbe "$1" 2>&1 | tee -a "$PROBEOUT" ||
    echo "run.sh: the machine probe failed (the figures stand; only this line is missing)" >&2
}
probe "before JMH"

if [[ "${SKIP_JMH:-0}" == 1 ]]; then
  echo "== SKIP_JMH=1: no JMH run"
else
  echo "== JMH set '$SET' on $("$JAVA" -version 2>&1 | head -n1) ($JDK), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  # -foe: a benchmark that throws (lost or reordered callbacks) fails the whole run.
  "$JAVA" -jar "$JAR" "$INCLUDE" -foe true -rf json -rff "$JSON" "$@" ||
    die "JMH failed (see above); no table for set '$SET'"
fi
probe "after JMH"

FAILED=0
if [[ ${#MAINS[@]} -gt 0 && "${SKIP_MAINS:-0}" != 1 ]]; then
  echo "== JVM mains of set '$SET', scale ${MAIN_SCALE:-1}, load $(cut -d' ' -f1-3 /proc/loadavg)"
  for m in "${MAINS[@]}"; do
    read -ra WORDS <<<"$m"
    echo "# $m" | tee -a "$MAINOUT"
    # Each main in its own JVM, with the flag of loopbridge's fast task mode (as JMH's forks).
    if ! "$JAVA" --add-opens java.base/java.lang=ALL-UNNAMED -Dbench.scale="${MAIN_SCALE:-1}" \
         -cp "$JAR" "${WORDS[@]}" 2>&1 | tee -a "$MAINOUT"; then
      echo "run.sh: JVM main '$m' FAILED" >&2
      FAILED=1
    fi
  done
fi

if [[ ${#SCRIPTS[@]} -eq 0 ]]; then
  :
elif [[ "${SKIP_PY:-0}" == 1 ]]; then
  echo "== SKIP_PY=1: no Python baselines"
else
  echo "== Python asyncio baselines ($(python3 --version 2>&1)), scale ${PY_SCALE:-1}"
  for s in "${SCRIPTS[@]}"; do
    echo "# $s" | tee -a "$PYOUT"
    if ! python3 "$PYDIR/$s" "${PY_SCALE:-1}" 2>&1 | tee -a "$PYOUT"; then
      echo "run.sh: baseline $s FAILED" >&2
      FAILED=1
    fi
  done
fi

echo
echo "== set '$SET': loopbridge vs anchors (JMH: $JSON; mains: $MAINOUT; python: $PYOUT)"
{ python3 bench/report.py table "$SET" "$JSON" "$PYOUT" "$MAINOUT"
  if [[ -s "$PROBEOUT" ]]; then echo; sed 's/^/- /' "$PROBEOUT"; fi
} | tee "bench-results/$SET.md"
exit "$FAILED"
