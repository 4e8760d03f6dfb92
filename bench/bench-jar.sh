# Sourced by bench/run.sh and bench/interleave.sh (from the repository root): the JMH jar,
# rebuilt when a source or pom is newer than it, or when BENCH_REBUILD=1.
BENCH_JAR=loopbridge-bench/target/loopbridge-bench.jar

ensure_bench_jar() {   # $1: the JDK home Maven runs on; fails if no jar results
  if [[ "${BENCH_REBUILD:-0}" == 1 || ! -f "$BENCH_JAR" ]] ||
     [[ -n "$(find pom.xml loopbridge-core loopbridge-bench -newer "$BENCH_JAR" \
              \( -name '*.java' -o -name '*.kt' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) \
              -not -path '*/target/*' -print -quit 2>/dev/null)" ]]; then
    echo "== building $BENCH_JAR"
    # Maven runs on that JDK too: the jar plugin reads module-info.class with Maven's own JVM.
    JAVA_HOME="$1" mvn -B -q -pl loopbridge-bench -am package -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip
  fi
  [[ -f "$BENCH_JAR" ]]
}
