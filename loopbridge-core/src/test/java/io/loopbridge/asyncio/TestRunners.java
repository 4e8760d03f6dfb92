package io.loopbridge.asyncio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.loopbridge.Async;
import io.loopbridge.CancelledException;
import io.loopbridge.ContextVar;
import io.loopbridge.EventLoop;
import io.loopbridge.ExceptionContext;
import io.loopbridge.LoopFuture;
import io.loopbridge.Runner;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import io.loopbridge.VirtualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * CPython 3.13 Lib/test/test_asyncio/test_runners.py, case by case: {@code asyncio.run} is
 * {@link Async#run}, {@code asyncio.Runner} is {@link Runner}. {@code debug=} and
 * {@code loop_factory=} are an {@link EventLoop.Builder} given to {@code new Runner(builder)}
 * ({@code asyncio.run(main, debug=, loop_factory=)} is defined as {@code with Runner(...) as r:
 * r.run(main)}; {@code Async.run} takes no settings). {@code PYTHONASYNCIODEBUG} is
 * {@code -Dloopbridge.debug}. SIGINT / {@code KeyboardInterrupt} is {@link Thread#interrupt()}
 * of the thread running the runner / {@link InterruptedException}.
 *
 * <p>EventLoop has no public debug getter ({@code loop.get_debug()}); debug mode is read by its
 * documented effect instead (see {@link #debugOfRunningLoop()}).
 *
 * <p>Left out, no Java meaning:
 * <ul>
 *   <li>test_asyncio_run_only_coro, test_run_non_coro, test_run_future: {@code Async.run} and
 *       {@code Runner.run} take a {@code Callable}; a number, a lambda of the wrong shape or a
 *       future does not compile (Python checks "a coroutine was expected" at run time).</li>
 *   <li>test_asyncio_run_set_event_loop, test_set_event_loop_called_once: event-loop policies
 *       and {@code set_event_loop} do not exist; the running loop is found with
 *       {@code EventLoop.current()} only while it runs.</li>
 *   <li>test_asyncio_run_without_uncancel: a duck-typed task class without {@code uncancel}
 *       installed through a task factory; loopbridge has no task factory and one Task class.</li>
 *   <li>test_signal_install_not_supported_ok: {@code signal.signal} raising when the main
 *       thread has no signal support; a Runner installs no signal handler in Java.</li>
 * </ul>
 */
class TestRunners {

    // ================================================================ RunTests

    /** asyncio.run returns what the main body returns. */
    @Test
    void test_asyncio_run_return() throws Exception {
        assertThat(Async.run(() -> {
            Async.checkpoint();
            return 42;
        })).isEqualTo(42);
    }

    /** asyncio.run raises what the main body raises (ValueError is IllegalArgumentException), unwrapped. */
    @Test
    void test_asyncio_run_raises() {
        Throwable thrown = catchThrowable(() -> Async.run(() -> {
            Async.checkpoint();
            throw new IllegalArgumentException("spam");
        }));
        assertThat(thrown).isInstanceOf(IllegalArgumentException.class).hasMessage("spam");
    }

    /**
     * The loop runs in debug mode exactly when asked: {@code debug=} is the builder's
     * {@code debug(...)} on the Runner form of asyncio.run; with no setting, Async.run follows
     * {@code -Dloopbridge.debug} (asyncio's {@code _is_debug_mode}, patched by the original).
     */
    @Test
    void test_asyncio_run_debug() throws Exception {
        assertThat(runWithDebug(false, TestRunners::debugOfRunningLoop)).isFalse();
        assertThat(runWithDebug(true, TestRunners::debugOfRunningLoop)).isTrue();
        String saved = System.getProperty("loopbridge.debug");
        try {
            System.setProperty("loopbridge.debug", "true");
            assertThat(runWithDebug(null, TestRunners::debugOfRunningLoop)).isTrue();
            assertThat(runWithDebug(false, TestRunners::debugOfRunningLoop)).isFalse();
            System.setProperty("loopbridge.debug", "false");
            assertThat(runWithDebug(true, TestRunners::debugOfRunningLoop)).isTrue();
            assertThat(runWithDebug(null, TestRunners::debugOfRunningLoop)).isFalse();
        } finally {
            if (saved == null) {
                System.clearProperty("loopbridge.debug");
            } else {
                System.setProperty("loopbridge.debug", saved);
            }
        }
    }

    /** asyncio.run inside a running loop is refused with "cannot be called from a running event loop". */
    @Test
    void test_asyncio_run_from_running_loop() throws Exception {
        AtomicBoolean innerRan = new AtomicBoolean();
        Throwable thrown = catchThrowable(() -> Async.run(() -> Async.run(() -> {
            innerRan.set(true);
            return null;
        })));
        assertThat(thrown).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot be called from a running");
        assertThat(innerRan).isFalse();
    }

    /** A task still running when the main body returns is cancelled, and done, when asyncio.run returns. */
    @Test
    void test_asyncio_run_cancels_hanging_tasks() throws Exception {
        AtomicReference<Task<?>> loTask = new AtomicReference<>();
        int result = Async.run(() -> {
            loTask.set(Async.spawn(() -> {
                Async.sleep(Duration.ofMillis(100));
                return null;
            }));
            return 123;
        });
        assertThat(result).isEqualTo(123);
        assertThat(loTask.get().isDone()).isTrue();
    }

    /**
     * A leftover task whose cancellation handler fails (1/0) is reported to the loop's exception
     * handler with the task and the exception (the original mocks call_exception_handler; here
     * the main body installs a recording handler).
     */
    @Test
    void test_asyncio_run_reports_hanging_tasks_errors() throws Exception {
        AtomicReference<Task<?>> loTask = new AtomicReference<>();
        List<ExceptionContext> calls = new CopyOnWriteArrayList<>();
        int result = Async.run(() -> {
            EventLoop.current().setExceptionHandler((loop, ctx) -> calls.add(ctx));
            loTask.set(Async.spawn(() -> {
                try {
                    Async.sleep(Duration.ofMillis(100));
                } catch (CancelledException e) {
                    throw new ArithmeticException("division by zero");
                }
                return null;
            }));
            return 123;
        });
        assertThat(result).isEqualTo(123);
        assertThat(loTask.get().isDone()).isTrue();
        assertThat(calls).isNotEmpty();
        ExceptionContext last = calls.get(calls.size() - 1);
        assertThat(last.message()).contains("unhandled exception during");
        assertThat(last.source()).isSameAs(loTask.get());
        assertThat(last.exception()).isInstanceOf(ArithmeticException.class);
    }

    /**
     * The main body fails while a leftover task spins in a loop (the original's async generator
     * {@code fidget}) whose cancellation handler fails too: asyncio.run raises the body's
     * exception, the leftover is done and its loop was left (its finally ran: the generator was
     * closed). Java has no async generators, so the spinning loop lives in the task itself; the
     * body yields once before failing so the spinner is running (CPython's ready-queue order
     * gives the same).
     */
    @Test
    void test_asyncio_run_closes_gens_after_hanging_tasks_errors() throws Exception {
        final class FancyExit extends Exception {
        }
        AtomicReference<Task<?>> lazyboy = new AtomicReference<>();
        AtomicBoolean spinnerClosed = new AtomicBoolean();
        AtomicBoolean spinnerRunning = new AtomicBoolean();
        List<ExceptionContext> calls = new CopyOnWriteArrayList<>();
        FancyExit fancy = new FancyExit();
        Throwable thrown = catchThrowable(() -> Async.run(() -> {
            EventLoop.current().setExceptionHandler((loop, ctx) -> calls.add(ctx));
            lazyboy.set(Async.spawn(() -> {
                try {
                    spinnerRunning.set(true);
                    while (true) {
                        Async.sleep(Duration.ofSeconds(1));
                    }
                } catch (CancelledException e) {
                    throw new ArithmeticException("division by zero");
                } finally {
                    spinnerRunning.set(false);
                    spinnerClosed.set(true);
                }
            }));
            Async.checkpoint();
            throw fancy;
        }));
        assertThat(thrown).isSameAs(fancy);
        assertThat(lazyboy.get().isDone()).isTrue();
        assertThat(spinnerClosed).isTrue();
        assertThat(spinnerRunning).isFalse();
        assertThat(calls).anySatisfy(c -> assertThat(c.exception()).isInstanceOf(ArithmeticException.class));
    }

    /**
     * {@code loop_factory} makes the loop the body runs on, once: the Java factory is the
     * builder given to {@code new Runner(builder)} (Async.run has no factory argument).
     */
    @Test
    void test_asyncio_run_loop_factory() throws Exception {
        EventLoop.Builder factory = EventLoop.builder().name("factory-loop").clock(VirtualClock.autoAdvancing());
        EventLoop built;
        EventLoop seen;
        try (Runner runner = new Runner(factory)) {
            seen = runner.run(EventLoop::current);
            built = runner.loop();
            assertThat(runner.run(EventLoop::current)).isSameAs(built);
        }
        assertThat(seen).isSameAs(built);
        assertThat(seen.name()).isEqualTo("factory-loop");
        assertThat(seen.isClosed()).isTrue();
    }

    /**
     * The default loop class as a factory ({@code asyncio.EventLoop}) gives the platform's
     * default loop: a plain builder gives a loop of the best task mode this JVM supports.
     */
    @Test
    void test_loop_factory_default_event_loop() throws Exception {
        try (Runner runner = new Runner(EventLoop.builder())) {
            TaskMode mode = runner.run(() -> EventLoop.current().taskMode());
            assertThat(mode).isEqualTo(TaskMode.best());
        }
    }

    // ================================================================ RunnerTests

    /** Runner(debug=False): the loop is not in debug mode. */
    @Test
    void test_non_debug() throws Exception {
        try (Runner runner = new Runner(EventLoop.builder().debug(false))) {
            assertThat(runner.run(TestRunners::debugOfRunningLoop)).isFalse();
        }
    }

    /** Runner(debug=True): the loop is in debug mode. */
    @Test
    void test_debug() throws Exception {
        try (Runner runner = new Runner(EventLoop.builder().debug(true))) {
            assertThat(runner.run(TestRunners::debugOfRunningLoop)).isTrue();
        }
    }

    /** A custom loop factory's loop is the runner's loop (the factory is a builder, its loop named for identification). */
    @Test
    void test_custom_factory() {
        try (Runner runner = new Runner(EventLoop.builder().name("custom"))) {
            EventLoop loop = runner.loop();
            assertThat(loop.name()).isEqualTo("custom");
            assertThat(runner.loop()).isSameAs(loop);
        }
    }

    /** run returns the body's result; after the block the runner refuses "Runner is closed" and its loop is closed. */
    @Test
    void test_run() throws Exception {
        Runner runner;
        EventLoop loop;
        try (Runner r = new Runner()) {
            runner = r;
            assertThat(r.run(() -> {
                Async.checkpoint();
                return "done";
            })).isEqualTo("done");
            loop = r.loop();
        }
        assertThatThrownBy(runner::loop).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Runner is closed");
        assertThat(loop.isClosed()).isTrue();
    }

    /** close() without a with-block closes the loop; the runner then refuses "Runner is closed". */
    @Test
    void test_explicit_close() {
        Runner runner = new Runner();
        EventLoop loop = runner.loop();
        runner.close();
        assertThatThrownBy(runner::loop).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Runner is closed");
        assertThat(loop.isClosed()).isTrue();
    }

    /** A second close() is a no-op. */
    @Test
    void test_double_close() {
        Runner runner = new Runner();
        EventLoop loop = runner.loop();
        runner.close();
        assertThat(loop.isClosed()).isTrue();
        runner.close();
        assertThat(loop.isClosed()).isTrue();
    }

    /**
     * Entering a closed runner again is refused: Java's try-with-resources has no enter hook, so
     * the refusal comes from the first run in the second block; the body does not run.
     */
    @Test
    void test_second_with_block_raises() throws Exception {
        List<Integer> ret = new CopyOnWriteArrayList<>();
        Runner runner = new Runner();
        try (Runner r = runner) {
            r.run(() -> ret.add(1));
        }
        Throwable thrown = catchThrowable(() -> {
            try (Runner r = runner) {
                r.run(() -> ret.add(2));
            }
        });
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("Runner is closed");
        assertThat(ret).containsExactly(1);
    }

    /**
     * Every run of one runner happens in the same context, so a ContextVar set in one run is
     * seen by the next (the original's third run returns copy_context(); here it reads the var).
     */
    @Test
    void test_run_keeps_context() throws Exception {
        ContextVar<Integer> cvar = ContextVar.withDefault("cvar", -1);
        try (Runner runner = new Runner()) {
            assertThat(runner.run(setAndReturnOld(cvar, 1))).isEqualTo(-1);
            assertThat(runner.run(setAndReturnOld(cvar, 2))).isEqualTo(1);
            assertThat(runner.run(cvar::get)).isEqualTo(2);
        }
    }

    private static Callable<Integer> setAndReturnOld(ContextVar<Integer> cvar, int val) {
        return () -> {
            int old = cvar.get();
            Async.checkpoint();
            cvar.set(val);
            return old;
        };
    }

    /**
     * Runner.run inside a body the runner runs is refused with "Runner.run() cannot be called
     * from a running event loop", and the inner body never runs (the original's "coroutine was
     * never awaited" warning).
     */
    @Test
    void test_recursive_run() throws Exception {
        AtomicBoolean gRan = new AtomicBoolean();
        try (Runner runner = new Runner()) {
            Throwable thrown = catchThrowable(() -> runner.run(() -> runner.run(() -> {
                gRan.set(true);
                return null;
            })));
            assertThat(thrown).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Runner.run() cannot be called from a running event loop");
        }
        assertThat(gRan).isFalse();
    }

    /**
     * An interrupt of the runner's thread (SIGINT) while the body spins on checkpoints cancels
     * the body at its next checkpoint; the body re-raises the cancellation and run throws
     * InterruptedException (KeyboardInterrupt). The interrupt is sent from a loop callback on
     * the runner's thread once the body spins, as the original's call_later does. Bounded, so
     * that an ignored interrupt fails instead of spinning forever.
     */
    @Test
    void test_interrupt_call_soon() throws Exception {
        Thread runnerThread = Thread.currentThread();
        AtomicBoolean sawCancellation = new AtomicBoolean();
        try (Runner runner = new Runner()) {
            Throwable thrown = catchThrowable(() -> runner.run(() -> {
                try {
                    for (int i = 0; i < 100_000; i++) {
                        if (i == 10) {
                            EventLoop.current().callSoon(runnerThread::interrupt);
                        }
                        Async.checkpoint();
                    }
                    return "never interrupted";
                } catch (CancelledException e) {
                    sawCancellation.set(true);
                }
                throw new CancelledException("raised again by the body");
            }));
            assertThat(sawCancellation).isTrue();
            assertThat(thrown).isInstanceOf(InterruptedException.class);
        } finally {
            Thread.interrupted();
        }
    }

    /**
     * As {@link #test_interrupt_call_soon}, with the interrupt sent by another thread while the
     * body spins, as the original's interrupt_main arrives asynchronously. In FAST mode the
     * runner's thread is the carrier of the body's virtual thread, and the JDK clears a
     * carrier's interrupt status on every mount and unmount: an interrupt landing during a step
     * must still cancel the body. Repeated, each run bounded (the body gives up after its
     * checkpoints, so a lost interrupt fails the test instead of spinning).
     */
    @Test
    void test_interrupt_call_soon_from_another_thread() throws Exception {
        Thread runnerThread = Thread.currentThread();
        for (int round = 0; round < 50; round++) {
            CountDownLatch spinning = new CountDownLatch(1);
            AtomicBoolean sawCancellation = new AtomicBoolean();
            Thread interrupter = Thread.ofPlatform().name("interrupter-" + round).start(() -> {
                try {
                    spinning.await();
                    runnerThread.interrupt();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try (Runner runner = new Runner()) {
                Throwable thrown = catchThrowable(() -> runner.run(() -> {
                    try {
                        for (int i = 0; i < 5_000_000; i++) {
                            if (i == 10) {
                                spinning.countDown();
                            }
                            Async.checkpoint();
                        }
                        return "never interrupted";
                    } catch (CancelledException e) {
                        sawCancellation.set(true);
                    }
                    throw new CancelledException("raised again by the body");
                }));
                assertThat(thrown).as("round %d", round).isInstanceOf(InterruptedException.class);
                assertThat(sawCancellation).as("round %d", round).isTrue();
            } finally {
                interrupter.join();
                Thread.interrupted();
            }
        }
    }

    /**
     * An interrupt of the runner's thread while the body awaits a future cancels both the
     * future and the body; run throws InterruptedException (KeyboardInterrupt). A guard thread
     * completes the future if nothing happened for 10 s, so that an ignored interrupt fails the
     * test instead of hanging it.
     */
    @Test
    void test_interrupt_wait() throws Exception {
        Thread runnerThread = Thread.currentThread();
        AtomicBoolean sawCancellation = new AtomicBoolean();
        CountDownLatch runReturned = new CountDownLatch(1);
        try (Runner runner = new Runner()) {
            EventLoop loop = runner.loop();
            LoopFuture<String> fut = loop.createFuture();
            Thread guard = Thread.ofPlatform().name("interrupt-wait-guard").start(() -> {
                try {
                    if (!runReturned.await(10, TimeUnit.SECONDS)) {
                        loop.callSoonThreadsafe(() -> fut.complete("never interrupted"));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Throwable thrown;
            try {
                thrown = catchThrowable(() -> runner.run(() -> {
                    EventLoop.current().callSoon(runnerThread::interrupt);
                    try {
                        return Async.await(fut);
                    } catch (CancelledException e) {
                        sawCancellation.set(true);
                    }
                    throw new CancelledException("raised again by the body");
                }));
            } finally {
                Thread.interrupted();
                runReturned.countDown();
                guard.join();
            }
            assertThat(sawCancellation).isTrue();
            assertThat(thrown).isInstanceOf(InterruptedException.class);
            assertThat(fut.isCancelled()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    /**
     * An interrupt that arrives after the body was already cancelled by someone else does not
     * turn into InterruptedException: run throws the CancelledException (asyncio's uncancel()
     * count stays above zero).
     */
    @Test
    void test_interrupt_cancelled_task() throws Exception {
        Thread runnerThread = Thread.currentThread();
        try (Runner runner = new Runner(EventLoop.builder().clock(VirtualClock.autoAdvancing()))) {
            Throwable thrown = catchThrowable(() -> runner.run(() -> {
                Task<?> main = Async.currentTask().orElseThrow();
                Async.spawn(() -> {
                    Async.checkpoint();
                    main.cancel();
                    runnerThread.interrupt();
                    return null;
                });
                Async.sleep(Duration.ofSeconds(10));
                return null;
            }));
            assertThat(thrown).isInstanceOf(CancelledException.class);
        } finally {
            Thread.interrupted();
        }
    }

    /** Runner.run does not call toString() on the body's result (repr in the original). */
    @Test
    void test_no_repr_is_call_on_the_task_result() throws Exception {
        final class MyResult {
            final AtomicInteger reprCount = new AtomicInteger();

            @Override
            public String toString() {
                reprCount.incrementAndGet();
                return super.toString();
            }
        }
        MyResult result;
        try (Runner runner = new Runner()) {
            result = runner.run(MyResult::new);
        }
        assertThat(result.reprCount).hasValue(0);
    }

    // ================================================================ helpers

    /** asyncio.run(body, debug=debug): Async.run when null (default settings), else the Runner form. */
    private static <T> T runWithDebug(Boolean debug, Callable<T> body) throws Exception {
        if (debug == null) {
            return Async.run(body);
        }
        try (Runner runner = new Runner(EventLoop.builder().debug(debug))) {
            return runner.run(body);
        }
    }

    /**
     * {@code loop.get_debug()} of the running loop, from one of its tasks, read by the effect
     * EventLoop documents for debug mode: a loop-confined method called from another thread
     * while the loop runs is refused. A plain callback holds the loop thread while a helper
     * thread makes that call, so in non-debug mode the call touches the loop's queue only while
     * the loop waits for it (start/join order the accesses); the queued no-op then runs harmlessly.
     */
    private static boolean debugOfRunningLoop() throws Exception {
        EventLoop loop = EventLoop.current();
        LoopFuture<Boolean> answer = loop.createFuture();
        loop.callSoon(() -> {
            AtomicBoolean refused = new AtomicBoolean();
            Thread probe = Thread.ofPlatform().name("debug-probe").start(() -> {
                try {
                    loop.callSoon(() -> { });
                } catch (IllegalStateException e) {
                    refused.set(true);
                }
            });
            boolean interrupted = false;
            while (true) {
                try {
                    probe.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            answer.complete(refused.get());
        });
        return Async.await(answer);
    }
}
