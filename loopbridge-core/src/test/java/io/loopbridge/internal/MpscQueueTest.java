package io.loopbridge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MpscQueueTest {

    /** An element: who offered it and its rank among that producer's elements. */
    static final class Item extends MpscQueue.Node {
        final int producer;
        final int seq;

        Item(int producer, int seq) {
            this.producer = producer;
            this.seq = seq;
        }

        @Override
        public String toString() {
            return producer + ":" + seq;
        }
    }

    @Test
    void aNewQueueIsEmptyAndPollsNull() {
        MpscQueue<Item> q = new MpscQueue<>();
        assertThat(q.isEmpty()).isTrue();
        assertThat(q.isLinking()).isFalse();
        assertThat(q.poll()).isNull();
        assertThat(q.poll()).isNull();
        assertThat(q.isEmpty()).isTrue();
    }

    @Test
    void oneProducersElementsComeOutInOfferOrderEachOnce() {
        MpscQueue<Item> q = new MpscQueue<>();
        List<Item> offered = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Item it = new Item(0, i);
            offered.add(it);
            q.offer(it);
            assertThat(q.isEmpty()).isFalse();
            assertThat(q.isLinking()).isFalse();
        }
        List<Item> polled = new ArrayList<>();
        Item it;
        while ((it = q.poll()) != null) {
            polled.add(it);
        }
        assertThat(polled).containsExactlyElementsOf(offered); // same instances, same order
        assertThat(q.isEmpty()).isTrue();
        assertThat(q.poll()).isNull();
    }

    @Test
    void theLastPolledElementIsNotReturnedAgain() {
        // It stays inside as the queue's stub until the next poll: the reason a node may be
        // offered only once (re-offering it now would link it to itself).
        MpscQueue<Item> q = new MpscQueue<>();
        Item a = new Item(0, 0);
        q.offer(a);
        assertThat(q.poll()).isSameAs(a);
        assertThat(q.poll()).isNull();
        assertThat(q.isEmpty()).isTrue();
        Item b = new Item(0, 1);
        Item c = new Item(0, 2);
        q.offer(b);
        q.offer(c);
        assertThat(q.poll()).isSameAs(b);
        assertThat(q.poll()).isSameAs(c);
        assertThat(q.poll()).isNull();
        assertThat(q.isEmpty()).isTrue();
    }

    @Test
    void interleavedOffersAndPollsKeepOrder() {
        MpscQueue<Item> q = new MpscQueue<>();
        int next = 0;
        int expected = 0;
        for (int round = 0; round < 50; round++) {
            for (int i = 0; i < round % 7 + 1; i++) {
                q.offer(new Item(0, next++));
            }
            for (int i = 0; i < round % 5 + 1; i++) {
                Item it = q.poll();
                if (it == null) {
                    assertThat(expected).isEqualTo(next);
                    assertThat(q.isEmpty()).isTrue();
                    break;
                }
                assertThat(it.seq).isEqualTo(expected++);
            }
        }
        Item it;
        while ((it = q.poll()) != null) {
            assertThat(it.seq).isEqualTo(expected++);
        }
        assertThat(expected).isEqualTo(next);
    }

    @Test
    void anElementStillBeingLinkedMakesTheQueueNeitherEmptyNorPollable() throws Exception {
        // A producer preempted between its swap of the tail and its link: simulate those two
        // steps of offer() separately.
        MpscQueue<Item> q = new MpscQueue<>();
        Item first = new Item(0, 0);
        q.offer(first);
        assertThat(q.poll()).isSameAs(first); // first is now the stub
        Item late = new Item(1, 0);
        MpscQueue.Node prev = tail(q).getAndSet(late);
        assertThat(prev).isSameAs(first);

        assertThat(q.poll()).isNull();
        assertThat(q.isEmpty()).isFalse();
        assertThat(q.isLinking()).isTrue();

        prev.next = late; // the producer resumes
        assertThat(q.isLinking()).isFalse();
        assertThat(q.isEmpty()).isFalse();
        assertThat(q.poll()).isSameAs(late);
        assertThat(q.isEmpty()).isTrue();
        assertThat(q.isLinking()).isFalse();
    }

    @Test
    void elementsOfferedBehindOneStillBeingLinkedWaitForIt() throws Exception {
        MpscQueue<Item> q = new MpscQueue<>();
        Item stalled = new Item(1, 0);
        MpscQueue.Node prev = tail(q).getAndSet(stalled); // swapped, not linked yet
        Item after = new Item(2, 0);
        q.offer(after); // links behind the stalled one
        assertThat(q.poll()).isNull(); // the chain is cut until the stalled producer links
        assertThat(q.isLinking()).isTrue();
        prev.next = stalled;
        assertThat(q.poll()).isSameAs(stalled);
        assertThat(q.poll()).isSameAs(after);
        assertThat(q.isEmpty()).isTrue();
    }

    @Test
    void manyProducersLoseNothingAndDuplicateNothingAndKeepEachProducersOrder() throws Exception {
        int producers = 4;
        int perProducer = 50_000;
        MpscQueue<Item> q = new MpscQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int p = 0; p < producers; p++) {
            int id = p;
            threads.add(Thread.ofPlatform().name("mpsc-producer-" + p).start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < perProducer; i++) {
                        q.offer(new Item(id, i));
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            }));
        }
        CompletableFuture<int[]> consumed = new CompletableFuture<>();
        Thread consumer = Thread.ofPlatform().name("mpsc-consumer").start(() -> {
            try {
                int[] nextSeq = new int[producers];
                int total = 0;
                while (total < producers * perProducer) {
                    Item it = q.poll();
                    if (it == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    if (it.seq != nextSeq[it.producer]) {
                        throw new AssertionError("producer " + it.producer + ": expected element " + nextSeq[it.producer]
                                + " but polled " + it.seq);
                    }
                    nextSeq[it.producer]++;
                    total++;
                }
                // Every producer is done: nothing may come out any more.
                for (Thread t : threads) {
                    t.join();
                }
                if (q.poll() != null || !q.isEmpty() || q.isLinking()) {
                    throw new AssertionError("an element came out twice or the queue is not empty at the end");
                }
                consumed.complete(nextSeq);
            } catch (Throwable e) {
                consumed.completeExceptionally(e);
            }
        });
        start.countDown();
        int[] counts = consumed.get(30, TimeUnit.SECONDS);
        consumer.join();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(counts).containsOnly(perProducer);
    }

    @SuppressWarnings("unchecked")
    private static AtomicReference<MpscQueue.Node> tail(MpscQueue<?> q) throws ReflectiveOperationException {
        Field f = MpscQueue.class.getDeclaredField("tail");
        f.setAccessible(true);
        return (AtomicReference<MpscQueue.Node>) f.get(q);
    }
}
