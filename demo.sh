#!/usr/bin/env bash
# Builds (when needed) and starts the loopbridge demo service on http://127.0.0.1:8080/.
#
#   ./demo.sh [--port 8080] [--host 127.0.0.1] [--db mem | JDBC-URL] [--help]
#
# Needs Maven and a JDK 21+ somewhere (JAVA_HOME, /usr/lib/jvm or ~/.jdks); the default `java`
# may be older. The embedded H2 database is created under ./loopbridge-demo-data on first start.
# Ctrl-C stops it gracefully. DEMO_REBUILD=1 forces a rebuild.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
JAR=loopbridge-demo/target/loopbridge-demo.jar

die() { echo "demo.sh: $*" >&2; exit 1; }

# --- a JDK 21+ (bench/find-jdk.sh) ----------------------------------------------------
source "$ROOT/bench/find-jdk.sh"
JDK="$(find_jdk)" || die "no JDK 21+ found: set JAVA_HOME, or install one under /usr/lib/jvm or ~/.jdks"
command -v mvn >/dev/null || die "Maven (mvn) is not installed"

# --- the demo jar, rebuilt when a source or pom is newer than it -------------------------
if [[ "${DEMO_REBUILD:-0}" == 1 || ! -f "$JAR" ]] ||
   [[ -n "$(find pom.xml loopbridge-core loopbridge-demo -newer "$JAR" \
            \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) \
            -not -path '*/target/*' -print -quit 2>/dev/null)" ]]; then
  echo "== building $JAR (first start takes a minute)" >&2
  # Maven runs on that JDK too: packaging loopbridge-core reads its module-info.class with Maven's own JVM.
  JAVA_HOME="$JDK" mvn -B -q -Dstyle.color=never -pl loopbridge-demo -am package -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip >&2 ||
    die "build failed (see above)"
fi
[[ -f "$JAR" ]] || die "build produced no $JAR"

# exec: Ctrl-C and SIGTERM go straight to the JVM, which shuts down gracefully and exits 0.
exec "$JDK/bin/java" --add-opens java.base/java.lang=ALL-UNNAMED -jar "$JAR" "$@"
