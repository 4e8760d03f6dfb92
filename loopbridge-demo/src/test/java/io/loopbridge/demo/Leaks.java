package io.loopbridge.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A small stand-in for core's LeakCheckExtension: the threads and sockets a test started with,
 * and a check that nothing was added by the end. Threads and sockets that are already being
 * closed may take a moment to go, so the check retries until a deadline instead of sleeping
 * a fixed time.
 */
final class Leaks {
    private final Set<Thread> threads;
    private final long sockets;

    private Leaks(Set<Thread> threads, long sockets) {
        this.threads = threads;
        this.sockets = sockets;
    }

    static Leaks snapshot() {
        return new Leaks(new HashSet<>(Thread.getAllStackTraces().keySet()), openSockets());
    }

    /** Open socket descriptors of this process (Linux), -1 where /proc is missing. */
    static long openSockets() {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1;
        }
        try (Stream<Path> s = Files.list(fds)) {
            return s.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().startsWith("socket:");
                } catch (IOException e) {
                    return false;                      // closed while we listed
                }
            }).count();
        } catch (IOException e) {
            return -1;
        }
    }

    List<Thread> newThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !threads.contains(t))
                .toList();
    }

    /** Throws unless, within 10 s, no thread and no socket is left beyond the snapshot. */
    void assertNoneLeft() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<Thread> extra = newThreads();
            long s = openSockets();
            boolean socketsOk = sockets < 0 || s <= sockets;
            if (extra.isEmpty() && socketsOk) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("leaked: threads " + extra.stream().map(Thread::getName).toList()
                        + ", sockets " + s + " (were " + sockets + ")");
            }
            for (Thread t : extra) {
                t.join(100);                           // wait for the thread itself, not a fixed time
            }
            if (extra.isEmpty()) {
                Thread.onSpinWait();
                Thread.sleep(10);                      // a socket closing elsewhere: re-check shortly
            }
        }
    }
}
