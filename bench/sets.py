"""The benchmark sets: the one place to add a set.

A set names
  include  -- the JMH include regex (matched against io.loopbridge.bench.Class.method);
  python   -- the asyncio baseline scripts in bench/python to run beside it, and
              for each line they print ("name: median unit (min=.. max=.. n=..)") which
              JMH row it pairs with: the benchmark's short name (Class.method) and the
              params it must have (the impl param is never listed);
  mains    -- JVM main classes (in the bench jar) that measure what JMH cannot (memory of a
              million parked tasks, latency percentiles of single events). bench/run.sh runs
              each in its own JVM, with --add-opens java.base/java.lang=ALL-UNNAMED, the
              main's own JVM options, and -Dbench.scale=$MAIN_SCALE; they print lines in the
              Python scripts' format;
  jvm_lines -- for each line the mains print, the row it is (a JvmLine: benchmark name,
              params and impl, as if JMH had measured it), or a tuple of rows for an anchor
              line that belongs beside several of ours;
  differences -- derived rows: ours minus one anchor of the same JMH row (e.g. a facade's
              overhead over the direct call), named "Class.method:LABEL", which Python lines
              can pair with like any row.

Inside a JMH result, the @Param "impl" says who ran: "loopbridge" is ours, and so is every
"loopbridge-VARIANT" (e.g. loopbridge-portable: the same code in PORTABLE task mode), shown
as its own rows with "impl=loopbridge-VARIANT" in the params column; every other value
(netty, tpe, vertx, vthreads, kotlin-single, ...) is an anchor measured in the same run. A
benchmark without an impl param is loopbridge's alone and is paired only with the Python
lines mapped to it.

Whether higher is better follows from the unit (ops/s, kcallbacks/s: higher; ns/op,
us/call: lower); give `lower_is_better` on a PyLine or JvmLine whose unit says neither
(bytes/task).
"""
from dataclasses import dataclass, field

IMPL_PARAM = "impl"
OURS = "loopbridge"


def is_ours(impl):
    """loopbridge itself, or a variant of it (loopbridge-portable)."""
    return impl == OURS or impl.startswith(OURS + "-")


@dataclass(frozen=True)
class PyLine:
    benchmark: str                     # JMH short name, Class.method
    params: dict = field(default_factory=dict)
    lower_is_better: bool | None = None
    anchor: str | None = None          # column label, instead of the script's


@dataclass(frozen=True)
class PyScript:
    script: str                        # file name in bench/python
    lines: dict                        # printed name -> PyLine (or a tuple of PyLines)
    anchor: str = "asyncio"            # column label of its figures


@dataclass(frozen=True)
class JvmMain:
    main: str                          # fully qualified class name in the bench jar
    args: tuple = ()
    jvm_args: tuple = ()               # besides --add-opens and -Dbench.scale


@dataclass(frozen=True)
class JvmLine:
    benchmark: str                     # a row name, Class.method, as for JMH
    params: dict = field(default_factory=dict)
    impl: str = OURS                   # ours (loopbridge[-VARIANT]) or an anchor's name
    lower_is_better: bool | None = None


@dataclass(frozen=True)
class Difference:
    benchmark: str                     # JMH short name, Class.method
    minus: str                         # the anchor impl subtracted from ours
    label: str = "overhead"            # the derived row is "Class.method:LABEL"


@dataclass(frozen=True)
class BenchSet:
    include: str
    python: tuple = ()
    about: str = ""
    mains: tuple = ()
    jvm_lines: dict = field(default_factory=dict)
    differences: tuple = ()


def _resume_lines():
    """ResumeLatency's printed names -> rows ResumeLatency.resume {future, variant, stat}."""
    lines = {}
    for variant in ("hot", "idle"):
        for stat in ("p50", "p99"):
            def row(future, impl):
                return JvmLine("ResumeLatency.resume", {"future": future, "variant": variant, "stat": stat}, impl)
            for future in ("loopfuture", "cf"):
                lines[f"resume_latency_loopbridge_{future}_{variant}_{stat}"] = row(future, OURS)
                lines[f"resume_latency_loopbridge_portable_{future}_{variant}_{stat}"] = row(
                    future, OURS + "-portable")
            # The anchors await their own kind of future: each sits beside both of ours.
            # Printed name -> impl, as the JMH benchmarks of the set name the same anchor.
            for printed, anchor in (("netty", "netty"), ("vthread", "vthread"),
                                    ("kotlin_single", "kotlin-single"),
                                    ("kotlin_runblocking", "kotlin-runblocking")):
                lines[f"resume_latency_{printed}_{variant}_{stat}"] = tuple(
                    row(future, anchor) for future in ("loopfuture", "cf"))
    return lines


SETS = {
    "cst": BenchSet(
        about="callSoonThreadsafe throughput: P producer threads -> one loop thread",
        include=r"io\.loopbridge\.bench\.CallSoonThreadsafeBench\.",
        python=(
            PyScript("b5_cst_throughput.py", {
                "call_soon_threadsafe_throughput_1producer":
                    PyLine("CallSoonThreadsafeBench.deliverBatch", {"producers": "1"}),
                "call_soon_threadsafe_throughput_4producer":
                    PyLine("CallSoonThreadsafeBench.deliverBatch", {"producers": "4"}),
            }),
        ),
    ),
    "tasks": BenchSet(
        about="tasks: spawn+complete throughput, memory per parked task, cross-thread resume latency, "
              "await of a done future (issue 3); Kotlin coroutines anchors, many tasks awaiting futures "
              "another thread completes (issue 11)",
        include=r"io\.loopbridge\.bench\.Task\w*Bench\.",
        python=(
            PyScript("b7_tasks.py", {
                "tasks_create_gather_throughput": PyLine("TaskSpawnBench.spawnComplete"),
                "suspended_task_memory_rss_N100000": PyLine(
                    "SuspendedTaskMemory.parked", lower_is_better=True, anchor="asyncio (RSS, N=100k)"),
                "suspended_task_memory_tracemalloc_N100000": PyLine(
                    "SuspendedTaskMemory.parked", lower_is_better=True, anchor="asyncio (tracemalloc, N=100k)"),
            }),
            PyScript("b8_resume_latency.py", {
                f"cross_thread_resume_latency_{variant}_{stat}":
                    PyLine("ResumeLatency.resume", {"variant": variant, "stat": stat})
                for variant in ("hot", "idle") for stat in ("p50", "p99")
            }),
            # Nearest asyncio figure for an await that does not suspend: `await native(x)`.
            PyScript("b9_smartasync.py", {
                "smartasync_async_ctx_native_await": PyLine(
                    "TaskAwaitDoneBench.awaitDone", anchor="asyncio (await coro, no suspension)"),
            }),
        ),
        mains=(
            JvmMain("io.loopbridge.bench.SuspendedTaskMemory", ("FAST",), ("-Xmx1g", "-XX:+ExitOnOutOfMemoryError")),
            JvmMain("io.loopbridge.bench.SuspendedTaskMemory", ("PORTABLE",),
                    ("-Xmx1g", "-XX:+ExitOnOutOfMemoryError")),
            JvmMain("io.loopbridge.bench.ResumeLatency"),
        ),
        jvm_lines={
            **{f"suspended_task_memory_{mode}_N{n}":
                JvmLine("SuspendedTaskMemory.parked", {"tasks": str(n)}, impl=impl, lower_is_better=True)
               for mode, impl in (("fast", OURS), ("portable", OURS + "-portable"))
               for n in (100_000, 1_000_000)},
            **_resume_lines(),
        },
    ),
    "bridges": BenchSet(
        about="sync/async bridges: EventThread.call, toThread, Bridge.runSync, SyncFacade (issue 4); "
              "loopbridge-portable and RunSyncPortableBench (a fork without the flag): the same in PORTABLE mode",
        include=r"io\.loopbridge\.bench\.(EventThreadCall|ToThread|RunSync|RunSyncPortable|SyncFacade)Bench\.",
        python=(
            PyScript("b1_asyncio_run.py", {
                "asyncio_run_trivial": (PyLine("RunSyncBench.asyncRun", anchor="asyncio.run"),
                                        PyLine("RunSyncPortableBench.asyncRun", anchor="asyncio.run")),
            }),
            PyScript("b2_cached_loop.py", {
                "cached_loop_run_until_complete": tuple(PyLine(
                    f"{c}.runSync", anchor="asyncio cached loop run_until_complete")
                    for c in ("RunSyncBench", "RunSyncPortableBench")),
                "run_sync_cached_loop_branch": tuple(PyLine(
                    f"{c}.runSync", anchor="asyncio honest run_sync (cached loop)")
                    for c in ("RunSyncBench", "RunSyncPortableBench")),
            }),
            PyScript("b4_threadsafe_roundtrip.py", {
                "run_coroutine_threadsafe_roundtrip_mean": PyLine(
                    "EventThreadCallBench.roundTrip", anchor="asyncio run_coroutine_threadsafe (mean)"),
                "run_coroutine_threadsafe_roundtrip_p50": PyLine(
                    "EventThreadCallBench.roundTrip", anchor="asyncio run_coroutine_threadsafe (p50)"),
            }),
            PyScript("b6_to_thread.py", {
                "to_thread_noop_roundtrip_mean": PyLine(
                    "ToThreadBench.roundTrips", anchor="asyncio to_thread (mean)"),
                "to_thread_noop_roundtrip_p50": PyLine(
                    "ToThreadBench.roundTrips", anchor="asyncio to_thread (p50)"),
            }),
            PyScript("b9_smartasync.py", {
                "smartasync_async_ctx_wrapped_await": PyLine(
                    "SyncFacadeBench.call", {"ctx": "task"}, anchor="asyncio smartasync await"),
                "smartasync_async_ctx_overhead": PyLine(
                    "SyncFacadeBench.call:overhead", {"ctx": "task"}, anchor="asyncio smartasync overhead"),
                "smartasync_sync_ctx_dispatch_overhead_isolated": PyLine(
                    "SyncFacadeBench.call:overhead", {"ctx": "thread"},
                    anchor="asyncio smartasync dispatch overhead"),
            }),
        ),
        differences=(Difference("SyncFacadeBench.call", minus="direct"),),
    ),
    "flow": BenchSet(
        about="Flow streams: values/s iterated from an in-memory Flux (Flux.range, 100,000 values) through "
              "Async.iterate in a task, vs Reactor's own collectList on the same Flux (issue 13; goal: at least half)",
        include=r"io\.loopbridge\.bench\.FlowIterateBench\.",
    ),
    "net": BenchSet(
        about="TCP echo over loopback: round trips/s and 64 KiB chunks/s, 1 and 100 connections, "
              "vs Netty NIO and asyncio streams",
        include=r"io\.loopbridge\.bench\.EchoBench\.",
        python=(
            # Same work as EchoBench: 64-byte round trips, one in flight per connection; 64 KiB
            # chunks written and echoed back. One op = one round trip / one chunk.
            PyScript("b10_streams.py", {
                **{f"streams_echo_roundtrip_{n}conn": PyLine("EchoBench.roundTrip", {"connections": str(n)})
                   for n in (1, 100)},
                **{f"streams_echo_bulk_64KiB_{n}conn": PyLine("EchoBench.bulk", {"connections": str(n)})
                   for n in (1, 100)},
            }, anchor="asyncio streams"),
        ),
    ),
}
