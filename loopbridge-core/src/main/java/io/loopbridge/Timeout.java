package io.loopbridge;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * A deadline for the code of one task (asyncio.timeout): when it expires, the task is
 * cancelled, and the cancellation arrives at its suspension point as a
 * {@link TimeoutException} (not a {@link CancelledException}), so the block can be left by
 * {@code catch (TimeoutException e)}. An outside cancellation of the task still arrives as
 * {@code CancelledException}. Use with try-with-resources:
 *
 * <pre>{@code
 * try (Timeout t = Async.timeout(Duration.ofSeconds(2))) {
 *     return Async.await(client.fetch());
 * } // TimeoutException from await if the deadline passed first
 * }</pre>
 *
 * <p>Confined to its task: create, reschedule and close it from the task it guards.
 */
public final class Timeout implements AutoCloseable, Task.CancelCause {
    private enum State { ACTIVE, EXPIRING, EXPIRED, CLOSED }

    private final Task<?> task;
    private final SelectorEventLoop loop;
    private final int cancellingAtEnter;
    private State state = State.ACTIVE;
    private long deadline;
    private TimerHandle timer;
    private boolean closedAfterExpiry;

    private Timeout(Task<?> task, long deadline) {
        this.task = task;
        this.loop = task.loop;
        this.cancellingAtEnter = task.cancelling();
        reschedule0(deadline);
    }

    static Timeout at(Task<?> task, long deadlineNanos) {
        return new Timeout(task, deadlineNanos);
    }

    static Timeout after(Duration d) {
        Task<?> t = Task.currentOrNull();
        if (t == null) {
            throw new IllegalStateException("Async.timeout(...) must be used inside a task; from a plain thread use "
                    + "Async.waitFor(stage, timeout)");
        }
        return new Timeout(t, t.loop.time() + d.toNanos());
    }

    /** The deadline on the loop's clock ({@link EventLoop#time()}), or {@link Long#MAX_VALUE} if none. */
    public long when() {
        return deadline;
    }

    /** Moves the deadline to {@code delay} from now; {@code null} removes it. */
    public void reschedule(Duration delay) {
        reschedule0(delay == null ? Long.MAX_VALUE : loop.time() + delay.toNanos());
    }

    /** Moves the deadline to {@code deadlineNanos} on the loop's clock. */
    public void rescheduleAt(long deadlineNanos) {
        reschedule0(deadlineNanos);
    }

    private void reschedule0(long when) {
        if (state != State.ACTIVE) {
            throw new IllegalStateException("cannot reschedule a timeout that is " + state.name().toLowerCase());
        }
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
        task.requestCancel("timeout", this);
    }

    @Override
    public Exception cancellationRaised(Task<?> t) {
        if (state != State.EXPIRING) {
            return null;
        }
        state = State.EXPIRED;
        // Our request is withdrawn in close(), as asyncio's __aexit__ does, so that code between here
        // and the end of the block (a TaskGroup closing, say) still sees the task as being cancelled.
        if (t.cancelling() - 1 <= cancellingAtEnter) {
            return new TimeoutException("timed out: the deadline of this Async.timeout block passed");
        }
        return null;
    }

    /** Ends the block: cancels the timer; an expiry that was never delivered is withdrawn. */
    @Override
    public void close() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        if (state == State.EXPIRING) {
            // Expired, but the task never reached a suspension point inside the block.
            state = State.EXPIRED;
            if (task.cancelCause == this) {
                task.cancelCause = null;
            }
            task.uncancel();
            closedAfterExpiry = true;
        } else if (state == State.EXPIRED && !closedAfterExpiry) {
            // Delivered: withdraw the request now that the block is left.
            task.uncancel();
            closedAfterExpiry = true;
        } else if (state == State.ACTIVE) {
            state = State.CLOSED;
        }
    }
}
