package io.loopbridge;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * How exceptions cross every wait: unwrapped from {@code CompletionException} and
 * {@code ExecutionException}, rethrown as they were ({@link Error}s bare), with the awaiting
 * caller's frames attached as a suppressed {@link AwaitSite}. Thread-safe (stateless).
 */
final class Exceptions {
    private static final int MAX_AWAIT_SITES = 8;

    private Exceptions() {
    }

    /** {@code t} without the JDK's wrappers. */
    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The exception to throw for {@code t}: itself if an Exception; an Error is thrown right here. */
    static Exception rethrow(Throwable t) {
        if (t instanceof Error err) {
            throw err;
        }
        if (t instanceof Exception e) {
            return e;
        }
        return new ExecutionException("non-Exception throwable: " + t, t);
    }

    /** Attaches the current thread's frames to {@code e} (once per thread) and returns it. */
    static <E extends Throwable> E withAwaitSite(E e) {
        if (e instanceof VirtualMachineError) {
            return e;
        }
        Throwable[] suppressed = e.getSuppressed();
        if (suppressed.length >= MAX_AWAIT_SITES) {
            return e; // one exception awaited by many (a cancelled future, say): keep it small
        }
        for (Throwable s : suppressed) {
            if (s instanceof AwaitSite a && a.thread == Thread.currentThread()) {
                return e;
            }
        }
        e.addSuppressed(new AwaitSite());
        return e;
    }

    /**
     * The cancellation a CompletableFuture was completed with: its {@code get}/{@code join}
     * throw a new CancellationException whose cause is the original (JDK 23+); a
     * {@link CancelledException} with its message is what the awaiter should see.
     */
    static CancellationException originalCancellation(CancellationException e) {
        CancellationException c = e;
        for (Throwable t = e.getCause(); t instanceof CancellationException ce; t = t.getCause()) {
            c = ce;
            if (ce instanceof CancelledException) {
                return ce;
            }
        }
        return c;
    }

    /** Carries the awaiting caller's frames, attached to a rethrown exception as suppressed. */
    static final class AwaitSite extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Thread thread = Thread.currentThread();

        AwaitSite() {
            super("awaited here, in thread '" + Thread.currentThread().getName() + "'");
        }
    }
}
