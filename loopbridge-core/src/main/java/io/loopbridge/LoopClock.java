package io.loopbridge;

/**
 * The monotonic clock a loop schedules its timers on ({@link EventLoop#time()}).
 * Tests inject a {@link VirtualClock} to run timer logic in virtual time instead of sleeping.
 * Implementations must be thread-safe.
 */
@FunctionalInterface
public interface LoopClock {
    /** Current time in nanoseconds; only differences are meaningful. */
    long nanoTime();

    /** The system's monotonic clock ({@link System#nanoTime()}). */
    static LoopClock system() {
        return System::nanoTime;
    }
}
