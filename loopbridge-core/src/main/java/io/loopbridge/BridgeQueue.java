package io.loopbridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * A bounded FIFO queue between threads and tasks (the seeds' janus queue), with
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
     * Design. One short critical section guards the items, the closed flag and two FIFO lines of
     * waiters (takers, putters). A waiter is a signal, not a slot: whoever adds an item (frees
     * space) pops the first waiter of the other line and wakes it; the woken waiter re-checks
     * under the lock and may find that a newcomer took the item, in which case it queues again.
     * Items therefore never sit in a waiter, so cancelling a waiter cannot lose one.
     *
     * A wake-up is delivered after the critical section, through a one-shot state change that
     * races the waiter's own give-up (timeout, interrupt, cancellation): a thread waiter's state
     * CAS, a task waiter's LoopFuture (complete vs cancel / timer). If the wake loses, the next
     * waiter is popped; if the waiter loses (it was woken but is leaving), it passes the wake-up
     * on when the condition still holds. So no wake-up is lost and none is wasted on a waiter that
     * is gone.
     *
     * The lock is a spin lock, not ReentrantLock or synchronized: a task and its own loop thread
     * may both use the queue, and a blocking lock can park the task (FAST mode) while the loop
     * thread queues on the same lock: the task then needs the loop thread to resume, and the loop
     * thread waits for the task. The critical section never parks and never completes a future
     * (whose monitor could park a task), so spinning is short.
     */

    private static final VarHandle LOCK;

    static {
        try {
            LOCK = MethodHandles.lookup().findVarHandle(BridgeQueue.class, "lockState", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int capacity;
    // Guarded by the spin lock.
    private final ArrayDeque<T> items = new ArrayDeque<>();
    private final ArrayDeque<Waiter> takers = new ArrayDeque<>();
    private final ArrayDeque<Waiter> putters = new ArrayDeque<>();
    private volatile boolean closed;
    @SuppressWarnings("unused") // through LOCK
    private volatile int lockState;

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
        lock();
        try {
            return items.size();
        } finally {
            unlock();
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Whether the queue is closed and every item has been taken: consumers are done. */
    public boolean isDrained() {
        lock();
        try {
            return closed && items.isEmpty();
        } finally {
            unlock();
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
        lock();
        try {
            if (closed) {
                throw closedForPut("offer");
            }
            if (items.size() >= capacity) {
                return false;
            }
            items.addLast(item);
            wake = takers.pollFirst();
        } finally {
            unlock();
        }
        wakeOne(takers, wake);
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
        lock();
        try {
            item = items.pollFirst();
            if (item == null) {
                return null;
            }
            wake = putters.pollFirst();
        } finally {
            unlock();
        }
        wakeOne(putters, wake);
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
        List<Waiter> wake;
        lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            wake = new ArrayList<>(takers.size() + putters.size());
            wake.addAll(takers);
            wake.addAll(putters);
            takers.clear();
            putters.clear();
        } finally {
            unlock();
        }
        for (Waiter w : wake) {
            w.wake();
        }
    }

    // ---------------------------------------------------------------- waiting

    /** {@code nanos}: -1 waits forever, 0 never waits. */
    private boolean offerInternal(String method, T item, long nanos) throws Exception {
        Objects.requireNonNull(item, "item");
        Waiting how = waitingFor(method, nanos);
        while (true) {
            Waiter wake;
            Waiter me;
            lock();
            try {
                if (closed) {
                    throw closedForPut(method.substring("BridgeQueue.".length()));
                }
                if (items.size() < capacity) {
                    items.addLast(item);
                    wake = takers.pollFirst();
                    me = null;
                } else if (how.expired()) {
                    return false;
                } else {
                    wake = null;
                    me = how.newWaiter();
                    putters.addLast(me);
                }
            } finally {
                unlock();
            }
            if (me == null) {
                wakeOne(takers, wake);
                return true;
            }
            how.await(me, putters, this::hasRoom);
        }
    }

    private T pollInternal(String method, long nanos) throws Exception {
        Waiting how = waitingFor(method, nanos);
        while (true) {
            T item;
            Waiter wake;
            Waiter me;
            lock();
            try {
                item = items.pollFirst();
                if (item != null) {
                    wake = putters.pollFirst();
                    me = null;
                } else if (closed || how.expired()) {
                    return null;
                } else {
                    wake = null;
                    me = how.newWaiter();
                    takers.addLast(me);
                }
            } finally {
                unlock();
            }
            if (me == null) {
                wakeOne(putters, wake);
                return item;
            }
            how.await(me, takers, this::hasItem);
        }
    }

    private boolean hasRoom() {
        return items.size() < capacity;
    }

    private boolean hasItem() {
        return !items.isEmpty();
    }

    /** Delivers a wake-up to {@code first}, or, if it is gone, to the next waiter of {@code line}. Outside the lock. */
    private void wakeOne(ArrayDeque<Waiter> line, Waiter first) {
        Waiter w = first;
        while (w != null && !w.wake()) {
            lock();
            try {
                w = line.pollFirst();
            } finally {
                unlock();
            }
        }
    }

    /** A waiter that leaves after being woken: wake the next one if what it was woken for still holds. */
    private void passOn(ArrayDeque<Waiter> line, java.util.function.BooleanSupplier condition) {
        Waiter next = null;
        lock();
        try {
            if (condition.getAsBoolean() || closed) {
                next = line.pollFirst();
            }
        } finally {
            unlock();
        }
        wakeOne(line, next);
    }

    /** Leaves {@code line} after giving up unwoken. */
    private void leave(ArrayDeque<Waiter> line, Waiter me) {
        lock();
        try {
            line.remove(me);
        } finally {
            unlock();
        }
    }

    /** How the calling context waits: a task on a loop future, a thread by parking. */
    private final class Waiting {
        final String method;
        final Task<?> task;
        final boolean nowait;
        final boolean timed;
        /** When timed: the deadline on {@link #now()}'s clock. */
        final long deadline;

        private Waiting(String method, Task<?> task, long nanos) {
            this.method = method;
            this.task = task;
            this.nowait = nanos == 0;
            this.timed = nanos > 0;
            this.deadline = timed ? saturatedAdd(now(), nanos) : 0;
        }

        long now() {
            return task != null ? task.loop.time() : System.nanoTime();
        }

        boolean expired() {
            return nowait || (timed && now() - deadline >= 0);
        }

        Waiter newWaiter() {
            return task != null ? new TaskWaiter(task.loop.createFuture()) : new ThreadWaiter(Thread.currentThread());
        }

        /** Waits until woken or the deadline; on an exception, leaves the line or passes the wake-up on. */
        void await(Waiter me, ArrayDeque<Waiter> line, java.util.function.BooleanSupplier condition) throws Exception {
            if (me instanceof TaskWaiter tw) {
                awaitTask(tw, line, condition);
            } else {
                awaitThread((ThreadWaiter) me, line, condition);
            }
        }

        private void awaitTask(TaskWaiter me, ArrayDeque<Waiter> line, java.util.function.BooleanSupplier condition)
                throws Exception {
            LoopFuture<Boolean> fut = me.future;
            TimerHandle timer = !timed ? null : task.loop.callAt(deadline, () -> fut.complete(Boolean.FALSE));
            try {
                task.await(fut);
            } catch (Throwable e) {
                fut.cancel((String) null);
                if (me.woken()) {
                    passOn(line, condition);
                } else {
                    leave(line, me);
                }
                throw e;
            } finally {
                if (timer != null) {
                    timer.cancel();
                }
            }
            if (!me.woken()) {
                leave(line, me); // the timer fired; the caller takes a last look
            }
        }

        private void awaitThread(ThreadWaiter me, ArrayDeque<Waiter> line, java.util.function.BooleanSupplier condition)
                throws InterruptedException {
            boolean interrupted = false;
            while (me.state == ThreadWaiter.WAITING) {
                if (!timed) {
                    LockSupport.park(BridgeQueue.this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    LockSupport.parkNanos(BridgeQueue.this, left);
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                    break;
                }
            }
            if (me.abandon()) {
                leave(line, me); // timed out or interrupted, unwoken; on timeout the caller takes a last look
            } else if (interrupted) {
                passOn(line, condition);
            }
            if (interrupted) {
                throw new InterruptedException(method + " interrupted in thread '" + Thread.currentThread().getName() + "'");
            }
        }
    }

    private Waiting waitingFor(String method, long nanos) {
        Scope s = Scope.current();
        Task<?> task = s == null ? null : s.task;
        if (task == null && nanos != 0) {
            Awaiting.checkMayBlock(method, s);
        }
        return new Waiting(method, task, nanos);
    }

    private abstract static class Waiter {
        /** Delivers a wake-up; false if the waiter already gave up. Any thread, outside the lock. */
        abstract boolean wake();
    }

    private static final class ThreadWaiter extends Waiter {
        static final int WAITING = 0;
        static final int WOKEN = 1;
        static final int ABANDONED = 2;
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(ThreadWaiter.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Thread thread;
        volatile int state;

        ThreadWaiter(Thread thread) {
            this.thread = thread;
        }

        @Override
        boolean wake() {
            if (STATE.compareAndSet(this, WAITING, WOKEN)) {
                LockSupport.unpark(thread);
                return true;
            }
            return false;
        }

        boolean abandon() {
            return STATE.compareAndSet(this, WAITING, ABANDONED);
        }
    }

    private static final class TaskWaiter extends Waiter {
        /** TRUE: woken; FALSE: timed out; cancelled: the task gave up. */
        final LoopFuture<Boolean> future;

        TaskWaiter(LoopFuture<Boolean> future) {
            this.future = future;
        }

        @Override
        boolean wake() {
            return future.complete(Boolean.TRUE);
        }

        boolean woken() {
            return future.rawOutcome() == Boolean.TRUE;
        }
    }

    // ---------------------------------------------------------------- helpers

    private void lock() {
        if (!LOCK.compareAndSet(this, 0, 1)) {
            lockContended();
        }
    }

    private void lockContended() {
        int spins = 0;
        while (lockState != 0 || !LOCK.compareAndSet(this, 0, 1)) {
            if (++spins < 128) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private void unlock() {
        LOCK.setRelease(this, 0);
    }

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
        lock();
        try {
            return "BridgeQueue[size=" + items.size() + ", capacity=" + capacity
                    + (takers.isEmpty() ? "" : ", waiting takers=" + takers.size())
                    + (putters.isEmpty() ? "" : ", waiting putters=" + putters.size())
                    + (closed ? ", closed" : "") + "]";
        } finally {
            unlock();
        }
    }
}
