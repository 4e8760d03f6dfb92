package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Behaviour of {@link Runner} and {@link Async#run}, after CPython's test_runners.py. */
class RunnerTest {

    static Runner virtualRunner() {
        return new Runner(EventLoop.builder().clock(VirtualClock.autoAdvancing()));
    }

    /**
     * An interrupt that reaches the loop only after the main task ended cancelled (a PORTABLE
     * loop learns of its caller's interrupts a moment later) changes nothing: run throws the
     * task's CancelledException, not InterruptedException. Found when timing changed in
     * test_interrupt_cancelled_task; here the order is fixed: the interrupt is sent from the
     * main task's done callback.
     */
    @Test
    void anInterruptAfterTheMainTaskEndedCancelledLeavesItsCancellation() throws Exception {
        Thread runnerThread = Thread.currentThread();
        try (Runner runner = virtualRunner()) {
            Throwable thrown = catchThrowable(() -> runner.run(() -> {
                Task<?> main = Async.currentTask().orElseThrow();
                main.addDoneCallback(t -> runnerThread.interrupt());
                main.cancel();
                Async.sleep(Duration.ofSeconds(10));
                return null;
            }));
            assertThat(thrown).isInstanceOf(CancelledException.class);
        } finally {
            Thread.interrupted();
        }
    }

    // ---------------------------------------------------------------- Async.run (asyncio.run)

    @Test
    void asyncRunReturnsTheResult() throws Exception {
        assertThat(Async.run(() -> {
            Async.checkpoint();
            return 42;
        })).isEqualTo(42);
    }

    /** test_asyncio_run_raises: the body's exception comes out unwrapped. */
    @Test
    void asyncRunRethrowsTheBodysExceptionUnwrapped() {
        IOException boom = new IOException("boom");
        Throwable thrown = catchThrowable(() -> Async.run(() -> {
            throw boom;
        }));
        assertThat(thrown).isSameAs(boom);
    }

    /** The body runs as a task of a loop that runs in this thread, and the loop is closed afterwards. */
    @Test
    void asyncRunRunsTheBodyAsATaskOfAFreshLoopAndClosesIt() throws Exception {
        AtomicReference<EventLoop> seen = new AtomicReference<>();
        Thread caller = Thread.currentThread();
        AtomicBoolean inTask = new AtomicBoolean();
        Async.run(() -> {
            seen.set(EventLoop.current());
            inTask.set(Async.currentTask().isPresent());
            return null;
        });
        assertThat(inTask).isTrue();
        assertThat(seen.get()).isNotNull();
        assertThat(seen.get().isClosed()).isTrue();
        assertThat(EventLoop.running()).isEmpty();
        assertThat(Thread.currentThread()).isSameAs(caller);
    }

    /** test_asyncio_run_cancel_leftover... : tasks left running are cancelled, and their cleanup runs. */
    @Test
    void asyncRunCancelsLeftoverTasks() throws Exception {
        AtomicBoolean cleanedUp = new AtomicBoolean();
        AtomicReference<Task<?>> leftover = new AtomicReference<>();
        Async.run(() -> {
            leftover.set(Async.spawn(() -> {
                try {
                    Async.sleep(Duration.ofHours(1));
                    return null;
                } finally {
                    cleanedUp.set(true);
                }
            }));
            Async.checkpoint();
            return null;
        });
        assertThat(cleanedUp).isTrue();
        assertThat(leftover.get().isCancelled()).isTrue();
    }

    @Test
    void asyncRunInsideARunningLoopThrows() throws Exception {
        try (Runner r = virtualRunner()) {
            Throwable thrown = r.run(() -> catchThrowable(() -> Async.run(() -> "nested")));
            assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("running event loop");
        }
    }

    // ---------------------------------------------------------------- Runner

    @Test
    void runReturnsResultsAndRethrowsUnwrapped() throws Exception {
        try (Runner r = virtualRunner()) {
            assertThat(r.run(() -> "a")).isEqualTo("a");
            IOException boom = new IOException("x");
            assertThat(catchThrowable(() -> r.run(() -> {
                Async.sleep(Duration.ofSeconds(1));
                throw boom;
            }))).isSameAs(boom);
            // The runner is still usable after a failed run.
            assertThat(r.run(() -> "b")).isEqualTo("b");
        }
    }

    /** test_run_keeps_context / test_explicit_close: one loop is reused across run calls. */
    @Test
    void oneLoopIsReusedAcrossRuns() throws Exception {
        try (Runner r = virtualRunner()) {
            EventLoop l1 = r.run(EventLoop::current);
            EventLoop l2 = r.run(EventLoop::current);
            assertThat(l1).isSameAs(l2).isSameAs(r.loop());
            assertThat(l1.isClosed()).isFalse();
        }
    }

    /** test_run_non_coro / loop-bound resources: a future created in one run is usable in the next. */
    @Test
    void loopFutureFromOneRunIsUsableInTheNext() throws Exception {
        try (Runner r = virtualRunner()) {
            LoopFuture<String> f = r.run(() -> EventLoop.current().<String>createFuture());
            String v = r.run(() -> {
                EventLoop.current().callLater(Duration.ofSeconds(1), () -> f.complete("done"));
                return Async.await(f);
            });
            assertThat(v).isEqualTo("done");
        }
    }

    /** A task spawned in one run keeps running in the next. */
    @Test
    void taskFromOneRunKeepsRunningInTheNext() throws Exception {
        try (Runner r = virtualRunner()) {
            Task<String> t = r.run(() -> Async.spawn(() -> {
                Async.sleep(Duration.ofSeconds(5));
                return "bg";
            }));
            assertThat(t.isDone()).isFalse();
            assertThat(r.run(() -> Async.await(t))).isEqualTo("bg");
        }
    }

    @Test
    void loopIsCreatedLazily() {
        Runner r = virtualRunner();
        EventLoop l = r.loop();
        assertThat(r.loop()).isSameAs(l);
        r.close();
        assertThat(l.isClosed()).isTrue();
    }

    /** Closing a runner that never ran anything does nothing. */
    @Test
    void closeWithoutRunIsFine() {
        Runner r = virtualRunner();
        r.close();
        assertThatThrownBy(r::loop).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    /** close cancels tasks still running and waits until their cleanup has run. */
    @Test
    void closeCancelsLeftoverTasksAndWaitsForTheirCleanup() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        Runner r = virtualRunner();
        Task<?> t;
        try {
            t = r.run(() -> Async.spawn(() -> {
                try {
                    Async.sleep(Duration.ofHours(1));
                    log.add("finished");
                    return null;
                } catch (CancelledException e) {
                    log.add("cancelled");
                    throw e;
                } finally {
                    // Cleanup that itself awaits: close must let it complete.
                    Async.sleep(Duration.ofSeconds(1));
                    log.add("cleanup done");
                }
            }));
            r.run(() -> {
                Async.checkpoint();
                return null;
            });
        } finally {
            r.close();
        }
        assertThat(log).containsExactly("cancelled", "cleanup done");
        assertThat(t.isCancelled()).isTrue();
    }

    /** A leftover task that fails during close is reported to the loop's exception handler, not lost. */
    @Test
    void leftoverTaskFailingDuringCloseIsReported() throws Exception {
        List<ExceptionContext> reported = new CopyOnWriteArrayList<>();
        Runner r = virtualRunner();
        try {
            r.loop().setExceptionHandler((loop, ctx) -> reported.add(ctx));
            r.run(() -> Async.spawn(() -> {
                try {
                    Async.sleep(Duration.ofHours(1));
                    return null;
                } catch (CancelledException e) {
                    throw new IllegalStateException("cleanup failed");
                }
            }));
        } finally {
            r.close();
        }
        assertThat(reported).anySatisfy(c -> assertThat(c.exception())
                .isInstanceOf(IllegalStateException.class).hasMessage("cleanup failed"));
    }

    @Test
    void closeIsIdempotent() throws Exception {
        Runner r = virtualRunner();
        r.run(() -> null);
        EventLoop l = r.loop();
        r.close();
        r.close();
        assertThat(l.isClosed()).isTrue();
    }

    /** test_run_after_close. */
    @Test
    void runAfterCloseThrows() throws Exception {
        Runner r = virtualRunner();
        r.run(() -> null);
        r.close();
        assertThatThrownBy(() -> r.run(() -> "late"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Runner is closed");
    }

    @Test
    void runAfterCloseOfUnusedRunnerThrows() {
        Runner r = virtualRunner();
        r.close();
        assertThatThrownBy(() -> r.run(() -> "late")).isInstanceOf(IllegalStateException.class);
    }

    /** test_run_with_running_loop: run() from a task of a running loop is refused. */
    @Test
    void runFromInsideATaskThrows() throws Exception {
        try (Runner outer = virtualRunner(); Runner inner = virtualRunner()) {
            Throwable thrown = outer.run(() -> catchThrowable(() -> inner.run(() -> "nested")));
            assertThat(thrown).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("running event loop");
            // Re-entering the same runner is refused too.
            Throwable same = outer.run(() -> catchThrowable(() -> outer.run(() -> "again")));
            assertThat(same).isInstanceOf(IllegalStateException.class);
        }
    }

    /** run() from a loop thread outside any task (a callback) is refused too. */
    @Test
    void runFromACallbackOfARunningLoopThrows() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build();
             Runner inner = virtualRunner()) {
            LoopFuture<Throwable> result = loop.createFuture();
            loop.callSoon(() -> result.complete(catchThrowable(() -> inner.run(() -> "nested"))));
            assertThat(loop.runUntilComplete(result)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void runRejectsNullBody() {
        try (Runner r = virtualRunner()) {
            assertThatThrownBy(() -> r.run(null)).isInstanceOf(NullPointerException.class);
        }
    }

    /** Runners run their loops with the builder's settings (here the virtual clock). */
    @Test
    void runnerUsesTheBuildersClock() throws Exception {
        try (Runner r = virtualRunner()) {
            long elapsed = r.run(() -> {
                long t0 = EventLoop.current().time();
                Async.sleep(Duration.ofDays(1));
                return EventLoop.current().time() - t0;
            });
            assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofDays(1).toNanos());
        }
    }

    /** Two runners on two threads at once do not interfere. */
    @Test
    void runnersOnDifferentThreadsAreIndependent() throws Exception {
        AtomicReference<Object> other = new AtomicReference<>();
        Thread th = Thread.ofPlatform().name("runner-test-other").start(() -> {
            try (Runner r = virtualRunner()) {
                other.set(r.run(() -> {
                    Async.sleep(Duration.ofSeconds(3));
                    return "other";
                }));
            } catch (Throwable e) {
                other.set(e);
            }
        });
        try (Runner r = virtualRunner()) {
            assertThat(r.run(() -> {
                Async.sleep(Duration.ofSeconds(2));
                return "mine";
            })).isEqualTo("mine");
        }
        th.join();
        assertThat(other.get()).isEqualTo("other");
    }

    /**
     * close() from inside the runner's own run is refused and leaves the runner able to close
     * its loop afterwards; it used to drop the loop unclosed (a later close did nothing).
     */
    @Test
    void closeFromInsideItsOwnRunIsRefusedAndTheLoopStillClosesLater() throws Exception {
        Runner runner = new Runner();
        EventLoop loop = runner.loop();
        try {
            assertThatThrownBy(() -> runner.run(() -> {
                runner.close();
                return null;
            })).isInstanceOf(IllegalStateException.class).hasMessageContaining("inside its own run");
            runner.close();
            assertThat(loop.isClosed()).isTrue();
        } finally {
            loop.close();
        }
    }
}
