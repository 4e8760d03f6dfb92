package io.loopbridge;

/**
 * Service-provider interface: recognises threads of other event-loop frameworks on which
 * blocking must be refused with {@link BlockingOnLoopException}. Netty's event loops (and so
 * Lettuce's, Reactor Netty's, gRPC's), Vert.x event-loop threads and Reactor's non-blocking
 * schedulers are recognised by loopbridge itself, before any provider is asked; a provider is
 * for the rest. Providers are found with {@link java.util.ServiceLoader}; implementations must
 * be thread-safe and fast (called on every blocking wait from a plain thread).
 */
public interface NonBlockingThreadDetector {
    /**
     * Returns a short description of the thread's kind, as the refusal shows it after "called on"
     * (e.g. "a MyFramework event-loop"), if {@code thread}
     * is one of its non-blocking threads, else null.
     */
    String nonBlockingKind(Thread thread);
}
