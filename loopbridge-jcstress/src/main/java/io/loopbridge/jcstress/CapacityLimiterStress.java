package io.loopbridge.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.loopbridge.CapacityLimiter;
import io.loopbridge.EventLoop;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import java.util.concurrent.ThreadLocalRandom;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.LL_Result;

/**
 * {@link CapacityLimiter}: a permit handed to a waiter while that waiter is being interrupted
 * (a thread) or cancelled (a task) is neither lost nor duplicated. A limiter of one permit is
 * held by the test; the waiter queues for it; one actor gives the held permit back (which
 * hands it to the waiter) while the other interrupts or cancels the waiter. Either the waiter
 * ends with the permit (and is then the only holder: one borrowed of one), or it gives up and
 * the permit stays free. At the end nothing is borrowed and exactly one permit can be taken.
 */
public final class CapacityLimiterStress {
    private CapacityLimiterStress() {
    }

    /** The limiter after everyone is done: what is borrowed, and how many permits can be taken. */
    static String settled(CapacityLimiter limiter) {
        int borrowed = limiter.borrowed();
        int taken = 0;
        while (taken < 3 && limiter.tryAcquire()) {
            taken++;
        }
        for (int i = 0; i < taken; i++) {
            limiter.release();
        }
        return "borrowed=" + borrowed + " free=" + taken;
    }

    /** A limiter of one permit, already borrowed by the test. */
    static CapacityLimiter heldLimiter() {
        CapacityLimiter limiter = new CapacityLimiter(1);
        if (!limiter.tryAcquire()) {
            throw new AssertionError("a fresh limiter refused its permit");
        }
        return limiter;
    }

    /**
     * The waiter is a plain thread, blocked in acquire. The other actor gives the held permit
     * back and interrupts the waiter, in either order (chosen per round).
     */
    @JCStressTest
    @Outcome(id = "permit 1/1, borrowed=0 free=1", expect = ACCEPTABLE,
            desc = "the waiter got the permit (the interrupt came too late) and gave it back")
    @Outcome(id = "interrupted, borrowed=0 free=1", expect = ACCEPTABLE,
            desc = "the waiter gave up; the permit went back to the pool")
    @Outcome(expect = FORBIDDEN, desc = "a permit lost or duplicated")
    @State
    public static class GrantVersusInterrupt {
        final CapacityLimiter limiter = heldLimiter();
        final boolean releaseFirst = ThreadLocalRandom.current().nextBoolean();
        volatile Thread waiter;
        volatile boolean interruptSent;

        @Actor
        public void waiter(LL_Result r) {
            waiter = Thread.currentThread();
            try {
                limiter.acquire();
                r.r1 = "permit " + limiter.borrowed() + "/" + limiter.total();
                limiter.release();
            } catch (InterruptedException e) {
                r.r1 = "interrupted";
            } catch (Exception e) {
                r.r1 = e.getClass().getSimpleName();
            } finally {
                // The interrupt must land in this round, not in the next one this thread runs.
                while (!interruptSent) {
                    Thread.onSpinWait();
                }
                Thread.interrupted();
            }
        }

        @Actor
        public void releaseAndInterrupt() {
            Thread t;
            while ((t = waiter) == null) {
                Thread.onSpinWait();
            }
            if (releaseFirst) {
                limiter.release();
                t.interrupt();
            } else {
                t.interrupt();
                limiter.release();
            }
            interruptSent = true;
        }

        @Arbiter
        public void settle(LL_Result r) {
            r.r2 = settled(limiter);
        }
    }

    /**
     * The waiter is a task of a running loop, suspended in acquire; one actor gives the held
     * permit back while the other cancels the task (forwarded to the loop).
     */
    @Outcome(id = "value=1, borrowed=0 free=1", expect = ACCEPTABLE,
            desc = "the task got the permit (alone: 1 borrowed) before the cancel reached it, and gave it back")
    @Outcome(id = "cancelled, borrowed=0 free=1", expect = ACCEPTABLE,
            desc = "the task was cancelled; a permit granted meanwhile was handed back")
    @Outcome(expect = FORBIDDEN, desc = "a permit lost or duplicated, or the task ended otherwise")
    static final class GrantVersusCancelOutcomes {
    }

    /** The state and actions of the cancel race, shared by both task modes. */
    abstract static class GrantVersusCancel {
        final CapacityLimiter limiter = heldLimiter();
        final Task<Integer> waiter;

        GrantVersusCancel(TaskMode mode) {
            EventLoop loop = Loops.running(mode);
            waiter = Loops.spawn(loop, () -> {
                limiter.acquire();
                try {
                    return limiter.borrowed();
                } finally {
                    limiter.release();
                }
            });
        }

        void cancelWaiter() {
            waiter.cancel("raced");
        }

        void settle(LL_Result r) {
            r.r1 = Loops.settle(waiter) ? FutureRaceStress.finalState(waiter) : "hung";
            r.r2 = settled(limiter);
        }
    }

    @JCStressTest
    @JCStressMeta(GrantVersusCancelOutcomes.class)
    @State
    public static class GrantVersusCancelFast extends GrantVersusCancel {
        public GrantVersusCancelFast() {
            super(TaskMode.FAST);
        }

        @Actor
        public void release() {
            limiter.release();
        }

        @Actor
        public void cancel() {
            cancelWaiter();
        }

        @Arbiter
        public void state(LL_Result r) {
            settle(r);
        }
    }

    @JCStressTest
    @JCStressMeta(GrantVersusCancelOutcomes.class)
    @State
    public static class GrantVersusCancelPortable extends GrantVersusCancel {
        public GrantVersusCancelPortable() {
            super(TaskMode.PORTABLE);
        }

        @Actor
        public void release() {
            limiter.release();
        }

        @Actor
        public void cancel() {
            cancelWaiter();
        }

        @Arbiter
        public void state(LL_Result r) {
            settle(r);
        }
    }
}
