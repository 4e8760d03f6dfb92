package io.loopbridge;

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
    /** The ContextVar values every run starts with: a copy of the first caller's, then what runs left. */
    private Context context;

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
        Loop running = Loop.current();
        if (running != null) {
            throw new IllegalStateException("Runner.run() cannot be called from a running event loop ('" + running.name()
                    + "'); inside a task, call the body directly or await it, or use Bridge.runSync");
        }
        // A foreign event-loop thread (Netty, Vert.x, Reactor) must not be held for the whole run.
        Waiting.enter("Async.run / Runner.run");
        Loop l = Loop.of(loop());
        if (context == null) {
            context = Context.orEmpty(Scope.context());
        }
        Task<T> task = Task.start(l, null, body, context);
        try {
            return LoopFuture.runUntilComplete(l, task);
        } finally {
            // Every run shares one context, as asyncio.Runner's: what a run sets, the next one sees.
            context = task.values();
        }
    }

    private void checkNotClosed() {
        if (state == State.CLOSED) {
            throw new IllegalStateException("this Runner is closed; create a new one");
        }
    }

    /**
     * Cancels the tasks still running and waits for them (bounded), reports failures nobody
     * read, shuts down the default executor and closes the loop. Idempotent.
     *
     * @throws IllegalStateException from inside one of its runs (the runner stays usable, and
     *                               closes its loop when closed after the run)
     */
    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        if (state == State.INITIALIZED && loop.isRunning()) {
            throw new IllegalStateException("cannot close this Runner from inside its own run on event loop '"
                    + loop.name() + "'; close it after run() returns");
        }
        try {
            if (state == State.INITIALIZED) {
                loop.close();
            }
        } finally {
            state = State.CLOSED;
            loop = null;
        }
    }
}
