package io.loopbridge.test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The TCP sockets this process has open, read from {@code /proc} (Linux): descriptors whose
 * socket inode is in {@code /proc/self/net/tcp} or {@code tcp6}. Other sockets (netlink and
 * the like, opened once by the JDK itself) are not counted.
 */
final class OpenSockets {
    private OpenSockets() {
    }

    /** How many TCP sockets are open; -1 where {@code /proc} is missing. */
    static long count() {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return -1;
        }
        Set<String> tcp = tcpInodes();
        try (Stream<Path> s = Files.list(fds)) {
            return s.filter(p -> tcp.contains(inode(link(p)))).count();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Each open TCP socket with its line of the TCP table (local and remote address, state; in hex). */
    static String describe() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            List<String> lines = tcpLines();
            return s.map(OpenSockets::link).filter(l -> l.startsWith("socket:[")).map(l -> {
                String inode = inode(l);
                return lines.stream().filter(line -> inode.equals(field(line, 9))).findFirst().map(String::strip).orElse(null);
            }).filter(x -> x != null).toList().toString();
        } catch (IOException e) {
            return "?";
        }
    }

    private static String link(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString();
        } catch (IOException e) {
            return ""; // closed while we listed
        }
    }

    private static String inode(String link) {
        return link.startsWith("socket:[") ? link.substring(8, link.length() - 1) : "";
    }

    private static Set<String> tcpInodes() {
        Set<String> out = new HashSet<>();
        for (String line : tcpLines()) {
            String inode = field(line, 9);
            if (inode != null) {
                out.add(inode);
            }
        }
        return out;
    }

    private static List<String> tcpLines() {
        List<String> out = new java.util.ArrayList<>();
        for (String table : new String[] {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    if (!line.strip().startsWith("sl")) {
                        out.add(line);
                    }
                }
            } catch (IOException e) {
                // no such table
            }
        }
        return out;
    }

    private static String field(String line, int i) {
        String[] f = line.strip().split("\\s+");
        return f.length > i ? f[i] : null;
    }
}
