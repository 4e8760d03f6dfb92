package io.loopbridge;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vert.x's blocked-thread checker for loops: one daemon thread looks at every watched loop
 * and, when a single callback or task step has held a loop longer than its threshold, logs
 * the stack of what is blocking it while it is still blocked — so {@code Thread.sleep} in a
 * callback or file I/O in a task is found at once. Each blocked step is reported once.
 * This class is thread-safe.
 */
final class BlockedLoopWatchdog {
    private static final Logger log = LoggerFactory.getLogger(BlockedLoopWatchdog.class);
    private static final Set<SelectorEventLoop> LOOPS = ConcurrentHashMap.newKeySet();
    private static Thread thread;

    private BlockedLoopWatchdog() {
    }

    static synchronized void watch(SelectorEventLoop loop) {
        LOOPS.add(loop);
        if (thread == null) {
            thread = Thread.ofPlatform().daemon().name("loopbridge-watchdog").start(BlockedLoopWatchdog::scan);
        }
    }

    static void unwatch(SelectorEventLoop loop) {
        LOOPS.remove(loop);
    }

    private static void scan() {
        while (true) {
            synchronized (BlockedLoopWatchdog.class) {
                if (LOOPS.isEmpty()) {
                    // Nothing to watch: end, and let the next watch() start a new thread.
                    thread = null;
                    return;
                }
            }
            long minThreshold = Long.MAX_VALUE;
            for (SelectorEventLoop loop : LOOPS) {
                minThreshold = Math.min(minThreshold, loop.blockedThresholdNanos());
                check(loop);
            }
            long period = minThreshold == Long.MAX_VALUE ? TimeUnit.MILLISECONDS.toNanos(100)
                    : Math.min(TimeUnit.MILLISECONDS.toNanos(100), Math.max(TimeUnit.MILLISECONDS.toNanos(5), minThreshold / 4));
            LockSupport.parkNanos(period);
        }
    }

    private static void check(SelectorEventLoop loop) {
        long start = loop.stepStartNanos();
        long seq = loop.stepSeq();
        if (start == 0 || seq == loop.lastReportedStep) {
            return;
        }
        long held = System.nanoTime() - start;
        if (held < loop.blockedThresholdNanos()) {
            return;
        }
        Thread loopThread = loop.loopThread();
        Task<?> task = loop.watchedTask;
        Thread culprit = task != null && task.thread != null ? task.thread : loopThread;
        if (culprit == null || loop.stepSeq() != seq) {
            return;
        }
        loop.lastReportedStep = seq;
        BlockedLoopException trace = new BlockedLoopException("event loop '" + loop.name() + "' has been blocked for "
                + TimeUnit.NANOSECONDS.toMillis(held) + " ms by " + (task != null ? task.name() : "a callback")
                + " (thread " + culprit.getName() + "); its stack now:");
        trace.setStackTrace(culprit.getStackTrace());
        log.warn(trace.getMessage(), trace);
    }

    /** Carries the blocked thread's stack into the log; never thrown. */
    static final class BlockedLoopException extends Exception {
        private static final long serialVersionUID = 1L;

        BlockedLoopException(String message) {
            super(message, null, false, true);
        }
    }
}
