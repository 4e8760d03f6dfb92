package io.loopbridge.jcstress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.loopbridge.Async;
import io.loopbridge.CancelledException;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import java.io.IOException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZL_Result;

/**
 * A future or task completed and cancelled at once ends with exactly one outcome, and the
 * caller whose call won is the one told so. The outcome records what each racing call
 * returned, then the final state read through every accessor (which must agree).
 */
public final class FutureRaceStress {
    private FutureRaceStress() {
    }

    /** Futures need a home loop; completing and cancelling them never runs it. */
    private static final class Home {
        static final EventLoop LOOP = EventLoop.builder().name("jcstress-home").taskMode(TaskMode.PORTABLE).build();
    }

    /**
     * The final state of a done future, read through isDone/isCancelled/isCompletedExceptionally
     * and result(): "value=V", "cancelled", "failed=ExceptionClass", or what disagreed.
     */
    static String finalState(LoopFuture<?> f) {
        if (!f.isDone()) {
            return "pending";
        }
        String seen;
        try {
            seen = "value=" + f.result();
        } catch (CancelledException e) {
            seen = "cancelled";
        } catch (Exception e) {
            seen = "failed=" + e.getClass().getSimpleName();
        }
        boolean agree = f.isCancelled() == seen.equals("cancelled")
                && f.isCompletedExceptionally() == seen.startsWith("failed");
        return agree ? seen : seen + " [isCancelled=" + f.isCancelled()
                + ", isCompletedExceptionally=" + f.isCompletedExceptionally() + "]";
    }

    @JCStressTest
    @Outcome(id = "true, false, value=42", expect = ACCEPTABLE, desc = "complete won")
    @Outcome(id = "false, true, cancelled", expect = ACCEPTABLE, desc = "cancel won")
    @Outcome(expect = FORBIDDEN, desc = "both won, neither won, or the state disagrees with the winner")
    @State
    public static class CompleteVersusCancel {
        final LoopFuture<Integer> future = Home.LOOP.createFuture();

        @Actor
        public void complete(ZZL_Result r) {
            r.r1 = future.complete(42);
        }

        @Actor
        public void cancel(ZZL_Result r) {
            r.r2 = future.cancel("raced");
        }

        @Arbiter
        public void state(ZZL_Result r) {
            r.r3 = finalState(future);
        }
    }

    @JCStressTest
    @Outcome(id = "true, false, failed=IOException", expect = ACCEPTABLE, desc = "the failure won")
    @Outcome(id = "false, true, cancelled", expect = ACCEPTABLE, desc = "cancel won")
    @Outcome(expect = FORBIDDEN, desc = "both won, neither won, or the state disagrees with the winner")
    @State
    public static class FailVersusCancel {
        final LoopFuture<Integer> future = Home.LOOP.createFuture();

        @Actor
        public void fail(ZZL_Result r) {
            r.r1 = future.completeExceptionally(new IOException("raced"));
        }

        @Actor
        public void cancel(ZZL_Result r) {
            r.r2 = future.cancel("raced");
        }

        @Arbiter
        public void state(ZZL_Result r) {
            r.r3 = finalState(future);
        }
    }

    @JCStressTest
    @Outcome(id = "true, false, value=1", expect = ACCEPTABLE, desc = "the first actor's value won")
    @Outcome(id = "false, true, value=2", expect = ACCEPTABLE, desc = "the second actor's value won")
    @Outcome(expect = FORBIDDEN, desc = "both won, neither won, or the value is not the winner's")
    @State
    public static class CompleteVersusComplete {
        final LoopFuture<Integer> future = Home.LOOP.createFuture();

        @Actor
        public void one(ZZL_Result r) {
            r.r1 = future.complete(1);
        }

        @Actor
        public void two(ZZL_Result r) {
            r.r2 = future.complete(2);
        }

        @Arbiter
        public void state(ZZL_Result r) {
            r.r3 = finalState(future);
        }
    }

    /**
     * {@code Task.cancel} from another thread racing the body's completion on a running loop:
     * the body awaits a gate that the first actor opens, so the task finishes (on the loop
     * thread) while the second actor cancels it. The outcome is what opening the gate returned,
     * what {@code cancel} returned, and the task's final state.
     *
     * <p>As in asyncio, a cancel that reaches a task awaiting a future cancels that future too
     * (then the gate can no longer be opened), and a cancel that reaches it after the future
     * completed but before the task resumed is raised at that await. From a thread outside the
     * loop, {@code cancel} forwards the request and returns true if the task was not done yet;
     * the request may then find the task already finished with its value (asyncio's
     * {@code call_soon_threadsafe(task.cancel)} does the same). What must never happen: a
     * cancelled task whose cancel said it was already done, a value although the gate was
     * cancelled, or any other final state.
     */
    @Outcome(id = "false, true, cancelled", expect = ACCEPTABLE,
            desc = "the cancel reached the task first and cancelled the gate it awaited")
    @Outcome(id = "true, true, cancelled", expect = ACCEPTABLE,
            desc = "the gate opened, the cancel reached the task before it resumed")
    @Outcome(id = "true, true, value=7", expect = ACCEPTABLE_INTERESTING,
            desc = "cancel was forwarded while the task ran; the body returned first")
    @Outcome(id = "true, false, value=7", expect = ACCEPTABLE, desc = "the task was done before cancel was called")
    @Outcome(expect = FORBIDDEN, desc = "cancel, gate and outcome disagree, or no single outcome")
    static final class TaskCancelOutcomes {
    }

    /** The state and actions of the task race, shared by both task modes. */
    abstract static class TaskCancelVersusCompletion {
        final LoopFuture<Integer> gate;
        final Task<Integer> task;

        TaskCancelVersusCompletion(TaskMode mode) {
            EventLoop loop = Loops.running(mode);
            gate = loop.createFuture();
            task = Loops.spawn(loop, () -> Async.await(gate));
        }

        void openGate(ZZL_Result r) {
            r.r1 = gate.complete(7);
        }

        void cancelTask(ZZL_Result r) {
            r.r2 = task.cancel("raced");
        }

        void settle(ZZL_Result r) {
            r.r3 = Loops.settle(task) ? finalState(task) : "hung";
        }
    }

    @JCStressTest
    @JCStressMeta(TaskCancelOutcomes.class)
    @State
    public static class TaskCancelFast extends TaskCancelVersusCompletion {
        public TaskCancelFast() {
            super(TaskMode.FAST);
        }

        @Actor
        public void complete(ZZL_Result r) {
            openGate(r);
        }

        @Actor
        public void cancel(ZZL_Result r) {
            cancelTask(r);
        }

        @Arbiter
        public void state(ZZL_Result r) {
            settle(r);
        }
    }

    @JCStressTest
    @JCStressMeta(TaskCancelOutcomes.class)
    @State
    public static class TaskCancelPortable extends TaskCancelVersusCompletion {
        public TaskCancelPortable() {
            super(TaskMode.PORTABLE);
        }

        @Actor
        public void complete(ZZL_Result r) {
            openGate(r);
        }

        @Actor
        public void cancel(ZZL_Result r) {
            cancelTask(r);
        }

        @Arbiter
        public void state(ZZL_Result r) {
            settle(r);
        }
    }
}
