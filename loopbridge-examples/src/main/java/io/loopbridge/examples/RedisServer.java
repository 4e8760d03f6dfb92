package io.loopbridge.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway {@code redis-server} for the Lettuce example and the interop tests: started on
 * a free port of 127.0.0.1 with a temporary directory of its own and no persistence, stopped
 * and removed by {@link #close()}. Needs the {@code redis-server} binary (Debian package
 * redis-server; the CI script installs it). A shared helper, not an example.
 *
 * <p>This class is thread-safe.
 */
public final class RedisServer implements AutoCloseable {
    private static final int ATTEMPTS = 5;

    private final Process process;
    private final int port;
    private final Path dir;
    private final Thread logDrainer;
    private final List<String> log;

    private RedisServer(Process process, int port, Path dir, Thread logDrainer, List<String> log) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.logDrainer = logDrainer;
        this.log = log;
    }

    /**
     * Starts a server and returns once it accepts connections (it says so on its log, which
     * is read as it is written: no polling, no sleeping).
     *
     * @throws IllegalStateException if there is no redis-server binary, or it does not start
     */
    public static RedisServer start() throws IOException {
        String binary = findBinary();
        List<String> failures = new ArrayList<>();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            // A port free now may be taken before the server binds it: then try another.
            int port = freePort();
            Path dir = Files.createTempDirectory("loopbridge-redis-");
            Process p = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--dir", dir.toString(), "--save", "", "--appendonly", "no", "--daemonize", "no",
                    "--logfile", "")
                    .redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            List<String> log = new ArrayList<>();
            String line;
            boolean ready = false;
            while ((line = out.readLine()) != null) {
                log.add(line);
                if (line.contains("Ready to accept connections")) {
                    ready = true;
                    break;
                }
            }
            if (ready) {
                List<String> shared = java.util.Collections.synchronizedList(log);
                // Keep reading its log, so the server never blocks on a full pipe; ends when the process does.
                Thread drainer = Thread.ofPlatform().daemon().name("redis-server-log-" + port).start(() -> drain(out, shared));
                return new RedisServer(p, port, dir, drainer, shared);
            }
            waitForExit(p);
            deleteTree(dir);
            failures.add("port " + port + ": " + String.join(" | ", log));
        }
        throw new IllegalStateException("redis-server did not start in " + ATTEMPTS + " attempts: " + failures);
    }

    private static void drain(BufferedReader out, List<String> log) {
        try {
            String line;
            while ((line = out.readLine()) != null) {
                log.add(line);
            }
        } catch (IOException e) {
            log.add("(log unreadable: " + e + ")");
        }
    }

    private static String findBinary() {
        String path = System.getenv().getOrDefault("PATH", "") + java.io.File.pathSeparator + "/usr/bin:/usr/local/bin";
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (!d.isEmpty()) {
                Path candidate = Path.of(d, "redis-server");
                if (Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        throw new IllegalStateException("no redis-server binary on the PATH: install it (Debian: apt-get install"
                + " redis-server; .ci/run does this when it is missing)");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The URI for Lettuce's {@code RedisClient.create}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** What the server has logged so far. */
    public List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL if it lingers), waits for it, removes its directory. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                waitForExit(process);
            }
            logDrainer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        deleteTree(dir);
    }

    private static void waitForExit(Process p) {
        boolean interrupted = false;
        while (true) {
            try {
                p.waitFor();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove redis-server's directory " + dir, e);
        }
    }

    @Override
    public String toString() {
        return "redis-server on " + uri();
    }
}
