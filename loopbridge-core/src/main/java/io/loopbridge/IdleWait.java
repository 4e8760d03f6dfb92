package io.loopbridge;

import io.loopbridge.internal.MpscQueue;
import io.loopbridge.internal.Wakeup;
import java.io.IOException;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * How an idle loop waits for work (asyncio's {@code selector.select(timeout)}): a short spin
 * that polls for cross-thread posts and ready I/O, then a park — or a select, once the loop
 * has channels — bounded by its next timer; on a virtual clock it jumps to that timer instead
 * of waiting. The spin keeps an idle core from sleeping between a request and its reply
 * (waking a sleeping core costs tens of microseconds, more in a VM). A loop without channels never opens a selector, and a park/unpark
 * wake-up is cheaper than {@code Selector.wakeup()}. Confined to the loop's turn.
 */
final class IdleWait {
    private final long spinNanos;
    private final LoopClock clock;
    private final VirtualClock virtualClock;
    private final Wakeup wakeup;
    private final MpscQueue<Callback> incoming;
    private final IoSelector io;

    IdleWait(long spinNanos, LoopClock clock, Wakeup wakeup, MpscQueue<Callback> incoming, IoSelector io) {
        this.spinNanos = spinNanos;
        this.clock = clock;
        this.virtualClock = clock instanceof VirtualClock vc ? vc : null;
        this.wakeup = wakeup;
        this.incoming = incoming;
        this.io = io;
    }

    /**
     * Waits at most {@code timeoutNanos} of the loop's clock (negative: until woken) and at most
     * {@code maxRealNanos} of real time (negative: no bound); channels that became ready go to
     * {@code ready}. Returns at once if a post is already waiting.
     */
    void await(long timeoutNanos, long maxRealNanos, ArrayDeque<Callback> ready) throws IOException {
        if (spinNanos > 0 && virtualClock == null && spinForWork(timeoutNanos, ready)) {
            return;
        }
        Selector selector = io.selectorOrNull();
        wakeup.prepareToSleep(Thread.currentThread(), selector);
        try {
            if (!incoming.isEmpty()) {
                return;
            }
            long t = timeoutNanos;
            if (virtualClock != null && t > 0) {
                if (virtualClock.isAutoAdvancing()) {
                    virtualClock.advanceTo(clock.nanoTime() + t);
                    return;
                }
                t = -1; // a manual clock: only an advance (which wakes us) makes time pass
            }
            if (maxRealNanos >= 0 && (t < 0 || t > maxRealNanos)) {
                t = maxRealNanos;
            }
            if (selector != null) {
                io.select(t < 0 ? -1 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(t + 999_999)), ready);
            } else if (t < 0) {
                LockSupport.park(this);
            } else {
                LockSupport.parkNanos(this, t);
            }
        } finally {
            wakeup.awake();
        }
    }

    /**
     * Polls briefly for work before a real sleep; true if some arrived: cross-thread posts and,
     * once the loop has channels, ready I/O (a non-blocking select per poll, so a reply on a
     * socket is seen within a poll, not after the spin). On a virtual thread (a PORTABLE loop)
     * it yields its carrier between polls instead of spinning on it, so the threads it waits
     * for can run even on one core.
     */
    private boolean spinForWork(long timeoutNanos, ArrayDeque<Callback> ready) throws IOException {
        long spin = timeoutNanos < 0 ? spinNanos : Math.min(spinNanos, timeoutNanos);
        long end = System.nanoTime() + spin;
        boolean virtual = Thread.currentThread().isVirtual();
        boolean polling = io.hasChannels();
        do {
            if (!incoming.isEmpty()) {
                if (incoming.isLinking()) {
                    // A producer was preempted mid-offer: give it the CPU rather than sleep.
                    Thread.yield();
                }
                return true;
            }
            if (polling) {
                io.select(0, ready);
                if (!ready.isEmpty()) {
                    return true;
                }
            }
            pause(virtual);
        } while (System.nanoTime() - end < 0);
        return false;
    }

    /**
     * One pause between polls: a virtual thread yields its carrier (what it waits for may be
     * queued on that carrier: measured with one carrier, spinning instead held PORTABLE
     * spawning to 48 k tasks/s), a platform thread spins.
     */
    private static void pause(boolean virtual) {
        if (virtual) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
    }
}
