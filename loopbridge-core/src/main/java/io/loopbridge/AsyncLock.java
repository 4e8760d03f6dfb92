package io.loopbridge;

import java.util.ArrayDeque;

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

    private ArrayDeque<LoopFuture<Boolean>> waiters;
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
        if (!locked && noLiveWaiter()) {
            locked = true;
            return;
        }
        if (waiters == null) {
            waiters = new ArrayDeque<>();
        }
        LoopFuture<Boolean> fut = task.loop.createFuture();
        waiters.addLast(fut);
        try {
            try {
                task.await(fut);
            } finally {
                waiters.remove(fut);
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
        if (!locked && noLiveWaiter()) {
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

    private boolean noLiveWaiter() {
        if (waiters != null) {
            for (LoopFuture<Boolean> w : waiters) {
                if (!w.isCancelled()) {
                    return false;
                }
            }
        }
        return true;
    }

    private void wakeUpFirst() {
        if (waiters == null || waiters.isEmpty()) {
            return;
        }
        LoopFuture<Boolean> first = waiters.peekFirst();
        // A done head is already about to take the lock.
        if (!first.isDone()) {
            first.complete(true);
        }
    }

    /** Number of tasks waiting (diagnostics). */
    int waiterCount() {
        return waiters == null ? 0 : waiters.size();
    }

    @Override
    public String toString() {
        return "AsyncLock[" + (locked ? "locked" : "unlocked") + (waiterCount() > 0 ? ", waiters=" + waiterCount() : "") + "]";
    }
}
