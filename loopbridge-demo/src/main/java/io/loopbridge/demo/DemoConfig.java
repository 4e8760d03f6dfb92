package io.loopbridge.demo;

import java.time.Duration;

/**
 * Settings of the demo service; {@link #fromArgs} reads {@code --name value} pairs.
 *
 * @param host             address to listen on
 * @param port             port (0 picks a free one)
 * @param db               JDBC URL of the H2 database, or {@code mem} for a private in-memory one
 * @param dbPool           connections in the pool (and permits of the database limiter)
 * @param syncWorkers      permits of the limiter the framework runs sync handlers under
 * @param maxConnections   connections served at once; beyond that new ones get a 503
 * @param headerTimeout    a client must finish its request head (and body) within this
 * @param maxBody          largest request body accepted (413 beyond)
 * @param grace            in-flight requests get this long to finish at shutdown
 */
public record DemoConfig(String host, int port, String db, int dbPool, int syncWorkers, int maxConnections,
                         Duration headerTimeout, int maxBody, Duration grace) {
    /** The request head limit: a longer head is answered 431. */
    public static final int MAX_HEAD = 16 * 1024;
    public static final String DEFAULT_DB = "jdbc:h2:file:./loopbridge-demo-data/notes";

    public static DemoConfig defaults() {
        return new DemoConfig("127.0.0.1", 8080, DEFAULT_DB, 8, 40, 1000, Duration.ofSeconds(10), 64 * 1024,
                Duration.ofSeconds(5));
    }

    public DemoConfig withPort(int p) {
        return new DemoConfig(host, p, db, dbPool, syncWorkers, maxConnections, headerTimeout, maxBody, grace);
    }

    public DemoConfig withDb(String d) {
        return new DemoConfig(host, port, d, dbPool, syncWorkers, maxConnections, headerTimeout, maxBody, grace);
    }

    public DemoConfig withMaxConnections(int n) {
        return new DemoConfig(host, port, db, dbPool, syncWorkers, n, headerTimeout, maxBody, grace);
    }

    public DemoConfig withHeaderTimeout(Duration d) {
        return new DemoConfig(host, port, db, dbPool, syncWorkers, maxConnections, d, maxBody, grace);
    }

    public DemoConfig withGrace(Duration d) {
        return new DemoConfig(host, port, db, dbPool, syncWorkers, maxConnections, headerTimeout, maxBody, d);
    }

    /** The JDBC URL to open: {@code mem} becomes a fresh private in-memory database. */
    String jdbcUrl() {
        return db.equals("mem") ? "jdbc:h2:mem:demo-" + java.util.UUID.randomUUID() : db;
    }

    static final String USAGE = """
            usage: demo.sh [--port 8080] [--host 127.0.0.1] [--db jdbc:h2:file:./loopbridge-demo-data/notes | mem]
                           [--db-pool 8] [--sync-workers 40] [--max-connections 1000]
                           [--header-timeout-ms 10000] [--max-body 65536] [--grace-ms 5000]""";

    public static DemoConfig fromArgs(String... args) {
        DemoConfig c = defaults();
        String host = c.host;
        int port = c.port;
        String db = c.db;
        int dbPool = c.dbPool;
        int sync = c.syncWorkers;
        int maxConn = c.maxConnections;
        long headerMs = c.headerTimeout.toMillis();
        int maxBody = c.maxBody;
        long graceMs = c.grace.toMillis();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                throw new IllegalArgumentException(USAGE);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value after " + a + "\n" + USAGE);
            }
            String v = args[++i];
            try {
                switch (a) {
                    case "--host" -> host = v;
                    case "--port" -> port = Integer.parseInt(v);
                    case "--db" -> db = v;
                    case "--db-pool" -> dbPool = Integer.parseInt(v);
                    case "--sync-workers" -> sync = Integer.parseInt(v);
                    case "--max-connections" -> maxConn = Integer.parseInt(v);
                    case "--header-timeout-ms" -> headerMs = Long.parseLong(v);
                    case "--max-body" -> maxBody = Integer.parseInt(v);
                    case "--grace-ms" -> graceMs = Long.parseLong(v);
                    default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number after " + a + ": " + v + "\n" + USAGE);
            }
        }
        return new DemoConfig(host, port, db, dbPool, sync, maxConn, Duration.ofMillis(headerMs), maxBody,
                Duration.ofMillis(graceMs));
    }
}
