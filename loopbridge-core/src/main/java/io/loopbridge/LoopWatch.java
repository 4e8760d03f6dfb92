package io.loopbridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What threads outside a loop see of it while a thread holds its turn: which loop it is, and
 * its callbacks as the blocked-loop watchdog counts them. One per loop; {@link RunningTurns}
 * publishes it for as long as a thread holds the loop's turn.
 *
 * <p>The thread holding the turn writes {@link #steps} and {@link #entry} with plain (opaque)
 * stores; the watchdog thread reads them and keeps the rest of the fields for itself.
 */
final class LoopWatch {
    private static final VarHandle STEPS;
    private static final VarHandle ENTRY;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STEPS = l.findVarHandle(LoopWatch.class, "steps", long.class);
            ENTRY = l.findVarHandle(LoopWatch.class, "entry", LoopTasks.Entry.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Loop loop;
    /** How long one step may hold the loop before the watchdog reports it; 0: the watchdog is off for this loop. */
    final long thresholdNanos;
    /** Odd while a step runs: incremented when each step starts and when it ends. */
    @SuppressWarnings("unused") // through STEPS
    private long steps;
    @SuppressWarnings("unused") // through ENTRY
    private LoopTasks.Entry entry;
    // The watchdog thread's own bookkeeping.
    long seenSteps = -1;
    long seenSince;
    long reportedSteps = -1;
    long lastWarning;
    int suppressed;

    LoopWatch(Loop loop, long thresholdNanos) {
        this.loop = loop;
        this.thresholdNanos = thresholdNanos;
    }

    /** Loop thread: a callback (or a step of {@code task}, if not null) starts. */
    void stepStarted(LoopTasks.Entry task) {
        ENTRY.setOpaque(this, task);
        STEPS.setOpaque(this, (long) STEPS.getOpaque(this) + 1);
    }

    /** Loop thread: it ended. */
    void stepEnded() {
        STEPS.setOpaque(this, (long) STEPS.getOpaque(this) + 1);
    }

    /** Watchdog thread: the step counter now. */
    long steps() {
        return (long) STEPS.getOpaque(this);
    }

    /** Watchdog thread: the task whose step started last, or null for a callback. */
    LoopTasks.Entry entry() {
        return (LoopTasks.Entry) ENTRY.getOpaque(this);
    }
}
