#!/usr/bin/env python3
"""Tasks: how fast they are made and finished, and what a suspended one costs.

    tasks_create_gather_throughput (ktasks/s)
        N tasks of a coroutine that returns at once, made with loop.create_task and
        awaited with asyncio.gather, as loopbridge's createTask + Async.gather
        (TaskSpawnBench.spawnComplete)
    tasks_taskgroup_throughput (ktasks/s)
        the same with asyncio.TaskGroup, for reference
    suspended_task_memory_{rss,tracemalloc}_N100000 (bytes/task)
        100,000 tasks all suspended in `await event.wait()` on one asyncio.Event, as
        loopbridge's SuspendedTaskMemory: the growth of the process's resident set, and of
        tracemalloc's traced memory, divided by N. Each repeat in a fresh interpreter. The
        figure holds the task, its coroutine frame, the Event's waiter future and the
        slots that hold them. N does not scale, so the figure stays comparable.

    python3 b7_tasks.py [scale]
"""
import asyncio
import os
import subprocess
import sys

from benchlib import REPEATS, count, emit, fresh, now_ns, scale

PARKED = 100_000
CHILD = "--parked-child"


async def returns_at_once():
    return None


async def gathered(n):
    fresh()
    make = asyncio.get_running_loop().create_task
    t0 = now_ns()
    tasks = [make(returns_at_once()) for _ in range(n)]
    await asyncio.gather(*tasks)
    return n / ((now_ns() - t0) / 1e9)


async def task_group(n):
    fresh()
    t0 = now_ns()
    async with asyncio.TaskGroup() as group:
        make = group.create_task
        for _ in range(n):
            make(returns_at_once())
    return n / ((now_ns() - t0) / 1e9)


async def throughput(n):
    for name, rate in (("tasks_create_gather_throughput", gathered),
                       ("tasks_taskgroup_throughput", task_group)):
        await rate(count(n, 0.1))
        emit(name, [await rate(n) / 1e3 for _ in range(REPEATS)], "ktasks/s")


# --- memory per suspended task: runs in a child interpreter ------------------------------

def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def parked(gate):
    await gate.wait()


async def bytes_per_parked_task(how, n):
    """Child side: the memory growth while n tasks are suspended, / n."""
    import tracemalloc
    gate = asyncio.Event()
    make = asyncio.get_running_loop().create_task
    warm = [make(parked(gate)) for _ in range(1_000)]   # allocator and code paths warm
    await asyncio.sleep(0)
    gate.set()
    await asyncio.gather(*warm)
    gate.clear()
    del warm
    fresh()
    if how == "tracemalloc":
        tracemalloc.start()
        measure = lambda: tracemalloc.get_traced_memory()[0]  # noqa: E731
    else:
        measure = resident_bytes
    before = measure()
    tasks = [make(parked(gate)) for _ in range(n)]
    await asyncio.sleep(0)            # each task runs up to its await and suspends there
    during = measure()
    if len(gate._waiters) != n or any(t.done() for t in tasks):
        raise SystemExit(f"b7 child: {len(gate._waiters)} of {n} tasks suspended")
    gate.set()
    await asyncio.gather(*tasks)
    print((during - before) / n)


def memory():
    for how in ("rss", "tracemalloc"):
        figures = []
        for _ in range(REPEATS):
            out = subprocess.run([sys.executable, __file__, CHILD, how, str(PARKED)],
                                 check=True, capture_output=True, text=True).stdout
            figures.append(float(out))
        emit(f"suspended_task_memory_{how}_N{PARKED}", figures, "bytes/task", digits=0)


if __name__ == "__main__":
    if sys.argv[1:2] == [CHILD]:
        asyncio.run(bytes_per_parked_task(sys.argv[2], int(sys.argv[3])))
    else:
        asyncio.run(throughput(count(100_000, scale())))
        memory()
