#!/usr/bin/env python3
"""How noisy is this machine right now? Times one fixed pure-Python loop 20 times and says
how much the times spread, how much CPU the hypervisor stole meanwhile, and the load.
Run it before and after the other baselines: a wide spread or a high steal discounts them.

    python3 b0_noise.py [scale]
"""
import os
import statistics

from benchlib import count, emit, fresh, note, now_ns, scale

SAMPLES = 20


def busy(n):
    acc = 0
    for i in range(n):
        acc += i * i % 7
    return acc


def cpu_ticks():
    """(all ticks, steal ticks) from /proc/stat's cpu line; (0, 0) where there is none."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return 0, 0
    return sum(fields), fields[7] if len(fields) > 7 else 0


def main():
    n = count(1_000_000, scale())
    busy(n // 10)
    total0, steal0 = cpu_ticks()
    times_ms = []
    for _ in range(SAMPLES):
        fresh()
        t0 = now_ns()
        busy(n)
        times_ms.append((now_ns() - t0) / 1e6)
    total1, steal1 = cpu_ticks()
    emit("noise_fixed_loop_1M", times_ms, "ms")
    spread = statistics.pstdev(times_ms) / statistics.mean(times_ms) * 100
    note("noise_fixed_loop_cv", f"{spread:.2f} % ({SAMPLES} samples)")
    steal = (steal1 - steal0) / max(1, total1 - total0) * 100
    note("noise_cpu_steal", f"{steal:.2f} % (during calibration)")
    note("noise_loadavg_1m", f"{os.getloadavg()[0]:.2f} load (cores={os.cpu_count()})")


if __name__ == "__main__":
    main()
