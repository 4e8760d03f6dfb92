package io.loopbridge.examples;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After each example: every thread the example started has ended (workers joined, event threads
 * closed, executors shut down), and no thread it started is still alive to keep a JVM running.
 * Threads that existed before the test (and JDK/JUnit daemons) are ignored.
 */
public final class NoLeftoverThreadsExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoLeftoverThreadsExtension.class);

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NS).put("before", Set.copyOf(Thread.getAllStackTraces().keySet()));
    }

    /** A live non-daemon thread the example started (JUnit's own, like its timeout watcher, excluded). */
    private static boolean started(Set<Thread> before, Thread t) {
        return !before.contains(t) && !t.isDaemon() && t.isAlive() && !t.getName().startsWith("junit-");
    }

    @Override
    @SuppressWarnings("unchecked")
    public void afterEach(ExtensionContext context) throws Exception {
        Set<Thread> before = (Set<Thread>) context.getStore(NS).get("before");
        // Threads that just finished their last act may need a moment to be reported dead: join briefly, never sleep.
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (started(before, t)) {
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
        }
        List<Thread> left = Thread.getAllStackTraces().keySet().stream().filter(t -> started(before, t)).toList();
        if (!left.isEmpty()) {
            throw new AssertionError("the example left non-daemon threads running: "
                    + left.stream().map(Thread::getName).toList());
        }
    }
}
