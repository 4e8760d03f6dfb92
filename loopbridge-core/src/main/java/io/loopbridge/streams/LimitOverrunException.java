package io.loopbridge.streams;

import java.io.IOException;

/**
 * A {@link StreamReader} read up to a separator found no separator within the reader's
 * limit (asyncio's LimitOverrunError). The data stays in the buffer for
 * {@link StreamReader#readUntil}; {@link StreamReader#readLine} discards it.
 *
 * <p>This class is thread-safe (immutable).
 */
public final class LimitOverrunException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int consumed;

    public LimitOverrunException(String message, int consumed) {
        super(message);
        this.consumed = consumed;
    }

    /** How many bytes the reader looked at (and would have to consume) before giving up. */
    public int consumed() {
        return consumed;
    }
}
