package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The four cancellation behaviours that once differed from asyncio's: a cancel that arrives
 * as a body returns, nested TaskGroups that both fail, nested timeouts that expire in one loop
 * iteration, and zero or past deadlines. Each case is named after its CPython original.
 */
class CancellationSemanticsTest {

    private static EventLoop virtualLoop() {
        return EventLoop.builder().clock(VirtualClock.autoAdvancing()).build();
    }

    /** test_cancel_at_end: a task cancelled while it runs, whose body then returns, ends cancelled. */
    @Test
    void test_cancel_at_end() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Task<Integer>> self = new AtomicReference<>();
            Task<Integer> t = loop.createTask(() -> {
                assertThat(self.get().cancel()).isTrue();
                return 12;
            });
            self.set(t);
            assertThat(t.isCancelled()).isFalse();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(t));
            assertThat(thrown).isInstanceOf(CancelledException.class);
            assertThat(t.isDone()).isTrue();
            assertThat(t.isCancelled()).isTrue();
            assertThat(t.cancel()).isFalse();
        }
    }

    /** The same with a message: the message of the pending request is the task's. */
    @Test
    void cancelAtEndKeepsTheMessage() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            AtomicReference<Task<Integer>> self = new AtomicReference<>();
            Task<Integer> t = loop.createTask(() -> {
                self.get().cancel("stop now");
                return 12;
            });
            self.set(t);
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(t));
            assertThat(thrown).isInstanceOf(CancelledException.class).hasMessage("stop now");
        }
    }

    /**
     * test_nested_groups_both_cancelled: the inner group's failure comes out of the inner
     * block, the outer group's out of the outer block; nothing is lost, and the task's
     * cancellation count is 1 between the blocks and 0 after.
     */
    @Test
    void test_nested_groups_both_cancelled() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<?> me = Async.currentTask().orElseThrow();
                Throwable outerThrown = catchThrowable(() -> {
                    try (TaskGroup outer = TaskGroup.open()) {
                        Throwable innerThrown = catchThrowable(() -> {
                            try (TaskGroup inner = TaskGroup.open()) {
                                inner.spawn(() -> raiseAfter(Duration.ZERO, new RuntimeException("inner")));
                                outer.spawn(() -> raiseAfter(Duration.ZERO, new IllegalArgumentException("outer")));
                            }
                        });
                        assertThat(innerThrown).isInstanceOf(TaskGroupException.class);
                        assertThat(((TaskGroupException) innerThrown).getExceptions()).singleElement()
                                .satisfies(e -> assertThat(e).isInstanceOf(RuntimeException.class).hasMessage("inner"));
                        assertThat(me.cancelling()).isEqualTo(1);
                    }
                });
                assertThat(outerThrown).isInstanceOf(TaskGroupException.class);
                assertThat(((TaskGroupException) outerThrown).getExceptions()).singleElement()
                        .satisfies(e -> assertThat(e).isInstanceOf(IllegalArgumentException.class).hasMessage("outer"));
                assertThat(me.cancelling()).isZero();
                return null;
            });
        }
    }

    private static Object raiseAfter(Duration d, RuntimeException e) throws Exception {
        Async.sleep(d);
        throw e;
    }

    /**
     * test_nested_timeouts: two timeouts with one deadline. Java form: the expiries are raised
     * one at a time, innermost first, each as its own TimeoutException; the one raised inside
     * both blocks leaves both, the task is not cancelled and both timeouts expired.
     */
    @Test
    void test_nested_timeouts() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Task<?> me = Async.currentTask().orElseThrow();
                long deadline = loop.time() + Duration.ofMillis(10).toNanos();
                Timeout[] cms = new Timeout[2];
                Throwable thrown = catchThrowable(() -> {
                    try (Timeout cm1 = Async.timeoutAt(deadline)) {
                        cms[0] = cm1;
                        try (Timeout cm2 = Async.timeoutAt(deadline)) {
                            cms[1] = cm2;
                            Async.sleep(Duration.ofSeconds(10));
                        }
                    }
                });
                assertThat(thrown).isInstanceOf(TimeoutException.class);
                assertThat(cms[0].expired()).isTrue();
                assertThat(cms[1].expired()).isTrue();
                assertThat(me.cancelling()).isZero();
                return null;
            });
        }
    }

    /**
     * test_nested_timeouts_loop_busy: the loop is busy past both deadlines. The inner block's
     * TimeoutException is caught between the blocks; the outer deadline then interrupts the
     * next sleep inside the outer block, so the outer block ends with TimeoutException too.
     */
    @Test
    void test_nested_timeouts_loop_busy() throws Exception {
        VirtualClock clock = VirtualClock.manual();
        try (EventLoop loop = EventLoop.builder().clock(clock).build()) {
            loop.runUntilComplete(() -> {
                Task<?> me = Async.currentTask().orElseThrow();
                long t0 = loop.time();
                Throwable outer = catchThrowable(() -> {
                    try (Timeout cm1 = Async.timeout(Duration.ofMillis(100))) {
                        Throwable inner = catchThrowable(() -> {
                            try (Timeout cm2 = Async.timeout(Duration.ofMillis(10))) {
                                clock.advance(Duration.ofMillis(100)); // the loop is busy past both deadlines
                                Async.sleep(Duration.ofSeconds(1));
                            }
                        });
                        assertThat(inner).isInstanceOf(TimeoutException.class);
                        Async.sleep(Duration.ofSeconds(10)); // interrupted by cm1
                    }
                });
                assertThat(outer).isInstanceOf(TimeoutException.class);
                assertThat(loop.time() - t0).isLessThanOrEqualTo(Duration.ofSeconds(1).toNanos());
                assertThat(me.cancelling()).isZero();
                assertThat(me.isCancelled()).isFalse();
                return null;
            });
        }
    }

    /** test_timeout_zero_sleep_zero: a zero deadline expires at the first suspension point, sleep(0) included. */
    @Test
    void test_timeout_zero_sleep_zero() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                long t0 = loop.time();
                Timeout[] cm = new Timeout[1];
                Throwable thrown = catchThrowable(() -> {
                    try (Timeout t = Async.timeout(Duration.ZERO)) {
                        cm[0] = t;
                        Async.sleep(Duration.ZERO);
                    }
                });
                long t1 = loop.time();
                assertThat(thrown).isInstanceOf(TimeoutException.class);
                assertThat(cm[0].expired()).isTrue();
                assertThat(cm[0].when()).isBetween(t0, t1);
                return null;
            });
        }
    }

    /** test_timeout_in_the_past_sleep_zero: a deadline already past expires at checkpoint(). */
    @Test
    void test_timeout_in_the_past_sleep_zero() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            loop.runUntilComplete(() -> {
                Timeout[] cm = new Timeout[1];
                Throwable thrown = catchThrowable(() -> {
                    try (Timeout t = Async.timeoutAt(loop.time() - Duration.ofSeconds(10).toNanos())) {
                        cm[0] = t;
                        Async.checkpoint();
                    }
                });
                assertThat(thrown).isInstanceOf(TimeoutException.class);
                assertThat(cm[0].expired()).isTrue();
                return null;
            });
        }
    }

    /**
     * The other direction of test_wrap_future_cancel: asyncio chains a future to its copy both
     * ways, so cancelling the CompletableFuture view of a task cancels the task (it used to run
     * on, and the view stayed pending until it ended).
     */
    @Test
    void cancellingTheCompletableFutureViewOfATaskCancelsTheTask() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            LoopFuture<Void> never = loop.createFuture();
            Task<String> t = loop.createTask(() -> {
                Async.await(never);
                return "ran on";
            });
            java.util.concurrent.CompletableFuture<String> view = t.toCompletableFuture();
            Task<Boolean> canceller = loop.createTask(() -> view.cancel(true));
            assertThat(loop.runUntilComplete(canceller)).isTrue();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(t));
            assertThat(thrown).isInstanceOf(CancelledException.class);
            assertThat(t.isCancelled()).isTrue();
            runBriefly(loop); // the view is completed by a callback on the loop
            assertThat(view.isCancelled()).isTrue();
            assertThat(view.cancel(true)).isFalse();
        }
    }

    /** test_wrap_future_cancel: cancelling the loop's copy of a CompletableFuture cancels the original. */
    @Test
    void test_wrap_future_cancel() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            java.util.concurrent.CompletableFuture<Integer> f1 = new java.util.concurrent.CompletableFuture<>();
            LoopFuture<Integer> f2 = loop.wrap(f1);
            assertThat(f2.cancel()).isTrue();
            runBriefly(loop);
            assertThat(f1.isCancelled()).isTrue();
            assertThat(f2.isCancelled()).isTrue();
        }
    }

    /** test_wrap_future_cancel2: an original already done keeps its result; the copy is cancelled. */
    @Test
    void test_wrap_future_cancel2() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            java.util.concurrent.CompletableFuture<Integer> f1 = new java.util.concurrent.CompletableFuture<>();
            LoopFuture<Integer> f2 = loop.wrap(f1);
            f1.complete(42);
            assertThat(f2.cancel()).isTrue();
            runBriefly(loop);
            assertThat(f1.isCancelled()).isFalse();
            assertThat(f1.join()).isEqualTo(42);
            assertThat(f2.isCancelled()).isTrue();
        }
    }

    /** A cancelled original makes a cancelled copy (asyncio's _copy_future_state), not a failed one. */
    @Test
    void aCancelledCompletableFutureMakesACancelledCopy() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            java.util.concurrent.CompletableFuture<Integer> f1 = new java.util.concurrent.CompletableFuture<>();
            LoopFuture<Integer> f2 = loop.wrap(f1);
            f1.cancel(false);
            runBriefly(loop);
            assertThat(f2.isCancelled()).isTrue();
            assertThat(f2.isCompletedExceptionally()).isFalse();
        }
    }

    /** waitFor with a zero timeout cancels a pending CompletableFuture, as it does a loop future. */
    @Test
    void waitForWithZeroTimeoutCancelsAPendingCompletableFuture() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            java.util.concurrent.CompletableFuture<Integer> f = new java.util.concurrent.CompletableFuture<>();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(loop.createTask(
                    () -> Async.waitFor(f, Duration.ZERO))));
            assertThat(thrown).isInstanceOf(TimeoutException.class);
            assertThat(f.isCancelled()).isTrue();
        }
    }

    /** Cancelling a task that awaits gather of CompletableFutures cancels them (gather cancels its children). */
    @Test
    void cancellingAGatherOfCompletableFuturesCancelsThem() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            java.util.concurrent.CompletableFuture<Integer> a = new java.util.concurrent.CompletableFuture<>();
            java.util.concurrent.CompletableFuture<Integer> b = new java.util.concurrent.CompletableFuture<>();
            Task<java.util.List<Integer>> t = loop.createTask(() -> Async.await(Async.gather(java.util.List.of(a, b))));
            runBriefly(loop);
            t.cancel();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(t));
            assertThat(thrown).isInstanceOf(CancelledException.class);
            assertThat(a.isCancelled()).isTrue();
            assertThat(b.isCancelled()).isTrue();
        }
    }

    /**
     * asyncio's _cancel_and_wait: the task in waitFor with a zero timeout is itself cancelled
     * while the future it cancelled finishes; its cancellation propagates (it used to be
     * swallowed, and the task got TimeoutException).
     */
    @Test
    void waitForWithZeroTimeoutKeepsTheWaitersOwnCancellation() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            LoopFuture<Void> never = loop.createFuture();
            AtomicReference<Task<Integer>> waiter = new AtomicReference<>();
            Task<Integer> f = loop.createTask(() -> {
                try {
                    Async.await(never);
                } catch (CancelledException e) {
                    waiter.get().cancel("the waiter's own");
                    throw e;
                }
                return 1;
            });
            Task<Integer> w = loop.createTask(() -> {
                Async.sleep(Duration.ZERO); // f is waiting now
                return Async.waitFor(f, Duration.ZERO);
            });
            waiter.set(w);
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(w));
            assertThat(thrown).isInstanceOf(CancelledException.class).hasMessage("the waiter's own");
            assertThat(w.isCancelled()).isTrue();
            assertThat(f.isCancelled()).isTrue();
        }
    }

    /**
     * An outer deadline reaches a nested waitFor as the outer block's TimeoutException (Java
     * cannot convert at the block's end, see Timeout); the retry idiom its Javadoc gives stops
     * at the outer deadline: tries at 0, 300, 600 and 900 ms, the last cut at 1 s.
     */
    @Test
    void anOuterDeadlineStopsARetryOfNestedWaitForsThatChecksExpired() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            LoopFuture<Integer> never = loop.createFuture();
            int[] tries = {0};
            Task<Integer> t = loop.createTask(() -> {
                try (Timeout outer = Async.timeout(Duration.ofSeconds(1))) {
                    while (true) {
                        tries[0]++;
                        try {
                            return Async.waitFor(Async.shield(never), Duration.ofMillis(300));
                        } catch (TimeoutException e) {
                            if (outer.expired()) {
                                throw e;
                            }
                        }
                    }
                }
            });
            long start = loop.time();
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(t));
            assertThat(thrown).isInstanceOf(TimeoutException.class);
            assertThat(tries[0]).isEqualTo(4);
            assertThat(loop.time() - start).isEqualTo(Duration.ofSeconds(1).toNanos());
        }
    }

    /**
     * A cancel that the awaited task absorbs (it catches the cancellation and returns) is
     * spent: asyncio's Task.cancel hands it to the awaited future and clears _must_cancel, so
     * the awaiting task gets the value, runs on (sleep(0) does not raise), and a later
     * wait_for timeout is a TimeoutError (the request still counts in cancelling(), so the
     * timeout's own cancel is the one uncancelled). It used to stay pending and come out at
     * the next suspension point.
     */
    @Test
    void aCancelAbsorbedByTheAwaitedTaskIsSpent() throws Exception {
        try (EventLoop loop = virtualLoop()) {
            LoopFuture<Void> never = loop.createFuture();
            Task<Integer> child = loop.createTask(() -> {
                try {
                    Async.await(never);
                } catch (CancelledException absorbed) {
                    return 42;
                }
                return 0;
            });
            List<Object> seen = new java.util.ArrayList<>();
            Task<String> t = loop.createTask(() -> {
                seen.add(Async.await(child));
                seen.add(Task.current().orElseThrow().cancelling());
                Async.sleep(Duration.ZERO);
                try {
                    Async.waitFor(loop.createFuture(), Duration.ofMillis(10));
                } catch (TimeoutException expected) {
                    return "timed out";
                }
                return "not reached";
            });
            runBriefly(loop);
            assertThat(t.cancel()).isTrue();
            assertThat(loop.runUntilComplete(t)).isEqualTo("timed out");
            assertThat(seen).containsExactly(42, 1);
        }
    }

    /** One iteration of the loop (asyncio's test_utils.run_briefly). */
    private static void runBriefly(EventLoop loop) throws Exception {
        loop.runUntilComplete(loop.createTask(() -> {
            Async.sleep(Duration.ZERO);
            return null;
        }));
    }
}
