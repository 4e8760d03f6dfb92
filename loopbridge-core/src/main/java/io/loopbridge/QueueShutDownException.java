package io.loopbridge;

/**
 * Thrown by an {@link AsyncQueue} after {@link AsyncQueue#shutdown}: by every put, and by a get once no item is left (Python 3.13's QueueShutDown).
 *
 * <p>Instances are immutable and thread-safe.
 */
public class QueueShutDownException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public QueueShutDownException(String message) {
        super(message);
    }
}
