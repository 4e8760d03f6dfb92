package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EventThreadTest {

    @Test
    void submitCallAndADoneCallback() throws Exception {
        List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        EventThread et = new EventThread("et-basic").start();
        et.addDoneCallback(() -> log.add("stopped on " + Thread.currentThread().getName()));
        assertThat(et.thread().isDaemon()).isFalse();
        CompletableFuture<String> f = et.submit(() -> {
            Async.sleep(Duration.ofMillis(1));
            return "from " + Thread.currentThread().isVirtual();
        });
        assertThat(f.get()).isEqualTo("from true");
        assertThat(et.call(() -> EventLoop.current() == et.loop())).isTrue();
        assertThatThrownBy(() -> et.call(() -> {
            throw new IOException("unwrapped");
        })).isInstanceOf(IOException.class).hasMessage("unwrapped");
        et.close();
        et.close(); // idempotent
        assertThat(log).containsExactly("stopped on et-basic");
        assertThatThrownBy(() -> et.submit(() -> 1)).isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining("et-basic").hasMessageContaining("closed");
        AtomicInteger late = new AtomicInteger();
        et.addDoneCallback(late::incrementAndGet);
        assertThat(late).hasValue(1);
    }

    @Test
    void closeGivesRunningTasksTheirGracePeriodThenCancelsTheRest() throws Exception {
        EventThread et = new EventThread("et-grace").start();
        CountDownLatch started = new CountDownLatch(2);
        CompletableFuture<String> quick = et.submit(() -> {
            started.countDown();
            Async.sleep(Duration.ofMillis(20));
            return "finished in grace";
        });
        CompletableFuture<String> endless = et.submit(() -> {
            started.countDown();
            Async.await(EventLoop.current().createFuture());
            return "never";
        });
        started.await();
        et.close(Duration.ofMillis(200));
        assertThat(quick.get()).isEqualTo("finished in grace");
        assertThatThrownBy(endless::get).isInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(et.thread().isAlive()).isFalse();
    }

    @Test
    void closeWhileTenThousandSubmissionsAreInFlightFromFourThreads() throws Exception {
        EventThread et = new EventThread("et-flood").start();
        int threads = 4;
        int each = 2_500;
        List<CompletableFuture<Integer>> futures = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger rejectedAtSubmit = new AtomicInteger();
        CountDownLatch halfway = new CountDownLatch(threads);
        List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < threads; p++) {
            producers.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < each; i++) {
                    if (i == each / 2) {
                        halfway.countDown();
                    }
                    int n = i;
                    try {
                        futures.add(et.submit(() -> {
                            Async.sleep(Duration.ofMillis(n % 3));
                            return n;
                        }));
                    } catch (RejectedExecutionException e) {
                        rejectedAtSubmit.incrementAndGet();
                    }
                }
            }));
        }
        halfway.await();
        long t0 = System.nanoTime();
        et.close(Duration.ofMillis(500));
        long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        for (Thread t : producers) {
            t.join();
        }
        int done = 0;
        int cancelledOrRejected = 0;
        for (CompletableFuture<Integer> f : futures) {
            try {
                f.get(10, TimeUnit.SECONDS);
                done++;
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOfAny(RejectedExecutionException.class, CancelledException.class);
                cancelledOrRejected++;
            } catch (java.util.concurrent.CancellationException e) {
                cancelledOrRejected++;
            }
        }
        assertThat(done + cancelledOrRejected + rejectedAtSubmit.get()).isEqualTo(threads * each);
        assertThat(closeMs).as("close bounded by its grace period plus a margin").isLessThan(500 + 5_000);
        assertThat(et.thread().isAlive()).isFalse();
    }

    @Test
    void closingFromItsOwnLoopFailsClearly() throws Exception {
        try (EventThread et = new EventThread("et-self").start()) {
            assertThatThrownBy(() -> et.call(() -> {
                et.close();
                return null;
            })).isInstanceOf(IllegalStateException.class).hasMessageContaining("its own loop");
        }
    }

    @Test
    void callFromATaskOfItsOwnLoopRunsInline() throws Exception {
        try (EventThread et = new EventThread("et-inline").start()) {
            assertThat(et.submit(() -> et.call(() -> Task.current().isPresent() ? "inline" : "?")).get())
                    .isEqualTo("inline");
        }
    }

    @Test
    void aForgottenEventThreadIsReportedWithWhereItWasStarted() throws Exception {
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(EventThread.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> app =
                new ch.qos.logback.core.read.ListAppender<>();
        app.start();
        logger.addAppender(app);
        EventLoop loop;
        Thread thread;
        try {
            EventThread forgotten = new EventThread("et-forgotten").start();
            loop = forgotten.loop();
            thread = forgotten.thread();
            forgotten = null;
            for (int i = 0; i < 500 && app.list.stream().noneMatch(e -> e.getFormattedMessage().contains("never closed")); i++) {
                System.gc();
                CountDownLatch tick = new CountDownLatch(1);
                loop.callSoonThreadsafe(tick::countDown);
                tick.await();
            }
        } finally {
            logger.detachAppender(app);
        }
        assertThat(app.list).anySatisfy(e -> {
            assertThat(e.getFormattedMessage()).contains("et-forgotten").contains("never closed");
            assertThat(e.getThrowableProxy().getMessage()).contains("started here");
            assertThat(e.getThrowableProxy().getStackTraceElementProxyArray())
                    .anySatisfy(f -> assertThat(f.getSTEAsString()).contains("aForgottenEventThreadIsReported"));
        });
        // Nobody can close it any more; stop its loop so the test leaves no thread behind.
        loop.callSoonThreadsafe(loop::stop);
        thread.join();
    }

    @Test
    void startTwiceIsRefused() {
        try (EventThread et = new EventThread("et-twice").start()) {
            assertThatThrownBy(et::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("already started");
        }
    }

    /**
     * A task waiting in the timed get() of a runCoroutineThreadsafe future is cancelled: the
     * cancellation reaches the task (as in the untimed get), it is not swallowed into a further
     * wait for the future.
     */
    @Test
    void aTaskCancelledInTheTimedGetOfASubmittedFutureIsCancelled() throws Exception {
        try (EventThread et = new EventThread("et-timed-get").start()) {
            CompletableFuture<Void> never = new CompletableFuture<>();
            Async.run(() -> {
                CompletableFuture<Object> f = et.submit(() -> Async.await(never));
                // Bounded, so that a swallowed cancellation fails as a TimeoutException instead of hanging.
                Task<Object> waiting = Async.spawn(() -> f.get(20, TimeUnit.SECONDS));
                Async.checkpoint();
                assertThat(waiting.isDone()).isFalse();
                waiting.cancel();
                assertThatThrownBy(() -> Async.waitFor(waiting, Duration.ofSeconds(60)))
                        .isInstanceOf(CancelledException.class);
                f.cancel(false);
                return null;
            });
        }
    }

    /**
     * A task that outlives close (here it waits for work that ignores cancellation) used to
     * leave its caller waiting forever: its completion was posted to the closed loop and dropped.
     */
    @Test
    void aTaskThatOutlivesCloseEndsCancelledAndReleasesItsCaller() throws Exception {
        EventThread et = new EventThread("et-outlive").start();
        ((SelectorEventLoop) et.loop()).closeDrainNanos = TimeUnit.MILLISECONDS.toNanos(50);
        CountDownLatch working = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> caller = CompletableFuture.supplyAsync(() -> {
            try {
                return et.call(() -> Threads.toThread(() -> {
                    working.countDown();
                    release.await();
                    return "late";
                }, null, Threads.CancelPolicy.WAIT));
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, Thread::startVirtualThread);
        working.await();
        // close() then waits (bounded) for the default executor's worker, which the latch holds.
        CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> et.close(Duration.ofMillis(20)),
                Thread::startVirtualThread);
        try {
            assertThatThrownBy(() -> caller.get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(CancelledException.class)
                    .hasMessageContaining("et-outlive").hasMessageContaining("closed while this task was still running");
        } finally {
            release.countDown();
        }
        closing.get(30, TimeUnit.SECONDS);
        assertThat(et.isClosed()).isTrue();
    }

    /**
     * A task deaf to cancellation (it catches the close's cancellation and waits for a permit
     * again) is abandoned in the limiter's line. A permit released later used to be handed to
     * it, woken on a closed loop and never returned: every later acquire waited forever.
     */
    @Test
    void aPermitReleasedAfterCloseSkipsTheAbandonedWaiter() throws Exception {
        CapacityLimiter limiter = new CapacityLimiter(1);
        assertThat(limiter.tryAcquire()).isTrue(); // this thread holds the only permit
        EventThread et = new EventThread("et-limiter").start();
        ((SelectorEventLoop) et.loop()).closeDrainNanos = TimeUnit.MILLISECONDS.toNanos(50);
        CompletableFuture<Object> deaf = startDeafTask(et, () -> {
            limiter.acquire();
            return "granted";
        });
        et.close(Duration.ZERO);
        assertThatThrownBy(() -> deaf.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(CancelledException.class);
        assertThat(limiter.toString()).contains("1 waiting"); // it waited again, then was abandoned
        limiter.release();
        assertThat(limiter.available()).as("the released permit, in %s", limiter).isEqualTo(1);
        assertThat(limiter.tryAcquire()).isTrue();
        limiter.release();
    }

    /**
     * The same for a BridgeQueue: an item offered after close woke the abandoned taker (a wake-up
     * nobody would take) instead of the thread waiting behind it, which then waited forever
     * beside the item.
     */
    @Test
    void anItemOfferedAfterCloseWakesTheWaiterBehindTheAbandonedOne() throws Exception {
        BridgeQueue<String> q = new BridgeQueue<>(4);
        EventThread et = new EventThread("et-queue").start();
        ((SelectorEventLoop) et.loop()).closeDrainNanos = TimeUnit.MILLISECONDS.toNanos(50);
        CompletableFuture<Object> deaf = startDeafTask(et, q::take);
        et.close(Duration.ZERO);
        assertThatThrownBy(() -> deaf.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(CancelledException.class);
        CountDownLatch inLine = new CountDownLatch(1);
        CompletableFuture<String> taker = CompletableFuture.supplyAsync(() -> {
            inLine.countDown();
            try {
                return q.take();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, Thread::startVirtualThread);
        inLine.await();
        while (!q.toString().contains("waiting takers=2")) { // the thread joins the line behind the abandoned task
            Thread.onSpinWait();
        }
        q.put("item");
        assertThat(taker.get(30, TimeUnit.SECONDS)).isEqualTo("item");
    }

    /**
     * Starts a task on {@code et} that waits in {@code waitFor} and is deaf to cancellation (it
     * catches it and waits again); returns once the task first waits.
     */
    private static CompletableFuture<Object> startDeafTask(EventThread et, java.util.concurrent.Callable<Object> waitFor)
            throws InterruptedException {
        CountDownLatch waiting = new CountDownLatch(1);
        CompletableFuture<Object> deaf = et.submit(() -> {
            while (true) {
                try {
                    waiting.countDown();
                    return waitFor.call();
                } catch (CancelledException e) {
                    // deaf to cancellation: wait again
                }
            }
        });
        waiting.await();
        return deaf;
    }
}
