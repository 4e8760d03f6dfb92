package io.loopbridge;


/**
 * A counter of permits for the tasks of one loop (asyncio.Semaphore and, through
 * {@link #bounded(int)}, asyncio.BoundedSemaphore). {@link #acquire()} takes a permit,
 * waiting while none is free; {@link #release()} gives one back and wakes the first waiter.
 * Waiters are served in FIFO order: while any task is waiting, a newcomer waits too, even if
 * a permit was just released.
 *
 * <p>Confined to its loop's thread: it binds to the loop it is first used on; every method
 * must then be called from that loop's thread or one of its tasks, and the waiting ones
 * ({@link #acquire()}, {@link #hold()}) from a task. Any other thread gets an
 * {@link IllegalStateException} naming both threads.
 */
public final class AsyncSemaphore extends LoopBound {
    private final ParkingLot waiters = new ParkingLot();
    private int value;
    /** The initial value for a bounded semaphore, else -1. */
    private final int bound;

    /**
     * A semaphore with {@code permits} free permits; {@link #release()} may raise the count above it.
     *
     * @throws IllegalArgumentException if {@code permits} is negative
     */
    public AsyncSemaphore(int permits) {
        this(permits, -1);
    }

    private AsyncSemaphore(int permits, int bound) {
        if (permits < 0) {
            throw new IllegalArgumentException("a semaphore's initial permits must be >= 0, not " + permits);
        }
        this.value = permits;
        this.bound = bound;
    }

    /**
     * A bounded semaphore: {@link #release()} refuses, with {@link IllegalStateException}, to
     * raise the count above {@code permits} (a release without a matching acquire is a bug).
     */
    public static AsyncSemaphore bounded(int permits) {
        return new AsyncSemaphore(permits, permits);
    }

    /** Whether {@link #acquire()} would wait: no free permit, or tasks already waiting for one. */
    public boolean isLocked() {
        checkThread("AsyncSemaphore.isLocked");
        return value == 0 || waiters.hasLiveWaiter();
    }

    /** Free permits now (some may already be promised to woken waiters that have not resumed yet). */
    public int availablePermits() {
        checkThread("AsyncSemaphore.availablePermits");
        return value;
    }

    /**
     * Takes a permit, suspending the task until one is free and every earlier waiter has been
     * served. Task only.
     *
     * @throws CancelledException if the task is cancelled while waiting (no permit is taken)
     * @throws Exception          what a deadline of an enclosing {@link Async#timeout} raises
     */
    public void acquire() throws Exception {
        Task<?> task = checkTask("AsyncSemaphore.acquire");
        if (!(value == 0 || waiters.hasLiveWaiter())) {
            value--;
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
            if (w.wasWoken()) {
                // We were handed a permit but will not use it: give it back (woken below).
                value++;
            }
            throw e;
        } finally {
            // Newcomers may have queued behind us (FIFO) while permits were free: wake them.
            while (value > 0) {
                if (!wakeUpNext()) {
                    break;
                }
            }
        }
    }

    /** Takes a permit only if that needs no wait. */
    public boolean tryAcquire() {
        checkThread("AsyncSemaphore.tryAcquire");
        if (value == 0 || waiters.hasLiveWaiter()) {
            return false;
        }
        value--;
        return true;
    }

    /** {@link #acquire()}, returning a handle that releases the permit when closed. Task only. */
    public AsyncLock.Held hold() throws Exception {
        acquire();
        return new AsyncLock.Held() {
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
     * Gives a permit back and wakes the first waiter.
     *
     * @throws IllegalStateException for a {@linkplain #bounded bounded} semaphore already at its initial count
     */
    public void release() {
        checkThread("AsyncSemaphore.release");
        if (bound >= 0 && value >= bound) {
            throw new IllegalStateException("bounded AsyncSemaphore released too many times: it already has all "
                    + bound + " of its permits");
        }
        value++;
        wakeUpNext();
    }

    /** Hands a permit to the first waiter still waiting; false if there is none. */
    private boolean wakeUpNext() {
        if (waiters.wakeFirstPending()) {
            value--;
            return true;
        }
        return false;
    }

    @Override
    public String toString() {
        int n = waiters.size();
        return "AsyncSemaphore[value=" + value + (bound >= 0 ? ", bound=" + bound : "") + (n > 0 ? ", waiters=" + n : "") + "]";
    }
}
