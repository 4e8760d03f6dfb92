package io.loopbridge.streams;

import static io.loopbridge.streams.StreamsTest.LOCAL;
import static io.loopbridge.streams.StreamsTest.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.Async;
import io.loopbridge.CancelledException;
import io.loopbridge.EventLoop;
import io.loopbridge.ExceptionContext;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * CPython's {@code Lib/test/test_asyncio/test_server.py} (3.13), the cases for TCP servers,
 * named after the originals: 5 of its 11 cases, and two Java extras. asyncio's {@code Server.close()} is
 * {@link Server#stopAccepting()} here; {@code close()} followed by {@code abort_clients()} is
 * {@link Server#close()} (which aborts the connections and cancels the handlers), and
 * {@code close_clients()} has no separate form (it is ported with {@code close()}).
 *
 * <p>Left out (6), as the streams API has no Unix sockets: {@code test_start_unix_server_1} and
 * the five {@code UnixServerCleanupTests} ({@code test_unix_server_addr_cleanup},
 * {@code test_unix_server_sock_cleanup}, {@code test_unix_server_cleanup_gone},
 * {@code test_unix_server_cleanup_replaced}, {@code test_unix_server_cleanup_prevented}). {@code test_start_server_1} drops asyncio's
 * {@code start_serving=False} part: a server here listens from the start. Every case also
 * checks that nothing was reported to the loop's exception handler.
 */
class TestServer {
    private EventLoop loop;
    private final List<ExceptionContext> messages = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        loop = EventLoop.create();
        loop.setExceptionHandler((l, ctx) -> messages.add(ctx));
    }

    @AfterEach
    void tearDown() {
        loop.close();
        assertThat(messages).isEmpty();
    }

    /** asyncio's handler in the TestServer2 cases: read to end of stream, then close. */
    private static final Streams.Handler READ_THEN_CLOSE = (rd, wr) -> {
        try {
            rd.read(-1);
        } finally {
            wr.close();
            wr.awaitClosed();
        }
    };

    /**
     * asyncio's two {@code sleep(0)}s after closing, made a bound: asyncio's {@code wait_closed}
     * waits for the connections only, and returns after two iterations; here it waits for the
     * handler tasks too (cancelled by {@code close()}: their ends and done-callbacks take a
     * few more iterations). True if {@code task} is done within {@code iterations}.
     */
    private static boolean doneWithinIterations(Task<?> task, int iterations) throws Exception {
        for (int i = 0; i < iterations && !task.isDone(); i++) {
            Async.checkpoint();
        }
        return task.isDone();
    }

    /** asyncio's {@code asyncio.create_task(srv.wait_closed())}. */
    private static Task<Void> waitingForClose(Server srv) {
        return Async.spawn(() -> {
            srv.awaitClosed();
            return null;
        });
    }

    @Test
    void test_start_server_1() throws Exception {
        byte[] hello = new byte[1024 * 5 + 1];
        java.util.Arrays.fill(hello, (byte) '1');
        hello[hello.length - 1] = '\n';
        AtomicReference<Task<Void>> mainTask = new AtomicReference<>();
        Server srv = loop.runUntilComplete(() -> Streams.startServer((reader, writer) -> {
            reader.readLine();
            mainTask.get().cancel();
            writer.write(ascii("1"));
            writer.close();
            writer.awaitClosed();
        }, LOCAL, 0));
        assertThat(srv.isServing()).isTrue();
        mainTask.set(loop.createTask(() -> {
            try (srv) {
                srv.serveForever();
            }
            return null;
        }));
        InetSocketAddress addr = srv.addresses().get(0);
        AtomicReference<Throwable> clientFailure = new AtomicReference<>();
        Thread client = Thread.ofPlatform().name("test-start-server-client").start(() -> {
            try (Socket sock = new Socket()) {
                sock.setSoTimeout(30_000);
                sock.connect(addr);
                sock.getOutputStream().write(hello);
                InputStream in = sock.getInputStream();
                if (in.read() != '1') {
                    throw new AssertionError("the server's byte did not come");
                }
            } catch (Throwable e) {
                clientFailure.set(e);
            }
        });
        assertThatThrownBy(() -> loop.runUntilComplete(mainTask.get())).isInstanceOf(CancelledException.class);
        client.join();
        assertThat(clientFailure.get()).isNull();
        assertThat(srv.isServing()).isFalse();
        assertThat(srv.connectionCount()).isZero();
        assertThatThrownBy(() -> loop.runUntilComplete(() -> {
            srv.serveForever();
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
    }

    /** Java extra: serveForever() after stopAccepting() is refused too (asyncio's close() is stopAccepting() here). */
    @Test
    void serveForeverAfterStopAcceptingIsRefused() throws Exception {
        loop.runUntilComplete(() -> {
            Server srv = Streams.startServer(READ_THEN_CLOSE, LOCAL, 0);
            Streams.Connection c = Streams.openConnection(LOCAL, srv.addresses().get(0).getPort());
            srv.stopAccepting();
            assertThatThrownBy(srv::serveForever).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("is closed to new connections");
            c.writer().close();
            srv.awaitClosed();
            return null;
        });
    }

    /** Java extra: serveForever() ended by an Async.timeout closes the server, as a cancellation does (asyncio's too). */
    @Test
    void serveForeverEndedByATimeoutClosesTheServer() throws Exception {
        loop.runUntilComplete(() -> {
            Server srv = Streams.startServer(READ_THEN_CLOSE, LOCAL, 0);
            assertThatThrownBy(() -> {
                try (io.loopbridge.Timeout t = Async.timeout(java.time.Duration.ofMillis(1))) {
                    srv.serveForever();
                }
            }).isInstanceOf(java.util.concurrent.TimeoutException.class);
            assertThat(srv.isServing()).isFalse();
            srv.awaitClosed();
            return null;
        });
    }

    @Test
    void test_wait_closed_basic() throws Exception {
        loop.runUntilComplete(() -> {
            Server srv = Streams.startServer(READ_THEN_CLOSE, LOCAL, 0);
            try {
                // active count = 0, not closed: should block
                Task<Void> task1 = waitingForClose(srv);
                Async.checkpoint();
                assertThat(task1.isDone()).isFalse();

                // active count != 0, not closed: should block
                InetSocketAddress addr = srv.addresses().get(0);
                Streams.Connection c = Streams.openConnection(LOCAL, addr.getPort());
                Task<Void> task2 = waitingForClose(srv);
                Async.checkpoint();
                assertThat(task1.isDone()).isFalse();
                assertThat(task2.isDone()).isFalse();

                srv.stopAccepting();
                Async.checkpoint();
                // active count != 0, closed: should block
                Task<Void> task3 = waitingForClose(srv);
                Async.checkpoint();
                assertThat(task1.isDone()).isFalse();
                assertThat(task2.isDone()).isFalse();
                assertThat(task3.isDone()).isFalse();

                c.writer().close();
                c.writer().awaitClosed();
                // active count == 0, closed: should unblock
                Async.await(task1);
                Async.await(task2);
                Async.await(task3);
                srv.awaitClosed(); // returns at once
            } finally {
                srv.close();
            }
            return null;
        });
    }

    @Test
    void test_wait_closed_race() throws Exception {
        loop.runUntilComplete(() -> {
            Server srv = Streams.startServer(READ_THEN_CLOSE, LOCAL, 0);
            try {
                Task<Void> task = waitingForClose(srv);
                Async.checkpoint();
                assertThat(task.isDone()).isFalse();
                InetSocketAddress addr = srv.addresses().get(0);
                Streams.Connection c = Streams.openConnection(LOCAL, addr.getPort());
                loop.callSoon(srv::stopAccepting);
                loop.callSoon(c.writer()::close);
                srv.awaitClosed();
                Async.await(task);
            } finally {
                srv.close();
            }
            return null;
        });
    }

    /** asyncio's {@code close()} + {@code close_clients()}: {@link Server#close()} here. */
    @Test
    void test_close_clients() throws Exception {
        loop.runUntilComplete(() -> {
            Server srv = Streams.startServer(READ_THEN_CLOSE, LOCAL, 0);
            InetSocketAddress addr = srv.addresses().get(0);
            Streams.Connection c = Streams.openConnection(LOCAL, addr.getPort());
            try {
                Task<Void> task = waitingForClose(srv);
                Async.checkpoint();
                assertThat(task.isDone()).isFalse();
                srv.close();
                assertThat(doneWithinIterations(task, 10)).isTrue();
            } finally {
                c.writer().close();
            }
            return null;
        });
    }

    /**
     * asyncio's {@code close()} + {@code abort_clients()}: a handler whose reader is paused
     * (more than twice its limit buffered) and whose writer has bytes the socket does not
     * take; {@link Server#close()} still ends it at once.
     */
    @Test
    void test_abort_clients() throws Exception {
        loop.runUntilComplete(() -> {
            LoopFuture<Streams.Connection> fut = loop.createFuture();
            Server srv = Streams.startServer((rd, wr) -> {
                fut.complete(new Streams.Connection(rd, wr));
                wr.awaitClosed();
            }, LOCAL, 0);
            InetSocketAddress addr = srv.addresses().get(0);
            Streams.Connection c = Streams.openConnection(LOCAL, addr.getPort(), 4096);
            try {
                Streams.Connection s = Async.await(fut);
                s.writer().transport.channel.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 65536);
                c.writer().transport.channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 65536);

                // The client's reader pauses: more than twice its limit arrives.
                s.writer().write(new byte[4096]);
                s.writer().write(new byte[4096]);
                s.writer().write(new byte[4096]);
                while (!c.writer().transport.readingPaused()) {
                    Async.checkpoint();
                }
                // The server's writer holds bytes once the kernel's buffers are full.
                for (int i = 0; i < 10 && s.writer().writeBufferSize() == 0; i++) {
                    s.writer().write(new byte[4 * 65536]);
                }
                assertThat(s.writer().writeBufferSize()).isNotZero();

                Task<Void> task = waitingForClose(srv);
                Async.checkpoint();
                assertThat(task.isDone()).isFalse();
                srv.close();
                assertThat(doneWithinIterations(task, 10)).isTrue();
            } finally {
                c.writer().abort();
            }
            return null;
        });
    }
}
