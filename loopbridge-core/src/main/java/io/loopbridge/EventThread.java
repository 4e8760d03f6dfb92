package io.loopbridge;

import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An event loop running in its own (non-daemon) thread, as Python programs build around
 * asyncio with a background thread and {@code run_coroutine_threadsafe}.
 * Synchronous code hands it work with {@link #submit} (a future) or {@link #call} (an
 * honest blocking call), and stops it gracefully with {@link #close()}.
 *
 * <pre>{@code
 * try (EventThread et = new EventThread("io").start()) {
 *     et.addDoneCallback(() -> log.info("loop stopped"));
 *     String page = et.call(() -> Async.await(client.get("/")));
 * }
 * }</pre>
 *
 * <p>Lifecycle: NEW → RUNNING → CLOSING → CLOSED. {@code close()} stops accepting work
 * ({@link #submit} then throws {@link RejectedExecutionException}), lets running tasks finish
 * within a grace period, cancels the rest and waits for their cleanup, runs the done
 * callbacks, and joins the thread. A program that forgets to close it gets a warning naming
 * where it was started.
 *
 * <p>This class is thread-safe.
 */
public final class EventThread implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventThread.class);
    private static final Cleaner CLEANER = FailureWatch.CLEANER;
    /** Default grace period of {@link #close()}. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);

    private enum State { NEW, RUNNING, CLOSING, CLOSED }

    /** Everything the loop thread needs; never references the EventThread, so a forgotten one can be collected. */
    private static final class Core implements Runnable {
        final String name;
        final EventLoop loop;
        final CountDownLatch started = new CountDownLatch(1);
        final CompletableFuture<Void> finished = new CompletableFuture<>();
        final List<Runnable> doneCallbacks = new ArrayList<>();
        volatile State state = State.NEW;
        volatile Duration grace = DEFAULT_GRACE;
        volatile Throwable startSite;
        Thread thread;
        /** Loop turn only: completed by close() to end the running phase. */
        LoopFuture<Void> stopSignal;

        Core(String name, EventLoop loop) {
            this.name = name;
            this.loop = loop;
        }

        @Override
        public void run() {
            try {
                stopSignal = loop.createFuture();
                loop.callSoon(started::countDown);
                loop.runUntilComplete(stopSignal);
                // Graceful: the tasks may finish on their own within the grace period; close() cancels the rest.
                if (!Loop.of(loop).runUntilTasksFinish(grace.toNanos())) {
                    log.warn("EventThread '{}': {} task(s) still running after the {} ms grace period; cancelling them",
                            name, loop.stats().tasks(), grace.toMillis());
                }
            } catch (Throwable t) {
                log.error("EventThread '{}' loop failed", name, t);
            } finally {
                started.countDown();
                state = State.CLOSING;
                try {
                    loop.close();
                } catch (Throwable t) {
                    log.error("closing the loop of EventThread '{}' failed", name, t);
                }
                List<Runnable> callbacks;
                synchronized (this) {
                    state = State.CLOSED;
                    callbacks = new ArrayList<>(doneCallbacks);
                    doneCallbacks.clear();
                }
                for (Runnable c : callbacks) {
                    try {
                        c.run();
                    } catch (Throwable e) {
                        log.error("done callback of EventThread '{}' failed", name, e);
                    }
                }
                finished.complete(null);
            }
        }

        void warnLeaked() {
            if (state == State.RUNNING) {
                log.warn("EventThread '{}' was never closed; its non-daemon thread keeps the JVM alive. "
                        + "Close it (try-with-resources). It was started here:", name, startSite);
            }
        }
    }

    private final Core core;

    /** An event thread named "event-thread". */
    public EventThread() {
        this("event-thread");
    }

    /** An event thread whose thread and loop are named {@code name}. */
    public EventThread(String name) {
        this(name, EventLoop.builder());
    }

    /** An event thread whose loop is built by {@code builder}. */
    public EventThread(String name, EventLoop.Builder builder) {
        Objects.requireNonNull(name, "name");
        this.core = new Core(name, builder.name(name).build());
    }

    /** Starts the thread; returns once its loop is running. */
    public EventThread start() {
        synchronized (core) {
            if (core.state != State.NEW) {
                throw new IllegalStateException("EventThread '" + core.name + "' was already started (it is "
                        + core.state.name().toLowerCase() + ")");
            }
            core.state = State.RUNNING;
            core.startSite = new Exception("EventThread '" + core.name + "' started here");
            core.thread = Thread.ofPlatform().name(core.name).daemon(false).start(core);
        }
        CLEANER.register(this, core::warnLeaked);
        try {
            core.started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting EventThread '" + core.name + "'", e);
        }
        return this;
    }

    /** The loop running in this thread. */
    public EventLoop loop() {
        return core.loop;
    }

    /** The thread the loop runs in (null before {@link #start()}). */
    public Thread thread() {
        return core.thread;
    }

    /**
     * Runs {@code body} as a task of this thread's loop, in a copy of the caller's context;
     * see {@link Threads#runCoroutineThreadsafe}.
     *
     * @throws RejectedExecutionException if not started, or closing/closed
     */
    public <T> CompletableFuture<T> submit(Callable<T> body) {
        return submit(null, body);
    }

    /** As {@link #submit(Callable)}, naming the task ({@link Task#name()}). */
    public <T> CompletableFuture<T> submit(String name, Callable<T> body) {
        Objects.requireNonNull(body, "body");
        State s = core.state;
        if (s != State.RUNNING) {
            throw new RejectedExecutionException("EventThread '" + core.name + "' does not accept work: it is "
                    + s.name().toLowerCase() + (s == State.NEW ? " (call start() first)" : ""));
        }
        return Threads.runCoroutineThreadsafe(name, body, core.loop);
    }

    /**
     * Runs {@code body} on this thread's loop and waits for its result, by the one rule:
     * a plain thread blocks; a task of another loop is suspended; a task of this very loop runs
     * the body inline; this loop's thread outside a task, or a foreign event-loop thread, is
     * refused with {@link BlockingOnLoopException}. Exceptions come out unwrapped.
     */
    public <T> T call(Callable<T> body) throws Exception {
        Task<?> task = Waiting.enter("EventThread.call");
        if (task != null && task.loop == Loop.of(core.loop)) {
            return body.call();
        }
        return Async.await(submit(body));
    }

    /**
     * Runs {@code callback} once the loop has stopped and closed: on the event thread as its
     * last act, or at once on the caller's thread if that already happened.
     */
    public void addDoneCallback(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        synchronized (core) {
            if (core.state != State.CLOSED) {
                core.doneCallbacks.add(callback);
                return;
            }
        }
        callback.run();
    }

    public boolean isClosed() {
        return core.state == State.CLOSED;
    }

    /** {@link #close(Duration)} with {@link #DEFAULT_GRACE}. */
    @Override
    public void close() {
        close(DEFAULT_GRACE);
    }

    /**
     * Graceful stop: refuses new work, gives running tasks {@code grace} to finish, cancels the
     * rest, runs the done callbacks, joins the thread. A task that has still not finished 5 s
     * after its cancellation (it ignores it, or waits for work that does) is ended cancelled and
     * logged, so a caller waiting in {@link #call} or on a {@link #submit} future is released.
     * Idempotent.
     *
     * @throws IllegalStateException if called from this event thread itself (it would wait for itself)
     */
    public void close(Duration grace) {
        Objects.requireNonNull(grace, "grace");
        if (Thread.currentThread() == core.thread || (core.loop.inLoop())) {
            throw new IllegalStateException("EventThread '" + core.name + "' cannot be closed from its own loop "
                    + "(it would wait for itself); close it from another thread");
        }
        boolean neverStarted = false;
        synchronized (core) {
            if (core.state == State.NEW) {
                neverStarted = true;
                core.state = State.CLOSED;
            } else if (core.state == State.RUNNING) {
                core.state = State.CLOSING;
                core.grace = grace;
                core.loop.callSoonThreadsafe(() -> core.stopSignal.complete(null));
            }
        }
        if (neverStarted) {
            core.loop.close();
            core.finished.complete(null);
            return;
        }
        Thread t = core.thread;
        try {
            if (t != null && !t.join(grace.plusSeconds(10))) {
                log.error("EventThread '{}' did not stop within its grace period plus 10 s", core.name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "EventThread[" + core.name + ", " + core.state.name().toLowerCase() + "]";
    }
}
