package io.loopbridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * One party waiting to be woken — a task, which suspends, or a plain thread, which parks —
 * that may give up first: a task on cancellation or timeout, a thread on timeout or
 * interrupt. The race between {@link #wake()} and giving up is decided here, once: a wake-up
 * either reaches the waiter ({@code wake()} returns true) or finds that it gave up
 * ({@code wake()} returns false, and the waker passes it on). A waiter that was woken but
 * leaves anyway (a task cancelled after its wake-up) says so through {@link #wasWoken()}, so
 * its owner passes the wake-up on. Built for {@link ParkingLot}; every blocking primitive
 * of the library is built on these two.
 *
 * <p>Thread-safety: {@link #wake()} from any thread; {@link #await} from the waiter's own
 * thread (or task), once.
 */
abstract sealed class Waiter permits Waiter.OfTask, Waiter.OfThread {

    /**
     * A waiter for the calling code, by the one rule: a task suspends, a plain thread parks;
     * a loop thread outside a task or a foreign event-loop thread is refused.
     *
     * @throws BlockingOnLoopException where waiting could stall a loop
     */
    static Waiter forCaller(String what) {
        Task<?> t = Waiting.enter(what);
        return t != null ? new OfTask(t) : new OfThread(what);
    }

    /** A waiter for {@code task} (which must be the caller when it awaits). */
    static Waiter forTask(Task<?> task) {
        return new OfTask(task);
    }

    /** Any thread: delivers the wake-up; false if the waiter gave up first. */
    abstract boolean wake();

    /**
     * Waits until woken (true) or until {@code deadline} on {@link #now()}'s clock passes
     * (false; {@link Long#MAX_VALUE}: no deadline). Throws what made it give up: a task's
     * cancellation, or {@link InterruptedException} for a thread. After false or an exception,
     * {@link #wasWoken()} tells whether a wake-up raced in anyway.
     */
    abstract boolean await(long deadline) throws Exception;

    /** Whether a wake-up reached this waiter. */
    abstract boolean wasWoken();

    /** Whether it neither was woken nor gave up yet. */
    abstract boolean isPending();

    /** Whether it gave up (cancelled, timed out, interrupted) before a wake-up reached it. */
    abstract boolean gaveUp();

    /** The clock of {@link #await}'s deadline: the loop's for a task, {@link System#nanoTime()} for a thread. */
    abstract long now();

    /** A task waits on a loop future: TRUE when woken, FALSE when timed out, cancelled when it gave up. */
    static final class OfTask extends Waiter {
        private final Task<?> task;
        private final LoopFuture<Boolean> signal;

        OfTask(Task<?> task) {
            this.task = task;
            this.signal = new LoopFuture<>(task.loop);
        }

        @Override
        boolean wake() {
            // A task done while it waits was abandoned by its closing loop (Task#abandon): its
            // body never resumes to take what the wake-up hands it (a permit, a turn in a
            // queue), so refuse it and the waker hands it to the next waiter. A wake-up racing
            // the abandonment itself can still reach the task and be lost with it; the drain
            // before the abandonment gave the task its chance to leave the line.
            if (task.isDone()) {
                return false;
            }
            return signal.complete(Boolean.TRUE);
        }

        @Override
        boolean await(long deadline) throws Exception {
            TimerHandle timer = deadline == Long.MAX_VALUE ? null
                    : task.loop.callAt(deadline, () -> signal.complete(Boolean.FALSE));
            try {
                return task.await(signal);
            } catch (Throwable e) {
                signal.cancel(); // gives up, unless the wake-up won (then wasWoken says so)
                throw e;
            } finally {
                if (timer != null) {
                    timer.cancel();
                }
            }
        }

        @Override
        boolean wasWoken() {
            return signal.rawOutcome() == Boolean.TRUE;
        }

        @Override
        boolean isPending() {
            return !signal.isDone();
        }

        @Override
        boolean gaveUp() {
            Object o = signal.rawOutcome();
            return o != null && o != Boolean.TRUE;
        }

        @Override
        long now() {
            return task.loop.time();
        }
    }

    /** A plain thread parks; one CAS decides between the wake-up and giving up. */
    static final class OfThread extends Waiter {
        private static final int WAITING = 0;
        private static final int WOKEN = 1;
        private static final int GAVE_UP = 2;
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(OfThread.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final Thread thread = Thread.currentThread();
        private final String what;
        @SuppressWarnings("unused") // through STATE
        private volatile int state;

        OfThread(String what) {
            this.what = what;
        }

        @Override
        boolean wake() {
            if (STATE.compareAndSet(this, WAITING, WOKEN)) {
                LockSupport.unpark(thread);
                return true;
            }
            return false;
        }

        @Override
        boolean await(long deadline) throws InterruptedException {
            BriefSpin.until(() -> state != WAITING, deadline);
            while (state == WAITING) {
                if (deadline == Long.MAX_VALUE) {
                    LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    LockSupport.parkNanos(this, left);
                }
                if (Thread.interrupted()) {
                    if (STATE.compareAndSet(this, WAITING, GAVE_UP)) {
                        throw new InterruptedException(what + ": interrupted while waiting, in thread '" + thread.getName() + "'");
                    }
                    Thread.currentThread().interrupt(); // woken meanwhile: the wake-up wins, the interrupt stays
                    return true;
                }
            }
            return !STATE.compareAndSet(this, WAITING, GAVE_UP); // timed out, unless woken just now
        }

        @Override
        boolean wasWoken() {
            return state == WOKEN;
        }

        @Override
        boolean isPending() {
            return state == WAITING;
        }

        @Override
        boolean gaveUp() {
            return state == GAVE_UP;
        }

        @Override
        long now() {
            return System.nanoTime();
        }
    }
}
