package io.loopbridge.streams;

import static io.loopbridge.streams.StreamsTest.registered;
import static org.assertj.core.api.Assertions.assertThat;

import io.loopbridge.Async;
import io.loopbridge.AsyncQueue;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import io.loopbridge.Task;
import io.loopbridge.Timeout;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * The high- and low-water marks still bound memory both ways with the buffer read and write
 * paths. The slow side moves only when the test gives it a step, so each bound is checked
 * while the fast side pushes against it; every byte is checked end to end.
 */
class StreamsBackPressureTest {
    static final int SOCK_BUF = 16 * 1024;
    static final int HIGH = 64 * 1024;
    static final int LOW = 16 * 1024;

    /**
     * Runs {@code body} in the calling task under a generous timeout: a failure on one side
     * leaves the other waiting for bytes that never come, and the timeout turns that into a
     * failure instead of a hang.
     */
    static <T> T guarded(Callable<T> body) throws Exception {
        try (Timeout guard = Async.timeout(Duration.ofSeconds(60))) {
            return body.call();
        }
    }

    @Test
    void aSlowReaderKeepsAFastWritersBufferWithinItsMarkPlusOneChunk() throws Exception {
        int steps = 120;
        int step = 24 * 1024;
        long total = (long) steps * step;
        Async.run(() -> guarded(() -> {
            BufferPool pool = new BufferPool(8);
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, pool, SOCK_BUF);
            StreamWriter w = p[0].writer();
            StreamReader r = p[1].reader();
            w.setWriteBufferLimits(HIGH, LOW);
            // The writer's chunks come in every form the write path handles; the largest is the "one chunk".
            int[] chunks = {40 * 1024, 100_000, 7, 64 * 1024};
            int maxChunk = 100_000;
            long[] drainWaits = {0};
            long[] overMark = {0}; // writes that left more than the mark plus that write buffered
            Task<Long> writer = Async.spawn(() -> {
                ByteBuffer direct = ByteBuffer.allocateDirect(maxChunk);
                long sent = 0;
                for (int i = 0; sent < total; i++) {
                    int n = (int) Math.min(chunks[i % chunks.length], total - sent);
                    switch (i % 3) {
                        case 0 -> w.write(StreamPairs.pattern(sent, n));
                        case 1 -> w.write(StreamPairs.fill(direct, sent, n));
                        default -> w.write(ByteBuffer.wrap(StreamPairs.pattern(sent, n)));
                    }
                    sent += n;
                    if (w.writeBufferSize() > HIGH + n) {
                        overMark[0]++;
                    }
                    if (w.writeBufferSize() > HIGH) {
                        drainWaits[0]++;
                    }
                    w.drain();
                    if (w.writeBufferSize() > HIGH) {
                        overMark[0]++;
                    }
                }
                w.close();
                return sent;
            });
            // The slow reader: one step of `step` bytes each time the test says so.
            AsyncQueue<Integer> go = new AsyncQueue<>();
            AsyncQueue<Long> done = new AsyncQueue<>();
            Task<Long> reader = Async.spawn(() -> {
                ByteBuffer in = ByteBuffer.allocateDirect(step);
                long got = 0;
                while (go.get() > 0) {
                    r.readExactly(in.clear());
                    StreamPairs.check(in, 0, got);
                    got += step;
                    done.put(got);
                }
                return got;
            });
            SocketTransport wt = w.transport;
            for (int i = 0; i < steps; i++) {
                go.put(1);
                assertThat(done.get()).isEqualTo((long) (i + 1) * step);
                assertThat(overMark[0]).isZero();
                assertThat(wt.maxQueued).isLessThanOrEqualTo(HIGH + maxChunk);
                assertThat(r.buffered()).isLessThanOrEqualTo(2 * StreamReader.DEFAULT_LIMIT);
                assertThat(pool.outstanding()).isLessThanOrEqualTo(pool.maxBuffers());
            }
            go.put(0);
            assertThat(Async.await(writer)).isEqualTo(total);
            assertThat(Async.await(reader)).isEqualTo(total);
            assertThat(drainWaits[0]).as("the writer had to wait for the slow reader").isPositive();
            assertThat(wt.maxQueued).isGreaterThan(HIGH).isLessThanOrEqualTo(HIGH + maxChunk);
            assertThat(r.read(1)).isEmpty();
            p[1].writer().close();
            p[1].writer().awaitClosed();
            assertThat(pool.outstanding()).isZero();
            assertThat(registered()).isZero();
            return null;
        }));
    }

    @Test
    void aFastWriterCannotGrowASlowReadersBufferPastTwiceItsLimit() throws Exception {
        int limit = 16 * 1024;
        long total = 3L << 20;
        Async.run(() -> guarded(() -> {
            EventLoop loop = EventLoop.current();
            BufferPool pool = new BufferPool(8);
            Streams.Connection[] p = StreamPairs.connect(limit, pool, SOCK_BUF);
            StreamWriter w = p[0].writer();
            StreamReader r = p[1].reader();
            SocketTransport rt = p[1].writer().transport;
            // The fast writer never drains: it floods, as far as its own buffer goes.
            Task<Long> flood = Async.spawn(() -> {
                long sent = 0;
                while (sent < total) {
                    int n = (int) Math.min(256 * 1024, total - sent);
                    w.write(StreamPairs.pattern(sent, n));
                    sent += n;
                    if (w.writeBufferSize() > 4 * HIGH) {
                        w.drain();
                    }
                }
                w.close();
                return sent;
            });
            long got = 0;
            int i = 0;
            ByteBuffer small = ByteBuffer.allocate(3000);                 // through the reader's buffer
            ByteBuffer large = ByteBuffer.allocateDirect(64 * 1024);      // straight from the socket when empty
            while (got < total) {
                // Let the flood fill the reader up to its bound: reading pauses, or the flood is over.
                if (!rt.readingPaused() && !flood.isDone()) {
                    LoopFuture<Void> paused = loop.createFuture();
                    rt.pausedSignal = paused;
                    LoopFuture<Void> either = loop.createFuture();
                    paused.addDoneCallback(f -> either.complete(null));
                    flood.addDoneCallback(f -> either.complete(null));
                    Async.await(either);
                }
                assertThat(r.buffered()).isLessThanOrEqualTo(2 * limit);
                ByteBuffer in = (i++ % 4 == 0 ? large : small).clear();
                int n = r.readInto(in);
                assertThat(n).isPositive();
                StreamPairs.check(in, 0, got);
                got += n;
                assertThat(rt.maxReaderBuffered).isLessThanOrEqualTo(2 * limit);
            }
            assertThat(got).isEqualTo(total);
            assertThat(Async.await(flood)).isEqualTo(total);
            assertThat(r.readInto(small.clear())).isEqualTo(-1);
            assertThat(rt.maxReaderBuffered).isGreaterThan(limit).isLessThanOrEqualTo(2 * limit);
            p[1].writer().close();
            p[1].writer().awaitClosed();
            w.awaitClosed();
            assertThat(pool.outstanding()).isZero();
            assertThat(registered()).isZero();
            return null;
        }));
    }
}
