#!/usr/bin/env bash
# Compares implementations of the same JMH benchmarks in interleaved rounds, for the
# comparisons that a single block run cannot settle on a small VM: there, a hand-off between
# threads costs ~90 ns for some minutes and ~400 ns for the next (bench/run.sh prints the
# machine probe for that reason), so when one impl's fork runs minutes after another's, their
# ratio can be the machine's, not the code's. Here every round runs one short fork of each
# impl back to back, in a rotating order, and the summary gives each round's ratio to the
# reference impl and their median, min and max.
#
#   bench/interleave.sh REGEX REF,IMPL[,IMPL...] [ROUNDS] [extra JMH args]
#   e.g. bench/interleave.sh 'TaskSpawnBench' loopbridge,vthreads 6
#        bench/interleave.sh 'EchoBench.bulk' netty,loopbridge,loopbridge-portable 6 -p connections=1,100
#
# REF is the impl the others are divided by (ratio > 1: the impl does better than REF, for a
# throughput or a time alike). Each fork: INTERLEAVE_JMH (default "-f 1 -wi 2 -i 3": one fork, 2
# warm-up and 3 measured iterations of 1 s); JMH takes each option once, so the extra args must
# not repeat these. Output: bench-results/interleave/NAME/round-R.IMPL.json, and the
# summary in bench-results/interleave/NAME.md (NAME: INTERLEAVE_NAME, or the regex made safe).
#
# A/B of two builds: an impl written B:IMPL runs from the jar INTERLEAVE_JAR_B (e.g. the bench
# jar of a worktree at the old commit) and is labelled B-IMPL; the others run from this tree's.
#   INTERLEAVE_JAR_B=../old/loopbridge-bench/target/loopbridge-bench.jar \
#     bench/interleave.sh TaskSpawnBench loopbridge,B:loopbridge 4
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/bench/bench-jar.sh"
JAR="$BENCH_JAR"
die() { echo "interleave.sh: $*" >&2; exit 1; }

[[ $# -ge 2 ]] || die "usage: bench/interleave.sh REGEX REF,IMPL[,IMPL...] [ROUNDS] [extra JMH args]"
REGEX="$1"; IMPLS_CSV="$2"; shift 2
ROUNDS=6
if [[ $# -gt 0 && "$1" =~ ^[0-9]+$ ]]; then ROUNDS="$1"; shift; fi
IFS=, read -ra IMPLS <<<"$IMPLS_CSV"
[[ ${#IMPLS[@]} -ge 2 ]] || die "give a reference impl and at least one other, comma-separated"
[[ "$ROUNDS" -ge 1 ]] || die "ROUNDS must be at least 1"
NAME="${INTERLEAVE_NAME:-$(echo "$REGEX" | tr -c 'A-Za-z0-9_.-' '_')}"
JAR_B="${INTERLEAVE_JAR_B:-}"
LABELS=()
for t in "${IMPLS[@]}"; do
  if [[ "$t" == B:* ]]; then
    [[ -n "$JAR_B" && -f "$JAR_B" ]] || die "impl $t needs INTERLEAVE_JAR_B, the other build's bench jar (got '${JAR_B}')"
    LABELS+=("B-${t#B:}")
  else
    LABELS+=("$t")
  fi
done

source "$ROOT/bench/find-jdk.sh"
JDK="$(find_jdk)" || die "no JDK 21+ found: set JAVA_HOME, or install one under /usr/lib/jvm or ~/.jdks"
JAVA="$JDK/bin/java"
ensure_bench_jar "$JDK" || die "build produced no $JAR"

read -ra FORK_ARGS <<<"${INTERLEAVE_JMH:--f 1 -wi 2 -i 3}"
OUT="bench-results/interleave/$NAME"
rm -rf "$OUT"; mkdir -p "$OUT"
echo "== $REGEX: ${IMPLS[*]}, $ROUNDS rounds, on $("$JAVA" -version 2>&1 | head -n1), $(nproc) cores"
n=${#IMPLS[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  "$JAVA" -cp "$JAR" io.loopbridge.bench.MachineProbe "round $r" 2>&1 | tee -a "$OUT/machine.txt" ||
    echo "interleave.sh: the machine probe failed (the figures stand; only its line is missing)" >&2
  for ((k = 0; k < n; k++)); do
    token="${IMPLS[$(((k + r - 1) % n))]}"     # the order rotates: no impl always runs first
    impl="${token#B:}"; label="$impl"; jar="$JAR"
    if [[ "$token" == B:* ]]; then label="B-$impl"; jar="$JAR_B"; fi
    echo "== round $r/$ROUNDS: $label (load $(cut -d' ' -f1-3 /proc/loadavg))"
    # The whole JMH output goes to a log; the console gets its result lines.
    LOG="$OUT/round-$r.$label.log"
    if ! "$JAVA" -jar "$jar" "$REGEX" -p impl="$impl" "${FORK_ARGS[@]}" -foe true \
         -rf json -rff "$OUT/round-$r.$label.json" "$@" >"$LOG" 2>&1; then
      tail -n 30 "$LOG" >&2
      die "round $r, impl $label failed (whole output: $LOG)"
    fi
    grep -E '^(Benchmark|[A-Za-z]+Bench\.)' "$LOG" || true
    [[ -s "$OUT/round-$r.$label.json" ]] || die "round $r, impl $label produced no result (see $LOG)"
  done
done
python3 bench/interleave.py "$OUT" "${LABELS[@]}" | tee "bench-results/interleave/$NAME.md"
