package io.loopbridge;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * asyncio.Runner: one loop reused across {@link #run} calls, so loop-bound resources made
 * in one call still work in the next. {@link Async#run} is the one-shot form.
 *
 * <pre>{@code
 * try (Runner runner = new Runner()) {
 *     Client c = runner.run(() -> Client.connect(uri));
 *     String page = runner.run(() -> Async.await(c.get("/")));
 * }
 * }</pre>
 *
 * <p>Confined to one thread at a time: the thread calling {@code run} runs the loop.
 */
public final class Runner implements AutoCloseable {
    private enum State { CREATED, INITIALIZED, CLOSED }

    private final EventLoop.Builder builder;
    private State state = State.CREATED;
    private EventLoop loop;

    /** A runner whose loop has default settings. */
    public Runner() {
        this(EventLoop.builder());
    }

    /** A runner whose loop is built by {@code builder} on first use. */
    public Runner(EventLoop.Builder builder) {
        this.builder = Objects.requireNonNull(builder, "builder");
    }

    /** The runner's loop, created on first use. */
    public EventLoop loop() {
        checkNotClosed();
        if (state == State.CREATED) {
            loop = builder.build();
            state = State.INITIALIZED;
        }
        return loop;
    }

    /**
     * Runs {@code body} as a task on this runner's loop until it completes; returns its
     * result or throws its exception unwrapped.
     *
     * @throws IllegalStateException if the runner is closed, or if this thread already runs
     *                               an event loop (await the body there instead)
     */
    public <T> T run(Callable<T> body) throws Exception {
        Objects.requireNonNull(body, "body");
        checkNotClosed();
        EventLoop running = SelectorEventLoop.runningLoop();
        if (running != null) {
            throw new IllegalStateException("Runner.run() cannot be called from a running event loop ('" + running.name()
                    + "'); inside a task, call the body directly or await it, or use Bridge.runSync");
        }
        // A foreign event-loop thread (Netty, Vert.x, Reactor) must not be held for the whole run.
        Awaiting.checkMayBlock("Async.run / Runner.run", null);
        EventLoop l = loop();
        return l.runUntilComplete(l.createTask(body));
    }

    private void checkNotClosed() {
        if (state == State.CLOSED) {
            throw new IllegalStateException("this Runner is closed; create a new one");
        }
    }

    /**
     * Cancels the tasks still running and waits for them, shuts down the default executor
     * (bounded wait, logged if exceeded), closes the loop. Idempotent.
     */
    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        try {
            if (state == State.INITIALIZED) {
                cancelAll((SelectorEventLoop) loop);
                loop.close();
            }
        } finally {
            state = State.CLOSED;
            loop = null;
        }
    }

    private static void cancelAll(SelectorEventLoop l) {
        List<Task<?>> left = l.allTasks();
        if (left.isEmpty()) {
            return;
        }
        for (Task<?> t : left) {
            t.cancel("the Runner is closing");
        }
        try {
            l.runUntilComplete(Async.gatherSettledOn(l, left));
        } catch (Exception e) {
            l.callExceptionHandler(new ExceptionContext("error while cancelling tasks at Runner.close()", e, null));
        }
        for (Task<?> t : left) {
            if (t.isCompletedExceptionally()) {
                t.markRetrieved();
                l.callExceptionHandler(new ExceptionContext("unhandled exception during Runner.close() in " + t.name(),
                        t.exception(), t));
            }
        }
    }
}
