package io.loopbridge;

/**
 * Thrown by {@link AsyncQueue#getNowait} when the queue is empty (asyncio's QueueEmpty).
 *
 * <p>Instances are immutable and thread-safe.
 */
public class QueueEmptyException extends java.util.NoSuchElementException {
    private static final long serialVersionUID = 1L;

    public QueueEmptyException(String message) {
        super(message);
    }
}
