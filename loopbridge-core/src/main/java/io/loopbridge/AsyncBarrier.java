package io.loopbridge;

import java.util.concurrent.BrokenBarrierException;
import java.util.function.BooleanSupplier;

/**
 * A meeting point for a fixed number of tasks of one loop (asyncio.Barrier): each task calls
 * {@link #await()}, and when the last of {@link #parties()} tasks arrives they all pass
 * together. The barrier is then reusable: tasks that call {@code await()} again while the
 * others are still leaving wait until every one has left.
 *
 * <pre>{@code
 * AsyncBarrier ready = new AsyncBarrier(3);
 * for (int i = 0; i < 3; i++) {
 *     Async.spawn(() -> {
 *         prepare();
 *         int arrival = ready.await();   // 0, 1 or 2: one task may act alone, e.g. arrival == 0
 *         return work();
 *     });
 * }
 * }</pre>
 *
 * <p>States, as {@link #toString()} names them: <em>filling</em> (tasks arrive and wait),
 * <em>draining</em> (the last party arrived; the waiting tasks are leaving), <em>resetting</em>
 * ({@link #reset()} was called while tasks were inside; they leave with
 * {@link BrokenBarrierException}) and <em>broken</em> ({@link #abort()}; every waiting and
 * every later {@code await()} throws {@link BrokenBarrierException} until {@code reset()}).
 * A task cancelled while it waits leaves, and the barrier waits for one more task instead.
 *
 * <p>Confined to its loop's thread: it binds to the loop it is first used on; every method
 * must then be called from that loop's thread or one of its tasks, and {@link #await()} from a
 * task. Any other thread gets an {@link IllegalStateException} naming both threads.
 */
public final class AsyncBarrier extends LoopBound {

    private enum State {
        FILLING("filling"), DRAINING("draining"), RESETTING("resetting"), BROKEN("broken");

        final String label;

        State(String label) {
            this.label = label;
        }
    }

    private final int parties;
    /** Tasks that wait for any change of state (asyncio's one Condition for every wait). */
    private final ParkingLot waiters = new ParkingLot();
    private State state = State.FILLING;
    /** Tasks inside {@link #await()} past the entry wait: arrived and not yet left. */
    private int count;

    /**
     * A barrier for {@code parties} tasks, bound to no loop yet.
     *
     * @throws IllegalArgumentException if {@code parties} is below 1
     */
    public AsyncBarrier(int parties) {
        if (parties < 1) {
            throw new IllegalArgumentException("parties must be at least 1, got " + parties);
        }
        this.parties = parties;
    }

    /**
     * Waits until {@link #parties()} tasks have called this method, then returns this task's
     * arrival index, from 0 (first to arrive) to {@code parties() - 1} (the last, which does not
     * wait). While the barrier is draining or resetting, a new arrival first waits for that to
     * end. Task only.
     *
     * @throws BrokenBarrierException if the barrier is broken ({@link #abort()}) on arrival, or
     *                                is reset or aborted while this task waits
     * @throws CancelledException     if the task is cancelled while waiting (it leaves the barrier)
     * @throws Exception              what a deadline of an enclosing {@link Async#timeout} raises
     */
    public int await() throws Exception {
        Task<?> task = checkTask("AsyncBarrier.await");
        // asyncio holds the Condition's lock around all of this; the lock is never contended, since
        // nothing here suspends except the Condition's wait, which releases it, and a task's code
        // between suspension points runs alone on its loop. So the lock is left out; its order stays.
        waitUntil(task, () -> state != State.DRAINING && state != State.RESETTING);
        if (state == State.BROKEN) {
            throw new BrokenBarrierException("AsyncBarrier aborted");
        }
        int index = count++;
        try {
            if (index + 1 == parties) {
                state = State.DRAINING; // the last party releases the others
                wakeAll();
            } else {
                waitUntil(task, () -> state != State.FILLING);
                if (state == State.BROKEN || state == State.RESETTING) {
                    throw new BrokenBarrierException("AsyncBarrier " + (state == State.BROKEN ? "aborted" : "reset")
                            + " while waiting");
                }
            }
            return index;
        } finally {
            count--;
            if (count == 0) {
                // The last task out ends draining or resetting, and lets waiting arrivals re-check.
                if (state == State.RESETTING || state == State.DRAINING) {
                    state = State.FILLING;
                }
                wakeAll();
            }
        }
    }

    /**
     * Returns the barrier to its initial, empty state. Tasks waiting in it leave with
     * {@link BrokenBarrierException}; until the last of them has left, the barrier is
     * resetting and new arrivals wait. Also repairs a broken barrier. Does not suspend.
     */
    public void reset() {
        checkThread("AsyncBarrier.reset");
        if (count > 0) {
            state = State.RESETTING;
        } else {
            state = State.FILLING;
        }
        wakeAll();
    }

    /**
     * Breaks the barrier (for instance when one party fails and the others must not wait for
     * it forever): waiting tasks and every later {@link #await()} throw
     * {@link BrokenBarrierException}, until {@link #reset()}. Does not suspend.
     */
    public void abort() {
        checkThread("AsyncBarrier.abort");
        state = State.BROKEN;
        wakeAll();
    }

    /** The number of tasks needed to pass the barrier. Any thread. */
    public int parties() {
        return parties;
    }

    /** The number of tasks waiting for the barrier to fill (0 unless it is filling). */
    public int waiting() {
        checkThread("AsyncBarrier.waiting");
        return state == State.FILLING ? count : 0;
    }

    /** Whether the barrier is broken ({@link #abort()}, not yet {@link #reset()}). */
    public boolean isBroken() {
        checkThread("AsyncBarrier.isBroken");
        return state == State.BROKEN;
    }

    /**
     * asyncio's {@code Condition.wait_for} on this barrier's one line of waiters: waits until
     * {@code ready} holds, re-checking after each wake-up. A task that fails while waiting (a
     * cancellation, a timeout) may have been woken just before: it passes one wake-up on, as
     * asyncio's Condition does (at worst a spurious wake-up, which the re-check absorbs).
     */
    private void waitUntil(Task<?> task, BooleanSupplier ready) throws Exception {
        while (!ready.getAsBoolean()) {
            Waiter w = Waiter.forTask(task);
            waiters.join(w);
            try {
                w.await(Long.MAX_VALUE);
            } catch (Throwable e) {
                waiters.wakePending(1);
                throw e;
            } finally {
                waiters.leave(w);
            }
        }
    }

    private void wakeAll() {
        waiters.wakePending(Integer.MAX_VALUE);
    }

    @Override
    public String toString() {
        // No thread check: a log line or a debugger may describe the barrier from anywhere.
        State s = state;
        int waiting = s == State.FILLING ? count : 0;
        return "AsyncBarrier[" + s.label + (s == State.BROKEN ? "" : ", waiting=" + waiting + "/" + parties) + "]";
    }
}
