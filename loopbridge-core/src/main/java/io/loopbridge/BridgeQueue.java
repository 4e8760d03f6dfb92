package io.loopbridge;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * A bounded FIFO queue between threads and tasks (Python's janus queue), with
 * back-pressure both ways and {@link #close()} instead of a sentinel item.
 *
 * <p>Every waiting method follows the one rule of {@link Async#await}: inside a task of any
 * loop it suspends the task (the loop goes on running others); on a plain thread it blocks
 * that thread; on a loop's own thread outside any task it throws
 * {@link BlockingOnLoopException}. {@link #offer(Object)}, {@link #poll()} and {@link #close()}
 * never wait and may be called anywhere, loop threads included.
 *
 * <p>Closing: after {@link #close()} every put and offer fails with
 * {@link BridgeQueueClosedException}; consumers first take what was queued, then
 * {@link #take()} throws {@link BridgeQueueClosedException}, while {@link #poll()} and
 * {@link #poll(Duration)} return {@code null} without waiting ({@link #isDrained()} tells
 * "closed and empty" from "empty for now"). Producers waiting for space when the queue is
 * closed fail; their items are not queued.
 *
 * <pre>{@code
 * // consumer thread or task
 * try {
 *     while (true) handle(queue.take());
 * } catch (BridgeQueueClosedException done) {
 *     // every item put before close() was handled
 * }
 * }</pre>
 *
 * <p>Null items are refused ({@link NullPointerException}). Each item is taken exactly once; a
 * waiter that is cancelled, interrupted or times out after being woken passes its wake-up on,
 * so no item is left behind while another consumer waits.
 *
 * <p>This class is thread-safe.
 *
 * @param <T> the item type
 */
public final class BridgeQueue<T> implements AutoCloseable {
    /*
     * Design. One short critical section (a SpinLock) guards the items, the closed flag and two
     * FIFO lines of waiters (takers, putters), each a ParkingLot. A waiter is a signal, not a slot:
     * whoever adds an item (frees space) wakes the first waiter of the other line; the woken
     * waiter re-checks under the lock and may find that a newcomer took the item, in which case
     * it queues again. Items therefore never sit in a waiter, so cancelling a waiter cannot lose
     * one. Wake-ups are delivered outside the lock, and the race between a wake-up and a waiter
     * giving up (timeout, interrupt, cancellation) is decided by the Waiter: a wake-up that finds
     * its waiter gone goes to the next; a waiter woken but leaving passes it on when the condition
     * still holds. So no wake-up is lost and none is wasted on a waiter that is gone.
     */

    private final int capacity;
    // Guarded by the spin lock.
    private final ArrayDeque<T> items = new ArrayDeque<>();
    private final ParkingLot takers = new ParkingLot();
    private final ParkingLot putters = new ParkingLot();
    private final SpinLock lock = new SpinLock();
    private volatile boolean closed;

    /**
     * A queue holding at most {@code capacity} items.
     *
     * @throws IllegalArgumentException if {@code capacity < 1}
     */
    public BridgeQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("BridgeQueue capacity must be >= 1, not " + capacity);
        }
        this.capacity = capacity;
    }

    /** The most items the queue holds. */
    public int capacity() {
        return capacity;
    }

    /** Number of queued items (a snapshot). */
    public int size() {
        lock.lock();
        try {
            return items.size();
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Whether the queue is closed and every item has been taken: consumers are done. */
    public boolean isDrained() {
        lock.lock();
        try {
            return closed && items.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- producers

    /**
     * Adds {@code item}, waiting (by the one rule) while the queue is full.
     *
     * @throws BridgeQueueClosedException if the queue is closed, or closes while waiting
     * @throws InterruptedException       if a waiting thread is interrupted
     * @throws CancelledException         if a waiting task is cancelled (nothing is added)
     * @throws BlockingOnLoopException    on a loop thread outside any task
     */
    public void put(T item) throws Exception {
        offerInternal("BridgeQueue.put", item, -1);
    }

    /**
     * Adds {@code item} if there is room now; never waits.
     *
     * @return false if the queue is full
     * @throws BridgeQueueClosedException if the queue is closed
     */
    public boolean offer(T item) {
        Objects.requireNonNull(item, "item");
        Waiter wake;
        lock.lock();
        try {
            if (closed) {
                throw closedForPut("offer");
            }
            if (items.size() >= capacity) {
                return false;
            }
            items.addLast(item);
            wake = takers.poll();
        } finally {
            lock.unlock();
        }
        takers.wake(wake, lock);
        return true;
    }

    /**
     * Adds {@code item}, waiting (by the one rule) at most {@code timeout} for room; a task
     * measures the timeout on its loop's clock.
     *
     * @return false if there was no room in time
     * @throws BridgeQueueClosedException if the queue is closed, or closes while waiting
     */
    public boolean offer(T item, Duration timeout) throws Exception {
        return offerInternal("BridgeQueue.offer", item, nanos(timeout));
    }

    // ---------------------------------------------------------------- consumers

    /**
     * Removes and returns the head item, waiting (by the one rule) while the queue is empty.
     *
     * @throws BridgeQueueClosedException if the queue is closed and every item has been taken
     * @throws InterruptedException       if a waiting thread is interrupted
     * @throws CancelledException         if a waiting task is cancelled (no item is taken)
     * @throws BlockingOnLoopException    on a loop thread outside any task
     */
    public T take() throws Exception {
        T item = pollInternal("BridgeQueue.take", -1);
        if (item == null) {
            throw closedForTake();
        }
        return item;
    }

    /** Removes and returns the head item if there is one now, else null (also once drained); never waits. */
    public T poll() {
        T item;
        Waiter wake;
        lock.lock();
        try {
            item = items.pollFirst();
            if (item == null) {
                return null;
            }
            wake = putters.poll();
        } finally {
            lock.unlock();
        }
        putters.wake(wake, lock);
        return item;
    }

    /**
     * Removes and returns the head item, waiting (by the one rule) at most {@code timeout}; a
     * task measures the timeout on its loop's clock.
     *
     * @return the item, or null on timeout or once the queue is closed and drained (without waiting)
     */
    public T poll(Duration timeout) throws Exception {
        return pollInternal("BridgeQueue.poll", nanos(timeout));
    }

    // ---------------------------------------------------------------- closing

    /**
     * Closes the queue: later puts and offers fail; consumers take what is queued, then get the
     * closed signal. Wakes every waiting producer and consumer. Idempotent; never waits.
     */
    @Override
    public void close() {
        java.util.List<Waiter> wake;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            wake = takers.pollAll();
            wake.addAll(putters.pollAll());
        } finally {
            lock.unlock();
        }
        for (Waiter w : wake) {
            w.wake();
        }
    }

    // ---------------------------------------------------------------- waiting

    /** {@code nanos}: -1 waits forever, 0 never waits. */
    private boolean offerInternal(String method, T item, long nanos) throws Exception {
        Objects.requireNonNull(item, "item");
        Waiter me = nanos == 0 ? null : Waiter.forCaller(method);
        long deadline = deadline(me, nanos);
        while (true) {
            Waiter wake = null;
            lock.lock();
            try {
                if (closed) {
                    throw closedForPut(method.substring("BridgeQueue.".length()));
                }
                if (items.size() < capacity) {
                    items.addLast(item);
                    wake = takers.poll();
                    me = null;
                } else if (me == null || expired(me, deadline)) {
                    return false;
                } else {
                    putters.join(me);
                }
            } finally {
                lock.unlock();
            }
            if (me == null) {
                takers.wake(wake, lock);
                return true;
            }
            putters.await(me, deadline, lock, this::hasRoom);
            me = Waiter.forCaller(method); // a waiter waits once; a new one for the next round
        }
    }

    private T pollInternal(String method, long nanos) throws Exception {
        Waiter me = nanos == 0 ? null : Waiter.forCaller(method);
        long deadline = deadline(me, nanos);
        while (true) {
            T item;
            Waiter wake = null;
            lock.lock();
            try {
                item = items.pollFirst();
                if (item != null) {
                    wake = putters.poll();
                } else if (closed || me == null || expired(me, deadline)) {
                    return null;
                } else {
                    takers.join(me);
                }
            } finally {
                lock.unlock();
            }
            if (item != null) {
                putters.wake(wake, lock);
                return item;
            }
            takers.await(me, deadline, lock, this::hasItem);
            me = Waiter.forCaller(method);
        }
    }

    /** The deadline on the waiter's clock ({@link Long#MAX_VALUE}: none) for a wait of {@code nanos} (-1: forever). */
    private static long deadline(Waiter me, long nanos) {
        return me == null || nanos < 0 ? Long.MAX_VALUE : saturatedAdd(me.now(), nanos);
    }

    private static boolean expired(Waiter me, long deadline) {
        return deadline != Long.MAX_VALUE && me.now() - deadline >= 0;
    }

    private boolean hasRoom() {
        return items.size() < capacity || closed;
    }

    private boolean hasItem() {
        return !items.isEmpty() || closed;
    }

    // ---------------------------------------------------------------- helpers

    private static long nanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            return 0;
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private BridgeQueueClosedException closedForPut(String method) {
        return new BridgeQueueClosedException("BridgeQueue." + method + "() on a closed queue: no more items are accepted");
    }

    private BridgeQueueClosedException closedForTake() {
        return new BridgeQueueClosedException("BridgeQueue.take() on a closed queue whose items have all been taken");
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "BridgeQueue[size=" + items.size() + ", capacity=" + capacity
                    + (takers.isEmpty() ? "" : ", waiting takers=" + takers.size())
                    + (putters.isEmpty() ? "" : ", waiting putters=" + putters.size())
                    + (closed ? ", closed" : "") + "]";
        } finally {
            lock.unlock();
        }
    }
}
