package io.loopbridge;

import java.util.concurrent.CancellationException;

/**
 * A task or future was cancelled (asyncio's CancelledError). Raised inside a task at its
 * current or next suspension point after {@link Task#cancel(String)}; a body may catch it
 * to clean up, and should re-throw it.
 */
public class CancelledException extends CancellationException {
    private static final long serialVersionUID = 1L;

    public CancelledException(String message) {
        super(message);
    }
}
