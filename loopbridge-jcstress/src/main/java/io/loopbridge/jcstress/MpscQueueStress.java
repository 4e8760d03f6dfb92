package io.loopbridge.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.loopbridge.internal.MpscQueue;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.L_Result;

/**
 * The loop's cross-thread queue ({@link MpscQueue}, behind {@code callSoonThreadsafe}): every
 * offered element comes out exactly once, and each producer's elements come out in the order
 * it offered them. Producer A offers a1 then a2, producer B offers b1 then b2; the outcome is
 * the order in which the single consumer took them. The only acceptable outcomes are the six
 * interleavings that keep a1 before a2 and b1 before b2: a lost element, a duplicate or a
 * reordering is any other string and is forbidden.
 *
 * <p>jcstress runs a test only when the machine has a CPU per actor, so the queue is raced in
 * three shapes: two producers with the consumer after them (2 actors), a producer racing the
 * loop thread that both offers and polls, as a loop posting to itself does (2 actors), and
 * two producers racing a dedicated consumer (3 actors, skipped on a 2-CPU machine).
 */
public final class MpscQueueStress {
    private MpscQueueStress() {
    }

    /** A queued element: its name is what the outcome records. */
    static final class Item extends MpscQueue.Node {
        final String name;

        Item(String name) {
            this.name = name;
        }
    }

    /** Consumer side: polls once, appending what it took (nothing when the poll is empty). */
    static void pollInto(MpscQueue<Item> queue, StringBuilder taken) {
        Item it = queue.poll();
        if (it != null) {
            taken.append(taken.isEmpty() ? "" : " ").append(it.name);
        }
    }

    /** The arbiter's drain: what is left, then a mark if the queue still claims to hold something. */
    static String drain(MpscQueue<Item> queue, StringBuilder taken) {
        Item it;
        while ((it = queue.poll()) != null) {
            taken.append(taken.isEmpty() ? "" : " ").append(it.name);
        }
        if (!queue.isEmpty()) {
            taken.append(" [not empty after draining]");
        }
        return taken.toString();
    }

    @JCStressTest
    @Outcome(id = {"a1 a2 b1 b2", "a1 b1 a2 b2", "a1 b1 b2 a2", "b1 a1 a2 b2", "b1 a1 b2 a2", "b1 b2 a1 a2"},
            expect = ACCEPTABLE, desc = "each element once, each producer's in its order")
    @Outcome(expect = FORBIDDEN, desc = "an element lost, duplicated or out of its producer's order")
    @State
    public static class TwoProducers {
        final MpscQueue<Item> queue = new MpscQueue<>();
        final Item a1 = new Item("a1");
        final Item a2 = new Item("a2");
        final Item b1 = new Item("b1");
        final Item b2 = new Item("b2");

        @Actor
        public void producerA() {
            queue.offer(a1);
            queue.offer(a2);
        }

        @Actor
        public void producerB() {
            queue.offer(b1);
            queue.offer(b2);
        }

        @Arbiter
        public void consumer(L_Result r) {
            r.r1 = drain(queue, new StringBuilder());
        }
    }

    @JCStressTest
    @Outcome(id = {"a1 a2 b1 b2", "a1 b1 a2 b2", "a1 b1 b2 a2", "b1 a1 a2 b2", "b1 a1 b2 a2", "b1 b2 a1 a2"},
            expect = ACCEPTABLE, desc = "each element once, each producer's in its order")
    @Outcome(expect = FORBIDDEN, desc = "an element lost, duplicated or out of its producer's order")
    @State
    public static class ProducerAndLoopThread {
        final MpscQueue<Item> queue = new MpscQueue<>();
        final Item a1 = new Item("a1");
        final Item a2 = new Item("a2");
        final Item b1 = new Item("b1");
        final Item b2 = new Item("b2");
        /** Consumer-only until the arbiter, which jcstress runs after both actors. */
        final StringBuilder taken = new StringBuilder();

        @Actor
        public void producer() {
            queue.offer(a1);
            queue.offer(a2);
        }

        /** The loop thread: posts to itself and polls between its posts, racing the producer. */
        @Actor
        public void loopThread() {
            queue.offer(b1);
            pollInto(queue, taken);
            pollInto(queue, taken);
            queue.offer(b2);
            pollInto(queue, taken);
        }

        @Arbiter
        public void rest(L_Result r) {
            r.r1 = drain(queue, taken);
        }
    }

    @JCStressTest
    @Outcome(id = {"a1 a2 b1 b2", "a1 b1 a2 b2", "a1 b1 b2 a2", "b1 a1 a2 b2", "b1 a1 b2 a2", "b1 b2 a1 a2"},
            expect = ACCEPTABLE, desc = "each element once, each producer's in its order")
    @Outcome(expect = FORBIDDEN, desc = "an element lost, duplicated or out of its producer's order")
    @State
    public static class TwoProducersOneConsumer {
        final MpscQueue<Item> queue = new MpscQueue<>();
        final Item a1 = new Item("a1");
        final Item a2 = new Item("a2");
        final Item b1 = new Item("b1");
        final Item b2 = new Item("b2");
        final StringBuilder taken = new StringBuilder();

        @Actor
        public void producerA() {
            queue.offer(a1);
            queue.offer(a2);
        }

        @Actor
        public void producerB() {
            queue.offer(b1);
            queue.offer(b2);
        }

        @Actor
        public void consumer() {
            for (int i = 0; i < 4; i++) {
                pollInto(queue, taken);
            }
        }

        @Arbiter
        public void rest(L_Result r) {
            r.r1 = drain(queue, taken);
        }
    }
}
