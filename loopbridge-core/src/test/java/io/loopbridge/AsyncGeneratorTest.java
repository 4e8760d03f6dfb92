package io.loopbridge;

import static io.loopbridge.AsyncIteratorTest.onGuardedLoop;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** AsyncGenerator: a body with a suspending emit, exposed as a Flow.Publisher. */
class AsyncGeneratorTest {

    /** A body emitting 0..n-1; counts every emit it starts in {@code attempts}. */
    private static AsyncGenerator.Body<Integer> counting(int n, AtomicInteger attempts) {
        return out -> {
            for (int i = 0; i < n; i++) {
                attempts.incrementAndGet();
                out.emit(i);
            }
        };
    }

    private static List<Integer> range(int n) {
        List<Integer> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(i);
        }
        return l;
    }

    /** Lets the loop run every ready step: whatever the body could do without demand, it has done. */
    private static void settleOn(EventLoop loop) throws Exception {
        Threads.runCoroutineThreadsafe(() -> {
            PrimitiveTesting.settle();
            return null;
        }, loop).get();
    }

    // ---------------------------------------------------------------- demand

    @Test
    void emitsExactlyWhatIsRequestedAndWaitsForMore() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            AtomicInteger attempts = new AtomicInteger();
            AsyncGenerator<Integer> gen = AsyncGenerator.on(bg.loop, counting(10, attempts));
            RecordingSubscriber<Integer> s = new RecordingSubscriber<>(0);
            List<Boolean> onLoop = new CopyOnWriteArrayList<>();
            s.onNextAction = v -> onLoop.add(bg.loop.inLoop());
            gen.subscribe(s);
            Flow.Subscription sub = s.subscribed.getNow(null);
            assertThat(sub).as("onSubscribe is called inside subscribe").isNotNull();

            settleOn(bg.loop);
            assertThat(attempts).as("the body waits in its first emit").hasValue(1);
            assertThat(s.values).isEmpty();

            CompletableFuture<Void> three = s.whenValues(3);
            sub.request(3);
            three.get();
            settleOn(bg.loop);
            assertThat(attempts).hasValue(4);
            assertThat(s.values).as("exactly what was requested").containsExactly(0, 1, 2);

            CompletableFuture<Void> five = s.whenValues(5);
            sub.request(1);
            sub.request(1);
            five.get();
            settleOn(bg.loop);
            assertThat(s.values).containsExactly(0, 1, 2, 3, 4);
            assertThat(s.done).isNotDone();

            sub.request(Long.MAX_VALUE);
            assertThat(s.done.get()).as("the body returned: onComplete").isNull();
            assertThat(s.values).isEqualTo(range(10));
            assertThat(onLoop).hasSize(10).containsOnly(true);
            assertThat(s.violations).isEmpty();
        }
    }

    @Test
    void demandAddsUpToLongMaxValueAndStaysUnbounded() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            AsyncGenerator<Integer> gen = AsyncGenerator.on(bg.loop, counting(1_000, new AtomicInteger()));
            RecordingSubscriber<Integer> s = new RecordingSubscriber<>(Long.MAX_VALUE - 1);
            s.onNextAction = v -> {
                if (v == 0) {
                    s.subscription.request(5);           // overflows: saturates at Long.MAX_VALUE
                    s.subscription.request(Long.MAX_VALUE);
                }
            };
            gen.subscribe(s);
            assertThat(s.done.get()).isNull();
            assertThat(s.values).isEqualTo(range(1_000));
            assertThat(s.violations).isEmpty();
        }
    }

    @Test
    void anEmptyBodyCompletesWithoutAnyDemand() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            RecordingSubscriber<String> s = new RecordingSubscriber<>(0);
            AsyncGenerator.<String>on(bg.loop, out -> { }).subscribe(s);
            assertThat(s.done.get()).isNull();
            assertThat(s.values).isEmpty();
            assertThat(s.violations).isEmpty();
        }
    }

    // ---------------------------------------------------------------- cancellation, both ways

    @Test
    void aSubscriberCancelMakesTheNextEmitThrowAndNothingMoreIsSent() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            CompletableFuture<Throwable> bodyEnd = new CompletableFuture<>();
            AsyncGenerator<Integer> gen = AsyncGenerator.on(bg.loop, out -> {
                try {
                    for (int i = 0; ; i++) {
                        out.emit(i);
                    }
                } catch (Throwable e) {
                    bodyEnd.complete(e);
                    throw e;
                }
            });
            RecordingSubscriber<Integer> s = new RecordingSubscriber<>(Long.MAX_VALUE);
            s.onNextAction = v -> {
                if (v == 5) {
                    s.subscription.cancel();
                    s.subscription.cancel(); // rule 3.7: a no-op
                    s.subscription.request(10); // rule 3.6: a no-op
                }
            };
            gen.subscribe(s);
            assertThat(bodyEnd.get()).isInstanceOf(CancelledException.class).hasMessageContaining("cancelled");
            settleOn(bg.loop);
            assertThat(s.values).containsExactly(0, 1, 2, 3, 4, 5);
            assertThat(s.done).as("no terminal signal after cancel").isNotDone();
            assertThat(s.violations).isEmpty();
        }
    }

    @Test
    void aSubscriberCancelCancelsTheBodyWhereverItWaits() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            CompletableFuture<Throwable> bodyEnd = new CompletableFuture<>();
            CompletableFuture<Void> waiting = new CompletableFuture<>();
            AsyncGenerator<Integer> gen = AsyncGenerator.on(bg.loop, out -> {
                out.emit(1);
                try {
                    waiting.complete(null);
                    Async.await(new CompletableFuture<Void>()); // never completes by itself
                } catch (Throwable e) {
                    bodyEnd.complete(e);
                    throw e;
                }
            });
            RecordingSubscriber<Integer> s = new RecordingSubscriber<>(5);
            gen.subscribe(s);
            waiting.get();
            s.subscription.cancel(); // from this plain thread
            assertThat(bodyEnd.get()).isInstanceOf(CancelledException.class);
            settleOn(bg.loop);
            assertThat(s.values).containsExactly(1);
            assertThat(s.done).isNotDone();
        }
    }

    @Test
    void cancellingTheConsumingTaskCancelsTheGeneratorBody() throws Exception {
        CompletableFuture<Throwable> bodyEnd = new CompletableFuture<>();
        List<Integer> got = new CopyOnWriteArrayList<>();
        onGuardedLoop(() -> {
            AsyncGenerator<Integer> gen = Async.generate(out -> {
                try {
                    for (int i = 0; ; i++) {
                        out.emit(i);
                    }
                } catch (Throwable e) {
                    bodyEnd.complete(e);
                    throw e;
                }
            });
            LoopFuture<Void> tookThree = EventLoop.current().createFuture();
            Task<Void> consumer = Async.spawn(() -> {
                try (AsyncIterator<Integer> it = Async.iterate(gen, 2)) {
                    while (it.hasNext()) {
                        got.add(it.next());
                        if (got.size() == 3) {
                            tookThree.complete(null);
                            Async.await(new CompletableFuture<Void>()); // busy elsewhere when cancelled
                        }
                    }
                }
                return null;
            });
            Async.await(tookThree);
            consumer.cancel();
            assertThatThrownBy(() -> Async.await(consumer)).isInstanceOf(CancelledException.class);
            assertThat(Async.await(bodyEnd)).isInstanceOf(CancelledException.class);
            return null;
        });
        assertThat(got).containsExactly(0, 1, 2);
    }

    // ---------------------------------------------------------------- errors, both ways

    @Test
    void aBodyFailureIsOnErrorAndReachesAnIteratingTaskUnwrapped() throws Exception {
        IOException boom = new IOException("disk gone");
        List<Integer> got = new ArrayList<>();
        IOException caught = onGuardedLoop(() -> {
            AsyncGenerator<Integer> gen = Async.generate(out -> {
                out.emit(1);
                out.emit(2);
                throw boom;
            });
            try (AsyncIterator<Integer> it = Async.iterate(gen)) {
                while (it.hasNext()) {
                    got.add(it.next());
                }
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        assertThat(caught).isSameAs(boom);
        assertThat(got).containsExactly(1, 2);
    }

    @Test
    void aBadRequestEndsTheRunWithIllegalArgumentException() throws Exception {
        for (long bad : new long[] {0, -1, Long.MIN_VALUE}) {
            try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
                CompletableFuture<Throwable> bodyEnd = new CompletableFuture<>();
                AsyncGenerator<Integer> gen = AsyncGenerator.on(bg.loop, out -> {
                    try {
                        out.emit(1);
                        out.emit(2);
                    } catch (Throwable e) {
                        bodyEnd.complete(e);
                        throw e;
                    }
                });
                RecordingSubscriber<Integer> s = new RecordingSubscriber<>(1);
                gen.subscribe(s);
                s.whenValues(1).get();
                s.subscription.request(bad);
                assertThat(s.done.get()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3.9");
                assertThat(bodyEnd.get()).as("the waiting body is cancelled").isInstanceOf(CancelledException.class);
                assertThat(s.values).containsExactly(1);
                assertThat(s.violations).isEmpty();
            }
        }
    }

    @Test
    void aBadRequestBeforeTheBodyStartsStillEndsWithOnError() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            AtomicInteger ran = new AtomicInteger();
            AsyncGenerator<Integer> gen = AsyncGenerator.on(loop, out -> ran.incrementAndGet());
            RecordingSubscriber<Integer> s = new RecordingSubscriber<>(0);
            gen.subscribe(s); // the loop is not running: the body's start is queued
            s.subscription.request(0);
            Throwable end = loop.runUntilComplete(() -> {
                try (Timeout t = Async.timeout(Duration.ofSeconds(30))) { // fail, not hang, if onError never comes
                    return Async.await(s.done);
                }
            });
            assertThat(end).isInstanceOf(IllegalArgumentException.class);
            assertThat(ran).as("the body never ran").hasValue(0);
            assertThat(s.violations).isEmpty();
        }
    }

    @Test
    void aThrowingOnNextIsReportedToTheLoopAndCancelsTheRun() throws Exception {
        List<ExceptionContext> reported = new CopyOnWriteArrayList<>();
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            bg.loop.setExceptionHandler((l, c) -> reported.add(c));
            CompletableFuture<Throwable> bodyEnd = new CompletableFuture<>();
            AsyncGenerator<Integer> gen = AsyncGenerator.on(bg.loop, out -> {
                try {
                    for (int i = 0; ; i++) {
                        out.emit(i);
                    }
                } catch (Throwable e) {
                    bodyEnd.complete(e);
                    throw e;
                }
            });
            IllegalStateException bug = new IllegalStateException("subscriber bug");
            RecordingSubscriber<Integer> s = new RecordingSubscriber<>(Long.MAX_VALUE);
            s.onNextAction = v -> {
                if (v == 2) {
                    throw bug;
                }
            };
            gen.subscribe(s);
            assertThat(bodyEnd.get()).isInstanceOf(CancelledException.class).hasMessageContaining("onNext threw");
            settleOn(bg.loop);
            assertThat(s.values).containsExactly(0, 1, 2);
            assertThat(s.done).isNotDone();
            assertThat(reported).singleElement().satisfies(c -> {
                assertThat(c.exception()).isSameAs(bug);
                assertThat(c.message()).contains("2.13");
            });
        }
    }

    @Test
    void aFailureAfterTheSubscriberCancelledIsReportedNotLost() throws Exception {
        List<ExceptionContext> reported = new CopyOnWriteArrayList<>();
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            bg.loop.setExceptionHandler((l, c) -> reported.add(c));
            IOException cleanupFailure = new IOException("cleanup failed");
            CompletableFuture<Void> bodyEnd = new CompletableFuture<>();
            AsyncGenerator<Integer> gen = AsyncGenerator.on(bg.loop, out -> {
                try {
                    out.emit(1);
                    out.emit(2);
                } finally {
                    bodyEnd.complete(null);
                    throw cleanupFailure;
                }
            });
            RecordingSubscriber<Integer> s = new RecordingSubscriber<>(1);
            s.onNextAction = v -> s.subscription.cancel();
            gen.subscribe(s);
            bodyEnd.get();
            settleOn(bg.loop);
            assertThat(reported).singleElement().satisfies(c -> assertThat(c.exception()).isSameAs(cleanupFailure));
            assertThat(s.done).isNotDone();
        }
    }

    // ---------------------------------------------------------------- misuse and lifecycle

    @Test
    void emitIsConfinedToTheBodyAndRefusesNull() throws Exception {
        AtomicReference<AsyncGenerator.Emitter<Integer>> leaked = new AtomicReference<>();
        List<Integer> got = onGuardedLoop(() -> {
            AsyncGenerator<Integer> gen = Async.generate(out -> {
                leaked.set(out);
                assertThatThrownBy(() -> out.emit(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("2.13");
                out.emit(7);
            });
            List<Integer> l = new ArrayList<>();
            Async.forEach(gen, l::add);
            return l;
        });
        assertThat(got).containsExactly(7);
        assertThatThrownBy(() -> leaked.get().emit(8)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside the generator body's own task");
    }

    @Test
    void ofNeedsARunningLoopAndAClosedLoopFailsTheSubscriber() throws Exception {
        assertThatThrownBy(() -> AsyncGenerator.of(out -> { })).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no event loop is running");
        EventLoop loop = EventLoop.create();
        AsyncGenerator<Integer> gen = AsyncGenerator.on(loop, out -> out.emit(1));
        loop.close();
        RecordingSubscriber<Integer> s = new RecordingSubscriber<>(1);
        gen.subscribe(s);
        assertThat(s.subscribed).isDone();
        assertThat(s.done.getNow(null)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(s.violations).isEmpty();
    }

    @Test
    void closingTheLoopUnderARunningBodySignalsTheCancellation() throws Exception {
        RecordingSubscriber<Integer> s = new RecordingSubscriber<>(1);
        try (EventLoop loop = EventLoop.create()) {
            AsyncGenerator<Integer> gen = AsyncGenerator.on(loop, out -> {
                out.emit(1);
                out.emit(2); // no demand: waits until the loop closes
            });
            loop.runUntilComplete(() -> {
                gen.subscribe(s);
                Async.await(s.whenValues(1));
                return null;
            });
        }
        assertThat(s.done.getNow(null)).isInstanceOf(CancelledException.class);
        assertThat(s.values).containsExactly(1);
    }

    // ---------------------------------------------------------------- many at once

    @Test
    void tenThousandTasksEachIterateTheirOwnRunOfAGeneratorOnOneLoop() throws Exception {
        int subscribers = 10_000;
        int each = 10;
        AtomicInteger bodies = new AtomicInteger();
        AtomicLong total = new AtomicLong();
        List<Integer> wrong = new CopyOnWriteArrayList<>();
        onGuardedLoop(() -> {
            AsyncGenerator<Integer> gen = Async.generate(out -> {
                bodies.incrementAndGet();
                for (int i = 0; i < each; i++) {
                    out.emit(i);
                }
            });
            try (TaskGroup tg = TaskGroup.open()) {
                for (int t = 0; t < subscribers; t++) {
                    int id = t;
                    tg.spawn(() -> {
                        int expected = 0;
                        try (AsyncIterator<Integer> it = Async.iterate(gen, 3)) { // prefetch 3: each run waits for demand
                            while (it.hasNext()) {
                                int v = it.next();
                                if (v != expected++) {
                                    wrong.add(id);
                                }
                                total.addAndGet(v);
                            }
                        }
                        if (expected != each) {
                            wrong.add(id);
                        }
                        return null;
                    });
                }
            }
            return null;
        });
        assertThat(wrong).isEmpty();
        assertThat(bodies).hasValue(subscribers);
        assertThat(total).hasValue((long) subscribers * (each * (each - 1) / 2));
    }

    @Test
    void plainThreadsIterateGeneratorsOfALoopInAnotherThread() throws Exception {
        int threads = 4;
        int n = 20_000;
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            AsyncGenerator<Integer> gen = AsyncGenerator.on(bg.loop, counting(n, new AtomicInteger()));
            List<CompletableFuture<List<Integer>>> results = new ArrayList<>();
            List<Thread> consumers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                CompletableFuture<List<Integer>> r = new CompletableFuture<>();
                results.add(r);
                int prefetch = 1 + i * 5;
                consumers.add(Thread.ofPlatform().start(() -> {
                    List<Integer> l = new ArrayList<>(n);
                    try (AsyncIterator<Integer> it = Async.iterate(gen, prefetch)) {
                        it.forEachRemaining(l::add);
                        r.complete(l);
                    } catch (Throwable e) {
                        r.completeExceptionally(e);
                    }
                }));
            }
            for (Thread t : consumers) {
                t.join();
            }
            List<Integer> expected = range(n);
            for (CompletableFuture<List<Integer>> r : results) {
                assertThat(r.get()).isEqualTo(expected);
            }
        }
    }
}
