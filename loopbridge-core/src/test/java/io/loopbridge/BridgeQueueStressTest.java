package io.loopbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Many producers and consumers on both faces of one small queue: every item is delivered
 * exactly once, each consumer sees each producer's items in order, and close() ends every
 * consumer cleanly.
 */
class BridgeQueueStressTest {
    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 20_000;

    @Test
    void everyItemIsDeliveredExactlyOnceAcrossThreadsAndTasks() throws Exception {
        BridgeQueue<Long> q = new BridgeQueue<>(16);
        List<CompletableFuture<List<Long>>> consumed = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.builder().name("stress").build())) {
            for (int c = 0; c < 4; c++) {
                CompletableFuture<List<Long>> out = new CompletableFuture<>();
                consumed.add(out);
                threads.add(Thread.ofPlatform().name("consumer-" + c).start(() -> {
                    try {
                        out.complete(drain(q));
                    } catch (Throwable e) {
                        out.completeExceptionally(e);
                    }
                }));
            }
            List<Task<List<Long>>> tasks = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(1);
            AtomicReference<Throwable> startFailure = new AtomicReference<>();
            bg.loop.callSoonThreadsafe(() -> {
                try {
                    for (int c = 0; c < 4; c++) {
                        tasks.add(bg.loop.createTask("consumer-task-" + c, () -> drain(q)));
                    }
                } catch (Throwable e) {
                    startFailure.set(e);
                } finally {
                    started.countDown();
                }
            });
            started.await();
            assertThat(startFailure.get()).isNull();
            for (Task<List<Long>> t : tasks) {
                consumed.add(t.toCompletableFuture());
            }
            List<Thread> producers = new ArrayList<>();
            for (int p = 0; p < PRODUCERS; p++) {
                long id = p;
                producers.add(Thread.ofPlatform().name("producer-" + p).start(() -> {
                    try {
                        for (long i = 0; i < PER_PRODUCER; i++) {
                            q.put(id << 32 | i);
                        }
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            for (Thread t : producers) {
                t.join();
            }
            q.close();
            List<List<Long>> all = new ArrayList<>();
            for (CompletableFuture<List<Long>> f : consumed) {
                all.add(Async.await(f));
            }
            for (Thread t : threads) {
                t.join();
            }
            check(all);
            assertThat(q.isDrained()).isTrue();
        }
    }

    /** Takes until the queue is closed and drained. */
    private static List<Long> drain(BridgeQueue<Long> q) throws Exception {
        List<Long> got = new ArrayList<>();
        try {
            while (true) {
                got.add(q.take());
            }
        } catch (BridgeQueueClosedException end) {
            return got;
        }
    }

    private static void check(List<List<Long>> perConsumer) {
        long count = 0;
        long sum = 0;
        Set<Long> seen = new HashSet<>();
        int consumersThatGotItems = 0;
        for (List<Long> items : perConsumer) {
            long[] last = new long[PRODUCERS];
            java.util.Arrays.fill(last, -1);
            for (long v : items) {
                int producer = (int) (v >>> 32);
                long seq = v & 0xffffffffL;
                assertThat(seq).as("per-producer order within one consumer").isGreaterThan(last[producer]);
                last[producer] = seq;
                assertThat(seen.add(v)).as("item %s delivered twice", v).isTrue();
                count++;
                sum += seq;
            }
            if (!items.isEmpty()) {
                consumersThatGotItems++;
            }
        }
        long perProducerSum = (long) PER_PRODUCER * (PER_PRODUCER - 1) / 2;
        assertThat(count).isEqualTo((long) PRODUCERS * PER_PRODUCER);
        assertThat(sum).isEqualTo(PRODUCERS * perProducerSum);
        assertThat(consumersThatGotItems).isPositive();
    }
}
