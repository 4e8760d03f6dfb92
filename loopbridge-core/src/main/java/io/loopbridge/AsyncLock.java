package io.loopbridge;


/**
 * A mutual-exclusion lock for the tasks of one loop (asyncio.Lock). Waiters acquire it in
 * the order they asked (FIFO); a newcomer never overtakes a waiter that was already woken.
 * Like asyncio's, it has no owner: any task of the loop may release it.
 *
 * <pre>{@code
 * try (AsyncLock.Held held = lock.hold()) {   // in a task
 *     ... // no other task gets past hold() until close
 * }
 * }</pre>
 *
 * <p>Confined to its loop's thread: it binds to the loop it is first used on; every method
 * must then be called from that loop's thread or one of its tasks, and the waiting ones
 * ({@link #acquire()}, {@link #hold()}) from a task. Any other thread gets an
 * {@link IllegalStateException} naming both threads.
 */
public final class AsyncLock extends LoopBound {

    /** A held lock (or semaphore permit), released by {@link #close()}. */
    public interface Held extends AutoCloseable {
        /** Releases what was acquired. */
        @Override
        void close();
    }

    private final ParkingLot waiters = new ParkingLot();
    private boolean locked;

    /** An unlocked lock, bound to no loop yet. */
    public AsyncLock() {
    }

    /** Whether the lock is held. */
    public boolean isLocked() {
        checkThread("AsyncLock.isLocked");
        return locked;
    }

    /**
     * Acquires the lock, suspending the task until it is free and every earlier waiter has had
     * its turn. Task only.
     *
     * @throws CancelledException if the task is cancelled while waiting (the lock is not held)
     * @throws Exception          what a deadline of an enclosing {@link Async#timeout} raises
     */
    public void acquire() throws Exception {
        Task<?> task = checkTask("AsyncLock.acquire");
        if (!locked && !waiters.hasLiveWaiter()) {
            locked = true;
            return;
        }
        Waiter w = Waiter.forTask(task);
        waiters.join(w);
        try {
            try {
                w.await(Long.MAX_VALUE);
            } finally {
                waiters.leave(w);
            }
        } catch (Throwable e) {
            // Keep the invariant: if nobody holds (or is about to take) the lock, the first waiter runs.
            if (!locked) {
                wakeUpFirst();
            }
            throw e;
        }
        locked = true;
    }

    /** Acquires the lock only if that needs no wait (free and no one queued before us). */
    public boolean tryAcquire() {
        checkThread("AsyncLock.tryAcquire");
        if (!locked && !waiters.hasLiveWaiter()) {
            locked = true;
            return true;
        }
        return false;
    }

    /** {@link #acquire()}, returning a handle that releases the lock when closed. Task only. */
    public Held hold() throws Exception {
        acquire();
        return new Held() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    release();
                }
            }
        };
    }

    /**
     * Releases the lock and wakes the first waiter.
     *
     * @throws IllegalStateException if the lock is not held
     */
    public void release() {
        checkThread("AsyncLock.release");
        if (!locked) {
            throw new IllegalStateException("AsyncLock.release() of a lock that is not acquired");
        }
        locked = false;
        wakeUpFirst();
    }

    private void wakeUpFirst() {
        Waiter first = waiters.first();
        // A woken head is already about to take the lock.
        if (first != null && first.isPending()) {
            first.wake();
        }
    }

    /** Number of tasks waiting (diagnostics). */
    int waiterCount() {
        return waiters.size();
    }

    @Override
    public String toString() {
        return "AsyncLock[" + (locked ? "locked" : "unlocked") + (waiterCount() > 0 ? ", waiters=" + waiterCount() : "") + "]";
    }
}
