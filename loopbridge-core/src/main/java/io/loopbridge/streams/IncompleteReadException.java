package io.loopbridge.streams;

import java.io.EOFException;

/**
 * The stream ended before a {@link StreamReader} read was satisfied (asyncio's
 * IncompleteReadError): carries the bytes that did arrive.
 *
 * <p>This class is thread-safe (immutable).
 */
public final class IncompleteReadException extends EOFException {
    private static final long serialVersionUID = 1L;
    private final transient byte[] partial;
    private final long expected;

    /**
     * @param partial  the bytes read before end of stream
     * @param expected how many bytes were wanted, or -1 when reading up to a separator
     */
    public IncompleteReadException(byte[] partial, long expected) {
        super(partial.length + " bytes read on a total of " + (expected < 0 ? "undefined" : expected)
                + " expected bytes: the peer closed the stream first");
        this.partial = partial.clone();
        this.expected = expected;
    }

    /** The bytes that arrived before end of stream (a copy). */
    public byte[] partial() {
        return partial.clone();
    }

    /** How many bytes were wanted, or -1 for a read up to a separator. */
    public long expected() {
        return expected;
    }
}
