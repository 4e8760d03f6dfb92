package io.loopbridge.shadedtest.io.netty.util.internal;

import io.loopbridge.shadedtest.io.netty.util.concurrent.EventExecutor;

/** Stands in for a shaded Netty's ThreadExecutorMap. */
public final class ThreadExecutorMap {
    private static final ThreadLocal<EventExecutor> CURRENT = new ThreadLocal<>();

    private ThreadExecutorMap() {
    }

    public static EventExecutor currentExecutor() {
        return CURRENT.get();
    }

    public static void set(EventExecutor e) {
        CURRENT.set(e);
        InternalThreadLocalMap.markUsed();
    }
}
