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

    /** Polls {@code done} until {@code end} ({@link System#nanoTime()}); returns its last value. */
    private static boolean poll(BooleanSupplier done, long end) {
        do {
            if (done.getAsBoolean()) {
                return true;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - end < 0);
        return done.getAsBoolean();
    }
}
