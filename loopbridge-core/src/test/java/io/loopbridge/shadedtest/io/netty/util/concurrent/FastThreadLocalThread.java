package io.loopbridge.shadedtest.io.netty.util.concurrent;

import io.loopbridge.shadedtest.io.netty.util.internal.ThreadExecutorMap;

/**
 * Stands in for a shaded (relocated) Netty's thread class, as gRPC's netty-shaded ships one:
 * recognition must follow the package prefix of the thread's own class.
 */
public class FastThreadLocalThread extends Thread {
    private final EventExecutor executor;

    public FastThreadLocalThread(Runnable body, EventExecutor executor) {
        super(body, "shaded-netty-loop");
        this.executor = executor;
    }

    @Override
    public void run() {
        ThreadExecutorMap.set(executor);
        super.run();
    }
}
