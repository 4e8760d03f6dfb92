package io.loopbridge.interop;

import io.loopbridge.internal.UnhandledExceptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs around every test class here (auto-detected), as loopbridge-core's leak check does:
 * after each test no exception may have reached a loop's default handler or an
 * uncaught-exception handler unnoticed; after each class no thread it started may still run.
 * Threads are checked per class, not per test, because a class shares its frameworks' event
 * loops (started lazily, by whichever test first needs them) between its tests.
 */
public final class InteropLeakCheck implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(InteropLeakCheck.class);
    private static final List<String> UNHANDLED = new CopyOnWriteArrayList<>();
    private static final BiConsumer<String, Throwable> LISTENER = (m, e) -> UNHANDLED.add(m + ": " + e);

    static {
        UnhandledExceptions.addListener(LISTENER);
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> UNHANDLED.add("uncaught in " + t.getName() + ": " + e));
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("threads", Set.copyOf(Thread.getAllStackTraces().keySet()));
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        UNHANDLED.clear();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!UNHANDLED.isEmpty()) {
            List<String> copy = List.copyOf(UNHANDLED);
            UNHANDLED.clear();
            throw new AssertionError("exceptions went unhandled during the test: " + copy);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        @SuppressWarnings("unchecked")
        Set<Thread> before = (Set<Thread>) context.getStore(NS).get("threads");
        List<Thread> leaked = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!before.contains(t) && t.isAlive() && !isInfrastructure(t)) {
                t.join(5_000);
                if (t.isAlive()) {
                    leaked.add(t);
                }
            }
        }
        if (!leaked.isEmpty()) {
            throw new AssertionError("test class left threads running: " + leaked.stream()
                    .map(t -> t.getName() + " " + t.getState()).collect(Collectors.joining(", ")));
        }
    }

    /** JVM-wide threads that outlive any test by design. */
    private static boolean isInfrastructure(Thread t) {
        String n = t.getName();
        return n.equals("loopbridge-cleaner") || n.startsWith("ForkJoinPool") || n.startsWith("surefire")
                || n.equals("process reaper") || n.startsWith("junit-") || n.startsWith("Common-Cleaner")
                || n.startsWith("VirtualThread-un") || n.startsWith("InnocuousThread") || n.startsWith("Attach Listener")
                || n.startsWith("Read-Poller") || n.startsWith("Write-Poller") || n.equals("MasterPoller")
                // Netty's: a shared executor that ends by itself a second after its last task, and its cleaner.
                || n.startsWith("Cleaner-") || n.startsWith("globalEventExecutor") || n.equals("ObjectCleanerThread");
    }
}
