package io.loopbridge;

import io.loopbridge.internal.VirtualThreads;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a loop runs blocking work when given no executor (asyncio's default executor): the
 * one configured on the builder, or virtual threads on the JDK's default scheduler, created
 * on first use and shut down when the loop closes. Not {@code Thread.ofVirtual()}: started
 * from a FAST task, a virtual thread would inherit the loop as its scheduler and run on the
 * loop thread. This class is thread-safe.
 */
final class DefaultExecutor implements Executor {
    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

    private final java.util.function.Supplier<String> loopName;
    private final Executor configured;
    private ExecutorService owned;
    private boolean closed;

    DefaultExecutor(java.util.function.Supplier<String> loopName, Executor configured) {
        this.loopName = loopName;
        this.configured = configured;
    }

    @Override
    public void execute(Runnable work) {
        get().execute(work);
    }

    private synchronized Executor get() {
        if (configured != null) {
            return configured;
        }
        if (owned == null) {
            if (closed) {
                throw new RejectedExecutionException("event loop '" + loopName.get() + "' is closed; its default executor is gone");
            }
            owned = Executors.newThreadPerTaskExecutor(VirtualThreads.defaultSchedulerFactory(loopName.get() + "-worker-"));
        }
        return owned;
    }

    /** Shuts the owned executor down, waiting a bounded time for running work (logged if exceeded). */
    void close() {
        ExecutorService e;
        synchronized (this) {
            closed = true;
            e = owned;
        }
        if (e == null) {
            return;
        }
        e.shutdown();
        try {
            if (!e.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("default executor of event loop '{}' still had running work after 5 s; not waiting longer", loopName.get());
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }
}
