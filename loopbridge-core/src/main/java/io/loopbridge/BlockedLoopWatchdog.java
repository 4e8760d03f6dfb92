package io.loopbridge;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vert.x's blocked-thread checker for loops, on by default: one daemon thread looks at every
 * running loop and, when a single callback or task step has held a loop longer than its
 * threshold, logs the stack of what is blocking it while it is still blocked — so
 * {@code Thread.sleep} in a callback or file I/O in a task is found at once — and records a
 * {@code io.loopbridge.BlockedLoop} JFR event. Each stall is reported once; warnings are
 * rate-limited per loop (the suppressed ones are counted in the next).
 *
 * <p>The loop pays two plain stores per callback: a step counter it increments when a step
 * starts and when it ends. The watchdog samples the counter; an odd value that has not moved
 * for the threshold is a step that has run that long. This class is thread-safe.
 */
final class BlockedLoopWatchdog {
    private static final Logger log = LoggerFactory.getLogger(BlockedLoopWatchdog.class);
    /** At most one warning per loop this often; the rest are counted. */
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Whether the watchdog thread was started. */
    private static volatile boolean started;

    private BlockedLoopWatchdog() {
    }

    /**
     * A loop whose watchdog is on takes a turn: makes sure the watchdog thread runs. Once
     * started it runs for the life of the JVM (a daemon, sampling every 250 ms while no watched
     * turn runs), so that taking a turn costs no handshake with a watchdog about to end.
     */
    static void ensureRunning() {
        if (!started) {
            start();
        }
    }

    private static synchronized void start() {
        if (!started) {
            Thread.ofPlatform().daemon().name("loopbridge-watchdog").start(BlockedLoopWatchdog::scan);
            started = true;
        }
    }

    private static void scan() {
        while (true) {
            long minThreshold = Long.MAX_VALUE;
            long now = System.nanoTime();
            for (LoopWatch w : RunningTurns.running()) {
                if (w.thresholdNanos > 0) {
                    minThreshold = Math.min(minThreshold, w.thresholdNanos);
                    check(w, now);
                }
            }
            long period = Math.min(TimeUnit.MILLISECONDS.toNanos(250),
                    Math.max(TimeUnit.MILLISECONDS.toNanos(5), minThreshold / 4));
            LockSupport.parkNanos(period);
        }
    }

    private static void check(LoopWatch w, long now) {
        long steps = w.steps();
        if (steps != w.seenSteps) {
            w.seenSteps = steps;
            w.seenSince = now;
            return;
        }
        long held = now - w.seenSince;
        if ((steps & 1) == 0 || held < w.thresholdNanos || steps == w.reportedSteps) {
            return; // between steps, not long enough yet, or reported already
        }
        LoopTasks.Entry task = w.entry();
        Thread culprit = task != null && task.thread() != null ? task.thread() : w.loop.loopThread();
        if (culprit == null) {
            return;
        }
        StackTraceElement[] stack = culprit.getStackTrace();
        if (w.steps() != steps) {
            return; // it moved on while we looked: not the same stall
        }
        w.reportedSteps = steps;
        String what = task != null ? "task " + task.name() : "a callback";
        LoopEvents.BlockedLoop e = new LoopEvents.BlockedLoop();
        if (e.isEnabled()) {
            e.loop = w.loop.name();
            e.task = task != null ? task.name() : null;
            e.blockedFor = held;
            e.stack = render(stack);
            e.commit();
        }
        if (now - w.lastWarning < WARN_INTERVAL_NANOS && w.lastWarning != 0) {
            w.suppressed++;
            return;
        }
        BlockedLoopException trace = new BlockedLoopException("event loop '" + w.loop.name() + "' has been blocked for "
                + TimeUnit.NANOSECONDS.toMillis(held) + " ms by " + what + " (thread " + threadName(culprit) + ")"
                + (w.suppressed > 0 ? "; " + w.suppressed + " earlier stall(s) not logged" : "")
                + "; its stack now:");
        trace.setStackTrace(stack);
        w.lastWarning = now;
        w.suppressed = 0;
        log.warn(trace.getMessage(), trace);
    }

    private static String render(StackTraceElement[] stack) {
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement e : stack) {
            sb.append("at ").append(e).append('\n');
        }
        return sb.toString();
    }

    /** Carries the blocked thread's stack into the log; never thrown. */
    static final class BlockedLoopException extends Exception {
        private static final long serialVersionUID = 1L;

        BlockedLoopException(String message) {
            super(message, null, false, true);
        }
    }

    /** A thread's name, or for an unnamed one (a task's virtual thread) its kind and id. */
    private static String threadName(Thread t) {
        String name = t.getName();
        return name.isEmpty() ? (t.isVirtual() ? "virtual #" : "#") + t.threadId() : "'" + name + "'";
    }
}
