package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class EventLoopTest {

    @Test
    void reportsTheExpectedTaskMode() {
        try (EventLoop loop = EventLoop.create()) {
            assertThat(loop.taskMode()).isEqualTo(TestLoops.expectedMode());
        }
    }

    @Test
    void callSoonRunsInFifoOrderAndLaterCallbacksWaitForTheNextIteration() {
        try (EventLoop loop = EventLoop.create()) {
            List<String> order = new ArrayList<>();
            loop.callSoon(() -> {
                order.add("a");
                loop.callSoon(() -> {
                    order.add("c");
                    loop.stop();
                });
            });
            loop.callSoon(() -> order.add("b"));
            loop.runForever();
            assertThat(order).containsExactly("a", "b", "c");
        }
    }

    @Test
    void stopFinishesTheCurrentBatchThenReturns() {
        try (EventLoop loop = EventLoop.create()) {
            List<Integer> ran = new ArrayList<>();
            loop.callSoon(() -> {
                ran.add(1);
                loop.stop();
                loop.callSoon(() -> ran.add(3));
            });
            loop.callSoon(() -> ran.add(2));
            loop.runForever();
            assertThat(ran).containsExactly(1, 2);
            loop.callSoon(loop::stop);
            loop.runForever();
            assertThat(ran).containsExactly(1, 2, 3);
        }
    }

    @Test
    void fourProducersTimesAMillionCallbacksAllRunOnceInPerProducerOrder() throws Exception {
        int producers = 4;
        int perProducer = 1_000_000;
        try (EventLoop loop = EventLoop.create()) {
            long[] last = new long[producers];
            java.util.Arrays.fill(last, -1);
            int[] outOfOrder = {0};
            long[] count = {0};
            long[] checksum = {0};
            CyclicBarrier start = new CyclicBarrier(producers);
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < producers; p++) {
                int pid = p;
                threads.add(Thread.ofPlatform().name("producer-" + p).start(() -> {
                    try {
                        start.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    for (int i = 0; i < perProducer; i++) {
                        long seq = i;
                        loop.callSoonThreadsafe(() -> {
                            if (seq != last[pid] + 1) {
                                outOfOrder[0]++;
                            }
                            last[pid] = seq;
                            checksum[0] += seq;
                            if (++count[0] == (long) producers * perProducer) {
                                loop.stop();
                            }
                        });
                    }
                }));
            }
            loop.runForever();
            for (Thread t : threads) {
                t.join();
            }
            assertThat(count[0]).isEqualTo(4_000_000L);
            assertThat(outOfOrder[0]).isZero();
            assertThat(checksum[0]).isEqualTo((long) producers * perProducer * (perProducer - 1) / 2);
            for (long l : last) {
                assertThat(l).isEqualTo(perProducer - 1);
            }
        }
    }

    @Test
    void aProducerRacingCloseNeverLosesAnAcceptedCallbackSilently() throws Exception {
        for (int round = 0; round < 50; round++) {
            EventLoop loop = EventLoop.create();
            AtomicLong accepted = new AtomicLong();
            AtomicLong ran = new AtomicLong();
            AtomicReference<Throwable> rejection = new AtomicReference<>();
            CountDownLatch producing = new CountDownLatch(1);
            Thread producer = Thread.ofPlatform().start(() -> {
                try {
                    while (true) {
                        loop.callSoonThreadsafe(ran::incrementAndGet);
                        accepted.incrementAndGet();
                        producing.countDown();
                    }
                } catch (RejectedExecutionException e) {
                    rejection.set(e);
                }
            });
            producing.await();
            loop.callSoonThreadsafe(loop::stop);
            loop.runForever();
            loop.close();
            producer.join();
            assertThat(rejection.get()).isInstanceOf(RejectedExecutionException.class)
                    .hasMessageContaining(loop.name());
            assertThat(ran.get()).isEqualTo(accepted.get());
        }
    }

    @Test
    void postingAfterCloseFailsClearly() {
        EventLoop loop = EventLoop.create();
        loop.close();
        loop.close(); // idempotent
        assertThat(loop.isClosed()).isTrue();
        assertThatThrownBy(() -> loop.callSoonThreadsafe(() -> { }))
                .isInstanceOf(RejectedExecutionException.class)
                .hasMessageContaining(loop.name()).hasMessageContaining("closed");
        assertThatThrownBy(loop::runForever).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void closeIsRefusedWhileRunning() {
        try (EventLoop loop = EventLoop.create()) {
            AtomicReference<Throwable> err = new AtomicReference<>();
            loop.callSoon(() -> {
                try {
                    loop.close();
                } catch (Throwable t) {
                    err.set(t);
                }
                loop.stop();
            });
            loop.runForever();
            assertThat(err.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("running");
        }
    }

    @Test
    void aSecondLoopCannotRunInAThreadThatRunsOne() {
        try (EventLoop outer = EventLoop.create(); EventLoop inner = EventLoop.create()) {
            AtomicReference<Throwable> err = new AtomicReference<>();
            outer.callSoon(() -> {
                try {
                    inner.runForever();
                } catch (Throwable t) {
                    err.set(t);
                }
                outer.stop();
            });
            outer.runForever();
            assertThat(err.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(outer.name()).hasMessageContaining("already running");
        }
    }

    @Test
    void runningAndCurrentTellWhichLoopRunsHere() {
        assertThat(EventLoop.running()).isEmpty();
        assertThatThrownBy(EventLoop::current).isInstanceOf(IllegalStateException.class).hasMessageContaining("no event loop");
        try (EventLoop loop = EventLoop.create()) {
            AtomicReference<EventLoop> seen = new AtomicReference<>();
            AtomicReference<Boolean> inLoop = new AtomicReference<>();
            loop.callSoon(() -> {
                seen.set(EventLoop.current());
                inLoop.set(loop.inLoop());
                loop.stop();
            });
            loop.runForever();
            assertThat(seen.get()).isSameAs(loop);
            assertThat(inLoop.get()).isTrue();
            assertThat(loop.inLoop()).isFalse();
        }
        assertThat(EventLoop.running()).isEmpty();
    }

    @Test
    void aThrowingCallbackGoesToTheHandlerAndTheLoopKeepsRunning() {
        try (EventLoop loop = EventLoop.create()) {
            List<ExceptionContext> seen = new ArrayList<>();
            loop.setExceptionHandler((l, c) -> seen.add(c));
            List<String> ran = new ArrayList<>();
            loop.callSoon(() -> {
                throw new IllegalArgumentException("boom");
            });
            loop.callSoon(() -> {
                ran.add("after");
                loop.stop();
            });
            loop.runForever();
            assertThat(ran).containsExactly("after");
            assertThat(seen).hasSize(1);
            assertThat(seen.get(0).exception()).isInstanceOf(IllegalArgumentException.class).hasMessage("boom");
            assertThat(seen.get(0).message()).contains("Exception in callback");
        }
    }

    @Test
    void aThrowingHandlerIsLoggedAndTheLoopStillRuns() {
        try (EventLoop loop = EventLoop.create()) {
            AtomicInteger calls = new AtomicInteger();
            loop.setExceptionHandler((l, c) -> {
                calls.incrementAndGet();
                throw new IllegalStateException("handler broke");
            });
            loop.callSoon(() -> {
                throw new IllegalArgumentException("boom");
            });
            loop.callSoon(loop::stop);
            loop.runForever();
            assertThat(calls).hasValue(1);
            // The default handler reported the original exception after the custom one failed.
            assertThat(io.loopbridge.test.LeakCheck.takeUnhandled()).extracting(Throwable::getMessage).containsExactly("boom");
        }
    }

    // ------------------------------------------------------------------ timers (virtual time)

    @Test
    void timersRunInDeadlineOrderAndEqualDeadlinesKeepFifo() {
        VirtualClock clock = VirtualClock.autoAdvancing();
        try (EventLoop loop = EventLoop.builder().clock(clock).build()) {
            List<String> order = new ArrayList<>();
            long t0 = loop.time();
            loop.callLater(Duration.ofSeconds(3), () -> order.add("3s"));
            loop.callLater(Duration.ofSeconds(1), () -> order.add("1s-a"));
            loop.callLater(Duration.ofSeconds(2), () -> order.add("2s"));
            loop.callLater(Duration.ofSeconds(1), () -> order.add("1s-b"));
            loop.callAt(t0 + TimeUnit.SECONDS.toNanos(1), () -> order.add("1s-c"));
            loop.callLater(Duration.ofSeconds(4), loop::stop);
            loop.runForever();
            assertThat(order).containsExactly("1s-a", "1s-b", "1s-c", "2s", "3s");
            assertThat(loop.time() - t0).isEqualTo(TimeUnit.SECONDS.toNanos(4));
        }
    }

    @Test
    void aManualClockRunsTimersOnlyWhenAdvanced() throws Exception {
        VirtualClock clock = VirtualClock.manual();
        try (EventLoop loop = EventLoop.builder().clock(clock).build();
             TestLoops.Background bg = new TestLoops.Background(loop)) {
            CountDownLatch scheduled = new CountDownLatch(1);
            CountDownLatch fired = new CountDownLatch(1);
            AtomicLong firedAt = new AtomicLong();
            loop.callSoonThreadsafe(() -> {
                loop.callLater(Duration.ofMinutes(10), () -> {
                    firedAt.set(loop.time());
                    fired.countDown();
                });
                scheduled.countDown();
            });
            scheduled.await();
            clock.advance(Duration.ofMinutes(9));
            // A round trip through the loop proves it processed the advance without firing.
            CountDownLatch roundTrip = new CountDownLatch(1);
            loop.callSoonThreadsafe(roundTrip::countDown);
            roundTrip.await();
            assertThat(fired.getCount()).isEqualTo(1);
            clock.advance(Duration.ofMinutes(1));
            fired.await();
            assertThat(firedAt.get()).isEqualTo(TimeUnit.MINUTES.toNanos(10));
        }
    }

    @Test
    void cancelledTimersDoNotRun() {
        VirtualClock clock = VirtualClock.autoAdvancing();
        try (EventLoop loop = EventLoop.builder().clock(clock).build()) {
            List<String> order = new ArrayList<>();
            TimerHandle a = loop.callLater(Duration.ofSeconds(1), () -> order.add("a"));
            loop.callLater(Duration.ofSeconds(2), () -> order.add("b"));
            Handle c = loop.callSoon(() -> order.add("c"));
            a.cancel();
            c.cancel();
            assertThat(a.isCancelled()).isTrue();
            loop.callLater(Duration.ofSeconds(3), loop::stop);
            loop.runForever();
            assertThat(order).containsExactly("b");
        }
    }

    @Test
    void aMillionScheduledAndCancelledTimersKeepTheHeapSmall() {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.manual()).build()) {
            for (int i = 0; i < 1_000_000; i++) {
                loop.callLater(Duration.ofHours(1), () -> { }).cancel();
            }
            TimerHandle live = loop.callLater(Duration.ofHours(2), () -> { });
            assertThat(loop.stats().timers()).isLessThan(1_000);
            assertThat(live.isCancelled()).isFalse();
        }
    }

    // ------------------------------------------------------------------ sleeping and waking

    @Test
    void anIdleLoopSleepsInsteadOfSpinning() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop)) {
            long cpu0 = mx.getThreadCpuTime(bg.thread.threadId());
            CountDownLatch fired = new CountDownLatch(1);
            long[] scheduledAt = new long[1];
            long[] firedAt = new long[1];
            loop.callSoonThreadsafe(() -> {
                scheduledAt[0] = loop.time();
                loop.callLater(Duration.ofSeconds(1), () -> {
                    firedAt[0] = loop.time();
                    fired.countDown();
                });
            });
            fired.await();
            long cpu = mx.getThreadCpuTime(bg.thread.threadId()) - cpu0;
            // Idle for a second: well under 5% of a core (a spinning loop would burn ~100%).
            assertThat(cpu).isLessThan(TimeUnit.MILLISECONDS.toNanos(50));
            assertThat(firedAt[0] - scheduledAt[0]).isGreaterThanOrEqualTo(TimeUnit.SECONDS.toNanos(1));
        }
    }

    @Test
    void anIdleLoopWithASelectorSleepsInSelectAndIsWokenByPosts() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (EventLoop loop = EventLoop.create(); TestLoops.Background bg = new TestLoops.Background(loop);
             java.nio.channels.Pipe.SourceChannel source = java.nio.channels.Pipe.open().source()) {
            CountDownLatch opened = new CountDownLatch(1);
            loop.callSoonThreadsafe(() -> {
                loop.addReader(source, () -> { }); // the loop's selector opens with its first channel
                opened.countDown();
            });
            opened.await();
            long cpu0 = mx.getThreadCpuTime(bg.thread.threadId());
            CountDownLatch fired = new CountDownLatch(1);
            loop.callSoonThreadsafe(() -> loop.callLater(Duration.ofMillis(500), fired::countDown));
            fired.await();
            assertThat(mx.getThreadCpuTime(bg.thread.threadId()) - cpu0).isLessThan(TimeUnit.MILLISECONDS.toNanos(50));
            for (int i = 0; i < 100; i++) {
                CountDownLatch woke = new CountDownLatch(1);
                loop.callSoonThreadsafe(woke::countDown);
                woke.await();
            }
        }
    }

    // ------------------------------------------------------------------ debug mode

    @Test
    void debugModeRefusesConfinedCallsFromOtherThreadsNamingBothThreads() throws Exception {
        try (EventLoop loop = EventLoop.builder().debug(true).name("dbg").build();
             TestLoops.Background bg = new TestLoops.Background(loop)) {
            assertThatThrownBy(() -> loop.callSoon(() -> { }))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(Thread.currentThread().getName())
                    .hasMessageContaining(bg.thread.getName())
                    .hasMessageContaining("callSoonThreadsafe");
        }
    }

    @Test
    void debugModeLogsSlowCallbacksWithTheirDuration() {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(EventLoop.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> app =
                new ch.qos.logback.core.read.ListAppender<>();
        app.start();
        logger.addAppender(app);
        try (EventLoop loop = EventLoop.builder().debug(true).slowCallbackDuration(Duration.ofMillis(1)).build()) {
            Runnable slow = new Runnable() {
                @Override
                public void run() {
                    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
                    while (System.nanoTime() < end) {
                        Thread.onSpinWait(); // the slow work under test
                    }
                }

                @Override
                public String toString() {
                    return "the-slow-one";
                }
            };
            loop.callSoon(slow);
            loop.callSoon(loop::stop);
            loop.runForever();
        } finally {
            logger.detachAppender(app);
        }
        assertThat(app.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                .contains("the-slow-one").contains("took").contains("ms"));
    }

    @Test
    void statsCountReadyCallbacksTasksAndTimers() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.manual()).build()) {
            LoopFuture<Void> gate = loop.createFuture();
            loop.callLater(Duration.ofHours(1), () -> { });
            LoopStats[] seen = new LoopStats[1];
            loop.createTask(() -> Async.await(gate));
            loop.runUntilComplete(() -> {
                Async.checkpoint();
                loop.callSoon(() -> { });
                seen[0] = loop.stats();
                gate.complete(null);
                return null;
            });
            assertThat(seen[0].tasks()).isEqualTo(2);
            assertThat(seen[0].timers()).isEqualTo(1);
            assertThat(seen[0].readyCallbacks()).isGreaterThanOrEqualTo(1);
            assertThat(seen[0].channels()).isZero();
        }
    }

    @Test
    void wrapCompletesOnTheLoopWhenAnotherThreadCompletes() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            java.util.concurrent.CompletableFuture<String> cf = new java.util.concurrent.CompletableFuture<>();
            LoopFuture<String> f = loop.wrap(cf);
            AtomicReference<Boolean> callbackInLoop = new AtomicReference<>();
            f.addDoneCallback(x -> callbackInLoop.set(loop.inLoop()));
            Thread.ofPlatform().start(() -> cf.complete("hi")).join();
            assertThat(loop.runUntilComplete(f)).isEqualTo("hi");
            loop.callSoon(loop::stop);
            loop.runForever();
            assertThat(callbackInLoop.get()).isTrue();
        }
    }

    /**
     * callSoonThreadsafe from the loop's own code is a callSoon: it keeps its place after an
     * earlier callSoon and waits for the next iteration. It used to run first, in the same
     * iteration (it went to the cross-thread queue, which the running iteration still drains).
     */
    @Test
    void callSoonThreadsafeFromTheLoopKeepsItsPlaceAfterCallSoon() {
        try (EventLoop loop = EventLoop.create()) {
            List<String> order = new ArrayList<>();
            loop.callSoon(() -> {
                loop.callSoon(() -> order.add("soon-first"));
                loop.callSoonThreadsafe(() -> order.add("threadsafe-second"));
                loop.stop();
            });
            loop.runForever();
            assertThat(order).as("scheduled by the stopping iteration: they wait for the next run").isEmpty();
            loop.callSoon(loop::stop);
            loop.runForever();
            assertThat(order).containsExactly("soon-first", "threadsafe-second");
        }
    }

    /**
     * A callback that close() runs (the drain of a never-run loop) posting with
     * callSoonThreadsafe used to hang close forever: the post waited for the closing thread to
     * take it, and that thread was the one waiting. Now it runs in the drain.
     */
    @Test
    void closeRunsACallbackThatItsOwnCallbacksPostThreadsafe() throws Exception {
        EventLoop loop = EventLoop.create();
        CountDownLatch ran = new CountDownLatch(1);
        loop.callSoon(() -> loop.callSoonThreadsafe(ran::countDown));
        Thread closer = Thread.ofPlatform().daemon().name("closer").start(loop::close);
        assertThat(ran.await(30, TimeUnit.SECONDS)).as("the posted callback ran").isTrue();
        closer.join();
        assertThat(loop.isClosed()).isTrue();
    }

    /** The same from a task's cleanup: close cancels the task, whose finally block posts with execute(). */
    @Test
    void closeRunsWhatACancelledTaskPostsInItsCleanup() throws Exception {
        EventLoop loop = EventLoop.create();
        CountDownLatch ran = new CountDownLatch(1);
        Task<Object> t = loop.createTask(() -> {
            try {
                Async.await(loop.createFuture());
            } finally {
                loop.execute(ran::countDown);
            }
            return null;
        });
        loop.callSoon(() -> loop.callSoon(loop::stop));
        loop.runForever();
        Thread closer = Thread.ofPlatform().daemon().name("closer").start(loop::close);
        assertThat(ran.await(30, TimeUnit.SECONDS)).as("the cleanup's callback ran").isTrue();
        closer.join();
        assertThat(loop.isClosed()).isTrue();
        assertThat(t.isCancelled()).isTrue();
    }
}
