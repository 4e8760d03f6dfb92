package io.loopbridge.streams;

import io.loopbridge.Async;
import io.loopbridge.CancelledException;
import io.loopbridge.EventLoop;
import io.loopbridge.ExceptionContext;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import io.loopbridge.TimerHandle;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening TCP server made by {@link Streams#startServer} (asyncio's Server): accepts
 * connections on the loop's selector and runs the handler as one task per connection.
 *
 * <p>Lifecycle: SERVING → CLOSED, or SERVING → DRAINING ({@link #stopAccepting()}) → CLOSED
 * once the last connection has ended. {@link #close()} stops listening <em>and</em> ends the live
 * connections: their handler tasks are cancelled and their sockets closed at once (asyncio's
 * {@code close()} followed by {@code abort_clients()}), so closing is bounded and leaves no
 * socket open. {@link #awaitClosed()} then waits until every handler task has finished.
 *
 * <p>If {@code accept} fails (for example when the process runs out of file descriptors) the
 * error goes to the loop's exception handler and accepting pauses for one second, as in asyncio.
 *
 * <p>Confined to its loop: call its methods from a task or callback of the loop that started
 * it; {@link #awaitClosed} and {@link #serveForever} from a task.
 */
public final class Server implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Server.class);
    private static final Duration ACCEPT_RETRY_DELAY = Duration.ofSeconds(1);

    enum State { SERVING, DRAINING, CLOSED }

    private final EventLoop loop;
    private final Streams.Handler handler;
    private final int limit;
    private final int acceptBatch;
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<InetSocketAddress> addresses = new ArrayList<>();
    private final Set<SocketTransport> connections = new LinkedHashSet<>();
    private final Set<Task<?>> handlers = new LinkedHashSet<>();
    private final List<LoopFuture<Void>> servingWaiters = new ArrayList<>();
    private final LoopFuture<Void> closed;
    private State state = State.SERVING;
    private TimerHandle acceptRetry;
    private long accepted;

    private Server(EventLoop loop, Streams.Handler handler, int limit, int backlog) {
        this.loop = loop;
        this.handler = handler;
        this.limit = limit;
        this.acceptBatch = backlog;
        this.closed = loop.createFuture();
    }

    static Server start(EventLoop loop, Streams.Handler handler, InetAddress[] hosts, int port, int limit, int backlog)
            throws IOException {
        Server s = new Server(loop, handler, limit, backlog);
        try {
            if (hosts == null) {
                s.listen(new InetSocketAddress(port), backlog);
            } else {
                int p = port;
                for (InetAddress a : hosts) {
                    p = s.listen(new InetSocketAddress(a, p), backlog).getPort();
                }
            }
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        for (ServerSocketChannel l : s.listeners) {
            loop.addReader(l, () -> s.acceptReady(l));
        }
        return s;
    }

    private InetSocketAddress listen(InetSocketAddress at, int backlog) throws IOException {
        ServerSocketChannel l = ServerSocketChannel.open();
        listeners.add(l);
        l.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        try {
            l.bind(at, backlog);
        } catch (IOException e) {
            IOException clear = new java.net.BindException("cannot listen on " + at + ": " + e.getMessage());
            clear.initCause(e);
            throw clear;
        }
        l.configureBlocking(false);
        InetSocketAddress bound = (InetSocketAddress) l.getLocalAddress();
        addresses.add(bound);
        return bound;
    }

    /** The addresses the server listens on (with the real port when 0 was asked for). */
    public List<InetSocketAddress> addresses() {
        return List.copyOf(addresses);
    }

    /** True until {@link #stopAccepting()} or {@link #close()}. */
    public boolean isServing() {
        return state == State.SERVING;
    }

    /** Connections open right now. */
    public int connectionCount() {
        return connections.size();
    }

    // ---------------------------------------------------------------- accepting

    private void acceptReady(ServerSocketChannel l) {
        for (int i = 0; i < acceptBatch && state == State.SERVING; i++) {
            SocketChannel ch;
            try {
                ch = l.accept();
            } catch (IOException e) {
                pauseAccepting(l, e);
                return;
            }
            if (ch == null) {
                return;
            }
            serve(ch);
        }
    }

    private void pauseAccepting(ServerSocketChannel l, IOException e) {
        loop.callExceptionHandler(new ExceptionContext("accept() failed on server " + addresses
                + "; not accepting for " + ACCEPT_RETRY_DELAY.toMillis() + " ms", e, this));
        loop.removeReader(l);
        acceptRetry = loop.callLater(ACCEPT_RETRY_DELAY, () -> {
            acceptRetry = null;
            if (state == State.SERVING) {
                loop.addReader(l, () -> acceptReady(l));
            }
        });
    }

    private void serve(SocketChannel ch) {
        Streams.Connection c;
        try {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            c = Streams.wrap(loop, ch, limit);
        } catch (IOException e) {
            // The peer went away between connect and accept: nothing to serve.
            log.debug("dropping a connection that failed on accept", e);
            closeQuietly(ch);
            return;
        }
        SocketTransport t = c.writer().transport;
        connections.add(t);
        t.onClose = () -> {
            connections.remove(t);
            checkClosed();
        };
        accepted++;
        Task<Void> task = loop.createTask("stream-handler-" + accepted + " " + t.remoteAddress, () -> {
            runHandler(c);
            return null;
        });
        handlers.add(task);
        task.addDoneCallback(f -> {
            handlers.remove(task);
            checkClosed();
        });
    }

    private void runHandler(Streams.Connection c) {
        StreamWriter w = c.writer();
        try {
            handler.handle(c.reader(), w);
        } catch (CancelledException e) {
            w.abort();
            throw e;
        } catch (Throwable e) {
            w.abort();
            loop.callExceptionHandler(new ExceptionContext("Unhandled exception in the stream handler of server "
                    + addresses + " for the connection from " + w.remoteAddress(), e, this));
            return;
        }
        w.close();
    }

    // ---------------------------------------------------------------- closing

    /**
     * Stops listening but lets live connections and their handlers carry on (asyncio's
     * {@code Server.close()} without {@code abort_clients()}): the first step of a graceful
     * shutdown. {@link #awaitClosed()} then returns once the last connection has ended and its
     * handler finished (asyncio's {@code wait_closed()}); {@link #close()} ends whatever is still
     * open. Idempotent. Loop only.
     */
    public void stopAccepting() {
        if (state != State.SERVING) {
            return;
        }
        state = State.DRAINING;
        closeListeners();
        checkClosed();
    }

    private void closeListeners() {
        if (acceptRetry != null) {
            acceptRetry.cancel();
            acceptRetry = null;
        }
        for (ServerSocketChannel l : listeners) {
            if (l.isRegistered()) {
                loop.removeReader(l);
            }
            closeQuietly(l);
        }
    }

    /**
     * Stops listening, cancels the handler tasks and closes every live connection at once.
     * Idempotent. {@link #awaitClosed()} waits for the handlers to finish.
     */
    @Override
    public void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        closeListeners();
        for (SocketTransport t : List.copyOf(connections)) {
            t.abort();
        }
        for (Task<?> t : List.copyOf(handlers)) {
            t.cancel("server " + addresses + " is closing");
        }
        for (LoopFuture<Void> f : servingWaiters) {
            f.complete(null);
        }
        servingWaiters.clear();
        checkClosed();
    }

    private void checkClosed() {
        if (state != State.SERVING && connections.isEmpty() && handlers.isEmpty()) {
            if (state == State.DRAINING) {
                state = State.CLOSED; // drained: nothing left for close() to end
                for (LoopFuture<Void> f : servingWaiters) {
                    f.complete(null);
                }
                servingWaiters.clear();
            }
            closed.complete(null);
        }
    }

    /**
     * Waits until the server is closed and every handler task has finished: after
     * {@link #close()}, or after {@link #stopAccepting()} once the last connection has ended.
     */
    public void awaitClosed() throws Exception {
        Async.await(closed);
    }

    /**
     * Waits until the server is closed (by {@link #close()} from elsewhere, or by
     * {@link #stopAccepting()} once its connections have ended). If the waiting task is
     * cancelled, or an enclosing {@code Async.timeout} expires, closes the server, waits for
     * it, and rethrows the cancellation or the {@code TimeoutException}. Several tasks may wait
     * at once.
     *
     * @throws IllegalStateException if the server no longer accepts connections when called
     *                               (as asyncio's {@code serve_forever()} on a closed server)
     */
    public void serveForever() throws Exception {
        if (state != State.SERVING) {
            throw new IllegalStateException("cannot serve forever: server " + addresses + " is closed"
                    + (state == State.DRAINING ? " to new connections (stopAccepting() was called)" : "")
                    + "; start a new server with Streams.startServer");
        }
        LoopFuture<Void> f = loop.createFuture();
        servingWaiters.add(f);
        try {
            Async.await(f);
        } catch (CancelledException | java.util.concurrent.TimeoutException e) {
            // A cancellation or an Async.timeout that expired (here a TimeoutException, which
            // asyncio delivers as its CancelledError): the server goes with the serving task.
            servingWaiters.remove(f);
            close();
            awaitClosed();
            throw e;
        }
    }

    private static void closeQuietly(java.nio.channels.Channel c) {
        try {
            c.close();
        } catch (IOException e) {
            log.debug("closing {} failed", c, e);
        }
    }

    @Override
    public String toString() {
        return "Server[" + addresses + ", " + state.name().toLowerCase() + ", " + connections.size() + " connections]";
    }
}
