package io.loopbridge.bench;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.streams.Server;
import io.loopbridge.streams.Streams;
import io.loopbridge.Task;
import io.loopbridge.TaskMode;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Set "net": TCP echo over loopback, a server loop and a client loop (one thread each), the
 * same work done by loopbridge's streams and by Netty's NIO transport.
 *
 * <ul>
 *   <li>{@link #roundTrip}: {@value #ROUND_TRIPS} request/response round trips of a
 *       {@value #MESSAGE}-byte message per invocation, spread over the connections (each
 *       connection keeps one request in flight). One op is one round trip.</li>
 *   <li>{@link #bulk}: {@value #BULK_CHUNKS} chunks of 64 KiB per invocation, spread over
 *       the connections, written and echoed back concurrently. One op is 64 KiB echoed.</li>
 * </ul>
 *
 * <p>Same flow control on both sides: every writer stops at a high-water mark of
 * {@value #HIGH_WATER} bytes and goes on below {@value #LOW_WATER} (loopbridge's
 * {@code write} + {@code drain} with its default marks; Netty's {@code isWritable()} with
 * the same {@link WriteBufferWaterMark}), the echo servers stop reading while their writer is
 * over the mark (loopbridge's handler waits in {@code drain}; Netty's turns {@code autoRead}
 * off until the channel is writable again), and the clients read as fast as the bytes come.
 * Each side uses its library's idiom for bulk bytes: loopbridge reads into a direct
 * {@code ByteBuffer} ({@code readInto}) and writes it on; Netty passes its pooled direct
 * {@code ByteBuf} through. The clients' chunks start as a {@code byte[]} on both sides.
 * {@value BenchBase#LOOPBRIDGE_PORTABLE} is loopbridge with both loops in {@code TaskMode.PORTABLE}.
 * {@value #LOOPBRIDGE_BYTES} is loopbridge with asyncio's idiom instead, {@code read(n)}
 * returning a {@code byte[]} and {@code write(byte[])}: the same code as the Python baseline.
 *
 * <p>Every invocation checks that each connection got back exactly the bytes it sent (and,
 * for loopbridge's round trips, their content), so a broken transport cannot post a figure.
 */
public class EchoBench extends BenchBase {
    static final String NETTY = "netty";
    /** loopbridge with asyncio's byte[] idiom (read(n), write(byte[])) instead of buffers. */
    static final String LOOPBRIDGE_BYTES = "loopbridge-bytes";
    static final int MESSAGE = 64;
    static final int ROUND_TRIPS = 2000;
    static final int CHUNK = 64 * 1024;
    static final int BULK_CHUNKS = 200;
    /** loopbridge's default write-buffer marks, given to Netty too. */
    static final int HIGH_WATER = 64 * 1024;
    static final int LOW_WATER = 16 * 1024;
    private static final long TIMEOUT_SECONDS = 60;
    private static final String HOST = "127.0.0.1";

    @Param({LOOPBRIDGE, LOOPBRIDGE_BYTES, LOOPBRIDGE_PORTABLE, NETTY})
    public String impl;

    @Param({"1", "100"})
    public int connections;

    private Echo echo;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        if (ROUND_TRIPS % connections != 0 || BULK_CHUNKS % connections != 0) {
            throw new IllegalArgumentException("connections must divide " + ROUND_TRIPS + " and " + BULK_CHUNKS);
        }
        echo = switch (impl) {
            case LOOPBRIDGE -> new LoopbridgeEcho(connections, false, TaskMode.FAST);
            case LOOPBRIDGE_BYTES -> new LoopbridgeEcho(connections, true, TaskMode.FAST);
            case LOOPBRIDGE_PORTABLE -> new LoopbridgeEcho(connections, false, TaskMode.PORTABLE);
            case NETTY -> new NettyEcho(connections);
            default -> throw new IllegalArgumentException("unknown impl: " + impl);
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (echo != null) {
            echo.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(ROUND_TRIPS)
    public long roundTrip() throws Exception {
        return echo.roundTrips(ROUND_TRIPS / connections);
    }

    /**
     * Six forks of three iterations, not one of five: a fork's bulk throughput settles on one
     * of a few levels for its whole life (measured on 2 cores: about 33 k, 47 k or 62 k chunks/s
     * for loopbridge on one connection, 39 k to 65 k for Netty), as each fork sets up its
     * connections once and the kernel sizes their buffers as it goes (seen with {@code ss -tm}:
     * receive buffers of 1 to 33 MB on the same code; fixing them with {@code SO_RCVBUF} and
     * {@code SO_SNDBUF} gave steadier but lower figures). One fork is a coin toss; the mean of
     * six is a figure.
     */
    @Benchmark
    @OperationsPerInvocation(BULK_CHUNKS)
    @Fork(value = 6, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED"})
    @Measurement(iterations = 3, time = 1, timeUnit = TimeUnit.SECONDS)
    public long bulk() throws Exception {
        return echo.bulk(BULK_CHUNKS / connections * CHUNK);
    }

    /** One echo server and its clients; the methods are called by the benchmark thread. */
    interface Echo extends AutoCloseable {
        /** Each connection does {@code rounds} round trips; returns the bytes echoed. */
        long roundTrips(int rounds) throws Exception;

        /** Each connection sends {@code bytes} and reads them back; returns the bytes echoed. */
        long bulk(int bytes) throws Exception;
    }

    static void check(String what, long got, long expected) {
        if (got != expected) {
            throw new IllegalStateException(what + ": echoed " + got + " bytes, expected " + expected);
        }
    }

    // ---------------------------------------------------------------- loopbridge

    /** An event loop in runForever on its own platform thread. */
    static final class LoopThread implements AutoCloseable {
        final EventLoop loop;
        private final Thread thread;

        LoopThread(String name, TaskMode mode) {
            loop = EventLoop.builder().name(name).taskMode(mode).build();
            thread = Thread.ofPlatform().name(name).start(loop::runForever);
        }

        <T> T call(Callable<T> body) throws Exception {
            CompletableFuture<T> cf = new CompletableFuture<>();
            loop.callSoonThreadsafe(() -> loop.createTask(() -> {
                try {
                    cf.complete(body.call());
                } catch (Throwable e) {
                    cf.completeExceptionally(e);
                }
                return null;
            }));
            return cf.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            loop.callSoonThreadsafe(loop::stop);
            thread.join();
            loop.close();
        }
    }

    static final class LoopbridgeEcho implements Echo {
        private final LoopThread serverLoop;
        private final LoopThread clientLoop;
        private final Server server;
        private final List<Streams.Connection> conns = new ArrayList<>();
        private final byte[] message = new byte[MESSAGE];
        private final byte[] chunk = new byte[CHUNK];
        /** The client readers' buffers, one per connection, reused across invocations (client loop only). */
        private final ArrayDeque<ByteBuffer> readBuffers = new ArrayDeque<>();

        /** The byte[] idiom (read(n), write(byte[])) rather than buffers (readInto, write(ByteBuffer)). */
        private final boolean arrays;

        LoopbridgeEcho(int connections, boolean arrays, TaskMode mode) throws Exception {
            this.arrays = arrays;
            serverLoop = new LoopThread("echo-server", mode);
            clientLoop = new LoopThread("echo-client", mode);
            for (int i = 0; i < connections; i++) {
                readBuffers.push(ByteBuffer.allocateDirect(CHUNK));
            }
            Arrays.fill(message, (byte) 'm');
            server = serverLoop.call(() -> Streams.startServer(arrays ? (r, w) -> {
                byte[] b;
                while ((b = r.read(CHUNK)).length > 0) {
                    w.write(b);
                    w.drain();
                }
            } : (r, w) -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
                while (r.readInto(buf.clear()) >= 0) {
                    w.write(buf.flip());
                    w.drain();
                }
            }, HOST, 0));
            int port = server.addresses().get(0).getPort();
            clientLoop.call(() -> {
                for (int i = 0; i < connections; i++) {
                    conns.add(Streams.openConnection(HOST, port));
                }
                return null;
            });
        }

        @Override
        public long roundTrips(int rounds) throws Exception {
            return clientLoop.call(() -> {
                List<Task<Long>> tasks = new ArrayList<>(conns.size());
                for (Streams.Connection c : conns) {
                    tasks.add(Async.spawn(() -> {
                        for (int i = 0; i < rounds; i++) {
                            c.writer().write(message);
                            c.writer().drain();
                            if (!Arrays.equals(c.reader().readExactly(MESSAGE), message)) {
                                throw new IllegalStateException("loopbridge: echo differs from the request");
                            }
                        }
                        return (long) rounds * MESSAGE;
                    }));
                }
                long total = 0;
                for (Task<Long> t : tasks) {
                    total += Async.await(t);
                }
                check("loopbridge round trips", total, (long) rounds * MESSAGE * conns.size());
                return total;
            });
        }

        @Override
        public long bulk(int bytes) throws Exception {
            return clientLoop.call(() -> {
                List<Task<Long>> tasks = new ArrayList<>(conns.size() * 2);
                for (Streams.Connection c : conns) {
                    tasks.add(Async.spawn(() -> {
                        for (int sent = 0; sent < bytes; sent += CHUNK) {
                            c.writer().write(chunk, 0, Math.min(CHUNK, bytes - sent));
                            c.writer().drain();
                        }
                        return 0L;
                    }));
                    tasks.add(Async.spawn(() -> {
                        ByteBuffer in = readBuffers.pop();
                        try {
                            long got = 0;
                            while (got < bytes) {
                                // End of stream: read(n) gives an empty array, readInto -1.
                                int n = arrays ? c.reader().read(CHUNK).length : c.reader().readInto(in.clear());
                                if (n <= 0) {
                                    throw new IllegalStateException("loopbridge: the server closed mid-transfer");
                                }
                                got += n;
                            }
                            return got;
                        } finally {
                            readBuffers.push(in);
                        }
                    }));
                }
                long total = 0;
                for (Task<Long> t : tasks) {
                    total += Async.await(t);
                }
                check("loopbridge bulk", total, (long) bytes * conns.size());
                return total;
            });
        }

        @Override
        public void close() throws Exception {
            try {
                clientLoop.call(() -> {
                    for (Streams.Connection c : conns) {
                        c.writer().close();
                    }
                    return null;
                });
                serverLoop.call(() -> {
                    server.close();
                    server.awaitClosed();
                    return null;
                });
            } finally {
                clientLoop.close();
                serverLoop.close();
            }
        }
    }

    // ---------------------------------------------------------------- Netty

    static final class NettyEcho implements Echo {
        private static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(LOW_WATER, HIGH_WATER);
        private final NioEventLoopGroup serverGroup = new NioEventLoopGroup(1);
        private final NioEventLoopGroup clientGroup = new NioEventLoopGroup(1);
        private final Channel serverChannel;
        private final List<Client> clients = new ArrayList<>();
        private final byte[] message = new byte[MESSAGE];
        private final byte[] chunk = new byte[CHUNK];

        NettyEcho(int connections) throws Exception {
            Arrays.fill(message, (byte) 'm');
            serverChannel = new ServerBootstrap()
                    .group(serverGroup)
                    .channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    // loopbridge's write + drain: send now, stop reading while over the mark.
                                    ctx.writeAndFlush(msg);
                                    if (!ctx.channel().isWritable()) {
                                        ctx.channel().config().setAutoRead(false);
                                    }
                                }

                                @Override
                                public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                                    if (ctx.channel().isWritable()) {
                                        ctx.channel().config().setAutoRead(true);
                                    }
                                    ctx.fireChannelWritabilityChanged();
                                }
                            });
                        }
                    })
                    .bind(HOST, 0).sync().channel();
            int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
            Bootstrap b = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            Client c = new Client();
                            synchronized (clients) {
                                clients.add(c);
                            }
                            ch.pipeline().addLast(c);
                        }
                    });
            for (int i = 0; i < connections; i++) {
                b.connect(HOST, port).sync();
            }
        }

        /** One client connection: counts echoed bytes and sends the next request when a response is complete. */
        final class Client extends ChannelInboundHandlerAdapter {
            private ChannelHandlerContext ctx;
            private boolean pingPong;
            private int roundsLeft;
            private long expected;
            private long received;
            private int unsent;
            private CountDownLatch done;
            private final AtomicReference<Throwable> failure = new AtomicReference<>();

            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                this.ctx = ctx;
            }

            /** Loop thread: begins one invocation's share. */
            void start(boolean pingPong, int roundsOrBytes, CountDownLatch done) {
                this.pingPong = pingPong;
                this.done = done;
                this.received = 0;
                if (pingPong) {
                    roundsLeft = roundsOrBytes;
                    expected = (long) roundsOrBytes * MESSAGE;
                    sendMessage();
                } else {
                    expected = roundsOrBytes;
                    unsent = roundsOrBytes;
                    sendChunks();
                }
            }

            /** loopbridge's write + drain: a chunk at a time while the channel is under its mark. */
            private void sendChunks() {
                while (unsent > 0 && ctx.channel().isWritable()) {
                    int n = Math.min(CHUNK, unsent);
                    unsent -= n;
                    ctx.writeAndFlush(ctx.alloc().directBuffer(n).writeBytes(chunk, 0, n));
                }
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (!pingPong && ctx.channel().isWritable()) {
                    sendChunks();
                }
                ctx.fireChannelWritabilityChanged();
            }

            private void sendMessage() {
                roundsLeft--;
                ctx.writeAndFlush(ctx.alloc().directBuffer(MESSAGE).writeBytes(message));
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf buf = (ByteBuf) msg;
                received += buf.readableBytes();
                buf.release();
                if (pingPong) {
                    long answered = (long) (expected / MESSAGE - roundsLeft) * MESSAGE;
                    if (received == answered) {
                        if (roundsLeft > 0) {
                            sendMessage();
                        } else {
                            done.countDown();
                        }
                    }
                } else if (received == expected) {
                    done.countDown();
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                failure.set(cause);
                if (done != null) {
                    done.countDown();
                }
            }
        }

        private long run(boolean pingPong, int amount) throws Exception {
            CountDownLatch done = new CountDownLatch(clients.size());
            clientGroup.execute(() -> {
                for (Client c : clients) {
                    c.start(pingPong, amount, done);
                }
            });
            if (!done.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("netty: echo did not finish within " + TIMEOUT_SECONDS + " s");
            }
            long total = clientGroup.submit(() -> {
                long t = 0;
                for (Client c : clients) {
                    if (c.failure.get() != null) {
                        throw new IllegalStateException("netty client failed", c.failure.get());
                    }
                    check("netty", c.received, c.expected);
                    t += c.received;
                }
                return t;
            }).get();
            return total;
        }

        @Override
        public long roundTrips(int rounds) throws Exception {
            long total = run(true, rounds);
            check("netty round trips", total, (long) rounds * MESSAGE * clients.size());
            return total;
        }

        @Override
        public long bulk(int bytes) throws Exception {
            long total = run(false, bytes);
            check("netty bulk", total, (long) bytes * clients.size());
            return total;
        }

        @Override
        public void close() throws Exception {
            try {
                for (Client c : clients) {
                    c.ctx.channel().close().sync();
                }
                serverChannel.close().sync();
            } finally {
                clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            }
        }
    }
}
