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
    private static final Set<Watch> WATCHED = ConcurrentHashMap.newKeySet();
    private static Thread thread;

    private BlockedLoopWatchdog() {
    }

    /**
     * One loop's steps as the watchdog sees them: the loop thread writes when a step starts and
     * ends, the watchdog thread reads. Written by the loop's turn only.
     */
    static final class Watch {
        private final Loop loop;
        final long thresholdNanos;
        private volatile long stepStart;
        private volatile long stepSeq;
        private volatile LoopTasks.Entry entry;
        private long lastReported = -1;

        Watch(Loop loop, long thresholdNanos) {
            this.loop = loop;
            this.thresholdNanos = thresholdNanos;
        }

        void stepStarted(LoopTasks.Entry task) {
            entry = task;
            stepSeq++;
            stepStart = System.nanoTime();
        }

        void stepEnded() {
            stepStart = 0;
        }
    }

    /** Starts watching (the loop's turn begins). */
    static synchronized void watch(Watch w) {
        WATCHED.add(w);
        if (thread == null) {
            thread = Thread.ofPlatform().daemon().name("loopbridge-watchdog").start(BlockedLoopWatchdog::scan);
        }
    }

    static void unwatch(Watch w) {
        WATCHED.remove(w);
    }

    private static void scan() {
        while (true) {
            synchronized (BlockedLoopWatchdog.class) {
                if (WATCHED.isEmpty()) {
                    // Nothing to watch: end, and let the next watch() start a new thread.
                    thread = null;
                    return;
                }
            }
            long minThreshold = Long.MAX_VALUE;
            for (Watch w : WATCHED) {
                minThreshold = Math.min(minThreshold, w.thresholdNanos);
                check(w);
            }
            long period = Math.min(TimeUnit.MILLISECONDS.toNanos(100),
                    Math.max(TimeUnit.MILLISECONDS.toNanos(5), minThreshold / 4));
            LockSupport.parkNanos(period);
        }
    }

    private static void check(Watch w) {
        long start = w.stepStart;
        long seq = w.stepSeq;
        if (start == 0 || seq == w.lastReported) {
            return;
        }
        long held = System.nanoTime() - start;
        if (held < w.thresholdNanos) {
            return;
        }
        LoopTasks.Entry task = w.entry;
        Thread culprit = task != null && task.thread() != null ? task.thread() : w.loop.loopThread();
        if (culprit == null || w.stepSeq != seq) {
            return;
        }
        w.lastReported = seq;
        BlockedLoopException trace = new BlockedLoopException("event loop '" + w.loop.name() + "' has been blocked for "
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
