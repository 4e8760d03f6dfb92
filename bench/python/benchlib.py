"""What every baseline script shares: its scale argument, the number of repeats, the line
format bench/report.py parses, and a loop running in a thread of its own.

A figure line is

    name: MEDIAN UNIT (min=MIN max=MAX n=REPEATS)

with name a \\w+ word, the median taken over REPEATS repeats. Other lines (headers, notes)
are free text that report.py ignores.
"""
import asyncio
import gc
import statistics
import sys
import threading
import time

REPEATS = 5


def scale():
    """The optional first argument: multiplies each script's iteration counts (default 1)."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not args:
        return 1.0
    try:
        value = float(args[0])
    except ValueError:
        sys.exit(f"usage: {sys.argv[0]} [scale]   (scale: a positive number, default 1)")
    if value <= 0:
        sys.exit(f"{sys.argv[0]}: scale must be positive, got {args[0]}")
    return value


def count(base, factor, minimum=1):
    """base iterations scaled by factor, never fewer than minimum."""
    return max(minimum, int(base * factor))


def emit(name, values, unit, digits=2):
    """Prints one figure line: the median of values, with their min and max."""
    values = list(values)
    med = statistics.median(values)
    print(f"{name}: {med:.{digits}f} {unit} "
          f"(min={min(values):.{digits}f} max={max(values):.{digits}f} n={len(values)})", flush=True)


def note(name, text):
    """Prints a line that is not a figure (report.py skips it)."""
    print(f"{name}: {text}", flush=True)


def fresh():
    """Called before each timed repeat: garbage from the previous one is not charged to it."""
    gc.collect()


def now_ns():
    return time.perf_counter_ns()


def median_us(samples_ns):
    return statistics.median(samples_ns) / 1e3


def percentile(sorted_samples, p):
    """The p-th percentile of sorted samples, nearest rank from below (as ResumeLatency's)."""
    return sorted_samples[min(len(sorted_samples) - 1, int(p / 100.0 * len(sorted_samples)))]


class LoopThread:
    """An asyncio loop in run_forever on a thread of its own, for the cross-thread figures.

        with LoopThread() as loop: ...
    """

    def __init__(self, name="asyncio-loop"):
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def __enter__(self):
        self._thread.start()
        self._started.wait()
        return self.loop

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
