package io.loopbridge;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A FIFO line of {@link Waiter}s: the one waiting primitive every blocking structure of the
 * library is built on (trio's ParkingLot). Its owner guards the line with its own lock — a
 * {@link Guard} — or confines it to one loop ({@link #UNGUARDED}); {@link #await} and
 * {@link #wakeOne} take the guard themselves and deliver wake-ups outside it, and solve the
 * one race every waiter has: woken just as it gives up. A waiter that gives up unwoken leaves
 * the line; one that was woken but leaves anyway passes its wake-up on.
 *
 * <p>Not thread-safe by itself: methods without a guard parameter are called with the
 * owner's guard held.
 */
final class ParkingLot {

    /** The owner's lock around the line and the state the waiters wait for. */
    interface Guard {
        void lock();

        void unlock();
    }

    /** For lines confined to one loop: nothing to lock. */
    static final Guard UNGUARDED = new Guard() {
        @Override
        public void lock() {
        }

        @Override
        public void unlock() {
        }
    };

    private final ArrayDeque<Waiter> line = new ArrayDeque<>();

    /** Joins the line. Guard held. */
    void join(Waiter w) {
        line.addLast(w);
    }

    /** Leaves the line. Guard held. */
    void leave(Waiter w) {
        line.remove(w);
    }

    /** The first waiter in line, or null. Guard held. */
    Waiter first() {
        return line.peekFirst();
    }

    /** Removes and returns the first waiter, or null. Guard held. */
    Waiter poll() {
        return line.pollFirst();
    }

    /** Removes every waiter. Guard held. */
    List<Waiter> pollAll() {
        List<Waiter> all = new ArrayList<>(line);
        line.clear();
        return all;
    }

    int size() {
        return line.size();
    }

    boolean isEmpty() {
        return line.isEmpty();
    }

    /** Whether a waiter in line has not given up (a woken one counts: it is about to act). Guard held. */
    boolean hasLiveWaiter() {
        for (Waiter w : line) {
            if (!w.gaveUp()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Wakes the first waiter that is still pending and leaves it in line (it leaves on its own
     * when it runs); asyncio's wake-up of loop-bound primitives. Returns whether one was woken.
     * Guard held; for loop-confined lines only (the wake-up is delivered inline).
     */
    boolean wakeFirstPending() {
        for (Waiter w : line) {
            if (w.isPending() && w.wake()) {
                return true;
            }
        }
        return false;
    }

    /** Wakes up to {@code n} pending waiters in line order, leaving them in line; returns how many. Guard held, loop-confined. */
    int wakePending(int n) {
        int woken = 0;
        for (Waiter w : line) {
            if (woken >= n) {
                break;
            }
            if (w.isPending() && w.wake()) {
                woken++;
            }
        }
        return woken;
    }

    /**
     * Outside the guard: waits until {@code w} (in line) is woken, or {@code deadline} passes.
     * When it gives up unwoken it leaves the line; when it was woken but leaves anyway, the
     * wake-up goes to the next waiter if {@code stillReady} (checked under the guard) holds.
     * Returns whether it was woken.
     */
    boolean await(Waiter w, long deadline, Guard guard, BooleanSupplier stillReady) throws Exception {
        boolean woken;
        try {
            woken = w.await(deadline);
        } catch (Throwable e) {
            leaveOrPassOn(w, guard, stillReady);
            throw e;
        }
        if (!woken) {
            leaveOrPassOn(w, guard, stillReady);
        }
        return woken;
    }

    private void leaveOrPassOn(Waiter w, Guard guard, BooleanSupplier stillReady) {
        if (!w.wasWoken()) {
            guard.lock();
            try {
                line.remove(w);
            } finally {
                guard.unlock();
            }
            return;
        }
        boolean pass;
        guard.lock();
        try {
            pass = stillReady.getAsBoolean();
        } finally {
            guard.unlock();
        }
        if (pass) {
            wakeOne(guard);
        }
    }

    /** Outside the guard: wakes the first waiter in line that still waits (taking it out of line). */
    void wakeOne(Guard guard) {
        Waiter w;
        guard.lock();
        try {
            w = line.pollFirst();
        } finally {
            guard.unlock();
        }
        wake(w, guard);
    }

    /**
     * Outside the guard: wakes {@code first}, taken out of line under the guard with
     * {@link #poll()} (so a wake-up costs one critical section), or, if it gave up meanwhile,
     * the next waiter that still waits. Null: nobody to wake.
     */
    void wake(Waiter first, Guard guard) {
        Waiter w = first;
        while (w != null && !w.wake()) {
            guard.lock();
            try {
                w = line.pollFirst();
            } finally {
                guard.unlock();
            }
        }
    }

    /** Outside the guard: wakes every waiter in line. */
    void wakeAll(Guard guard) {
        List<Waiter> all;
        guard.lock();
        try {
            all = pollAll();
        } finally {
            guard.unlock();
        }
        for (Waiter w : all) {
            w.wake();
        }
    }
}
