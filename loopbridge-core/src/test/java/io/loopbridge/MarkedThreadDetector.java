package io.loopbridge;

/**
 * A test-only {@link NonBlockingThreadDetector} provider (registered in the test resources):
 * it recognises {@link MarkedThread}s only, so it proves the service-provider path works
 * without touching any other test.
 */
public final class MarkedThreadDetector implements NonBlockingThreadDetector {
    static final String KIND = "a MarkedThreadDetector event-loop";

    @Override
    public String nonBlockingKind(Thread thread) {
        return thread instanceof MarkedThread ? KIND : null;
    }

    /** The kind of thread a user's own framework would run its event loop on. */
    static final class MarkedThread extends Thread {
        MarkedThread(Runnable body) {
            super(body, "marked-event-loop");
        }
    }
}
