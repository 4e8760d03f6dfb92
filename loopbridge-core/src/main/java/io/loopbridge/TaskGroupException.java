package io.loopbridge;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One or more tasks of a {@link TaskGroup} failed (asyncio's ExceptionGroup). Every
 * failure is in {@link #getExceptions()}, in the order they happened; each is also attached
 * as a suppressed exception so stack traces show them all.
 */
public final class TaskGroupException extends Exception {
    private static final long serialVersionUID = 1L;
    private final List<Throwable> exceptions = Collections.synchronizedList(new ArrayList<>());

    TaskGroupException(String message) {
        super(message);
    }

    void add(Throwable e) {
        exceptions.add(e);
        addSuppressed(e);
    }

    /** The failures, in the order they happened. */
    public List<Throwable> getExceptions() {
        synchronized (exceptions) {
            return List.copyOf(exceptions);
        }
    }

    @Override
    public String getMessage() {
        List<Throwable> l = getExceptions();
        return super.getMessage() + " (" + l.size() + " sub-exception" + (l.size() == 1 ? "" : "s")
                + (l.isEmpty() ? "" : "; first: " + l.get(0)) + ")";
    }
}
