package io.loopbridge.demo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * The embedded database: an H2 table of notes behind a small JDBC connection pool. Plain
 * blocking JDBC, so every call runs on a worker thread (through {@code Threads.toThread} under
 * a {@code CapacityLimiter} with as many permits as the pool has connections).
 */
final class NotesDb implements AutoCloseable {
    record Note(long id, String text, String created) {
        String json() {
            return new Json().put("id", id).put("text", text).put("created", created).end();
        }
    }

    private final JdbcConnectionPool pool;
    final String url;
    final int poolSize;
    final boolean created;

    private NotesDb(JdbcConnectionPool pool, String url, int poolSize, boolean created) {
        this.pool = pool;
        this.url = url;
        this.poolSize = poolSize;
        this.created = created;
    }

    /** Opens (and on first start creates and seeds) the database at {@code url}. */
    static NotesDb open(String url, int poolSize) throws SQLException {
        JdbcConnectionPool pool = JdbcConnectionPool.create(url, "sa", "");
        pool.setMaxConnections(poolSize);
        boolean created;
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = c.getMetaData().getTables(null, null, "NOTES", null)) {
                created = !rs.next();
            }
            if (created) {
                s.execute("CREATE TABLE notes (id BIGINT AUTO_INCREMENT PRIMARY KEY, text VARCHAR(65536) NOT NULL,"
                        + " created TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL)");
                s.execute("INSERT INTO notes(text) VALUES ('hello from the embedded H2 database'),"
                        + " ('every JDBC call runs on a worker thread, never on the loop')");
            }
        } catch (SQLException | RuntimeException e) {
            pool.dispose();
            throw e;
        }
        return new NotesDb(pool, url, poolSize, created);
    }

    Note find(long id) throws SQLException {
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, text, created FROM notes WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? note(rs) : null;
            }
        }
    }

    List<Note> latest(int n) throws SQLException {
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, text, created FROM notes ORDER BY id DESC LIMIT ?")) {
            ps.setInt(1, n);
            List<Note> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(note(rs));
                }
            }
            return out;
        }
    }

    Note insert(String text) throws SQLException {
        try (Connection c = pool.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO notes(text) VALUES (?)", new String[] {"ID"})) {
            ps.setString(1, text);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                return find(c, keys.getLong(1));
            }
        }
    }

    private static Note find(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, text, created FROM notes WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return note(rs);
            }
        }
    }

    private static Note note(ResultSet rs) throws SQLException {
        return new Note(rs.getLong(1), rs.getString(2), String.valueOf(rs.getObject(3, java.time.OffsetDateTime.class)));
    }

    /** Closes the pool's connections; the last one closes the database (H2 closes on last connection). */
    @Override
    public void close() {
        pool.dispose();
    }
}
