package io.loopbridge.internal;

import java.nio.channels.Selector;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Wakes a sleeping loop thread, at most once per sleep: the coalesced wake-up behind
 * {@code callSoonThreadsafe} (asyncio's self-pipe, trio's wakeup socketpair).
 *
 * <p>The loop sleeps either in {@code Selector.select} (once it has channels) or in
 * {@code LockSupport.park} (a loop with no I/O never opens a selector). Producers enqueue
 * first and call {@link #wake()} after; the loop announces its sleep with
 * {@link #prepareToSleep} and then re-checks its queue before really sleeping. With both
 * sides using volatile accesses, either the loop sees the element or the producer sees
 * the sleeping state, so no wake-up is lost; a burst of posts while the loop is awake
 * costs one volatile read each and no system call.
 *
 * <p>Thread-safety: {@link #wake()} from any thread; the rest from the loop thread only.
 */
public final class Wakeup {
    private static final int AWAKE = 0;
    private static final int PARKED = 1;
    private static final int SELECTING = 2;

    private final AtomicInteger state = new AtomicInteger(AWAKE);
    private volatile Thread sleeper;
    private volatile Selector selector;

    /** Loop thread: announce that it is about to sleep, in a selector if one is given. */
    public void prepareToSleep(Thread loopThread, Selector selectorOrNull) {
        sleeper = loopThread;
        selector = selectorOrNull;
        state.set(selectorOrNull != null ? SELECTING : PARKED);
    }

    /** Loop thread: it is awake again (or decided not to sleep). */
    public void awake() {
        state.lazySet(AWAKE);
        // Do not keep the thread reachable from the loop (a per-thread loop is closed when its thread is collected).
        // A producer that still reads it after winning the CAS finds the loop awake anyway.
        sleeper = null;
    }

    /** Any thread: wake the loop if it sleeps or is about to. Never throws. */
    public void wake() {
        int s = state.get();
        if (s != AWAKE && state.compareAndSet(s, AWAKE)) {
            if (s == PARKED) {
                Thread t = sleeper;
                if (t != null) {
                    LockSupport.unpark(t);
                }
            } else {
                Selector sel = selector;
                if (sel != null) {
                    sel.wakeup();
                }
            }
        }
    }
}
