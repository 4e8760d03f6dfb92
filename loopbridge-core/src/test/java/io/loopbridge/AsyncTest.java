package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Behaviour of {@link Async}'s combinators and of {@link Timeout}, after CPython's
 * test_tasks.py (gather, shield, wait_for, as_completed, sleep) and test_timeouts.py.
 */
class AsyncTest {

    static EventLoop virtualLoop() {
        return EventLoop.builder().clock(VirtualClock.autoAdvancing()).build();
    }

    private static <T> T sleepThen(Duration d, T value) throws Exception {
        Async.sleep(d);
        return value;
    }

    private static Object sleepThenFail(Duration d, Exception e) throws Exception {
        Async.sleep(d);
        throw e;
    }

    private static Duration secs(long s) {
        return Duration.ofSeconds(s);
    }

    /** Async.run on a virtual thread: a FAST loop cannot run there, so its loop runs PORTABLE. */
    @Test
    void runWorksOnAVirtualThread() throws Exception {
        CompletableFuture<Object> out = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                out.complete(Async.run(() -> {
                    Async.sleep(Duration.ofMillis(1));
                    return EventLoop.current().taskMode();
                }));
            } catch (Throwable e) {
                out.complete(e);
            }
        }).join();
        assertThat(out.get()).isEqualTo(TaskMode.PORTABLE);
    }

    // ---------------------------------------------------------------- sleep / checkpoint

    /** Async.sleep on a virtual clock: the loop's time moves by at least the duration, at once. */
    @Test
    void sleepAdvancesVirtualTime() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            long elapsed = loop.runUntilComplete(() -> {
                long t0 = EventLoop.current().time();
                Async.sleep(Duration.ofHours(5));
                return EventLoop.current().time() - t0;
            });
            assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofHours(5).toNanos());
        }
    }

    /** Concurrent sleepers wake in deadline order. */
    @Test
    void sleepersWakeInDeadlineOrder() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<Integer> order = new CopyOnWriteArrayList<>();
            loop.runUntilComplete(() -> {
                List<Task<Object>> ts = new ArrayList<>();
                for (int s : new int[] {3, 1, 2}) {
                    ts.add(Async.spawn(() -> {
                        Async.sleep(secs(s));
                        order.add(s);
                        return null;
                    }));
                }
                Async.await(Async.gather(ts));
                return null;
            });
            assertThat(order).containsExactly(1, 2, 3);
        }
    }

    /** asyncio.sleep(0): yields once; a zero or negative sleep is a checkpoint. */
    @Test
    void zeroSleepYields() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<String> log = new CopyOnWriteArrayList<>();
            loop.runUntilComplete(() -> {
                Async.spawn(() -> log.add("other"));
                log.add("before");
                Async.sleep(Duration.ZERO);
                log.add("after");
                return null;
            });
            assertThat(log).containsExactly("before", "other", "after");
        }
    }

    /** Async.sleep in a cancelled task throws CancelledException. */
    @Test
    void sleepIsCancellable() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> t = Async.spawn(() -> sleepThen(Duration.ofDays(1), "late"));
                Async.sleep(secs(1));
                t.cancel("stop");
                assertThatThrownBy(() -> Async.await(t)).isInstanceOf(CancelledException.class).hasMessage("stop");
                assertThat(EventLoop.current().time()).isLessThan(Duration.ofDays(1).toNanos());
                return null;
            });
        }
    }

    /** Async.checkpoint lets other ready tasks run before the caller goes on. */
    @Test
    void checkpointLetsOtherTasksRun() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<String> log = new CopyOnWriteArrayList<>();
            loop.runUntilComplete(() -> {
                Async.spawn(() -> {
                    log.add("child 1");
                    Async.checkpoint();
                    log.add("child 2");
                    return null;
                });
                log.add("main 1");
                Async.checkpoint();
                log.add("main 2");
                Async.checkpoint();
                log.add("main 3");
                return null;
            });
            assertThat(log).containsExactly("main 1", "child 1", "main 2", "child 2", "main 3");
        }
    }

    /** A checkpoint delivers a pending cancellation. */
    @Test
    void checkpointDeliversCancellation() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicBoolean passed = new AtomicBoolean();
            loop.runUntilComplete(() -> {
                LoopFuture<Void> started = EventLoop.current().createFuture();
                Task<Object> t = Async.spawn(() -> {
                    started.complete(null);
                    while (true) {
                        Async.checkpoint();
                        if (passed.get()) {
                            return "should have been cancelled";
                        }
                    }
                });
                Async.await(started);
                t.cancel("stop");
                passed.set(true);
                assertThatThrownBy(() -> Async.await(t)).isInstanceOf(CancelledException.class);
                return null;
            });
        }
    }

    @Test
    void checkpointOutsideATaskIsANoOp() throws Exception {
        Async.checkpoint();
        assertThat(Async.currentTask()).isEmpty();
    }

    @Test
    void spawnWithoutARunningLoopThrows() {
        assertThatThrownBy(() -> Async.spawn(() -> "x")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no event loop is running");
    }

    @Test
    void spawnWithName() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            String name = loop.runUntilComplete(() -> Async.await(Async.spawn("worker-1", () ->
                    Async.currentTask().orElseThrow().name())));
            assertThat(name).isEqualTo("worker-1");
        }
    }

    // ---------------------------------------------------------------- gather

    /** test_gather: results come in the order given, not the order of completion. */
    @Test
    void gatherReturnsResultsInOrder() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<String> r = loop.runUntilComplete(() -> Async.await(Async.gather(
                    Async.spawn(() -> sleepThen(secs(3), "a")),
                    Async.spawn(() -> sleepThen(secs(1), "b")),
                    Async.spawn(() -> sleepThen(secs(2), "c")))));
            assertThat(r).containsExactly("a", "b", "c");
        }
    }

    /** gather accepts any CompletionStage, and already-completed ones, and null results. */
    @Test
    void gatherMixesStagesAndNullResults() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<Object> r = loop.runUntilComplete(() -> {
                LoopFuture<Object> f = EventLoop.current().createFuture();
                f.complete(null);
                CompletableFuture<Object> cf = CompletableFuture.completedFuture("cf");
                return Async.await(Async.<Object>gather(List.of(f, cf, Async.spawn(() -> sleepThen(secs(1), 3)))));
            });
            assertThat(r).containsExactly(null, "cf", 3);
        }
    }

    @Test
    void gatherOfNothingIsAnEmptyList() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<Object> r = loop.runUntilComplete(() -> Async.await(Async.gather(List.of())));
            assertThat(r).isEmpty();
        }
    }

    /** gather fails with the first exception; the other children are not cancelled and keep running. */
    @Test
    void gatherFailsWithTheFirstException() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            IOException first = new IOException("first");
            loop.runUntilComplete(() -> {
                Task<Object> a = Async.spawn(() -> sleepThenFail(secs(1), first));
                Task<Object> b = Async.spawn(() -> sleepThenFail(secs(2), new IllegalStateException("second")));
                Task<String> c = Async.spawn(() -> sleepThen(secs(3), "c"));
                Throwable thrown = catchThrowable(() -> Async.await(Async.gather(a, b, c)));
                assertThat(thrown).isSameAs(first);
                assertThat(c.isCancelled()).isFalse();
                assertThat(Async.await(c)).isEqualTo("c");
                assertThat(b.isDone()).isTrue();
                assertThat(b.exception()).isInstanceOf(IllegalStateException.class);
                return null;
            });
        }
    }

    /** test_gather_cancel: cancelling the gathering future cancels every child. */
    @Test
    void cancellingGatherCancelsChildren() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(() -> sleepThen(secs(10), "a"));
                Task<String> b = Async.spawn(() -> sleepThen(secs(10), "b"));
                LoopFuture<List<String>> g = Async.gather(a, b);
                Async.sleep(secs(1));
                assertThat(g.cancel("stop")).isTrue();
                assertThatThrownBy(() -> Async.await(a)).isInstanceOf(CancelledException.class);
                assertThatThrownBy(() -> Async.await(b)).isInstanceOf(CancelledException.class);
                // As asyncio's gathering future, it is done once its children's outcomes reached it.
                assertThatThrownBy(() -> Async.await(g)).isInstanceOf(CancelledException.class);
                assertThat(g.isCancelled()).isTrue();
                return null;
            });
        }
    }

    /** Cancelling the task that awaits gather cancels the gather and so every child. */
    @Test
    void cancellingTheAwaiterOfGatherCancelsChildren() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(() -> sleepThen(secs(10), "a"));
                Task<String> b = Async.spawn(() -> sleepThen(secs(10), "b"));
                Task<List<String>> waiter = Async.spawn(() -> Async.await(Async.gather(a, b)));
                Async.sleep(secs(1));
                waiter.cancel("stop");
                assertThatThrownBy(() -> Async.await(waiter)).isInstanceOf(CancelledException.class);
                assertThat(Async.await(Async.gatherSettled(List.of(a, b))))
                        .allSatisfy(s -> assertThat(s.exception()).isInstanceOf(CancelledException.class));
                return null;
            });
        }
    }

    /** A child that is cancelled makes gather raise CancelledException (return_exceptions=False). */
    @Test
    void gatherWithACancelledChildIsCancelled() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(() -> sleepThen(secs(10), "a"));
                Task<String> b = Async.spawn(() -> sleepThen(secs(1), "b"));
                LoopFuture<List<String>> g = Async.gather(a, b);
                a.cancel("child");
                assertThatThrownBy(() -> Async.await(g)).isInstanceOf(CancelledException.class);
                return null;
            });
        }
    }

    /** gather(..., return_exceptions=True): exceptions and cancellations come back as values, in order. */
    @Test
    void gatherSettledReturnsExceptionsAsValues() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            IOException boom = new IOException("boom");
            List<Async.Settled<Object>> r = loop.runUntilComplete(() -> {
                Task<Object> ok = Async.spawn(() -> sleepThen(secs(2), "ok"));
                Task<Object> failed = Async.spawn(() -> sleepThenFail(secs(1), boom));
                Task<Object> cancelled = Async.spawn(() -> sleepThen(secs(5), "never"));
                LoopFuture<List<Async.Settled<Object>>> g = Async.gatherSettled(List.of(ok, failed, cancelled));
                Async.sleep(secs(1));
                cancelled.cancel("cancelled child");
                return Async.await(g);
            });
            assertThat(r).hasSize(3);
            assertThat(r.get(0).isSuccess()).isTrue();
            assertThat(r.get(0).value()).isEqualTo("ok");
            assertThat(r.get(1).isSuccess()).isFalse();
            assertThat(r.get(1).exception()).isSameAs(boom);
            assertThat(r.get(2).exception()).isInstanceOf(CancelledException.class);
        }
    }

    /** Cancelling a gatherSettled future cancels its children. */
    @Test
    void cancellingGatherSettledCancelsChildren() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(() -> sleepThen(secs(10), "a"));
                LoopFuture<List<Async.Settled<String>>> g = Async.gatherSettled(List.of(a));
                Async.checkpoint();
                g.cancel("stop");
                assertThatThrownBy(() -> Async.await(a)).isInstanceOf(CancelledException.class);
                return null;
            });
        }
    }

    @Test
    void gatherNeedsARunningLoop() {
        assertThatThrownBy(() -> Async.gather(List.of(CompletableFuture.completedFuture(1))))
                .isInstanceOf(IllegalStateException.class);
    }

    // ---------------------------------------------------------------- asCompleted

    /** test_as_completed: futures complete in the order the stages finish. */
    @Test
    void asCompletedYieldsInCompletionOrder() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<Object> r = loop.runUntilComplete(() -> {
                List<Task<String>> ts = List.of(
                        Async.spawn(() -> sleepThen(secs(3), "c")),
                        Async.spawn(() -> sleepThen(secs(1), "a")),
                        Async.spawn(() -> sleepThen(secs(2), "b")));
                List<Object> out = new ArrayList<>();
                long t0 = EventLoop.current().time();
                for (LoopFuture<String> f : Async.asCompleted(ts)) {
                    out.add(Async.await(f));
                    out.add((EventLoop.current().time() - t0) / 1_000_000_000L);
                }
                return out;
            });
            assertThat(r).containsExactly("a", 1L, "b", 2L, "c", 3L);
        }
    }

    /** Failures come out of asCompleted at their position in completion order. */
    @Test
    void asCompletedDeliversFailuresInOrder() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            IOException boom = new IOException("boom");
            List<Object> r = loop.runUntilComplete(() -> {
                List<Task<Object>> ts = List.of(
                        Async.spawn(() -> sleepThen(secs(2), "late")),
                        Async.spawn(() -> sleepThenFail(secs(1), boom)));
                List<Object> out = new ArrayList<>();
                for (LoopFuture<Object> f : Async.asCompleted(ts)) {
                    try {
                        out.add(Async.await(f));
                    } catch (IOException e) {
                        out.add(e);
                    }
                }
                return out;
            });
            assertThat(r).containsExactly(boom, "late");
        }
    }

    // ---------------------------------------------------------------- waitFor

    @Test
    void waitForReturnsTheResultInTime() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            String r = loop.runUntilComplete(() ->
                    Async.waitFor(Async.spawn(() -> sleepThen(secs(1), "ok")), secs(10)));
            assertThat(r).isEqualTo("ok");
        }
    }

    @Test
    void waitForRethrowsTheInnerException() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            IOException boom = new IOException("boom");
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() ->
                    Async.waitFor(Async.spawn(() -> sleepThenFail(secs(1), boom)), secs(10))));
            assertThat(thrown).isSameAs(boom);
        }
    }

    /**
     * test_wait_for_waits_for_task_cancellation: on timeout, the inner task is cancelled and
     * waitFor throws TimeoutException only after the inner task's cleanup has finished.
     */
    @Test
    void waitForTimeoutCancelsInnerAndWaitsForItsCleanup() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<String> log = new CopyOnWriteArrayList<>();
            AtomicReference<Task<String>> inner = new AtomicReference<>();
            loop.runUntilComplete(() -> {
                inner.set(Async.spawn(() -> {
                    try {
                        return sleepThen(secs(100), "never");
                    } catch (CancelledException e) {
                        log.add("inner cancelled");
                        Async.sleep(secs(5)); // slow cleanup
                        log.add("inner cleanup done");
                        throw e;
                    }
                }));
                long t0 = EventLoop.current().time();
                try {
                    Async.waitFor(inner.get(), secs(1));
                    log.add("no timeout?");
                } catch (TimeoutException e) {
                    log.add("timeout");
                    assertThat(inner.get().isDone()).isTrue();
                    assertThat(EventLoop.current().time() - t0).isGreaterThanOrEqualTo(secs(6).toNanos());
                }
                return null;
            });
            assertThat(log).containsExactly("inner cancelled", "inner cleanup done", "timeout");
            assertThat(inner.get().isCancelled()).isTrue();
        }
    }

    /** test_wait_for_timeout_less_then_0_or_0: a zero timeout on pending work cancels it at once. */
    @Test
    void waitForZeroTimeoutCancelsPendingWork() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> t = Async.spawn(() -> sleepThen(secs(10), "x"));
                assertThatThrownBy(() -> Async.waitFor(t, Duration.ZERO)).isInstanceOf(TimeoutException.class);
                assertThat(t.isCancelled()).isTrue();
                return null;
            });
        }
    }

    /** An outer cancellation of the waiting task arrives as CancelledException, and cancels the inner. */
    @Test
    void waitForOuterCancellationIsNotATimeout() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> inner = Async.spawn(() -> sleepThen(secs(100), "x"));
                Task<String> waiter = Async.spawn(() -> Async.waitFor(inner, secs(10)));
                Async.sleep(secs(1));
                waiter.cancel("outer");
                assertThatThrownBy(() -> Async.await(waiter)).isInstanceOf(CancelledException.class)
                        .isNotInstanceOf(TimeoutException.class);
                assertThat(inner.isCancelled()).isTrue();
                return null;
            });
        }
    }

    /** waitFor on a plain thread blocks; on timeout it cancels the stage. */
    @Test
    void waitForOnAPlainThread() throws Exception {
        CompletableFuture<String> done = CompletableFuture.completedFuture("x");
        assertThat(Async.waitFor(done, secs(1))).isEqualTo("x");
        CompletableFuture<String> never = new CompletableFuture<>();
        assertThatThrownBy(() -> Async.waitFor(never, Duration.ofMillis(1))).isInstanceOf(TimeoutException.class);
        assertThat(never.isCancelled()).isTrue();
    }

    // ---------------------------------------------------------------- timeout

    /** test_timeout_basic: the block ends with TimeoutException at its await; expired() is true. */
    @Test
    void timeoutTurnsExpiryIntoTimeoutException() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Timeout> cm = new AtomicReference<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (Timeout t = Async.timeout(secs(1))) {
                    cm.set(t);
                    Async.sleep(secs(10));
                }
                return "not reached";
            }));
            assertThat(thrown).isInstanceOf(TimeoutException.class).isNotInstanceOf(CancelledException.class);
            assertThat(cm.get().expired()).isTrue();
        }
    }

    /** The TimeoutException is raised at the await, so the block can catch it and the task goes on uncancelled. */
    @Test
    void timeoutCanBeCaughtAndTheTaskGoesOn() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            List<String> log = new CopyOnWriteArrayList<>();
            loop.runUntilComplete(() -> {
                try (Timeout t = Async.timeout(secs(1))) {
                    Async.sleep(secs(10));
                    log.add("not reached");
                } catch (TimeoutException e) {
                    log.add("timeout");
                }
                assertThat(Async.currentTask().orElseThrow().cancelling()).isZero();
                Async.sleep(secs(1)); // not cancelled any more
                log.add("went on");
                return null;
            });
            assertThat(log).containsExactly("timeout", "went on");
        }
    }

    /** test_timeout_not_triggered: a block that finishes in time is not affected. */
    @Test
    void timeoutNotTriggered() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            String r = loop.runUntilComplete(() -> {
                String v;
                try (Timeout t = Async.timeout(secs(10))) {
                    v = sleepThen(secs(1), "ok");
                    assertThat(t.expired()).isFalse();
                }
                Async.sleep(secs(20)); // the timer is gone
                return v;
            });
            assertThat(r).isEqualTo("ok");
        }
    }

    /** test_timeout_zero: a zero timeout expires at the first suspension point. */
    @Test
    void zeroTimeoutExpiresAtTheFirstAwait() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (Timeout t = Async.timeout(Duration.ZERO)) {
                    Async.sleep(secs(10));
                }
                return null;
            }));
            assertThat(thrown).isInstanceOf(TimeoutException.class);
        }
    }

    /** A block without a suspension point is not interrupted, and leaves no cancellation behind. */
    @Test
    void expiryWithoutSuspensionIsWithdrawn() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            String r = loop.runUntilComplete(() -> {
                Task<?> me = Async.currentTask().orElseThrow();
                // The deadline is due, but the block is left without a suspension point inside it.
                try (Timeout t = Async.timeout(Duration.ZERO)) {
                    assertThat(t.expired()).isFalse();
                }
                assertThat(me.cancelling()).isZero();
                Async.sleep(secs(1));
                return "ok";
            });
            assertThat(r).isEqualTo("ok");
        }
    }

    /** test_timeout_disabled / reschedule: reschedule(null) removes the deadline; reschedule moves it. */
    @Test
    void rescheduleMovesOrRemovesTheDeadline() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                EventLoop l = EventLoop.current();
                try (Timeout t = Async.timeout(secs(1))) {
                    t.reschedule(null);
                    assertThat(t.when()).isEqualTo(Long.MAX_VALUE);
                    Async.sleep(secs(5));
                    assertThat(t.expired()).isFalse();
                }
                long start = l.time();
                try (Timeout t = Async.timeout(secs(1))) {
                    t.reschedule(secs(10));
                    assertThat(t.when()).isEqualTo(start + secs(10).toNanos());
                    Async.sleep(secs(5)); // beyond the first deadline, before the new one
                    assertThat(t.expired()).isFalse();
                    t.reschedule(secs(1));
                    assertThatThrownBy(() -> Async.sleep(secs(5))).isInstanceOf(TimeoutException.class);
                    assertThat(t.expired()).isTrue();
                    assertThatThrownBy(() -> t.reschedule(secs(1))).isInstanceOf(IllegalStateException.class);
                }
                return null;
            });
        }
    }

    /** test_timeout_at: rescheduleAt uses the loop's clock. */
    @Test
    void rescheduleAtUsesTheLoopsClock() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            long elapsed = loop.runUntilComplete(() -> {
                EventLoop l = EventLoop.current();
                long t0 = l.time();
                try (Timeout t = Async.timeout(secs(100))) {
                    t.rescheduleAt(t0 + secs(3).toNanos());
                    Async.sleep(secs(10));
                } catch (TimeoutException e) {
                    return l.time() - t0;
                }
                return -1L;
            });
            assertThat(elapsed).isGreaterThanOrEqualTo(secs(3).toNanos()).isLessThan(secs(10).toNanos());
        }
    }

    /** test_foreign_exception_passed: an exception of the block passes through; expired() stays false. */
    @Test
    void foreignExceptionPassesThrough() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Timeout> cm = new AtomicReference<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (Timeout t = Async.timeout(secs(10))) {
                    cm.set(t);
                    Async.sleep(secs(1));
                    throw new IOException("foreign");
                }
            }));
            assertThat(thrown).isInstanceOf(IOException.class).hasMessage("foreign");
            assertThat(cm.get().expired()).isFalse();
        }
    }

    /** test_foreign_cancel_doesnt_timeout_if_not_expired: an outer cancel arrives as CancelledException. */
    @Test
    void outerCancelArrivesAsCancelledException() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Timeout> cm = new AtomicReference<>();
            loop.runUntilComplete(() -> {
                Task<Object> t = Async.spawn(() -> {
                    try (Timeout to = Async.timeout(secs(10))) {
                        cm.set(to);
                        Async.sleep(secs(100));
                    }
                    return null;
                });
                Async.sleep(secs(1));
                t.cancel("outer");
                Throwable thrown = catchThrowable(() -> Async.await(t));
                assertThat(thrown).isInstanceOf(CancelledException.class).isNotInstanceOf(TimeoutException.class)
                        .hasMessage("outer");
                return null;
            });
            assertThat(cm.get().expired()).isFalse();
        }
    }

    /**
     * test_cancel_in_timeout_after_cancellation / test_timeout_after_cancellation: when the
     * deadline passes and the task is cancelled from outside at the same time, the outer
     * cancellation wins.
     */
    @Test
    void outerCancelAtTheSameTimeAsExpiryStillArrivesAsCancelledException() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                EventLoop l = EventLoop.current();
                AtomicReference<Task<Object>> ref = new AtomicReference<>();
                LoopFuture<Void> entered = l.createFuture();
                Task<Object> t = Async.spawn(() -> {
                    // Schedule the outer cancel for the same instant as the deadline.
                    l.callLater(secs(1), () -> ref.get().cancel("outer"));
                    try (Timeout to = Async.timeout(secs(1))) {
                        entered.complete(null);
                        Async.sleep(secs(100));
                    }
                    return null;
                });
                ref.set(t);
                Async.await(entered);
                assertThatThrownBy(() -> Async.await(t)).isInstanceOf(CancelledException.class)
                        .isNotInstanceOf(TimeoutException.class);
                return null;
            });
        }
    }

    /** test_nested_timeouts: the outer deadline passing first expires the outer timeout only. */
    @Test
    void nestedTimeoutsOuterExpiresFirst() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Timeout> outerRef = new AtomicReference<>();
            AtomicReference<Timeout> innerRef = new AtomicReference<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                try (Timeout outer = Async.timeout(secs(1))) {
                    outerRef.set(outer);
                    try (Timeout inner = Async.timeout(secs(10))) {
                        innerRef.set(inner);
                        Async.sleep(secs(100));
                    }
                }
                return null;
            }));
            assertThat(thrown).isInstanceOf(TimeoutException.class);
            assertThat(outerRef.get().expired()).isTrue();
            assertThat(innerRef.get().expired()).isFalse();
        }
    }

    /** test_nested_timeouts: the inner deadline passing first; the outer block continues. */
    @Test
    void nestedTimeoutsInnerExpiresFirst() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            String r = loop.runUntilComplete(() -> {
                try (Timeout outer = Async.timeout(secs(10))) {
                    try (Timeout inner = Async.timeout(secs(1))) {
                        Async.sleep(secs(100));
                    } catch (TimeoutException e) {
                        // handled inside the outer block
                    }
                    Async.sleep(secs(1));
                    assertThat(outer.expired()).isFalse();
                }
                return "ok";
            });
            assertThat(r).isEqualTo("ok");
        }
    }

    /** test_timeout_in_cancel: the cancellation caused by the timeout does not leak after the block. */
    @Test
    void timeoutLeavesNoPendingCancellation() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<?> me = Async.currentTask().orElseThrow();
                for (int i = 0; i < 3; i++) {
                    try (Timeout t = Async.timeout(secs(1))) {
                        Async.sleep(secs(10));
                    } catch (TimeoutException expected) {
                        // again
                    }
                    assertThat(me.cancelling()).isZero();
                }
                return null;
            });
        }
    }

    @Test
    void timeoutOutsideATaskThrows() {
        assertThatThrownBy(() -> Async.timeout(secs(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("inside a task");
    }

    // ---------------------------------------------------------------- shield

    /** test_shield_effect: cancelling the awaiter of a shield does not cancel the inner work. */
    @Test
    void shieldProtectsInnerFromOuterCancellation() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> inner = Async.spawn(() -> sleepThen(secs(5), "inner done"));
                Task<String> outer = Async.spawn(() -> Async.await(Async.shield(inner)));
                Async.sleep(secs(1));
                outer.cancel("outer");
                assertThatThrownBy(() -> Async.await(outer)).isInstanceOf(CancelledException.class);
                assertThat(inner.isCancelled()).isFalse();
                assertThat(Async.await(inner)).isEqualTo("inner done");
                return null;
            });
        }
    }

    /** test_shield_result / test_shield_exception: the shield reports the inner's outcome. */
    @Test
    void shieldPassesResultsAndExceptions() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            IOException boom = new IOException("boom");
            loop.runUntilComplete(() -> {
                assertThat(Async.await(Async.shield(Async.spawn(() -> sleepThen(secs(1), "v"))))).isEqualTo("v");
                Throwable thrown = catchThrowable(() -> Async.await(Async.shield(Async.spawn(() -> sleepThenFail(secs(1), boom)))));
                assertThat(thrown).isSameAs(boom);
                return null;
            });
        }
    }

    /** test_shield_cancel_inner: cancelling the inner cancels the shield. */
    @Test
    void cancellingInnerCancelsTheShield() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> inner = Async.spawn(() -> sleepThen(secs(5), "x"));
                LoopFuture<String> sh = Async.shield(inner);
                Async.sleep(secs(1));
                inner.cancel("inner");
                assertThatThrownBy(() -> Async.await(sh)).isInstanceOf(CancelledException.class);
                return null;
            });
        }
    }

    /** Cancelling the shield future itself does not cancel the inner. */
    @Test
    void cancellingTheShieldFutureLeavesInnerRunning() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> inner = Async.spawn(() -> sleepThen(secs(5), "x"));
                LoopFuture<String> sh = Async.shield(inner);
                sh.cancel("shield");
                assertThat(Async.await(inner)).isEqualTo("x");
                return null;
            });
        }
    }

    /** A shield inside waitFor: the timeout does not cancel the shielded work. */
    @Test
    void shieldInsideWaitFor() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> inner = Async.spawn(() -> sleepThen(secs(5), "x"));
                assertThatThrownBy(() -> Async.waitFor(Async.shield(inner), secs(1)))
                        .isInstanceOf(TimeoutException.class);
                assertThat(inner.isDone()).isFalse();
                assertThat(Async.await(inner)).isEqualTo("x");
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- await

    @Test
    void awaitUnwrapsCompletableFutureExceptions() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            IOException boom = new IOException("boom");
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() ->
                    Async.await(CompletableFuture.failedFuture(boom))));
            assertThat(thrown).isSameAs(boom);
        }
    }

    private static <T> T sleepThen(long seconds, T value) throws Exception {
        Async.sleep(Duration.ofSeconds(seconds));
        return value;
    }

    /**
     * A future of asCompleted cancelled by a timeout around its await loses no outcome: the
     * first completion goes to the next future (asyncio leaves it in the done queue for the next
     * await). It used to be set on the cancelled future and dropped.
     */
    @Test
    void asCompletedATimedOutAwaitLosesNoCompletion() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            List<String> out = loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(() -> sleepThen(1, "a"));
                Task<String> b = Async.spawn(() -> sleepThen(2, "b"));
                Task<String> c = Async.spawn(() -> sleepThen(3, "c"));
                List<LoopFuture<String>> futs = Async.asCompleted(List.of(a, b, c));
                List<String> l = new ArrayList<>();
                try (Timeout t = Async.timeout(Duration.ofMillis(500))) {
                    l.add(Async.await(futs.get(0)));
                } catch (TimeoutException e) {
                    l.add("timeout");
                }
                l.add(Async.await(futs.get(1)));
                l.add(Async.await(futs.get(2)));
                return l;
            });
            assertThat(out).containsExactly("timeout", "a", "b");
        }
    }

    /**
     * A failure that reaches a future of asCompleted nobody reads is reported as never
     * retrieved, as it is without asCompleted; one that is read is not. asCompleted used to mark
     * every stage's failure as read when it subscribed.
     */
    @Test
    void asCompletedReportsAFailureOnlyIfNobodyReadsIt() throws Exception {
        for (boolean read : new boolean[] {false, true}) {
            List<ExceptionContext> reported = new CopyOnWriteArrayList<>();
            try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
                loop.setExceptionHandler((l, c) -> reported.add(c));
                loop.runUntilComplete(() -> {
                    Task<String> ok = Async.spawn(() -> sleepThen(1, "ok"));
                    Task<String> bad = Async.spawn(() -> {
                        Async.sleep(Duration.ofSeconds(2));
                        throw new IOException("never read");
                    });
                    List<LoopFuture<String>> futs = Async.asCompleted(List.of(ok, bad));
                    assertThat(Async.await(futs.get(0))).isEqualTo("ok");
                    if (read) {
                        assertThatThrownBy(() -> Async.await(futs.get(1))).isInstanceOf(IOException.class);
                    } else {
                        Async.sleep(Duration.ofSeconds(3)); // bad fails meanwhile; its future is never read
                    }
                    return null;
                });
            }
            if (read) {
                assertThat(reported).as("read through asCompleted").isEmpty();
            } else {
                assertThat(reported).as("never read").singleElement()
                        .satisfies(c -> assertThat(c.exception()).hasMessage("never read"));
            }
        }
    }

    /**
     * A wait with a timeout too long to add to the clock (Long.MAX_VALUE nanoseconds) used to
     * make a deadline that wrapped around, sorted before timers already due and hid them: the
     * loop slept for centuries. Each form below must see the due timer.
     */
    @Test
    void aHugeTimeoutInATaskDoesNotHideADueTimer() {
        List<String> forms = List.of("waitFor", "get", "SyncFacade");
        for (String form : forms) {
            VirtualClock clock = VirtualClock.manual();
            String r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                try (EventLoop loop = EventLoop.builder().clock(clock).build()) {
                    return loop.runUntilComplete(loop.createTask(() -> {
                        LoopFuture<String> f = loop.createFuture();
                        loop.callLater(Duration.ofMillis(1), () -> f.complete("done"));
                        clock.advance(Duration.ofMillis(2)); // that timer is due now
                        return switch (form) {
                            case "waitFor" -> Async.waitFor(f, Duration.ofNanos(Long.MAX_VALUE));
                            case "get" -> f.get(Long.MAX_VALUE, java.util.concurrent.TimeUnit.NANOSECONDS);
                            default -> SyncFacade.of(Supplier.class, new SupplierOf(f), Duration.ofNanos(Long.MAX_VALUE)).get();
                        };
                    }));
                }
            }, form);
            assertThat(r).as(form).isEqualTo("done");
        }
    }

    public interface Supplier {
        String get() throws Exception;
    }

    public static final class SupplierOf {
        private final LoopFuture<String> f;

        SupplierOf(LoopFuture<String> f) {
            this.f = f;
        }

        public LoopFuture<String> get() {
            return f;
        }
    }
}
