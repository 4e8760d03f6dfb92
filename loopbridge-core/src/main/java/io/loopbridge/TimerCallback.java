package io.loopbridge;

/** A callback due at a time on the loop's clock (asyncio's TimerHandle): the timer heap's element. */
final class TimerCallback extends Callback implements TimerHandle {
    private final SelectorEventLoop loop;
    final long when;
    /** Heap bookkeeping, loop thread only. */
    long seq;
    int heapIndex = -1;

    TimerCallback(Runnable fn, Context context, SelectorEventLoop loop, long when) {
        super(fn, context);
        this.loop = loop;
        this.when = when;
    }

    @Override
    void onCancel() {
        loop.timerCancelled(this);
    }

    @Override
    public long when() {
        return when;
    }

    @Override
    public String toString() {
        return "TimerHandle[when=" + when + ", " + fn + (isCancelled() ? ", cancelled]" : "]");
    }
}
