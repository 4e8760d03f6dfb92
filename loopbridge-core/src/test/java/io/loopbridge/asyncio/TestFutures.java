package io.loopbridge.asyncio;

import static io.loopbridge.asyncio.AsyncioCase.newLoop;
import static io.loopbridge.asyncio.AsyncioCase.newRealLoop;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.ExceptionContext;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Cases of CPython's Lib/test/test_asyncio/test_futures.py (BaseFutureTests) on loopbridge's
 * public API: the "tb_logger" cases, a plain future's exception that nobody retrieved is
 * reported, one that was read, cancelled or never set is not. Python drops the future and runs
 * the garbage collector; here the loop's close reports what is still unread (the same watch the
 * garbage collector's cleaner triggers), which is deterministic. Python patches the logger; here
 * the loop's exception handler collects the reports.
 */
class TestFutures {

    /** The loop's reports, collected by its exception handler. */
    private static List<ExceptionContext> reportsOf(EventLoop loop) {
        List<ExceptionContext> reports = new CopyOnWriteArrayList<>();
        loop.setExceptionHandler((l, c) -> reports.add(c));
        return reports;
    }

    @Test
    void test_tb_logger_abandoned() {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        LoopFuture<Object> fut = loop.createFuture();
        loop.close();
        assertThat(fut.isDone()).isFalse();
        assertThat(reports).isEmpty();
    }

    @Test
    void test_tb_logger_not_called_after_cancel() {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        LoopFuture<Object> fut = loop.createFuture();
        fut.completeExceptionally(new Exception());
        assertThat(fut.cancel()).isFalse();
        loop.close();
        assertThat(reports).isEmpty();
    }

    @Test
    void test_tb_logger_result_unretrieved() {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        LoopFuture<Integer> fut = loop.createFuture();
        fut.complete(42);
        loop.close();
        assertThat(reports).isEmpty();
    }

    @Test
    void test_tb_logger_result_retrieved() throws Exception {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        LoopFuture<Integer> fut = loop.createFuture();
        fut.complete(42);
        assertThat(fut.result()).isEqualTo(42);
        loop.close();
        assertThat(reports).isEmpty();
    }

    @Test
    void test_tb_logger_exception_unretrieved() {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        LoopFuture<Object> fut = loop.createFuture();
        RuntimeException boom = new RuntimeException("boom");
        fut.completeExceptionally(boom);
        loop.close();
        assertThat(reports).hasSize(1);
        assertThat(reports.get(0).exception()).isSameAs(boom);
    }

    @Test
    void test_tb_logger_exception_retrieved() {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        LoopFuture<Object> fut = loop.createFuture();
        fut.completeExceptionally(new RuntimeException("boom"));
        assertThat(fut.exception()).hasMessage("boom");
        loop.close();
        assertThat(reports).isEmpty();
    }

    @Test
    void test_tb_logger_exception_result_retrieved() {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        LoopFuture<Object> fut = loop.createFuture();
        fut.completeExceptionally(new RuntimeException("boom"));
        assertThatThrownBy(fut::result).isInstanceOf(RuntimeException.class).hasMessage("boom");
        loop.close();
        assertThat(reports).isEmpty();
    }

    /**
     * The report names the future and says its exception was never retrieved, and carries the
     * exception itself (Python: "^{cls} exception was never retrieved", exc_info the exception).
     * Python sets a MemoryError; an Error is reported like any exception here too.
     */
    @Test
    void test_future_exception_never_retrieved() {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        LoopFuture<Object> fut = loop.createFuture();
        OutOfMemoryError exc = new OutOfMemoryError("a memory error set as the outcome");
        fut.completeExceptionally(exc);
        loop.close();
        assertThat(reports).hasSize(1);
        assertThat(reports.get(0).message()).startsWith("LoopFuture[").contains("exception was never retrieved");
        assertThat(reports.get(0).exception()).isSameAs(exc);
    }

    @Test
    void test_callbacks_invoked_on_set_result() throws Exception {
        try (EventLoop loop = newLoop()) {
            List<Integer> bag = new CopyOnWriteArrayList<>();
            LoopFuture<String> f = loop.createFuture();
            f.addDoneCallback(x -> bag.add(42));
            f.addDoneCallback(x -> bag.add(17));
            assertThat(bag).isEmpty();
            f.complete("foo");
            runBriefly(loop);
            assertThat(bag).containsExactly(42, 17);
            assertThat(f.result()).isEqualTo("foo");
        }
    }

    @Test
    void test_callbacks_invoked_on_set_exception() {
        try (EventLoop loop = newLoop()) {
            List<Integer> bag = new CopyOnWriteArrayList<>();
            LoopFuture<String> f = loop.createFuture();
            f.addDoneCallback(x -> bag.add(100));
            assertThat(bag).isEmpty();
            RuntimeException exc = new RuntimeException();
            f.completeExceptionally(exc);
            runBriefly(loop);
            assertThat(bag).containsExactly(100);
            assertThat(f.exception()).isSameAs(exc);
        }
    }

    /** asyncio's {@code test_utils.run_briefly}: one short run of the loop. */
    private static void runBriefly(EventLoop loop) {
        loop.callSoon(loop::stop);
        loop.runForever();
    }

    // ------------------------------------------------------------------ Java extras

    /**
     * A future completed while its loop is not running schedules its done-callbacks then and
     * there, as asyncio's call_soon does: they run before a callback scheduled after the
     * completion. They went through the cross-thread queue and ran after it.
     */
    @Test
    void doneCallbacksOfAFutureCompletedWhileTheLoopIsStoppedRunBeforeALaterCallSoon() {
        try (EventLoop loop = newLoop()) {
            List<String> order = new CopyOnWriteArrayList<>();
            LoopFuture<String> f = loop.createFuture();
            f.addDoneCallback(x -> order.add("done-callback"));
            f.complete("foo");
            loop.callSoon(() -> order.add("later callSoon"));
            runBriefly(loop);
            assertThat(order).containsExactly("done-callback", "later callSoon");
        }
    }

    /** The same for callSoonThreadsafe then callSoon on a loop that is not running (one queue in asyncio). */
    @Test
    void aThreadsafeCallbackScheduledBeforeACallSoonRunsFirstOnAStoppedLoop() {
        try (EventLoop loop = newLoop()) {
            List<String> order = new CopyOnWriteArrayList<>();
            loop.callSoonThreadsafe(() -> order.add("threadsafe"));
            loop.callSoon(() -> order.add("callSoon"));
            runBriefly(loop);
            assertThat(order).containsExactly("threadsafe", "callSoon");
        }
    }

    /**
     * The loss this watch closes: a gather nobody awaits, whose child failed, took the child's
     * failure (marking the child read, as asyncio's gather does) and held it where nothing
     * reported it. Now the gather reports it, once: the child is not reported beside it.
     */
    @Test
    void aGatherNobodyAwaitsReportsItsChildsFailureOnce() throws Exception {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        IllegalStateException boom = new IllegalStateException("the child failed");
        loop.runUntilComplete(() -> {
            Task<Object> child = Async.spawn(() -> {
                throw boom;
            });
            LoopFuture<List<Object>> gathered = Async.gather(List.of(child));
            while (!gathered.isDone()) {
                Async.checkpoint();
            }
            return null;
        });
        loop.close();
        assertThat(reports).hasSize(1);
        assertThat(reports.get(0).exception()).isSameAs(boom);
        assertThat(reports.get(0).message()).startsWith("LoopFuture[");
    }

    /** A runInExecutor future whose work failed and that nobody reads is reported (asyncio logs it too). */
    @Test
    void aRunInExecutorFutureNobodyReadsIsReported() throws Exception {
        EventLoop loop = newRealLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        IllegalArgumentException boom = new IllegalArgumentException("the work failed");
        loop.runUntilComplete(() -> {
            LoopFuture<Object> f = loop.runInExecutor(null, () -> {
                throw boom;
            });
            CompletableFuture<Void> done = new CompletableFuture<>();
            f.addDoneCallback(x -> done.complete(null)); // does not read the failure
            Async.await(done);
            return null;
        });
        loop.close();
        assertThat(reports).hasSize(1);
        assertThat(reports.get(0).exception()).isSameAs(boom);
    }

    /**
     * A future that only copies a stage from outside the library (a CompletableFuture the loop
     * wraps) is not reported: the stage's owner reads the failure there. The shield's own future,
     * which the caller holds, is.
     */
    @Test
    void aCopyOfAForeignStageIsNotReportedTheShieldOverItIs() throws Exception {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        CompletableFuture<Object> foreign = new CompletableFuture<>();
        IllegalStateException boom = new IllegalStateException("the foreign stage failed");
        loop.runUntilComplete(() -> {
            LoopFuture<Object> shielded = Async.shield(foreign);
            foreign.completeExceptionally(boom);
            while (!shielded.isDone()) {
                Async.checkpoint();
            }
            return null;
        });
        loop.close();
        assertThat(reports).hasSize(1);
        assertThat(reports.get(0).exception()).isSameAs(boom);
        assertThat(foreign.isCompletedExceptionally()).isTrue();
    }

    /** Reading a future through its CompletableFuture view counts as reading it. */
    @Test
    void aFutureReadThroughItsCompletableFutureViewIsNotReported() {
        EventLoop loop = newLoop();
        List<ExceptionContext> reports = reportsOf(loop);
        LoopFuture<Object> fut = loop.createFuture();
        CompletableFuture<Object> view = fut.toCompletableFuture();
        fut.completeExceptionally(new RuntimeException("boom"));
        loop.close();
        assertThat(view).isNotNull();
        assertThat(reports).isEmpty();
    }
}
