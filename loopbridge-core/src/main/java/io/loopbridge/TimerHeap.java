package io.loopbridge;

import java.util.Arrays;

/**
 * The loop's timers: a binary min-heap on (deadline, insertion order), so equal deadlines
 * run in the order they were scheduled. Cancelled timers stay in the heap until popped, but
 * when they are most of it the heap is rebuilt without them (asyncio does the same), so a
 * loop that schedules and cancels millions of timers keeps a small heap.
 *
 * <p>Confined to its loop's thread.
 */
final class TimerHeap {
    private static final int MIN_COMPACT = 100;
    private TimerCallback[] heap = new TimerCallback[16];
    private int size;
    private long nextSeq;
    /** Cancelled entries still in the heap (approximate when cancels race from other threads). */
    private int cancelled;

    int size() {
        return size;
    }

    void add(TimerCallback c) {
        c.seq = nextSeq++;
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = c;
        c.heapIndex = size;
        siftUp(size++);
    }

    /** The earliest timer, cancelled ones dropped first; null when none. */
    TimerCallback peek() {
        while (size > 0 && heap[0].isCancelled()) {
            removeTop();
            cancelled = Math.max(0, cancelled - 1);
        }
        return size == 0 ? null : heap[0];
    }

    TimerCallback poll() {
        TimerCallback c = peek();
        if (c != null) {
            removeTop();
        }
        return c;
    }

    /** Moves every timer due at {@code now} to {@code ready}, earliest first. */
    void moveDue(long now, java.util.Collection<? super TimerCallback> ready) {
        TimerCallback t;
        while ((t = peek()) != null && t.when - now <= 0) {
            removeTop();
            ready.add(t);
        }
    }

    /** How long until the earliest timer is due at {@code now} (0 if it is); -1 when there is none. */
    long timeout(long now) {
        TimerCallback next = peek();
        return next == null ? -1 : Math.max(0, next.when - now);
    }

    /**
     * How far from now a deadline may lie, either way (about 73 years): timers compare by
     * difference, which must not overflow, and one deadline far enough away to wrap would sort
     * before timers already due and hide them.
     */
    static final long MAX_DISTANCE = Long.MAX_VALUE / 4;

    /** {@code d} in nanoseconds, bounded to {@link #MAX_DISTANCE} either way (a Duration may hold far more). */
    static long nanos(java.time.Duration d) {
        try {
            return Math.max(-MAX_DISTANCE, Math.min(d.toNanos(), MAX_DISTANCE));
        } catch (ArithmeticException e) {
            return d.isNegative() ? -MAX_DISTANCE : MAX_DISTANCE;
        }
    }

    /** The deadline {@code nanos} after {@code now}, the distance bounded as {@link #bounded} does (no overflow). */
    static long after(long now, long nanos) {
        return now + Math.max(-MAX_DISTANCE, Math.min(nanos, MAX_DISTANCE));
    }

    /**
     * {@code when}, moved to at most {@link #MAX_DISTANCE} from {@code now}. A deadline computed as
     * {@code now + nanos} that overflowed still lies {@code nanos} ahead by wrap-around
     * difference, so it is moved to the far future, not the past.
     */
    static long bounded(long when, long now) {
        long d = when - now;
        if (d > MAX_DISTANCE) {
            return now + MAX_DISTANCE;
        }
        if (d < -MAX_DISTANCE) {
            return now - MAX_DISTANCE;
        }
        return when;
    }

    /**
     * {@code now + delay}, bounded: a delay too long gives a deadline about 73 years away, a
     * negative one a deadline in the past, so timers scheduled with negative delays keep their
     * deadline order, as asyncio's {@code call_later} does.
     */
    static long deadline(long now, java.time.Duration delay) {
        return after(now, nanos(delay));
    }

    void onCancel() {
        cancelled++;
        if (cancelled > MIN_COMPACT && cancelled * 2 > size) {
            compact();
        }
    }

    private void compact() {
        int n = 0;
        for (int i = 0; i < size; i++) {
            TimerCallback c = heap[i];
            if (!c.isCancelled()) {
                heap[n++] = c;
            } else {
                c.heapIndex = -1;
            }
        }
        Arrays.fill(heap, n, size, null);
        size = n;
        cancelled = 0;
        for (int i = 0; i < size; i++) {
            heap[i].heapIndex = i;
        }
        for (int i = (size >>> 1) - 1; i >= 0; i--) {
            siftDown(i);
        }
        if (heap.length > 64 && size * 4 < heap.length) {
            heap = Arrays.copyOf(heap, Math.max(16, size * 2));
        }
    }

    private void removeTop() {
        TimerCallback top = heap[0];
        top.heapIndex = -1;
        size--;
        if (size > 0) {
            heap[0] = heap[size];
            heap[0].heapIndex = 0;
            heap[size] = null;
            siftDown(0);
        } else {
            heap[0] = null;
        }
    }

    private static boolean less(TimerCallback a, TimerCallback b) {
        return a.when != b.when ? a.when - b.when < 0 : a.seq < b.seq;
    }

    private void siftUp(int i) {
        TimerCallback c = heap[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            TimerCallback pc = heap[p];
            if (!less(c, pc)) {
                break;
            }
            heap[i] = pc;
            pc.heapIndex = i;
            i = p;
        }
        heap[i] = c;
        c.heapIndex = i;
    }

    private void siftDown(int i) {
        TimerCallback c = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int l = 2 * i + 1;
            int r = l + 1;
            int m = r < size && less(heap[r], heap[l]) ? r : l;
            if (!less(heap[m], c)) {
                break;
            }
            heap[i] = heap[m];
            heap[i].heapIndex = i;
            i = m;
        }
        heap[i] = c;
        c.heapIndex = i;
    }
}
