package io.loopbridge;

import java.util.function.BooleanSupplier;

/**
 * A platform thread that waits for an answer another thread will give within microseconds
 * polls for it briefly before it parks: parking and being woken costs a system call on each
 * side and the scheduler's latency (tens of microseconds, more in a VM), which a round trip
 * to a loop does not need to pay. Bounded by {@code -Dloopbridge.waitSpinNanos} (default
 * 50 µs; 0 turns it off), and off on one CPU, where the answer cannot come while this thread
 * spins. Virtual threads never spin: parking one is cheap. Thread-safe (stateless).
 */
final class BriefSpin {
    static final long NANOS = Runtime.getRuntime().availableProcessors() > 1
            ? Math.max(0, Long.getLong("loopbridge.waitSpinNanos", 50_000)) : 0;

    private BriefSpin() {
    }

    /** Polls {@code done} for at most {@link #NANOS} on a platform thread; returns its last value. */
    static boolean until(BooleanSupplier done) {
        return until(done, Long.MAX_VALUE);
    }

    /** The same, stopping at {@code deadline} ({@link System#nanoTime()}; {@code Long.MAX_VALUE}: none). */
    static boolean until(BooleanSupplier done, long deadline) {
        if (NANOS == 0 || Thread.currentThread().isVirtual()) {
            return done.getAsBoolean();
        }
        long now = System.nanoTime();
        return poll(done, deadline == Long.MAX_VALUE || deadline - now > NANOS ? now + NANOS : deadline);
    }

    /**
     * Polls {@code done} until {@code end} ({@link System#nanoTime()}), on any thread; returns
     * its last value. The caller decides that spinning is worth it (a PORTABLE loop's thread
     * waiting for a task that will hand the baton back within microseconds).
     *
     * <p>A virtual thread yields its carrier between polls instead of spinning on it: what it
     * waits for may be queued on that very carrier (a task it just unparked), and spinning
     * would hold it off until {@code end}. Measured with one carrier: 48 k PORTABLE spawns/s
     * spinning, 1.8 M yielding; with two, whether the other carrier was awake to take the task
     * decided between about 1.4 M and 0.44 M.
     */
    static boolean poll(BooleanSupplier done, long end) {
        do {
            if (done.getAsBoolean()) {
                return true;
            }
            pause(Thread.currentThread().isVirtual());
        } while (System.nanoTime() - end < 0);
        return done.getAsBoolean();
    }

    /**
     * One pause between polls: a virtual thread yields its carrier (what it waits for may be
     * queued on that carrier), a platform thread spins.
     */
    static void pause(boolean virtual) {
        if (virtual) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }
}
