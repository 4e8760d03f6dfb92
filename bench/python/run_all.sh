#!/usr/bin/env bash
# Every baseline, one after the other, in the output format bench/report.py reads: a
# "# SCRIPT" line before each script's figures. b0 (machine noise) runs first and last.
#
#   bench/python/run_all.sh [scale]        e.g. run_all.sh 0.05 for a quick check
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
SCALE="${1:-1}"
echo "# $(python3 --version 2>&1), scale $SCALE, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
status=0
for script in b0_noise.py b1_asyncio_run.py b2_cached_loop.py b3_runner.py b4_threadsafe_roundtrip.py \
              b5_cst_throughput.py b6_to_thread.py b7_tasks.py b8_resume_latency.py b9_smartasync.py \
              b10_streams.py b0_noise.py; do
  echo "# $script"
  python3 "$script" "$SCALE" || { echo "run_all.sh: $script FAILED" >&2; status=1; }
done
exit "$status"
