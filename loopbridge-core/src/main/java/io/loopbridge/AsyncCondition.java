package io.loopbridge;

import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * A condition variable for the tasks of one loop (asyncio.Condition), bound to an
 * {@link AsyncLock}. A task holding the lock calls {@link #await()} to release it and wait
 * for {@link #signal()} or {@link #signalAll()} (asyncio's notify / notify_all: Java's
 * {@code Object} already owns those names); it re-acquires the lock before returning, even
 * when cancelled. Waiters are woken in FIFO order. Wake-ups may be spurious: re-check the
 * state, or use {@link #awaitUntil(BooleanSupplier)}.
 *
 * <p>Confined to its loop's thread: it binds to the loop it is first used on (and so does
 * its lock); every method must then be called from that loop's thread or one of its tasks,
 * and the waiting ones from a task. Any other thread gets an {@link IllegalStateException}
 * naming both threads.
 */
public final class AsyncCondition extends LoopBound {
    private final AsyncLock lock;
    private final ParkingLot waiters = new ParkingLot();

    /** A condition with a lock of its own. */
    public AsyncCondition() {
        this(new AsyncLock());
    }

    /** A condition bound to {@code lock} (several conditions may share one lock). */
    public AsyncCondition(AsyncLock lock) {
        this.lock = Objects.requireNonNull(lock, "lock");
    }

    /** The lock this condition is bound to. */
    public AsyncLock lock() {
        return lock;
    }

    /** Acquires the lock ({@link AsyncLock#acquire()}). Task only. */
    public void acquire() throws Exception {
        checkThread("AsyncCondition.acquire");
        lock.acquire();
    }

    /** Releases the lock ({@link AsyncLock#release()}). */
    public void release() {
        checkThread("AsyncCondition.release");
        lock.release();
    }

    /** Whether the lock is held. */
    public boolean isLocked() {
        checkThread("AsyncCondition.isLocked");
        return lock.isLocked();
    }

    /** Acquires the lock and returns a handle that releases it when closed. Task only. */
    public AsyncLock.Held hold() throws Exception {
        checkThread("AsyncCondition.hold");
        return lock.hold();
    }

    /**
     * Releases the lock, waits until signalled, and re-acquires the lock. The lock must be held.
     * If cancelled while waiting, the lock is still re-acquired before the
     * {@link CancelledException} propagates, and a signal this task received is passed on to the
     * next waiter. Task only.
     *
     * @throws IllegalStateException if the lock is not held
     * @throws Exception             what a deadline of an enclosing {@link Async#timeout} raises
     */
    public void await() throws Exception {
        Task<?> task = checkTask("AsyncCondition.await");
        if (!lock.isLocked()) {
            throw new IllegalStateException("AsyncCondition.await() without holding its lock: acquire it first");
        }
        Waiter w = Waiter.forTask(task);
        lock.release();
        try {
            try {
                waiters.join(w);
                try {
                    w.await(Long.MAX_VALUE);
                } finally {
                    waiters.leave(w);
                }
            } finally {
                // Re-acquire even when cancelled (or timed out by Async.timeout, which raises its own
                // exception instead of CancelledException); re-raise the most recent such exception.
                Exception err = null;
                while (true) {
                    try {
                        lock.acquire();
                        break;
                    } catch (Exception e) {
                        err = e;
                    }
                }
                if (err != null) {
                    throw err;
                }
            }
        } catch (Throwable e) {
            // We may have been signalled before failing: pass the signal on (a spurious wake-up at worst).
            wake(1);
            throw e;
        }
    }

    /** Waits until {@code predicate} is true (checked with the lock held); returns at once if it is. Task only. */
    public void awaitUntil(BooleanSupplier predicate) throws Exception {
        Objects.requireNonNull(predicate, "predicate");
        while (!predicate.getAsBoolean()) {
            await();
        }
    }

    /** Wakes one waiting task. The lock must be held. */
    public void signal() {
        signal(1);
    }

    /**
     * Wakes up to {@code n} waiting tasks, first-come first-woken. The lock must be held; the
     * woken tasks return from {@link #await()} once they re-acquire it.
     *
     * @throws IllegalStateException if the lock is not held
     */
    public void signal(int n) {
        checkThread("AsyncCondition.signal");
        if (!lock.isLocked()) {
            throw new IllegalStateException("AsyncCondition.signal() without holding its lock: acquire it first");
        }
        wake(n);
    }

    /** Wakes every waiting task. The lock must be held. */
    public void signalAll() {
        signal(waiters.size());
    }

    private void wake(int n) {
        waiters.wakePending(n);
    }

    @Override
    public String toString() {
        return "AsyncCondition[" + lock + (waiters.isEmpty() ? "" : ", waiters=" + waiters.size()) + "]";
    }
}
