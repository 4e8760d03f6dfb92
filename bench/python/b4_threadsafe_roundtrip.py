#!/usr/bin/env python3
"""One round trip from a plain thread to a loop running in its own thread and back, as
loopbridge's EventThread.call (EventThreadCallBench.roundTrip):

    run_coroutine_threadsafe_roundtrip_{mean,p50}
        asyncio.run_coroutine_threadsafe(coroutine, loop).result()
    call_soon_threadsafe_cf_future_roundtrip_{mean,p50}
        loop.call_soon_threadsafe(f.set_result, None); f.result()  (a concurrent.futures.Future)

mean: a repeat's total time / its round trips; p50: the median single round trip of a
repeat. Each figure is the median over the repeats.

    python3 b4_threadsafe_roundtrip.py [scale]      (us/call)
"""
import asyncio
import concurrent.futures

from benchlib import REPEATS, LoopThread, count, emit, fresh, median_us, now_ns, scale


async def returns_at_once():
    return None


def via_run_coroutine_threadsafe(loop):
    asyncio.run_coroutine_threadsafe(returns_at_once(), loop).result()


def via_call_soon_threadsafe(loop):
    f = concurrent.futures.Future()
    loop.call_soon_threadsafe(f.set_result, None)
    f.result()


def one_repeat(trip, loop, n):
    """(mean us per round trip, median us of single round trips)."""
    fresh()
    samples = [0] * n
    start = now_ns()
    for i in range(n):
        t0 = now_ns()
        trip(loop)
        samples[i] = now_ns() - t0
    return (now_ns() - start) / n / 1e3, median_us(samples)


def main():
    n = count(20_000, scale())
    with LoopThread("EventThread") as loop:
        for name, trip in (("run_coroutine_threadsafe_roundtrip", via_run_coroutine_threadsafe),
                           ("call_soon_threadsafe_cf_future_roundtrip", via_call_soon_threadsafe)):
            one_repeat(trip, loop, count(n, 0.1))
            results = [one_repeat(trip, loop, n) for _ in range(REPEATS)]
            emit(name + "_mean", [mean for mean, _ in results], "us/call")
            emit(name + "_p50", [p50 for _, p50 in results], "us/call")


if __name__ == "__main__":
    main()
