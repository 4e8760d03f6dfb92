package io.loopbridge;

/**
 * Thrown by {@link AsyncQueue#putNowait} when the queue is full (asyncio's QueueFull).
 *
 * <p>Instances are immutable and thread-safe.
 */
public class QueueFullException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public QueueFullException(String message) {
        super(message);
    }
}
