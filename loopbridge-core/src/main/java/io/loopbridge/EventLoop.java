package io.loopbridge;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * asyncio's event loop for Java: one thread runs callbacks from a FIFO ready queue, timers
 * from a heap, I/O readiness from a {@link java.nio.channels.Selector}, and the steps of
 * {@link Task}s, one at a time.
 *
 * <p>Thread-safety: {@link #callSoonThreadsafe}, {@link #execute}, {@link #isRunning()},
 * {@link #isClosed()}, {@link #time()}, {@link #inLoop()} and {@link #taskMode()} may be
 * called from any thread. Everything else is confined to the loop: call it from the thread
 * running the loop (a callback or a task of this loop), or, while the loop is not running,
 * from the one thread that owns it. From other threads, go through
 * {@link #callSoonThreadsafe} or {@code Threads.runCoroutineThreadsafe}. In debug mode a
 * confined method called from another thread fails with a message naming both threads.
 *
 * <p>{@code execute} is {@code callSoonThreadsafe}, so a loop is an {@link Executor} that
 * {@code CompletableFuture.thenApplyAsync(fn, loop)} and friends can use.
 */
public sealed interface EventLoop extends Executor, AutoCloseable permits SelectorEventLoop {

    /** A loop with default settings (the best {@link TaskMode} this JVM supports). */
    static EventLoop create() {
        return builder().build();
    }

    /** A builder for a loop with non-default settings. */
    static Builder builder() {
        return new Builder();
    }

    /** The loop running on this thread (its loop thread, or a task of it), if any. */
    static Optional<EventLoop> running() {
        Loop loop = Loop.current();
        return loop == null ? Optional.empty() : Optional.of(loop.api());
    }

    /**
     * The loop running on this thread.
     *
     * @throws IllegalStateException if none is: use {@code Async.run}, a {@link Runner}
     *                               or an {@code EventThread} to get one
     */
    static EventLoop current() {
        Loop loop = Loop.current();
        if (loop == null) {
            throw new IllegalStateException("no event loop is running in thread '" + Thread.currentThread().getName()
                    + "'; start one with Async.run(...), a Runner or an EventThread, or keep a reference to the loop");
        }
        return loop.api();
    }

    /** This loop's name (from the builder; used in thread names and messages). */
    String name();

    /** The task mode this loop runs its tasks in. */
    TaskMode taskMode();

    /** True when called from this loop's thread while it runs, or from one of its tasks. */
    boolean inLoop();

    // ---------------------------------------------------------------- scheduling

    /** Schedules {@code callback} to run on the loop, after those already scheduled. Loop only. */
    Handle callSoon(Runnable callback);

    /**
     * Schedules {@code callback} from any thread. Lock-free; posts from one thread run in
     * the order they were posted; a burst of posts wakes a sleeping loop once.
     *
     * @throws java.util.concurrent.RejectedExecutionException once the loop is closed
     */
    Handle callSoonThreadsafe(Runnable callback);

    /** Same as {@link #callSoonThreadsafe}. */
    @Override
    void execute(Runnable command);

    /** Runs {@code callback} after {@code delay} on the loop's clock. Loop only. */
    TimerHandle callLater(Duration delay, Runnable callback);

    /** Runs {@code callback} when {@link #time()} reaches {@code deadlineNanos}. Loop only. */
    TimerHandle callAt(long deadlineNanos, Runnable callback);

    /** The loop's clock, in nanoseconds (only differences are meaningful). */
    long time();

    // ---------------------------------------------------------------- I/O readiness

    /**
     * Runs {@code callback} on the loop whenever {@code channel} is readable (or accepting /
     * connectable), until {@link #removeReader}. The channel is made non-blocking. Replaces a
     * previous reader of the channel. Loop only.
     */
    void addReader(java.nio.channels.SelectableChannel channel, Runnable callback);

    /** Stops watching {@code channel} for reading; returns whether a reader was registered. Loop only. */
    boolean removeReader(java.nio.channels.SelectableChannel channel);

    /** Runs {@code callback} whenever {@code channel} is writable, until {@link #removeWriter}. Loop only. */
    void addWriter(java.nio.channels.SelectableChannel channel, Runnable callback);

    /** Stops watching {@code channel} for writing; returns whether a writer was registered. Loop only. */
    boolean removeWriter(java.nio.channels.SelectableChannel channel);

    // ---------------------------------------------------------------- socket awaitables

    /*
     * asyncio's sock_* methods. Each returns a future of this loop to await from a task:
     * Async.await(loop.sockRecv(ch, buf)). Each first tries the channel at once and registers a
     * reader or writer only if it would block; the registration is removed as soon as the
     * future is done, cancelled or failed, so nothing is left behind. Streams builds on the
     * readiness callbacks directly; these are for code that drives raw channels.
     */

    /**
     * Accepts one connection on {@code listener} (made non-blocking): a future of the accepted
     * channel, itself non-blocking. Cancelling the future stops waiting. Loop only.
     */
    default LoopFuture<java.nio.channels.SocketChannel> sockAccept(java.nio.channels.ServerSocketChannel listener) {
        return SocketOps.accept(this, listener);
    }

    /**
     * Connects {@code channel} (made non-blocking) to {@code remote}. The future fails with the
     * connect error (e.g. {@link java.net.ConnectException} when refused); cancelling it stops
     * waiting but leaves the channel to the caller, who should close it. Loop only.
     */
    default LoopFuture<Void> sockConnect(java.nio.channels.SocketChannel channel, java.net.SocketAddress remote) {
        return SocketOps.connect(this, channel, remote);
    }

    /**
     * Reads once into {@code dst} when data is available: a future of the number of bytes read,
     * -1 at end of stream (0 only if {@code dst} has no room). Loop only.
     */
    default LoopFuture<Integer> sockRecv(java.nio.channels.SocketChannel channel, java.nio.ByteBuffer dst) {
        return SocketOps.recv(this, channel, dst);
    }

    /**
     * Writes all remaining bytes of {@code src}, waiting for the socket to become writable as
     * often as needed. If cancelled or failed, {@code src}'s position tells how much was sent.
     * Loop only.
     */
    default LoopFuture<Void> sockSendAll(java.nio.channels.SocketChannel channel, java.nio.ByteBuffer src) {
        return SocketOps.sendAll(this, channel, src);
    }

    // ---------------------------------------------------------------- futures and tasks

    /** A new pending future bound to this loop. Any thread. */
    default <T> LoopFuture<T> createFuture() {
        return new LoopFuture<>(Loop.of(this));
    }

    /** Wraps {@code body} in a task that starts on the loop's next iteration. Loop only. */
    default <T> Task<T> createTask(Callable<T> body) {
        return createTask(null, body);
    }

    /** As {@link #createTask(Callable)}, with a name for logs and {@link Task#toString()}. */
    default <T> Task<T> createTask(String name, Callable<T> body) {
        return Task.start(Loop.of(this), name, body, Scope.context());
    }

    /**
     * As {@link #createTask(String, Callable)} ({@code name} may be null), the task running in
     * {@code context} instead of a copy of the caller's values: what it sets there,
     * {@code context} holds, and tasks given the same context share it (asyncio's
     * {@code create_task(coro, context=ctx)}). Loop only.
     */
    default <T> Task<T> createTask(String name, Callable<T> body, ContextVar.Context context) {
        return Task.start(Loop.of(this), name, body, context);
    }

    /**
     * A loop future that completes, on this loop, when {@code stage} does (on any thread).
     * A {@link LoopFuture} of this loop is returned as it is.
     */
    default <T> LoopFuture<T> wrap(CompletionStage<T> stage) {
        return LoopFuture.wrap(Loop.of(this), stage);
    }

    /**
     * Runs blocking {@code work} on {@code executor} (the loop's default executor when null)
     * and returns a future of this loop for its result.
     */
    default <T> LoopFuture<T> runInExecutor(Executor executor, Callable<T> work) {
        return Threads.runOn(Loop.of(this), executor, work);
    }

    // ---------------------------------------------------------------- running

    /**
     * Runs the loop until {@link #stop()}. An interrupt of the running thread stops it too, and
     * the thread's interrupt status is set again when this returns.
     */
    void runForever();

    /**
     * Runs the loop until {@code future} is done; returns its result or throws what it failed
     * with (unwrapped). See {@link Async#await} for how exceptions surface. An interrupt of the
     * running thread cancels {@code future}; if it then ends cancelled, this throws
     * {@link InterruptedException} (asyncio turns Ctrl-C into KeyboardInterrupt the same way).
     */
    default <T> T runUntilComplete(CompletionStage<T> future) throws Exception {
        return LoopFuture.runUntilComplete(Loop.of(this), future);
    }

    /** Runs {@code body} as a task until it completes; returns its result. */
    default <T> T runUntilComplete(Callable<T> body) throws Exception {
        return runUntilComplete(createTask(body));
    }

    /** Makes {@link #runForever()} return after the callbacks of the current iteration. Loop only. */
    void stop();

    boolean isRunning();

    boolean isClosed();

    /**
     * Closes the loop: cancels and drains its remaining tasks, shuts down its default
     * executor, releases its selector. Idempotent.
     *
     * @throws IllegalStateException if the loop is running
     */
    @Override
    void close();

    /** What the loop holds right now (ready callbacks, tasks, timers, channels). Loop only. */
    LoopStats stats();

    /** Sets the handler for exceptions nobody else can handle; null restores the default (SLF4J). */
    void setExceptionHandler(LoopExceptionHandler handler);

    /** Passes {@code context} to the exception handler. */
    void callExceptionHandler(ExceptionContext context);

    /**
     * Settings for a new loop. Not thread-safe: build on one thread.
     */
    final class Builder {
        String name;
        boolean debug = Boolean.getBoolean("loopbridge.debug");
        Duration slowCallbackDuration = Duration.ofMillis(100);
        LoopClock clock = LoopClock.system();
        TaskMode taskMode;
        Executor defaultExecutor;
        int defaultThreadLimit = 40;
        Duration idleSpin = Duration.ofNanos(Long.getLong("loopbridge.idleSpinNanos", 50_000));
        Duration blockedLoopThreshold = defaultBlockedLoopThreshold();

        Builder() {
        }

        /**
         * How long an idle loop polls for work before it sleeps (default 50 µs;
         * also {@code -Dloopbridge.idleSpinNanos}). A short spin saves the wake-up when posts
         * or socket replies arrive quickly (a loop with channels polls them with a
         * non-blocking select while it spins); zero turns it off, e.g. where CPU is scarce and
         * latency matters less.
         */
        public Builder idleSpin(Duration spin) {
            if (spin.isNegative()) {
                throw new IllegalArgumentException("idleSpin must not be negative: " + spin);
            }
            this.idleSpin = spin;
            return this;
        }

        /** Permits of the loop's default {@link CapacityLimiter} for {@code Threads.toThread} (default 40). */
        public Builder defaultThreadLimit(int permits) {
            if (permits < 1) {
                throw new IllegalArgumentException("defaultThreadLimit must be at least 1, got " + permits);
            }
            this.defaultThreadLimit = permits;
            return this;
        }

        /**
         * The blocked-loop watchdog's threshold: when one callback or task step holds the loop
         * longer, the stack of what blocks it is logged (once per stall, at most one warning per
         * loop every 10 s) and a {@code io.loopbridge.BlockedLoop} JFR event is recorded. On by
         * default at 1 s (also {@code -Dloopbridge.blockedLoopThresholdMillis}, 0 to turn it
         * off); {@code null} turns it off for this loop.
         */
        public Builder blockedLoopThreshold(Duration threshold) {
            if (threshold != null && (threshold.isNegative() || threshold.isZero())) {
                throw new IllegalArgumentException("blockedLoopThreshold must be positive: " + threshold);
            }
            this.blockedLoopThreshold = threshold;
            return this;
        }

        /** Name used in thread names, logs and messages. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Debug mode (asyncio's debug): confined methods check their thread, and callbacks
         * or task steps slower than {@link #slowCallbackDuration} are logged. Also on with
         * {@code -Dloopbridge.debug=true}.
         */
        public Builder debug(boolean debug) {
            this.debug = debug;
            return this;
        }

        /** In debug mode, a callback that runs longer than this is logged (default 100 ms). */
        public Builder slowCallbackDuration(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("slowCallbackDuration must not be negative: " + d);
            }
            this.slowCallbackDuration = d;
            return this;
        }

        /** The clock timers run on; tests pass a {@link VirtualClock}. */
        public Builder clock(LoopClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The task mode; default {@link TaskMode#best()}.
         *
         * @throws IllegalStateException at {@link #build()} if {@link TaskMode#FAST} is asked for
         *                               but the JVM was started without the flag it needs
         */
        public Builder taskMode(TaskMode mode) {
            this.taskMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** The executor {@link EventLoop#runInExecutor} uses when given none. */
        public Builder defaultExecutor(Executor executor) {
            this.defaultExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        private static Duration defaultBlockedLoopThreshold() {
            long millis = Long.getLong("loopbridge.blockedLoopThresholdMillis", 1000);
            return millis <= 0 ? null : Duration.ofMillis(millis);
        }

        public EventLoop build() {
            return new SelectorEventLoop(this);
        }
    }
}
