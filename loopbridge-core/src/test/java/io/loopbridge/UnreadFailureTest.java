package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * "Exception was never retrieved" for futures that the library copies, relays or drops: each
 * failure is reported once if nobody reads it, and never when it was read or when the library
 * dropped it on purpose. From a review of the plain-future watch; each case failed before its
 * fix. The reports are collected by the loops' exception handlers.
 */
class UnreadFailureTest {

    private static List<ExceptionContext> reportsOf(EventLoop loop) {
        List<ExceptionContext> reports = new CopyOnWriteArrayList<>();
        loop.setExceptionHandler((l, c) -> reports.add(c));
        return reports;
    }

    /**
     * A future completed on another thread: its listeners ran before its watch existed, so an
     * asCompleted slot that relayed the outcome in between started a second watch for the same
     * failure, and reading the slot left the first one to be reported. A listener holds the
     * completing thread until the slot is done, which makes that order certain.
     */
    @Test
    void anAsCompletedSlotReadForAFutureCompletedOnAnotherThreadIsNotReported() throws Exception {
        EventLoop loop = EventLoop.create();
        List<ExceptionContext> reports = reportsOf(loop);
        IllegalStateException boom = new IllegalStateException("boom");
        loop.runUntilComplete(() -> {
            LoopFuture<Object> f = loop.createFuture();
            List<LoopFuture<Object>> slots = Async.asCompleted(List.of(f));
            f.addListener(x -> {
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!slots.get(0).isDone() && System.nanoTime() - end < 0) {
                    Thread.onSpinWait();
                }
            });
            Thread t = Thread.ofPlatform().start(() -> f.completeExceptionally(boom));
            assertThatThrownBy(() -> Async.await(slots.get(0))).isSameAs(boom);
            Async.toThread(() -> {
                t.join();
                return null;
            });
            return null;
        });
        loop.close();
        assertThat(reports).as("the slot was read; the failure is that one").isEmpty();
    }

    /** The same without a hook: runInExecutor futures failing on their workers, every slot read. */
    @Test
    void asCompletedSlotsOfFailingRunInExecutorFuturesAllReadNothingReported() throws Exception {
        EventLoop loop = EventLoop.create();
        List<ExceptionContext> reports = reportsOf(loop);
        int[] read = {0};
        loop.runUntilComplete(() -> {
            for (int round = 0; round < 200; round++) {
                List<LoopFuture<Object>> fs = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    fs.add(loop.runInExecutor(null, () -> {
                        throw new IllegalStateException("work failed");
                    }));
                }
                for (LoopFuture<Object> slot : Async.asCompleted(fs)) {
                    assertThatThrownBy(() -> Async.await(slot)).isInstanceOf(IllegalStateException.class);
                    read[0]++;
                }
            }
            return null;
        });
        loop.close();
        assertThat(read[0]).isEqualTo(1600);
        assertThat(reports).as("every failure was read through its slot").isEmpty();
    }

    private static List<LoopFuture<Object>> slotsOfAFailedFuture(EventLoop loop, Throwable boom,
                                                                 List<WeakReference<LoopFuture<Object>>> source) {
        LoopFuture<Object> src = loop.createFuture();
        source.add(new WeakReference<>(src));
        List<LoopFuture<Object>> slots = Async.asCompleted(List.of(src));
        src.completeExceptionally(boom);
        return slots;
    }

    /**
     * The watch a slot shares belongs to its source, whose collection reports it: a slot kept
     * and read later must keep its source reachable, or the failure is reported while it can
     * still be read.
     */
    @Test
    void anAsCompletedSlotKeepsItsSourceReachableUntilRead() throws Exception {
        EventLoop loop = EventLoop.create();
        List<ExceptionContext> reports = reportsOf(loop);
        IllegalStateException boom = new IllegalStateException("boom");
        loop.runUntilComplete(() -> {
            List<WeakReference<LoopFuture<Object>>> source = new ArrayList<>();
            List<LoopFuture<Object>> slots = slotsOfAFailedFuture(loop, boom, source);
            while (!slots.get(0).isDone()) {
                Async.checkpoint();
            }
            for (int i = 0; i < 5 && source.get(0).get() != null; i++) {
                System.gc();
            }
            assertThat((Object) source.get(0).get()).as("the slot's source, while the slot is held").isNotNull();
            assertThat(slots.get(0).exception()).isSameAs(boom);
            return null;
        });
        loop.close();
        assertThat(reports).as("the slot was read").isEmpty();
    }

    /**
     * Awaiting a future of another loop wrapped it through its CompletableFuture view, which
     * counts as reading it, and the copy did not report: a failure nobody read vanished.
     */
    @Test
    void aFutureOfAnotherLoopThatNobodyReadsIsReportedOnce() throws Exception {
        EventLoop a = EventLoop.create();
        EventLoop b = EventLoop.create();
        List<ExceptionContext> reports = new CopyOnWriteArrayList<>();
        a.setExceptionHandler((l, c) -> reports.add(c));
        b.setExceptionHandler((l, c) -> reports.add(c));
        IllegalStateException boom = new IllegalStateException("boom");
        LoopFuture<Object> fa = a.createFuture();
        b.runUntilComplete(() -> {
            Async.Waited<LoopFuture<Object>> d = Async.wait(List.of(fa), Duration.ofMillis(1), Async.ReturnWhen.ALL_COMPLETED);
            assertThat(d.pending()).hasSize(1);
            return null;
        });
        fa.completeExceptionally(boom);
        a.close();
        b.close();
        assertThat(reports).as("a failure nobody read, reported once").hasSize(1);
        assertThat(reports.get(0).exception()).isSameAs(boom);
    }

    /** Reading the copy in the other loop counts as reading the future itself. */
    @Test
    void aFutureOfAnotherLoopReadThroughItsCopyIsNotReported() throws Exception {
        EventLoop a = EventLoop.create();
        EventLoop b = EventLoop.create();
        List<ExceptionContext> reports = new CopyOnWriteArrayList<>();
        a.setExceptionHandler((l, c) -> reports.add(c));
        b.setExceptionHandler((l, c) -> reports.add(c));
        IllegalStateException boom = new IllegalStateException("boom");
        LoopFuture<Object> fa = a.createFuture();
        fa.completeExceptionally(boom);
        b.runUntilComplete(() -> {
            LoopFuture<Object> copy = Async.shield(fa); // a copy in b of a future of a
            assertThatThrownBy(() -> Async.await(copy)).isSameAs(boom);
            return null;
        });
        a.close();
        b.close();
        assertThat(reports).isEmpty();
    }

    /**
     * toThread with CancelPolicy.WAIT drops the work's outcome once the task is cancelled (as
     * asyncio's to_thread does); work that failed before the task resumed left its internal
     * future unread, and it was reported. A callback cancels the task, lets the work fail and
     * waits for the worker to finish, all before the task runs again.
     */
    @Test
    void toThreadWaitDropsTheOutcomeOfWorkThatFailedAtTheCancel() throws Exception {
        Semaphore finishedJobs = new Semaphore(0);
        Executor workers = job -> Thread.ofPlatform().daemon().start(() -> {
            try {
                job.run();
            } finally {
                finishedJobs.release();
            }
        });
        EventLoop loop = EventLoop.builder().defaultExecutor(workers).build();
        List<ExceptionContext> reports = reportsOf(loop);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        IllegalStateException boom = new IllegalStateException("work failed");
        loop.runUntilComplete(() -> {
            Task<Object> t = Async.spawn(() -> Threads.toThread(() -> {
                started.countDown();
                go.await();
                throw boom;
            }, null, Threads.CancelPolicy.WAIT));
            Async.toThread(() -> {
                started.await();
                return null;
            });
            loop.callSoon(() -> {
                t.cancel();
                go.countDown();
                finishedJobs.acquireUninterruptibly(2); // the started-waiter and the failing work
            });
            assertThatThrownBy(() -> Async.await(t)).isInstanceOf(CancelledException.class);
            return null;
        });
        loop.close();
        assertThat(reports).as("the outcome toThread dropped on purpose").isEmpty();
    }

    /**
     * A cancelled gatherSettled ends cancelled once every child is done; asyncio reads each child
     * first, so a child that failed in its cleanup instead of ending cancelled was reported.
     */
    @Test
    void aCancelledGatherSettledReadsItsChildren() throws Exception {
        EventLoop loop = EventLoop.create();
        List<ExceptionContext> reports = reportsOf(loop);
        IllegalStateException boom = new IllegalStateException("cleanup failed");
        CountDownLatch sleeping = new CountDownLatch(1);
        loop.runUntilComplete(() -> {
            Task<Object> child = Async.spawn(() -> {
                try {
                    sleeping.countDown();
                    Async.sleep(Duration.ofSeconds(60));
                } catch (CancelledException e) {
                    throw boom;
                }
                return null;
            });
            LoopFuture<List<Async.Settled<Object>>> g = Async.gatherSettled(List.of(child));
            while (sleeping.getCount() > 0) {
                Async.checkpoint();
            }
            assertThat(g.cancel()).isTrue();
            assertThatThrownBy(() -> Async.await(g)).isInstanceOf(CancelledException.class);
            return null;
        });
        loop.close();
        assertThat(reports).as("the gather took the child's outcome").isEmpty();
    }

    /**
     * Work that fails while close() waits for the default executor: its future's watch began
     * after close's report of what was unread, so the failure reached nobody. The work fails
     * only once the closing thread is in the executor's wait.
     */
    @Test
    void aFailureWhileCloseWaitsForTheExecutorIsReportedByTheClose() throws Exception {
        EventLoop loop = EventLoop.create();
        List<ExceptionContext> reports = reportsOf(loop);
        CountDownLatch go = new CountDownLatch(1);
        IllegalStateException boom = new IllegalStateException("work failed during close");
        LoopFuture<Object> f = loop.runInExecutor(null, () -> {
            go.await();
            throw boom;
        });
        Thread closer = Thread.ofPlatform().start(loop::close);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!inExecutorWait(closer) && System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
        assertThat(inExecutorWait(closer)).as("the closing thread waits for the executor").isTrue();
        go.countDown();
        closer.join();
        assertThat(f.isCompletedExceptionally()).isTrue();
        assertThat(reports).as("a failure nobody read").hasSize(1);
        assertThat(reports.get(0).exception()).isSameAs(boom);
    }

    /** An exception whose message cannot be read: its toString() throws. */
    static final class NoMessage extends IllegalStateException {
        @Override
        public String getMessage() {
            throw new IllegalArgumentException("message unavailable");
        }
    }

    /**
     * The report's text was built from the exception's toString, under the future's lock and
     * before the outcome was published: an exception whose toString throws left the future
     * pending for good (its awaiters hung) and its failure unreported. Now the text is built
     * when the report is made, and a toString that throws still gives a report.
     */
    @Test
    void aFutureFailedWithAnExceptionWhoseToStringThrowsCompletesAndIsReported() {
        EventLoop loop = EventLoop.create();
        List<ExceptionContext> reports = reportsOf(loop);
        LoopFuture<Object> f = loop.createFuture();
        NoMessage boom = new NoMessage();
        assertThat(f.completeExceptionally(boom)).isTrue();
        assertThat(f.isDone()).isTrue();
        loop.close();
        assertThat(reports).hasSize(1);
        assertThat(reports.get(0).exception()).isSameAs(boom);
        assertThat(reports.get(0).message()).contains("toString() threw").contains("exception was never retrieved");
    }

    /** The same for a task whose body throws it: the task completes and its awaiter sees the exception. */
    @Test
    void aTaskWhoseBodyThrowsAnExceptionWhoseToStringThrowsCompletes() throws Exception {
        EventLoop loop = EventLoop.create();
        NoMessage boom = new NoMessage();
        loop.runUntilComplete(() -> {
            Task<Object> t = Async.spawn(() -> {
                throw boom;
            });
            // Bounded, so that the old behaviour (the task never completed) fails instead of hanging.
            Async.wait(List.of(t), Duration.ofSeconds(10), Async.ReturnWhen.ALL_COMPLETED);
            assertThat(t.isDone()).as("the task whose body threw").isTrue();
            assertThatThrownBy(() -> Async.await(t)).isSameAs(boom);
            return null;
        });
        loop.close();
    }

    /**
     * A relay showed the shared watch before it had the outcome: a copy cancelled and read on
     * another thread in that window marked the source's failure read, and the failure went to
     * no copy and was never reported. The test holds the copy's lock while the relay waits for it.
     */
    @Test
    void aCopyCancelledAndReadWhileTheOutcomeIsRelayedLeavesTheFailureReported() throws Exception {
        EventLoop loop = EventLoop.create();
        List<ExceptionContext> reports = reportsOf(loop);
        IllegalStateException boom = new IllegalStateException("boom");
        LoopFuture<Object> f = loop.createFuture();
        f.completeExceptionally(boom);
        LoopFuture<Object> copy = new LoopFuture.Relay<>(Loop.of(loop));
        Thread relay = Thread.ofPlatform().unstarted(() -> copy.relayOutcome(f));
        synchronized (copy) {
            relay.start();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (relay.getState() != Thread.State.BLOCKED && System.nanoTime() - end < 0) {
                Thread.onSpinWait();
            }
            assertThat(relay.getState()).as("the relay waits for the copy's lock").isEqualTo(Thread.State.BLOCKED);
            assertThat(copy.cancel()).isTrue();
            assertThatThrownBy(copy::exception).isInstanceOf(CancelledException.class);
        }
        relay.join();
        loop.close();
        assertThat(copy.isCancelled()).isTrue();
        assertThat(reports).as("f failed, and nobody read its failure").hasSize(1);
        assertThat(reports.get(0).exception()).isSameAs(boom);
    }

    /**
     * cancel() of a pending gather marked it read, so a child that then failed in its cleanup,
     * which fails the gather, was never reported when nobody read the gather (asyncio reports it).
     */
    @Test
    void aCancelledGatherWhoseChildFailsInItsCleanupReportsTheFailure() throws Exception {
        EventLoop loop = EventLoop.create();
        List<ExceptionContext> reports = reportsOf(loop);
        IllegalStateException boom = new IllegalStateException("cleanup failed");
        CountDownLatch sleeping = new CountDownLatch(1);
        loop.runUntilComplete(() -> {
            Task<Object> child = Async.spawn(() -> {
                try {
                    sleeping.countDown();
                    Async.sleep(Duration.ofSeconds(60));
                } catch (CancelledException e) {
                    throw boom;
                }
                return null;
            });
            LoopFuture<List<Object>> g = Async.gather(List.of(child));
            while (sleeping.getCount() > 0) {
                Async.checkpoint();
            }
            assertThat(g.cancel()).isTrue();
            while (!g.isDone()) {
                Async.checkpoint();
            }
            assertThat(g.isCompletedExceptionally()).isTrue();
            return null;
        });
        loop.close();
        assertThat(reports).hasSize(1);
        assertThat(reports.get(0).exception()).isSameAs(boom);
    }

    /**
     * get with a negative timeout on runCoroutineThreadsafe's future, in a task, waited without
     * a bound (the negative value meant "no timeout"); it times out at once, as
     * CompletableFuture.get does.
     */
    @Test
    void aNegativeTimeoutOnARunCoroutineThreadsafeFutureInATaskTimesOutAtOnce() throws Exception {
        EventLoop loop = EventLoop.create();
        Object[] got = {null};
        loop.runUntilComplete(() -> {
            AsyncEvent never = new AsyncEvent();
            java.util.concurrent.CompletableFuture<String> cf = Threads.runCoroutineThreadsafe(() -> {
                never.await();
                return "late";
            }, loop);
            try {
                got[0] = cf.get(-1, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                got[0] = e;
            }
            cf.cancel(false);
            return null;
        });
        loop.close();
        assertThat(got[0]).isInstanceOf(java.util.concurrent.TimeoutException.class);
    }

    private static boolean inExecutorWait(Thread closer) {
        return Arrays.stream(closer.getStackTrace()).anyMatch(e -> e.getMethodName().equals("awaitTermination"));
    }
}
