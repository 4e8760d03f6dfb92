package io.loopbridge;

import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;

/**
 * A pool of permits that bounds how many pieces of blocking work run at once (anyio's
 * CapacityLimiter): {@link Threads#toThread} takes one per call and gives it back only
 * when the work really finishes, even if the awaiting task was cancelled earlier. Size it to
 * the resource behind the work, e.g. a JDBC connection pool.
 *
 * <p>Waiters are served in FIFO order. A task waiting for a permit is suspended (the loop
 * keeps running); a plain thread blocks; a loop thread outside a task is refused with
 * {@link BlockingOnLoopException}.
 *
 * <p>This class is thread-safe; one limiter may be shared by many loops and threads.
 */
public final class CapacityLimiter {
    private final Object lock = new Object();
    private final ArrayDeque<Object> waiters = new ArrayDeque<>();
    private int total;
    private int borrowed;

    /** A limiter with {@code permits} permits (at least 1). */
    public CapacityLimiter(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("a CapacityLimiter needs at least 1 permit, got " + permits);
        }
        this.total = permits;
    }

    public int total() {
        synchronized (lock) {
            return total;
        }
    }

    public int borrowed() {
        synchronized (lock) {
            return borrowed;
        }
    }

    public int available() {
        synchronized (lock) {
            return Math.max(0, total - borrowed);
        }
    }

    /** Changes the number of permits; growing wakes waiters at once. */
    public void setTotal(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("a CapacityLimiter needs at least 1 permit, got " + permits);
        }
        synchronized (lock) {
            total = permits;
            grantWaiters();
        }
    }

    /** Takes a permit without waiting; false if none is free. */
    public boolean tryAcquire() {
        synchronized (lock) {
            if (waiters.isEmpty() && borrowed < total) {
                borrowed++;
                return true;
            }
            return false;
        }
    }

    /** Takes a permit, waiting by the one rule of {@link Async#await}. */
    public void acquire() throws Exception {
        Scope s = Scope.current();
        if (s == null || s.task == null) {
            // Refused even when a permit is free: a call refused only sometimes is worse than one always refused.
            Awaiting.checkMayBlock("CapacityLimiter.acquire", s);
        }
        if (tryAcquire()) {
            return;
        }
        if (s != null && s.task != null) {
            LoopFuture<Void> f = s.loop.createFuture();
            synchronized (lock) {
                if (waiters.isEmpty() && borrowed < total) {
                    borrowed++;
                    return;
                }
                waiters.add(f);
            }
            try {
                s.task.await(f);
            } catch (Throwable e) {
                synchronized (lock) {
                    waiters.remove(f);
                    if (f.isDone() && !f.isCancelled()) {
                        // The permit was granted just as we were cancelled: hand it on.
                        releaseLocked();
                    }
                }
                throw e;
            }
            return;
        }
        Thread me = Thread.currentThread();
        Object[] slot = {me};
        synchronized (lock) {
            if (waiters.isEmpty() && borrowed < total) {
                borrowed++;
                return;
            }
            waiters.add(slot);
        }
        while (true) {
            synchronized (lock) {
                if (slot[0] == null) {
                    return;
                }
            }
            LockSupport.park(this);
            if (Thread.interrupted()) {
                synchronized (lock) {
                    if (slot[0] == null) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    waiters.remove(slot);
                }
                throw new InterruptedException("interrupted while waiting for a CapacityLimiter permit");
            }
        }
    }

    /** Gives a permit back, waking the first waiter. */
    public void release() {
        synchronized (lock) {
            if (borrowed == 0) {
                throw new IllegalStateException("CapacityLimiter.release() without a matching acquire()");
            }
            releaseLocked();
        }
    }

    private void releaseLocked() {
        borrowed--;
        grantWaiters();
    }

    @SuppressWarnings("unchecked")
    private void grantWaiters() {
        while (borrowed < total && !waiters.isEmpty()) {
            Object w = waiters.poll();
            if (w instanceof LoopFuture<?> f) {
                if (((LoopFuture<Void>) f).complete(null)) {
                    borrowed++;
                }
            } else {
                Object[] slot = (Object[]) w;
                Thread t = (Thread) slot[0];
                slot[0] = null;
                borrowed++;
                LockSupport.unpark(t);
            }
        }
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "CapacityLimiter[" + borrowed + "/" + total + " borrowed, " + waiters.size() + " waiting]";
        }
    }
}
