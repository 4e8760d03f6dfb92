#!/usr/bin/env python3
"""asyncio.Runner kept open and reused for a coroutine that returns at once, as
loopbridge's Runner.run on one Runner.

    python3 b3_runner.py [scale]      ->  runner_reused_run_trivial (us/call)
"""
import asyncio

from benchlib import REPEATS, count, emit, fresh, now_ns, scale


async def returns_at_once():
    return None


def us_per_call(runner, n):
    fresh()
    run = runner.run
    t0 = now_ns()
    for _ in range(n):
        run(returns_at_once())
    return (now_ns() - t0) / n / 1e3


def main():
    n = count(50_000, scale())
    with asyncio.Runner() as runner:
        us_per_call(runner, count(n, 0.1))
        emit("runner_reused_run_trivial", [us_per_call(runner, n) for _ in range(REPEATS)], "us/call")


if __name__ == "__main__":
    main()
