#!/usr/bin/env python3
"""call_soon_threadsafe throughput: P producer threads (P = 1 and 4) hand a total of N
callbacks to one loop running in its own thread, as loopbridge's
EventLoop.callSoonThreadsafe (CallSoonThreadsafeBench.deliverBatch). Timed from the
moment the producers are released until the loop has run the last callback.

Every repeat checks that no callback was lost (count and sum of sequence numbers) and
that each producer's callbacks ran in the order it sent them; a failed check exits
non-zero.

    python3 b5_cst_throughput.py [scale]
        call_soon_threadsafe_throughput_{1,4}producer (kcallbacks/s)
"""
import threading

from benchlib import REPEATS, LoopThread, count, emit, fresh, note, now_ns, scale

PRODUCERS = (1, 4)


class Tally:
    """Counts what the loop ran; touched by the loop thread only, until finished is set."""

    def __init__(self, producers, expected):
        self.expected = expected
        self.ran = 0
        self.seq_sum = 0
        self.next_seq = [0] * producers
        self.reordered = 0
        self.finished = threading.Event()
        self.finished_ns = 0

    def callback(self, producer, seq):
        if seq != self.next_seq[producer]:
            self.reordered += 1
        self.next_seq[producer] = seq + 1
        self.seq_sum += seq
        self.ran += 1
        if self.ran == self.expected:
            self.finished_ns = now_ns()
            self.finished.set()


def callbacks_per_second(loop, producers, total):
    fresh()
    each = total // producers
    total = each * producers
    tally = Tally(producers, total)
    go = threading.Barrier(producers + 1)

    def produce(producer):
        send, callback = loop.call_soon_threadsafe, tally.callback
        go.wait()
        for seq in range(each):
            send(callback, producer, seq)

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    for t in threads:
        t.start()
    go.wait()
    released = now_ns()
    for t in threads:
        t.join()
    if not tally.finished.wait(60):
        raise SystemExit(f"b5: callbacks lost: {tally.ran} of {total} ran")
    want_sum = producers * (each * (each - 1) // 2)
    if tally.ran != total or tally.seq_sum != want_sum or tally.reordered:
        raise SystemExit(f"b5: check failed: ran {tally.ran}/{total}, sum {tally.seq_sum}/{want_sum}, "
                         f"{tally.reordered} out of order")
    return total / ((tally.finished_ns - released) / 1e9)


def main():
    total = count(400_000, scale(), minimum=8)
    with LoopThread() as loop:
        for p in PRODUCERS:
            callbacks_per_second(loop, p, max(p, total // 10))
            rates = [callbacks_per_second(loop, p, total) for _ in range(REPEATS)]
            emit(f"call_soon_threadsafe_throughput_{p}producer", [r / 1e3 for r in rates], "kcallbacks/s")
    note("call_soon_threadsafe_lost",
         f"0 callbacks ({REPEATS} repeats x {len(PRODUCERS)} producer counts checked: "
         "count, sum, per-producer order)")


if __name__ == "__main__":
    main()
