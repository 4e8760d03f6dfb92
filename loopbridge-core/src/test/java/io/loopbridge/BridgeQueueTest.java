package io.loopbridge;

import static io.loopbridge.PrimitiveTesting.onLoopThread;
import static io.loopbridge.PrimitiveTesting.settle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BridgeQueueTest {

    @Test
    void threadsPutAndTakeInFifoOrderWithBackPressure() throws Exception {
        BridgeQueue<Integer> q = new BridgeQueue<>(2);
        Thread producer = Thread.ofPlatform().name("producer").start(() -> {
            try {
                for (int i = 0; i < 100; i++) {
                    q.put(i);
                }
                q.close();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        List<Integer> got = new ArrayList<>();
        try {
            while (true) {
                got.add(q.take());
                assertThat(q.size()).isLessThanOrEqualTo(2);
            }
        } catch (BridgeQueueClosedException done) {
            assertThat(done).hasMessageContaining("closed");
        }
        producer.join();
        assertThat(got).hasSize(100).isSorted();
        assertThat(q.isDrained()).isTrue();
    }

    @Test
    void nonWaitingCallsReportFullAndEmpty() {
        BridgeQueue<String> q = new BridgeQueue<>(1);
        assertThat(q.poll()).isNull();
        assertThat(q.offer("a")).isTrue();
        assertThat(q.offer("b")).isFalse();
        assertThat(q.poll()).isEqualTo("a");
        assertThatThrownBy(() -> q.offer(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new BridgeQueue<>(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void timedCallsGiveUpAfterTheirTimeout() throws Exception {
        BridgeQueue<String> q = new BridgeQueue<>(1);
        assertThat(q.poll(Duration.ofMillis(5))).isNull();
        assertThat(q.offer("a", Duration.ofMillis(5))).isTrue();
        assertThat(q.offer("b", Duration.ofMillis(5))).isFalse();
        assertThat(q.poll(Duration.ZERO)).isEqualTo("a");
        assertThat(q.toString()).doesNotContain("waiting");
    }

    @Test
    void closeLetsConsumersDrainThenSignalsTheEnd() throws Exception {
        BridgeQueue<String> q = new BridgeQueue<>(4);
        q.put("a");
        q.put("b");
        q.close();
        q.close();
        assertThat(q.isClosed()).isTrue();
        assertThatThrownBy(() -> q.put("c")).isInstanceOf(BridgeQueueClosedException.class);
        assertThatThrownBy(() -> q.offer("c")).isInstanceOf(BridgeQueueClosedException.class);
        assertThat(q.isDrained()).isFalse();
        assertThat(q.take()).isEqualTo("a");
        assertThat(q.poll(Duration.ofDays(1))).isEqualTo("b");
        assertThat(q.isDrained()).isTrue();
        assertThat(q.poll()).isNull();
        assertThat(q.poll(Duration.ofDays(1))).as("no wait once drained").isNull();
        assertThatThrownBy(q::take).isInstanceOf(BridgeQueueClosedException.class);
    }

    @Test
    void closeWakesWaitingThreadsOnBothSides() throws Exception {
        BridgeQueue<String> empty = new BridgeQueue<>(1);
        BridgeQueue<String> full = new BridgeQueue<>(1);
        full.put("x");
        CompletableFuture<Throwable> taker = new CompletableFuture<>();
        CompletableFuture<Throwable> putter = new CompletableFuture<>();
        Thread t1 = Thread.ofPlatform().start(() -> taker.complete(catching(empty::take)));
        Thread t2 = Thread.ofPlatform().start(() -> putter.complete(catching(() -> {
            full.put("y");
            return null;
        })));
        awaitWaiting(empty, "takers");
        awaitWaiting(full, "putters");
        empty.close();
        full.close();
        assertThat(taker.get()).isInstanceOf(BridgeQueueClosedException.class);
        assertThat(putter.get()).isInstanceOf(BridgeQueueClosedException.class);
        t1.join();
        t2.join();
        assertThat(full.take()).isEqualTo("x");
    }

    @Test
    void anInterruptedThreadLeavesTheLine() throws Exception {
        BridgeQueue<String> q = new BridgeQueue<>(1);
        CompletableFuture<Throwable> taker = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().start(() -> taker.complete(catching(q::take)));
        awaitWaiting(q, "takers");
        t.interrupt();
        assertThat(taker.get()).isInstanceOf(InterruptedException.class);
        t.join();
        assertThat(q.toString()).doesNotContain("waiting");
    }

    @Test
    void aTaskWaitingForAnItemParksTheTaskNotTheLoop() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            BridgeQueue<String> q = new BridgeQueue<>(1);
            LoopFuture<String> waiter = submitTask(bg, q::take);
            awaitWaiting(q, "takers");
            // While the task waits, the loop thread serves callbacks and runs other tasks.
            assertThat(onLoopThread(bg, () -> "alive")).isEqualTo("alive");
            assertThat(Async.await(submitTask(bg, () -> "another task ran"))).isEqualTo("another task ran");
            assertThat(waiter.isDone()).isFalse();
            q.put("from a thread");
            assertThat(Async.await(waiter)).isEqualTo("from a thread");
        }
    }

    @Test
    void aThreadBlockedOnAFullQueueIsReleasedByATask() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            BridgeQueue<Integer> q = new BridgeQueue<>(1);
            LoopFuture<List<Integer>> consumer = submitTask(bg, () -> {
                List<Integer> l = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    l.add(q.take());
                }
                return l;
            });
            for (int i = 0; i < 20; i++) {
                q.put(i);
            }
            assertThat(Async.await(consumer)).hasSize(20).isSorted();
        }
    }

    @Test
    void theLoopThreadOutsideATaskMayNotWaitButMayOfferAndPoll() throws Exception {
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.create())) {
            BridgeQueue<String> q = new BridgeQueue<>(1);
            assertThatThrownBy(() -> onLoopThread(bg, q::take)).isInstanceOf(BlockingOnLoopException.class)
                    .hasMessageContaining("BridgeQueue.take");
            assertThatThrownBy(() -> onLoopThread(bg, () -> {
                q.put("x");
                return null;
            })).isInstanceOf(BlockingOnLoopException.class);
            assertThat(onLoopThread(bg, () -> q.offer("x"))).isTrue();
            String polled = onLoopThread(bg, q::poll);
            assertThat(polled).isEqualTo("x");
        }
    }

    @Test
    void aTaskWokenThenCancelledPassesTheItemOn() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            BridgeQueue<String> q = new BridgeQueue<>(4);
            loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(q::take);
                Task<String> b = Async.spawn(q::take);
                settle();
                assertThat(q.offer("x")).isTrue(); // wakes a ...
                a.cancel("too late"); // ... which is cancelled before it runs
                assertThat(Async.await(b)).isEqualTo("x");
                Async.await(Async.gatherSettled(List.of(a)));
                assertThat(a.isCancelled()).isTrue();
                assertThat(q.size()).isZero();
                return null;
            });
        }
    }

    @Test
    void aCancelledTaskWaiterLeavesTheLine() throws Exception {
        try (EventLoop loop = EventLoop.create()) {
            BridgeQueue<String> q = new BridgeQueue<>(1);
            loop.runUntilComplete(() -> {
                Task<String> a = Async.spawn(q::take);
                settle();
                a.cancel("bye");
                Async.await(Async.gatherSettled(List.of(a)));
                assertThat(q.toString()).doesNotContain("waiting");
                assertThat(q.offer("x")).isTrue();
                assertThat(q.poll()).isEqualTo("x");
                return null;
            });
        }
    }

    @Test
    void aTaskTimesOutOnItsLoopsClock() throws Exception {
        try (EventLoop loop = EventLoop.builder().clock(VirtualClock.autoAdvancing()).build()) {
            BridgeQueue<String> q = new BridgeQueue<>(1);
            q.put("full");
            loop.runUntilComplete(() -> {
                assertThat(q.offer("more", Duration.ofHours(1))).isFalse();
                assertThat(q.poll(Duration.ofHours(1))).isEqualTo("full");
                assertThat(q.poll(Duration.ofHours(1))).isNull();
                assertThat(q.toString()).doesNotContain("waiting");
                return null;
            });
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Runs {@code body} as a task of the background loop; the result is a future of that loop. */
    private static <T> LoopFuture<T> submitTask(TestLoops.Background bg, java.util.concurrent.Callable<T> body)
            throws Exception {
        AtomicReference<Task<T>> task = new AtomicReference<>();
        CountDownLatch created = new CountDownLatch(1);
        bg.loop.callSoonThreadsafe(() -> {
            task.set(bg.loop.createTask(body));
            created.countDown();
        });
        created.await();
        return task.get();
    }

    private static Throwable catching(java.util.concurrent.Callable<?> c) {
        try {
            c.call();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    /** Waits (without sleeping a fixed time) until someone queues as a waiter on {@code q}. */
    private static void awaitWaiting(BridgeQueue<?> q, String side) {
        while (!q.toString().contains("waiting " + side)) {
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
