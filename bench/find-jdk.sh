# Sourced by demo.sh, bench/run.sh and bench/http-load.sh: find_jdk prints the home of a
# JDK 21+ (JAVA_HOME if it is one, else the newest under /usr/lib/jvm and ~/.jdks) or fails.
# Maven's toolchains plugin does the same search for `mvn test`; scripts that run `java`
# (or package jars, whose plugin reads module-info with Maven's own JVM) need it too.

java_feature() {   # prints the feature release of JDK home $1 (8, 17, 21, 25, ...) or nothing
  [[ -x "$1/bin/java" ]] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \(1\.\)\{0,1\}\([0-9]*\).*/\2/p' | head -n1
}

find_jdk() {
  local v best="" best_v=0 home
  if [[ -n "${JAVA_HOME:-}" ]]; then
    v="$(java_feature "$JAVA_HOME")"
    if [[ -n "$v" && "$v" -ge 21 ]]; then echo "$JAVA_HOME"; return; fi
    echo "JAVA_HOME=$JAVA_HOME is not a JDK 21+; looking elsewhere" >&2
  fi
  for home in /usr/lib/jvm/* "$HOME"/.jdks/*; do
    [[ -d "$home" ]] || continue
    v="$(java_feature "$home")"
    if [[ -n "$v" && "$v" -gt "$best_v" ]]; then best="$home"; best_v="$v"; fi
  done
  [[ "$best_v" -ge 21 ]] || return 1
  echo "$best"
}

# Run directly (not sourced), it prints the JDK home: JAVA_HOME=$(bench/find-jdk.sh) mvn -B install
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  find_jdk
fi
