package io.loopbridge;

import io.loopbridge.internal.MpscQueue;

/**
 * A scheduled callback: the ready queue's element (asyncio's Handle). It is its own MPSC
 * node, so a cross-thread post allocates this one small object besides the caller's lambda.
 */
class Callback extends MpscQueue.Node implements Handle {
    final Runnable fn;
    /** The ContextVar values the callback runs with (captured when scheduled); null = empty. */
    final Context context;
    private volatile boolean cancelled;
    /** Set when the loop took it off a queue (read by a producer that raced close()). */
    boolean taken;

    Callback(Runnable fn, Context context) {
        this.fn = fn;
        this.context = context;
    }

    @Override
    public void cancel() {
        if (!cancelled) {
            cancelled = true;
            onCancel();
        }
    }

    void onCancel() {
    }

    /**
     * The loop closed before it could run this callback (a cross-thread post that came too late).
     * Returns whether this callback saw to it itself; if not, the loop logs it as dropped.
     * Called on the thread that found it, once.
     */
    boolean dropped() {
        return false;
    }

    @Override
    public boolean isCancelled() {
        return cancelled;
    }

    @Override
    public String toString() {
        return "Handle[" + fn + (cancelled ? ", cancelled]" : "]");
    }
}
