#!/usr/bin/env python3
"""asyncio.run of a coroutine that returns at once: a new loop per call, as loopbridge's
one-shot Async.run / Runner.run(main) (RunSyncBench.asyncRun).

    python3 b1_asyncio_run.py [scale]      ->  asyncio_run_trivial (us/call)
"""
import asyncio

from benchlib import REPEATS, count, emit, fresh, now_ns, scale


async def returns_at_once():
    return None


def us_per_call(n):
    fresh()
    run = asyncio.run
    t0 = now_ns()
    for _ in range(n):
        run(returns_at_once())
    return (now_ns() - t0) / n / 1e3


def main():
    n = count(5_000, scale())
    us_per_call(count(n, 0.1))
    emit("asyncio_run_trivial", [us_per_call(n) for _ in range(REPEATS)], "us/call")


if __name__ == "__main__":
    main()
