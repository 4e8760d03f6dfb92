package io.loopbridge;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which loop's turn each thread holds now: the one answer to "which loop am I running?" for the
 * thread holding a turn, and the list of running loops for the threads that look at loops from
 * outside (the blocked-loop watchdog, the loop-lag sampler).
 *
 * <p>Taking or leaving a turn writes only the calling thread's own slot, which the thread
 * registers once, when it takes its first turn. So a loop built and closed per call
 * ({@code Async.run}) touches no shared structure, and a loop run turn after turn by many
 * threads contends on nothing. Slots of threads that ended are dropped as the list grows and
 * whenever it is read. Thread-safe.
 */
final class RunningTurns {
    private static final ThreadLocal<Slot> SLOT = new ThreadLocal<>();
    private static final Set<Slot> SLOTS = ConcurrentHashMap.newKeySet();
    private static final int MIN_PRUNE_SIZE = 64;
    /** Registering a slot drops ended threads' slots once there are this many. */
    private static volatile int pruneAtSize = MIN_PRUNE_SIZE;

    private RunningTurns() {
    }

    /**
     * One thread's turn: written by that thread only, read by anyone. It refers to its thread
     * weakly: a thread that ended must be collectable at once (a loop cached for it closes
     * then), whether or not anybody has read the slots since.
     */
    private static final class Slot extends WeakReference<Thread> {
        private static final VarHandle TURN;

        static {
            try {
                TURN = MethodHandles.lookup().findVarHandle(Slot.class, "turn", LoopWatch.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /** Written with release stores by the slot's thread (a turn is taken often: no fence). */
        @SuppressWarnings("unused") // through TURN
        private LoopWatch turn;

        Slot() {
            super(Thread.currentThread());
        }

        LoopWatch turn() {
            return (LoopWatch) TURN.getAcquire(this);
        }

        void turn(LoopWatch w) {
            TURN.setRelease(this, w);
        }

        boolean ended() {
            Thread t = get();
            return t == null || !t.isAlive();
        }
    }

    /**
     * The calling thread takes the turn of {@code watch}'s loop; returns the turn it held before
     * (null unless turns nest), for {@link #leave}. Readers on other threads see it shortly
     * after, not at once: they sample.
     */
    static LoopWatch enter(LoopWatch watch) {
        Slot s = SLOT.get();
        if (s == null) {
            s = register();
        }
        LoopWatch prev = s.turn();
        s.turn(watch);
        return prev;
    }

    /** The calling thread leaves the turn it took with {@link #enter}, back to {@code previous}. */
    static void leave(LoopWatch previous) {
        SLOT.get().turn(previous);
    }

    /** The loop whose turn the calling thread holds, or null. */
    static Loop currentLoop() {
        Slot s = SLOT.get();
        LoopWatch w = s != null ? s.turn() : null;
        return w != null ? w.loop : null;
    }

    /** The loops whose turn some thread holds now, each once. */
    static List<LoopWatch> running() {
        List<LoopWatch> out = new ArrayList<>();
        for (Slot s : SLOTS) {
            LoopWatch w = s.turn();
            if (w != null) {
                if (!out.contains(w)) {
                    out.add(w);
                }
            } else if (s.ended()) {
                SLOTS.remove(s);
            }
        }
        return out;
    }

    private static Slot register() {
        Slot s = new Slot();
        SLOT.set(s);
        SLOTS.add(s);
        if (SLOTS.size() >= pruneAtSize) {
            prune();
        }
        return s;
    }

    /** Drops ended threads' slots; the next prune waits until the set has doubled. */
    private static synchronized void prune() {
        if (SLOTS.size() < pruneAtSize) {
            return; // another thread just did it
        }
        SLOTS.removeIf(s -> s.turn() == null && s.ended());
        pruneAtSize = Math.max(MIN_PRUNE_SIZE, 2 * SLOTS.size());
    }
}
