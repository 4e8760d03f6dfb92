package io.loopbridge;

import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The ContextVar values and SLF4J MDC of the code that captures it, to run work with on
 * another thread: the one way loopbridge carries context across a thread hop (to a worker, to
 * a loop from a plain thread). Immutable and thread-safe.
 */
final class CarriedContext {
    private final Context context;
    private final Map<String, String> mdc;

    private CarriedContext(Context context, Map<String, String> mdc) {
        this.context = context;
        this.mdc = mdc;
    }

    /** What the calling code runs with now. */
    static CarriedContext capture() {
        return new CarriedContext(Scope.context(), Mdc.capture());
    }

    /**
     * Runs {@code r} with the captured values on the calling thread, restoring its own after.
     * On a loop thread only the MDC is carried: a loop callback has its ContextVar values already.
     */
    void run(Runnable r) {
        Map<String, String> prevMdc = mdc == null ? null : Mdc.capture();
        if (mdc != null) {
            Mdc.install(mdc);
        }
        try {
            if (Scope.loop() != null) {
                r.run();
            } else {
                Scope.runWith(context, r);
            }
        } finally {
            if (mdc != null) {
                Mdc.install(prevMdc);
            }
        }
    }

    Runnable wrap(Runnable r) {
        return () -> run(r);
    }

    /** {@code work} called with the captured values; its exception comes out as it is. */
    <T> T call(Callable<T> work) throws Exception {
        Object[] result = new Object[1];
        Exception[] failure = new Exception[1];
        run(() -> {
            try {
                result[0] = work.call();
            } catch (Exception e) {
                failure[0] = e;
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        @SuppressWarnings("unchecked")
        T t = (T) result[0];
        return t;
    }
}
