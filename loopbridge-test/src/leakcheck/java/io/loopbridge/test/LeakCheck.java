package io.loopbridge.test;

import io.loopbridge.internal.OpenLoops;
import io.loopbridge.internal.UnhandledExceptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Fails a test that left something behind: a thread it started that still runs, an event loop
 * it opened and did not close, or an exception that reached a loop's default handler (a
 * failure nobody retrieved, a throwing callback) or a thread's uncaught-exception handler.
 * With {@link CheckOpenSockets}, also a TCP socket it left open.
 *
 * <p>Register it on a class ({@code @ExtendWith(LeakCheck.class)}), or for every test of a
 * module: a file {@code META-INF/services/org.junit.jupiter.api.extension.Extension} in the
 * test resources naming {@code io.loopbridge.test.LeakCheck}, and
 * {@code junit.jupiter.extensions.autodetection.enabled=true} in
 * {@code junit-platform.properties}. Every {@link LoopTest} is checked the same way, whether
 * or not it is registered.
 *
 * <p>Threads that end within a grace period are not leaks (a worker finishing its last act);
 * the check waits for them, never sleeps a fixed time. Configuration parameters:
 * {@code loopbridge.leakcheck.grace} (default {@code 10 s}, JUnit's duration syntax) and
 * {@code loopbridge.leakcheck.ignoredThreads} (comma-separated thread-name prefixes that
 * outlive tests by design, beyond the JDK's, JUnit's, Maven's and loopbridge's own).
 *
 * <p>The checks are JVM-wide: run checked tests one at a time (JUnit's default). A test that
 * provokes default-handler reports on purpose takes them with {@link #takeUnhandled()}.
 *
 * <p>This class is thread-safe.
 */
public final class LeakCheck implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheck.class);
    private static final String EACH = "each";
    private static final String ALL = "all";
    /** Default-handler and uncaught-exception reports since the last check. */
    private static final List<Report> UNHANDLED = new CopyOnWriteArrayList<>();

    private record Report(String where, Throwable exception) {
        @Override
        public String toString() {
            return where + ": " + exception;
        }
    }

    static {
        BiConsumer<String, Throwable> listener = (message, e) -> UNHANDLED.add(new Report(message, e));
        UnhandledExceptions.addListener(listener);
        OpenLoops.track();
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            UNHANDLED.add(new Report("uncaught in thread '" + t.getName() + "'", e));
            if (previous != null) {
                previous.uncaughtException(t, e);
            } else {
                System.err.print("Exception in thread \"" + t.getName() + "\" ");
                e.printStackTrace(); // what the JDK prints when no handler is set
            }
        });
    }

    /**
     * Takes the exceptions that reached a loop's default handler or an uncaught-exception
     * handler since the test started, so that the check does not fail on them: for a test
     * that provokes such reports on purpose (and may assert on them).
     */
    public static List<Throwable> takeUnhandled() {
        List<Throwable> out = new ArrayList<>();
        for (Report r : List.copyOf(UNHANDLED)) {
            UNHANDLED.remove(r);
            out.add(r.exception());
        }
        return out;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        begin(context, ALL);
    }

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        end(context, ALL, List.of(), List.of());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        begin(context, EACH);
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        end(context, EACH, List.of(), List.of());
    }

    /** Takes the "before" picture of a test, unless another registration already did for this context. */
    static void beginTest(ExtensionContext context) {
        begin(context, EACH);
    }

    /**
     * Checks a test (once per context however often it is registered): fails with everything
     * it left behind, {@code moreProblems} first (what the caller found, e.g. unfinished tasks),
     * with {@code causes} attached.
     */
    static void endTest(ExtensionContext context, List<String> moreProblems, List<Throwable> causes) throws InterruptedException {
        end(context, EACH, moreProblems, causes);
    }

    private static void begin(ExtensionContext context, String scope) {
        ExtensionContext.Store store = context.getStore(NS);
        Snapshot existing = store.get(scope, Snapshot.class);
        if (existing != null && existing.contextId().equals(context.getUniqueId())) {
            return; // registered twice (autodetected and declared): one check
        }
        UNHANDLED.clear();
        // Per test by default; a class whose tests share threads it starts lazily has them checked after the class.
        boolean threads = scope.equals(ALL) || !threadsPerClass(context);
        boolean sockets = scope.equals(EACH) && (AnnotationSupport.isAnnotated(context.getElement(), CheckOpenSockets.class)
                || context.getTestClass().map(c -> AnnotationSupport.isAnnotated(c, CheckOpenSockets.class)).orElse(false));
        store.put(scope, Snapshot.take(context.getUniqueId(), threads, sockets));
    }

    private static void end(ExtensionContext context, String scope, List<String> moreProblems, List<Throwable> causes)
            throws InterruptedException {
        ExtensionContext.Store store = context.getStore(NS);
        Snapshot before = store.get(scope, Snapshot.class);
        if (before == null || !before.contextId().equals(context.getUniqueId())) {
            if (!moreProblems.isEmpty()) {
                fail(context, scope, moreProblems, causes); // no snapshot of ours: still report what the caller found
            }
            return; // already checked by the other registration
        }
        store.remove(scope);
        List<String> problems = new ArrayList<>(moreProblems);
        before.findLeaks(grace(context), ignoredThreadPrefixes(context), problems);
        List<Report> unhandled = List.copyOf(UNHANDLED);
        UNHANDLED.removeAll(unhandled);
        List<Throwable> all = new ArrayList<>(causes);
        if (!unhandled.isEmpty()) {
            problems.add(unhandled.size() + " exception(s) reached a default handler: nobody retrieved or handled them "
                    + "(await the task or future, or set an exception handler on the loop): " + unhandled);
            unhandled.forEach(r -> all.add(r.exception()));
        }
        if (!problems.isEmpty()) {
            fail(context, scope, problems, all);
        }
    }

    private static void fail(ExtensionContext context, String scope, List<String> problems, List<Throwable> causes) {
        String what = scope.equals(ALL) ? "test class " + context.getDisplayName() : "test " + testName(context);
        AssertionError failure = new AssertionError(what + " left something behind:\n  - " + String.join("\n  - ", problems));
        causes.forEach(failure::addSuppressed);
        throw failure;
    }

    /** "name()", with the run's display name when it is one of several runs ("name() [on a FAST loop]"). */
    private static String testName(ExtensionContext context) {
        String display = context.getDisplayName();
        return context.getTestMethod().map(m -> m.getName() + "()").map(n -> display.startsWith(n.substring(0, n.length() - 1))
                ? n : n + " [" + display + "]").orElse(display);
    }

    private static boolean threadsPerClass(ExtensionContext context) {
        Optional<Class<?>> c = context.getTestClass();
        while (c.isPresent()) {
            if (AnnotationSupport.isAnnotated(c.get(), CheckThreadsPerClass.class)) {
                return true;
            }
            c = Optional.ofNullable(c.get().getEnclosingClass());
        }
        return false;
    }

    private static Duration grace(ExtensionContext context) {
        return context.getConfigurationParameter("loopbridge.leakcheck.grace")
                .map(s -> Durations.parse("loopbridge.leakcheck.grace", s)).orElse(Duration.ofSeconds(10));
    }

    private static List<String> ignoredThreadPrefixes(ExtensionContext context) {
        List<String> out = new ArrayList<>();
        context.getConfigurationParameter("loopbridge.leakcheck.ignoredThreads").ifPresent(s -> {
            for (String p : s.split(",")) {
                if (!p.isBlank()) {
                    out.add(p.strip());
                }
            }
        });
        return out;
    }
}
