#!/usr/bin/env python3
"""Cross-thread resume latency, as loopbridge's ResumeLatency main: a coroutine hands a
fresh asyncio.Future to a worker thread (through a SimpleQueue) and awaits it; the worker
reads t0 = perf_counter_ns() and calls loop.call_soon_threadsafe(fut.set_result, t0); the
sample is perf_counter_ns() on resuming minus t0.

    hot   the worker completes the future as soon as it gets it
    idle  the worker first waits 200 us (yielding the GIL), so the loop is asleep in its
          selector when the wake-up comes

Each repeat takes the p50 (statistics.median) and p99 (nearest rank from below) of its
samples (20,000; idle: 5,000 at scale 1); a figure is the median over the repeats.

    python3 b8_resume_latency.py [scale]
        cross_thread_resume_latency_{hot,idle}_{p50,p99} (us)
"""
import asyncio
import queue
import threading
import time

from benchlib import REPEATS, count, emit, fresh, median_us, now_ns, percentile, scale

IDLE_WAIT_NS = 200_000


def completer(inbox, loop, wait_ns):
    while (fut := inbox.get()) is not None:
        if wait_ns:
            until = now_ns() + wait_ns
            while now_ns() < until:
                time.sleep(0)           # lets the loop thread run on and go to sleep
        loop.call_soon_threadsafe(fut.set_result, now_ns())


async def one_repeat(inbox, n):
    """(p50, p99) in us of n resumes."""
    fresh()
    new_future = asyncio.get_running_loop().create_future
    samples = [0] * n
    for i in range(n):
        fut = new_future()
        inbox.put(fut)
        t0 = await fut
        samples[i] = now_ns() - t0
    samples.sort()
    return median_us(samples), percentile(samples, 99) / 1e3


async def main():
    n = count(20_000, scale())
    loop = asyncio.get_running_loop()
    for variant, wait_ns, samples in (("hot", 0, n), ("idle", IDLE_WAIT_NS, count(n, 0.25))):
        inbox = queue.SimpleQueue()
        worker = threading.Thread(target=completer, args=(inbox, loop, wait_ns), daemon=True)
        worker.start()
        try:
            await one_repeat(inbox, count(samples, 0.1))
            results = [await one_repeat(inbox, samples) for _ in range(REPEATS)]
        finally:
            inbox.put(None)
            worker.join()
        emit(f"cross_thread_resume_latency_{variant}_p50", [p50 for p50, _ in results], "us")
        emit(f"cross_thread_resume_latency_{variant}_p99", [p99 for _, p99 in results], "us")


if __name__ == "__main__":
    asyncio.run(main())
