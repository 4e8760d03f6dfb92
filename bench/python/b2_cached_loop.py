#!/usr/bin/env python3
"""Loop-using code run from a plain thread on a loop cached per thread, as loopbridge's
Bridge.runSync (RunSyncBench.runSync).

    cached_loop_run_until_complete   loop.run_until_complete(coroutine) on one kept loop
    run_sync_cached_loop_branch      the whole sync bridge a library would write: check that
                                     no loop runs here (get_running_loop raises), look up the
                                     thread's cached loop, run_until_complete on it

    python3 b2_cached_loop.py [scale]      (us/call)
"""
import asyncio
import threading

from benchlib import REPEATS, count, emit, fresh, now_ns, scale


async def returns_at_once():
    return None


_per_thread = threading.local()


def thread_loop():
    loop = getattr(_per_thread, "loop", None)
    if loop is None or loop.is_closed():
        loop = _per_thread.loop = asyncio.new_event_loop()
    return loop


def run_sync(make_coroutine):
    """Runs the coroutine to completion from sync code; refuses inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return thread_loop().run_until_complete(make_coroutine())
    raise RuntimeError("run_sync inside a running event loop")


def us_run_until_complete(loop, n):
    fresh()
    ruc = loop.run_until_complete
    t0 = now_ns()
    for _ in range(n):
        ruc(returns_at_once())
    return (now_ns() - t0) / n / 1e3


def us_run_sync(n):
    fresh()
    t0 = now_ns()
    for _ in range(n):
        run_sync(returns_at_once)
    return (now_ns() - t0) / n / 1e3


def main():
    n = count(50_000, scale())
    loop = asyncio.new_event_loop()
    try:
        us_run_until_complete(loop, count(n, 0.1))
        emit("cached_loop_run_until_complete",
             [us_run_until_complete(loop, n) for _ in range(REPEATS)], "us/call")
    finally:
        loop.close()
    us_run_sync(count(n, 0.1))
    emit("run_sync_cached_loop_branch", [us_run_sync(n) for _ in range(REPEATS)], "us/call")
    thread_loop().close()


if __name__ == "__main__":
    main()
