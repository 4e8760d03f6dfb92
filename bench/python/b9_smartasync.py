#!/usr/bin/env python3
"""What a "smartasync" wrapper costs: a decorator that lets one async function be called
from both worlds. Inside a running loop it hands back the coroutine for the caller to
await; without one (get_running_loop raises) it runs it with asyncio.run. loopbridge's
counterpart is SyncFacade (SyncFacadeBench.call).

In a running loop (us/call):
    smartasync_async_ctx_native_await    await f(i), f a coroutine that returns at once
    smartasync_async_ctx_wrapped_await   await wrapped(i)
    smartasync_async_ctx_overhead        wrapped - native, repeat by repeat
    smartasync_for_loop_baseline         the bare for loop, per iteration (us/iter)
    ref_await_coro_with_sleep0           await of a coroutine that suspends once (sleep(0))
From sync code (us/call):
    smartasync_sync_ctx_wrapped_asyncio_run       wrapped(i): asyncio.run underneath
    smartasync_sync_ctx_direct_asyncio_run        asyncio.run(f(i))
    smartasync_sync_ctx_overhead                  the two above, subtracted
    smartasync_sync_ctx_dispatch_overhead_isolated  the wrapper's own dispatch, with
        asyncio.run replaced by coroutine.close() on both sides, so that the ~100 us of a
        new loop does not drown it

The pairs are timed interleaved, repeat by repeat, so that they share the machine's noise.

    python3 b9_smartasync.py [scale]
"""
import asyncio
import functools

from benchlib import REPEATS, count, emit, fresh, now_ns, scale


def dual(runner):
    """A smartasync-style decorator whose sync branch hands the coroutine to runner."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return runner(fn(*args, **kwargs))
            return fn(*args, **kwargs)
        return wrapper
    return decorate


async def native(x):
    return x


async def suspends_once(x):
    await asyncio.sleep(0)
    return x


def close_coroutine(coro):
    coro.close()


wrapped = dual(asyncio.run)(native)
wrapped_no_loop = dual(close_coroutine)(native)


def direct_run(i):
    return asyncio.run(native(i))


def direct_no_loop(i):
    return close_coroutine(native(i))


async def us_awaiting(fn, n):
    fresh()
    t0 = now_ns()
    for i in range(n):
        await fn(i)
    return (now_ns() - t0) / n / 1e3


async def us_empty_loop(n):
    fresh()
    t0 = now_ns()
    for _ in range(n):
        pass
    return (now_ns() - t0) / n / 1e3


def us_calling(fn, n):
    fresh()
    t0 = now_ns()
    for i in range(n):
        fn(i)
    return (now_ns() - t0) / n / 1e3


def interleaved(measure, first, second, n):
    """REPEATS pairs of (measure(first, n), measure(second, n)), after a warm-up of each."""
    measure(first, count(n, 0.1))
    measure(second, count(n, 0.1))
    return [(measure(first, n), measure(second, n)) for _ in range(REPEATS)]


async def in_a_loop(n):
    await us_awaiting(native, count(n, 0.1))
    await us_awaiting(wrapped, count(n, 0.1))
    native_us, wrapped_us, empty_us = [], [], []
    for _ in range(REPEATS):
        native_us.append(await us_awaiting(native, n))
        wrapped_us.append(await us_awaiting(wrapped, n))
        empty_us.append(await us_empty_loop(n))
    emit("smartasync_async_ctx_native_await", native_us, "us/call", digits=3)
    emit("smartasync_async_ctx_wrapped_await", wrapped_us, "us/call", digits=3)
    emit("smartasync_async_ctx_overhead", [w - d for w, d in zip(wrapped_us, native_us)], "us/call", digits=3)
    emit("smartasync_for_loop_baseline", empty_us, "us/iter", digits=3)
    m = count(n, 0.2)
    await us_awaiting(suspends_once, count(n, 0.01))
    emit("ref_await_coro_with_sleep0", [await us_awaiting(suspends_once, m) for _ in range(REPEATS)],
         "us/call", digits=3)


def from_sync_code(factor):
    pairs = interleaved(us_calling, wrapped, direct_run, count(5_000, factor))
    emit("smartasync_sync_ctx_wrapped_asyncio_run", [w for w, _ in pairs], "us/call")
    emit("smartasync_sync_ctx_direct_asyncio_run", [d for _, d in pairs], "us/call")
    emit("smartasync_sync_ctx_overhead", [w - d for w, d in pairs], "us/call")
    pairs = interleaved(us_calling, wrapped_no_loop, direct_no_loop, count(200_000, factor))
    emit("smartasync_sync_ctx_dispatch_overhead_isolated", [w - d for w, d in pairs], "us/call", digits=3)


def main():
    factor = scale()
    asyncio.run(in_a_loop(count(500_000, factor)))
    from_sync_code(factor)


if __name__ == "__main__":
    main()
