package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Cancellation calls made from a thread other than the loop's while the loop runs: a gather's
 * cancel is carried out on the loop (as a task's is), and a task's cancellation count is the
 * loop's alone (and kept once the task is done, as asyncio keeps it).
 */
class CrossThreadCancelTest {

    /** A loop running on its own platform thread; {@link #close()} stops and joins it. */
    private static final class RunningLoop implements AutoCloseable {
        final EventLoop loop = EventLoop.create();
        private final Thread thread = Thread.ofPlatform().name("cross-thread-cancel-loop").start(loop::runForever);

        <T> T on(java.util.concurrent.Callable<T> body) throws Exception {
            CompletableFuture<T> cf = new CompletableFuture<>();
            loop.callSoonThreadsafe(() -> {
                try {
                    cf.complete(body.call());
                } catch (Throwable e) {
                    cf.completeExceptionally(e);
                }
            });
            return cf.get(30, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            loop.callSoonThreadsafe(loop::stop);
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(thread.isAlive()).as("the loop's thread ended").isFalse();
            loop.close();
        }
    }

    /**
     * A gather cancelled from another thread ends cancelled, as one cancelled on the loop does.
     * It used to cancel the children from the calling thread and set its "cancel requested"
     * flag afterwards: a child's cancellation that reached the loop first failed the gather
     * with a CancelledException instead of cancelling it.
     */
    @Test
    void aGatherCancelledFromAnotherThreadEndsCancelled() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            for (int round = 0; round < 20; round++) {
                LoopFuture<List<Object>> gather = rl.on(() -> {
                    List<LoopFuture<Object>> children = new ArrayList<>();
                    for (int i = 0; i < 2_000; i++) {
                        children.add(rl.loop.createFuture());
                    }
                    return Async.gather(children);
                });
                CompletableFuture<Boolean> cancelled = new CompletableFuture<>();
                rl.on(() -> {
                    gather.addDoneCallback(f -> cancelled.complete(f.isCancelled()));
                    return null;
                });
                assertThat(gather.cancel("from the test thread")).isTrue();
                assertThat(cancelled.get(30, TimeUnit.SECONDS)).as("round %d: the gather ends cancelled", round).isTrue();
            }
        }
    }

    /** cancelling() and uncancel() from another thread while the loop runs the task are refused. */
    @Test
    void cancellingAndUncancelFromAnotherThreadWhileTheLoopRunsAreRefused() throws Exception {
        try (RunningLoop rl = new RunningLoop()) {
            LoopFuture<Void> never = rl.on(rl.loop::createFuture);
            Task<Void> task = rl.on(() -> rl.loop.createTask(() -> {
                Async.await(never);
                return null;
            }));
            assertThatThrownBy(task::cancelling).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Task.cancelling()").hasMessageContaining("callSoonThreadsafe");
            assertThatThrownBy(task::uncancel).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Task.uncancel()");
            CompletableFuture<Boolean> ended = new CompletableFuture<>();
            assertThat(rl.on(() -> {
                task.addDoneCallback(f -> ended.complete(f.isCancelled()));
                task.cancel();
                return task.cancelling();
            })).isEqualTo(1);
            assertThat(ended.get(30, TimeUnit.SECONDS)).isTrue();
            // asyncio keeps a done task's count (it used to drop to 0 here).
            assertThat(task.cancelling()).as("a done task may be asked from anywhere").isEqualTo(1);
            assertThat(task.uncancel()).isZero();
            assertThat(task.cancelling()).isZero();
        }
    }

    /**
     * A cancel from another thread that reaches the loop after the gather (or task) failed
     * must not count as reading the failure: it used to mark it read (as a cancel of a done
     * future does), so the failure was never reported. The loop is held by a callback while
     * the child fails and the cancel is posted, which fixes that order.
     */
    @Test
    void aLateCrossThreadCancelOfAFailedGatherOrTaskDoesNotHideTheFailure() throws Exception {
        List<ExceptionContext> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
        RuntimeException gatherBoom = new RuntimeException("gather child failed");
        RuntimeException taskBoom = new RuntimeException("task failed");
        try (RunningLoop rl = new RunningLoop()) {
            rl.loop.setExceptionHandler((l, c) -> reports.add(c));
            LoopFuture<Object> child = rl.on(rl.loop::createFuture);
            LoopFuture<List<Object>> gather = rl.on(() -> Async.gather(List.of(child)));
            LoopFuture<Object> awaited = rl.on(rl.loop::createFuture);
            Task<Object> task = rl.on(() -> rl.loop.createTask(() -> Async.await(awaited)));
            rl.on(() -> null); // the task has started and waits
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            rl.loop.callSoonThreadsafe(() -> {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            held.await();
            child.completeExceptionally(gatherBoom);
            awaited.completeExceptionally(taskBoom);
            assertThat(gather.cancel("late")).isTrue();
            assertThat(task.cancel("late")).isTrue();
            release.countDown();
            java.util.concurrent.CountDownLatch bothDone = new java.util.concurrent.CountDownLatch(2);
            rl.on(() -> {
                // Done-callbacks, not a gather of the two (which would read their failures).
                gather.addDoneCallback(f -> bothDone.countDown());
                task.addDoneCallback(f -> bothDone.countDown());
                return null;
            });
            assertThat(bothDone.await(30, TimeUnit.SECONDS)).isTrue();
            rl.on(() -> null); // the posted cancels have run
            assertThat(gather.isCancelled()).as("the gather failed first").isFalse();
            assertThat(task.isCancelled()).as("the task failed first").isFalse();
        }
        // Closing the loop reports what nobody read: both failures.
        assertThat(reports).extracting(ExceptionContext::exception).contains(gatherBoom, taskBoom);
    }

    /**
     * A task that swallows the cancellation of its loop's close and waits again is abandoned
     * when the close gives up on it; it keeps its cancellation count as a finished task does.
     */
    @Test
    void aTaskAbandonedWhenItsLoopClosesKeepsItsCancellingCount() throws Exception {
        List<ExceptionContext> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
        EventLoop loop = EventLoop.create();
        loop.setExceptionHandler((l, c) -> reports.add(c));
        ((SelectorEventLoop) loop).closeDrainNanos = TimeUnit.MILLISECONDS.toNanos(50); // how long close waits before abandoning
        LoopFuture<Void> never = loop.createFuture();
        LoopFuture<Void> neverAgain = loop.createFuture();
        Task<Void> t = loop.createTask(() -> {
            try {
                Async.await(never);
            } catch (CancelledException e) {
                Async.await(neverAgain); // swallows the close's cancellation and waits again
            }
            return null;
        });
        loop.callSoon(loop::stop);
        loop.runForever(); // the task waits
        loop.close();
        assertThat(t.isDone()).isTrue();
        assertThat(t.cancelling()).as("the close's request").isEqualTo(1);
        assertThat(reports).as("the abandoned task is logged, not reported as a failure").isEmpty();
    }
}
