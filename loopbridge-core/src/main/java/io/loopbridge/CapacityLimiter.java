package io.loopbridge;

/**
 * A pool of permits that bounds how many pieces of blocking work run at once (anyio's
 * CapacityLimiter): {@link Threads#toThread} takes one per call and gives it back only
 * when the work really finishes, even if the awaiting task was cancelled earlier. Size it to
 * the resource behind the work, e.g. a JDBC connection pool.
 *
 * <p>Waiters are served in FIFO order, and a permit is handed to a waiter with its wake-up,
 * so a newcomer never takes it first. A task waiting for a permit is suspended (the loop
 * keeps running); a plain thread blocks; a loop thread outside a task is refused with
 * {@link BlockingOnLoopException}.
 *
 * <p>This class is thread-safe; one limiter may be shared by many loops and threads.
 */
public final class CapacityLimiter {
    private final SpinLock lock = new SpinLock();
    private final ParkingLot waiters = new ParkingLot();
    private int total;
    private int borrowed;

    /** A limiter with {@code permits} permits (at least 1). */
    public CapacityLimiter(int permits) {
        this.total = checkPermits(permits);
    }

    private static int checkPermits(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("a CapacityLimiter needs at least 1 permit, got " + permits);
        }
        return permits;
    }

    /** The number of permits. */
    public int total() {
        lock.lock();
        try {
            return total;
        } finally {
            lock.unlock();
        }
    }

    /** The permits taken now. */
    public int borrowed() {
        lock.lock();
        try {
            return borrowed;
        } finally {
            lock.unlock();
        }
    }

    /** The permits free now. */
    public int available() {
        lock.lock();
        try {
            return Math.max(0, total - borrowed);
        } finally {
            lock.unlock();
        }
    }

    /** Changes the number of permits; growing wakes waiters at once. */
    public void setTotal(int permits) {
        checkPermits(permits);
        lock.lock();
        try {
            total = permits;
        } finally {
            lock.unlock();
        }
        grantWaiters();
    }

    /** Takes a permit without waiting; false if none is free. */
    public boolean tryAcquire() {
        lock.lock();
        try {
            if (waiters.isEmpty() && borrowed < total) {
                borrowed++;
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Takes a permit, waiting by the one rule of {@link Async#await}. */
    public void acquire() throws Exception {
        // The rule first, even when a permit is free: a call refused only sometimes is worse than one always refused.
        Waiter w = Waiter.forCaller("CapacityLimiter.acquire");
        if (tryAcquire()) {
            return;
        }
        lock.lock();
        try {
            if (waiters.isEmpty() && borrowed < total) {
                borrowed++;
                return;
            }
            waiters.join(w);
        } finally {
            lock.unlock();
        }
        try {
            w.await(Long.MAX_VALUE); // the permit comes with the wake-up
        } catch (Throwable e) {
            if (w.wasWoken()) {
                release(); // granted just as we gave up: hand it on
            } else {
                lock.lock();
                try {
                    waiters.leave(w);
                } finally {
                    lock.unlock();
                }
            }
            throw e;
        }
    }

    /** Gives a permit back, handing it to the first waiter. */
    public void release() {
        lock.lock();
        try {
            if (borrowed == 0) {
                throw new IllegalStateException("CapacityLimiter.release() without a matching acquire()");
            }
            borrowed--;
        } finally {
            lock.unlock();
        }
        grantWaiters();
    }

    /** Hands free permits to waiters in line order; a waiter that gave up meanwhile gives its permit back. */
    private void grantWaiters() {
        while (true) {
            Waiter w;
            lock.lock();
            try {
                if (borrowed >= total || (w = waiters.poll()) == null) {
                    return;
                }
                borrowed++;
            } finally {
                lock.unlock();
            }
            if (!w.wake()) {
                lock.lock();
                try {
                    borrowed--;
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "CapacityLimiter[" + borrowed + "/" + total + " borrowed, " + waiters.size() + " waiting]";
        } finally {
            lock.unlock();
        }
    }
}
