package io.loopbridge;

import java.io.IOException;
import java.nio.channels.spi.AbstractInterruptibleChannel;

/**
 * Records an interrupt of a FAST loop's platform thread that the JDK would otherwise erase.
 * The thread is the carrier of its tasks' virtual threads, and the JDK clears a carrier's
 * interrupt status each time it mounts or unmounts a virtual thread: an interrupt that another
 * thread sends while a task step runs is gone before the loop looks (measured before this
 * class: 20 interrupts of 20 lost on a loop busy with one task). {@link Thread#interrupt} also
 * calls the interruptor of the interruptible channel operation its target is in; this channel
 * stands for the loop's run, so an interrupt reaches {@link #implCloseChannel} whatever the
 * thread runs at that moment, and stays recorded.
 *
 * <p>One watch per interrupt: an interrupt closes it, and the loop arms a new one. Arm, take
 * and disarm on the loop's thread; fired by the interrupting thread.
 */
final class InterruptWatch extends AbstractInterruptibleChannel {
    private volatile boolean fired;

    /**
     * Loop thread: (re-)registers this watch as the thread's interruptible operation. A channel
     * operation of the thread's own (a blocking select) replaces it and unregisters at its end,
     * so the loop arms it again before each iteration's callbacks. An interrupt already pending
     * fires it at once.
     */
    void arm() {
        begin();
    }

    /** Loop thread: whether an interrupt fired this watch (it is then closed: arm a new one). */
    boolean fired() {
        return fired;
    }

    /** Loop thread: unregisters this watch (leaving the loop's run). */
    void disarm() {
        try {
            end(true);
        } catch (IOException e) {
            // ClosedByInterruptException: the interrupt it stands for was recorded in fired.
        }
    }

    @Override
    protected void implCloseChannel() {
        fired = true;
    }
}
