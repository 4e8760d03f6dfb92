package io.loopbridge.test;

import io.loopbridge.internal.InspectableLoop;
import io.loopbridge.internal.OpenLoops;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.stream.Collectors;

/**
 * What was running and open when a test (or a test class) started, and how to find what it
 * added and left behind. Each leak is reported once, at the innermost check that sees it.
 */
record Snapshot(String contextId, Set<Thread> threads, Set<InspectableLoop> loops, long sockets) {
    private static final Set<Object> REPORTED = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

    /** JVM-wide threads started once, lazily, by whatever first needs them; they outlive every test by design. */
    private static final List<String> INFRASTRUCTURE = List.of(
            "loopbridge-cleaner", "loopbridge-test-timeouts", "ForkJoinPool", "surefire", "process reaper", "junit-",
            "Common-Cleaner", "Cleaner-", "VirtualThread-un", "InnocuousThread", "Attach Listener", "Read-Poller",
            "Write-Poller", "MasterPoller", "JFR ", "loopbridge-watchdog");

    /**
     * @param checkThreads whether threads are compared (not when a class checks them after all its tests)
     * @param checkSockets whether open TCP sockets are compared
     */
    static Snapshot take(String contextId, boolean checkThreads, boolean checkSockets) {
        return new Snapshot(contextId,
                checkThreads ? Set.copyOf(Thread.getAllStackTraces().keySet()) : null,
                Set.copyOf(OpenLoops.open()),
                checkSockets ? OpenSockets.count() : -1);
    }

    /** Adds to {@code problems} what was started or opened since this snapshot and is still there after {@code grace}. */
    void findLeaks(Duration grace, List<String> ignoredPrefixes, List<String> problems) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        if (threads != null) {
            List<Thread> left = new ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (!threads.contains(t) && t.isAlive() && !isInfrastructure(t, ignoredPrefixes) && !REPORTED.contains(t)) {
                    t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)); // a thread finishing its last act
                    if (t.isAlive()) {
                        left.add(t);
                        REPORTED.add(t);
                    }
                }
            }
            if (!left.isEmpty()) {
                problems.add(left.size() + " thread(s) it started still running (stop, join or close what started them): "
                        + left.stream().map(Snapshot::describe).collect(Collectors.joining("; ")));
            }
        }
        List<InspectableLoop> open = new ArrayList<>();
        for (InspectableLoop l : OpenLoops.open()) {
            if (!loops.contains(l) && !REPORTED.contains(l)) {
                open.add(l);
                REPORTED.add(l);
            }
        }
        if (!open.isEmpty()) {
            problems.add(open.size() + " event loop(s) it opened still open (close each loop, EventThread or Runner, "
                    + "e.g. with try-with-resources): " + open);
        }
        if (sockets >= 0) {
            long now = OpenSockets.count();
            while (now > sockets && System.nanoTime() - deadline < 0) {
                Thread.sleep(10); // a socket closing on another thread: no event to wait for, so re-count shortly
                now = OpenSockets.count();
            }
            if (now > sockets) {
                problems.add((now - sockets) + " TCP socket(s) it opened still open (" + now + ", were " + sockets + "): "
                        + OpenSockets.describe());
            }
        }
    }

    private static boolean isInfrastructure(Thread t, List<String> ignoredPrefixes) {
        String n = t.getName();
        for (String p : INFRASTRUCTURE) {
            if (n.startsWith(p)) {
                return true;
            }
        }
        for (String p : ignoredPrefixes) {
            if (n.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /** The thread's name, state and where it is (its innermost frame and its first frames outside the JDK), to find who started it. */
    private static String describe(Thread t) {
        StackTraceElement[] stack = t.getStackTrace();
        StringBuilder sb = new StringBuilder("'").append(t.getName()).append("' ").append(t.getState());
        int shown = 0;
        for (int i = 0; i < stack.length && shown < 3; i++) {
            String c = stack[i].getClassName();
            if (i == 0 || !(c.startsWith("java.") || c.startsWith("jdk.") || c.startsWith("sun."))) {
                sb.append(shown == 0 ? " at " : " < ").append(stack[i]);
                shown++;
            }
        }
        return sb.toString();
    }
}
