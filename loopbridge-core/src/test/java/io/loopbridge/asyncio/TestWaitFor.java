package io.loopbridge.asyncio;

import static io.loopbridge.asyncio.AsyncioCase.runInVirtualTime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.loopbridge.Async;
import io.loopbridge.CancelledException;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * CPython 3.13 {@code test_asyncio/test_waitfor.py}: {@code asyncio.wait_for} as
 * {@code Async.waitFor(stage, timeout)}. Each Python class is a {@link Nested} class of the same
 * name; each {@code IsolatedAsyncioTestCase} case runs as the main task of a fresh loop on a
 * virtual clock ({@link AsyncioCase#runInVirtualTime}), so the SlowTask's real
 * {@code time.monotonic()} is the loop's time.
 *
 * <p>Java forms used throughout: {@code wait_for(coroutine, ...)} is
 * {@code waitFor(Async.spawn(body), ...)}, since waitFor takes a {@link java.util.concurrent.CompletionStage};
 * asyncio's {@code TimeoutError} is {@link TimeoutException}, raised at the waiting task's
 * suspension point in place of the cancellation (documented form (a)), so asyncio's checks
 * that the TimeoutError chains a CancelledError ({@code __context__}) have no Java counterpart.
 * {@code timeout=None} (no limit) is a {@code null} Duration.
 *
 * <p>No case is left out. {@code asyncio.wait} (in test_asyncio_wait_for_cancelled) is
 * {@link Async#wait}.
 */
class TestWaitFor {

    /** A very small timeout: it passes "timeout > 0" but has almost no effect (asyncio's _EPSILON). */
    private static final Duration EPSILON = Duration.ofNanos(100_000);
    /** test.support.LONG_TIMEOUT (5 minutes). */
    private static final Duration LONG_TIMEOUT = Duration.ofMinutes(5);

    private static Duration s(double seconds) {
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    private static <T> T sleepThen(double seconds, T value) throws Exception {
        Async.sleep(s(seconds));
        return value;
    }

    /** Runs for TASK_TIMEOUT of loop time, ignoring cancel requests. */
    private static final class SlowTask {
        static final double TASK_TIMEOUT = 0.2;
        boolean exited;

        Object run() throws Exception {
            EventLoop loop = EventLoop.current();
            long exitAt = loop.time() + s(TASK_TIMEOUT).toNanos();
            while (true) {
                long tosleep = exitAt - loop.time();
                if (tosleep <= 0) {
                    break;
                }
                try {
                    Async.sleep(Duration.ofNanos(tosleep));
                } catch (CancelledException e) {
                    // ignored on purpose
                }
            }
            exited = true;
            return null;
        }
    }

    @Nested
    class AsyncioWaitForTest {

        /**
         * Cancelling a task inside wait_for waits for the inner work to really end, even if it
         * ignores cancellation (the end is awaited through asyncio.wait). Java form: asyncio's
         * wait_for runs the coroutine inline, so one {@code sleep(0)} finds it sleeping; here it is a
         * task of its own, which starts one loop iteration later, so the main task yields twice
         * before cancelling (cancelled before it starts, the work would never run at all).
         */
        @Test
        void test_asyncio_wait_for_cancelled() throws Exception {
            runInVirtualTime(() -> {
                SlowTask t = new SlowTask();
                Task<Object> waitfortask = Async.spawn(
                        () -> Async.waitFor(Async.spawn(t::run), s(SlowTask.TASK_TIMEOUT * 2)));
                Async.checkpoint();
                Async.checkpoint();
                waitfortask.cancel();
                Async.wait(List.of(waitfortask), null, Async.ReturnWhen.ALL_COMPLETED);
                assertThat(t.exited).isTrue();
                return null;
            });
        }

        /** On timeout, wait_for waits until the inner work (which ignores the cancel) has ended. */
        @Test
        void test_asyncio_wait_for_timeout() throws Exception {
            runInVirtualTime(() -> {
                SlowTask t = new SlowTask();
                try {
                    Async.waitFor(Async.spawn(t::run), s(SlowTask.TASK_TIMEOUT / 2));
                } catch (TimeoutException e) {
                    // either outcome is fine: the work swallowed its cancellation
                }
                assertThat(t.exited).isTrue();
                return null;
            });
        }

        /** A zero timeout on a done future gives its result. */
        @Test
        void test_wait_for_timeout_less_then_0_or_0_future_done() throws Exception {
            runInVirtualTime(() -> {
                LoopFuture<String> fut = EventLoop.current().createFuture();
                fut.complete("done");
                String ret = Async.waitFor(fut, Duration.ZERO);
                assertThat(ret).isEqualTo("done");
                assertThat(fut.isDone()).isTrue();
                return null;
            });
        }

        /**
         * A zero timeout times out at once: the coroutine is never started. Java form: the
         * coroutine is a task spawned for waitFor (pending its first step when waitFor is called).
         */
        @Test
        void test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started() throws Exception {
            runInVirtualTime(() -> {
                boolean[] fooStarted = {false};
                assertThatThrownBy(() -> Async.waitFor(Async.spawn(() -> {
                    fooStarted[0] = true;
                    return null;
                }), Duration.ZERO)).isInstanceOf(TimeoutException.class);
                assertThat(fooStarted[0]).isFalse();
                return null;
            });
        }

        /** A zero or negative timeout on a running task cancels it, waits for it, and times out. */
        @Test
        void test_wait_for_timeout_less_then_0_or_0() throws Exception {
            runInVirtualTime(() -> {
                for (Duration timeout : List.of(Duration.ZERO, Duration.ofSeconds(-1))) {
                    Boolean[] fooRunning = {null};
                    LoopFuture<Object> started = EventLoop.current().createFuture();
                    Task<String> fut = Async.spawn(() -> {
                        fooRunning[0] = true;
                        started.complete(null);
                        try {
                            Async.sleep(s(10));
                        } finally {
                            fooRunning[0] = false;
                        }
                        return "done";
                    });
                    Async.await(started);
                    assertThatThrownBy(() -> Async.waitFor(fut, timeout))
                            .as("timeout %s", timeout).isInstanceOf(TimeoutException.class);
                    assertThat(fut.isDone()).isTrue();
                    // it should have been cancelled due to the timeout
                    assertThat(fut.isCancelled()).isTrue();
                    assertThat(fooRunning[0]).isFalse();
                }
                return null;
            });
        }

        /** On timeout the task is cancelled and has finished its cleanup when wait_for raises. */
        @Test
        void test_wait_for() throws Exception {
            runInVirtualTime(() -> {
                Boolean[] fooRunning = {null};
                Task<String> fut = Async.spawn(() -> {
                    fooRunning[0] = true;
                    try {
                        Async.sleep(LONG_TIMEOUT);
                    } finally {
                        fooRunning[0] = false;
                    }
                    return "done";
                });
                assertThatThrownBy(() -> Async.waitFor(fut, s(0.1))).isInstanceOf(TimeoutException.class);
                assertThat(fut.isDone()).isTrue();
                // it should have been cancelled due to the timeout
                assertThat(fut.isCancelled()).isTrue();
                assertThat(fooRunning[0]).isFalse();
                return null;
            });
        }

        /** timeout=None waits without limit. Java form: a null timeout. */
        @Test
        void test_wait_for_blocking() throws Exception {
            runInVirtualTime(() -> {
                String res = Async.waitFor(Async.spawn(() -> "done"), null);
                assertThat(res).isEqualTo("done");
                return null;
            });
        }

        /** A future completed by a callback scheduled before wait_for starts gives its result. */
        @Test
        void test_wait_for_race_condition() throws Exception {
            runInVirtualTime(() -> {
                LoopFuture<String> fut = EventLoop.current().createFuture();
                EventLoop.current().callSoon(() -> fut.complete("ok"));
                String res = Async.waitFor(fut, s(0.2));
                assertThat(res).isEqualTo("ok");
                return null;
            });
        }

        /** Work that catches the timeout's cancellation and returns a value: wait_for returns it. */
        @Test
        void test_wait_for_cancellation_race_condition() throws Exception {
            runInVirtualTime(() -> {
                Integer result = Async.waitFor(Async.spawn(() -> {
                    assertThatThrownBy(() -> Async.sleep(s(1))).isInstanceOf(CancelledException.class);
                    return 1;
                }), s(0.01));
                assertThat(result).isEqualTo(1);
                return null;
            });
        }

        /**
         * wait_for waits for the cancelled task's cleanup (which itself sleeps) before raising
         * TimeoutError.
         */
        @Test
        void test_wait_for_waits_for_task_cancellation() throws Exception {
            runInVirtualTime(() -> {
                boolean[] taskDone = {false};
                Task<Object> innerTask = Async.spawn(() -> {
                    try {
                        Async.sleep(s(10));
                    } catch (CancelledException e) {
                        Async.sleep(EPSILON);
                        throw e;
                    } finally {
                        taskDone[0] = true;
                    }
                    return null;
                });
                Throwable cm = catchThrowable(() -> Async.waitFor(innerTask, EPSILON));
                assertThat(cm).isInstanceOf(TimeoutException.class);
                assertThat(taskDone[0]).isTrue();
                return null;
            });
        }

        /** The same with a zero timeout, from a nested function. */
        @Test
        void test_wait_for_waits_for_task_cancellation_w_timeout_0() throws Exception {
            runInVirtualTime(() -> {
                boolean[] taskDone = {false};
                Throwable cm = catchThrowable(() -> {
                    Task<Object> innerTask = Async.spawn(() -> {
                        try {
                            Async.sleep(s(10));
                        } catch (CancelledException e) {
                            Async.sleep(EPSILON);
                            throw e;
                        } finally {
                            taskDone[0] = true;
                        }
                        return null;
                    });
                    Async.sleep(EPSILON);
                    Async.waitFor(innerTask, Duration.ZERO);
                });
                assertThat(cm).isInstanceOf(TimeoutException.class);
                assertThat(taskDone[0]).isTrue();
                return null;
            });
        }

        /** Thrown by the inner task of test_wait_for_reraises_exception_during_cancellation. */
        private static final class FooException extends Exception {
            private static final long serialVersionUID = 1L;
        }

        /** An exception raised by the task while it is being cancelled replaces the TimeoutError. */
        @Test
        void test_wait_for_reraises_exception_during_cancellation() throws Exception {
            runInVirtualTime(() -> {
                Throwable thrown = catchThrowable(() -> {
                    Task<Object> innerTask = Async.spawn(() -> {
                        try {
                            Async.sleep(s(0.2));
                        } catch (CancelledException e) {
                            throw new FooException(); // asyncio: raised in `finally`
                        }
                        throw new FooException();
                    });
                    Async.waitFor(innerTask, EPSILON);
                });
                assertThat(thrown).isInstanceOf(FooException.class);
                return null;
            });
        }

        private void cancelWaitFor(Duration timeout) throws Exception {
            runInVirtualTime(() -> {
                Task<Object> task = Async.spawn(() -> {
                    LoopFuture<Object> fut = EventLoop.current().createFuture();
                    // Block: fut result is never set
                    return Async.await(fut);
                });
                Task<Object> wait = Async.spawn(() -> Async.waitFor(task, timeout));
                EventLoop.current().callSoon(() -> wait.cancel());
                assertThatThrownBy(() -> Async.await(wait)).isInstanceOf(CancelledException.class);
                // Python issue #23219: cancelling the wait must also cancel the task
                assertThat(task.isCancelled()).isTrue();
                return null;
            });
        }

        /** Cancelling a wait_for without timeout cancels the awaited task (bpo-23219). Java form: null timeout. */
        @Test
        void test_cancel_blocking_wait_for() throws Exception {
            cancelWaitFor(null);
        }

        /** Cancelling a wait_for with a timeout cancels the awaited task (bpo-23219). */
        @Test
        void test_cancel_wait_for() throws Exception {
            cancelWaitFor(s(60.0));
        }

        /** GH-86296: work that suppresses the cancellation and returns 42: wait_for returns 42. */
        @Test
        void test_wait_for_cancel_suppressed() throws Exception {
            runInVirtualTime(() -> {
                Integer res = Async.waitFor(Async.spawn(() -> {
                    try {
                        Async.sleep(s(10));
                    } catch (CancelledException e) {
                        return 42;
                    }
                    return null;
                }), s(0.1));
                assertThat(res).isEqualTo(42);
                return null;
            });
        }

        /**
         * GH-86296: a task cancelled right after its wait_for got a result is still cancelled
         * (it does not run on to its end); the awaited task keeps its result.
         */
        @Test
        void test_wait_for_issue86296() throws Exception {
            runInVirtualTime(() -> {
                Task<String> innerTask = Async.spawn(() -> "done");
                boolean[] reachedEnd = {false};
                Task<Object> task = Async.spawn(() -> {
                    Async.waitFor(innerTask, s(100));
                    Async.sleep(s(1));
                    reachedEnd[0] = true;
                    return null;
                });
                assertThat(task.isDone()).isFalse();
                // Run the task
                Async.checkpoint();
                task.cancel();
                assertThatThrownBy(() -> Async.await(task)).isInstanceOf(CancelledException.class);
                assertThat(innerTask.isDone()).isTrue();
                assertThat(Async.await(innerTask)).isEqualTo("done");
                assertThat(reachedEnd[0]).isFalse();
                return null;
            });
        }
    }

    @Nested
    class WaitForShieldTests {

        /**
         * wait_for(shield(task), 0): the shield is cancelled at once and TimeoutError raised; the
         * task runs on in the background and finishes.
         */
        @Test
        void test_zero_timeout() throws Exception {
            runInVirtualTime(() -> {
                Task<String> task = Async.spawn(() -> sleepThen(0.01, "done"));
                @SuppressWarnings("unchecked")
                LoopFuture<String>[] shieldedTask = new LoopFuture[1];
                assertThatThrownBy(() -> {
                    shieldedTask[0] = Async.shield(task);
                    Async.waitFor(shieldedTask[0], Duration.ZERO);
                }).isInstanceOf(TimeoutException.class);
                // Task is running in background
                assertThat(task.isDone()).isFalse();
                assertThat(task.isCancelled()).isFalse();
                assertThat(shieldedTask[0].isCancelled()).isTrue();
                // Wait for the task to complete
                Async.sleep(s(0.1));
                assertThat(task.isDone()).isTrue();
                return null;
            });
        }

        /** timeout=None on a shield runs the task to completion. Java form: a null timeout. */
        @Test
        void test_none_timeout() throws Exception {
            runInVirtualTime(() -> {
                Task<String> task = Async.spawn(() -> sleepThen(0.1, "done"));
                Async.waitFor(Async.shield(task), null);
                assertThat(task.isDone()).isTrue();
                assertThat(Async.await(task)).isEqualTo("done");
                return null;
            });
        }

        /** A timeout on a shield raises TimeoutError but leaves the task running to its result. */
        @Test
        void test_shielded_timeout() throws Exception {
            runInVirtualTime(() -> {
                Task<String> task = Async.spawn(() -> sleepThen(0.1, "done"));
                assertThatThrownBy(() -> Async.waitFor(Async.shield(task), s(0.01)))
                        .isInstanceOf(TimeoutException.class);
                assertThat(task.isDone()).isFalse();
                assertThat(task.isCancelled()).isFalse();
                assertThat(Async.await(task)).isEqualTo("done");
                return null;
            });
        }
    }

    /**
     * CPython main's test_wait_for_self_cancellation (added after 3.13): the task running
     * wait_for is cancelled before it starts; the inner task, deaf to two cancellations, still
     * finishes with 42, and the outer task ends cancelled.
     */
    @Test
    void test_wait_for_self_cancellation() throws Exception {
        AsyncioCase.runInVirtualTime(() -> {
            Task<Integer> innerTask = Async.spawn(() -> {
                try {
                    Async.sleep(Duration.ofMillis(300));
                } catch (CancelledException e) {
                    try {
                        Async.sleep(Duration.ofMillis(300));
                    } catch (CancelledException e2) {
                        Async.sleep(Duration.ofMillis(300));
                    }
                }
                return 42;
            });
            Task<Integer> task = Async.spawn(() -> Async.waitFor(innerTask, Duration.ofMillis(100)));
            task.cancel();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Async.await(task)).isInstanceOf(CancelledException.class);
            org.assertj.core.api.Assertions.assertThat(Async.await(innerTask)).isEqualTo(42);
            return null;
        });
    }
}
