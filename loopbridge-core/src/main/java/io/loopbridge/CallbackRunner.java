package io.loopbridge;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one callback for its loop and keeps what the layers above ask about the callback that
 * runs: whose task step it is ({@link #runningEntry}), the ContextVar values it runs with, and
 * an interrupt of the loop thread that mounting a FAST task step would otherwise hide. Around
 * each callback it measures what the loop reports: the blocked-loop watchdog's step, the
 * {@code io.loopbridge.SlowCallback} JFR event and, in debug mode, the slow-callback log. A
 * callback's exception goes to the loop's exception handler.
 *
 * <p>Confined to the thread holding the loop's turn; {@link #runningEntry} is also read by the
 * threads of the loop's tasks.
 */
final class CallbackRunner {
    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

    /** One step of one task: the runner records whose step it runs. */
    static final class TaskStep extends Callback {
        final LoopTasks.Entry entry;

        TaskStep(Runnable fn, LoopTasks.Entry entry) {
            super(fn, null);
            this.entry = entry;
        }
    }

    /**
     * A PORTABLE task step: it runs on the task's own thread, to which the loop hands its turn
     * ({@link #handOver}); that thread hands the turn on when the step ends ({@link Loop#passTurn}).
     */
    interface Relay extends Runnable {
        /** Whether the task has a step to run (false once its body has ended: a stale resume). */
        boolean pending();

        /** Gives the task's thread the turn: starts the thread for the first step, wakes it for the others. */
        void handOver();
    }

    private final Loop loop;
    private final boolean fastTasks;
    /** The slow-callback log's threshold in debug mode; negative: no log. */
    private final long slowLogNanos;
    /** What the watchdog and the loop-lag sampler see of the loop while a thread holds its turn. */
    private final LoopWatch watch;
    /** Whether the blocked-loop watchdog looks at this loop (then each step is counted). */
    private final boolean watched;

    /** The task whose step runs now. */
    volatile LoopTasks.Entry runningEntry;
    /** The ContextVar values of the callback running now. */
    Context callbackContext;
    /** The callback running now, or null: the owner of the ContextVar tokens it makes. */
    Callback runningCallback;
    /** An interrupt of the loop thread seen while running a FAST task step (mounting one clears it). */
    private boolean interruptSeen;
    /** The slow-callback event and start time of the relayed step running now ({@link #relayStarted}). */
    private LoopEvents.SlowCallback relayEvent;
    private long relayStart;

    /**
     * FAST loop on its platform thread: sees interrupts that arrive while a task's virtual thread
     * is mounted on it (the JDK clears the carrier's interrupt status then). Null otherwise.
     */
    private InterruptWatch interruptWatch;

    CallbackRunner(Loop loop, TaskMode mode, long slowLogNanos, long blockedThresholdNanos) {
        this.loop = loop;
        this.fastTasks = mode == TaskMode.FAST;
        this.slowLogNanos = slowLogNanos;
        this.watch = new LoopWatch(loop, Math.max(0, blockedThresholdNanos));
        this.watched = blockedThresholdNanos > 0;
    }

    /** The thread calling this took the loop's turn; returns the turn it held before, for {@link #turnLeft}. */
    LoopWatch turnEntered() {
        callbackContext = null;
        if (fastTasks && !Thread.currentThread().isVirtual()) {
            interruptWatch = new InterruptWatch();
            interruptWatch.arm();
        }
        LoopWatch previous = RunningTurns.enter(watch);
        if (watched) {
            BlockedLoopWatchdog.ensureRunning();
        }
        return previous;
    }

    /** The thread calling this leaves the loop's turn. */
    void turnLeft(LoopWatch previous) {
        callbackContext = null;
        InterruptWatch w = interruptWatch;
        if (w != null) {
            interruptWatch = null;
            w.disarm();
            if (w.fired()) {
                Thread.currentThread().interrupt(); // not taken by the loop: the caller sees it
            }
        }
        RunningTurns.leave(previous);
    }

    /** Whether the loop thread was interrupted since the last call; clears it. Once per iteration. */
    boolean takeInterrupt() {
        boolean interrupted = Thread.interrupted() | interruptSeen;
        interruptSeen = false;
        InterruptWatch w = interruptWatch;
        if (w != null) {
            if (w.fired()) {
                interrupted = true;
                w.disarm();
                w = new InterruptWatch();
                interruptWatch = w;
                w.arm();
            }
        }
        return interrupted;
    }

    /**
     * An iteration's callbacks are about to run: registers the interrupt watch again, since a
     * channel operation of this thread since the last iteration (a blocking select of the wait
     * for work, or a callback's own) replaced it with its own and unregistered that at its end.
     */
    void iterationStarts() {
        InterruptWatch w = interruptWatch;
        if (w != null) {
            w.arm();
        }
    }

    /** A relayed task step starts: the loop handed the turn to {@code entry}'s thread. */
    void relayStarted(LoopTasks.Entry entry) {
        callbackContext = null;
        runningEntry = entry;
        relayStart = slowLogNanos >= 0 ? System.nanoTime() : 0;
        if (watched) {
            watch.stepStarted(entry);
        }
        LoopEvents.SlowCallback slow = new LoopEvents.SlowCallback();
        slow.begin();
        relayEvent = slow;
    }

    /** The relayed step that runs now ends (its task suspended or finished); nothing if none runs. */
    void relayEnded() {
        LoopTasks.Entry entry = runningEntry;
        if (entry == null) {
            return;
        }
        runningEntry = null;
        if (watched) {
            watch.stepEnded();
        }
        LoopEvents.SlowCallback slow = relayEvent;
        relayEvent = null;
        reportSlow(slow, relayStart, entry, null);
    }

    void run(Callback cb) {
        cb.taken = true;
        if (cb.isCancelled()) {
            return;
        }
        LoopTasks.Entry entry = cb instanceof TaskStep ts ? ts.entry : null;
        callbackContext = cb.context;
        runningCallback = cb;
        runningEntry = entry;
        long t0 = slowLogNanos >= 0 ? System.nanoTime() : 0;
        if (watched) {
            watch.stepStarted(entry);
        }
        LoopEvents.SlowCallback slow = new LoopEvents.SlowCallback();
        slow.begin();
        boolean fastStep = entry != null && fastTasks;
        if (fastStep && Thread.interrupted()) {
            interruptSeen = true; // the JDK clears the carrier's interrupt when it mounts the task
        }
        try {
            cb.fn.run();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            loop.callExceptionHandler(new ExceptionContext("Exception in callback " + cb.fn, e, cb));
        } finally {
            runningEntry = null;
            runningCallback = null;
            if (watched) {
                watch.stepEnded(); // even if an Error escapes: the watchdog must not see a step that never ends
            }
        }
        if (fastStep && Thread.interrupted()) {
            interruptSeen = true;
        }
        reportSlow(slow, t0, entry, cb.fn);
    }

    /**
     * Ends {@code slow} and reports it if it was slow: the JFR event, and in debug mode the
     * slow-callback log. {@code fn} is the callback, or null for a relayed task step.
     */
    private void reportSlow(LoopEvents.SlowCallback slow, long t0, LoopTasks.Entry entry, Runnable fn) {
        slow.end();
        if (slow.shouldCommit()) {
            slow.loop = loop.name();
            slow.task = entry != null ? entry.name() : null;
            slow.callback = entry != null ? null : String.valueOf(fn);
            slow.commit();
        }
        if (slowLogNanos >= 0) {
            long dt = System.nanoTime() - t0;
            if (dt > slowLogNanos) {
                Object what = fn != null ? fn : "step of " + entry.name();
                log.warn("Executing {} took {} ms on event loop '{}'", what, dt / 1_000_000, loop.name());
            }
        }
    }
}
