package io.loopbridge.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.loopbridge.BridgeQueue;
import io.loopbridge.BridgeQueueClosedException;
import io.loopbridge.EventLoop;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LL_Result;

/**
 * {@link BridgeQueue}'s close racing put and take: every put either enqueues its item (which
 * is then taken exactly once) or fails with {@link BridgeQueueClosedException}; items queued
 * before close are still delivered; no item is lost; and no waiter is left hanging, because a
 * waiter close forgot would block its actor forever, which jcstress reports as a timed-out test
 * (a failure; {@code bench/jcstress.sh} also bounds the whole run). Cancelling a task that
 * waits in take as an item arrives neither loses the item nor strands the next taker.
 */
public final class BridgeQueueStress {
    private BridgeQueueStress() {
    }

    /** The items in ascending order, space-separated, from a bit set (bit i = item i). */
    static String items(int bits) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < 31; i++) {
            if ((bits & (1 << i)) != 0) {
                sb.append(sb.isEmpty() ? "" : " ").append(i);
            }
        }
        return sb.isEmpty() ? "none" : sb.toString();
    }

    /**
     * A producer puts 1, 2, 3 into a queue of capacity 1 while the consumer takes once and then
     * closes: put 2 races the close (it finds room after the take, or the queue closed), and
     * put 3 always waits for room and must be failed by the close. The outcome is the set of
     * puts that returned normally, then the set of items the consumer got (its take, and what
     * it drained after closing); they must be equal.
     */
    @JCStressTest
    @Outcome(id = "put 1, took 1", expect = ACCEPTABLE, desc = "close came before put 2; puts 2 and 3 failed")
    @Outcome(id = "put 1 2, took 1 2", expect = ACCEPTABLE, desc = "put 2 got in before close and was drained; put 3 failed")
    @Outcome(expect = FORBIDDEN, desc = "an item lost, taken twice, taken without its put succeeding, or a put failed otherwise")
    @State
    public static class PutVersusClose {
        final BridgeQueue<Integer> queue = new BridgeQueue<>(1);

        @Actor
        public void producer(LL_Result r) {
            int put = 0;
            String other = "";
            for (int i = 1; i <= 3; i++) {
                try {
                    queue.put(i);
                    put |= 1 << i;
                } catch (BridgeQueueClosedException closed) {
                    // the only acceptable failure
                } catch (Exception e) {
                    other += " put " + i + " threw " + e.getClass().getSimpleName();
                }
            }
            r.r1 = "put " + items(put) + other;
        }

        @Actor
        public void consumerThenCloser(LL_Result r) {
            int took = 0;
            String other = "";
            try {
                took |= 1 << queue.take();
            } catch (Exception e) {
                other = " take threw " + e.getClass().getSimpleName();
            }
            queue.close();
            Integer item;
            while ((item = queue.poll()) != null) {
                if ((took & (1 << item)) != 0) {
                    other += " took " + item + " twice";
                }
                took |= 1 << item;
            }
            r.r2 = "took " + items(took) + other;
        }

        @Arbiter
        public void leftovers(LL_Result r) {
            if (!queue.isDrained() || queue.poll() != null) {
                r.r2 = r.r2 + " [items left after the drain]";
            }
        }
    }

    /**
     * A producer puts 1 and closes; the consumer takes twice. The first take gets 1 (an item put
     * before close is delivered), the second finds the queue closed, or waits and is woken by
     * the close.
     */
    @JCStressTest
    @Outcome(id = "1, closed", expect = ACCEPTABLE, desc = "the item, then the closed signal")
    @Outcome(expect = FORBIDDEN, desc = "the item lost, or the second take did not end with the closed signal")
    @State
    public static class TakeVersusClose {
        final BridgeQueue<Integer> queue = new BridgeQueue<>(1);

        @Actor
        public void producer() {
            try {
                queue.put(1);
            } catch (Exception e) {
                throw new AssertionError("put before close failed", e);
            }
            queue.close();
        }

        @Actor
        public void consumer(LL_Result r) {
            r.r1 = take();
            r.r2 = take();
        }

        private String take() {
            try {
                return String.valueOf(queue.take());
            } catch (BridgeQueueClosedException closed) {
                return "closed";
            } catch (Exception e) {
                return e.getClass().getSimpleName();
            }
        }
    }

    /**
     * Two tasks of a running loop wait in take, the first in line first; one actor offers an
     * item while the other cancels the first taker. The item reaches exactly one taker: the
     * first (then the second gets the closed signal when the arbiter closes the queue), or, the
     * first being cancelled, the second, even when the first was woken for the item just
     * before its cancellation (it must pass the wake-up on). A second taker left waiting with
     * the item queued shows as "hung" (after 20 s).
     *
     * <p>Two shapes: the put and the cancel in two actors, and both in one actor, cancel first:
     * the cancel is forwarded to the loop, so the put usually lands while the request is still
     * on its way, which is the window where the first taker is woken and then cancelled.
     */
    @Outcome(id = "value=1, closed, left=none", expect = ACCEPTABLE,
            desc = "the first taker got the item before the cancel reached it")
    @Outcome(id = "cancelled, value=1, left=none", expect = ACCEPTABLE,
            desc = "the first taker was cancelled; the second got the item")
    @Outcome(expect = FORBIDDEN, desc = "the item lost or duplicated, or a taker left waiting with the item queued")
    static final class TakerCancelOutcomes {
    }

    /** The state and actions of the taker race, shared by both task modes. */
    abstract static class TakerCancelledAsItemArrives {
        final BridgeQueue<Integer> queue = new BridgeQueue<>(1);
        final Task<Integer> first;
        final Task<Integer> second;

        TakerCancelledAsItemArrives(TaskMode mode) {
            EventLoop loop = Loops.running(mode);
            // Tasks start in creation order, so the first queues for the item first.
            first = Loops.spawn(loop, queue::take);
            second = Loops.spawn(loop, queue::take);
        }

        void putItem() {
            if (!queue.offer(1)) {
                throw new AssertionError("an empty queue of capacity 1 refused an item");
            }
        }

        void cancelFirst() {
            first.cancel("raced");
        }

        void settle(LL_Result r) {
            String one = Loops.settle(first) ? FutureRaceStress.finalState(first) : "hung";
            String two;
            if (one.equals("cancelled") && !Loops.settle(second)) {
                two = "hung";
            } else {
                // The second taker either has the item already or waits for the close.
                queue.close();
                two = Loops.settle(second) ? takeOutcome(second) : "hung after close";
            }
            queue.close(); // lets a hung taker go
            Integer left = queue.poll();
            r.r1 = one + ", " + two;
            r.r2 = "left=" + (left == null ? "none" : left) + (queue.poll() != null ? " and more" : "");
        }

        private static String takeOutcome(Task<Integer> taker) {
            String s = FutureRaceStress.finalState(taker);
            return s.equals("failed=BridgeQueueClosedException") ? "closed" : s;
        }
    }

    @JCStressTest
    @JCStressMeta(TakerCancelOutcomes.class)
    @State
    public static class TakerCancelFast extends TakerCancelledAsItemArrives {
        public TakerCancelFast() {
            super(TaskMode.FAST);
        }

        @Actor
        public void put() {
            putItem();
        }

        @Actor
        public void cancel() {
            cancelFirst();
        }

        @Arbiter
        public void state(LL_Result r) {
            settle(r);
        }
    }

    @JCStressTest
    @JCStressMeta(TakerCancelOutcomes.class)
    @State
    public static class TakerCancelPortable extends TakerCancelledAsItemArrives {
        public TakerCancelPortable() {
            super(TaskMode.PORTABLE);
        }

        @Actor
        public void put() {
            putItem();
        }

        @Actor
        public void cancel() {
            cancelFirst();
        }

        @Arbiter
        public void state(LL_Result r) {
            settle(r);
        }
    }

    @JCStressTest
    @JCStressMeta(TakerCancelOutcomes.class)
    @State
    public static class CancelThenPutFast extends TakerCancelledAsItemArrives {
        public CancelThenPutFast() {
            super(TaskMode.FAST);
        }

        @Actor
        public void cancelThenPut() {
            cancelFirst();
            putItem();
        }

        @Arbiter
        public void state(LL_Result r) {
            settle(r);
        }
    }

    @JCStressTest
    @JCStressMeta(TakerCancelOutcomes.class)
    @State
    public static class CancelThenPutPortable extends TakerCancelledAsItemArrives {
        public CancelThenPutPortable() {
            super(TaskMode.PORTABLE);
        }

        @Actor
        public void cancelThenPut() {
            cancelFirst();
            putItem();
        }

        @Arbiter
        public void state(LL_Result r) {
            settle(r);
        }
    }
}
