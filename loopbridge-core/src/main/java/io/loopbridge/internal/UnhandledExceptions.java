package io.loopbridge.internal;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * Hook for exceptions that reached a loop's default handler (logged, nobody else saw them).
 * Test harnesses listen here to fail a test in which an exception went unhandled.
 * This class is thread-safe.
 */
public final class UnhandledExceptions {
    private static final CopyOnWriteArrayList<BiConsumer<String, Throwable>> LISTENERS = new CopyOnWriteArrayList<>();

    private UnhandledExceptions() {
    }

    public static void addListener(BiConsumer<String, Throwable> l) {
        LISTENERS.add(l);
    }

    public static void removeListener(BiConsumer<String, Throwable> l) {
        LISTENERS.remove(l);
    }

    public static void report(String message, Throwable e) {
        for (BiConsumer<String, Throwable> l : LISTENERS) {
            l.accept(message, e);
        }
    }
}
