package io.loopbridge.interop;

import io.loopbridge.NonBlockingThreadDetector;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;

/** Recognises Netty event-loop threads (test-scope provider proving the SPI works). */
public final class NettyThreadDetector implements NonBlockingThreadDetector {
    @Override
    public String nonBlockingKind(Thread thread) {
        if (thread != Thread.currentThread()) {
            return null;
        }
        EventExecutor ex = ThreadExecutorMap.currentExecutor();
        return ex != null && ex.inEventLoop() ? "a Netty event-loop" : null;
    }
}
