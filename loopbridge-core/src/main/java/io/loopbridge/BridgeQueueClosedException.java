package io.loopbridge;

/**
 * Thrown by a {@link BridgeQueue} after {@link BridgeQueue#close()}: by every put or offer, and by a take once every queued item has been taken. It replaces a sentinel item: consumers stop on it.
 *
 * <p>Instances are immutable and thread-safe.
 */
public class BridgeQueueClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public BridgeQueueClosedException(String message) {
        super(message);
    }
}
