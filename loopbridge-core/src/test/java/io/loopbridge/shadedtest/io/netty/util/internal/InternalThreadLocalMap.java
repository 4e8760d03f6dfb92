package io.loopbridge.shadedtest.io.netty.util.internal;

/** Stands in for a shaded Netty's InternalThreadLocalMap: getIfSet is non-null once Netty ran on the thread. */
public final class InternalThreadLocalMap {
    private static final ThreadLocal<InternalThreadLocalMap> MAP = new ThreadLocal<>();

    private InternalThreadLocalMap() {
    }

    public static InternalThreadLocalMap getIfSet() {
        return MAP.get();
    }

    static void markUsed() {
        MAP.set(new InternalThreadLocalMap());
    }
}
