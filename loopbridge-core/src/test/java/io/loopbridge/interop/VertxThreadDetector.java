package io.loopbridge.interop;

import io.loopbridge.NonBlockingThreadDetector;
import io.vertx.core.Context;

/** Recognises Vert.x event-loop threads (test-scope provider proving the SPI works). */
public final class VertxThreadDetector implements NonBlockingThreadDetector {
    @Override
    public String nonBlockingKind(Thread thread) {
        return thread == Thread.currentThread() && Context.isOnEventLoopThread() ? "a Vert.x event-loop" : null;
    }
}
