package io.loopbridge.streams;

import static io.loopbridge.streams.StreamsTest.registered;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.Async;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The write path: straight to the socket, the rest in pooled buffers that go back once sent. */
class StreamWriterTest {
    static final int SOCK_BUF = 16 * 1024;

    /** Reads {@code total} bytes from {@code r} in a task, checking the pattern from stream offset {@code from}. */
    static Task<Long> readAll(StreamReader r, long from, long total) {
        return Async.spawn(() -> {
            ByteBuffer in = ByteBuffer.allocateDirect(48 * 1024);
            long got = 0;
            while (got < total) {
                int n = r.readInto(in.clear());
                if (n < 0) {
                    break;
                }
                StreamPairs.check(in, 0, from + got);
                got += n;
            }
            return got;
        });
    }

    /** Waits until everything written went to the socket. */
    static void flushed(StreamWriter w) throws Exception {
        w.setWriteBufferLimits(0, 0);
        w.drain();
        assertThat(w.writeBufferSize()).isZero();
        w.setWriteBufferLimits(64 * 1024, 16 * 1024);
    }

    @Test
    void writingABufferConsumesItAndTheCallerMayReuseItAtOnce() throws Exception {
        Async.run(() -> {
            BufferPool pool = new BufferPool(4);
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, pool, SOCK_BUF);
            StreamWriter w = p[0].writer();
            int chunk = 100_000; // more than the socket takes at once: most of each write is queued
            ByteBuffer direct = ByteBuffer.allocateDirect(chunk);
            ByteBuffer heap = ByteBuffer.allocate(chunk + 10);
            long sent = 0;
            for (int i = 0; i < 6; i++) {
                ByteBuffer src = i % 2 == 0 ? direct : heap.position(10);
                ByteBuffer data = i % 2 == 0 ? StreamPairs.fill(src, sent, chunk) : src.slice();
                if (i % 2 == 1) {
                    StreamPairs.fill(data, sent, chunk);
                }
                w.write(data);
                assertThat(data.hasRemaining()).isFalse();
                sent += chunk;
                // Scribble over the caller's buffer: what was queued must not change.
                src.clear();
                while (src.hasRemaining()) {
                    src.put((byte) 0x5A);
                }
            }
            byte[] tail = StreamPairs.pattern(sent, 1000);
            w.write(ByteBuffer.wrap(tail, 0, 10).asReadOnlyBuffer());
            w.write(tail, 10, 990);
            assertThat(w.writeBufferSize()).isPositive();
            Task<Long> reading = readAll(p[1].reader(), 0, sent + 1000);
            assertThat(Async.await(reading)).isEqualTo(sent + 1000);
            p[0].writer().close();
            p[0].writer().awaitClosed();
            p[1].writer().close();
            assertThat(pool.outstanding()).isZero();
            return null;
        });
    }

    @Test
    void queuedBytesLiveInABoundedPoolAndOnTheHeapPastItAndTheBuffersGoBackOnceSent() throws Exception {
        Async.run(() -> {
            BufferPool pool = new BufferPool(3);
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, pool, SOCK_BUF);
            StreamWriter w = p[0].writer();
            long total = 1 << 20;
            // Write 1 MiB without draining: far more than three pooled buffers hold.
            for (long off = 0; off < total; off += 32 * 1024) {
                w.write(StreamPairs.pattern(off, 32 * 1024));
                assertThat(pool.outstanding()).isLessThanOrEqualTo(3);
            }
            assertThat(w.writeBufferSize()).isGreaterThan(3L * BufferPool.BUFFER_SIZE);
            assertThat(pool.outstanding()).isEqualTo(3);
            Task<Long> reading = readAll(p[1].reader(), 0, total);
            flushed(w);
            assertThat(pool.outstanding()).isZero();
            assertThat(Async.await(reading)).isEqualTo(total);
            // Small writes while the socket is full share one pooled buffer.
            p[1].writer().transport.pauseReading();
            long off = total;
            while (w.writeBufferSize() == 0) {
                w.write(StreamPairs.pattern(off, 4096));
                off += 4096;
            }
            for (int i = 0; i < 1000; i++) {
                w.write(StreamPairs.pattern(off, 10));
                off += 10;
            }
            assertThat(pool.outstanding()).isEqualTo(1);
            p[1].writer().transport.resumeReading();
            Task<Long> rest = readAll(p[1].reader(), total, off - total);
            flushed(w);
            assertThat(Async.await(rest)).isEqualTo(off - total);
            assertThat(pool.outstanding()).isZero();
            w.close();
            w.awaitClosed();
            p[1].writer().close();
            return null;
        });
    }

    @Test
    void abortAndAConnectionLostWithBytesQueuedGiveThePooledBuffersBack() throws Exception {
        Async.run(() -> {
            BufferPool pool = new BufferPool(4);
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, pool, SOCK_BUF);
            p[0].writer().write(new byte[300_000]);
            assertThat(pool.outstanding()).isPositive();
            p[0].writer().abort();
            assertThat(pool.outstanding()).isZero();
            p[1].writer().close();
            p[1].writer().awaitClosed();

            Streams.Connection[] q = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, pool, SOCK_BUF);
            q[1].writer().transport.channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            q[1].writer().abort(); // the peer resets
            assertThatThrownBy(() -> {
                for (int i = 0; i < 1000; i++) {
                    q[0].writer().write(new byte[64 * 1024]);
                    q[0].writer().drain();
                }
            }).isInstanceOf(IOException.class).hasMessageContaining("lost");
            assertThat(pool.outstanding()).isZero();
            assertThatThrownBy(() -> q[0].writer().awaitClosed()).isInstanceOf(IOException.class).hasMessageContaining("lost");
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void randomWritesOfEveryKindArriveInOrderThroughAPoolThatRunsOut() throws Exception {
        Async.run(() -> {
            BufferPool pool = new BufferPool(2);
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, pool, SOCK_BUF);
            StreamWriter w = p[0].writer();
            Random rnd = new Random(12);
            int[] sizes = new int[400];
            long total = 0;
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = rnd.nextInt(4) == 0 ? rnd.nextInt(200_000) : rnd.nextInt(3000);
                total += sizes[i];
            }
            Task<Long> reading = readAll(p[1].reader(), 0, total);
            ByteBuffer direct = ByteBuffer.allocateDirect(200_000);
            long sent = 0;
            for (int n : sizes) {
                switch (rnd.nextInt(3)) {
                    case 0 -> w.write(StreamPairs.pattern(sent, n));
                    case 1 -> w.write(StreamPairs.fill(direct, sent, n));
                    default -> w.write(ByteBuffer.wrap(StreamPairs.pattern(sent, n)));
                }
                sent += n;
                assertThat(pool.outstanding()).isLessThanOrEqualTo(2);
                if (rnd.nextInt(5) == 0) {
                    w.drain();
                }
            }
            w.close();
            assertThat(Async.await(reading)).isEqualTo(total);
            assertThat(p[1].reader().read(1)).isEmpty();
            w.awaitClosed();
            p[1].writer().close();
            assertThat(pool.outstanding()).isZero();
            return null;
        });
    }

    // ---------------------------------------------------------------- drain and awaitClosed after a close (review of the asyncio ports)

    /** A close of this side: drain() throws after it, and to a task already waiting in it. */
    @Test
    void drainAfterOrDuringACloseOfThisSideThrowsASocketException() throws Exception {
        Async.run(() -> {
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, new BufferPool(4), SOCK_BUF);
            p[0].writer().abort();
            assertThatThrownBy(() -> p[0].writer().drain()).isInstanceOf(java.net.SocketException.class)
                    .hasMessageContaining("drain() after");
            p[1].writer().close();

            // A writer loop waiting in drain (the peer does not read) while another task aborts.
            Streams.Connection[] q = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, new BufferPool(4), SOCK_BUF);
            StreamWriter w = q[0].writer();
            Task<Void> writer = Async.spawn(() -> {
                while (true) {
                    w.write(new byte[16 * 1024]);
                    w.drain();
                }
            });
            while (w.writeBufferSize() <= 64 * 1024) {
                Async.checkpoint();
            }
            w.abort();
            assertThatThrownBy(() -> Async.await(writer)).isInstanceOf(java.net.SocketException.class)
                    .hasMessageContaining("abort() on this side dropped");
            q[1].writer().close();

            // A drain called while close() flushes, then an abort drops what it waited for.
            Streams.Connection[] r = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, new BufferPool(4), SOCK_BUF);
            StreamWriter rw = r[0].writer();
            rw.write(StreamPairs.pattern(0, 500_000));
            rw.close();
            Task<Void> draining = Async.spawn(() -> {
                rw.drain();
                return null;
            });
            Async.checkpoint();
            assertThat(draining.isDone()).isFalse();
            rw.abort();
            assertThatThrownBy(() -> Async.await(draining)).isInstanceOf(java.net.SocketException.class)
                    .hasMessageContaining("abort() on this side dropped");
            r[1].writer().close();
            assertThat(registered()).isZero();
            return null;
        });
    }

    /**
     * A writer waiting in drain while another task closes the connection gracefully: the
     * flush goes on, and the drain returns as the bytes go out (as asyncio's does); the
     * writer's next write is then refused (writing after close is a bug here).
     */
    @Test
    void aDrainWaitingWhileAnotherTaskClosesGracefullyReturnsAsTheBytesGoOut() throws Exception {
        Async.run(() -> {
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, new BufferPool(4), SOCK_BUF);
            StreamWriter w = p[0].writer();
            int total = 500_000;
            w.write(StreamPairs.pattern(0, total));
            Task<Void> draining = Async.spawn(() -> {
                w.drain();
                return null;
            });
            Async.checkpoint();
            assertThat(draining.isDone()).isFalse();
            w.close(); // another task closes; the flush goes on
            Task<Long> reading = readAll(p[1].reader(), 0, total);
            Async.await(draining);
            assertThat(Async.await(reading)).isEqualTo(total);
            assertThatThrownBy(() -> w.write(new byte[1])).isInstanceOf(IllegalStateException.class);
            w.awaitClosed();
            p[1].writer().close();
            assertThat(registered()).isZero();
            return null;
        });
    }

    /** drain() called while close() still flushes waits for the flush and returns normally, as asyncio's. */
    @Test
    void drainWhileCloseFlushesReturnsOnceTheBytesAreOut() throws Exception {
        Async.run(() -> {
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, new BufferPool(4), SOCK_BUF);
            StreamWriter w = p[0].writer();
            int total = 500_000;
            w.write(StreamPairs.pattern(0, total));
            w.close();
            assertThat(w.writeBufferSize()).as("still flushing").isPositive();
            Task<Long> reading = readAll(p[1].reader(), 0, total);
            w.drain();
            assertThat(w.writeBufferSize()).isLessThanOrEqualTo(16 * 1024);
            assertThat(Async.await(reading)).isEqualTo(total);
            w.awaitClosed(); // a healthy close: returns normally
            p[1].writer().abort();
            p[1].writer().awaitClosed(); // an abort of a healthy connection too
            assertThat(registered()).isZero();
            return null;
        });
    }

    /**
     * A cancelled awaitClosed() cancels the connection's closed future; a failure after that
     * used to throw out of the transport's close (read of a cancelled future): the reset was
     * reported as a CancelledException in a loop callback, the server never learned the
     * connection ended, and its awaitClosed() hung.
     */
    @Test
    void aConnectionThatFailsAfterACancelledAwaitClosedStillClosesCleanly() throws Exception {
        java.util.List<io.loopbridge.ExceptionContext> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
        Async.run(() -> {
            io.loopbridge.EventLoop.current().setExceptionHandler((l, ctx) -> reports.add(ctx));
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, new BufferPool(4), SOCK_BUF);
            Task<Void> watcher = Async.spawn(() -> {
                p[0].writer().awaitClosed();
                return null;
            });
            Async.checkpoint();
            watcher.cancel();
            assertThatThrownBy(() -> Async.await(watcher)).isInstanceOf(io.loopbridge.CancelledException.class);
            p[1].writer().transport.channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            p[1].writer().abort(); // the peer resets
            assertThatThrownBy(() -> p[0].reader().read(1)).isInstanceOf(IOException.class).hasMessageContaining("lost");
            assertThat(p[0].writer().isClosing()).isTrue();

            // The same in a server's handler: the server must still see the connection end.
            LoopFuture<Void> handlerWatching = io.loopbridge.EventLoop.current().createFuture();
            Server server = Streams.startServer((r, w) -> {
                Task<Void> inner = Async.spawn(() -> {
                    w.awaitClosed();
                    return null;
                });
                Async.checkpoint();
                inner.cancel();
                handlerWatching.complete(null);
                r.read(-1);
            }, StreamsTest.LOCAL, 0);
            try (java.nio.channels.SocketChannel client = java.nio.channels.SocketChannel.open()) {
                Async.await(io.loopbridge.EventLoop.current().sockConnect(client, server.addresses().get(0)));
                Async.await(handlerWatching);
                client.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
            server.stopAccepting();
            server.awaitClosed();
            return null;
        });
        assertThat(reports).as("the reset is the handler's failure, reported once as such").singleElement()
                .satisfies(ctx -> {
                    assertThat(ctx.message()).startsWith("Unhandled exception in the stream handler");
                    assertThat(ctx.exception()).isInstanceOf(IOException.class);
                });
    }
}
