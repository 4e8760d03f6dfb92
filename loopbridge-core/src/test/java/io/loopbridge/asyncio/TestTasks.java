package io.loopbridge.asyncio;

import static io.loopbridge.asyncio.AsyncioCase.newLoop;
import static io.loopbridge.asyncio.AsyncioCase.seconds;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.loopbridge.Async;
import io.loopbridge.Async.ReturnWhen;
import io.loopbridge.Async.Waited;
import io.loopbridge.CancelledException;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import io.loopbridge.TimerHandle;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * CPython 3.13 {@code test_asyncio/test_tasks.py}, first part: {@code BaseTaskTests} from the
 * top of the file through {@code test_wait_generator}. {@code TestTasksGatherAndThreadsafe}
 * holds the rest (as_completed onward, gather, run_coroutine_threadsafe, sleep).
 * CPython runs {@code BaseTaskTests} for several C/Python Task and Future combinations; each
 * case is ported once here (surefire runs it in both task modes, FAST and PORTABLE).
 *
 * <p>Cases left out, with the reason:
 * <ul>
 *   <li>{@code test_generic_alias}: Python typing ({@code Task[str]} is a {@code GenericAlias}).</li>
 *   <li>{@code test_task_cancel_message_setter}: writes the private attribute
 *       {@code _cancel_message}; Java code cannot reach a task's private state.</li>
 *   <li>{@code test_task_del_collect}: {@code __del__} calling {@code gc.collect()} while
 *       gather collects results (gc specifics).</li>
 *   <li>{@code test_ensure_future_task_awaitable}: an object whose {@code __await__} returns a
 *       coroutine is wrapped in a Task whose {@code get_coro()} is a coroutine object
 *       (coroutine objects); the Java form of "wrap a foreign awaitable" is
 *       {@code test_ensure_future_awaitable}.</li>
 *   <li>{@code test_ensure_future_neither}: {@code TypeError} for a non-awaitable argument;
 *       Java's static types reject it at compile time.</li>
 *   <li>{@code test_ensure_future_error_msg}: the {@code ValueError} text for a future of
 *       another loop; {@link EventLoop#wrap} chains a future of another loop instead, by
 *       design (its Javadoc: "completes, on this loop, when stage does (on any thread)"), which
 *       {@code test_ensure_future_future} checks.</li>
 *   <li>{@code test_task_repr}, {@code test_task_repr_wait_for}: {@code __repr__} text.</li>
 *   <li>{@code test_task_set_name_pylong}, {@code test_task_repr_name_not_str}: names that are
 *       not strings (an int, a set) and their deferred formatting; Java task names are Strings
 *       given at creation.</li>
 *   <li>{@code test_exception_chaining_after_await},
 *       {@code test_exception_chaining_after_await_with_context_cycle}: Python's implicit
 *       exception context ({@code __context__}); Java has only explicit causes.</li>
 *   <li>{@code test_log_traceback}: the private attribute {@code _log_traceback}.</li>
 * </ul>
 *
 * <p>Cases that read private state ({@code _must_cancel}, {@code _fut_waiter},
 * {@code _cancel_message}) or {@code repr} text are ported without those asserts and check
 * the observable behaviour instead; their Javadoc says so. Cases run on asyncio's TestLoop
 * (a time generator) run on an auto-advancing {@link io.loopbridge.VirtualClock}; the "move
 * forward to close generator" steps become a final wait for the leftover tasks.
 */
class TestTasks {

    // ---------------------------------------------------------------- helpers

    private static Duration secs(double s) {
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    /** A task of {@code loop} that sleeps {@code s} seconds (asyncio's {@code create_task(sleep(s))}). */
    private static Task<Void> sleeper(EventLoop loop, double s) {
        return loop.createTask(() -> {
            Async.sleep(secs(s));
            return null;
        });
    }

    /**
     * test_utils.run_briefly: runs the loop until a task that returns at once has finished
     * (two loop iterations: each task already scheduled takes one or two steps).
     */
    private static void runBriefly(EventLoop loop) throws Exception {
        loop.runUntilComplete(() -> null);
    }

    /** Waits for every given task, so that no task is left pending when the loop closes. */
    private static void finish(EventLoop loop, Task<?>... tasks) throws Exception {
        loop.runUntilComplete(() -> Async.wait(List.of(tasks), null, ReturnWhen.ALL_COMPLETED));
    }

    /** get_innermost_context on the cause chain: the innermost cause and its depth. */
    private record Innermost(Throwable exception, int depth) {
    }

    private static Innermost innermost(Throwable e) {
        int depth = 0;
        while (e.getCause() != null) {
            e = e.getCause();
            depth++;
        }
        return new Innermost(e, depth);
    }

    private static String printed(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    // ---------------------------------------------------------------- cases

    /**
     * A cancel message given before the task starts is the message of the CancelledException
     * the task ends with. (The private {@code _cancel_message} getter has no public counterpart;
     * the message is read from the exception.)
     */
    @Test
    void test_task_cancel_message_getter() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> t = loop.createTask(() -> null);
            t.cancel("my message");
            Throwable e = catchThrowable(() -> loop.runUntilComplete(t));
            assertThat(e).isInstanceOf(CancelledException.class).hasMessage("my message");
        }
    }

    /**
     * A task may await a future of another loop. Java form: asyncio raises RuntimeError ("Task
     * got Future attached to a different loop"); a LoopFuture is documented as completable and
     * awaitable from any thread, so the task gets its result, completed here by a task of its own
     * loop while the other loop does not run.
     */
    @Test
    void test_other_loop_future() throws Exception {
        try (EventLoop loop = newLoop(); EventLoop otherLoop = newLoop()) {
            LoopFuture<String> fut = otherLoop.createFuture();
            Task<String> run = loop.createTask(() -> Async.await(fut));
            loop.createTask(() -> fut.complete("from this loop"));
            assertThat(loop.runUntilComplete(run)).isEqualTo("from this loop");
        }
    }

    /** A task awaiting itself fails at once (IllegalStateException for asyncio's RuntimeError). */
    @Test
    void test_task_awaits_on_itself() throws Exception {
        try (EventLoop loop = newLoop()) {
            List<Task<Object>> self = new ArrayList<>();
            Task<Object> task = loop.createTask(() -> Async.await(self.get(0)));
            self.add(task);
            assertThatThrownBy(() -> loop.runUntilComplete(task))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot await itself");
        }
    }

    /** A task created on a loop belongs to that loop and holds its body's result. */
    @Test
    void test_task_class() throws Exception {
        Callable<String> notmuch = () -> "ok";
        try (EventLoop loop = newLoop()) {
            Task<String> t = loop.createTask(notmuch);
            loop.runUntilComplete(t);
            assertThat(t.isDone()).isTrue();
            assertThat(t.result()).isEqualTo("ok");
            assertThat(t.loop()).isSameAs(loop);
        }
        try (EventLoop loop2 = newLoop()) {
            Task<String> t = loop2.createTask(notmuch);
            assertThat(t.loop()).isSameAs(loop2);
            loop2.runUntilComplete(t);
        }
    }

    /**
     * ensure_future(coroutine) makes a task of the given or running loop, and fails without a
     * running loop. Java form: {@code loop.createTask} / {@code Async.spawn}; outside a running
     * loop {@code Async.spawn} throws IllegalStateException (asyncio's RuntimeError "no current
     * event loop"). The set_event_loop part has no counterpart: there is no "current but not
     * running" loop in loopbridge.
     */
    @Test
    void test_ensure_future_coroutine() throws Exception {
        Callable<String> notmuch = () -> "ok";
        try (EventLoop loop = newLoop()) {
            Task<String> t = loop.createTask(notmuch);
            assertThat(t.loop()).isSameAs(loop);
            loop.runUntilComplete(t);
            assertThat(t.isDone()).isTrue();
            assertThat(t.result()).isEqualTo("ok");

            assertThatThrownBy(() -> Async.spawn(notmuch))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no event loop is running");

            Task<String> t2 = loop.runUntilComplete(() -> Async.spawn(notmuch));
            assertThat(t2.loop()).isSameAs(loop);
            loop.runUntilComplete(t2);
            assertThat(t2.isDone()).isTrue();
            assertThat(t2.result()).isEqualTo("ok");
        }
    }

    /**
     * ensure_future(future) returns a future of the same loop as it is. Java form
     * ({@link EventLoop#wrap}): for another loop, asyncio raises ValueError, while wrap returns
     * a new future of that loop that completes with the same outcome (documented cross-loop
     * chaining) once the original's loop has turned, since a LoopFuture's stages complete on its
     * own loop.
     */
    @Test
    void test_ensure_future_future() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<String> fOrig = loop.createFuture();
            fOrig.complete("ko");

            LoopFuture<String> f = loop.wrap(fOrig);
            loop.runUntilComplete(f);
            assertThat(f.isDone()).isTrue();
            assertThat(f.result()).isEqualTo("ko");
            assertSame(fOrig, f);

            try (EventLoop other = newLoop()) {
                LoopFuture<String> g = other.wrap(fOrig);
                assertNotSame(fOrig, g);
                assertThat(g.loop()).isSameAs(other);
                runBriefly(loop); // fOrig's stages complete on its own loop, which hands the outcome over
                assertThat(other.runUntilComplete(g)).isEqualTo("ko");
            }

            assertSame(fOrig, loop.wrap(fOrig));
        }
    }

    /**
     * ensure_future(task) returns the task itself. Java form as in test_ensure_future_future:
     * wrapping it on another loop chains instead of raising ValueError.
     */
    @Test
    void test_ensure_future_task() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<String> tOrig = loop.createTask(() -> "ok");
            LoopFuture<String> t = loop.wrap(tOrig);
            loop.runUntilComplete(t);
            assertThat(t.isDone()).isTrue();
            assertThat(t.result()).isEqualTo("ok");
            assertSame(tOrig, t);

            try (EventLoop other = newLoop()) {
                LoopFuture<String> u = other.wrap(tOrig);
                assertNotSame(tOrig, u);
                runBriefly(loop); // tOrig's stages complete on its own loop, which hands the outcome over
                assertThat(other.runUntilComplete(u)).isEqualTo("ok");
            }

            assertSame(tOrig, loop.wrap(tOrig));
        }
    }

    /**
     * ensure_future(awaitable) gives a future of the loop with the awaitable's result. Java
     * form: a foreign {@link java.util.concurrent.CompletionStage} (not a CompletableFuture,
     * not a LoopFuture) wrapped with {@link EventLoop#wrap}.
     */
    @Test
    void test_ensure_future_awaitable() throws Exception {
        try (EventLoop loop = newLoop()) {
            CompletableFuture<String> source = new CompletableFuture<>();
            LoopFuture<String> fut = loop.wrap(source.minimalCompletionStage());
            loop.createTask(() -> source.complete("ok"));
            loop.runUntilComplete(fut);
            assertThat(fut.result()).isEqualTo("ok");
        }
    }

    private static Void getStackFoo() throws Exception {
        return getStackBar();
    }

    private static Void getStackBar() throws Exception {
        Task<?> t = Async.currentTask().orElseThrow();
        // test get_stack()
        List<StackTraceElement> f = t.stack(2);
        assertThat(f).extracting(StackTraceElement::getMethodName).containsExactly("getStackBar", "getStackFoo");
        // test print_stack()
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        t.printStack(2, new PrintStream(file, true, StandardCharsets.UTF_8));
        assertThat(file.toString(StandardCharsets.UTF_8))
                .containsPattern("Stack for Task\\[Task-\\d+, running\\]")
                .contains("\tat io.loopbridge.asyncio.TestTasks.getStackFoo(TestTasks.java:");
        assertThat(file.toString(StandardCharsets.UTF_8).split("\tat ", -1)).hasSize(3); // two frames
        assertThat(t.isDone()).isFalse();
        return null;
    }

    /**
     * Task.get_stack / print_stack: the frames of a running task, read (and printed) from inside
     * it, show the caller of the method asking. Java form: {@code stack(limit)} lists the
     * innermost frames first, as a Java stack trace does (asyncio lists oldest first), so
     * limit 2 gives the asking method and its caller; print_stack's {@code file} is a
     * {@link PrintStream}, as for {@link Throwable#printStackTrace(PrintStream)}.
     */
    @Test
    void test_get_stack() throws Exception {
        try (EventLoop loop = newLoop()) {
            loop.runUntilComplete(() -> Async.await(Async.spawn(TestTasks::getStackFoo)));
        }
    }

    /** Tasks without a name get "Task-N" names with increasing N (checked on name(), not repr). */
    @Test
    void test_task_repr_autogenerated() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Integer> t1 = loop.createTask(() -> 123);
            Task<Integer> t2 = loop.createTask(() -> 123);
            assertThat(t1.name()).isNotEqualTo(t2.name());
            assertThat(t1.name()).matches("Task-\\d+");
            assertThat(t2.name()).matches("Task-\\d+");
            long n1 = Long.parseLong(t1.name().substring("Task-".length()));
            long n2 = Long.parseLong(t2.name().substring("Task-".length()));
            assertThat(n1).isLessThan(n2);
            loop.runUntilComplete(t1);
            loop.runUntilComplete(t2);
        }
    }

    /** A task body calls other code that returns values: no colouring, plain method calls. */
    @Test
    void test_task_basics() throws Exception {
        try (EventLoop loop = newLoop()) {
            assertThat(loop.runUntilComplete(TestTasks::outer)).isEqualTo(1042);
        }
    }

    private static int outer() throws Exception {
        int a = inner1();
        int b = inner2();
        return a + b;
    }

    private static int inner1() {
        return 42;
    }

    private static int inner2() throws Exception {
        Async.checkpoint();
        return 1000;
    }

    /**
     * cancelling() counts cancel requests on a task that has not started; a second cancel()
     * still returns true; the task ends cancelled. (The " cancelling " repr asserts are left out.)
     */
    @Test
    void test_cancelling() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> t = sleeper(loop, 10);
            assertThat(t.cancelling()).isZero();
            assertThat(t.cancel()).isTrue();
            assertThat(t.cancelling()).isPositive();
            assertThat(t.cancel()).isTrue();
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
        }
    }

    /**
     * uncancel() inside the task withdraws the request it caught, so it may keep running; after
     * the task is done uncancel() changes nothing. (repr asserts left out.)
     */
    @Test
    void test_uncancel_basic() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> t = loop.createTask(() -> {
                try {
                    Async.sleep(secs(10));
                } catch (CancelledException e) {
                    Async.currentTask().orElseThrow().uncancel();
                    Async.sleep(secs(10));
                }
                return null;
            });
            Callable<Void> briefSleep = () -> {
                Async.sleep(secs(0.01));
                return null;
            };
            loop.runUntilComplete(briefSleep);

            // Cancel first sleep
            assertThat(t.cancel()).isTrue();
            assertThat(t.cancelling()).isEqualTo(1);
            assertThat(t.isCancelled()).isFalse();
            loop.runUntilComplete(briefSleep);

            // after uncancel()
            assertThat(t.cancelling()).isZero();
            assertThat(t.isCancelled()).isFalse();

            // Cancel second sleep
            assertThat(t.cancel()).isTrue();
            assertThat(t.cancelling()).isEqualTo(1);
            assertThat(t.isCancelled()).isFalse();
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
            assertThat(t.isCancelled()).isTrue();
            assertThat(t.isDone()).isTrue();

            // uncancel is no longer effective after the task is complete
            t.uncancel();
            assertThat(t.isCancelled()).isTrue();
            assertThat(t.isDone()).isTrue();
        }
    }

    private record StructuredOutcome(boolean timedOut, boolean structuredBlockFinished, boolean outerCodeReached) {
    }

    /** The hand-written timeout block of test_uncancel_structured_blocks (asyncio.timeout's five rules). */
    private static StructuredOutcome makeRequestWithTimeout(double sleep, double timeout) throws Exception {
        Task<?> task = Async.currentTask().orElseThrow();
        EventLoop loop = task.loop();
        boolean[] timedOut = {false};
        boolean structuredBlockFinished = false;
        TimerHandle timeoutHandle = loop.callLater(secs(timeout), () -> {
            timedOut[0] = true;
            task.cancel();
        });
        try {
            Throwable inFlight = null;
            try {
                // Structured block affected by the timeout
                Async.sleep(secs(sleep));
                structuredBlockFinished = true;
            } catch (Throwable e) {
                inFlight = e;
                throw e;
            } finally {
                timeoutHandle.cancel();
                if (timedOut[0] && task.uncancel() == 0 && inFlight instanceof CancelledException) {
                    throw new TimeoutException();
                }
            }
        } catch (TimeoutException e) {
            assertThat(timedOut[0]).isTrue();
        }
        // Outer code not affected by the timeout:
        boolean outerCodeReached = true;
        Async.checkpoint();
        return new StructuredOutcome(timedOut[0], structuredBlockFinished, outerCodeReached);
    }

    /**
     * A structured block cancelled by its own timer turns its CancelledException into a
     * TimeoutException after uncancel() brings cancelling() back to 0; the code after the block
     * runs normally. Java form: Python's {@code finally} reading {@code sys.exception()} is a
     * catch that records the in-flight exception plus a finally.
     */
    @Test
    void test_uncancel_structured_blocks() throws Exception {
        try (EventLoop loop = newLoop()) {
            // Test which timed out.
            Task<StructuredOutcome> t1 = loop.createTask(() -> makeRequestWithTimeout(10.0, 0.1));
            StructuredOutcome r1 = loop.runUntilComplete(t1);
            assertThat(r1.timedOut()).isTrue();
            assertThat(r1.structuredBlockFinished()).isFalse(); // it was cancelled
            assertThat(r1.outerCodeReached()).isTrue(); // uncancelled after leaving the block
            assertThat(t1.cancelling()).isZero(); // no pending cancellation of the outer task

            // Test which did not time out.
            Task<StructuredOutcome> t2 = loop.createTask(() -> makeRequestWithTimeout(0, 10.0));
            StructuredOutcome r2 = loop.runUntilComplete(t2);
            assertThat(r2.timedOut()).isFalse();
            assertThat(r2.structuredBlockFinished()).isTrue();
            assertThat(r2.outerCodeReached()).isTrue();
            assertThat(t2.cancelling()).isZero();
        }
    }

    /**
     * cancel() then uncancel() on a task whose awaited future is already done (the task is
     * runnable) leaves it to finish normally. Java form: the private {@code _must_cancel} flag is
     * checked through its effect, the task's result.
     */
    @Test
    void test_uncancel_resets_must_cancel() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Void> fut = loop.createFuture();
            Task<Integer> task = loop.createTask(() -> {
                Async.await(fut);
                return 42;
            });
            loop.runUntilComplete(() -> { // asyncio.sleep(0): get task waiting for fut
                Async.checkpoint();
                return null;
            });
            fut.complete(null); // Make task runnable
            try {
                task.cancel(); // Enter cancelled state
                assertThat(task.cancelling()).isEqualTo(1);
                task.uncancel(); // Undo cancellation
                assertThat(task.cancelling()).isZero();
            } finally {
                assertThat(loop.runUntilComplete(task)).isEqualTo(42);
            }
        }
    }

    /** A task sleeping 10 s, cancelled from a loop callback, ends cancelled; cancel() then returns false. */
    @Test
    void test_cancel() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Integer> t = loop.createTask(() -> {
                Async.sleep(secs(10.0));
                return 12;
            });
            loop.callSoon(() -> t.cancel());
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
            assertThat(t.isDone()).isTrue();
            assertThat(t.isCancelled()).isTrue();
            assertThat(t.cancel()).isFalse();
        }
    }

    private record CancelCase(String label, Consumer<Task<?>> cancel, String expectedMessage) {
    }

    /** The subtests of the cancel-message cases: no message, an explicit null, a message. */
    private static List<CancelCase> cancelCases() {
        return List.of(
                new CancelCase("()", t -> t.cancel(), null),
                new CancelCase("(None,)", t -> t.cancel((String) null), null),
                new CancelCase("('my message',)", t -> t.cancel("my message"), "my message"));
    }

    /**
     * After a task is cancelled with a message and waited for with Async.wait, its result()
     * throws a CancelledException with that message and no cause. The non-string message
     * subtest ({@code cancel(5)}) is Python-only: messages are Strings.
     */
    @Test
    void test_cancel_with_message_then_future_result() throws Exception {
        for (CancelCase c : cancelCases()) {
            try (EventLoop loop = newLoop()) {
                Task<Void> task = loop.createTask(() -> {
                    Task<Void> inner = Async.spawn(() -> {
                        Async.sleep(secs(10));
                        return null;
                    });
                    Async.checkpoint();
                    c.cancel().accept(inner);
                    Async.wait(List.of(inner), null, ReturnWhen.ALL_COMPLETED);
                    inner.result();
                    return null;
                });
                Throwable exc = catchThrowable(() -> loop.runUntilComplete(task));
                assertThat(exc).as(c.label()).isInstanceOf(CancelledException.class);
                assertThat(exc.getMessage()).as(c.label()).isEqualTo(c.expectedMessage());
                Innermost actual = innermost(exc);
                assertThat(actual.exception()).as(c.label()).isInstanceOf(CancelledException.class);
                assertThat(actual.exception().getMessage()).as(c.label()).isEqualTo(c.expectedMessage());
                assertThat(actual.depth()).as(c.label()).isZero();
            }
        }
    }

    /**
     * As test_cancel_with_message_then_future_result, reading exception() instead of result().
     * The non-string message subtest is Python-only.
     */
    @Test
    void test_cancel_with_message_then_future_exception() throws Exception {
        for (CancelCase c : cancelCases()) {
            try (EventLoop loop = newLoop()) {
                Task<Void> task = loop.createTask(() -> {
                    Task<Void> inner = Async.spawn(() -> {
                        Async.sleep(secs(10));
                        return null;
                    });
                    Async.checkpoint();
                    c.cancel().accept(inner);
                    Async.wait(List.of(inner), null, ReturnWhen.ALL_COMPLETED);
                    inner.exception();
                    return null;
                });
                Throwable exc = catchThrowable(() -> loop.runUntilComplete(task));
                assertThat(exc).as(c.label()).isInstanceOf(CancelledException.class);
                assertThat(exc.getMessage()).as(c.label()).isEqualTo(c.expectedMessage());
                Innermost actual = innermost(exc);
                assertThat(actual.exception()).as(c.label()).isInstanceOf(CancelledException.class);
                assertThat(actual.exception().getMessage()).as(c.label()).isEqualTo(c.expectedMessage());
                assertThat(actual.depth()).as(c.label()).isZero();
            }
        }
    }

    /**
     * Awaiting a task cancelled with 'msg' raises a CancelledException with 'msg', which an
     * exception raised "from" it keeps as its cause (depth 1). Java form: ValueError is
     * IllegalArgumentException; {@code raise ... from ex} is the cause argument.
     */
    @Test
    void test_cancellation_exception_context() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Void> fut = loop.createFuture();
            Task<Void> task = loop.createTask(() -> {
                Task<Void> innerTask = Async.spawn(() -> {
                    fut.complete(null);
                    Async.sleep(secs(10));
                    return null;
                });
                Async.await(fut);
                loop.callSoon(() -> innerTask.cancel("msg"));
                try {
                    Async.await(innerTask);
                } catch (CancelledException ex) {
                    throw new IllegalArgumentException("cancelled", ex);
                }
                return null;
            });
            Throwable exc = catchThrowable(() -> loop.runUntilComplete(task));
            assertThat(exc).isInstanceOf(IllegalArgumentException.class).hasMessage("cancelled");
            Innermost actual = innermost(exc);
            assertThat(actual.exception()).isInstanceOf(CancelledException.class).hasMessage("msg");
            assertThat(actual.depth()).isEqualTo(1);
        }
    }

    /** A task cancelled with a message before it ever ran reports that message from exception(). */
    @Test
    void test_cancel_with_message_before_starting_task() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> task = loop.createTask(() -> {
                Task<Void> inner = Async.spawn(() -> {
                    Async.sleep(secs(10));
                    return null;
                });
                // We deliberately leave out the checkpoint here.
                inner.cancel("my message");
                Async.wait(List.of(inner), null, ReturnWhen.ALL_COMPLETED);
                inner.exception();
                return null;
            });
            Throwable exc = catchThrowable(() -> loop.runUntilComplete(task));
            assertThat(exc).isInstanceOf(CancelledException.class).hasMessage("my message");
            Innermost actual = innermost(exc);
            assertThat(actual.exception()).isInstanceOf(CancelledException.class).hasMessage("my message");
            assertThat(actual.depth()).isZero();
        }
    }

    /** A task cancelled between two checkpoints ends cancelled; a later cancel() returns false. */
    @Test
    void test_cancel_yield() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Integer> t = loop.createTask(() -> {
                Async.checkpoint();
                Async.checkpoint();
                return 12;
            });
            runBriefly(loop); // start coro
            t.cancel();
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
            assertThat(t.isDone()).isTrue();
            assertThat(t.isCancelled()).isTrue();
            assertThat(t.cancel()).isFalse();
        }
    }

    /** Cancelling the future a task awaits cancels the task. */
    @Test
    void test_cancel_inner_future() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Void> f = loop.createFuture();
            Task<Integer> t = loop.createTask(() -> {
                Async.await(f);
                return 12;
            });
            runBriefly(loop); // start task
            f.cancel();
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
            assertThat(f.isCancelled()).isTrue();
            assertThat(t.isCancelled()).isTrue();
        }
    }

    /** Cancelling the awaited future and then the task leaves both cancelled. */
    @Test
    void test_cancel_both_task_and_inner_future() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Void> f = loop.createFuture();
            Task<Integer> t = loop.createTask(() -> {
                Async.await(f);
                return 12;
            });
            runBriefly(loop);

            f.cancel();
            t.cancel();

            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
            assertThat(t.isDone()).isTrue();
            assertThat(f.isCancelled()).isTrue();
            assertThat(t.isCancelled()).isTrue();
        }
    }

    /**
     * cancel() cancels the future the task awaits at once; a task that catches the
     * CancelledException returns normally and is not cancelled. (The white-box
     * {@code _fut_waiter} asserts are left out.)
     */
    @Test
    void test_cancel_task_catching() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Void> fut1 = loop.createFuture();
            LoopFuture<Void> fut2 = loop.createFuture();
            Task<Integer> t = loop.createTask(() -> {
                Async.await(fut1);
                try {
                    Async.await(fut2);
                } catch (CancelledException e) {
                    return 42;
                }
                return null;
            });
            runBriefly(loop);
            fut1.complete(null);
            runBriefly(loop);
            t.cancel();
            assertThat(fut2.isCancelled()).isTrue();
            assertThat(loop.runUntilComplete(t)).isEqualTo(42);
            assertThat(t.isCancelled()).isFalse();
        }
    }

    /**
     * A task that swallows the CancelledException goes on awaiting another future and
     * finishes with its result. (White-box {@code _fut_waiter} asserts left out.)
     */
    @Test
    void test_cancel_task_ignoring() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Void> fut1 = loop.createFuture();
            LoopFuture<Void> fut2 = loop.createFuture();
            LoopFuture<Integer> fut3 = loop.createFuture();
            Task<Integer> t = loop.createTask(() -> {
                Async.await(fut1);
                try {
                    Async.await(fut2);
                } catch (CancelledException e) {
                    // ignored
                }
                return Async.await(fut3);
            });
            runBriefly(loop);
            fut1.complete(null);
            runBriefly(loop);
            t.cancel();
            assertThat(fut2.isCancelled()).isTrue();
            runBriefly(loop);
            fut3.complete(42);
            assertThat(loop.runUntilComplete(t)).isEqualTo(42);
            assertThat(fut3.isCancelled()).isFalse();
            assertThat(t.isCancelled()).isFalse();
        }
    }

    /**
     * A task that cancels itself has its next sleep cancelled at once. (The white-box
     * {@code _must_cancel} asserts are left out.)
     */
    @Test
    void test_cancel_current_task() throws Exception {
        try (EventLoop loop = newLoop()) {
            List<Task<Integer>> self = new ArrayList<>();
            Task<Integer> t = loop.createTask(() -> {
                self.get(0).cancel();
                // The sleep should be cancelled immediately.
                Async.sleep(secs(100));
                return 12;
            });
            self.add(t);
            assertThat(t.isCancelled()).isFalse();
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
            assertThat(t.isDone()).isTrue();
            assertThat(t.isCancelled()).isTrue();
            assertThat(t.cancel()).isFalse();
            assertThat(seconds(loop)).isZero();
        }
    }

    /**
     * A task that cancels itself and then returns without another suspension point ends
     * cancelled, not with its value. (White-box {@code _must_cancel} asserts left out.)
     */
    @Test
    void test_cancel_at_end() throws Exception {
        try (EventLoop loop = newLoop()) {
            List<Task<Integer>> self = new ArrayList<>();
            Task<Integer> t = loop.createTask(() -> {
                self.get(0).cancel();
                return 12;
            });
            self.add(t);
            assertThat(t.isCancelled()).isFalse();
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
            assertThat(t.isDone()).isTrue();
            assertThat(t.isCancelled()).isTrue();
            assertThat(t.cancel()).isFalse();
        }
    }

    /**
     * A task with a pending cancel request that then awaits another task cancels that task
     * (and what it awaits) instead of abandoning it (bpo-34872).
     */
    @Test
    void test_cancel_awaited_task() throws Exception {
        try (EventLoop loop = newLoop()) {
            LoopFuture<Void> fut = loop.createFuture();
            List<Task<Void>> tasks = new ArrayList<>(); // [task, nestedTask]
            Task<Void> task = loop.createTask(() -> {
                // Create a sub-task and wait for it to run.
                Task<Void> nestedTask = Async.spawn(() -> {
                    Async.await(fut);
                    return null;
                });
                tasks.add(nestedTask);
                Async.checkpoint();

                // Request the current task to be cancelled.
                tasks.get(0).cancel();
                // Block on the nested task, which should be immediately cancelled.
                Async.await(nestedTask);
                return null;
            });
            tasks.add(task);
            assertThatThrownBy(() -> loop.runUntilComplete(task)).isInstanceOf(CancelledException.class);

            assertThat(task.isCancelled()).isTrue();
            assertThat(tasks.get(1).isCancelled()).isTrue();
            assertThat(fut.isCancelled()).isTrue();
        }
    }

    private static Void cancelTracebackNestedSleeps() throws Exception {
        // This will get cancelled immediately.
        Async.sleep(secs(10));
        return null;
    }

    private static Void cancelTracebackAwaitsTask() throws Exception {
        Task<Void> task = Async.spawn(TestTasks::cancelTracebackNestedSleeps);
        Async.checkpoint();
        task.cancel();
        Async.await(task); // search target
        return null;
    }

    private static Void cancelTracebackReadsException() throws Exception {
        Task<Void> task = Async.spawn(TestTasks::cancelTracebackNestedSleeps);
        Async.checkpoint();
        task.cancel();
        Async.wait(List.of(task), null, ReturnWhen.ALL_COMPLETED);
        task.exception(); // search target
        return null;
    }

    /**
     * The CancelledException that awaiting a cancelled task throws shows, printed with its
     * causes and suppressed exceptions, both the interrupted line in the cancelled task and the
     * await that rethrew it. Java form: the printed stack trace is searched for the two
     * methods' names instead of source lines.
     */
    @Test
    void test_cancel_traceback_for_future_result() throws Exception {
        try (EventLoop loop = newLoop()) {
            Throwable e = catchThrowable(() -> loop.runUntilComplete(TestTasks::cancelTracebackAwaitsTask));
            assertThat(e).as("CancelledError did not occur").isInstanceOf(CancelledException.class);
            String tb = printed(e);
            assertThat(tb).contains("cancelTracebackNestedSleeps");
            // The intermediate await should also be included.
            assertThat(tb).contains("cancelTracebackAwaitsTask");
        }
    }

    /**
     * As test_cancel_traceback_for_future_result, for the CancelledException thrown by
     * exception() on the cancelled task: it shows the interrupted sleep and the exception() call.
     */
    @Test
    void test_cancel_traceback_for_future_exception() throws Exception {
        try (EventLoop loop = newLoop()) {
            Throwable e = catchThrowable(() -> loop.runUntilComplete(TestTasks::cancelTracebackReadsException));
            assertThat(e).as("CancelledError did not occur").isInstanceOf(CancelledException.class);
            String tb = printed(e);
            assertThat(tb).contains("cancelTracebackNestedSleeps");
            // The intermediate call should also be included.
            assertThat(tb).contains("cancelTracebackReadsException");
        }
    }

    /**
     * loop.stop() from inside the task makes run_until_complete fail while the task is still
     * pending; the task can then be cancelled and run to its end. Java form: the failure is an
     * IllegalStateException (asyncio's RuntimeError, with its own text); the clock reads 0.2 s,
     * not asyncio's 0.3 s, because the TestLoop generator advances time after the stopping
     * iteration while a virtual clock moves only when the loop idles.
     */
    @Test
    void test_stop_while_run_in_complete() throws Exception {
        try (EventLoop loop = newLoop()) {
            int[] x = {0};
            Task<Void> t = loop.createTask(() -> {
                while (x[0] < 10) {
                    Async.sleep(secs(0.1));
                    x[0]++;
                    if (x[0] == 2) {
                        loop.stop();
                    }
                }
                return null;
            });
            assertThatThrownBy(() -> loop.runUntilComplete(t))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("stopped before the future completed");
            assertThat(t.isDone()).isFalse();
            assertThat(x[0]).isEqualTo(2);
            assertThat(seconds(loop)).isCloseTo(0.2, within(1e-9));

            t.cancel();
            assertThatThrownBy(() -> loop.runUntilComplete(t)).isInstanceOf(CancelledException.class);
        }
    }

    /**
     * Async.wait (ALL_COMPLETED) returns when both tasks are done, at the later one's time;
     * again it returns at once. Beyond asyncio's sets, the Java sets keep the order given.
     */
    @Test
    void test_wait() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> a = sleeper(loop, 0.1);
            Task<Void> b = sleeper(loop, 0.15);
            Callable<Integer> foo = () -> {
                Waited<Task<Void>> w = Async.wait(List.of(b, a), null, ReturnWhen.ALL_COMPLETED);
                assertThat(w.done()).containsExactly(b, a);
                assertThat(w.pending()).isEmpty();
                return 42;
            };

            assertThat(loop.runUntilComplete(loop.createTask(foo))).isEqualTo(42);
            assertThat(seconds(loop)).isCloseTo(0.15, within(1e-9));

            // Doing it again should take no time and exercise a different path.
            assertThat(loop.runUntilComplete(loop.createTask(foo))).isEqualTo(42);
            assertThat(seconds(loop)).isCloseTo(0.15, within(1e-9));
        }
    }

    /** A task given twice counts once. */
    @Test
    void test_wait_duplicate_coroutines() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<String> c = loop.createTask(() -> "test");
            Task<String> spam = loop.createTask(() -> "spam");
            Task<Waited<Task<String>>> task = loop.createTask(
                    () -> Async.wait(List.of(c, c, spam), null, ReturnWhen.ALL_COMPLETED));

            Waited<Task<String>> w = loop.runUntilComplete(task);

            assertThat(w.pending()).isEmpty();
            Set<String> results = new java.util.HashSet<>();
            for (Task<String> f : w.done()) {
                results.add(f.result());
            }
            assertThat(results).containsExactlyInAnyOrder("test", "spam");
            assertThat(w.done()).hasSize(2);
        }
    }

    /**
     * An empty collection is refused (IllegalArgumentException for asyncio's ValueError). Java
     * form for the invalid return_when (-1): the enum admits no invalid value, so the check is
     * that a null one is refused.
     */
    @Test
    void test_wait_errors() throws Exception {
        try (EventLoop loop = newLoop()) {
            assertThatThrownBy(() -> loop.runUntilComplete(
                    () -> Async.wait(List.<LoopFuture<Void>>of(), null, ReturnWhen.ALL_COMPLETED)))
                    .isInstanceOf(IllegalArgumentException.class);

            LoopFuture<Void> f = loop.createFuture();
            assertThatThrownBy(() -> loop.runUntilComplete(() -> Async.wait(List.of(f), null, null)))
                    .isInstanceOf(NullPointerException.class);
        }
    }

    /** FIRST_COMPLETED returns when the shorter sleep ends, the other still pending. */
    @Test
    void test_wait_first_completed() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> a = sleeper(loop, 10.0);
            Task<Void> b = sleeper(loop, 0.1);
            Task<Waited<Task<Void>>> task = loop.createTask(
                    () -> Async.wait(List.of(b, a), null, ReturnWhen.FIRST_COMPLETED));

            Waited<Task<Void>> w = loop.runUntilComplete(task);
            assertThat(w.done()).containsExactly(b);
            assertThat(w.pending()).containsExactly(a);
            assertThat(a.isDone()).isFalse();
            assertThat(b.isDone()).isTrue();
            assertThat(b.result()).isNull();
            assertThat(seconds(loop)).isCloseTo(0.1, within(1e-9));

            finish(loop, a, b);
        }
    }

    /**
     * A future that finished before wait woke up is reported done even though its completion
     * had not been counted yet.
     */
    @Test
    void test_wait_really_done() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> a = loop.createTask(() -> {
                Async.checkpoint();
                return null;
            });
            Task<Void> b = loop.createTask(() -> {
                Async.checkpoint();
                Async.checkpoint();
                return null;
            });
            Task<Waited<Task<Void>>> task = loop.createTask(
                    () -> Async.wait(List.of(b, a), null, ReturnWhen.FIRST_COMPLETED));

            Waited<Task<Void>> w = loop.runUntilComplete(task);
            assertThat(w.done()).containsExactlyInAnyOrder(a, b);
            assertThat(a.isDone()).isTrue();
            assertThat(a.result()).isNull();
            assertThat(b.isDone()).isTrue();
            assertThat(b.result()).isNull();
        }
    }

    /**
     * FIRST_EXCEPTION returns at once when a task has already failed. (ZeroDivisionError is an
     * ArithmeticException; reading it at the end also marks it retrieved.)
     */
    @Test
    void test_wait_first_exception() throws Exception {
        try (EventLoop loop = newLoop()) {
            // first_exception, task already has exception
            Task<Void> a = sleeper(loop, 10.0);
            Task<Void> b = loop.createTask(() -> {
                throw new ArithmeticException("err");
            });
            Task<Waited<Task<Void>>> task = loop.createTask(
                    () -> Async.wait(List.of(b, a), null, ReturnWhen.FIRST_EXCEPTION));

            Waited<Task<Void>> w = loop.runUntilComplete(task);
            assertThat(w.done()).containsExactly(b);
            assertThat(w.pending()).containsExactly(a);
            assertThat(seconds(loop)).isZero();

            finish(loop, a, b);
            assertThat(b.exception()).isInstanceOf(ArithmeticException.class).hasMessage("err");
        }
    }

    /** FIRST_EXCEPTION returns when a task fails during the wait, the other still pending. */
    @Test
    void test_wait_first_exception_in_wait() throws Exception {
        try (EventLoop loop = newLoop()) {
            // first_exception, exception during waiting
            Task<Void> a = sleeper(loop, 10.0);
            Task<Void> b = loop.createTask(() -> {
                Async.sleep(secs(0.01));
                throw new ArithmeticException("err");
            });

            Waited<Task<Void>> w = loop.runUntilComplete(
                    () -> Async.wait(List.of(b, a), null, ReturnWhen.FIRST_EXCEPTION));
            assertThat(w.done()).containsExactly(b);
            assertThat(w.pending()).containsExactly(a);
            assertThat(seconds(loop)).isCloseTo(0.01, within(1e-9));

            finish(loop, a, b);
            assertThat(b.exception()).isInstanceOf(ArithmeticException.class).hasMessage("err");
        }
    }

    /** ALL_COMPLETED does not throw what a task failed with: the failed task is in done. */
    @Test
    void test_wait_with_exception() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> a = sleeper(loop, 0.1);
            Task<Void> b = loop.createTask(() -> {
                Async.sleep(secs(0.15));
                throw new ArithmeticException("really");
            });
            Callable<Void> foo = () -> {
                Waited<Task<Void>> w = Async.wait(List.of(b, a), null, ReturnWhen.ALL_COMPLETED);
                assertThat(w.done()).hasSize(2);
                assertThat(w.pending()).isEmpty();
                List<Task<Void>> errors = w.done().stream().filter(f -> f.exception() != null).toList();
                assertThat(errors).hasSize(1);
                return null;
            };

            loop.runUntilComplete(loop.createTask(foo));
            assertThat(seconds(loop)).isCloseTo(0.15, within(1e-9));

            loop.runUntilComplete(loop.createTask(foo));
            assertThat(seconds(loop)).isCloseTo(0.15, within(1e-9));
        }
    }

    /** A timeout ends the wait with the unfinished task pending, and does not cancel it. */
    @Test
    void test_wait_with_timeout() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> a = sleeper(loop, 0.1);
            Task<Void> b = sleeper(loop, 0.15);
            Callable<Void> foo = () -> {
                Waited<Task<Void>> w = Async.wait(List.of(b, a), secs(0.11), ReturnWhen.ALL_COMPLETED);
                assertThat(w.done()).containsExactly(a);
                assertThat(w.pending()).containsExactly(b);
                return null;
            };

            loop.runUntilComplete(loop.createTask(foo));
            assertThat(seconds(loop)).isCloseTo(0.11, within(1e-9));
            assertThat(b.isCancelled()).isFalse();

            finish(loop, a, b);
        }
    }

    /** A task that completes at the very time the timeout expires is reported done. */
    @Test
    void test_wait_concurrent_complete() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> a = sleeper(loop, 0.1);
            Task<Void> b = sleeper(loop, 0.15);

            Waited<Task<Void>> w = loop.runUntilComplete(
                    () -> Async.wait(List.of(b, a), secs(0.1), ReturnWhen.ALL_COMPLETED));

            assertThat(w.done()).containsExactly(a);
            assertThat(w.pending()).containsExactly(b);
            assertThat(seconds(loop)).isCloseTo(0.1, within(1e-9));

            finish(loop, a, b);
        }
    }

    /**
     * wait takes any iterable of tasks, not only a list. Java form: any Collection; an
     * ArrayDeque stands for Python's one-shot iterator.
     */
    @Test
    void test_wait_with_iterator_of_tasks() throws Exception {
        try (EventLoop loop = newLoop()) {
            Task<Void> a = sleeper(loop, 0.1);
            Task<Void> b = sleeper(loop, 0.15);
            Callable<Integer> foo = () -> {
                Waited<Task<Void>> w = Async.wait(new ArrayDeque<>(List.of(b, a)), null, ReturnWhen.ALL_COMPLETED);
                assertThat(w.done()).containsExactlyInAnyOrder(a, b);
                assertThat(w.pending()).isEmpty();
                return 42;
            };

            assertThat(loop.runUntilComplete(loop.createTask(foo))).isEqualTo(42);
            assertThat(seconds(loop)).isCloseTo(0.15, within(1e-9));
        }
    }

    /**
     * Tasks produced lazily (a generator expression in Python) are all waited for. Java form: a
     * stream that creates the tasks, collected into the collection given to wait.
     */
    @Test
    void test_wait_generator() throws Exception {
        try (EventLoop loop = newLoop()) {
            loop.runUntilComplete(() -> {
                List<Task<Integer>> tasks = IntStream.range(0, 10)
                        .mapToObj(i -> Async.spawn(() -> i))
                        .collect(Collectors.toList());
                Waited<Task<Integer>> w = Async.wait(tasks, null, ReturnWhen.ALL_COMPLETED);
                assertThat(w.done()).hasSize(10);
                assertThat(w.pending()).isEmpty();
                return null;
            });
        }
    }
}
