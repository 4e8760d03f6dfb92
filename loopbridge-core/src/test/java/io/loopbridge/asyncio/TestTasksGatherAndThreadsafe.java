package io.loopbridge.asyncio;

import static io.loopbridge.asyncio.AsyncioCase.newLoop;
import static io.loopbridge.asyncio.AsyncioCase.seconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

import io.loopbridge.Async;
import io.loopbridge.CancelledException;
import io.loopbridge.ContextVar;
import io.loopbridge.EventLoop;
import io.loopbridge.ExceptionContext;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import io.loopbridge.Threads;
import io.loopbridge.Timeout;
import io.loopbridge.VirtualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * CPython 3.13 {@code test_asyncio/test_tasks.py}, part B: from {@code test_as_completed} to
 * the end of the file (the rest of {@code BaseTaskTests}, then {@code SetMethodsTest}, the
 * introspection / current-loop / generic classes, {@code GatherTestsBase} with
 * {@code FutureGatherTests} and {@code CoroutineGatherTests}, {@code RunCoroutineThreadsafeTests},
 * {@code SleepTests} and {@code CompatibilityTests}). Part A is {@code TestTasks}.
 *
 * <p>The {@code BaseTaskTests} cases are methods of this class; every later Python class is a
 * {@link Nested} class of the same name (the two gather classes share their inherited cases,
 * as in Python). asyncio runs {@code BaseTaskTests} once per C/Python Task and Future
 * implementation; loopbridge has one, so each case runs once (per task mode).
 *
 * <p>Java forms used throughout: a coroutine passed to an asyncio function becomes a task
 * ({@code Async.spawn}) or a {@link Callable} run as one, since loopbridge's combinators take
 * {@link CompletionStage}s; {@code run_briefly(loop)} is running a no-op task to completion;
 * time is the virtual time of {@link AsyncioCase#newLoop()}, so asyncio's
 * {@code loop.advance_time(...)} tricks are not needed.
 *
 * <h2>Cases left out (no Java meaning)</h2>
 * <ul>
 *   <li>Coroutine objects and the coroutine protocol: {@code test_iscoroutinefunction},
 *       {@code test_coroutine_non_gen_function} (asyncio.iscoroutine, running a bare coroutine),
 *       {@code test_create_task_with_asynclike_function} (an object with send/throw/__await__),
 *       {@code test_get_coro} (Task.get_coro returns the coroutine object).</li>
 *   <li>Static typing makes the case impossible: {@code test_as_completed_invalid_args} (a
 *       future or coroutine where an iterable is expected: TypeError; the Java parameter is a
 *       Collection), {@code test_create_task_with_noncoroutine} (123 as a coroutine),
 *       {@code test_sleep_when_delay_is_nan} (a {@link Duration} cannot be NaN).</li>
 *   <li>{@code __del__}/gc specifics: {@code test_log_destroyed_pending_task} (a pending task
 *       collected by the gc; loopbridge's loop holds every unfinished task strongly, by
 *       contract), {@code test_error_in_call_soon} (monkeypatches {@code loop.call_soon} to make
 *       Task.__init__ fail, then checks the gc's "destroyed but pending" log).</li>
 *   <li>Python debug attributes: {@code test_task_source_traceback} ({@code _source_traceback}).</li>
 *   <li>Subclassing asyncio's Task/Future classes: {@code test_subclasses_ctask_cfuture} (added by
 *       {@code add_subclass_tests}), {@code CTask_Future_Tests.test_foobar} (a Future subclass
 *       whose get_loop property raises); {@link Task} is final and {@link LoopFuture}'s
 *       constructor is not public.</li>
 *   <li>{@code SetMethodsTest.test_set_result_causes_invalid_state} and
 *       {@code test_set_exception_causes_invalid_state}: they call the base class's unbound
 *       {@code Future.set_result(task, ...)} to bypass Task's override; Java's virtual dispatch
 *       has no such call ({@code Task.complete} always refuses, see test_task_set_methods).</li>
 *   <li>The C/Python implementation switch: {@code test_refleaks_in_task___init__} (refcounts),
 *       {@code test_del__log_destroy_pending_segfault}, {@code test_asyncio_module_compiled},
 *       and the whole of {@code BaseTaskIntrospectionTests} ({@code test__register_task_1/2/3},
 *       {@code test__enter_task}, {@code test__enter_task_failure}, {@code test__leave_task},
 *       {@code test__leave_task_failure1/2}, {@code test__unregister_task},
 *       {@code test__unregister_task_not_registered}): private hooks
 *       ({@code _register_task}, {@code _enter_task}...) driven with mock loops and task-likes.</li>
 *   <li>The global ("current but not running") event loop of the policy:
 *       {@code test_shield_coroutine_use_global_loop},
 *       {@code test_constructor_empty_sequence_use_global_loop},
 *       {@code test_constructor_use_global_loop} ({@code asyncio.set_event_loop}; loopbridge has
 *       only the running loop).</li>
 *   <li>Interpreter flags: {@code test_env_var_debug} (PYTHONASYNCIODEBUG, -X dev, -E).</li>
 *   <li>Task factories: {@code test_run_coroutine_threadsafe_task_factory_exception}
 *       ({@code loop.set_task_factory} exists to substitute Task subclasses; Task is final and
 *       loopbridge has no factory hook).</li>
 *   <li>{@code CompatibilityTests} has no test methods.</li>
 * </ul>
 *
 * <p>{@code asyncio.wait} is {@link Async#wait}; 3.13's async iteration of
 * {@code as_completed} (the original awaitables back, in completion order) is
 * {@link Async#asCompletedStages}; {@code contextvars.copy_context()} and
 * {@code create_task(context=)} are {@link ContextVar.Context} and the task factories taking one.
 */
class TestTasksGatherAndThreadsafe {

    // ---------------------------------------------------------------- helpers

    /** Seconds as a Duration. */
    private static Duration s(double seconds) {
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    /** asyncio's test_utils.run_briefly: runs a no-op task to completion. */
    private static void runBriefly(EventLoop loop) throws Exception {
        loop.runUntilComplete(loop.createTask(() -> null));
    }

    /** GatherTestsBase._run_loop: runs briefly until no callback is ready. */
    private static void runLoop(EventLoop loop) throws Exception {
        runBriefly(loop);
        for (int i = 0; i < 100 && loop.stats().readyCallbacks() > 0; i++) {
            runBriefly(loop);
        }
    }

    /** Runs {@code body} as a task of {@code loop} and returns what it returned (not awaited). */
    private static <T> T onLoop(EventLoop loop, Callable<T> body) throws Exception {
        return loop.runUntilComplete(body);
    }

    private static <T> T sleepThen(double seconds, T value) throws Exception {
        Async.sleep(s(seconds));
        return value;
    }

    // ---------------------------------------------------------------- BaseTaskTests (part B)

    /**
     * as_completed yields results in completion order (0.01, 0.01, 0.15) and the loop ends at
     * 0.15. Java has one iteration form, a list of futures, so the async-iterator subtest has
     * no separate Java form.
     */
    @Test
    void test_as_completed() throws Exception {
        try (EventLoop loop = newLoop()) {
            List<String> res = loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(() -> sleepThen(0.01, "a"));
                Task<String> b = Async.spawn(() -> sleepThen(0.01, "b"));
                Task<String> c = Async.spawn(() -> sleepThen(0.15, "c"));
                List<String> values = new ArrayList<>();
                for (LoopFuture<String> f : Async.asCompleted(List.of(b, c, a))) {
                    values.add(Async.await(f));
                }
                return values;
            });
            assertThat(seconds(loop)).isCloseTo(0.15, within(1e-9));
            assertThat(res.subList(0, 2)).containsExactlyInAnyOrder("a", "b");
            assertThat(res.get(2)).isEqualTo("c");
        }
    }

    /**
     * 3.13's async iteration of as_completed yields the very tasks that were passed in, as they
     * finish (coroutines are not yielded back: that half is Python-only). Java form:
     * {@link Async#asCompletedStages}, whose iteration hands back the stages given
     * ({@code Async.asCompleted} returns new futures, bound by completion index).
     */
    @Test
    void test_as_completed_same_tasks_in_as_out() throws Exception {
        try (EventLoop loop = newLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> taskB = Async.spawn(() -> "b");
                Task<String> taskD = Async.spawn(() -> "d");
                List<Task<String>> in = List.of(taskB, taskD);
                Set<Object> awaitablesOut = new HashSet<>();
                for (Task<String> t : Async.asCompletedStages(in)) {
                    awaitablesOut.add(t);
                }
                assertThat(awaitablesOut).isEqualTo(new HashSet<>(in));
                return null;
            });
        }
    }

    /**
     * as_completed(timeout=0.12): the first result arrives at 0.1, awaiting the second raises
     * TimeoutError at 0.12. Java form: as_completed has no timeout parameter; the iteration is
     * bounded by an {@code Async.timeout} block, whose expiry arrives as
     * {@link TimeoutException} at the pending await (documented form (a)). The final
     * {@code asyncio.wait([a, b])} only lets the sleepers end; awaiting b does the same.
     */
    @Test
    void test_as_completed_with_timeout() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<String> a = loop.createTask(() -> sleepThen(0.1, "a"));
            Task<String> b = loop.createTask(() -> sleepThen(0.15, "b"));
            List<Object[]> res = loop.runUntilComplete(() -> {
                List<Object[]> values = new ArrayList<>();
                try (Timeout t = Async.timeout(s(0.12))) {
                    for (LoopFuture<String> f : Async.asCompleted(List.of(a, b))) {
                        try {
                            values.add(new Object[] {1, Async.await(f)});
                        } catch (TimeoutException exc) {
                            values.add(new Object[] {2, exc});
                        }
                    }
                }
                return values;
            });
            assertThat(res).hasSize(2);
            assertThat(res.get(0)).containsExactly(1, "a");
            assertThat(res.get(1)[0]).isEqualTo(2);
            assertThat(res.get(1)[1]).isInstanceOf(TimeoutException.class);
            assertThat(seconds(loop)).isCloseTo(0.12, within(1e-9));
            assertThat(loop.runUntilComplete(b)).isEqualTo("b");
        }
    }

    /**
     * A timeout that never expires leaves no trace. Java form as in test_as_completed_with_timeout
     * (an {@code Async.timeout} block of 1 s); the task then sleeps past the old deadline to show
     * the unused timeout does not fire later.
     */
    @Test
    void test_as_completed_with_unused_timeout() throws Exception {
        try (EventLoop loop = newLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(() -> sleepThen(0.01, "a"));
                try (Timeout t = Async.timeout(s(1))) {
                    for (LoopFuture<String> f : Async.asCompleted(List.of(a))) {
                        assertThat(Async.await(f)).isEqualTo("a");
                    }
                }
                Async.sleep(s(2));
                return null;
            });
            assertThat(seconds(loop)).isCloseTo(2.01, within(1e-9));
        }
    }

    /**
     * Iteration over as_completed can stop and later resume where it stopped. Java form: an
     * Iterator over the returned list, used by two loops.
     */
    @Test
    void test_as_completed_resume_iterator() throws Exception {
        try (EventLoop loop = newLoop()) {
            List<Integer> results = loop.runUntilComplete(() -> {
                List<Task<Integer>> coros = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    int n = i;
                    coros.add(Async.spawn(() -> n));
                }
                Iterator<LoopFuture<Integer>> iterator = Async.asCompleted(coros).iterator();
                List<Integer> collected = new ArrayList<>();
                int iterations = 0;
                while (iterator.hasNext()) {
                    collected.add(Async.await(iterator.next()));
                    iterations++;
                    if (iterations == 2) {
                        break;
                    }
                }
                assertThat(collected).hasSize(2);
                while (iterator.hasNext()) {
                    collected.add(Async.await(iterator.next()));
                }
                return collected;
            });
            assertThat(results).containsExactlyInAnyOrder(0, 1, 2, 3);
        }
    }

    /**
     * Java form: asyncio hands each completion to whichever of its awaitables is awaited next;
     * {@code Async.asCompleted} returns futures bound by index (the i-th completion), so
     * awaiting futs[1] first gives the second completion, 'b' at 0.10, and futs[0] is then
     * already done with 'a'. The order of completions, and their times, are asyncio's.
     */
    @Test
    void test_as_completed_reverse_wait() throws Exception {
        try (EventLoop loop = newLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(() -> sleepThen(0.05, "a"));
                Task<String> b = Async.spawn(() -> sleepThen(0.10, "b"));
                List<LoopFuture<String>> futs = Async.asCompleted(List.of(a, b));
                assertThat(futs).hasSize(2);
                String x = Async.await(futs.get(1));
                assertThat(x).isEqualTo("b");
                assertThat(seconds(loop)).isCloseTo(0.10, within(1e-9));
                assertThat(futs.get(0).isDone()).isTrue();
                String y = Async.await(futs.get(0));
                assertThat(y).isEqualTo("a");
                return null;
            });
        }
    }

    /** Several futures from as_completed can be awaited concurrently (through asyncio.wait). */
    @Test
    void test_as_completed_concurrent() throws Exception {
        try (EventLoop loop = newLoop()) {
            loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(() -> sleepThen(0.05, "a"));
                Task<String> b = Async.spawn(() -> sleepThen(0.05, "b"));
                List<LoopFuture<String>> futs = Async.asCompleted(List.of(a, b));
                assertThat(futs).hasSize(2);
                Set<Object> results = new HashSet<>();
                Async.Waited<LoopFuture<String>> w = Async.wait(futs, null, Async.ReturnWhen.ALL_COMPLETED);
                for (LoopFuture<String> f : w.done()) {
                    results.add(f.result());
                }
                assertThat(results).containsExactlyInAnyOrder("a", "b");
                return null;
            });
        }
    }

    /**
     * The same awaitable passed twice is waited for once: as_completed yields two results for
     * [c, c, spam]. Java form: the coroutine object is a task passed twice.
     */
    @Test
    void test_as_completed_duplicate_coroutines() throws Exception {
        try (EventLoop loop = newLoop()) {
            List<String> result = loop.runUntilComplete(() -> {
                Task<String> c = Async.spawn(() -> "ham");
                List<String> r = new ArrayList<>();
                for (LoopFuture<String> f : Async.asCompleted(List.of(c, c, Async.spawn(() -> "spam")))) {
                    r.add(Async.await(f));
                }
                return r;
            });
            assertThat(new HashSet<>(result)).containsExactlyInAnyOrder("ham", "spam");
            assertThat(result).hasSize(2);
        }
    }

    /**
     * Without a running loop as_completed refuses (RuntimeError 'no current event loop'). Java
     * form: a stage bound to no loop (a CompletableFuture); the refusal is IllegalStateException.
     */
    @Test
    void test_as_completed_coroutine_without_loop() {
        CompletableFuture<Integer> a = new CompletableFuture<>();
        assertThatThrownBy(() -> Async.asCompleted(List.of(a)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no event loop is running");
    }

    /** Inside a task, as_completed uses the running loop. */
    @Test
    void test_as_completed_coroutine_use_running_loop() throws Exception {
        try (EventLoop loop = newLoop()) {
            loop.runUntilComplete(() -> {
                List<LoopFuture<Integer>> futs = Async.asCompleted(List.of(Async.spawn(() -> 42)));
                assertThat(futs).hasSize(1);
                assertThat(Async.await(futs.get(0))).isEqualTo(42);
                return null;
            });
        }
    }

    /**
     * Two sleeps of dt/2 take dt of loop time. Java form: sleep has no {@code result} argument;
     * the body returns the value after sleeping.
     */
    @Test
    void test_sleep() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<String> t = loop.createTask(() -> {
                Async.sleep(s(0.05));
                return sleepThen(0.05, "yeah");
            });
            loop.runUntilComplete(t);
            assertThat(t.isDone()).isTrue();
            assertThat(t.result()).isEqualTo("yeah");
            assertThat(seconds(loop)).isCloseTo(0.1, within(1e-9));
        }
    }

    /**
     * Cancelling a sleeping task cancels its timer. Java form: the timer handle is not
     * reachable, so the loop's timer count ({@code stats().timers()}) shows it: one timer while
     * it sleeps, none once the cancelled timer has been dropped. A manual clock keeps the 10 s
     * deadline from being reached.
     */
    @Test
    void test_sleep_cancel() throws Exception {
        try (EventLoop loop = newLoop(VirtualClock.manual())) {
            Task<String> t = loop.createTask(() -> sleepThen(10.0, "yeah"));
            runBriefly(loop);
            assertThat(loop.stats().timers()).isEqualTo(1);
            t.cancel();
            runBriefly(loop);
            assertThat(loop.stats().timers()).isZero();
            assertThat(t.isCancelled()).isTrue();
        }
    }

    /** A task awaiting a task that is cancelled by a timer sees CancelledException at 0.1. */
    @Test
    void test_task_cancel_sleeping_task() throws Exception {
        try (EventLoop loop = newLoop()) {
            String r = loop.runUntilComplete(() -> {
                Task<Object> sleeper = Async.spawn(() -> sleepThen(5000, null));
                EventLoop.current().callLater(s(0.1), sleeper::cancel);
                try {
                    Async.await(sleeper);
                } catch (CancelledException e) {
                    return "cancelled";
                }
                return "slept in";
            });
            assertThat(r).isEqualTo("cancelled");
            assertThat(seconds(loop)).isCloseTo(0.1, within(1e-9));
        }
    }

    /**
     * Cancelling a task cancels the future it awaits. The private {@code _fut_waiter} checks
     * have no Java form; the future's cancellation is the observable effect.
     */
    @Test
    void test_task_cancel_waiter_future() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Object> fut = loop.createFuture();
            Task<Object> task = loop.createTask(() -> Async.await(fut));
            runBriefly(loop);
            task.cancel();
            runBriefly(loop);
            assertThatThrownBy(() -> loop.runUntilComplete(task)).isInstanceOf(CancelledException.class);
            assertThat(fut.isCancelled()).isTrue();
        }
    }

    /**
     * A task cannot be completed from outside (asyncio: RuntimeError 'Task does not support
     * set_result'); Java form: {@code complete}/{@code completeExceptionally} throw
     * UnsupportedOperationException. The task then finishes normally.
     */
    @Test
    void test_task_set_methods() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<String> task = loop.createTask(() -> "ko");
            assertThatThrownBy(() -> task.complete("ok"))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("cannot be completed");
            assertThatThrownBy(() -> task.completeExceptionally(new IllegalArgumentException()))
                    .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("cannot be failed");
            assertThat(loop.runUntilComplete(task)).isEqualTo("ko");
        }
    }

    /**
     * A task awaiting a future waits for it and gets its very result object. Java form:
     * LoopFuture cannot be subclassed to spy on add_done_callback, so "the task registered on
     * the future" is observed as the task still waiting after a first run.
     */
    @Test
    void test_step_result_future() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Object> fut = loop.createFuture();
            AtomicReference<Object> result = new AtomicReference<>();
            Task<Object> t = loop.createTask(() -> {
                result.set(Async.await(fut));
                return null;
            });
            runBriefly(loop);
            assertThat(t.isDone()).isFalse();
            Object res = new Object();
            fut.complete(res);
            runBriefly(loop);
            assertThat(result.get()).isSameAs(res);
            assertThat(t.isDone()).isTrue();
            assertThat(t.result()).isNull();
        }
    }

    /** Thrown by test_baseexception_during_cancel: Java's counterpart of a BaseException. */
    private static final class BaseExc extends Error {
        private static final long serialVersionUID = 1L;
    }

    /**
     * A task that answers its cancellation with a BaseException (SystemExit) ends with that
     * exception, not cancelled. Java form: the BaseException is an {@link Error}; asyncio also
     * re-raises SystemExit/KeyboardInterrupt out of the loop run, which has no Java counterpart
     * (System.exit does not throw), so that part is not checked.
     */
    @Test
    void test_baseexception_during_cancel() throws Exception {
        try (EventLoop loop = newLoop(VirtualClock.manual())) {
            BaseExc baseExc = new BaseExc();
            Task<Object> task = loop.createTask(() -> {
                try {
                    Async.sleep(s(10));
                } catch (CancelledException e) {
                    throw baseExc;
                }
                return null;
            });
            runBriefly(loop);
            task.cancel();
            assertThat(task.isDone()).isFalse();
            runBriefly(loop);
            assertThat(task.isDone()).isTrue();
            assertThat(task.isCancelled()).isFalse();
            assertThat(task.exception()).isSameAs(baseExc);
        }
    }

    /** A task whose body returns a future has that future as its result (it is not awaited). */
    @Test
    void test_coroutine_non_gen_function_return_future() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<String> fut = loop.createFuture();
            Task<LoopFuture<String>> t1 = loop.createTask(() -> fut);
            Task<Object> t2 = loop.createTask(() -> {
                fut.complete("test");
                return null;
            });
            LoopFuture<String> res = loop.runUntilComplete(t1);
            assertThat((Object) res).isSameAs(fut);
            assertThat(t2.result()).isNull();
        }
    }

    /**
     * current_task is the running task inside it and None outside. Java form: one accessor,
     * {@code Async.currentTask()} (Optional), with no loop argument.
     */
    @Test
    void test_current_task() throws Exception {
        try (EventLoop loop = newLoop()) {
            assertThat(Async.currentTask()).isEmpty();
            AtomicReference<Task<Object>> task = new AtomicReference<>();
            task.set(loop.createTask(() -> {
                assertThat(Async.currentTask()).containsSame(task.get());
                assertThat(Task.current()).containsSame(task.get());
                return null;
            }));
            loop.runUntilComplete(task.get());
            assertThat(Async.currentTask()).isEmpty();
        }
    }

    /** current_task follows two tasks that hand control to each other (run through asyncio.wait). */
    @Test
    void test_current_task_with_interleaving_tasks() throws Exception {
        try (EventLoop loop = newLoop()) {
            assertThat(Async.currentTask()).isEmpty();
            LoopFuture<Boolean> fut1 = loop.createFuture();
            LoopFuture<Boolean> fut2 = loop.createFuture();
            AtomicReference<Task<Object>> task1 = new AtomicReference<>();
            AtomicReference<Task<Object>> task2 = new AtomicReference<>();
            task1.set(loop.createTask(() -> {
                assertThat(Async.currentTask()).containsSame(task1.get());
                Async.await(fut1);
                assertThat(Async.currentTask()).containsSame(task1.get());
                fut2.complete(true);
                return null;
            }));
            task2.set(loop.createTask(() -> {
                assertThat(Async.currentTask()).containsSame(task2.get());
                fut1.complete(true);
                Async.await(fut2);
                assertThat(Async.currentTask()).containsSame(task2.get());
                return null;
            }));
            loop.runUntilComplete(() -> {
                Async.wait(List.of(task1.get(), task2.get()), null, Async.ReturnWhen.ALL_COMPLETED);
                return null;
            });
            assertThat(task1.get().isDone() && task2.get().isDone()).isTrue();
            assertThat(Async.currentTask()).isEmpty();
        }
    }

    // Some thorough tests for cancellation propagation through coroutines, tasks and wait().

    private static void yieldFuturePassesCancelInner(LoopFuture<Object> waiter, int[] proof) throws Exception {
        try {
            Async.await(waiter);
        } catch (CancelledException e) {
            proof[0] += 1;
            throw e;
        }
        fail("got past sleep() in inner()");
    }

    /**
     * Cancelling outer cancels the future inner awaits; inner re-raises, outer catches: proof
     * 101. Java form: inner() is a plain method called by the task (a coroutine awaited inline).
     */
    @Test
    void test_yield_future_passes_cancel() throws Exception {
        try (EventLoop loop = newLoop()) {
            int[] proof = {0};
            LoopFuture<Object> waiter = loop.createFuture();
            Task<Object> f = loop.createTask(() -> {
                try {
                    yieldFuturePassesCancelInner(waiter, proof);
                } catch (CancelledException e) {
                    proof[0] += 100; // Expect this path.
                    return null;
                }
                proof[0] += 10;
                return null;
            });
            runBriefly(loop);
            f.cancel();
            loop.runUntilComplete(f);
            assertThat(proof[0]).isEqualTo(101);
            assertThat(waiter.isCancelled()).isTrue();
        }
    }

    /** Cancelling a task inside asyncio.wait makes wait return early and leaves inner running. */
    @Test
    void test_yield_wait_does_not_shield_cancel() throws Exception {
        try (EventLoop loop = newLoop()) {
            int[] proof = {0};
            LoopFuture<Object> waiter = loop.createFuture();
            Task<Object> f = loop.createTask(() -> {
                Task<Object> inner = Async.spawn(() -> {
                    Async.await(waiter);
                    proof[0] += 1;
                    return null;
                });
                Async.wait(List.of(inner), null, Async.ReturnWhen.ALL_COMPLETED);
                proof[0] += 100;
                return null;
            });
            runBriefly(loop);
            f.cancel();
            assertThatThrownBy(() -> loop.runUntilComplete(f)).isInstanceOf(CancelledException.class);
            waiter.complete(null);
            runBriefly(loop);
            assertThat(proof[0]).isEqualTo(1);
        }
    }

    /**
     * shield(inner) gets inner's result. Java form here and in the other shield cases:
     * {@code Async.shield} needs a running loop, so it is called inside a task (asyncio takes
     * the future's loop).
     */
    @Test
    void test_shield_result() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Integer> inner = loop.createFuture();
            LoopFuture<Integer> outer = onLoop(loop, () -> Async.shield(inner));
            inner.complete(42);
            assertThat(loop.runUntilComplete(outer)).isEqualTo(42);
        }
    }

    /** shield(inner) fails with inner's very exception. */
    @Test
    void test_shield_exception() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Integer> inner = loop.createFuture();
            LoopFuture<Integer> outer = onLoop(loop, () -> Async.shield(inner));
            runBriefly(loop);
            RuntimeException exc = new RuntimeException("expected");
            inner.completeExceptionally(exc);
            runBriefly(loop);
            assertThat(outer.exception()).isSameAs(exc);
        }
    }

    /** Cancelling inner cancels the shield. */
    @Test
    void test_shield_cancel_inner() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Integer> inner = loop.createFuture();
            LoopFuture<Integer> outer = onLoop(loop, () -> Async.shield(inner));
            runBriefly(loop);
            inner.cancel();
            runBriefly(loop);
            assertThat(outer.isCancelled()).isTrue();
        }
    }

    /**
     * Cancelling the shield leaves inner alone. asyncio also checks that outer's private
     * callback list is empty; the Java check is the shield's contract: inner is not cancelled.
     */
    @Test
    void test_shield_cancel_outer() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Integer> inner = loop.createFuture();
            LoopFuture<Integer> outer = onLoop(loop, () -> Async.shield(inner));
            runBriefly(loop);
            outer.cancel();
            runBriefly(loop);
            assertThat(outer.isCancelled()).isTrue();
            assertThat(inner.isCancelled()).isFalse();
        }
    }

    /**
     * test_shield_cancel_outer_exception: once the shield is cancelled, a failure of inner that
     * nobody reads is reported (the shield no longer counts as reading it). Java form: inner is
     * a task, the future whose unread failures are reported; the report comes at close.
     */
    @Test
    void test_shield_cancel_outer_exception() throws Exception {
        List<ExceptionContext> seen = shieldCancelOuterThenFinishInner(1, () -> {
            throw new IllegalStateException("foo");
        });
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).exception()).hasMessage("foo");
    }

    /** test_shield_duplicate_log_once: inner shielded twice, both shields cancelled: its failure is reported once. */
    @Test
    void test_shield_duplicate_log_once() throws Exception {
        List<ExceptionContext> seen = shieldCancelOuterThenFinishInner(2, () -> {
            throw new IllegalStateException("foo");
        });
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).exception()).hasMessage("foo");
    }

    /** test_shield_cancel_outer_result: a result of inner after the shield was cancelled is not reported. */
    @Test
    void test_shield_cancel_outer_result() throws Exception {
        assertThat(shieldCancelOuterThenFinishInner(1, () -> 1)).isEmpty();
    }

    /**
     * Shields a task {@code shields} times in turn, cancelling each shield, then lets the task
     * finish with {@code ending}; closes the loop and returns what its exception handler was given.
     */
    private static List<ExceptionContext> shieldCancelOuterThenFinishInner(int shields, Callable<Integer> ending)
            throws Exception {
        List<ExceptionContext> seen = new ArrayList<>();
        EventLoop loop = newLoop();
        loop.setExceptionHandler((l, c) -> seen.add(c));
        LoopFuture<Void> gate = loop.createFuture();
        Task<Integer> inner = loop.createTask(() -> {
            Async.await(gate);
            return ending.call();
        });
        for (int i = 0; i < shields; i++) {
            LoopFuture<Integer> outer = onLoop(loop, () -> Async.shield(inner));
            runBriefly(loop);
            outer.cancel();
            runBriefly(loop);
        }
        gate.complete(null);
        runBriefly(loop);
        assertThat(inner.isDone()).isTrue();
        loop.close();
        return seen;
    }

    /** Shielding a done future gives its result at once. */
    @Test
    void test_shield_shortcut() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Integer> fut = loop.createFuture();
            fut.complete(42);
            LoopFuture<Integer> shielded = onLoop(loop, () -> Async.shield(fut));
            assertThat(loop.runUntilComplete(shielded)).isEqualTo(42);
        }
    }

    /** Cancelling the task awaiting a shield does not cancel the shielded task: proof 1. */
    @Test
    void test_shield_effect() throws Exception {
        try (EventLoop loop = newLoop()) {
            int[] proof = {0};
            LoopFuture<Object> waiter = loop.createFuture();
            Task<Object> f = loop.createTask(() -> {
                Async.await(Async.shield(Async.spawn(() -> {
                    Async.await(waiter);
                    proof[0] += 1;
                    return null;
                })));
                proof[0] += 100;
                return null;
            });
            runBriefly(loop);
            f.cancel();
            assertThatThrownBy(() -> loop.runUntilComplete(f)).isInstanceOf(CancelledException.class);
            waiter.complete(null);
            runBriefly(loop);
            assertThat(proof[0]).isEqualTo(1);
        }
    }

    /** Cancelling shield(gather(...)) leaves the gather and its children running to [1, 2]. */
    @Test
    void test_shield_gather() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Integer> child1 = loop.createFuture();
            LoopFuture<Integer> child2 = loop.createFuture();
            List<LoopFuture<List<Integer>>> pair = onLoop(loop, () -> {
                LoopFuture<List<Integer>> parent = Async.gather(child1, child2);
                return List.of(parent, Async.shield(parent));
            });
            LoopFuture<List<Integer>> parent = pair.get(0);
            LoopFuture<List<Integer>> outer = pair.get(1);
            runBriefly(loop);
            outer.cancel();
            runBriefly(loop);
            assertThat(outer.isCancelled()).isTrue();
            child1.complete(1);
            child2.complete(2);
            runBriefly(loop);
            assertThat(parent.result()).containsExactly(1, 2);
        }
    }

    /**
     * Cancelling gather(shield(c1), shield(c2)) cancels the shields but not c1 and c2. asyncio
     * checks {@code parent.exception()} is a CancelledError; loopbridge has a single state for
     * "cancelled" and "failed with CancelledException" (see FutureGatherTests.test_one_cancellation),
     * so the check here is the one both share: the parent's result raises CancelledException.
     */
    @Test
    void test_gather_shield() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Integer> child1 = loop.createFuture();
            LoopFuture<Integer> child2 = loop.createFuture();
            List<LoopFuture<?>> made = onLoop(loop, () -> {
                LoopFuture<Integer> inner1 = Async.shield(child1);
                LoopFuture<Integer> inner2 = Async.shield(child2);
                return List.of(inner1, inner2, Async.gather(inner1, inner2));
            });
            LoopFuture<?> inner1 = made.get(0);
            LoopFuture<?> inner2 = made.get(1);
            LoopFuture<?> parent = made.get(2);
            runBriefly(loop);
            parent.cancel();
            // This should cancel inner1 and inner2 but not child1 and child2.
            runBriefly(loop);
            assertThatThrownBy(parent::result).isInstanceOf(CancelledException.class);
            assertThat(inner1.isCancelled()).isTrue();
            assertThat(inner2.isCancelled()).isTrue();
            assertThat(child1.complete(1)).isTrue();
            assertThat(child2.complete(2)).isTrue();
            runBriefly(loop);
        }
    }

    /**
     * shield of a coroutine without a running loop is refused. Java form: a stage of no loop
     * (CompletableFuture); the refusal is IllegalStateException.
     */
    @Test
    void test_shield_coroutine_without_loop() {
        CompletableFuture<Integer> inner = new CompletableFuture<>();
        assertThatThrownBy(() -> Async.shield(inner))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no event loop is running");
    }

    /** shield(coroutine) inside a task is bound to the running loop and gives the result. */
    @Test
    void test_shield_coroutine_use_running_loop() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Integer> outer = onLoop(loop, () -> Async.shield(Async.spawn(() -> 42)));
            assertThat(outer.loop()).isSameAs(loop);
            assertThat(loop.runUntilComplete(outer)).isEqualTo(42);
        }
    }

    /** asyncio.wait refuses an empty set of futures with ValueError (the TypeError half is static typing). */
    @Test
    void test_wait_invalid_args() throws Exception {
        try (EventLoop loop = newLoop()) {
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(() -> {
                Async.wait(List.<LoopFuture<?>>of(), null, Async.ReturnWhen.ALL_COMPLETED);
                return null;
            }));
            assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * Cancelling a task that already failed withdraws interest in its exception: nothing is
     * reported as "never retrieved" (asyncio's cancel() clears _log_traceback even on a done
     * task). The handler is installed to see what would otherwise reach the default one.
     */
    @Test
    void test_tb_logger_not_called_after_cancel() throws Exception {
        List<ExceptionContext> reported = new CopyOnWriteArrayList<>();
        try (EventLoop loop = newLoop()) {
            loop.setExceptionHandler((l, c) -> reported.add(c));
            loop.runUntilComplete(() -> {
                Task<Object> task = Async.spawn(() -> {
                    throw new IllegalArgumentException("TypeError");
                });
                Async.sleep(s(0.05));
                task.cancel();
                return null;
            });
        }
        assertThat(reported).isEmpty();
    }

    /**
     * A gathering future whose children are all done refuses cancellation (bpo-26923):
     * cancel() returns false and the gather still gives [42].
     */
    @Test
    void test_cancel_gather_1() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Integer> fut = loop.createFuture();
            LoopFuture<List<Integer>> gatherTask = onLoop(loop, () -> {
                // The indirection fut -> child task is needed since otherwise the gathering
                // future is done at the same time as the child future.
                Task<Integer> child = Async.spawn(() -> Async.await(fut));
                return Async.gather(List.of(child));
            });
            Boolean[] cancelResult = {null};
            fut.addDoneCallback(f -> cancelResult[0] = gatherTask.cancel());
            fut.complete(42); // calls the cancelling callback after fut is done
            Throwable thrown = catchThrowable(() -> loop.runUntilComplete(gatherTask));
            assertThat(cancelResult[0]).isFalse();
            assertThat(gatherTask.isCancelled()).isFalse();
            assertThat(thrown).isNull();
            assertThat(gatherTask.result()).containsExactly(42);
        }
    }

    /**
     * Cancelling a task inside gather(..., return_exceptions=True) reaches the caller as
     * CancelledError with the cancel message and no chained exception. Java form:
     * gatherSettled; messages are Strings, so the non-string message subtest (5) is Python-only;
     * cancel() and cancel(null) both mean no message.
     */
    @Test
    void test_cancel_gather_2() throws Exception {
        for (String[] args : Arrays.asList(new String[0], new String[] {null}, new String[] {"my message"})) {
            String expected = args.length == 0 ? null : args[0];
            try (EventLoop loop = newLoop()) {
                Throwable exc = catchThrowable(() -> loop.runUntilComplete(() -> {
                    Task<Object> qwe = Async.spawn(() -> {
                        double time = 0;
                        while (true) {
                            time += 0.05;
                            Async.await(Async.gatherSettled(List.of(Async.spawn(() -> sleepThen(0.05, null)))));
                            if (time > 1) {
                                return null;
                            }
                        }
                    });
                    Async.sleep(s(0.2));
                    if (args.length == 0) {
                        qwe.cancel();
                    } else {
                        qwe.cancel(args[0]);
                    }
                    Async.await(qwe);
                    return null;
                }));
                assertThat(exc).as("gather() does not propagate CancelledError raised by inner task to the caller")
                        .isInstanceOf(CancelledException.class);
                assertThat(exc.getMessage()).isEqualTo(expected);
                assertThat(exc.getCause()).isNull();
            }
        }
    }

    /** A failed task's exception carries its traceback. Java form: a non-empty stack trace. */
    @Test
    void test_exception_traceback() throws Exception {
        try (EventLoop loop = newLoop()) {
            int[] zero = {0};
            loop.runUntilComplete(() -> {
                Task<Integer> task = Async.spawn(() -> 1 / zero[0]);
                Async.checkpoint(); // skip one loop iteration
                assertThat(task.exception()).isInstanceOf(ArithmeticException.class);
                assertThat(task.exception().getStackTrace()).isNotEmpty();
                return null;
            });
        }
    }

    /** create_task with an async function gives a Task that runs (twice, as in asyncio). */
    @Test
    void test_create_task_with_async_function() throws Exception {
        try (EventLoop loop = newLoop()) {
            for (int i = 0; i < 2; i++) {
                Object task = loop.createTask(() -> null);
                assertThat(task).isInstanceOf(Task.class);
                loop.runUntilComplete((Task<?>) task);
                assertThat(((Task<?>) task).isDone()).isTrue();
            }
        }
    }

    /** asyncio.create_task inside a task (Async.spawn) gives a Task whose result is awaited. */
    @Test
    void test_bare_create_task() throws Exception {
        try (EventLoop loop = newLoop()) {
            loop.runUntilComplete(() -> {
                Object task = Async.spawn(() -> 1);
                assertThat(task).isInstanceOf(Task.class);
                int ret = Async.await((Task<Integer>) task);
                assertThat(ret).isEqualTo(1);
                return null;
            });
        }
    }

    /** create_task(name=...) names the task. */
    @Test
    void test_bare_create_named_task() throws Exception {
        try (EventLoop loop = newLoop()) {
            loop.runUntilComplete(() -> {
                Task<Object> task = Async.spawn("No-op", () -> null);
                assertThat(task.name()).isEqualTo("No-op");
                Async.await(task);
                return null;
            });
        }
    }

    /** A task starts with its creator's context at creation; writes do not cross either way. */
    @Test
    void test_context_1() throws Exception {
        ContextVar<String> cvar = ContextVar.withDefault("cvar", "nope");
        try (EventLoop loop = newLoop()) {
            Task<Object> task = loop.createTask(() -> {
                assertThat(cvar.get()).isEqualTo("nope");
                Task<Object> subtask = EventLoop.current().createTask(() -> {
                    Async.sleep(s(0.01));
                    assertThat(cvar.get()).isEqualTo("nope");
                    cvar.set("something else");
                    return null;
                });
                cvar.set("yes");
                assertThat(cvar.get()).isEqualTo("yes");
                Async.await(subtask);
                assertThat(cvar.get()).isEqualTo("yes");
                return null;
            });
            loop.runUntilComplete(task);
        }
    }

    /**
     * A done-callback runs in a copy of the context of the task that added it: its writes do
     * not pollute the task, and the task's values survive awaits and sleeps.
     */
    @Test
    void test_context_2() throws Exception {
        ContextVar<String> cvar = ContextVar.withDefault("cvar", "nope");
        try (EventLoop loop = newLoop()) {
            Task<Object> task = loop.createTask(() -> {
                assertThat(cvar.get()).isEqualTo("nope");
                for (int j = 0; j < 2; j++) {
                    LoopFuture<Object> fut = EventLoop.current().createFuture();
                    // This change must not pollute the context of the "main()" task.
                    fut.addDoneCallback(f -> cvar.set("something else"));
                    cvar.set("yes" + j);
                    EventLoop.current().callSoon(() -> fut.complete(null));
                    Async.await(fut);
                    assertThat(cvar.get()).isEqualTo("yes" + j);
                    for (int i = 0; i < 3; i++) {
                        // Test that the task passed its context to addDoneCallback:
                        cvar.set("yes" + i + "-" + j);
                        Async.sleep(s(0.001));
                        assertThat(cvar.get()).isEqualTo("yes" + i + "-" + j);
                    }
                }
                return null;
            });
            loop.runUntilComplete(task);
        }
        assertThat(cvar.get()).isEqualTo("nope");
    }

    /**
     * 100 tasks in parallel each keep their own value across random sleeps. Java form: the
     * random sleeps come from a seeded Random (virtual time; deterministic).
     */
    @Test
    void test_context_3() throws Exception {
        ContextVar<Integer> cvar = ContextVar.withDefault("cvar", -1);
        Random random = new Random(3);
        try (EventLoop loop = newLoop()) {
            loop.runUntilComplete(() -> {
                List<Task<Object>> tasks = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    int num = random.nextInt(11);
                    tasks.add(EventLoop.current().createTask(() -> {
                        for (int k = 0; k < 10; k++) {
                            cvar.set(num + k);
                            Async.sleep(s(0.001 + random.nextDouble() * 0.049));
                            assertThat(cvar.get()).isEqualTo(num + k);
                        }
                        return null;
                    }));
                }
                Async.await(Async.gather(tasks));
                return null;
            });
        }
        assertThat(cvar.get()).isEqualTo(-1);
    }

    /** A task created with context=ctx (new_task) writes into ctx; two tasks share it: [None, 1, 2]. */
    @Test
    void test_context_4() throws Exception {
        ContextVar<Integer> cvar = ContextVar.of("cvar");
        try (EventLoop loop = newLoop()) {
            List<Object> ret = loop.runUntilComplete(() -> {
                List<Object> r = new ArrayList<>();
                ContextVar.Context ctx = ContextVar.Context.copyCurrent();
                r.add(ctx.get(cvar));
                Async.await(EventLoop.current().createTask(null, () -> {
                    Async.checkpoint();
                    cvar.set(1);
                    return null;
                }, ctx));
                r.add(ctx.get(cvar));
                Async.await(EventLoop.current().createTask(null, () -> {
                    Async.checkpoint();
                    cvar.set(2);
                    return null;
                }, ctx));
                r.add(ctx.get(cvar));
                return r;
            });
            assertThat(ret).containsExactly(null, 1, 2);
        }
    }

    /** As test_context_4 through asyncio.create_task(coro, context=ctx). */
    @Test
    void test_context_5() throws Exception {
        ContextVar<Integer> cvar = ContextVar.of("cvar");
        try (EventLoop loop = newLoop()) {
            List<Object> ret = loop.runUntilComplete(() -> {
                List<Object> r = new ArrayList<>();
                ContextVar.Context ctx = ContextVar.Context.copyCurrent();
                r.add(ctx.get(cvar));
                Async.await(Async.spawn(null, () -> {
                    Async.checkpoint();
                    cvar.set(1);
                    return null;
                }, ctx));
                r.add(ctx.get(cvar));
                Async.await(Async.spawn(null, () -> {
                    Async.checkpoint();
                    cvar.set(2);
                    return null;
                }, ctx));
                r.add(ctx.get(cvar));
                return r;
            });
            assertThat(ret).containsExactly(null, 1, 2);
        }
    }

    /** As test_context_4 through loop.create_task(coro, context=ctx), main created by loop.create_task. */
    @Test
    void test_context_6() throws Exception {
        ContextVar<Integer> cvar = ContextVar.of("cvar");
        try (EventLoop loop = newLoop()) {
            Task<List<Object>> task = loop.createTask(() -> {
                List<Object> r = new ArrayList<>();
                ContextVar.Context ctx = ContextVar.Context.copyCurrent();
                r.add(ctx.get(cvar));
                Async.await(EventLoop.current().createTask(null, () -> {
                    Async.checkpoint();
                    cvar.set(1);
                    return null;
                }, ctx));
                r.add(ctx.get(cvar));
                Async.await(EventLoop.current().createTask(null, () -> {
                    Async.checkpoint();
                    cvar.set(2);
                    return null;
                }, ctx));
                r.add(ctx.get(cvar));
                return r;
            });
            assertThat(loop.runUntilComplete(task)).containsExactly(null, 1, 2);
        }
    }

    /** Task.get_context() is the context the task was created with. */
    @Test
    void test_get_context() throws Exception {
        try (EventLoop loop = newLoop()) {
            ContextVar.Context context = ContextVar.Context.copyCurrent();
            Task<Object> task = loop.createTask(null, () -> null, context);
            loop.runUntilComplete(task);
            assertThat(task.context()).isSameAs(context);
        }
    }

    // ---------------------------------------------------------------- BaseCurrentLoopTests

    /** BaseCurrentLoopTests (its Py and C variants are one in Java). */
    @Nested
    class CurrentLoopTests {

        /** current_task(loop=loop) of a loop that is not running is None. Java form: no loop argument. */
        @Test
        void test_current_task_no_running_loop() throws Exception {
            try (EventLoop loop = newLoop()) {
                assertThat(loop.isRunning()).isFalse();
                assertThat(Async.currentTask()).isEmpty();
            }
        }

        /**
         * current_task() with no running loop raises RuntimeError 'no running event loop'. Java
         * form: {@code Async.currentTask()} returns an Optional and never throws, so the check is
         * that it is empty and that the loop accessor, {@code EventLoop.current()}, refuses.
         */
        @Test
        void test_current_task_no_running_loop_implicit() {
            assertThat(Async.currentTask()).isEmpty();
            assertThat(EventLoop.running()).isEmpty();
            assertThatThrownBy(EventLoop::current)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no event loop is running");
        }

        /** Inside a task current_task is that task; after it, none. */
        @Test
        void test_current_task_with_implicit_loop() throws Exception {
            try (EventLoop loop = newLoop()) {
                AtomicReference<Task<Object>> task = new AtomicReference<>();
                task.set(loop.createTask(() -> {
                    assertThat(Async.currentTask()).containsSame(task.get());
                    assertThat(Task.current()).containsSame(task.get());
                    return null;
                }));
                loop.runUntilComplete(task.get());
                assertThat(Async.currentTask()).isEmpty();
            }
        }
    }

    // ---------------------------------------------------------------- GenericTaskTests

    @Nested
    class GenericTaskTests {

        /** Task is a subclass of Future. */
        @Test
        void test_future_subclass() {
            assertThat(LoopFuture.class).isAssignableFrom(Task.class);
        }
    }

    // ---------------------------------------------------------------- GatherTestsBase

    /** The flattened outcome list of gather (values) or gatherSettled (values and exceptions). */
    private static List<Object> outcomes(Object result) {
        List<Object> out = new ArrayList<>();
        for (Object o : (List<?>) result) {
            if (o instanceof Async.Settled<?> st) {
                out.add(st.isSuccess() ? st.value() : st.exception());
            } else {
                out.add(o);
            }
        }
        return out;
    }

    /**
     * GatherTestsBase: the cases shared by gather over futures and over coroutines. Java form:
     * {@code return_exceptions=True} is {@code Async.gatherSettled} (its result flattened to
     * values and exceptions to compare); gather is created inside a task of one_loop, since
     * {@code Async.gather} needs a running loop (see test_constructor_homogenous_futures).
     */
    abstract class GatherTestsBase {
        EventLoop oneLoop;
        EventLoop otherLoop;

        @BeforeEach
        void setUp() {
            oneLoop = newLoop();
            otherLoop = newLoop();
        }

        @AfterEach
        void tearDown() {
            oneLoop.close();
            otherLoop.close();
        }

        /** FutureGatherTests passes the futures; CoroutineGatherTests wraps each in a task awaiting it. */
        abstract List<CompletionStage<Object>> wrapFutures(List<LoopFuture<Object>> futures);

        LoopFuture<?> gather(List<CompletionStage<Object>> stages, boolean returnExceptions) throws Exception {
            return onLoop(oneLoop, () -> returnExceptions ? Async.gatherSettled(stages) : Async.gather(stages));
        }

        List<LoopFuture<Object>> futures(int n) {
            List<LoopFuture<Object>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(oneLoop.createFuture());
            }
            return fs;
        }

        void checkSuccess(boolean returnExceptions) throws Exception {
            List<LoopFuture<Object>> abc = futures(3);
            LoopFuture<?> fut = gather(wrapFutures(abc), returnExceptions);
            List<Object> cb = new CopyOnWriteArrayList<>();
            fut.addDoneCallback(cb::add);
            abc.get(1).complete(1);
            abc.get(0).complete(2);
            runLoop(oneLoop);
            assertThat(cb).isEmpty();
            assertThat(fut.isDone()).isFalse();
            abc.get(2).complete(3);
            runLoop(oneLoop);
            assertThat(cb).containsExactly(fut);
            assertThat(outcomes(fut.result())).containsExactly(2, 1, 3);
        }

        /** All children succeed: the results in argument order, the callback called once. */
        @Test
        void test_success() throws Exception {
            checkSuccess(false);
            checkSuccess(false);
        }

        /** The same with return_exceptions=True (gatherSettled). */
        @Test
        void test_result_exception_success() throws Exception {
            checkSuccess(true);
        }

        /**
         * The first exception fails the gather at once; the other children are left alone (they
         * can still be completed: asyncio's set_result on them would raise if they were done).
         */
        @Test
        void test_one_exception() throws Exception {
            List<LoopFuture<Object>> f = futures(5);
            LoopFuture<?> fut = gather(wrapFutures(f), false);
            List<Object> cb = new CopyOnWriteArrayList<>();
            fut.addDoneCallback(cb::add);
            ArithmeticException exc = new ArithmeticException("ZeroDivisionError");
            f.get(0).complete(1);
            f.get(1).completeExceptionally(exc);
            runLoop(oneLoop);
            assertThat(fut.isDone()).isTrue();
            assertThat(cb).containsExactly(fut);
            assertThat(fut.exception()).isSameAs(exc);
            // Does nothing
            assertThat(f.get(2).complete(3)).isTrue();
            f.get(3).cancel();
            assertThat(f.get(4).completeExceptionally(new RuntimeException())).isTrue();
            f.get(4).exception();
            runLoop(oneLoop);
        }

        /** return_exceptions=True: exceptions are results, in argument order: [3, 1, exc, exc2]. */
        @Test
        void test_return_exceptions() throws Exception {
            List<LoopFuture<Object>> f = futures(4);
            LoopFuture<?> fut = gather(wrapFutures(f), true);
            List<Object> cb = new CopyOnWriteArrayList<>();
            fut.addDoneCallback(cb::add);
            ArithmeticException exc = new ArithmeticException("ZeroDivisionError");
            RuntimeException exc2 = new RuntimeException();
            f.get(1).complete(1);
            f.get(2).completeExceptionally(exc);
            f.get(0).complete(3);
            runLoop(oneLoop);
            assertThat(fut.isDone()).isFalse();
            f.get(3).completeExceptionally(exc2);
            runLoop(oneLoop);
            assertThat(fut.isDone()).isTrue();
            assertThat(cb).containsExactly(fut);
            List<Object> res = outcomes(fut.result());
            assertThat(res).hasSize(4);
            assertThat(res.get(0)).isEqualTo(3);
            assertThat(res.get(1)).isEqualTo(1);
            assertThat(res.get(2)).isSameAs(exc);
            assertThat(res.get(3)).isSameAs(exc2);
        }
    }

    // ---------------------------------------------------------------- FutureGatherTests

    @Nested
    class FutureGatherTests extends GatherTestsBase {

        @Override
        List<CompletionStage<Object>> wrapFutures(List<LoopFuture<Object>> futures) {
            return new ArrayList<>(futures);
        }

        /** gather() with no running loop is refused. Java form: IllegalStateException. */
        @Test
        void test_constructor_empty_sequence_without_loop() {
            assertThatThrownBy(() -> Async.gather(List.of()))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no event loop is running");
        }

        /** gather() inside a task is a future of the running loop, done with []. */
        @Test
        void test_constructor_empty_sequence_use_running_loop() throws Exception {
            LoopFuture<List<Object>> fut = onLoop(oneLoop, () -> Async.gather(List.of()));
            assertThat((Object) fut).isInstanceOf(LoopFuture.class);
            assertThat(fut.loop()).isSameAs(oneLoop);
            runLoop(oneLoop);
            assertThat(fut.isDone()).isTrue();
            assertThat(fut.result()).isEmpty();
        }

        /**
         * gather over futures of two loops is refused (ValueError). Java form: called inside a
         * task of one_loop; the refusal would be IllegalArgumentException.
         */
        @Test
        void test_constructor_heterogenous_futures() throws Exception {
            LoopFuture<Object> fut1 = oneLoop.createFuture();
            LoopFuture<Object> fut2 = otherLoop.createFuture();
            Throwable thrown = catchThrowable(() -> onLoop(oneLoop, () -> Async.gather(fut1, fut2)));
            assertThat(thrown).isInstanceOf(IllegalArgumentException.class);
        }

        /** gather over futures of one loop, called with no loop running, is a future of their loop. */
        @Test
        void test_constructor_homogenous_futures() throws Exception {
            List<LoopFuture<Object>> children = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                children.add(otherLoop.createFuture());
            }
            LoopFuture<List<Object>> fut = Async.gather(children);
            assertThat(fut.loop()).isSameAs(otherLoop);
            runLoop(otherLoop);
            assertThat(fut.isDone()).isFalse();
            fut = Async.gather(children);
            assertThat(fut.loop()).isSameAs(otherLoop);
            runLoop(otherLoop);
            assertThat(fut.isDone()).isFalse();
        }

        /**
         * A cancelled child fails the gather with CancelledError, but the gather is not itself
         * cancelled, so its other children are not cancelled (asyncio's gather docstring).
         */
        @Test
        void test_one_cancellation() throws Exception {
            List<LoopFuture<Object>> f = futures(5);
            LoopFuture<?> fut = gather(wrapFutures(f), false);
            List<Object> cb = new CopyOnWriteArrayList<>();
            fut.addDoneCallback(cb::add);
            f.get(0).complete(1);
            f.get(1).cancel();
            runLoop(oneLoop);
            assertThat(fut.isDone()).isTrue();
            assertThat(cb).containsExactly(fut);
            assertThat(fut.isCancelled()).isFalse();
            assertThat(fut.exception()).isInstanceOf(CancelledException.class);
            // Does nothing
            assertThat(f.get(2).complete(3)).isTrue();
            f.get(3).cancel();
            assertThat(f.get(4).completeExceptionally(new RuntimeException())).isTrue();
            f.get(4).exception();
        }

        /** return_exceptions=True: cancelled children appear as CancelledError results. */
        @Test
        void test_result_exception_one_cancellation() throws Exception {
            List<LoopFuture<Object>> f = futures(6);
            LoopFuture<?> fut = gather(wrapFutures(f), true);
            List<Object> cb = new CopyOnWriteArrayList<>();
            fut.addDoneCallback(cb::add);
            f.get(0).complete(1);
            ArithmeticException zde = new ArithmeticException("ZeroDivisionError");
            f.get(1).completeExceptionally(zde);
            f.get(2).cancel();
            runLoop(oneLoop);
            assertThat(fut.isDone()).isFalse();
            f.get(3).complete(3);
            f.get(4).cancel();
            RuntimeException rte = new RuntimeException();
            f.get(5).completeExceptionally(rte);
            List<Object> res = outcomes(oneLoop.runUntilComplete(fut));
            assertThat(res.get(2)).isInstanceOf(CancelledException.class);
            assertThat(res.get(4)).isInstanceOf(CancelledException.class);
            res.set(2, null);
            res.set(4, null);
            assertThat(res).containsExactly(1, zde, null, 3, null, rte);
            assertThat(cb).containsExactly(fut);
        }
    }

    // ---------------------------------------------------------------- CoroutineGatherTests

    @Nested
    class CoroutineGatherTests extends GatherTestsBase {

        /** Each future wrapped in a coroutine awaiting it: here a task of one_loop awaiting it. */
        @Override
        List<CompletionStage<Object>> wrapFutures(List<LoopFuture<Object>> futures) {
            List<CompletionStage<Object>> coros = new ArrayList<>();
            for (LoopFuture<Object> fut : futures) {
                coros.add(oneLoop.createTask(() -> Async.await(fut)));
            }
            return coros;
        }

        /**
         * gather over coroutines with no running loop is refused. Java form: stages of no loop
         * (CompletableFutures); IllegalStateException.
         */
        @Test
        void test_constructor_without_loop() {
            CompletableFuture<String> gen1 = new CompletableFuture<>();
            CompletableFuture<String> gen2 = new CompletableFuture<>();
            assertThatThrownBy(() -> Async.gather(gen1, gen2))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no event loop is running");
        }

        /** gather inside a task is a future of the running loop. */
        @Test
        void test_constructor_use_running_loop() throws Exception {
            LoopFuture<List<String>> fut = onLoop(oneLoop,
                    () -> Async.gather(Async.spawn(() -> "abc"), Async.spawn(() -> "abc")));
            assertThat(fut.loop()).isSameAs(oneLoop);
            assertThat(oneLoop.runUntilComplete(fut)).containsExactly("abc", "abc");
        }

        /**
         * The same awaitable several times gives its result at each position. Java form: the
         * coroutine object is a task passed three times.
         */
        @Test
        void test_duplicate_coroutines() throws Exception {
            Task<Object> c = oneLoop.createTask(() -> "abc");
            LoopFuture<?> fut = gather(List.of(c, c, oneLoop.createTask(() -> "def"), c), false);
            runLoop(oneLoop);
            assertThat(fut.result()).isEqualTo(List.of("abc", "abc", "def", "abc"));
        }

        /** Cancelling the task awaiting a gather cancels every child (and their waiter): proof 0. */
        @Test
        void test_cancellation_broadcast() throws Exception {
            int[] proof = {0};
            LoopFuture<Object> waiter = oneLoop.createFuture();
            Callable<Object> inner = () -> {
                Async.await(waiter);
                proof[0] += 1;
                return null;
            };
            Task<Object> child1 = oneLoop.createTask(inner);
            Task<Object> child2 = oneLoop.createTask(inner);
            AtomicReference<LoopFuture<List<Object>>> gatherer = new AtomicReference<>();
            Task<Object> f = oneLoop.createTask(() -> {
                gatherer.set(Async.gather(child1, child2));
                Async.await(gatherer.get());
                proof[0] += 100;
                return null;
            });
            runBriefly(oneLoop);
            assertThat(f.cancel()).isTrue();
            assertThatThrownBy(() -> oneLoop.runUntilComplete(f)).isInstanceOf(CancelledException.class);
            assertThat(gatherer.get().cancel()).isFalse();
            assertThat(waiter.isCancelled()).isTrue();
            assertThat(child1.isCancelled()).isTrue();
            assertThat(child2.isCancelled()).isTrue();
            runBriefly(oneLoop);
            assertThat(proof[0]).isZero();
        }

        /**
         * Both children fail; the gather reports the first, and the second's exception is marked
         * retrieved (the leak check after the test fails on a "never retrieved" report).
         */
        @Test
        void test_exception_marking() throws Exception {
            LoopFuture<Object> a = oneLoop.createFuture();
            LoopFuture<Object> b = oneLoop.createFuture();
            Task<Object> f = oneLoop.createTask(() -> {
                Callable<Object> innerA = () -> {
                    Async.await(a);
                    throw new RuntimeException("should not be ignored");
                };
                Callable<Object> innerB = () -> {
                    Async.await(b);
                    throw new RuntimeException("should not be ignored");
                };
                Async.await(Async.gather(Async.spawn(innerA), Async.spawn(innerB)));
                return null;
            });
            runBriefly(oneLoop);
            a.complete(null);
            runBriefly(oneLoop);
            b.complete(null);
            runBriefly(oneLoop);
            assertThat(f.exception()).isInstanceOf(RuntimeException.class);
        }

        /**
         * bpo-46672: a gather refused for a bad argument leaves nothing behind for the exception
         * handler. Java form: the bad argument is a null stage (the Python {} is a static type
         * error); NullPointerException at once, and no handler call.
         */
        @Test
        void test_issue46672() throws Exception {
            List<ExceptionContext> handled = new CopyOnWriteArrayList<>();
            oneLoop.setExceptionHandler((l, ctx) -> handled.add(ctx));
            Task<Object> c = oneLoop.createTask(() -> "abc");
            assertThatThrownBy(() -> gather(Arrays.asList(c, null), false)).isInstanceOf(NullPointerException.class);
            runLoop(oneLoop);
            assertThat(handled).isEmpty();
        }
    }

    // ---------------------------------------------------------------- RunCoroutineThreadsafeTests

    /**
     * asyncio.run_coroutine_threadsafe. As in asyncio, the test thread runs the loop until a
     * worker of the loop's default executor ({@code runInExecutor}) has called
     * {@code Threads.runCoroutineThreadsafe} and waited for the outcome: the loop and the
     * caller are on different threads, joined only by futures.
     */
    @Nested
    class RunCoroutineThreadsafeTests {

        /** Waits 0.05 s (virtual) and returns a + b; fails or cancels itself on request. */
        private int add(int a, int b, boolean fail, boolean cancel) throws Exception {
            Async.sleep(s(0.05));
            if (fail) {
                throw new RuntimeException("Fail!");
            }
            if (cancel) {
                Async.currentTask().orElseThrow().cancel();
                Async.checkpoint();
            }
            return a + b;
        }

        /**
         * Runs add on the loop from this (worker) thread. Java form: {@code future.result(timeout)}
         * is {@code Async.await(future)} without a timeout (original exception, unwrapped) and
         * {@code future.get(timeout)} with one.
         */
        private Object target(EventLoop loop, boolean fail, boolean cancel, Duration timeout,
                              AtomicReference<CompletableFuture<Integer>> seen) throws Exception {
            CompletableFuture<Integer> future = Threads.runCoroutineThreadsafe(() -> add(1, 2, fail, cancel), loop);
            if (seen != null) {
                seen.set(future);
            }
            try {
                if (timeout == null) {
                    return Async.await(future);
                }
                return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } finally {
                if (!future.isDone()) {
                    future.cancel(true);
                }
            }
        }

        /** A task submitted from another thread runs on the loop; its result reaches that thread. */
        @Test
        void test_run_coroutine_threadsafe() throws Exception {
            try (EventLoop loop = newLoop()) {
                LoopFuture<Object> future = loop.runInExecutor(null, () -> target(loop, false, false, null, null));
                assertThat(loop.runUntilComplete(future)).isEqualTo(3);
            }
        }

        /** The task's exception reaches the submitting thread unchanged. */
        @Test
        void test_run_coroutine_threadsafe_with_exception() throws Exception {
            try (EventLoop loop = newLoop()) {
                LoopFuture<Object> future = loop.runInExecutor(null, () -> target(loop, true, false, null, null));
                assertThatThrownBy(() -> loop.runUntilComplete(future))
                        .isInstanceOf(RuntimeException.class)
                        .hasMessage("Fail!");
            }
        }

        /**
         * A timed-out wait raises TimeoutError in the submitting thread; its cancel of the
         * future cancels the task, so no task is left pending. Java form: a manual virtual
         * clock, so the task's 0.05 s sleep cannot end before the zero timeout; "no pending
         * task" is the loop's task count once the cancelled future has reported.
         */
        @Test
        void test_run_coroutine_threadsafe_with_timeout() throws Exception {
            try (EventLoop loop = newLoop(VirtualClock.manual())) {
                AtomicReference<CompletableFuture<Integer>> seen = new AtomicReference<>();
                LoopFuture<Object> future = loop.runInExecutor(null, () -> target(loop, false, false, Duration.ZERO, seen));
                assertThatThrownBy(() -> loop.runUntilComplete(future)).isInstanceOf(TimeoutException.class);
                runBriefly(loop);
                loop.runUntilComplete(seen.get().handle((v, e) -> e));
                assertThat(seen.get().isCancelled()).isTrue();
                // Check that there's no pending task (add has been cancelled)
                assertThat(loop.stats().tasks()).isZero();
            }
        }

        /** A task that cancels itself makes the submitting thread's wait raise CancelledError. */
        @Test
        void test_run_coroutine_threadsafe_task_cancelled() throws Exception {
            try (EventLoop loop = newLoop()) {
                LoopFuture<Object> future = loop.runInExecutor(null, () -> target(loop, false, true, null, null));
                assertThatThrownBy(() -> loop.runUntilComplete(future)).isInstanceOf(CancelledException.class);
            }
        }
    }

    // ---------------------------------------------------------------- SleepTests

    @Nested
    class SleepTests {

        /**
         * sleep(0) yields once: a callback scheduled before it has run when it returns. Java
         * form: {@code Async.checkpoint()}; it has no {@code result} argument, so the 10 is added
         * by the test after it.
         */
        @Test
        void test_sleep_zero() throws Exception {
            int[] result = {0};
            try (EventLoop loop = newLoop()) {
                loop.runUntilComplete(() -> {
                    EventLoop.current().callSoon(() -> result[0] += 1);
                    assertThat(result[0]).isZero();
                    Async.checkpoint();
                    int num = 10;
                    assertThat(result[0]).isEqualTo(1); // inc'ed by callSoon
                    result[0] += num; // num should be 11
                    return null;
                });
            }
            assertThat(result[0]).isEqualTo(11);
        }
    }
}
