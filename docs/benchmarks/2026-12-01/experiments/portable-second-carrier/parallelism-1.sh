#!/bin/bash
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
JAR=/work/main/loopbridge-bench/target/loopbridge-bench.jar
OUT=/work/benchrun/s11/par1
declare -A V=( [default]="-Dx=1" [par1]="-Djdk.virtualThreadScheduler.parallelism=1" )
ORDER=(default par1)
for r in 1 2 3 4; do
  for k in 0 1; do
    v=${ORDER[$(( (k + r) % 2 ))]}
    $J -jar $JAR 'TaskCrossThreadCompletionBench|TaskSpawnBench.spawnComplete' -p impl=loopbridge-portable,loopbridge -f 1 -wi 2 -i 3 -jvmArgsPrepend "${V[$v]}" -rf json -rff $OUT/r$r.$v.a.json > $OUT/r$r.$v.a.log 2>&1
    echo "round $r $v done $(date +%T)"
  done
done
