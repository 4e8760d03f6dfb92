package io.loopbridge;

/**
 * How a loop runs its tasks. Both modes have the same semantics: every step of every task
 * runs on the loop's behalf, one task at a time, in loop order. See {@link EventLoop#taskMode()}.
 */
public enum TaskMode {
    /**
     * Each task is a virtual thread whose scheduler is the loop: its continuation runs
     * directly on the loop thread. Needs {@code --add-opens java.base/java.lang=ALL-UNNAMED}.
     * Blocking JDK calls in a task ({@code Thread.sleep}, socket I/O, {@code ReentrantLock})
     * park the task, not the loop.
     */
    FAST,
    /**
     * Each task is an ordinary virtual thread, and the loop's turn travels between them with
     * a baton: at every suspension point the task runs the loop on and hands the turn to the
     * next task's thread, or back to the thread running the loop. No JVM flags; slower;
     * blocking JDK calls in a task hold the loop, as they would in asyncio.
     */
    PORTABLE;

    /** The best mode this JVM supports: {@link #FAST} when the JDK's builder is reachable. */
    public static TaskMode best() {
        return io.loopbridge.internal.VirtualThreads.customSchedulerAvailable() ? FAST : PORTABLE;
    }

    /** Whether the fallback was reported in this JVM (package-private: tests reset it). */
    static final java.util.concurrent.atomic.AtomicBoolean FALLBACK_REPORTED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /** Says once per JVM, at INFO, that loops fall back to PORTABLE, why, and which flag gives FAST. */
    static void reportPortableFallback() {
        if (FALLBACK_REPORTED.compareAndSet(false, true)) {
            org.slf4j.LoggerFactory.getLogger(EventLoop.class).info(
                    "loopbridge runs tasks in TaskMode.PORTABLE: TaskMode.FAST needs the JVM flag "
                            + "--add-opens java.base/java.lang=ALL-UNNAMED (=io.loopbridge on the module path; "
                            + "'Add-Opens: java.base/java.lang' in a java -jar manifest), which this JVM was not "
                            + "started with ({}). Both modes behave the same; FAST is faster and lets JDK blocking "
                            + "calls in a task park only the task.",
                    io.loopbridge.internal.VirtualThreads.unavailableReason());
        }
    }
}
