package io.loopbridge.streams;

import static io.loopbridge.streams.StreamsTest.ascii;
import static io.loopbridge.streams.StreamsTest.registered;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loopbridge.Async;
import io.loopbridge.CancelledException;
import io.loopbridge.EventLoop;
import io.loopbridge.Task;
import io.loopbridge.Timeout;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The reads into a caller's buffer, and reads larger than the reader's buffer. */
class StreamReaderTest {

    static byte[] written(ByteBuffer b) {
        return Arrays.copyOf(b.duplicate().flip().array(), b.position());
    }

    @Test
    void readIntoTakesUpToTheRoomLeftWaitsForOneByteAndSaysMinusOneAtEndOfStream() throws Exception {
        Async.run(() -> {
            StreamReader r = new StreamReader(EventLoop.current(), 8);
            r.feedData(ascii("abcdef"));
            ByteBuffer four = ByteBuffer.allocate(4);
            assertThat(r.readInto(four)).isEqualTo(4);
            assertThat(written(four)).isEqualTo(ascii("abcd"));
            assertThat(r.readInto(four)).as("no room").isZero();
            ByteBuffer ten = ByteBuffer.allocate(10);
            assertThat(r.readInto(ten)).isEqualTo(2);
            Task<Integer> waiting = Async.spawn(() -> r.readInto(ten));
            Async.checkpoint();
            assertThat(waiting.isDone()).isFalse();
            r.feedData(ascii("xyz"));
            assertThat(Async.await(waiting)).isEqualTo(3);
            assertThat(written(ten)).isEqualTo(ascii("efxyz"));
            assertThat(r.buffered()).isZero();
            r.feedData(ascii("0123456789"));
            r.feedEof();
            assertThat(r.readInto(ten)).isEqualTo(5);
            assertThat(r.readInto(ten.clear())).isEqualTo(5);
            assertThat(written(ten)).isEqualTo(ascii("56789"));
            assertThat(r.readInto(ten.clear())).isEqualTo(-1);
            assertThat(r.readInto(ten.clear())).isEqualTo(-1);
            assertThatThrownBy(() -> r.readInto(ByteBuffer.allocate(4).asReadOnlyBuffer()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
            assertThatThrownBy(() -> r.readInto(null)).isInstanceOf(NullPointerException.class);
            return null;
        });
    }

    @Test
    void readExactlyIntoABufferWaitsUntilItIsFullAndEndOfStreamLeavesThePartialBytesInIt() throws Exception {
        Async.run(() -> {
            StreamReader r = new StreamReader(EventLoop.current(), 8);
            r.feedData(ascii("ab"));
            ByteBuffer six = ByteBuffer.allocate(6);
            Task<Void> filling = Async.spawn(() -> {
                r.readExactly(six);
                return null;
            });
            Async.checkpoint();
            r.feedData(ascii("cd"));
            Async.checkpoint();
            assertThat(filling.isDone()).as("4 of 6 bytes").isFalse();
            assertThat(r.buffered()).as("bytes went straight to the waiting buffer").isZero();
            r.feedData(ascii("efgh"));
            Async.await(filling);
            assertThat(written(six)).isEqualTo(ascii("abcdef"));
            assertThat(r.buffered()).isEqualTo(2);

            r.feedData(ascii("i"));
            r.feedEof();
            ByteBuffer five = ByteBuffer.allocate(5);
            assertThatThrownBy(() -> r.readExactly(five)).isInstanceOfSatisfying(IncompleteReadException.class, e -> {
                assertThat(e.partial()).isEqualTo(ascii("ghi"));
                assertThat(e.expected()).isEqualTo(5);
            });
            assertThat(written(five)).isEqualTo(ascii("ghi"));
            assertThat(r.atEof()).isTrue();
            r.readExactly(ByteBuffer.allocate(0));
            return null;
        });
    }

    @Test
    void aCancelledOrTimedOutReadIntoABufferGivesItsBytesBack() throws Exception {
        Async.run(() -> {
            StreamReader r = new StreamReader(EventLoop.current(), 8);
            // readInto: the bytes reach the waiting buffer, then the task is cancelled before it resumes.
            ByteBuffer dst = ByteBuffer.allocate(16);
            Task<Integer> t = Async.spawn(() -> r.readInto(dst));
            Async.checkpoint();
            r.feedData(ascii("hello"));
            assertThat(dst.position()).isEqualTo(5);
            t.cancel("test");
            assertThatThrownBy(() -> Async.await(t)).isInstanceOf(CancelledException.class);
            assertThat(dst.position()).isZero();
            assertThat(r.buffered()).isEqualTo(5);

            // readExactly: part from the buffer, part straight from the feed, then a timeout.
            ByteBuffer eight = ByteBuffer.allocate(8);
            Timeout[] timeout = new Timeout[1];
            Task<Void> filling = Async.spawn(() -> {
                try (Timeout to = Async.timeout(Duration.ofDays(1))) {
                    timeout[0] = to;
                    r.readExactly(eight);
                }
                return null;
            });
            Async.checkpoint();
            assertThat(eight.position()).isEqualTo(5);
            r.feedData(ascii(" w"));
            assertThat(eight.position()).isEqualTo(7);
            timeout[0].reschedule(Duration.ZERO);
            assertThatThrownBy(() -> Async.await(filling)).isInstanceOf(TimeoutException.class);
            assertThat(eight.position()).isZero();
            assertThat(r.read(100)).isEqualTo(ascii("hello w"));

            // The same read, not cancelled, then gets everything in order.
            Task<Void> again = Async.spawn(() -> {
                r.readExactly(eight.clear());
                return null;
            });
            Async.checkpoint();
            r.feedData(ascii("orld, and more"));
            Async.await(again);
            assertThat(written(eight)).isEqualTo(ascii("orld, an"));
            assertThat(r.read(100)).isEqualTo(ascii("d more"));
            return null;
        });
    }

    @Test
    void aWaitingReadIntoADirectBufferGetsTheBytesStraightFromTheSocket() throws Exception {
        Async.run(() -> {
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, new BufferPool(4), 0);
            StreamReader r = p[1].reader();
            SocketTransport t = p[1].writer().transport;
            int[] direct = {0};
            t.afterDirectRead = () -> direct[0]++;
            int total = 200_000;
            Task<Long> reading = Async.spawn(() -> {
                ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
                long got = 0;
                int n;
                while ((n = r.readInto(in.clear())) >= 0) {
                    StreamPairs.check(in, 0, got);
                    got += n;
                }
                return got;
            });
            Async.checkpoint();
            p[0].writer().write(StreamPairs.pattern(0, total));
            p[0].writer().close();
            assertThat(Async.await(reading)).isEqualTo(total);
            assertThat(direct[0]).as("reads straight into the waiting buffer").isPositive();
            p[1].writer().close();
            p[1].writer().awaitClosed();
            assertThat(registered()).isZero();
            return null;
        });
    }

    @Test
    void cancellingAReadRightAfterTheSocketFilledItsBufferLosesNoBytes() throws Exception {
        Async.run(() -> {
            Streams.Connection[] p = StreamPairs.connect(StreamReader.DEFAULT_LIMIT, new BufferPool(4), 0);
            StreamReader r = p[1].reader();
            SocketTransport t = p[1].writer().transport;
            ByteBuffer in = ByteBuffer.allocateDirect(32 * 1024);
            Task<Integer> victim = Async.spawn(() -> r.readInto(in));
            // Cancels the task in the very callback that read into its buffer: before it can resume.
            t.afterDirectRead = () -> {
                t.afterDirectRead = null;
                victim.cancel("test");
            };
            Async.checkpoint();
            p[0].writer().write(StreamPairs.pattern(0, 10_000));
            assertThatThrownBy(() -> Async.await(victim)).isInstanceOf(CancelledException.class);
            assertThat(in.position()).isZero();
            p[0].writer().write(StreamPairs.pattern(10_000, 5_000));
            p[0].writer().close();
            byte[] all = r.read(-1);
            assertThat(all).hasSize(15_000);
            StreamPairs.check(all, 0);
            p[1].writer().close();
            p[1].writer().awaitClosed();
            return null;
        });
    }

    @Test
    void readExactlyOfMoreThanTheBufferHoldsCompletesWithBothApis() throws Exception {
        int limit = 8 * 1024;
        Async.run(() -> {
            Streams.Connection[] p = StreamPairs.connect(limit, new BufferPool(4), 0);
            StreamReader r = p[1].reader();
            int n = 100_000; // over twice the limit: the reader must read past its usual bound for this read
            p[0].writer().write(StreamPairs.pattern(0, n));
            p[0].writer().write(StreamPairs.pattern(n, n));
            // Bounded so that a reader stuck at its buffer's bound fails the test instead of hanging it.
            try (Timeout guard = Async.timeout(Duration.ofSeconds(30))) {
                byte[] first = r.readExactly(n);
                StreamPairs.check(first, 0);
                ByteBuffer second = ByteBuffer.allocate(n);
                r.readExactly(second);
                StreamPairs.check(second, 0, n);
            }
            assertThat(p[1].writer().transport.maxReaderBuffered).isLessThanOrEqualTo(n + 64 * 1024);
            p[0].writer().close();
            assertThat(r.read(1)).isEmpty();
            p[1].writer().close();
            p[1].writer().awaitClosed();
            return null;
        });
    }

    /**
     * The transport reads several times per readiness event: bytes that wake a waiting read,
     * then a reset, can both arrive before the reading task runs. The read must then throw the
     * failure, not wait for bytes that can no longer come.
     */
    @Test
    void aFailureAfterTheBytesThatWokeAReadIsThrownByTheReadInsteadOfAWaitForever() throws Exception {
        Async.run(() -> {
            assertFailureAfterWakingBytesIsThrown("abcde", r -> r.readExactly(10));
            assertFailureAfterWakingBytesIsThrown("no newline yet", StreamReader::readLine);
            ByteBuffer six = ByteBuffer.allocate(6);
            assertFailureAfterWakingBytesIsThrown("ab", r -> {
                r.readExactly(six);
                return null;
            });
            return null;
        });
    }

    /** A read of its own reader in a task; bytes that wake it and a failure, both before it runs. In a task. */
    private static void assertFailureAfterWakingBytesIsThrown(String bytes, ReadCall read) throws Exception {
        StreamReader r = new StreamReader(EventLoop.current(), 64);
        Task<Object> reading = Async.spawn(() -> read.on(r));
        Async.checkpoint();
        r.feedData(ascii(bytes));
        r.setException(new java.io.IOException("connection reset"));
        assertThatThrownBy(() -> Async.waitFor(reading, Duration.ofSeconds(10)))
                .isInstanceOf(java.io.IOException.class).hasMessage("connection reset");
    }

    /** One read call on a reader. */
    private interface ReadCall {
        Object on(StreamReader r) throws Exception;
    }

    /**
     * The reader holds at most twice its limit, so a separator longer than the limit might
     * never fit beside the bytes before it: once the buffer is full without it, readUntil says
     * so instead of waiting for bytes the reader will not take.
     */
    @Test
    void readUntilASeparatorLongerThanTheLimitFailsOnceTheBufferIsFullInsteadOfWaitingForever() throws Exception {
        Async.run(() -> {
            StreamReader r = new StreamReader(EventLoop.current(), 4);
            Task<byte[]> until = Async.spawn(() -> r.readUntil(ascii("0123456789")));
            Async.checkpoint();
            r.feedData(ascii("abcdefgh")); // twice the limit: no room for more
            assertThatThrownBy(() -> Async.waitFor(until, Duration.ofSeconds(10)))
                    .isInstanceOf(LimitOverrunException.class).hasMessageContaining("longer than the limit");
            assertThat(r.buffered()).as("the data stays, as for any LimitOverrunException of readUntil").isEqualTo(8);
            return null;
        });
    }
}
