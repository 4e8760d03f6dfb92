package io.loopbridge.streams;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * TCP streams on the running loop (asyncio's streams.py): {@link #openConnection} and
 * {@link #startServer}. Sockets are non-blocking channels on the loop's own selector: no
 * thread per connection and no helper threads, so thousands of connections live on one loop.
 *
 * <pre>{@code
 * Server server = Streams.startServer((reader, writer) -> {
 *     byte[] line;
 *     while ((line = reader.readLine()).length > 0) {
 *         writer.write(line);
 *         writer.drain();
 *     }
 * }, "127.0.0.1", 0);
 * int port = server.addresses().get(0).getPort();
 * Streams.Connection c = Streams.openConnection("127.0.0.1", port);
 * }</pre>
 *
 * <p>Both methods are called from a task (they await) and return objects confined to that
 * task's loop. The low-level socket awaitables are {@link EventLoop#sockAccept},
 * {@link EventLoop#sockConnect}, {@link EventLoop#sockRecv} and {@link EventLoop#sockSendAll}.
 *
 * <p>This class is thread-safe (stateless); each method must be called from a task.
 */
public final class Streams {
    /** The default listen backlog of {@link #startServer}. */
    public static final int DEFAULT_BACKLOG = 1024;

    private Streams() {
    }

    /**
     * An open connection: its two halves.
     *
     * <p>This record is thread-safe (immutable); its halves are confined to their loop.
     */
    public record Connection(StreamReader reader, StreamWriter writer) {
    }

    /**
     * Serves one accepted connection; runs as its own task. The connection is closed when
     * the handler returns (after the buffered data is written) or throws (at once; the
     * exception goes to the loop's exception handler and the server keeps serving). A
     * connection failure the handler meets in a read, {@code drain()} or {@code awaitClosed()}
     * and does not catch is such an exception (asyncio reports it the same way).
     */
    @FunctionalInterface
    public interface Handler {
        void handle(StreamReader reader, StreamWriter writer) throws Exception;
    }

    /**
     * Connects to {@code host:port}, trying each address the name resolves to in turn.
     * Cancellable, and bounded by an enclosing {@code Async.timeout}.
     *
     * @throws ConnectException if no address accepted the connection (refused, unreachable, ...)
     * @throws java.net.UnknownHostException if the name does not resolve
     */
    public static Connection openConnection(String host, int port) throws Exception {
        return openConnection(host, port, StreamReader.DEFAULT_LIMIT);
    }

    /** As {@link #openConnection(String, int)}, with the reader's {@linkplain StreamReader#limit() limit}. */
    public static Connection openConnection(String host, int port, int limit) throws Exception {
        Objects.requireNonNull(host, "host");
        checkPort(port);
        checkLimit(limit);
        EventLoop loop = loopOfTask("Streams.openConnection");
        IOException last = null;
        for (InetAddress a : resolve(host)) {
            InetSocketAddress remote = new InetSocketAddress(a, port);
            SocketChannel ch = SocketChannel.open();
            boolean ok = false;
            try {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                Async.await(loop.sockConnect(ch, remote));
                Connection c = wrap(loop, ch, limit);
                ok = true;
                return c;
            } catch (IOException e) {
                ConnectException ce = new ConnectException("cannot connect to " + host + ":" + port
                        + (host.equals(a.getHostAddress()) ? "" : " (" + a.getHostAddress() + ")") + ": " + e.getMessage());
                ce.initCause(e);
                if (last != null) {
                    ce.addSuppressed(last);
                }
                last = ce;
            } finally {
                if (!ok) {
                    ch.close();
                }
            }
        }
        throw last != null ? last : new ConnectException("cannot connect to " + host + ":" + port + ": no address");
    }

    /**
     * Listens on {@code host:port} and runs {@code handler} as a new task for each connection.
     * {@code host} null or empty listens on every interface; a name listens on every address
     * it resolves to; port 0 picks a free port (the same one on every address), see
     * {@link Server#addresses()}.
     */
    public static Server startServer(Handler handler, String host, int port) throws Exception {
        return startServer(handler, host, port, StreamReader.DEFAULT_LIMIT, DEFAULT_BACKLOG);
    }

    /** As {@link #startServer(Handler, String, int)}, with the readers' limit and the listen backlog. */
    public static Server startServer(Handler handler, String host, int port, int limit, int backlog) throws Exception {
        Objects.requireNonNull(handler, "handler");
        checkPort(port);
        checkLimit(limit);
        if (backlog <= 0) {
            throw new IllegalArgumentException("backlog must be positive: " + backlog);
        }
        EventLoop loop = loopOfTask("Streams.startServer");
        InetAddress[] addresses = host == null || host.isEmpty() ? null : resolve(host);
        return Server.start(loop, handler, addresses, port, limit, backlog);
    }

    static Connection wrap(EventLoop loop, SocketChannel ch, int limit) throws IOException {
        StreamReader reader = new StreamReader(loop, limit);
        SocketTransport t = new SocketTransport(loop, ch, reader);
        t.start();
        return new Connection(reader, new StreamWriter(t));
    }

    private static InetAddress[] resolve(String host) throws Exception {
        if (host.equals("localhost") || host.indexOf(':') >= 0 || host.matches("[0-9.]+")) {
            // Literals and localhost resolve without a lookup that could stall the loop.
            return InetAddress.getAllByName(host);
        }
        return Async.toThread(() -> InetAddress.getAllByName(host));
    }

    private static EventLoop loopOfTask(String what) {
        if (Async.currentTask().isEmpty()) {
            throw new IllegalStateException(what + " must be called from a task of an event loop (it awaits);"
                    + " use Async.run(...) or loop.createTask(...)");
        }
        return EventLoop.current();
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port out of range 0..65535: " + port);
        }
    }

    private static void checkLimit(int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
    }
}
