package io.loopbridge;

import static io.loopbridge.CountingPublisher.Delivery.CALLER;
import static io.loopbridge.CountingPublisher.Delivery.OWN_THREAD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** Consuming a Flow.Publisher with AsyncIterator / Async.iterate / Async.forEach, in a task and on a plain thread. */
class AsyncIteratorTest {

    /** Where the consumer runs: the one rule says a task suspends and a plain thread blocks. */
    enum Where {
        TASK, THREAD;

        <T> T run(Callable<T> body) throws Exception {
            return this == TASK ? onGuardedLoop(body) : body.call();
        }
    }

    /**
     * Runs {@code body} as the main task of a fresh loop, with a generous deadline so that a broken
     * wake-up fails the test with a TimeoutException instead of hanging the loop (which a JUnit
     * timeout's interrupt cannot stop).
     */
    static <T> T onGuardedLoop(Callable<T> body) throws Exception {
        return PrimitiveTesting.onLoop(() -> {
            try (Timeout t = Async.timeout(Duration.ofSeconds(30))) {
                return body.call();
            }
        });
    }

    /** Takes everything, recording how many values the consumer has taken for the publisher's ahead-measure. */
    private static List<Integer> drain(CountingPublisher p, int prefetch) throws Exception {
        AtomicLong taken = new AtomicLong();
        p.consumed = taken::get;
        List<Integer> got = new ArrayList<>();
        try (AsyncIterator<Integer> it = Async.iterate(p, prefetch)) {
            while (it.hasNext()) {
                got.add(it.next());
                taken.incrementAndGet();
            }
        }
        return got;
    }

    private static List<Integer> range(int n) {
        List<Integer> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(i);
        }
        return l;
    }

    // ---------------------------------------------------------------- values and back-pressure

    @ParameterizedTest
    @EnumSource(Where.class)
    void takesEveryValueInOrderAndTheEndEndsTheLoop(Where where) throws Exception {
        for (CountingPublisher.Delivery d : CountingPublisher.Delivery.values()) {
            CountingPublisher p = new CountingPublisher(10_000, d);
            assertThat(where.run(() -> drain(p, 16))).as(d.name()).isEqualTo(range(10_000));
            p.join();
            assertThat(p.cancels).as("a completed source is not cancelled").hasValue(0);
            assertThat(p.subscribes).hasValue(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void thePublisherIsNeverMoreThanThePrefetchAheadAndDemandComesInBatches(Where where) throws Exception {
        for (int prefetch : new int[] {1, 2, 3, 8, 256}) {
            for (CountingPublisher.Delivery d : CountingPublisher.Delivery.values()) {
                CountingPublisher p = new CountingPublisher(5_000, d);
                assertThat(where.run(() -> drain(p, prefetch))).isEqualTo(range(5_000));
                p.join();
                String what = d + " prefetch " + prefetch;
                assertThat(p.maxAhead.get()).as(what).isLessThanOrEqualTo(prefetch);
                if (d == CALLER) {
                    assertThat(p.maxAhead.get()).as(what + ": a synchronous source fills the prefetch").isEqualTo(prefetch);
                }
                int batch = prefetch - prefetch / 4;
                List<Long> requests = List.copyOf(p.requests);
                assertThat(requests.get(0)).as(what).isEqualTo(prefetch);
                assertThat(requests.subList(1, requests.size())).as(what).containsOnly((long) batch);
                assertThat(p.requestedTotal.get()).as(what + ": no more than taken + prefetch")
                        .isLessThanOrEqualTo(5_000 + prefetch);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void demandFollowsConsumptionNotSubscription(Where where) throws Exception {
        CountingPublisher p = new CountingPublisher(-1, CALLER);
        where.run(() -> {
            try (AsyncIterator<Integer> it = Async.iterate(p, 8)) {
                assertThat(p.requests).as("nothing requested before the first take").isEmpty();
                for (int i = 0; i < 6; i++) {
                    assertThat(it.next()).isEqualTo(i);
                }
                assertThat(p.requests).as("six taken, nothing more asked yet").containsExactly(8L);
                assertThat(it.next()).isEqualTo(6);
                assertThat(p.requests).as("the seventh take asks for a batch").containsExactly(8L, 6L);
            }
            return null;
        });
        assertThat(p.cancels).hasValue(1);
    }

    // ---------------------------------------------------------------- leaving early

    @ParameterizedTest
    @EnumSource(Where.class)
    void breakingOutCancelsTheSubscriptionExactlyOnceAndNothingIsRequestedAfter(Where where) throws Exception {
        for (CountingPublisher.Delivery d : CountingPublisher.Delivery.values()) {
            CountingPublisher p = new CountingPublisher(-1, d);
            List<Integer> got = where.run(() -> {
                List<Integer> l = new ArrayList<>();
                try (AsyncIterator<Integer> it = Async.iterate(p, 4)) {
                    while (it.hasNext()) {
                        int v = it.next();
                        if (v == 100) {
                            break;
                        }
                        l.add(v);
                    }
                    it.close();
                    it.close();
                    assertThatThrownBy(it::hasNext).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
                    assertThatThrownBy(it::next).isInstanceOf(IllegalStateException.class);
                }
                return l;
            });
            p.join();
            assertThat(got).as(d.name()).isEqualTo(range(100));
            assertThat(p.cancels).as(d.name()).hasValue(1);
            assertThat(p.requestsAfterCancel).as(d.name()).hasValue(0);
        }
    }

    @Test
    void closingBeforeTheSubscriptionArrivesCancelsItWhenItComes() throws Exception {
        AtomicReference<Flow.Subscriber<? super Integer>> subscriber = new AtomicReference<>();
        Flow.Publisher<Integer> late = subscriber::set;
        AsyncIterator<Integer> it = Async.iterate(late);
        it.close();
        AtomicInteger cancels = new AtomicInteger();
        AtomicInteger requests = new AtomicInteger();
        Thread t = Thread.ofPlatform().start(() -> subscriber.get().onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                requests.incrementAndGet();
            }

            @Override
            public void cancel() {
                cancels.incrementAndGet();
            }
        }));
        t.join();
        assertThat(cancels).hasValue(1);
        assertThat(requests).hasValue(0);
    }

    @Test
    void aSecondSubscriptionIsCancelledAndNullSignalsAreRefused() throws Exception {
        CountingPublisher p = new CountingPublisher(3, CALLER);
        AtomicReference<Flow.Subscriber<? super Integer>> sub = new AtomicReference<>();
        Flow.Publisher<Integer> spy = s -> {
            sub.set(s);
            p.subscribe(s);
        };
        try (AsyncIterator<Integer> it = Async.iterate(spy)) {
            CountingPublisher other = new CountingPublisher(3, CALLER);
            other.subscribe(sub.get()); // rule 2.5: a second onSubscribe is cancelled
            assertThat(other.cancels).hasValue(1);
            assertThatThrownBy(() -> sub.get().onNext(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> sub.get().onError(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> sub.get().onSubscribe(null)).isInstanceOf(NullPointerException.class);
            it.forEachRemaining(v -> { });
        }
        assertThat(p.cancels).hasValue(0);
    }

    // ---------------------------------------------------------------- cancellation of the consumer

    @Test
    void cancellingTheConsumingTaskCancelsTheSubscription() throws Exception {
        for (CountingPublisher.Delivery d : CountingPublisher.Delivery.values()) {
            // 10 values, then silence: the task waits in hasNext when it is cancelled.
            CountingPublisher p = new CountingPublisher(-1, d);
            AtomicInteger got = new AtomicInteger();
            AtomicReference<AsyncIterator<Integer>> iter = new AtomicReference<>();
            onGuardedLoop(() -> {
                Flow.Publisher<Integer> tenThenSilence = s -> p.subscribe(new LimitingSubscriber(s, 10));
                LoopFuture<Void> tookTen = EventLoop.current().createFuture();
                Task<Void> consumer = Async.spawn(() -> {
                    try (AsyncIterator<Integer> it = Async.iterate(tenThenSilence, 4)) {
                        iter.set(it);
                        while (it.hasNext()) {
                            assertThat(it.next()).isEqualTo(got.getAndIncrement());
                            if (got.get() == 10) {
                                tookTen.complete(null);
                            }
                        }
                    } catch (Throwable e) {
                        tookTen.completeExceptionally(e); // fail the test rather than wait for ever
                        throw e;
                    }
                    return null;
                });
                Async.await(tookTen);
                consumer.cancel("stop");
                assertThatThrownBy(() -> Async.await(consumer)).isInstanceOf(CancelledException.class).hasMessage("stop");
                return null;
            });
            p.join();
            assertThat(got).hasValue(10);
            assertThat(p.cancels).as(d.name()).hasValue(1);
            assertThat(p.requestsAfterCancel).hasValue(0);
            assertThatThrownBy(() -> iter.get().hasNext()).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aTimeoutAroundTheLoopEndsTheWaitAndCancelsTheSubscription() throws Exception {
        CountingPublisher p = new CountingPublisher(-1, CALLER);
        Flow.Publisher<Integer> threeThenSilence = s -> p.subscribe(new LimitingSubscriber(s, 3));
        List<Integer> got = new ArrayList<>();
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            assertThatThrownBy(() -> loop.runUntilComplete(() -> {
                try (Timeout t = Async.timeout(Duration.ofSeconds(30));
                     AsyncIterator<Integer> it = Async.iterate(threeThenSilence)) {
                    while (it.hasNext()) {
                        got.add(it.next());
                    }
                }
                return null;
            })).isInstanceOf(TimeoutException.class);
        }
        p.join();
        assertThat(got).containsExactly(0, 1, 2);
        assertThat(p.cancels).hasValue(1);
    }

    @Test
    void anInterruptedThreadStopsWaitingAndCancelsTheSubscription() throws Exception {
        CountingPublisher p = new CountingPublisher(-1, OWN_THREAD);
        Flow.Publisher<Integer> twoThenSilence = s -> p.subscribe(new LimitingSubscriber(s, 2));
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        CountDownLatch tookTwo = new CountDownLatch(1);
        Thread consumer = Thread.ofPlatform().name("consumer").start(() -> {
            try (AsyncIterator<Integer> it = Async.iterate(twoThenSilence)) {
                it.next();
                it.next();
                tookTwo.countDown();
                it.hasNext();
                outcome.complete(null);
            } catch (Throwable e) {
                outcome.complete(e);
            }
        });
        tookTwo.await();
        while (consumer.getState() != Thread.State.WAITING && !outcome.isDone()) {
            Thread.onSpinWait();
        }
        consumer.interrupt();
        assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
        consumer.join();
        p.join();
        assertThat(p.cancels).hasValue(1);
    }

    // ---------------------------------------------------------------- errors and the end

    @ParameterizedTest
    @EnumSource(Where.class)
    void aPublisherErrorIsThrownUnwrappedAfterTheValuesBeforeIt(Where where) throws Exception {
        for (CountingPublisher.Delivery d : CountingPublisher.Delivery.values()) {
            CountingPublisher p = new CountingPublisher(5, d);
            IOException boom = new IOException("boom");
            p.failWith = boom;
            List<Integer> got = new ArrayList<>();
            IOException caught = where.run(() -> {
                try (AsyncIterator<Integer> it = Async.iterate(p, 2)) {
                    try {
                        while (it.hasNext()) {
                            got.add(it.next());
                        }
                    } catch (IOException e) { // a checked exception, caught by its own type
                        assertThat(it.hasNext()).as("thrown once; then the iteration is over").isFalse();
                        return e;
                    }
                }
                return null;
            });
            p.join();
            assertThat(got).containsExactly(0, 1, 2, 3, 4);
            assertThat(caught).isSameAs(boom);
            assertThat(caught.getSuppressed()).anySatisfy(s -> assertThat(s).hasMessageContaining("awaited here"));
            assertThat(p.cancels).as("a failed source is not cancelled").hasValue(0);
        }
    }

    @Test
    void anErrorArrivingWhileTheTaskWaitsWakesIt() throws Exception {
        AtomicReference<Flow.Subscriber<? super Integer>> sub = new AtomicReference<>();
        CountDownLatch subscribed = new CountDownLatch(1);
        Flow.Publisher<Integer> p = s -> {
            sub.set(s);
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    subscribed.countDown();
                }

                @Override
                public void cancel() {
                    throw new AssertionError("a failed source is not cancelled");
                }
            });
        };
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            CompletableFuture<Object> outcome = Threads.runCoroutineThreadsafe(() -> {
                try (AsyncIterator<Integer> it = Async.iterate(p)) {
                    return it.hasNext();
                } catch (IllegalStateException e) {
                    return e;
                }
            }, bg.loop);
            subscribed.await();
            IllegalStateException failure = new IllegalStateException("source failed");
            sub.get().onError(failure);
            assertThat(outcome.get()).isSameAs(failure);
        }
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void afterTheEndHasNextIsFalseAndNextThrows(Where where) throws Exception {
        CountingPublisher p = new CountingPublisher(1, CALLER);
        where.run(() -> {
            AsyncIterator<Integer> it = Async.iterate(p);
            assertThat(it.next()).isZero();
            assertThat(it.hasNext()).isFalse();
            assertThat(it.hasNext()).isFalse();
            assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
            it.close();
            return null;
        });
        assertThat(p.cancels).hasValue(0);
    }

    @ParameterizedTest
    @EnumSource(Where.class)
    void aPublisherSendingMoreThanRequestedFailsTheIterationAndIsCancelled(Where where) throws Exception {
        CountingPublisher p = new CountingPublisher(-1, CALLER);
        p.flood = 10;
        List<Integer> got = new ArrayList<>();
        Throwable failure = where.run(() -> {
            try (AsyncIterator<Integer> it = Async.iterate(p, 4)) {
                while (it.hasNext()) {
                    got.add(it.next());
                }
                return null;
            } catch (IllegalStateException e) {
                return e;
            }
        });
        assertThat(failure).hasMessageContaining("more values than were requested").hasMessageContaining("1.1");
        assertThat(got).as("what fitted in the prefetch is delivered").containsExactly(0, 1, 2, 3);
        assertThat(p.cancels).hasValue(1);
    }

    @Test
    void aPublisherSendingBeforeAnyRequestFailsTheIteration() throws Exception {
        AtomicInteger cancels = new AtomicInteger();
        Flow.Publisher<Integer> eager = s -> {
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                    cancels.incrementAndGet();
                }
            });
            for (int i = 0; i < 3; i++) {
                s.onNext(i); // nobody asked
            }
        };
        List<Integer> got = new ArrayList<>();
        try (AsyncIterator<Integer> it = Async.iterate(eager, 4)) {
            assertThatThrownBy(() -> {
                while (it.hasNext()) {
                    got.add(it.next());
                }
            }).isInstanceOf(IllegalStateException.class).hasMessageContaining("before any was requested");
        }
        assertThat(got).as("values nobody requested are not handed out").isEmpty();
        assertThat(cancels).hasValue(1);
    }

    // ---------------------------------------------------------------- forEach and the one rule

    @ParameterizedTest
    @EnumSource(Where.class)
    void forEachTakesEverythingAndAnActionFailureCancels(Where where) throws Exception {
        CountingPublisher all = new CountingPublisher(1_000, CALLER);
        long sum = where.run(() -> {
            long[] s = {0};
            Async.forEach(all, v -> s[0] += v);
            return s[0];
        });
        assertThat(sum).isEqualTo(999L * 1_000 / 2);

        CountingPublisher endless = new CountingPublisher(-1, OWN_THREAD);
        IOException stop = new IOException("enough");
        assertThatThrownBy(() -> where.run(() -> {
            Async.forEach(endless, v -> {
                if (v == 50) {
                    throw stop;
                }
            });
            return null;
        })).isSameAs(stop);
        endless.join();
        assertThat(endless.cancels).hasValue(1);
    }

    @Test
    void aLoopThreadOutsideAnyTaskIsRefusedBeforeSubscribing() throws Exception {
        CountingPublisher p = new CountingPublisher(3, CALLER);
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            Throwable refused = PrimitiveTesting.onLoopThread(bg, () -> {
                try {
                    Async.iterate(p);
                    return null;
                } catch (BlockingOnLoopException e) {
                    return e;
                }
            });
            assertThat(refused).isInstanceOf(BlockingOnLoopException.class).hasMessageContaining("outside any task");
            // An iterator made elsewhere and taken from on the loop thread is refused at its first take there.
            AsyncIterator<Integer> it = Async.iterate(p);
            Throwable refusedTake = PrimitiveTesting.onLoopThread(bg, () -> {
                try {
                    it.hasNext();
                    return null;
                } catch (BlockingOnLoopException e) {
                    return e;
                }
            });
            assertThat(refusedTake).isInstanceOf(BlockingOnLoopException.class);
            it.close();
        }
        assertThat(p.subscribes).as("the refused call did not subscribe").hasValue(1);
    }

    @Test
    void prefetchIsValidated() {
        CountingPublisher p = new CountingPublisher(1, CALLER);
        assertThatThrownBy(() -> Async.iterate(p, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefetch");
        assertThatThrownBy(() -> Async.iterate(p, (1 << 20) + 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(p.subscribes).hasValue(0);
    }

    // ---------------------------------------------------------------- many at once

    @Test
    void manyTasksAndThreadsEachIterateTheirOwnThreadedPublisherExactly() throws Exception {
        int tasks = 8;
        int threads = 4;
        int n = 20_000;
        List<CountingPublisher> pubs = new ArrayList<>();
        List<Thread> consumers = new ArrayList<>();
        List<CompletableFuture<List<Integer>>> threadResults = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            CountingPublisher p = new CountingPublisher(n, OWN_THREAD);
            pubs.add(p);
            CompletableFuture<List<Integer>> r = new CompletableFuture<>();
            threadResults.add(r);
            int prefetch = 1 + i;
            consumers.add(Thread.ofPlatform().start(() -> {
                try {
                    r.complete(drain(p, prefetch));
                } catch (Throwable e) {
                    r.completeExceptionally(e);
                }
            }));
        }
        List<List<Integer>> taskResults = onGuardedLoop(() -> {
            List<Task<List<Integer>>> ts = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                CountingPublisher p = new CountingPublisher(n, OWN_THREAD);
                pubs.add(p);
                int prefetch = 1 + i;
                ts.add(Async.spawn(() -> drain(p, prefetch)));
            }
            return Async.await(Async.gather(ts));
        });
        for (Thread t : consumers) {
            t.join();
        }
        for (CountingPublisher p : pubs) {
            p.join();
            assertThat(p.cancels).hasValue(0);
        }
        List<Integer> expected = range(n);
        for (CompletableFuture<List<Integer>> r : threadResults) {
            assertThat(r.get()).isEqualTo(expected);
        }
        assertThat(taskResults).hasSize(tasks).allSatisfy(l -> assertThat(l).isEqualTo(expected));
    }

    /** Passes on the first {@code limit} values only, and asks the source for no more than that. */
    static final class LimitingSubscriber implements Flow.Subscriber<Integer> {
        private final Flow.Subscriber<? super Integer> downstream;
        private final long limit;
        private long sent;

        LimitingSubscriber(Flow.Subscriber<? super Integer> downstream, long limit) {
            this.downstream = downstream;
            this.limit = limit;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            downstream.onSubscribe(new Flow.Subscription() {
                private long granted;

                @Override
                public void request(long n) {
                    long give = Math.min(n, limit - granted);
                    granted += give;
                    if (give > 0) {
                        s.request(give);
                    }
                }

                @Override
                public void cancel() {
                    s.cancel();
                }
            });
        }

        @Override
        public void onNext(Integer v) {
            if (sent++ < limit) {
                downstream.onNext(v);
            }
        }

        @Override
        public void onError(Throwable t) {
            downstream.onError(t);
        }

        @Override
        public void onComplete() {
            downstream.onComplete();
        }
    }

    /**
     * A source that sends more than requested fails the iteration, whatever the prefetch: with a
     * prefetch of 3 the ring has 4 slots, and a fourth value used to slip into the free one.
     */
    @Test
    void aSourceSendingMoreThanRequestedFailsTheIterationWhateverThePrefetch() throws Exception {
        AtomicInteger cancels = new AtomicInteger();
        Flow.Publisher<Integer> overEager = s -> s.onSubscribe(new Flow.Subscription() {
            boolean sent;

            @Override
            public void request(long n) {
                if (sent) {
                    return;
                }
                sent = true;
                for (int i = 0; i <= n; i++) { // one more than requested
                    s.onNext(i);
                }
                s.onComplete();
            }

            @Override
            public void cancel() {
                cancels.incrementAndGet();
            }
        });
        List<Integer> got = new ArrayList<>();
        assertThatThrownBy(() -> {
            try (AsyncIterator<Integer> it = Async.iterate(overEager, 3)) {
                while (it.hasNext()) {
                    got.add(it.next());
                }
            }
        }).isInstanceOf(IllegalStateException.class).hasMessageContaining("more values than were requested");
        assertThat(got).containsExactly(0, 1, 2);
    }

    /**
     * Closing the iterator from another task while the consumer waits in hasNext ends that wait
     * with a clear exception; the consumer used to wait forever (close had cancelled the source).
     */
    @Test
    void closingFromAnotherTaskEndsTheConsumersWait() throws Exception {
        AtomicInteger cancels = new AtomicInteger();
        Flow.Publisher<Integer> silent = s -> s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
                cancels.incrementAndGet();
            }
        });
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            Object outcome = loop.runUntilComplete(() -> {
                AsyncIterator<Integer> it = Async.iterate(silent);
                LoopFuture<Void> waiting = EventLoop.current().createFuture();
                Task<Object> reader = Async.spawn(() -> {
                    waiting.complete(null);
                    try {
                        return it.hasNext();
                    } catch (Exception e) {
                        return e;
                    }
                });
                Async.await(waiting);
                Async.checkpoint(); // the reader now waits in hasNext
                it.close();
                // A timeout does not cancel the reader (asyncio.wait): it tells whether the reader ended.
                Async.wait(List.of(reader), Duration.ofHours(1), Async.ReturnWhen.ALL_COMPLETED);
                if (!reader.isDone()) {
                    reader.cancel();
                    return "the reader still waited an hour after close";
                }
                return Async.await(reader);
            });
            assertThat(outcome).isInstanceOf(IllegalStateException.class)
                    .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                    .hasMessageContaining("was closed while hasNext() waited");
            assertThat(cancels).hasValue(1);
        }
    }
}
