#!/bin/bash
# Interleaved rounds of PORTABLE idle-spin variants (one jar, JVM flags select the variant).
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JAR=/work/ab/bench-spin.jar
OUT=/work/benchrun/s11/spin
declare -A V=( [yield]="-Dloopbridge.vtSpin=yield" [none]="-Dloopbridge.vtSpinMax=0" [busy]="-Dloopbridge.vtSpin=busy" [hybrid]="-Dloopbridge.vtSpin=hybrid" [busy10]="-Dloopbridge.vtSpin=busy -Dloopbridge.vtSpinMax=10000" )
ORDER=(yield none busy hybrid busy10)
for r in 1 2 3; do
  n=${#ORDER[@]}
  for k in $(seq 0 $((n-1))); do
    v=${ORDER[$(( (k + r) % n ))]}
    $J -jar $JAR 'EventThreadCallBench|ToThreadBench|TaskCrossThreadCompletionBench|TaskSpawnBench.spawnComplete' -p impl=loopbridge-portable,loopbridge -f 1 -wi 2 -i 2 -jvmArgsPrepend "${V[$v]}" -rf json -rff $OUT/r$r.$v.a.json > $OUT/r$r.$v.a.log 2>&1
    $J -jar $JAR 'RunSyncPortableBench' -p impl=loopbridge -f 1 -wi 2 -i 2 -jvmArgsPrepend "${V[$v]}" -rf json -rff $OUT/r$r.$v.b.json > $OUT/r$r.$v.b.log 2>&1
    echo "round $r $v done $(date +%T)"
  done
done
