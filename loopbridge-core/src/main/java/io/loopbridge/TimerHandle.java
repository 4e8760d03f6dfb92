package io.loopbridge;

/**
 * A callback scheduled for a time on the loop's clock ({@link EventLoop#callLater},
 * {@link EventLoop#callAt}). This interface is thread-safe.
 */
public interface TimerHandle extends Handle {
    /** The deadline, in the nanoseconds of {@link EventLoop#time()}. */
    long when();
}
