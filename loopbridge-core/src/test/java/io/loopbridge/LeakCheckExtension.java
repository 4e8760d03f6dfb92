package io.loopbridge;

import io.loopbridge.internal.UnhandledExceptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs around every test (auto-detected): afterwards, no thread that the test started may
 * still be alive, and no exception may have reached a loop's default handler or a thread's
 * uncaught-exception handler unnoticed. A test that expects such reports installs its own
 * loop exception handler.
 */
public final class LeakCheckExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheckExtension.class);
    private static final List<String> UNHANDLED = new CopyOnWriteArrayList<>();
    private static final BiConsumer<String, Throwable> LISTENER = (m, e) -> UNHANDLED.add(m + ": " + e);

    static {
        UnhandledExceptions.addListener(LISTENER);
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> UNHANDLED.add("uncaught in " + t.getName() + ": " + e));
    }

    /** Withdraws the last {@code n} reports (a test that provoked them on purpose). */
    static void forgetLast(int n) {
        for (int i = 0; i < n && !UNHANDLED.isEmpty(); i++) {
            UNHANDLED.remove(UNHANDLED.size() - 1);
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        UNHANDLED.clear();
        context.getStore(NS).put("threads", Set.copyOf(Thread.getAllStackTraces().keySet()));
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
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
            throw new AssertionError("test left threads running: " + leaked.stream()
                    .map(t -> t.getName() + " " + t.getState()).collect(Collectors.joining(", ")));
        }
        if (!UNHANDLED.isEmpty()) {
            List<String> copy = List.copyOf(UNHANDLED);
            UNHANDLED.clear();
            throw new AssertionError("exceptions went unhandled during the test: " + copy);
        }
    }

    private static boolean isInfrastructure(Thread t) {
        String n = t.getName();
        return n.equals("loopbridge-cleaner") || n.startsWith("ForkJoinPool") || n.startsWith("surefire")
                || n.equals("process reaper") || n.startsWith("junit-") || n.startsWith("Common-Cleaner") || n.startsWith("Cleaner-")
                || n.startsWith("VirtualThread-un") || n.startsWith("InnocuousThread")
                || n.startsWith("Attach Listener") || n.startsWith("Read-Poller") || n.startsWith("Write-Poller") || n.equals("MasterPoller")
                || n.startsWith("JFR ") || n.equals("loopbridge-watchdog");
    }
}
