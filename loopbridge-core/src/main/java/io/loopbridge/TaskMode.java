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
     * Each task is an ordinary virtual thread that takes a baton from the loop thread and
     * hands it back at every suspension point. No JVM flags; slower; blocking JDK calls in
     * a task hold the loop, as they would in asyncio.
     */
    PORTABLE;

    /** The best mode this JVM supports: {@link #FAST} when the JDK's builder is reachable. */
    public static TaskMode best() {
        return io.loopbridge.internal.VirtualThreads.customSchedulerAvailable() ? FAST : PORTABLE;
    }
}
