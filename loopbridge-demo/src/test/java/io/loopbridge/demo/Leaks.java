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

    /**
     * Open TCP sockets of this process (Linux): descriptors whose socket inode is in
     * /proc/net/tcp or tcp6; -1 where /proc is missing. Other sockets (netlink and the like,
     * opened once by the JDK itself) are not channels of ours and are not counted.
     */
    static long openSockets() {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1;
        }
        Set<String> tcp = tcpInodes();
        try (Stream<Path> s = Files.list(fds)) {
            return s.filter(p -> {
                try {
                    String link = Files.readSymbolicLink(p).toString();
                    return link.startsWith("socket:[") && tcp.contains(link.substring(8, link.length() - 1));
                } catch (IOException e) {
                    return false;                      // closed while we listed
                }
            }).count();
        } catch (IOException e) {
            return -1;
        }
    }

    private static Set<String> tcpInodes() {
        Set<String> out = new HashSet<>();
        for (String table : new String[] {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && !f[0].equals("sl")) {
                        out.add(f[9]);
                    }
                }
            } catch (IOException e) {
                // no such table
            }
        }
        return out;
    }

    List<Thread> newThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !threads.contains(t) && !isInfrastructure(t))
                .toList();
    }

    /** JVM-wide threads started once, lazily, by whatever first needs them (the same list as core's check). */
    private static boolean isInfrastructure(Thread t) {
        String n = t.getName();
        return n.equals("loopbridge-cleaner") || n.startsWith("ForkJoinPool") || n.startsWith("surefire")
                || n.equals("process reaper") || n.startsWith("junit-") || n.startsWith("Common-Cleaner") || n.startsWith("Cleaner-")
                || n.startsWith("VirtualThread-un") || n.startsWith("InnocuousThread")
                || n.startsWith("Attach Listener") || n.startsWith("Read-Poller") || n.startsWith("Write-Poller") || n.equals("MasterPoller");
    }

    /** "fd->socket:[inode]" with the TCP line of that inode (local, remote, state in hex), when there is one. */
    private static String describe(String fdLink) {
        String inode = fdLink.replaceAll(".*socket:\\[(\\d+)\\].*", "$1");
        for (String table : new String[] {"/proc/self/net/tcp", "/proc/self/net/tcp6", "/proc/self/net/unix"}) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && (f[9].equals(inode) || f[f.length - 1].equals(inode) || (f.length > 6 && f[6].equals(inode)))) {
                        return fdLink + " " + table + ": " + line.trim();
                    }
                }
            } catch (IOException e) {
                // not there
            }
        }
        return fdLink;
    }

    /** Debug aid for a failed check: where each socket descriptor points. */
    static String socketList() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.map(p -> {
                try {
                    return p.getFileName() + "->" + Files.readSymbolicLink(p);
                } catch (IOException e) {
                    return "";
                }
            }).filter(x -> x.contains("socket:")).map(Leaks::describe).toList().toString();
        } catch (IOException e) {
            return "?";
        }
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
                        + ", sockets " + s + " (were " + sockets + "): " + socketList());
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
