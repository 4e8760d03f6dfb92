package io.loopbridge;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link LoopClock} that only moves when told to, so tests of timers never sleep
 * (trio's MockClock, Netty's MockTicker). A loop using it never sleeps for a timer in
 * real time: it waits until the clock is {@linkplain #advance advanced}, or, with
 * {@link #autoAdvancing()}, jumps the clock straight to its next timer whenever it has
 * nothing else to do.
 *
 * <p>This class is thread-safe.
 */
public final class VirtualClock implements LoopClock {
    private final AtomicLong now = new AtomicLong();
    private final boolean autoAdvance;
    private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();

    private VirtualClock(boolean autoAdvance) {
        this.autoAdvance = autoAdvance;
    }

    /** A clock that moves only through {@link #advance}. */
    public static VirtualClock manual() {
        return new VirtualClock(false);
    }

    /** A clock that an idle loop jumps to its next timer deadline. */
    public static VirtualClock autoAdvancing() {
        return new VirtualClock(true);
    }

    @Override
    public long nanoTime() {
        return now.get();
    }

    /** Whether idle loops jump this clock to their next timer. */
    public boolean isAutoAdvancing() {
        return autoAdvance;
    }

    /** Moves the clock forward and wakes the loops using it so that due timers run. */
    public void advance(Duration d) {
        Objects.requireNonNull(d, "d");
        if (d.isNegative()) {
            throw new IllegalArgumentException("a clock cannot go back: " + d);
        }
        now.addAndGet(d.toNanos());
        listeners.forEach(Runnable::run);
    }

    /** Moves the clock to {@code nanos} if that is later than now (used by idle loops). */
    void advanceTo(long nanos) {
        now.accumulateAndGet(nanos, Math::max);
    }

    void onAdvance(Runnable wake) {
        listeners.add(wake);
    }

    void removeListener(Runnable wake) {
        listeners.remove(wake);
    }
}
