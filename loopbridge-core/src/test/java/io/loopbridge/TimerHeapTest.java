package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TimerHeapTest {

    /** Owns the timers (a timer needs a loop); never started, so the heap under test is driven by hand. */
    private final SelectorEventLoop owner = (SelectorEventLoop) EventLoop.create();

    @AfterEach
    void closeOwner() {
        owner.close();
    }

    private TimerCallback timer(long when) {
        return new TimerCallback(() -> {
        }, null, owner, when);
    }

    /** Cancels as the loop does: the handle is marked, then the heap is told. */
    private static void cancel(TimerHeap heap, TimerCallback c) {
        c.cancel();
        heap.onCancel();
    }

    private static List<TimerCallback> drain(TimerHeap heap) {
        List<TimerCallback> out = new ArrayList<>();
        TimerCallback c;
        while ((c = heap.poll()) != null) {
            out.add(c);
        }
        return out;
    }

    @Test
    void anEmptyHeapHasNothingToPeekOrPoll() {
        TimerHeap heap = new TimerHeap();
        assertThat(heap.peek()).isNull();
        assertThat(heap.poll()).isNull();
        assertThat(heap.size()).isZero();
    }

    @Test
    void timersComeOutByDeadlineThenByInsertionOrder() {
        TimerHeap heap = new TimerHeap();
        TimerCallback c30 = timer(30);
        TimerCallback a10 = timer(10);
        TimerCallback b20 = timer(20);
        TimerCallback d10 = timer(10);
        TimerCallback e20 = timer(20);
        TimerCallback f10 = timer(10);
        for (TimerCallback c : List.of(c30, a10, b20, d10, e20, f10)) {
            heap.add(c);
        }
        assertThat(heap.size()).isEqualTo(6);
        assertThat(heap.peek()).isSameAs(a10);
        assertThat(heap.peek()).as("peek does not remove").isSameAs(a10);
        assertThat(drain(heap)).containsExactly(a10, d10, f10, b20, e20, c30);
        assertThat(heap.size()).isZero();
    }

    @Test
    void manyTimersWithTheSameDeadlineRunInTheOrderTheyWereScheduled() {
        TimerHeap heap = new TimerHeap();
        List<TimerCallback> scheduled = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            TimerCallback c = timer(42);
            scheduled.add(c);
            heap.add(c);
        }
        assertThat(drain(heap)).containsExactlyElementsOf(scheduled);
    }

    @Test
    void deadlinesAreComparedAsNanoTimeIsAcrossTheOverflow() {
        // The loop's clock is System.nanoTime()-like: only differences count, and they may wrap.
        TimerHeap heap = new TimerHeap();
        long base = Long.MAX_VALUE - 5;
        List<TimerCallback> inOrder = new ArrayList<>();
        for (int k = 0; k < 11; k++) {
            inOrder.add(timer(base + k)); // from k = 6 on the value is negative
        }
        List<TimerCallback> shuffled = new ArrayList<>(inOrder);
        Collections.shuffle(shuffled, new Random(7));
        shuffled.forEach(heap::add);
        assertThat(drain(heap)).containsExactlyElementsOf(inOrder);
    }

    @Test
    void cancelledTimersAreSkippedAndDroppedFromTheTop() {
        TimerHeap heap = new TimerHeap();
        TimerCallback a = timer(1);
        TimerCallback b = timer(2);
        TimerCallback c = timer(3);
        TimerCallback d = timer(4);
        for (TimerCallback t : List.of(a, b, c, d)) {
            heap.add(t);
        }
        cancel(heap, a);
        cancel(heap, c);
        assertThat(heap.size()).as("few cancelled timers stay until they reach the top").isEqualTo(4);
        assertThat(heap.peek()).isSameAs(b);
        assertThat(heap.size()).as("the cancelled top was dropped by peek").isEqualTo(3);
        assertThat(heap.poll()).isSameAs(b);
        assertThat(heap.poll()).isSameAs(d);
        assertThat(heap.poll()).isNull();
        assertThat(heap.size()).isZero();
        assertThat(a.heapIndex).isEqualTo(-1);
        assertThat(c.heapIndex).isEqualTo(-1);
    }

    @Test
    void aHeapOfOnlyCancelledTimersIsEmpty() {
        TimerHeap heap = new TimerHeap();
        List<TimerCallback> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            TimerCallback t = timer(i);
            all.add(t);
            heap.add(t);
        }
        all.forEach(t -> cancel(heap, t));
        assertThat(heap.peek()).isNull();
        assertThat(heap.poll()).isNull();
        assertThat(heap.size()).isZero();
    }

    @Test
    void whenCancelledTimersDominateTheHeapIsRebuiltWithoutThemInTheSameOrder() throws Exception {
        TimerHeap heap = new TimerHeap();
        int minCompact = minCompact();
        int n = 20 * minCompact;
        Random rnd = new Random(11);
        List<TimerCallback> live = new ArrayList<>();
        List<TimerCallback> doomed = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TimerCallback t = timer(rnd.nextInt(50)); // many equal deadlines: insertion order matters
            heap.add(t);
            (i % 10 == 0 ? live : doomed).add(t);
        }
        for (int i = 0; i < doomed.size(); i++) {
            cancel(heap, doomed.get(i));
            if (i % 10 == 0) {
                assertHeapInvariants(heap);
            }
        }
        assertHeapInvariants(heap);
        // Far fewer entries than were added: the cancelled ones were thrown away in bulk.
        assertThat(heap.size()).isLessThan(live.size() + minCompact + 1);
        for (TimerCallback t : doomed) {
            if (t.heapIndex >= 0) {
                assertThat(heapArray(heap)[t.heapIndex]).isSameAs(t);
            }
        }
        assertThat(heapArray(heap).length).as("the array shrank too").isLessThan(n / 2);
        List<TimerCallback> expected = new ArrayList<>(live);
        expected.sort(Comparator.<TimerCallback>comparingLong(t -> t.when).thenComparingLong(t -> t.seq));
        assertThat(drain(heap)).containsExactlyElementsOf(expected);
    }

    @Test
    void cancellingEverythingKeepsTheHeapSmall() throws Exception {
        TimerHeap heap = new TimerHeap();
        int minCompact = minCompact();
        List<TimerCallback> all = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            TimerCallback t = timer(i);
            all.add(t);
            heap.add(t);
        }
        all.forEach(t -> cancel(heap, t));
        assertThat(heap.size()).isLessThanOrEqualTo(minCompact);
        assertThat(heap.peek()).isNull();
        assertThat(heap.size()).isZero();
    }

    /**
     * Random adds, cancels, peeks and polls against a reference ordered by (deadline, insertion
     * order): every poll returns the very timer the reference does, and the heap never holds a
     * majority of cancelled timers beyond the compaction threshold.
     */
    @Test
    void randomOperationsMatchAReferenceQueue() throws Exception {
        int minCompact = minCompact();
        for (long seed = 1; seed <= 16; seed++) {
            Random rnd = new Random(seed);
            TimerHeap heap = new TimerHeap();
            record Ref(TimerCallback timer, long order) {
            }
            // Deadlines compared by their difference, as nanoTime values are (they may wrap).
            Comparator<Ref> byDeadline = (x, y) -> Long.signum(x.timer.when - y.timer.when);
            PriorityQueue<Ref> ref = new PriorityQueue<>(byDeadline.thenComparingLong(Ref::order));
            List<TimerCallback> cancellable = new ArrayList<>();
            long order = 0;
            long now = seed % 2 == 0 ? Long.MAX_VALUE - 100 : rnd.nextLong(); // half the runs start across the overflow
            for (int op = 0; op < 5_000; op++) {
                int kind = rnd.nextInt(10);
                if (kind < 5) {
                    TimerCallback t = timer(now + rnd.nextInt(200));
                    heap.add(t);
                    ref.add(new Ref(t, order++));
                    cancellable.add(t);
                } else if (kind < 8) {
                    if (!cancellable.isEmpty()) {
                        TimerCallback t = cancellable.remove(rnd.nextInt(cancellable.size()));
                        if (!t.isCancelled() && t.heapIndex >= 0) {
                            cancel(heap, t);
                            ref.removeIf(r -> r.timer == t);
                        }
                    }
                } else if (kind < 9) {
                    Ref expected = ref.peek();
                    TimerCallback got = heap.peek();
                    if (got != (expected == null ? null : expected.timer)) {
                        throw new AssertionError("seed " + seed + " op " + op + ": peek gave " + got + ", expected " + expected);
                    }
                } else {
                    Ref expected = ref.poll();
                    TimerCallback got = heap.poll();
                    if (got != (expected == null ? null : expected.timer)) {
                        throw new AssertionError("seed " + seed + " op " + op + ": poll gave " + got + ", expected " + expected);
                    }
                    if (got != null) {
                        assertThat(got.heapIndex).isEqualTo(-1);
                        now = got.when; // time moves on: later timers are scheduled from the one that ran
                    }
                }
                int cancelledInside = heap.size() - ref.size();
                if (cancelledInside < 0 || (cancelledInside > minCompact && cancelledInside * 2 > heap.size())) {
                    throw new AssertionError("seed " + seed + " op " + op + ": " + cancelledInside + " of " + heap.size()
                            + " entries are cancelled timers");
                }
                if (op % 97 == 0) {
                    assertHeapInvariants(heap);
                }
            }
            List<TimerCallback> rest = new ArrayList<>();
            Ref r;
            while ((r = ref.poll()) != null) {
                rest.add(r.timer);
            }
            assertThat(drain(heap)).as("seed %d final drain", seed).containsExactlyElementsOf(rest);
            assertThat(heap.size()).isZero();
        }
    }

    // ---------------------------------------------------------------- white-box checks

    private static int minCompact() throws ReflectiveOperationException {
        Field f = TimerHeap.class.getDeclaredField("MIN_COMPACT");
        f.setAccessible(true);
        return f.getInt(null);
    }

    private static TimerCallback[] heapArray(TimerHeap heap) throws ReflectiveOperationException {
        Field f = TimerHeap.class.getDeclaredField("heap");
        f.setAccessible(true);
        return (TimerCallback[]) f.get(heap);
    }

    /** Each entry knows its index, no child is earlier than its parent, and nothing lies past the end. */
    private static void assertHeapInvariants(TimerHeap heap) throws ReflectiveOperationException {
        TimerCallback[] a = heapArray(heap);
        int size = heap.size();
        for (int i = 0; i < size; i++) {
            if (a[i].heapIndex != i) {
                throw new AssertionError("entry " + i + " has heapIndex " + a[i].heapIndex);
            }
            if (i > 0) {
                TimerCallback parent = a[(i - 1) / 2];
                boolean parentFirst = parent.when != a[i].when ? parent.when - a[i].when < 0 : parent.seq < a[i].seq;
                if (!parentFirst) {
                    throw new AssertionError("entry " + i + " (" + a[i].when + "/" + a[i].seq + ") is earlier than its parent ("
                            + parent.when + "/" + parent.seq + ")");
                }
            }
        }
        for (int i = size; i < a.length; i++) {
            if (a[i] != null) {
                throw new AssertionError("slot " + i + " past the end (size " + size + ") still holds " + a[i]);
            }
        }
    }
}
