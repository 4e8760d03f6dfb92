"""The benchmark sets: the one place to add a set.

A set names
  include  -- the JMH include regex (matched against io.loopbridge.bench.Class.method);
  python   -- the asyncio baseline scripts in shared/anchors/python to run beside it, and
              for each line they print ("name: median unit (min=.. max=.. n=..)") which
              JMH row it pairs with: the benchmark's short name (Class.method) and the
              params it must have (the impl param is never listed).

Inside a JMH result, the @Param "impl" says who ran: "loopbridge" is ours, every other
value (netty, tpe, vertx, ...) is an anchor measured in the same run. A benchmark without
an impl param is loopbridge's alone and is paired only with the Python lines mapped to it.

Whether higher is better follows from the unit (ops/s, kcallbacks/s: higher; ns/op,
us/call: lower); give `lower_is_better` on a PyLine whose unit says neither (bytes/task).
"""
from dataclasses import dataclass, field

IMPL_PARAM = "impl"
OURS = "loopbridge"


@dataclass(frozen=True)
class PyLine:
    benchmark: str                     # JMH short name, Class.method
    params: dict = field(default_factory=dict)
    lower_is_better: bool | None = None


@dataclass(frozen=True)
class PyScript:
    script: str                        # file name in shared/anchors/python
    lines: dict                        # printed name -> PyLine
    anchor: str = "asyncio"            # column label of its figures


@dataclass(frozen=True)
class BenchSet:
    include: str
    python: tuple = ()
    about: str = ""


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
    "net": BenchSet(
        about="TCP echo over loopback: round trips/s and 64 KiB chunks/s, 1 and 100 connections, vs Netty NIO",
        include=r"io\.loopbridge\.bench\.EchoBench\.",
    ),
    # Later sets follow the same shape, e.g.
    # "tasks": BenchSet(include=r"io\.loopbridge\.bench\.Task\w*Bench\.",
    #                   python=(PyScript("b7_tasks.py", {...}),)),
}
