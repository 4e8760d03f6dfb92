package io.loopbridge;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * A deadline for the code of one task (asyncio.timeout): when it passes, the task is
 * cancelled, and the cancellation arrives at its next suspension point as a
 * {@link TimeoutException} (not a {@link CancelledException}), so the block can be left by
 * {@code catch (TimeoutException e)}. Use with try-with-resources:
 *
 * <pre>{@code
 * try (Timeout t = Async.timeout(Duration.ofSeconds(2))) {
 *     return Async.await(client.fetch());
 * } // TimeoutException from await if the deadline passed first
 * }</pre>
 *
 * <p>Semantics, as asyncio's:
 * <ul>
 *   <li>A deadline is never missed: one that is zero, already past, or passed while the loop
 *       was busy expires at the next suspension point (a block with no suspension point is
 *       not interrupted, and {@link #expired()} stays false).</li>
 *   <li>An outside cancellation of the task arrives as {@code CancelledException}, also when
 *       it comes together with the expiry.</li>
 *   <li>Nested timeouts that expire together raise one {@code TimeoutException} each, innermost
 *       first, at successive suspension points: the inner block's at the first one; the outer
 *       block's at the next suspension point inside it (or never, if its block is left first).
 *       (asyncio raises one {@code CancelledError} that the outermost expired block turns into
 *       {@code TimeoutError}; Java cannot replace an exception in {@code close()}.)</li>
 *   <li>For the same reason, this block's expiry reaches code inside it as a
 *       {@code TimeoutException} wherever the task is waiting, also inside a nested
 *       {@code Async.waitFor} or an inner block that has not expired. Code in the block that
 *       catches {@code TimeoutException} to retry must rethrow when {@link #expired()} of this
 *       block is true, or it retries past this deadline:
 *       {@code catch (TimeoutException e) { if (t.expired()) throw e; }} (in asyncio the
 *       inner code sees a {@code CancelledError} that such a catch does not take).</li>
 * </ul>
 *
 * <p>Confined to its task: create, reschedule and close it from the task it guards.
 */
public final class Timeout implements AutoCloseable {
    private enum State {
        ACTIVE("active"), EXPIRING("expiring"), EXPIRED("expired"), FINISHED("finished");

        final String label;

        State(String label) {
            this.label = label;
        }
    }

    private final Task<?> task;
    private final Loop loop;
    /** The task's pending cancellation requests when the block was entered. */
    private final int cancellingAtEnter;
    private State state = State.ACTIVE;
    private long deadline;
    private TimerHandle timer;
    /** This timeout's request on the task, from expiry until the block ends. */
    private CancelRequests.Request request;
    /** How the task sees this block (kept off the public API). */
    private final CancelRequests.CancelScope scope = new CancelRequests.CancelScope() {
        @Override
        public Throwable cancellationRaised(int otherRequests) {
            // asyncio's rule: the timeout is the cause only if no other request came after the block was entered.
            return otherRequests <= cancellingAtEnter ? CancelRequests.timeout() : null;
        }

        @Override
        public boolean hasDeadline() {
            return true;
        }

        @Override
        public void expireIfDue(long now) {
            if (state == State.ACTIVE && deadline - now <= 0) {
                expire();
            }
        }
    };

    private Timeout(Task<?> task, long deadline) {
        this.task = task;
        this.loop = task.loop;
        this.cancellingAtEnter = task.cancelling();
        task.enterScope(scope);
        reschedule0(deadline);
    }

    static Timeout at(Task<?> task, long deadlineNanos) {
        return new Timeout(task, deadlineNanos);
    }

    static Timeout at(long deadlineNanos) {
        return new Timeout(currentTask(), deadlineNanos);
    }

    static Timeout after(Duration d) {
        Task<?> t = currentTask();
        return new Timeout(t, d == null ? Long.MAX_VALUE : deadlineAfter(t.loop, d));
    }

    private static Task<?> currentTask() {
        Task<?> t = Task.currentOrNull();
        if (t == null) {
            throw new IllegalStateException("Async.timeout(...) must be used inside a task; from a plain thread use "
                    + "Async.waitFor(stage, timeout)");
        }
        return t;
    }

    private static long deadlineAfter(Loop loop, Duration d) {
        return TimerHeap.after(loop.time(), TimerHeap.nanos(d)); // too long: ~73 years away, or long past
    }

    /** The deadline on the loop's clock ({@link EventLoop#time()}), or {@link Long#MAX_VALUE} if none. */
    public long when() {
        return deadline;
    }

    /**
     * Moves the deadline to {@code delay} from now; {@code null} removes it.
     *
     * @throws IllegalStateException if the timeout already expired or its block ended
     */
    public void reschedule(Duration delay) {
        checkActive();
        reschedule0(delay == null ? Long.MAX_VALUE : deadlineAfter(loop, delay));
    }

    /** Moves the deadline to {@code deadlineNanos} on the loop's clock. */
    public void rescheduleAt(long deadlineNanos) {
        checkActive();
        reschedule0(deadlineNanos);
    }

    private void checkActive() {
        if (state != State.ACTIVE) {
            throw new IllegalStateException("cannot reschedule a timeout that is " + state.label);
        }
    }

    private void reschedule0(long when) {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        deadline = when;
        if (when != Long.MAX_VALUE) {
            timer = loop.callAt(when, this::expire);
        }
    }

    /** Whether the deadline passed while the block ran. */
    public boolean expired() {
        return state == State.EXPIRING || state == State.EXPIRED;
    }

    private void expire() {
        if (state != State.ACTIVE) {
            return;
        }
        state = State.EXPIRING;
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        request = task.requestCancelBy(scope);
    }

    /**
     * Ends the block: cancels the timer and withdraws this timeout's cancellation request, raised or not.
     * Only the task that opened the block may close it.
     *
     * @throws IllegalStateException from another task or thread while the block is open
     */
    @Override
    public void close() {
        if (state == State.EXPIRED || state == State.FINISHED) {
            return;
        }
        if (Task.currentOrNull() != task) {
            throw new IllegalStateException("this timeout block belongs to " + task + "; only that task may close it"
                    + " (reschedule() may come from elsewhere, close() ends the block)");
        }
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        task.exitScope(scope);
        if (request != null) {
            task.withdraw(request);
            request = null;
        }
        state = state == State.EXPIRING ? State.EXPIRED : State.FINISHED;
    }

    @Override
    public String toString() {
        return "Timeout[" + state.label + (state == State.ACTIVE && deadline != Long.MAX_VALUE ? ", when=" + deadline : "") + "]";
    }
}
