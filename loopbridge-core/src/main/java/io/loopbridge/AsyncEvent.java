package io.loopbridge;


/**
 * A flag that tasks of one loop can wait for (asyncio.Event): {@link #set()} wakes every
 * waiting task, and later {@link #await()} calls return at once until {@link #clear()}.
 *
 * <p>Confined to its loop's thread: it binds to the loop it is first used on; every method
 * must then be called from that loop's thread or one of its tasks, and {@link #await()} from
 * a task. Any other thread gets an {@link IllegalStateException} naming both threads (to set
 * it from another thread, use {@code loop.callSoonThreadsafe(event::set)}).
 */
public final class AsyncEvent extends LoopBound {
    private final ParkingLot waiters = new ParkingLot();
    private boolean value;

    /** An event that is not set, bound to no loop yet. */
    public AsyncEvent() {
    }

    /** An event already set or not, without binding it to a loop. */
    AsyncEvent(boolean set) {
        this.value = set;
    }

    /** Whether the event is set. */
    public boolean isSet() {
        checkThread("AsyncEvent.isSet");
        return value;
    }

    /** Sets the event, waking every waiting task (each resumes in the order it started waiting). */
    public void set() {
        checkThread("AsyncEvent.set");
        if (!value) {
            value = true;
            waiters.wakePending(Integer.MAX_VALUE);
        }
    }

    /** Clears the event: later {@link #await()} calls wait for the next {@link #set()}. */
    public void clear() {
        checkThread("AsyncEvent.clear");
        value = false;
    }

    /**
     * Returns once the event is set: at once if it is, else suspending the task until
     * {@link #set()}. A task woken by {@code set} returns even if the event was cleared before it
     * resumed. Task only.
     *
     * @throws CancelledException if the task is cancelled while waiting
     * @throws Exception          what a deadline of an enclosing {@link Async#timeout} raises
     */
    public void await() throws Exception {
        Task<?> task = checkTask("AsyncEvent.await");
        if (value) {
            return;
        }
        Waiter w = Waiter.forTask(task);
        waiters.join(w);
        try {
            w.await(Long.MAX_VALUE);
        } finally {
            waiters.leave(w);
        }
    }

    @Override
    public String toString() {
        return "AsyncEvent[" + (value ? "set" : "unset") + (waiters.isEmpty() ? "" : ", waiters=" + waiters.size()) + "]";
    }
}
