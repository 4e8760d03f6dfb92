#!/usr/bin/env python3
"""From a running loop to a worker thread and back, with a function that returns at once,
one call after the other, as loopbridge's Threads.toThread in a task
(ToThreadBench.roundTrips):

    to_thread_noop_roundtrip_{mean,p50}         await asyncio.to_thread(f)
    run_in_executor_noop_roundtrip_{mean,p50}   await loop.run_in_executor(None, f)

mean: a repeat's total time / its calls; p50: the median single call of a repeat.

    python3 b6_to_thread.py [scale]      (us/call)
"""
import asyncio

from benchlib import REPEATS, count, emit, fresh, median_us, now_ns, scale


def returns_at_once():
    return None


async def via_to_thread():
    await asyncio.to_thread(returns_at_once)


async def via_run_in_executor():
    await asyncio.get_running_loop().run_in_executor(None, returns_at_once)


async def one_repeat(trip, n):
    fresh()
    samples = [0] * n
    start = now_ns()
    for i in range(n):
        t0 = now_ns()
        await trip()
        samples[i] = now_ns() - t0
    return (now_ns() - start) / n / 1e3, median_us(samples)


async def main():
    n = count(20_000, scale())
    for name, trip in (("to_thread_noop_roundtrip", via_to_thread),
                       ("run_in_executor_noop_roundtrip", via_run_in_executor)):
        await one_repeat(trip, count(n, 0.1))
        results = [await one_repeat(trip, n) for _ in range(REPEATS)]
        emit(name + "_mean", [mean for mean, _ in results], "us/call")
        emit(name + "_p50", [p50 for _, p50 in results], "us/call")


if __name__ == "__main__":
    asyncio.run(main())
