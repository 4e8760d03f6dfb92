package io.loopbridge.streams;

import io.loopbridge.Async;
import io.loopbridge.CancelledException;
import io.loopbridge.EventLoop;
import io.loopbridge.ExceptionContext;
import io.loopbridge.LoopFuture;
import io.loopbridge.TestLoops;
import io.loopbridge.Task;
import io.loopbridge.Timeout;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StreamsTest {

    static final String LOCAL = "127.0.0.1";

    /** Echoes lines until end of stream. */
    static final Streams.Handler ECHO_LINES = (r, w) -> {
        byte[] line;
        while ((line = r.readLine()).length > 0) {
            w.write(line);
            w.drain();
        }
    };

    /** Echoes bytes as they come, until end of stream. */
    static final Streams.Handler ECHO_BYTES = (r, w) -> {
        byte[] b;
        while ((b = r.read(64 * 1024)).length > 0) {
            w.write(b);
            w.drain();
        }
    };

    static int port(Server s) {
        return s.addresses().get(0).getPort();
    }

    static int registered() {
        return EventLoop.current().stats().channels();
    }

    static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    /** Runs {@code body} as a task of {@code loop} (running in another thread) and waits for it. */
    static <T> T onLoop(EventLoop loop, Callable<T> body) throws Exception {
        CompletableFuture<T> cf = new CompletableFuture<>();
        loop.callSoonThreadsafe(() -> loop.createTask(() -> {
            try {
                cf.complete(body.call());
            } catch (Throwable e) {
                cf.completeExceptionally(e);
            }
            return null;
        }));
        return Async.await(cf);
    }

    // ---------------------------------------------------------------- echo

    @Test
    void echoServerOnOneLoopServesManyClientsOfAnotherLoop() throws Exception {
        int clients = 200;
        int lines = 20;
        try (TestLoops.Background bg = new TestLoops.Background(EventLoop.builder().name("server").build())) {
            Server server = onLoop(bg.loop, () -> Streams.startServer(ECHO_LINES, LOCAL, 0));
            int port = port(server);
            Async.run(() -> {
                List<Task<Integer>> tasks = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    int id = c;
                    tasks.add(Async.spawn(() -> {
                        Streams.Connection conn = Streams.openConnection(LOCAL, port);
                        int ok = 0;
                        for (int i = 0; i < lines; i++) {
                            String msg = "client " + id + " line " + i + "\n";
                            conn.writer().write(ascii(msg));
                            conn.writer().drain();
                            if (new String(conn.reader().readLine(), US_ASCII).equals(msg)) {
                                ok++;
                            }
                        }
                        conn.writer().writeEof();
                        assertThat(conn.reader().read(10)).isEmpty();
                        assertThat(conn.reader().atEof()).isTrue();
                        conn.writer().close();
                        conn.writer().awaitClosed();
                        return ok;
                    }));
                }
                for (Task<Integer> t : tasks) {
                    assertThat(Async.await(t)).isEqualTo(lines);
                }
                assertThat(registered()).isZero();
                return null;
            });
            onLoop(bg.loop, () -> {
                server.close();
                server.awaitClosed();
                assertThat(server.connectionCount()).isZero();
                assertThat(registered()).isZero();
                return null;
            });
        }
    }

    // ---------------------------------------------------------------- reader semantics

    @Test
    void readerMethodsFollowAsyncioSemantics() throws Exception {
        Async.run(() -> {
            StreamReader r = new StreamReader(EventLoop.current(), 8);
            r.feedData(ascii("ab\ncdefgh"));
            assertThat(r.readLine()).isEqualTo(ascii("ab\n"));
            assertThat(r.read(2)).isEqualTo(ascii("cd"));
            assertThat(r.readExactly(3)).isEqualTo(ascii("efg"));
            Task<byte[]> until = Async.spawn(() -> r.readUntil(ascii("--")));
            Async.checkpoint();
            r.feedData(ascii("ij-"));
            Async.checkpoint();
            assertThat(until.isDone()).isFalse();
            r.feedData(ascii("-k"));
            assertThat(Async.await(until)).isEqualTo(ascii("hij--"));
            r.feedData(ascii("0123456789"));
            assertThatThrownBy(() -> r.readUntil(ascii("\n"))).isInstanceOf(LimitOverrunException.class)
                    .hasMessageContaining("limit of 8");
            assertThat(r.buffered()).isEqualTo(11);
            assertThatThrownBy(r::readLine).isInstanceOf(LimitOverrunException.class);
            assertThat(r.buffered()).isZero();
            r.feedData(ascii("xyz"));
            r.feedEof();
            assertThatThrownBy(() -> r.readExactly(5)).isInstanceOfSatisfying(IncompleteReadException.class, e -> {
                assertThat(e.partial()).isEqualTo(ascii("xyz"));
                assertThat(e.expected()).isEqualTo(5);
            });
            assertThat(r.atEof()).isTrue();
            assertThat(r.readLine()).isEmpty();
            assertThat(r.read(-1)).isEmpty();
            assertThatThrownBy(() -> r.read(-2)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> r.readUntil(new byte[0])).isInstanceOf(IllegalArgumentException.class);
            return null;
        });
    }

    @Test
    void streamsRefuseCallsFromOutsideTheirLoop() throws Exception {
        Async.run(() -> {
            StreamReader r = new StreamReader(EventLoop.current(), 8);
            Thread[] t = new Thread[1];
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            t[0] = Thread.ofPlatform().start(() -> {
                try {
                    r.readLine();
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            Async.toThread(() -> {
                t[0].join();
                return null;
            });
            assertThat(thrown.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("confined");
            return null;
        });
        assertThatThrownBy(() -> Streams.openConnection(LOCAL, 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("from a task");
    }

    // ---------------------------------------------------------------- back-pressure

    @Test
    void drainBlocksAWriterToAPeerThatNeverReadsWithTheBufferNearTheHighWaterMark() throws Exception {
        int chunk = 16 * 1024;
        int high = 64 * 1024;
        Async.run(() -> {
            EventLoop loop = EventLoop.current();
            try (ServerSocketChannel l = ServerSocketChannel.open()) {
                l.setOption(StandardSocketOptions.SO_RCVBUF, 16 * 1024);
                l.bind(new InetSocketAddress(LOCAL, 0));
                LoopFuture<SocketChannel> accepted = loop.sockAccept(l);
                Streams.Connection c = Streams.openConnection(LOCAL, l.socket().getLocalPort());
                SocketChannel peer = Async.await(accepted);
                LoopFuture<Void> blocking = loop.createFuture();
                long[] maxBuffered = {0};
                Task<Long> producer = Async.spawn(() -> {
                    byte[] data = new byte[chunk];
                    long sent = 0;
                    int extra = 20;
                    while (extra > 0) {
                        c.writer().write(data);
                        sent += chunk;
                        maxBuffered[0] = Math.max(maxBuffered[0], c.writer().writeBufferSize());
                        if (c.writer().writeBufferSize() > high) {
                            blocking.complete(null);
                        }
                        if (blocking.isDone()) {
                            extra--;
                        }
                        c.writer().drain();
                    }
                    c.writer().close();
                    c.writer().awaitClosed();
                    return sent;
                });
                Async.await(blocking);
                for (int i = 0; i < 10; i++) {
                    Async.checkpoint();
                }
                assertThat(producer.isDone()).isFalse();
                assertThat(c.writer().writeBufferSize()).isLessThanOrEqualTo(high + chunk);
                // Now the peer reads: the producer resumes and everything arrives.
                ByteBuffer in = ByteBuffer.allocate(64 * 1024);
                long received = 0;
                int n;
                while ((n = Async.await(loop.sockRecv(peer, in.clear()))) >= 0) {
                    received += n;
                }
                peer.close();
                assertThat(received).isEqualTo(Async.await(producer));
                assertThat(maxBuffered[0]).isLessThanOrEqualTo(high + chunk);
            }
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void aFloodingPeerIsPausedSoTheReaderNeverHoldsMoreThanTwiceItsLimit() throws Exception {
        int limit = 32 * 1024;
        Async.run(() -> {
            EventLoop loop = EventLoop.current();
            try (ServerSocketChannel l = ServerSocketChannel.open()) {
                l.bind(new InetSocketAddress(LOCAL, 0));
                LoopFuture<SocketChannel> accepted = loop.sockAccept(l);
                Streams.Connection c = Streams.openConnection(LOCAL, l.socket().getLocalPort(), limit);
                SocketTransport t = c.writer().transport;
                t.pausedSignal = loop.createFuture();
                try (SocketChannel peer = Async.await(accepted)) {
                    ByteBuffer flood = ByteBuffer.allocate(32 << 20);
                    LoopFuture<Void> sending = loop.sockSendAll(peer, flood);
                    Async.await(t.pausedSignal);
                    assertThat(t.readingPaused()).isTrue();
                    assertThat(c.reader().buffered()).isLessThanOrEqualTo(2 * limit);
                    assertThat(sending.isDone()).isFalse();
                    // Reading drains the buffer and resumes the socket; the whole flood arrives.
                    long received = 0;
                    while (received < flood.capacity()) {
                        received += c.reader().read(8192).length;
                        assertThat(c.reader().buffered()).isLessThanOrEqualTo(2 * limit);
                    }
                    Async.await(sending);
                    assertThat(t.maxReaderBuffered).isLessThanOrEqualTo(2 * limit);
                }
                assertThat(c.reader().read(1)).isEmpty();
                c.writer().close();
                c.writer().awaitClosed();
            }
            assertThat(registered()).isZero();
            return null;
        });
    }

    // ---------------------------------------------------------------- faults

    @Test
    void stopAcceptingRefusesNewConnectionsWhileLiveOnesCarryOn() throws Exception {
        Async.run(() -> {
            Server server = Streams.startServer(ECHO_LINES, LOCAL, 0);
            int port = port(server);
            Streams.Connection live = Streams.openConnection(LOCAL, port);
            live.writer().write(ascii("before\n"));
            assertThat(live.reader().readLine()).isEqualTo(ascii("before\n"));
            server.stopAccepting();
            assertThat(server.isServing()).isFalse();
            assertThatThrownBy(() -> Streams.openConnection(LOCAL, port)).isInstanceOf(java.net.ConnectException.class);
            live.writer().write(ascii("after\n"));
            assertThat(live.reader().readLine()).isEqualTo(ascii("after\n"));
            assertThat(server.connectionCount()).isEqualTo(1);
            live.writer().close();
            server.close();
            server.awaitClosed();
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void aPeerResetMidStreamIsAnIOExceptionAndOtherConnectionsCarryOn() throws Exception {
        Async.run(() -> {
            EventLoop loop = EventLoop.current();
            LoopFuture<Throwable> serverSaw = loop.createFuture();
            Server server = Streams.startServer((r, w) -> {
                if (r.readLine()[0] == 'R') {
                    try {
                        r.readExactly(1_000_000);
                    } catch (Throwable e) {
                        serverSaw.complete(e);
                    }
                } else {
                    ECHO_LINES.handle(r, w);
                }
            }, LOCAL, 0);
            Streams.Connection ok = Streams.openConnection(LOCAL, port(server));
            ok.writer().write(ascii("E\n"));
            try (SocketChannel raw = SocketChannel.open()) {
                Async.await(loop.sockConnect(raw, server.addresses().get(0)));
                Async.await(loop.sockSendAll(raw, ByteBuffer.wrap(ascii("R\npartial data"))));
                raw.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
            assertThat(Async.await(serverSaw)).isInstanceOf(IOException.class)
                    .hasMessageContaining("lost").hasMessageContaining("reset");
            ok.writer().write(ascii("still here\n"));
            assertThat(ok.reader().readLine()).isEqualTo(ascii("still here\n"));
            ok.writer().close();
            server.close();
            server.awaitClosed();
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void writingToAResetConnectionFailsInDrain() throws Exception {
        Async.run(() -> {
            try (ServerSocketChannel l = ServerSocketChannel.open()) {
                Streams.Connection c = connectionWhosePeerResets(l);
                assertThatThrownBy(() -> {
                    byte[] data = new byte[64 * 1024];
                    for (int i = 0; i < 1000; i++) {
                        c.writer().write(data);
                        c.writer().drain();
                    }
                }).isInstanceOf(IOException.class).hasMessageContaining("lost");
                assertThat(c.writer().isClosing()).isTrue();
                assertThatThrownBy(() -> c.reader().read(1)).isInstanceOf(IOException.class);
                assertThatThrownBy(() -> c.writer().awaitClosed()).as("awaitClosed throws the loss, as asyncio's wait_closed")
                        .isInstanceOf(IOException.class).hasMessageContaining("lost");
            }
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void halfCloseLetsThePeerReadToTheEndAndStillAnswer() throws Exception {
        Async.run(() -> {
            Server server = Streams.startServer((r, w) -> {
                byte[] all = r.read(-1);
                w.write(ascii("got " + all.length + " bytes\n"));
            }, LOCAL, 0);
            Streams.Connection c = Streams.openConnection(LOCAL, port(server));
            c.writer().write(new byte[100_000]);
            c.writer().writeEof();
            assertThatThrownBy(() -> c.writer().write(new byte[1])).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("half-closed");
            assertThat(new String(c.reader().readLine(), US_ASCII)).isEqualTo("got 100000 bytes\n");
            assertThat(c.reader().readLine()).isEmpty();
            assertThat(c.reader().atEof()).isTrue();
            assertThatThrownBy(() -> c.reader().readExactly(1)).isInstanceOf(IncompleteReadException.class);
            c.writer().close();
            server.close();
            server.awaitClosed();
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void aHandlerThatThrowsIsReportedAndTheServerKeepsServingOthers() throws Exception {
        Async.run(() -> {
            EventLoop loop = EventLoop.current();
            List<ExceptionContext> reported = new ArrayList<>();
            loop.setExceptionHandler((l, ctx) -> reported.add(ctx));
            Server server = Streams.startServer((r, w) -> {
                byte[] line = r.readLine();
                if (line[0] == 'X') {
                    throw new IllegalStateException("handler bug");
                }
                w.write(line);
                ECHO_LINES.handle(r, w);
            }, LOCAL, 0);
            Streams.Connection bad = Streams.openConnection(LOCAL, port(server));
            bad.writer().write(ascii("X\n"));
            assertThat(bad.reader().read(10)).isEmpty();
            for (int i = 0; i < 3; i++) {
                Streams.Connection good = Streams.openConnection(LOCAL, port(server));
                good.writer().write(ascii("hello " + i + "\n"));
                assertThat(good.reader().readLine()).isEqualTo(ascii("hello " + i + "\n"));
                good.writer().close();
            }
            assertThat(reported).hasSize(1);
            assertThat(reported.get(0).exception()).hasMessage("handler bug");
            assertThat(reported.get(0).message()).contains("stream handler");
            bad.writer().close();
            server.close();
            server.awaitClosed();
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void cancellingATaskBlockedInReadLineLosesNoDataAndLeavesTheConnectionUsable() throws Exception {
        Async.run(() -> {
            Server server = Streams.startServer(ECHO_BYTES, LOCAL, 0);
            Streams.Connection c = Streams.openConnection(LOCAL, port(server));
            c.writer().write(ascii("partial"));
            Task<byte[]> blocked = Async.spawn(() -> c.reader().readLine());
            // Usually the partial line is buffered by now; the test holds either way (TCP keeps order).
            for (int i = 0; i < 10_000 && c.reader().buffered() < "partial".length(); i++) {
                Async.checkpoint();
            }
            assertThat(blocked.isDone()).isFalse();
            blocked.cancel("test");
            assertThatThrownBy(() -> Async.await(blocked)).isInstanceOf(CancelledException.class);
            c.writer().write(ascii(" line\n"));
            assertThat(c.reader().readLine()).isEqualTo(ascii("partial line\n"));
            // A timeout is a cancellation too, and arrives as TimeoutException.
            assertThatThrownBy(() -> {
                try (Timeout t = Async.timeout(Duration.ofMillis(50))) {
                    c.reader().readLine();
                }
            }).isInstanceOf(TimeoutException.class);
            c.writer().write(ascii("after timeout\n"));
            assertThat(c.reader().readLine()).isEqualTo(ascii("after timeout\n"));
            c.writer().close();
            c.writer().awaitClosed();
            server.close();
            server.awaitClosed();
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void closingTheServerWithLiveConnectionsEndsThemAndLeaksNothing() throws Exception {
        int n = 50;
        Async.run(() -> {
            List<StreamWriter> serverSides = new ArrayList<>();
            Server server = Streams.startServer((r, w) -> {
                serverSides.add(w);
                ECHO_LINES.handle(r, w);
            }, LOCAL, 0);
            List<Streams.Connection> clients = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Streams.Connection c = Streams.openConnection(LOCAL, port(server));
                c.writer().write(ascii("hi\n"));
                assertThat(c.reader().readLine()).isEqualTo(ascii("hi\n"));
                clients.add(c);
            }
            assertThat(server.connectionCount()).isEqualTo(n);
            Task<Void> serving = Async.spawn(() -> {
                server.serveForever();
                return null;
            });
            Async.checkpoint();
            try (Timeout t = Async.timeout(Duration.ofSeconds(10))) {
                server.close();
                server.awaitClosed();
                Async.await(serving);
            }
            assertThat(server.isServing()).isFalse();
            assertThat(server.connectionCount()).isZero();
            for (StreamWriter w : serverSides) {
                assertThat(w.transport.channel.isOpen()).isFalse();
            }
            for (Streams.Connection c : clients) {
                assertThat(c.reader().read(10)).isEmpty();
                c.writer().close();
                c.writer().awaitClosed();
            }
            assertThat(registered()).isZero();
            assertThatThrownBy(() -> Streams.openConnection(LOCAL, port(server))).isInstanceOf(ConnectException.class);
            return null;
        });
    }

    @Test
    void cancellingServeForeverClosesTheServer() throws Exception {
        Async.run(() -> {
            Server server = Streams.startServer(ECHO_LINES, LOCAL, 0);
            Task<Void> serving = Async.spawn(() -> {
                server.serveForever();
                return null;
            });
            Async.checkpoint();
            serving.cancel("stop");
            assertThatThrownBy(() -> Async.await(serving)).isInstanceOf(CancelledException.class);
            assertThat(server.isServing()).isFalse();
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void aRefusedConnectionIsAConnectExceptionNamingTheTarget() throws Exception {
        Async.run(() -> {
            int port;
            try (ServerSocketChannel l = ServerSocketChannel.open()) {
                l.bind(new InetSocketAddress(LOCAL, 0));
                port = l.socket().getLocalPort();
            }
            assertThatThrownBy(() -> Streams.openConnection(LOCAL, port)).isInstanceOf(ConnectException.class)
                    .hasMessageContaining(LOCAL + ":" + port).hasMessageContaining("refused");
            assertThatThrownBy(() -> Streams.openConnection(LOCAL, 70000)).isInstanceOf(IllegalArgumentException.class);
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void theServerReportsItsBoundAddresses() throws Exception {
        Async.run(() -> {
            Server server = Streams.startServer(ECHO_LINES, "localhost", 0);
            assertThat(server.addresses()).isNotEmpty().allSatisfy(a -> {
                assertThat(a.getPort()).isEqualTo(port(server)).isPositive();
                assertThat(a.getAddress().isLoopbackAddress()).isTrue();
            });
            Streams.Connection c = Streams.openConnection("localhost", port(server));
            assertThat(c.writer().remoteAddress().getPort()).isEqualTo(port(server));
            assertThat(c.writer().localAddress().getPort()).isPositive();
            c.writer().close();
            server.close();
            server.awaitClosed();
            return null;
        });
    }

    /**
     * asyncio's transport drops a write to a connection that was lost (and drain raises the
     * loss): so does a StreamWriter, however many writes follow the loss.
     */
    @Test
    void writesAfterTheConnectionWasLostAreDroppedAndDrainThrowsTheLoss() throws Exception {
        Async.run(() -> {
            try (ServerSocketChannel l = ServerSocketChannel.open()) {
                Streams.Connection c = connectionWhosePeerResets(l);
                assertThatThrownBy(() -> c.reader().read(1)).as("the reset, seen by a read")
                        .isInstanceOf(IOException.class).hasMessageContaining("lost");
                c.writer().write(ascii("header"));
                c.writer().write(ascii("body"));
                c.writer().write(ByteBuffer.wrap(ascii("more")));
                assertThatThrownBy(() -> c.writer().drain()).isInstanceOf(IOException.class).hasMessageContaining("lost");
                assertThatThrownBy(() -> c.writer().awaitClosed()).isInstanceOf(IOException.class).hasMessageContaining("lost");
            }
            assertThat(registered()).isZero();
            return null;
        });
    }

    /** A connection to a raw peer accepted on {@code l}, which closes at once with a reset (SO_LINGER 0). In a task. */
    private static Streams.Connection connectionWhosePeerResets(ServerSocketChannel l) throws Exception {
        l.bind(new InetSocketAddress(LOCAL, 0));
        LoopFuture<SocketChannel> accepted = EventLoop.current().sockAccept(l);
        Streams.Connection c = Streams.openConnection(LOCAL, l.socket().getLocalPort());
        try (SocketChannel peer = Async.await(accepted)) {
            peer.setOption(StandardSocketOptions.SO_LINGER, 0);
        }
        return c;
    }

    // ---------------------------------------------------------------- found by review (each failed before)

    /** A limit of 2^30 or more ("no limit") used to overflow twice-the-limit: reads never returned. */
    @Test
    void aHugeLimitStillReads() throws Exception {
        Async.run(() -> {
            Server server = Streams.startServer((r, w) -> {
                w.write(ascii("hello\n"));
                w.drain();
                r.read(-1);
            }, LOCAL, 0);
            Streams.Connection c = Streams.openConnection(LOCAL, port(server), Integer.MAX_VALUE);
            try {
                assertThat(Async.waitFor(Async.spawn(() -> c.reader().read(100)), Duration.ofSeconds(30)))
                        .isEqualTo(ascii("hello\n"));
            } finally {
                c.writer().abort();
                server.close();
            }
            return null;
        });
    }

    /** The same on a reader fed by hand: readLine waits for data instead of failing with LimitOverrunException. */
    @Test
    void aHugeLimitReadLineWaitsForData() throws Exception {
        Async.run(() -> {
            StreamReader r = new StreamReader(EventLoop.current(), Integer.MAX_VALUE);
            Task<byte[]> t = Async.spawn(r::readLine);
            Async.checkpoint();
            r.feedData(ascii("ok\n"));
            assertThat(Async.await(t)).isEqualTo(ascii("ok\n"));
            return null;
        });
    }

    /**
     * asyncio's graceful shutdown, server.close(); await server.wait_closed(): here
     * stopAccepting(), then awaitClosed() returns once the last connection ended. It used to
     * wait until a close() that a graceful shutdown never makes.
     */
    @Test
    void awaitClosedAfterStopAcceptingReturnsOnceTheConnectionsEnd() throws Exception {
        Async.run(() -> {
            Server server = Streams.startServer(ECHO_LINES, LOCAL, 0);
            Streams.Connection c = Streams.openConnection(LOCAL, port(server));
            c.writer().write(ascii("x\n"));
            assertThat(c.reader().readLine()).isEqualTo(ascii("x\n"));
            server.stopAccepting();
            Task<Void> waiting = Async.spawn(() -> {
                server.awaitClosed();
                return null;
            });
            Async.checkpoint();
            assertThat(waiting.isDone()).as("a connection is still open").isFalse();
            c.writer().close();
            c.writer().awaitClosed();
            try {
                Async.waitFor(waiting, Duration.ofSeconds(30));
            } finally {
                server.close();
            }
            assertThat(server.connectionCount()).isZero();
            return null;
        });
    }

    /** stopAccepting() with no connection open: awaitClosed() returns at once. */
    @Test
    void awaitClosedAfterStopAcceptingWithNoConnectionReturnsAtOnce() throws Exception {
        Async.run(() -> {
            Server server = Streams.startServer(ECHO_LINES, LOCAL, 0);
            server.stopAccepting();
            Async.waitFor(Async.spawn(() -> {
                server.awaitClosed();
                return null;
            }), Duration.ofSeconds(30));
            server.close(); // idempotent
            return null;
        });
    }
}
