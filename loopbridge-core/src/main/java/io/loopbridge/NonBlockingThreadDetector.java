package io.loopbridge;

/**
 * Service-provider interface: recognises threads of other event-loop frameworks (Netty,
 * Vert.x, Reactor, ...) on which blocking must be refused with {@link BlockingOnLoopException}.
 * Providers are found with {@link java.util.ServiceLoader}; implementations must be
 * thread-safe and fast (called on every blocking wait from a plain thread).
 */
public interface NonBlockingThreadDetector {
    /**
     * Returns a short name of the framework (e.g. "Netty event loop") if {@code thread}
     * is one of its non-blocking threads, else null.
     */
    String nonBlockingKind(Thread thread);
}
