package io.loopbridge.shadedtest.io.netty.util.concurrent;

/** Stands in for a shaded Netty's EventExecutor (the one method loopbridge calls). */
public interface EventExecutor {
    boolean inEventLoop();
}
