package io.loopbridge;

import io.loopbridge.internal.MpscQueue;

/**
 * A scheduled callback: the ready queue's and the timer heap's element (asyncio's Handle
 * and TimerHandle in one class, so a post allocates one object). It is its own MPSC node.
 */
final class Callback extends MpscQueue.Node implements TimerHandle {
    final Runnable fn;
    /** The ContextVar values the callback runs with (captured when scheduled); null = empty. */
    final Context context;
    private final SelectorEventLoop timerLoop;
    private volatile boolean cancelled;
    /** Timer fields, loop thread only. */
    long when;
    long seq;
    int heapIndex = -1;
    /** Set when the loop took it off a queue (read by a producer that raced close()). */
    boolean taken;

    Callback(Runnable fn, Context context) {
        this.fn = fn;
        this.context = context;
        this.timerLoop = null;
    }

    Callback(Runnable fn, Context context, SelectorEventLoop loop, long when) {
        this.fn = fn;
        this.context = context;
        this.timerLoop = loop;
        this.when = when;
    }

    @Override
    public void cancel() {
        if (!cancelled) {
            cancelled = true;
            if (timerLoop != null) {
                timerLoop.timerCancelled(this);
            }
        }
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public long when() {
        return when;
    }

    @Override
    public String toString() {
        return (timerLoop != null ? "TimerHandle[when=" + when + ", " : "Handle[")
                + fn + (cancelled ? ", cancelled]" : "]");
    }
}
