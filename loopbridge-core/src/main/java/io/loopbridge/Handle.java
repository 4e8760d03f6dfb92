package io.loopbridge;

/**
 * A callback scheduled on a loop; cancelling it before it runs means it never runs.
 * This interface is thread-safe: {@link #cancel()} may be called from any thread.
 */
public interface Handle {
    /** Prevents the callback from running if it has not started yet. Idempotent. */
    void cancel();

    /** Whether {@link #cancel()} was called. */
    boolean isCancelled();
}
