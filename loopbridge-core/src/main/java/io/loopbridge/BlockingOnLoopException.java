package io.loopbridge;

/**
 * Thrown, at once, when a call would block an event-loop thread: waiting there could never
 * end (the loop cannot run what is waited for) or would stall every other task of the loop.
 * The message names the thread and says what to do instead.
 */
public class BlockingOnLoopException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public BlockingOnLoopException(String message) {
        super(message);
    }
}
