package io.loopbridge.streams;

import io.loopbridge.Async;
import io.loopbridge.EventLoop;
import io.loopbridge.LoopFuture;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** Test helpers: two connected streams on the current loop, and a byte pattern that depends on the offset. */
final class StreamPairs {
    private StreamPairs() {
    }

    /**
     * Two ends of one TCP connection on the running loop, with the readers' {@code limit} and
     * the transports' {@code pool}. Small kernel buffers ({@code sockBuf} bytes, or the
     * system's default when 0) make back-pressure reach the streams after little data.
     */
    static Streams.Connection[] connect(int limit, BufferPool pool, int sockBuf) throws Exception {
        EventLoop loop = EventLoop.current();
        try (ServerSocketChannel l = ServerSocketChannel.open()) {
            if (sockBuf > 0) {
                l.setOption(StandardSocketOptions.SO_RCVBUF, sockBuf);
            }
            l.bind(new InetSocketAddress(StreamsTest.LOCAL, 0));
            LoopFuture<SocketChannel> accepted = loop.sockAccept(l);
            SocketChannel a = SocketChannel.open();
            if (sockBuf > 0) {
                a.setOption(StandardSocketOptions.SO_RCVBUF, sockBuf);
                a.setOption(StandardSocketOptions.SO_SNDBUF, sockBuf);
            }
            Async.await(loop.sockConnect(a, l.getLocalAddress()));
            SocketChannel b = Async.await(accepted);
            if (sockBuf > 0) {
                b.setOption(StandardSocketOptions.SO_SNDBUF, sockBuf);
            }
            return new Streams.Connection[] {wrap(loop, a, limit, pool), wrap(loop, b, limit, pool)};
        }
    }

    private static Streams.Connection wrap(EventLoop loop, SocketChannel ch, int limit, BufferPool pool)
            throws java.io.IOException {
        StreamReader reader = new StreamReader(loop, limit);
        SocketTransport t = new SocketTransport(loop, ch, reader, pool);
        t.start();
        return new Streams.Connection(reader, new StreamWriter(t));
    }

    /** The byte at stream offset {@code i}: varies with both bytes of the offset, so a lost, repeated or swapped block shows. */
    static byte at(long i) {
        return (byte) (i * 31 + (i >>> 8) * 7 + (i >>> 16));
    }

    /** {@code n} pattern bytes starting at stream offset {@code from}. */
    static byte[] pattern(long from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = at(from + i);
        }
        return b;
    }

    /** Puts {@code n} pattern bytes from stream offset {@code from} into {@code dst}, which is then flipped. */
    static ByteBuffer fill(ByteBuffer dst, long from, int n) {
        dst.clear();
        for (int i = 0; i < n; i++) {
            dst.put(at(from + i));
        }
        return dst.flip();
    }

    /** Checks that {@code src}'s bytes between {@code start} and its position are the pattern from stream offset {@code from}. */
    static void check(ByteBuffer src, int start, long from) {
        for (int i = start; i < src.position(); i++) {
            long off = from + i - start;
            if (src.get(i) != at(off)) {
                throw new AssertionError("byte " + off + " of the stream differs: got " + src.get(i) + ", sent " + at(off));
            }
        }
    }

    /** Checks that {@code b} is the pattern from stream offset {@code from}. */
    static void check(byte[] b, long from) {
        ByteBuffer w = ByteBuffer.wrap(b).position(b.length);
        check(w, 0, from);
    }
}
